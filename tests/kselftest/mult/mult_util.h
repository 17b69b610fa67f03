/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the mult instance selftests.
 *
 * Every test builds a small process tree of "agents" before it checks
 * anything. An agent is a process that runs functions on request: the
 * test (the "creator", MULT_SELF) sends it a function pointer and three
 * longs over a pipe and gets back the return value and errno. Agents are
 * forked from the test (or from another agent), so function pointers,
 * string literals and the shared page stay valid in all of them. All
 * pipes exist before the first process is spawned: nothing has to be
 * passed across an instance boundary later.
 *
 *   static const struct mult_node nodes[] = {
 *           [S] = { MULT_SELF, MULT_FORK, "S" },  // root-instance sibling
 *           [F] = { MULT_SELF, MULT_INST, "F" },  // first process
 *           [G] = { F,         MULT_FORK, "G" },  // member, F's child
 *   };
 *   mult_tree_start(&tree, nodes, 3);
 *   res = mult_call(&tree, F, mult_op_kill, tree.pid[S], 0, 0);
 *
 * The tree must be private to the test process (not in MAP_SHARED memory
 * such as the `self` of a FIXTURE_TEARDOWN_PARENT() fixture): agents read
 * their copy of it while they start.
 *
 * An agent exits when its request pipe hits EOF (the test closed it or
 * died), after reaping its own children. Agents spawned by the test die
 * with it (PR_SET_PDEATHSIG); deeper ones only leave on EOF, so that the
 * lifetime tests (R7) see the kernel's doing, not ours.
 *
 * Build with -DMULT_HOST_DRYRUN to exercise the plumbing on a kernel
 * without mult: the flag is dropped from clone3() and nothing is
 * skipped. Every check that depends on isolation then fails, by design.
 */
#ifndef MULT_UTIL_H
#define MULT_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * kselftest_harness.h is not -Wextra clean: unused parameters (so the
 * tests use TEST_F() only, never TEST()) and, at -O2, -Wclobbered on the
 * "child" variable its TEST_F() wrapper keeps across setjmp(). Both are
 * the harness's, not ours.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wclobbered"

#ifndef CLONE_NEWINST
#define CLONE_NEWINST 0x400000000ULL
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif
#ifndef SYS_clone3
#define SYS_clone3 __NR_clone3
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open __NR_pidfd_open
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal __NR_pidfd_send_signal
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd __NR_pidfd_getfd
#endif

#define MULT_SYSCTL_DIR "/proc/sys/kernel/mult"

#ifdef MULT_HOST_DRYRUN
#define MULT_NEWINST 0ULL
static const bool mult_dryrun __attribute__((unused)) = true;
#else
#define MULT_NEWINST CLONE_NEWINST
static const bool mult_dryrun __attribute__((unused)) = false;
#endif

/* How long to wait for an agent's answer, a child's exit... */
#define MULT_TIMEOUT_MS 10000
/*
 * ... and for an asynchronous effect: nr_instances dropping (RCU and a
 * workqueue), the members of an instance dying after its first process.
 * The rules say "within about 2 s"; QEMU without KVM and a debug kernel
 * get some slack. Polls return as soon as the condition holds.
 */
#define MULT_SETTLE_MS 5000

/* A value every process of a test has at the same address. */
#define MULT_PROBE 0x6d756c7470726f62L
static volatile long mult_probe __attribute__((unused)) = MULT_PROBE;

#define MULT_FN static inline __attribute__((unused))

/* Agent functions: long fn(long a, long b, long c), errno reported back. */
typedef long (*mult_fn)(long, long, long);
#define MULT_OP(name)                                                   \
	static long __attribute__((unused)) name(                       \
		long a __attribute__((unused)),                         \
		long b __attribute__((unused)),                         \
		long c __attribute__((unused)))

