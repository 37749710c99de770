/*
 * Copyright (c) 2019, NVIDIA CORPORATION.  All rights reserved.
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms and conditions of the GNU General Public License,
 * version 2, as published by the Free Software Foundation.
 *
 * This program is distributed in the hope it will be useful, but WITHOUT
 * ANY WARRANTY; without even the implied warranty of MERCHANTABILITY or
 * FITNESS FOR A PARTICULAR PURPOSE.  See the GNU General Public License for
 * more details.
 */

#include <linux/cdev.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#ifndef NV_BUILD_NO_CUDA
#ifdef NV_BUILD_DGPU
#include <nv-p2p.h>
#else
#include <linux/nv-p2p.h>
#endif
#endif

#include "picoevb-rdma-ioctl.h"
#include "picoevb-rdma.h"

#define MODULENAME	"picoevb-rdma"

#define BAR_GPIO	0
#define BAR_DMA		1

struct pevb_drvdata {
	u32 num_h2c_chans;
	u64 fpga_ram_size;
};

struct pevb {
	struct pci_dev			*pdev;
	struct device			*dev;
	const struct pevb_drvdata	*drvdata;
	struct device			*devnode;
	struct device_dma_parameters	dma_params;
	dev_t				devt;
	struct cdev			cdev;
	void __iomem * const		*iomap;
	struct semaphore		sem;
	void				*descs_ptr;
	dma_addr_t			descs_dma_addr;
	struct completion		dma_xfer_cmpl;
	bool				h2c_error;
	bool				c2h_error;
};

struct pevb_file {
	struct pevb	*pevb;
	struct mutex	lock;
	struct idr	cuda_surfaces;
};

#ifndef NV_BUILD_NO_CUDA
struct pevb_cuda_surface {
	struct pevb_file		*pevb_file;
	u64				va;
	u64				offset;
	u64				len;
	int				handle;
	struct nvidia_p2p_page_table	*page_table;
};
#endif

struct pevb_userbuf_dma {
	dma_addr_t	addr;
	u64		len;
};

struct pevb_userbuf {
#ifndef NV_BUILD_NO_CUDA
	bool cuda;
#endif
	int n_dmas;
	struct pevb_userbuf_dma *dmas;

	union {
		struct {
			int to_dev;
			int pagecount;
			struct page **pages;
			struct sg_table *sgt;
			int map_ret;
		} pages;
#ifndef NV_BUILD_NO_CUDA
		struct {
			struct pevb_cuda_surface *cusurf;
			struct nvidia_p2p_dma_mapping *map;
		} cuda;
#endif
	} priv;
};

static void pevb_userbuf_add_dma_chunk(struct pevb_userbuf *ubuf,
	dma_addr_t addr, u64 len)
{
	struct pevb_userbuf_dma *dma;
	dma_addr_t end;

	if (ubuf->n_dmas) {
		dma = &ubuf->dmas[ubuf->n_dmas - 1];
		end = dma->addr + dma->len;
		if (addr == end) {
			dma->len += len;
			return;
		}
	}

	dma = &ubuf->dmas[ubuf->n_dmas];
	dma->addr = addr;
	dma->len = len;
	ubuf->n_dmas++;
}

static int pevb_get_userbuf_pages(struct pevb *pevb, struct pevb_userbuf *ubuf,
	__u64 src, __u64 len, int to_dev)
{
	unsigned long offset;
	unsigned long start;
	unsigned long end;
	int nr_pages, ret, i;
	struct scatterlist *sg;

#ifndef NV_BUILD_NO_CUDA
	ubuf->cuda = false;
#endif

	ubuf->priv.pages.to_dev = to_dev;

	offset = offset_in_page(src);
	start = src - offset;
	end = src + len;
	nr_pages = (end - start + PAGE_SIZE - 1) >> PAGE_SHIFT;

	ubuf->priv.pages.pages = kmalloc_array(nr_pages,
		sizeof(*ubuf->priv.pages.pages), GFP_KERNEL);
	if (!ubuf->priv.pages.pages)
		return -ENOMEM;

	ubuf->priv.pages.pagecount = get_user_pages(
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 6, 0)
		current, current->mm,
#endif
		start, nr_pages,
		to_dev ? 0 : FOLL_WRITE,
#if 0 /* CentOS 6 backport; can't be detected via kernel version */
                0, /* force */
#endif
		ubuf->priv.pages.pages, NULL);
	if (ubuf->priv.pages.pagecount != nr_pages) {
		if (ubuf->priv.pages.pagecount < 0)
			return ubuf->priv.pages.pagecount;
		else
			return -EFAULT;
	}

	ubuf->priv.pages.sgt = kzalloc(sizeof(*ubuf->priv.pages.sgt),
		GFP_KERNEL);
	if (!ubuf->priv.pages.sgt)
		return -ENOMEM;

	ret = sg_alloc_table_from_pages(ubuf->priv.pages.sgt,
		ubuf->priv.pages.pages, nr_pages, offset, len, GFP_KERNEL);
	if (ret)
		return ret;

	ubuf->priv.pages.map_ret = dma_map_sg(&pevb->pdev->dev,
		ubuf->priv.pages.sgt->sgl, ubuf->priv.pages.sgt->nents,
		to_dev ? DMA_TO_DEVICE : DMA_FROM_DEVICE);
	if (!ubuf->priv.pages.map_ret)
		return -EFAULT;

	ubuf->dmas = kmalloc_array(ubuf->priv.pages.map_ret,
		sizeof(*ubuf->dmas), GFP_KERNEL);
	if (!ubuf->dmas)
		return -ENOMEM;

	for_each_sg(ubuf->priv.pages.sgt->sgl, sg, ubuf->priv.pages.map_ret, i)
		pevb_userbuf_add_dma_chunk(ubuf, sg_dma_address(sg),
			sg_dma_len(sg));

	return 0;
}

