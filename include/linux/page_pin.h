/* SPDX-License-Identifier: GPL-2.0 */
/*
 * page_pin: remember which small folios were pinned with FOLL_PIN, so that
 * folio_maybe_dma_pinned() can tell a pinned small folio from one that just
 * has many references.  See Documentation/mm/page_pin.rst.
 */
#ifndef _LINUX_PAGE_PIN_H
#define _LINUX_PAGE_PIN_H

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/jump_label.h>
#include <linux/mmdebug.h>
#include <linux/page-flags.h>

/* The values of the page_pin= boot option. */
enum page_pin_mode {
	PAGE_PIN_OFF,
	PAGE_PIN_ON,
	PAGE_PIN_DEBUG,
};

/* What page_pin=debug detects; counted in debugfs page_pin/counters. */
enum page_pin_event {
	PAGE_PIN_UNPIN_NOT_PINNED,
	PAGE_PIN_UNPIN_UNDERFLOW,
	PAGE_PIN_OVERFLOW,
	PAGE_PIN_FREED_PINNED,
	PAGE_PIN_BELOW_BIAS,
	NR_PAGE_PIN_EVENTS,
};

#ifdef CONFIG_PAGE_PIN

DECLARE_STATIC_KEY_FALSE(page_pin_key);

int page_pin_parse(const char *str, enum page_pin_mode *mode);

/**
 * page_pin_enabled() - Is pin tracking switched on?
 *
 * Tracking is chosen once, at boot (page_pin=on|off).  It cannot be turned
 * on later: pins taken before that would not be marked.
 *
 * Return: true if small folios pinned with FOLL_PIN are being marked.
 */
static inline bool page_pin_enabled(void)
{
	return static_branch_unlikely(&page_pin_key);
}

#ifdef CONFIG_PAGE_PIN_PAGE_EXT
bool __folio_test_pin_marked(const struct folio *folio);
void __folio_set_pin_marked(struct folio *folio);
void __page_pin_free(struct page *page, unsigned int order);
void __dump_page_pin(const struct page *page);
extern struct page_ext_operations page_pin_ops;
#else
static inline bool __folio_test_pin_marked(const struct folio *folio)
{
	return test_bit(PG_dma_pinned, const_folio_flags(folio, 0));
}

static inline void __folio_set_pin_marked(struct folio *folio)
{
	/* Test first: a re-pin must not dirty the cache line. */
	if (!test_bit(PG_dma_pinned, folio_flags(folio, 0)))
		set_bit(PG_dma_pinned, folio_flags(folio, 0));
}

/* The page allocator clears every page flag when the page is freed. */
static inline void __page_pin_free(struct page *page, unsigned int order)
{
}

/* %pGp in dump_page() already shows PG_dma_pinned. */
static inline void __dump_page_pin(const struct page *page)
{
}
#endif /* CONFIG_PAGE_PIN_PAGE_EXT */

/**
 * folio_test_pin_marked() - Was this small folio pinned since allocation?
 * @folio: The folio.
 *
 * This is the raw, sticky bit: it stays set after the last unpin, until
 * the folio is freed.  Large folios are never marked; they keep an exact
 * _pincount instead.
 *
 * Return: false if tracking is off or the folio is large.  true if the bit
 * is set, or if its page_ext is missing (the safe answer).
 */
static inline bool folio_test_pin_marked(const struct folio *folio)
{
	if (!page_pin_enabled() || folio_test_large(folio))
		return false;
	return __folio_test_pin_marked(folio);
}

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
 * folio_pin_bit_confirms() - Second half of folio_maybe_dma_pinned().
 * @folio: A small folio whose reference count was just read as at least
 *	GUP_PIN_COUNTING_BIAS.
 *
 * Return: true if the folio may be pinned.  With tracking off this is
 * always true, which leaves the reference count heuristic as it was.
 */
static inline bool folio_pin_bit_confirms(const struct folio *folio)
{
	if (!page_pin_enabled())
		return true;
	/* Count before bit; pairs with the barrier in folio_mark_pinned(). */
	smp_rmb();
	return __folio_test_pin_marked(folio);
}

#ifdef CONFIG_PAGE_PIN_DEBUG
DECLARE_STATIC_KEY_FALSE(page_pin_debug_key);
extern struct page_ext_operations page_pin_debug_ops;
void __init page_pin_debug_request(bool on);
void __page_pin_debug_pin(struct folio *folio, int refs, unsigned long ip);
bool __page_pin_debug_unpin(struct folio *folio, int refs, unsigned long ip);
void __page_pin_debug_put(struct folio *folio, int refs, unsigned long ip);
void __page_pin_debug_free(struct page *page, unsigned int order);
unsigned long page_pin_debug_events(enum page_pin_event event);
int page_pin_debug_last_report(unsigned long *pfn);

