// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* 4.9-6.4 shape: get_user_pages(start, nr, flags, pages, NULL) */
static int demo_old5(struct device *dev, unsigned long uaddr, int n)
{
	struct page **pages;
	long got;
	int i;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	mmap_read_lock(current->mm);
	got = get_user_pages(uaddr, n, FOLL_WRITE, pages, NULL);
	mmap_read_unlock(current->mm);
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	for (i = 0; i < got; i++) {
		set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
	kfree(pages);
	return got == n ? 0 : -EFAULT;
}
