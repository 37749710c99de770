// SPDX-License-Identifier: GPL-2.0-only
// verdict: no-release
/*
 * As conv_phys_roundtrip, but the file also hands out the address of a
 * page it allocated: a page made from an address may be that one, so
 * the release is not paired with the get.
 */
static struct page *demo_ring_page;

static u64 demo_ring_addr(void)
{
	demo_ring_page = alloc_page(GFP_KERNEL);
	return page_to_phys(demo_ring_page);
}

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
