// SPDX-License-Identifier: GPL-2.0-only
// verdict: extern-release demo_put_pages
/* the release helper is exported: other files may hand it other pages */
void demo_put_pages(struct page **pages, int n)
{
	int i;

	for (i = 0; i < n; i++)
		put_page(pages[i]);
}

static int demo_ext_user(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[8];
	int i, got;

	got = get_user_pages_fast(uaddr, n, 0, pages);
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_TO_DEVICE));
	demo_put_pages(pages, got);
	return got == n ? 0 : -EFAULT;
}
