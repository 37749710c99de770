#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/cdev.h>
#include <linux/cred.h>
#include <linux/init.h>
#include <linux/ioctl.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nvme.h>
#include <linux/pci.h>
#include <linux/printk.h>
#include <linux/proc_fs.h>
#include <linux/string.h>
#include <linux/types.h>

#include "bypassd.h"
#include "linux.h"

static int bypassd_get_user_buf(struct bypassd_ns *ns_entry, void __user *__buf) {
    struct bypassd_dev *dev_entry = ns_entry->bypassd_dev_entry;
    struct bypassd_user_buf buf;
    struct page **pages;
    unsigned int flags;
    unsigned long ret;
    phys_addr_t phys;
    dma_addr_t *dma_addr_list;
    int i;

    copy_from_user(&buf, __buf, sizeof(buf));

    flags         = FOLL_WRITE;
    pages         = kvmalloc_array(buf.nr_pages, sizeof(struct page *),
                        GFP_KERNEL);
    dma_addr_list = kmalloc (sizeof(__u64) * buf.nr_pages, GFP_KERNEL);

    ret = get_user_pages_fast((unsigned long)buf.vaddr, buf.nr_pages, flags, pages);
    if (ret <= 0) {
        kvfree(pages);
        kfree(dma_addr_list);
        pr_err("[bypassd]: get_user_pages_fast failed.\n");
        return -ENOMEM;
    }

    buf.nr_pages = ret;

    for (i=0; i<ret; ++i) {
        phys              = page_to_phys(pages[i]);
        dma_addr_list[i]  = (dma_addr_t)phys;
        dma_addr_list[i] -= ((dma_addr_t)dev_entry->pdev->dev.dma_pfn_offset << PAGE_SHIFT);
        if (dma_addr_list[i] == 0) {
            pr_err("[bypassd]: Invalid page address while allocating DMA pages.\n");
            buf.nr_pages--;
        }
    }

    copy_to_user(__buf, &buf, sizeof(buf));
    copy_to_user(buf.dma_addr_list, dma_addr_list, sizeof(__u64) * ret);

    kvfree(pages);
    kfree(dma_addr_list);

    return 0;
}

static int bypassd_put_user_buf(struct bypassd_ns *ns_entry, void __user *__buf) {
    struct bypassd_dev *dev_entry = ns_entry->bypassd_dev_entry;
    struct bypassd_user_buf buf;
    dma_addr_t *dma_addr_list;

    struct page **pages;
    phys_addr_t phys;
    unsigned long pfn;

    int i;

    copy_from_user(&buf, __buf, sizeof(buf));
    dma_addr_list = kzalloc(sizeof(__u64) * buf.nr_pages, GFP_KERNEL);

    copy_from_user(dma_addr_list, buf.dma_addr_list, sizeof(__u64) * buf.nr_pages);
    pages = kvmalloc_array(buf.nr_pages, sizeof(struct page *), GFP_KERNEL);

    for (i=0; i<buf.nr_pages; ++i) {
        phys     = (phys_addr_t)dma_addr_list[i];
        phys    += (dma_addr_t)dev_entry->pdev->dev.dma_pfn_offset << PAGE_SHIFT;
        pfn      = phys >> PAGE_SHIFT;
        pages[i] = pfn_to_page(pfn);
        if (!pages[i]) {
            pr_err("[bypassd]: Can't find DMA page for freeing.\n");
            break;
        }
    }
    put_user_pages(pages, i);

    kvfree(pages);
    kfree(dma_addr_list);

    return 0;
}

/*
 * IOCTL handler
 */
static long bypassd_ioctl(struct file *file, unsigned int cmd, unsigned long arg) {
    struct bypassd_ns *ns_entry = PDE_DATA(file->f_inode);
    int ret;

    switch (cmd) {
        case BYPASSD_IOCTL_GET_NS_INFO:
            ret = bypassd_get_ns_info(ns_entry, (void __user *)arg);
            break;

        case BYPASSD_IOCTL_CREATE_QUEUE_PAIR:
            ret = bypassd_setup_queue_pair(ns_entry, (void __user *)arg);
            break;

        case BYPASSD_IOCTL_DELETE_QUEUE_PAIR:
            ret = bypassd_delete_queue_pair(ns_entry, (void __user *)arg);
            break;

        case BYPASSD_IOCTL_GET_USER_BUF:
            ret = bypassd_get_user_buf(ns_entry, (void __user *)arg);
            break;

        case BYPASSD_IOCTL_PUT_USER_BUF:
            ret = bypassd_put_user_buf(ns_entry, (void __user *)arg);
            break;

        case BYPASSD_IOCTL_GET_BUF_ADDR:
            ret = bypassd_get_buf_addr(ns_entry, (void __user *)arg);
            break;

        default:
            ret = -EINVAL;
            pr_err("[bypassd]: Invalid IOCTL\n");
            break;
    }
    return ret;
}

