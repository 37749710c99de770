// SPDX-License-Identifier: GPL-2.0
/*
 * /init for the page_pin selftest initramfs.
 *
 * Mounts proc, sysfs, debugfs, devtmpfs and a tmpfs on /tmp, then runs the
 * commands listed in /tests/run.list (one per line: program and arguments,
 * relative to /tests).  Each command's TAP output is printed indented by
 * four spaces under one KTAP header, followed by "ok N name" or
 * "not ok N name", so that tools/testing/kunit/kunit.py parse reads the
 * whole run.  Exit status 4 (KSFT_SKIP) is reported as a skip.  A command
 * that runs longer than its timeout is killed and reported as failed.
 * Finally the machine is rebooted, which ends QEMU (-no-reboot).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS	256
#define MAX_ARGS	16
#define TIMEOUT_S	900

/* struct swap_header's info part (include/linux/swap.h), native endian. */
struct swap_info_hdr {
	unsigned int version;
	unsigned int last_page;
	unsigned int nr_badpages;
	unsigned char uuid[16];
	unsigned char label[16];
};

/* Swap on a 256 MiB zram disk, if the kernel has zram. */
static void setup_swap(void)
{
	const char *size = "268435456";
	long ps = sysconf(_SC_PAGESIZE);
	struct swap_info_hdr hdr = {
		.version = 1,
		.last_page = 268435456 / ps - 1,
	};
	char *page;
	int fd;

	fd = open("/sys/block/zram0/disksize", O_WRONLY);
	if (fd < 0) {
		printf("# init: no zram0, running without swap\n");
		return;
	}
	if (write(fd, size, strlen(size)) < 0)
		printf("# init: zram disksize: %s\n", strerror(errno));
	close(fd);
	page = calloc(1, ps);
	memcpy(page + 1024, &hdr, sizeof(hdr));
	memcpy(page + ps - 10, "SWAPSPACE2", 10);
	fd = open("/dev/zram0", O_WRONLY);
	if (fd < 0 || write(fd, page, ps) != ps)
		printf("# init: cannot write the swap header: %s\n",
		       strerror(errno));
	if (fd >= 0)
		close(fd);
	free(page);
	if (swapon("/dev/zram0", 0))
		printf("# init: swapon: %s\n", strerror(errno));
}

static void mnt(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) && errno != EBUSY)
		printf("# init: mount %s on %s: %s\n", type, dst, strerror(errno));
}

/* Print output, each line indented for the KTAP subtest. */
static void indent(const char *buf, size_t n, int *bol)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (*bol)
			fputs("    ", stdout);
		putchar(buf[i]);
		*bol = buf[i] == '\n';
	}
	fflush(stdout);
}

/*
 * Copy the child's output to the console as it comes, or, for a command
 * marked with a leading '@' (benchmarks), only after it has exited, so
 * that console output does not run during the measurement.
 */
static void relay(int fd, int hold)
{
	char buf[4096], *all = NULL;
	size_t len = 0;
	int bol = 1;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (!hold) {
			indent(buf, n, &bol);
			continue;
		}
		all = realloc(all, len + n);
		if (!all)
			return;
		memcpy(all + len, buf, n);
		len += n;
	}
	if (all)
		indent(all, len, &bol);
	free(all);
	if (!bol)
		putchar('\n');
}

static int run(char **argv, const char *name, int num, int hold)
{
	struct timespec t0, t1;
	int pfd[2], status;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		setpgid(0, 0);
		alarm(TIMEOUT_S);
		execv(argv[0], argv);
		printf("exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	relay(pfd[0], hold);
	close(pfd[0]);
	waitpid(pid, &status, 0);
	kill(-pid, SIGKILL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %s: %ld s\n", name, (long)(t1.tv_sec - t0.tv_sec));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		printf("ok %d %s\n", num, name);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
		printf("ok %d %s # SKIP exit status 4\n", num, name);
	else if (WIFSIGNALED(status))
		printf("not ok %d %s # killed by signal %d%s\n", num, name,
		       WTERMSIG(status),
		       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	else
		printf("not ok %d %s # exit status %d\n", num, name,
		       WEXITSTATUS(status));
	fflush(stdout);
	return 0;
}

int main(void)
{
	static char lines[MAX_CMDS][256];
	char *argv[MAX_ARGS + 1];
	int ncmds = 0, i;
	FILE *list;

	mnt("devtmpfs", "/dev", "devtmpfs");
	mnt("proc", "/proc", "proc");
	mnt("sysfs", "/sys", "sysfs");
	mnt("debugfs", "/sys/kernel/debug", "debugfs");
	mnt("tmpfs", "/tmp", "tmpfs");
	setup_swap();
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Tests that create local files get a writable tmpfs. */
	if (chdir("/tmp"))
		printf("# init: no /tmp\n");

	list = fopen("/tests/run.list", "r");
	while (list && ncmds < MAX_CMDS &&
	       fgets(lines[ncmds], sizeof(lines[0]), list)) {
		lines[ncmds][strcspn(lines[ncmds], "\n")] = '\0';
		if (lines[ncmds][0] && lines[ncmds][0] != '#')
			ncmds++;
	}
	printf("KTAP version 1\n1..%d\n", ncmds);
	for (i = 0; i < ncmds; i++) {
		char name[256], *tok, *save = NULL, *line = lines[i];
		char path[300];
		int argc = 0, hold = 0;

		if (line[0] == '@') {
			hold = 1;
			line++;
		}
		snprintf(name, sizeof(name), "%.250s", line);
		for (tok = strtok_r(line, " ", &save);
		     tok && argc < MAX_ARGS; tok = strtok_r(NULL, " ", &save))
			argv[argc++] = tok;
		argv[argc] = NULL;
		snprintf(path, sizeof(path), "/tests/%s", argv[0]);
		argv[0] = path;
		if (run(argv, name, i + 1, hold))
			printf("not ok %d %s # cannot start\n", i + 1, name);
	}
	printf("# page_pin selftests done\n");
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT);
	return 0;
}
