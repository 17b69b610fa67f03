// SPDX-License-Identifier: GPL-2.0
/*
 * mult R1: a pid of another instance does not exist for the viewer.
 *
 * One matrix: every syscall that takes a pid, tried by one viewer on one
 * target. Each variant is a (viewer, target) pair of this tree:
 *
 *   creator (the test, root instance)
 *   |-- S   root-instance sibling of the instance (plain fork)
 *   `-- F   first process of an instance (instfork)
 *       |-- G   member (fork)
 *       `-- H   member (fork)
 *
 * plus pid 1 (init) and pid 2 (kthreadd) as targets. The pair falls in
 * one of four classes:
 *   HIDDEN  other instance, not the viewer's child: fails as for an
 *           unused pid (ESRCH, ECHILD for waitid, ENOENT for /proc);
 *   EDGE    the creator looking at its child F, the instance's first
 *           process: visible (kill, wait, pidfd_open...), but every
 *           ptrace-mode access is denied (EPERM, R5);
 *   CHILD   same instance, the viewer's child: everything works;
 *   SAME    same instance, not a child: works, except what needs a child
 *           anyway (setpgid: ESRCH, waitid: ECHILD).
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <linux/kcmp.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include "mult_util.h"

enum { S, F, G, H, NR_NODES };
enum { TGT_CREATOR = -1, TGT_INIT = -2, TGT_KTHREADD = -3 };
enum vis { HIDDEN, EDGE, CHILD, SAME };

static const struct mult_node nodes[NR_NODES] = {
	[S] = { MULT_SELF, MULT_FORK, "S" },
	[F] = { MULT_SELF, MULT_INST, "F" },
	[G] = { F, MULT_FORK, "G" },
	[H] = { F, MULT_FORK, "H" },
};

FIXTURE(lookup) {
	struct mult_tree tree;
};

FIXTURE_VARIANT(lookup) {
	int viewer;		/* node or MULT_SELF */
	int target;		/* node or TGT_* */
	enum vis vis;
};

