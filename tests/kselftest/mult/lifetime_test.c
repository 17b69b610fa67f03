// SPDX-License-Identifier: GPL-2.0
/*
 * mult R7: the first process is the instance's reaper and its lifetime.
 *
 * - an orphan inside the instance is reparented to the first process
 *   (or to a subreaper inside the instance), never to a process outside,
 *   even when the creator is a subreaper;
 * - when the first process exits, every other process of the instance,
 *   and of instances nested in it, is killed: members that ignore or
 *   block signals, stopped or traced ones, ones in sessions of their own,
 *   one that forks all the time. They are gone before the creator reaps
 *   the first process;
 * - nr_instances counts an instance while a process of it exists (a task
 *   or a zombie) and drops back once the last one is reaped, whatever still
 *   holds its struct pids: a pidfd, an F_SETOWN owner, the creator pid of a
 *   SysV shared memory segment or the last sender of a message queue. An
 *   object made inside must not pin the instance (and its slot under
 *   kernel.mult.max_instances) for good.
 *
 * "Gone" is observed without seeing the processes: each agent holds the
 * write end of its answer pipe, and the creator waits for EOF on it.
 */
#define _GNU_SOURCE
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/ptrace.h>
#include <sys/shm.h>

#include "mult_util.h"

/* ----------------------------------------------------------------- */
/* orphans */

enum { F, G, H, K, NR_REAPER };

static const struct mult_node reaper_nodes[NR_REAPER] = {
	[F] = { MULT_SELF, MULT_INST, "F" },
	[G] = { F, MULT_FORK, "G" },
	[H] = { G, MULT_FORK, "H" },
	[K] = { H, MULT_FORK, "K" },
};

FIXTURE(reaper) {
	struct mult_tree tree;
};

FIXTURE_VARIANT(reaper) {
	bool creator_subreaper;
	bool member_subreaper;	/* G */
	int dying;
	int orphan;
	int reaper;
};

FIXTURE_VARIANT_ADD(reaper, orphan_to_first) {
	.dying = G, .orphan = H, .reaper = F,
};
/* A subreaper outside does not get the instance's orphans. */
FIXTURE_VARIANT_ADD(reaper, creator_is_subreaper) {
	.creator_subreaper = true, .dying = G, .orphan = H, .reaper = F,
};
/* Allowed: a subreaper inside the instance. */
FIXTURE_VARIANT_ADD(reaper, member_is_subreaper) {
	.member_subreaper = true, .dying = H, .orphan = K, .reaper = G,
};

FIXTURE_SETUP(reaper)
{
	MULT_REQUIRE();
	if (variant->creator_subreaper) {
		ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	}
	ASSERT_EQ(0, mult_tree_start(&self->tree, reaper_nodes, NR_REAPER));
}

FIXTURE_TEARDOWN(reaper)
{
	mult_tree_stop(&self->tree);
}

TEST_F(reaper, orphan)
{
	struct mult_tree *t = &self->tree;
	pid_t orphan = t->pid[variant->orphan], reaper = t->pid[variant->reaper];
	long deadline = mult_now_ms() + MULT_SETTLE_MS;
	struct mult_res r;

	if (variant->member_subreaper) {
		ASSERT_EQ(0, mult_call(t, G, mult_op_subreaper, 0, 0, 0).ret);
	}
	ASSERT_EQ(0, mult_post(t, variant->dying, mult_op_exit, 0, 0, 0));
	do {
		r = mult_call(t, variant->orphan, mult_op_getppid, 0, 0, 0);
		if (r.ret == reaper)
			break;
		mult_sleep_ms(10);
	} while (mult_now_ms() < deadline);
	EXPECT_EQ(reaper, r.ret)
	{
		TH_LOG("the orphan %s went to %ld, not to %s (%d)",
		       mult_name(t, variant->orphan), r.ret,
		       mult_name(t, variant->reaper), reaper);
	}
	/* It is the reaper's child now, and not the creator's. */
	r = mult_call(t, variant->reaper, mult_op_waitid_nohang, orphan, 0, 0);
	EXPECT_RES(r, 0, "waitid(orphan) by its new parent %s",
		   mult_name(t, variant->reaper));
	r = mult_call(t, MULT_SELF, mult_op_waitid_nohang, orphan, 0, 0);
	EXPECT_RES(r, ECHILD, "waitid(orphan) by the creator");
}

