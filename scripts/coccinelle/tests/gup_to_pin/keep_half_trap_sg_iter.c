// SPDX-License-Identifier: GPL-2.0-only
// verdict: no-teardown
/* half-conversion trap: sg_set_page() on an iterator over a stored table */
static int demo_iter_pin(struct demo_buf *buf, struct device *dev,
			 unsigned long uaddr, int n)
{
	struct page *pages[8];
	struct sg_table *sgt = &buf->table;
	struct scatterlist *sg;
	int i, got;

	got = get_user_pages_fast(uaddr, n, 0, pages);
	if (got != n)
		goto put;
	for_each_sgtable_sg(sgt, sg, i)
		sg_set_page(sg, pages[i], PAGE_SIZE, 0);
	return dma_map_sgtable(dev, sgt, DMA_TO_DEVICE, 0);
put:
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	return -EFAULT;
}
