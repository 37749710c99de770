/*

  Copyright (c) 2005 Finger Lakes Instrumentation (FLI), L.L.C.
  All rights reserved.

  Redistribution and use in source and binary forms, with or without
  modification, are permitted provided that the following conditions
  are met:

        Redistributions of source code must retain the above copyright
        notice, this list of conditions and the following disclaimer.

        Redistributions in binary form must reproduce the above
        copyright notice, this list of conditions and the following
        disclaimer in the documentation and/or other materials
        provided with the distribution.

        Neither the name of Finger Lakes Instrumentation (FLI), L.L.C.
        nor the names of its contributors may be used to endorse or
        promote products derived from this software without specific
        prior written permission.

  THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
  "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
  LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS
  FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE
  REGENTS OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT,
  INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING,
  BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES;
  LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
  CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT
  LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN
  ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
  POSSIBILITY OF SUCH DAMAGE.

  ======================================================================

  Finger Lakes Instrumentation, L.L.C. (FLI)
  web: http://www.fli-cam.com
  email: support@fli-cam.com

*/

#include <linux/version.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/kref.h>
#include <linux/errno.h>
#include <linux/usb.h>
#include <linux/fs.h>
#include <linux/fcntl.h>
#include <linux/slab.h>
#include <asm/uaccess.h>

#ifdef SGREAD
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/scatterlist.h>
#endif

#include "fliusb.h"
#include "fliusb_ioctl.h"

MODULE_AUTHOR("Finger Lakes Instrumentation, L.L.C. <support@flicamera.com>");
MODULE_LICENSE("Dual BSD/GPL");
MODULE_VERSION("1.3");

/* Forward declarations of file operation functions */
static int fliusb_open(struct inode *inode, struct file *file);
static int fliusb_release(struct inode *inode, struct file *file);
static ssize_t fliusb_read(struct file *file, char __user *buffer,
			   size_t count, loff_t *ppos);
static ssize_t fliusb_write(struct file *file, const char __user *user_buffer,
			    size_t count, loff_t *ppos);
#if LINUX_VERSION_CODE > KERNEL_VERSION(2, 6, 36)
static long fliusb_ioctl(struct file *file,
			unsigned int cmd, unsigned long arg);
#else
static int fliusb_ioctl(struct inode *inode, struct file *file,
			unsigned int cmd, unsigned long arg);
#endif

static struct file_operations fliusb_fops = {
  .owner		= THIS_MODULE,
  .read			= fliusb_read,
  .write		= fliusb_write,
#if LINUX_VERSION_CODE > KERNEL_VERSION(2, 6, 36)
  .unlocked_ioctl	= fliusb_ioctl,
#else
  .ioctl		= fliusb_ioctl,
#endif
  .open			= fliusb_open,
  .release		= fliusb_release,
};

#ifdef SGREAD

static void fliusb_sg_bulk_read_timeout(unsigned long data)
{
  fliusb_t *dev = (fliusb_t *)data;

  FLIUSB_ERR("bulk read timed out");
  usb_sg_cancel(&dev->usbsg.sgreq);

  return;
}

