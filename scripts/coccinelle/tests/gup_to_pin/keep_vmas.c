// SPDX-License-Identifier: GPL-2.0-only
// verdict: vmas
/* a vmas array: 6.12 has no slot for it */
static int demo_vmas(struct device *dev, unsigned long uaddr)
{
	struct vm_area_struct *vma;
	struct page *page;

	if (get_user_pages(uaddr, 1, FOLL_WRITE, &page, &vma) != 1)
		return -EFAULT;
	if (vma->vm_flags & VM_IO) {
		put_page(page);
		return -EINVAL;
	}
	demo_push(dev, dma_map_page(dev, page, 0, PAGE_SIZE, DMA_FROM_DEVICE));
	put_page(page);
	return 0;
}
