// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * An #if inside the arguments, and on 6.12 the call still has the
 * write/force pair: the assignment is rewritten whole, #if and all.  The
 * error path loops up to what the get returned, which may be an errno:
 * the fold keeps the loop's "nothing to do" for a negative count.
 */
static int demo_rebuild(struct device *dev, unsigned long uaddr, int n)
{
	struct page **pages;
	int i, got;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	got = get_user_pages(
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 6, 0)
		current, current->mm,
#endif
		uaddr, n, 1, 0, pages, NULL);
	if (got != n)
		goto out;
	demo_push(dev, page_to_phys(pages[0]));
	return 0;
out:
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	kfree(pages);
	return -EFAULT;
}
