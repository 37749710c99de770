// SPDX-License-Identifier: GPL-2.0-only
// verdict: pfn-release
/*
 * Two gets hand out physical addresses, and a release takes pages back
 * from addresses: it may drop the pages of either, so neither get is
 * paired with it, and neither is converted (each also releases its
 * pages itself on an error path).
 */
static int demo_give(unsigned long uaddr, int n, u64 *out)
{
	struct page *pages[8];
	int i, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got != n) {
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		return -EFAULT;
	}
	for (i = 0; i < n; i++)
		out[i] = page_to_phys(pages[i]);
	return 0;
}

static int demo_give_ro(unsigned long uaddr, int n, u64 *out)
{
	struct page *pages[8];
	int i, got;

	got = get_user_pages_fast(uaddr, n, 0, pages);
	if (got != n) {
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		return -EFAULT;
	}
	for (i = 0; i < n; i++)
		out[i] = page_to_phys(pages[i]);
	return 0;
}

static void demo_take(const u64 *addrs, int n)
{
	struct page *pages[8];
	int i;

	for (i = 0; i < n; i++)
		pages[i] = pfn_to_page(addrs[i] >> PAGE_SHIFT);
	release_pages(pages, n);
}
