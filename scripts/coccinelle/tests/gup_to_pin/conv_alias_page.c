// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* a local alias of pages[i] is mapped and released */
static int demo_alias(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[8];
	struct page *page;
	int i, got;

	got = get_user_pages_fast(uaddr, n, 0, pages);
	for (i = 0; i < got; i++) {
		page = pages[i];
		demo_send(dev, dma_map_page(dev, page, 0, PAGE_SIZE,
					    DMA_TO_DEVICE));
		put_page(page);
	}
	return got;
}
