// SPDX-License-Identifier: GPL-2.0-only
// verdict: pfn-release
/*
 * the page leaves as a frame number, and the teardown turns one back into
 * a page: that release may be of this page, and cannot be converted
 */
struct demo {
	struct device *dev;
	unsigned long pfn;
};

static int demo_map(struct demo *d, unsigned long uaddr)
{
	struct page *page;

	if (get_user_pages_fast(uaddr, 1, FOLL_WRITE, &page) != 1)
		return -EFAULT;
	if (demo_hw_map(d->dev, page_to_pfn(page))) {
		put_page(page);
		return -EIO;
	}
	return 0;
}

static void demo_unmap(struct demo *d)
{
	put_page(pfn_to_page(demo_hw_unmap(d->dev)));
}

static long demo_ioctl(struct demo *d, unsigned long uaddr)
{
	long ret = demo_map(d, uaddr);

	if (!ret)
		demo_unmap(d);
	return ret;
}
