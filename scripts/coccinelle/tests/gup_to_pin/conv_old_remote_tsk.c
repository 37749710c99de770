// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* 4.10-5.8 shape: get_user_pages_remote(tsk, mm, start, nr, flags, pages, vmas, locked) */
static int demo_remote8(struct task_struct *tsk, struct mm_struct *mm,
			struct device *dev, unsigned long uaddr)
{
	struct page *page;
	int locked = 1;
	long got;

	got = get_user_pages_remote(tsk, mm, uaddr, 1, FOLL_WRITE, &page, NULL,
				    &locked);
	if (locked)
		mmap_read_unlock(mm);
	if (got != 1)
		return -EFAULT;
	demo_push(dev, dma_map_page(dev, page, 0, PAGE_SIZE, DMA_FROM_DEVICE));
	set_page_dirty_lock(page);
	put_page(page);
	return 0;
}
