// SPDX-License-Identifier: GPL-2.0-only
// verdict: pfn-release
/*
 * The pinned pages are mapped with dma_map_page(); page_to_pfn() only
 * checks that they are contiguous.  A bounce page from
 * __get_free_page() is dropped with put_page(virt_to_page()).
 */
struct demo_dev {
	struct device *dev;
	void *bounce;
};

static void demo_teardown(struct demo_dev *d)
{
	struct page *page;

	page = virt_to_page(d->bounce);
	put_page(page);
}

static int demo_setup(struct demo_dev *d)
{
	d->bounce = (void *)__get_free_page(GFP_KERNEL);
	return d->bounce ? 0 : -ENOMEM;
}

static int demo_xfer(struct demo_dev *d, unsigned long uaddr, int n)
{
	struct page *pages[16];
	int i, got, contig = 1;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got <= 0)
		return -EFAULT;
	for (i = 1; i < got; i++)
		if (page_to_pfn(pages[i]) != page_to_pfn(pages[i - 1]) + 1)
			contig = 0;
	for (i = 0; i < got; i++)
		demo_push(d->dev, dma_map_page(d->dev, pages[i], 0, PAGE_SIZE,
					       DMA_FROM_DEVICE), contig);
	demo_wait(d->dev);
	release_pages(pages, got);
	return 0;
}
