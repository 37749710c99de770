// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* released through a static helper of the file, also on a window "pages + 1" */
static void demo_drop_pages(struct page **pages, int n)
{
	int i;

	for (i = 0; i < n; i++)
		put_page(pages[i]);
}

static int demo_helper_user(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[8];
	int i, got;

	got = get_user_pages_fast(uaddr, n, 0, pages);
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_TO_DEVICE));
	if (got != n) {
		demo_drop_pages(pages, got);
		return -EFAULT;
	}
	put_page(pages[0]);
	demo_drop_pages(pages + 1, n - 1);
	return 0;
}
