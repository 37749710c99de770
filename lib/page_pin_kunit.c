// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for page_pin: the mark set by FOLL_PIN on small folios and
 * the folio_maybe_dma_pinned() answer built on it.  Pins are real: the
 * tests map user memory with kunit_vm_mmap() and pin it with
 * pin_user_pages*().  The suite runs with page_pin=on, off and debug;
 * cases that need tracking skip with page_pin=off, and the page_pin=debug
 * cases skip without it.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/panic.h>
#include <linux/sched/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/swap.h>

#include "../mm/page_pin.h"

#define MANY_REFS	2048
#define STRESS_PAGES	256
#define STRESS_WORKERS	2
#define STRESS_TIME	(3 * HZ)

/* A soak: the stress test runs until it has made this many pins, too. */
static unsigned long soak_ops;
module_param(soak_ops, ulong, 0444);
MODULE_PARM_DESC(soak_ops, "minimum pin/unpin operations of stress_test");

static bool heuristic_says_pinned(struct folio *folio)
{
	return (unsigned int)folio_ref_count(folio) >= GUP_PIN_COUNTING_BIAS;
}

static unsigned long map_anon(struct kunit *test, unsigned long len)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, len, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "kunit_vm_mmap() failed");
	return addr;
}

/* Fault in and return one user page with a plain (FOLL_GET) reference. */
static struct page *get_one(struct kunit *test, unsigned long addr)
{
	struct page *page;
	long ret;

	mmap_read_lock(current->mm);
	ret = get_user_pages(addr, 1, FOLL_WRITE, &page);
	mmap_read_unlock(current->mm);
	KUNIT_ASSERT_EQ(test, ret, 1);
	return page;
}

static struct page *pin_one(struct kunit *test, unsigned long addr)
{
	struct page *page;
	int ret;

	ret = pin_user_pages_fast(addr, 1, FOLL_WRITE | FOLL_LONGTERM, &page);
	KUNIT_ASSERT_EQ(test, ret, 1);
	return page;
}

/* GUP's slow path: pin_user_pages() under mmap_lock. */
static struct page *pin_slow(struct kunit *test, unsigned long addr)
{
	struct page *page;
	long ret;

	mmap_read_lock(current->mm);
	ret = pin_user_pages(addr, 1, FOLL_WRITE | FOLL_LONGTERM, &page);
	mmap_read_unlock(current->mm);
	KUNIT_ASSERT_EQ(test, ret, 1);
	return page;
}

static void page_pin_parse_test(struct kunit *test)
{
	static const char * const bad[] = {
		"", "banana", "On", "ON", "on ", "onx", "of", "1", "0", "y",
		"yes", "debugx", "Debug", "debug ",
	};
	enum page_pin_mode mode = PAGE_PIN_OFF;
	int i;

	KUNIT_EXPECT_EQ(test, page_pin_parse("on", &mode), 0);
	KUNIT_EXPECT_EQ(test, mode, PAGE_PIN_ON);
	KUNIT_EXPECT_EQ(test, page_pin_parse("off", &mode), 0);
	KUNIT_EXPECT_EQ(test, mode, PAGE_PIN_OFF);
	KUNIT_EXPECT_EQ(test, page_pin_parse("debug", &mode), 0);
	KUNIT_EXPECT_EQ(test, mode, PAGE_PIN_DEBUG);
	KUNIT_EXPECT_EQ(test, page_pin_parse(NULL, &mode), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		mode = PAGE_PIN_ON;
		KUNIT_EXPECT_EQ_MSG(test, page_pin_parse(bad[i], &mode), -EINVAL,
				    "value \"%s\"", bad[i]);
		KUNIT_EXPECT_EQ_MSG(test, mode, PAGE_PIN_ON,
				    "value \"%s\" changed the result", bad[i]);
	}
}

