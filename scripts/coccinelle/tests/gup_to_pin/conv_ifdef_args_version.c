// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * Out-of-tree compat code: #if LINUX_VERSION_CODE blocks inside the
 * argument lists.  On 6.12 the get is the 5-argument form with a NULL vmas
 * and release_pages() has two arguments: the names change, the NULL goes,
 * and the #if blocks (dead on 6.12) stay for the maintainer to drop.
 */
struct demo_buf {
	struct page **pages;
	long n;
};

static int demo_compat_get(struct demo_buf *b, unsigned long uaddr, int n)
{
	b->n = get_user_pages(
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 6, 0)
		current, current->mm,
#endif
		uaddr, n,
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 9, 0)
		1, 0,
#else
		FOLL_WRITE,
#endif
		b->pages, NULL);
	if (b->n <= 0)
		return -EFAULT;
	return dma_map_page(demo_dev, b->pages[0], 0, PAGE_SIZE,
			    DMA_FROM_DEVICE) ? 0 : -EIO;
}

static void demo_compat_put(struct demo_buf *b)
{
	release_pages(b->pages, b->n
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 15, 0)
		, 0
#endif
	);
}
