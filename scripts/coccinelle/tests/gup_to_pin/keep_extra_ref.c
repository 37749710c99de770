// SPDX-License-Identifier: GPL-2.0-only
// verdict: extra-ref
/* an extra get_page(): one of the two put_page() calls drops it */
struct demo_job {
	struct page *page;
};

static int demo_job_start(struct demo_job *job, struct device *dev,
			  unsigned long uaddr)
{
	struct page *page;

	if (get_user_pages_fast(uaddr, 1, FOLL_WRITE, &page) != 1)
		return -EFAULT;
	get_page(page);
	job->page = page;
	demo_push(dev, dma_map_page(dev, page, 0, PAGE_SIZE, DMA_FROM_DEVICE));
	put_page(page);
	return 0;
}

static void demo_job_done(struct demo_job *job)
{
	put_page(job->page);
}
