// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* goto unwinding over the pinned count */
static int demo_unwind(struct device *dev, unsigned long uaddr, int n)
{
	struct page **pages;
	dma_addr_t *dma;
	int i, pinned, ret = 0;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	dma = kcalloc(n, sizeof(*dma), GFP_KERNEL);
	pinned = get_user_pages_fast(uaddr, n, 0, pages);
	if (pinned != n) {
		ret = -EFAULT;
		goto out_put;
	}
	for (i = 0; i < n; i++) {
		dma[i] = dma_map_page(dev, pages[i], 0, PAGE_SIZE, DMA_TO_DEVICE);
		if (dma_mapping_error(dev, dma[i])) {
			ret = -ENOMEM;
			goto out_unmap;
		}
	}
	demo_kick(dev, dma, n);
out_unmap:
	while (i--)
		dma_unmap_page(dev, dma[i], PAGE_SIZE, DMA_TO_DEVICE);
out_put:
	for (i = 0; i < pinned; i++)
		put_page(pages[i]);
	kfree(dma);
	kfree(pages);
	return ret;
}
