// SPDX-License-Identifier: GPL-2.0-only
/* already pin_user_pages(): nothing to do, no get_user_pages*() call */
static int demo_pinned(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[4];
	int got;

	got = pin_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got <= 0)
		return -EFAULT;
	demo_push(dev, dma_map_page(dev, pages[0], 0, PAGE_SIZE, DMA_TO_DEVICE));
	unpin_user_pages(pages, got);
	return 0;
}
