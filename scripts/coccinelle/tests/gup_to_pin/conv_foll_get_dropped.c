// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* explicit FOLL_GET in the flags must go, FOLL_WRITE/LONGTERM stay */
static int demo_explicit_get(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[4];
	int i, got;

	got = get_user_pages_fast(uaddr, n, FOLL_GET | FOLL_WRITE | FOLL_LONGTERM,
				  pages);
	if (got <= 0)
		return -EFAULT;
	for (i = 0; i < got; i++)
		demo_post(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	return 0;
}
