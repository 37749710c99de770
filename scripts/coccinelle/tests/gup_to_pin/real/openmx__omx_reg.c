/*
 * Open-MX
 * Copyright © INRIA 2007-2008 (see AUTHORS file)
 *
 * The development of this software has been funded by Myricom, Inc.
 *
 * This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation; either version 2 of the License, or (at
 * your option) any later version.
 *
 * This program is distributed in the hope that it will be useful, but
 * WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.
 *
 * See the GNU General Public License in COPYING.GPL for more details.
 */

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/rcupdate.h>

#include "omx_hal.h"
#include "omx_io.h"
#include "omx_common.h"
#include "omx_endpoint.h"
#include "omx_iface.h"
#include "omx_reg.h"
#include "omx_dma.h"

#ifdef OMX_MX_WIRE_COMPAT
#if OMX_USER_REGION_MAX > 256
#error Cannot store region id > 255 in 8bit id on the wire
#endif
#endif

/******************************
 * Add and Destroying segments
 */

#define OMX_REGION_VMALLOC_NR_PAGES_THRESHOLD 4096

static int
omx_user_region_add_segment(struct omx_cmd_user_region_segment * useg,
			    struct omx_user_region_segment * segment)
{
	unsigned long usegvaddr = useg->vaddr;
	unsigned long useglen = useg->len;
	struct page ** pages;
	unsigned offset;
	unsigned long aligned_vaddr;
	unsigned long aligned_len;
	unsigned long nr_pages;
	int ret;

	offset = usegvaddr & (~PAGE_MASK);
	aligned_vaddr = usegvaddr & PAGE_MASK;
	aligned_len = PAGE_ALIGN(offset + useglen);
	nr_pages = aligned_len >> PAGE_SHIFT;

	if (nr_pages > OMX_REGION_VMALLOC_NR_PAGES_THRESHOLD) {
		pages = vmalloc(nr_pages * sizeof(struct page *));
		segment->vmalloced = 1;
	} else {
		pages = kmalloc(nr_pages * sizeof(struct page *), GFP_KERNEL);
		segment->vmalloced = 0;
	}
	if (unlikely(!pages)) {
		printk(KERN_ERR "Open-MX: Failed to allocate user region segment page array\n");
		ret = -ENOMEM;
		goto out;
	}

#ifdef OMX_DRIVER_DEBUG
	memset(pages, 0, nr_pages * sizeof(struct page *));
#endif

	segment->aligned_vaddr = aligned_vaddr;
	segment->first_page_offset = offset;
	segment->length = useglen;
	segment->nr_pages = nr_pages;
	segment->pinned_pages = 0;
	segment->pages = pages;

	return 0;

 out:
	return ret;
}

static void
omx_user_region_destroy_segment(struct omx_user_region_segment * segment)
{
	unsigned long i;

	for(i=0; i<segment->pinned_pages; i++)
		put_page(segment->pages[i]);

	if (segment->vmalloced)
		vfree(segment->pages);
	else
		kfree(segment->pages);
}

static void
omx_user_region_destroy_segments(struct omx_user_region * region)
{
	int i;

	if (region->nr_vmalloc_segments)
		might_sleep();

	for(i=0; i<region->nr_segments; i++)
		omx_user_region_destroy_segment(&region->segments[i]);
}

/*****************
 * Region pinning
 */

#define OMX_PIN_CHUNK_PAGES_NR 1024

void
omx__user_region_pin_init(struct omx_user_region_pin_state *pinstate,
			  struct omx_user_region *region)
{
	pinstate->region = region;
	pinstate->segment = &region->segments[0];
	pinstate->pages = NULL; /* means that pin_new_segment() will do the init soon */
	pinstate->aligned_vaddr = 0;
	pinstate->remaining = 0;
	pinstate->chunk_offset = 0;
}

