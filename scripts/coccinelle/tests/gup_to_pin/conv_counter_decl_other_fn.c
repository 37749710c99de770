// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * The counter of the folded loop goes with it; an unused variable of
 * the same name in another function of the file is not the patch's
 * business and stays.
 */
struct demo_sh {
	struct page **pages;
	int nr;
	bool dirty;
};

static void demo_sh_release(struct demo_sh *sh)
{
	int i;

	for (i = 0; i < sh->nr; i++) {
		if (sh->dirty)
			set_page_dirty_lock(sh->pages[i]);
		put_page(sh->pages[i]);
	}
}

static int demo_sh_prep(struct demo_sh *sh, struct device *dev,
			unsigned long uaddr)
{
	size_t i = 0;
	int got;

	got = get_user_pages_fast(uaddr, sh->nr, FOLL_WRITE, sh->pages);
	if (got != sh->nr)
		return -EFAULT;
	demo_push(dev, page_to_phys(sh->pages[0]));
	return 0;
}
