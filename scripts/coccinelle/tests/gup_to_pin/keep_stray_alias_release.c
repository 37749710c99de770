// SPDX-License-Identifier: GPL-2.0-only
// verdict: stray-release
/*
 * A callback of the page walker drops each page through a renaming
 * macro: its pages come from a parameter, as with a plain put_page().
 */
#define demo_drop_page	put_page

struct demo_req {
	struct page **pages;
	int n;
};

static void demo_walk_put(struct page *page, void *data)
{
	demo_drop_page(page);
}

static int demo_req_pin(struct demo_req *req, struct device *dev,
			unsigned long uaddr)
{
	int i, got;

	got = get_user_pages_fast(uaddr, req->n, FOLL_WRITE, req->pages);
	if (got != req->n)
		return -EFAULT;
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, req->pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	demo_register_walker(dev, demo_walk_put);
	return 0;
}

static void demo_req_done(struct demo_req *req)
{
	int i;

	for (i = 0; i < req->n; i++)
		put_page(req->pages[i]);
}
