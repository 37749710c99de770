// SPDX-License-Identifier: GPL-2.0-only
// verdict: convert
/* physical addresses in a local descriptor list for a firmware DMA engine */
struct demo_desc {
	u64 addr;
	u64 len;
};

static int demo_fw_copy(unsigned long uaddr, int n, bool to_user)
{
	struct demo_desc *desc;
	struct page **pages;
	int i, pinned, ret;

	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	desc = kcalloc(n, sizeof(*desc), GFP_KERNEL);
	pinned = get_user_pages_fast(uaddr, n, to_user ? FOLL_WRITE : 0, pages);
	if (pinned != n) {
		ret = -EFAULT;
		goto out;
	}
	for (i = 0; i < n; i++) {
		desc[i].addr = page_to_phys(pages[i]);
		desc[i].len = PAGE_SIZE;
	}
	ret = demo_fw_memcpy(virt_to_phys(desc), n);
out:
	if (pinned > 0) {
		for (i = 0; i < pinned; i++)
			put_page(pages[i]);
	}
	kfree(desc);
	kfree(pages);
	return ret;
}
