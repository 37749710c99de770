// SPDX-License-Identifier: GPL-2.0-only
// verdict: pfn-release
/*
 * The user pages are pinned and the first one stays mapped in ctx->va;
 * the abort path finds that page again from the address and drops it.
 * The file also allocates a spare page, so the release through
 * kmap_to_page() cannot be paired and should veto ([pfn-release]).
 */
struct demo_ctx {
	struct device *dev;
	void *va;
	struct page *spare;
	struct page *pages[16];
	int n;
};

static int demo_pin(struct demo_ctx *ctx, unsigned long uaddr)
{
	int i, got;

	ctx->spare = alloc_page(GFP_KERNEL);
	got = get_user_pages_fast(uaddr, ctx->n, FOLL_WRITE, ctx->pages);
	if (got != ctx->n)
		return -EFAULT;
	ctx->va = kmap(ctx->pages[0]);
	for (i = 0; i < got; i++)
		demo_push(ctx->dev, dma_map_page(ctx->dev, ctx->pages[i], 0,
						 PAGE_SIZE, DMA_FROM_DEVICE));
	return 0;
}

static void demo_abort_first(struct demo_ctx *ctx)
{
	struct page *pg;

	pg = kmap_to_page(ctx->va);
	kunmap(pg);
	put_page(pg);
}

static void demo_done(struct demo_ctx *ctx)
{
	int i;

	kunmap(ctx->pages[0]);
	for (i = 0; i < ctx->n; i++)
		put_page(ctx->pages[i]);
	__free_page(ctx->spare);
}
