// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* the page frame number goes to the device through a helper of the file */
static void demo_notify(struct demo_dev *d, unsigned long vfn,
			unsigned long pfn)
{
	writeq(pfn, d->regs + DEMO_MAP);
}

static int demo_map_one(struct demo_dev *d, unsigned long uaddr)
{
	struct page *page;

	if (get_user_pages_fast(uaddr, 1, FOLL_WRITE, &page) != 1)
		return -EFAULT;
	demo_notify(d, uaddr >> PAGE_SHIFT, page_to_pfn(page));
	d->page = page;
	return 0;
}

static void demo_unmap_one(struct demo_dev *d)
{
	put_page(d->page);
	d->page = NULL;
}

static long demo_ioctl(struct demo_dev *d, unsigned long uaddr)
{
	long ret = demo_map_one(d, uaddr);

	if (!ret)
		demo_unmap_one(d);
	return ret;
}
