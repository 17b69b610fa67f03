// SPDX-License-Identifier: GPL-2.0
/*
 * mult R4: process groups, sessions and terminals stay inside an instance.
 *
 * - the first process leads a new session and process group, without a
 *   controlling terminal, even when its creator has one;
 * - no process can join, signal, wait for or own (F_SETOWN) a group of
 *   another instance: setpgid() fails with EPERM as for a group that does
 *   not exist, kill(-pgrp) with ESRCH, waitid(P_PGID) with ECHILD;
 * - through the creation edge the creator reaches its child F, not the
 *   rest of F's group (kill(-F), setpriority(PRIO_PGRP, F)).
 *
 *   creator (the test)
 *   |-- S   root instance (fork)
 *   `-- F   first process (instfork)
 *       |-- G, H   members (fork)
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "mult_util.h"

enum { S, F, G, H, NR_NODES };

static const struct mult_node nodes[NR_NODES] = {
	[S] = { MULT_SELF, MULT_FORK, "S" },
	[F] = { MULT_SELF, MULT_INST, "F" },
	[G] = { F, MULT_FORK, "G" },
	[H] = { F, MULT_FORK, "H" },
};

FIXTURE(groups) {
	struct mult_tree tree;
	pid_t pid[NR_NODES];
	pid_t creator, pgrp, sid;
};

FIXTURE_SETUP(groups)
{
	MULT_REQUIRE();
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
	memcpy(self->pid, self->tree.pid, sizeof(self->pid));
	self->creator = getpid();
	self->pgrp = getpgrp();
	self->sid = getsid(0);
}

FIXTURE_TEARDOWN(groups)
{
	mult_tree_stop(&self->tree);
}

#define CALL(node, fn, a, b) mult_call(&self->tree, node, fn, a, b, 0)

TEST_F(groups, first_leads_session_and_group)
{
	pid_t f = self->pid[F];

	EXPECT_EQ(f, CALL(F, mult_op_getsid, 0, 0).ret);
	EXPECT_EQ(f, CALL(F, mult_op_getpgrp, 0, 0).ret);
	/* Members inherit them, as usual. */
	EXPECT_EQ(f, CALL(G, mult_op_getsid, 0, 0).ret);
	EXPECT_EQ(f, CALL(G, mult_op_getpgrp, 0, 0).ret);
	/* Seen from the creator, through the creation edge. */
	EXPECT_EQ(f, getsid(f));
	EXPECT_EQ(f, getpgid(f));
	/* The creator's own are untouched, and so are a plain child's. */
	EXPECT_EQ(self->sid, getsid(0));
	EXPECT_EQ(self->pgrp, getpgrp());
	EXPECT_EQ(self->sid, CALL(S, mult_op_getsid, 0, 0).ret);
	EXPECT_EQ(self->pgrp, CALL(S, mult_op_getpgrp, 0, 0).ret);
}

TEST_F(groups, setpgid_into_other_instance)
{
	struct mult_res r;

	/* Inside toward the creator's group: it does not exist. */
	r = CALL(F, mult_op_setpgid, 0, self->pgrp);
	EXPECT_RES(r, EPERM, "setpgid(0, creator's group) by F");
	r = CALL(G, mult_op_setpgid, 0, self->pgrp);
	EXPECT_RES(r, EPERM, "setpgid(0, creator's group) by G");
	/* Outside toward F's group. */
	r = CALL(S, mult_op_setpgid, 0, self->pid[F]);
	EXPECT_RES(r, EPERM, "setpgid(0, F's group) by S");
	/* Allowed: moving between groups of one's own session. */
	r = CALL(G, mult_op_setpgid, 0, 0);
	EXPECT_RES(r, 0, "setpgid(0, 0) by G");
	r = CALL(G, mult_op_setpgid, 0, self->pid[F]);
	EXPECT_RES(r, 0, "setpgid(0, F) by G");
	r = CALL(S, mult_op_setpgid, 0, 0);
	EXPECT_RES(r, 0, "setpgid(0, 0) by S");
	r = CALL(S, mult_op_setpgid, 0, self->pgrp);
	EXPECT_RES(r, 0, "setpgid(0, creator's group) by S");
	/* And a new session inside the instance is fine. */
	r = CALL(H, mult_op_setsid, 0, 0);
	EXPECT_EQ(self->pid[H], r.ret);
}

