// SPDX-License-Identifier: GPL-2.0-only
// verdict: pfn-release
/*
 * The pages are only copied into by the CPU and released in place, but
 * another function of the file drops a page it takes back from a kernel
 * address: that page holds no reference of its own, so the put may drop
 * one of these pages' references.  Kept.
 */
static int demo_fill(unsigned long uaddr, const void *src, int n)
{
	struct page *pages[4];
	int i, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	for (i = 0; i < got; i++) {
		memcpy_to_page(pages[i], 0, src, PAGE_SIZE);
		set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
	return got == n ? 0 : -EFAULT;
}

static void demo_drop_addr(void *addr)
{
	struct page *page = virt_to_page(addr);

	put_page(page);
}
