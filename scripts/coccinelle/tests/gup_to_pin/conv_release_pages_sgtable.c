// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* get_user_pages() into an sg_table, released with release_pages() */
static int demo_sgt_xfer(struct device *dev, unsigned long start, int nr)
{
	struct page **pages;
	struct sg_table sgt;
	long got;
	int ret;

	pages = kvmalloc_array(nr, sizeof(struct page *), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	mmap_read_lock(current->mm);
	got = get_user_pages(start, nr, 0, pages);
	mmap_read_unlock(current->mm);
	if (got <= 0) {
		ret = -EFAULT;
		goto free;
	}
	ret = sg_alloc_table_from_pages(&sgt, pages, got, 0, got * PAGE_SIZE,
					GFP_KERNEL);
	if (ret)
		goto put;
	ret = dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
	if (!ret) {
		demo_run(dev, sg_dma_address(sgt.sgl), sg_dma_len(sgt.sgl));
		dma_unmap_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
	}
	sg_free_table(&sgt);
put:
	release_pages(pages, got);
free:
	kvfree(pages);
	return ret;
}
