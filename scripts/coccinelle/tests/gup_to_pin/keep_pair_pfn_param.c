// SPDX-License-Identifier: GPL-2.0-only
// verdict: pfn-release
/*
 * The table of frame numbers is filled from pinned user pages, and also
 * from frame numbers that other files hand in (pages they allocated and
 * whose reference they pass on): the teardown put_page()s every entry.
 */
struct demo_tbl {
	unsigned long *pfns;
	int n;
};

static int demo_tbl_user(struct demo_tbl *t, struct device *dev,
			 unsigned long uaddr, int n)
{
	struct page **pages;
	int i, got;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got != n) {
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		kfree(pages);
		return -EFAULT;
	}
	for (i = 0; i < n; i++)
		t->pfns[t->n++] = page_to_pfn(pages[i]);
	demo_hw_load(dev, t->pfns, t->n);
	kfree(pages);
	return 0;
}

int demo_tbl_add_pfn(struct demo_tbl *t, unsigned long pfn)
{
	t->pfns[t->n++] = pfn;
	return 0;
}
EXPORT_SYMBOL(demo_tbl_add_pfn);

static void demo_tbl_free(struct demo_tbl *t)
{
	struct page *page;
	int i;

	for (i = 0; i < t->n; i++) {
		page = pfn_to_page(t->pfns[i]);
		put_page(page);
	}
	t->n = 0;
}
