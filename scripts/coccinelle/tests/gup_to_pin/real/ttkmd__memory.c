// SPDX-FileCopyrightText: © 2024 Tenstorrent Inc.
// SPDX-License-Identifier: GPL-2.0-only

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/slab.h>
#include <linux/pci.h>
#include <linux/uaccess.h>
#include <linux/dma-mapping.h>
#include <linux/version.h>
#include <linux/iommu.h>
#include <linux/file.h>
#include <linux/vmalloc.h>
#include <linux/sched/mm.h>
#include <linux/dma-buf.h>
#include <linux/module.h>

#include "chardev_private.h"
#include "device.h"
#include "memory.h"
#include "ioctl.h"
#include "sg_helpers.h"
#include "tlb.h"

#define BAR0_SIZE (1UL << 29)

#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
static int pin_user_pages_fast_longterm(unsigned long start, int nr_pages, unsigned int gup_flags, struct page **pages)
{
	// vma array allocation removed in 52650c8b466bac399aec213c61d74bfe6f7af1a4.
	return pin_user_pages_fast(start, nr_pages, gup_flags | FOLL_LONGTERM, pages);
}
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(5, 6, 0)
static int pin_user_pages_fast_longterm(unsigned long start, int nr_pages, unsigned int gup_flags, struct page **pages)
{
	// Can't use pin_user_pages_fast(FOLL_LONGTERM) because it calls __gup_longterm_locked with vmas = NULL
	// which allocates a contiguous vmas array and that fails often.

	int ret;

	struct vm_area_struct **vmas = kvmalloc_array(nr_pages, sizeof(struct vm_area_struct *), GFP_KERNEL);
	if (vmas == NULL)
		return -ENOMEM;

	ret = pin_user_pages(start, nr_pages, gup_flags | FOLL_LONGTERM, pages, vmas);

	kvfree(vmas);
	return ret;
}
#else
static int pin_user_pages_fast_longterm(unsigned long start, int nr_pages, unsigned int gup_flags, struct page **pages)
{
	// Can't use get_user_pages_fast(FOLL_LONGTERM) because it calls __gup_longterm_locked with vmas = NULL
	// which allocates a contiguous vmas array and that fails often.

	int ret;

	struct vm_area_struct **vmas = kvmalloc_array(nr_pages, sizeof(struct vm_area_struct *), GFP_KERNEL);
	if (vmas == NULL)
		return -ENOMEM;

	ret = get_user_pages(start, nr_pages, gup_flags | FOLL_LONGTERM, pages, vmas);

	kvfree(vmas);
	return ret;
}
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 6, 0)
// unpin_user_pages_dirty_lock is provided by the kernel.
#else
static void unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages, bool make_dirty)
{
	put_user_pages_dirty_lock(pages, npages, make_dirty);
}
#endif

static void unpin_pinned_page_range(struct chardev_private *priv,
	struct pinned_page_range *pinning)
{
	enum dma_data_direction dir = pinning->read_only ? DMA_TO_DEVICE : DMA_BIDIRECTIONAL;

	teardown_outbound_iatu(priv, pinning->outbound_iatu_region);

	dma_unmap_sgtable(&priv->device->pdev->dev, &pinning->dma_mapping, dir, 0);
	free_chained_sgt(&pinning->dma_mapping);

	unpin_user_pages_dirty_lock(pinning->pages, pinning->page_count, !pinning->read_only);
	vfree(pinning->pages);

	list_del(&pinning->list);
	kfree(pinning);
}

long ioctl_pin_pages(struct chardev_private *priv,
		     struct tenstorrent_pin_pages __user *arg)
{
	const u32 valid_flags = TENSTORRENT_PIN_PAGES_CONTIGUOUS | TENSTORRENT_PIN_PAGES_NOC_DMA |
				TENSTORRENT_PIN_PAGES_NOC_TOP_DOWN | TENSTORRENT_PIN_PAGES_READ_ONLY;
	unsigned long nr_pages;
	struct page **pages;
	int pages_pinned;
	struct pinned_page_range *pinning;
	struct sg_table dma_mapping = {};
	long ret;
	u32 bytes_to_copy;
	u64 noc_address = 0;
	int iatu_region = -1;
	bool noc_dma = false;
	bool top_down = false;
	bool read_only = false;
	unsigned int gup_flags;
	enum dma_data_direction dir;

