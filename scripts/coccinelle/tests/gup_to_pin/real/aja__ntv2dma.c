/*
 * SPDX-License-Identifier: MIT
 * Copyright (C) 2004 - 2022 AJA Video Systems, Inc.
 */
//==========================================================================
//
//  ntv2dma.c
//
//==========================================================================

#if defined(CONFIG_SMP)
#define __SMP__
#endif

#include <linux/version.h>
#include <linux/semaphore.h>
#include <linux/pagemap.h>

#include "buildenv.h"
#include "ntv2enums.h"
#include "ntv2audiodefines.h"
#include "ntv2videodefines.h"

#include "ntv2publicinterface.h"
#include "ntv2linuxpublicinterface.h"
#include "ntv2devicefeatures.h"

#include "registerio.h"
#include "ntv2stream.h"
#include "ntv2dma.h"

#ifdef AJA_RDMA
#include <nv-p2p.h>

#ifdef AJA_IGPU
#define GPU_PAGE_SHIFT	12
#else
#define GPU_PAGE_SHIFT	16
#endif
#define GPU_PAGE_SIZE	(((ULWord64)1) << GPU_PAGE_SHIFT)
#define GPU_PAGE_OFFSET	(GPU_PAGE_SIZE - 1)
#define GPU_PAGE_MASK	(~GPU_PAGE_OFFSET)
#endif

static int dmaPageBufferInit(ULWord deviceNumber, PDMA_PAGE_BUFFER pBuffer,
							 ULWord numPages, bool rdma);
static void dmaPageBufferRelease(ULWord deviceNumber, PDMA_PAGE_BUFFER pBuffer);
static int dmaPageLock(ULWord deviceNumber, PDMA_PAGE_BUFFER pBuffer,
					   PVOID pAddress, ULWord size, ULWord direction);
static void dmaPageUnlock(ULWord deviceNumber, PDMA_PAGE_BUFFER pBuffer);
#ifdef AJA_RDMA
static void rdmaFreeCallback(void* data);
static void dmaSgSetRdmaPage(struct scatterlist* pSg, struct nvidia_p2p_dma_mapping	*rdmaMap,
							 int index, ULWord64 length, ULWord64 offset);
#endif
static int dmaBusMap(ULWord deviceNumber, PDMA_PAGE_BUFFER pBuffer,
					 ULWord64 videoBusAddress, ULWord videoBusSize);
static int dmaSgMap(ULWord deviceNumber, PDMA_PAGE_BUFFER pBuffer);
static void dmaSgUnmap(ULWord deviceNumber, PDMA_PAGE_BUFFER pBuffer);

static int dmaPageBufferInit(ULWord deviceNumber, PDMA_PAGE_BUFFER pBuffer,
							 ULWord numPages, bool rdma)
{
	if ((pBuffer == NULL) || (numPages == 0))
		return -EINVAL;
	
	memset(pBuffer, 0, sizeof(DMA_PAGE_BUFFER));
	INIT_LIST_HEAD(&pBuffer->bufferEntry);

#ifdef AJA_RDMA
	if (rdma)
	{
		pBuffer->rdma = true;
		return 0;
	}
#endif
	if (rdma)
	{
		NTV2_MSG_ERROR("%s%d: dmaPageLock driver does not support rdma\n", DMA_MSG_DEVICE); 
		return -EINVAL;
	}
	
	// alloc page list
	pBuffer->pPageList = kmalloc(numPages * sizeof(struct page*), GFP_KERNEL);
	if (pBuffer->pPageList == NULL)
	{
		NTV2_MSG_ERROR("%s%d: dmaPageBufferInit allocate page buffer failed  numPages %d\n",
					   DMA_MSG_DEVICE, numPages);
		return -ENOMEM;
	}
	memset(pBuffer->pPageList, 0, sizeof(struct page *) * numPages);
	pBuffer->pageListSize = numPages;
	
	// alloc scatter list
	pBuffer->pSgList = vmalloc(numPages * sizeof(struct scatterlist));
	if (pBuffer->pSgList == NULL)
	{
		NTV2_MSG_ERROR("%s%d: dmaPageBufferInit allocate scatter buffer failed  numPages %d\n",
					   DMA_MSG_DEVICE, numPages);
		return -ENOMEM;
	}
	pBuffer->sgListSize = numPages;
	
	return 0;
}