#define mult_log(fmt, ...)                                              \
	fprintf(stderr, "# [pid %d] " fmt "\n", getpid(), ##__VA_ARGS__)

/*
 * For functions that run in a child and return 0 on success: on failure
 * log where and why, and return the line number.
 */
#define MULT_CHECK(cond)                                                \
	do {                                                            \
		if (!(cond)) {                                          \
			int __e = errno;                                \
			mult_log("%s:%d: check failed: %s (errno %d: %s)", \
				 __FILE__, __LINE__, #cond, __e,        \
				 strerror(__e));                        \
			return __LINE__;                                \
		}                                                       \
	} while (0)

/*
 * Every test: skip (only) when the kernel has no mult, fail when the
 * environment is wrong.
 */
#define MULT_REQUIRE()                                                  \
	do {                                                            \
		if (!mult_dryrun && access(MULT_SYSCTL_DIR, F_OK))      \
			SKIP(return, "kernel without mult: "            \
			     MULT_SYSCTL_DIR " does not exist "         \
			     "(needs CONFIG_MULT=y and the mult patches)"); \
		ASSERT_EQ((uid_t)0, geteuid())                          \
		{                                                       \
			TH_LOG("the mult tests must run as root");      \
		}                                                       \
		ASSERT_EQ(0, access("/proc/1", F_OK))                   \
		{                                                       \
			TH_LOG("the mult tests must run in the root instance"); \
		}                                                       \
	} while (0)

/*
 * The harness exits 0 when every test was skipped. Without mult in the
 * kernel, exit with KSFT_SKIP (4) instead, so that a run on the wrong
 * kernel can never pass as a whole. (Test processes end with _exit() and
 * do not run this.)
 */
static void __attribute__((unused)) mult_exit_skip(void)
{
	fflush(NULL);
	_exit(KSFT_SKIP);
}

#define MULT_HARNESS_MAIN                                               \
	int main(int argc, char **argv)                                 \
	{                                                               \
		if (!mult_dryrun && access(MULT_SYSCTL_DIR, F_OK))      \
			atexit(mult_exit_skip);                         \
		return test_harness_run(argc, argv);                    \
	}

/* ----------------------------------------------------------------- */
/* time */

MULT_FN long mult_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

MULT_FN void mult_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ----------------------------------------------------------------- */
/* syscalls */

struct mult_clone_args {
	uint64_t flags __attribute__((aligned(8)));
	uint64_t pidfd __attribute__((aligned(8)));
	uint64_t child_tid __attribute__((aligned(8)));
	uint64_t parent_tid __attribute__((aligned(8)));
	uint64_t exit_signal __attribute__((aligned(8)));
	uint64_t stack __attribute__((aligned(8)));
	uint64_t stack_size __attribute__((aligned(8)));
	uint64_t tls __attribute__((aligned(8)));
	uint64_t set_tid __attribute__((aligned(8)));
	uint64_t set_tid_size __attribute__((aligned(8)));
	uint64_t cgroup __attribute__((aligned(8)));
};

/* fork-like clone3(): returns 0 in the child, like fork(). */
MULT_FN pid_t mult_clone3(uint64_t flags, int *pidfd, int exit_signal)
{
	struct mult_clone_args args = {
		.flags = flags | (pidfd ? CLONE_PIDFD : 0),
		.pidfd = (uintptr_t)pidfd,
		.exit_signal = exit_signal,
	};

	return syscall(SYS_clone3, &args, sizeof(args));
}

/* instfork(): clone3(CLONE_NEWINST [| CLONE_PIDFD], SIGCHLD). */
MULT_FN pid_t mult_instfork(int *pidfd)
{
	return mult_clone3(MULT_NEWINST, pidfd, SIGCHLD);
}

MULT_FN int sys_pidfd_open(pid_t pid, unsigned int flags)
{
	return syscall(SYS_pidfd_open, pid, flags);
}

MULT_FN int sys_pidfd_send_signal(int pidfd, int sig, siginfo_t *info,
				  unsigned int flags)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, info, flags);
}

MULT_FN int sys_pidfd_getfd(int pidfd, int fd, unsigned int flags)
{
	return syscall(SYS_pidfd_getfd, pidfd, fd, flags);
}

/* ----------------------------------------------------------------- */
/* sysctls */

#ifdef MULT_HOST_DRYRUN
/* Dry run on a kernel without mult: pretend, so the plumbing runs. */
static int mult_fake_sysctl[3] __attribute__((unused)) = { 0, 32, 1024 };

MULT_FN int *mult_fake(const char *name)
{
	if (!strcmp(name, "nr_instances"))
		return &mult_fake_sysctl[0];
	if (!strcmp(name, "max_depth"))
		return &mult_fake_sysctl[1];
	return &mult_fake_sysctl[2];
}
#endif

