// SPDX-License-Identifier: GPL-2.0
/*
 * page_pin selftest: watch FOLL_PIN pins from user space.
 *
 * Pins are taken through the gup_test debugfs file (CONFIG_GUP_TEST) and
 * observed through /proc/self/pagemap and /proc/kpageflags, where
 * KPF_DMA_PINNED (27) reports folio_maybe_dma_pinned() and the
 * kernel-hacking bit KPF_PINNED_ONCE (43) the raw page_pin mark.  Real
 * pin sources are io_uring fixed buffers, O_DIRECT on a zram disk and
 * udmabuf.  Marked pages that are no longer pinned must go through
 * compaction, KSM and move_pages() like any other page.  The
 * expected answers depend on page_pin= on the kernel command line; cases
 * that need tracking are skipped with page_pin=off.  With page_pin=debug,
 * a pin leaked on purpose (gup_test's PIN_LEAK_TEST) must show up in
 * debugfs page_pin/pinned and be reported at munmap().  Needs root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/mempolicy.h>
#include <linux/udmabuf.h>
#include <mm/gup_test.h>
#include "../kselftest_harness.h"

#ifndef KPF_DMA_PINNED
#define KPF_DMA_PINNED		27
#endif
#define KPF_PINNED_ONCE		43
#ifndef PIN_LEAK_TEST
#define PIN_LEAK_TEST		_IOW('g', 10, struct gup_test)
#endif
#define PM_PFN_MASK		0x007fffffffffffffULL
#define PM_PRESENT		0x8000000000000000ULL
#define PM_SWAP			0x4000000000000000ULL
#define MANY_REFS		1100
#define FOLL_WRITE		0x01
/*
 * From <linux/io_uring.h>, which clashes with glibc's <sys/uio.h>; the
 * parameters of io_uring_setup() are 120 bytes the kernel fills in.
 */
#define IORING_REGISTER_BUFFERS		0
#define IORING_UNREGISTER_BUFFERS	1
#define IO_URING_PARAMS_SIZE		120

/*
 * The page_pin= value on the command line, "none" if there is none.  The
 * kernel parses every occurrence, so the last one wins.
 */
static const char *cmdline_mode(void)
{
	static char buf[4096];
	static const char *mode;
	char *p, *last = NULL;
	FILE *f;

	if (mode)
		return mode;
	mode = "none";
	f = fopen("/proc/cmdline", "r");
	if (!f)
		return mode;
	if (fgets(buf, sizeof(buf), f)) {
		for (p = strstr(buf, "page_pin="); p;
		     p = strstr(p + 1, "page_pin="))
			if (p == buf || p[-1] == ' ')
				last = p + strlen("page_pin=");
		if (last) {
			last[strcspn(last, "\t\n ")] = '\0';
			mode = last;
		}
	}
	fclose(f);
	return mode;
}

/* Whether the kernel log holds @what (it is read once). */
static bool boot_log_has(const char *what)
{
	static char *log;
	int len;

	if (!log) {
		len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
		log = calloc(1, len > 0 ? len + 1 : 1);
		if (!log || len <= 0 ||
		    klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, len) < 0)
			return false;
	}
	return strstr(log, what);
}

/*
 * Whether the kernel tracks pins, from its boot line: without page_pin= on
 * the command line, CONFIG_PAGE_PIN_DEFAULT_ON decides.
 */
static bool marks_pins(void)
{
	return boot_log_has("page_pin: tracking on,");
}

static bool debugging(void)
{
	return boot_log_has("page_pin: debug: ");
}

static uint64_t pagemap_of(void *addr)
{
	uint64_t ent = 0;
	long ps = sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent),
		  ((uintptr_t)addr / ps) * sizeof(ent)) != sizeof(ent))
		ent = 0;
	close(fd);
	return ent;
}

static uint64_t pfn_of(void *addr)
{
	uint64_t ent = pagemap_of(addr);

	return (ent & PM_PRESENT) ? (ent & PM_PFN_MASK) : 0;
}

static const char kpageflags_path[] = "/proc/kpageflags";

static uint64_t read_kpageflags(uint64_t pfn)
{
	uint64_t flags = 0;
	int fd = open(kpageflags_path, O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &flags, sizeof(flags), pfn * sizeof(flags)) !=
	    sizeof(flags))
		flags = 0;
	close(fd);
	return flags;
}

static bool kpf(uint64_t pfn, int bit)
{
	return (read_kpageflags(pfn) >> bit) & 1;
}

/*
 * Whether the page at @pfn still carries the mark once it is freed.  A
 * page unmapped by this process may still sit in another CPU's LRU batch,
 * which holds a reference: munmap() drains only the local CPU's batch, and
 * the test may have moved CPUs since the fault.  Writing 1 to drop_caches
 * drains every CPU's batch (lru_add_drain_all()), so the page is freed.
 */
static bool marked_after_free(uint64_t pfn)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			perror("drop_caches");
		close(fd);
	}
	return kpf(pfn, KPF_PINNED_ONCE);
}

FIXTURE(pin) {
	int gup_fd;
	long ps;
};

FIXTURE_SETUP(pin)
{
	self->ps = sysconf(_SC_PAGESIZE);
	self->gup_fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	if (self->gup_fd < 0)
		SKIP(return, "no /sys/kernel/debug/gup_test (CONFIG_GUP_TEST, debugfs)");
	if (access("/proc/kpageflags", R_OK))
		SKIP(return, "no readable /proc/kpageflags (needs root)");
}

