// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * A macro names a mapping function of the file in one #if branch and
 * dma_map_sg_attrs() in the other: the pages are followed into both,
 * and the function is not taken for a callback because of the #define.
 */
#ifdef DEMO_MAP_DUMB
#define demo_drv_map_sg		demo_map_sg_dumb
#else
#define demo_drv_map_sg		dma_map_sg_attrs
#endif

struct demo_ubuf {
	struct page **pages;
	struct scatterlist *sgs;
	int n;
};

static int demo_map_sg_dumb(struct device *dev, struct scatterlist *sg,
			    int nents, enum dma_data_direction dir,
			    unsigned long attrs)
{
	int i;

	for (i = 0; i < nents; i++)
		sg[i].dma_address = dma_map_page(dev, sg_page(&sg[i]),
						 sg[i].offset, sg[i].length,
						 dir);
	return nents;
}

static int demo_ubuf_get(struct device *dev, struct demo_ubuf *ub,
			 unsigned long uaddr)
{
	int i, got;

	got = get_user_pages_fast(uaddr, ub->n, FOLL_WRITE, ub->pages);
	if (got != ub->n)
		goto put;
	sg_init_table(ub->sgs, ub->n);
	for (i = 0; i < ub->n; i++)
		sg_set_page(&ub->sgs[i], ub->pages[i], PAGE_SIZE, 0);
	if (!demo_drv_map_sg(dev, ub->sgs, ub->n, DMA_FROM_DEVICE, 0))
		goto put;
	return 0;
put:
	for (i = 0; i < got; i++)
		put_page(ub->pages[i]);
	return -EFAULT;
}

static void demo_ubuf_put(struct demo_ubuf *ub)
{
	int i;

	for (i = 0; i < ub->n; i++)
		put_page(ub->pages[i]);
}
