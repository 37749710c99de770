// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* get_user_pages_remote() feeding sg_set_page() on a local scatterlist */
static int demo_remote(struct mm_struct *mm, struct device *dev,
		       unsigned long addr, int n)
{
	struct page *pages[8];
	struct scatterlist sgl[8], *sg;
	int locked = 1;
	long got;
	int i, nents;

	mmap_read_lock(mm);
	got = get_user_pages_remote(mm, addr, n, FOLL_WRITE, pages, &locked);
	if (locked)
		mmap_read_unlock(mm);
	if (got < 0)
		return got;
	sg_init_table(sgl, got);
	for (i = 0; i < got; i++)
		sg_set_page(&sgl[i], pages[i], PAGE_SIZE, 0);
	nents = dma_map_sg(dev, sgl, got, DMA_FROM_DEVICE);
	if (nents > 0) {
		for_each_sg(sgl, sg, nents, i)
			demo_go(dev, sg_dma_address(sg), sg_dma_len(sg));
		dma_unmap_sg(dev, sgl, got, DMA_FROM_DEVICE);
	}
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	return nents > 0 ? 0 : -EIO;
}
