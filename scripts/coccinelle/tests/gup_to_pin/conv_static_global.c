// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* a static file-scope array, released in another function of the file */
static struct page *demo_ring_pages[4];

static int demo_ring_pin(struct device *dev, unsigned long uaddr)
{
	int i, got;

	got = get_user_pages_fast(uaddr, 4, FOLL_WRITE, demo_ring_pages);
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, demo_ring_pages[i], 0,
					    PAGE_SIZE, DMA_FROM_DEVICE));
	if (got != 4) {
		for (i = 0; i < got; i++)
			put_page(demo_ring_pages[i]);
		return -EFAULT;
	}
	return 0;
}

static void demo_ring_unpin(void)
{
	int i;

	for (i = 0; i < 4; i++)
		put_page(demo_ring_pages[i]);
}
