// SPDX-License-Identifier: GPL-2.0-only
// verdict: escape-call
/* release hidden in a local macro that spatch does not expand */
#define DEMO_PUT(p) put_page(p)

static int demo_macro(struct device *dev, unsigned long uaddr)
{
	struct page *page;

	if (get_user_pages_fast(uaddr, 1, 0, &page) != 1)
		return -EFAULT;
	demo_go(dev, dma_map_page(dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE));
	DEMO_PUT(page);
	put_page(page);
	return 0;
}
