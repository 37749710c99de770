// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * Driver wrappers from another file: an allocator and a free of the
 * page array named like the kernel's (vmalloc_os(), vfree_os()), a
 * debug() print, and the array handed back through an integer out
 * parameter that the caller casts back to a page array.
 */
struct demo_win {
	struct page **pages;
	int n;
};

static int demo_win_pin(unsigned long uaddr, int n, unsigned long *out)
{
	struct page **pages;
	int got;

	pages = (struct page **)vmalloc_os(n * sizeof(struct page *));
	if (!pages)
		return -ENOMEM;
	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	debug("pinned %d pages at %p\n", got, pages[0]);
	if (got != n) {
		while (got > 0)
			put_page(pages[--got]);
		vfree_os(pages);
		return -EFAULT;
	}
	*out = (unsigned long)pages;
	return n;
}

static int demo_win_map(struct device *dev, struct demo_win *w,
			unsigned long uaddr, int n)
{
	unsigned long handle = 0;
	int i;

	if (demo_win_pin(uaddr, n, &handle) != n)
		return -EFAULT;
	w->pages = (struct page **)(uintptr_t)handle;
	w->n = n;
	for (i = 0; i < n; i++)
		demo_push(dev, page_to_phys(w->pages[i]));
	return 0;
}

static void demo_win_unmap(struct demo_win *w)
{
	int i;

	for (i = 0; i < w->n; i++)
		put_page(w->pages[i]);
	vfree_os(w->pages);
}