MULT_FN int mult_sysctl_read(const char *name)
{
	char path[128], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), MULT_SYSCTL_DIR "/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
#ifdef MULT_HOST_DRYRUN
	if (fd < 0)
		return *mult_fake(name);
#endif
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atoi(buf);
}

/* Returns 0 or -1 with errno. */
MULT_FN int mult_sysctl_write(const char *name, int val)
{
	char path[128], buf[32];
	int fd, len, e;
	ssize_t n;

	snprintf(path, sizeof(path), MULT_SYSCTL_DIR "/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
#ifdef MULT_HOST_DRYRUN
	if (fd < 0 && errno == ENOENT) {
		*mult_fake(name) = val;
		return 0;
	}
#endif
	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%d\n", val);
	n = write(fd, buf, len);
	e = errno;
	close(fd);
	errno = e;
	return n == len ? 0 : -1;
}

MULT_FN int mult_nr_instances(void)
{
	return mult_sysctl_read("nr_instances");
}

/* Poll until nr_instances == want; returns the last value read. */
MULT_FN int mult_wait_nr_instances(int want, long timeout_ms)
{
	long deadline = mult_now_ms() + timeout_ms;
	int nr;

	for (;;) {
		nr = mult_nr_instances();
		if (nr == want || mult_now_ms() > deadline)
			return nr;
		mult_sleep_ms(10);
	}
}

/*
 * Before a test that counts instances: let those of earlier tests finish
 * going away (they are freed from a workqueue after an RCU grace period).
 * The tests expect to run with no other instance alive; if some remain
 * after MULT_SETTLE_MS, they simply become part of the baseline.
 */
MULT_FN int mult_quiesce(void)
{
	return mult_wait_nr_instances(0, MULT_SETTLE_MS);
}

/* ----------------------------------------------------------------- */
/* children */

/*
 * waitpid() with a timeout. Returns the wait status, or -1 (errno
 * ETIMEDOUT after killing and reaping the child, or waitpid's errno).
 */
MULT_FN int mult_waitpid(pid_t pid, long timeout_ms)
{
	long deadline = mult_now_ms() + timeout_ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG | __WALL);

		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		if (mult_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, __WALL);
			errno = ETIMEDOUT;
			return -1;
		}
		mult_sleep_ms(2);
	}
}

/* Wait until child pid has exited, without reaping it. */
MULT_FN bool mult_wait_zombie(pid_t pid, long timeout_ms)
{
	long deadline = mult_now_ms() + timeout_ms;
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) &&
		    errno != EINTR)
			return false;
		if (si.si_pid == pid)
			return true;
		if (mult_now_ms() > deadline)
			return false;
		mult_sleep_ms(2);
	}
}

/* Exit code, or 128 + signal, or -1 when st is -1. */
MULT_FN int mult_status_code(int st)
{
	if (st == -1)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

MULT_FN int mult_exit_code(long ret)
{
	return ret < 0 || ret > 255 ? 255 : (int)ret;
}

/*
 * Run fn(a, b, c) in a child started by fork() or by instfork(), wait
 * for it and return its result as an exit code (fn's return value clamped
 * to 0..255, 128 + signal if killed). Returns -1 with errno when the child
 * could not be created (or did not finish in time).
 */
MULT_FN int mult_run(bool newinst, mult_fn fn, long a, long b, long c)
{
	pid_t pid;

	fflush(NULL);
	pid = newinst ? mult_instfork(NULL) : fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(mult_exit_code(fn(a, b, c)));
	}
	return mult_status_code(mult_waitpid(pid, 3 * MULT_TIMEOUT_MS));
}

/* ----------------------------------------------------------------- */
/* /proc */

/* Numeric field "name:" of /proc/<pid>/status (pid 0: self); -1 if none. */
MULT_FN long mult_status_field(pid_t pid, const char *name)
{
	char path[64], line[256];
	size_t len = strlen(name);
	long val = -1;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, len)) {
			val = strtol(line + len, NULL, 10);
			break;
		}
	}
	fclose(f);
	if (val < 0)
		errno = ENODATA;
	return val;
}

/* Field 4 (ppid) of /proc/<pid>/stat (pid 0: self); -1 on error. */
MULT_FN long mult_stat_ppid(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/stat");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || strlen(p) < 5)
		return -1;
	/* ") S ppid ..." */
	return strtol(p + 4, NULL, 10);
}

