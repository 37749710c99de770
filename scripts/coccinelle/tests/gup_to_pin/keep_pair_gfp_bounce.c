// SPDX-License-Identifier: GPL-2.0-only
// verdict: pfn-release
/*
 * User pages leave as physical addresses for the device; a bounce page
 * from __get_free_page() is given back with put_page(virt_to_page()).
 */
struct demo_dev {
	struct device *dev;
	void *bounce;
	u64 *desc;
};

static int demo_setup(struct demo_dev *d)
{
	d->bounce = (void *)__get_free_page(GFP_KERNEL);
	if (!d->bounce)
		return -ENOMEM;
	return 0;
}

static void demo_teardown(struct demo_dev *d)
{
	struct page *page;

	page = virt_to_page(d->bounce);
	put_page(page);
}

static int demo_xfer(struct demo_dev *d, unsigned long uaddr, int n)
{
	struct page *pages[16];
	int i, got;

	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got <= 0)
		return -EFAULT;
	for (i = 0; i < got; i++)
		d->desc[i] = page_to_phys(pages[i]);
	demo_kick(d->dev);
	demo_wait(d->dev);
	for (i = 0; i < got; i++) {
		set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
	return 0;
}
