// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* pre-4.6 shape: get_user_pages(tsk, mm, start, nr, write, force, pages, vmas) */
static int demo_old8(struct device *dev, unsigned long uaddr, int n, int write)
{
	struct page **pages;
	int i, got;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	down_read(&current->mm->mmap_sem);
	got = get_user_pages(current, current->mm, uaddr, n, write, 0, pages,
			     NULL);
	up_read(&current->mm->mmap_sem);
	for (i = 0; i < got; i++)
		demo_push(dev, page_to_phys(pages[i]));
	for (i = 0; i < got; i++) {
		if (write && !PageReserved(pages[i]))
			SetPageDirty(pages[i]);
		page_cache_release(pages[i]);
	}
	kfree(pages);
	return got == n ? 0 : -EFAULT;
}
