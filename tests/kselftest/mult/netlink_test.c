// SPDX-License-Identifier: GPL-2.0
/*
 * The management module (kernel/module, mult_mgmt.ko) over generic
 * netlink: every operation's success path, the permission checks (an
 * unprivileged user, a root without CAP_SYS_ADMIN in the initial user
 * namespace, a member of an instance), malformed requests with their errno
 * and extended ack, instances named by pidfd, enter (the armed caller's
 * next clone3(CLONE_NEWINST) child joins the instance), kill racing a fork
 * bomb, the events group, and unload and reload of the module with live
 * instances.
 *
 * The test loads /lib/modules/mult_mgmt.ko itself (finit_module) and fails,
 * never skips, when it is missing. Run as root in the root instance; it
 * expects no other instance to be alive when it starts.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "mult_nl.h"

/*
 * kselftest_harness.h (included by mult_util.h) is not -Wextra clean:
 * unused parameters in TEST_F() and, at -O2, -Wclobbered on its
 * setjmp()-kept variables.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "mult_util.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define MODULE_PATH "/lib/modules/mult_mgmt.ko"
#define MODULE_NAME "mult_mgmt"
#define NR_INSTANCES "/proc/sys/kernel/mult/nr_instances"
#define SETTLE_MS 15000

struct clone_args_v0 {
	__u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		 stack_size, tls;
};

/* Checks in a child process: log, exit with the line number. */
#define CHILD_CHECK(cond)                                                  \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "# %s:%d: child check failed: %s (errno %d)\n", \
				__FILE__, __LINE__, #cond, errno);         \
			_exit(__LINE__ & 0xff ? __LINE__ & 0xff : 1);      \
		}                                                          \
	} while (0)

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static __u64 boottime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_BOOTTIME, &t);
	return (__u64)t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

static int read_int(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY), n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoi(buf) : -1;
}

/* Reap a child: its wait status, or -1. */
static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* Wait until kernel.mult.nr_instances reads @want; the value last read. */
static int wait_nr_instances(int want, int ms)
{
	long end = now_ms() + ms;
	int v;

	while ((v = read_int(NR_INSTANCES)) != want && now_ms() < end)
		sleep_ms(20);
	return v;
}

/* The module */

