#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/uaccess.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/pagemap.h>
#include <linux/scatterlist.h>
#include <linux/dma-mapping.h>
#include <linux/vmalloc.h>
#include <linux/version.h>
#include <linux/delay.h>
#include <asm/page.h>
#include <linux/io.h>
#include "bm_common.h"
#include "bm_cdma.h"
#include "bm_memcpy.h"
#include "bm1684_smmu.h"
#include "bm1684_cdma.h"
#include "bm1684_reg.h"

#ifdef SOC_MODE
#include <linux/reset.h>
#include <linux/clk.h>
#endif

int bm1684_disable_iommu(struct iommu_ctrl *ctrl);
static int bm_bo_create(struct bm_buffer_object **bo, struct iommu_region *iommu)
{
	struct bm_buffer_object *bbo = NULL;

	if ((iommu->user_start == 0) || (iommu->user_size == 0)) {
		pr_err("invalid parameters %lld %d.\n", iommu->user_start, iommu->user_size);
		return -EINVAL;
	}

	bbo = kzalloc(sizeof(struct bm_buffer_object), GFP_KERNEL);
	if (!bbo) {
		pr_err("alloc mem for bm buffer object failed.\n");
		return -ENOMEM;
	}

	bbo->iommu = *iommu;
	bbo->nr_pages = bbo->iommu.real_num;
	bbo->pages = kcalloc(bbo->nr_pages, sizeof(struct page *), GFP_KERNEL);
	if (!bbo->pages) {
		pr_err("alloc mem for struct page pointer failed.\n");
		kfree(bbo);
		return -ENOMEM;
	}

	INIT_LIST_HEAD(&bbo->entry);
	*bo = bbo;
	return 0;
}

static int bm_bo_release(struct bm_buffer_object *bo)
{
	kfree(bo->pages);
	kfree(bo);
	return 0;
}

/* 1. get physical page address for VA
 * 2. alloc sg_table for merge adjacent page to single page entry represent by scatterlist
 * 3. map page entry scatterlist to DMA address space
 * 3. assign DMA physical address for each iommu page entry
 * 4. write page entries to device
 */
static int bm_setup_iommu_pages(struct iommu_ctrl *ctrl, struct bm_buffer_object *bo)
{
	int ret = 0, i, entry_idx = 0;
	long page_done;
	struct scatterlist *sg;
	struct bm1684_iommu_entry *last_entry = NULL;

	if (bo->pages == NULL || bo->nr_pages == 0 ||
			bo->iommu.user_start == 0 || bo->iommu.user_size == 0 ||
			bo->iommu.real_size == 0)
		ret = -EINVAL;
	if (bo->iommu.start_aligned == 0 || bo->iommu.start_aligned & (PAGE_SIZE - 1))
		ret = -EINVAL;
	if (ret) {
		dev_err(ctrl->device, "invalid IOMMU config: [0x%llx / 0x%llx] [%d / %d] (%d) [%d / %d] [%p %ld]\n",
				bo->iommu.user_start, bo->iommu.start_aligned,
				bo->iommu.user_size, bo->iommu.real_size,
				bo->iommu.dma_task_id,
				bo->iommu.entry_start, bo->iommu.real_num,
				bo->pages, bo->nr_pages);
		return ret;
	}


#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	page_done = get_user_pages(bo->iommu.start_aligned, bo->nr_pages,
			bo->iommu.is_dst == 1 ? 1 : 0, // dst need write, src only need read
			bo->pages);
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(4, 9, 0)
	page_done = get_user_pages(bo->iommu.start_aligned, bo->nr_pages,
			bo->iommu.is_dst == 1 ? 1 : 0, // dst need write, src only need read
			bo->pages, NULL);
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(4, 6, 0)
	page_done = get_user_pages(bo->iommu.start_aligned, bo->nr_pages,
			bo->iommu.is_dst == 1 ? 1 : 0, // dst need write, src only need read
			0, bo->pages, NULL);
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(4, 5, 0)
	page_done = get_user_pages(current, current->mm, bo->iommu.start_aligned, bo->nr_pages,
			bo->iommu.is_dst == 1 ? 1 : 0, // dst need write, src only need read
			0, bo->pages, NULL);
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(4, 4, 168)
	page_done = get_user_pages(current, current->mm, bo->iommu.start_aligned, bo->nr_pages,
			bo->iommu.is_dst == 1 ? 1 : 0, // dst need write, src only need read
			bo->pages, NULL);
