/*
 * virtio_scif_chrdev.c
 *
 * Implementation of virtio-scif
 * character device
 *
 * Stefanos Gerangelos <sgerag@cslab.ece.ntua.gr>
 *
 */
#include <linux/cdev.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/module.h>
#include <linux/wait.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>

#include "virtio_scif.h"
#include "virtio_scif_chrdev.h"
#include "debug.h"
#include "virtio_scif_ioctl.h"

#include <linux/delay.h>
#include <linux/pagemap.h>

#include <linux/time.h>


/*
 * Global data
 */
struct cdev scif_cdev;

static int __release_locked_windows(struct scif_open_file *scif_of, off_t offset, size_t len)
{
	struct reg_window *iter;
	struct reg_window *tmp;
	struct page **pages;
	uint64_t *kaddr;
	size_t rem_len = len;
	int i, j = -1;
	int ret = -EINVAL;

	debug("Entering (PID: %d)", current->pid);

	if (down_interruptible(&scif_of->win_sem))
		return -EINTR;

	list_for_each_entry_safe(iter, tmp, &scif_of->windows_list, list) {
//	debug("unreg offset: 0x%lx, list_offset: 0x%lx)", (long unsigned int)offset, (long unsigned int)iter->reg_offset);
//	debug("unreg length: %d, list_nr_pages: %d)", (unsigned int)len, (unsigned int)iter->nr_pages);

	       /* 
 		* SCIF documentation states that only whole window can be unregistered,
		* but host driver lets us unregister portion of a window if the length
		* reaches window's end (MAYBE A BUG in host driver).
		* In any case, we follow the documentation here.
		*/
		if (offset == iter->reg_offset) {
			//FIXME: delete current window, but next one maynot be whole
			//if (len != (iter->nr_pages << PAGE_SHIFT))
			if (rem_len < (iter->nr_pages << PAGE_SHIFT))
			{
				up(&scif_of->win_sem);
				return -EINVAL;
			}

			pages = iter->pages;

			for (i = 0; i < iter->nr_pages; i++) {
			debug("FD: %d, pages[i] 0x%lx)", scif_of->host_fd.hfd, (long unsigned)pages[i]);
				kunmap(pages[i]);
				if (!PageReserved(pages[i]))
				//FIXME: optimization: mark explicitly touched pages in writes
					SetPageDirty(pages[i]);

				page_cache_release(pages[i]);
			}

			kfree(iter->kaddr);
			kfree(pages);

			list_del(&iter->list);

			rem_len -= ((iter->nr_pages << PAGE_SHIFT));
			//TODO: free the window
			debug("INSIDE SEMI-RELEASE %d)", current->pid);
			kfree(iter);
			if (rem_len <= 0)
				break;
		}
	}

	if (rem_len == 0)
		ret = 0;
	else 
		ret = -EINVAL;

	up(&scif_of->win_sem);

	debug("Leaving (PID: %d)", current->pid);

	return ret;
}

static int release_all_locked_windows(struct scif_open_file *scif_of)
{
	struct reg_window *iter;
	struct reg_window *tmp;
	struct page **pages;
	uint64_t *kaddr;
	int i, j = -1;
	int ret = -1;

	debug("Entering (PID: %d)", current->pid);

	if (down_interruptible(&scif_of->win_sem))
		return -EINTR;

	//list_for_each_entry(iter, &scif_of->windows_list, list) {
	list_for_each_entry_safe(iter, tmp, &scif_of->windows_list, list) {
		pages = iter->pages;

		for (i = 0; i < iter->nr_pages; i++) {
			kunmap(pages[i]);

			if (!PageReserved(pages[i])) {
			//FIXME: optimization: mark explicitly touched pages in writes
				SetPageDirty(pages[i]);
			}

			page_cache_release(pages[i]);
		}

		kfree(iter->kaddr);
		kfree(pages);

		list_del(&iter->list);

		kfree(iter);
	}

	up(&scif_of->win_sem);

	debug("Leaving (PID: %d)", current->pid);

	return 0;
}

static int release_locked_windows(struct scif_open_file *scif_of, int all, off_t offset, size_t len)
{
	if (all)
		return release_all_locked_windows(scif_of);
	else
		return __release_locked_windows(scif_of, offset, len);
}

