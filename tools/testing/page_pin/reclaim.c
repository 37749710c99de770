// SPDX-License-Identifier: GPL-2.0
/*
 * page_pin reclaim benchmark: can anonymous memory shared by many
 * processes be swapped out?
 *
 * Usage: reclaim SHARERS MIB DEADLINE_S
 *
 * The process maps MIB MiB of anonymous memory, fills it, forks
 * SHARERS - 1 children that keep it mapped, all in the cgroup v2 memcg
 * /sys/fs/cgroup/pp, and writes MIB + 8 MiB to that memcg's memory.reclaim.
 * Without exact tracking, every small folio with 1024 or more references
 * reads as "maybe DMA-pinned" and shrink_folio_list() will not add it to
 * the swap cache, so the write cannot succeed and keeps reclaiming.  An
 * alarm caps it at DEADLINE_S seconds (memory.reclaim stops on a pending
 * signal).  Prints one line:
 *
 *   reclaim: sharers=N mib=M swapped_kb=S resident_kb=R seconds=T result=X
 *
 * where S and R are the Swap: and Rss: of the shared mapping in
 * /proc/self/smaps and X is ok, EAGAIN, or deadline.  Needs swap (the
 * harness's /init sets up zram) and CONFIG_MEMCG.
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
#include <sys/stat.h>
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

static void on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int sharers, mib, deadline, i, pfd[2], rc;
	struct timespec t0, t1;
	unsigned int seed = 1;
	const char *result;
	long swap, rss;
	char buf[32];
	size_t len;
	char *mem;

	if (argc != 4) {
		fprintf(stderr, "usage: %s SHARERS MIB DEADLINE_S\n", argv[0]);
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
	for (i = 1; i < sharers; i++) {
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
	rc = put(CG "/pp/memory.reclaim", buf);
	alarm(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	result = !rc ? "ok" : rc == -EAGAIN ? "EAGAIN" :
		 rc == -EINTR ? "deadline" : strerror(-rc);

	smaps_of(mem, &swap, &rss);
	printf("reclaim: sharers=%d mib=%d swapped_kb=%ld resident_kb=%ld seconds=%.1f result=%s\n",
	       sharers, mib, swap, rss, (t1.tv_sec - t0.tv_sec) +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9, result);

	close(pfd[1]);
	while (wait(NULL) > 0)
		;
	return swap < 0 ? 1 : 0;
}
