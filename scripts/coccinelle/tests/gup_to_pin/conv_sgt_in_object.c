// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* the sg_table is kept in the object and released in demo_buf_release() */
struct demo_buf {
	struct sg_table *sgt;
};

static int demo_buf_pin(struct demo_buf *buf, struct device *dev,
			unsigned long uaddr, int n)
{
	struct page **pages;
	struct sg_table *sgt;
	struct scatterlist *sg;
	int i, got;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (sg_alloc_table_from_pages(sgt, pages, got, 0, got * PAGE_SIZE,
				      GFP_KERNEL))
		goto err;
	if (dma_map_sgtable(dev, sgt, DMA_BIDIRECTIONAL, 0)) {
		for_each_sgtable_sg(sgt, sg, i)
			put_page(sg_page(sg));
		sg_free_table(sgt);
		goto err_free;
	}
	kfree(pages);
	buf->sgt = sgt;
	return 0;
err:
	for (i = 0; i < got; i++)
		put_page(pages[i]);
err_free:
	kfree(pages);
	kfree(sgt);
	return -EFAULT;
}

static void demo_buf_release(struct demo_buf *buf)
{
	struct scatterlist *sg;
	int i;

	for_each_sgtable_sg(buf->sgt, sg, i)
		put_page(sg_page(sg));
	sg_free_table(buf->sgt);
}
