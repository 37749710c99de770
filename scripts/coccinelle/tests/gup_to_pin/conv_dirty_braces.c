// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * Dirty tests written with braces, in a loop and for one page taken
 * back from a scatterlist entry, fold like the unbraced ones; a braced
 * test on the index does not fold.
 */
struct demo_xfer {
	struct page **pages;
	struct scatterlist *sg;
	int n;
	int dir;
};

static int demo_xfer_pin(struct demo_xfer *x, struct device *dev,
			 unsigned long uaddr)
{
	int i, got;

	got = get_user_pages_fast(uaddr, x->n, FOLL_WRITE, x->pages);
	if (got != x->n) {
		for (i = 0; i < got; i++) {
			if (x->dir == DMA_FROM_DEVICE) {
				set_page_dirty_lock(x->pages[i]);
			}
			put_page(x->pages[i]);
		}
		return -EFAULT;
	}
	sg_init_table(x->sg, x->n);
	for (i = 0; i < x->n; i++)
		sg_set_page(&x->sg[i], x->pages[i], PAGE_SIZE, 0);
	return dma_map_sg(dev, x->sg, x->n, x->dir) ? 0 : -EIO;
}

static void demo_xfer_done(struct demo_xfer *x)
{
	struct page *pg;
	int i;

	for (i = 0; i < x->n; i++) {
		pg = sg_page(&x->sg[i]);
		if (x->dir == DMA_FROM_DEVICE ||
		    x->dir == DMA_BIDIRECTIONAL) {
			set_page_dirty_lock(pg);
		}
		put_page(pg);
	}
}

static void demo_xfer_some(struct demo_xfer *x)
{
	int i;

	for (i = 0; i < x->n; i++) {
		if (i & 1) {
			set_page_dirty_lock(x->pages[i]);
		}
		put_page(x->pages[i]);
	}
}
