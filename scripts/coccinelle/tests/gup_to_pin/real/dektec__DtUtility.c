//*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#* DtUtility.c *#*#*#*#*#*#*#*#* (C) 2010-2016 DekTec
//

//-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.- License -.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.

// Copyright (C) 2010-2016 DekTec Digital Video B.V.
//
// Redistribution and use in source and binary forms, with or without modification, are
// permitted provided that the following conditions are met:
//  1. Redistributions of source code must retain the above copyright notice, this list
//     of conditions and the following disclaimer.
//  2. Redistributions in binary format must reproduce the above copyright notice, this
//     list of conditions and the following disclaimer in the documentation.
//
// THIS SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
// INCLUDING BUT NOT LIMITED TO WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
// PURPOSE AND NONINFRINGEMENT.
// IN NO EVENT SHALL DEKTEC DIGITAL VIDEO BV, ITS AGENTS OR ITS EMPLOYEES BE LIABLE FOR
// ANY DIRECT, INDIRECT, CONSEQUENTIAL, INCIDENTAL, OR OTHER DAMAGES (INCLUDING DAMAGES
// FOR THE LOSS OF USE, INFORMATION, GOODWILL, PROFIT, WORK STOPPAGE, DATA, BUSINESS OR
// REVENUE) UNDER ANY CIRCUMSTANCES, OR UNDER ANY LEGAL THEORY, WHETHER IN CONTRACT, IN
// TORT, IN NEGLIGENCE, OR OTHERWISE, ARISING FROM THE USE OF, OR INABILITY TO USE THIS
// SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGES.

//.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.- Include files -.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-
#include <DtSal.h>

#ifdef WINBUILD
#include <wdmguid.h>            // Required for GUID in interface queries.
#endif


//+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+ Memory functions +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//

//-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.- DtMemAllocPoolLarge -.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.
//
void*  DtMemAllocPoolLarge(DtPoolType Type, UInt Size, UInt32 Tag, DtPageList** ppPageList)
{
#ifdef WINBUILD

    // Windows: always use plain kernel memory
    if(ppPageList != NULL)
        *ppPageList = NULL;    
    
    return DtMemAllocPool(Type, Size, Tag);
#else

    Int  i,j;
    UInt  BufSize;   
    DtPageList*  pPageList = NULL;

    // On request, allocate plain memory
    if (ppPageList == NULL)
        return DtMemAllocPool(Type, Size, Tag);
    
    // Check if we can allocate one contiguous piece of memory 
    if (get_order(Size) < MAX_ORDER )   
    {   
        *ppPageList = NULL;
        return DtMemAllocPool(Type, Size, Tag);    
    }

    // Round up to PAGE_SIZE
    BufSize = Size;
    if (BufSize % PAGE_SIZE != 0)
        BufSize = ((BufSize / PAGE_SIZE) + 1) * PAGE_SIZE;

    // Create a pagelist object
    pPageList = kmalloc(sizeof(DtPageList), GFP_KERNEL);
    if (pPageList == NULL)
    {
        DtDbgOut(ERR, SAL, "Unable to allocate a pagelist for a large kernel buffer.");
        return NULL;
    }

    // Allocate a buffer to store the page pointers of the user/kernel buffer

    // Prevent deleting by DtDeletePageList, act as an OS owned buffer
    // Explicitly use DtMemFreePoolLarge to cleanup this buffer.
    pPageList->m_BufType = DT_BUFTYPE_KERNEL;
    pPageList->m_OwnedByUs = FALSE;   
    pPageList->m_NumPages = BufSize / PAGE_SIZE;
    pPageList->m_pPages = kmalloc(sizeof(struct page*) * pPageList->m_NumPages, 
                                                                              GFP_KERNEL);
    if (pPageList->m_pPages == NULL)
    {  
        kfree(pPageList);
        *ppPageList = NULL;
        DtDbgOut(ERR, SAL, "Unable to allocate pages for a large kernel buffer.");
        return NULL;
    }

    // allocate memory located < 4GB and create our own page table
    for (i = 0; i < pPageList->m_NumPages; i++)
    {
        pPageList->m_pPages[i] = virt_to_page(__get_free_page(GFP_KERNEL | GFP_DMA32));
        if(pPageList->m_pPages[i] == NULL)
        {
            // on error free allocated pages
            for (j=0; j < i; j++)            
                free_page((unsigned long)page_address(pPageList->m_pPages[j]));

            kfree(pPageList->m_pPages);
            kfree(pPageList);
            *ppPageList = NULL;
            DtDbgOut(ERR, SAL, "Unable to map a page for a large kernel buffer.");
            return NULL;
        }
    }

    // map to virtual memory
    pPageList->m_pVirtualKernel = vmap(pPageList->m_pPages, 
                                pPageList->m_NumPages, VM_READ | VM_WRITE, PAGE_KERNEL);

    // on error free allocated memory
    if (pPageList->m_pVirtualKernel == NULL)
    {
        for (i = 0; i < pPageList->m_NumPages; i++)
            free_page((unsigned long)page_address(pPageList->m_pPages[i]));
 
        kfree(pPageList->m_pPages);
        kfree(pPageList);
        *ppPageList = NULL;
        DtDbgOut(ERR, SAL, "Unable to map memory for a large kernel buffer.");
        return NULL;
    }
    
    *ppPageList = pPageList;    
    return pPageList->m_pVirtualKernel;

#endif
}

