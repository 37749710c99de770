// SPDX-License-Identifier: GPL-2.0
/*
 * page_pin=debug: exact FOLL_PIN accounting for hunting pin leaks.
 *
 * Every folio gets an exact pin count in the page_ext of its first page,
 * with the stack of its last pinner and last unpinner.  Releases that do
 * not match the pins are reported once per folio: an unpin of a folio that
 * holds no pin (or fewer than it drops), a pinned folio that is freed, a
 * pinned folio whose reference count fell below its pins' share (a pin
 * released with put_page()), and a count overflow.  See "Hunting pin
 * leaks" in Documentation/mm/page_pin.rst.
 */
#define pr_fmt(fmt) "page_pin: " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page_ext.h>
#include <linux/panic.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/stackdepot.h>
#include <linux/stacktrace.h>
#include <kunit/visibility.h>

#include "page_pin.h"

/*
 * The pin word: the low bits count the pins held, the high bits count
 * unpins (32 + 32 bits on 64-bit, 22 + 10 on 32-bit), so that two equal
 * reads of the word show that no unpin happened between them, short of a
 * multiple of 1024 unpins balanced by as many pins (see below_pin_share()).
 * One word rather than an atomic64_t, which 32-bit ARM needs 8-byte
 * aligned and page_ext data is not.
 */
#define PIN_COUNT_BITS		(BITS_PER_LONG == 64 ? 32 : 22)
#define PIN_COUNT_MASK		(BIT(PIN_COUNT_BITS) - 1)
#define PIN_COUNT(v)		((unsigned long)(v) & PIN_COUNT_MASK)
#define UNPIN_GENERATION	BIT(PIN_COUNT_BITS)

/* struct page_pin_debug.flags */
enum {
	PIN_REPORTED,		/* a report was printed for this folio */
	PIN_UNTRACKED,		/* the count overflowed: no longer checked */
};

#define PIN_STACK_DEPTH		16
#define PIN_GROUPS_MAX		256

/*
 * A pin site is a stack depot handle, or without STACKTRACE_SUPPORT the
 * return address of the pin or unpin call; 0 if unknown.
 */
struct page_pin_debug {
	atomic_long_t pins;
	unsigned long since;	/* jiffies when the count last left 0 */
	unsigned long flags;
	unsigned long pinner;
	unsigned long unpinner;
};

static const char * const event_names[NR_PAGE_PIN_EVENTS] = {
	[PAGE_PIN_UNPIN_NOT_PINNED]	= "not_pinned",
	[PAGE_PIN_UNPIN_UNDERFLOW]	= "underflow",
	[PAGE_PIN_OVERFLOW]		= "overflow",
	[PAGE_PIN_FREED_PINNED]		= "freed_pinned",
	[PAGE_PIN_BELOW_BIAS]		= "below_bias",
};

static const char * const event_reasons[NR_PAGE_PIN_EVENTS] = {
	[PAGE_PIN_UNPIN_NOT_PINNED] =
		"unpin of a folio that holds no pin (a FOLL_GET page released with unpin_user_page()?)",
	[PAGE_PIN_UNPIN_UNDERFLOW] =
		"pin count underflow: unpin of more pins than the folio holds",
	[PAGE_PIN_OVERFLOW] =
		"pin count overflow: the folio is no longer checked",
	[PAGE_PIN_FREED_PINNED] =
		"folio freed while pinned (a pin released with put_page()?)",
	[PAGE_PIN_BELOW_BIAS] =
		"reference count below the pins' share (a pin released with put_page()?)",
};

static bool page_pin_debug_requested __initdata;
DEFINE_STATIC_KEY_FALSE(page_pin_debug_key);
static atomic_long_t page_pin_events[NR_PAGE_PIN_EVENTS];
static unsigned long page_pin_count_threshold;
static DEFINE_RATELIMIT_STATE(page_pin_ratelimit, 5 * HZ, 10);

/* The last report, for the KUnit tests. */
static unsigned long last_report_pfn;
static int last_report_event = -1;

static bool __init need_page_pin_debug(void)
{
	return page_pin_debug_requested;
}

/* page_ext exists from here on and no user space has run: nothing pinned. */
static void __init init_page_pin_debug(void)
{
	if (page_pin_debug_requested && page_pin_none_pinned("page_pin=debug"))
		static_branch_enable(&page_pin_debug_key);
}

struct page_ext_operations page_pin_debug_ops = {
	.size = sizeof(struct page_pin_debug),
	.need = need_page_pin_debug,
	.init = init_page_pin_debug,
};

