// SPDX-License-Identifier: GPL-2.0
/*
 * page_pin reclaim benchmark: can anonymous memory with many references
 * be swapped out?
 *
 * Usage: reclaim SHARERS MIB DEADLINE_S [splice]
 *
 * The process maps MIB MiB of anonymous memory and fills it, in the cgroup
 * v2 memcg /sys/fs/cgroup/pp.  Then it forks SHARERS - 1 children that
 * keep the memory mapped, and writes MIB + 8 MiB to the memcg's
 * memory.reclaim.  Or, with "splice", it takes SHARERS plain page
 * references on every page with vmsplice() (the pages stay AnonExclusive;
 * nothing pins them) and asks for its own pages to be paged out with
 * MADV_PAGEOUT (memory.reclaim would not reach them soon: the references
 * were taken with FOLL_TOUCH, which put the pages on the active list).
 * Without exact tracking, every small folio with 1024 or more references
 * reads as "maybe DMA-pinned" and shrink_folio_list() will not add it to
 * the swap cache, so the write cannot succeed and keeps reclaiming.  An
 * alarm caps it at DEADLINE_S seconds (memory.reclaim stops on a pending
 * signal).  Prints one line:
 *
 *   reclaim: sharers=N mib=M swapped_kb=S resident_kb=R seconds=T result=X
 *            how=fork|splice
 *
 * where S and R are the Swap: and Rss: of the mapping in /proc/self/smaps
 * and X is ok, EAGAIN, or deadline (memory.reclaim), or ok or an error
 * (MADV_PAGEOUT).  A spliced page that went to swap stays in memory until
 * its pipes are closed.  Needs swap (the harness's /init sets up zram) and
 * CONFIG_MEMCG.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CG	"/sys/fs/cgroup"

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/* Swap: and Rss: in kB of the mapping that starts at addr. */
static void smaps_of(void *addr, long *swap, long *rss)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long start, end;
	int inside = 0;
	char line[256];

	*swap = *rss = -1;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			inside = start == (unsigned long)addr;
		else if (inside && !strncmp(line, "Rss:", 4))
			*rss = atol(line + 4);
		else if (inside && !strncmp(line, "Swap:", 5))
			*swap = atol(line + 5);
	}
	if (f)
		fclose(f);
}

#define PIPE_PAGES	256

/*
 * refs plain references on each of the npages pages at mem: one pipe of
 * PIPE_PAGES slots per PIPE_PAGES pages and reference.  The pipes stay
 * open, and hold the references, until the process exits.
 */
static int splice_refs(char *mem, long npages, int refs)
{
	static struct iovec iov[PIPE_PAGES];
	long ps = sysconf(_SC_PAGESIZE), chunks, i, n;
	struct rlimit rl;
	int pfd[2], r;

	chunks = (npages + PIPE_PAGES - 1) / PIPE_PAGES;
	rl.rlim_cur = 2 * chunks * refs + 64;
	rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	for (r = 0; r < refs; r++) {
		for (i = 0; i < npages; i += PIPE_PAGES) {
			n = npages - i < PIPE_PAGES ? npages - i : PIPE_PAGES;
			for (long j = 0; j < n; j++) {
				iov[j].iov_base = mem + (i + j) * ps;
				iov[j].iov_len = ps;
			}
			if (pipe(pfd) ||
			    fcntl(pfd[1], F_SETPIPE_SZ, PIPE_PAGES * ps) < 0 ||
			    vmsplice(pfd[1], iov, n, 0) != n * ps)
				return -errno;
		}
	}
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int sharers, mib, deadline, i, pfd[2], rc, splice = 0;
	struct timespec t0, t1;
	unsigned int seed = 1;
	const char *result;
	long swap, rss;
	char buf[32];
	size_t len;
	char *mem;

	if (argc == 5 && !strcmp(argv[4], "splice")) {
		splice = 1;
	} else if (argc != 4) {
		fprintf(stderr, "usage: %s SHARERS MIB DEADLINE_S [splice]\n",
			argv[0]);
		return 2;
	}
	sharers = atoi(argv[1]);
	mib = atoi(argv[2]);
	deadline = atoi(argv[3]);
	if (sharers < 1 || mib < 1 || deadline < 1) {
		fprintf(stderr, "reclaim: bad arguments\n");
		return 2;
	}

	mkdir(CG, 0755);
	if (mount("cgroup2", CG, "cgroup2", 0, NULL) && errno != EBUSY) {
		printf("reclaim: cannot mount cgroup2: %s\n", strerror(errno));
		return 1;
	}
	rc = put(CG "/cgroup.subtree_control", "+memory");
	if (rc || (mkdir(CG "/pp", 0755) && errno != EEXIST)) {
		printf("reclaim: no memory controller (%s)\n", strerror(-rc));
		return 1;
	}
	snprintf(buf, sizeof(buf), "%d", getpid());
	rc = put(CG "/pp/cgroup.procs", buf);
	if (rc) {
		printf("reclaim: cannot join the memcg: %s\n", strerror(-rc));
		return 1;
	}

	len = (size_t)mib << 20;
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	/* Small folios only: THP would take another path through reclaim. */
	madvise(mem, len, MADV_NOHUGEPAGE);
	for (i = 0; i < (int)len; i++) {
		seed = seed * 1103515245 + 12345;
		mem[i] = seed >> 16;
	}

	if (pipe(pfd))
		return 1;
	rc = splice ? splice_refs(mem, len / sysconf(_SC_PAGESIZE), sharers) : 0;
	if (rc) {
		printf("reclaim: vmsplice: %s\n", strerror(-rc));
		return 1;
	}
	for (i = 1; i < sharers && !splice; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			printf("reclaim: fork %d: %s\n", i, strerror(errno));
			return 1;
		}
		if (pid == 0) {
			close(pfd[1]);
			/* Keep the mapping until the parent closes the pipe. */
			while (read(pfd[0], buf, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
	}
	close(pfd[0]);

	sigaction(SIGALRM, &sa, NULL);
	snprintf(buf, sizeof(buf), "%dM", mib + 8);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	alarm(deadline);
	if (splice)
		rc = madvise(mem, len, MADV_PAGEOUT) ? -errno : 0;
	else
		rc = put(CG "/pp/memory.reclaim", buf);
	alarm(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	result = !rc ? "ok" : rc == -EAGAIN ? "EAGAIN" :
		 rc == -EINTR ? "deadline" : strerror(-rc);

	smaps_of(mem, &swap, &rss);
	printf("reclaim: sharers=%d mib=%d swapped_kb=%ld resident_kb=%ld ",
	       sharers, mib, swap, rss);
	printf("seconds=%.1f result=%s how=%s\n", (t1.tv_sec - t0.tv_sec) +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9, result,
	       splice ? "splice" : "fork");

	close(pfd[1]);
	while (wait(NULL) > 0)
		;
	return swap < 0 ? 1 : 0;
}