//.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.- DtMemFreePoolLarge -.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.
//
void  DtMemFreePoolLarge(void* pPtr, UInt32 Tag, DtPageList* pPageList)
{
#ifdef WINBUILD
    DtMemFreePool(pPtr, Tag);
#else
    Int  i;
    void*  pPage;

    if (pPageList == NULL)
        return DtMemFreePool(pPtr, Tag);

    DT_ASSERT(pPtr == pPageList->m_pVirtualKernel);    

    // Note: It is not allowed to use vunmap in an interrupt OR
    //       when we hold a spinlock (spin_lock_bh).    
    DT_ASSERT(!in_interrupt());
    vunmap(pPageList->m_pVirtualKernel);

    pPageList->m_pVirtualKernel = NULL; 
    
    // Release pages
    DT_ASSERT(pPageList->m_pPages != NULL);	
    for (i = 0; i < pPageList->m_NumPages; i++) 
    {
        pPage = page_address(pPageList->m_pPages[i]);
        free_page((unsigned long)pPage);
    }
    
    kfree(pPageList->m_pPages);    
    kfree(pPageList);

#endif
}

//+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+ Memory (Page) functions +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=

//-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.- DtLockUserBuffer -.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-
//
DtStatus  DtLockUserBuffer(DtPageList* pPageList, UInt8* pBuffer)
{
#ifdef WINBUILD
    try {
        MmProbeAndLockPages(pPageList->m_pMdl, UserMode, IoModifyAccess);
    } except (EXCEPTION_EXECUTE_HANDLER) {
        return DT_STATUS_OUT_OF_RESOURCES;
    }
    pPageList->m_pVirtualKernel = 
                      MmGetSystemAddressForMdlSafe(pPageList->m_pMdl, NormalPagePriority);
        
    if (pPageList->m_pVirtualKernel == NULL)
    {  
        DtDbgOut(ERR, SAL, "Error getting system address for pagelist MDL: %p", 
                                                                       pPageList->m_pMdl);
        MmUnlockPages(pPageList->m_pMdl);
        return DT_STATUS_OUT_OF_RESOURCES;
    }
#else
    unsigned long Offset = 0;

    // For linux the DtPageList is always locked into memory during creation of the buffer
    // No separate function is needed to lock the buffer
    pPageList->m_pVirtualKernel = vmap(pPageList->m_pPages, pPageList->m_NumPages, 
                                             VM_SHARED | VM_READ | VM_WRITE, PAGE_KERNEL);
    if (pPageList->m_pVirtualKernel == NULL)
        return DT_STATUS_OUT_OF_RESOURCES;

    // vmap uses a page aligned buffer, truncated in DtGetPagesUserBufferAndLock()
    // make shure the virtual kernel pointer points to the actual buffer address.
    Offset = (unsigned long)(pBuffer) % PAGE_SIZE;
    pPageList->m_pVirtualKernel += Offset;

#endif
    
    DtDbgOut(MAX, SAL, "Lock user buffer: pVirtual: %p", pPageList->m_pVirtualKernel);
    return DT_STATUS_OK;
}

