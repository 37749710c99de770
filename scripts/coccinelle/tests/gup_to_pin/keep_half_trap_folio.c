// SPDX-License-Identifier: GPL-2.0-only
// verdict: unmatched-release
/* half-conversion trap: one release path uses folio_put() */
static int demo_folio_mix(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[8];
	int i, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got <= 0)
		return -EFAULT;
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	if (got != n) {
		for (i = 0; i < got; i++)
			folio_put(page_folio(pages[i]));
		return -EFAULT;
	}
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	return 0;
}
