/*
 * ezdma module -- Simple zero-copy DMA to/from userspace for
 * dmaengine-compatible hardware.
 * 
 * Copyright (C) 2015 Jeremy Trimble
 * 
 * This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation; either version 2 of the License, or
 * (at your option) any later version.
 * 
 * This program is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE. See the
 * GNU General Public License for more details.
 * 
 * You should have received a copy of the GNU General Public License
 * along with this program; if not, see <http://www.gnu.org/licenses/>.
 */

#include <linux/module.h>
#include <linux/device.h>
#include <linux/platform_device.h>
#include <linux/of.h>
#include <linux/types.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <asm/io.h>
#include <asm/param.h>  /* HZ */
#include <linux/semaphore.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>

#include <linux/dmaengine.h>
#include <linux/dma-mapping.h>

#include <linux/fs.h>
#include <linux/cdev.h>
#include <linux/wait.h>

#define EZDMA_DEV_NAME_MAX_CHARS (16)

#define SEM_TAKE_TIMEOUT (5)

enum ezdma_dir {
    EZDMA_DEV_TO_CPU = 1,   // RX
    EZDMA_CPU_TO_DEV = 2,   // TX
};

/* Right now the I/O concept is very simple -- all reads and writes
 * are blocking, and concurrent reads and writes are not allowed.
 * Concurrent open is also disallowed.
 */
enum dma_fsm_state {
    DMA_IDLE = 0,
    DMA_IN_FLIGHT = 1,
    DMA_COMPLETING = 3,
};

// These fields should only be valid during an ongoing read/write call.
struct ezdma_inflight_info {
    struct page **  pinned_pages;
    struct sg_table table;
    unsigned int    num_pages;
    bool            table_allocated;
    bool            pages_pinned;
    bool            dma_mapped;
    bool            dma_started;
};

struct ezdma_drvdata {
    struct platform_device *pdev;

    char name[EZDMA_DEV_NAME_MAX_CHARS];
    uint32_t dir;   // ezdma_dir

    struct semaphore sem;   /* protects mutable data below */

    bool        in_use;
    atomic_t    accepting;

    spinlock_t state_lock;  // protects state below, may be taken from interrupt (tasklet) context
    enum dma_fsm_state state;
    struct ezdma_inflight_info inflight;

    wait_queue_head_t    wq;

    /* dmaengine */
    struct dma_chan *chan;

    /* device accounting */
    dev_t           ezdma_devt;
    struct cdev     ezdma_cdev;
    struct device * ezdma_dev;

    /* Statistics */
    atomic_t    packets_sent;
    atomic_t    packets_rcvd;

    struct list_head node;
};

/* LOCK ORDERING:  if taking both sem and state_lock, must always take sem first */

struct ezdma_pdev_drvdata {
    struct list_head ezdma_list;    // list of ezdma_drvdata instances created in
                                    // relation to this platform device
};

static int ezdma_open(struct inode *inode, struct file *filp);
static ssize_t ezdma_read(struct file *filp, char __user *userbuf, size_t count, loff_t *f_pos);
static ssize_t ezdma_write(struct file *filp, const char __user *userbuf, size_t count, loff_t *f_pos);
static int ezdma_release(struct inode *inode, struct file *filp);

static const struct file_operations ezdma_fops = {
    .owner      = THIS_MODULE,
    .open       = ezdma_open,
    .read       = ezdma_read,
    .write      = ezdma_write,
    .release    = ezdma_release,
    //.poll       = ezdma_poll,
};

// this runs in tasklet (interrupt) context -- no sleeping!
static void ezdma_dmaengine_callback_func(void *data)
{
    struct ezdma_drvdata * p_info = (struct ezdma_drvdata*)data;
    unsigned long iflags;

    //printk( KERN_ERR KBUILD_MODNAME ": %s: callback fired for %s\n",
    //        p_info->name, p_info->dir == EZDMA_DEV_TO_CPU ? "RX" : "TX" );

    spin_lock_irqsave(&p_info->state_lock, iflags);

    if ( DMA_IN_FLIGHT == p_info->state )
    {
        p_info->state = DMA_COMPLETING;
        wake_up_interruptible( &p_info->wq );
    }
    // else: well, nevermind then...
    
    spin_unlock_irqrestore(&p_info->state_lock, iflags);
}