static int lock_user_pages(struct scif_device *scif_dev, void **winp, struct scif_open_file *scif_of, struct scifioctl_reg **regp, struct scatterlist **old_sgs, struct vq_packet *packet, int *host_ret_val)
{
	struct reg_window *window = *winp;
	struct scifioctl_reg *reg = *regp;
	void *ptr64_t addr = reg->addr;
	uint64_t len = reg->len;
	off_t req_offset = reg->offset;
	int prot = reg->prot;
	int reg_flags = reg->flags;
	int64_t nr_pages;
	struct page **pages;
	uint64_t *kaddr, jaddr;
	struct scatterlist ret_val_sg, arg_sg, *tmp_sg, *addr_sg, **sgs;
	int i, j;
	unsigned long flags;
	unsigned int num_out = 0, num_in = 0;
	//int kmapped = -1, ret = -1, res = -1, host_ret_val = -1;
	int kmapped = -1, ret = -1, res = -1;

	debug("Entering (PID: %d)", current->pid);
	/* Below checks are performed at host driver as well */

	/* Unsupported flags */ 
	if (reg_flags & ~(SCIF_MAP_FIXED | SCIF_MAP_KERNEL))
		//return ERR_PTR(-EINVAL);
		return -EINVAL;

	/* Unsupported protection requested */
	if (prot & ~(SCIF_PROT_READ | SCIF_PROT_WRITE))
		//return ERR_PTR(-EINVAL);
		return -EINVAL;

	/* addr/len must be page aligned. len should be non zero */
	if ((!len) || 
		(align_low((uint64_t)addr, PAGE_SIZE) != (uint64_t)addr) || 
		(align_low((uint64_t)len, PAGE_SIZE) != (uint64_t)len))
		//return ERR_PTR(-EINVAL);
		return -EINVAL;

	/*
	 * req_offset is not page aligned/negative or offset+len
	 * wraps around with SCIF_MAP_FIXED.
	 */
	if ((reg_flags & SCIF_MAP_FIXED) &&
		((align_low(req_offset, PAGE_SIZE) != req_offset) || 
		(req_offset < 0) ||
		(req_offset + (off_t)len < req_offset)))
		//return ERR_PTR(-EINVAL);
		return -EINVAL;

	nr_pages = len >> PAGE_SHIFT;

	//allocate number of pages scattered entries plus 4 entries
	sgs = kmalloc((nr_pages + 4) * sizeof(struct scatterlist *), GFP_KERNEL);
	if (!sgs) 
		return -ENOMEM;

	//setup new sgs with first three old entries
	sgs[num_out++] = old_sgs[0];
	sgs[num_out++] = old_sgs[1];
	sgs[num_out++] = old_sgs[2];
	sg_init_one(&arg_sg, reg, sizeof(struct scifioctl_reg));
	sgs[num_out++] = &arg_sg;

	addr_sg = kmalloc(nr_pages * sizeof(struct scatterlist), GFP_KERNEL);
	if (!addr_sg) {
		kfree(sgs);
		ret = -ENOMEM;
		goto fail;
	}

	if ((pages = kmalloc(nr_pages * sizeof(*pages), GFP_KERNEL)) == NULL) {
		kfree(addr_sg);
		kfree(sgs);
		ret = -ENOMEM;
		goto fail;
	}

	down_read(&current->mm->mmap_sem);

	res = get_user_pages(
			current, 
			current->mm,
			(uint64_t)addr,
			nr_pages,
			!!(prot & SCIF_PROT_WRITE),
			0, /* don't force */
			pages,
			NULL);

	up_read(&current->mm->mmap_sem);

	if (res != nr_pages) {
		kfree(addr_sg);
		kfree(sgs);
		ret = -EFAULT; /* maybe not appropriate errno */
		goto fail;
	}

	kaddr = kmalloc(nr_pages * sizeof(*kaddr), GFP_KERNEL);
	if (!kaddr) {
		kfree(addr_sg);
		kfree(sgs);
		ret = -ENOMEM;

		goto fail;
	}

	/* add the set of pages to the respective window */
	window->uaddr = addr;
	window->pages = pages;
	window->kaddr = kaddr;
	window->nr_pages = nr_pages;

	//store the start of addr_sg in order to kfree() later on
	tmp_sg = addr_sg;
	for (i = 0; i < res; i++) {
		window->kaddr[i] = (uint64_t)kmap(pages[i]);
		debug("kmap address: 0x%llx", (uint64_t)(window->kaddr[i]));
		debug("ZERO kmap address: 0x%llx", (uint64_t)(window->kaddr[0]));
		debug("num_out: %d, num_in: %d\n", num_out, num_in);
		sg_init_one(addr_sg, (uint64_t *)(window->kaddr[i]), PAGE_SIZE);
		sgs[num_out++] = addr_sg++;
	}

	if (down_interruptible(&scif_of->win_sem)) {
		kmapped = 1;
		kfree(kaddr);
		kfree(tmp_sg);
		kfree(sgs);
		ret = -ERESTARTSYS;

		goto fail;
	}

	//TODO: what happens in case of an error in some of the pages in the host 
	//whilst others have been registered 
	list_add_tail(&window->list, &scif_of->windows_list);

	up(&scif_of->win_sem);

	sg_init_one(&ret_val_sg, host_ret_val, sizeof(*host_ret_val));
	sgs[num_out + num_in++] = &ret_val_sg;

	spin_lock_irqsave(&scif_dev->vq_lock, flags);
	ret = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
	if (unlikely(ret)) {
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);
		kfree(kaddr);
		kmapped = 1;
		kfree(tmp_sg);
		kfree(sgs);
		ret = -EAGAIN;

		goto fail_del_list;
	}
	virtqueue_kick(scif_dev->vq);
	spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

	kfree(tmp_sg);
	kfree(sgs);

	debug("Leaving (PID: %d)", current->pid);

	//return host_ret_val;
	return ret;

fail_del_list:
	if (down_interruptible(&scif_of->win_sem))
		return -EINTR;
	list_del(&window->list);
	up(&scif_of->win_sem);

fail:
	//put pages/dirty etc
	if (res > 0) {
		for (i = 0; i < res; i++) {
			if (!PageReserved(pages[i]))
			//probably not needed (pages are here untouched)
				SetPageDirty(pages[i]);
			page_cache_release(pages[i]);

			if (kmapped > 0) kunmap(pages[i]);
		}
		kfree(pages);
	}

	debug("Leaving with error (PID: %d)", current->pid);

	return ret;
}

