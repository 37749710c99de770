// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* two get_user_pages_fast() calls in one function, both DMA */
static int demo_copy_engine(struct device *dev, unsigned long src,
			    unsigned long dst)
{
	struct page *spage, *dpage;
	int ret = -EFAULT;

	if (get_user_pages_fast(src, 1, 0, &spage) != 1)
		return -EFAULT;
	if (get_user_pages_fast(dst, 1, FOLL_WRITE, &dpage) != 1)
		goto put_src;
	ret = demo_engine(dev, page_to_phys(spage), page_to_phys(dpage));
	set_page_dirty_lock(dpage);
	put_page(dpage);
put_src:
	put_page(spage);
	return ret;
}
