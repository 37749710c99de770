// SPDX-License-Identifier: GPL-2.0-only
// verdict: extern-release demo_release
static void demo_drop(struct page **pages, int n)
{
	int i;

	for (i = 0; i < n; i++)
		put_page(pages[i]);
}

void demo_release(struct page **pages, int n)
{
	demo_drop(pages, n);
}

static int demo_xfer(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[16];
	int i, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got != n)
		return -EFAULT;
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	demo_release(pages, got);
	return 0;
}
