// SPDX-License-Identifier: GPL-2.0-only
// verdict: no-pages
/* fault-in only: no pages array, nothing to pin or release */
static int demo_fault_in(struct mm_struct *mm, unsigned long addr)
{
	int locked = 1;
	long ret;

	mmap_read_lock(mm);
	ret = get_user_pages_remote(mm, addr, 1, FOLL_WRITE, NULL, &locked);
	if (locked)
		mmap_read_unlock(mm);
	return ret < 0 ? ret : 0;
}