/* Many plain references on a never-pinned folio: both answers, asserted. */
static void expect_refs_not_pin(struct kunit *test, struct folio *folio)
{
	KUNIT_ASSERT_FALSE(test, folio_test_large(folio));
	folio_ref_add(folio, MANY_REFS);
	KUNIT_EXPECT_TRUE(test, heuristic_says_pinned(folio));
	if (page_pin_enabled()) {
		KUNIT_EXPECT_FALSE(test, folio_test_pin_marked(folio));
		KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(folio));
	} else {
		/* Tracking off: exactly the upstream heuristic. */
		KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(folio));
	}
	folio_ref_sub(folio, MANY_REFS);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(folio));
}

/*
 * An exclusive anonymous page with many plain references: the "not
 * AnonExclusive, so not pinned" rule cannot help here, only the mark can.
 */
static void never_pinned_anon_test(struct kunit *test)
{
	unsigned long addr = map_anon(test, PAGE_SIZE);
	struct page *page = get_one(test, addr);

	KUNIT_EXPECT_TRUE(test, PageAnonExclusive(page));
	expect_refs_not_pin(test, page_folio(page));
	put_page(page);
}

/*
 * An anonymous page that is not exclusive (shared since fork(), or KSM)
 * cannot be pinned, so many references never read as pinned, whatever
 * the mode: no mark is needed.  A fork() is out of reach here, so the
 * test clears the bit on a page that only it maps, and restores it.
 */
static void shared_anon_test(struct kunit *test)
{
	unsigned long addr = map_anon(test, PAGE_SIZE);
	struct page *page = get_one(test, addr);
	struct folio *folio = page_folio(page);

	KUNIT_ASSERT_FALSE(test, folio_test_large(folio));
	KUNIT_ASSERT_TRUE(test, PageAnonExclusive(page));
	folio_ref_add(folio, MANY_REFS);
	ClearPageAnonExclusive(page);
	KUNIT_EXPECT_TRUE(test, heuristic_says_pinned(folio));
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(folio));
	SetPageAnonExclusive(page);
	/* Exclusive again: only the mark can tell. */
	KUNIT_EXPECT_EQ(test, folio_maybe_dma_pinned(folio),
			!page_pin_enabled());
	folio_ref_sub(folio, MANY_REFS);
	put_page(page);
}

/* A shmem (page cache) folio with many references; no anon rule applies. */
static void never_pinned_shmem_test(struct kunit *test)
{
	struct file *file;
	struct folio *folio;

	file = shmem_file_setup("page_pin_kunit", PAGE_SIZE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	folio = shmem_read_folio(file->f_mapping, 0);
	if (IS_ERR(folio)) {
		fput(file);
		KUNIT_FAIL(test, "shmem_read_folio() failed");
		return;
	}
	if (folio_test_large(folio)) {
		folio_put(folio);
		fput(file);
		kunit_skip(test, "shmem gave a large folio");
	}
	KUNIT_EXPECT_FALSE(test, folio_test_anon(folio));
	expect_refs_not_pin(test, folio);
	folio_put(folio);
	fput(file);
}

static void check_pin_unpin(struct kunit *test, struct page *page)
{
	struct folio *folio = page_folio(page);

	KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(folio));
	KUNIT_EXPECT_EQ(test, folio_test_pin_marked(folio), page_pin_enabled());
	unpin_user_page(page);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(folio));
	/* The mark is sticky until the folio is freed. */
	KUNIT_EXPECT_EQ(test, folio_test_pin_marked(folio), page_pin_enabled());
}

/* A page that is not mapped yet: GUP faults it in on its slow path. */
static void pin_unpin_test(struct kunit *test)
{
	check_pin_unpin(test, pin_slow(test, map_anon(test, PAGE_SIZE)));
}

/*
 * A page that is mapped already: GUP-fast finds its PTE and pins it through
 * try_grab_folio_fast(), without mmap_lock.
 */
static void pin_unpin_fast_test(struct kunit *test)
{
	unsigned long addr = map_anon(test, PAGE_SIZE);

	put_page(get_one(test, addr));
	check_pin_unpin(test, pin_one(test, addr));
}