FIXTURE_TEARDOWN(pin)
{
	if (self->gup_fd >= 0)
		close(self->gup_fd);
}

static void *map_page(long ps, char fill)
{
	char *p = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, fill, ps);
	return p;
}

/*
 * The boot line states the mode that the command line asked for; without
 * page_pin=, it states one of the two.
 */
TEST(boot_option)
{
	const char *mode = cmdline_mode();
	bool on = !strcmp(mode, "on") || !strcmp(mode, "debug");

	if (!strcmp(mode, "none")) {
		EXPECT_TRUE(boot_log_has("page_pin: tracking on,") ||
			    boot_log_has("page_pin: tracking off,"));
		TH_LOG("no page_pin= option: tracking %s by default",
		       marks_pins() ? "on" : "off");
		return;
	}
	EXPECT_TRUE(boot_log_has(on ? "page_pin: tracking on," :
				 "page_pin: tracking off,")) {
		TH_LOG("page_pin=%s but the boot log says tracking %s", mode,
		       marks_pins() ? "on" : "off");
	}
	EXPECT_EQ(!strcmp(mode, "debug"), debugging());
}

/*
 * Pin the mapped page at @p with the given gup_test flags: it reads as
 * pinned, and after the unpin only the sticky mark is left.  Its pfn goes
 * to @pfn, so that the caller can check that freeing it clears the mark.
 */
static void pin_unpin_marks(struct __test_metadata *_metadata, int gup_fd,
			    char *p, long ps, unsigned int flags,
			    uint64_t *pfn)
{
	struct pin_longterm_test args = {};

	*pfn = pfn_of(p);
	ASSERT_NE(0, *pfn);
	EXPECT_FALSE(kpf(*pfn, KPF_DMA_PINNED));
	EXPECT_FALSE(kpf(*pfn, KPF_PINNED_ONCE));

	args.addr = (uintptr_t)p;
	args.size = ps;
	args.flags = flags;
	ASSERT_EQ(0, ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args));
	EXPECT_TRUE(kpf(*pfn, KPF_DMA_PINNED));
	EXPECT_EQ(marks_pins(), kpf(*pfn, KPF_PINNED_ONCE));

	ASSERT_EQ(0, ioctl(gup_fd, PIN_LONGTERM_TEST_STOP));
	EXPECT_FALSE(kpf(*pfn, KPF_DMA_PINNED));
	EXPECT_EQ(marks_pins(), kpf(*pfn, KPF_PINNED_ONCE));
}

/* A fresh anonymous page; freeing it at munmap() clears the mark. */
static void pin_unpin_check(struct __test_metadata *_metadata, int gup_fd,
			    long ps, unsigned int flags)
{
	char *p = map_page(ps, 1);
	uint64_t pfn;

	ASSERT_NE(NULL, p);
	pin_unpin_marks(_metadata, gup_fd, p, ps, flags, &pfn);
	munmap(p, ps);
	EXPECT_FALSE(marked_after_free(pfn));
}

TEST_F(pin, longterm_pin_anon)
{
	pin_unpin_check(_metadata, self->gup_fd, self->ps,
			PIN_LONGTERM_TEST_FLAG_USE_WRITE);
}

/* GUP-fast pins mark the page too. */
TEST_F(pin, fast_pin_anon)
{
	pin_unpin_check(_metadata, self->gup_fd, self->ps,
			PIN_LONGTERM_TEST_FLAG_USE_WRITE |
			PIN_LONGTERM_TEST_FLAG_USE_FAST);
}

/*
 * A shmem (memfd) page, mapped shared: the mark works the same on page
 * cache, and it is cleared when the last reference goes with the file.
 */
TEST_F(pin, shmem_pin)
{
	int fd = memfd_create("page_pin_shmem", 0);
	uint64_t pfn;
	char *p;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, self->ps));
	p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 7;
	pin_unpin_marks(_metadata, self->gup_fd, p, self->ps,
			PIN_LONGTERM_TEST_FLAG_USE_WRITE, &pfn);
	munmap(p, self->ps);
	close(fd);
	EXPECT_FALSE(marked_after_free(pfn));
}

/*
 * Real pin sources.  io_uring fixed buffers: IORING_REGISTER_BUFFERS pins
 * the pages (FOLL_PIN | FOLL_LONGTERM) until IORING_UNREGISTER_BUFFERS.
 */
TEST_F(pin, io_uring_fixed_buffer)
{
	uint64_t params[IO_URING_PARAMS_SIZE / sizeof(uint64_t)] = {};
	char *p = map_page(self->ps, 3);
	struct iovec iov;
	uint64_t pfn;
	int ring;

	ASSERT_NE(NULL, p);
	pfn = pfn_of(p);
	ASSERT_NE(0, pfn);
	ring = syscall(__NR_io_uring_setup, 4, params);
	ASSERT_GE(ring, 0) {
		TH_LOG("io_uring_setup: %s", strerror(errno));
	}
	iov.iov_base = p;
	iov.iov_len = self->ps;
	ASSERT_EQ(0, syscall(__NR_io_uring_register, ring,
			     IORING_REGISTER_BUFFERS, &iov, 1));
	EXPECT_TRUE(kpf(pfn, KPF_DMA_PINNED));
	EXPECT_EQ(marks_pins(), kpf(pfn, KPF_PINNED_ONCE));
	ASSERT_EQ(0, syscall(__NR_io_uring_register, ring,
			     IORING_UNREGISTER_BUFFERS, NULL, 0));
	EXPECT_FALSE(kpf(pfn, KPF_DMA_PINNED));
	EXPECT_EQ(marks_pins(), kpf(pfn, KPF_PINNED_ONCE));
	close(ring);
	munmap(p, self->ps);
	EXPECT_FALSE(marked_after_free(pfn));
}

