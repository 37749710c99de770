/************************************************************************
* Copyright 2006-2020 Silicon Software GmbH, 2021-2024 Basler AG
*
* This program is free software; you can redistribute it and/or modify
* it under the terms of the GNU General Public License (version 2) as
* published by the Free Software Foundation.
*/

#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include "menable.h"
#include "menable_ioctl.h"
#include "linux_version.h"

#include "debugging_macros.h"

/* 
 * The functions `mmap_write_lock` and `mmap_write_unlock` exist in the following kernel versions:
 *    - 5.4.x with x >= 208
 *    - 5.8 and above
 * 
 * For all other versions we define them ourselves.
 */
#if (LINUX_VERSION_CODE < KERNEL_VERSION(5,4,208)) \
    || (LINUX_VERSION_CODE >= KERNEL_VERSION(5,5,0) && LINUX_VERSION_CODE < KERNEL_VERSION(5,8,0))

static inline void mmap_write_lock(struct mm_struct *mm)
{
	down_write(&mm->mmap_sem);
}

static inline void mmap_write_unlock(struct mm_struct *mm)
{
	up_write(&mm->mmap_sem);
}
#endif

/**
* get_page_addresses - get addresses of user pages
* @addr: start address
* @end: end address
* @pg: list of pages will be allocated here
* @len: number of pages in list
*
* This is more or less a copy of mm/memory.c::make_pages_present
*/
static int
get_page_addresses(unsigned long addr, const size_t length, struct page ***pages)
{
    int ret = 0, write = 0, len = 0;
    size_t runlen = 0;
    struct vm_area_struct *vma = NULL;

    mmap_write_lock(current->mm);

    vma = find_vma(current->mm, addr);
    if (!vma) {
        printk(KERN_ERR "No VMA found for buffer");
        ret = -EFAULT;
        goto fail;
    }

    write = (vma->vm_flags & VM_WRITE) ? 1 : 0;
    len = DIV_ROUND_UP(length + (addr % PAGE_SIZE), PAGE_SIZE);

    *pages = vmalloc(len * sizeof(*pages));
    if (!*pages) {
        printk(KERN_ERR "Not enough memory for page table");
        ret = -ENOMEM;
        goto fail;
    }

    /*
    * VM_DONTCOPY prevents the buffer from being copied when the process
    * is forked.
    */
    vm_flags_set(vma, VM_DONTCOPY);

    runlen = vma->vm_end - vma->vm_start;
    while (runlen < length) {
        vma = find_vma(current->mm, addr + runlen);
        if (!vma) {
            printk(KERN_ERR "Next VMA not found for buffer");
            ret = -EFAULT;
            goto fail_mem;
            
        }

        vm_flags_set(vma, VM_DONTCOPY);
        runlen += vma->vm_end - vma->vm_start;
    }

    /* pin the user pages in memory and get the physical addresses */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
    /* Kernel 6.5 introduces a new signature to pin_user_pages and drops the last argument */
    ret = pin_user_pages(addr,
        len, FOLL_LONGTERM | ((write == 1) ? FOLL_WRITE : 0), *pages); 
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(5, 6, 0)
    /* Kernel 5.6 introduces a new function specifically for pinning memory */
    ret = pin_user_pages(addr,
        len, FOLL_LONGTERM | ((write == 1) ? FOLL_WRITE : 0), *pages, NULL);
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(5, 2, 0)
    /* Kernel 5.2 introduces FOLL_LONGTERM, allowing memory defragmentation before pinning */
    ret = get_user_pages(addr,
        len, FOLL_LONGTERM | ((write == 1) ? FOLL_WRITE : 0), *pages, NULL);
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(4, 9, 0)
    /* Kernel 4.9 replaces the force flag with the more genearal gup_flags */
    ret = get_user_pages(addr,
        len, (write == 1) ? FOLL_WRITE : 0, *pages, NULL);
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(4, 6, 0)
    /* Kernel 4.6 introduces a new signature to get_user_pages and uses current, current->mm implicitly */
    ret = get_user_pages(addr,
        len, 0, *pages, NULL);
#else /* LINUX < 4.6.0 */
    ret = get_user_pages(current, current->mm, addr,
        len, write, 0, *pages, NULL);
#endif
    if (ret < 0) {
        goto fail_mem;
    }

    mmap_write_unlock(current->mm);
    return len;

fail_mem:
    vfree(*pages);
fail:
    mmap_write_unlock(current->mm);
    return ret;
}

