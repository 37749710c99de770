// SPDX-License-Identifier: GPL-2.0-only
// verdict: escape-call
/*
 * The other #if branch of the macro names a function that is not in the
 * file and not known: it may keep or release the pages.
 */
#ifdef DEMO_MAP_DUMB
#define demo_drv_map_sg		demo_map_sg_dumb
#else
#define demo_drv_map_sg		vendor_map_sg
#endif

static int demo_map_sg_dumb(struct device *dev, struct scatterlist *sg,
			    int nents, enum dma_data_direction dir)
{
	int i;

	for (i = 0; i < nents; i++)
		sg[i].dma_address = dma_map_page(dev, sg_page(&sg[i]),
						 sg[i].offset, sg[i].length,
						 dir);
	return nents;
}

static int demo_alias_unknown(struct device *dev, unsigned long uaddr, int n)
{
	struct scatterlist sgl[8];
	struct page *pages[8];
	int i, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got <= 0)
		return -EFAULT;
	sg_init_table(sgl, got);
	for (i = 0; i < got; i++)
		sg_set_page(&sgl[i], pages[i], PAGE_SIZE, 0);
	demo_drv_map_sg(dev, sgl, got, DMA_FROM_DEVICE);
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	return 0;
}
