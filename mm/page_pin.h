/* SPDX-License-Identifier: GPL-2.0 */
/*
 * page_pin inside mm/: setting and clearing the mark, and the page_pin=
 * boot option.  What the rest of the kernel may use is in
 * include/linux/page_pin.h.  See Documentation/mm/page_pin.rst.
 */
#ifndef _MM_PAGE_PIN_H
#define _MM_PAGE_PIN_H

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/jump_label.h>
#include <linux/mmdebug.h>
#include <linux/page-flags.h>
#include <linux/page_ext.h>
#include <linux/page_pin.h>

struct page_ext_operations;

/* The values of the page_pin= boot option. */
enum page_pin_mode {
	PAGE_PIN_OFF,
	PAGE_PIN_ON,
};

#ifdef CONFIG_PAGE_PIN

int page_pin_parse(const char *str, enum page_pin_mode *mode);
bool page_pin_none_pinned(const char *what);

#ifdef CONFIG_PAGE_PIN_PAGE_EXT
/*
 * GUP holds a reference on the folio, so its page_ext cannot go away:
 * no page_ext_get() and its RCU section on the pin path.
 */
static inline void __folio_set_pin_marked(struct folio *folio)
{
	struct page_ext *page_ext = page_ext_from_pfn(folio_pfn(folio));

	/*
	 * Test first: a re-pin must not dirty the cache line.  The word is
	 * shared with other page_ext users, so the set is an atomic RMW:
	 * set_bit() as asm-generic spells it, because arm's set_bit() is an
	 * out-of-line call.
	 */
	if (unlikely(!page_ext) ||
	    test_bit(PAGE_EXT_PINNED_ONCE, &page_ext->flags))
		return;
	atomic_long_or(BIT(PAGE_EXT_PINNED_ONCE),
		       (atomic_long_t *)&page_ext->flags);
}

void __page_pin_free(struct page *page, unsigned int order);
void __dump_page_pin(const struct page *page);
extern struct page_ext_operations page_pin_ops;
#else
static inline void __folio_set_pin_marked(struct folio *folio)
{
	/* Test first: a re-pin must not dirty the cache line. */
	if (!folio_test_pinned_once(folio))
		folio_set_pinned_once(folio);
}

/* The page allocator clears every page flag when the page is freed. */
static inline void __page_pin_free(struct page *page, unsigned int order)
{
}

/* %pGp in dump_page() already shows PG_pinned_once. */
static inline void __dump_page_pin(const struct page *page)
{
}
#endif /* CONFIG_PAGE_PIN_PAGE_EXT */

/**
 * folio_mark_pinned() - Record a FOLL_PIN grab of a small folio.
 * @folio: A small folio.  The caller holds a reference to it, or holds the
 *	page table lock of a mapping of it.
 *
 * Call this before adding the pin bias to the folio's reference count, and
 * immediately before that atomic add: the barrier at the end orders the bit
 * (whether set here or found set) before the caller's add, so that whoever
 * reads the count, then smp_rmb(), then the bit also sees the bit.  Large
 * folios count pins exactly in _pincount; the GUP callers have already
 * branched on folio_test_large(), so it is not tested again here.  Does
 * nothing when tracking is off.
 */
static inline void folio_mark_pinned(struct folio *folio)
{
	if (!page_pin_enabled())
		return;
	VM_WARN_ON_ONCE_FOLIO(folio_test_large(folio), folio);
	__folio_set_pin_marked(folio);
	/* Mark before bias; pairs with smp_rmb() in folio_pin_bit_confirms(). */
	smp_mb__before_atomic();
}

/**
 * page_pin_free() - Forget the pin mark of pages being freed.
 * @page: The first page.
 * @order: The order of the block being freed.
 */
static inline void page_pin_free(struct page *page, unsigned int order)
{
	if (page_pin_enabled())
		__page_pin_free(page, order);
}

/**
 * dump_page_pin() - Report the page_pin mark in dump_page().
 * @page: The page being dumped.
 */
static inline void dump_page_pin(const struct page *page)
{
	if (page_pin_enabled())
		__dump_page_pin(page);
}

#else /* !CONFIG_PAGE_PIN */

static inline int page_pin_parse(const char *str, enum page_pin_mode *mode)
{
	return -EINVAL;
}

static inline void folio_mark_pinned(struct folio *folio)
{
}

static inline void page_pin_free(struct page *page, unsigned int order)
{
}

static inline void dump_page_pin(const struct page *page)
{
}

#endif /* CONFIG_PAGE_PIN */

#endif /* _MM_PAGE_PIN_H */
