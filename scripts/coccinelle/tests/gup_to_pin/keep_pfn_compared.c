// SPDX-License-Identifier: GPL-2.0-only
// verdict: unknown-user
/* the page frame number is only compared: no device sees the page */
static int demo_check(unsigned long uaddr, unsigned long want)
{
	struct page *pages[1];
	unsigned long pfn;

	if (get_user_pages_fast(uaddr, 1, 0, pages) != 1)
		return -EFAULT;
	pfn = page_to_pfn(pages[0]);
	put_page(pages[0]);
	return pfn == want ? 0 : -EINVAL;
}
