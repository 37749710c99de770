// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * The first release loop's counter is returned after it: folding that
 * loop would lose its value, so its pages are unpinned one by one.  The
 * second loop's counter is set again before any read: it folds.  The
 * same holds for a loop whose release is split by an #if, and for a loop
 * left by a break that skips the statement setting the counter again.
 */
static int demo_counted(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[16];
	int i, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got <= 0)
		return -EFAULT;
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	if (got != n) {
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		return i;
	}
	for (i = 0; i < n; i++) {
		set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
	i = 0;
	return i;
}

static int demo_counted_old(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[16];
	int i, got;

	got = get_user_pages_fast(uaddr, n, 0, pages);
	if (got <= 0)
		return -EFAULT;
	demo_push(dev, page_to_phys(pages[0]));
	for (i = 0; i < got; i++) {
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 6, 0)
		page_cache_release(pages[i]);
#else
		put_page(pages[i]);
#endif
	}
	return i;
}

static int demo_counted_switch(struct device *dev, unsigned long uaddr,
			       int n, int mode)
{
	struct page *pages[16];
	int i, got;

	got = get_user_pages_fast(uaddr, n, 0, pages);
	if (got <= 0)
		return -EFAULT;
	demo_push(dev, page_to_phys(pages[0]));
	switch (mode) {
	case 1:
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		break;
	default:
		release_pages(pages, got);
		i = 0;
	}
	return i;
}
