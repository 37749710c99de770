/*************************************************************************/ /*!
@File
@Title          Implementation of PMR functions to wrap non-services allocated
                memory.
@Copyright      Copyright (c) Imagination Technologies Ltd. All Rights Reserved
@Description    Part of the memory management.  This module is responsible for
                implementing the function callbacks for physical memory.
@License        Dual MIT/GPLv2

The contents of this file are subject to the MIT license as set out below.

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

Alternatively, the contents of this file may be used under the terms of
the GNU General Public License Version 2 ("GPL") in which case the provisions
of GPL are applicable instead of those above.

If you wish to allow use of your version of this file only under the terms of
GPL, and not to allow others to use your version of this file under the terms
of the MIT license, indicate your decision by deleting the provisions above
and replace them with the notice and other provisions required by GPL as set
out in the file called "GPL-COPYING" included in this distribution. If you do
not delete the provisions above, a recipient may use your version of this file
under the terms of either the MIT license or GPL.

This License is also included in this distribution in the file called
"MIT-COPYING".

EXCEPT AS OTHERWISE STATED IN A NEGOTIATED AGREEMENT: (A) THE SOFTWARE IS
PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
PURPOSE AND NONINFRINGEMENT; AND (B) IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
*/ /**************************************************************************/

#include <linux/uaccess.h>
#include "img_types.h"
#include "img_defs.h"
#include "pvrsrv_error.h"
#include "pvr_debug.h"
#include "devicemem_server_utils.h"

#include "physmem_extmem.h"
#include "physmem_extmem_wrap.h"
#include "pdump_physmem.h"
#include "pmr.h"
#include "pmr_impl.h"
#include "physmem.h"
#include "cache_km.h"

#include "kernel_compatibility.h"

typedef struct _WRAP_KERNEL_MAP_DATA_
{
	void *pvKernLinAddr;
	IMG_BOOL bVMAP;
} WRAP_KERNEL_MAP_DATA;

/* Free the PMR private data */
static void _FreeWrapData(PMR_WRAP_DATA *psPrivData)
{
	OSFreeMem(psPrivData->ppsPageArray);
	OSFreeMem(psPrivData->ppvPhysAddr);
	OSFreeMem(psPrivData);
}

#if (LINUX_VERSION_CODE < KERNEL_VERSION(5, 2, 0))
#define PVR_FOLL_LONGTERM (0x0U)
#else
#define PVR_FOLL_LONGTERM FOLL_LONGTERM
#endif

#if (LINUX_VERSION_CODE <= KERNEL_VERSION(5, 6, 0))

#define _get_user_pages_fast(puiAddress, num_pages, bWrite, pages)  get_user_pages_fast( \
    (unsigned long)puiAddress, \
    (int)num_pages, \
    (int) (bWrite ? FOLL_WRITE : 0) | PVR_FOLL_LONGTERM, \
    pages)

#define _unpin_user_page(p) put_page(p)

#else

#define _get_user_pages_fast(puiAddress, num_pages, bWrite, pages) pin_user_pages_fast( \
    (unsigned long)puiAddress, \
    (int) num_pages, \
    (int) (bWrite ? FOLL_WRITE : 0) | PVR_FOLL_LONGTERM, \
    pages)

#define _unpin_user_page(p) unpin_user_page(p)

#endif

/* Release pages got via get_user_pages().
 * As the function comment for GUP states we have
 * to set the page dirty if it has been written to and
 * we have to put the page to decrease its refcount. */
static void _FreeGetUserPages(PMR_WRAP_DATA *psPrivData)
{
	IMG_UINT32 i;

	for (i = 0; i < psPrivData->uiTotalNumPages; i++)
	{
		if (IMG_TRUE == psPrivData->bWrite)
		{
			/* Write data back to fs if necessary */
			set_page_dirty_lock(psPrivData->ppsPageArray[i]);
		}

		/* Release the page */
		_unpin_user_page(psPrivData->ppsPageArray[i]);
	}
}

#if defined(SUPPORT_LINUX_WRAP_EXTMEM_PAGE_TABLE_WALK)
#define _PVR_DBG_LEVEL PVR_DBG_MESSAGE
#else
#define _PVR_DBG_LEVEL PVR_DBG_ERROR
#endif

/* Get the page structures and physical addresses mapped to
 * a CPU virtual range via get_user_pages() */