/**
 * page_pin_debug_request() - Ask for page_pin=debug at boot, or not.
 * @on: Whether the page_pin= option just parsed was "debug".
 *
 * Called by the page_pin= parser, before page_ext and stack depot are set
 * up, so that both reserve what debug mode needs.
 */
void __init page_pin_debug_request(bool on)
{
	page_pin_debug_requested = on;
#ifdef CONFIG_STACKDEPOT
	if (on)
		stack_depot_request_early_init();
#endif
}

static struct page_pin_debug *to_debug(struct page_ext *page_ext)
{
	return page_ext_data(page_ext, &page_pin_debug_ops);
}

#ifdef CONFIG_STACKDEPOT
static noinline unsigned long save_site(unsigned long ip)
{
	unsigned long entries[PIN_STACK_DEPTH];
	depot_flags_t flags = STACK_DEPOT_FLAG_CAN_ALLOC;
	unsigned int nr;

	nr = stack_trace_save(entries, ARRAY_SIZE(entries), 2);
	/*
	 * GUP-fast runs with interrupts off: never sleep for the depot, and
	 * on PREEMPT_RT, where the page allocator may sleep, do not allocate
	 * at all there (a full depot gives handle 0, printed as unknown).
	 */
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && !preemptible())
		flags = 0;
	return stack_depot_save_flags(entries, nr, GFP_NOWAIT | __GFP_NOWARN,
				      flags);
}

static void print_site(const char *what, unsigned long site)
{
	if (!site) {
		pr_warn("%s: unknown\n", what);
		return;
	}
	pr_warn("%s:\n", what);
	stack_depot_print(site);
}

static noinline void print_current(const char *what, unsigned long ip)
{
	unsigned long entries[PIN_STACK_DEPTH];
	unsigned int nr;

	nr = stack_trace_save(entries, ARRAY_SIZE(entries), 2);
	pr_warn("%s (%s, pid %d):\n", what, current->comm, task_pid_nr(current));
	stack_trace_print(entries, nr, 1);
}

static void seq_site(struct seq_file *m, unsigned long site)
{
	unsigned long *entries;
	unsigned int i, nr;

	nr = site ? stack_depot_fetch(site, &entries) : 0;
	if (!nr)
		seq_puts(m, " unknown\n");
	for (i = 0; i < nr; i++)
		seq_printf(m, " %pS\n", (void *)entries[i]);
}

#define PIN_SITES "stacks"
#else
static noinline unsigned long save_site(unsigned long ip)
{
	return ip;
}

static void print_site(const char *what, unsigned long site)
{
	if (site)
		pr_warn("%s: %pS\n", what, (void *)site);
	else
		pr_warn("%s: unknown\n", what);
}

static noinline void print_current(const char *what, unsigned long ip)
{
	pr_warn("%s (%s, pid %d): %pS\n", what, current->comm,
		task_pid_nr(current), (void *)ip);
}

static void seq_site(struct seq_file *m, unsigned long site)
{
	if (site)
		seq_printf(m, " %pS\n", (void *)site);
	else
		seq_puts(m, " unknown\n");
}

#define PIN_SITES "return addresses"
#endif /* CONFIG_STACKDEPOT */

/*
 * Count the event; print it once per folio, rate limited.  @who names what
 * the current stack is: the releaser for an unpin, only the place where
 * the damage was noticed for a put_page() leak.
 */
static void report(struct page *page, struct page_pin_debug *dbg,
		   enum page_pin_event event, const char *who,
		   unsigned long ip)
{
	atomic_long_inc(&page_pin_events[event]);
	if (test_bit(PIN_REPORTED, &dbg->flags))
		return;
	WRITE_ONCE(last_report_pfn, page_to_pfn(page));
	WRITE_ONCE(last_report_event, event);
	/* A report lost to the rate limit leaves the next one a chance. */
	if (!__ratelimit(&page_pin_ratelimit) ||
	    test_and_set_bit(PIN_REPORTED, &dbg->flags))
		return;
	pr_warn("pfn %#lx: %s\n", page_to_pfn(page), event_reasons[event]);
	pr_warn("pin count %lu, page refcount %d\n",
		PIN_COUNT(atomic_long_read(&dbg->pins)), page_ref_count(page));
	print_site("last pinned by", dbg->pinner);
	print_site("last unpinned by", dbg->unpinner);
	print_current(who, ip);
	dump_page(page, event_names[event]);
	/* An overflow is a limit of this tool, not a bug of the caller. */
	if (event != PAGE_PIN_OVERFLOW)
		check_panic_on_warn("page_pin");
}

