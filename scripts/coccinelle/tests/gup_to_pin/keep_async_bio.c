// SPDX-License-Identifier: GPL-2.0-only
// verdict: escape-call
/* bio submitted asynchronously: the end_io handler drops the pages */
static int demo_async(struct block_device *bdev, unsigned long uaddr, int n)
{
	struct page *pages[4];
	struct bio *bio;
	int i, got;

	got = get_user_pages_fast(uaddr, n, 0, pages);
	if (got <= 0)
		return -EFAULT;
	bio = bio_alloc(bdev, got, REQ_OP_WRITE, GFP_KERNEL);
	if (!bio) {
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		return -ENOMEM;
	}
	for (i = 0; i < got; i++)
		bio_add_page(bio, pages[i], PAGE_SIZE, 0);
	bio->bi_end_io = demo_end_io;
	submit_bio(bio);
	return 0;
}