static int module_load(void)
{
	int fd = open(MODULE_PATH, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	if (ret && errno == EEXIST)
		ret = 0;
	return ret;
}

static int module_unload(void)
{
	long end = now_ms() + 10000;
	int ret;

	while ((ret = syscall(SYS_delete_module, MODULE_NAME, O_NONBLOCK)) &&
	       (errno == EAGAIN || errno == EBUSY) && now_ms() < end)
		sleep_ms(50);
	return ret;
}

/* Instances started by the test */

#define MAX_KIDS 4

#define MAX_SEE 3

/*
 * What the first process of a test instance does. After `enter` the same
 * clone3() makes a process that joins the instance instead (inst_start()
 * is the same call either way); it does the same.
 */
struct inst_cfg {
	int children;		/* children that sleep until released */
	int threads;		/* extra threads (0 or 1) */
	bool nested;		/* start a nested instance too */
	int bombs;		/* fork-bomb workers (kill race) */
	bool orphan;		/* fork a child that forks and exits at once */
	pid_t see[MAX_SEE];	/* pids to look at with kill(pid, 0) */
	int exit_code;		/* when released */
	const char *comm;
};

/* Reported by the first process when everything is in place. */
struct inst_ready {
	pid_t first;
	pid_t thread;
	pid_t kids[MAX_KIDS];
	pid_t nested;
	/* Its view from inside. */
	pid_t ppid, sid, pgrp;
	int subreaper;		/* PR_GET_CHILD_SUBREAPER */
	int tty;		/* open("/dev/tty"): 0 or the errno */
	int see[MAX_SEE];	/* kill(cfg->see[i], 0): 0 or the errno */
	pid_t orphan;		/* the grandchild left behind (cfg->orphan) */
	long orphan_ppid;	/* its parent once its own parent exited */
};

struct inst {
	pid_t pid;
	int pidfd;
	int release;		/* write end: closing it lets the instance end */
	struct inst_ready r;
};

static int release_fd, sync_fd;

/* Close every descriptor but stdio and @a, @b: nothing else crosses. */
static void close_others(int a, int b)
{
	for (int fd = 3; fd < 1024; fd++)
		if (fd != a && fd != b)
			close(fd);
}

static void wait_release(void)
{
	char c;

	while (read(release_fd, &c, 1) != 0 && errno == EINTR)
		;
}

static void *thread_fn(void *arg)
{
	pid_t *tid = arg;

	prctl(PR_SET_NAME, "nlt-thread");
	__atomic_store_n(tid, gettid(), __ATOMIC_SEQ_CST);
	for (;;)
		pause();
	return NULL;
}

static int bomb_worker(void)
{
	struct rlimit rl = { 40, 40 };

	/* Bounded: RLIMIT_NPROC holds for a user without capabilities. */
	if (setrlimit(RLIMIT_NPROC, &rl) || setresgid(4242, 4242, 4242) ||
	    setresuid(4242, 4242, 4242))
		return 1;
	for (;;) {
		pid_t p = fork();

		if (p > 0 && (p & 1))
			_exit(0);	/* churn: half the parents leave */
		if (p < 0)
			sched_yield();
	}
}

/* open("/dev/tty"): 0, or the errno (ENXIO: no controlling terminal). */
static int tty_errno(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/*
 * Fork a child that forks a grandchild (which sleeps until released) and
 * exits; reap the child. The grandchild's pid, or -1.
 */
static pid_t leave_orphan(void)
{
	pid_t child, orphan = -1;
	int p[2], st;

	if (pipe(p))
		return -1;
	child = fork();
	if (!child) {
		pid_t gc = fork();

		if (!gc) {
			prctl(PR_SET_NAME, "nlt-orphan");
			wait_release();
			_exit(0);
		}
		_exit(write(p[1], &gc, sizeof(gc)) == sizeof(gc) ? 0 : 1);
	}
	close(p[1]);
	if (child > 0 && (read(p[0], &orphan, sizeof(orphan)) != sizeof(orphan) ||
			  waitpid(child, &st, 0) != child || st))
		orphan = -1;
	close(p[0]);
	return orphan;
}

static int first_main(const struct inst_cfg *cfg)
{
	struct inst_ready r = { .first = getpid() };
	int sync[2], st;
	char c;

	prctl(PR_SET_NAME, cfg->comm ? cfg->comm : "nlt-first");
	if (pipe(sync))
		return 100;
	if (cfg->bombs)
		signal(SIGCHLD, SIG_IGN);	/* orphans reaped as they come */
	for (int i = 0; i < cfg->children && i < MAX_KIDS; i++) {
		r.kids[i] = fork();
		if (r.kids[i] < 0)
			return 101;
		if (!r.kids[i]) {
			prctl(PR_SET_NAME, "nlt-child");
			if (write(sync[1], "k", 1) != 1)
				_exit(102);
			wait_release();
			_exit(0);
		}
	}
	for (int i = 0; i < cfg->children; i++)
		if (read(sync[0], &c, 1) != 1)
			return 103;
	for (int i = 0; i < cfg->bombs; i++) {
		pid_t p = fork();

		if (p < 0)
			return 104;
		if (!p)
			_exit(bomb_worker());
	}
	if (cfg->threads) {
		pthread_t t;

		if (pthread_create(&t, NULL, thread_fn, &r.thread))
			return 105;
		while (!__atomic_load_n(&r.thread, __ATOMIC_SEQ_CST))
			sched_yield();
	}
	if (cfg->nested) {
		struct clone_args_v0 args = {
			.flags = CLONE_NEWINST,
			.exit_signal = SIGCHLD,
		};

		r.nested = syscall(SYS_clone3, &args, sizeof(args));
		if (r.nested < 0)
			return 106;
		if (!r.nested) {
			prctl(PR_SET_NAME, "nlt-nested");
			wait_release();
			_exit(0);
		}
	}
	if (cfg->orphan) {
		r.orphan = leave_orphan();
		if (r.orphan < 0)
			return 108;
		r.orphan_ppid = mult_stat_ppid(r.orphan);
	}
	r.ppid = getppid();
	r.sid = getsid(0);
	r.pgrp = getpgrp();
	r.subreaper = -1;
	prctl(PR_GET_CHILD_SUBREAPER, &r.subreaper);
	r.tty = tty_errno();
	for (int i = 0; i < MAX_SEE; i++)
		if (cfg->see[i])
			r.see[i] = kill(cfg->see[i], 0) ? errno : 0;
	if (write(sync_fd, &r, sizeof(r)) != sizeof(r))
		return 107;
	wait_release();
	/* The orphan is ours to reap. */
	if (cfg->orphan && (waitpid(r.orphan, &st, 0) != r.orphan || st))
		return 109;
	return cfg->exit_code;
}

/* Start an instance; 0, or -1 with errno. */
static int inst_start(struct inst *in, const struct inst_cfg *cfg)
{
	struct clone_args_v0 args = {
		.flags = CLONE_NEWINST | CLONE_PIDFD,
		.exit_signal = SIGCHLD,
	};
	int rel[2], rdy[2];
	ssize_t n;

	memset(in, 0, sizeof(*in));
	if (pipe(rel))
		return -1;
	if (pipe(rdy)) {
		close(rel[0]);
		close(rel[1]);
		return -1;
	}
	args.pidfd = (uintptr_t)&in->pidfd;
	fflush(NULL);
	in->pid = syscall(SYS_clone3, &args, sizeof(args));
	if (in->pid == 0) {
		release_fd = rel[0];
		sync_fd = rdy[1];
		close_others(release_fd, sync_fd);
		_exit(first_main(cfg));
	}
	close(rel[0]);
	close(rdy[1]);
	if (in->pid < 0) {
		close(rel[1]);
		close(rdy[0]);
		return -1;
	}
	in->release = rel[1];
	n = read(rdy[0], &in->r, sizeof(in->r));
	close(rdy[0]);
	if (n != sizeof(in->r)) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* Let the instance end; its wait status, or -1. */
static int inst_stop(struct inst *in)
{
	siginfo_t si = {};

	if (in->release > 0)
		close(in->release);
	in->release = -1;
	if (in->pidfd <= 0)
		return -1;
	if (waitid((idtype_t)P_PIDFD, in->pidfd, &si, WEXITED))
		return -1;
	close(in->pidfd);
	in->pidfd = -1;
	return si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 :
	       si.si_status & 0x7f;
}

/* Wait for the first process to end, without reaping it: 0, or -1. */
static int inst_wait_exit(struct inst *in, int ms)
{
	struct pollfd p = { .fd = in->pidfd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 ? 0 : -1;
}

/* Wait for the first process to end, reap it, keep the pidfd. */
static int inst_reap(struct inst *in, int ms)
{
	siginfo_t si = {};

	if (inst_wait_exit(in, ms))
		return -1;
	if (waitid((idtype_t)P_PIDFD, in->pidfd, &si, WEXITED))
		return -1;
	return si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 :
	       si.si_status & 0x7f;
}

/* Requests */

/* One instance of a list dump. */
struct ent {
	long long id, parent, depth, first, nproc, nthr, status;
	bool has_first, has_status;
	__u64 start;
	char name[64];
};

#define MAX_ENTS 512

/* One instance of a list or get reply: 0, or -1 if an attribute is missing. */
static int parse_ent(const struct nlmsghdr *nlh, struct ent *x)
{
	const struct nlattr *tb[MULT_A_INSTANCE_MAX + 1];

	mnl_parse(nlh, tb, MULT_A_INSTANCE_MAX);
	memset(x, 0, sizeof(*x));
	if (!tb[MULT_A_INSTANCE_ID] || !tb[MULT_A_INSTANCE_PARENT_ID] ||
	    !tb[MULT_A_INSTANCE_DEPTH] || !tb[MULT_A_INSTANCE_NR_PROCESSES] ||
	    !tb[MULT_A_INSTANCE_NR_THREADS] || !tb[MULT_A_INSTANCE_START_TIME]) {
		fprintf(stderr, "# instance: attribute missing\n");
		return -1;
	}
	x->id = mnl_u32(tb[MULT_A_INSTANCE_ID]);
	x->parent = mnl_u32(tb[MULT_A_INSTANCE_PARENT_ID]);
	x->depth = mnl_u32(tb[MULT_A_INSTANCE_DEPTH]);
	x->nproc = mnl_u32(tb[MULT_A_INSTANCE_NR_PROCESSES]);
	x->nthr = mnl_u32(tb[MULT_A_INSTANCE_NR_THREADS]);
	x->start = mnl_u64(tb[MULT_A_INSTANCE_START_TIME]);
	if (tb[MULT_A_INSTANCE_FIRST_PID]) {
		x->has_first = true;
		x->first = mnl_u32(tb[MULT_A_INSTANCE_FIRST_PID]);
	}
	if (tb[MULT_A_INSTANCE_EXIT_STATUS]) {
		x->has_status = true;
		x->status = mnl_u32(tb[MULT_A_INSTANCE_EXIT_STATUS]);
	}
	if (tb[MULT_A_INSTANCE_NAME])
		snprintf(x->name, sizeof(x->name), "%s",
			 (const char *)mnl_data(tb[MULT_A_INSTANCE_NAME]));
	return 0;
}

/* Dump the instances; their number, or -1 (error or ids out of order). */
static int do_list(struct mnl *s, struct ent *e, int max)
{
	struct mnl_reply r;
	struct mnl_req q;
	int n = 0;

	mnl_req(s, &q, MULT_CMD_LIST, NLM_F_DUMP);
	if (mnl_xfer(s, &q, &r) || r.error) {
		fprintf(stderr, "# list: %d %s\n", r.error, r.msg);
		mnl_free(&r);
		return -1;
	}
	for (int i = 0; i < r.n && n < max; i++) {
		struct ent *x = &e[n];

		if (parse_ent(r.msgs[i], x)) {
			n = -1;
			break;
		}
		if (n && x->id <= e[n - 1].id) {
			fprintf(stderr, "# list: id %lld after %lld\n", x->id, e[n - 1].id);
			n = -1;
			break;
		}
		n++;
	}
	mnl_free(&r);
	return n;
}

static struct ent *find_first(struct ent *e, int n, pid_t first)
{
	for (int i = 0; i < n; i++)
		if (e[i].has_first && e[i].first == first)
			return &e[i];
	return NULL;
}

static struct ent *find_id(struct ent *e, int n, long long id)
{
	for (int i = 0; i < n; i++)
		if (e[i].id == id)
			return &e[i];
	return NULL;
}

/* The name of instance @id in a list, "(not listed)" if it is not there. */
static const char *name_of(struct ent *e, int n, long long id)
{
	struct ent *x = find_id(e, n, id);

	return x ? x->name : "(not listed)";
}

/* The id of the instance whose first process is @first, 0 if none. */
static long long inst_id(struct mnl *s, pid_t first)
{
	static struct ent e[MAX_ENTS];
	int n = do_list(s, e, MAX_ENTS);
	struct ent *x = n > 0 ? find_first(e, n, first) : NULL;

	return x ? x->id : 0;
}

/* One process of a ps dump. */
struct proc {
	long long pid, tgid, ppid, uid;
	char state;
	char comm[32];
};

/* Keep the ack of @r in @out (the replies are freed with @r). */
static void keep_ack(struct mnl_reply *out, const struct mnl_reply *r)
{
	*out = *r;
	memset(out->bufs, 0, sizeof(out->bufs));
	out->nbufs = 0;
	out->n = 0;
}

/* ps by id (name NULL) or by name; count, or -1 (then *err, *msg). */
static int do_ps(struct mnl *s, long long id, const char *name, bool threads,
		 struct proc *p, int max, struct mnl_reply *err)
{
	struct mnl_reply r;
	struct mnl_req q;
	int n = 0;

	mnl_req(s, &q, MULT_CMD_PS, NLM_F_DUMP);
	if (name)
		mnl_put_str(&q, MULT_A_PROCESS_NAME, name);
	else
		mnl_put_u32(&q, MULT_A_PROCESS_ID, id);
	if (threads)
		mnl_put_flag(&q, MULT_A_PROCESS_THREADS);
	if (mnl_xfer(s, &q, &r) || r.error) {
		if (err)
			keep_ack(err, &r);
		mnl_free(&r);
		return -1;
	}
	for (int i = 0; i < r.n && n < max; i++) {
		const struct nlattr *tb[MULT_A_PROCESS_MAX + 1];

		mnl_parse(r.msgs[i], tb, MULT_A_PROCESS_MAX);
		if (!tb[MULT_A_PROCESS_PID] || !tb[MULT_A_PROCESS_TGID] ||
		    !tb[MULT_A_PROCESS_PPID] || !tb[MULT_A_PROCESS_UID] ||
		    !tb[MULT_A_PROCESS_STATE] || !tb[MULT_A_PROCESS_COMM]) {
			n = -1;
			break;
		}
		p[n].pid = mnl_u32(tb[MULT_A_PROCESS_PID]);
		p[n].tgid = mnl_u32(tb[MULT_A_PROCESS_TGID]);
		p[n].ppid = mnl_u32(tb[MULT_A_PROCESS_PPID]);
		p[n].uid = mnl_u32(tb[MULT_A_PROCESS_UID]);
		p[n].state = *(const char *)mnl_data(tb[MULT_A_PROCESS_STATE]);
		snprintf(p[n].comm, sizeof(p[n].comm), "%s",
			 (const char *)mnl_data(tb[MULT_A_PROCESS_COMM]));
		if (n && p[n].pid <= p[n - 1].pid) {
			n = -1;
			break;
		}
		n++;
	}
	mnl_free(&r);
	return n;
}

static struct proc *find_pid(struct proc *p, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (p[i].pid == pid)
			return &p[i];
	return NULL;
}

/* A do request; the ack's errno (0 or negative), -1000 on socket error. */
static int do_req(struct mnl *s, struct mnl_req *q, struct mnl_reply *out)
{
	struct mnl_reply r;
	int err;

	if (mnl_xfer(s, q, &r)) {
		mnl_free(&r);
		return -1000;
	}
	err = r.error;
	if (out)
		keep_ack(out, &r);
	mnl_free(&r);
	return err;
}

static int set_name(struct mnl *s, long long id, const char *name)
{
	struct mnl_req q;

	mnl_req(s, &q, MULT_CMD_SET_NAME, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	mnl_put_str(&q, MULT_A_INSTANCE_NAME, name);
	return do_req(s, &q, NULL);
}

/* Name the instance: by @name if set, else by @pidfd if >= 0, else by @id. */
static void put_target(struct mnl_req *q, long long id, const char *name,
		       int pidfd)
{
	if (name)
		mnl_put_str(q, MULT_A_INSTANCE_NAME, name);
	else if (pidfd >= 0)
		mnl_put_u32(q, MULT_A_INSTANCE_PIDFD, pidfd);
	else
		mnl_put_u32(q, MULT_A_INSTANCE_ID, id);
}

static int kill_inst(struct mnl *s, long long id, const char *name, int sig,
		     struct mnl_reply *r)
{
	struct mnl_req q;

	mnl_req(s, &q, MULT_CMD_KILL, 0);
	put_target(&q, id, name, -1);
	if (sig)
		mnl_put_u32(&q, MULT_A_INSTANCE_SIGNAL, sig);
	return do_req(s, &q, r);
}

/* enter: arm the caller; the ack's errno. */
static int enter_inst(struct mnl *s, long long id, const char *name, int pidfd,
		      struct mnl_reply *r)
{
	struct mnl_req q;

	mnl_req(s, &q, MULT_CMD_ENTER, 0);
	put_target(&q, id, name, pidfd);
	return do_req(s, &q, r);
}

/* get: 0 with the instance in *@x, or the ack's errno (then *@err). */
static int get_inst(struct mnl *s, long long id, const char *name, int pidfd,
		    struct ent *x, struct mnl_reply *err)
{
	const struct genlmsghdr *g;
	struct mnl_reply r;
	struct mnl_req q;
	int ret;

	mnl_req(s, &q, MULT_CMD_GET, 0);
	put_target(&q, id, name, pidfd);
	if (mnl_xfer(s, &q, &r)) {
		mnl_free(&r);
		return -1000;
	}
	ret = r.error;
	if (err)
		keep_ack(err, &r);
	if (!ret) {
		g = r.n == 1 ? NLMSG_DATA(r.msgs[0]) : NULL;
		if (!g || g->cmd != MULT_CMD_GET || parse_ent(r.msgs[0], x))
			ret = -EPROTO;
	}
	mnl_free(&r);
	return ret;
}

/* Are the two reports of an instance the same? Logs both if not. */
static bool ent_same(struct __test_metadata *_metadata, const char *what,
		     const struct ent *a, const struct ent *b)
{
	bool ok = a->id == b->id && a->parent == b->parent &&
		  a->depth == b->depth && a->has_first == b->has_first &&
		  a->first == b->first && a->nproc == b->nproc &&
		  a->nthr == b->nthr && a->start == b->start &&
		  a->has_status == b->has_status && a->status == b->status &&
		  !strcmp(a->name, b->name);

	for (int i = 0; !ok && i < 2; i++) {
		const struct ent *x = i ? b : a;

		TH_LOG("%s: %s: id %lld parent %lld depth %lld first %lld%s "
		       "processes %lld threads %lld start %llu status %lld%s "
		       "name \"%s\"", what, i ? "list" : "get", x->id, x->parent,
		       x->depth, x->first, x->has_first ? "" : " (absent)",
		       x->nproc, x->nthr, (unsigned long long)x->start,
		       x->status, x->has_status ? "" : " (absent)", x->name);
	}
	return ok;
}

/* get-info: 0 with the attributes in tb-like out fields, or the errno. */
struct info {
	bool has_max_depth, has_max_instances;
	long long abi, max_depth, max_instances, nr, dropped;
};

static int get_info(struct mnl *s, struct info *in, struct mnl_reply *err)
{
	const struct nlattr *tb[MULT_A_INFO_MAX + 1];
	struct mnl_reply r;
	struct mnl_req q;
	int ret;

	mnl_req(s, &q, MULT_CMD_GET_INFO, 0);
	if (mnl_xfer(s, &q, &r))
		return -1000;
	ret = r.error;
	if (err)
		keep_ack(err, &r);
	if (!ret && r.n != 1)
		ret = -EPROTO;
	if (!ret && in) {
		memset(in, 0, sizeof(*in));
		mnl_parse(r.msgs[0], tb, MULT_A_INFO_MAX);
		if (!tb[MULT_A_INFO_ABI_VERSION] || !tb[MULT_A_INFO_NR_INSTANCES] ||
		    !tb[MULT_A_INFO_EVENTS_DROPPED]) {
			ret = -EPROTO;
		} else {
			in->abi = mnl_u32(tb[MULT_A_INFO_ABI_VERSION]);
			in->nr = mnl_u32(tb[MULT_A_INFO_NR_INSTANCES]);
			in->dropped = mnl_u32(tb[MULT_A_INFO_EVENTS_DROPPED]);
			if (tb[MULT_A_INFO_MAX_DEPTH]) {
				in->has_max_depth = true;
				in->max_depth = mnl_u32(tb[MULT_A_INFO_MAX_DEPTH]);
			}
			if (tb[MULT_A_INFO_MAX_INSTANCES]) {
				in->has_max_instances = true;
				in->max_instances =
					mnl_u32(tb[MULT_A_INFO_MAX_INSTANCES]);
			}
		}
	}
	mnl_free(&r);
	return ret;
}

static int subscribe(struct mnl *s)
{
	int grp = s->events_group;

	return setsockopt(s->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
			  sizeof(grp));
}

/* Next event about instance @id (or about first pid @first when id is 0). */
struct event {
	int cmd;
	long long id, first, status;
	bool has_first, has_status;
};

static int next_event(struct mnl *s, long long id, pid_t first, struct event *ev,
		      int ms)
{
	static char buf[8192];
	long end = now_ms() + ms;

	for (;;) {
		const struct nlattr *tb[MULT_A_INSTANCE_MAX + 1];
		const struct genlmsghdr *g;
		long left = end - now_ms();
		int ret;

		if (left <= 0)
			return 0;
		ret = mnl_recv_event(s->fd, s->family, buf, sizeof(buf), left);
		if (ret <= 0)
			return ret;
		g = NLMSG_DATA((struct nlmsghdr *)buf);
		mnl_parse((struct nlmsghdr *)buf, tb, MULT_A_INSTANCE_MAX);
		memset(ev, 0, sizeof(*ev));
		ev->cmd = g->cmd;
		if (tb[MULT_A_INSTANCE_ID])
			ev->id = mnl_u32(tb[MULT_A_INSTANCE_ID]);
		if (tb[MULT_A_INSTANCE_FIRST_PID]) {
			ev->has_first = true;
			ev->first = mnl_u32(tb[MULT_A_INSTANCE_FIRST_PID]);
		}
		if (tb[MULT_A_INSTANCE_EXIT_STATUS]) {
			ev->has_status = true;
			ev->status = mnl_u32(tb[MULT_A_INSTANCE_EXIT_STATUS]);
		}
		if (id ? ev->id == id : ev->first == first)
			return 1;
	}
}

/* Check an error ack: errno, message (prefix), offending attribute. */
static bool ack_is(struct __test_metadata *_metadata, const char *what,
		   int got, const struct mnl_reply *r, int want, const char *msg,
		   int bad_off)
{
	bool ok = got == want && (!msg || !strncmp(r->msg, msg, strlen(msg))) &&
		  (bad_off == -2 || r->bad_off == bad_off);

	if (!ok)
		TH_LOG("%s: got %d \"%s\" (attribute at %d), want %d \"%s\" (at %d)",
		       what, got, r->msg, r->bad_off, want, msg ? msg : "*",
		       bad_off);
	return ok;
}

/* Send @q: is its ack @want, with @msg (a prefix) and the attribute @at? */
static bool req_is(struct __test_metadata *_metadata, struct mnl *s,
		   struct mnl_req *q, const char *what, int want,
		   const char *msg, int at)
{
	struct mnl_reply r;

	return ack_is(_metadata, what, do_req(s, q, &r), &r, want, msg, at);
}

/* The fixture: the module loaded, a socket with the family resolved. */

FIXTURE(nl) {
	struct mnl s;
	int base;	/* nr_instances when the test started */
};

FIXTURE_SETUP(nl)
{
	ASSERT_EQ(0, access("/proc/sys/kernel/mult", F_OK))
		TH_LOG("kernel without mult (no /proc/sys/kernel/mult)");
	ASSERT_EQ(0, (int)geteuid())
		TH_LOG("must run as root");
	ASSERT_EQ(0, access("/proc/1", F_OK))
		TH_LOG("must run in the root instance");
	ASSERT_EQ(0, module_load())
		TH_LOG("cannot load %s: %s (the guest image must carry the module)",
		       MODULE_PATH, strerror(errno));
	ASSERT_EQ(0, mnl_open(&self->s))
		TH_LOG("family \"%s\" not found: %s", MULT_FAMILY_NAME,
		       strerror(errno));
	/* Leftovers of an earlier test are reaped by init meanwhile. */
	self->base = wait_nr_instances(0, SETTLE_MS);
	if (self->base)
		TH_LOG("%d instances alive at start", self->base);
}

FIXTURE_TEARDOWN(nl)
{
	mnl_close(&self->s);
}

/* get-info */

/* get-info must report a limit, with the sysctl's value. */
static void check_limit(struct __test_metadata *_metadata, bool has,
			long long value, const char *sysctl)
{
	EXPECT_TRUE(has)
		TH_LOG("get-info does not report kernel.mult.%s", sysctl);
	if (has)
		EXPECT_EQ(mult_sysctl_read(sysctl), value)
			TH_LOG("get-info's %s", sysctl);
}

TEST_F(nl, get_info)
{
	struct inst in;
	struct inst_cfg cfg = {};
	struct info i;
	int depth, max, depth2, max2, ret;

	ASSERT_EQ(0, get_info(&self->s, &i, NULL));
	EXPECT_EQ(MULT_ABI_VERSION, i.abi);
	EXPECT_EQ(self->base, i.nr);
	check_limit(_metadata, i.has_max_depth, i.max_depth, "max_depth");
	check_limit(_metadata, i.has_max_instances, i.max_instances,
		    "max_instances");

	/* The limits are read when asked: change them, then restore them. */
	depth = mult_sysctl_read("max_depth");
	max = mult_sysctl_read("max_instances");
	ASSERT_GT(depth, 0);
	ASSERT_GT(max, 0);
	depth2 = depth > 1 ? depth - 1 : 2;
	max2 = max < INT_MAX ? max + 1 : max - 1;
	ASSERT_EQ(0, mult_sysctl_write("max_depth", depth2));
	ret = mult_sysctl_write("max_instances", max2);
	if (!ret)
		ret = get_info(&self->s, &i, NULL);
	ASSERT_EQ(0, mult_sysctl_write("max_depth", depth));
	ASSERT_EQ(0, mult_sysctl_write("max_instances", max));
	ASSERT_EQ(0, ret);
	EXPECT_TRUE(i.has_max_depth && i.has_max_instances);
	EXPECT_EQ(depth2, i.max_depth);
	EXPECT_EQ(max2, i.max_instances);

	ASSERT_EQ(0, inst_start(&in, &cfg));
	ASSERT_EQ(0, get_info(&self->s, &i, NULL));
	EXPECT_EQ(self->base + 1, i.nr);
	EXPECT_EQ(self->base + 1, read_int(NR_INSTANCES));
	EXPECT_EQ(0, inst_stop(&in));
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
	ASSERT_EQ(0, get_info(&self->s, &i, NULL));
	EXPECT_EQ(self->base, i.nr);
}

/* list */

TEST_F(nl, list_instance)
{
	static struct ent e[MAX_ENTS];
	struct inst_cfg cfg = { .children = 2, .threads = 1, .nested = true,
				.exit_code = 7 };
	struct ent *x, *y;
	__u64 t0, t1;
	struct inst in;
	int n;

	t0 = boottime_ns();
	ASSERT_EQ(0, inst_start(&in, &cfg));
	t1 = boottime_ns();

	n = do_list(&self->s, e, MAX_ENTS);
	ASSERT_GE(n, 2);
	x = find_first(e, n, in.pid);
	ASSERT_NE(NULL, x);
	EXPECT_EQ(0, x->parent);
	EXPECT_EQ(1, x->depth);
	EXPECT_EQ(3, x->nproc);		/* first + 2 children */
	EXPECT_EQ(4, x->nthr);		/* + 1 thread */
	EXPECT_GE(x->start, t0);
	EXPECT_LE(x->start, t1);
	EXPECT_FALSE(x->has_status);
	EXPECT_STREQ("", x->name);

	y = find_first(e, n, in.r.nested);
	ASSERT_NE(NULL, y);
	EXPECT_EQ(x->id, y->parent);
	EXPECT_EQ(2, y->depth);
	EXPECT_EQ(1, y->nproc);
	EXPECT_EQ(1, y->nthr);
	EXPECT_GE(y->start, x->start);
	EXPECT_FALSE(y->has_status);

	/* The first process exits: a zombie, still counted, status shown. */
	close(in.release);
	in.release = -1;
	{
		struct pollfd p = { .fd = in.pidfd, .events = POLLIN };

		ASSERT_EQ(1, poll(&p, 1, 10000));
	}
	n = do_list(&self->s, e, MAX_ENTS);
	x = find_first(e, n, in.pid);
	ASSERT_NE(NULL, x);
	EXPECT_TRUE(x->has_status);
	EXPECT_EQ(7 << 8, x->status);

	long long id = x->id;

	/*
	 * Reaped: its last process gone, the instance ends although the
	 * pidfd still holds the struct pid (R7: only what can act in an
	 * instance keeps it), and the pidfd names no instance any more.
	 */
	siginfo_t si = {};

	ASSERT_EQ(0, waitid((idtype_t)P_PIDFD, in.pidfd, &si, WEXITED));
	EXPECT_EQ(7, si.si_status);
	long end = now_ms() + SETTLE_MS;

	do {
		sleep_ms(20);
		n = do_list(&self->s, e, MAX_ENTS);
		ASSERT_GE(n, 0);
	} while (find_id(e, n, id) && now_ms() < end);
	EXPECT_EQ(NULL, find_id(e, n, id));
	close(in.pidfd);
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
}

#define STABLE 40

/* Dumps stay ordered and complete while instances come and go. */
TEST_F_TIMEOUT(nl, list_consistent_under_churn, 180)
{
	static struct ent e[MAX_ENTS];
	static struct inst in[STABLE];
	struct inst_cfg cfg = {};
	pid_t churn;
	int n;

	for (int i = 0; i < STABLE; i++)
		ASSERT_EQ(0, inst_start(&in[i], &cfg));

	churn = fork();
	ASSERT_GE(churn, 0);
	if (!churn) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			struct clone_args_v0 args = {
				.flags = CLONE_NEWINST, .exit_signal = SIGCHLD,
			};
			pid_t p = syscall(SYS_clone3, &args, sizeof(args));

			if (!p)
				_exit(0);
			if (p > 0)
				waitpid(p, NULL, 0);
		}
	}

	for (int round = 0; round < 10; round++) {
		n = do_list(&self->s, e, MAX_ENTS);
		ASSERT_GE(n, STABLE);		/* and ids strictly ascending */
		for (int i = 0; i < STABLE; i++) {
			struct ent *x = find_first(e, n, in[i].pid);

			ASSERT_NE(NULL, x)
				TH_LOG("round %d: instance of %d missing", round,
				       in[i].pid);
			EXPECT_EQ(1, x->nproc);
		}
	}

	kill(churn, SIGKILL);
	waitpid(churn, NULL, 0);
	for (int i = 0; i < STABLE; i++)
		EXPECT_EQ(0, inst_stop(&in[i]));
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
}

/* ps */

TEST_F(nl, ps)
{
	struct inst_cfg cfg = { .children = 2, .threads = 1, .nested = true,
				.comm = "nlt-ps" };
	struct proc p[16], *x;
	struct inst in;
	long long id;
	int n;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	ASSERT_NE(0, id);

	/*
	 * Processes: the first and its two children, not the nested one.
	 * They block (state S) right after reporting ready, which may be a
	 * moment after the report arrives: poll until they are all asleep.
	 */
	for (long end = now_ms() + SETTLE_MS;; sleep_ms(20)) {
		bool asleep = true;

		n = do_ps(&self->s, id, NULL, false, p, 16, NULL);
		ASSERT_EQ(3, n);
		for (int i = 0; i < n; i++)
			asleep &= p[i].state == 'S';
		if (asleep || now_ms() >= end)
			break;
	}
	x = find_pid(p, n, in.pid);
	ASSERT_NE(NULL, x);
	EXPECT_EQ((long long)in.pid, x->tgid);
	EXPECT_EQ((long long)getpid(), x->ppid);	/* global numbers */
	EXPECT_EQ(0, x->uid);
	EXPECT_EQ('S', x->state);
	EXPECT_STREQ("nlt-ps", x->comm);
	for (int i = 0; i < 2; i++) {
		x = find_pid(p, n, in.r.kids[i]);
		ASSERT_NE(NULL, x);
		EXPECT_EQ((long long)in.r.kids[i], x->tgid);
		EXPECT_EQ((long long)in.pid, x->ppid);
		EXPECT_EQ('S', x->state);
		EXPECT_STREQ("nlt-child", x->comm);
	}
	EXPECT_EQ(NULL, find_pid(p, n, in.r.nested));

	/* Threads: the extra thread too. */
	n = do_ps(&self->s, id, NULL, true, p, 16, NULL);
	ASSERT_EQ(4, n);
	x = find_pid(p, n, in.r.thread);
	ASSERT_NE(NULL, x);
	EXPECT_EQ((long long)in.pid, x->tgid);
	EXPECT_STREQ("nlt-thread", x->comm);

	/* By name. */
	ASSERT_EQ(0, set_name(&self->s, id, "nlt.ps_1-x"));
	n = do_ps(&self->s, 0, "nlt.ps_1-x", false, p, 16, NULL);
	EXPECT_EQ(3, n);

	/* The nested instance on its own. */
	n = do_ps(&self->s, inst_id(&self->s, in.r.nested), NULL, false, p, 16, NULL);
	ASSERT_EQ(1, n);
	EXPECT_EQ((long long)in.r.nested, p[0].pid);
	EXPECT_EQ((long long)in.pid, p[0].ppid);
	EXPECT_STREQ("nlt-nested", p[0].comm);

	/*
	 * Every process gone and reaped: the instance is gone too, though
	 * the pidfd still holds the first process's struct pid (R7).
	 */
	struct mnl_reply err = {};

	close(in.release);
	in.release = -1;
	EXPECT_EQ(0, inst_reap(&in, 10000));
	long end = now_ms() + SETTLE_MS;

	while ((n = do_ps(&self->s, id, NULL, true, p, 16, &err)) >= 0 &&
	       now_ms() < end)
		sleep_ms(20);
	EXPECT_EQ(-1, n);
	EXPECT_EQ(-ENOENT, err.error);
	close(in.pidfd);
}

/* kill */

TEST_F(nl, kill_by_id_default_sigkill)
{
	struct inst_cfg cfg = { .children = 2, .nested = true };
	struct mnl_reply r;
	struct inst in;
	long long id, nested;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	nested = inst_id(&self->s, in.r.nested);
	ASSERT_NE(0, id);
	ASSERT_NE(0, nested);

	ASSERT_EQ(0, kill_inst(&self->s, id, NULL, 0, &r));
	EXPECT_EQ(SIGKILL, inst_reap(&in, 10000));

	/* Nested instances go with it; nothing is left to signal. */
	long end = now_ms() + SETTLE_MS;
	int ret;

	while ((ret = kill_inst(&self->s, id, NULL, 0, &r)) == 0 && now_ms() < end)
		sleep_ms(20);
	EXPECT_TRUE(ack_is(_metadata, "kill, all dead", ret, &r, -ESRCH,
			   EXT_NO_PROCESS, -1));
	end = now_ms() + SETTLE_MS;
	while ((ret = kill_inst(&self->s, nested, NULL, 0, &r)) == 0 &&
	       now_ms() < end)
		sleep_ms(20);
	EXPECT_NE(0, ret);		/* ESRCH, or ENOENT once freed */
	close(in.pidfd);
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
}

TEST_F(nl, kill_by_name_with_signal)
{
	struct inst_cfg cfg = { .children = 1 };
	struct mnl_reply r;
	struct inst in;
	long long id;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, set_name(&self->s, id, "nlt-term"));
	ASSERT_EQ(0, kill_inst(&self->s, 0, "nlt-term", SIGTERM, &r));
	EXPECT_EQ(SIGTERM, inst_reap(&in, 10000));
	close(in.pidfd);
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
}

/*
 * A fork bomb inside: the first process's workers fork all the time (and
 * half of the parents exit). After one kill nothing of it survives.
 */
TEST_F_TIMEOUT(nl, kill_races_fork_bomb, 120)
{
	struct inst_cfg cfg = { .bombs = 3 };
	struct proc p[64];
	struct mnl_reply r;
	struct inst in;
	long long id;
	int n = 0;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	ASSERT_NE(0, id);
	/* Let it grow. */
	for (long end = now_ms() + 5000; now_ms() < end; sleep_ms(50)) {
		n = do_ps(&self->s, id, NULL, false, p, 64, NULL);
		if (n >= 10)
			break;
	}
	TH_LOG("%d processes in the instance when it is killed", n);
	EXPECT_GE(n, 4);
	sleep_ms(200);

	ASSERT_EQ(0, kill_inst(&self->s, id, NULL, SIGKILL, &r));
	ASSERT_EQ(SIGKILL, inst_reap(&in, 20000))
		TH_LOG("the first process did not die");

	/* Nothing survives: the instance is freed, its pidfd still open. */
	long end = now_ms() + 2 * SETTLE_MS;

	while ((n = do_ps(&self->s, id, NULL, true, p, 64, NULL)) >= 0 &&
	       now_ms() < end)
		sleep_ms(50);
	EXPECT_EQ(-1, n);
	close(in.pidfd);
	EXPECT_EQ(self->base, wait_nr_instances(self->base, 2 * SETTLE_MS));
	EXPECT_EQ(0, inst_id(&self->s, in.pid));
}

/* get */

TEST_F(nl, get)
{
	static struct ent e[MAX_ENTS];
	static const char *const ways[] = { "get by id", "get by name",
					    "get by pidfd" };
	struct inst_cfg cfg = { .children = 2, .threads = 1, .nested = true,
				.exit_code = 5 };
	struct ent g, *x, *y;
	struct mnl_req q;
	struct inst in;
	long long id;
	int n, off;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, set_name(&self->s, id, "nlt-get"));
	n = do_list(&self->s, e, MAX_ENTS);
	x = find_id(e, n, id);
	y = find_first(e, n, in.r.nested);
	ASSERT_NE(NULL, x);
	ASSERT_NE(NULL, y);

	/* What list says, by each way of naming the instance. */
	for (int way = 0; way < 3; way++) {
		memset(&g, 0, sizeof(g));
		EXPECT_EQ(0, get_inst(&self->s, way == 0 ? id : 0,
				      way == 1 ? "nlt-get" : NULL,
				      way == 2 ? in.pidfd : -1, &g, NULL));
		EXPECT_TRUE(ent_same(_metadata, ways[way], &g, x));
	}
	EXPECT_EQ(3, x->nproc);
	EXPECT_EQ(4, x->nthr);
	/* The nested instance: its parent and depth. */
	EXPECT_EQ(0, get_inst(&self->s, y->id, NULL, -1, &g, NULL));
	EXPECT_TRUE(ent_same(_metadata, "get nested", &g, y));
	EXPECT_EQ(id, g.parent);
	EXPECT_EQ(2, g.depth);

	/*
	 * The first process exits, unreaped: the exit status appears. Its
	 * members are being killed meanwhile: wait until only it is left.
	 */
	close(in.release);
	in.release = -1;
	ASSERT_EQ(0, inst_wait_exit(&in, 10000));
	for (long end = now_ms() + SETTLE_MS; now_ms() < end; sleep_ms(20)) {
		ASSERT_EQ(0, get_inst(&self->s, 0, NULL, in.pidfd, &g, NULL));
		if (g.nproc == 1 && g.nthr == 1)
			break;
	}
	n = do_list(&self->s, e, MAX_ENTS);
	x = find_id(e, n, id);
	ASSERT_NE(NULL, x);
	EXPECT_EQ(0, get_inst(&self->s, 0, NULL, in.pidfd, &g, NULL));
	EXPECT_TRUE(ent_same(_metadata, "get, first process exited", &g, x));
	EXPECT_TRUE(g.has_status);
	EXPECT_EQ(5 << 8, g.status);
	EXPECT_EQ(1, g.nproc);

	/* Refused: no instance, two ways at once, unknown id or name. */
	mnl_req(&self->s, &q, MULT_CMD_GET, 0);
	EXPECT_TRUE(req_is(_metadata, &self->s, &q, "get, no instance", -EINVAL,
			   EXT_NO_TARGET3, -1));
	mnl_req(&self->s, &q, MULT_CMD_GET, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	off = mnl_put_str(&q, MULT_A_INSTANCE_NAME, "nlt-get");
	EXPECT_TRUE(req_is(_metadata, &self->s, &q, "get, id and name", -EINVAL,
			   EXT_BOTH, off));
	mnl_req(&self->s, &q, MULT_CMD_GET, 0);
	off = mnl_put_u32(&q, MULT_A_INSTANCE_ID, 0x7ffffff0);
	EXPECT_TRUE(req_is(_metadata, &self->s, &q, "get, unknown id", -ENOENT,
			   EXT_NO_ID, off));
	mnl_req(&self->s, &q, MULT_CMD_GET, 0);
	off = mnl_put_str(&q, MULT_A_INSTANCE_NAME, "nlt-none");
	EXPECT_TRUE(req_is(_metadata, &self->s, &q, "get, unknown name", -ENOENT,
			   EXT_NO_NAME, off));

	EXPECT_EQ(5 << 8, inst_reap(&in, 10000));
	close(in.pidfd);
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
}

/* The pidfd attribute */

TEST_F(nl, pidfd_attribute)
{
	static const struct { int cmd; const char *name; } ops[] = {
		{ MULT_CMD_GET, "get" }, { MULT_CMD_KILL, "kill" },
		{ MULT_CMD_ENTER, "enter" }, { MULT_CMD_SET_NAME, "set-name" },
	};
	static struct ent e[MAX_ENTS];
	struct inst_cfg cfg = {};
	struct mnl_reply r;
	struct mnl_req q;
	struct inst in;
	int devnull, closed, mine, off, ret, n;
	long long id;
	char what[96];
	struct ent g;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	ASSERT_NE(0, id);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(devnull, 0);
	mine = sys_pidfd_open(getpid(), 0);	/* the root instance */
	ASSERT_GE(mine, 0);
	closed = dup(devnull);	/* closed at once: a free number */
	ASSERT_GE(closed, 0);
	close(closed);

	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		bool naming = ops[i].cmd == MULT_CMD_SET_NAME;

/* @ops[i] with the pidfd @fd (and for set-name a valid new name). */
#define PIDFD_CASE(fd, want, msg)                                          \
	do {                                                               \
		mnl_req(&self->s, &q, ops[i].cmd, 0);                      \
		off = mnl_put_u32(&q, MULT_A_INSTANCE_PIDFD, (fd));        \
		if (naming)                                                \
			mnl_put_str(&q, MULT_A_INSTANCE_NAME, "nlt-pidfd"); \
		snprintf(what, sizeof(what), "%s, pidfd %s", ops[i].name, #fd); \
		EXPECT_TRUE(req_is(_metadata, &self->s, &q, what, want, msg, off)); \
	} while (0)

		PIDFD_CASE(devnull, -EBADF, EXT_NOT_PIDFD);
		PIDFD_CASE(closed, -EBADF, EXT_NOT_PIDFD);
		PIDFD_CASE(mine, -ENOENT, EXT_PIDFD_ROOT);
		PIDFD_CASE(-1, -ERANGE, NLA_MSG_RANGE);
#undef PIDFD_CASE

		/* A valid pidfd, and the id too. */
		mnl_req(&self->s, &q, ops[i].cmd, 0);
		mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
		off = mnl_put_u32(&q, MULT_A_INSTANCE_PIDFD, in.pidfd);
		snprintf(what, sizeof(what), "%s, id and pidfd", ops[i].name);
		if (naming) {
			mnl_put_str(&q, MULT_A_INSTANCE_NAME, "nlt-pidfd");
			ret = do_req(&self->s, &q, &r);
			EXPECT_TRUE(ack_is(_metadata, what, ret, &r, -EINVAL,
					   EXT_SETNAME_ID, -1));
			EXPECT_EQ(MULT_A_INSTANCE_ID, r.miss_type);
			/* Neither. */
			mnl_req(&self->s, &q, ops[i].cmd, 0);
			mnl_put_str(&q, MULT_A_INSTANCE_NAME, "nlt-pidfd");
			ret = do_req(&self->s, &q, &r);
			EXPECT_TRUE(ack_is(_metadata, "set-name, neither", ret,
					   &r, -EINVAL, EXT_SETNAME_ID, -1));
			EXPECT_EQ(MULT_A_INSTANCE_ID, r.miss_type);
			continue;
		}
		EXPECT_TRUE(req_is(_metadata, &self->s, &q, what, -EINVAL,
				   EXT_BOTH, off));
		/* A pidfd and a name: the name is the one too many. */
		mnl_req(&self->s, &q, ops[i].cmd, 0);
		mnl_put_u32(&q, MULT_A_INSTANCE_PIDFD, in.pidfd);
		off = mnl_put_str(&q, MULT_A_INSTANCE_NAME, "nlt-pidfd");
		snprintf(what, sizeof(what), "%s, pidfd and name", ops[i].name);
		EXPECT_TRUE(req_is(_metadata, &self->s, &q, what, -EINVAL,
				   EXT_BOTH, off));
	}

	/* Allowed: set-name, get and kill by pidfd (enter: enter_joins). */
	mnl_req(&self->s, &q, MULT_CMD_SET_NAME, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_PIDFD, in.pidfd);
	mnl_put_str(&q, MULT_A_INSTANCE_NAME, "nlt-pidfd");
	EXPECT_TRUE(req_is(_metadata, &self->s, &q, "set-name by pidfd", 0,
			   NULL, -2));
	n = do_list(&self->s, e, MAX_ENTS);
	EXPECT_STREQ("nlt-pidfd", name_of(e, n, id));
	ASSERT_EQ(0, get_inst(&self->s, 0, NULL, in.pidfd, &g, NULL));
	EXPECT_EQ(id, g.id);
	EXPECT_STREQ("nlt-pidfd", g.name);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_PIDFD, in.pidfd);
	mnl_put_u32(&q, MULT_A_INSTANCE_SIGNAL, SIGTERM);
	EXPECT_TRUE(req_is(_metadata, &self->s, &q, "kill by pidfd", 0, NULL, -2));
	EXPECT_EQ(SIGTERM, inst_reap(&in, 10000));

	/* Reaped: the pidfd names no instance (R7), not even a new one. */
	memset(&g, 0, sizeof(g));
	EXPECT_EQ(-ENOENT, get_inst(&self->s, 0, NULL, in.pidfd, &g, NULL));
	close(in.pidfd);
	close(mine);
	close(devnull);
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
}

/* enter */

/*
 * Become a session leader with a pty as controlling terminal, which plain
 * children inherit: 0, or the errno. The descriptors stay open.
 */
static int take_ctty(void)
{
	int unlock = 0, m, t;

	if (setsid() < 0)
		return errno;
	m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return errno;
	if (ioctl(m, TIOCSPTLCK, &unlock))
		return errno;
	t = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t < 0)
		return errno;
	return ioctl(t, TIOCSCTTY, 0) ? errno : 0;
}