MULT_OP(op_killpg0) { return kill(-a, 0); }

MULT_OP(op_waitid_pgid)
{
	siginfo_t si;

	return waitid(P_PGID, a, &si, WEXITED | WNOHANG);
}

MULT_OP(op_fsetown_pgrp)
{
	int p[2], ret, e;

	if (pipe(p))
		return -2;
	ret = fcntl(p[0], F_SETOWN, -a);
	e = errno;
	close(p[0]);
	close(p[1]);
	errno = e;
	return ret;
}

MULT_OP(op_getprio_pgrp)
{
	return syscall(SYS_getpriority, PRIO_PGRP, a);
}

static void check_group_op(struct __test_metadata *_metadata,
			   FIXTURE_DATA(groups) *self, const char *name,
			   mult_fn fn, int hidden_err)
{
	pid_t f = self->pid[F];
	struct mult_res r;

	r = CALL(F, fn, self->pgrp, 0);
	EXPECT_RES(r, hidden_err, "%s on the creator's group by F", name);
	r = CALL(G, fn, self->pgrp, 0);
	EXPECT_RES(r, hidden_err, "%s on the creator's group by G", name);
	r = CALL(S, fn, f, 0);
	EXPECT_RES(r, hidden_err, "%s on F's group by S", name);
	/* Allowed sides. */
	r = CALL(F, fn, f, 0);
	EXPECT_RES(r, 0, "%s on its own group by F", name);
	r = CALL(G, fn, f, 0);
	EXPECT_RES(r, 0, "%s on its own group by G", name);
	r = CALL(S, fn, self->pgrp, 0);
	EXPECT_RES(r, 0, "%s on its own group by S", name);
}

TEST_F(groups, kill_group)
{
	check_group_op(_metadata, self, "kill(-pgrp, 0)", op_killpg0, ESRCH);
}

TEST_F(groups, waitid_group)
{
	/* A group with no children of the caller in it: ECHILD either way. */
	struct mult_res r;

	r = CALL(F, op_waitid_pgid, self->pgrp, 0);
	EXPECT_RES(r, ECHILD, "waitid(P_PGID, creator's group) by F");
	/* F's group holds F's children G and H. */
	r = CALL(F, op_waitid_pgid, self->pid[F], 0);
	EXPECT_RES(r, 0, "waitid(P_PGID, own group) by F");
	/* The creator's group holds S. */
	r = CALL(MULT_SELF, op_waitid_pgid, self->pgrp, 0);
	EXPECT_RES(r, 0, "waitid(P_PGID, own group) by the creator");
}

TEST_F(groups, fsetown_group)
{
	check_group_op(_metadata, self, "F_SETOWN(-pgrp)", op_fsetown_pgrp,
		       ESRCH);
}

TEST_F(groups, getpriority_group)
{
	check_group_op(_metadata, self, "getpriority(PRIO_PGRP)",
		       op_getprio_pgrp, ESRCH);
}

/*
 * The creator sees its child F, so kill(-F) and PRIO_PGRP F find F's
 * group; they reach F and nobody else in it.
 */