/* A new zram disk of @size bytes: its id, or -1 (no zram). */
static int zram_add(const char *size)
{
	char path[64], id[16] = "";
	int fd, n;

	fd = open("/sys/class/zram-control/hot_add", O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, id, sizeof(id) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	snprintf(path, sizeof(path), "/sys/block/zram%d/disksize", atoi(id));
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = write(fd, size, strlen(size));
	close(fd);
	return n == (int)strlen(size) ? atoi(id) : -1;
}

static void zram_remove(int id)
{
	char buf[16];
	int fd = open("/sys/class/zram-control/hot_remove", O_WRONLY);

	if (fd < 0)
		return;
	snprintf(buf, sizeof(buf), "%d", id);
	if (write(fd, buf, strlen(buf)) < 0)
		perror("zram hot_remove");
	close(fd);
}

/*
 * O_DIRECT to and from a block device (a zram disk): the block layer pins
 * the user buffer for the bio (FOLL_PIN) and unpins it at completion.
 * Both buffers carry the mark afterwards, neither reads as pinned.
 */
TEST_F(pin, odirect_zram)
{
	char *out = map_page(self->ps, 4), *in = map_page(self->ps, 0);
	uint64_t pout, pin;
	char dev[32];
	int id, fd;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	id = zram_add("1M");
	if (id < 0)
		SKIP(return, "no zram");
	snprintf(dev, sizeof(dev), "/dev/zram%d", id);
	fd = open(dev, O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0) {
		TH_LOG("open %s: %s", dev, strerror(errno));
		zram_remove(id);
	}
	pout = pfn_of(out);
	pin = pfn_of(in);
	ASSERT_NE(0, pout);
	ASSERT_NE(0, pin);
	EXPECT_FALSE(kpf(pout, KPF_PINNED_ONCE));
	EXPECT_FALSE(kpf(pin, KPF_PINNED_ONCE));
	EXPECT_EQ(self->ps, pwrite(fd, out, self->ps, 0));
	EXPECT_EQ(self->ps, pread(fd, in, self->ps, 0));
	EXPECT_EQ(0, memcmp(out, in, self->ps));
	EXPECT_EQ(pout, pfn_of(out));
	EXPECT_EQ(pin, pfn_of(in));
	EXPECT_FALSE(kpf(pout, KPF_DMA_PINNED));
	EXPECT_FALSE(kpf(pin, KPF_DMA_PINNED));
	EXPECT_EQ(marks_pins(), kpf(pout, KPF_PINNED_ONCE));
	EXPECT_EQ(marks_pins(), kpf(pin, KPF_PINNED_ONCE));
	close(fd);
	zram_remove(id);
	munmap(out, self->ps);
	munmap(in, self->ps);
	EXPECT_FALSE(marked_after_free(pout));
	EXPECT_FALSE(marked_after_free(pin));
}

#define COMPACT_PAGES	256

/*
 * Marked but no longer pinned pages go through compaction like any other
 * page: the ones it moves leave no mark behind on their old frame (it is
 * cleared when the frame is freed) and do not take it to the new one
 * (migration copies only the flags it lists).  Whichever pages it moves,
 * none may read as pinned.
 */
TEST_F(pin, compaction_moves_marked_pages)
{
	struct pin_longterm_test args = {};
	uint64_t old[COMPACT_PAGES], now;
	int fd, i, moved = 0;
	char *p, *filler;

	/*
	 * Interleave the pages with pages of a filler that is then freed, so
	 * that compaction finds holes to fill around them.
	 */
	filler = mmap(NULL, COMPACT_PAGES * self->ps, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p = mmap(NULL, COMPACT_PAGES * self->ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, filler);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < COMPACT_PAGES; i++) {
		filler[i * self->ps] = 1;
		p[i * self->ps] = 5;
	}
	munmap(filler, COMPACT_PAGES * self->ps);
	args.addr = (uintptr_t)p;
	args.size = COMPACT_PAGES * self->ps;
	args.flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE;
	ASSERT_EQ(0, ioctl(self->gup_fd, PIN_LONGTERM_TEST_START, &args));
	ASSERT_EQ(0, ioctl(self->gup_fd, PIN_LONGTERM_TEST_STOP));
	for (i = 0; i < COMPACT_PAGES; i++) {
		old[i] = pfn_of(p + i * self->ps);
		ASSERT_NE(0, old[i]);
		ASSERT_EQ(marks_pins(), kpf(old[i], KPF_PINNED_ONCE));
	}
	fd = open("/proc/sys/vm/compact_memory", O_WRONLY);
	if (fd < 0)
		SKIP(return, "no /proc/sys/vm/compact_memory");
	ASSERT_EQ(1, write(fd, "1", 1));
	close(fd);
	for (i = 0; i < COMPACT_PAGES; i++) {
		now = pfn_of(p + i * self->ps);
		ASSERT_NE(0, now);
		EXPECT_EQ(5, p[i * self->ps]);
		EXPECT_EQ(0, p[i * self->ps + 1]);
		EXPECT_FALSE(kpf(now, KPF_DMA_PINNED));
		if (now == old[i]) {
			EXPECT_EQ(marks_pins(), kpf(now, KPF_PINNED_ONCE));
			continue;
		}
		moved++;
		EXPECT_FALSE(kpf(now, KPF_PINNED_ONCE));
		EXPECT_FALSE(kpf(old[i], KPF_PINNED_ONCE));
	}
	TH_LOG("compaction moved %d of %d marked pages", moved, COMPACT_PAGES);
	munmap(p, COMPACT_PAGES * self->ps);
}

/*
 * udmabuf turns a sealed memfd range into a dma-buf; it pins the folios
 * with memfd_pin_folios() (FOLL_PIN | FOLL_LONGTERM) until the dma-buf is
 * released.
 */
TEST_F(pin, udmabuf)
{
	struct udmabuf_create create = {};
	int memfd, dev, dbuf;
	uint64_t pfn;
	char *p;

	dev = open("/dev/udmabuf", O_RDWR);
	if (dev < 0)
		SKIP(return, "no /dev/udmabuf (CONFIG_UDMABUF)");
	memfd = memfd_create("page_pin_udmabuf", MFD_ALLOW_SEALING);
	ASSERT_GE(memfd, 0);
	ASSERT_EQ(0, ftruncate(memfd, self->ps));
	ASSERT_EQ(0, fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK));
	p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 9;
	pfn = pfn_of(p);
	ASSERT_NE(0, pfn);
	EXPECT_FALSE(kpf(pfn, KPF_PINNED_ONCE));

	create.memfd = memfd;
	create.flags = UDMABUF_FLAGS_CLOEXEC;
	create.offset = 0;
	create.size = self->ps;
	dbuf = ioctl(dev, UDMABUF_CREATE, &create);
	ASSERT_GE(dbuf, 0) {
		TH_LOG("UDMABUF_CREATE: %s", strerror(errno));
	}
	EXPECT_EQ(pfn, pfn_of(p));
	EXPECT_TRUE(kpf(pfn, KPF_DMA_PINNED));
	EXPECT_EQ(marks_pins(), kpf(pfn, KPF_PINNED_ONCE));
	/* The dma-buf's release, and with it the unpin, runs before close() returns. */
	close(dbuf);
	EXPECT_FALSE(kpf(pfn, KPF_DMA_PINNED));
	EXPECT_EQ(marks_pins(), kpf(pfn, KPF_PINNED_ONCE));
	close(dev);
	munmap(p, self->ps);
	close(memfd);
	EXPECT_FALSE(marked_after_free(pfn));
}