static int scif_chrdev_release(struct inode *inode, struct file *filp)
{
	struct scif_open_file *scif_of = filp->private_data;
	struct scif_device *scif_dev = scif_drvdata.scif_dev;
	struct vq_packet *packet;
	struct scatterlist out_sg, buf_sg, *sgs[2];
	unsigned long flags;
	int err;
	int ret = 0;

	/* TODO: check if we need to explicitly call ioctl(SCIF_UNREG), despite closing the epd*/
	debug("Entering (PID: %d)", current->pid);

	packet = kmalloc(sizeof(*packet), GFP_KERNEL);
	if (!packet) {
		ret = -ENOMEM;
		goto out;
	}

	packet->type = VIRTIO_SCIF_CLOSE;

	sg_init_one(&out_sg, &packet->type, sizeof(packet->type));
	sgs[0] = &out_sg;
	sg_init_one(&buf_sg, &scif_of->host_fd, sizeof(scif_of->host_fd));
	//sg_init_one(&buf_sg, scif_of, sizeof(*scif_of));
	sgs[1] = &buf_sg;

	spin_lock_irqsave(&scif_dev->vq_lock, flags);
	err = virtqueue_add_sgs(scif_dev->vq, sgs, 2, 0, packet, GFP_ATOMIC);
	if (unlikely(err)) {
	//FIXME: especially for the release, block repeat until success, otherwise 
	//open file descriptor will remain on the host
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

		kfree(scif_of);
		kfree(packet);
		ret = -EAGAIN;

		goto out;
	}

	virtqueue_kick(scif_dev->vq);
	spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

	/* We only need packet as a token identifier of the request/reply */
	err = wait_event_interruptible(scif_dev->wq, need_to_wakeup(scif_dev, packet));

	//FIXME: someone needs to cleanup list contents if a process gets interrupted
	//if (err = -ERSTARTSYS) ... process woken by a signal

	release_locked_windows(scif_of, 1, (off_t)NULL, (size_t)NULL);
	//release_locked_windows(scif_of, 0, (off_t)0x4000000000000000, (size_t)4096);

	kfree(scif_of);
	//kfree(packet);

out:
	debug("Leaving lock (PID: %d)", current->pid);
	return ret;
}