/* ----------------------------------------------------------------- */
/* the first process exits: the instance goes with it */

enum { KF, KG, KH, KK, KN, KN2, NR_KILL };

static const struct mult_node kill_nodes[NR_KILL] = {
	[KF] = { MULT_SELF, MULT_INST, "F" },
	[KG] = { KF, MULT_FORK, "G" },
	[KH] = { KF, MULT_FORK, "H" },
	[KK] = { KG, MULT_FORK, "K" },		/* grandchild of F */
	[KN] = { KF, MULT_INST, "N" },		/* nested instance */
	[KN2] = { KN, MULT_FORK, "N2" },
};

enum { END_EXIT, END_KILL };
enum { PREP_NONE, PREP_IGNORE, PREP_STOP, PREP_TRACE, PREP_SESSION,
       PREP_WALKER };

FIXTURE(first_exit) {
	struct mult_tree tree;
	int base;
};

FIXTURE_VARIANT(first_exit) {
	int end;
	int prep;
};

FIXTURE_VARIANT_ADD(first_exit, exits) {
	.end = END_EXIT, .prep = PREP_NONE,
};
FIXTURE_VARIANT_ADD(first_exit, killed_by_creator) {
	.end = END_KILL, .prep = PREP_NONE,
};
FIXTURE_VARIANT_ADD(first_exit, members_ignore_signals) {
	.end = END_EXIT, .prep = PREP_IGNORE,
};
FIXTURE_VARIANT_ADD(first_exit, member_stopped) {
	.end = END_EXIT, .prep = PREP_STOP,
};
FIXTURE_VARIANT_ADD(first_exit, member_traced) {
	.end = END_EXIT, .prep = PREP_TRACE,
};
FIXTURE_VARIANT_ADD(first_exit, members_in_own_sessions) {
	.end = END_EXIT, .prep = PREP_SESSION,
};
FIXTURE_VARIANT_ADD(first_exit, member_forking) {
	.end = END_EXIT, .prep = PREP_WALKER,
};

FIXTURE_SETUP(first_exit)
{
	MULT_REQUIRE();
	self->base = mult_quiesce();
	ASSERT_LE(0, self->base);
	ASSERT_EQ(0, mult_tree_start(&self->tree, kill_nodes, NR_KILL));
}

FIXTURE_TEARDOWN(first_exit)
{
	mult_tree_stop(&self->tree);
}

MULT_OP(op_ignore_signals)
{
	sigset_t all;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_IGN);
	sigfillset(&all);
	return sigprocmask(SIG_BLOCK, &all, NULL);
}

/* Stop child a and wait until it is stopped. */
MULT_OP(op_stop_child)
{
	int st;

	if (kill(a, SIGSTOP))
		return -1;
	if (waitpid(a, &st, WUNTRACED) != a || !WIFSTOPPED(st))
		return -2;
	return 0;
}

/* Seize a and leave it in a trap stop. */
MULT_OP(op_trace_stop)
{
	int st;

	if (ptrace(PTRACE_SEIZE, a, NULL, NULL) ||
	    ptrace(PTRACE_INTERRUPT, a, NULL, NULL))
		return -1;
	if (waitpid(a, &st, __WALL) != a || !WIFSTOPPED(st))
		return -2;
	return 0;
}

/*
 * Start a process that forks all the time: each generation forks the
 * next and exits. All of them hold the caller's answer pipe. Gives up on
 * its own after a while, in case nothing kills it.
 */
MULT_OP(op_fork_walker)
{
	long stop_at = mult_now_ms() + 3 * MULT_SETTLE_MS / 2;
	pid_t pid = fork();

	if (pid)
		return pid;
	for (;;) {
		pid_t next = fork();

		if (next > 0 || mult_now_ms() > stop_at)
			_exit(0);
	}
}

