// SPDX-License-Identifier: GPL-2.0-only
// verdict: no-teardown
/* the pages array itself is a structure member */
static int demo_obj_pin(struct demo_obj *obj, struct device *dev,
			unsigned long uaddr)
{
	int i, got;

	got = get_user_pages_fast(uaddr, obj->n, FOLL_WRITE, obj->pages);
	if (got <= 0)
		return -EFAULT;
	for (i = 0; i < got; i++)
		obj->dma[i] = dma_map_page(dev, obj->pages[i], 0, PAGE_SIZE,
					   DMA_FROM_DEVICE);
	if (got != obj->n) {
		for (i = 0; i < got; i++)
			put_page(obj->pages[i]);
		return -EFAULT;
	}
	return 0;
}