static void dmaPageBufferRelease(ULWord deviceNumber, PDMA_PAGE_BUFFER pBuffer)
{
	if (pBuffer == NULL)
		return;

	dmaPageUnlock(deviceNumber, pBuffer);

	if (pBuffer->pSgList != 0)
		vfree(pBuffer->pSgList);
	pBuffer->pSgList = NULL;
 	pBuffer->sgListSize = 0;

	if (pBuffer->pPageList != NULL)
		kfree(pBuffer->pPageList);
	pBuffer->pPageList = NULL;
	pBuffer->pageListSize = 0;
}

static int dmaPageLock(ULWord deviceNumber, PDMA_PAGE_BUFFER pBuffer,
					   PVOID pAddress, ULWord size, ULWord direction)
{
	unsigned long address = (unsigned long)pAddress;
	bool write;
	int numPages;
	int numPinned;
	int pageOffset;
	int count;
	int i;

	if ((pBuffer == NULL) || (pAddress == NULL) || (size == 0) || pBuffer->busMap)
		return -EINVAL;

	if (pBuffer->pageLock)
	{
		if ((pAddress == pBuffer->pUserAddress) &&
			(size == pBuffer->userSize) &&
			(direction == pBuffer->direction))
			return 0;
		dmaPageBufferRelease(deviceNumber, pBuffer);
	}

#ifdef AJA_RDMA
	if (pBuffer->rdma)
	{
		ULWord64 rdmaAddress = address & GPU_PAGE_MASK;
		ULWord64 rdmaOffset = address & GPU_PAGE_OFFSET;
		ULWord64 rdmaLen = size;
#ifdef AJA_IGPU		
		ULWord64 rdmaAlignedLen = (rdmaOffset + rdmaLen + GPU_PAGE_SIZE - 1) & GPU_PAGE_MASK;
#else
		ULWord64 rdmaAlignedLen = address + size - rdmaAddress;
#endif		
		struct nvidia_p2p_page_table* rdmaPage = NULL;
		int ret;

		ret = nvidia_p2p_get_pages(
#ifndef AJA_IGPU				
			0, 0,
#endif				
			rdmaAddress,
			rdmaAlignedLen,
			&rdmaPage,
			rdmaFreeCallback,
			pBuffer);
		if (ret < 0)
		{
			NTV2_MSG_ERROR("%s%d: dmaPageLock rdma lock failed %d  addr %016llx  len %08llx\n",
						   DMA_MSG_DEVICE, ret, rdmaAddress, rdmaAlignedLen);
			return ret;
		}

		pBuffer->pUserAddress = pAddress;
		pBuffer->userSize = size;
		pBuffer->direction = direction;
		pBuffer->rdmaAddress = rdmaAddress;
		pBuffer->rdmaOffset = rdmaOffset;
		pBuffer->rdmaLen = rdmaLen;
		pBuffer->rdmaAlignedLen = rdmaAlignedLen;
		pBuffer->rdmaPage = rdmaPage;
		pBuffer->numPages = rdmaPage->entries;
		pBuffer->pageLock = true;
		
		NTV2_MSG_PAGE_MAP("%s%d: dmaPageLock rdma locked %d pages\n", DMA_MSG_DEVICE, pBuffer->numPages);		
		return 0;
	}
#endif

	if (pBuffer->rdma || (pBuffer->pPageList == NULL) || (pBuffer->pSgList == NULL))
		return -EINVAL;

	// clear page list
	memset(pBuffer->pPageList, 0, sizeof(struct page*) * pBuffer->pageListSize);

#if (LINUX_VERSION_CODE < KERNEL_VERSION(4,0,0))
	flush_write_buffers();
#endif	

	// compute number of pages to lock
	numPages = (int)(((address & ~PAGE_MASK) + size + ~PAGE_MASK) >> PAGE_SHIFT);

	// test number of pages
	if (numPages > (int)pBuffer->pageListSize) {
		NTV2_MSG_ERROR("%s%d: dmaPageLock page list too small %d  need %d pages\n",
					   DMA_MSG_DEVICE, pBuffer->pageListSize, numPages); 
		return -ENOMEM;
	}
	if (numPages > pBuffer->sgListSize)
	{
		NTV2_MSG_ERROR("%s%d: dmaPageLock scatter list too small %d  needed %d pages\n",
					   DMA_MSG_DEVICE, pBuffer->sgListSize, numPages);
		return -ENOMEM;
	}

	// determine if buffer will be written
	write = (direction == DMA_BIDIRECTIONAL) || (direction == DMA_FROM_DEVICE);

	// get the map semaphore
#if (LINUX_VERSION_CODE >= KERNEL_VERSION(5,8,0))
	mmap_read_lock(current->mm);
#else	
	down_read(&current->mm->mmap_sem);
#endif	
	// page in and lock the user buffer
#if defined(KERNEL_6_5_0_GET_USER_PAGES)
	numPinned = get_user_pages(address, numPages, write ? FOLL_WRITE : 0, pBuffer->pPageList);
#else
	numPinned = get_user_pages(
#if (LINUX_VERSION_CODE < KERNEL_VERSION(4,6,0))
		current,
		current->mm,
#endif
		address,
		numPages,
#if ((LINUX_VERSION_CODE < KERNEL_VERSION(4,9,0)) && \
	 ((LINUX_VERSION_CODE < KERNEL_VERSION(4,4,168)) ||	\
	  (LINUX_VERSION_CODE >= KERNEL_VERSION(4,5,0))))
		write,
		0,
#else
		write? FOLL_WRITE : 0,
#endif
		pBuffer->pPageList,
		NULL);
