// SPDX-License-Identifier: GPL-2.0-only
// verdict: escape-phys
/* physical address handed out after the page was already released */
static int demo_vtop(unsigned long vaddr, int write, unsigned long *paddr)
{
	struct page *page;

	if (get_user_pages(vaddr, 1, write ? FOLL_WRITE : 0, &page) <= 0)
		return -EFAULT;
	*paddr = page_to_phys(page);
	put_page(page);
	return 0;
}