static PVRSRV_ERROR _TryGetUserPages(PVRSRV_DEVICE_NODE *psDevNode,
                                IMG_DEVMEM_SIZE_T uiSize,
                                IMG_CPU_VIRTADDR pvCpuVAddr,
                                PMR_WRAP_DATA *psPrivData)
{
	IMG_INT32 i, iMappedPages;
	IMG_INT32  iRequestedPages = uiSize >> PAGE_SHIFT;
	PVRSRV_ERROR eError;

	IMG_UINT64 ui64DmaMask = dma_get_mask(psDevNode->psDevConfig->pvOSDevice);

	/* Do the actual call */
	iMappedPages = _get_user_pages_fast((uintptr_t) pvCpuVAddr, iRequestedPages,
	                                    psPrivData->bWrite, psPrivData->ppsPageArray);
	if (iMappedPages < 0)
	{
		PVR_DPF((_PVR_DBG_LEVEL,
		         "_get_user_pages_fast() failed, expected num pages %d, got error %d",
		         psPrivData->uiTotalNumPages,
		         iMappedPages));

		return PVRSRV_ERROR_FAILED_TO_ACQUIRE_PAGES;
	}
	else if (iMappedPages != iRequestedPages)
	{
		PVR_DPF((_PVR_DBG_LEVEL,
		         "_get_user_pages_fast() failed, expected num pages %d, got number pages %d",
		         psPrivData->uiTotalNumPages,
		         iMappedPages));

		PVR_GOTO_WITH_ERROR(eError, PVRSRV_ERROR_FAILED_TO_ACQUIRE_PAGES, ErrUnpinPages);
	}

	/* Fill the physical address array */
	for (i = 0; i < psPrivData->uiTotalNumPages; i++)
	{
		psPrivData->ppvPhysAddr[i].uiAddr = page_to_phys(psPrivData->ppsPageArray[i]);

		/* Check the data transfer capability of the DMA.
		 *
		 * For instance:
		 * APOLLO test chips TCF5 or ES2 can only access 4G maximum memory from the card.
		 * Hence pages with a physical address beyond 4G range cannot be accessed by the
		 * device. An error is reported in such a case. */
		if (psPrivData->ppvPhysAddr[i].uiAddr & ~ui64DmaMask)
		{
			PVR_DPF((PVR_DBG_ERROR,
					"Backed page @pos:%d Physical Address: %pa exceeds GPU "
					"accessible range(mask): 0x%0llx",
					i, &psPrivData->ppvPhysAddr[i].uiAddr, ui64DmaMask));

			psPrivData->bWrite = IMG_FALSE;

			PVR_GOTO_WITH_ERROR(eError,
			                    PVRSRV_ERROR_INVALID_PHYS_ADDR,
			                    ErrUnpinPages);
		}
	}

	return PVRSRV_OK;

ErrUnpinPages:
	for (i = 0; i < iRequestedPages; i++)
	{
		if (psPrivData->ppsPageArray[i] != NULL)
		{
			_unpin_user_page(psPrivData->ppsPageArray[i]);
		}
	}

	return eError;
}

#undef _PVR_DBG_LEVEL

/* Release all the pages we got via _TryGetUserPages or _TryFindVMA */
static PVRSRV_ERROR _WrapExtMemReleasePages(PMR_WRAP_DATA *psPrivData)
{
	PVRSRV_ERROR eError = PVRSRV_OK;

	switch (psPrivData->eWrapType)
	{
		case WRAP_TYPE_GET_USER_PAGES:
			_FreeGetUserPages(psPrivData);
			break;
#if defined(SUPPORT_LINUX_WRAP_EXTMEM_PAGE_TABLE_WALK)
		case WRAP_TYPE_FIND_PHYS_FROM_VIRT:
			if (psPrivData->psDevNode->psDevConfig->pfnReleaseWrapMemPhysPagesFromVirt)
			{
				psPrivData->psDevNode->psDevConfig->pfnReleaseWrapMemPhysPagesFromVirt(psPrivData);
			}
			else
			{
				eError = PVRSRV_ERROR_NOT_IMPLEMENTED;
				goto FreeWrapDataReturn;
			}
			break;
#endif
		case WRAP_TYPE_NULL:
			/* fall through */
		default:
			PVR_DPF((PVR_DBG_ERROR,
					"%s: Wrong wrap type, cannot release pages",
					__func__));
			return PVRSRV_ERROR_INVALID_WRAP_TYPE;
	}

#if defined(SUPPORT_LINUX_WRAP_EXTMEM_PAGE_TABLE_WALK)
FreeWrapDataReturn:
#endif
	_FreeWrapData(psPrivData);

	return eError;
}

static void
PMRFinalizeExtMem(PMR_IMPL_PRIVDATA pvPriv)
{
	PMR_WRAP_DATA *psWrapData = pvPriv;

	PVRSRV_ERROR eError = _WrapExtMemReleasePages(psWrapData);
	PVR_LOG_IF_ERROR(eError, "_WrapExtMemReleasePages");
}