#endif
	
	// release the map semaphore
#if (LINUX_VERSION_CODE >= KERNEL_VERSION(5,8,0))
	mmap_read_unlock(current->mm);
#else	
	up_read(&current->mm->mmap_sem);
#endif	

	// check that all pages are mapped
	if (numPinned != numPages)
	{
		NTV2_MSG_ERROR("%s%d: dmaPageLock get_user_pages failed request %d  pinned %d pages\n",
					   DMA_MSG_DEVICE, numPages, numPinned); 
		goto out_unmap;
	}

	// clear segment list
	NTV2_LINUX_SG_INIT_TABLE_FUNC(pBuffer->pSgList, pBuffer->sgListSize);

	// offset on first page
	pageOffset = (int)(address & ~PAGE_MASK);

	// build scatter list
	count = size;
	if (numPages > 1)
	{
		sg_set_page(&pBuffer->pSgList[0], pBuffer->pPageList[0], PAGE_SIZE - pageOffset, pageOffset);
		count -= sg_dma_len(&pBuffer->pSgList[0]);

		for (i = 1; i < numPages; i++)
		{
			sg_set_page(&pBuffer->pSgList[i], pBuffer->pPageList[i], count < PAGE_SIZE ? count : PAGE_SIZE, 0);
			count -= PAGE_SIZE;
		}
	}
	else
	{
		sg_set_page(&pBuffer->pSgList[0], pBuffer->pPageList[0], count, pageOffset);
	}

	// save parameters
	pBuffer->pUserAddress = pAddress;
	pBuffer->userSize = size;
	pBuffer->direction = direction;
	pBuffer->numPages = numPages;
	pBuffer->numSgs = numPages;
	pBuffer->pageLock = true;

	NTV2_MSG_PAGE_MAP("%s%d: dmaPageLock lock %d pages\n", DMA_MSG_DEVICE, numPages);
	
	return 0;

out_unmap:
	for (i = 0; i < numPinned; i++)
	{
#if (LINUX_VERSION_CODE >= KERNEL_VERSION(4,5,0))
		put_page(pBuffer->pPageList[i]);
#else
		page_cache_release(pBuffer->pPageList[i]);
#endif
	}
	
	return -EPERM;
}

