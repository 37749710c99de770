// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * The #if branches of the release loop are not alike (one also counts
 * the page, and the dirty test looks at the page's own state), so the
 * loop cannot fold: each release is converted where it stands.
 */
static int demo_uneven(struct device *dev, unsigned long uaddr, int n)
{
	struct page **pages;
	int i, got;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got <= 0)
		return -EFAULT;
	demo_push(dev, page_to_phys(pages[0]));
	for (i = 0; i < got; i++) {
		if (PageDirty(pages[i]))
			SetPageDirty(pages[i]);
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 6, 0)
		page_cache_release(pages[i]);
		demo_count(dev);
#else
		put_page(pages[i]);
#endif
	}
	kfree(pages);
	return 0;
}
