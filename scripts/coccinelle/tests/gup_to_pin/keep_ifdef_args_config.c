// SPDX-License-Identifier: GPL-2.0-only
// verdict: ifdef-args
/*
 * An #if inside the arguments that depends on the driver's own
 * configuration: which arguments a 6.12 build sees is not known here, so
 * the call is left to the maintainer.
 */
static int demo_cfg_get(struct device *dev, unsigned long uaddr, int n)
{
	struct page **pages;
	long got;
	int i;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	got = get_user_pages(uaddr, n,
#ifdef DEMO_READ_ONLY
		0,
#else
		FOLL_WRITE,
#endif
		pages, NULL);
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	kfree(pages);
	return got == n ? 0 : -EFAULT;
}
