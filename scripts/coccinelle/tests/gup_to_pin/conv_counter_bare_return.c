// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
static int demo_count(struct device *dev, unsigned long uaddr, int n,
		      int *done)
{
	struct page *pages[16];
	int i, j, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got <= 0)
		return -EFAULT;
	for (j = 0; j < got; j++)
		demo_push(dev, dma_map_page(dev, pages[j], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	demo_wait(dev);
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	if (got != n)
		return -EAGAIN;
	*done = i;
	return 0;
}

static int demo_count2(struct device *dev, unsigned long uaddr, int n)
{
	struct page *pages[16];
	int i, j, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got <= 0)
		return -EFAULT;
	for (j = 0; j < got; j++)
		demo_push(dev, dma_map_page(dev, pages[j], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	demo_wait(dev);
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	i = i * PAGE_SIZE;
	return i;
}
