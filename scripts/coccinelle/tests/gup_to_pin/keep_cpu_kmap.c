// SPDX-License-Identifier: GPL-2.0-only
// verdict: cpu-read-only
/* CPU-only: the page is only read through kmap() */
static int demo_peek(unsigned long uaddr, u32 *val)
{
	struct page *page;
	void *va;

	if (get_user_pages_fast(uaddr, 1, 0, &page) != 1)
		return -EFAULT;
	va = kmap(page);
	*val = *(u32 *)(va + offset_in_page(uaddr));
	kunmap(page);
	put_page(page);
	return 0;
}