/* A process that joins the instance of @first looks at it, at us, at init. */
static struct inst_cfg joiner(pid_t first)
{
	struct inst_cfg cfg = { .comm = "nlt-joined",
				.see = { first, getpid(), 1 } };

	return cfg;
}

/* Has @j (started with joiner()) joined instance @id, seeing what it should? */
static void check_joined(struct __test_metadata *_metadata, struct mnl *s,
			 const char *what, const struct inst *j, long long id)
{
	struct proc p[16], *x;
	struct ent g = {};
	int n;

	EXPECT_EQ(0, j->r.see[0])
		TH_LOG("%s: kill(first process, 0) from inside: %s", what,
		       strerror(j->r.see[0]));
	EXPECT_EQ(ESRCH, j->r.see[1])
		TH_LOG("%s: kill(its parent outside, 0): %s", what,
		       strerror(j->r.see[1]));
	EXPECT_EQ(ESRCH, j->r.see[2])
		TH_LOG("%s: kill(1, 0): %s", what, strerror(j->r.see[2]));
	EXPECT_EQ(0, j->r.ppid) TH_LOG("%s: getppid()", what);
	EXPECT_EQ(j->pid, j->r.sid) TH_LOG("%s: getsid(0)", what);
	EXPECT_EQ(j->pid, j->r.pgrp) TH_LOG("%s: getpgrp()", what);
	EXPECT_EQ(ENXIO, j->r.tty)
		TH_LOG("%s: open(/dev/tty): %s", what, strerror(j->r.tty));
	EXPECT_EQ(1, j->r.subreaper) TH_LOG("%s: PR_GET_CHILD_SUBREAPER", what);

	/* Listed in the instance, a child of its creator, not its first. */
	EXPECT_EQ(0, get_inst(s, 0, NULL, j->pidfd, &g, NULL));
	EXPECT_EQ(id, g.id) TH_LOG("%s: the instance of its pidfd", what);
	EXPECT_EQ(0, inst_id(s, j->pid));
	n = do_ps(s, id, NULL, false, p, 16, NULL);
	x = n > 0 ? find_pid(p, n, j->pid) : NULL;
	EXPECT_NE(NULL, x) TH_LOG("%s: ps does not list it", what);
	if (x) {
		EXPECT_EQ((long long)getpid(), x->ppid);
		EXPECT_STREQ("nlt-joined", x->comm);
	}
}

