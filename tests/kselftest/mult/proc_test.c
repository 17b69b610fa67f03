// SPDX-License-Identifier: GPL-2.0
/*
 * mult R2: enumeration stays inside the viewer's instance.
 *
 * - readdir of /proc lists only the viewer's instance (and its own
 *   children: the creator sees the first process, nothing deeper), in
 *   ascending order, following forks and reaps (inside an instance it is
 *   read from the instance's index of its pids, not the machine's table);
 * - /proc/<pid> of a hidden process is ENOENT, also when another viewer
 *   has just looked the dentry up (cached dentries), and a failed lookup
 *   does not hide the process from those who may see it;
 * - kill(-1) and PRIO_USER from inside an instance reach only the
 *   instance's processes.
 *
 *   creator (the test)
 *   |-- S   root instance (fork)
 *   `-- F   first process (instfork)
 *       |-- G, H   members (fork)
 *       `-- N   nested instance (instfork)
 *           `-- N2   member of the nested instance (fork)
 */
#define _GNU_SOURCE
#include "mult_util.h"

enum { S, F, G, H, N, N2, NR_NODES };

static const struct mult_node nodes[NR_NODES] = {
	[S] = { MULT_SELF, MULT_FORK, "S" },
	[F] = { MULT_SELF, MULT_INST, "F" },
	[G] = { F, MULT_FORK, "G" },
	[H] = { F, MULT_FORK, "H" },
	[N] = { F, MULT_INST, "N" },
	[N2] = { N, MULT_FORK, "N2" },
};

#define MAX_PIDS 8192

FIXTURE(proc) {
	struct mult_tree tree;
	pid_t pid[NR_NODES];
	pid_t creator;
};

FIXTURE_SETUP(proc)
{
	MULT_REQUIRE();
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
	memcpy(self->pid, self->tree.pid, sizeof(self->pid));
	self->creator = getpid();
}

FIXTURE_TEARDOWN(proc)
{
	mult_tree_stop(&self->tree);
}

/* /proc as seen by `viewer`, in the shared page; returns the count. */
static int list_proc(struct __test_metadata *_metadata,
		     FIXTURE_DATA(proc) *self, int viewer, long **pids)
{
	struct mult_res r;

	*pids = self->tree.shm->data;
	r = mult_call(&self->tree, viewer, mult_op_proc_pids,
		      (long)self->tree.shm->data, MAX_PIDS, 0);
	EXPECT_LT(0, r.ret)
	{
		TH_LOG("readdir /proc by %s: %s",
		       mult_name(&self->tree, viewer), strerror(r.err));
	}
	EXPECT_GE(MAX_PIDS, r.ret);
	return r.ret < 0 ? 0 : r.ret;
}

#define EXPECT_LISTED(pids, n, pid, yes, who, what)                     \
	EXPECT_EQ(yes, mult_pids_contain(pids, n, pid))                 \
	{                                                               \
		TH_LOG("/proc of %s %s %s (%d)", who,                   \
		       (yes) ? "lacks" : "shows", what, pid);           \
	}

/* Inside: exactly the instance's own processes (and F's child N). */
TEST_F(proc, readdir_first)
{
	long *pids;
	int n = list_proc(_metadata, self, F, &pids);

	EXPECT_EQ(4, n);
	EXPECT_LISTED(pids, n, self->pid[F], true, "F", "itself");
	EXPECT_LISTED(pids, n, self->pid[G], true, "F", "member G");
	EXPECT_LISTED(pids, n, self->pid[H], true, "F", "member H");
	EXPECT_LISTED(pids, n, self->pid[N], true, "F",
		      "its child N, first process of a nested instance");
	EXPECT_LISTED(pids, n, self->creator, false, "F", "its creator");
	EXPECT_LISTED(pids, n, self->pid[S], false, "F", "root sibling S");
	EXPECT_LISTED(pids, n, 1, false, "F", "init");
	EXPECT_LISTED(pids, n, 2, false, "F", "kthreadd");
	EXPECT_LISTED(pids, n, self->pid[N2], false, "F",
		      "nested member N2");
	for (int i = 0, extra = 0; i < n && extra < 5; i++) {
		if (pids[i] == self->pid[F] || pids[i] == self->pid[G] ||
		    pids[i] == self->pid[H] || pids[i] == self->pid[N])
			continue;
		TH_LOG("/proc of F shows %ld", pids[i]);
		extra++;
	}
}

