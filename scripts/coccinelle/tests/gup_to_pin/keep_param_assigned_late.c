// SPDX-License-Identifier: GPL-2.0-only
// verdict: not-local
/*
 * The pages parameter is assigned only on one path (a goto jumps over
 * the assignment, and the if assigns it conditionally): the caller's
 * array may still be what the get fills, so the caller keeps the pages.
 * demo_opt_param() reads the parameter before it may replace it.
 */
static int demo_late_param(struct device *dev, unsigned long uaddr, int n,
			   struct page **pages, bool own)
{
	int i, got;

	if (!own)
		goto fill;
	if (n > 16)
		pages = kmalloc_array(n, sizeof(*pages), GFP_KERNEL);
fill:
	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got != n) {
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		return -EFAULT;
	}
	for (i = 0; i < n; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	return 0;
}

static void demo_late_param_done(struct page **pages, int n)
{
	int i;

	for (i = 0; i < n; i++)
		put_page(pages[i]);
}

static int demo_opt_param(struct device *dev, unsigned long uaddr, int n,
			  struct page **pages)
{
	int i, got;

	if (!pages)
		pages = kmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got != n) {
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		return -EFAULT;
	}
	for (i = 0; i < n; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	return 0;
}