static int fliusb_sg_bulk_read(fliusb_t *dev, unsigned int pipe,
			       char __user *userbuffer, size_t count,
			       unsigned int timeout)
{
  int err, i;
  unsigned int numpg;
  size_t pgoffset;

  /* userbuffer must be aligned to a multiple of the endpoint's
     maximum packet size
  */
  if ((size_t)userbuffer % usb_maxpacket(dev->usbdev, pipe, 0))
  {
    FLIUSB_ERR("user buffer is not properly aligned: 0x%p %% 0x%04x", userbuffer, usb_maxpacket(dev->usbdev, pipe, 0));
    return -EINVAL;
  }

  pgoffset = (size_t)userbuffer & (PAGE_SIZE - 1);
  numpg = ((count + pgoffset - 1) >> PAGE_SHIFT) + 1;
  if (numpg > dev->usbsg.maxpg)
  {
    numpg = dev->usbsg.maxpg;
    count = PAGE_SIZE - pgoffset + PAGE_SIZE * (dev->usbsg.maxpg - 1);
  }

  if (down_interruptible(&dev->usbsg.sem))
    return -ERESTARTSYS;

  down_read(&current->mm->mmap_sem);
  numpg = get_user_pages(current, current->mm, (size_t)userbuffer & PAGE_MASK,
			 numpg, 1, 0, dev->usbsg.userpg, NULL);
  up_read(&current->mm->mmap_sem);

  if (numpg <= 0)
  {
    FLIUSB_ERR("get_user_pages() failed: %d", numpg);
    err = numpg;
    goto done;
  }

#if (LINUX_VERSION_CODE < KERNEL_VERSION (2,6,24))
  dev->usbsg.slist[0].page = dev->usbsg.userpg[0];
  dev->usbsg.slist[0].offset = pgoffset;
  dev->usbsg.slist[0].length = min(count, (size_t)(PAGE_SIZE - pgoffset));
#else
  sg_set_page(&dev->usbsg.slist[0], dev->usbsg.userpg[0], min(count, (size_t)(PAGE_SIZE - pgoffset)), pgoffset);
#endif

  if (numpg > 1)
  {
    for (i = 1; i < numpg - 1; i++)
    {
#if (LINUX_VERSION_CODE < KERNEL_VERSION(2,6,24))
      dev->usbsg.slist[i].page = dev->usbsg.userpg[i];
      dev->usbsg.slist[i].offset = 0;
      dev->usbsg.slist[i].length = PAGE_SIZE;
    }

    dev->usbsg.slist[i].page = dev->usbsg.userpg[i];
    dev->usbsg.slist[i].offset = 0;
    dev->usbsg.slist[i].length = ((size_t)userbuffer + count) & (PAGE_SIZE - 1);
    if (dev->usbsg.slist[i].length == 0)
      dev->usbsg.slist[i].length = PAGE_SIZE;
#else
      sg_set_page(&dev->usbsg.slist[i], dev->usbsg.userpg[i], PAGE_SIZE, 0);
    }

    if ((((size_t)userbuffer + count) & (PAGE_SIZE - 1)) == 0)
      sg_set_page(&dev->usbsg.slist[i], dev->usbsg.userpg[i], PAGE_SIZE, 0);
    else 
      sg_set_page(&dev->usbsg.slist[i], dev->usbsg.userpg[i], ((size_t)userbuffer + count) & (PAGE_SIZE - 1), 0);

#endif
  }

  if ((err = usb_sg_init(&dev->usbsg.sgreq, dev->usbdev, pipe, 0,
			 dev->usbsg.slist, numpg, 0, GFP_KERNEL)))
  {
    FLIUSB_ERR("usb_sg_init() failed: %d", err);
    goto done;
  }

  dev->usbsg.timer.expires = jiffies + (timeout * HZ + 500) / 1000;
  dev->usbsg.timer.data = (unsigned long)dev;
  dev->usbsg.timer.function = fliusb_sg_bulk_read_timeout;
  add_timer(&dev->usbsg.timer);

  /* wait for the transfer to complete */
  usb_sg_wait(&dev->usbsg.sgreq);

  del_timer_sync(&dev->usbsg.timer);

  if (dev->usbsg.sgreq.status)
  {
    FLIUSB_ERR("bulk read error %d; transfered %d bytes",
	       (int) dev->usbsg.sgreq.status, (int) dev->usbsg.sgreq.bytes);
    err = dev->usbsg.sgreq.status;
    goto done;
  }

  err = dev->usbsg.sgreq.bytes;

 done:

  up(&dev->usbsg.sem);

  for (i = 0; i < numpg; i++)
  {
    if (!PageReserved(dev->usbsg.userpg[i]))
      SetPageDirty(dev->usbsg.userpg[i]);
    page_cache_release(dev->usbsg.userpg[i]);
  }

  return err;
}

#endif /* SGREAD */

static int fliusb_bulk_read(fliusb_t *dev, unsigned int pipe,
			    char __user *userbuffer, size_t count,
			    unsigned int timeout)
{
  FLIUSB_DBG("pipe: 0x%08x; userbuffer: %p; count: %u; timeout: %u",
	     pipe, userbuffer, count, timeout);

#ifdef SGREAD
  if (count > dev->buffersize)
    return fliusb_sg_bulk_read(dev, pipe, userbuffer, count, timeout);
  else
#endif /* SGREAD */
    return fliusb_simple_bulk_read(dev, pipe, userbuffer, count, timeout);
}

static ssize_t fliusb_read(struct file *file, char __user *userbuffer,
			   size_t count, loff_t *ppos)
{
  fliusb_t *dev;

  if (count == 0)
    return 0;

  if (*ppos)
    return -ESPIPE;

  dev = (fliusb_t *)file->private_data;

  return fliusb_bulk_read(dev, dev->rdbulkpipe,
			  userbuffer, count, dev->timeout);
}

#if LINUX_VERSION_CODE > KERNEL_VERSION(2, 6, 36)
static long fliusb_ioctl(struct file *file,
                        unsigned int cmd, unsigned long arg)
#else
static int fliusb_ioctl(struct inode *inode, struct file *file,
			unsigned int cmd, unsigned long arg)
