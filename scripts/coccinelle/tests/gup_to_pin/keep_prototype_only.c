// SPDX-License-Identifier: GPL-2.0-only
/* declarations and comments only: get_user_pages_fast() is mentioned */
long get_user_pages(unsigned long start, unsigned long nr_pages,
		    unsigned int gup_flags, struct page **pages);
int get_user_pages_fast(unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages);
