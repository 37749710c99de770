/*
 * Copyright (C) 2013-2014 Universita` di Pisa. All rights reserved.
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions
 * are met:
 *   1. Redistributions of source code must retain the above copyright
 *      notice, this list of conditions and the following disclaimer.
 *   2. Redistributions in binary form must reproduce the above copyright
 *      notice, this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 *
 * THIS SOFTWARE IS PROVIDED BY THE AUTHOR AND CONTRIBUTORS ``AS IS'' AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
 * IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
 * ARE DISCLAIMED.  IN NO EVENT SHALL THE AUTHOR OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS
 * OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION)
 * HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT
 * LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY
 * OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF
 * SUCH DAMAGE.
 */

#include "bsd_glue.h"
#include <linux/file.h>   /* fget(int fd) */

#include <asm/types.h>
#include <net/netmap.h>
#include <dev/netmap/netmap_kern.h>
#include <net/netmap_virt.h>
#include <dev/netmap/netmap_mem2.h>
#include <dev/netmap/netmap_bdg.h>
#include <net/ip6_checksum.h>
#include <linux/rtnetlink.h>
#include <linux/nsproxy.h>
#include <linux/ip.h>
#include <net/pkt_sched.h>
#include <net/sch_generic.h>
#include <net/sock.h>
#ifdef NETMAP_LINUX_HAVE_SCHED_MM
#include <linux/sched/mm.h>
#endif /* NETMAP_LINUX_HAVE_SCHED_MM */
#ifdef WITH_PASTE
#include <linux/tcp.h>
#include <net/sock.h> // sock_owned_by_user
#include <net/netmap_paste.h>
#endif /* WITH_PASTE */

#include "netmap_linux_config.h"

void *
nm_os_malloc(size_t size)
{
	void *rv = kmalloc(size, GFP_ATOMIC | __GFP_ZERO);
	if (IS_ERR(rv))
		return NULL;
	return rv;
}

void *
nm_os_vmalloc(size_t size)
{
	void *rv = vmalloc(size);
	if (IS_ERR(rv))
		return NULL;
	return rv;
}

void
nm_os_free(void *addr){
	kfree(addr);
}

void
nm_os_vfree(void *addr){
	vfree(addr);
}

#ifdef WITH_EXTMEM
struct nm_os_extmem {
	struct page **pages;
	int nr_pages;
	int mapped;
};

void
nm_os_extmem_delete(struct nm_os_extmem *e)
{
	int i;
	for (i = 0; i < e->nr_pages; i++) {
		if (i < e->mapped)
			kunmap(e->pages[i]);
#ifdef NETMAP_LINUX_HAVE_PIN_PAGES
		unpin_user_page(e->pages[i]);
#else
		put_page(e->pages[i]);
#endif
	}
	if (e->pages)
		nm_os_vfree(e->pages);
	nm_os_free(e);
}

char *
nm_os_extmem_nextpage(struct nm_os_extmem *e)
{
	if (e->mapped >= e->nr_pages)
		return NULL;
	return kmap(e->pages[e->mapped++]);
}

int
nm_os_extmem_isequal(struct nm_os_extmem *e1, struct nm_os_extmem *e2)
{
	int i;

	if (e1->nr_pages != e2->nr_pages)
		return 0;

	for (i = 0; i < e1->nr_pages; i++)
		if (e1->pages[i] != e2->pages[i])
			return 0;

	return 1;
}

int
nm_os_extmem_nr_pages(struct nm_os_extmem *e)
{
	return e->nr_pages;
}


struct nm_os_extmem *
nm_os_extmem_create(unsigned long p, struct nmreq_pools_info *pi, int *perror)
{
	unsigned long end, start;
	int nr_pages, res;
	struct nm_os_extmem *e = NULL;
	int err;
	struct page **pages;

	end = (p + pi->nr_memsize + PAGE_SIZE - 1) >> PAGE_SHIFT;
	start = p >> PAGE_SHIFT;
	nr_pages = end - start;

	e = nm_os_malloc(sizeof(*e));
	if (e == NULL) {
		nm_prerr("failed to allocate os_extmem");
		err = ENOMEM;
		goto out;
	}

	pages = nm_os_vmalloc(nr_pages * sizeof(*pages));
	if (pages == NULL) {
		nm_prerr("failed to allocate pages array (nr_pages %d)", nr_pages);
		err = ENOMEM;
		goto out;
	}

	e->pages = pages;

#ifdef NETMAP_LINUX_HAVE_PIN_PAGES
	res = pin_user_pages_unlocked(
			p,
			nr_pages,
			pages,
			FOLL_WRITE | FOLL_SPLIT | FOLL_POPULATE);
#elif defined(NETMAP_LINUX_HAVE_GUP_4ARGS)
	res = get_user_pages_unlocked(
			p,
			nr_pages,
			pages,
			FOLL_WRITE | FOLL_GET | FOLL_SPLIT | FOLL_POPULATE); // XXX check other flags
#elif defined(NETMAP_LINUX_HAVE_GUP_5ARGS)
	res = get_user_pages_unlocked(
			p,
			nr_pages,
			1, /* write */
			0, /* don't force */
			pages);
#elif defined(NETMAP_LINUX_HAVE_GUP_7ARGS)
	res = get_user_pages_unlocked(
			current,
			current->mm,
			p,
			nr_pages,
			1, /* write */
			0, /* don't force */
			pages);
#else
	down_read(&current->mm->mmap_sem);
	res = get_user_pages(
			current,
			current->mm,
			p,
			nr_pages,
			1, /* write */
			0, /* don't force */
			pages,
			NULL);
	up_read(&current->mm->mmap_sem);
#endif	/* NETMAP_LINUX_GUP */

	e->nr_pages = res;

	if (res < nr_pages) {
		nm_prerr("failed to get user pages: res %d nr_pages %d", res, nr_pages);
		err = EFAULT;
		goto out;
	}

	return e;

out:
	if (e)
		nm_os_extmem_delete(e);
	if (perror)
		*perror = err;
	return NULL;
}
#endif /* WITH_EXTMEM */