/* The most pins the reference count of @folio (and the word) can hold. */
static unsigned long pin_limit(struct folio *folio)
{
	if (folio_test_large(folio))
		return min_t(unsigned long, INT_MAX, PIN_COUNT_MASK);
	return INT_MAX / GUP_PIN_COUNTING_BIAS;
}

/*
 * Is the reference count of @folio, less @drop, known to be below what
 * its pins hold?  Pins raise the reference count before the pin count and
 * unpins lower the pin count first, so for correct code the reference
 * count covers the pins at every moment.  The pin word is read on both
 * sides of the reference count; if it changed, the answer is "unknown",
 * which is false, never a false report.
 */
static bool below_pin_share_once(struct folio *folio,
				 struct page_pin_debug *dbg, int drop)
{
	unsigned long flags;
	long before, after;
	u64 share;
	int refcount;

	/* Keep the window between the two reads short. */
	local_irq_save(flags);
	before = atomic_long_read(&dbg->pins);
	/* Pin count, then references; pairs with the ordered pin add. */
	smp_rmb();
	refcount = folio_ref_count(folio);
	/* References, then pin count; pairs with the ordered unpin. */
	smp_rmb();
	after = atomic_long_read(&dbg->pins);
	local_irq_restore(flags);
	if (before != after || !PIN_COUNT(before))
		return false;
	share = PIN_COUNT(before);
	if (!folio_test_large(folio))
		share *= GUP_PIN_COUNTING_BIAS;
	return (s64)refcount - drop < (s64)share;
}

/*
 * A deficit must be seen twice: on 32-bit, a reader stalled while exactly
 * a multiple of 1024 unpins and as many pins ran could otherwise see a
 * torn refcount behind an unchanged word.  Twice in a row is not a race.
 */
static bool below_pin_share(struct folio *folio, struct page_pin_debug *dbg,
			    int drop)
{
	return below_pin_share_once(folio, dbg, drop) &&
	       below_pin_share_once(folio, dbg, drop);
}

/**
 * __page_pin_debug_pin() - Count pins of a folio (page_pin=debug).
 * @folio: The folio.
 * @refs: The number of pins just added.
 * @ip: The caller's return address.
 */
void __page_pin_debug_pin(struct folio *folio, int refs, unsigned long ip)
{
	struct page_ext *page_ext = page_ext_get(&folio->page);
	struct page_pin_debug *dbg;
	long pins;

	if (unlikely(!page_ext))
		return;
	dbg = to_debug(page_ext);
	if (test_bit(PIN_UNTRACKED, &dbg->flags))
		goto out;
	pins = atomic_long_read(&dbg->pins);
	do {
		if (unlikely(PIN_COUNT(pins) + refs > pin_limit(folio))) {
			WRITE_ONCE(dbg->pinner, save_site(ip));
			set_bit(PIN_UNTRACKED, &dbg->flags);
			report(&folio->page, dbg, PAGE_PIN_OVERFLOW, "pinned by",
			       ip);
			goto out;
		}
		/* Fully ordered: the caller's reference count add comes first. */
	} while (!atomic_long_try_cmpxchg(&dbg->pins, &pins, pins + refs));
	if (!PIN_COUNT(pins))
		WRITE_ONCE(dbg->since, jiffies);
	WRITE_ONCE(dbg->pinner, save_site(ip));
out:
	page_ext_put(page_ext);
}
EXPORT_SYMBOL_IF_KUNIT(__page_pin_debug_pin);

/**
 * __page_pin_debug_unpin() - Check and count an unpin (page_pin=debug).
 * @folio: The folio about to lose @refs pins.
 * @refs: The number of pins to release.
 * @ip: The caller's return address.
 *
 * Return: false if the unpin does not match the folio's pins; it has been
 * reported and the caller must not drop anything.
 */
