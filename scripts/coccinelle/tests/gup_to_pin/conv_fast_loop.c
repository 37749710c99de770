// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* get_user_pages_fast() + dma_map_page(), released by a put_page() loop */
static int demo_map_user(struct demo_dev *dd, unsigned long uaddr, int npages)
{
	struct page **pages;
	dma_addr_t addr;
	int i, ret;

	pages = kcalloc(npages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	ret = get_user_pages_fast(uaddr, npages, FOLL_WRITE, pages);
	if (ret != npages) {
		ret = -EFAULT;
		goto out;
	}
	for (i = 0; i < npages; i++) {
		addr = dma_map_page(dd->dev, pages[i], 0, PAGE_SIZE, DMA_FROM_DEVICE);
		demo_hw_xfer(dd, addr);
		dma_unmap_page(dd->dev, addr, PAGE_SIZE, DMA_FROM_DEVICE);
	}
	ret = 0;
	for (i = 0; i < npages; i++)
		put_page(pages[i]);
out:
	kfree(pages);
	return ret;
}
