// SPDX-License-Identifier: GPL-2.0-only
// verdict: macro
/* the call lives in a macro body: its pages cannot be followed */
#define DEMO_PIN(addr, pagep) get_user_pages_fast(addr, 1, 0, pagep)

static int demo_use_macro(struct device *dev, unsigned long uaddr)
{
	struct page *page;

	if (DEMO_PIN(uaddr, &page) != 1)
		return -EFAULT;
	demo_go(dev, dma_map_page(dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE));
	put_page(page);
	return 0;
}
