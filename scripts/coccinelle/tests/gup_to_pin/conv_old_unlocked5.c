// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* 4.6-4.8 shape: get_user_pages_unlocked(start, nr, write, force, pages) */
static int demo_unlocked5(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[16];
	long got;
	int i;

	got = get_user_pages_unlocked(uaddr, n, 1, 0, pages);
	if (got < 0)
		return got;
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	release_pages(pages, got);
	return 0;
}