/* The numeric entries of /proc as the caller sees them; count or -1. */
MULT_FN int mult_proc_pids(long *out, int max)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name)
			continue;
		if (n < max)
			out[n] = v;
		n++;
	}
	closedir(d);
	return n;
}

MULT_FN bool mult_pids_contain(const long *pids, int n, long pid)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* ----------------------------------------------------------------- */
/* signal catcher: one per process, queried through agent calls */

struct mult_caught {
	volatile int count;
	volatile int signo;
	volatile int code;
	volatile int pid;
	volatile int uid;
	volatile int value;
	volatile int status;
};

static struct mult_caught mult_caught __attribute__((unused));

enum { MULT_CAUGHT_COUNT, MULT_CAUGHT_PID, MULT_CAUGHT_CODE, MULT_CAUGHT_UID,
       MULT_CAUGHT_VALUE, MULT_CAUGHT_SIGNO, MULT_CAUGHT_STATUS };

static void __attribute__((unused))
mult_catch_handler(int sig, siginfo_t *si, void *uc __attribute__((unused)))
{
	mult_caught.signo = sig;
	mult_caught.code = si->si_code;
	mult_caught.pid = si->si_pid;
	mult_caught.uid = si->si_uid;
	mult_caught.value = si->si_value.sival_int;
	mult_caught.status = si->si_status;
	mult_caught.count++;
}

/* a: signal to catch with an SA_SIGINFO handler; resets the record. */
MULT_OP(mult_op_catch)
{
	struct sigaction sa = {
		.sa_sigaction = mult_catch_handler,
		.sa_flags = SA_SIGINFO | SA_RESTART,
	};

	memset((void *)&mult_caught, 0, sizeof(mult_caught));
	sigemptyset(&sa.sa_mask);
	return sigaction(a, &sa, NULL);
}

/* a: MULT_CAUGHT_* */
MULT_OP(mult_op_caught)
{
	switch (a) {
	case MULT_CAUGHT_COUNT: return mult_caught.count;
	case MULT_CAUGHT_PID: return mult_caught.pid;
	case MULT_CAUGHT_CODE: return mult_caught.code;
	case MULT_CAUGHT_UID: return mult_caught.uid;
	case MULT_CAUGHT_VALUE: return mult_caught.value;
	case MULT_CAUGHT_SIGNO: return mult_caught.signo;
	case MULT_CAUGHT_STATUS: return mult_caught.status;
	}
	errno = EINVAL;
	return -1;
}

/* ----------------------------------------------------------------- */
/* generic agent functions */

MULT_OP(mult_op_getpid) { return getpid(); }
MULT_OP(mult_op_gettid) { return gettid(); }
MULT_OP(mult_op_getppid) { return getppid(); }
MULT_OP(mult_op_getpgrp) { return getpgrp(); }
MULT_OP(mult_op_getsid) { return getsid(a); }
MULT_OP(mult_op_getpgid) { return getpgid(a); }
MULT_OP(mult_op_setpgid) { return setpgid(a, b); }
MULT_OP(mult_op_setsid) { return setsid(); }
MULT_OP(mult_op_kill) { return kill(a, b); }
MULT_OP(mult_op_exit) { _exit(a); }
MULT_OP(mult_op_subreaper) { return prctl(PR_SET_CHILD_SUBREAPER, 1); }
MULT_OP(mult_op_pdeathsig) { return prctl(PR_SET_PDEATHSIG, a); }
MULT_OP(mult_op_setnice) { return setpriority(PRIO_PROCESS, 0, a); }
MULT_OP(mult_op_close) { return close(a); }

/* Nice value of the caller (a == 0) or of pid a, as 20 - nice (> 0). */
MULT_OP(mult_op_getprio_raw)
{
	return syscall(SYS_getpriority, PRIO_PROCESS, a);
}

MULT_OP(mult_op_setuid)
{
	if (setresgid(a, a, a))
		return -1;
	return setresuid(a, a, a);
}

/* waitpid(a, &status, b): returns the pid, keeps the status. */
MULT_OP(mult_op_waitpid)
{
	int st;
	pid_t r = waitpid(a, &st, b);

	if (r > 0)
		mult_caught.status = st;
	return r;
}

