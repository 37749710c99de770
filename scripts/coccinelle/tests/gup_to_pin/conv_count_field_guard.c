// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * The count of the teardown loops is a field, and a helper's parameter,
 * that hold what the get returned (a negative errno on failure): their
 * folds are guarded by "> 0".  The loop up to the requested count is not.
 */
struct demo_job {
	struct page **pages;
	long npinned;
	long want;
};

static void demo_job_drop(struct page **pages, long cnt)
{
	long i;

	for (i = 0; i < cnt; i++)
		put_page(pages[i]);
}

static int demo_job_pin(struct demo_job *job, struct device *dev,
			unsigned long uaddr)
{
	long i;

	job->npinned = get_user_pages_fast(uaddr, job->want, FOLL_WRITE,
					   job->pages);
	if (job->npinned != job->want) {
		demo_job_drop(job->pages, job->npinned);
		return -EFAULT;
	}
	for (i = 0; i < job->want; i++)
		demo_push(dev, dma_map_page(dev, job->pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	return 0;
}

static void demo_job_done(struct demo_job *job)
{
	long i;

	for (i = 0; i < job->npinned; i++) {
		set_page_dirty_lock(job->pages[i]);
		put_page(job->pages[i]);
	}
}

static void demo_job_cancel(struct demo_job *job)
{
	long i;

	for (i = 0; i < job->want; i++)
		put_page(job->pages[i]);
}