#define KSM_PAGES	8
#define KSM_DIR		"/sys/kernel/mm/ksm/"

static long ksm_read(const char *name)
{
	char path[96], buf[32] = "";
	int fd, n;

	snprintf(path, sizeof(path), KSM_DIR "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atol(buf) : -1;
}

static bool ksm_write(const char *name, const char *val)
{
	char path[96];
	bool ok;
	int fd;

	snprintf(path, sizeof(path), KSM_DIR "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return false;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok;
}

/*
 * Let ksmd merge what it can: three full scans at full speed (the first
 * one only takes checksums), then stop it and give it back its pace.
 * False if it did not finish them in 60 s.
 */
static bool ksm_merge(void)
{
	long start = ksm_read("full_scans");
	long pages = ksm_read("pages_to_scan");
	long sleep = ksm_read("sleep_millisecs");
	bool done = false;
	char buf[24];
	int i;

	if (start >= 0 && pages > 0 && sleep >= 0 &&
	    ksm_write("pages_to_scan", "2000") &&
	    ksm_write("sleep_millisecs", "0") && ksm_write("run", "1")) {
		for (i = 0; i < 6000 && ksm_read("full_scans") < start + 3; i++)
			usleep(10000);
		done = ksm_read("full_scans") >= start + 3;
	}
	ksm_write("run", "0");
	if (pages > 0) {
		snprintf(buf, sizeof(buf), "%ld", pages);
		ksm_write("pages_to_scan", buf);
	}
	if (sleep >= 0) {
		snprintf(buf, sizeof(buf), "%ld", sleep);
		ksm_write("sleep_millisecs", buf);
	}
	return done;
}

/*
 * KSM merges identical anonymous pages, but not pinned ones (their
 * reference count does not match their mappings).  Of three identical
 * ranges, @never was never pinned, @was was pinned and unpinned (marked),
 * @held stays pinned: the first two merge, the marked pages included,
 * the pinned ones stay where they are and read as pinned.
 */
TEST_F(pin, ksm_merges_marked_not_pinned)
{
	struct pin_longterm_test args = {};
	uint64_t old[KSM_PAGES], held[KSM_PAGES], now, kpfn;
	long len = KSM_PAGES * self->ps;
	char *never, *was, *pinned;
	int i;

	if (ksm_read("run") < 0)
		SKIP(return, "no " KSM_DIR " (CONFIG_KSM)");
	never = mmap(NULL, 3 * len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, never);
	was = never + len;
	pinned = was + len;
	memset(never, 0x5a, 3 * len);

	args.addr = (uintptr_t)was;
	args.size = len;
	args.flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE;
	ASSERT_EQ(0, ioctl(self->gup_fd, PIN_LONGTERM_TEST_START, &args));
	ASSERT_EQ(0, ioctl(self->gup_fd, PIN_LONGTERM_TEST_STOP));
	args.addr = (uintptr_t)pinned;
	ASSERT_EQ(0, ioctl(self->gup_fd, PIN_LONGTERM_TEST_START, &args));
	for (i = 0; i < KSM_PAGES; i++) {
		old[i] = pfn_of(was + i * self->ps);
		held[i] = pfn_of(pinned + i * self->ps);
		ASSERT_NE(0, old[i]);
		ASSERT_NE(0, held[i]);
		EXPECT_EQ(marks_pins(), kpf(old[i], KPF_PINNED_ONCE));
		EXPECT_FALSE(kpf(old[i], KPF_DMA_PINNED));
		EXPECT_TRUE(kpf(held[i], KPF_DMA_PINNED));
	}

	ASSERT_EQ(0, madvise(never, 3 * len, MADV_MERGEABLE));
	ASSERT_TRUE(ksm_merge()) {
		TH_LOG("ksmd did not finish 3 full scans in 60 s");
	}

	/*
	 * Merged pages share one frame.  KPF_KSM cannot tell: 6.12 sets it
	 * for every anonymous page (it tests one bit of PAGE_MAPPING_KSM).
	 */
	kpfn = pfn_of(never);
	ASSERT_NE(0, kpfn);
	for (i = 0; i < KSM_PAGES; i++) {
		EXPECT_EQ(0x5a, was[i * self->ps]);
		EXPECT_EQ(kpfn, pfn_of(never + i * self->ps));
		now = pfn_of(was + i * self->ps);
		EXPECT_EQ(kpfn, now) {
			TH_LOG("marked page %d was not merged", i);
		}
		EXPECT_FALSE(kpf(now, KPF_DMA_PINNED));
		if (now != old[i])
			EXPECT_FALSE(kpf(old[i], KPF_PINNED_ONCE));
		EXPECT_EQ(held[i], pfn_of(pinned + i * self->ps));
		EXPECT_NE(kpfn, held[i]);
		EXPECT_TRUE(kpf(held[i], KPF_DMA_PINNED));
		EXPECT_EQ(marks_pins(), kpf(held[i], KPF_PINNED_ONCE));
	}
	ASSERT_EQ(0, ioctl(self->gup_fd, PIN_LONGTERM_TEST_STOP));
	munmap(never, 3 * len);
	ksm_write("run", "2");
	ksm_write("run", "0");
}

/*
 * A KSM page shared by MANY_REFS mappings has as many references, which
 * the reference count heuristic reads as pinned.  It is an anonymous
 * folio mapped shared, so it never is, in every mode.  Raise
 * max_page_sharing (256 by default) so that one KSM page takes them all.
 */
TEST_F(pin, ksm_page_shared_many_times)
{
	long len = MANY_REFS * self->ps;
	uint64_t kpfn;
	char *p;
	int i;

	if (ksm_read("run") < 0)
		SKIP(return, "no " KSM_DIR " (CONFIG_KSM)");
	/* max_page_sharing can only change while no page is merged. */
	ASSERT_TRUE(ksm_write("run", "2"));
	ASSERT_TRUE(ksm_write("max_page_sharing", "2048")) {
		TH_LOG("max_page_sharing: %s", strerror(errno));
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x3c, len);
	ASSERT_EQ(0, madvise(p, len, MADV_MERGEABLE));
	ASSERT_TRUE(ksm_merge()) {
		TH_LOG("ksmd did not finish 3 full scans in 60 s");
	}
	kpfn = pfn_of(p);
	ASSERT_NE(0, kpfn);
	for (i = 0; i < MANY_REFS; i++)
		ASSERT_EQ(kpfn, pfn_of(p + i * self->ps));
	EXPECT_FALSE(kpf(kpfn, KPF_DMA_PINNED));
	EXPECT_FALSE(kpf(kpfn, KPF_PINNED_ONCE));
	munmap(p, len);
	ksm_write("run", "2");
	ksm_write("max_page_sharing", "256");
	ksm_write("run", "0");
}

/* The node of the page at @p, or a negative errno. */
static int node_of(void *p)
{
	int status = -1;

	if (syscall(__NR_move_pages, 0, 1, &p, NULL, &status, 0))
		return -errno;
	return status;
}

/*
 * move_pages() to another NUMA node migrates a marked but unpinned page
 * and a never pinned one, and leaves the mark behind with the old frame;
 * it cannot migrate a pinned page, which stays where it is, pinned.
 */
TEST_F(pin, move_pages_marked_not_pinned)
{
	struct pin_longterm_test args = {};
	uint64_t before[3], after[3];
	int nodes[3], status[3], i;
	void *pages[3];
	char *p;
	long ret;

	if (access("/sys/devices/system/node/node1", F_OK))
		SKIP(return, "one NUMA node");
	p = mmap(NULL, 3 * self->ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 6, 3 * self->ps);
	/* page 0: never pinned, page 1: pinned and unpinned, page 2: pinned */
	args.size = self->ps;
	args.flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE;
	args.addr = (uintptr_t)(p + self->ps);
	ASSERT_EQ(0, ioctl(self->gup_fd, PIN_LONGTERM_TEST_START, &args));
	ASSERT_EQ(0, ioctl(self->gup_fd, PIN_LONGTERM_TEST_STOP));
	args.addr = (uintptr_t)(p + 2 * self->ps);
	ASSERT_EQ(0, ioctl(self->gup_fd, PIN_LONGTERM_TEST_START, &args));
	for (i = 0; i < 3; i++) {
		pages[i] = p + i * self->ps;
		before[i] = pfn_of(pages[i]);
		ASSERT_NE(0, before[i]);
		nodes[i] = node_of(pages[i]);
		ASSERT_GE(nodes[i], 0);
		nodes[i] = !nodes[i];
		status[i] = -1;
	}
	EXPECT_EQ(marks_pins(), kpf(before[1], KPF_PINNED_ONCE));
	EXPECT_FALSE(kpf(before[1], KPF_DMA_PINNED));

	ret = syscall(__NR_move_pages, 0, 3, pages, nodes, status,
		      MPOL_MF_MOVE);
	/* the number of pages not migrated: the pinned one */
	EXPECT_EQ(1, ret) {
		TH_LOG("move_pages: %ld (%s)", ret, strerror(errno));
	}
	for (i = 0; i < 3; i++) {
		after[i] = pfn_of(pages[i]);
		EXPECT_EQ(6, p[i * self->ps]);
	}
	EXPECT_EQ(nodes[0], node_of(pages[0]));
	EXPECT_EQ(nodes[1], node_of(pages[1]));
	EXPECT_NE(nodes[2], node_of(pages[2]));
	EXPECT_NE(before[1], after[1]);
	EXPECT_FALSE(kpf(after[1], KPF_PINNED_ONCE));
	EXPECT_FALSE(kpf(after[1], KPF_DMA_PINNED));
	EXPECT_FALSE(kpf(before[1], KPF_PINNED_ONCE));
	EXPECT_EQ(before[2], after[2]);
	EXPECT_TRUE(kpf(after[2], KPF_DMA_PINNED));
	EXPECT_EQ(marks_pins(), kpf(after[2], KPF_PINNED_ONCE));
	ASSERT_EQ(0, ioctl(self->gup_fd, PIN_LONGTERM_TEST_STOP));
	munmap(p, 3 * self->ps);
}

#define SPLICE_PIPES	((MANY_REFS + 255) / 256)

/*
 * Take MANY_REFS plain (FOLL_GET) references on the page at @p with
 * vmsplice(), 256 per pipe.  Return: the pipes used, or -1.
 */
static int splice_refs(char *p, long ps, int pipes[][2])
{
	struct iovec iov = { .iov_base = p, .iov_len = ps };
	int npipes = 0, i;

	for (i = 0; i < MANY_REFS; i++) {
		if (i % 256 == 0) {
			if (pipe(pipes[npipes]))
				return -1;
			npipes++;
			if (fcntl(pipes[npipes - 1][1], F_SETPIPE_SZ,
				  256 * ps) != 256 * ps)
				return -1;
		}
		if (vmsplice(pipes[npipes - 1][1], &iov, 1, 0) != ps)
			return -1;
	}
	return npipes;
}

static void close_pipes(int pipes[][2], int npipes)
{
	while (npipes--) {
		close(pipes[npipes][0]);
		close(pipes[npipes][1]);
	}
}

/*
 * MANY_REFS plain references from vmsplice() on a never-pinned, exclusive
 * anonymous page: the heuristic says pinned, page_pin says not pinned.
 */
TEST_F(pin, many_refs_anon)
{
	int pipes[SPLICE_PIPES][2], npipes;
	char *p = map_page(self->ps, 2);
	uint64_t pfn;

	ASSERT_NE(NULL, p);
	pfn = pfn_of(p);
	ASSERT_NE(0, pfn);
	npipes = splice_refs(p, self->ps, pipes);
	ASSERT_EQ(SPLICE_PIPES, npipes);
	TH_LOG("page_pin=%s: never-pinned anon page with %d vmsplice refs reads as %s",
	       cmdline_mode(), MANY_REFS,
	       kpf(pfn, KPF_DMA_PINNED) ? "PINNED" : "not pinned");
	EXPECT_EQ(!marks_pins(), kpf(pfn, KPF_DMA_PINNED));
	EXPECT_FALSE(kpf(pfn, KPF_PINNED_ONCE));
	close_pipes(pipes, npipes);
	EXPECT_FALSE(kpf(pfn, KPF_DMA_PINNED));
	munmap(p, self->ps);
}

/* Whether a swap area is in use: /proc/swaps lists more than its header. */
static bool have_swap(void)
{
	char line[256];
	int lines = 0;
	FILE *f = fopen("/proc/swaps", "r");

	while (f && fgets(line, sizeof(line), f))
		lines++;
	if (f)
		fclose(f);
	return lines > 1;
}

/*
 * What the mark buys: the same page, asked to go to swap with MADV_PAGEOUT.
 * shrink_folio_list() does not add a folio that reads as maybe pinned to
 * the swap cache, so without tracking the page stays; with it, the page is
 * unmapped and written to swap (it stays in memory until the pipes let go).
 */
TEST_F(pin, many_refs_anon_pageout)
{
	int pipes[SPLICE_PIPES][2], npipes;
	char *p = map_page(self->ps, 6);
	bool swapped;

	ASSERT_NE(NULL, p);
	if (!have_swap()) {
		munmap(p, self->ps);
		SKIP(return, "no swap (zram)");
	}
	ASSERT_NE(0, pfn_of(p));
	npipes = splice_refs(p, self->ps, pipes);
	ASSERT_EQ(SPLICE_PIPES, npipes);
	ASSERT_EQ(0, madvise(p, self->ps, MADV_PAGEOUT));
	swapped = pagemap_of(p) & PM_SWAP;
	TH_LOG("page_pin=%s: never-pinned anon page with %d vmsplice refs after MADV_PAGEOUT: %s",
	       cmdline_mode(), MANY_REFS,
	       swapped ? "swapped out" : "kept in memory");
	EXPECT_EQ(marks_pins(), swapped);
	close_pipes(pipes, npipes);
	EXPECT_EQ(6, p[0]);
	munmap(p, self->ps);
}

/*
 * The same references on an anonymous page shared with a child since
 * fork(): it is not AnonExclusive, so it cannot be pinned, and it reads
 * as not pinned in every mode, with or without the mark.
 */
TEST_F(pin, many_refs_shared_anon)
{
	int pipes[SPLICE_PIPES][2], npipes, go[2], status;
	char *p = map_page(self->ps, 5);
	uint64_t pfn;
	pid_t pid;
	char c;

	ASSERT_NE(NULL, p);
	pfn = pfn_of(p);
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* Keep the page shared until the parent is done. */
		close(go[1]);
		_exit(read(go[0], &c, 1) != 0);
	}
	close(go[0]);
	ASSERT_EQ(pfn, pfn_of(p));
	npipes = splice_refs(p, self->ps, pipes);
	ASSERT_EQ(SPLICE_PIPES, npipes);
	TH_LOG("page_pin=%s: anon page shared after fork() with %d vmsplice refs reads as %s",
	       cmdline_mode(), MANY_REFS,
	       kpf(pfn, KPF_DMA_PINNED) ? "PINNED" : "not pinned");
	EXPECT_FALSE(kpf(pfn, KPF_DMA_PINNED));
	EXPECT_FALSE(kpf(pfn, KPF_PINNED_ONCE));
	close_pipes(pipes, npipes);
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	munmap(p, self->ps);
}

/* A memfd (shmem) page mapped MANY_REFS times: the same two answers. */
TEST_F(pin, many_refs_memfd)
{
	char *maps[MANY_REFS];
	uint64_t pfn;
	int fd, i;

	fd = memfd_create("page_pin_test", 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, self->ps));
	for (i = 0; i < MANY_REFS; i++) {
		maps[i] = mmap(NULL, self->ps, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, maps[i]);
		maps[i][0] = 3;
	}
	pfn = pfn_of(maps[0]);
	ASSERT_NE(0, pfn);
	TH_LOG("page_pin=%s: never-pinned memfd page mapped %d times reads as %s",
	       cmdline_mode(), MANY_REFS,
	       kpf(pfn, KPF_DMA_PINNED) ? "PINNED" : "not pinned");
	EXPECT_EQ(!marks_pins(), kpf(pfn, KPF_DMA_PINNED));
	EXPECT_FALSE(kpf(pfn, KPF_PINNED_ONCE));
	for (i = 0; i < MANY_REFS; i++)
		munmap(maps[i], self->ps);
	EXPECT_FALSE(kpf(pfn, KPF_DMA_PINNED));
	close(fd);
}

