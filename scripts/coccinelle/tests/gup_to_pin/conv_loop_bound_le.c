// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * "i <= last" is not a count of pages: the loop is converted page by page
 */
static int demo_map(struct device *dev, unsigned long uaddr, int n)
{
	struct page **pages;
	int i, got, last;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got != n)
		return -EFAULT;
	demo_push(dev, page_to_phys(pages[0]));
	last = n - 1;
	for (i = 0; i <= last; i++) {
		if (!PageReserved(pages[i]))
			SetPageDirty(pages[i]);
		put_page(pages[i]);
	}
	kfree(pages);
	return 0;
}
