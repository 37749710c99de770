// SPDX-License-Identifier: GPL-2.0-only
// verdict: ambiguous-alias
/* the same field also holds pages that another subsystem handed over */
struct demo_buf {
	struct page **pages;
	int n;
};

static int demo_buf_user(struct demo_buf *b, struct device *dev,
			 unsigned long uaddr)
{
	struct page **pages;
	int i, got;

	pages = kcalloc(b->n, sizeof(*pages), GFP_KERNEL);
	got = get_user_pages_fast(uaddr, b->n, FOLL_WRITE, pages);
	if (got != b->n)
		return -EFAULT;
	for (i = 0; i < got; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	b->pages = pages;
	return 0;
}

static int demo_buf_import(struct demo_buf *b, int handle)
{
	struct page **other = demo_exporter_get_pages(handle, &b->n);

	if (IS_ERR(other))
		return PTR_ERR(other);
	b->pages = other;
	return 0;
}

static void demo_buf_release(struct demo_buf *b)
{
	int i;

	for (i = 0; i < b->n; i++)
		put_page(b->pages[i]);
	kfree(b->pages);
}
