// SPDX-License-Identifier: GPL-2.0-only
// verdict: ambiguous-alias
/*
 * one array, three sources: a source with its own reference (alloc_page())
 * vetoes even when a reference-free one (vmalloc_to_page()) is seen first
 */
static int demo_map(struct device *dev, unsigned long uaddr, void *kbuf,
		    int n, int kind)
{
	struct page **pages;
	int i, j, got = n;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	if (kind == 0) {
		for (i = 0; i < n; i++)
			pages[i] = vmalloc_to_page(kbuf + i * PAGE_SIZE);
	} else if (kind == 1) {
		for (j = 0; j < n; j++)
			pages[j] = alloc_page(GFP_KERNEL);
	} else {
		got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	}
	if (got != n)
		return -EFAULT;
	demo_push(dev, page_to_phys(pages[0]));
	if (kind != 0)
		for (i = 0; i < n; i++)
			put_page(pages[i]);
	kfree(pages);
	return 0;
}
