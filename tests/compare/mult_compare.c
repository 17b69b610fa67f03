// SPDX-License-Identifier: GPL-2.0
/*
 * mult_compare: the leak matrix. The same visibility probes run against a
 * mult instance, pid namespaces (with the host's /proc, with their own, with
 * their own and hidepid=invisible), a Landlock domain scoped for signals and
 * abstract unix sockets, and a plain fork. Runs as root in the compare guest
 * (make compare); see tests/compare/README.md.
 *
 * For each variant the program (the *creator*) starts two long-lived agents:
 * an *outside* process (a plain fork, a sibling in the root) and an *inside*
 * process (the isolated side, made by the variant's mechanism). Each probe
 * is a few real syscalls run by one process (the prober) against another
 * (the target), in three directions:
 *
 *   in->out       the inside probes the outside sibling
 *   out->in       the outside sibling probes the inside
 *   creator->in   the creator probes the inside, its own child
 *
 * Targets are named by the numbers the creator knows them by (fork's and
 * clone3's return values): the only numbers a prober on either side could
 * have been told. One line per (variant, probe, direction) on stdout:
 *
 *   COMPARE {"variant":"pidns","probe":"kill0","dir":"in->out","result":"blocked","detail":"ESRCH"}
 *
 * result: "leaks" (the prober reached, learned or got something across the
 * boundary), "blocked" (the target looked absent or the access was refused:
 * the detail says which), "n/a" (the probe has no meaning in that direction,
 * or the variant cannot run on this kernel).
 *
 * The inside of clone3 variants is made with the raw syscall, which glibc
 * does not know about: agents use plain syscalls and stdio, never raise(),
 * abort() or threads.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/kcmp.h>
#include <linux/landlock.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/guest_prog.h"

#define UNPRIV_ID 65534 /* nobody: the inside of pidns-hidepid */
#define SIGQ_MAGIC 0x6d756c74
#define NFORKS 3	/* children a target forks for the last-pid observers */
#define NSLEEPERS 16	/* children it keeps alive for the process count */
#define NHELPERS NSLEEPERS
#define REPLY_TIMEOUT_MS 20000
#define SOCK_PATH "/tmp/mult-compare.sock"
#define ABSTRACT_NAME "mult-compare" /* bound as "\0mult-compare" */

enum role { ROLE_IN, ROLE_OUT, ROLE_CREATOR, NROLES };
enum dir { DIR_IN_OUT, DIR_OUT_IN, DIR_CREATOR_IN, NDIRS };
static const char *const dir_names[NDIRS] = { "in->out", "out->in", "creator->in" };
#define D_ALL ((1u << NDIRS) - 1)
#define D_IN (1u << DIR_IN_OUT)

enum result { R_BLOCKED, R_LEAKS, R_NA };
static const char *const result_names[] = { "blocked", "leaks", "n/a" };

enum op { OP_PRE, OP_PREPARE, OP_RUN, OP_AFTER, OP_EXIT };

/* One step of a probe: the orchestrator fills it, an agent (or the creator
 * itself) runs the step and sends it back. Fits a pipe write atomically. */
struct msg {
	int op, probe, peer; /* peer: the role at the other end of the probe */
	pid_t target;	     /* the target as the creator numbers it */
	long long v[4];	     /* values carried from one step to the next */
	int result;
	int err; /* the step failed for reasons of its own: not a result */
	char detail[96];
};

/* The process-wide state of an agent (and of the creator as a prober). */
static struct {
	int sock[NROLES]; /* our end of the socketpair toward each role, or -1 */
	int listener;
	pid_t helpers[NHELPERS];
} self = { .sock = { -1, -1, -1 }, .listener = -1 };

/* What the signal handlers saw; reset by each probe that looks at it. */
static volatile sig_atomic_t got_usr1, got_usr2, got_io;
static volatile sig_atomic_t usr1_pid, usr1_val;

/* Read by process_vm_readv across the boundary: every agent is a fork of
 * the creator, so the address is the same everywhere. */
static volatile long marker = 0x4d554c54;

static int internal_errors;

/* ---- small helpers --------------------------------------------------- */

static void set(struct msg *m, int result, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set(struct msg *m, int result, const char *fmt, ...)
{
	va_list ap;

	m->result = result;
	va_start(ap, fmt);
	vsnprintf(m->detail, sizeof m->detail, fmt, ap);
	va_end(ap);
}

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/* A failed call: the target is absent or the access refused. */
static void refused(struct msg *m, const char *call)
{
	int e = errno;

	if (call)
		set(m, R_BLOCKED, "%s: %s", call, ename(e));
	else
		set(m, R_BLOCKED, "%s", ename(e));
}

/* The step could not be carried out at all (no fd, no fork). */
static void broken(struct msg *m, const char *what)
{
	m->err = errno ? errno : EIO;
	set(m, R_NA, "%s: %s", what, ename(m->err));
}

/* A reply within REPLY_TIMEOUT_MS, or -ETIMEDOUT / -EPIPE. */
static int recv_reply(int fd, struct msg *m)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n;

	do
		n = poll(&pfd, 1, REPLY_TIMEOUT_MS);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return -ETIMEDOUT;
	if (n < 0)
		return -errno;
	return xfer(fd, m, sizeof *m, false);
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGUSR1) {
		usr1_pid = si->si_pid;
		usr1_val = si->si_value.sival_int;
		got_usr1++;
	} else if (sig == SIGUSR2) {
		got_usr2++;
	} else if (sig == SIGIO) {
		got_io++;
	}
}

