// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* "while (n--) put_page(pages[n])" is converted call by call */
static int demo_countdown(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[8];
	int got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got <= 0)
		return -EFAULT;
	demo_dma(dev, dma_map_page(dev, pages[0], 0, got * PAGE_SIZE,
				   DMA_FROM_DEVICE));
	while (got--)
		put_page(pages[got]);
	return 0;
}
