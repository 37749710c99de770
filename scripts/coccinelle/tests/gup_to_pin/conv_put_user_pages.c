// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* the 5.2-5.5 put_user_page*() API */
static int demo_pup(struct device *dev, unsigned long uaddr, int n, bool dirty)
{
	struct page **pages;
	struct page *first;
	int i, got;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got <= 0) {
		kfree(pages);
		return -EFAULT;
	}
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_BIDIRECTIONAL));
	first = pages[0];
	if (got < n) {
		put_user_page(first);
		put_user_pages(pages + 1, got - 1);
	} else {
		put_user_pages_dirty_lock(pages, got, dirty);
	}
	kfree(pages);
	return 0;
}
