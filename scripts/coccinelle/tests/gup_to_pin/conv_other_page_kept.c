// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* the user page is converted, the alloc_page() page in the same function is not */
static int demo_bounce(struct device *dev, unsigned long uaddr)
{
	struct page *page, *bounce;
	int ret;

	bounce = alloc_page(GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	ret = get_user_pages_fast(uaddr, 1, 0, &page);
	if (ret == 1) {
		demo_xfer(dev, dma_map_page(dev, page, 0, PAGE_SIZE,
					    DMA_TO_DEVICE));
		put_page(page);
	}
	put_page(bounce);
	return ret == 1 ? 0 : -EFAULT;
}
