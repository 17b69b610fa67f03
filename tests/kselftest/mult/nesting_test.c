// SPDX-License-Identifier: GPL-2.0
/*
 * mult: nested and sibling instances.
 *
 * A member of an instance (root inside it) can create a nested instance.
 * Visibility is strict between any two distinct instances: the middle
 * instance and the nested one see each other only through the creation
 * edge (F sees its child N), two sibling instances not at all, although
 * they have the same creator. (Depth limits: create_test.c.)
 *
 *   creator (the test, root instance)
 *   |-- F   instance A (instfork)
 *   |   |-- G    member of A
 *   |   `-- N    instance N, nested in A (instfork by F)
 *   |       `-- N2   member of N
 *   `-- B   instance B, sibling of A (instfork)
 *       `-- B2   member of B
 */
#define _GNU_SOURCE
#include <sys/ptrace.h>

#include "mult_util.h"

enum { F, G, N, N2, B, B2, NR_NODES };

static const struct mult_node nodes[NR_NODES] = {
	[F] = { MULT_SELF, MULT_INST, "F" },
	[G] = { F, MULT_FORK, "G" },
	[N] = { F, MULT_INST, "N" },
	[N2] = { N, MULT_FORK, "N2" },
	[B] = { MULT_SELF, MULT_INST, "B" },
	[B2] = { B, MULT_FORK, "B2" },
};

enum vis { HIDDEN, EDGE, SAME };

FIXTURE(nested) {
	struct mult_tree tree;
};

FIXTURE_VARIANT(nested) {
	int viewer;
	int target;
	enum vis vis;
};