static long scif_chrdev_ioctl(struct file *filp, unsigned int cmd, 
                                unsigned long uarg)
{
	struct vq_packet *packet;
	struct scif_open_file *scif_of = filp->private_data;
	struct scif_device *scif_dev = scif_drvdata.scif_dev;
	struct virtqueue *vq = scif_dev->vq;
	struct scatterlist type_sg, fd_sg, cmd_sg, ret_val_sg,
	                   arg1_sg, arg2_sg, arg3_sg, 
	                   *sgs[8];
	void *arg1 = NULL, *arg2 = NULL, *arg3 = NULL;
	unsigned int num_out = 0, num_in = 0, len;
	unsigned long flags;
	int ret = 0;
	int err;
	int host_ret_val = -1;
	__u32 ses_id;

	//struct timeval t0,t1,t2,t3,t4,t5,t6;
	//long temp;
	//do_gettimeofday(&t0);

	debug("Entering PID: %d\n", current->pid);

	packet = kmalloc(sizeof(*packet), GFP_KERNEL);
	if (!packet) {
		ret = -ENOMEM;
		goto out;
	}

	packet->type = VIRTIO_SCIF_IOCTL;

	/**
	 *  Add type, host_fd and cmd_sg lists. 
	 *  These are common to all ioctl commands.
	 **/
	sg_init_one(&type_sg, &packet->type, sizeof(packet->type));
	sgs[num_out++] = &type_sg;
	sg_init_one(&fd_sg, &scif_of->host_fd, sizeof(scif_of->host_fd));
	//sg_init_one(&fd_sg, scif_of, sizeof(*scif_of));
	sgs[num_out++] = &fd_sg;
	sg_init_one(&cmd_sg, &cmd, sizeof(cmd));
	sgs[num_out++] = &cmd_sg;

	/**
	 *  Add all the cmd specific sg lists.
	 **/
	switch (cmd) {
	case SCIF_GET_VERSION:
		/**
		 *  Add the host_return_val_sg to the list.
		 *  This is also common to all ioctl commands.
		 **/
		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
		sgs[num_out + num_in++] = &ret_val_sg;

		spin_lock_irqsave(&scif_dev->vq_lock, flags);
		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
		if (unlikely(err)) {
			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);
			ret = -EAGAIN;

			goto out_with_packet;
		}

		virtqueue_kick(scif_dev->vq);
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

		break;

	case SCIF_BIND:
		arg1 = kmalloc(sizeof(uint16_t), GFP_KERNEL);
		if (!arg1) {
	   		ret = -ENOMEM;
		      	goto out_with_packet;
		}

//		scif_bind_handler(uarg, sgs, arg_sg1, (int *)arg1);
		if (copy_from_user(arg1, (void __user *)uarg, sizeof(uint16_t))) {
			kfree(arg1);
			ret = -EFAULT;
			goto out_with_packet;
		}

	        sg_init_one(&arg1_sg, arg1, sizeof(uint16_t));
	        sgs[num_out++] = &arg1_sg;

		/**
		 *  Add the host_return_val_sg to the list.
		 *  This is also common to all ioctl commands.
		 **/
		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
		sgs[num_out + num_in++] = &ret_val_sg;

		spin_lock_irqsave(&scif_dev->vq_lock, flags);
		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
		if (unlikely(err)) {
			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

			kfree(arg1);
			ret = -EAGAIN;

			goto out_with_packet;
		}

		virtqueue_kick(scif_dev->vq);
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

		break;

	case SCIF_LISTEN:
		arg1 = kmalloc(sizeof(int), GFP_KERNEL);
		if (!arg1) {
			ret = -ENOMEM;
		      	goto out_with_packet;
		}

		*((int *)arg1) = (int)uarg;

	        sg_init_one(&arg1_sg, arg1, sizeof(void *));
	        sgs[num_out++] = &arg1_sg;

		/**
		 *  Add the host_return_val_sg to the list.
		 *  This is also common to all ioctl commands.
		 **/
		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
		sgs[num_out + num_in++] = &ret_val_sg;

		spin_lock_irqsave(&scif_dev->vq_lock, flags);
		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
		if (unlikely(err)) {
			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

//			kfree(arg1);
			ret = -EAGAIN;

			goto out_with_packet;
		}

		virtqueue_kick(scif_dev->vq);
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

		break;

	case SCIF_CONNECT:
		arg1 = kmalloc(sizeof(struct scifioctl_connect), GFP_KERNEL);
		if (!arg1) {
		 	ret = -ENOMEM;
		      	goto out_with_packet;
		}

		if (copy_from_user(arg1, (void __user *)uarg, sizeof(struct scifioctl_connect))) {
			kfree(arg1);
			ret = -EFAULT;
			goto out_with_packet;
		}

		// we violate the standard since scifioctl_connect has both 
		// in and out members, just to save some cycles..
	        sg_init_one(&arg1_sg, arg1, sizeof(struct scifioctl_connect));
	        sgs[num_out++] = &arg1_sg;

		/**
		 *  Add the host_return_val_sg to the list.
		 *  This is also common to all ioctl commands.
		 **/
		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
		sgs[num_out + num_in++] = &ret_val_sg;

		spin_lock_irqsave(&scif_dev->vq_lock, flags);
		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
		if (unlikely(err)) {
			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

			kfree(arg1);
			ret = -EAGAIN;

			goto out_with_packet;
		}

		virtqueue_kick(scif_dev->vq);
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

		break;

	case SCIF_ACCEPTREQ:
		arg1 = kmalloc(sizeof(struct scifioctl_accept), GFP_KERNEL);
		if (!arg1) {
		 	ret = -ENOMEM;
		      	goto out_with_packet;
		}

		if (copy_from_user(arg1, (void __user *)uarg, sizeof(struct scifioctl_accept))) {
			kfree(arg1);
			ret = -EFAULT;
			goto out_with_packet;
		}

	        sg_init_one(&arg1_sg, arg1, sizeof(struct scifioctl_accept));
	        sgs[num_out++] = &arg1_sg;

		/**
		 *  Add the host_return_val_sg to the list.
		 *  This is also common to all ioctl commands.
		 **/
		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
		sgs[num_out + num_in++] = &ret_val_sg;

		spin_lock_irqsave(&scif_dev->vq_lock, flags);
		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
		if (unlikely(err)) {
			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

			kfree(arg1);
			ret = -EAGAIN;

			goto out_with_packet;
		}

		virtqueue_kick(scif_dev->vq);
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

		break;

	case SCIF_ACCEPTREG:
		arg1 = kmalloc(sizeof(void *), GFP_KERNEL);
		if (!arg1) {
		 	ret = -ENOMEM;
		      	goto out_with_packet;
		}

		//void * seems weird but checkout real micscif driver 
		if (copy_from_user(arg1, (void __user *)uarg, sizeof(void *))) {
			kfree(arg1);
			ret = -EFAULT;
			goto out_with_packet;
		}

	        sg_init_one(&arg1_sg, arg1, sizeof(void *));
	        sgs[num_out++] = &arg1_sg;

		/**
		 *  Add the host_return_val_sg to the list.
		 *  This is also common to all ioctl commands.
		 **/
		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
		sgs[num_out + num_in++] = &ret_val_sg;

		spin_lock_irqsave(&scif_dev->vq_lock, flags);
		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
		if (unlikely(err)) {
			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

			kfree(arg1);
			ret = -EAGAIN;

			goto out_with_packet;
		}

		virtqueue_kick(scif_dev->vq);
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

		break;

	case SCIF_SEND:
		arg1 = kmalloc(sizeof(struct scifioctl_msg), GFP_KERNEL);
		if (!arg1) {
			ret = -ENOMEM;
		      	goto out_with_packet;
		}

		if (copy_from_user(arg1, (void __user *)uarg, sizeof(struct scifioctl_msg))) {
			kfree(arg1);
			ret = -EFAULT;
			goto out_with_packet;
		}

	        //sg_init_one(&arg1_sg, arg1, sizeof(void *));
	        sg_init_one(&arg1_sg, arg1, sizeof(struct scifioctl_msg));
	        sgs[num_out++] = &arg1_sg;

		arg2 = kmalloc(((struct scifioctl_msg *)arg1)->len, GFP_KERNEL);
		if (!arg2) {
			kfree(arg1);
		      	ret = -ENOMEM;
		    	goto out_with_packet;
		}

		if (copy_from_user(arg2, (void __user *)(((struct scifioctl_msg *)uarg)->msg), ((struct scifioctl_msg *)arg1)->len)) {
			kfree(arg2);
			kfree(arg1);
			ret = -EFAULT;
			goto out_with_packet;
		}

	        sg_init_one(&arg2_sg, arg2, ((struct scifioctl_msg *)arg1)->len);
	        sgs[num_out++] = &arg2_sg;

		/**
		 *  Add the host_return_val_sg to the list.
		 *  This is also common to all ioctl commands.
		 **/
		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
		sgs[num_out + num_in++] = &ret_val_sg;

		spin_lock_irqsave(&scif_dev->vq_lock, flags);
		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
		if (unlikely(err)) {
			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

			kfree(arg2);
			kfree(arg1);
			ret = -EAGAIN;

			goto out_with_packet;
		}

		virtqueue_kick(scif_dev->vq);
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

		break;

	case SCIF_RECV:
		arg1 = kmalloc(sizeof(struct scifioctl_msg), GFP_KERNEL);
		if (!arg1) {
			ret = -ENOMEM;
		      	goto out_with_packet;
		}

		if (copy_from_user(arg1, (void __user *)uarg, sizeof(struct scifioctl_msg))) {
			kfree(arg1);
			ret = -EFAULT;
			goto out_with_packet;
		}

	        //sg_init_one(&arg1_sg, arg1, sizeof(void *));
	        sg_init_one(&arg1_sg, arg1, sizeof(struct scifioctl_msg));
	        sgs[num_out++] = &arg1_sg;

		arg2 = kmalloc(((struct scifioctl_msg *)arg1)->len, GFP_KERNEL);
		if (!arg2) {
			kfree(arg1);
			ret = -ENOMEM;
			goto out_with_packet;
		}

	        sg_init_one(&arg2_sg, arg2, ((struct scifioctl_msg *)arg1)->len);
	        sgs[num_out++] = &arg2_sg;

		/**
		 *  Add the host_return_val_sg to the list.
		 *  This is also common to all ioctl commands.
		 **/
		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
		sgs[num_out + num_in++] = &ret_val_sg;

		spin_lock_irqsave(&scif_dev->vq_lock, flags);
		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
		if (unlikely(err)) {
			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

			kfree(arg2);
			kfree(arg1);
			ret = -EAGAIN;

			goto out_with_packet;
		}

		virtqueue_kick(scif_dev->vq);
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

		break;

	case SCIF_REG:
		arg1 = kmalloc(sizeof(struct scifioctl_reg), GFP_KERNEL);
		if (!arg1) {
			ret = -ENOMEM;
		      	goto out_with_packet;
		}
		//ret = -ENOSYS;
		//goto out_with_packet;

		if (copy_from_user(arg1, (void __user *)uarg, sizeof(struct scifioctl_reg))) {
			kfree(arg1);
			ret = -EFAULT;
			goto out_with_packet;
		}

		arg2 = kmalloc(sizeof(struct reg_window), GFP_KERNEL);
		if (!arg2) {
			kfree(arg1);
			ret = -ENOMEM;
		      	goto out_with_packet;
		}

		err = lock_user_pages(scif_dev, 
					&arg2,
					scif_of, 
					(struct scifioctl_reg **)&arg1, 
					sgs, packet, &host_ret_val);
					//&sgs, packet, &host_ret_val);

		if (err < 0) {
			ret = err;
			kfree(arg1);
			kfree(arg2);
			goto out_with_packet;
		}

		break;

	case SCIF_UNREG:
		arg1 = kmalloc(sizeof(struct scifioctl_unreg), GFP_KERNEL);
		if (!arg1) {
			ret = -ENOMEM;
		      	goto out_with_packet;
		}

		if (copy_from_user(arg1, (void __user *)uarg, sizeof(struct scifioctl_unreg))) {
			kfree(arg1);
			ret = -EFAULT;
			goto out_with_packet;
		}

	        sg_init_one(&arg1_sg, arg1, sizeof(struct scifioctl_unreg));
	        sgs[num_out++] = &arg1_sg;

		/**
		 *  Add the host_return_val_sg to the list.
		 *  This is also common to all ioctl commands.
		 **/
		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
		sgs[num_out + num_in++] = &ret_val_sg;

		spin_lock_irqsave(&scif_dev->vq_lock, flags);
		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);

		if (unlikely(err)) {
			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

			kfree(arg1);
			ret = -EAGAIN;

			goto out_with_packet;
		}

		virtqueue_kick(scif_dev->vq);
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

