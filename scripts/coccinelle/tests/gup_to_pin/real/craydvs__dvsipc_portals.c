/*
 * Copyright 2009-2011, 2013-2014, 2016-2017 Cray Inc. All Rights Reserved.
 *
 * This file is part of Cray Data Virtualization Service (DVS).
 *
 * DVS is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation; either version 2 of the License, or
 * (at your option) any later version.
 *
 * DVS is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 * GNU General Public License for more details.
 *
 * You should have received a copy of the GNU General Public License
 * along with this program; if not, see <http://www.gnu.org/licenses/>.
 */

/*
 * This file contains impingement code linking the seastar ipc
 * transport to the Portals API.
 */

#include "dvsipc.h"

#include <portals/p30.h>
#include <portals/defines.h>
#include <portals/reserved_ptls.h>

MODULE_LICENSE(DVS_LICENSE);

#define DVSIPC_PORTAL_ID     3               /* Portal reserved for dvs ipc */
#define DVSIPC_PORTALS_PID   3               /* Pid reserved for dvs ipc */

static ptl_handle_eq_t ptl_rx_eq;            /* rx and tx event queues */
static ptl_handle_eq_t ptl_tx_eq;
static ptl_handle_eq_t ptl_rma_eq;
static ptl_handle_me_t ptl_rx_me_table[DVSIPC_MAX_RX_MDS] = {0};

/* Match entries to control landing zone overflow and retransmit requests */
static ptl_handle_me_t ptl_rx_me_guard = {0};
static ptl_handle_me_t ptl_rx_me_resend = {0};
static ptl_handle_me_t ptl_rx_me_orphan = {0};

static ptl_handle_ni_t ni;                   /* Portals network interface handle */
static ptl_process_id_t my_ptl_process_id = {0};

static void ptl_rx_callback(ptl_event_t *event);
static void ptl_tx_callback(ptl_event_t *event);
static void ptl_rma_callback(ptl_event_t *event);

static void ptl_send_nak(uint64_t nid, void *rqp);
static int ptl_tx_request(uint64_t nid, struct usiipc *rq,
				int resend_limit, int tx_timeout);
static void *ptl_mapuvm(char *uvm, ssize_t length, int rw);
static int ptl_unmapuvm(void *handle);
static void *ptl_rma_put(int node, char *to, char *from,
			ssize_t length, rma_info_t *ri, int async);
static void *ptl_rma_get(int node, char *to, char *from,
			ssize_t length, rma_info_t *ri, int async);
static void ptl_rma_wait(rma_info_t *ri);
static int ptl_fill_rx_slot(int slot, void *buf, int size);
static int ptl_init(uint64_t *nodeidp, dvsipc_upper_api_t *upper, int num_mds);
static void ptl_term(void);

static dvsipc_upper_api_t *upper_api = NULL;
static int ipc_num_mds;

