// SPDX-License-Identifier: GPL-2.0-only
// verdict: escape-call
/* a request on the stack that holds the pages goes to another file */
struct demo_req {
	struct page **pages;
	int n;
};

static int demo_stack_submit(struct device *dev, unsigned long uaddr, int n)
{
	struct demo_req req;
	struct page *pages[8];
	int i, got;

	req.pages = pages;
	req.n = n;
	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, req.pages);
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	demo_other_file_submit(dev, &req);
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	return got == n ? 0 : -EFAULT;
}