TEST_F_TIMEOUT(first_exit, kills_the_instance, 60)
{
	static const int members[] = { KG, KH, KK, KN, KN2 };
	struct mult_tree *t = &self->tree;
	pid_t f = t->pid[KF];
	unsigned int i;
	long deadline;
	int st;

	EXPECT_EQ(self->base + 2, mult_nr_instances());
	switch (variant->prep) {
	case PREP_IGNORE:
		for (i = 0; i < ARRAY_SIZE(members); i++) {
			ASSERT_EQ(0, mult_call(t, members[i], op_ignore_signals,
					       0, 0, 0).ret);
		}
		break;
	case PREP_STOP:
		ASSERT_EQ(0, mult_call(t, KF, op_stop_child, t->pid[KH], 0,
				       0).ret);
		break;
	case PREP_TRACE:
		ASSERT_EQ(0, mult_call(t, KG, op_trace_stop, t->pid[KH], 0,
				       0).ret);
		break;
	case PREP_SESSION:
		ASSERT_LT(0, mult_call(t, KG, mult_op_setsid, 0, 0, 0).ret);
		ASSERT_EQ(0, mult_call(t, KH, mult_op_setpgid, 0, 0, 0).ret);
		ASSERT_LT(0, mult_call(t, KN2, mult_op_setsid, 0, 0, 0).ret);
		break;
	case PREP_WALKER:
		ASSERT_LT(0, mult_call(t, KK, op_fork_walker, 0, 0, 0).ret);
		mult_sleep_ms(100);
		break;
	}

	if (variant->end == END_EXIT) {
		ASSERT_EQ(0, mult_post(t, KF, mult_op_exit, 42, 0, 0));
	} else {
		ASSERT_EQ(0, kill(f, SIGKILL));
	}

	/* Every member, nested ones included, dies with F... */
	deadline = mult_now_ms() + MULT_SETTLE_MS;
	for (i = 0; i < ARRAY_SIZE(members); i++) {
		MULT_EXPECT(mult_gone(t, members[i], deadline - mult_now_ms()),
			    "%s outlived the first process",
			    kill_nodes[members[i]].name);
	}
	/* ... before the creator reaps F, which is (or becomes) a zombie. */
	EXPECT_TRUE(mult_wait_zombie(f, MULT_TIMEOUT_MS));
	/* Its instance stays counted; the nested one goes (init reaps it). */
	EXPECT_EQ(self->base + 1, mult_wait_nr_instances(self->base + 1,
							 MULT_SETTLE_MS));

	st = mult_reap(t, KF, MULT_TIMEOUT_MS);
	if (variant->end == END_EXIT) {
		EXPECT_EQ(42, mult_status_code(st));
	} else {
		EXPECT_EQ(128 + SIGKILL, mult_status_code(st));
	}
	close(t->pidfd[KF]);
	t->pidfd[KF] = -1;
	EXPECT_EQ(self->base, mult_wait_nr_instances(self->base,
						     MULT_SETTLE_MS));
}

/* A nested instance's first process exiting takes only its instance. */
TEST_F(first_exit, nested_first_exits)
{
	struct mult_tree *t = &self->tree;
	int st;

	ASSERT_EQ(0, mult_post(t, KN, mult_op_exit, 0, 0, 0));
	MULT_EXPECT(mult_gone(t, KN2, MULT_SETTLE_MS),
		    "N2 outlived the first process of its instance");
	/* F reaps N (its child) and the rest of F's instance lives on. */
	EXPECT_EQ(t->pid[KN], mult_call(t, KF, mult_op_waitpid, t->pid[KN],
					0, 0).ret);
	for (int j = KF; j <= KK; j++) {
		EXPECT_EQ(t->pid[j], mult_call(t, j, mult_op_getpid, 0, 0,
					       0).ret);
	}
	EXPECT_EQ(self->base + 1, mult_wait_nr_instances(self->base + 1,
							 MULT_SETTLE_MS));
	ASSERT_EQ(0, mult_post(t, KF, mult_op_exit, 0, 0, 0));
	st = mult_reap(t, KF, MULT_TIMEOUT_MS);
	EXPECT_EQ(0, mult_status_code(st));
}

/* ----------------------------------------------------------------- */
/* nr_instances and references */

enum { REF_NONE, REF_CLONE_PIDFD, REF_PIDFD_OPEN, REF_FSETOWN, REF_SHM, REF_MSG };

/* Made by the member: the segment's cpid and the queue's lspid are its pid. */
MULT_OP(mult_op_shmget) { return shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600); }
MULT_OP(mult_op_msgsnd)
{
	struct { long type; char text[4]; } m = { 1, "hi" };

	return msgsnd(a, &m, sizeof(m.text), 0) ?: a;
}

static const struct mult_node one_instance[] = {
	{ MULT_SELF, MULT_INST, "F" },
};

