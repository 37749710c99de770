// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* sg_page() release with conditional dirtying */
static int demo_sg_rx(struct device *dev, unsigned long uaddr, int n, bool wr)
{
	struct page *pages[4];
	struct sg_table sgt;
	struct scatterlist *sg;
	int i, got;

	got = get_user_pages_fast(uaddr, n, wr ? FOLL_WRITE : 0, pages);
	if (got <= 0)
		return -EFAULT;
	if (sg_alloc_table_from_pages(&sgt, pages, got, 0, got * PAGE_SIZE,
				      GFP_KERNEL))
		return -ENOMEM;
	dma_map_sgtable(dev, &sgt, DMA_FROM_DEVICE, 0);
	demo_rx(dev, sg_dma_address(sgt.sgl));
	dma_unmap_sgtable(dev, &sgt, DMA_FROM_DEVICE, 0);
	for_each_sgtable_sg(&sgt, sg, i) {
		if (wr)
			set_page_dirty_lock(sg_page(sg));
		put_page(sg_page(sg));
	}
	sg_free_table(&sgt);
	return 0;
}
