// SPDX-License-Identifier: GPL-2.0
/*
 * page_pin: mark small folios that were pinned with FOLL_PIN.
 *
 * The mark lives in page->flags on 64-bit and in page_ext->flags where
 * page->flags has no room (32-bit).  It is set before the pin bias is added
 * and cleared only when the page is freed.  See Documentation/mm/page_pin.rst.
 */
#define pr_fmt(fmt) "page_pin: " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/page_ext.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "page_pin.h"

static bool page_pin_requested __initdata =
	IS_ENABLED(CONFIG_PAGE_PIN_DEFAULT_ON);

/*
 * folio_maybe_dma_pinned() is a static inline that any module could call
 * before page_pin existed; what it now reads is exported the same way, as
 * init_on_alloc is for want_init_on_alloc().
 */
DEFINE_STATIC_KEY_FALSE(page_pin_key);
EXPORT_SYMBOL(page_pin_key);

/**
 * page_pin_parse() - Parse the value of the page_pin= boot option.
 * @str: The value; exactly "on" or "off".
 * @mode: Set to the parsed value on success.
 *
 * Unlike kstrtobool(), anything else is refused, so that a typo is reported
 * instead of silently meaning "off".
 *
 * Return: 0 on success, -EINVAL for a missing or malformed value.
 */
