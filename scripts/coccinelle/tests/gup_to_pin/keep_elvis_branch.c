// SPDX-License-Identifier: GPL-2.0-only
// verdict: ambiguous-alias
/*
 * The header page is pinned from user space; the data page is pinned,
 * or allocated when the user gave none.  The abort path drops the header
 * page when there is one, else the data page: "hdr ?: data".
 */
struct demo_ctx {
	struct device *dev;
	struct page *hdr;
	struct page *data;
};

static int demo_pin(struct demo_ctx *ctx, unsigned long hdr_uaddr,
		    unsigned long data_uaddr)
{
	int rc;

	rc = get_user_pages_fast(hdr_uaddr, 1, FOLL_WRITE, &ctx->hdr);
	if (rc != 1)
		return -EFAULT;
	if (data_uaddr)
		rc = get_user_pages_fast(data_uaddr, 1, FOLL_WRITE, &ctx->data);
	else
		ctx->data = alloc_page(GFP_KERNEL);
	demo_push(ctx->dev, dma_map_page(ctx->dev, ctx->hdr, 0, PAGE_SIZE,
					 DMA_FROM_DEVICE));
	demo_push(ctx->dev, dma_map_page(ctx->dev, ctx->data, 0, PAGE_SIZE,
					 DMA_FROM_DEVICE));
	return 0;
}

static void demo_abort_one(struct demo_ctx *ctx)
{
	struct page *pg;

	pg = ctx->hdr ?: ctx->data;
	put_page(pg);
}

static void demo_done(struct demo_ctx *ctx)
{
	put_page(ctx->hdr);
	put_page(ctx->data);
}
