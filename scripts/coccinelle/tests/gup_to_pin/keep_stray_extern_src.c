// SPDX-License-Identifier: GPL-2.0-only
// verdict: stray-release
/*
 * demo_req_pages() lives in another file of the driver and hands back
 * req->pages, which this file pinned.
 */
struct demo_req {
	struct page **pages;
	int n;
};

static void demo_req_abort(struct demo_req *req)
{
	struct page **pages;
	int i;

	pages = demo_req_pages(req);
	for (i = 0; i < req->n; i++)
		put_page(pages[i]);
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
	if (demo_start(dev)) {
		demo_req_abort(req);
		return -EIO;
	}
	return 0;
}

static void demo_req_done(struct demo_req *req)
{
	int i;

	for (i = 0; i < req->n; i++) {
		set_page_dirty_lock(req->pages[i]);
		put_page(req->pages[i]);
	}
}