int page_pin_parse(const char *str, enum page_pin_mode *mode)
{
	if (!str)
		return -EINVAL;
	if (!strcmp(str, "on"))
		*mode = PAGE_PIN_ON;
	else if (!strcmp(str, "off"))
		*mode = PAGE_PIN_OFF;
	else
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(page_pin_parse);

static int __init early_page_pin_param(char *buf)
{
	enum page_pin_mode mode;

	if (page_pin_parse(buf, &mode)) {
		pr_warn("ignoring malformed page_pin=%s (expected on or off), keeping %s\n",
			buf ?: "", page_pin_requested ? "on" : "off");
		return 0;
	}
	page_pin_requested = mode != PAGE_PIN_OFF;
	return 0;
}
early_param("page_pin", early_page_pin_param);

#ifdef CONFIG_PAGE_PIN_PAGE_EXT

#define PAGE_PIN_BACKEND "page_ext"

static bool __init need_page_pin(void)
{
	return page_pin_requested;
}

/*
 * page_ext exists from here on, and no user space has run yet, so no pin
 * can have been taken without being marked.
 */
static void __init init_page_pin(void)
{
	if (page_pin_requested && page_pin_none_pinned("tracking"))
		static_branch_enable(&page_pin_key);
}

struct page_ext_operations page_pin_ops = {
	.need = need_page_pin,
	.init = init_page_pin,
	.need_shared_flags = true,
};

/**
 * __folio_test_pin_marked() - Read the page_ext pinned bit.
 * @folio: A small folio.
 *
 * Unlike the set, this takes page_ext_get(): /proc/kpageflags asks about
 * pages it holds no reference on.
 *
 * Return: the bit, or true if the folio has no page_ext (the safe answer).
 */
bool __folio_test_pin_marked(const struct folio *folio)
{
	struct page_ext *page_ext = page_ext_get(&folio->page);
	bool marked;

	if (unlikely(!page_ext))
		return true;
	marked = test_bit(PAGE_EXT_PINNED_ONCE, &page_ext->flags);
	page_ext_put(page_ext);
	return marked;
}
EXPORT_SYMBOL(__folio_test_pin_marked);	/* see page_pin_key */

/**
 * __page_pin_free() - Clear the page_ext pinned bits of freed pages.
 * @page: The first page of the block being freed.
 * @order: The order of the block.
 */
void __page_pin_free(struct page *page, unsigned int order)
{
	struct page_ext *page_ext = page_ext_get(page);
	struct page_ext *iter = page_ext;
	unsigned long i;

	if (unlikely(!page_ext))
		return;
	for (i = 0; i < (1UL << order); i++) {
		if (test_bit(PAGE_EXT_PINNED_ONCE, &iter->flags))
			clear_bit(PAGE_EXT_PINNED_ONCE, &iter->flags);
		iter = page_ext_next(iter);
	}
	page_ext_put(page_ext);
}
EXPORT_SYMBOL_IF_KUNIT(__page_pin_free);

/**
 * __dump_page_pin() - Print the page_ext mark of a page being dumped.
 * @page: The page.
 */
void __dump_page_pin(const struct page *page)
{
	struct page_ext *page_ext = page_ext_get(page);

	if (!page_ext)
		return;
	if (test_bit(PAGE_EXT_PINNED_ONCE, &page_ext->flags))
		pr_warn("marked: pinned with FOLL_PIN since allocation\n");
	page_ext_put(page_ext);
}

#else /* CONFIG_PAGE_PIN_PAGEFLAG */

#define PAGE_PIN_BACKEND "page-flag"

/*
 * PG_pinned_once must not push a field out of page->flags: a _last_cpupid
 * moved into struct page would grow it, and MGLRU's refs field, which
 * takes whatever bits are left, must keep its full width.  If one of
 * these fires, this configuration has no page->flags bit to spare: keep
 * the mark in page_ext (CONFIG_PAGE_PIN_FORCE_PAGE_EXT) or say N to
 * CONFIG_PAGE_PIN.
 */
#if defined(LAST_CPUPID_NOT_IN_PAGE_FLAGS) && \
	ZONES_WIDTH + LRU_GEN_WIDTH + SECTIONS_WIDTH + NODES_WIDTH + \
	KASAN_TAG_WIDTH + LAST_CPUPID_SHIFT <= BITS_PER_LONG - NR_PAGEFLAGS + 1
#error "PG_pinned_once pushed _last_cpupid out of page->flags"
#endif
#if defined(NODE_NOT_IN_PAGE_FLAGS) && \
	ZONES_WIDTH + LRU_GEN_WIDTH + SECTIONS_WIDTH + NODES_SHIFT <= \
	BITS_PER_LONG - NR_PAGEFLAGS + 1
#error "PG_pinned_once pushed the node id out of page->flags"
#endif
#if BITS_PER_LONG - NR_PAGEFLAGS - ZONES_WIDTH - LRU_GEN_WIDTH - \
	SECTIONS_WIDTH - NODES_WIDTH - KASAN_TAG_WIDTH - LAST_CPUPID_WIDTH < \
	__LRU_REFS_WIDTH
#error "PG_pinned_once shrank LRU_REFS_WIDTH (MGLRU) in page->flags"
#endif

/* No user space has run yet, so no pin can have been taken unmarked. */
static int __init page_pin_enable(void)
{
	if (page_pin_requested && page_pin_none_pinned("tracking"))
		static_branch_enable(&page_pin_key);
	return 0;
}
early_initcall(page_pin_enable);

#endif /* CONFIG_PAGE_PIN_PAGE_EXT */

/**
 * page_pin_none_pinned() - Check that no FOLL_PIN pin exists yet.
 * @what: What is about to be turned on, for the warning.
 *
 * Tracking is turned on before user space runs, when no folio can be
 * pinned.  A pin taken earlier would be unmarked (a false negative), so
 * the assumption is checked against the vmstat pin counters.
 *
 * Return: true if as many pins were released as were acquired.
 */
bool __init page_pin_none_pinned(const char *what)
{
	unsigned long got = global_node_page_state(NR_FOLL_PIN_ACQUIRED);
	unsigned long put = global_node_page_state(NR_FOLL_PIN_RELEASED);

	if (got == put)
		return true;
	pr_warn("%lu pins already held, %s stays off\n", got - put, what);
	return false;
}

static int __init page_pin_report(void)
{
	if (page_pin_enabled())
		pr_info("tracking on, %s backend\n", PAGE_PIN_BACKEND);
	else if (page_pin_requested)
		pr_warn("tracking requested but not turned on, off\n");
	else
		pr_info("tracking off, %s backend\n", PAGE_PIN_BACKEND);
	return 0;
}
core_initcall(page_pin_report);