//.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.- DtUnlockUserBuffer -.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.
//
DtStatus  DtUnlockUserBuffer(DtPageList* pPageList)
{
#ifdef WINBUILD

    MmUnlockPages(pPageList->m_pMdl);
#else

    unsigned long Truncate;

    // For linux the DtPageList is automatically unlocked when the DtPageList buffer is
    // cleaned up
    // No separate function is needed
    // Note: It is not allowed to use vunmap in an interrupt OR
    //       when we hold a spinlock (spin_lock_bh).
    DT_ASSERT(!in_interrupt());

    // vmap returns a page aligned virtual address.
    // Make shure vunmap also gets this address.
    Truncate = PAGE_SIZE-1;
    pPageList->m_pVirtualKernel = 
                      (UInt8 *)((unsigned long)pPageList->m_pVirtualKernel & (~Truncate));

    vunmap(pPageList->m_pVirtualKernel); 
#endif
    DtDbgOut(MAX, SAL, "Unlock user buffer: pVirtual: %p", pPageList->m_pVirtualKernel);
    return DT_STATUS_OK;
}

#ifdef LINBUILD
//-.-.-.-.-.-.-.-.-.-.-.-.-.-.- DtGetPagesUserBufferAndLock -.-.-.-.-.-.-.-.-.-.-.-.-.-.-.
//
// This function does not lock the user buffer if the NumPages are not equal
// to the NumPagesRet.
// In that case, the caller must not use the buffer and cleanup everything
//
UInt  DtGetPagesUserBufferAndLock(
    struct task_struct*  pTask, // Task that created the buffer
    void*  pBuffer,             // Pointer to user buffer
    UInt  NumPages,             // Length of buffer in page size
    DtPageList* pPageList)
{
    Int  NumPagesRet;
    NumPagesRet = get_user_pages_fast(
                    (unsigned long)pBuffer,
                    NumPages,           // Length of the buffer in pages
                    1,
                    pPageList->m_pPages// Will contain list of page pointers describing buffer
                    );
    if (NumPagesRet < 0)
    {
        NumPagesRet = 0;
        DtDbgOut(ERR, SAL, "get_user_pages returned %i", NumPagesRet);
    }
    else if (NumPagesRet != NumPages)
    {
        DtDbgOut(ERR, SAL, "Numpages(%i) != NumPagesRet(%i).", NumPages, NumPagesRet);
    }
    return NumPagesRet;
}

//.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.- DtFreePagesUserBuffer -.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-
//
void  DtFreePagesUserBuffer(
    DtPageList* pPageList)
{
    Int i;
    for (i=0; i<pPageList->m_NumPages; i++) 
    {
        if (!PageReserved(pPageList->m_pPages[i]))
            SetPageDirty(pPageList->m_pPages[i]);
        put_page(pPageList->m_pPages[i]);
    }
}

//.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.- DtGetPagesKernelBuffer -.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.
//
// Pre: pPageList is initialised and page pointers allocated
//
UInt  DtGetPagesKernelBuffer(
    void*  pBuffer,             // Pointer to user buffer
    DtPageList*  pPageList)
{
    Int  i;

    for (i= 0; i<pPageList->m_NumPages; i++)
        pPageList->m_pPages[i] = virt_to_page((UInt8*)pBuffer + i*PAGE_SIZE);
    return pPageList->m_NumPages;
}
#endif