bool __page_pin_debug_unpin(struct folio *folio, int refs, unsigned long ip)
{
	struct page_ext *page_ext = page_ext_get(&folio->page);
	struct page_pin_debug *dbg;
	enum page_pin_event event;
	bool ok = false;
	long pins;

	if (unlikely(!page_ext))
		return true;
	dbg = to_debug(page_ext);
	if (test_bit(PIN_UNTRACKED, &dbg->flags)) {
		ok = true;
		goto out;
	}
	if (below_pin_share(folio, dbg, 0)) {
		event = PAGE_PIN_BELOW_BIAS;
		goto bad;
	}
	pins = atomic_long_read(&dbg->pins);
	do {
		if (PIN_COUNT(pins) < refs) {
			event = PIN_COUNT(pins) ? PAGE_PIN_UNPIN_UNDERFLOW :
						  PAGE_PIN_UNPIN_NOT_PINNED;
			goto bad;
		}
		/* Fully ordered: the caller drops the references after this. */
	} while (!atomic_long_try_cmpxchg(&dbg->pins, &pins,
		(long)((unsigned long)pins - refs + UNPIN_GENERATION)));
	WRITE_ONCE(dbg->unpinner, save_site(ip));
	ok = true;
	goto out;
bad:
	report(&folio->page, dbg, event, "released by (nothing was dropped)",
	       ip);
out:
	page_ext_put(page_ext);
	return ok;
}
EXPORT_SYMBOL_IF_KUNIT(__page_pin_debug_unpin);

/**
 * __page_pin_debug_put() - Check a folio about to lose plain references.
 * @folio: The folio; the caller holds @refs references to it.
 * @refs: The number of references the caller is about to drop.
 * @ip: The caller's return address.
 *
 * Called before the drop, while the folio cannot be freed under us.  A
 * drop that leaves the folio referenced but with fewer references than
 * its pins hold is reported: some put_page() released a pin.  That
 * put_page() happened earlier; the current stack only shows where the
 * deficit became visible, usually munmap() or exit.
 */
void __page_pin_debug_put(struct folio *folio, int refs, unsigned long ip)
{
	struct page_ext *page_ext = page_ext_get(&folio->page);
	struct page_pin_debug *dbg;

	if (unlikely(!page_ext))
		return;
	dbg = to_debug(page_ext);
	/* A drop to zero is reported by the free check instead. */
	if (!test_bit(PIN_UNTRACKED, &dbg->flags) &&
	    folio_ref_count(folio) > refs &&
	    below_pin_share(folio, dbg, refs))
		report(&folio->page, dbg, PAGE_PIN_BELOW_BIAS,
		       "noticed at (the put_page() that released the pin came earlier; look at the pinner)",
		       ip);
	page_ext_put(page_ext);
}

/**
 * __page_pin_debug_free() - Check and reset pages being freed.
 * @page: The first page of the block.
 * @order: The order of the block.
 */
void __page_pin_debug_free(struct page *page, unsigned int order)
{
	struct page_ext *page_ext = page_ext_get(page);
	struct page_ext *iter = page_ext;
	struct page_pin_debug *dbg;
	unsigned long i;

	if (unlikely(!page_ext))
		return;
	for (i = 0; i < (1UL << order); i++, iter = page_ext_next(iter)) {
		dbg = to_debug(iter);
		if (PIN_COUNT(atomic_long_read(&dbg->pins)) &&
		    !test_bit(PIN_UNTRACKED, &dbg->flags))
			report(page + i, dbg, PAGE_PIN_FREED_PINNED, "freed by",
			       _RET_IP_);
		/* Read first: most freed pages were never pinned. */
		if (atomic_long_read(&dbg->pins) || dbg->flags || dbg->pinner ||
		    dbg->unpinner)
			memset(dbg, 0, sizeof(*dbg));
	}
	page_ext_put(page_ext);
}

/**
 * page_pin_debug_events() - How often was an event seen?
 * @event: The event.
 *
 * Return: the number of times @event was detected since boot, reported
 * or not.
 */
unsigned long page_pin_debug_events(enum page_pin_event event)
{
	return atomic_long_read(&page_pin_events[event]);
}
EXPORT_SYMBOL_IF_KUNIT(page_pin_debug_events);

/**
 * page_pin_debug_last_report() - The event and pfn of the last report.
 * @pfn: Set to the pfn of the last report.
 *
 * Return: the event of the last report, or -1 if there was none.
 */
int page_pin_debug_last_report(unsigned long *pfn)
{
	*pfn = READ_ONCE(last_report_pfn);
	return READ_ONCE(last_report_event);
}
EXPORT_SYMBOL_IF_KUNIT(page_pin_debug_last_report);

struct pin_group {
	unsigned long site;
	unsigned long folios;
	unsigned long pins;
	unsigned long oldest;
	bool other;		/* the pinners that did not get a group */
};

static int cmp_groups(const void *a, const void *b)
{
	const struct pin_group *x = a, *y = b;

	if (x->folios != y->folios)
		return x->folios < y->folios ? 1 : -1;
	return 0;
}