TEST_F(proc, readdir_member)
{
	long *pids;
	int n = list_proc(_metadata, self, G, &pids);

	EXPECT_EQ(3, n);
	EXPECT_LISTED(pids, n, self->pid[F], true, "G", "first process F");
	EXPECT_LISTED(pids, n, self->pid[G], true, "G", "itself");
	EXPECT_LISTED(pids, n, self->pid[H], true, "G", "member H");
	EXPECT_LISTED(pids, n, self->pid[N], false, "G",
		      "nested first process N");
	EXPECT_LISTED(pids, n, self->pid[N2], false, "G",
		      "nested member N2");
	EXPECT_LISTED(pids, n, self->creator, false, "G", "the creator");
	EXPECT_LISTED(pids, n, 1, false, "G", "init");
}

TEST_F(proc, readdir_nested)
{
	long *pids;
	int n = list_proc(_metadata, self, N, &pids);

	EXPECT_EQ(2, n);
	EXPECT_LISTED(pids, n, self->pid[N], true, "N", "itself");
	EXPECT_LISTED(pids, n, self->pid[N2], true, "N", "member N2");
	EXPECT_LISTED(pids, n, self->pid[F], false, "N", "its creator F");
	EXPECT_LISTED(pids, n, self->pid[G], false, "N", "F's member G");
}

/* The creator: its instance, plus its child F (the creation edge). */
TEST_F(proc, readdir_creator)
{
	long *pids;
	int n = list_proc(_metadata, self, MULT_SELF, &pids);

	EXPECT_LISTED(pids, n, self->creator, true, "creator", "itself");
	EXPECT_LISTED(pids, n, self->pid[S], true, "creator", "S");
	EXPECT_LISTED(pids, n, 1, true, "creator", "init");
	EXPECT_LISTED(pids, n, 2, true, "creator", "kthreadd");
	EXPECT_LISTED(pids, n, self->pid[F], true, "creator", "its child F");
	EXPECT_LISTED(pids, n, self->pid[G], false, "creator", "member G");
	EXPECT_LISTED(pids, n, self->pid[H], false, "creator", "member H");
	EXPECT_LISTED(pids, n, self->pid[N], false, "creator", "nested N");
	EXPECT_LISTED(pids, n, self->pid[N2], false, "creator", "nested N2");
}

TEST_F(proc, readdir_root_sibling)
{
	long *pids;
	int n = list_proc(_metadata, self, S, &pids);

	EXPECT_LISTED(pids, n, self->creator, true, "S", "the creator");
	EXPECT_LISTED(pids, n, 1, true, "S", "init");
	EXPECT_LISTED(pids, n, self->pid[F], false, "S", "first process F");
	EXPECT_LISTED(pids, n, self->pid[G], false, "S", "member G");
	EXPECT_LISTED(pids, n, self->pid[N], false, "S", "nested N");
}

/*
 * In the caller: a children that block; /proc listed; the even half
 * killed and reaped; listed again. Each listing must be ascending (readdir
 * order follows pid numbers, from the instance's index inside one). The
 * two counts come back as n1 * 10000 + n2, or -1 (logged).
 */
