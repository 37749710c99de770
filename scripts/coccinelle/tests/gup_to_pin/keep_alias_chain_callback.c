// SPDX-License-Identifier: GPL-2.0-only
// verdict: not-local
/*
 * The release helper is registered as a callback through two renaming
 * macros: the callback gets pages from elsewhere.
 */
#define demo_put_fn	demo_put_pages
#define DEMO_PUT_CB	demo_put_fn

struct demo_ops {
	void (*put)(struct page **pages, int n);
};

static void demo_put_pages(struct page **pages, int n)
{
	int i;

	for (i = 0; i < n; i++)
		put_page(pages[i]);
}

static const struct demo_ops demo_ops = {
	.put = DEMO_PUT_CB,
};

static int demo_xfer(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[16];
	int i, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got != n)
		return -EFAULT;
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	demo_put_pages(pages, got);
	return 0;
}
