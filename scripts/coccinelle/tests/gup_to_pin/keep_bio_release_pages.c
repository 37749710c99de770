// SPDX-License-Identifier: GPL-2.0-only
// verdict: unmatched-release
/* released with bio_release_pages(): not a put_page() we can convert */
static int demo_bio_rel(struct block_device *bdev, unsigned long uaddr, int n)
{
	struct page *pages[4];
	struct bio bio;
	struct bio_vec bvec[4];
	int i, got, ret;

	got = get_user_pages_fast(uaddr, n, 0, pages);
	if (got <= 0)
		return -EFAULT;
	bio_init(&bio, bdev, bvec, 4, REQ_OP_READ);
	for (i = 0; i < got; i++)
		__bio_add_page(&bio, pages[i], PAGE_SIZE, 0);
	ret = submit_bio_wait(&bio);
	bio_release_pages(&bio, true);
	if (ret)
		put_page(pages[0]);
	bio_uninit(&bio);
	return ret;
}