MULT_OP(op_fork_list_reap)
{
	static long pids[MAX_PIDS];
	pid_t kids[1000];
	long n1, n2 = -1;
	int i;

	if (a > 1000)
		return -1;
	for (i = 0; i < a; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			break;
		if (kids[i] == 0) {
			pause();
			_exit(0);
		}
	}
	n1 = i == a ? mult_proc_pids(pids, MAX_PIDS) : -1;
	for (int j = 1; j < n1; j++)
		if (pids[j - 1] >= pids[j]) {
			mult_log("/proc not ascending: %ld then %ld",
				 pids[j - 1], pids[j]);
			n1 = -1;
		}
	for (int j = 0; j < i; j += 2) {
		kill(kids[j], SIGKILL);
		waitpid(kids[j], NULL, 0);
	}
	if (n1 >= 0)
		n2 = mult_proc_pids(pids, MAX_PIDS);
	for (int j = 0; j < i; j++)
		if (j % 2 == 0 ? mult_pids_contain(pids, n2, kids[j]) :
				 !mult_pids_contain(pids, n2, kids[j])) {
			mult_log("/proc %s reaped child %d",
				 j % 2 ? "lacks un" : "shows", kids[j]);
			n2 = -1;
		}
	for (int j = 1; j < i; j += 2) {
		kill(kids[j], SIGKILL);
		waitpid(kids[j], NULL, 0);
	}
	return n1 < 0 || n2 < 0 ? -1 : n1 * 10000 + n2;
}

/* Members come and go: the listing follows, in every instance alike. */
TEST_F(proc, readdir_follows_forks_and_reaps)
{
	struct mult_res r;

	/* Small enough for an agent's answer time under TCG with KASAN. */
	r = mult_call(&self->tree, F, op_fork_list_reap, 30, 0, 0);
	EXPECT_EQ(34 * 10000 + 19, r.ret);
	r = mult_call(&self->tree, G, op_fork_list_reap, 20, 0, 0);
	EXPECT_EQ(23 * 10000 + 13, r.ret);
	r = mult_call(&self->tree, N, op_fork_list_reap, 10, 0, 0);
	EXPECT_EQ(12 * 10000 + 7, r.ret);
}

static void expect_stat(struct __test_metadata *_metadata,
			FIXTURE_DATA(proc) *self, int viewer, pid_t pid,
			int want, const char *what)
{
	struct mult_res r;

	r = mult_call(&self->tree, viewer, mult_op_stat_proc, pid, 0, 0);
	EXPECT_RES(r, want, "stat /proc/%d (%s) by %s", pid, what,
		   mult_name(&self->tree, viewer));
	r = mult_call(&self->tree, viewer, mult_op_read_proc, pid,
		      (long)"/status", 0);
	EXPECT_RES(r, want, "read /proc/%d/status (%s) by %s", pid, what,
		   mult_name(&self->tree, viewer));
	r = mult_call(&self->tree, viewer, mult_op_read_proc, pid,
		      (long)"/cmdline", 0);
	EXPECT_RES(r, want, "read /proc/%d/cmdline (%s) by %s", pid, what,
		   mult_name(&self->tree, viewer));
}

/*
 * The root instance looks its processes up first, so their dentries are
 * cached; the instance still gets ENOENT, and the lookups it failed do
 * not leave negative dentries behind for the root instance.
 */
TEST_F(proc, cached_dentries_outside)
{
	pid_t outside[] = { self->creator, self->pid[S], 1, 2 };
	const char *what[] = { "creator", "S", "init", "kthreadd" };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(outside); i++) {
		expect_stat(_metadata, self, MULT_SELF, outside[i], 0, what[i]);
	}
	for (i = 0; i < ARRAY_SIZE(outside); i++) {
		expect_stat(_metadata, self, F, outside[i], ENOENT, what[i]);
		expect_stat(_metadata, self, G, outside[i], ENOENT, what[i]);
	}
	for (i = 0; i < ARRAY_SIZE(outside); i++) {
		expect_stat(_metadata, self, MULT_SELF, outside[i], 0, what[i]);
		expect_stat(_metadata, self, S, outside[i], 0, what[i]);
	}
}