//		ret = release_locked_windows(scif_of, 
//						0, 
//						((struct scifioctl_unreg *)arg1)->offset, 
//						((struct scifioctl_unreg *)arg1)->len);

//		if (ret < 0) {
//			kfree(arg1);
//			goto out_with_packet;
//		}

		break;

	case SCIF_READFROM:
	case SCIF_WRITETO:
		arg1 = kmalloc(sizeof(struct scifioctl_copy), GFP_KERNEL);
		if (!arg1) {
			ret = -ENOMEM;
		      	goto out_with_packet;
		}

		if (copy_from_user(arg1, (void __user *)uarg, sizeof(struct scifioctl_copy))) {
			kfree(arg1);
			ret = -EFAULT;
			goto out_with_packet;
		}

	        sg_init_one(&arg1_sg, arg1, sizeof(struct scifioctl_copy));
	        sgs[num_out++] = &arg1_sg;

		/**
		 *  Add the host_return_val_sg to the list.
		 *  This is also common to all ioctl commands.
		 **/
		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
		sgs[num_out + num_in++] = &ret_val_sg;

		spin_lock_irqsave(&scif_dev->vq_lock, flags);
		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
		if (unlikely(err)) {
			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

			kfree(arg1);
			ret = -EAGAIN;

			goto out_with_packet;
		}

		virtqueue_kick(scif_dev->vq);
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

		break;

	case SCIF_VREADFROM:
		arg1 = kmalloc(sizeof(struct scifioctl_copy), GFP_KERNEL);
		if (!arg1) {
			ret = -ENOMEM;
		      	goto out_with_packet;
		}

		if (copy_from_user(arg1, (void __user *)uarg, sizeof(struct scifioctl_copy))) {
			kfree(arg1);
			ret = -EFAULT;
			goto out_with_packet;
		}

	        //sg_init_one(&arg1_sg, arg1, sizeof(void *));
	        sg_init_one(&arg1_sg, arg1, sizeof(struct scifioctl_copy));
	        sgs[num_out++] = &arg1_sg;

		arg2 = kmalloc(((struct scifioctl_copy *)arg1)->len * sizeof(uint8_t), GFP_KERNEL);
		if (!arg2) {
			kfree(arg1);
			ret = -ENOMEM;
		      	goto out_with_packet;
		}

	        sg_init_one(&arg2_sg, arg2, ((struct scifioctl_copy *)arg1)->len);
	        sgs[num_out++] = &arg2_sg;

		/**
		 *  Add the host_return_val_sg to the list.
		 *  This is also common to all ioctl commands.
		 **/
		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
		sgs[num_out + num_in++] = &ret_val_sg;

		spin_lock_irqsave(&scif_dev->vq_lock, flags);
		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
		if (unlikely(err)) {
			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

			kfree(arg1);
			ret = -EAGAIN;

			goto out_with_packet;
		}

		virtqueue_kick(scif_dev->vq);
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

		break;

	case SCIF_VWRITETO:
		//we will re-allocate it iteratively
		//inside readwrite_sg()
		kfree(packet);

		arg1 = kmalloc(sizeof(struct scifioctl_copy), GFP_KERNEL);
		if (!arg1) {
			ret = -ENOMEM;
		      	goto out_with_packet;
		}

		if (copy_from_user(arg1, (void __user *)uarg, sizeof(struct scifioctl_copy))) {
			kfree(arg1);
			ret = -EFAULT;
			goto out_with_packet;
		}

		ret = readwrite_sg(scif_dev,
					scif_of, 
					(struct scifioctl_copy **)&arg1, 
					sgs, &host_ret_val);
		
		goto out;

		break;

