// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* pages kept in the context and released in demo_ctx_release() */
struct demo_ctx {
	struct page **pages;
	int npages;
};

static int demo_ctx_pin(struct demo_ctx *ctx, struct device *dev,
			unsigned long uaddr, int n)
{
	struct page **pages;
	int i, got;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got != n) {
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		kfree(pages);
		return -EFAULT;
	}
	for (i = 0; i < n; i++)
		demo_map(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					   DMA_BIDIRECTIONAL));
	ctx->pages = pages;
	ctx->npages = n;
	return 0;
}

static void demo_ctx_release(struct demo_ctx *ctx)
{
	int i;

	for (i = 0; i < ctx->npages; i++)
		put_page(ctx->pages[i]);
	kfree(ctx->pages);
}