/* The same, the other way round. */
TEST_F(proc, cached_dentries_inside)
{
	pid_t inside[] = { self->pid[G], self->pid[H], self->pid[N2] };
	const char *what[] = { "member G", "member H", "nested member N2" };
	unsigned int i;

	expect_stat(_metadata, self, F, self->pid[G], 0, what[0]);
	expect_stat(_metadata, self, G, self->pid[H], 0, what[1]);
	expect_stat(_metadata, self, N, self->pid[N2], 0, what[2]);
	for (i = 0; i < ARRAY_SIZE(inside); i++) {
		expect_stat(_metadata, self, MULT_SELF, inside[i], ENOENT,
			    what[i]);
		expect_stat(_metadata, self, S, inside[i], ENOENT, what[i]);
	}
	expect_stat(_metadata, self, S, self->pid[F], ENOENT, "first F");
	expect_stat(_metadata, self, F, self->pid[N2], ENOENT, what[2]);
	expect_stat(_metadata, self, G, self->pid[N], ENOENT, "nested N");
	/* Still there for the instance. */
	expect_stat(_metadata, self, H, self->pid[G], 0, what[0]);
	expect_stat(_metadata, self, F, self->pid[H], 0, what[1]);
	expect_stat(_metadata, self, N2, self->pid[N2], 0, what[2]);
	/* And for the creator, its child F. */
	expect_stat(_metadata, self, MULT_SELF, self->pid[F], 0, "first F");
}

MULT_OP(op_readlink_self)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* /proc/self works inside (allowed side). */
TEST_F(proc, self_links)
{
	struct mult_res r;

	r = mult_call(&self->tree, F, op_readlink_self, 0, 0, 0);
	EXPECT_EQ(self->pid[F], r.ret);
	r = mult_call(&self->tree, N2, op_readlink_self, 0, 0, 0);
	EXPECT_EQ(self->pid[N2], r.ret);
	r = mult_call(&self->tree, G, mult_op_stat_proc,
		      self->pid[G], (long)"/task", 0);
	EXPECT_RES(r, 0, "stat /proc/<G>/task by G");
}

/* ----------------------------------------------------------------- */
/* kill(-1): every process the caller may signal, in its instance only */

MULT_OP(op_kill_all) { return kill(-1, a); }

TEST_F(proc, kill_minus_one_inside)
{
	struct mult_tree *t = &self->tree;
	const int catchers[] = { S, G, H, N, N2 };
	struct mult_res r;
	unsigned int i;

	if (mult_dryrun)
		SKIP(return, "dry run: kill(-1) would reach the whole host");
	/* SIGWINCH: ignored by default, harmless if it ever leaks. */
	ASSERT_EQ(0, mult_op_catch(SIGWINCH, 0, 0));
	for (i = 0; i < ARRAY_SIZE(catchers); i++) {
		ASSERT_EQ(0, mult_call(t, catchers[i], mult_op_catch, SIGWINCH,
				       0, 0).ret);
	}

	r = mult_call(t, F, op_kill_all, SIGWINCH, 0, 0);
	EXPECT_RES(r, 0, "kill(-1, SIGWINCH) by F");
	EXPECT_EQ(1, mult_wait_caught(t, G, 1, MULT_SETTLE_MS));
	EXPECT_EQ(1, mult_wait_caught(t, H, 1, MULT_SETTLE_MS));
	/* Inside, si_pid is the real sender. */
	EXPECT_EQ(self->pid[F], mult_call(t, G, mult_op_caught,
					  MULT_CAUGHT_PID, 0, 0).ret);

	/* Give a leak the time to show. */
	mult_sleep_ms(300);
	EXPECT_EQ(0, mult_caught.count)
	{
		TH_LOG("kill(-1) inside the instance reached its creator");
	}
	EXPECT_EQ(0, mult_call(t, S, mult_op_caught, MULT_CAUGHT_COUNT, 0,
			       0).ret)
	{
		TH_LOG("kill(-1) inside the instance reached the root instance");
	}
	EXPECT_EQ(0, mult_call(t, N2, mult_op_caught, MULT_CAUGHT_COUNT, 0,
			       0).ret)
	{
		TH_LOG("kill(-1) reached a member of a nested instance");
	}
}