FIXTURE_VARIANT_ADD(nested, first_to_nested_first) {
	.viewer = F, .target = N, .vis = EDGE,
};
FIXTURE_VARIANT_ADD(nested, first_to_nested_member) {
	.viewer = F, .target = N2, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(nested, member_to_nested_first) {
	.viewer = G, .target = N, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(nested, nested_first_to_its_creator) {
	.viewer = N, .target = F, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(nested, nested_first_to_middle_member) {
	.viewer = N, .target = G, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(nested, nested_member_to_middle_first) {
	.viewer = N2, .target = F, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(nested, nested_first_to_root) {
	.viewer = N, .target = MULT_SELF, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(nested, nested_member_to_nested_first) {
	.viewer = N2, .target = N, .vis = SAME,
};
FIXTURE_VARIANT_ADD(nested, root_to_nested_first) {
	.viewer = MULT_SELF, .target = N, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(nested, root_to_nested_member) {
	.viewer = MULT_SELF, .target = N2, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(nested, first_to_sibling_first) {
	.viewer = F, .target = B, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(nested, sibling_first_to_first) {
	.viewer = B, .target = F, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(nested, member_to_sibling_member) {
	.viewer = G, .target = B2, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(nested, sibling_first_to_nested_first) {
	.viewer = B, .target = N, .vis = HIDDEN,
};
FIXTURE_VARIANT_ADD(nested, creator_to_sibling_first) {
	.viewer = MULT_SELF, .target = B, .vis = EDGE,
};

FIXTURE_SETUP(nested)
{
	MULT_REQUIRE();
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
}

FIXTURE_TEARDOWN(nested)
{
	mult_tree_stop(&self->tree);
}

MULT_OP(op_pidfd_open)
{
	int fd = sys_pidfd_open(a, 0);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

MULT_OP(op_attach)
{
	int st;

	if (ptrace(PTRACE_ATTACH, a, NULL, NULL))
		return -1;
	if (waitpid(a, &st, __WALL) != a ||
	    ptrace(PTRACE_DETACH, a, NULL, NULL))
		return -2;
	return 0;
}

struct nested_op {
	const char *name;
	mult_fn fn;
	int expect[3];	/* per vis: 0 = success, else the errno */
};

/* One test per pair, with a fresh tree: forks are slow under TCG. */
static const struct nested_op nested_ops[] = {
	/*                            HIDDEN  EDGE   SAME */
	{ "kill0", mult_op_kill,       { ESRCH,  0,     0 } },
	{ "getsid", mult_op_getsid,    { ESRCH,  0,     0 } },
	{ "pidfd_open", op_pidfd_open, { ESRCH,  0,     0 } },
	{ "proc_stat", mult_op_stat_proc, { ENOENT, 0,  0 } },
	{ "ptrace_attach", op_attach,  { ESRCH,  EPERM, 0 } },
};

TEST_F(nested, lookups)
{
	struct mult_tree *t = &self->tree;
	pid_t pid = mult_pid(t, variant->target);
	struct mult_res r;

	for (unsigned int i = 0; i < ARRAY_SIZE(nested_ops); i++) {
		r = mult_call(t, variant->viewer, nested_ops[i].fn, pid, 0, 0);
		EXPECT_RES(r, nested_ops[i].expect[variant->vis],
			   "%s(%s = %d) by %s", nested_ops[i].name,
			   mult_name(t, variant->target), pid,
			   mult_name(t, variant->viewer));
	}
}

/* ----------------------------------------------------------------- */

FIXTURE(nest) {
	struct mult_tree tree;
	int base;
};

FIXTURE_SETUP(nest)
{
	MULT_REQUIRE();
	self->base = mult_quiesce();
	ASSERT_LE(0, self->base);
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
}

FIXTURE_TEARDOWN(nest)
{
	mult_tree_stop(&self->tree);
}

TEST_F(nest, counted_and_first_processes)
{
	struct mult_tree *t = &self->tree;

	/* A, N and B. */
	EXPECT_EQ(self->base + 3, mult_nr_instances());
	/* Every first process: parent hidden, own session. */
	EXPECT_EQ(0, mult_call(t, N, mult_op_getppid, 0, 0, 0).ret);
	EXPECT_EQ(0, mult_call(t, B, mult_op_getppid, 0, 0, 0).ret);
	EXPECT_EQ(t->pid[N], mult_call(t, N, mult_op_getsid, 0, 0, 0).ret);
	EXPECT_EQ(t->pid[N], mult_call(t, N2, mult_op_getppid, 0, 0, 0).ret);
	EXPECT_EQ(t->pid[B], mult_call(t, B2, mult_op_getppid, 0, 0, 0).ret);
	/* F is N's parent and sees it as its child. */
	EXPECT_EQ(0, mult_call(t, F, mult_op_waitid_nohang, t->pid[N], 0,
			       0).ret);
}

TEST_F(nest, sibling_readdir)
{
	struct mult_tree *t = &self->tree;
	long *pids = t->shm->data;
	struct mult_res r;

	r = mult_call(t, B, mult_op_proc_pids, (long)pids, 64, 0);
	ASSERT_EQ(2, r.ret);
	EXPECT_TRUE(mult_pids_contain(pids, 2, t->pid[B]));
	EXPECT_TRUE(mult_pids_contain(pids, 2, t->pid[B2]));
	r = mult_call(t, N2, mult_op_proc_pids, (long)pids, 64, 0);
	ASSERT_EQ(2, r.ret);
	EXPECT_TRUE(mult_pids_contain(pids, 2, t->pid[N]));
	EXPECT_TRUE(mult_pids_contain(pids, 2, t->pid[N2]));
}

/* Members of an instance (root in it) create nested instances too. */
TEST_F(nest, member_creates_instance)
{
	struct mult_tree *t = &self->tree;

	EXPECT_RES(mult_call(t, G, mult_op_instfork_probe, 0, 0, 0), 0,
		   "instfork by member G");
	EXPECT_RES(mult_call(t, N2, mult_op_instfork_probe, 0, 0, 0), 0,
		   "instfork by nested member N2");
	EXPECT_EQ(self->base + 3, mult_wait_nr_instances(self->base + 3,
							 MULT_SETTLE_MS));
}

MULT_HARNESS_MAIN
