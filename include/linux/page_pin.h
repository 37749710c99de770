/* SPDX-License-Identifier: GPL-2.0 */
/*
 * page_pin: remember which small folios were pinned with FOLL_PIN, so that
 * folio_maybe_dma_pinned() can tell a pinned small folio from one that just
 * has many references.  See Documentation/mm/page_pin.rst.
 *
 * This is what include/linux/mm.h needs for folio_maybe_dma_pinned(), and
 * what code outside mm/ may ask.  Setting, clearing and debugging the mark
 * is mm's business: mm/page_pin.h.
 */
#ifndef _LINUX_PAGE_PIN_H
#define _LINUX_PAGE_PIN_H

#include <linux/bitops.h>
#include <linux/jump_label.h>
#include <linux/page-flags.h>

#ifdef CONFIG_PAGE_PIN

DECLARE_STATIC_KEY_FALSE(page_pin_key);

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
#else
static inline bool __folio_test_pin_marked(const struct folio *folio)
{
	return folio_test_pinned_once(folio);
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

#else /* !CONFIG_PAGE_PIN */

static inline bool page_pin_enabled(void)
{
	return false;
}

static inline bool folio_test_pin_marked(const struct folio *folio)
{
	return false;
}

static inline bool folio_pin_bit_confirms(const struct folio *folio)
{
	return true;
}

#endif /* CONFIG_PAGE_PIN */

#endif /* _LINUX_PAGE_PIN_H */