//	case SCIF_VWRITETO:
//		arg1 = kmalloc(sizeof(struct scifioctl_copy), GFP_KERNEL);
//		if (!arg1) {
//			ret = -ENOMEM;
//		      	goto out_with_packet;
//		}
//
//		if (copy_from_user(arg1, (void __user *)uarg, sizeof(struct scifioctl_copy))) {
//			kfree(arg1);
//			ret = -EFAULT;
//			goto out_with_packet;
//		}
//
//	        sg_init_one(&arg1_sg, arg1, sizeof(void *));
//	        sgs[num_out++] = &arg1_sg;
//
//		arg2 = kmalloc(((struct scifioctl_copy *)arg1)->len * sizeof(uint8_t), GFP_KERNEL);
//		if (!arg2) {
//			kfree(arg1);
//			ret = -ENOMEM;
//		      	goto out_with_packet;
//		}
//
//		if (copy_from_user(arg2, (void __user *)((struct scifioctl_copy *)uarg)->addr, ((struct scifioctl_copy *)arg1)->len * sizeof(uint8_t))) {
//			kfree(arg2);
//			kfree(arg1);
//			ret = -EFAULT;
//			goto out_with_packet;
//		}
//
//	        sg_init_one(&arg2_sg, arg2, ((struct scifioctl_copy *)arg1)->len);
//	        sgs[num_out++] = &arg2_sg;
//
//		/**
//		 *  Add the host_return_val_sg to the list.
//		 *  This is also common to all ioctl commands.
//		 **/
//		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
//		sgs[num_out + num_in++] = &ret_val_sg;
//
//		spin_lock_irqsave(&scif_dev->vq_lock, flags);
//		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
//		if (unlikely(err)) {
//			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);
//
//			kfree(arg1);
//			ret = -EAGAIN;
//
//			goto out_with_packet;
//		}
//
//		virtqueue_kick(scif_dev->vq);
//		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);
//
//		break;

	case SCIF_FENCE_MARK:
		arg1 = kmalloc(sizeof(struct scifioctl_fence_mark), GFP_KERNEL);
		if (!arg1) {
			ret = -ENOMEM;
		      	goto out_with_packet;
		}

		if (copy_from_user(arg1, (void __user *)uarg, sizeof(struct scifioctl_fence_mark))) {
			kfree(arg1);
			ret = -EFAULT;
			goto out_with_packet;
		}

	        //sg_init_one(&arg1_sg, arg1, sizeof(void *));
	        sg_init_one(&arg1_sg, arg1, sizeof(struct scifioctl_fence_mark));
	        sgs[num_out++] = &arg1_sg;

		arg2 = kmalloc(sizeof(int), GFP_KERNEL);
		if (!arg2) {
			kfree(arg1);
		      	ret = -ENOMEM;
		    	goto out_with_packet;
		}

	        sg_init_one(&arg2_sg, arg2, sizeof(int));
	        sgs[num_out++] = &arg2_sg;

		/**
		 *  Add the host_return_val_sg to the list.
		 *  This is also common to all ioctl commands.
		 **/
		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
		sgs[num_out + num_in++] = &ret_val_sg;

		spin_lock_irqsave(&scif_dev->vq_lock, flags);
		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
		if (unlikely(err)) {
			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

			kfree(arg2);
			kfree(arg1);
			ret = -EAGAIN;

			goto out_with_packet;
		}

		virtqueue_kick(scif_dev->vq);
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

		break;

	case SCIF_FENCE_WAIT:
		arg1 = kmalloc(sizeof(int), GFP_KERNEL);
		if (!arg1) {
			ret = -ENOMEM;
		      	goto out_with_packet;
		}

		*((int *)arg1) = (int)uarg;

	        //sg_init_one(&arg1_sg, arg1, sizeof(void *));
	        sg_init_one(&arg1_sg, arg1, sizeof(int));
	        sgs[num_out++] = &arg1_sg;

		/**
		 *  Add the host_return_val_sg to the list.
		 *  This is also common to all ioctl commands.
		 **/
		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
		sgs[num_out + num_in++] = &ret_val_sg;

		spin_lock_irqsave(&scif_dev->vq_lock, flags);
		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
		if (unlikely(err)) {
			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

			kfree(arg1);
			ret = -EAGAIN;

			goto out_with_packet;
		}

		virtqueue_kick(scif_dev->vq);
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

		break;

	case SCIF_FENCE_SIGNAL:
		arg1 = kmalloc(sizeof(struct scifioctl_fence_signal), GFP_KERNEL);
		if (!arg1) {
			ret = -ENOMEM;
		      	goto out_with_packet;
		}

		if (copy_from_user(arg1, (void __user *)uarg, sizeof(struct scifioctl_fence_signal))) {
			kfree(arg1);
			ret = -EFAULT;
			goto out_with_packet;
		}

	        sg_init_one(&arg1_sg, arg1, sizeof(struct scifioctl_fence_signal));
	        sgs[num_out++] = &arg1_sg;

		/**
		 *  Add the host_return_val_sg to the list.
		 *  This is also common to all ioctl commands.
		 **/
		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
		sgs[num_out + num_in++] = &ret_val_sg;

		spin_lock_irqsave(&scif_dev->vq_lock, flags);
		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
		if (unlikely(err)) {
			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

			kfree(arg1);
			ret = -EAGAIN;

			goto out_with_packet;
		}

		virtqueue_kick(scif_dev->vq);
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

		break;

	case SCIF_GET_NODEIDS:
		arg1 = kmalloc(sizeof(struct scifioctl_nodeIDs), GFP_KERNEL);
		if (!arg1) {
			ret = -ENOMEM;
		      	goto out_with_packet;
		}

		if (copy_from_user(arg1, (void __user *)uarg, sizeof(struct scifioctl_nodeIDs))) {
			kfree(arg1);
			ret = -EFAULT;
			goto out_with_packet;
		}

	        //sg_init_one(&arg1_sg, arg1, sizeof(void *));
	        sg_init_one(&arg1_sg, arg1, sizeof(struct scifioctl_nodeIDs));
	        sgs[num_out++] = &arg1_sg;

		//FIXME: allocate the min of MAX_BOARD_SUPPORTED and 
		// user-supplied len (see host driver)
		arg2 = kmalloc(sizeof(uint16_t) * ((struct scifioctl_nodeIDs *)arg1)->len, GFP_KERNEL);
		if (!arg2) {
			kfree(arg1);
		      	ret = -ENOMEM;
		    	goto out_with_packet;
		}

	        sg_init_one(&arg2_sg, arg2, sizeof(sizeof(uint16_t) * ((struct scifioctl_nodeIDs *)arg1)->len));
	        sgs[num_out++] = &arg2_sg;

		arg3 = kmalloc(sizeof(uint16_t), GFP_KERNEL);
		if (!arg3) {
			kfree(arg1);
			kfree(arg2);
		      	ret = -ENOMEM;
		    	goto out_with_packet;
		}

	        sg_init_one(&arg3_sg, arg3, sizeof(uint16_t));
	        sgs[num_out++] = &arg3_sg;

		/**
		 *  Add the host_return_val_sg to the list.
		 *  This is also common to all ioctl commands.
		 **/
		sg_init_one(&ret_val_sg, &host_ret_val, sizeof(host_ret_val));
		sgs[num_out + num_in++] = &ret_val_sg;

		spin_lock_irqsave(&scif_dev->vq_lock, flags);
		err = virtqueue_add_sgs(scif_dev->vq, sgs, num_out, num_in, packet, GFP_ATOMIC);
		if (unlikely(err)) {
			spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

			kfree(arg3);
			kfree(arg2);
			kfree(arg1);
			ret = -EAGAIN;

			goto out_with_packet;
		}

		virtqueue_kick(scif_dev->vq);
		spin_unlock_irqrestore(&scif_dev->vq_lock, flags);

		break;

	default:
		printk(KERN_ALERT "SCIF_UNKNOWN\n");

		break;
	}

        /* We only need packet as a token identifier of the request/reply */
        err = wait_event_interruptible(scif_dev->wq, need_to_wakeup(scif_dev, packet));

	/* Check the ioctl return value of the host. */
	/* FIXME we need to free the allocated structures. */
