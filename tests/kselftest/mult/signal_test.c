// SPDX-License-Identifier: GPL-2.0
/*
 * mult R3 for signals: si_pid is 0 when the receiver cannot see the
 * sender, the real (global) pid otherwise.
 *
 * - kill(), sigqueue() (rt_sigqueueinfo), tgkill() and
 *   pidfd_send_signal() from the creator to the first process: si_pid 0;
 *   between members of one instance: the sender's pid;
 * - the parent-death signal of a first process whose creator (in another
 *   instance) dies: si_pid 0; inside an instance: the parent's pid;
 * - SIGCHLD from the first process to its creator: the child's pid
 *   (a parent always sees its children).
 */
#define _GNU_SOURCE
#include "mult_util.h"

#define SIGVAL 0x6d756c74

enum { S, F, G, H, NR_NODES };

static const struct mult_node nodes[NR_NODES] = {
	[S] = { MULT_SELF, MULT_FORK, "S" },
	[F] = { MULT_SELF, MULT_INST, "F" },
	[G] = { F, MULT_FORK, "G" },
	[H] = { F, MULT_FORK, "H" },
};

FIXTURE(sipid) {
	struct mult_tree tree;
};

FIXTURE_VARIANT(sipid) {
	int from;
	int to;
	bool hidden;	/* the receiver cannot see the sender */
};

FIXTURE_VARIANT_ADD(sipid, creator_to_first) {
	.from = MULT_SELF, .to = F, .hidden = true,
};
FIXTURE_VARIANT_ADD(sipid, member_to_first) {
	.from = G, .to = F, .hidden = false,
};
FIXTURE_VARIANT_ADD(sipid, first_to_member) {
	.from = F, .to = G, .hidden = false,
};
FIXTURE_VARIANT_ADD(sipid, member_to_member) {
	.from = G, .to = H, .hidden = false,
};
FIXTURE_VARIANT_ADD(sipid, creator_to_root_sibling) {
	.from = MULT_SELF, .to = S, .hidden = false,
};

FIXTURE_SETUP(sipid)
{
	MULT_REQUIRE();
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
}

FIXTURE_TEARDOWN(sipid)
{
	mult_tree_stop(&self->tree);
}

MULT_OP(op_kill) { return kill(a, b); }

MULT_OP(op_sigqueue)
{
	union sigval v = { .sival_int = SIGVAL };

	return sigqueue(a, b, v);
}

MULT_OP(op_tgkill) { return syscall(SYS_tgkill, a, a, b); }

MULT_OP(op_pidfd_send_signal)
{
	int fd = sys_pidfd_open(a, 0), ret, e;

	if (fd < 0)
		return -2;
	ret = sys_pidfd_send_signal(fd, b, NULL, 0);
	e = errno;
	close(fd);
	errno = e;
	return ret;
}

static void check_si_pid(struct __test_metadata *_metadata,
			 FIXTURE_DATA(sipid) *self,
			 const FIXTURE_VARIANT(sipid) *variant,
			 const char *how, mult_fn send, int code)
{
	struct mult_tree *t = &self->tree;
	pid_t from = mult_pid(t, variant->from), to = mult_pid(t, variant->to);
	struct mult_res r;

	ASSERT_EQ(0, mult_call(t, variant->to, mult_op_catch, SIGUSR1, 0,
			       0).ret);
	r = mult_call(t, variant->from, send, to, SIGUSR1, 0);
	ASSERT_EQ(0, r.ret)
	{
		TH_LOG("%s by %s: %s", how, mult_name(t, variant->from),
		       mult_strerror(r.err));
	}
	ASSERT_EQ(1, mult_wait_caught(t, variant->to, 1, MULT_SETTLE_MS));
	r = mult_call(t, variant->to, mult_op_caught, MULT_CAUGHT_PID, 0, 0);
	EXPECT_EQ(variant->hidden ? 0 : from, r.ret)
	{
		TH_LOG("si_pid of %s from %s (%d) to %s", how,
		       mult_name(t, variant->from), from,
		       mult_name(t, variant->to));
	}
	EXPECT_EQ(code, mult_call(t, variant->to, mult_op_caught,
				  MULT_CAUGHT_CODE, 0, 0).ret);
	EXPECT_EQ(0, mult_call(t, variant->to, mult_op_caught,
			       MULT_CAUGHT_UID, 0, 0).ret);
	if (code == SI_QUEUE) {
		EXPECT_EQ(SIGVAL, mult_call(t, variant->to, mult_op_caught,
					    MULT_CAUGHT_VALUE, 0, 0).ret);
	}
}

TEST_F(sipid, kill)
{
	check_si_pid(_metadata, self, variant, "kill()", op_kill, SI_USER);
}

TEST_F(sipid, sigqueue)
{
	check_si_pid(_metadata, self, variant, "sigqueue()", op_sigqueue,
		     SI_QUEUE);
}

TEST_F(sipid, tgkill)
{
	check_si_pid(_metadata, self, variant, "tgkill()", op_tgkill,
		     SI_TKILL);
}

TEST_F(sipid, pidfd_send_signal)
{
	check_si_pid(_metadata, self, variant, "pidfd_send_signal()",
		     op_pidfd_send_signal, SI_USER);
}

/* ----------------------------------------------------------------- */

FIXTURE(creator) {
	struct mult_tree tree;
};

FIXTURE_SETUP(creator)
{
	MULT_REQUIRE();
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
}

FIXTURE_TEARDOWN(creator)
{
	mult_tree_stop(&self->tree);
}

