// SPDX-License-Identifier: GPL-2.0-only
// verdict: pfn-release
/*
 * The pages go to the device by DMA address, and a later release takes
 * pages back from stored addresses (no IOMMU assumed): it may drop
 * these pages, whose own error path releases them too.  Kept.
 */
struct demo_desc {
	dma_addr_t addr[8];
	int n;
};

static int demo_fill(struct device *dev, struct demo_desc *d,
		     unsigned long uaddr)
{
	struct page *pages[8];
	int i, got;

	got = get_user_pages_fast(uaddr, d->n, FOLL_WRITE, pages);
	if (got != d->n) {
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		return -EFAULT;
	}
	for (i = 0; i < d->n; i++)
		d->addr[i] = dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					  DMA_FROM_DEVICE);
	return 0;
}

static void demo_drain(struct demo_desc *d)
{
	struct page *page;
	int i;

	for (i = 0; i < d->n; i++) {
		page = pfn_to_page(d->addr[i] >> PAGE_SHIFT);
		put_page(page);
	}
}
