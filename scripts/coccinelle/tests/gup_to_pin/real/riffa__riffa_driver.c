// ----------------------------------------------------------------------
// Copyright (c) 2016, The Regents of the University of California All
// rights reserved.
// 
// Redistribution and use in source and binary forms, with or without
// modification, are permitted provided that the following conditions are
// met:
// 
//     * Redistributions of source code must retain the above copyright
//       notice, this list of conditions and the following disclaimer.
// 
//     * Redistributions in binary form must reproduce the above
//       copyright notice, this list of conditions and the following
//       disclaimer in the documentation and/or other materials provided
//       with the distribution.
// 
//     * Neither the name of The Regents of the University of California
//       nor the names of its contributors may be used to endorse or
//       promote products derived from this software without specific
//       prior written permission.
// 
// THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
// "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
// LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
// A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL REGENTS OF THE
// UNIVERSITY OF CALIFORNIA BE LIABLE FOR ANY DIRECT, INDIRECT,
// INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING,
// BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS
// OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND
// ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR
// TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE
// USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH
// DAMAGE.
// ----------------------------------------------------------------------

/*
 * Filename: riffa_driver.c
 * Version: 2.0
 * Description: Linux PCIe device driver for RIFFA. Uses Linux kernel APIs in
 *  version 2.6.27+ (tested on version 2.6.32 - 3.3.0).
 * Author: Matthew Jacobsen
 * History: @mattj: Initial release. Version 2.0.
 */

#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/version.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/pci.h>
#include <linux/interrupt.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(4,11,0)
#include <linux/sched.h>
#else
#include <linux/sched/signal.h>
#endif

#include <linux/rwsem.h>
#include <linux/dma-mapping.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <asm/uaccess.h>
#include <asm/div64.h>
#include "riffa_driver.h"
#include "circ_queue.h"

MODULE_LICENSE("Dual BSD/GPL");
MODULE_DESCRIPTION("PCIe driver for RIFFA, Linux (2.6.27+)");
MODULE_AUTHOR("Matt Jacobsen, Patrick Lai");

struct sg_mapping {
	struct page ** pages;
	struct scatterlist * sgl;
	enum dma_data_direction direction;
	int num_sg;
	unsigned long num_pages;
	unsigned long long length;
	unsigned long long overflow;
};

struct chnl_dir {
	volatile unsigned long flags;
	wait_queue_head_t waitq;
	struct circ_queue * msgs;
	void * buf_addr;
	dma_addr_t buf_hw_addr;
	struct sg_mapping * sg_map_0;
	struct sg_mapping * sg_map_1;
};

struct fpga_state {
	struct pci_dev * dev;
	unsigned long long irq;
	void __iomem *bar0;
	unsigned long long bar0_addr;
	unsigned long long bar0_len;
	unsigned long long bar0_flags;  
	atomic_t intr_disabled;
	void * spill_buf_addr;
	dma_addr_t spill_buf_hw_addr;
	int num_sg;
	int sg_buf_size;
	int id;
	char name[16];
	int vendor_id;
	int device_id;
	int num_chnls;
	struct chnl_dir ** recv;
	struct chnl_dir ** send;
};

/**
 * Creates and returns a struct_sg_mapping that holds all the data for the user
 * pages that have been mapped into a scatterlist array. Assumes the user data
 * is 32 bit word aligned. Up to length bytes from the udata pointer will be
 * mapped. After all length bytes are mapped, up to overflow bytes will be
 * mapped using the common spill buffer for the channel. The overflow is used
 * if we run out of space in the supplied udata pointer.
 */