static void reset_signals(void)
{
	got_usr1 = got_usr2 = got_io = 0;
	usr1_pid = usr1_val = 0;
}

/* The @field'th number (from 0) of the file at @path. */
static int read_field(const char *path, int field, long long *v)
{
	FILE *f = fopen(path, "re");
	int rc = -EIO;

	if (!f)
		return -errno;
	for (int i = 0; i < field; i++)
		if (fscanf(f, "%*s") != 0)
			break;
	if (fscanf(f, "%lld", v) == 1)
		rc = 0;
	fclose(f);
	return rc;
}

/* The last pid in /proc/loadavg ("0.00 0.00 0.00 1/52 1234"). */
static int read_loadavg_last(long long *v)
{
	return read_field("/proc/loadavg", 4, v);
}

static int read_ns_last_pid(long long *v)
{
	return read_field("/proc/sys/kernel/ns_last_pid", 0, v);
}

/* A field of a /proc/<pid>/status file: "PPid:", "NSpid:" (the last
 * number of the line); -ENOENT without it. */
static int status_field(const char *path, const char *key, long long *v)
{
	char line[256];
	size_t klen = strlen(key);
	FILE *f = fopen(path, "re");
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof line, f)) {
		char *p;

		if (strncmp(line, key, klen))
			continue;
		p = strrchr(line, '\t');
		if (!p)
			p = line + klen;
		*v = strtoll(p, NULL, 10);
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

/* ---- the probes -------------------------------------------------------
 *
 * Each probe has up to four steps: pre (prober, before the target acts),
 * prepare (target), run (prober: the access itself) and after (target:
 * cleanup, and for probes whose effect lands on the target, the verdict).
 * m->target is the target's pid as the creator numbers it; m->peer is the
 * role of the other party, for the socketpairs.
 */

static void run_kill0(struct msg *m)
{
	if (kill(m->target, 0) < 0)
		refused(m, NULL);
	else
		set(m, R_LEAKS, "signal 0 accepted");
}

static void prep_reset(struct msg *m)
{
	(void)m;
	reset_signals();
}

static void run_sigqueue(struct msg *m)
{
	union sigval val = { .sival_int = SIGQ_MAGIC };

	if (sigqueue(m->target, SIGUSR1, val) < 0)
		refused(m, NULL);
	else
		set(m, R_LEAKS, "queued");
}

static void after_sigqueue(struct msg *m)
{
	if (got_usr1 && usr1_val == SIGQ_MAGIC)
		set(m, R_LEAKS, "delivered, si_pid %d", (int)usr1_pid);
	else
		set(m, R_BLOCKED, "queued, not delivered");
}

/* The target makes a process group of its side: a child that leads its own
 * group and waits. v[0] = its pid as the target numbers it. */
static void prep_group(struct msg *m)
{
	int p[2];
	char c;
	pid_t g;

	if (pipe2(p, O_CLOEXEC) < 0)
		return broken(m, "pipe");
	g = fork();
	if (g < 0)
		return broken(m, "fork");
	if (g == 0) {
		setpgid(0, 0);
		(void)!write(p[1], "g", 1);
		for (;;)
			pause();
	}
	setpgid(g, g);
	close(p[1]);
	(void)!read(p[0], &c, 1);
	close(p[0]);
	self.helpers[0] = g;
	m->v[0] = g;
}

static void after_helpers(struct msg *m)
{
	int st;

	(void)m;
	for (int i = 0; i < NHELPERS; i++) {
		if (self.helpers[i] > 0) {
			kill(self.helpers[i], SIGKILL);
			wait_pid(self.helpers[i], &st);
		}
		self.helpers[i] = 0;
	}
}

/* v[1]: the group leader's pid as the creator numbers it. */
static void run_kill_pgrp(struct msg *m)
{
	if (kill(-(pid_t)m->v[1], 0) < 0)
		refused(m, NULL);
	else
		set(m, R_LEAKS, "group %lld: signal 0 accepted", m->v[1]);
}

/* kill(0): the prober's own process group, as inherited. */
static void run_group_signal(struct msg *m)
{
	if (kill(0, SIGUSR2) < 0)
		refused(m, NULL);
	else
		set(m, R_LEAKS, "sent");
}

static void after_group_signal(struct msg *m)
{
	if (got_usr2)
		set(m, R_LEAKS, "reached");
	else
		set(m, R_BLOCKED, "not reached");
}

static void run_pidfd_open(struct msg *m)
{
	int fd = syscall(SYS_pidfd_open, m->target, 0);

	if (fd < 0)
		return refused(m, NULL);
	close(fd);
	set(m, R_LEAKS, "pidfd");
}

static void run_pidfd_getfd(struct msg *m)
{
	int pfd = syscall(SYS_pidfd_open, m->target, 0), fd;

	if (pfd < 0)
		return refused(m, "pidfd_open");
	fd = syscall(SYS_pidfd_getfd, pfd, 0, 0);
	if (fd < 0) {
		refused(m, NULL);
	} else {
		set(m, R_LEAKS, "got the target's fd 0");
		close(fd);
	}
	close(pfd);
}

static void run_getpriority(struct msg *m)
{
	int prio;

	errno = 0;
	prio = getpriority(PRIO_PROCESS, m->target);
	if (prio == -1 && errno)
		refused(m, NULL);
	else
		set(m, R_LEAKS, "nice %d", prio);
}

static void run_sched_getaffinity(struct msg *m)
{
	cpu_set_t set_;

	if (sched_getaffinity(m->target, sizeof set_, &set_) < 0)
		refused(m, NULL);
	else
		set(m, R_LEAKS, "%d CPU(s)", CPU_COUNT(&set_));
}

static void run_waitid(struct msg *m)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	if (waitid(P_PID, m->target, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		refused(m, NULL);
	else
		set(m, R_LEAKS, "waitable");
}

/* F_SETOWN names the target; then I/O on the pipe sends it SIGIO. */
static void run_fsetown(struct msg *m)
{
	int p[2];

	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return broken(m, "pipe");
	if (fcntl(p[0], F_SETOWN, m->target) < 0) {
		refused(m, NULL);
	} else {
		set(m, R_LEAKS, "owner set");
		if (fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK) < 0 || write(p[1], "x", 1) != 1)
			broken(m, "O_ASYNC write");
	}
	close(p[0]);
	close(p[1]);
}

static void after_fsetown(struct msg *m)
{
	if (got_io)
		set(m, R_LEAKS, "owner set, SIGIO delivered");
	else
		set(m, R_BLOCKED, "owner set, SIGIO not delivered");
}

static void run_ptrace(struct msg *m)
{
	int st;

	if (ptrace(PTRACE_SEIZE, m->target, 0, 0) < 0)
		return refused(m, NULL);
	set(m, R_LEAKS, "seized");
	/* Stop it and let it go: a tracee is detached only from a stop. */
	if (ptrace(PTRACE_INTERRUPT, m->target, 0, 0) < 0 ||
	    waitpid(m->target, &st, __WALL) < 0 || ptrace(PTRACE_DETACH, m->target, 0, 0) < 0)
		broken(m, "interrupt and detach");
}

static void run_process_vm_readv(struct msg *m)
{
	long v = 0;
	struct iovec local = { &v, sizeof v }, remote = { (void *)&marker, sizeof v };
	ssize_t n = process_vm_readv(m->target, &local, 1, &remote, 1, 0);

	if (n < 0)
		refused(m, NULL);
	else
		set(m, R_LEAKS, "read %zd bytes%s", n, v == marker ? " (the marker)" : "");
}

static void run_kcmp(struct msg *m)
{
	long r = syscall(SYS_kcmp, getpid(), m->target, KCMP_VM, 0, 0);

	if (r < 0)
		refused(m, NULL);
	else
		set(m, R_LEAKS, "compared (%ld)", r);
}

static void run_proc_stat(struct msg *m)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof path, "/proc/%d", m->target);
	if (stat(path, &st) < 0)
		refused(m, NULL);
	else
		set(m, R_LEAKS, "exists, uid %u", st.st_uid);
}