FIXTURE(refs) {
	struct mult_tree tree;
	int base;
};

FIXTURE_VARIANT(refs) {
	int ref;
};

FIXTURE_VARIANT_ADD(refs, none) {
	.ref = REF_NONE,
};
FIXTURE_VARIANT_ADD(refs, clone_pidfd) {
	.ref = REF_CLONE_PIDFD,
};
FIXTURE_VARIANT_ADD(refs, pidfd_open) {
	.ref = REF_PIDFD_OPEN,
};
FIXTURE_VARIANT_ADD(refs, f_setown) {
	.ref = REF_FSETOWN,
};
FIXTURE_VARIANT_ADD(refs, sysv_shm) {
	.ref = REF_SHM,
};
FIXTURE_VARIANT_ADD(refs, sysv_msg) {
	.ref = REF_MSG,
};

FIXTURE_SETUP(refs)
{
	MULT_REQUIRE();
	self->base = mult_quiesce();
	ASSERT_LE(0, self->base);
	ASSERT_EQ(0, mult_tree_start(&self->tree, one_instance, 1));
}

FIXTURE_TEARDOWN(refs)
{
	mult_tree_stop(&self->tree);
}

TEST_F(refs, counted_until_last_reference)
{
	struct mult_tree *t = &self->tree;
	int base = self->base, ref = -1, ipc = -1, p[2];
	struct shmid_ds shm;
	struct msqid_ds msq;
	pid_t f = t->pid[0];

	ASSERT_EQ(base + 1, mult_nr_instances());
	switch (variant->ref) {
	case REF_CLONE_PIDFD:
		ref = t->pidfd[0];
		t->pidfd[0] = -1;
		break;
	case REF_PIDFD_OPEN:
		ref = sys_pidfd_open(f, 0);
		ASSERT_LE(0, ref);
		break;
	case REF_FSETOWN:
		ASSERT_EQ(0, pipe(p));
		close(p[1]);
		ref = p[0];
		ASSERT_EQ(0, fcntl(ref, F_SETOWN, f));
		break;
	case REF_SHM:
		ipc = mult_call(t, 0, mult_op_shmget, 0, 0, 0).ret;
		ASSERT_LE(0, ipc);
		ASSERT_EQ(0, shmctl(ipc, IPC_STAT, &shm));
		EXPECT_EQ(f, shm.shm_cpid);	/* the creator sees its child */
		break;
	case REF_MSG:
		ipc = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		ASSERT_LE(0, ipc);
		ASSERT_EQ(ipc, mult_call(t, 0, mult_op_msgsnd, ipc, 0, 0).ret);
		ASSERT_EQ(0, msgctl(ipc, IPC_STAT, &msq));
		EXPECT_EQ(f, msq.msg_lspid);
		break;
	}
	if (t->pidfd[0] >= 0) {
		close(t->pidfd[0]);
		t->pidfd[0] = -1;
	}

	/* A zombie keeps it. */
	ASSERT_EQ(0, mult_post(t, 0, mult_op_exit, 3, 0, 0));
	ASSERT_TRUE(mult_wait_zombie(f, MULT_TIMEOUT_MS));
	EXPECT_EQ(base + 1, mult_nr_instances());

	EXPECT_EQ(3, mult_status_code(mult_reap(t, 0, MULT_TIMEOUT_MS)));
	/* Reaped: what still holds a struct pid of it cannot act in it. */
	EXPECT_EQ(base, mult_wait_nr_instances(base, MULT_SETTLE_MS))
	{
		TH_LOG("a struct pid held after the reap pins the instance");
	}
	if (ref >= 0)
		close(ref);
	if (variant->ref == REF_SHM) {
		EXPECT_EQ(0, shmctl(ipc, IPC_STAT, &shm));
		EXPECT_EQ(0, shm.shm_cpid);	/* a reaped process, not a new one */
		EXPECT_EQ(0, shmctl(ipc, IPC_RMID, NULL));
	} else if (variant->ref == REF_MSG) {
		EXPECT_EQ(0, msgctl(ipc, IPC_STAT, &msq));
		EXPECT_EQ(0, msq.msg_lspid);
		EXPECT_EQ(0, msgctl(ipc, IPC_RMID, NULL));
	}
}

MULT_HARNESS_MAIN
