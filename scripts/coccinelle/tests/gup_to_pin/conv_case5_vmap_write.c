// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * Case 5: the pages are vmap()ed and the CPU copies into them, although
 * the get does not ask for write access (one function serves both copy
 * directions).  Reading through the mapping alone stays cpu-read-only
 * (keep_cpu_vmap).
 */
static void demo_put_all(struct page **pages, int n)
{
	int i;

	for (i = 0; i < n; i++)
		put_page(pages[i]);
}

static long demo_copy(struct mm_struct *mm, unsigned long uaddr, void *buf,
		      size_t size, int n, bool to_user, int *locked)
{
	struct page **pages;
	void *va;
	long got;

	pages = kmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	got = get_user_pages_remote(mm, uaddr, n, 0, pages, locked);
	if (got != n) {
		if (got > 0)
			demo_put_all(pages, got);
		kfree(pages);
		return -EFAULT;
	}
	va = vmap(pages, n, 0, to_user ? PAGE_KERNEL : PAGE_KERNEL_RO);
	if (to_user)
		memcpy(va + offset_in_page(uaddr), buf, size);
	else
		memcpy(buf, va + offset_in_page(uaddr), size);
	vunmap(va);
	demo_put_all(pages, n);
	kfree(pages);
	return 0;
}
