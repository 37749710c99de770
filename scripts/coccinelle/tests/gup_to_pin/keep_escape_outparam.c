// SPDX-License-Identifier: GPL-2.0-only
// verdict: not-local
/* the page leaves through an output parameter */
static int demo_lookup(struct device *dev, unsigned long uaddr,
		       struct page **pagep, dma_addr_t *dmap)
{
	struct page *page;

	if (get_user_pages_fast(uaddr, 1, 0, &page) != 1)
		return -EFAULT;
	*dmap = dma_map_page(dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, *dmap)) {
		put_page(page);
		return -ENOMEM;
	}
	*pagep = page;
	return 0;
}