static void run_proc_readdir(struct msg *m)
{
	char want[32];
	struct dirent *de;
	DIR *d = opendir("/proc");
	bool found = false;

	if (!d)
		return broken(m, "opendir /proc");
	snprintf(want, sizeof want, "%d", m->target);
	while ((de = readdir(d)))
		if (!strcmp(de->d_name, want))
			found = true;
	closedir(d);
	if (found)
		set(m, R_LEAKS, "listed");
	else
		set(m, R_BLOCKED, "not listed");
}

static void run_proc_environ(struct msg *m)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/environ", m->target);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return refused(m, NULL);
	n = read(fd, buf, sizeof buf);
	if (n < 0)
		refused(m, "read");
	else
		set(m, R_LEAKS, "read %zd bytes", n);
	close(fd);
}

/* SCM_RIGHTS over the socketpair made before the split: the target sends
 * an fd, the prober receives it (or not). */
static int send_cmsg(int sock, int level, int type, const void *data, size_t len)
{
	char byte = 'x';
	struct iovec iov = { &byte, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = CMSG_SPACE(len) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	memset(&u, 0, sizeof u);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
	return sendmsg(sock, &mh, MSG_DONTWAIT) < 0 ? -errno : 0;
}

/* One message from the socketpair; *fd the fd it carried or -1, *pid the
 * sender's pid from SCM_CREDENTIALS or -1, *flags msg_flags. */
static int recv_cmsg(int sock, int *fd, long long *pid, int *flags)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof u.buf };
	struct pollfd pfd = { .fd = sock, .events = POLLIN };

	*fd = -1;
	*pid = -1;
	/* The target sent before the prober was told to receive. */
	if (poll(&pfd, 1, 5000) <= 0)
		return -ETIMEDOUT;
	if (recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0)
		return -errno;
	*flags = mh.msg_flags;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof *fd);
		if (c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred uc;

			memcpy(&uc, CMSG_DATA(c), sizeof uc);
			*pid = uc.pid;
		}
	}
	return 0;
}

