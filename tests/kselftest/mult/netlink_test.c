// SPDX-License-Identifier: GPL-2.0
/*
 * The management module (kernel/module, mult_mgmt.ko) over generic
 * netlink: every operation's success path, the permission checks (an
 * unprivileged user, a root without CAP_SYS_ADMIN in the initial user
 * namespace, a member of an instance), malformed requests with their errno
 * and extended ack, kill racing a fork bomb, the events group, and unload
 * and reload of the module with live instances.
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
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "mult_nl.h"

/*
 * kselftest_harness.h is not -Wextra clean: unused parameters in TEST_F()
 * and, at -O2, -Wclobbered on its setjmp()-kept variables.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"

#ifndef CLONE_NEWINST
#define CLONE_NEWINST 0x400000000ULL
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
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

/* What the first process of a test instance does. */
struct inst_cfg {
	int children;		/* children that sleep until released */
	int threads;		/* extra threads (0 or 1) */
	bool nested;		/* start a nested instance too */
	int bombs;		/* fork-bomb workers (kill race) */
	int exit_code;		/* when released */
	const char *comm;
};

/* Reported by the first process when everything is in place. */
struct inst_ready {
	pid_t first;
	pid_t thread;
	pid_t kids[MAX_KIDS];
	pid_t nested;
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

static int first_main(const struct inst_cfg *cfg)
{
	struct inst_ready r = { .first = getpid() };
	int sync[2];
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
	if (write(sync_fd, &r, sizeof(r)) != sizeof(r))
		return 107;
	wait_release();
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

/* Wait for the first process to end, reap it, keep the pidfd. */
static int inst_reap(struct inst *in, int ms)
{
	struct pollfd p = { .fd = in->pidfd, .events = POLLIN };
	siginfo_t si = {};

	if (poll(&p, 1, ms) != 1)
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
		const struct nlattr *tb[MULT_A_INSTANCE_MAX + 1];
		struct ent *x = &e[n];

		mnl_parse(r.msgs[i], tb, MULT_A_INSTANCE_MAX);
		memset(x, 0, sizeof(*x));
		if (!tb[MULT_A_INSTANCE_ID] || !tb[MULT_A_INSTANCE_PARENT_ID] ||
		    !tb[MULT_A_INSTANCE_DEPTH] || !tb[MULT_A_INSTANCE_NR_PROCESSES] ||
		    !tb[MULT_A_INSTANCE_NR_THREADS] || !tb[MULT_A_INSTANCE_START_TIME]) {
			fprintf(stderr, "# list: attribute missing\n");
			n = -1;
			break;
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
		if (err) {
			*err = r;
			memset(err->bufs, 0, sizeof(err->bufs));
			err->nbufs = 0;
		}
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
	if (out) {
		*out = r;
		memset(out->bufs, 0, sizeof(out->bufs));
		out->nbufs = 0;
		out->n = 0;
	}
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

static int kill_inst(struct mnl *s, long long id, const char *name, int sig,
		     struct mnl_reply *r)
{
	struct mnl_req q;

	mnl_req(s, &q, MULT_CMD_KILL, 0);
	if (name)
		mnl_put_str(&q, MULT_A_INSTANCE_NAME, name);
	else
		mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	if (sig)
		mnl_put_u32(&q, MULT_A_INSTANCE_SIGNAL, sig);
	return do_req(s, &q, r);
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
	if (err) {
		*err = r;
		memset(err->bufs, 0, sizeof(err->bufs));
		err->nbufs = 0;
		err->n = 0;
	}
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

/* A limit get-info reports must be the sysctl's value. */
static void check_limit(struct __test_metadata *_metadata, bool has,
			long long value, const char *sysctl)
{
	if (!has) {
		TH_LOG("%s not reported: the kernel does not export the limits",
		       sysctl);
		return;
	}
	EXPECT_EQ(read_int(sysctl), value);
}

TEST_F(nl, get_info)
{
	struct inst in;
	struct inst_cfg cfg = {};
	struct info i;

	ASSERT_EQ(0, get_info(&self->s, &i, NULL));
	EXPECT_EQ(MULT_ABI_VERSION, i.abi);
	EXPECT_EQ(self->base, i.nr);
	check_limit(_metadata, i.has_max_depth, i.max_depth,
		    "/proc/sys/kernel/mult/max_depth");
	check_limit(_metadata, i.has_max_instances, i.max_instances,
		    "/proc/sys/kernel/mult/max_instances");

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

	/* Reaped, the pidfd still holds the instance: listed, status kept. */
	siginfo_t si = {};

	ASSERT_EQ(0, waitid((idtype_t)P_PIDFD, in.pidfd, &si, WEXITED));
	EXPECT_EQ(7, si.si_status);
	n = do_list(&self->s, e, MAX_ENTS);
	x = find_first(e, n, in.pid);
	ASSERT_NE(NULL, x);
	EXPECT_TRUE(x->has_status);
	EXPECT_EQ(7 << 8, x->status);
	long long id = x->id;

	/* Last reference gone: no longer listed. */
	close(in.pidfd);
	long end = now_ms() + SETTLE_MS;

	do {
		sleep_ms(20);
		n = do_list(&self->s, e, MAX_ENTS);
		ASSERT_GE(n, 0);
	} while (find_id(e, n, id) && now_ms() < end);
	EXPECT_EQ(NULL, find_id(e, n, id));
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

	/* Every process gone, the pidfd still holds it: an empty dump. */
	close(in.release);
	in.release = -1;
	EXPECT_EQ(0, inst_reap(&in, 10000));
	long end = now_ms() + SETTLE_MS;

	while ((n = do_ps(&self->s, id, NULL, true, p, 16, NULL)) > 0 &&
	       now_ms() < end)
		sleep_ms(20);
	EXPECT_EQ(0, n);
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

	/* Nothing survives: no process listed, the instance freed. */
	long end = now_ms() + 2 * SETTLE_MS;

	while ((n = do_ps(&self->s, id, NULL, true, p, 64, NULL)) > 0 &&
	       now_ms() < end)
		sleep_ms(50);
	EXPECT_EQ(0, n);
	close(in.pidfd);
	EXPECT_EQ(self->base, wait_nr_instances(self->base, 2 * SETTLE_MS));
	EXPECT_EQ(0, inst_id(&self->s, in.pid));
}

/* enter */

TEST_F(nl, enter_not_supported_yet)
{
	struct inst_cfg cfg = {};
	struct mnl_reply r;
	struct mnl_req q;
	struct inst in;
	long long id;
	int ret;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	ASSERT_NE(0, id);

	mnl_req(&self->s, &q, MULT_CMD_ENTER, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	ret = do_req(&self->s, &q, &r);
	EXPECT_TRUE(ack_is(_metadata, "enter", ret, &r, -EOPNOTSUPP,
			   EXT_ENTER, -2));

	/* The request is validated first. */
	mnl_req(&self->s, &q, MULT_CMD_ENTER, 0);
	int off = mnl_put_u32(&q, MULT_A_INSTANCE_ID, 0x7ffffff0);

	ret = do_req(&self->s, &q, &r);
	EXPECT_TRUE(ack_is(_metadata, "enter unknown id", ret, &r, -ENOENT,
			   EXT_NO_ID, off));
	EXPECT_EQ(0, inst_stop(&in));
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
					   "\xc0\xc1", "tab\t", "x:y" };

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
	struct mnl_reply r;
	struct mnl_req q;
	struct inst in;
	long long id;
	int ret, off;

	ASSERT_EQ(0, inst_start(&in, &cfg));
	id = inst_id(&self->s, in.pid);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, set_name(&self->s, id, "nlt-bad"));

#define CASE(what, want, msg, at)                                          \
	do {                                                               \
		ret = do_req(&self->s, &q, &r);                            \
		EXPECT_TRUE(ack_is(_metadata, what, ret, &r, want, msg, at)); \
	} while (0)

	/* Neither id nor name; both. */
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	CASE("kill, no instance", -EINVAL, EXT_NO_TARGET, -1);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_SIGNAL, SIGTERM);
	CASE("kill, signal only", -EINVAL, EXT_NO_TARGET, -1);
	mnl_req(&self->s, &q, MULT_CMD_KILL, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	off = mnl_put_str(&q, MULT_A_INSTANCE_NAME, "nlt-bad");
	CASE("kill, id and name", -EINVAL, EXT_BOTH, off);
	mnl_req(&self->s, &q, MULT_CMD_ENTER, 0);
	CASE("enter, no instance", -EINVAL, EXT_NO_TARGET, -1);

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
	CASE("ps, id and name", -EINVAL, EXT_BOTH, off);
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
	mnl_req(s, &q, MULT_CMD_ENTER, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	ret = do_req(s, &q, &r);
	CHILD_CHECK(ret == -EPERM && !strcmp(r.msg, msg));
	if (group_refused)
		CHILD_CHECK(subscribe(s) == -1 && errno == EPERM);
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
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