TEST_F(groups, creation_edge_reaches_the_child_only)
{
	struct mult_tree *t = &self->tree;
	pid_t f = self->pid[F];

	ASSERT_EQ(0, mult_call(t, F, mult_op_catch, SIGWINCH, 0, 0).ret);
	ASSERT_EQ(0, mult_call(t, G, mult_op_catch, SIGWINCH, 0, 0).ret);
	ASSERT_EQ(0, mult_call(t, H, mult_op_catch, SIGWINCH, 0, 0).ret);
	EXPECT_EQ(0, kill(-f, SIGWINCH));
	EXPECT_EQ(1, mult_wait_caught(t, F, 1, MULT_SETTLE_MS));
	mult_sleep_ms(300);
	EXPECT_EQ(0, mult_call(t, G, mult_op_caught, MULT_CAUGHT_COUNT, 0,
			       0).ret)
	{
		TH_LOG("kill(-F) by the creator reached member G");
	}
	EXPECT_EQ(0, mult_call(t, H, mult_op_caught, MULT_CAUGHT_COUNT, 0,
			       0).ret);

	/*
	 * PRIO_PGRP: F at nice 1, G at -3, H at 0. The creator sees F only,
	 * so the lowest nice it finds in the group is F's.
	 */
	ASSERT_EQ(0, mult_call(t, F, mult_op_setnice, 1, 0, 0).ret);
	ASSERT_EQ(0, mult_call(t, G, mult_op_setnice, -3, 0, 0).ret);
	ASSERT_EQ(0, mult_call(t, H, mult_op_setnice, 0, 0, 0).ret);
	EXPECT_EQ(20 - 1, syscall(SYS_getpriority, PRIO_PGRP, f))
	{
		TH_LOG("PRIO_PGRP F by the creator saw the members' nice");
	}
	EXPECT_EQ(0, setpriority(PRIO_PGRP, f, 5));
	EXPECT_EQ(20 - 5, mult_call(t, F, mult_op_getprio_raw, 0, 0, 0).ret);
	EXPECT_EQ(20 + 3, mult_call(t, G, mult_op_getprio_raw, 0, 0, 0).ret)
	{
		TH_LOG("PRIO_PGRP F by the creator reniced member G");
	}
	EXPECT_EQ(20, mult_call(t, H, mult_op_getprio_raw, 0, 0, 0).ret);
}

/* ----------------------------------------------------------------- */
/* controlling terminal */

/*
 * In a forked child: get a controlling terminal from a private devpts,
 * then check that a plain child inherits it while the first process of
 * an instance has none.
 */
static int open_tty(const char *path)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

MULT_OP(tty_child)
{
	const char *tty = (const char *)a;

	if (b) {	/* the first process of an instance */
		MULT_CHECK(getsid(0) == getpid());
		MULT_CHECK(getpgrp() == getpid());
	}
	return open_tty(tty);
}

MULT_OP(ctty_scenario)
{
	char dir[64], tty[128];
	int master, slave, r;

	r = mult_private_pty(dir, sizeof(dir), &master, &slave);
	if (r)
		return r;
	snprintf(tty, sizeof(tty), "%s/tty", dir);
	MULT_CHECK(mknod(tty, S_IFCHR | 0666, makedev(5, 0)) == 0);

	/* Without a controlling terminal yet: ENXIO, as we will want. */
	if (setsid() < 0 && getsid(0) != getpid())
		MULT_CHECK(!"setsid");
	MULT_CHECK(open_tty(tty) == ENXIO);
	MULT_CHECK(ioctl(slave, TIOCSCTTY, 0) == 0);
	MULT_CHECK(open_tty(tty) == 0);

	/* Allowed: a plain child shares the terminal. */
	r = mult_run(false, tty_child, (long)tty, 0, 0);
	MULT_CHECK(r == 0);
	/* The first process of an instance: no controlling terminal. */
	r = mult_run(true, tty_child, (long)tty, 1, 0);
	if (r != ENXIO)
		mult_log("open(/dev/tty) in the first process: result %d, expected ENXIO (%d)",
			 r, ENXIO);
	MULT_CHECK(r == ENXIO);
	return 0;
}

TEST_F(groups, no_controlling_terminal)
{
	EXPECT_EQ(0, mult_run(false, ctty_scenario, 0, 0, 0));
}

MULT_HARNESS_MAIN
