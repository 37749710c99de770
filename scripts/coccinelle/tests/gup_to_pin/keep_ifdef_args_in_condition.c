// SPDX-License-Identifier: GPL-2.0-only
// verdict: ifdef-args
/*
 * The same call, but inside an if condition: rewriting it would need the
 * whole if statement, so it is kept and reported.
 */
static int demo_in_cond(struct device *dev, unsigned long uaddr, int n,
			struct page **pages)
{
	int i;

	if (get_user_pages(
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 6, 0)
		current, current->mm,
#endif
		uaddr, n, 1, 0, pages, NULL) != n)
		return -EFAULT;
	demo_push(dev, page_to_phys(pages[0]));
	for (i = 0; i < n; i++)
		put_page(pages[i]);
	return 0;
}