/* The same from inside the nested instance: not its creator F, nor G. */
TEST_F(proc, kill_minus_one_nested)
{
	struct mult_tree *t = &self->tree;
	const int catchers[] = { S, F, G, H, N2 };
	unsigned int i;

	if (mult_dryrun)
		SKIP(return, "dry run: kill(-1) would reach the whole host");
	for (i = 0; i < ARRAY_SIZE(catchers); i++) {
		ASSERT_EQ(0, mult_call(t, catchers[i], mult_op_catch, SIGWINCH,
				       0, 0).ret);
	}
	EXPECT_RES(mult_call(t, N, op_kill_all, SIGWINCH, 0, 0), 0,
		   "kill(-1, SIGWINCH) by N");
	EXPECT_EQ(1, mult_wait_caught(t, N2, 1, MULT_SETTLE_MS));
	mult_sleep_ms(300);
	for (i = 0; i < ARRAY_SIZE(catchers); i++) {
		if (catchers[i] == N2)
			continue;
		EXPECT_EQ(0, mult_call(t, catchers[i], mult_op_caught,
				       MULT_CAUGHT_COUNT, 0, 0).ret)
		{
			TH_LOG("kill(-1) by N reached %s", nodes[catchers[i]].name);
		}
	}
}

/* ----------------------------------------------------------------- */
/* PRIO_USER: all processes of a user, in the caller's instance only */

#define PRIO_UID 4242

MULT_OP(op_prio_user_get)
{
	return syscall(SYS_getpriority, PRIO_USER, a);
}

MULT_OP(op_prio_user_set)
{
	return setpriority(PRIO_USER, a, b);
}

TEST_F(proc, prio_user)
{
	struct mult_tree *t = &self->tree;
	struct mult_res r;

	/* S: nice -5, G: nice 3, both uid PRIO_UID; F stays root. */
	ASSERT_EQ(0, mult_call(t, S, mult_op_setnice, -5, 0, 0).ret);
	ASSERT_EQ(0, mult_call(t, S, mult_op_setuid, PRIO_UID, 0, 0).ret);
	ASSERT_EQ(0, mult_call(t, G, mult_op_setnice, 3, 0, 0).ret);
	ASSERT_EQ(0, mult_call(t, G, mult_op_setuid, PRIO_UID, 0, 0).ret);

	/* getpriority returns 20 - the lowest nice it sees. */
	r = mult_call(t, F, op_prio_user_get, PRIO_UID, 0, 0);
	EXPECT_EQ(20 - 3, r.ret)
	{
		TH_LOG("PRIO_USER from inside saw nice %ld", 20 - r.ret);
	}

	EXPECT_EQ(0, mult_call(t, F, op_prio_user_set, PRIO_UID, 7, 0).ret);
	EXPECT_EQ(20 - 7, mult_call(t, G, mult_op_getprio_raw, 0, 0, 0).ret);
	EXPECT_EQ(20 + 5, mult_call(t, S, mult_op_getprio_raw, 0, 0, 0).ret)
	{
		TH_LOG("PRIO_USER set from inside reniced the root instance");
	}

	/* And the other way round. */
	EXPECT_EQ(0, op_prio_user_set(PRIO_UID, 9, 0));
	EXPECT_EQ(20 - 9, mult_call(t, S, mult_op_getprio_raw, 0, 0, 0).ret);
	EXPECT_EQ(20 - 7, mult_call(t, G, mult_op_getprio_raw, 0, 0, 0).ret)
	{
		TH_LOG("PRIO_USER set from the root instance reniced G");
	}
	EXPECT_EQ(20 - 9, op_prio_user_get(PRIO_UID, 0, 0));
}

MULT_HARNESS_MAIN