/*
 * enter by id, by name and by pidfd: the next clone3(CLONE_NEWINST) child
 * joins the instance in a session of its own, without a terminal; its
 * creator signals it and waits for it. The arming is then used up.
 */
TEST_F_TIMEOUT(nl, enter_joins, 90)
{
	static const char *const ways[] = { "enter by id", "enter by name",
					    "enter by pidfd" };
	struct inst_cfg cfg = { .children = 1 }, jcfg;
	struct mnl_reply r;
	struct inst in, j;
	long long id;
	int nr, ret, st;
	pid_t pid;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, set_name(&self->s, id, "nlt-enter"));
	jcfg = joiner(in.pid);

	/*
	 * The terminal is left behind: a session leader with a controlling
	 * terminal (a child, the test keeps its session) arms itself; its
	 * plain child shares the terminal, the one that joins has none.
	 */
	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct mnl s;
		struct inst t;
		pid_t c;

		CHILD_CHECK(take_ctty() == 0);
		c = fork();
		if (!c)
			_exit(tty_errno());
		CHILD_CHECK(wait_child(c) == 0);
		CHILD_CHECK(!mnl_open(&s));
		CHILD_CHECK(enter_inst(&s, id, NULL, -1, NULL) == 0);
		CHILD_CHECK(!inst_start(&t, &jcfg));
		CHILD_CHECK(t.r.see[0] == 0);
		CHILD_CHECK(t.r.sid == t.pid && t.r.pgrp == t.pid);
		CHILD_CHECK(t.r.tty == ENXIO);
		CHILD_CHECK(inst_stop(&t) == 0);
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid));

	for (int way = 0; way < 3; way++) {
		nr = read_int(NR_INSTANCES);
		ret = enter_inst(&self->s, way == 0 ? id : 0,
				 way == 1 ? "nlt-enter" : NULL,
				 way == 2 ? in.pidfd : -1, &r);
		ASSERT_TRUE(ack_is(_metadata, ways[way], ret, &r, 0, NULL, -2));
		ASSERT_EQ(0, inst_start(&j, &jcfg))
			TH_LOG("%s: clone3: %s", ways[way], strerror(errno));
		check_joined(_metadata, &self->s, ways[way], &j, id);
		EXPECT_EQ(nr, read_int(NR_INSTANCES))
			TH_LOG("%s: joining counted an instance", ways[way]);

		/* The creation edge: kill and waitpid. */
		EXPECT_EQ(0, kill(j.pid, SIGTERM));
		EXPECT_EQ(j.pid, waitpid(j.pid, &st, 0));
		EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)
			TH_LOG("%s: wait status %#x", ways[way], st);
		close(j.release);
		close(j.pidfd);
	}

	/* Used up: the next clone3(CLONE_NEWINST) creates an instance. */
	nr = read_int(NR_INSTANCES);
	ASSERT_EQ(0, inst_start(&j, &jcfg));
	EXPECT_EQ(nr + 1, read_int(NR_INSTANCES));
	EXPECT_EQ(ESRCH, j.r.see[0]);
	EXPECT_EQ(0, j.r.ppid);
	EXPECT_NE(0, inst_id(&self->s, j.pid));
	EXPECT_NE(id, inst_id(&self->s, j.pid));
	EXPECT_EQ(0, inst_stop(&j));

	EXPECT_EQ(0, inst_stop(&in));
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
}

