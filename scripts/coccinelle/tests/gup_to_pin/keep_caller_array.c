// SPDX-License-Identifier: GPL-2.0-only
// verdict: not-local
/* half-conversion trap: the caller owns the array and releases on success */
static int demo_fill_array(struct device *dev, unsigned long uaddr, int n,
			   struct page **pages)
{
	int i, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got != n) {
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		return -EFAULT;
	}
	for (i = 0; i < n; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	return 0;
}

static void demo_caller_done(struct page **pages, int n)
{
	int i;

	for (i = 0; i < n; i++)
		put_page(pages[i]);
}