static inline void
omx__user_region_pin_new_segment(struct omx_user_region_pin_state *pinstate)
{
	/*
	 * Called when pages is NULL, meaning that we finished the previous segment.
	 * The caller that set pages to NULL and increased the segment did not do this
	 * because it didn't know whether the next segment was valid. Now that we are
	 * here, we know it is valid since we are pinning more memory.
	 */
	struct omx_user_region_segment *segment = pinstate->segment;
	pinstate->aligned_vaddr = segment->aligned_vaddr;
	pinstate->pages = segment->pages;
	pinstate->remaining = segment->length;
	pinstate->chunk_offset = segment->first_page_offset;
}

static int
omx__user_region_pin_add_chunk(struct omx_user_region_pin_state *pinstate)
{
	struct omx_user_region *region = pinstate->region;
	struct omx_user_region_segment *seg = pinstate->segment;
	unsigned long aligned_vaddr;
	struct page ** pages;
	unsigned long remaining;
	int chunk_offset;
	int chunk_length;
	int chunk_pages;
	int ret;

	if (!pinstate->pages)
		omx__user_region_pin_new_segment(pinstate);
	aligned_vaddr = pinstate->aligned_vaddr;
	pages = pinstate->pages;
	remaining = pinstate->remaining;
	chunk_offset = pinstate->chunk_offset;

	/* compute an estimated number of pages to pin */
	chunk_pages = OMX_PIN_CHUNK_PAGES_NR;
	/* compute the corresponding length */
	if (chunk_offset + remaining <= chunk_pages<<PAGE_SHIFT)
		chunk_length = remaining;
	else
		chunk_length = (chunk_pages<<PAGE_SHIFT) - chunk_offset;
	/* compute the actual corresponding number of pages to pin */
	chunk_pages = (chunk_offset + chunk_length + PAGE_SIZE-1) >> PAGE_SHIFT;

	ret = get_user_pages(current, current->mm, aligned_vaddr, chunk_pages, 1, 0, pages, NULL);
	if (unlikely(ret != chunk_pages)) {
		printk(KERN_ERR "Open-MX: Failed to pin user buffer (%d pages at 0x%lx), get_user_pages returned %d\n",
		       chunk_pages, aligned_vaddr, ret);
		if (ret >= 0) {
			/* if some pages were acquired, release them */
			int i;
			for(i=0; i<ret; i++)
				put_page(pages[i]);
			ret = -EFAULT;
		}
		goto out;
	}

	seg->pinned_pages += chunk_pages;
	region->total_registered_length += chunk_length;
	barrier(); /* needed for busy-waiter on total_registered_length */

	if (chunk_length < remaining) {
		/* keep the same segment */
		pinstate->aligned_vaddr = aligned_vaddr + chunk_offset + chunk_length;
		pinstate->pages = pages + chunk_pages;
		pinstate->remaining = remaining - chunk_length;
		pinstate->chunk_offset = 0;

	} else {
		/* jump to next segment */
#ifdef OMX_DRIVER_DEBUG
		BUG_ON(seg->pinned_pages != seg->nr_pages);
#endif
		pinstate->pages = NULL;
		pinstate->segment = seg + 1;
	}

	return 0;

 out:
	return ret;
}

int
omx__user_region_pin_continue(struct omx_user_region_pin_state *pinstate,
			      unsigned long *length)
{
	struct omx_user_region *region = pinstate->region;
	unsigned long needed = *length;
	int ret;

	down_read(&current->mm->mmap_sem);
	while (region->total_registered_length < needed) {
		ret = omx__user_region_pin_add_chunk(pinstate);
		if (ret < 0)
			goto out;
	}
	up_read(&current->mm->mmap_sem);
	*length = region->total_registered_length;
	return 0;

 out:
	up_read(&current->mm->mmap_sem);
	return ret;
}

/********************
 * Region destroying
 */

/* vfree cannot be called from BH, so we just
 * let the cleanup thread take care of it by moving
 * regions to a cleanup list first
 */
static spinlock_t omx_regions_cleanup_lock = SPIN_LOCK_UNLOCKED;
static LIST_HEAD(omx_regions_cleanup_list);

