// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* unconditional "set_page_dirty_lock(); put_page();" loop */
static int demo_capture(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[16];
	int i, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE | FOLL_LONGTERM, pages);
	if (got <= 0)
		return -EFAULT;
	for (i = 0; i < got; i++)
		demo_queue(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					     DMA_FROM_DEVICE));
	demo_wait(dev);
	for (i = 0; i < got; ++i) {
		set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
	return 0;
}