/**
 * page_pin_debug_enabled() - Is exact pin accounting on (page_pin=debug)?
 *
 * Return: true if every pin and unpin is counted and checked.
 */
static inline bool page_pin_debug_enabled(void)
{
	return static_branch_unlikely(&page_pin_debug_key);
}
#else
static inline bool page_pin_debug_enabled(void)
{
	return false;
}

static inline void page_pin_debug_request(bool on)
{
}

static inline void __page_pin_debug_pin(struct folio *folio, int refs,
					unsigned long ip)
{
}

static inline bool __page_pin_debug_unpin(struct folio *folio, int refs,
					  unsigned long ip)
{
	return true;
}

static inline void __page_pin_debug_put(struct folio *folio, int refs,
					unsigned long ip)
{
}

static inline void __page_pin_debug_free(struct page *page,
					 unsigned int order)
{
}

static inline unsigned long page_pin_debug_events(enum page_pin_event event)
{
	return 0;
}

static inline int page_pin_debug_last_report(unsigned long *pfn)
{
	return -1;
}
#endif /* CONFIG_PAGE_PIN_DEBUG */

/**
 * page_pin_debug_pin() - Count @refs FOLL_PIN pins of @folio.
 * @folio: The folio, small or large.
 * @refs: The number of pins just added to its reference count.
 *
 * Call after the pin is fully accounted in the reference count (and in
 * _pincount), so that the count never runs ahead of the references.
 */
static __always_inline void page_pin_debug_pin(struct folio *folio, int refs)
{
	if (page_pin_debug_enabled())
		__page_pin_debug_pin(folio, refs, _RET_IP_);
}

/**
 * page_pin_debug_unpin() - Check and count an unpin before it happens.
 * @folio: The folio about to lose @refs pins.
 * @refs: The number of pins being released.
 *
 * Call before anything is dropped.  A folio that does not hold @refs
 * pins is reported, and the caller must then drop nothing: dropping
 * GUP_PIN_COUNTING_BIAS references that were never taken would free the
 * folio under its real owners.
 *
 * Return: true if the caller may drop the pins.
 */
static __always_inline bool page_pin_debug_unpin(struct folio *folio,
						 int refs)
{
	if (page_pin_debug_enabled())
		return __page_pin_debug_unpin(folio, refs, _RET_IP_);
	return true;
}

/**
 * page_pin_debug_put() - Check a folio about to lose plain references.
 * @folio: The folio; the caller holds @refs references to it.
 * @refs: The number of references about to be dropped.
 *
 * Reports a pinned folio whose reference count would fall below its pins'
 * share: a pin was released with put_page().  Called where unmapped folios
 * are released in batches, not from put_page() itself, which is too hot.
 */
static __always_inline void page_pin_debug_put(struct folio *folio, int refs)
{
	if (page_pin_debug_enabled())
		__page_pin_debug_put(folio, refs, _RET_IP_);
}

/**
 * page_pin_free() - Forget the pin state of pages being freed.
 * @page: The first page.
 * @order: The order of the block being freed.
 *
 * With page_pin=debug, also reports pages freed while counted as pinned.
 */
static inline void page_pin_free(struct page *page, unsigned int order)
{
	if (page_pin_enabled()) {
		__page_pin_free(page, order);
		if (page_pin_debug_enabled())
			__page_pin_debug_free(page, order);
	}
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

static inline bool page_pin_enabled(void)
{
	return false;
}

static inline int page_pin_parse(const char *str, enum page_pin_mode *mode)
{
	return -EINVAL;
}

static inline bool folio_test_pin_marked(const struct folio *folio)
{
	return false;
}

static inline void folio_mark_pinned(struct folio *folio)
{
}

static inline bool folio_pin_bit_confirms(const struct folio *folio)
{
	return true;
}

static inline void page_pin_free(struct page *page, unsigned int order)
{
}

static inline void dump_page_pin(const struct page *page)
{
}

static inline bool page_pin_debug_enabled(void)
{
	return false;
}

static inline void page_pin_debug_pin(struct folio *folio, int refs)
{
}

static inline bool page_pin_debug_unpin(struct folio *folio, int refs)
{
	return true;
}

static inline void page_pin_debug_put(struct folio *folio, int refs)
{
}

#endif /* CONFIG_PAGE_PIN */

#endif /* _LINUX_PAGE_PIN_H */
