// SPDX-License-Identifier: GPL-2.0-only
// verdict: escape-call
/* pages handed to another subsystem that keeps them */
static int demo_register(struct demo_dev *dd, unsigned long uaddr, int n)
{
	struct page **pages;
	int i, got, ret;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	for (i = 0; i < got; i++)
		dma_map_page(dd->dev, pages[i], 0, PAGE_SIZE, DMA_TO_DEVICE);
	ret = other_subsys_adopt_pages(dd->sub, pages, got);
	if (ret) {
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		kfree(pages);
	}
	return ret;
}