	struct tenstorrent_pin_pages_in in;
	struct tenstorrent_pin_pages_out_extended out;
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));

	if (copy_from_user(&in, &arg->in, sizeof(in)) != 0)
		return -EFAULT;

	if (clear_user(&arg->out, in.output_size_bytes) != 0)
		return -EFAULT;

	if (in.flags & ~valid_flags)
		return -EINVAL;

	if (!PAGE_ALIGNED(in.virtual_address) || !PAGE_ALIGNED(in.size) || in.size == 0)
		return -EINVAL;

	if (!is_pin_pages_size_safe(in.size))
		return -EINVAL;

	noc_dma = in.flags & (TENSTORRENT_PIN_PAGES_NOC_DMA | TENSTORRENT_PIN_PAGES_NOC_TOP_DOWN);
	top_down = in.flags & TENSTORRENT_PIN_PAGES_NOC_TOP_DOWN;
	read_only = in.flags & TENSTORRENT_PIN_PAGES_READ_ONLY;

	if (read_only && !is_iommu_translated(&priv->device->pdev->dev))
		return -EOPNOTSUPP;

	gup_flags = read_only ? 0 : FOLL_WRITE;
	dir = read_only ? DMA_TO_DEVICE : DMA_BIDIRECTIONAL;

	mutex_lock(&priv->mutex);

	// Block duplicate (VA/size) pinnings. Prevents ambiguity in UNPIN_PAGES
	// regarding iATU teardown if the same range were pinned multiple times with
	// different NOC_DMA flags.
	list_for_each_entry(pinning, &priv->pinnings, list) {
		if (pinning->virtual_address == in.virtual_address &&
		    pinning->page_count == PAGE_ALIGN(in.size) >> PAGE_SHIFT) {
			mutex_unlock(&priv->mutex);
			return -EEXIST;
		}
	}

	pinning = kmalloc(sizeof(*pinning), GFP_KERNEL);
	if (!pinning) {
		mutex_unlock(&priv->mutex);
		return -ENOMEM;
	}

	nr_pages = PAGE_ALIGN(in.size) >> PAGE_SHIFT;
	pages = vzalloc(nr_pages * sizeof(struct page *));
	if (!pages) {
		dev_err(&priv->device->pdev->dev, "vzalloc failed for %lu page pointers\n", nr_pages);
		ret = -ENOMEM;
		goto err_free_pinning;
	}

	pages_pinned = pin_user_pages_fast_longterm(in.virtual_address, nr_pages, gup_flags, pages);
	if (pages_pinned < 0) {
		dev_warn(&priv->device->pdev->dev, "pin_user_pages_longterm failed: %d\n", pages_pinned);
		ret = pages_pinned;
		goto err_vfree_pages;
	}

	if (pages_pinned != nr_pages) {
		dev_err(&priv->device->pdev->dev, "could only pin %d of %lu pages\n", pages_pinned, nr_pages);
		ret = -EINVAL;
		goto err_unpin_pages;
	}

	if (is_iommu_translated(&priv->device->pdev->dev)) {
		struct scatterlist *sg;
		unsigned int i;
		dma_addr_t expected_next_address;
		unsigned long total_dma_len = 0;

		if (!alloc_chained_sgt_for_pages(&dma_mapping, pages, nr_pages)) {
			dev_warn(&priv->device->pdev->dev,
				 "alloc_chained_sgt_for_pages failed for %lu pages, probably out of memory\n", nr_pages);
			ret = -ENOMEM;
			goto err_unpin_pages;
		}

		ret = dma_map_sgtable(&priv->device->pdev->dev, &dma_mapping, dir, 0);

		if (ret != 0) {
			dev_err(&priv->device->pdev->dev, "dma_map_sg failed\n");
			goto err_unlock_priv;
		}

		// This can only happen due to a misconfiguration or a bug.
		for_each_sgtable_dma_sg((&dma_mapping), sg, i) {
			if (i > 0 && sg_dma_address(sg) != expected_next_address) {
				dev_err(&priv->device->pdev->dev, "discontiguous mapping\n");
				ret = -EINVAL;
			}

			expected_next_address = sg_dma_address(sg) + sg_dma_len(sg);
			total_dma_len += sg_dma_len(sg);
		}

		if (total_dma_len != nr_pages * PAGE_SIZE) {
			dev_err(&priv->device->pdev->dev, "dma-mapped (%lX) != original length (%lX)\n",
				total_dma_len, nr_pages * PAGE_SIZE);
			ret = -EINVAL;
		}

		if (ret != 0) {
			debug_print_sgtable(&priv->device->pdev->dev, &dma_mapping);
			goto err_dma_unmap;
		}

		out.physical_address = sg_dma_address(dma_mapping.sgl);

		if (noc_dma) {
			ret = setup_noc_dma(priv, top_down, in.size, out.physical_address, &noc_address);

			if (ret < 0)
				goto err_dma_unmap;
			iatu_region = ret;
		}
	} else {
		int i;

		for (i = 1; i < pages_pinned; i++) {
			if (page_to_pfn(pages[i]) != page_to_pfn(pages[i-1]) + 1) {
				dev_err(&priv->device->pdev->dev, "pages discontiguous at %d\n", i);
				ret = -EINVAL;
				goto err_unpin_pages;
			}
		}

		out.physical_address = page_to_phys(pages[0]);

		if (noc_dma) {
			ret = setup_noc_dma(priv, top_down, in.size, out.physical_address, &noc_address);

			if (ret < 0)
				goto err_unpin_pages;
			iatu_region = ret;
		}
	}

	out.noc_address = noc_address;
	bytes_to_copy = min(in.output_size_bytes, (u32)sizeof(out));

	if (copy_to_user(&arg->out, &out, bytes_to_copy) != 0) {
		ret = -EFAULT;
		goto err_teardown_iatu;
	}

	pinning->page_count = nr_pages;
	pinning->pages = pages;
	pinning->dma_mapping = dma_mapping;
	pinning->virtual_address = in.virtual_address;
	pinning->outbound_iatu_region = iatu_region;
	pinning->read_only = read_only;

	list_add(&pinning->list, &priv->pinnings);
	mutex_unlock(&priv->mutex);

	return 0;

err_teardown_iatu:
	// teardown_outbound_iatu is a no-op when iatu_region == -1.
	// dma_unmap_sgtable and free_chained_sgt are no-ops on the
	// zero-initialized dma_mapping from the non-IOMMU path.
	teardown_outbound_iatu(priv, iatu_region);
err_dma_unmap:
	dma_unmap_sgtable(&priv->device->pdev->dev, &dma_mapping, dir, 0);
err_unlock_priv:
	free_chained_sgt(&dma_mapping);
err_unpin_pages:
	unpin_user_pages_dirty_lock(pages, pages_pinned, false);
err_vfree_pages:
	vfree(pages);
err_free_pinning:
	kfree(pinning);
	mutex_unlock(&priv->mutex);
	return ret;
}
