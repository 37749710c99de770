// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* RDMA: pages mapped with ib_dma_map_page() */
static int demo_rdma(struct ib_device *ibdev, unsigned long uaddr)
{
	struct page *page;
	u64 addr;

	if (get_user_pages_fast(uaddr, 1, FOLL_WRITE | FOLL_LONGTERM, &page) != 1)
		return -EFAULT;
	addr = ib_dma_map_page(ibdev, page, 0, PAGE_SIZE, DMA_BIDIRECTIONAL);
	demo_post_recv(ibdev, addr);
	ib_dma_unmap_page(ibdev, addr, PAGE_SIZE, DMA_BIDIRECTIONAL);
	put_page(page);
	return 0;
}
