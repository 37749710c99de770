// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright 2020, Amazon.com, Inc. or its affiliates. All Rights Reserved
 */

#define pr_fmt(fmt) "%s:%s: " fmt, KBUILD_MODNAME, __func__

#include <linux/string.h>
#include <linux/delay.h>
#include <linux/fault-inject.h>
#include <linux/mm.h>

#include "udma/udma.h"
#include "neuron_trace.h"
#include "neuron_device.h"
#include "neuron_dma.h"
#include "neuron_mempool.h"
#include "neuron_dhal.h"
#include "neuron_pci.h"

#ifdef CONFIG_FAULT_INJECTION
DECLARE_FAULT_ATTR(neuron_fail_dma_wait);
#endif


//#define NUNUSED	__attribute__ ((unused))

struct neuron_device;

/**
 * ndma_prefetch_user_pages()
 *
 *    Prefetch user buffer.
 *
 */
static int ndma_prefetch_user_pages( unsigned long start, int nr_pages)
{
	int nr_pinned;
	struct page **p = NULL;
	unsigned int gup_flags = FOLL_WRITE;

	// we technically check access here.

	p = kcalloc( nr_pages, sizeof(struct page *), GFP_KERNEL);

	if (!p) {
		pr_info("failed to allocate memory\n");
		return -ENOMEM;
	}

	nr_pinned = get_user_pages_fast( start, nr_pages, gup_flags, p);
	if (nr_pinned > 0) {
		int i;
		for (i = 0; i < nr_pinned; i++) {
			put_page(p[i]); // need to decide if we put page here or do it later.  If we do it later, need to grab context
		}
	} else {
		pr_info("prefetch failed\n");
	}

	kfree(p);

	return 0;
}


static inline int _ndma_prefetch_user_pages( unsigned long start, int len)
{
	const unsigned long offset = start & (PAGE_SIZE-1);
	int nr_pages = DIV_ROUND_UP(offset + len, PAGE_SIZE);

	return ndma_prefetch_user_pages( start & PAGE_MASK, nr_pages);
}

/** 
 *   
 * Common function for dma content from src to dst
 * if smove is set then the source offset will keep changing after every max desc size is copied
 * if dmove is set then the dest offset will keep changing after every max desc size is copied
 *
 */
static int ndma_memcpy_offset_move(struct neuron_device *nd, u32 nc_id, dma_addr_t src, dma_addr_t dst, u64 size, bool smove, bool dmove, 
		                           u64 prefetch_addr, int pwait_handle, int wait_handle)
{
	int ret = 0;

	const int eng_id = ndhal->ndhal_ndmar.ndmar_get_h2t_eng_id(nd, nc_id);
	// for v2 the last one is reserved for collectives
	const int qid = ndhal->ndhal_ndmar.ndmar_get_h2t_qid(nc_id);

	struct ndma_eng   *eng   = &nd->ndma_engine[eng_id];
	struct ndma_queue *queue = &eng->queues[qid];
	struct ndma_ring  *ring  = &queue->ring_info;

	struct ndma_h2t_dma_context * dma_ctx  = ndma_get_dma_ctx( eng, ring, wait_handle);
	struct ndma_h2t_dma_context * pdma_ctx = (eng->used_for_h2t) ? ndma_get_dma_ctx( eng, ring, pwait_handle) : dma_ctx;


	// The h2t_ring_lock two things
	//   1. access to the ring itself
	//   2. usage of the SYNC dma context (basically even though we specify we are using the SYNC ctxt handle outside this routine
	//      the SYNC dma context itself is only used within this routine.
	//
	mutex_lock(&eng->h2t_ring_lock);

    // initialize the DMA context
	dma_ctx->inuse             = true;
	dma_ctx->eng               = eng;
	dma_ctx->ring              = ring;
	dma_ctx->src               = src;
	dma_ctx->dst               = dst;
	dma_ctx->offset            = 0ull;
	dma_ctx->remaining         = size;
	dma_ctx->pending_transfers = 0ull;
	dma_ctx->size              = size;
	dma_ctx->smove             = smove;
	dma_ctx->dmove             = dmove;
    dma_ctx->completion_ptr    = ndma_memcpy_get_completion_buf( eng, ring, wait_handle);

	// Sanity check 
	if ((pdma_ctx != NULL) && (!pdma_ctx->inuse)) {
		pr_err("Async dma previous request on nd %d nc %d has invalid state. src %#llx, dst %#llx, size %llu.\n", 
				nd->device_index, nc_id, pdma_ctx->src, pdma_ctx->dst, pdma_ctx->size);
		ret = -EINVAL;
		goto fail;
	}

	dma_ctx->start_time = get_jiffies_64();

	while (true) {

		ret = ndma_memcpy_chunks( eng, ring, dma_ctx);

		if (ret) {
			goto fail;
		}

		if (prefetch_addr  && dma_ctx->offset == 0) { 
			_ndma_prefetch_user_pages( prefetch_addr, dma_ctx->size); 
		}

		if (pdma_ctx != NULL) {

			ret = _ndma_memcpy_wait_for_completion( nd, nc_id, qid, eng, ring, pdma_ctx, dma_ctx);

			if (ret) {
				goto fail;
			} else {

				if (dma_ctx->outstanding == dma_ctx->remaining)  {
					break;
				}

				if (dma_ctx != pdma_ctx) {
					pr_err("Async dma request on nd %d nc %d is too large. src %#llx, dst %#llx, size %llu.\n", 
							nd->device_index, nc_id, dma_ctx->src, dma_ctx->dst, dma_ctx->size);
					ret = -EINVAL;
					goto fail;
				}	

				dma_ctx->start_time         = get_jiffies_64();
				dma_ctx->remaining         -= dma_ctx->outstanding;
				dma_ctx->offset            += dma_ctx->outstanding;
			}
			
		} else {
			if (dma_ctx->outstanding == dma_ctx->remaining)
				break;
			pr_err("Async dma request on nd %d nc %d is too large\n", nd->device_index, nc_id);
			ret = -EINVAL;
			break;
		}
	}

fail:
	// release the dma_ctx in the event of a failure
	if (ret  && (dma_ctx != pdma_ctx))
		ndma_release_dma_ctx( eng, ring, dma_ctx);

	ndma_release_dma_ctx( eng, ring, pdma_ctx);
	
	mutex_unlock(&eng->h2t_ring_lock);
	return ret;
}

int ndma_memcpy_mc_async(struct neuron_device *nd, struct mem_chunk *src_mc, struct mem_chunk *dst_mc,
		   u64 src_offset, u64 dst_offset, u64 size, u64 prefetch_addr, int pdma_ctx_handle, int *dma_ctx_handle)
{
	dma_addr_t src_pa, dst_pa;
	u32 nc_id = 0;
	int ret;

	ret = ndma_dma_ctx_get_next_handle( pdma_ctx_handle, dma_ctx_handle);

	if (ret) {
		return ret;
	}

	nc_id  = ndma_mc_pair_to_nc( src_mc, dst_mc);
	src_pa = ndma_mc_to_pa( src_mc) + src_offset;
	dst_pa = ndma_mc_to_pa( dst_mc) + dst_offset;

	return ndma_memcpy_offset_move(nd, nc_id, src_pa, dst_pa, size, true, true, prefetch_addr, pdma_ctx_handle, *dma_ctx_handle);
}
