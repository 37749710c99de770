// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* pages added to a bio that is submitted synchronously */
static int demo_bio(struct block_device *bdev, unsigned long uaddr, int n)
{
	struct page *pages[4];
	struct bio bio;
	struct bio_vec bvec[4];
	int i, got, ret;

	got = get_user_pages_fast(uaddr, n, 0, pages);
	if (got <= 0)
		return -EFAULT;
	bio_init(&bio, bdev, bvec, 4, REQ_OP_WRITE);
	for (i = 0; i < got; i++)
		__bio_add_page(&bio, pages[i], PAGE_SIZE, 0);
	ret = submit_bio_wait(&bio);
	bio_uninit(&bio);
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	return ret;
}