static void many_pins_test(struct kunit *test)
{
	unsigned long addr = map_anon(test, PAGE_SIZE);
	struct page *page[16];
	struct folio *folio;
	int base, i;

	page[0] = pin_one(test, addr);
	folio = page_folio(page[0]);
	base = folio_ref_count(folio) - GUP_PIN_COUNTING_BIAS;
	for (i = 1; i < ARRAY_SIZE(page); i++) {
		page[i] = pin_one(test, addr);
		KUNIT_EXPECT_PTR_EQ(test, page[i], page[0]);
	}
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio),
			base + ARRAY_SIZE(page) * GUP_PIN_COUNTING_BIAS);
	for (i = ARRAY_SIZE(page) - 1; i >= 0; i--) {
		KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(folio));
		unpin_user_page(page[i]);
	}
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), base);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(folio));
	KUNIT_EXPECT_EQ(test, folio_test_pin_marked(folio), page_pin_enabled());
}

/* Large folios keep their exact _pincount and never get the mark. */
static void large_folio_test(struct kunit *test)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	unsigned long addr;
	struct folio *folio;
	struct page *page;

	if (!has_transparent_hugepage())
		kunit_skip(test, "no transparent huge pages on this machine");
	addr = ALIGN(map_anon(test, 2 * HPAGE_PMD_SIZE), HPAGE_PMD_SIZE);
	page = pin_one(test, addr);
	folio = page_folio(page);
	if (!folio_test_large(folio)) {
		unpin_user_page(page);
		kunit_skip(test, "the fault did not give a large folio");
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&folio->_pincount), 1);
	KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(folio));
	KUNIT_EXPECT_FALSE(test, folio_test_pin_marked(folio));
	unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, atomic_read(&folio->_pincount), 0);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(folio));
#else
	kunit_skip(test, "CONFIG_TRANSPARENT_HUGEPAGE is off (no THP here)");
#endif
}

static void foll_get_test(struct kunit *test)
{
	unsigned long addr;
	struct page *page;

	if (!page_pin_enabled())
		kunit_skip(test, "needs page_pin=on");
	addr = map_anon(test, PAGE_SIZE);
	page = get_one(test, addr);
	KUNIT_EXPECT_FALSE(test, folio_test_pin_marked(page_folio(page)));
	put_page(page);
}

static void free_clears_mark_test(struct kunit *test)
{
	struct page *page, *again;
	unsigned long pfn;
	int tries;

	if (!page_pin_enabled())
		kunit_skip(test, "needs page_pin=on");

	/* The free hook itself, on a page we own. */
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	folio_mark_pinned(page_folio(page));
	KUNIT_EXPECT_TRUE(test, folio_test_pin_marked(page_folio(page)));
	if (IS_ENABLED(CONFIG_PAGE_PIN_PAGE_EXT)) {
		page_pin_free(page, 0);
		KUNIT_EXPECT_FALSE(test, folio_test_pin_marked(page_folio(page)));
		folio_mark_pinned(page_folio(page));
	}

	__free_page(page);

	/* The real free path: free a marked page and get it back. */
	again = NULL;
	for (tries = 0; tries < 64 && !again; tries++) {
		page = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, page);
		folio_mark_pinned(page_folio(page));
		pfn = page_to_pfn(page);
		migrate_disable();
		__free_page(page);
		again = alloc_page(GFP_KERNEL);
		migrate_enable();
		KUNIT_ASSERT_NOT_NULL(test, again);
		if (page_to_pfn(again) != pfn) {
			__free_page(again);
			again = NULL;
		}
	}
	KUNIT_ASSERT_NOT_NULL_MSG(test, again,
				  "never got the freed page back in 64 tries");
	kunit_info(test, "got pfn %lu back after %d tries\n", pfn, tries);
	KUNIT_EXPECT_FALSE(test, folio_test_pin_marked(page_folio(again)));
	__free_page(again);
}

/*
 * Concurrency: workers pin and unpin fresh pages while a checker that holds
 * no pin reads count, smp_rmb(), mark, and requires "count >= bias implies
 * marked" every time.  It also asks the real folio_maybe_dma_pinned()
 * while a worker is known to hold its pin: a worker's sequence count is odd
 * from after its pin until before its unpin, and a check counts only if
 * the count did not move under it.  After each round every page is marked.
 * The broken variant adds the bias first and sets the mark only after
 * sleeping, the ordering page_pin must never use, and the checker must
 * catch it.
 */