//-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.- DtCreatePageList -.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-
//
// This function creates a list of pages from a virtual kernel/user buffer
//
DtStatus  DtCreatePageList(
    void*  pBuffer, 
    UInt  BufSize,
    UInt  BufType,
    DtPageList*  pPageList)
{
#ifdef WINBUILD
#else
    Int  BytesFirstPage;
#endif
    pPageList->m_BufType = BufType;
    pPageList->m_OwnedByUs = TRUE;
#ifdef WINBUILD    
    pPageList->m_pMdl = IoAllocateMdl(pBuffer, BufSize, FALSE, FALSE, NULL);
    if (pPageList->m_pMdl == NULL)
        return DT_STATUS_OUT_OF_MEMORY;
    
    if (BufType == DT_BUFTYPE_KERNEL)
        MmBuildMdlForNonPagedPool(pPageList->m_pMdl); 
#else
    // Calculate number of pages needed to store the page list.

    
    BytesFirstPage = PAGE_SIZE - (DtPtrToUInt(pBuffer) % PAGE_SIZE);
    if (BytesFirstPage > BufSize)
        BytesFirstPage = BufSize;
    pPageList->m_NumPages = (BufSize - BytesFirstPage) / PAGE_SIZE;
    
    // Take the page boundaries of first and last element into account
    // First Element
    if (BytesFirstPage != 0)
        pPageList->m_NumPages++;
    // Last element
    if ((BufSize-BytesFirstPage)%PAGE_SIZE != 0)
        pPageList->m_NumPages++;
    
    // Allocate a buffer to store the page pointers of the user/kernel buffer
    pPageList->m_pPages = kmalloc(sizeof(struct page*)*pPageList->m_NumPages, GFP_KERNEL);
    if (pPageList->m_pPages == NULL)
        return DT_STATUS_OUT_OF_MEMORY;
    
    // Fill the page table
    if (BufType == DT_BUFTYPE_USER) 
    {   
        UInt NumPagesRet;
        // The pPageList->m_NumPages is not updated by the DtGetPagesUserBufferAndLock
        // and should be equal to the NumPagesRet. If not, we can't use the pages
        // and must fail.
        NumPagesRet = DtGetPagesUserBufferAndLock(current, pBuffer, pPageList->m_NumPages,
                                                                               pPageList);
        if (NumPagesRet != pPageList->m_NumPages)
        {
            // First update the m_NumPages to the actual number of pages the 
            // DtGetUserBufferAndLock returned before cleaning up.
            pPageList->m_NumPages = NumPagesRet;
            if (NumPagesRet != 0)
                DtFreePagesUserBuffer(pPageList);
            kfree(pPageList->m_pPages);
            pPageList->m_pPages = NULL;
            return DT_STATUS_OUT_OF_MEMORY;
        }
    } else
        DtGetPagesKernelBuffer(pBuffer, pPageList);
#endif
    return DT_STATUS_OK;
}

//-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.- DtDeletePageList -.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-
//
DtStatus  DtDeletePageList(
    DtPageList*  pPageList)
{
    // Check if we are the owner. If not, we should not delete the page list
    if (!pPageList->m_OwnedByUs)
    {
        return DT_STATUS_OK;
    }
#ifdef WINBUILD
    if (pPageList->m_pMdl != NULL)
        IoFreeMdl(pPageList->m_pMdl);
    pPageList->m_pMdl = NULL;
#else
    if (pPageList->m_pPages == NULL)
        return DT_STATUS_OK;

    if (pPageList->m_BufType == DT_BUFTYPE_USER)
        DtFreePagesUserBuffer(pPageList);

    kfree(pPageList->m_pPages);
    pPageList->m_pPages = NULL;
#endif
    return DT_STATUS_OK;
}