static void dmaPageUnlock(ULWord deviceNumber, PDMA_PAGE_BUFFER pBuffer)
{
	int i;

	dmaSgUnmap(deviceNumber, pBuffer);
	
	if (pBuffer == NULL)
		return;

	if (pBuffer->pageLock)
	{
#ifdef AJA_RDMA
		if (pBuffer->rdma)
		{
			if ((pBuffer->rdmaAddress == 0) || (pBuffer->rdmaPage == NULL))
				return;
			
			NTV2_MSG_PAGE_MAP("%s%d: dmaPageUnlock rdma unlock %d pages\n", 
							  DMA_MSG_DEVICE, pBuffer->numPages); 

			nvidia_p2p_put_pages(
#ifndef AJA_IGPU				
				0, 0,
				pBuffer->rdmaAddress,
#endif								
				pBuffer->rdmaPage);
			rdmaFreeCallback(pBuffer);			
			return;
		}
#endif
		if (pBuffer->rdma || (pBuffer->pPageList == NULL))
			return;

		NTV2_MSG_PAGE_MAP("%s%d: dmaPageUnlock unlock %d pages\n", 
						  DMA_MSG_DEVICE, pBuffer->numPages); 

		// release the locked pages
		for (i = 0; i < pBuffer->numPages; i++)
		{
			if ((pBuffer->direction == DMA_FROM_DEVICE) &&
				!PageReserved(pBuffer->pPageList[i]))
			{
				set_page_dirty(pBuffer->pPageList[i]);
			}
#if (LINUX_VERSION_CODE >= KERNEL_VERSION(4,5,0))
			put_page(pBuffer->pPageList[i]);
#else
			page_cache_release(pBuffer->pPageList[i]);
#endif
		}
	}
		
	// clear parameters
	pBuffer->pUserAddress = NULL;
	pBuffer->userSize = 0;
	pBuffer->direction = 0;
	pBuffer->pageLock = false;
	pBuffer->busMap = false;
	pBuffer->numPages = 0;
	pBuffer->numSgs = 0;
}

#ifdef AJA_RDMA
static void rdmaFreeCallback(void* data)
{
	PDMA_PAGE_BUFFER pBuffer = (PDMA_PAGE_BUFFER)data;
	struct nvidia_p2p_page_table* rdmaPage;

//	ntv2Message("rdmaFreeCallback %llx\n", (long long)data);

	rdmaPage = xchg(&pBuffer->rdmaPage, NULL);
	if (rdmaPage != NULL)
		nvidia_p2p_free_page_table(rdmaPage);

	pBuffer->rdmaAddress = 0;
	pBuffer->rdmaOffset = 0;
	pBuffer->rdmaLen = 0;
	pBuffer->rdmaAlignedLen = 0;
	pBuffer->rdmaPage = NULL;
	pBuffer->pageLock = false;
}

static void dmaSgSetRdmaPage(struct scatterlist* pSg, struct nvidia_p2p_dma_mapping	*rdmaMap,
							 int index, ULWord64 length, ULWord64 offset)
{
	if ((pSg == NULL) || (rdmaMap == NULL) || (index >= rdmaMap->entries))
		return;

	pSg->offset = (unsigned int)offset;
#ifdef AJA_IGPU
	(void)length;
	pSg->dma_address = (dma_addr_t)rdmaMap->hw_address[index];
	pSg->length = (unsigned int)rdmaMap->hw_len[index];
#else
	pSg->dma_address = (dma_addr_t)rdmaMap->dma_addresses[index];
	pSg->length = (unsigned int)length;
#endif	
#ifdef CONFIG_NEED_SG_DMA_LENGTH
	pSg->dma_length = pSg->length;
#endif
}
#endif

