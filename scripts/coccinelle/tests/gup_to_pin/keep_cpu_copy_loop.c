// SPDX-License-Identifier: GPL-2.0-only
// verdict: cpu-read-only
/* CPU-only: copy out of every page through page_address() */
static int demo_snapshot(unsigned long uaddr, int n, char *buf)
{
	struct page **pages;
	int i, got;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	got = get_user_pages_fast(uaddr, n, 0, pages);
	for (i = 0; i < got; i++)
		memcpy(buf + i * PAGE_SIZE, page_address(pages[i]), PAGE_SIZE);
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	kfree(pages);
	return got;
}
