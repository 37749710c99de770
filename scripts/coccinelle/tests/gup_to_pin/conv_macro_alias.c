// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* compatibility macros that rename DMA API calls are seen through */
#ifdef DEMO_OLD_PCI_API
#define demo_map_sg	pci_map_sg
#else
#define demo_map_sg	dma_map_sg
#endif
#define demo_unmap_sg(d, s, n, dir)	dma_unmap_sg(d, s, n, dir)

static int demo_alias_map(struct device *dev, unsigned long uaddr, int n)
{
	struct scatterlist sgl[8];
	struct page *pages[8];
	int i, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got <= 0)
		return -EFAULT;
	sg_init_table(sgl, got);
	for (i = 0; i < got; i++)
		sg_set_page(&sgl[i], pages[i], PAGE_SIZE, 0);
	if (demo_map_sg(dev, sgl, got, DMA_FROM_DEVICE))
		demo_unmap_sg(dev, sgl, got, DMA_FROM_DEVICE);
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	return 0;
}