/* The pidfd clone3() handed back works, and still reports 0. */
TEST_F(creator, clone_pidfd_signal)
{
	struct mult_tree *t = &self->tree;

	ASSERT_LE(0, t->pidfd[F]);
	ASSERT_EQ(0, mult_call(t, F, mult_op_catch, SIGUSR2, 0, 0).ret);
	ASSERT_EQ(0, sys_pidfd_send_signal(t->pidfd[F], SIGUSR2, NULL, 0));
	ASSERT_EQ(1, mult_wait_caught(t, F, 1, MULT_SETTLE_MS));
	EXPECT_EQ(0, mult_call(t, F, mult_op_caught, MULT_CAUGHT_PID, 0,
			       0).ret);
}

/* SIGCHLD: a parent sees its child, across the boundary too. */
TEST_F(creator, sigchld_from_first)
{
	struct mult_tree *t = &self->tree;
	pid_t f = t->pid[F];

	ASSERT_EQ(0, mult_op_catch(SIGCHLD, 0, 0));
	ASSERT_EQ(0, mult_post(t, F, mult_op_exit, 7, 0, 0));
	ASSERT_EQ(1, mult_wait_caught(t, MULT_SELF, 1, MULT_SETTLE_MS));
	EXPECT_EQ(f, mult_caught.pid);
	EXPECT_EQ(CLD_EXITED, mult_caught.code);
	EXPECT_EQ(7, mult_caught.status);
	EXPECT_EQ(7, mult_status_code(mult_reap(t, F, MULT_TIMEOUT_MS)));
}

TEST_F(creator, sigchld_inside)
{
	struct mult_tree *t = &self->tree;

	ASSERT_EQ(0, mult_call(t, F, mult_op_catch, SIGCHLD, 0, 0).ret);
	ASSERT_EQ(0, mult_post(t, G, mult_op_exit, 5, 0, 0));
	ASSERT_EQ(1, mult_wait_caught(t, F, 1, MULT_SETTLE_MS));
	EXPECT_EQ(t->pid[G], mult_call(t, F, mult_op_caught, MULT_CAUGHT_PID,
				       0, 0).ret);
	EXPECT_EQ(5, mult_call(t, F, mult_op_caught, MULT_CAUGHT_STATUS, 0,
			       0).ret);
}

/* ----------------------------------------------------------------- */
/* parent-death signal */

/* Across: M (root instance) creates F and dies. */
enum { M, FM, NR_CROSS };
static const struct mult_node cross_nodes[NR_CROSS] = {
	[M] = { MULT_SELF, MULT_FORK, "M" },
	[FM] = { M, MULT_INST, "F" },
};

/* Inside: F's member G has a child K, and dies. */
enum { IF, IG, IK, NR_INSIDE };
static const struct mult_node inside_nodes[NR_INSIDE] = {
	[IF] = { MULT_SELF, MULT_INST, "F" },
	[IG] = { IF, MULT_FORK, "G" },
	[IK] = { IG, MULT_FORK, "K" },
};

FIXTURE(pdeath) {
	struct mult_tree tree;
};

FIXTURE_VARIANT(pdeath) {
	const struct mult_node *nodes;
	int n;
	int parent;	/* dies */
	int child;	/* gets the signal */
	bool hidden;
};

FIXTURE_VARIANT_ADD(pdeath, creator_in_other_instance) {
	.nodes = cross_nodes, .n = NR_CROSS, .parent = M, .child = FM,
	.hidden = true,
};
FIXTURE_VARIANT_ADD(pdeath, parent_in_same_instance) {
	.nodes = inside_nodes, .n = NR_INSIDE, .parent = IG, .child = IK,
	.hidden = false,
};

FIXTURE_SETUP(pdeath)
{
	MULT_REQUIRE();
	/* Adopt F once M is gone, so the test can reap it. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, mult_tree_start(&self->tree, variant->nodes, variant->n));
}

FIXTURE_TEARDOWN(pdeath)
{
	mult_tree_stop(&self->tree);
}

TEST_F(pdeath, sender_pid)
{
	struct mult_tree *t = &self->tree;
	pid_t parent = t->pid[variant->parent];
	struct mult_res r;

	ASSERT_EQ(0, mult_call(t, variant->child, mult_op_catch, SIGUSR1, 0,
			       0).ret);
	ASSERT_EQ(0, mult_call(t, variant->child, mult_op_pdeathsig, SIGUSR1,
			       0, 0).ret);
	ASSERT_EQ(0, mult_post(t, variant->parent, mult_op_exit, 0, 0, 0));
	if (t->spec[variant->parent].parent == MULT_SELF) {
		EXPECT_EQ(0, mult_status_code(mult_reap(t, variant->parent,
							MULT_TIMEOUT_MS)));
	}
	ASSERT_EQ(1, mult_wait_caught(t, variant->child, 1, MULT_SETTLE_MS));
	r = mult_call(t, variant->child, mult_op_caught, MULT_CAUGHT_PID, 0,
		      0);
	EXPECT_EQ(variant->hidden ? 0 : parent, r.ret)
	{
		TH_LOG("si_pid of the parent-death signal (parent %d)", parent);
	}
	EXPECT_EQ(SI_USER, mult_call(t, variant->child, mult_op_caught,
				     MULT_CAUGHT_CODE, 0, 0).ret);
	/*
	 * The orphan's new parent: the test (a subreaper, other instance:
	 * 0) or F (the instance's reaper, R7).
	 */
	r = mult_call(t, variant->child, mult_op_getppid, 0, 0, 0);
	EXPECT_EQ(variant->hidden ? 0 : t->pid[IF], r.ret);
}

MULT_HARNESS_MAIN
