// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* partial pin: only "ret" pages were pinned on the error path */
static int demo_pin_all(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[16];
	int i, ret;

	ret = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (ret < 0)
		return ret;
	if (ret < n) {
		for (i = 0; i < ret; i++)
			put_page(pages[i]);
		return -EFAULT;
	}
	for (i = 0; i < n; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_TO_DEVICE));
	demo_flush(dev);
	for (i = 0; i < n; i++)
		put_page(pages[i]);
	return 0;
}