/* 
 * DMA procedure:
 * 
 * Figure out how many pages.
 * Allocate page array and scatterlist.
 * Try to pin pages using get_user_pages_fast().
 * Map the pages for DMA.
 * Issue DMA request.
 * Wait on condition variable.
 * if interrupted, terminate_all DMAs
 * Unmap DMA
 * SetPageDirty()   // if RX, assume all pages were written
 * free page array and scatterlist
 */
static void ezdma_unprepare_after_dma( struct ezdma_drvdata * p_info );

// should be called with p_info->sem held, but not p_info->state_lock
static int ezdma_prepare_for_dma(
        struct ezdma_drvdata * p_info, 
        char __user *userbuf,
        size_t count
)
{
    int rv;

    BUG_ON( p_info->inflight.pinned_pages ); // should be NULL
    memset( &p_info->inflight, 0, sizeof( struct ezdma_inflight_info ) );
    
    p_info->inflight.num_pages = (offset_in_page(userbuf) + count + PAGE_SIZE-1) / PAGE_SIZE;
    p_info->inflight.pinned_pages = kmalloc( 
        p_info->inflight.num_pages * sizeof(struct page*),
        GFP_KERNEL);

    if ( !p_info->inflight.pinned_pages )
    {
        rv = -ENOMEM;
        goto err_out;
    }

    if ( (rv = sg_alloc_table(
                    &p_info->inflight.table, 
                    p_info->inflight.num_pages,
                    GFP_KERNEL )) )
    {
        printk( KERN_ERR KBUILD_MODNAME ": %s: sg_alloc_table() returned %d\n", 
                p_info->name, rv);
        goto err_out;
    }
    else
    {
        p_info->inflight.table_allocated = 1;
    }

    rv = get_user_pages_fast(
            (unsigned long)userbuf,             // start
            p_info->inflight.num_pages,
            p_info->dir == EZDMA_DEV_TO_CPU,    // write
            p_info->inflight.pinned_pages);

    if ( rv != p_info->inflight.num_pages )
    {
        printk( KERN_ERR KBUILD_MODNAME ": %s: get_user_pages_fast() returned %d, expected %d\n",
                p_info->name, rv, p_info->inflight.num_pages);
        goto err_out;
    }
    else
    {
        p_info->inflight.pages_pinned = 1;
    }

    // Build scatterlist.
    {
        int i;
        struct scatterlist * sg;
        struct scatterlist * const sgl = p_info->inflight.table.sgl;
        const unsigned int num_pages = p_info->inflight.num_pages;

        size_t left_to_map = count;

        for_each_sg( sgl, sg, num_pages, i )
        {
            unsigned int len;
            unsigned int offset;

            len = left_to_map > PAGE_SIZE ? PAGE_SIZE : left_to_map;

            if ( 0 == i )
            {
                offset = offset_in_page(userbuf);
                if ( (offset + len) > PAGE_SIZE )
                    len = PAGE_SIZE - offset;
            }
            else
            {
                offset = 0;
            }

            //printk( KERN_DEBUG KBUILD_MODNAME ": %s: sgl[%d]: page: %p, len: %d, offset: %d\n",
            //        p_info->name, i, p_info->inflight.pinned_pages[i], len, offset );

            //sg_set_page( sgl, p_info->inflight.pinned_pages[i], len, offset );
            sg_set_page( sg, p_info->inflight.pinned_pages[i], len, offset );
            left_to_map -= len;
        }
    }

    // Map the scatterlist 

    rv = dma_map_sg(p_info->ezdma_dev,
                p_info->inflight.table.sgl,
                p_info->inflight.num_pages,
                p_info->dir == EZDMA_DEV_TO_CPU ? DMA_FROM_DEVICE : DMA_TO_DEVICE);

    if ( rv != p_info->inflight.num_pages )
    {
        printk( KERN_ERR KBUILD_MODNAME ": %s: dma_map_sg() returned %d, expected %d\n", 
                p_info->name, rv, p_info->inflight.num_pages);
        goto err_out;
    }
    else
    {
        p_info->inflight.dma_mapped = 1;
    }

    // Issue DMA request here
    {
        struct dma_async_tx_descriptor * txn_desc;
        struct scatterlist * const sgl = p_info->inflight.table.sgl;
        dma_cookie_t cookie;

        txn_desc = dmaengine_prep_slave_sg(
                p_info->chan,
                sgl,
                p_info->inflight.num_pages,
                p_info->dir == EZDMA_DEV_TO_CPU ? DMA_FROM_DEVICE : DMA_TO_DEVICE,
                DMA_PREP_INTERRUPT);    // run callback after this one

        if ( !txn_desc )
        {
            printk( KERN_ERR KBUILD_MODNAME ": %s: dmaengine_prep_slave_sg() failed\n", p_info->name);
            rv = -ENOMEM;
            goto err_out;
        }

        txn_desc->callback = ezdma_dmaengine_callback_func;
        txn_desc->callback_param = p_info;

        spin_lock_irq( &p_info->state_lock );

        p_info->state = DMA_IN_FLIGHT;

        cookie = dmaengine_submit(txn_desc);

        if ( cookie < DMA_MIN_COOKIE )
        {
            printk( KERN_ERR KBUILD_MODNAME ": %s: dmaengine_submit() returned %d\n", p_info->name, cookie);
            rv = cookie;
            p_info->state = DMA_IDLE;
        }
        else
        {
            p_info->inflight.dma_started = 1;
            dma_async_issue_pending( p_info->chan );    // Bam!
            //printk( KERN_ERR KBUILD_MODNAME ": %s: issued pending for %s\n",
            //        p_info->name,
            //        p_info->dir == EZDMA_DEV_TO_CPU ? "RX" : "TX" );
        }

        spin_unlock_irq( &p_info->state_lock );

        if ( cookie < DMA_MIN_COOKIE )
            goto err_out;
    }

    return 0;

    err_out:

    spin_lock_irq( &p_info->state_lock );
    ezdma_unprepare_after_dma( p_info );
    spin_unlock_irq( &p_info->state_lock );

    return rv;
}