/* Only clone3(CLONE_NEWINST) joins; a plain fork neither joins nor is armed. */
TEST_F(nl, enter_plain_fork_does_not_join)
{
	struct inst_cfg cfg = {}, jcfg;
	pid_t me = getpid(), pid;
	struct inst in, j;
	long long id;
	int nr;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	ASSERT_NE(0, id);
	jcfg = joiner(in.pid);
	ASSERT_EQ(0, enter_inst(&self->s, id, NULL, -1, NULL));
	nr = read_int(NR_INSTANCES);

	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		pid_t gc;

		/* In the root instance: init visible, the instance not. */
		CHILD_CHECK(getppid() == me);
		CHILD_CHECK(kill(1, 0) == 0);
		CHILD_CHECK(access("/proc/1", F_OK) == 0);
		CHILD_CHECK(kill(in.pid, 0) == -1 && errno == ESRCH);
		/* Not armed: its clone3(CLONE_NEWINST) creates an instance. */
		gc = mult_instfork(NULL);
		if (!gc)
			_exit(getppid() == 0 && kill(in.pid, 0) == -1 &&
			      errno == ESRCH ? 0 : 1);
		CHILD_CHECK(gc > 0);
		CHILD_CHECK(mult_waitpid(gc, 10000) == 0);
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid));

	/* The arming survived both: our clone3() joins. */
	EXPECT_EQ(nr, wait_nr_instances(nr, SETTLE_MS));
	ASSERT_EQ(0, inst_start(&j, &jcfg));
	EXPECT_EQ(0, j.r.see[0]) TH_LOG("the clone3() after a fork did not join");
	EXPECT_EQ(0, j.r.ppid);
	EXPECT_EQ(nr, read_int(NR_INSTANCES));
	EXPECT_EQ(0, inst_stop(&j));
	EXPECT_EQ(0, inst_stop(&in));
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
}

/*
 * After exec (enter_exec_disarms): NLT_EXEC_PROBE=<pid of a first process>.
 * Exit 10 if our clone3(CLONE_NEWINST) child joined that instance (it
 * sees the first process), 11 if it is in an instance of its own.
 */
__attribute__((constructor)) static void exec_probe(void)
{
	const char *first = getenv("NLT_EXEC_PROBE");
	pid_t pid;
	int st;

	if (!first)
		return;
	pid = mult_instfork(NULL);
	if (pid == 0)
		_exit(kill(atoi(first), 0) ? 11 : 10);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		_exit(12);
	_exit(WEXITSTATUS(st));
}

/*
 * The arming belongs to the process that asked: others may arm for the
 * same instance, a new enter replaces it, the join and exec use it up,
 * and an instance gone meanwhile fails the clone3(), never a new instance.
 */
