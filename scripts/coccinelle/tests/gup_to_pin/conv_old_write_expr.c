// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * The old write argument, or the flags of get_user_pages_longterm(), is
 * an expression: the rebuilt call keeps it in parentheses, so that
 * "?:" and "|" still mean what they meant.
 */
static int demo_old6(struct device *dev, unsigned long uaddr, int n,
		     int dir)
{
	struct page **pages;
	int i, got;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	got = get_user_pages(uaddr, n, dir == DMA_FROM_DEVICE ? 1 : 0, 0,
			     pages, NULL);
	for (i = 0; i < got; i++)
		demo_push(dev, page_to_phys(pages[i]));
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	kfree(pages);
	return got == n ? 0 : -EFAULT;
}

static int demo_longterm(struct device *dev, unsigned long uaddr, int n,
			 bool wr)
{
	struct page **pages;
	int i, got;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	got = get_user_pages_longterm(uaddr, n, wr ? FOLL_WRITE : 0, pages,
				      NULL);
	for (i = 0; i < got; i++)
		demo_push(dev, page_to_phys(pages[i]));
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	kfree(pages);
	return got == n ? 0 : -EFAULT;
}