#else
	page_done = get_user_pages(current, current->mm, bo->iommu.start_aligned, bo->nr_pages,
			bo->iommu.is_dst == 1 ? 1 : 0, // dst need write, src only need read
			0, bo->pages, NULL);
#endif

	if (page_done != bo->nr_pages) {
		dev_err(ctrl->device, "get_user_pages returned %ld against %ld\n", page_done, bo->nr_pages);
		if (page_done > 0)
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 15, 0)
			release_pages(bo->pages, page_done);
#else
		release_pages(bo->pages, page_done, 0);
#endif
		ret = -EFAULT;
		goto fail;
	}

	ret = sg_alloc_table_from_pages(&bo->sgt, bo->pages, bo->nr_pages,
			bo->iommu.user_start & ~PAGE_MASK,
			bo->iommu.real_size,
			GFP_KERNEL);
	if (ret) {
		dev_err(ctrl->device, "sg_alloc_table_from_pages failed %d\n", ret);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 15, 0)
		release_pages(bo->pages, bo->nr_pages);
#else
		release_pages(bo->pages, bo->nr_pages, 0);
#endif
		ret = -EFAULT;
		goto fail;
	}

	ret = dma_map_sg(ctrl->device, bo->sgt.sgl, bo->sgt.nents,
			bo->iommu.dir == HOST2CHIP ? DMA_TO_DEVICE : DMA_FROM_DEVICE);

	if (ret == 0) {
		dev_err(ctrl->device, "dma_map_sg failed\n");
		sg_free_table(&bo->sgt);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 15, 0)
		release_pages(bo->pages, bo->nr_pages);
#else
		release_pages(bo->pages, bo->nr_pages, 0);
#endif
		ret = -EFAULT;
		goto fail;
	} else {
		bo->sgt.nents = ret;
	}

	for_each_sg(bo->sgt.sgl, sg, bo->sgt.nents, i) {
		dma_addr_t start_aligned = round_down(sg_dma_address(sg), PAGE_SIZE);
		dma_addr_t end_aligned = round_up(sg_dma_address(sg) + sg_dma_len(sg), PAGE_SIZE);
		int j;
		for (j = 0; j < (end_aligned - start_aligned) / PAGE_SIZE; j++) {
			struct bm1684_iommu_entry *entry = ctrl->host_entry_base_vaddr + sizeof(struct bm1684_iommu_entry) * (bo->iommu.entry_start + entry_idx);
			dma_addr_t paddr = (start_aligned + j * PAGE_SIZE);
#ifndef SOC_MODE
			entry->paddr = paddr >> PAGE_SHIFT;
#else
			entry->paddr = ((paddr >> PAGE_SHIFT) | (0x3f << (36 - PAGE_SHIFT)));
#endif
			entry->valid = 1;
			last_entry = entry;

			entry_idx++;
		}
	}

	/* DMA stop transfer when hit this flag, used to separate per thread bmVA sapce */
	last_entry->dma_task_end = 1;

	iommu_validate_entries_to_device(ctrl, bo->iommu.entry_start, bo->iommu.real_num);

fail:
	return ret;
}

