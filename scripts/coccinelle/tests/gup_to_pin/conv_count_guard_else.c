// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * the guarded fold of a loop that is the bare branch of an if keeps the else
 * where it was
 */
static int demo_map(struct device *dev, unsigned long uaddr, int n)
{
	struct page **pages;
	int i, got;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got != n)
		for (i = 0; i < got; i++) {
			if (!PageReserved(pages[i]))
				SetPageDirty(pages[i]);
			put_page(pages[i]);
		}
	else
		demo_push(dev, page_to_phys(pages[0]));
	kfree(pages);
	return got == n ? 0 : -EFAULT;
}
