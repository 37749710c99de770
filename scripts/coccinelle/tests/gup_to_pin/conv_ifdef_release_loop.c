// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * Out-of-tree drivers that still build before 4.6 spell the release
 * page_cache_release() there: the #if splits the loop body, and the dirty
 * test skips reserved pages.  Both loops fold as upstream did; the
 * if/else inside a loop with other statements folds one page at a time.
 */
struct demo_map {
	struct page **pages;
	int nr;
	int dir;
};

static int demo_map_user(struct demo_map *m, struct device *dev,
			 unsigned long uaddr, int n)
{
	int got;

	m->pages = kcalloc(n, sizeof(*m->pages), GFP_KERNEL);
	got = get_user_pages_fast(uaddr, n, 1, m->pages);
	if (got <= 0)
		return -EFAULT;
	m->nr = got;
	demo_push(dev, page_to_phys(m->pages[0]));
	return 0;
}

static void demo_unmap_user(struct demo_map *m)
{
	int i;

	if (m->dir == DMA_FROM_DEVICE) {
		for (i = 0; i < m->nr; i++) {
			if (!PageReserved(m->pages[i]))
				SetPageDirty(m->pages[i]);
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 6, 0)
			page_cache_release(m->pages[i]);
#else
			put_page(m->pages[i]);
#endif
		}
	} else {
		for (i = 0; i < m->nr; i++) {
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 6, 0)
			page_cache_release(m->pages[i]);
#else
			put_page(m->pages[i]);
#endif
		}
	}
	kfree(m->pages);
}

static void demo_forget_user(struct demo_map *m)
{
	int i;

	for (i = 0; i < m->nr; i++) {
		demo_trace(i);
		if (!PageReserved(m->pages[i])) {
			SetPageDirty(m->pages[i]);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 6, 0)
			put_page(m->pages[i]);
#else
			page_cache_release(m->pages[i]);
#endif
		} else {
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 6, 0)
			put_page(m->pages[i]);
#else
			page_cache_release(m->pages[i]);
#endif
		}
	}
	kfree(m->pages);
}

static int demo_ioctl(struct demo_map *m, struct device *dev,
		      unsigned long uaddr, int n, int how)
{
	int ret = demo_map_user(m, dev, uaddr, n);

	if (ret)
		return ret;
	if (how)
		demo_unmap_user(m);
	else
		demo_forget_user(m);
	return 0;
}
