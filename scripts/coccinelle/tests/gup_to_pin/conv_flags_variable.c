// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* FOLL_GET set through a local gup_flags variable */
static int demo_flags(struct device *dev, unsigned long uaddr, bool write)
{
	unsigned int gup_flags = FOLL_GET;
	struct page *page;
	dma_addr_t dma;

	if (write)
		gup_flags |= FOLL_WRITE;
	gup_flags |= FOLL_GET;
	if (get_user_pages_fast(uaddr, 1, gup_flags, &page) != 1)
		return -EFAULT;
	dma = dma_map_page(dev, page, 0, PAGE_SIZE, DMA_BIDIRECTIONAL);
	demo_use(dev, dma);
	put_page(page);
	return 0;
}