//	if (host_ret_val == -1) {
//		debug("Host could not complete ioctl command.");
//		ret = -EBADF;
//		goto out;
//	}
	ret = host_ret_val;	

	/** 
	 *  Now do copy_to_user and cleanup. 
	 **/
	switch (cmd) {
	case SCIF_GET_VERSION:

		break;

	case SCIF_BIND:
		if (copy_to_user((void __user *)uarg, arg1, sizeof(uint16_t))) {
			kfree(arg1);
			ret = -EFAULT;

			goto out_with_packet;
		}
		kfree(arg1);

		break;

	case SCIF_LISTEN:
		kfree(arg1);

		break;

	case SCIF_CONNECT:
		if (copy_to_user((void __user *)uarg, arg1, sizeof(struct scifioctl_connect))) {
			kfree(arg1);
			ret = -EFAULT;

			goto out_with_packet;
		}
		kfree(arg1);

		break;

	case SCIF_ACCEPTREQ:
		if (copy_to_user((void __user *)uarg, arg1, sizeof(struct scifioctl_accept))) {
			kfree(arg1);
			ret = -EFAULT;

			goto out_with_packet;
		}
		kfree(arg1);

		break;

	case SCIF_ACCEPTREG:
		kfree(arg1);

		break;

	case SCIF_SEND:
		if (copy_to_user(&((struct scifioctl_msg *)uarg)->out_len, &((struct scifioctl_msg *)arg1)->out_len, sizeof(int))) {
			kfree(arg2);
			kfree(arg1);
			ret = -EFAULT;

			goto out_with_packet;
		}
		kfree(arg2);
		kfree(arg1);

		break;

	case SCIF_RECV:
		if (copy_to_user(&((struct scifioctl_msg *)uarg)->out_len, &((struct scifioctl_msg *)arg1)->out_len, sizeof(int))) {
			kfree(arg2);
			kfree(arg1);
			ret = -EFAULT;

			goto out_with_packet;
		}

		if (copy_to_user(((struct scifioctl_msg *)uarg)->msg, arg2, ((struct scifioctl_msg *)arg1)->out_len)) {
			kfree(arg2);
			kfree(arg1);
			ret = -EFAULT;

			goto out_with_packet;
		}

		kfree(arg2);
		kfree(arg1);

		break;

	case SCIF_REG:
		if (host_ret_val < 0) {
			kfree(arg1);
			//kfree(arg2);
			break;
		}
	
		if (copy_to_user(&((struct scifioctl_reg *)uarg)->out_offset, &((struct scifioctl_reg *)arg1)->out_offset, sizeof(off_t))) {
			kfree(arg1);
			ret = -EFAULT;

			goto out_with_packet;
		}

		//((struct reg_window *)arg2)->reg_offset = ((struct scifioctl_reg *)arg1)->out_offset;
		//TODO: for list manipulation?/
		//also where it is freed??
		((struct reg_window *)arg2)->reg_offset = ((struct scifioctl_reg *)arg1)->out_offset;
		
		kfree(arg1);

		break;

	case SCIF_UNREG:
		err = release_locked_windows(scif_of, 
						0, 
						((struct scifioctl_unreg *)arg1)->offset, 
						((struct scifioctl_unreg *)arg1)->len);

		if (err < 0) {
			kfree(arg1);
			goto out_with_packet;
		}


		kfree(arg1);

		break;

	case SCIF_READFROM:
	case SCIF_WRITETO:
		kfree(arg1);

		break;

	case SCIF_VREADFROM:
		//maybe this is unnecessary(??)
		if (copy_to_user(((struct scifioctl_copy *)uarg)->addr, (struct scifioctl_reg *)arg2, ((struct scifioctl_copy *)arg1)->len * sizeof(uint8_t))) {
			kfree(arg2);
			kfree(arg1);
			ret = -EFAULT;

			goto out_with_packet;
		}

		kfree(arg2);
		kfree(arg1);

		break;

	case SCIF_VWRITETO:
		kfree(arg1);
		kfree(arg2);

		break;

	case SCIF_FENCE_MARK:
		if (copy_to_user(((struct scifioctl_fence_mark *)uarg)->mark, arg2, sizeof(int))) {
			kfree(arg2);
			kfree(arg1);
			ret = -EFAULT;

			goto out_with_packet;
		}
		
		kfree(arg2);
		kfree(arg1);

		break;

	case SCIF_FENCE_WAIT:
		kfree(arg1);

		break;

	case SCIF_FENCE_SIGNAL:
		kfree(arg1);

		break;

	case SCIF_GET_NODEIDS:
		if (copy_to_user(((struct scifioctl_nodeIDs *)uarg)->nodes, arg2, 
					sizeof(uint16_t) * ((struct scifioctl_nodeIDs *)arg1)->len)) {
			kfree(arg3);
			kfree(arg2);
			kfree(arg1);
			ret = -EFAULT;

			goto out_with_packet;
		}

		if (copy_to_user(((struct scifioctl_nodeIDs *)uarg)->self, arg3, sizeof(uint16_t))) {
			kfree(arg3);
			kfree(arg2);
			kfree(arg1);
			ret = -EFAULT;

			goto out_with_packet;
		}

		if (copy_to_user((struct scifioctl_nodeIDs *)uarg, arg1, sizeof(struct scifioctl_nodeIDs))) {
			kfree(arg3);
			kfree(arg2);
			kfree(arg1);
			ret = -EFAULT;

			goto out_with_packet;
		}
		
		kfree(arg3);
		kfree(arg2);
		kfree(arg1);

		break;

	default:

		break;
	}

out_with_packet:
	//kfree(packet);

out:
	debug("Leaving PID: %d", current->pid);
	return ret;
}

static struct file_operations scif_chrdev_fops = 
{
	.owner          = THIS_MODULE,
	.open           = scif_chrdev_open,
	.release        = scif_chrdev_release,
	.mmap           = scif_chrdev_mmap,
	.read           = scif_chrdev_read,
	.unlocked_ioctl = scif_chrdev_ioctl,
	.poll 		= scif_chrdev_poll,
};
