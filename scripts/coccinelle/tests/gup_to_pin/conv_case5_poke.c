// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* case 5 of pin_user_pages.rst: written through kmap_local_page() and dirtied; FOLL_GET dropped */
static int demo_poke(struct mm_struct *mm, unsigned long addr, u8 byte)
{
	struct page *page;
	int locked = 1;
	u8 *va;

	if (get_user_pages_remote(mm, addr, 1, FOLL_GET | FOLL_WRITE | FOLL_FORCE,
				  &page, &locked) != 1)
		return -EFAULT;
	va = kmap_local_page(page);
	va[offset_in_page(addr)] = byte;
	kunmap_local(va);
	set_page_dirty_lock(page);
	put_page(page);
	return 0;
}