/*
 * fork() with a pinned page: the child gets a copy, the parent keeps the
 * pinned page, so what the "device" sees is what the parent writes.
 */
TEST_F(pin, fork_while_pinned)
{
	struct pin_longterm_test args = {};
	char *p = map_page(self->ps, 'A');
	char *seen = malloc(self->ps);
	uint64_t pfn, dst;
	int status;
	pid_t pid;

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, seen);
	pfn = pfn_of(p);
	args.addr = (uintptr_t)p;
	args.size = self->ps;
	args.flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE;
	ASSERT_EQ(0, ioctl(self->gup_fd, PIN_LONGTERM_TEST_START, &args));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (p[0] != 'A')
			_exit(1);
		if (pfn_of(p) == pfn)
			_exit(2);	/* shares the pinned page */
		p[0] = 'C';
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("child status %#x (1: bad data, 2: no copy)", status);
	}
	EXPECT_EQ(pfn, pfn_of(p));
	p[0] = 'P';
	dst = (uintptr_t)seen;
	ASSERT_EQ(0, ioctl(self->gup_fd, PIN_LONGTERM_TEST_READ, &dst));
	EXPECT_EQ('P', seen[0]);
	EXPECT_TRUE(kpf(pfn, KPF_DMA_PINNED));
	ASSERT_EQ(0, ioctl(self->gup_fd, PIN_LONGTERM_TEST_STOP));
	free(seen);
	munmap(p, self->ps);
}

