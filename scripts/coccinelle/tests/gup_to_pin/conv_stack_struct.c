// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* a request on the stack, a window alias and a callback-free kref release */
struct demo_req {
	struct page **pages;
	int n;
};

struct demo_map {
	struct kref ref;
	struct page **upages;
	int npages;
};

static void demo_map_release(struct kref *ref)
{
	struct demo_map *m = container_of(ref, struct demo_map, ref);
	int i;

	for (i = 0; i < m->npages; i++)
		put_page(m->upages[i]);
	kfree(m->upages);
	kfree(m);
}

static int demo_stack_req(struct device *dev, struct demo_map *m,
			  unsigned long uaddr, int n, int off)
{
	struct demo_req req;
	struct page **window;
	int i, got;

	req.pages = m->upages;
	req.n = n;
	got = get_user_pages_fast(uaddr, req.n, FOLL_WRITE, req.pages);
	if (got != n) {
		for (i = 0; i < got; i++)
			put_page(req.pages[i]);
		return -EFAULT;
	}
	window = m->upages + off;
	for (i = 0; i < n - off; i++)
		demo_push(dev, dma_map_page(dev, window[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	m->npages = n;
	return 0;
}

static void demo_map_put(struct demo_map *m)
{
	kref_put(&m->ref, demo_map_release);
}
