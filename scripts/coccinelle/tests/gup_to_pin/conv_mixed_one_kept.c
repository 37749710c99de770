// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
// verdict: cpu-read-only
/* one get call feeds DMA and converts, the CPU-only one is kept */
static int demo_mixed(struct device *dev, unsigned long data, unsigned long hdr)
{
	struct page *dpage, *hpage;
	void *va;
	int ret;

	if (get_user_pages_fast(hdr, 1, 0, &hpage) != 1)
		return -EFAULT;
	va = kmap_local_page(hpage);
	ret = demo_check_hdr(va);
	kunmap_local(va);
	put_page(hpage);
	if (ret)
		return ret;
	if (get_user_pages_fast(data, 1, 0, &dpage) != 1)
		return -EFAULT;
	demo_xfer(dev, dma_map_page(dev, dpage, 0, PAGE_SIZE, DMA_TO_DEVICE));
	put_page(dpage);
	return 0;
}