struct stress {
	struct mm_struct *mm;
	unsigned long addr;
	struct page **pages;
	int cur[STRESS_WORKERS];
	unsigned long seq[STRESS_WORKERS];
	bool broken;
	bool stop;
	atomic_long_t ops;
	int errors;
	struct completion done[STRESS_WORKERS];
};

struct stress_worker {
	struct stress *s;
	int id;
};

static int stress_worker_fn(void *data)
{
	struct stress_worker *w = data;
	struct stress *s = w->s;
	int i;

	kthread_use_mm(s->mm);
	for (i = w->id; i < STRESS_PAGES && !READ_ONCE(s->stop);
	     i += STRESS_WORKERS) {
		struct folio *folio = page_folio(s->pages[i]);
		struct page *page;

		WRITE_ONCE(s->cur[w->id], i);
		if (!s->broken) {
			if (pin_user_pages_fast(s->addr + i * PAGE_SIZE, 1,
						FOLL_WRITE, &page) != 1) {
				s->errors++;
				break;
			}
			/* Odd: the pin is held and visible. */
			smp_store_release(&s->seq[w->id], s->seq[w->id] + 1);
			cond_resched();
			WRITE_ONCE(s->seq[w->id], s->seq[w->id] + 1);
			/* The even count before the unpin. */
			smp_wmb();
			unpin_user_page(page);
		} else {
			folio_ref_add(folio, GUP_PIN_COUNTING_BIAS);
			usleep_range(100, 200);
			__folio_set_pin_marked(folio);
			folio_ref_sub(folio, GUP_PIN_COUNTING_BIAS);
		}
		atomic_long_inc(&s->ops);
		cond_resched();
	}
	WRITE_ONCE(s->cur[w->id], -1);
	kthread_unuse_mm(s->mm);
	complete(&s->done[w->id]);
	return 0;
}