/* waitid(P_PID, a, WEXITED | WNOHANG | b): 0 means "a is my child". */
MULT_OP(mult_op_waitid_nohang)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, a, &si, WEXITED | WNOHANG | b);
}

/* Try to create an instance; 0 if it was created (and reaped), else -1. */
MULT_OP(mult_op_instfork_probe)
{
	pid_t pid = mult_instfork(NULL);
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(getppid() == 0 ? 0 : 1);
	st = mult_waitpid(pid, MULT_TIMEOUT_MS);
	if (mult_status_code(st) != 0) {
		mult_log("instance probe child %d: status %d", pid,
			 mult_status_code(st));
		errno = ECHILD;
		return -2;
	}
	return 0;
}

/* stat("/proc/<a><b>"), b a suffix string or 0. */
MULT_OP(mult_op_stat_proc)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%ld%s", a, b ? (char *)b : "");
	return stat(path, &st);
}

/* open("/proc/<a><b>", O_RDONLY) and read a bit. */
MULT_OP(mult_op_read_proc)
{
	char path[128], buf[64];
	int fd, e;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld%s", a, b ? (char *)b : "");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	e = errno;
	close(fd);
	errno = e;
	return n < 0 ? -1 : 0;
}

/* status field b ("PPid:") of /proc/<a>/status (a == 0: self). */
MULT_OP(mult_op_status_field)
{
	return mult_status_field(a, (const char *)b);
}

MULT_OP(mult_op_stat_ppid)
{
	return mult_stat_ppid(a);
}

/* The caller's /proc listing into the long array at a (b entries). */
MULT_OP(mult_op_proc_pids)
{
	return mult_proc_pids((long *)a, b);
}

/*
 * After attaching to pid: wait for its stop, prove the access by reading
 * mult_probe from it, detach. -2 (not -1) for any failure past the attach,
 * so it is never mistaken for the refusal a test expects from the attach.
 */
static long __attribute__((unused)) mult_ptrace_peek_detach(pid_t pid)
{
	long v;
	int st;

	if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st))
		return -2;
	errno = 0;
	v = ptrace(PTRACE_PEEKDATA, pid, (void *)&mult_probe, NULL);
	if (ptrace(PTRACE_DETACH, pid, NULL, NULL))
		return -2;
	if (v != MULT_PROBE) {
		errno = EIO;
		return -2;
	}
	return 0;
}

/* PTRACE_ATTACH / PTRACE_SEIZE the agent at a, then peek and detach. */
MULT_OP(mult_op_ptrace_attach)
{
	if (ptrace(PTRACE_ATTACH, a, NULL, NULL))
		return -1;
	return mult_ptrace_peek_detach(a);
}

MULT_OP(mult_op_ptrace_seize)
{
	if (ptrace(PTRACE_SEIZE, a, NULL, NULL))
		return -1;
	if (ptrace(PTRACE_INTERRUPT, a, NULL, NULL))
		return -2;
	return mult_ptrace_peek_detach(a);
}

/* ----------------------------------------------------------------- */
/* terminals */

/* An unlocked pty from the multiplexer ptmx: 0, or the failing line. */
MULT_FN int mult_open_pty(const char *ptmx, int *master, int *slave)
{
	int unlock = 0;

	*master = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
	MULT_CHECK(*master >= 0);
	MULT_CHECK(ioctl(*master, TIOCSPTLCK, &unlock) == 0);
	*slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	MULT_CHECK(*slave >= 0);
	return 0;
}

/*
 * In a forked child: a private mount namespace, a tmpfs on the first of
 * /tmp, /mnt, /run, /dev that takes one (its path in dir), a new devpts
 * instance at dir/pts and an unlocked pty from it. Returns 0, or the
 * failing line (MULT_CHECK).
 */
MULT_FN int mult_private_pty(char *dir, size_t len, int *master, int *slave)
{
	static const char *const dirs[] = { "/tmp", "/mnt", "/run", "/dev" };
	char path[128];
	unsigned int i;

	dir[0] = '\0';
	MULT_CHECK(unshare(CLONE_NEWNS) == 0);
	MULT_CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	for (i = 0; i < ARRAY_SIZE(dirs) && !dir[0]; i++)
		if (!mount("mult", dirs[i], "tmpfs", 0, NULL))
			snprintf(dir, len, "%s", dirs[i]);
	MULT_CHECK(dir[0]);
	snprintf(path, sizeof(path), "%s/pts", dir);
	MULT_CHECK(mkdir(path, 0755) == 0);
	MULT_CHECK(mount("devpts", path, "devpts", 0,
			 "newinstance,ptmxmode=0666") == 0);
	snprintf(path, sizeof(path), "%s/pts/ptmx", dir);
	return mult_open_pty(path, master, slave);
}

