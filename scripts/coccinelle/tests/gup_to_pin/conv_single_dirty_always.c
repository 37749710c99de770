// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* one page, unconditionally dirtied before put_page() */
static int demo_fill(struct device *dev, unsigned long uaddr)
{
	struct page *page;
	dma_addr_t dma;

	if (get_user_pages_fast(uaddr, 1, FOLL_WRITE, &page) != 1)
		return -EFAULT;
	dma = dma_map_page(dev, page, 0, PAGE_SIZE, DMA_FROM_DEVICE);
	demo_fill_hw(dev, dma);
	dma_unmap_page(dev, dma, PAGE_SIZE, DMA_FROM_DEVICE);
	set_page_dirty_lock(page);
	put_page(page);
	return 0;
}
