// SPDX-License-Identifier: GPL-2.0-only
// verdict: cpu-read-only
/* CPU-only: vmap()ed and parsed by the CPU */
static int demo_parse(unsigned long uaddr, int n)
{
	struct page *pages[4];
	void *va;
	int i, got, ret;

	got = get_user_pages_fast(uaddr, n, 0, pages);
	va = vmap(pages, got, VM_MAP, PAGE_KERNEL);
	ret = demo_parse_buf(va, got * PAGE_SIZE);
	vunmap(va);
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	return ret;
}
