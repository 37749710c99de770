// SPDX-License-Identifier: GPL-2.0-only
// verdict: no-release
/* the pages are mapped for DMA but never released here */
static int demo_leaky(struct device *dev, unsigned long uaddr, dma_addr_t *dma)
{
	struct page *page;

	if (get_user_pages_fast(uaddr, 1, FOLL_WRITE, &page) != 1)
		return -EFAULT;
	*dma = dma_map_page(dev, page, 0, PAGE_SIZE, DMA_FROM_DEVICE);
	return 0;
}
