// SPDX-License-Identifier: GPL-2.0-only
// verdict: escape-call
/*
 * A function of another file that is not named like a kernel free
 * (demo_buf_put()) may release the pages it is given: the get is kept.
 */
static int demo_buf_pin(struct device *dev, unsigned long uaddr, int n)
{
	struct page **pages;
	int i, got;

	pages = kvmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	for (i = 0; i < got; i++)
		demo_push(dev, page_to_phys(pages[i]));
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	demo_buf_put(pages);
	return 0;
}
