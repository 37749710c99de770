// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* pages reach a local sg_table and are released through sg_page() */
static int demo_sg(struct device *dev, unsigned long uaddr, int n)
{
	struct page **pages;
	struct sg_table *sgt;
	struct scatterlist *sg;
	int i, got, ret;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	got = get_user_pages_fast(uaddr, n, 0, pages);
	if (got <= 0)
		return -EFAULT;
	ret = sg_alloc_table(sgt, got, GFP_KERNEL);
	for_each_sg(sgt->sgl, sg, got, i)
		sg_set_page(sg, pages[i], PAGE_SIZE, 0);
	kfree(pages);
	ret = dma_map_sgtable(dev, sgt, DMA_TO_DEVICE, 0);
	demo_submit(dev, sg_dma_address(sgt->sgl), got);
	dma_unmap_sgtable(dev, sgt, DMA_TO_DEVICE, 0);
	for_each_sg(sgt->sgl, sg, got, i)
		put_page(sg_page(sg));
	sg_free_table(sgt);
	kfree(sgt);
	return ret;
}