/* One round over STRESS_PAGES fresh pages; returns the violations seen. */
static long stress_round(struct kunit *test, struct stress *s,
			 long *checks, long *real_checks)
{
	struct stress_worker w[STRESS_WORKERS];
	struct task_struct *t;
	long bad = 0, ret;
	int i, running;

	s->addr = map_anon(test, STRESS_PAGES * PAGE_SIZE);
	mmap_read_lock(current->mm);
	ret = get_user_pages(s->addr, STRESS_PAGES, FOLL_WRITE, s->pages);
	mmap_read_unlock(current->mm);
	KUNIT_ASSERT_EQ(test, ret, STRESS_PAGES);
	for (i = 0; i < STRESS_PAGES; i++) {
		struct folio *folio = page_folio(s->pages[i]);

		KUNIT_ASSERT_FALSE(test, folio_test_pin_marked(folio));
	}

	for (i = 0; i < STRESS_WORKERS; i++) {
		w[i].s = s;
		w[i].id = i;
		s->cur[i] = i;
		init_completion(&s->done[i]);
		t = kthread_run(stress_worker_fn, &w[i], "page_pin_stress/%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	}
	do {
		running = 0;
		for (i = 0; i < STRESS_WORKERS; i++) {
			/* Pairs with the worker's release after its pin. */
			unsigned long seq = smp_load_acquire(&s->seq[i]);
			int idx = READ_ONCE(s->cur[i]);
			struct folio *folio;
			unsigned int count;
			bool pinned;

			if (idx < 0)
				continue;
			running++;
			folio = page_folio(s->pages[idx]);
			count = folio_ref_count(folio);
			/* The reader side of folio_maybe_dma_pinned(). */
			smp_rmb();
			if (count >= GUP_PIN_COUNTING_BIAS &&
			    !__folio_test_pin_marked(folio))
				bad++;
			(*checks)++;
			if (!(seq & 1))
				continue;
			pinned = folio_maybe_dma_pinned(folio);
			/* Pairs with the worker's smp_wmb() before its unpin. */
			smp_rmb();
			if (READ_ONCE(s->seq[i]) == seq) {
				bad += !pinned;
				(*real_checks)++;
			}
		}
		cond_resched();
	} while (running);
	for (i = 0; i < STRESS_WORKERS; i++)
		wait_for_completion(&s->done[i]);

	for (i = 0; i < STRESS_PAGES; i++) {
		bad += !folio_test_pin_marked(page_folio(s->pages[i]));
		put_page(s->pages[i]);
	}
	vm_munmap(s->addr, STRESS_PAGES * PAGE_SIZE);
	return bad;
}

static void run_stress(struct kunit *test, bool broken)
{
	unsigned long deadline = jiffies + STRESS_TIME;
	long bad = 0, checks = 0, real_checks = 0;
	struct stress *s;
	int rounds = 0;

	if (!page_pin_enabled())
		kunit_skip(test, "needs page_pin=on");
	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->pages = kunit_kcalloc(test, STRESS_PAGES, sizeof(*s->pages),
				 GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->pages);
	s->broken = broken;
	/* kunit_vm_mmap() gives this thread an mm; the workers borrow it. */
	map_anon(test, PAGE_SIZE);
	s->mm = current->mm;
	do {
		bad += stress_round(test, s, &checks, &real_checks);
		rounds++;
	} while ((time_before(jiffies, deadline) ||
		  (!broken && atomic_long_read(&s->ops) < soak_ops)) &&
		 !(broken && bad));

	kunit_info(test, "%s order: %d rounds, %ld pin/unpin ops, %ld checks, %ld of them by folio_maybe_dma_pinned(), %ld violations, %d cpus\n",
		   broken ? "broken" : "page_pin", rounds,
		   atomic_long_read(&s->ops), checks, real_checks, bad,
		   num_online_cpus());
	KUNIT_EXPECT_EQ(test, s->errors, 0);
	KUNIT_EXPECT_GT(test, checks, 0);
	/*
	 * With one CPU the checker runs only when a worker yields, which may
	 * never be while it holds its pin: there the real-function checks
	 * are taken as they come.
	 */
	if (!broken && num_online_cpus() > 1)
		KUNIT_EXPECT_GT(test, real_checks, 0);
	if (broken)
		KUNIT_EXPECT_GT_MSG(test, bad, 0,
				    "the checker missed a bias-before-mark ordering");
	else
		KUNIT_EXPECT_EQ_MSG(test, bad, 0,
				    "a pinned folio was seen without its mark");
}

static void stress_test(struct kunit *test)
{
	run_stress(test, false);
}

static void stress_broken_order_test(struct kunit *test)
{
	run_stress(test, true);
}

/*
 * page_pin=debug.  Each case makes one mismatch on a fresh folio, so each
 * prints exactly one report.  A mismatched unpin must drop nothing; where
 * a test makes one on a real folio, extra references first make sure
 * that even an unchecked drop could not free it.
 */
#define PAD_REFS	(2 * GUP_PIN_COUNTING_BIAS)

static void snapshot_events(unsigned long *events)
{
	int i;

	for (i = 0; i < NR_PAGE_PIN_EVENTS; i++)
		events[i] = page_pin_debug_events(i);
}

/* @event, and nothing else, was counted once; the report names @page. */
static void expect_event(struct kunit *test, const unsigned long *before,
			 enum page_pin_event event, struct page *page)
{
	unsigned long pfn = 0;
	int i;

	for (i = 0; i < NR_PAGE_PIN_EVENTS; i++)
		KUNIT_EXPECT_EQ_MSG(test, page_pin_debug_events(i) - before[i],
				    i == event ? 1UL : 0UL, "event %d", i);
	KUNIT_EXPECT_EQ(test, page_pin_debug_last_report(&pfn), (int)event);
	KUNIT_EXPECT_EQ(test, pfn, page_to_pfn(page));
}

static void expect_no_event(struct kunit *test, const unsigned long *before)
{
	int i;

	for (i = 0; i < NR_PAGE_PIN_EVENTS; i++)
		KUNIT_EXPECT_EQ_MSG(test, page_pin_debug_events(i), before[i],
				    "event %d", i);
}

/* Put back whatever an unchecked unpin took, then remove the padding. */
static void unpad(struct folio *folio, int refs)
{
	if (folio_ref_count(folio) < refs)
		folio_ref_add(folio, refs - folio_ref_count(folio));
	folio_ref_sub(folio, PAD_REFS);
}

/*
 * The cases below provoke reports on purpose; each report ends in
 * check_panic_on_warn(), so they must not run under panic_on_warn.
 */
static void need_debug_reports(struct kunit *test)
{
	if (!page_pin_debug_enabled())
		kunit_skip(test, "needs page_pin=debug");
	if (READ_ONCE(panic_on_warn))
		kunit_skip(test, "provokes reports, and panic_on_warn is set");
}

static void debug_unpin_not_pinned_test(struct kunit *test)
{
	unsigned long before[NR_PAGE_PIN_EVENTS];
	struct folio *folio;
	struct page *page;
	int refs;

	need_debug_reports(test);
	page = get_one(test, map_anon(test, PAGE_SIZE));
	folio = page_folio(page);
	folio_ref_add(folio, PAD_REFS);
	refs = folio_ref_count(folio);
	snapshot_events(before);
	/* The bug: a FOLL_GET page released with unpin_user_page(). */
	unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), refs);
	expect_event(test, before, PAGE_PIN_UNPIN_NOT_PINNED, page);
	unpad(folio, refs);
	put_page(page);
}

