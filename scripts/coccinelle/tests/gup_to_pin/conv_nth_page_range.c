// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * The pages go into an sg_table whose length argument is a field of the
 * object (not a holder of pages: handing the object's size to a stats
 * helper is no escape), and the teardown walks each entry's pages with
 * nth_page(): one unpin_user_page_range_dirty_lock() per entry.
 */
struct demo_desc {
	struct sg_table *sgt;
	u64 size;
	unsigned int flags;
};

static void demo_desc_free(struct demo_desc *d)
{
	struct scatterlist *sg;
	struct page *page;
	int i, j;

	for_each_sg(d->sgt->sgl, sg, d->sgt->nents, i) {
		page = sg_page(sg);
		for (j = 0; j < (sg->length >> PAGE_SHIFT); j++) {
			if (!(d->flags & DEMO_READONLY))
				set_page_dirty_lock(nth_page(page, j));
			put_page(nth_page(page, j));
		}
	}
	sg_free_table(d->sgt);
	kfree(d->sgt);
}

static void demo_desc_drop_first(struct demo_desc *d)
{
	struct page *page = sg_page(d->sgt->sgl);

	set_page_dirty_lock(nth_page(page, 0));
	put_page(nth_page(page, 0));
}

static int demo_desc_import(struct demo_desc *d, struct device *dev,
			    unsigned long uaddr)
{
	struct page **pages;
	long npages = d->size >> PAGE_SHIFT, got, i;
	int ret;

	pages = kvcalloc(npages, sizeof(*pages), GFP_KERNEL);
	got = get_user_pages(uaddr, npages, FOLL_WRITE, pages);
	if (got != npages) {
		ret = -EFAULT;
		goto out;
	}
	ret = sg_alloc_table_from_pages(d->sgt, pages, npages, 0, d->size,
					GFP_KERNEL);
	if (ret)
		goto out;
	demo_stats_add(d->size);
	ret = dma_map_sgtable(dev, d->sgt, DMA_BIDIRECTIONAL, 0);
	if (ret)
		demo_desc_drop_first(d);
out:
	if (ret)
		for (i = 0; i < got; i++)
			put_page(pages[i]);
	kvfree(pages);
	return ret;
}

static long demo_ioctl(struct demo_desc *d, struct device *dev,
		       unsigned long uaddr)
{
	long ret = demo_desc_import(d, dev, uaddr);

	if (!ret)
		demo_desc_free(d);
	return ret;
}
