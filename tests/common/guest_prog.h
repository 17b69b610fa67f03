/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the static guest programs of make bench (tests/bench/mult_bench.c)
 * and make compare (tests/compare/mult_compare.c) share: progress lines,
 * whole transfers over pipes, waiting for a child and the raw clone3
 * syscall. Children made with raw_clone3() are unknown to glibc: they keep
 * to plain syscalls and stdio (no raise(), abort() or threads).
 */
#ifndef MULT_GUEST_PROG_H
#define MULT_GUEST_PROG_H

#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWINST
#define CLONE_NEWINST 0x400000000ULL
#endif

/* All of @len bytes in (@out false) or out; -EPIPE if the other side is gone. */
static inline int xfer(int fd, void *buf, size_t len, bool out)
{
	char *p = buf;

	while (len) {
		ssize_t n = out ? write(fd, p, len) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= n;
	}
	return 0;
}

/* A progress line: "# " and the text, flushed at once. */
static inline void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void say(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* A child with SIGCHLD as its exit signal; @pidfd with CLONE_PIDFD. */
static inline pid_t raw_clone3(uint64_t flags, int *pidfd)
{
	struct clone_args args;

	memset(&args, 0, sizeof args);
	args.flags = flags;
	if (flags & CLONE_PIDFD)
		args.pidfd = (uintptr_t)pidfd;
	args.exit_signal = SIGCHLD;
	return syscall(SYS_clone3, &args, sizeof args);
}

static inline int wait_pid(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

#endif