static void *
ptl_mapuvm(char *uvm, ssize_t length, int rw) 
{
    struct ipc_mapping *ipcmap = NULL;
    struct page **pages = NULL;
    ptl_process_id_t id;
    ptl_pt_index_t ptlid = DVSIPC_PORTAL_ID;
    ptl_match_bits_t ignore = 0;
    ptl_match_bits_t match;
    ptl_handle_md_t rmah = PTL_MD_INVALID;
    ptl_handle_md_t mdh = PTL_MD_INVALID;
    ptl_md_iovec_t *iovec = NULL;
    int page_count, offset;
    ptl_md_t md;
    int ret = 0;
    int i;

    KDEBUG_IPC(0, "ptl_mapuvm: 0x%p 0x%lx 0x%x\n", uvm, length, rw);

    offset = (uint64_t)uvm & (PAGE_SIZE-1);
    page_count = ((offset+length-1) / PAGE_SIZE) + 1;

    pages = (struct page **)vmalloc_ssi(page_count * sizeof(struct page *));
    if (pages == NULL) {
        printk(KERN_EMERG "%s: can't allocate pages struct (count=%d)\n",
            __FUNCTION__, page_count);
        goto cleanup;
    }

    /* Gather user pages */
    down_read(&current->mm->mmap_sem);
#if LINUX_VERSION_CODE < KERNEL_VERSION(4,4,73)
    ret = get_user_pages(current, current->mm, (unsigned long)uvm, page_count,
			rw == READ, 0, pages, NULL);
#else
    ret = get_user_pages((unsigned long)uvm, page_count,
			(rw == READ ? FOLL_WRITE : 0), pages, NULL);
#endif
    up_read(&current->mm->mmap_sem);

    if (page_count != ret) {
        KDEBUG_IPC(0, "%s: page count mismatch on user buffer (%d:%d)\n",
            __FUNCTION__, page_count, ret);
        page_count = ret;
        goto cleanup;
    }

    /* Allocate icpmap with space for page mappings and iovec pointer */
    ipcmap = vmalloc_ssi(sizeof(struct ipc_mapping) + sizeof(u64));

    if (ipcmap == NULL) {
        printk(KERN_ERR "%s: failed to allocate ipcmap buffer\n", __FUNCTION__);
        goto cleanup;
    }

    ipcmap->uvm = uvm;
    ipcmap->length = length;
    ipcmap->offset = offset;
    ipcmap->pages = pages;
    ipcmap->rw = rw;
    ipcmap->dma_length = 0;
    ipcmap->dma[0] = page_count;

    KDEBUG_IPC(0, "ptl_mapuvm: 0x%p(0x%p) 0x%lx 0x%x (%d)\n",
        uvm, (void*)virt_to_phys(uvm), length, offset, page_count);

    /* Create, init ss/ipc management structure */
    iovec = (void *)vmalloc_ssi(sizeof(ptl_md_iovec_t) * (page_count+1));
    if (iovec == NULL) {
        printk(KERN_ERR "%s: can't allocate iovec (count=%d)\n",
            __FUNCTION__, page_count);
        goto cleanup;
    }

    KDEBUG_IPC(0, "ptl_mapuvm: 0x%p(0x%p) 0x%lx 0x%x %d\n", uvm, iovec,
        length, offset, page_count);

    /* Provide ipc/portals translation */
    for (i=0; i<page_count; i++) {
        int len;

        len = PAGE_SIZE - offset;
        iovec[i].iov_base = (void*)(page_to_phys(pages[i]) + offset);
        iovec[i].iov_len = len;

        KDEBUG_IPC(0, "ptl_mapuvm: iovec[%d] (0x%p, 0x%p, 0x%llx)\n",
            i, uvm, iovec[i].iov_base, iovec[i].iov_len);

        uvm += len;
        offset = 0;
    }

    ipcmap->dma[1] = (uint64_t)iovec; /* save for later cleanup */

    id.nid = PTL_NID_ANY;
    id.pid = PTL_PID_ANY;

    match = (ptl_match_bits_t)ipcmap;

    if ((ret=PtlMEAttach(ni, ptlid, id, match, ignore, PTL_UNLINK,
        PTL_INS_BEFORE, &rmah)) != PTL_OK) {
        KDEBUG_IPC(0, "ptl_mapuvm: PtlMEAttach failed (0x%x)\n", ret);
        goto cleanup;
    }

    KDEBUG_IPC(0, "ptl_mapuvm MATCH: 0x%p 0x%llx\n", uvm, match);

    md.threshold = PTL_MD_THRESH_INF;
    md.options = PTL_MD_OP_PUT | PTL_MD_OP_GET | PTL_MD_EVENT_START_DISABLE |
        PTL_MD_PHYS | PTL_MD_IOVEC | PTL_MD_MANAGE_REMOTE;
    md.eq_handle = PTL_EQ_NONE;
    md.user_ptr = NULL;
    md.start = iovec;
    md.length = page_count;

    if ((ret=PtlMDAttach(rmah, md, PTL_UNLINK, &mdh)) != PTL_OK) {
        KDEBUG_IPC(0, "ptl_mapuvm: PtlMDAttach failed (0x%x)\n", ret);
        goto cleanup;
    }

    iovec[page_count].iov_len = rmah;        /* store handles for manual unlink */

    DVS_TRACEL("ipc_MuvM", iovec[page_count].iov_len, mdh, rmah, 0, 0);

    KDEBUG_IPC(0, "ptl_mapuvm OUT: 0x%p 0x%x 0x%x\n", uvm, rmah, mdh);

    return ipcmap;

cleanup:
    if (pages) {
        for (i=0; i<page_count; i++) {
            if (rw == READ) {
                set_page_dirty_lock(pages[i]);
            }
            page_cache_release(pages[i]);
        }
        vfree_ssi(pages);
    }

    if (ipcmap) {
        if (iovec) {
            vfree_ssi(iovec);
        }
        vfree_ssi(ipcmap);
    }

    if (rmah != PTL_MD_INVALID) {
        PtlMEUnlink(rmah);
    }

    /* Pass error code back up to the caller. */	 
    if (ret < 0) {
        return (ERR_PTR(ret));
    }

    return NULL;
}

static int
ptl_unmapuvm(void *handle) 
{
    struct ipc_mapping *ipcmap = (struct ipc_mapping *)handle;
    ptl_md_iovec_t *iovec =
        (ptl_md_iovec_t *)(ipcmap->dma[1]);
    ptl_handle_md_t meh;
    int page_count = ipcmap->dma[0];
    int i;
    int ret;

    KDEBUG_IPC(0, "ptl_unmapuvm: 0x%p 0x%p\n", ipcmap, iovec);

    meh = iovec[page_count].iov_len;

    KDEBUG_IPC(0, "ptl_unmapuvm: Unlinking handles %d\n", meh);

    DVS_TRACE("ipc_um", meh, 0);
    if ((ret=PtlMEUnlink(meh))) {
        printk(KERN_ERR "%s: unlink failed (%d)\n", __FUNCTION__, ret);
        DVS_TRACE("ipc_umE", meh, ret);
    }

    for (i=0; i<page_count; i++) {
        if (ipcmap->rw == READ) {
            set_page_dirty_lock(ipcmap->pages[i]);
        }
        page_cache_release(ipcmap->pages[i]);
    }

    vfree_ssi(ipcmap->pages);
    vfree_ssi(iovec);
    vfree_ssi(ipcmap);

    return 0;
}

void *
ipclower_mapuvm(char *uvm, ssize_t length, int rw) 
{
    return ptl_mapuvm(uvm, length, rw);
}

int
ipclower_unmapuvm(void *handle) 
{
    return ptl_unmapuvm(handle);
}

EXPORT_SYMBOL(ipclower_mapuvm);
EXPORT_SYMBOL(ipclower_unmapuvm);
