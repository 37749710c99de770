// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* 4.15-5.5 get_user_pages_longterm(), pages kept in the region object */
struct demo_region {
	struct page **pages;
	int npages;
};

static int demo_reg_pin(struct demo_region *r, struct device *dev,
			unsigned long uaddr)
{
	long got;
	int i;

	got = get_user_pages_longterm(uaddr, r->npages, FOLL_WRITE, r->pages,
				      NULL);
	if (got != r->npages)
		return -EFAULT;
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, r->pages[i], 0, PAGE_SIZE,
					    DMA_BIDIRECTIONAL));
	return 0;
}

static void demo_reg_unpin(struct demo_region *r)
{
	int i;

	for (i = 0; i < r->npages; i++) {
		set_page_dirty_lock(r->pages[i]);
		put_page(r->pages[i]);
	}
}