/* The target sends one message over the socketpair with an fd (SCM_RIGHTS)
 * or its credentials (SCM_CREDENTIALS); the prober receives it. */
static void prep_send(struct msg *m, int type)
{
	struct ucred uc = { .pid = getpid(), .uid = getuid(), .gid = getgid() };
	int fd = -1, rc;

	if (type == SCM_RIGHTS) {
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return broken(m, "open /dev/null");
		rc = send_cmsg(self.sock[m->peer], SOL_SOCKET, type, &fd, sizeof fd);
		close(fd);
	} else {
		rc = send_cmsg(self.sock[m->peer], SOL_SOCKET, type, &uc, sizeof uc);
	}
	if (rc < 0) {
		errno = -rc;
		broken(m, "sendmsg");
	}
}

static void run_recv(struct msg *m, int type)
{
	int fd, flags = 0, rc;
	long long pid;

	rc = recv_cmsg(self.sock[m->peer], &fd, &pid, &flags);
	if (rc < 0) {
		errno = -rc;
		return broken(m, "recvmsg");
	}
	if (fd >= 0)
		close(fd);
	if (type == SCM_RIGHTS) {
		if (fd >= 0)
			set(m, R_LEAKS, "fd received");
		else
			set(m, R_BLOCKED, "no fd%s", flags & MSG_CTRUNC ? ", MSG_CTRUNC" : "");
	} else if (pid > 0) {
		set(m, R_LEAKS, "sender pid %lld", pid);
	} else {
		set(m, R_BLOCKED, pid ? "no credentials" : "sender pid 0");
	}
}

static void prep_scm_rights(struct msg *m)
{
	prep_send(m, SCM_RIGHTS);
}

static void run_scm_rights(struct msg *m)
{
	run_recv(m, SCM_RIGHTS);
}

static void prep_scm_credentials(struct msg *m)
{
	prep_send(m, SCM_CREDENTIALS);
}

static void run_scm_credentials(struct msg *m)
{
	run_recv(m, SCM_CREDENTIALS);
}

/* A listening unix socket on the target's side: a path in /tmp (shared by
 * every variant's mount namespace) or an abstract name. */
static void prep_listen(struct msg *m, bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return broken(m, "socket");
	if (abstract) {
		memcpy(sa.sun_path + 1, ABSTRACT_NAME, strlen(ABSTRACT_NAME));
		len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(ABSTRACT_NAME);
	} else {
		strcpy(sa.sun_path, SOCK_PATH);
		unlink(SOCK_PATH);
		len = sizeof sa;
	}
	if (bind(s, (struct sockaddr *)&sa, len) < 0 ||
	    (!abstract && chmod(SOCK_PATH, 0666) < 0) || listen(s, 4) < 0) {
		broken(m, "bind/listen");
		close(s);
		return;
	}
	self.listener = s;
}

static void prep_listen_path(struct msg *m)
{
	prep_listen(m, false);
}

static void prep_listen_abstract(struct msg *m)
{
	prep_listen(m, true);
}

static void after_listen(struct msg *m)
{
	(void)m;
	if (self.listener >= 0)
		close(self.listener);
	self.listener = -1;
	unlink(SOCK_PATH);
}

static int connect_to(bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = sizeof sa;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -1;
	if (abstract) {
		memcpy(sa.sun_path + 1, ABSTRACT_NAME, strlen(ABSTRACT_NAME));
		len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(ABSTRACT_NAME);
	} else {
		strcpy(sa.sun_path, SOCK_PATH);
	}
	if (connect(s, (struct sockaddr *)&sa, len) < 0) {
		int e = errno;

		close(s);
		errno = e;
		return -1;
	}
	return s;
}

static void run_so_peercred(struct msg *m)
{
	struct ucred uc;
	socklen_t len = sizeof uc;
	int s = connect_to(false);

	if (s < 0)
		return refused(m, "connect");
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		refused(m, "SO_PEERCRED");
	else if (uc.pid)
		set(m, R_LEAKS, "peer pid %d", uc.pid);
	else
		set(m, R_BLOCKED, "peer pid 0");
	close(s);
}

static void run_abstract_unix(struct msg *m)
{
	int s = connect_to(true);

	if (s < 0)
		return refused(m, NULL);
	set(m, R_LEAKS, "connected");
	close(s);
}

/* The inside reads its creator's pid back (the creator is outside). */
static void run_getppid(struct msg *m)
{
	pid_t p = getppid();

	if (p)
		set(m, R_LEAKS, "ppid %d", p);
	else
		set(m, R_BLOCKED, "ppid 0");
}

static void run_status_ppid(struct msg *m)
{
	long long p;
	int rc = status_field("/proc/self/status", "PPid:", &p);

	if (rc < 0) {
		errno = -rc;
		return broken(m, "/proc/self/status");
	}
	if (p)
		set(m, R_LEAKS, "PPid %lld", p);
	else
		set(m, R_BLOCKED, "PPid 0");
}