static void debug_unpin_underflow_test(struct kunit *test)
{
	unsigned long before[NR_PAGE_PIN_EVENTS];
	struct page *pages[2];
	struct folio *folio;
	int refs;

	need_debug_reports(test);
	pages[0] = pin_one(test, map_anon(test, PAGE_SIZE));
	pages[1] = pages[0];
	folio = page_folio(pages[0]);
	folio_ref_add(folio, PAD_REFS);
	refs = folio_ref_count(folio);
	snapshot_events(before);
	/* One pin, released twice in one call. */
	unpin_user_pages(pages, 2);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), refs);
	expect_event(test, before, PAGE_PIN_UNPIN_UNDERFLOW, pages[0]);
	unpad(folio, refs);
	unpin_user_page(pages[0]);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio),
			refs - PAD_REFS - GUP_PIN_COUNTING_BIAS);
	KUNIT_EXPECT_EQ(test, page_pin_debug_events(PAGE_PIN_UNPIN_UNDERFLOW),
			before[PAGE_PIN_UNPIN_UNDERFLOW] + 1);
}

/*
 * Test-only path: count @refs pins of a fresh page that never got their
 * references, then free it.  @event is expected once: right at the pin if
 * @at_pin, else from the free.
 */
static void unreferenced_pins(struct kunit *test, int refs,
			      enum page_pin_event event, bool at_pin)
{
	unsigned long before[NR_PAGE_PIN_EVENTS];
	struct page *page;

	need_debug_reports(test);
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	snapshot_events(before);
	__page_pin_debug_pin(page_folio(page), refs, _THIS_IP_);
	if (at_pin)
		expect_event(test, before, event, page);
	else
		expect_no_event(test, before);
	__free_page(page);
	expect_event(test, before, event, page);
}

/* The folio is no longer checked after an overflow: its free is silent. */
static void debug_overflow_test(struct kunit *test)
{
	unreferenced_pins(test, INT_MAX / GUP_PIN_COUNTING_BIAS + 1,
			  PAGE_PIN_OVERFLOW, true);
}

static void debug_freed_pinned_test(struct kunit *test)
{
	unreferenced_pins(test, 1, PAGE_PIN_FREED_PINNED, false);
}

/* A pin released with put_page(), found when the page is unmapped. */
static void debug_below_bias_test(struct kunit *test)
{
	unsigned long before[NR_PAGE_PIN_EVENTS];
	unsigned long addr;
	struct folio *folio;
	struct page *page;

	need_debug_reports(test);
	addr = map_anon(test, PAGE_SIZE);
	page = pin_one(test, addr);
	folio = page_folio(page);
	/* Leave only the mapping's reference besides the pin. */
	lru_add_drain_all();
	KUNIT_ASSERT_EQ(test, folio_ref_count(folio),
			1 + GUP_PIN_COUNTING_BIAS);
	snapshot_events(before);
	/* The bug: the driver releases its pin with put_page(). */
	put_page(page);
	expect_no_event(test, before);
	KUNIT_ASSERT_EQ(test, vm_munmap(addr, PAGE_SIZE), 0);
	expect_event(test, before, PAGE_PIN_BELOW_BIAS, page);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio),
			GUP_PIN_COUNTING_BIAS - 1);
	/* Clean up: give back the lost reference, then unpin properly. */
	folio_get(folio);
	unpin_user_page(page);
	expect_event(test, before, PAGE_PIN_BELOW_BIAS, page);
}

