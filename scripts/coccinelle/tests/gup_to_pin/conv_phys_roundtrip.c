// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * The pages leave as physical addresses (to user space, which programs
 * the device with them) and come back through pfn_to_page() to be
 * released.  The file's only get, no other page source: the pages made
 * from addresses are this get's pages.
 */
static int demo_give_addrs(unsigned long uaddr, int n, u64 __user *out)
{
	struct page **pages;
	u64 addr;
	int i, got;

	pages = kvmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	for (i = 0; i < got; i++) {
		addr = page_to_phys(pages[i]);
		if (put_user(addr, out + i))
			break;
	}
	kvfree(pages);
	return got;
}

static void demo_take_addrs(const u64 *addrs, int n)
{
	struct page **pages;
	int i;

	pages = kvmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return;
	for (i = 0; i < n; i++)
		pages[i] = pfn_to_page(addrs[i] >> PAGE_SHIFT);
	release_pages(pages, n);
	kvfree(pages);
}
