// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* "if (dirty) set_page_dirty_lock(); put_page();" loop */
static int demo_dma_read(struct device *dev, unsigned long uaddr, int n,
			 bool write)
{
	struct page **pages;
	int i, got;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	got = get_user_pages_fast(uaddr, n, write ? FOLL_WRITE : 0, pages);
	for (i = 0; i < got; i++)
		demo_queue(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					     DMA_FROM_DEVICE));
	demo_wait(dev);
	for (i = 0; i < got; i++) {
		if (write)
			set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
	kfree(pages);
	return got == n ? 0 : -EFAULT;
}
