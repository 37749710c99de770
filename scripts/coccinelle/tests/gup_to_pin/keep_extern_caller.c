// SPDX-License-Identifier: GPL-2.0-only
// verdict: extern-caller demo_map_user
/* the pages fill the array of a caller that may be in another file */
int demo_map_user(struct device *dev, unsigned long uaddr, int n,
		  struct page **pages)
{
	int i, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	return got;
}

static void demo_unmap_user(struct page **pages, int n)
{
	int i;

	for (i = 0; i < n; i++)
		put_page(pages[i]);
}

static int demo_local_user(struct device *dev, unsigned long uaddr)
{
	struct page *pages[4];
	int got;

	got = demo_map_user(dev, uaddr, 4, pages);
	demo_unmap_user(pages, got);
	return 0;
}
