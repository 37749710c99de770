// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* one page, "if (dirty) set_page_dirty_lock(page); put_page(page);" */
static int demo_status_page(struct device *dev, unsigned long uaddr, bool wr)
{
	struct page *page;
	dma_addr_t dma;
	int ret;

	ret = get_user_pages_fast(uaddr, 1, wr ? FOLL_WRITE : 0, &page);
	if (ret != 1)
		return -EFAULT;
	dma = dma_map_page(dev, page, 0, PAGE_SIZE, DMA_FROM_DEVICE);
	demo_fetch_status(dev, dma);
	dma_unmap_page(dev, dma, PAGE_SIZE, DMA_FROM_DEVICE);
	if (wr)
		set_page_dirty_lock(page);
	put_page(page);
	return 0;
}
