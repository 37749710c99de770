// SPDX-License-Identifier: GPL-2.0-only
// verdict: not-local
/*
 * Direct I/O: the pages go into a bio that is returned through a
 * conditional expression and submitted; the bi_end_io callback of the
 * file gets the bio back from the block layer and drops the pages by
 * walking it.  demo_end_io() is not static: other files (demo_raw.c) set
 * it as the bi_end_io of their own bios, whose pages they did not pin.
 */
static void demo_bio_drop(struct bio *bio)
{
	struct bio_vec *bvec;
	struct bvec_iter_all iter;

	bio_for_each_segment_all(bvec, bio, iter)
		put_page(bvec->bv_page);
}

void demo_end_io(struct bio *bio)
{
	demo_bio_drop(bio);
	bio_put(bio);
}

static struct bio *demo_bio_build(unsigned long uaddr, int n)
{
	struct page *pages[16];
	struct bio *bio;
	int i, rc;

	bio = bio_alloc(NULL, n, REQ_OP_READ, GFP_KERNEL);
	bio->bi_end_io = demo_end_io;
	rc = get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (rc != n)
		goto out;
	rc = 0;
	for (i = 0; i < n; i++)
		bio_add_page(bio, pages[i], PAGE_SIZE, 0);
out:
	if (rc) {
		for (i = 0; i < rc; i++)
			put_page(pages[i]);
		bio_put(bio);
	}
	return rc ? ERR_PTR(-EFAULT) : bio;
}

static void demo_bio_submit(unsigned long uaddr, int n)
{
	struct bio *bio = demo_bio_build(uaddr, n);

	if (!IS_ERR(bio))
		submit_bio(bio);
}
