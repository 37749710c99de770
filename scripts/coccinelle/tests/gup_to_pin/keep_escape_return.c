// SPDX-License-Identifier: GPL-2.0-only
// verdict: escape-return
/* the page is returned to the caller, who releases it */
static struct page *demo_get_ring(struct device *dev, unsigned long uaddr)
{
	struct page *page;
	dma_addr_t dma;

	if (get_user_pages_fast(uaddr, 1, FOLL_WRITE, &page) != 1)
		return NULL;
	dma = dma_map_page(dev, page, 0, PAGE_SIZE, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, dma)) {
		put_page(page);
		return NULL;
	}
	demo_set_ring(dev, dma);
	return page;
}