// should be called with p_info->sem held, and with p_info_state_lock
static void ezdma_unprepare_after_dma( struct ezdma_drvdata * p_info )
{
    p_info->state = DMA_IDLE;

    if ( p_info->inflight.dma_mapped )
    {
        dma_unmap_sg(p_info->ezdma_dev,
                p_info->inflight.table.sgl,
                p_info->inflight.num_pages,
                p_info->dir == EZDMA_DEV_TO_CPU ? DMA_FROM_DEVICE : DMA_TO_DEVICE);
    }
    p_info->inflight.dma_mapped = 0;

    if ( p_info->inflight.pages_pinned )
    {
        if ( p_info->inflight.dma_started && p_info->dir == EZDMA_DEV_TO_CPU )
        {
            /* Mark all pages dirty for now (not sure how to do this more
             * efficiently yet -- dmaengine API doesn't seem to return any
             * notion of how much data was actually transferred).
             */

            int i;

            for (i = 0; i < p_info->inflight.num_pages; ++i)
            {
                struct page * const page = p_info->inflight.pinned_pages[i];

                set_page_dirty( page );
                page_cache_release( page );
            }
        }
    }
    p_info->inflight.pages_pinned = 0;

    if ( p_info->inflight.table_allocated )
        sg_free_table( &p_info->inflight.table );
    p_info->inflight.table_allocated = 0;

    if ( p_info->inflight.pinned_pages )
    {
        kfree(p_info->inflight.pinned_pages);
        p_info->inflight.pinned_pages = NULL;
    }

}

// Assume that reads/writes have to be multiples of this.
#define EZDMA_ALIGN_BYTES (1)