/* From inside toward outside. */
FIXTURE_VARIANT_ADD(lookup, first_to_creator) {
	.viewer = F, .target = TGT_CREATOR, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(lookup, first_to_init) {
	.viewer = F, .target = TGT_INIT, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(lookup, first_to_kthreadd) {
	.viewer = F, .target = TGT_KTHREADD, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(lookup, first_to_root_sibling) {
	.viewer = F, .target = S, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(lookup, member_to_creator) {
	.viewer = G, .target = TGT_CREATOR, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(lookup, member_to_root_sibling) {
	.viewer = G, .target = S, .vis = HIDDEN,
};
/* From outside toward inside. */
FIXTURE_VARIANT_ADD(lookup, creator_to_member) {
	.viewer = MULT_SELF, .target = G, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(lookup, root_sibling_to_first) {
	.viewer = S, .target = F, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(lookup, root_sibling_to_member) {
	.viewer = S, .target = G, .vis = HIDDEN,
};
/* The creation edge. */
FIXTURE_VARIANT_ADD(lookup, creator_to_first) {
	.viewer = MULT_SELF, .target = F, .vis = EDGE,
};
/* Inside the instance: business as usual. */
FIXTURE_VARIANT_ADD(lookup, first_to_member) {
	.viewer = F, .target = G, .vis = CHILD,
};
FIXTURE_VARIANT_ADD(lookup, member_to_first) {
	.viewer = G, .target = F, .vis = SAME,
};
FIXTURE_VARIANT_ADD(lookup, member_to_member) {
	.viewer = G, .target = H, .vis = SAME,
};
/* Inside the root instance, as controls. */
FIXTURE_VARIANT_ADD(lookup, creator_to_root_sibling) {
	.viewer = MULT_SELF, .target = S, .vis = CHILD,
};
FIXTURE_VARIANT_ADD(lookup, root_sibling_to_creator) {
	.viewer = S, .target = TGT_CREATOR, .vis = SAME,
};

FIXTURE_SETUP(lookup)
{
	MULT_REQUIRE();
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
}

FIXTURE_TEARDOWN(lookup)
{
	mult_tree_stop(&self->tree);
}

/* ----------------------------------------------------------------- */
/* the syscalls; a is the target pid */

MULT_OP(op_kill0) { return kill(a, 0); }
MULT_OP(op_tkill0) { return syscall(SYS_tkill, a, 0); }
MULT_OP(op_tgkill0) { return syscall(SYS_tgkill, a, a, 0); }

static void fill_queue_info(siginfo_t *si)
{
	memset(si, 0, sizeof(*si));
	si->si_code = SI_QUEUE;
	si->si_pid = getpid();
	si->si_uid = getuid();
}

MULT_OP(op_sigqueue0)
{
	siginfo_t si;

	fill_queue_info(&si);
	return syscall(SYS_rt_sigqueueinfo, a, 0, &si);
}

MULT_OP(op_tgsigqueue0)
{
	siginfo_t si;

	fill_queue_info(&si);
	return syscall(SYS_rt_tgsigqueueinfo, a, a, 0, &si);
}

MULT_OP(op_getpgid) { return getpgid(a); }
MULT_OP(op_getsid) { return getsid(a); }
MULT_OP(op_setpgid) { return setpgid(a, a); }

MULT_OP(op_getpriority)
{
	return syscall(SYS_getpriority, PRIO_PROCESS, a) < 0 ? -1 : 0;
}

/* Set the target's nice to the caller's own (all start equal). */
MULT_OP(op_setpriority)
{
	int nice;

	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	if (nice == -1 && errno)
		return -2;
	return setpriority(PRIO_PROCESS, a, nice);
}

MULT_OP(op_ioprio_get)
{
	/* IOPRIO_WHO_PROCESS */
	return syscall(SYS_ioprio_get, 1, a) < 0 ? -1 : 0;
}

MULT_OP(op_sched_getparam)
{
	struct sched_param p;

	return sched_getparam(a, &p);
}

MULT_OP(op_sched_getscheduler)
{
	return sched_getscheduler(a) < 0 ? -1 : 0;
}

MULT_OP(op_sched_getaffinity)
{
	cpu_set_t set;

	return sched_getaffinity(a, sizeof(set), &set);
}

MULT_OP(op_sched_rr_get_interval)
{
	struct timespec ts;

	return sched_rr_get_interval(a, &ts);
}

MULT_OP(op_prlimit)
{
	struct rlimit rl;

	return prlimit(a, RLIMIT_NOFILE, NULL, &rl);
}

MULT_OP(op_capget)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = a,
	};
	struct __user_cap_data_struct data[2];

	return syscall(SYS_capget, &hdr, data);
}

MULT_OP(op_pidfd_open)
{
	int fd = sys_pidfd_open(a, 0);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

MULT_OP(op_fsetown)
{
	int p[2], ret, e;

	if (pipe(p))
		return -2;
	ret = fcntl(p[0], F_SETOWN, a);
	e = errno;
	close(p[0]);
	close(p[1]);
	errno = e;
	return ret;
}

MULT_OP(op_waitid)
{
	siginfo_t si;

	return waitid(P_PID, a, &si, WEXITED | WNOHANG);
}

/* OP(ptrace_attach|ptrace_seize) pastes these names. */
#define op_ptrace_attach mult_op_ptrace_attach
#define op_ptrace_seize mult_op_ptrace_seize

MULT_OP(op_kcmp)
{
	return syscall(SYS_kcmp, getpid(), a, KCMP_VM, 0, 0) < 0 ? -1 : 0;
}

MULT_OP(op_process_vm_readv)
{
	long v = 0;
	struct iovec local = { &v, sizeof(v) };
	struct iovec remote = { (void *)&mult_probe, sizeof(v) };

	if (process_vm_readv(a, &local, 1, &remote, 1, 0) != sizeof(v))
		return -1;
	return v == MULT_PROBE ? 0 : -2;
}

MULT_OP(op_get_robust_list)
{
	size_t len;
	void *head;

	return syscall(SYS_get_robust_list, a, &head, &len);
}

MULT_OP(op_proc_stat) { return mult_op_stat_proc(a, 0, 0); }
MULT_OP(op_proc_status) { return mult_op_read_proc(a, (long)"/status", 0); }

MULT_OP(op_proc_task)
{
	char sub[32];

	snprintf(sub, sizeof(sub), "/task/%ld", a);
	return mult_op_stat_proc(a, (long)sub, 0);
}

/* ----------------------------------------------------------------- */

static pid_t target_pid(FIXTURE_DATA(lookup) *self, int target)
{
	switch (target) {
	case TGT_CREATOR: return getpid();
	case TGT_INIT: return 1;
	case TGT_KTHREADD: return 2;
	}
	return self->tree.pid[target];
}

static const char *const vis_name[] = { "hidden", "edge", "child", "same" };

struct lookup_op {
	const char *name;
	mult_fn fn;
	int expect[4];	/* per vis: 0 = success, else the errno */
};

#define OP(op, hidden, edge, child, same) \
	{ #op, op_##op, { hidden, edge, child, same } }

/*
 * The calls are grouped into a few tests per (viewer, target) pair, each
 * with a fresh tree: a debug kernel under QEMU/TCG forks slowly, and the
 * guest gives a binary 240 s. A failure names the call.
 */
/*                                   HIDDEN  EDGE   CHILD  SAME */
static const struct lookup_op signal_ops[] = {
	OP(kill0,                        ESRCH,  0,     0,     0),
	OP(tkill0,                       ESRCH,  0,     0,     0),
	OP(tgkill0,                      ESRCH,  0,     0,     0),
	OP(sigqueue0,                    ESRCH,  0,     0,     0),
	OP(tgsigqueue0,                  ESRCH,  0,     0,     0),
};

static const struct lookup_op group_ops[] = {
	OP(getpgid,                      ESRCH,  0,     0,     0),
	OP(getsid,                       ESRCH,  0,     0,     0),
	/* EDGE: F leads another session; SAME: only one's own children. */
	OP(setpgid,                      ESRCH,  EPERM, 0,     ESRCH),
};

static const struct lookup_op sched_ops[] = {
	OP(getpriority,                  ESRCH,  0,     0,     0),
	OP(setpriority,                  ESRCH,  0,     0,     0),
	OP(ioprio_get,                   ESRCH,  0,     0,     0),
	OP(sched_getparam,               ESRCH,  0,     0,     0),
	OP(sched_getscheduler,           ESRCH,  0,     0,     0),
	OP(sched_getaffinity,            ESRCH,  0,     0,     0),
	OP(sched_rr_get_interval,        ESRCH,  0,     0,     0),
	OP(prlimit,                      ESRCH,  0,     0,     0),
};

static const struct lookup_op handle_ops[] = {
	OP(capget,                       ESRCH,  0,     0,     0),
	OP(pidfd_open,                   ESRCH,  0,     0,     0),
	OP(fsetown,                      ESRCH,  0,     0,     0),
	OP(waitid,                       ECHILD, 0,     0,     ECHILD),
};

/* ptrace-mode access is same-instance only, even on one's child (R5). */
static const struct lookup_op ptrace_ops[] = {
	OP(ptrace_attach,                ESRCH,  EPERM, 0,     0),
	OP(ptrace_seize,                 ESRCH,  EPERM, 0,     0),
	OP(kcmp,                         ESRCH,  EPERM, 0,     0),
	OP(process_vm_readv,             ESRCH,  EPERM, 0,     0),
	OP(get_robust_list,              ESRCH,  EPERM, 0,     0),
};

/* /proc/<pid> lookups (R1, R2). */
static const struct lookup_op proc_ops[] = {
	OP(proc_stat,                    ENOENT, 0,     0,     0),
	OP(proc_status,                  ENOENT, 0,     0,     0),
	OP(proc_task,                    ENOENT, 0,     0,     0),
};

static void check_lookups(struct __test_metadata *_metadata,
			  FIXTURE_DATA(lookup) *self,
			  const FIXTURE_VARIANT(lookup) *variant,
			  const struct lookup_op *ops, unsigned int n)
{
	pid_t pid = target_pid(self, variant->target);
	struct mult_res r;

	if (mult_dryrun && pid <= 2)
		SKIP(return, "dry run: leaving pid %d alone", pid);
	for (unsigned int i = 0; i < n; i++) {
		r = mult_call(&self->tree, variant->viewer, ops[i].fn, pid, 0,
			      0);
		EXPECT_RES(r, ops[i].expect[variant->vis], "%s(%d) by %s (%s)",
			   ops[i].name, pid,
			   mult_name(&self->tree, variant->viewer),
			   vis_name[variant->vis]);
	}
}

#define LOOKUP_TEST(name, ops)                                          \
	TEST_F(lookup, name)                                            \
	{                                                               \
		check_lookups(_metadata, self, variant, ops,            \
			      ARRAY_SIZE(ops));                         \
	}

LOOKUP_TEST(signals, signal_ops)
LOOKUP_TEST(groups, group_ops)
LOOKUP_TEST(sched, sched_ops)
LOOKUP_TEST(handles, handle_ops)
LOOKUP_TEST(ptrace_mode, ptrace_ops)
LOOKUP_TEST(proc, proc_ops)

MULT_HARNESS_MAIN