#endif
{
  fliusb_t *dev;
  union {
    u_int8_t uint8;
    unsigned int uint;
    fliusb_bulktransfer_t bulkxfer;
    fliusb_string_descriptor_t strdesc;
  } tmp;
  unsigned int tmppipe;
  int err;

  FLIUSB_DBG("cmd: %p; arg: %p", (void *)cmd, (void *)arg);

  if (_IOC_TYPE(cmd) != FLIUSB_IOC_TYPE || _IOC_NR(cmd) > FLIUSB_IOC_MAX)
    return -ENOTTY;

  /* Check that arg can be read from */
  if ((_IOC_DIR(cmd) & _IOC_WRITE) &&
      !access_ok(VERIFY_READ, (void __user *)arg, _IOC_SIZE(cmd)))
    return -EFAULT;

  /* Check that arg can be written to */
  if ((_IOC_DIR(cmd) & _IOC_READ) &&
      !access_ok(VERIFY_WRITE, (void __user *)arg, _IOC_SIZE(cmd)))
    return -EFAULT;

  dev = (fliusb_t *)file->private_data;

  switch (cmd)
  {
#define FLIUSB_IOC_GETCMD(cmd, val, type)	\
  case cmd:					\
    return __put_user(val, (type __user *)arg);	\
    break;

    FLIUSB_IOC_GETCMD(FLIUSB_GETBUFFERSIZE, dev->buffersize, unsigned int);
    FLIUSB_IOC_GETCMD(FLIUSB_GETTIMEOUT, dev->timeout, unsigned int);
    FLIUSB_IOC_GETCMD(FLIUSB_GETRDEPADDR,
		      (u_int8_t)(usb_pipeendpoint(dev->rdbulkpipe) | USB_DIR_IN),
		      u_int8_t);
    FLIUSB_IOC_GETCMD(FLIUSB_GETWREPADDR,
		      (u_int8_t)(usb_pipeendpoint(dev->wrbulkpipe) | USB_DIR_OUT),
		      u_int8_t);

#undef FLIUSB_IOC_GETCMD

  case FLIUSB_SETRDEPADDR:
    if (__get_user(tmp.uint8, (u_int8_t __user *)arg))
      return -EFAULT;
    tmppipe = usb_rcvbulkpipe(dev->usbdev, tmp.uint8);
    if (usb_maxpacket(dev->usbdev, tmppipe, 0) == 0)
    {
      FLIUSB_ERR("invalid read USB bulk transfer endpoint address: 0x%02x",
		 tmp.uint8);
      return -EINVAL;
    }
    dev->rdbulkpipe = tmppipe;
    return 0;
    break;

  case FLIUSB_SETWREPADDR:
    if (__get_user(tmp.uint8, (u_int8_t __user *)arg))
      return -EFAULT;
    tmppipe = usb_sndbulkpipe(dev->usbdev, tmp.uint8);
    if (usb_maxpacket(dev->usbdev, tmppipe, 1) == 0)
    {
      FLIUSB_ERR("invalid write USB bulk transfer endpoint address: 0x%02x",
		 tmp.uint8);
      return -EINVAL;
    }
    dev->wrbulkpipe = tmppipe;
    return 0;
    break;

  case FLIUSB_SETBUFFERSIZE:
    if (__get_user(tmp.uint, (unsigned int __user *)arg))
      return -EFAULT;
    return fliusb_allocbuffer(dev, tmp.uint);
    break;

  case FLIUSB_SETTIMEOUT:
    if (__get_user(tmp.uint, (unsigned int __user *)arg))
      return -EFAULT;
    if (tmp.uint == 0)
    {
      FLIUSB_ERR("invalid timeout: %u", tmp.uint);
      return -EINVAL;
    }
    dev->timeout = tmp.uint;
    return 0;
    break;

  case FLIUSB_BULKREAD:
    if (__copy_from_user(&tmp.bulkxfer, (fliusb_bulktransfer_t __user *)arg,
			 sizeof(fliusb_bulktransfer_t)))
      return -EFAULT;
    tmppipe = usb_rcvbulkpipe(dev->usbdev, tmp.bulkxfer.ep);
    return fliusb_bulk_read(dev, tmppipe, tmp.bulkxfer.buf,
			    tmp.bulkxfer.count, tmp.bulkxfer.timeout);

  case FLIUSB_BULKWRITE:
    if (__copy_from_user(&tmp.bulkxfer, (fliusb_bulktransfer_t __user *)arg,
			 sizeof(fliusb_bulktransfer_t)))
      return -EFAULT;
    tmppipe = usb_sndbulkpipe(dev->usbdev, tmp.bulkxfer.ep);
    return fliusb_bulk_write(dev, tmppipe, tmp.bulkxfer.buf,
			     tmp.bulkxfer.count, tmp.bulkxfer.timeout);

  case FLIUSB_GET_DEVICE_DESCRIPTOR:
    if (__copy_to_user((void *)arg, &dev->usbdev->descriptor,
		     sizeof(struct usb_device_descriptor)))
      return -EFAULT;
    return 0;
    break;

  case FLIUSB_GET_STRING_DESCRIPTOR:
    if (__copy_from_user(&tmp.strdesc, (fliusb_string_descriptor_t __user *)arg,
			 sizeof(fliusb_string_descriptor_t)))
      return -EFAULT;
    
    memset(tmp.strdesc.buf, 0, sizeof(tmp.strdesc.buf));
    
    if ((err = usb_string(dev->usbdev, tmp.strdesc.index,
			tmp.strdesc.buf, sizeof(tmp.strdesc.buf))) < 0)
      FLIUSB_WARN("usb_string() failed: %d", err);
    
    if (__copy_to_user((void *)arg, &tmp.strdesc,
		     sizeof(fliusb_string_descriptor_t)))
    {
      return -EFAULT;
    }
    
    return 0;
    break;

  default:
    FLIUSB_ERR("invalid ioctl request: %d", cmd);
    return -ENOTTY;
  }

  return -ENOTTY;		/* shouldn't get here */
}