static int bm_free_iommu_pages(struct  iommu_ctrl *ctrl, struct bm_buffer_object *bo)
{
	int ret = 0, i;
	if (bo->iommu.entry_start < 0 || bo->iommu.real_num <= 0)
		return -EINVAL;

	for (i = 0; i < bo->iommu.real_num; i++) {
		struct bm1684_iommu_entry *entry = ctrl->host_entry_base_vaddr + sizeof(struct bm1684_iommu_entry) * (bo->iommu.entry_start + i);

		entry->valid = 0;
	}
	dma_unmap_sg(ctrl->device, bo->sgt.sgl, bo->sgt.nents,
			bo->iommu.dir == HOST2CHIP ? DMA_TO_DEVICE : DMA_FROM_DEVICE);
	sg_free_table(&bo->sgt);

#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 15, 0)
	release_pages(bo->pages, bo->nr_pages);
#else
	release_pages(bo->pages, bo->nr_pages, 0);
#endif

	iommu_invalidate_entries_to_device(ctrl, bo->iommu.entry_start, bo->iommu.real_num);

	return ret;
}

int bm1684_enable_smmu_transfer(struct bm_memcpy_info *memcpy_info, struct iommu_region *iommu_rgn_src, struct iommu_region *iommu_rgn_dst, struct bm_buffer_object **bo_buffer)
{
	int ret = 0;
	struct iommu_region *raw_rgn = iommu_rgn_dst;
	struct iommu_region *bo_rgn = iommu_rgn_src;

	if (iommu_rgn_src->dir == DMA_D2H) {
		raw_rgn = iommu_rgn_src;
		bo_rgn = iommu_rgn_dst;
	}

	ret = bm_demand_iommu_entries(&memcpy_info->iommuctl, iommu_rgn_src, iommu_rgn_dst);
	if (ret != 0) {
		// how to recover???
		dev_err(memcpy_info->iommuctl.device, "alloc iommu failed! %d\n", ret);
		ret = -ENOMEM;
		return ret;
	}

	ret = bm_bo_create(bo_buffer, bo_rgn);
	if (ret != 0) {
		dev_err(memcpy_info->iommuctl.device, "bm_bo_create src failed %d\n", ret);
		ret = -ENOMEM;
		return ret;
	}

	ret = bm_setup_iommu_pages(&memcpy_info->iommuctl, *bo_buffer);

	if (ret < 0) {
		list_del(&(*bo_buffer)->entry);
		bm_bo_release(*bo_buffer);
		dev_err(memcpy_info->iommuctl.device, "bm_setup_iommu_pages src failed %d\n", ret);
		ret = -EIO;
		return ret;
	}

	if (ret > 0)
		ret = 0;

	bm_setup_raw_iommu_pages(&memcpy_info->iommuctl, raw_rgn);
	bmdev_enable_iommu(&memcpy_info->iommuctl);
	return ret;
}

int bm1684_disable_smmu_transfer(struct bm_memcpy_info *memcpy_info, struct iommu_region *iommu_rgn_src, struct iommu_region *iommu_rgn_dst, struct bm_buffer_object **bo_buffer)
{
	int ret = 0;
	struct iommu_region *raw_rgn = iommu_rgn_dst;

	if (iommu_rgn_src->dir == DMA_D2H)
		raw_rgn = iommu_rgn_src;

	bm1684_disable_iommu(&memcpy_info->iommuctl);
	ret = bm_free_iommu_pages(&memcpy_info->iommuctl, *bo_buffer);
	if (ret) {
		dev_err(memcpy_info->iommuctl.device, "bm_free_src_iommu_pages failed %d", ret);
		ret = -EFAULT;
	}
	ret = bm_free_raw_iommu_pages(&memcpy_info->iommuctl, raw_rgn);
	if (ret) {
		dev_err(memcpy_info->iommuctl.device, "bm_free_dst_iommu_pages failed %d", ret);
		ret = -EFAULT;
	}
	ret = bm_bo_release(*bo_buffer);
	if (ret) {
		dev_err(memcpy_info->iommuctl.device, "bm_bo_src_release failed %d", ret);
		ret = -EFAULT;
	}
	ret = bm_release_iommu_entries(&memcpy_info->iommuctl, iommu_rgn_src, iommu_rgn_dst);
	if (ret) {
		dev_err(memcpy_info->iommuctl.device, "bm_release_iommu_entries failed %d\n", ret);
		return -EFAULT;
	}

	return  ret;
}