/* Global observers: the prober reads a counter, the target forks (and
 * reaps) NFORKS children or keeps NSLEEPERS alive, the prober reads again.
 * v[0] before, v[1] after. */
static void observe(struct msg *m, int (*reader)(long long *), int slot)
{
	int rc = reader(&m->v[slot]);

	if (rc < 0) {
		errno = -rc;
		broken(m, "read");
	}
}

static void prep_forks(struct msg *m)
{
	for (int i = 0; i < NFORKS; i++) {
		pid_t c = fork();
		int st;

		if (c < 0)
			return broken(m, "fork");
		if (c == 0)
			_exit(0);
		wait_pid(c, &st);
		m->v[2] = c;
	}
}

/* Moved by at least @min: the target's activity shows. */
static void verdict_moved(struct msg *m, const char *what, long long min)
{
	long long d = m->v[1] - m->v[0];

	if (d >= min)
		set(m, R_LEAKS, "%s %lld -> %lld", what, m->v[0], m->v[1]);
	else
		set(m, R_BLOCKED, "%s %lld -> %lld", what, m->v[0], m->v[1]);
}

static void pre_loadavg(struct msg *m)
{
	observe(m, read_loadavg_last, 0);
}

static void run_loadavg(struct msg *m)
{
	observe(m, read_loadavg_last, 1);
	if (!m->err)
		verdict_moved(m, "last pid", NFORKS);
}

static void pre_ns_last_pid(struct msg *m)
{
	observe(m, read_ns_last_pid, 0);
}

static void run_ns_last_pid(struct msg *m)
{
	observe(m, read_ns_last_pid, 1);
	if (!m->err)
		verdict_moved(m, "ns_last_pid", NFORKS);
}

static int read_procs(long long *v)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return -errno;
	*v = si.procs;
	return 0;
}

static void pre_sysinfo(struct msg *m)
{
	observe(m, read_procs, 0);
}

/* The target keeps NSLEEPERS children alive while the prober counts
 * (half of them is the verdict's bar: other processes come and go). */
static void prep_sleepers(struct msg *m)
{
	for (int i = 0; i < NSLEEPERS; i++) {
		pid_t c = fork();

		if (c < 0)
			return broken(m, "fork");
		if (c == 0)
			for (;;)
				pause();
		self.helpers[i] = c;
	}
}

static void run_sysinfo(struct msg *m)
{
	observe(m, read_procs, 1);
	if (!m->err)
		verdict_moved(m, "procs", NSLEEPERS / 2);
}

struct probe {
	const char *name;
	unsigned dirs; /* directions where the probe means something */
	void (*pre)(struct msg *m);
	void (*prepare)(struct msg *m);
	void (*run)(struct msg *m);
	void (*after)(struct msg *m);
	bool settles;	/* after() decides when run() got through */
	bool translate; /* v[0] from prepare is a pid to name in the creator's numbers */
};

static const struct probe probes[] = {
	{ "kill0", D_ALL, NULL, NULL, run_kill0, NULL, false, false },
	{ "sigqueue", D_ALL, NULL, prep_reset, run_sigqueue, after_sigqueue, true, false },
	{ "kill_pgrp", D_ALL, NULL, prep_group, run_kill_pgrp, after_helpers, false, true },
	{ "group_signal", D_ALL, NULL, prep_reset, run_group_signal, after_group_signal, true, false },
	{ "fsetown", D_ALL, NULL, prep_reset, run_fsetown, after_fsetown, true, false },
	{ "pidfd_open", D_ALL, NULL, NULL, run_pidfd_open, NULL, false, false },
	{ "pidfd_getfd", D_ALL, NULL, NULL, run_pidfd_getfd, NULL, false, false },
	{ "getpriority", D_ALL, NULL, NULL, run_getpriority, NULL, false, false },
	{ "sched_getaffinity", D_ALL, NULL, NULL, run_sched_getaffinity, NULL, false, false },
	{ "waitid", D_ALL, NULL, NULL, run_waitid, NULL, false, false },
	{ "ptrace_seize", D_ALL, NULL, NULL, run_ptrace, NULL, false, false },
	{ "process_vm_readv", D_ALL, NULL, NULL, run_process_vm_readv, NULL, false, false },
	{ "kcmp", D_ALL, NULL, NULL, run_kcmp, NULL, false, false },
	{ "proc_stat", D_ALL, NULL, NULL, run_proc_stat, NULL, false, false },
	{ "proc_readdir", D_ALL, NULL, NULL, run_proc_readdir, NULL, false, false },
	{ "proc_environ", D_ALL, NULL, NULL, run_proc_environ, NULL, false, false },
	{ "scm_rights", D_ALL, NULL, prep_scm_rights, run_scm_rights, NULL, false, false },
	{ "scm_credentials", D_ALL, NULL, prep_scm_credentials, run_scm_credentials, NULL, false, false },
	{ "so_peercred", D_ALL, NULL, prep_listen_path, run_so_peercred, after_listen, false, false },
	{ "abstract_unix", D_ALL, NULL, prep_listen_abstract, run_abstract_unix, after_listen, false, false },
	{ "getppid", D_IN, NULL, NULL, run_getppid, NULL, false, false },
	{ "status_ppid", D_IN, NULL, NULL, run_status_ppid, NULL, false, false },
	{ "loadavg_last_pid", D_ALL, pre_loadavg, prep_forks, run_loadavg, NULL, false, false },
	{ "ns_last_pid", D_ALL, pre_ns_last_pid, prep_forks, run_ns_last_pid, NULL, false, false },
	{ "sysinfo_procs", D_ALL, pre_sysinfo, prep_sleepers, run_sysinfo, after_helpers, false, false },
};
#define NPROBES ((int)(sizeof probes / sizeof probes[0]))