/* Called when the last reference on the region is released */
void
__omx_user_region_last_release(struct kref * kref)
{
	struct omx_user_region * region = container_of(kref, struct omx_user_region, refcount);

	dprintk(KREF, "releasing the last reference on region %p\n",
		region);

	if (region->nr_vmalloc_segments) {
		spin_lock_bh(&omx_regions_cleanup_lock);
		list_add_tail(&region->cleanup_list_elt, &omx_regions_cleanup_list);
		spin_unlock_bh(&omx_regions_cleanup_lock);
	} else {
		omx_user_region_destroy_segments(region);
		kfree(region);
	}
}

void
omx_user_regions_cleanup(void)
{
        struct omx_user_region * region, * next;
	LIST_HEAD(private_head);

	/* move the whole list to our private head at once */
	spin_lock_bh(&omx_regions_cleanup_lock);
	list_splice(&omx_regions_cleanup_list, &private_head);
	INIT_LIST_HEAD(&omx_regions_cleanup_list);
	spin_unlock_bh(&omx_regions_cleanup_lock);

	/* and now free all regions without needing any lock */
	list_for_each_entry_safe(region, next, &private_head, cleanup_list_elt) {
		omx_user_region_destroy_segments(region);
		list_del(&region->cleanup_list_elt);
		kfree(region);
	}
}

/*********************************
 * Appending region pages to send
 */

static int
omx_user_region_offset_cache_contig_append_callback(struct omx_user_region_offset_cache * cache,
						    struct sk_buff * skb,
						    unsigned long length)
{
	unsigned long remaining = length;
	struct page ** page = cache->page;
	unsigned pageoff = cache->pageoff;
	int frags = 0;

#ifdef OMX_DRIVER_DEBUG
	BUG_ON(cache->current_offset + length > cache->max_offset);
#endif

	while (remaining) {
		unsigned chunk;

		if (unlikely(frags == omx_skb_frags))
			/* cannot add a new frag, return an error and let the caller free the skb */
			return -1;

		/* compute the chunk size */
		chunk = remaining;
		if (chunk > PAGE_SIZE - pageoff)
			chunk = PAGE_SIZE - pageoff;

		/* append the page */
		get_page(*page);
		skb_fill_page_desc(skb, frags, *page, pageoff, chunk);
		dprintk(REG, "appending %d from page\n", chunk);

		/* update the status */
		frags++;
		remaining -= chunk;

		if (pageoff + chunk == PAGE_SIZE) {
			/* next page */
			page++;
			pageoff = 0;
			dprintk(REG, "switching offset cache to next page #%ld\n",
				(unsigned long) (page - &cache->seg->pages[0]));
		} else {
			/* same page */
			pageoff += chunk;
		}
	}

	skb->len += length;
	skb->data_len += length;

	cache->page = page;
	cache->pageoff = pageoff;
#ifdef OMX_DRIVER_DEBUG
	cache->current_offset += length;
#endif
	return 0;
}

/************************************
 * Filling region pages with receive
 */

static INLINE void
omx__user_region_segment_fill_pages(struct omx_user_region_segment * segment,
				    unsigned long segment_offset,
				    struct sk_buff * skb,
				    unsigned long skb_offset,
				    unsigned long length)
{
	unsigned long copied = 0;
	unsigned long remaining = length;
	unsigned long first_page = (segment_offset+segment->first_page_offset)>>PAGE_SHIFT;
	unsigned long page_offset = (segment_offset+segment->first_page_offset) & (PAGE_SIZE-1);
	unsigned long i;

	for(i=first_page; ; i++) {
		void *kvaddr;
		int err;

		/* compute chunk to take in this page */
		unsigned long chunk = PAGE_SIZE-page_offset;
		if (unlikely(chunk > remaining))
			chunk = remaining;

		/* fill the page */
		kvaddr = kmap_atomic(segment->pages[i], KM_USER0);
		err = skb_copy_bits(skb, skb_offset, kvaddr+page_offset, chunk);
		kunmap_atomic(kvaddr, KM_USER0);
		dprintk(REG,
			"filling page #%ld offset %ld from skb offset %ld with length %ld\n",
			i, page_offset, skb_offset, chunk);

		/* update counters */
		copied += chunk;
		skb_offset += chunk;
		remaining -= chunk;
		if (likely(!remaining))
			break;
		page_offset = 0;
	}

	BUG_ON(copied != length);
}
