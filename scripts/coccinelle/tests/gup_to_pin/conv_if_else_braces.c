// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* collapsed loop inside an if/else keeps the braces the else needs */
static int demo(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[4];
	int i, got;

	got = get_user_pages_fast(uaddr, n, 0, pages);
	demo_push(dev, dma_map_page(dev, pages[0], 0, PAGE_SIZE, DMA_TO_DEVICE));
	if (got > 0) {
		for (i = 0; i < got; i++)
			put_page(pages[i]);
	} else {
		pr_err("x\n");
		return -EFAULT;
	}
	return 0;
}