//-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.- DtGetUserBuffer -.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.
//
// Pre: pIoctl->m_pInputBuffer must be of type DtUserBufferPort or DtUserBuffer
//
// UseCopyFunc: TRUE: DtMemCopyToUserBuf/DtMemCopyFromUserBuf must be used to copy the
//                    data to/from user buffer
//             FALSE: Buffer can be accesses directly
//
DtStatus  DtGetUserBuffer(DtIoctlObject* pIoctl, UInt8** pBuffer, Int* pSize,
                                                                         Bool UseCopyFunc)
{
#ifdef WINBUILD
#ifdef  USES_KMDF
    PMDL  pMdl;
    NTSTATUS  NtStatus;
    // Retrieve MDL and buffer from request object
    NtStatus = WdfRequestRetrieveOutputWdmMdl(pIoctl->m_WdfRequest, &pMdl);
    if (NtStatus != STATUS_SUCCESS)
    {
        DtDbgOut(ERR, SAL, "WdfRequestRetrieveOutputWdmMdl error: %08x", NtStatus);
        return DT_STATUS_OUT_OF_RESOURCES;
    }
    *pBuffer = MmGetSystemAddressForMdlSafe(pMdl, NormalPagePriority);
    if (*pBuffer == NULL)
        return DT_STATUS_OUT_OF_MEMORY;
    *pSize = MmGetMdlByteCount(pMdl);
    return DT_STATUS_OK;
#else
    return DT_STATUS_NOT_SUPPORTED;
#endif // USES_KMDF
#else  // LINBUILD
    pIoctl->m_pContext = NULL;
    if (pIoctl->m_InputBufferSize == sizeof(DtUserBufferPort))
    {
        DtUserBufferPort*  pUserBuf = (DtUserBufferPort*)pIoctl->m_pInputBuffer;
        *pSize = pUserBuf->m_NumBytes;
        *pBuffer = (void*)(UIntPtr)pUserBuf->m_BufferAddr;
    }
    else if (pIoctl->m_InputBufferSize == sizeof(DtUserBuffer))
    {
        DtUserBuffer*  pUserBuf = (DtUserBuffer*)pIoctl->m_pInputBuffer;
        *pSize = pUserBuf->m_NumBytes;
        *pBuffer = (void*)(UIntPtr)pUserBuf->m_BufferAddr;
    }
    else
        return DT_STATUS_INVALID_PARAMETER;
    if (!UseCopyFunc)
    {
        DtStatus  Status;
        DtPageList*  pPageList = DtMemAllocPool(DtPoolNonPaged, sizeof(DtPageList), SAL_TAG);
        if (pPageList == NULL)
            return DT_STATUS_OUT_OF_MEMORY;
        Status = DtCreatePageList(*pBuffer, *pSize, DT_BUFTYPE_USER, pPageList);
        if (!DT_SUCCESS(Status))
        {
            DtMemFreePool(pPageList, SAL_TAG);
            return Status;
        }
        // Lock buffer into kernel memory
        Status = DtLockUserBuffer(pPageList, *pBuffer);
        if (!DT_SUCCESS(Status))
        {
            DtDeletePageList(pPageList);
            DtMemFreePool(pPageList, SAL_TAG);
            return Status;
        }
        *pBuffer = pPageList->m_pVirtualKernel;
        pIoctl->m_pContext = pPageList;
    }
    return DT_STATUS_OK;
#endif
}

//-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.- DtReleaseUserBuffer -.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.-.
//
void  DtReleaseUserBuffer(DtIoctlObject* pIoctl, UInt8* pBuffer)
{
#ifdef WINBUILD
    // Nothing to do at this moment
    // Will be done automatically when request object is released
#else
    if (pIoctl->m_pContext != NULL)
    {
        DtPageList*  pPageList = (DtPageList*)pIoctl->m_pContext;
        DtUnlockUserBuffer(pPageList);
        DtDeletePageList(pPageList);
        DtMemFreePool(pPageList, SAL_TAG);
        pIoctl->m_pContext = NULL;
    }
#endif
}