/* Add one pinned folio to its group; the last slot takes the rest. */
static void add_to_group(struct pin_group *groups, unsigned int *nr,
			 struct page_pin_debug *dbg, unsigned long count)
{
	unsigned long site = READ_ONCE(dbg->pinner);
	unsigned long since = READ_ONCE(dbg->since);
	struct pin_group *g;
	unsigned int i;

	for (i = 0; i < *nr; i++)
		if (!groups[i].other && groups[i].site == site)
			break;
	if (i == *nr) {
		if (*nr < PIN_GROUPS_MAX - 1) {
			groups[(*nr)++] = (struct pin_group){
				.site = site, .oldest = since };
		} else {
			i = PIN_GROUPS_MAX - 1;
			if (*nr < PIN_GROUPS_MAX)
				groups[(*nr)++] = (struct pin_group){
					.other = true, .oldest = since };
		}
	}
	g = &groups[i];
	g->folios++;
	g->pins += count;
	if (time_before(since, g->oldest))
		g->oldest = since;
}

/* One walk of memory per open of page_pin/pinned. */
struct pin_list {
	unsigned long total;
	unsigned int nr;
	struct pin_group groups[PIN_GROUPS_MAX];
};

static void collect_pinned(struct pin_list *list)
{
	struct pin_group *groups = list->groups;
	unsigned long pfn, total = 0;
	unsigned int nr = 0;
	struct zone *zone;

	for_each_populated_zone(zone) {
		for (pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone);
		     pfn++) {
			struct page *page = pfn_to_online_page(pfn);
			struct page_ext *page_ext;
			struct page_pin_debug *dbg;
			unsigned long count;

			if (!(pfn % 1024))
				cond_resched();
			if (!page || page_zone(page) != zone)
				continue;
			page_ext = page_ext_get(page);
			if (!page_ext)
				continue;
			dbg = to_debug(page_ext);
			count = PIN_COUNT(atomic_long_read(&dbg->pins));
			if (count && !test_bit(PIN_UNTRACKED, &dbg->flags)) {
				add_to_group(groups, &nr, dbg, count);
				total++;
			}
			page_ext_put(page_ext);
		}
	}
	sort(groups, nr, sizeof(*groups), cmp_groups, NULL);
	list->total = total;
	list->nr = nr;
}

/* Called again with a larger buffer if the output did not fit: no walk. */
static int pinned_show(struct seq_file *m, void *v)
{
	struct pin_list *list = m->private;
	unsigned int i;

	seq_printf(m, "# %lu pinned folios in %u groups by last pinner (%s); count_threshold %lu\n",
		   list->total, list->nr, PIN_SITES, page_pin_count_threshold);
	for (i = 0; i < list->nr; i++) {
		struct pin_group *g = &list->groups[i];

		if (g->folios < page_pin_count_threshold)
			continue;
		seq_printf(m, "folios %lu pins %lu oldest %u ms\n", g->folios,
			   g->pins, jiffies_to_msecs(jiffies - g->oldest));
		if (g->other)
			seq_puts(m, " (other pinners, too many to group)\n");
		else
			seq_site(m, g->site);
		seq_putc(m, '\n');
	}
	return 0;
}

static int pinned_open(struct inode *inode, struct file *file)
{
	struct pin_list *list = kvzalloc(sizeof(*list), GFP_KERNEL);
	int ret;

	if (!list)
		return -ENOMEM;
	collect_pinned(list);
	ret = single_open(file, pinned_show, list);
	if (ret)
		kvfree(list);
	return ret;
}

static int pinned_release(struct inode *inode, struct file *file)
{
	kvfree(((struct seq_file *)file->private_data)->private);
	return single_release(inode, file);
}

static const struct file_operations pinned_fops = {
	.owner = THIS_MODULE,
	.open = pinned_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = pinned_release,
};

static int counters_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < NR_PAGE_PIN_EVENTS; i++)
		seq_printf(m, "%s %lu\n", event_names[i],
			   page_pin_debug_events(i));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counters);

static int __init page_pin_debugfs_init(void)
{
	struct dentry *dir;

	if (!page_pin_debug_enabled())
		return 0;
	dir = debugfs_create_dir("page_pin", NULL);
	debugfs_create_file("pinned", 0400, dir, NULL, &pinned_fops);
	debugfs_create_file("counters", 0400, dir, NULL, &counters_fops);
	debugfs_create_ulong("count_threshold", 0600, dir,
			     &page_pin_count_threshold);
	pr_info("debug: exact pin counts, %s of pinners\n", PIN_SITES);
	return 0;
}
late_initcall(page_pin_debugfs_init);