TEST_F(nl, enter_arming_is_per_process)
{
	struct inst_cfg cfg = {}, jcfg;
	int armed[2], done[2], off, nr, err;
	struct inst in, other, j;
	struct mnl_req q;
	long long id, id2;
	char c, env[64];
	pid_t a;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	ASSERT_EQ(0, inst_start(&other, &cfg));
	id = inst_id(&self->s, in.pid);
	id2 = inst_id(&self->s, other.pid);
	ASSERT_NE(0, id);
	ASSERT_NE(0, id2);

	/* The request is checked first. */
	mnl_req(&self->s, &q, MULT_CMD_ENTER, 0);
	off = mnl_put_u32(&q, MULT_A_INSTANCE_ID, 0x7ffffff0);
	EXPECT_TRUE(req_is(_metadata, &self->s, &q, "enter, unknown id", -ENOENT,
			   EXT_NO_ID, off));
	mnl_req(&self->s, &q, MULT_CMD_ENTER, 0);
	off = mnl_put_str(&q, MULT_A_INSTANCE_NAME, "nlt-none");
	EXPECT_TRUE(req_is(_metadata, &self->s, &q, "enter, unknown name",
			   -ENOENT, EXT_NO_NAME, off));

	/* Another process armed for the instance does not block us. */
	ASSERT_EQ(0, pipe(armed));
	ASSERT_EQ(0, pipe(done));
	fflush(NULL);
	a = fork();
	ASSERT_GE(a, 0);
	if (!a) {
		struct mnl s;

		close(armed[0]);
		close(done[1]);
		CHILD_CHECK(!mnl_open(&s));
		CHILD_CHECK(enter_inst(&s, id, NULL, -1, NULL) == 0);
		CHILD_CHECK(write(armed[1], "a", 1) == 1);
		CHILD_CHECK(read(done[0], &c, 1) == 0);
		_exit(0);
	}
	close(armed[1]);
	close(done[0]);
	ASSERT_EQ(1, read(armed[0], &c, 1));
	EXPECT_EQ(0, enter_inst(&self->s, id, NULL, -1, NULL));
	EXPECT_EQ(0, enter_inst(&self->s, 0, NULL, in.pidfd, NULL));
	close(done[1]);
	EXPECT_EQ(0, wait_child(a));
	close(armed[0]);

	/* A second enter replaces the first: the clone3() joins @other. */
	EXPECT_EQ(0, enter_inst(&self->s, id2, NULL, -1, NULL));
	jcfg = joiner(other.pid);
	ASSERT_EQ(0, inst_start(&j, &jcfg));
	check_joined(_metadata, &self->s, "re-armed for another", &j, id2);
	EXPECT_EQ(0, inst_stop(&j));

	/* The join used it up: the next clone3() makes a new instance. */
	nr = read_int(NR_INSTANCES);
	jcfg = joiner(other.pid);
	ASSERT_EQ(0, inst_start(&j, &jcfg));
	EXPECT_EQ(ESRCH, j.r.see[0]) TH_LOG("a second clone3() joined too");
	EXPECT_EQ(nr + 1, read_int(NR_INSTANCES));
	EXPECT_EQ(0, inst_stop(&j));

	/* exec disarms: the new program's clone3() makes its own instance. */
	fflush(NULL);
	a = fork();
	ASSERT_GE(a, 0);
	if (!a) {
		struct mnl s;

		CHILD_CHECK(!mnl_open(&s));
		CHILD_CHECK(enter_inst(&s, id, NULL, -1, NULL) == 0);
		snprintf(env, sizeof(env), "NLT_EXEC_PROBE=%d", in.pid);
		execle("/proc/self/exe", "netlink_test", NULL,
		       (char *[]){ env, NULL });
		_exit(13);
	}
	EXPECT_EQ(11, mult_status_code(wait_child(a)))
		TH_LOG("10: joined after exec, 11: not");

	/* Armed for an instance that is gone: ESRCH, no instance made. */
	EXPECT_EQ(0, enter_inst(&self->s, id2, NULL, -1, NULL));
	EXPECT_EQ(0, inst_stop(&other));
	EXPECT_EQ(nr - 1, wait_nr_instances(nr - 1, SETTLE_MS));
	fflush(NULL);
	a = mult_instfork(NULL);
	if (!a)
		_exit(0);
	err = errno;
	EXPECT_EQ(-1, a) TH_LOG("clone3() armed for a gone instance made one");
	EXPECT_EQ(ESRCH, err);
	if (a > 0)
		mult_waitpid(a, 10000);
	/* ... and that used the arming up too. */
	EXPECT_EQ(0, inst_start(&j, &cfg));
	EXPECT_EQ(0, inst_stop(&j));

	EXPECT_EQ(0, inst_stop(&in));
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
}

/* The first process has exited (a zombie keeps the instance): ESRCH. */
TEST_F(nl, enter_ending_instance)
{
	static const char *const ways[] = { "enter by id", "enter by name",
					    "enter by pidfd" };
	struct inst_cfg cfg = { .children = 1 };
	struct mnl_reply r;
	struct inst in;
	long long id;
	int ret;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, set_name(&self->s, id, "nlt-ending"));

	close(in.release);
	in.release = -1;
	ASSERT_EQ(0, inst_wait_exit(&in, 10000));
	EXPECT_EQ(id, inst_id(&self->s, in.pid));	/* still listed */
	for (int way = 0; way < 3; way++) {
		ret = enter_inst(&self->s, way == 0 ? id : 0,
				 way == 1 ? "nlt-ending" : NULL,
				 way == 2 ? in.pidfd : -1, &r);
		EXPECT_TRUE(ack_is(_metadata, ways[way], ret, &r, -ESRCH,
				   EXT_ENTER_ENDING, -1));
	}
	EXPECT_EQ(0, inst_reap(&in, 10000));
	close(in.pidfd);
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
}

/* Armed, then the first process exits: the kernel refuses the join. */
TEST_F(nl, enter_first_exits_before_the_clone)
{
	struct inst_cfg cfg = {};
	struct inst in;
	long long id;
	int nr, err;
	pid_t pid;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, enter_inst(&self->s, id, NULL, -1, NULL));

	close(in.release);
	in.release = -1;
	ASSERT_EQ(0, inst_wait_exit(&in, 10000));
	nr = read_int(NR_INSTANCES);
	fflush(NULL);
	pid = mult_instfork(NULL);
	if (!pid)
		_exit(0);
	err = errno;
	EXPECT_EQ(-1, pid) TH_LOG("clone3() made a child in an ending instance");
	EXPECT_EQ(ESRCH, err) TH_LOG("clone3(): %s", strerror(err));
	if (pid > 0)
		mult_waitpid(pid, 10000);
	EXPECT_EQ(nr, read_int(NR_INSTANCES));

	EXPECT_EQ(0, inst_reap(&in, 10000));
	close(in.pidfd);
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
}

/* The joined process is a subreaper: what it starts stays with it. */
TEST_F(nl, enter_orphans_stay_with_the_joined)
{
	struct inst_cfg cfg = {}, jcfg;
	struct proc p[16], *x;
	struct inst in, j;
	long long id;
	int n;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	ASSERT_NE(0, id);
	jcfg = joiner(in.pid);
	jcfg.orphan = true;
	ASSERT_EQ(0, enter_inst(&self->s, id, NULL, -1, NULL));
	ASSERT_EQ(0, inst_start(&j, &jcfg));
	EXPECT_EQ(0, j.r.see[0]) TH_LOG("the clone3() did not join");
	ASSERT_GT(j.r.orphan, 0);
	EXPECT_EQ((long)j.pid, j.r.orphan_ppid)
		TH_LOG("the orphan went to %ld, not to the joined process %d",
		       j.r.orphan_ppid, j.pid);
	n = do_ps(&self->s, id, NULL, false, p, 16, NULL);
	x = n > 0 ? find_pid(p, n, j.r.orphan) : NULL;
	ASSERT_NE(NULL, x);
	EXPECT_EQ((long long)j.pid, x->ppid);
	EXPECT_STREQ("nlt-orphan", x->comm);
	/* Released, the joined process reaps it (else it exits with 109). */
	EXPECT_EQ(0, inst_stop(&j));
	EXPECT_EQ(0, inst_stop(&in));
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
}

/* The first process exits: joined processes are killed with the rest. */
TEST_F(nl, enter_teardown_kills_the_joined)
{
	struct inst_cfg cfg = {}, jcfg;
	struct proc p[16];
	struct inst in, j;
	long long id;
	int n;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	ASSERT_NE(0, id);
	jcfg = joiner(in.pid);
	jcfg.children = 1;
	ASSERT_EQ(0, enter_inst(&self->s, id, NULL, -1, NULL));
	ASSERT_EQ(0, inst_start(&j, &jcfg));
	EXPECT_EQ(0, j.r.see[0]) TH_LOG("the clone3() did not join");
	EXPECT_EQ(3, do_ps(&self->s, id, NULL, false, p, 16, NULL));

	close(in.release);
	in.release = -1;
	EXPECT_EQ(0, inst_reap(&in, 10000));
	EXPECT_EQ(SIGKILL, inst_reap(&j, 10000));
	long end = now_ms() + SETTLE_MS;

	/* All reaped, the pidfds still open: the instance is gone (R7). */
	while ((n = do_ps(&self->s, id, NULL, true, p, 16, NULL)) >= 0 &&
	       now_ms() < end)
		sleep_ms(20);
	EXPECT_EQ(-1, n) TH_LOG("the joined process's child survived");
	close(j.release);
	close(j.pidfd);
	close(in.pidfd);
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
}

/* set-name */