/* ----------------------------------------------------------------- */
/* agent trees */

#define MULT_MAX_NODES 8
#define MULT_SELF (-1)		/* the test process: viewer, parent */
#define MULT_AGENT_FD 200	/* every agent has its request pipe here */

enum mult_kind { MULT_FORK, MULT_INST };

struct mult_node {
	int parent;		/* index of the parent node, or MULT_SELF */
	enum mult_kind kind;	/* fork() or instfork() from the parent */
	const char *name;
};

struct mult_req {
	mult_fn fn;
	long a, b, c;
};

struct mult_res {
	long ret;
	int err;		/* errno; -1: agent gone, -2: no answer */
};

struct mult_shared {
	pid_t spawned[MULT_MAX_NODES];	/* what fork/clone3 returned */
	long data[8192];
};

struct mult_tree {
	int n;
	bool started;
	struct mult_node spec[MULT_MAX_NODES];
	pid_t pid[MULT_MAX_NODES];	/* getpid() of each agent */
	int pidfd[MULT_MAX_NODES];	/* CLONE_PIDFD for instances of SELF */
	bool reaped[MULT_MAX_NODES];
	int req[MULT_MAX_NODES][2];
	int res[MULT_MAX_NODES][2];
	struct mult_shared *shm;
};

MULT_FN ssize_t mult_write_all(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

MULT_FN ssize_t mult_read_timeout(int fd, void *buf, size_t len,
				  long timeout_ms)
{
	long deadline = mult_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	for (;;) {
		long left = deadline - mult_now_ms();
		int r;

		if (left < 0) {
			errno = ETIMEDOUT;
			return -2;
		}
		r = poll(&pfd, 1, left);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0)
			break;
	}
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

static void __attribute__((unused))
mult_spawn_node(struct mult_tree *t, int j, bool by_test);

static void __attribute__((noreturn, unused))
mult_agent_main(struct mult_tree *t, int me)
{
	struct mult_res hello = { getpid(), 0 };
	int j, reqfd;

	for (j = 0; j < t->n; j++)
		if (t->spec[j].parent == me)
			mult_spawn_node(t, j, false);

	/* Keep only our own ends; drop handles inherited from the test. */
	for (j = 0; j < t->n; j++) {
		if (t->pidfd[j] >= 0)
			close(t->pidfd[j]);
		if (j == me)
			continue;
		close(t->req[j][0]);
		close(t->req[j][1]);
		close(t->res[j][0]);
		close(t->res[j][1]);
	}
	close(t->req[me][1]);
	close(t->res[me][0]);
	reqfd = dup2(t->req[me][0], MULT_AGENT_FD);
	if (reqfd < 0)
		reqfd = t->req[me][0];
	else if (t->req[me][0] != MULT_AGENT_FD)
		close(t->req[me][0]);

	mult_write_all(t->res[me][1], &hello, sizeof(hello));

	for (;;) {
		struct mult_req rq;
		struct mult_res rs;
		ssize_t n = read(reqfd, &rq, sizeof(rq));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(rq))
			break;
		errno = 0;
		rs.ret = rq.fn(rq.a, rq.b, rq.c);
		rs.err = errno;
		mult_write_all(t->res[me][1], &rs, sizeof(rs));
	}

	/* EOF: the test is done with us. Reap our children and leave. */
	close(reqfd);
	close(t->res[me][1]);
	alarm(5);
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
	_exit(0);
}

static void __attribute__((unused))
mult_spawn_node(struct mult_tree *t, int j, bool by_test)
{
	int pidfd = -1;
	pid_t pid;

	fflush(NULL);
	if (t->spec[j].kind == MULT_INST)
		pid = mult_instfork(by_test ? &pidfd : NULL);
	else
		pid = fork();
	if (pid < 0) {
		struct mult_res r = { -1, errno };

		mult_write_all(t->res[j][1], &r, sizeof(r));
		return;
	}
	if (pid == 0) {
		if (by_test)
			prctl(PR_SET_PDEATHSIG, SIGKILL);
		mult_agent_main(t, j);
	}
	t->shm->spawned[j] = pid;
	if (by_test)
		t->pidfd[j] = pidfd;
}

