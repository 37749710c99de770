// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
// verdict: cpu-read-only
/* one function converts, the CPU-only one next to it is untouched */
static int demo_dma_fn(struct device *dev, unsigned long uaddr)
{
	struct page *page;

	if (get_user_pages_fast(uaddr, 1, 0, &page) != 1)
		return -EFAULT;
	demo_go(dev, dma_map_page(dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE));
	put_page(page);
	return 0;
}

static int demo_cpu_fn(unsigned long uaddr, void *buf)
{
	struct page *page;
	void *va;

	if (get_user_pages_fast(uaddr, 1, 0, &page) != 1)
		return -EFAULT;
	va = kmap_local_page(page);
	memcpy(buf, va, 64);
	kunmap_local(va);
	put_page(page);
	return 0;
}