/* Run one step here (agents, and the creator as a prober). */
static void step(struct msg *m)
{
	const struct probe *p = &probes[m->probe];
	void (*fn)(struct msg *) = m->op == OP_PRE	   ? p->pre :
				   m->op == OP_PREPARE ? p->prepare :
				   m->op == OP_RUN     ? p->run :
							 p->after;

	m->err = 0;
	errno = 0;
	if (fn)
		fn(m);
}

/* ---- agents ------------------------------------------------------------ */

static _Noreturn void agent_loop(int cmd, int reply)
{
	struct msg m;

	for (;;) {
		if (xfer(cmd, &m, sizeof m, false) < 0 || m.op == OP_EXIT)
			_exit(0);
		step(&m);
		if (xfer(reply, &m, sizeof m, true) < 0)
			_exit(1);
	}
}

/* ---- variants ---------------------------------------------------------- */

enum proc_mount { PROC_HOST, PROC_OWN, PROC_HIDEPID };

struct variant {
	const char *name;
	bool clone;	      /* the inside is made by clone3 with flags */
	uint64_t flags;
	enum proc_mount proc; /* which /proc the inside sees */
	bool unpriv;	      /* the inside drops to uid/gid UNPRIV_ID */
	bool landlock;	      /* the inside restricts itself (ABI 6 scopes) */
};

static const struct variant variants[] = {
	{ "mult", true, CLONE_NEWINST, PROC_HOST, false, false },
	{ "pidns", true, CLONE_NEWPID, PROC_HOST, false, false },
	{ "pidns-proc", true, CLONE_NEWPID | CLONE_NEWNS, PROC_OWN, false, false },
	{ "pidns-hidepid", true, CLONE_NEWPID | CLONE_NEWNS, PROC_HIDEPID, true, false },
	{ "landlock", false, 0, PROC_HOST, false, true },
	{ "none", false, 0, PROC_HOST, false, false },
};
#define NVARIANTS ((int)(sizeof variants / sizeof variants[0]))

static int landlock_abi(void)
{
	return syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
}

/* The inside's own set-up, in the child: 0 or an errno. */
static int inside_setup(const struct variant *v, const char **what)
{
	if (v->proc != PROC_HOST) {
		*what = "mount /proc";
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  v->proc == PROC_HIDEPID ? "hidepid=invisible" : NULL) < 0)
			return errno;
	}
	if (v->unpriv) {
		*what = "drop to uid 65534";
		if (setgroups(0, NULL) < 0 || setgid(UNPRIV_ID) < 0 || setuid(UNPRIV_ID) < 0)
			return errno;
		/* As after an execve of an unprivileged program: the uid change
		 * made us undumpable, which would hide /proc files from ourselves. */
		prctl(PR_SET_DUMPABLE, 1);
	}
	if (v->landlock) {
		struct landlock_ruleset_attr attr = {
			.scoped = LANDLOCK_SCOPE_SIGNAL | LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET,
		};
		int fd;

		*what = "landlock";
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return errno;
		fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
		if (fd < 0)
			return errno;
		if (syscall(SYS_landlock_restrict_self, fd, 0) < 0)
			return errno;
		close(fd);
	}
	return 0;
}

struct run {
	const struct variant *v;
	pid_t pid[NROLES];	     /* as the creator numbers them */
	int cmd[2], rep[2];	     /* the creator's ends of the agents' pipes */
};

