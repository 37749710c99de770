// SPDX-License-Identifier: GPL-2.0-only
// verdict: no-pin-variant
/* atomic-context and locked variants have no pin counterpart in 6.12 */
static int demo_atomic(struct device *dev, unsigned long uaddr)
{
	struct page *page;

	if (__get_user_pages_fast(uaddr, 1, 1, &page) != 1)
		return -EFAULT;
	demo_push(dev, page_to_phys(page));
	put_page(page);
	return 0;
}

static int demo_fast_only(struct device *dev, unsigned long uaddr)
{
	struct page *page;

	if (get_user_pages_fast_only(uaddr, 1, FOLL_WRITE, &page) != 1)
		return -EFAULT;
	demo_push(dev, page_to_phys(page));
	put_page(page);
	return 0;
}

static long demo_locked(struct device *dev, unsigned long uaddr)
{
	struct page *page;
	int locked = 1;
	long got;

	mmap_read_lock(current->mm);
	got = get_user_pages_locked(uaddr, 1, FOLL_WRITE, &page, &locked);
	if (locked)
		mmap_read_unlock(current->mm);
	if (got == 1) {
		demo_push(dev, page_to_phys(page));
		put_page(page);
	}
	return got;
}
