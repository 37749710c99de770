// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/*
 * Case 5: one user page is kmap()ed and its kernel address kept in the
 * device across reads; the CPU formats records into it.  The release
 * takes the page back with kmap_to_page().  The file's only get and no
 * other page source: the page made from the address is the pinned one.
 */
struct demo_reader {
	char *mapped;
	char __user *ubuf;
};

static void demo_unmap_reader(struct demo_reader *r)
{
	if (r->mapped) {
		struct page *page = kmap_to_page(r->mapped);

		kunmap(page);
		put_page(page);
		r->mapped = NULL;
	}
}

static ssize_t demo_read(struct demo_reader *r, char __user *buf,
			 size_t count)
{
	struct page *page;
	int err;

	if (buf != r->ubuf) {
		demo_unmap_reader(r);
		err = get_user_pages_fast((unsigned long)buf, 1, FOLL_WRITE,
					  &page);
		if (err < 0)
			return err;
		r->mapped = kmap(page);
		r->ubuf = buf;
	}
	return scnprintf(r->mapped, count, "%d\n", demo_next_record());
}
