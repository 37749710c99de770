// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
static int demo_pin(struct device *dev, struct page **pages,
		    unsigned long uaddr, int want)
{
	long i;
	int got;

	got = get_user_pages_fast(uaddr, want, FOLL_WRITE, pages);
	if (got == want) {
		for (i = 0; i < want; i++)
			demo_push(dev, dma_map_page(dev, pages[i], 0,
						    PAGE_SIZE, DMA_FROM_DEVICE));
		return 0;
	}
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	return -EFAULT;
}

static int demo_ioctl(struct device *dev, unsigned long uaddr)
{
	struct page *pages[16];

	if (demo_pin(dev, pages, uaddr, 16))
		return -EFAULT;
	demo_done(dev, pages);
	return 0;
}

static void demo_done(struct device *dev, struct page **pages)
{
	int i;

	for (i = 0; i < 16; i++)
		put_page(pages[i]);
}
