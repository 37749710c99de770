// SPDX-License-Identifier: GPL-2.0-only
// verdict: ambiguous-alias
/* half-conversion trap: "page" is either a GUP page or a kernel page */
static int demo_either(struct device *dev, unsigned long uaddr, bool user)
{
	struct page *page;

	if (user) {
		if (get_user_pages_fast(uaddr, 1, 0, &page) != 1)
			return -EFAULT;
	} else {
		page = alloc_page(GFP_KERNEL);
	}
	demo_xfer(dev, dma_map_page(dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE));
	put_page(page);
	return 0;
}