static int dmaSgMap(ULWord deviceNumber, PDMA_PAGE_BUFFER pBuffer)
{
	NTV2PrivateParams *pNTV2Params = getNTV2Params(deviceNumber);
	int count;
	
	if (pBuffer == NULL)
		return -EINVAL;

	if (pBuffer->pageLock && !pBuffer->sgMap)
	{
#ifdef AJA_RDMA
		if (pBuffer->rdma)
		{
			ULWord numEntries;
			ULWord64 pageOffset;
			ULWord64 count;
			int i;
			int ret;
#ifdef AJA_IGPU
			ret = nvidia_p2p_dma_map_pages(&(pNTV2Params->pci_dev)->dev,
										   pBuffer->rdmaPage,
										   &pBuffer->rdmaMap,
										   (pBuffer->direction == PCI_DMA_TODEVICE)? DMA_TO_DEVICE : DMA_FROM_DEVICE);
#else
			ret = nvidia_p2p_dma_map_pages(pNTV2Params->pci_dev,
										   pBuffer->rdmaPage,
										   &pBuffer->rdmaMap);
#endif
			if (ret < 0)
			{
				NTV2_MSG_ERROR("%s%d: dmaSgMap rdma map failed %d\n",
							   DMA_MSG_DEVICE, ret); 
				return ret;
			}

			if ((pBuffer->rdmaMap == NULL) || (pBuffer->rdmaMap->entries == 0))
			{
				NTV2_MSG_ERROR("%s%d: dmaSgMap rdma map failed - no map\n",
							   DMA_MSG_DEVICE); 
				return -EPERM;
			}
				
			// alloc scatter list
			numEntries = pBuffer->rdmaMap->entries;
			pBuffer->pSgList = vmalloc(numEntries * sizeof(struct scatterlist));
			if (pBuffer->pSgList == NULL)
			{
				NTV2_MSG_ERROR("%s%d: dmaSgMap allocate rdma scatter buffer failed - entries %d\n",
							   DMA_MSG_DEVICE, numEntries);
				return -ENOMEM;
			}
			pBuffer->sgListSize = numEntries;

			// clear segment list
			NTV2_LINUX_SG_INIT_TABLE_FUNC(pBuffer->pSgList, pBuffer->sgListSize);

			// offset on first page
			pageOffset = pBuffer->rdmaOffset;

			// build scatter list
			count = pBuffer->rdmaLen;
			for (i = 0; i < numEntries; i++)
			{
				if (count > 0)
				{
					dmaSgSetRdmaPage(&pBuffer->pSgList[i],
									 pBuffer->rdmaMap,
									 i,
									 count < (GPU_PAGE_SIZE - pageOffset)? count : (GPU_PAGE_SIZE - pageOffset),
									 pageOffset);
				}
				count = (count < GPU_PAGE_SIZE)? 0 : (count - GPU_PAGE_SIZE);
				pageOffset = 0;
			}

			NTV2_MSG_PAGE_MAP("%s%d: dmaSgMap rdma mapped %d segment(s)\n", 
							  DMA_MSG_DEVICE, numEntries);

			pBuffer->numSgs = (ULWord)numEntries;
			pBuffer->sgMap = true;
			pBuffer->sgHost = false;
			
			return 0;
		}
#endif
		if (pBuffer->pSgList == NULL)
			return -EINVAL;
			
		// map scatter list
		count = dma_map_sg(&(pNTV2Params->pci_dev)->dev,
						   pBuffer->pSgList,
						   pBuffer->numSgs,
						   pBuffer->direction);

		if (count == 0)
		{
			NTV2_MSG_ERROR("%s%d: dmaSgMap map %d segment(s) failed\n",
						   DMA_MSG_DEVICE, pBuffer->numSgs); 
			return -EPERM;
		}
		pBuffer->sgMap = true;
		pBuffer->sgHost = false;

		NTV2_MSG_PAGE_MAP("%s%d: dmaSgMap mapped %d segment(s)\n", 
					  DMA_MSG_DEVICE, pBuffer->numSgs); 
	}

	return 0;
}

static void dmaSgUnmap(ULWord deviceNumber, PDMA_PAGE_BUFFER pBuffer)
{
	NTV2PrivateParams *pNTV2Params = getNTV2Params(deviceNumber);

	if ((pBuffer == NULL) || (pBuffer->pSgList == NULL))
		return;

	if (pBuffer->sgMap)
	{
#ifdef AJA_RDMA
		if (pBuffer->rdma)
		{
			if ((pBuffer->rdmaPage != NULL) && (pBuffer->rdmaMap != NULL))
			{
				NTV2_MSG_PAGE_MAP("%s%d: dmaSgUnmap rdma unmap %d segments\n", 
								  DMA_MSG_DEVICE, pBuffer->numSgs);
				
#ifdef AJA_IGPU
				nvidia_p2p_dma_unmap_pages(pBuffer->rdmaMap);
#else
				nvidia_p2p_dma_unmap_pages(pNTV2Params->pci_dev,
										   pBuffer->rdmaPage,
										   pBuffer->rdmaMap);
#endif
			}
			if (pBuffer->pSgList != NULL)
				vfree(pBuffer->pSgList);
			pBuffer->pSgList = NULL;
			pBuffer->sgListSize = 0;
			pBuffer->numSgs = 0;
			pBuffer->sgMap = false;
			pBuffer->sgHost = false;
			return;
		}
#endif

		NTV2_MSG_PAGE_MAP("%s%d: dmaSgUnmap unmap %d segments\n", 
						  DMA_MSG_DEVICE, pBuffer->numSgs); 

		// unmap the scatter list
		dma_unmap_sg(&(pNTV2Params->pci_dev)->dev,
					 pBuffer->pSgList,
					 pBuffer->numSgs,
					 pBuffer->direction);
	}

	// clear parameters
	pBuffer->sgMap = false;
	pBuffer->sgHost = false;
}