/* Every correct way of pinning and unpinning: nothing is reported. */
static void debug_correct_use_test(struct kunit *test)
{
	unsigned long before[NR_PAGE_PIN_EVENTS];
	unsigned long addr;
	struct page *page, *got;
	struct folio *folio;

	if (!page_pin_debug_enabled())
		kunit_skip(test, "needs page_pin=debug");
	snapshot_events(before);
	addr = map_anon(test, 2 * PAGE_SIZE);
	page = pin_one(test, addr);
	folio = page_folio(page);
	KUNIT_EXPECT_PTR_EQ(test, pin_one(test, addr), page);
	folio_add_pin(folio);
	got = get_one(test, addr);
	KUNIT_EXPECT_PTR_EQ(test, got, page);
	put_page(got);
	unpin_user_page(page);
	unpin_user_page(page);
	/* Unmapped while pinned, unpinned afterwards: legal. */
	KUNIT_ASSERT_EQ(test, vm_munmap(addr, PAGE_SIZE), 0);
	unpin_user_page(page);
	page = pin_one(test, addr + PAGE_SIZE);
	unpin_user_pages_dirty_lock(&page, 1, true);
	expect_no_event(test, before);
}

static void layout_test(struct kunit *test)
{
	kunit_info(test, "sizeof(struct page) = %zu, backend %s, tracking %s\n",
		   sizeof(struct page),
		   IS_ENABLED(CONFIG_PAGE_PIN_PAGE_EXT) ? "page_ext" : "page-flag",
		   page_pin_enabled() ? "on" : "off");
#ifdef CONFIG_PAGE_PIN_PAGEFLAG
	/* Cleared when freed, and freeing a marked page is not an error. */
	KUNIT_EXPECT_TRUE(test, PAGE_FLAGS_CHECK_AT_PREP & BIT(PG_pinned_once));
	KUNIT_EXPECT_FALSE(test, PAGE_FLAGS_CHECK_AT_FREE & BIT(PG_pinned_once));
#endif
	if (IS_ENABLED(CONFIG_64BIT))
		KUNIT_EXPECT_EQ(test, sizeof(struct page), 64);
}

static struct kunit_case page_pin_cases[] = {
	KUNIT_CASE(page_pin_parse_test),
	KUNIT_CASE(layout_test),
	KUNIT_CASE(never_pinned_anon_test),
	KUNIT_CASE(never_pinned_shmem_test),
	KUNIT_CASE(shared_anon_test),
	KUNIT_CASE(pin_unpin_test),
	KUNIT_CASE(pin_unpin_fast_test),
	KUNIT_CASE(many_pins_test),
	KUNIT_CASE(large_folio_test),
	KUNIT_CASE(foll_get_test),
	KUNIT_CASE(free_clears_mark_test),
	KUNIT_CASE_SLOW(stress_test),
	KUNIT_CASE_SLOW(stress_broken_order_test),
	KUNIT_CASE(debug_unpin_not_pinned_test),
	KUNIT_CASE(debug_unpin_underflow_test),
	KUNIT_CASE(debug_overflow_test),
	KUNIT_CASE(debug_freed_pinned_test),
	KUNIT_CASE(debug_below_bias_test),
	KUNIT_CASE(debug_correct_use_test),
	{}
};

static struct kunit_suite page_pin_suite = {
	.name = "page_pin",
	.test_cases = page_pin_cases,
};

kunit_test_suite(page_pin_suite);

MODULE_DESCRIPTION("KUnit tests for page_pin");
MODULE_LICENSE("GPL");