/*****************************************************************************/

static const struct file_operations bypassd_ns_fops = {
    .owner = THIS_MODULE,
    .unlocked_ioctl = bypassd_ioctl,
};

static int find_nvme_devices(void) {
    struct bypassd_dev *dev_entry;
    struct pci_dev     *pdev = NULL;
    struct nvme_dev    *ndev;
    struct nvme_ns     *ns;

    struct bypassd_ns    *ns_entry;
    struct disk_part_iter piter;
    struct hd_struct     *part;

    char dev_name[32];
    int  i;

    while ((pdev = pci_get_class(PCI_CLASS_STORAGE_EXPRESS, pdev))) {
        ndev = pci_get_drvdata(pdev);
        if (ndev == NULL)
            continue;

        dev_entry = kzalloc(sizeof(*dev_entry), GFP_KERNEL);
        dev_entry->ndev = ndev;
        dev_entry->pdev = pdev;
        dev_entry->num_user_queue = 0;
        spin_lock_init(&dev_entry->ctrl_lock);
        for(i=0; i<ndev->ctrl.queue_count; ++i) {
            set_bit(i, dev_entry->queue_bmap);
        }
        list_add(&dev_entry->list, &bypassd_dev_list);

        INIT_LIST_HEAD(&dev_entry->ns_list);

        list_for_each_entry(ns, &ndev->ctrl.namespaces, list) {
            disk_part_iter_init(&piter, ns->disk, DISK_PITER_INCL_PART0);
            while ((part = disk_part_iter_next(&piter))) {
                if(part != &ns->disk->part0 && !part->info)
                    continue;

                ns_entry = kzalloc(sizeof(*ns_entry), GFP_KERNEL);
                ns_entry->bypassd_dev_entry = dev_entry;
                ns_entry->ns = ns;
                ns_entry->start_sect = part->start_sect;

                if(part == &ns->disk->part0)
                    sprintf(dev_name, "nvme%dn%u", ndev->ctrl.instance, ns->head->ns_id);
                else
                    sprintf(dev_name, "nvme%dn%up%u", ndev->ctrl.instance, ns->head->ns_id, part->partno);

                ns_entry->ns_proc_root = proc_mkdir(dev_name, bypassd_proc_root);
                if(!ns_entry->ns_proc_root) {
                    pr_err("[bypassd]: Error creating proc directory - %s\n", dev_name);
                    kfree(ns_entry);
                    continue;
                }

                ns_entry->ns_proc_ioctl = proc_create_data("ioctl", S_IRUSR|S_IRGRP|S_IROTH,
                        ns_entry->ns_proc_root, &bypassd_ns_fops, ns_entry);

                if(!ns_entry->ns_proc_ioctl) {
                    pr_err("[bypassd]: Error creating proc ioctl file - %s\n", dev_name);
                    proc_remove(ns_entry->ns_proc_root);
                    kfree(ns_entry);
                    continue;
                }

                INIT_LIST_HEAD(&ns_entry->queue_list);

                list_add(&ns_entry->list, &dev_entry->ns_list);
            }
            disk_part_iter_exit(&piter);
        }
    }
    return 0;
}

static int __init bypassd_init(void)
{
    int ret;

    ret = request_module("nvme");
    if (ret < 0) {
        pr_err("[bypassd]: Cannot find NVMe driver\n");
        return -1;
    }

    bypassd_proc_root = proc_mkdir("bypassd", NULL);
    if (!bypassd_proc_root) {
        pr_err("[bypassd]: Couldn't create proc entry\n");
        return -1;
    }

    if (find_nvme_devices() != 0) {
        pr_err("[bypassd]: Couldn't find NVMe device\n");
        return -1;
    }

    pr_info("[bypassd]: Initialized module\n");
    return 0;
}

static void __exit bypassd_exit(void)
{
    struct bypassd_dev *dev_entry, *dev_next;
    struct bypassd_ns  *ns_entry, *ns_next;
    pr_info("[bypassd]: Exiting module\n");

    list_for_each_entry_safe(dev_entry, dev_next, &bypassd_dev_list, list) {
        list_for_each_entry_safe(ns_entry, ns_next, &dev_entry->ns_list, list) {
            bypassd_cleanup_queues(ns_entry);

            proc_remove(ns_entry->ns_proc_ioctl);
            proc_remove(ns_entry->ns_proc_root);

            list_del(&ns_entry->list);
            kfree(ns_entry);
        }
        list_del(&dev_entry->list);
        kfree(dev_entry);
    }
    proc_remove(bypassd_proc_root); 
}

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Sujay Yadalam");
MODULE_DESCRIPTION("NVME module to support user-space direct access");

module_init(bypassd_init);
module_exit(bypassd_exit);