/*
 * Start the agents of spec[0..n-1]. Returns 0, or -1 after logging why
 * (creation refused, an agent did not report, pids disagree).
 */
MULT_FN int mult_tree_start(struct mult_tree *t, const struct mult_node *spec,
			    int n)
{
	int j, err = 0;

	memset(t, 0, sizeof(*t));
	if (n > MULT_MAX_NODES)
		return -1;
	t->n = n;
	memcpy(t->spec, spec, n * sizeof(*spec));
	for (j = 0; j < MULT_MAX_NODES; j++) {
		t->pidfd[j] = -1;
		t->req[j][0] = t->req[j][1] = -1;
		t->res[j][0] = t->res[j][1] = -1;
	}
	t->shm = mmap(NULL, sizeof(*t->shm), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t->shm == MAP_FAILED) {
		t->shm = NULL;
		return -1;
	}
	/* An agent that is gone must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	for (j = 0; j < n; j++) {
		if (pipe(t->req[j]) || pipe(t->res[j])) {
			mult_log("pipe: %s", strerror(errno));
			return -1;
		}
	}
	t->started = true;
	for (j = 0; j < n; j++)
		if (spec[j].parent == MULT_SELF)
			mult_spawn_node(t, j, true);
	for (j = 0; j < n; j++) {
		close(t->req[j][0]);
		close(t->res[j][1]);
		t->req[j][0] = t->res[j][1] = -1;
	}
	for (j = 0; j < n; j++) {
		struct mult_res hello;
		ssize_t r = mult_read_timeout(t->res[j][0], &hello,
					      sizeof(hello), MULT_TIMEOUT_MS);

		t->pid[j] = -1;
		if (r != sizeof(hello)) {
			mult_log("agent %s did not start (%zd)", spec[j].name, r);
			err = -1;
			continue;
		}
		if (hello.ret < 0) {
			mult_log("agent %s: %s failed: %s", spec[j].name,
				 spec[j].kind == MULT_INST ? "instfork" : "fork",
				 strerror(hello.err));
			err = -1;
			continue;
		}
		t->pid[j] = hello.ret;
		/* R3: pids are global, the creator's number is the child's. */
		if (t->shm->spawned[j] != t->pid[j]) {
			mult_log("agent %s: spawner got pid %d, agent says %d",
				 spec[j].name, t->shm->spawned[j], t->pid[j]);
			err = -1;
		}
	}
	return err;
}

MULT_FN pid_t mult_pid(const struct mult_tree *t, int node)
{
	return node == MULT_SELF ? getpid() : t->pid[node];
}

MULT_FN const char *mult_name(const struct mult_tree *t, int node)
{
	return node == MULT_SELF ? "creator" : t->spec[node].name;
}

/* Run fn(a, b, c) in agent `node` (or here, for MULT_SELF). */
MULT_FN struct mult_res mult_call(struct mult_tree *t, int node, mult_fn fn,
				  long a, long b, long c)
{
	struct mult_req rq = { fn, a, b, c };
	struct mult_res rs = { -1, -1 };
	ssize_t n;

	if (node == MULT_SELF) {
		errno = 0;
		rs.ret = fn(a, b, c);
		rs.err = errno;
		return rs;
	}
	if (t->req[node][1] < 0 ||
	    mult_write_all(t->req[node][1], &rq, sizeof(rq)) != sizeof(rq)) {
		mult_log("agent %s is gone", t->spec[node].name);
		return rs;
	}
	n = mult_read_timeout(t->res[node][0], &rs, sizeof(rs),
			      MULT_TIMEOUT_MS);
	if (n != sizeof(rs)) {
		mult_log("agent %s: no answer (%s)", t->spec[node].name,
			 n == -2 ? "timeout" : "gone");
		rs.ret = -1;
		rs.err = n == -2 ? -2 : -1;
	}
	return rs;
}

/* Send a request that does not answer (mult_op_exit). */
MULT_FN int mult_post(struct mult_tree *t, int node, mult_fn fn, long a,
		      long b, long c)
{
	struct mult_req rq = { fn, a, b, c };

	return mult_write_all(t->req[node][1], &rq, sizeof(rq)) ==
	       sizeof(rq) ? 0 : -1;
}

