// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* pages pinned in chunks at "pages + done" */
static int demo_chunks(struct device *dev, unsigned long uaddr, int n)
{
	struct page **pages;
	int i, done = 0, ret;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	while (done < n) {
		ret = get_user_pages_fast(uaddr + done * PAGE_SIZE, n - done, 0,
					  pages + done);
		if (ret <= 0)
			break;
		done += ret;
	}
	for (i = 0; i < done; i++)
		demo_push(dev, dma_map_page(dev, pages[i], 0, PAGE_SIZE,
					    DMA_TO_DEVICE));
	for (i = 0; i < done; i++)
		put_page(pages[i]);
	kfree(pages);
	return done == n ? 0 : -EFAULT;
}
