// SPDX-License-Identifier: GPL-2.0-only
// verdict: duplicate-fn
/* two #ifdef variants of one function cannot be told apart: keep both */
#ifdef CONFIG_DEMO_DMA
static int demo_variant(struct device *dev, unsigned long uaddr)
{
	struct page *page;

	if (get_user_pages_fast(uaddr, 1, 0, &page) != 1)
		return -EFAULT;
	demo_go(dev, dma_map_page(dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE));
	put_page(page);
	return 0;
}
#else
static int demo_variant(struct device *dev, unsigned long uaddr)
{
	struct page *page;

	if (get_user_pages_fast(uaddr, 1, 0, &page) != 1)
		return -EFAULT;
	demo_cpu(kmap_local_page(page));
	put_page(page);
	return 0;
}
#endif