/*
 * Has agent `node` and everything that inherited its answer pipe (its
 * forks) exited? Waits up to timeout_ms for EOF on that pipe.
 */
MULT_FN bool mult_gone(struct mult_tree *t, int node, long timeout_ms)
{
	long deadline = mult_now_ms() + timeout_ms;

	for (;;) {
		char buf[sizeof(struct mult_res)];
		ssize_t n = mult_read_timeout(t->res[node][0], buf, sizeof(buf),
					      deadline - mult_now_ms());

		if (n == 0)
			return true;
		if (n < 0)
			return false;	/* timeout or error */
		/* an answer nobody waited for: keep draining */
	}
}

/* Wait for a node the test spawned itself; returns the wait status. */
MULT_FN int mult_reap(struct mult_tree *t, int node, long timeout_ms)
{
	int st = mult_waitpid(t->pid[node], timeout_ms);

	t->reaped[node] = true;
	return st;
}

/* Let every agent go (EOF) and reap what the test spawned. */
MULT_FN void mult_tree_stop(struct mult_tree *t)
{
	int j;

	if (!t->started)
		return;
	t->started = false;
	for (j = 0; j < t->n; j++) {
		if (t->req[j][1] >= 0)
			close(t->req[j][1]);
		t->req[j][1] = -1;
	}
	for (j = 0; j < t->n; j++)
		if (t->spec[j].parent == MULT_SELF && !t->reaped[j] &&
		    t->pid[j] > 0)
			mult_reap(t, j, MULT_TIMEOUT_MS);
	for (j = 0; j < t->n; j++) {
		if (t->res[j][0] >= 0)
			close(t->res[j][0]);
		if (t->pidfd[j] >= 0)
			close(t->pidfd[j]);
		t->res[j][0] = t->pidfd[j] = -1;
	}
	/* Anything adopted as a subreaper, once it has seen EOF too. */
	for (long deadline = mult_now_ms() + 2000;;) {
		pid_t r = waitpid(-1, NULL, WNOHANG | __WALL);

		if (r > 0)
			continue;
		if ((r < 0 && errno != EINTR) || mult_now_ms() > deadline)
			break;
		mult_sleep_ms(2);
	}
	if (t->shm)
		munmap(t->shm, sizeof(*t->shm));
	t->shm = NULL;
}

/* Poll an agent's catcher until it has seen `want` signals. */
MULT_FN int mult_wait_caught(struct mult_tree *t, int node, int want,
			     long timeout_ms)
{
	long deadline = mult_now_ms() + timeout_ms;
	struct mult_res r;

	for (;;) {
		r = mult_call(t, node, mult_op_caught, MULT_CAUGHT_COUNT, 0, 0);
		if (r.ret < 0 || r.ret >= want || mult_now_ms() > deadline)
			return r.ret;
		mult_sleep_ms(10);
	}
}

MULT_FN const char *mult_strerror(int err)
{
	if (err == -1)
		return "agent gone";
	if (err == -2)
		return "agent did not answer";
	return err ? strerror(err) : "no error";
}

/* A failed expectation: one line, the test fails and goes on. */
#define MULT_EXPECT(cond, fmt, ...)                                     \
	do {                                                            \
		if (!(cond)) {                                          \
			TH_LOG(fmt, ##__VA_ARGS__);                     \
			_metadata->exit_code = KSFT_FAIL;               \
		}                                                       \
	} while (0)

/*
 * Check a mult_res: want == 0 means success (ret >= 0), else ret -1 with
 * errno want. `what` is a printf format describing the call.
 */
#define EXPECT_RES(res, want, what, ...)                                \
	do {                                                            \
		struct mult_res __r = (res);                            \
		int __w = (want);                                       \
									\
		MULT_EXPECT(__w ? __r.ret == -1 && __r.err == __w       \
				: __r.ret >= 0,                         \
			    what ": returned %ld (errno %s), expected %s", \
			    ##__VA_ARGS__, __r.ret,                     \
			    mult_strerror(__r.ret < 0 ? __r.err : 0),   \
			    __w ? strerror(__w) : "success");           \
	} while (0)

#endif /* MULT_UTIL_H */