TEST_F(nl, set_name)
{
	static struct ent e[MAX_ENTS];
	struct inst_cfg cfg = {};
	struct inst a, b;
	struct mnl_reply r;
	struct mnl_req q;
	long long ida, idb;
	char name31[32], name32[33];
	int n, ret, off;

	ASSERT_EQ(0, inst_start(&a, &cfg));
	ASSERT_EQ(0, inst_start(&b, &cfg));
	ida = inst_id(&self->s, a.pid);
	idb = inst_id(&self->s, b.pid);
	ASSERT_NE(0, ida);
	ASSERT_NE(0, idb);

	ASSERT_EQ(0, set_name(&self->s, ida, "web-1.a_B"));
	n = do_list(&self->s, e, MAX_ENTS);
	ASSERT_NE(NULL, find_id(e, n, ida));
	EXPECT_STREQ("web-1.a_B", name_of(e, n, ida));

	/* Same name again on the same instance: fine. Rename. */
	EXPECT_EQ(0, set_name(&self->s, ida, "web-1.a_B"));
	EXPECT_EQ(0, set_name(&self->s, ida, "web-2"));
	n = do_list(&self->s, e, MAX_ENTS);
	EXPECT_STREQ("web-2", name_of(e, n, ida));
	ret = kill_inst(&self->s, 0, "web-1.a_B", SIGCONT, &r);
	EXPECT_TRUE(ack_is(_metadata, "old name", ret, &r, -ENOENT,
			   EXT_NO_NAME, -2));
	EXPECT_EQ(0, kill_inst(&self->s, 0, "web-2", SIGCONT, NULL));

	/* Unique. */
	char used[64];

	snprintf(used, sizeof(used), EXT_NAME_USED "%lld", ida);
	mnl_req(&self->s, &q, MULT_CMD_SET_NAME, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, idb);
	off = mnl_put_str(&q, MULT_A_INSTANCE_NAME, "web-2");
	ret = do_req(&self->s, &q, &r);
	EXPECT_TRUE(ack_is(_metadata, "duplicate", ret, &r, -EEXIST, used, off));

	/* 31 characters is the limit, 32 are refused by the policy. */
	memset(name31, 'n', 31);
	name31[31] = 0;
	memset(name32, 'n', 32);
	name32[32] = 0;
	EXPECT_EQ(0, set_name(&self->s, idb, name31));
	n = do_list(&self->s, e, MAX_ENTS);
	EXPECT_STREQ(name31, name_of(e, n, idb));
	mnl_req(&self->s, &q, MULT_CMD_SET_NAME, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, idb);
	off = mnl_put_str(&q, MULT_A_INSTANCE_NAME, name32);
	ret = do_req(&self->s, &q, &r);
	EXPECT_TRUE(ack_is(_metadata, "32 characters", ret, &r, -EINVAL,
			   NLA_MSG_POLICY, off));

	/* Characters. */
	static const char *const bad[] = { "", "a b", "a/b", "caf\xc3\xa9",
					   "\xc0\xc1", "tab\t", "x:y", ".", "..",
					   ".hidden", "-9", "--all" };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		mnl_req(&self->s, &q, MULT_CMD_SET_NAME, 0);
		mnl_put_u32(&q, MULT_A_INSTANCE_ID, idb);
		off = mnl_put_str(&q, MULT_A_INSTANCE_NAME, bad[i]);
		ret = do_req(&self->s, &q, &r);
		EXPECT_TRUE(ack_is(_metadata, bad[i], ret, &r, -EINVAL,
				   EXT_BAD_NAME, off));
	}
	/* An embedded NUL. */
	mnl_req(&self->s, &q, MULT_CMD_SET_NAME, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, idb);
	off = mnl_put(&q, MULT_A_INSTANCE_NAME, "ab\0cd", 6);
	ret = do_req(&self->s, &q, &r);
	EXPECT_TRUE(ack_is(_metadata, "embedded NUL", ret, &r, -EINVAL,
			   EXT_BAD_NAME, off));
	/* No NUL at all. */
	mnl_req(&self->s, &q, MULT_CMD_SET_NAME, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, idb);
	off = mnl_put(&q, MULT_A_INSTANCE_NAME, "abcd", 4);
	ret = do_req(&self->s, &q, &r);
	EXPECT_TRUE(ack_is(_metadata, "unterminated", ret, &r, -EINVAL,
			   NLA_MSG_POLICY, off));

	/* Missing attributes, unknown id. */
	mnl_req(&self->s, &q, MULT_CMD_SET_NAME, 0);
	mnl_put_str(&q, MULT_A_INSTANCE_NAME, "x");
	ret = do_req(&self->s, &q, &r);
	EXPECT_TRUE(ack_is(_metadata, "no id", ret, &r, -EINVAL,
			   EXT_SETNAME_ID, -1));
	EXPECT_EQ(MULT_A_INSTANCE_ID, r.miss_type);
	mnl_req(&self->s, &q, MULT_CMD_SET_NAME, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, idb);
	ret = do_req(&self->s, &q, &r);
	EXPECT_TRUE(ack_is(_metadata, "no name", ret, &r, -EINVAL,
			   EXT_SETNAME_NAME, -1));
	EXPECT_EQ(MULT_A_INSTANCE_NAME, r.miss_type);
	mnl_req(&self->s, &q, MULT_CMD_SET_NAME, 0);
	off = mnl_put_u32(&q, MULT_A_INSTANCE_ID, 0x7ffffff0);
	mnl_put_str(&q, MULT_A_INSTANCE_NAME, "x");
	ret = do_req(&self->s, &q, &r);
	EXPECT_TRUE(ack_is(_metadata, "unknown id", ret, &r, -ENOENT,
			   EXT_NO_ID, off));

	/* The names stay with their instances. */
	n = do_list(&self->s, e, MAX_ENTS);
	EXPECT_STREQ("web-2", name_of(e, n, ida));
	EXPECT_STREQ(name31, name_of(e, n, idb));
	EXPECT_EQ(0, inst_stop(&a));
	EXPECT_EQ(0, inst_stop(&b));
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
	/* Freed with the instance: usable again. */
	ASSERT_EQ(0, inst_start(&a, &cfg));
	EXPECT_EQ(0, set_name(&self->s, inst_id(&self->s, a.pid), "web-2"));
	EXPECT_EQ(0, inst_stop(&a));
}

/* Malformed requests */

TEST_F(nl, malformed)
{
	struct inst_cfg cfg = {};
	struct mnl_req q;
	struct inst in;
	long long id;
	int off;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, set_name(&self->s, id, "nlt-bad"));

#define CASE(what, want, msg, at) \
	EXPECT_TRUE(req_is(_metadata, &self->s, &q, what, want, msg, at))

	/* Neither id nor name; both. */
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	CASE("kill, no instance", -EINVAL, EXT_NO_TARGET3, -1);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_SIGNAL, SIGTERM);
	CASE("kill, signal only", -EINVAL, EXT_NO_TARGET3, -1);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	off = mnl_put_str(&q, MULT_A_INSTANCE_NAME, "nlt-bad");
	CASE("kill, id and name", -EINVAL, EXT_BOTH, off);
	mnl_req(&self->s, &q, MULT_CMD_ENTER, 0);
	CASE("enter, no instance", -EINVAL, EXT_NO_TARGET3, -1);

	/* Wrong types and lengths. */
	__u16 u16 = id;
	__u64 u64 = id;
	__u8 u8 = SIGTERM;

	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	off = mnl_put(&q, MULT_A_INSTANCE_ID, &u16, sizeof(u16));
	CASE("id as u16", -EINVAL, NLA_MSG_LENGTH, off);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	off = mnl_put(&q, MULT_A_INSTANCE_ID, &u64, sizeof(u64));
	CASE("id as u64", -EINVAL, NLA_MSG_LENGTH, off);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	off = mnl_put_str(&q, MULT_A_INSTANCE_ID, "12");
	CASE("id as string", -EINVAL, NLA_MSG_LENGTH, off);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	off = mnl_put(&q, MULT_A_INSTANCE_SIGNAL, &u8, sizeof(u8));
	CASE("signal as u8", -EINVAL, NLA_MSG_LENGTH, off);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	off = mnl_put_u32(&q, MULT_A_INSTANCE_NAME, 0x41414141);
	CASE("name without NUL", -EINVAL, NLA_MSG_POLICY, off);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	off = mnl_put_u32(&q, 99, 1);
	CASE("unknown attribute", -EINVAL, NLA_MSG_UNKNOWN, off);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	off = mnl_put_u32(&q, MULT_A_INSTANCE_FIRST_PID, in.pid);
	CASE("reply-only attribute", -EINVAL, NLA_MSG_UNSUPPORTED, off);
	mnl_req(&self->s, &q, MULT_CMD_GET_INFO, 0);
	off = mnl_put_u32(&q, MULT_A_INFO_ABI_VERSION, 1);
	CASE("get-info takes no attribute", -EINVAL, EXT_NO_ATTRS, off);
	mnl_req(&self->s, &q, MULT_CMD_LIST, NLM_F_DUMP);
	off = mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	CASE("list takes no attribute", -EINVAL, EXT_NO_ATTRS, off);
	/* An attribute longer than the message. */
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	((struct nlattr *)(q.buf + NLMSG_LENGTH(GENL_HDRLEN)))->nla_len = 200;
	CASE("overlong attribute", -EINVAL, NLA_MSG_LEFTOVER, -2);

	/* Ids, names, signals out of range or unknown. */
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	off = mnl_put_u32(&q, MULT_A_INSTANCE_ID, 0);
	CASE("id 0 (the root instance)", -ERANGE, NLA_MSG_RANGE, off);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	off = mnl_put_u32(&q, MULT_A_INSTANCE_ID, 0x7ffffff0);
	CASE("unknown id", -ENOENT, EXT_NO_ID, off);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	off = mnl_put_str(&q, MULT_A_INSTANCE_NAME, "no-such-instance");
	CASE("unknown name", -ENOENT, EXT_NO_NAME, off);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	off = mnl_put_str(&q, MULT_A_INSTANCE_NAME, "this-name-is-far-too-long-for-mult");
	CASE("oversize name", -EINVAL, NLA_MSG_POLICY, off);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	off = mnl_put_str(&q, MULT_A_INSTANCE_NAME, "bad name!");
	CASE("invalid name", -EINVAL, EXT_BAD_NAME, off);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	off = mnl_put_str(&q, MULT_A_INSTANCE_NAME, "");
	CASE("empty name", -EINVAL, EXT_BAD_NAME, off);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	off = mnl_put_u32(&q, MULT_A_INSTANCE_SIGNAL, 0);
	CASE("signal 0", -ERANGE, NLA_MSG_RANGE, off);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	off = mnl_put_u32(&q, MULT_A_INSTANCE_SIGNAL, MULT_SIG_MAX + 1);
	CASE("signal 65", -ERANGE, NLA_MSG_RANGE, off);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	off = mnl_put_u32(&q, MULT_A_INSTANCE_SIGNAL, 0xffffffff);
	CASE("signal -1", -ERANGE, NLA_MSG_RANGE, off);

	/* Dumps: ps checks its request in the same way. */
	mnl_req(&self->s, &q, MULT_CMD_PS, NLM_F_DUMP);
	CASE("ps, no instance", -EINVAL, EXT_NO_TARGET, -1);
	mnl_req(&self->s, &q, MULT_CMD_PS, NLM_F_DUMP);
	mnl_put_u32(&q, MULT_A_PROCESS_ID, id);
	off = mnl_put_str(&q, MULT_A_PROCESS_NAME, "nlt-bad");
	CASE("ps, id and name", -EINVAL, EXT_BOTH2, off);
	mnl_req(&self->s, &q, MULT_CMD_PS, NLM_F_DUMP);
	off = mnl_put_str(&q, MULT_A_PROCESS_NAME, "nope");
	CASE("ps, unknown name", -ENOENT, EXT_NO_NAME, off);
	mnl_req(&self->s, &q, MULT_CMD_PS, NLM_F_DUMP);
	off = mnl_put_u32(&q, MULT_A_PROCESS_ID, 0x7ffffff0);
	CASE("ps, unknown id", -ENOENT, EXT_NO_ID, off);
	mnl_req(&self->s, &q, MULT_CMD_PS, NLM_F_DUMP);
	mnl_put_u32(&q, MULT_A_PROCESS_ID, id);
	off = mnl_put_u32(&q, MULT_A_PROCESS_THREADS, 1);
	/* (the core reports ERANGE for a flag with a payload) */
	CASE("ps, flag with a payload", -ERANGE, NLA_MSG_POLICY, off);

	/* Message level: unknown command, no genetlink header, do of a dump. */
	mnl_req(&self->s, &q, 200, 0);
	CASE("unknown command", -EOPNOTSUPP, NULL, -2);
	mnl_req(&self->s, &q, MULT_CMD_LIST, 0);
	CASE("list without NLM_F_DUMP", -EOPNOTSUPP, NULL, -2);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	q.nlh.nlmsg_len = NLMSG_LENGTH(2);
	CASE("truncated genetlink header", -EINVAL, NULL, -2);
#undef CASE

	/* Still alive and well after all that. */
	EXPECT_EQ(0, kill_inst(&self->s, id, NULL, SIGCONT, NULL));
	EXPECT_EQ(0, inst_stop(&in));
}

/* Permissions */

