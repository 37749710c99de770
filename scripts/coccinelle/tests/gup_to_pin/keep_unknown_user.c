// SPDX-License-Identifier: GPL-2.0-only
// verdict: unknown-user
/* nothing in the file uses the pages: the script cannot tell what they need */
static int demo_touch(unsigned long uaddr, int n)
{
	struct page *pages[8];
	int i, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	return got == n ? 0 : -EFAULT;
}