/* FOLL_GET never marks; FOLL_PIN does (positive control). */
TEST_F(pin, foll_get_never_marks)
{
	struct gup_test gup = {};
	char *p;
	uint64_t pfn;

	if (!marks_pins())
		SKIP(return, "needs page_pin=on");
	p = map_page(self->ps, 4);
	ASSERT_NE(NULL, p);
	pfn = pfn_of(p);
	gup.addr = (uintptr_t)p;
	gup.size = self->ps;
	gup.nr_pages_per_call = 1;
	gup.gup_flags = FOLL_WRITE;
	ASSERT_EQ(0, ioctl(self->gup_fd, GUP_BASIC_TEST, &gup));
	EXPECT_FALSE(kpf(pfn, KPF_PINNED_ONCE));
	ASSERT_EQ(0, ioctl(self->gup_fd, PIN_BASIC_TEST, &gup));
	EXPECT_TRUE(kpf(pfn, KPF_PINNED_ONCE));
	EXPECT_FALSE(kpf(pfn, KPF_DMA_PINNED));
	munmap(p, self->ps);
}

#define LEAK_PAGES	4
#define PAGE_PIN_DIR	"/sys/kernel/debug/page_pin/"

/* The whole of a small file, NUL-terminated, or NULL. */
static char *read_file(const char *path)
{
	size_t len = 0, size = 4096;
	char *buf = malloc(size);
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, size - len - 1)) > 0) {
		len += n;
		if (len + 1 == size)
			buf = realloc(buf, size *= 2);
		if (!buf)
			break;
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* The value of a "name value" line of page_pin/counters, or -1. */
static long counter(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *line = text;

	while (line && *line) {
		if (!strncmp(line, name, n) && line[n] == ' ')
			return strtol(line + n + 1, NULL, 10);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

/*
 * The group of page_pin/pinned whose pinner mentions @fn: its text up to
 * the blank line that ends it, in a malloc'ed string, or NULL.  Sets
 * @folios to the group's folio count.
 */
static char *find_group(const char *pinned, const char *fn, long *folios)
{
	const char *g = pinned, *end;
	char *copy;

	/* Each group starts with a "folios N ..." line. */
	while ((g = strstr(g, "\nfolios ")) != NULL) {
		g++;
		end = strstr(g, "\n\n");
		if (!end)
			end = g + strlen(g);
		copy = strndup(g, end - g);
		if (copy && strstr(copy, fn)) {
			*folios = strtol(g + strlen("folios "), NULL, 10);
			return copy;
		}
		free(copy);
		g = end;
	}
	return NULL;
}

static const char * const leak_events[] = {
	"not_pinned", "underflow", "overflow", "freed_pinned", "below_bias",
};

/*
 * Pin LEAK_PAGES pages and release them with put_page(): page_pin/pinned
 * lists them under the pinner (with stack depot, a stack through
 * gup_test_ioctl; else a single return address), count_threshold hides
 * the group, and munmap() reports each page once as below_bias.
 */
TEST_F(pin, debug_finds_leak)
{
	char *before, *after, *pinned, *group, *log, want[128];
	struct gup_test gup = {};
	bool stacks;
	long folios = 0;
	uint64_t pfn;
	size_t i;
	int len;
	char *p;

	if (!debugging())
		SKIP(return, "needs page_pin=debug");
	before = read_file(PAGE_PIN_DIR "counters");
	ASSERT_NE(NULL, before);
	p = mmap(NULL, LEAK_PAGES * self->ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* Small folios: one report per page (mTHP could make one folio). */
	madvise(p, LEAK_PAGES * self->ps, MADV_NOHUGEPAGE);
	memset(p, 7, LEAK_PAGES * self->ps);
	pfn = pfn_of(p);
	gup.addr = (uintptr_t)p;
	gup.size = LEAK_PAGES * self->ps;
	ASSERT_EQ(0, ioctl(self->gup_fd, PIN_LEAK_TEST, &gup));

	pinned = read_file(PAGE_PIN_DIR "pinned");
	ASSERT_NE(NULL, pinned);
	stacks = !!strstr(pinned, "(stacks)");
	group = find_group(pinned, stacks ? "gup_test_ioctl" : "+0x", &folios);
	ASSERT_NE(NULL, group) {
		TH_LOG("no pinner group in page_pin/pinned:\n%s", pinned);
	}
	EXPECT_EQ(LEAK_PAGES, folios);
	printf("# page_pin/pinned after the leak:\n#   %.*s\n",
	       (int)strcspn(pinned, "\n"), pinned);
	for (char *line = strtok(group, "\n"); line; line = strtok(NULL, "\n"))
		printf("#   %s\n", line);
	free(group);
	free(pinned);

	/* A threshold above the group's size hides it. */
	snprintf(want, sizeof(want), "%d\n", LEAK_PAGES + 1);
	len = open(PAGE_PIN_DIR "count_threshold", O_WRONLY);
	ASSERT_LE(0, len);
	ASSERT_EQ((ssize_t)strlen(want), write(len, want, strlen(want)));
	pinned = read_file(PAGE_PIN_DIR "pinned");
	ASSERT_EQ((ssize_t)2, write(len, "0\n", 2));
	close(len);
	ASSERT_NE(NULL, pinned);
	EXPECT_EQ(NULL, find_group(pinned, stacks ? "gup_test_ioctl" : "+0x",
				   &folios));
	free(pinned);

	ASSERT_EQ(0, munmap(p, LEAK_PAGES * self->ps));
	after = read_file(PAGE_PIN_DIR "counters");
	ASSERT_NE(NULL, after);
	for (i = 0; i < ARRAY_SIZE(leak_events); i++)
		EXPECT_EQ(strcmp(leak_events[i], "below_bias") ? 0 : LEAK_PAGES,
			  counter(after, leak_events[i]) -
			  counter(before, leak_events[i])) {
			TH_LOG("%s: %ld before, %ld after", leak_events[i],
			       counter(before, leak_events[i]),
			       counter(after, leak_events[i]));
		}

	/* The report names the first page and the reason. */
	snprintf(want, sizeof(want),
		 "page_pin: pfn %#llx: reference count below the pins' share",
		 (unsigned long long)pfn);
	len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	ASSERT_GT(len, 0);
	log = calloc(1, len + 1);
	ASSERT_NE(NULL, log);
	ASSERT_GT(klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, len), 0);
	EXPECT_NE(NULL, strstr(log, want)) {
		TH_LOG("the kernel log lacks \"%s\"", want);
	}
	free(log);
	free(before);
	free(after);
}

TEST_HARNESS_MAIN