/* In a child: every operation and the group refused with EPERM and @msg. */
static void expect_refused(struct mnl *s, long long id, const char *msg,
			   bool group_refused)
{
	struct mnl_reply r;
	struct mnl_req q;
	int ret;

	ret = get_info(s, NULL, &r);
	CHILD_CHECK(ret == -EPERM && !strcmp(r.msg, msg));
	mnl_req(s, &q, MULT_CMD_LIST, NLM_F_DUMP);
	CHILD_CHECK(!mnl_xfer(s, &q, &r) && r.error == -EPERM &&
		    !strcmp(r.msg, msg) && r.n == 0);
	mnl_free(&r);
	mnl_req(s, &q, MULT_CMD_PS, NLM_F_DUMP);
	mnl_put_u32(&q, MULT_A_PROCESS_ID, id);
	CHILD_CHECK(!mnl_xfer(s, &q, &r) && r.error == -EPERM &&
		    !strcmp(r.msg, msg) && r.n == 0);
	mnl_free(&r);
	ret = kill_inst(s, id, NULL, SIGKILL, &r);
	CHILD_CHECK(ret == -EPERM && !strcmp(r.msg, msg));
	mnl_req(s, &q, MULT_CMD_SET_NAME, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	mnl_put_str(&q, MULT_A_INSTANCE_NAME, "stolen");
	ret = do_req(s, &q, &r);
	CHILD_CHECK(ret == -EPERM && !strcmp(r.msg, msg));
	ret = enter_inst(s, id, NULL, -1, &r);
	CHILD_CHECK(ret == -EPERM && !strcmp(r.msg, msg));
	ret = get_inst(s, id, NULL, -1, NULL, &r);
	CHILD_CHECK(ret == -EPERM && !strcmp(r.msg, msg));
	if (group_refused)
		CHILD_CHECK(subscribe(s) == -1 && errno == EPERM);
}

enum who { NOBODY, NOBODY_OLD_SOCKET, ROOT_NO_SYS_ADMIN, USERNS_ROOT };

static void drop(enum who who, struct mnl *s)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	switch (who) {
	case NOBODY:
	case NOBODY_OLD_SOCKET:
		if (who == NOBODY_OLD_SOCKET)
			CHILD_CHECK(!mnl_open(s));	/* opened as root */
		CHILD_CHECK(!setresgid(65534, 65534, 65534));
		CHILD_CHECK(!setresuid(65534, 65534, 65534));
		if (who == NOBODY)
			CHILD_CHECK(!mnl_open(s));
		break;
	case ROOT_NO_SYS_ADMIN:
		CHILD_CHECK(!syscall(SYS_capget, &h, d));
		d[0].effective &= ~(1U << CAP_SYS_ADMIN);
		d[0].permitted &= ~(1U << CAP_SYS_ADMIN);
		CHILD_CHECK(!syscall(SYS_capset, &h, d));
		CHILD_CHECK(!mnl_open(s));
		break;
	case USERNS_ROOT:
		CHILD_CHECK(!unshare(CLONE_NEWUSER));
		CHILD_CHECK(!mnl_open(s));
		break;
	}
}

TEST_F(nl, refused_without_privilege)
{
	static const enum who whos[] = { NOBODY, NOBODY_OLD_SOCKET,
					 ROOT_NO_SYS_ADMIN, USERNS_ROOT };
	static const char *const names[] = { "nobody", "nobody, socket of root",
					     "root without CAP_SYS_ADMIN",
					     "root of a user namespace" };
	struct inst_cfg cfg = {};
	struct inst in;
	long long id;
	int status;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	ASSERT_NE(0, id);

	for (size_t i = 0; i < ARRAY_SIZE(whos); i++) {
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (!pid) {
			struct mnl s;

			mnl_close(&self->s);
			drop(whos[i], &s);
			/* The group checks the subscriber's capability. */
			expect_refused(&s, id, EXT_NOT_ADMIN, true);
			_exit(0);
		}
		status = wait_child(pid);
		EXPECT_EQ(0, status)
			TH_LOG("%s: failed at line %d", names[i],
			       WEXITSTATUS(status));
	}
	/* Untouched. */
	EXPECT_EQ(0, kill_inst(&self->s, id, NULL, SIGCONT, NULL));
	EXPECT_EQ(0, inst_stop(&in));
}

/*
 * Root inside an instance: every request refused. Joining the group
 * cannot be refused (6.12 has no hook), but nothing is delivered to a
 * socket that never passed the check.
 */
TEST_F_TIMEOUT(nl, refused_inside_instance, 60)
{
	struct inst_cfg cfg = {};
	struct clone_args_v0 args = {
		.flags = CLONE_NEWINST | CLONE_PIDFD,
		.exit_signal = SIGCHLD,
	};
	struct mnl ev;
	struct event e;
	struct inst target, probe;
	int go[2], sub[2], pidfd = -1;
	long long id;
	pid_t pid;
	char c;

	ASSERT_EQ(0, inst_start(&target, &cfg));
	id = inst_id(&self->s, target.pid);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(sub));

	args.pidfd = (uintptr_t)&pidfd;
	fflush(NULL);
	pid = syscall(SYS_clone3, &args, sizeof(args));
	ASSERT_GE(pid, 0);
	if (!pid) {
		static char buf[8192];
		struct mnl s;

		close(go[1]);
		close(sub[0]);
		CHILD_CHECK(!mnl_open(&s));
		expect_refused(&s, id, EXT_IN_INSTANCE, false);
		CHILD_CHECK(!subscribe(&s));
		CHILD_CHECK(write(sub[1], "s", 1) == 1);
		/* The parent creates an instance now; nothing may arrive. */
		CHILD_CHECK(read(go[0], &c, 1) == 0);
		CHILD_CHECK(mnl_recv_event(s.fd, s.family, buf, sizeof(buf), 500) == 0);
		_exit(0);
	}
	close(go[0]);
	close(sub[1]);
	ASSERT_EQ(1, read(sub[0], &c, 1));

	/* Control: an authorized socket gets the event. */
	ASSERT_EQ(0, mnl_open(&ev));
	ASSERT_EQ(0, get_info(&ev, NULL, NULL));
	ASSERT_EQ(0, subscribe(&ev));
	ASSERT_EQ(0, inst_start(&probe, &cfg));
	ASSERT_EQ(1, next_event(&ev, 0, probe.pid, &e, 10000));
	EXPECT_EQ(MULT_CMD_CREATED, e.cmd);
	close(go[1]);

	siginfo_t si = {};

	ASSERT_EQ(0, waitid((idtype_t)P_PIDFD, pidfd, &si, WEXITED));
	EXPECT_EQ(CLD_EXITED, si.si_code);
	EXPECT_EQ(0, si.si_status)
		TH_LOG("the member failed at line %d", si.si_status);
	close(pidfd);
	mnl_close(&ev);
	EXPECT_EQ(0, inst_stop(&probe));
	EXPECT_EQ(0, inst_stop(&target));
}

/* Events */

TEST_F(nl, events)
{
	struct inst_cfg cfg = { .exit_code = 3, .children = 1 };
	struct mnl ev, quiet;
	struct event e;
	struct inst in;
	long long id;
	static char buf[8192];

	/* A request on the socket makes it eligible for events. */
	ASSERT_EQ(0, mnl_open(&ev));
	ASSERT_EQ(0, get_info(&ev, NULL, NULL));
	ASSERT_EQ(0, subscribe(&ev));
	/* Subscribed, never checked: gets nothing. */
	ASSERT_EQ(0, mnl_open(&quiet));
	ASSERT_EQ(0, subscribe(&quiet));

	ASSERT_EQ(0, inst_start(&in, &cfg));
	ASSERT_EQ(1, next_event(&ev, 0, in.pid, &e, 10000));
	EXPECT_EQ(MULT_CMD_CREATED, e.cmd);
	EXPECT_TRUE(e.has_first);
	EXPECT_FALSE(e.has_status);
	id = e.id;
	EXPECT_EQ(id, inst_id(&self->s, in.pid));

	EXPECT_EQ(3 << 8, inst_stop(&in));
	ASSERT_EQ(1, next_event(&ev, id, 0, &e, 10000));
	EXPECT_EQ(MULT_CMD_EMPTIED, e.cmd);
	EXPECT_TRUE(e.has_status);
	EXPECT_FALSE(e.has_first);
	EXPECT_EQ(3 << 8, e.status);

	/* Killed: the status says so. */
	ASSERT_EQ(0, inst_start(&in, &cfg));
	ASSERT_EQ(1, next_event(&ev, 0, in.pid, &e, 10000));
	id = e.id;
	ASSERT_EQ(0, kill_inst(&self->s, id, NULL, SIGKILL, NULL));
	ASSERT_EQ(1, next_event(&ev, id, 0, &e, 10000));
	EXPECT_EQ(MULT_CMD_EMPTIED, e.cmd);
	EXPECT_EQ(SIGKILL, e.status);
	EXPECT_EQ(SIGKILL, inst_stop(&in));

	EXPECT_EQ(0, mnl_recv_event(quiet.fd, quiet.family, buf, sizeof(buf), 200));

	struct info i;

	ASSERT_EQ(0, get_info(&self->s, &i, NULL));
	EXPECT_EQ(0, i.dropped);
	mnl_close(&quiet);
	mnl_close(&ev);
}

/* Unload and reload */

TEST_F_TIMEOUT(nl, reload_with_live_instances, 120)
{
	static struct ent e[MAX_ENTS];
	struct inst_cfg cfg = { .children = 1, .nested = true };
	struct inst a, b;
	struct mnl ev, s2;
	struct event evt;
	long long ida, idb;
	int n;

	ASSERT_EQ(0, inst_start(&a, &cfg));
	ida = inst_id(&self->s, a.pid);
	ASSERT_NE(0, ida);
	ASSERT_EQ(0, set_name(&self->s, ida, "nlt-reload"));
	/* A subscriber and a pending event at unload time. */
	ASSERT_EQ(0, mnl_open(&ev));
	ASSERT_EQ(0, get_info(&ev, NULL, NULL));
	ASSERT_EQ(0, subscribe(&ev));

	ASSERT_EQ(0, module_unload()) TH_LOG("delete_module: %s", strerror(errno));
	ASSERT_NE(0, mnl_open(&s2));
	EXPECT_EQ(ENOENT, errno);

	/* Created while unloaded. */
	ASSERT_EQ(0, inst_start(&b, &cfg));
	ASSERT_EQ(0, module_load());
	mnl_close(&self->s);
	ASSERT_EQ(0, mnl_open(&self->s));

	n = do_list(&self->s, e, MAX_ENTS);
	ASSERT_GE(n, 4);
	ASSERT_NE(NULL, find_id(e, n, ida));
	EXPECT_STREQ("nlt-reload", name_of(e, n, ida));
	EXPECT_EQ(2, find_id(e, n, ida) ? find_id(e, n, ida)->nproc : -1);
	idb = inst_id(&self->s, b.pid);
	ASSERT_NE(0, idb);
	EXPECT_NE(NULL, find_first(e, n, b.r.nested));

	/* Unload again at once, and again with events queued. */
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load());
	mnl_close(&self->s);
	ASSERT_EQ(0, mnl_open(&self->s));
	mnl_close(&ev);
	ASSERT_EQ(0, mnl_open(&ev));
	ASSERT_EQ(0, get_info(&ev, NULL, NULL));
	ASSERT_EQ(0, subscribe(&ev));
	ASSERT_EQ(0, kill_inst(&self->s, 0, "nlt-reload", SIGKILL, NULL));
	ASSERT_EQ(0, module_unload());
	EXPECT_EQ(SIGKILL, inst_stop(&a));
	ASSERT_EQ(0, module_load());
	mnl_close(&self->s);
	ASSERT_EQ(0, mnl_open(&self->s));
	mnl_close(&ev);
	ASSERT_EQ(0, mnl_open(&ev));
	ASSERT_EQ(0, get_info(&ev, NULL, NULL));
	ASSERT_EQ(0, subscribe(&ev));

	/* Everything works on the instance created while unloaded. */
	ASSERT_EQ(0, set_name(&self->s, idb, "nlt-reload-b"));
	ASSERT_EQ(0, kill_inst(&self->s, 0, "nlt-reload-b", SIGKILL, NULL));
	ASSERT_EQ(1, next_event(&ev, idb, 0, &evt, 10000));
	EXPECT_EQ(MULT_CMD_EMPTIED, evt.cmd);
	EXPECT_EQ(SIGKILL, inst_stop(&b));
	mnl_close(&ev);
	EXPECT_EQ(self->base, wait_nr_instances(self->base, SETTLE_MS));
}

TEST_HARNESS_MAIN