static void emit(const char *variant, const char *probe, int dir, int result, const char *detail)
{
	printf("COMPARE {\"variant\":\"%s\",\"probe\":\"%s\",\"dir\":\"%s\",\"result\":\"%s\",\"detail\":\"",
	       variant, probe, dir_names[dir], result_names[result]);
	for (const char *c = detail; *c; c++)
		printf(*c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
	printf("\"}\n");
	fflush(stdout);
}

/* One step in @role: here for the creator, else by its agent. */
static int call(struct run *r, int role, int op, struct msg *m)
{
	int rc;

	m->op = op;
	if (role == ROLE_CREATOR) {
		step(m);
		return 0;
	}
	rc = xfer(r->cmd[role], m, sizeof *m, true);
	if (!rc)
		rc = recv_reply(r->rep[role], m);
	if (rc < 0) {
		say("ERROR: %s: the %s agent did not answer (%s)", r->v->name,
		    role == ROLE_IN ? "inside" : "outside", strerror(-rc));
		internal_errors++;
	}
	return rc;
}

/* The pid, as the creator numbers it, of the child @local (as its parent
 * numbers it) of @parent: the creator's /proc has it when the parent's
 * numbers are not the creator's (a pid namespace). When the creator cannot
 * see that child at all, the number is the same everywhere. */
static pid_t creator_pid_of_child(pid_t parent, pid_t local)
{
	char path[300];
	struct dirent *de;
	DIR *d = opendir("/proc");
	pid_t found = local;

	if (!d)
		return local;
	while ((de = readdir(d))) {
		long long ppid, nspid;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/status", de->d_name);
		if (status_field(path, "PPid:", &ppid) == 0 && ppid == parent &&
		    status_field(path, "NSpid:", &nspid) == 0 && nspid == local) {
			found = atoi(de->d_name);
			break;
		}
	}
	closedir(d);
	return found;
}

static void run_probe(struct run *r, int pi, int dir)
{
	const struct probe *p = &probes[pi];
	int prober = dir == DIR_IN_OUT ? ROLE_IN : dir == DIR_OUT_IN ? ROLE_OUT : ROLE_CREATOR;
	int target = dir == DIR_IN_OUT ? ROLE_OUT : ROLE_IN;
	struct msg m, a;

	if (!(p->dirs & (1u << dir))) {
		emit(r->v->name, p->name, dir, R_NA, "one-sided probe");
		return;
	}
	memset(&m, 0, sizeof m);
	m.probe = pi;
	m.target = r->pid[target];
	m.peer = target;
	if (p->pre && (call(r, prober, OP_PRE, &m) < 0 || m.err))
		goto broken;
	m.peer = prober;
	if (p->prepare && (call(r, target, OP_PREPARE, &m) < 0 || m.err))
		goto broken;
	if (p->translate)
		m.v[1] = creator_pid_of_child(r->pid[target], m.v[0]);
	m.peer = target;
	if (call(r, prober, OP_RUN, &m) < 0)
		goto broken;
	a = m;
	if (p->after) {
		a.peer = prober;
		if (call(r, target, OP_AFTER, &a) < 0)
			goto broken;
		if (p->settles && m.result == R_LEAKS && !m.err)
			m = a;
	}
	if (m.err)
		goto broken;
	emit(r->v->name, p->name, dir, m.result, m.detail);
	return;
broken:
	internal_errors++;
	say("ERROR: %s/%s/%s: %s", r->v->name, p->name, dir_names[dir], m.detail);
	emit(r->v->name, p->name, dir, R_NA, m.detail[0] ? m.detail : "probe failed");
	if (p->after)
		call(r, target, OP_AFTER, &m);
}

static void emit_all_na(const struct variant *v, const char *why)
{
	for (int pi = 0; pi < NPROBES; pi++)
		for (int dir = 0; dir < NDIRS; dir++)
			emit(v->name, probes[pi].name, dir, R_NA, why);
}

/* The creator's ends of the agents' pipes, and the agents' own. */
struct pipes {
	int cmd[2], rep[2]; /* cmd: creator -> agent, rep: agent -> creator */
};

static void close_pipes(struct pipes *p)
{
	for (int i = 0; i < 2; i++) {
		close(p->cmd[i]);
		close(p->rep[i]);
	}
}

/* Start the two agents of @v; the creator keeps its socketpair end to the
 * inside in self.sock[ROLE_IN]. 0, or an errno with @why set. */
static int start(struct run *r, const struct variant *v, char *why, size_t whylen)
{
	struct pipes pp[2];
	int io[2], ic[2], one = 1, e, rc;
	struct msg ready;
	pid_t pid;

	memset(r, 0, sizeof *r);
	r->v = v;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, io) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ic) < 0 ||
	    pipe2(pp[ROLE_IN].cmd, O_CLOEXEC) < 0 || pipe2(pp[ROLE_IN].rep, O_CLOEXEC) < 0 ||
	    pipe2(pp[ROLE_OUT].cmd, O_CLOEXEC) < 0 || pipe2(pp[ROLE_OUT].rep, O_CLOEXEC) < 0) {
		e = errno;
		snprintf(why, whylen, "socketpair/pipe: %s", ename(e));
		return e;
	}
	/* Every end passes credentials, whoever reads it. */
	for (int i = 0; i < 2; i++) {
		setsockopt(io[i], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
		setsockopt(ic[i], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
	}
	for (int role = ROLE_IN; role <= ROLE_OUT; role++) {
		r->cmd[role] = pp[role].cmd[1];
		r->rep[role] = pp[role].rep[0];
	}

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		self.sock[ROLE_IN] = io[1];
		close(io[0]);
		close(ic[0]);
		close(ic[1]);
		close_pipes(&pp[ROLE_IN]);
		agent_loop(pp[ROLE_OUT].cmd[0], pp[ROLE_OUT].rep[1]);
	}
	if (pid > 0) {
		r->pid[ROLE_OUT] = pid;
		fflush(stdout);
		pid = v->clone ? raw_clone3(v->flags, NULL) : fork();
	}
	if (pid == 0) {
		const char *what = "";

		self.sock[ROLE_OUT] = io[0];
		self.sock[ROLE_CREATOR] = ic[0];
		close(io[1]);
		close(ic[1]);
		close_pipes(&pp[ROLE_OUT]);
		memset(&ready, 0, sizeof ready);
		ready.err = inside_setup(v, &what);
		if (ready.err)
			snprintf(ready.detail, sizeof ready.detail, "%s: %s", what, ename(ready.err));
		if (xfer(pp[ROLE_IN].rep[1], &ready, sizeof ready, true) < 0 || ready.err)
			_exit(1);
		agent_loop(pp[ROLE_IN].cmd[0], pp[ROLE_IN].rep[1]);
	}
	e = errno;
	if (pid > 0)
		r->pid[ROLE_IN] = pid;
	self.sock[ROLE_IN] = ic[1];
	close(io[0]);
	close(io[1]);
	close(ic[0]);
	for (int role = ROLE_IN; role <= ROLE_OUT; role++) {
		close(pp[role].cmd[0]);
		close(pp[role].rep[1]);
	}
	if (pid < 0) {
		snprintf(why, whylen, "%s: %s", r->pid[ROLE_OUT] && v->clone ? "clone3" : "fork", ename(e));
		return e;
	}
	rc = recv_reply(r->rep[ROLE_IN], &ready);
	if (rc < 0 || ready.err) {
		snprintf(why, whylen, "%s", rc < 0 ? "the inside did not start" : ready.detail);
		return rc < 0 ? -rc : ready.err;
	}
	return 0;
}