static void pevb_put_userbuf_pages(struct pevb *pevb, struct pevb_userbuf *ubuf)
{
	if (ubuf->priv.pages.map_ret)
		dma_unmap_sg(&pevb->pdev->dev, ubuf->priv.pages.sgt->sgl,
			ubuf->priv.pages.sgt->nents,
			ubuf->priv.pages.to_dev ?
				DMA_TO_DEVICE : DMA_FROM_DEVICE);
	if (ubuf->priv.pages.sgt)
		sg_free_table(ubuf->priv.pages.sgt);
	release_pages(ubuf->priv.pages.pages, ubuf->priv.pages.pagecount
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 15, 0)
		, 0
#endif
	);
	kfree(ubuf->priv.pages.pages);
}

#ifndef NV_BUILD_NO_CUDA
static void pevb_put_userbuf_cuda(struct pevb *pevb, struct pevb_userbuf *ubuf)
{
	if (ubuf->priv.cuda.map)
#ifdef NV_BUILD_DGPU
		nvidia_p2p_dma_unmap_pages(pevb->pdev,
			ubuf->priv.cuda.cusurf->page_table,
			ubuf->priv.cuda.map);
#else
		nvidia_p2p_dma_unmap_pages(ubuf->priv.cuda.map);
#endif
}
#endif

static void pevb_put_userbuf(struct pevb *pevb, struct pevb_userbuf *ubuf)
{
#ifndef NV_BUILD_NO_CUDA
	if (ubuf->cuda)
		pevb_put_userbuf_cuda(pevb, ubuf);
	else
#endif
		pevb_put_userbuf_pages(pevb, ubuf);
	kfree(ubuf->dmas);
}

#define C2H_VALID_FLAGS ( \
	PICOEVB_C2H_DMA_FLAG_DST_IS_CUDA \
)

static int pevb_ioctl_c2h_dma(struct pevb_file *pevb_file, unsigned long arg)
{
	struct pevb *pevb = pevb_file->pevb;
	void __user *argp = (void __user *)arg;
	struct picoevb_rdma_c2h_dma dma_params;
	struct pevb_userbuf dst_ubuf = {0};
	int ret;
	u64 ts, te;

	if (copy_from_user(&dma_params, argp, sizeof(dma_params)))
		return -EFAULT;

	if (dma_params.flags & ~C2H_VALID_FLAGS)
		return -EINVAL;

	if (dma_params.src + dma_params.len > pevb->drvdata->fpga_ram_size)
		return -EINVAL;

	mutex_lock(&pevb_file->lock);

	if (dma_params.flags & PICOEVB_C2H_DMA_FLAG_DST_IS_CUDA)
#ifndef NV_BUILD_NO_CUDA
		ret = pevb_get_userbuf_cuda(pevb_file, &dst_ubuf,
			dma_params.dst, dma_params.len, 0);
#else
		ret = -EINVAL;
#endif
	else
		ret = pevb_get_userbuf_pages(pevb, &dst_ubuf, dma_params.dst,
			dma_params.len, 0);
	if (ret)
		goto put_userbuf_dst;

	ts = ktime_get_ns();
	ret = pevb_dma_c2h_multi(pevb, dma_params.src, &dst_ubuf, dma_params.len);
	te = ktime_get_ns();
	if (ret)
		goto put_userbuf_dst;

	dma_params.dma_time_ns = te - ts;
	ret = copy_to_user(argp, &dma_params, sizeof(dma_params));

	/* fall-through for cleanup */

put_userbuf_dst:
	pevb_put_userbuf(pevb, &dst_ubuf);
	mutex_unlock(&pevb_file->lock);

	return ret;
}