static ssize_t ezdma_read(struct file *filp, char __user *userbuf, size_t count, loff_t *f_pos)
{
    struct ezdma_drvdata * p_info = (struct ezdma_drvdata*)filp->private_data;
    ssize_t rv = count;

    // Ensure this is a readable device.
    if ( EZDMA_DEV_TO_CPU != p_info->dir )
    {
        printk( KERN_WARNING KBUILD_MODNAME ": %s: can't read, is a TX device\n", p_info->name);
        return -EINVAL;
    }

    if ( 0 != (count % EZDMA_ALIGN_BYTES) )
    {
        printk( KERN_WARNING KBUILD_MODNAME ": %s: unaligned read of %u bytes requested\n", p_info->name, count);
        return -EINVAL;
    }

    //TODO: verify size of count?

    if ( down_interruptible( &p_info->sem ) )
        return -ERESTARTSYS;

    if ( !atomic_read(&p_info->accepting ) )
    {
        rv = -EBADF;
        goto out;
    }
    else
    {
        int prep_rv;
        int wait_rv;

        prep_rv = ezdma_prepare_for_dma( p_info, userbuf, count );

        if (prep_rv)
        {
            rv = prep_rv;
            goto out;
        }

        up( &p_info->sem );

        wait_rv = wait_event_interruptible( p_info->wq, check_not_in_flight(p_info) );

        if ( down_timeout( &p_info->sem, SEM_TAKE_TIMEOUT ) )
        {
            printk( KERN_ALERT KBUILD_MODNAME 
                    ": %s: read sem take stalled for %d seconds -- probably broken\n",
                    p_info->name, 
                    SEM_TAKE_TIMEOUT);
            goto noup_out;
        }

        spin_lock_irq(&p_info->state_lock);
        if ( p_info->state == DMA_IN_FLIGHT && -ERESTARTSYS == wait_rv )
        {
            dmaengine_terminate_all( p_info->chan );
            rv = wait_rv;
        }

        ezdma_unprepare_after_dma( p_info );    // sets us back to DMA_IDLE
        spin_unlock_irq(&p_info->state_lock);
    }

    out:
    up( &p_info->sem );

    noup_out:
    return rv;
}

static ssize_t ezdma_write(struct file *filp, const char __user *userbuf, size_t count, loff_t *f_pos)
{
    struct ezdma_drvdata * p_info = (struct ezdma_drvdata*)filp->private_data;
    ssize_t rv = count;

    // Ensure this is a writable device.
    if ( EZDMA_CPU_TO_DEV != p_info->dir )
    {
        printk( KERN_WARNING KBUILD_MODNAME ": %s: can't write, is an RX device\n", p_info->name);
        return -EINVAL;
    }
    if ( 0 != (count % EZDMA_ALIGN_BYTES) )
    {
        printk( KERN_WARNING KBUILD_MODNAME ": %s: unaligned write of %u bytes requested\n", p_info->name, count);
        return -EINVAL;
    }

    // Ensure this is a writable device.

    if ( down_interruptible( &p_info->sem ) )
        return -ERESTARTSYS;

    if ( !atomic_read(&p_info->accepting ) )
    {
        rv = -EBADF;
        goto out;
    }
    else
    {
        int prep_rv;
        int wait_rv;

        prep_rv = ezdma_prepare_for_dma( p_info, (char __user*)userbuf, count );

        if (prep_rv)
        {
            rv = prep_rv;
            goto out;
        }

        up( &p_info->sem );

        wait_rv = wait_event_interruptible( p_info->wq, check_not_in_flight(p_info) );

        if ( down_timeout( &p_info->sem, SEM_TAKE_TIMEOUT ) )
        {
            printk( KERN_ALERT KBUILD_MODNAME 
                    ": %s: write sem take stalled for %d seconds -- probably broken\n",
                    p_info->name,
                    SEM_TAKE_TIMEOUT);
            goto noup_out;
        }

        spin_lock_irq(&p_info->state_lock);
        if ( p_info->state == DMA_IN_FLIGHT && -ERESTARTSYS == wait_rv )
        {
            dmaengine_terminate_all( p_info->chan );
            rv = wait_rv;
        }

        ezdma_unprepare_after_dma( p_info );    // sets us back to DMA_IDLE
        spin_unlock_irq(&p_info->state_lock);
    }

    out:
    up( &p_info->sem );

    noup_out:
    return rv;
}

static int ezdma_release(struct inode *inode, struct file *filp)
{
    struct ezdma_drvdata * p_info = container_of(inode->i_cdev, struct ezdma_drvdata, ezdma_cdev); 

    atomic_set( &p_info->accepting, 0 );    // disallow new reads/writes

    if ( down_interruptible( &p_info->sem ) )
        return -ERESTARTSYS;

    dmaengine_terminate_all(p_info->chan);
    // TODO: wake up any sleeping threads?

    p_info->in_use = 0;

    up( &p_info->sem );

    return 0;
}

module_init(ezdma_driver_init);
module_exit(ezdma_driver_exit);

MODULE_AUTHOR("Jeremy Trimble <jeremy.trimble@gmail.com>");
MODULE_DESCRIPTION("EZ DMA Driver");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1");