/* End the agents (the inside first: in a pid namespace it is init). */
static void stop(struct run *r, bool started)
{
	struct msg m = { .op = OP_EXIT };
	int st;

	for (int role = ROLE_IN; role <= ROLE_OUT; role++) {
		if (r->pid[role] && xfer(r->cmd[role], &m, sizeof m, true) < 0)
			kill(r->pid[role], SIGKILL);
		close(r->cmd[role]);
		close(r->rep[role]);
		if (r->pid[role] && wait_pid(r->pid[role], &st) == 0 && started &&
		    !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			say("ERROR: %s: the %s agent ended with status 0x%x", r->v->name,
			    role == ROLE_IN ? "inside" : "outside", st);
			internal_errors++;
		}
	}
	if (self.sock[ROLE_IN] >= 0)
		close(self.sock[ROLE_IN]);
	self.sock[ROLE_IN] = -1;
}

static void describe(const struct run *r)
{
	long long ns = 0;
	char path[64];

	snprintf(path, sizeof path, "/proc/%d/status", r->pid[ROLE_IN]);
	status_field(path, "NSpid:", &ns);
	say("%s: creator %d, outside %d, inside %d (its own number for itself: %lld)", r->v->name,
	    getpid(), r->pid[ROLE_OUT], r->pid[ROLE_IN], ns);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
	const char *only = argc > 1 ? argv[1] : NULL;
	struct utsname u;
	int abi = landlock_abi();

	if (argc > 2 || (only && !strcmp(only, "--help"))) {
		fprintf(stderr, "usage: mult_compare [VARIANT]\n");
		return 2;
	}
	/* Every process of our group handles the signals the probes send: a
	 * group signal from a prober reaches the creator and the outside too. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGIO, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Our own process group, so that kill(0) from a prober reaches only us
	 * and never the guest's runner. */
	if (setpgid(0, 0) < 0) {
		perror("setpgid");
		return 1;
	}
	uname(&u);
	printf("COMPARE-META {\"kernel\":\"%s\",\"landlock_abi\":%d,\"unpriv_uid\":%d,\"probes\":%d,\"variants\":%d}\n",
	       u.release, abi, UNPRIV_ID, NPROBES, NVARIANTS);
	say("mult_compare: %d probes, %d directions, on Linux %s (Landlock ABI %d)", NPROBES, NDIRS,
	    u.release, abi);

	for (int vi = 0; vi < NVARIANTS; vi++) {
		const struct variant *v = &variants[vi];
		char why[96] = "";
		struct run r;

		if (only && strcmp(only, v->name))
			continue;
		if (v->landlock && abi < 6) {
			snprintf(why, sizeof why, "Landlock ABI %d (< 6: no signal scoping)", abi);
			say("%s: not run: %s", v->name, why);
			emit_all_na(v, why);
			continue;
		}
		if (start(&r, v, why, sizeof why)) {
			say("%s: not run: %s", v->name, why);
			emit_all_na(v, why);
			stop(&r, false);
			/* CLONE_NEWINST on a kernel without mult: a result, not a failure. */
			if (!(v->clone && (v->flags & CLONE_NEWINST)))
				internal_errors++;
			continue;
		}
		describe(&r);
		for (int pi = 0; pi < NPROBES; pi++)
			for (int dir = 0; dir < NDIRS; dir++)
				run_probe(&r, pi, dir);
		stop(&r, true);
	}
	say("mult_compare: done, %d internal error(s)", internal_errors);
	return internal_errors ? 1 : 0;
}
