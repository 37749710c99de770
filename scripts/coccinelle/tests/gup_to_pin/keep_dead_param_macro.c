// SPDX-License-Identifier: GPL-2.0-only
// verdict: ambiguous-alias
/*
 * demo_cur_pages() reads the parameter "pages" implicitly.
 */
#define demo_cur_pages(c)	((c)->shadow ? (c)->shadow : pages)

struct demo_ctx {
	struct page **pages;
	struct page **shadow;
	int n;
};

static void demo_put_all(struct demo_ctx *ctx, struct page **pages, int n)
{
	int i;

	pages = demo_cur_pages(ctx);
	for (i = 0; i < n; i++)
		put_page(pages[i]);
}

static int demo_pin(struct demo_ctx *ctx, struct device *dev,
		    unsigned long uaddr)
{
	int i, got;

	got = get_user_pages_fast(uaddr, ctx->n, FOLL_WRITE, ctx->pages);
	if (got != ctx->n) {
		demo_put_all(ctx, ctx->pages, got > 0 ? got : 0);
		return -EFAULT;
	}
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, ctx->pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	return 0;
}

static void demo_done(struct demo_ctx *ctx)
{
	int i;

	for (i = 0; i < ctx->n; i++)
		put_page(ctx->pages[i]);
}
