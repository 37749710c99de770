// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * The pages parameter is overwritten by kmalloc() before it is read: the
 * caller's global array never reaches the function, so the pages are
 * local to it (sizeof(*pages) does not read the parameter).
 */
static struct page *demo_global_pages[16];

static int demo_dead_param(struct device *dev, unsigned long uaddr, int n,
			   struct page **pages)
{
	int i, got, ret = 0;

	if (!n)
		return 0;
	pages = kmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	got = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got != n) {
		ret = -EFAULT;
		goto out;
	}
	for (i = 0; i < n; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
out:
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	kfree(pages);
	return ret;
}

static int demo_dead_param_ioctl(struct device *dev, unsigned long uaddr)
{
	return demo_dead_param(dev, uaddr, 16, demo_global_pages);
}
