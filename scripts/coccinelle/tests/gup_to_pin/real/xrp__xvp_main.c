/*
 * XRP: Linux device driver for Xtensa Remote Processing
 *
 * Copyright (c) 2015 - 2017 Cadence Design Systems, Inc.
 *
 * License: Dual MIT/GPL.
 */

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/firmware.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <linux/of_device.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <asm/cacheflush.h>
#include <asm/mman.h>
#include <asm/uaccess.h>
#include "xrp_address_map.h"
#include "xrp_alloc.h"
#include "xrp_hw.h"
#include "xrp_kernel_defs.h"
#include "xrp_kernel_dsp_interface.h"

#define DRIVER_NAME "xrp"
#define XVP_TIMEOUT_JIFFIES (HZ * 10)

struct xvp;
struct xvp_file;

struct xvp_alien_mapping {
	unsigned long vaddr;
	unsigned long size;
	phys_addr_t paddr;
	void *allocation;
	enum {
		ALIEN_GUP,
		ALIEN_PFN_MAP,
		ALIEN_COPY,
	} type;
};

struct xrp_mapping {
	enum {
		XRP_MAPPING_NONE,
		XRP_MAPPING_NATIVE,
		XRP_MAPPING_ALIEN,
		XRP_MAPPING_KERNEL,
	} type;
	union {
		struct xrp_allocation *xrp_allocation;
		struct xvp_alien_mapping *xvp_alien_mapping;
	};
};

struct xvp {
	struct device *dev;
	const char *firmware_name;
	const struct firmware *firmware;
	struct miscdevice miscdev;
	const struct xrp_hw_ops *hw_ops;
	void *hw_arg;

	void __iomem *comm;
	phys_addr_t pmem;
	phys_addr_t comm_phys;

	struct xrp_address_map address_map;

	bool host_irq_mode;
	struct completion completion;

	struct xrp_allocation_pool pool;
	struct mutex comm_lock;
};

struct xvp_file {
	struct xvp *xvp;
	spinlock_t busy_list_lock;
	struct xrp_allocation *busy_list;
};

static struct xvp_alien_mapping *
xvp_alien_mapping_create(struct xvp_alien_mapping mapping)
{
	struct xvp_alien_mapping *alien_mapping =
		kmalloc(sizeof(*alien_mapping), GFP_KERNEL);

	if (!alien_mapping)
		return NULL;

	*alien_mapping = mapping;
	return alien_mapping;
}

static void xvp_alien_mapping_destroy(struct xvp_alien_mapping *alien_mapping)
{
	int i;
	struct page *page;
	int nr_pages;

	switch (alien_mapping->type) {
	case ALIEN_GUP:
		page = pfn_to_page(__phys_to_pfn(alien_mapping->paddr));
		nr_pages =
			((alien_mapping->vaddr + alien_mapping->size +
			  PAGE_SIZE - 1) >> PAGE_SHIFT) -
			(alien_mapping->vaddr >> PAGE_SHIFT);
		for (i = 0; i < nr_pages; ++i)
			put_page(page + i);
		break;
	case ALIEN_COPY:
		xrp_allocation_put(alien_mapping->allocation);
		break;
	default:
		break;
	}
	kfree(alien_mapping);
}

static long xvp_gup_virt_to_phys(struct xvp_file *xvp_file,
				 unsigned long vaddr, unsigned long size,
				 phys_addr_t *paddr,
				 struct xvp_alien_mapping **mapping)
{
	int ret;
	int i;
	int nr_pages =
		((vaddr + size + PAGE_SIZE - 1) >> PAGE_SHIFT) -
		(vaddr >> PAGE_SHIFT);
	struct page **page = kmalloc(nr_pages * sizeof(void *), GFP_KERNEL);
	const struct xrp_address_map_entry *address_map;
	struct xvp_alien_mapping *alien_mapping;

	if (!page)
		return -ENOMEM;

	ret = get_user_pages_fast(vaddr, nr_pages, 1, page);
	if (ret < 0)
		goto out;

	if (ret < nr_pages) {
		pr_debug("%s: asked for %d pages, but got only %d\n",
			 __func__, nr_pages, ret);
		nr_pages = ret;
		ret = -EINVAL;
		goto out_put;
	}

	address_map = xrp_get_address_mapping(&xvp_file->xvp->address_map,
					      page_to_phys(page[0]));
	if (!address_map) {
		phys_addr_t addr = page_to_phys(page[0]);
		pr_debug("%s: untranslatable addr: %pap\n",
			 __func__, &addr);
		ret = -EINVAL;
		goto out_put;
	}

	for (i = 1; i < nr_pages; ++i) {
		phys_addr_t addr;

		if (page[i] != page[i - 1] + 1) {
			pr_debug("%s: non-contiguous physical memory\n",
				 __func__);
			ret = -EINVAL;
			goto out_put;
		}
		addr = page_to_phys(page[i]);
		if (xrp_compare_address(addr, address_map)) {
			pr_debug("%s: untranslatable addr: %pap\n",
				 __func__, &addr);
			ret = -EINVAL;
			goto out_put;
		}
	}

	*paddr = __pfn_to_phys(page_to_pfn(page[0])) + (vaddr & ~PAGE_MASK);
	alien_mapping = xvp_alien_mapping_create((struct xvp_alien_mapping){
						 .vaddr = vaddr,
						 .size = size,
						 .paddr = *paddr,
						 .type = ALIEN_GUP,
						 });
	if (!alien_mapping) {
		ret = -ENOMEM;
		goto out_put;
	}

	*mapping = alien_mapping;
	ret = 0;
	pr_debug("%s: success, paddr: %pap\n", __func__, paddr);

out_put:
	if (ret < 0)
		for (i = 0; i < nr_pages; ++i)
			put_page(page[i]);
out:
	kfree(page);
	return ret;
}