static inline struct sg_mapping * fill_sg_buf(struct fpga_state * sc, int chnl, 
					void * sg_buf, unsigned long udata, unsigned long long length, 
					unsigned long long overflow, enum dma_data_direction direction) {
	const char * dir = (direction == DMA_TO_DEVICE ? "send" : "recv");
	struct sg_mapping * sg_map;
	struct page ** pages = NULL;
	struct scatterlist * sgl = NULL;
	struct scatterlist * sg;
	unsigned long num_pages_reqd = 0;
	long num_pages = 0;
	unsigned int fp_offset;
	unsigned int len;
	unsigned int hw_len;
	dma_addr_t hw_addr;
	unsigned long long len_rem = length;
	unsigned long long overflow_rem = overflow;
	unsigned int * sg_buf_ptr = (unsigned int *)sg_buf;
	int num_sg = 0;
	int i;

	// Create the sg_mapping struct.
	if ((sg_map = (struct sg_mapping *)kmalloc(sizeof(*sg_map), GFP_KERNEL)) == NULL) {
		printk(KERN_ERR "riffa: fpga:%d chnl:%d, %s could not allocate memory for sg_mapping struct\n", sc->id, chnl, dir);
		return NULL;
	}

	if (length > 0) {
		// Create the pages array.
		num_pages_reqd = ((udata + length - 1)>>PAGE_SHIFT) - (udata>>PAGE_SHIFT) + 1;
		num_pages_reqd = (num_pages_reqd > sc->num_sg ? sc->num_sg : num_pages_reqd);
		if ((pages = kmalloc(num_pages_reqd * sizeof(*pages), GFP_KERNEL)) == NULL) {
			printk(KERN_ERR "riffa: fpga:%d chnl:%d, %s could not allocate memory for pages array\n", sc->id, chnl, dir);
			kfree(sg_map);
			return NULL;
		}

		// Page in the user pages.
		down_read(&current->mm->mmap_sem);
		#if LINUX_VERSION_CODE < KERNEL_VERSION(4,6,0)
		num_pages = get_user_pages(current, current->mm, udata, num_pages_reqd, 1, 0, pages, NULL);
		#elsif LINUX_VERSION_CODE < KERNEL_VERSION(4,9,0)
		num_pages = get_user_pages(udata, num_pages_reqd, 1, 0, pages, NULL);
		#else
		num_pages = get_user_pages(udata, num_pages_reqd, FOLL_WRITE, pages, NULL);
		#endif
		up_read(&current->mm->mmap_sem);
		if (num_pages <= 0) {
			printk(KERN_ERR "riffa: fpga:%d chnl:%d, %s unable to pin any pages in memory\n", sc->id, chnl, dir);
			kfree(pages);
			kfree(sg_map);
			return NULL;
		}

		// Create the scatterlist array.
		if ((sgl = kcalloc(num_pages, sizeof(*sgl), GFP_KERNEL)) == NULL) {
			printk(KERN_ERR "riffa: fpga:%d chnl:%d, %s could not allocate memory for scatterlist array\n", sc->id, chnl, dir);
			for (i = 0; i < num_pages; ++i)
				#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 6, 0)
				page_cache_release(pages[i]);
				#else
				put_page(pages[i]);
				#endif
			kfree(pages);
			kfree(sg_map);
			return NULL;
		}

		// Set the scatterlist values
		fp_offset = (udata & (~PAGE_MASK));
		sg_init_table(sgl, num_pages);
		for (i = 0; i < num_pages; ++i) {
			len = ((fp_offset + len_rem) > PAGE_SIZE ? (PAGE_SIZE - fp_offset) : len_rem);
			sg_set_page(&sgl[i], pages[i], len, fp_offset);
			len_rem -= len;
			fp_offset = 0;
		}

		// Map the scatterlist values and write to the common buffer area
		num_sg = dma_map_sg(&sc->dev->dev, sgl, num_pages, direction);
		for_each_sg(sgl, sg, num_sg, i) {
			hw_addr = sg_dma_address(sg);
			hw_len = sg_dma_len(sg);
			sg_buf_ptr[(i*4)+0] = (hw_addr & 0xFFFFFFFF);
			sg_buf_ptr[(i*4)+1] = ((hw_addr>>32) & 0xFFFFFFFF);
			sg_buf_ptr[(i*4)+2] = hw_len>>2; // Words!
		}
	}

	// Provide scatter gather mappings for overflow data (all in spill common buffer)
	while (len_rem == 0 && overflow_rem > 0 && num_sg < sc->num_sg) {
		sg_buf_ptr[(num_sg*4)+0] = (sc->spill_buf_hw_addr & 0xFFFFFFFF);
		sg_buf_ptr[(num_sg*4)+1] = ((sc->spill_buf_hw_addr>>32) & 0xFFFFFFFF);
		sg_buf_ptr[(num_sg*4)+2] = SPILL_BUF_SIZE>>2; // Words!
		num_sg++;
		overflow_rem -= (SPILL_BUF_SIZE > overflow ? overflow : SPILL_BUF_SIZE);
	}

	// Populate the number of bytes mapped and other sg data
	sg_map->direction = direction;
	sg_map->num_pages = num_pages;
	sg_map->num_sg = num_sg;
	sg_map->length = (length - len_rem);
	sg_map->overflow = (overflow - overflow_rem);
	sg_map->pages = pages;
	sg_map->sgl = sgl;

	return sg_map;
}

/**
 * Frees the scatterlist mappings in the struct sg_mapping pointer and frees all
 * corresponding structs.
 */
static inline void free_sg_buf(struct fpga_state * sc, struct sg_mapping * sg_map) {
	int i;

	if (sg_map == NULL)
		return;

	// Unmap the pages.
	if (sg_map->sgl != NULL)
		dma_unmap_sg(&sc->dev->dev, sg_map->sgl, sg_map->num_pages, sg_map->direction);

	// Free the pages (mark dirty if necessary).
	if (sg_map->pages != NULL) {
		if (sg_map->direction == DMA_FROM_DEVICE) {
			for (i = 0; i < sg_map->num_pages; ++i) {
				if (!PageReserved(sg_map->pages[i]))
					SetPageDirty(sg_map->pages[i]);
				#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 6, 0)
				page_cache_release(sg_map->pages[i]);
				#else
				put_page(sg_map->pages[i]);
				#endif
			}
		}
		else {
			for (i = 0; i < sg_map->num_pages; ++i) {
				#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 6, 0)
				page_cache_release(sg_map->pages[i]);
				#else
				put_page(sg_map->pages[i]);
				#endif
			}
		}
	}

	// Free the structures.
	if (sg_map->pages != NULL)
		kfree(sg_map->pages);
	if (sg_map->sgl != NULL)
		kfree(sg_map->sgl);
	kfree(sg_map);
}
