// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
static void demo_drop(struct page **pages, long cnt)
{
	long i;

	for (i = 0; i < cnt; i++) {
		set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
}

static void demo_fail(struct device *dev, struct page **pages, long n)
{
	dev_err(dev, "short pin\n");
	demo_drop(pages, n);
}

static int demo_xfer(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[16];
	long i, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got != n) {
		demo_fail(dev, pages, got);
		return -EFAULT;
	}
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	demo_wait(dev);
	demo_drop(pages, n);
	return 0;
}