/**
* men_create_userbuf - do generic initialisation of user buffer
* @men: device to use this buffer
* @range: user address range
*
* Context: User context
*
* returns: 0 on success, negative error code otherwise
*/
int
men_create_userbuf(struct siso_menable *men, struct men_io_range *range)
{
    struct page **pages;
    struct menable_dmabuf *dma_buf, *dummybuf;
    int ret = -ENOMEM, num_pages, i;
    uint64_t len;
    struct menable_dmahead *buf_head;
    struct menable_dmachan *dma_chan;

#if BITS_PER_LONG > 32
    if (range->length > 16UL * 1024UL * 1024UL * 1024UL)
        return -EINVAL;
#endif

    /* force 32 bit alignment of DMA memory */
    if ((range->start & 0x3) != 0)
        return -EINVAL;

    buf_head = me_get_buf_head(men, range->headnr);
    if (buf_head == NULL)
        return -EINVAL;

    ret = 0;
    if (range->subnr >= buf_head->num_sb) {
        ret = -EINVAL;
    } else if (buf_head->bufs[range->subnr]) {
        ret = -EBUSY;
    }

    /* This is racy if the user does something really stupid like deleting
     * the head from another thread while registering a buffer */
    dummybuf = &buf_head->dummybuf;
    spin_unlock_bh(&men->buffer_heads_lock);
    if (ret != 0)
        return ret;

    ret = -ENOMEM;

    num_pages = get_page_addresses(range->start, range->length, &pages);
    if (num_pages < 0)
        return num_pages;

    dma_buf = kzalloc(sizeof(*dma_buf), GFP_KERNEL);
    if (!dma_buf)
        goto fail_dma_buf;

    /* Alloc and init a normal linux SG list */
    const size_t scatterlist_size = num_pages * sizeof(*dma_buf->sg);
    DEV_DBG_BUFS(&men->dev, "Allocate %zu bytes for scatterlist for buffer %ld of head %u.\n", scatterlist_size, range->subnr, range->headnr);
    dma_buf->sg = vzalloc(scatterlist_size);
    if (!dma_buf->sg)
        goto fail_sg;
    sg_init_table(dma_buf->sg, num_pages);

    dma_buf->dma_chain = kzalloc(sizeof(*dma_buf->dma_chain), GFP_KERNEL);
    if (!dma_buf->dma_chain)
        goto fail_dmat;

    dma_buf->buf_length = len = range->length;
    sg_set_page(dma_buf->sg, pages[0],
        min((PAGE_SIZE - (range->start % PAGE_SIZE)), range->length),
        range->start % PAGE_SIZE);
    len -= dma_buf->sg[0].length;

    for (i = 1; i < num_pages; i++) {
        sg_set_page(dma_buf->sg + i, pages[i],
            min((uint64_t)PAGE_SIZE, len), 0);
        len -= dma_buf->sg[i].length;
    }

    if (len != 0) {
        pr_err("Remaining length %llu is not zero after creating SGL\n", len);
    }

    vfree(pages);
    pages = NULL;
    
    dma_buf->num_sg_entries = num_pages;
    dma_buf->num_used_sg_entries =
        dma_map_sg(&men->pdev->dev, dma_buf->sg, dma_buf->num_sg_entries, DMA_FROM_DEVICE);
    if (dma_buf->num_used_sg_entries == 0)
        goto fail_map;
        
    dma_buf->index = range->subnr;
    /* this will also free dma_buf->dma_chain on error */
    ret = men->create_buf(men, dma_buf, dummybuf);
    if (ret)
        goto fail_create;

    // TODO: Should the list name be set after the buffer was added to the list? Could be initialized here to NO_LIST.
    dma_buf->listname = FREE_LIST;
    INIT_LIST_HEAD(&dma_buf->node);
    ret = -EINVAL;

    buf_head = me_get_buf_head(men, range->headnr);
    if (buf_head == NULL)
        goto fail_bh;

    buf_head->bufs[range->subnr] = dma_buf;
    
    /* now everything is fine. Go and add this buffer to the free list */
    dma_chan = buf_head->chan;
    if (dma_chan != NULL) {
        unsigned long flags;

        spin_lock_irqsave(&dma_chan->listlock, flags);
        list_add_tail(&dma_buf->node, &dma_chan->free_list);
        dma_chan->free_count++;
        spin_unlock_irqrestore(&dma_chan->listlock, flags);
    }
    spin_unlock_bh(&men->buffer_heads_lock);

    return 0;

fail_bh:
    men_destroy_sb(men, dma_buf);
    return ret;

fail_create:
    dma_unmap_sg(&men->pdev->dev, dma_buf->sg, dma_buf->num_sg_entries, DMA_FROM_DEVICE);
fail_map:
    for (i = dma_buf->num_sg_entries - 1; i >= 0; i--) {
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 6, 0)
        unpin_user_page(sg_page(dma_buf->sg + i));
#else
        put_page(sg_page(dma_buf->sg + i));
#endif
    }
fail_dmat:
    vfree(dma_buf->sg);
fail_sg:
    kfree(dma_buf);
fail_dma_buf:
    if (pages) {
        for (i = num_pages - 1; i >= 0; i--) {
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 6, 0)
            unpin_user_page(pages[i]);
#else
            put_page(pages[i]);
#endif
        }
        vfree(pages);
    }
    return ret;
}

void
men_destroy_sb(struct siso_menable *men, struct menable_dmabuf *sb)
{
    int i;

    BUG_ON(in_interrupt());

    men->free_buf(men, sb);

    dma_unmap_sg(&men->pdev->dev, sb->sg, sb->num_sg_entries, DMA_FROM_DEVICE);
    for (i = sb->num_sg_entries - 1; i >= 0; i--) {
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 6, 0)
        unpin_user_page(sg_page(sb->sg + i));
#else
        put_page(sg_page(sb->sg + i));
#endif
    }
    vfree(sb->sg);
    kfree(sb);
}
