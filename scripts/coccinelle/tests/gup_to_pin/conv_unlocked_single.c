// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* get_user_pages_unlocked() of one page used for a DMA doorbell */
static int demo_doorbell(struct device *dev, unsigned long uaddr)
{
	struct page *page;
	dma_addr_t dma;
	long ret;

	ret = get_user_pages_unlocked(uaddr, 1, &page, FOLL_WRITE);
	if (ret != 1)
		return -EFAULT;
	dma = dma_map_page(dev, page, 0, PAGE_SIZE, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, dma)) {
		put_page(page);
		return -ENOMEM;
	}
	demo_ring(dev, dma);
	dma_unmap_page(dev, dma, PAGE_SIZE, DMA_BIDIRECTIONAL);
	put_page(page);
	return 0;
}
