// SPDX-License-Identifier: GPL-2.0
/*
 * mult: channels beyond pid lookups, each from both sides of the boundary.
 *
 * - /proc: a dentry cached by one instance is not reused by another
 *   (open O_PATH, R2); the creator does not list its child's fds (R5);
 *   a hidden child is omitted from .../children, not printed as 0 (R3);
 * - the creation edge reaches one process: not its group through
 *   F_SETOWN or IOPRIO_WHO_PGRP (R1), no CLONE_PARENT sibling for the
 *   creator (R1), and orphans stay inside whatever the first process does
 *   with PR_SET_CHILD_SUBREAPER (R7); SIGCHLD after re-parenting names the
 *   child to the parent that sees it (R3);
 * - global pid reports: lock holders (F_GETLK, F_OFD_GETLK), netlink port
 *   ids and SCM_CREDENTIALS (R3).
 *
 *   creator (the test)
 *   |-- S   root instance (fork)
 *   `-- F   first process (instfork)
 *       `-- G   member (fork)
 */
#define _GNU_SOURCE
#include <linux/ioprio.h>
#include <linux/netlink.h>
#include <sys/file.h>
#include <sys/socket.h>

/* kselftest_harness.h: TEST() leaves its variant parameter unused. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "mult_util.h"

enum { S, F, G, NR_NODES };

static const struct mult_node nodes[NR_NODES] = {
	[S] = { MULT_SELF, MULT_FORK, "S" },
	[F] = { MULT_SELF, MULT_INST, "F" },
	[G] = { F, MULT_FORK, "G" },
};

FIXTURE(channels) {
	struct mult_tree tree;
	pid_t pid[NR_NODES];
};

FIXTURE_SETUP(channels)
{
	MULT_REQUIRE();
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
	memcpy(self->pid, self->tree.pid, sizeof(self->pid));
}

FIXTURE_TEARDOWN(channels)
{
	mult_tree_stop(&self->tree);
}

#define CALL(node, fn, a, b) mult_call(&self->tree, node, fn, a, b, 0)

/* ----------------------------------------------------------------- */
/* /proc */

MULT_OP(op_open_opath)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld", a);
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

/* Each side caches the other's /proc/<pid> dentry first, then looks. */
TEST_F(channels, proc_cached_dentry_both_ways)
{
	pid_t s = self->pid[S], g = self->pid[G];

	EXPECT_RES(CALL(G, op_open_opath, g, 0), 0, "G opens /proc/G");
	EXPECT_RES(CALL(F, op_open_opath, g, 0), 0, "F opens /proc/G");
	EXPECT_RES(CALL(S, op_open_opath, g, 0), ENOENT,
		   "S opens /proc/G, cached by G");
	EXPECT_RES(CALL(MULT_SELF, op_open_opath, g, 0), ENOENT,
		   "the creator opens /proc/G, cached by G");
	EXPECT_RES(CALL(S, op_open_opath, s, 0), 0, "S opens /proc/S");
	EXPECT_RES(CALL(G, op_open_opath, s, 0), ENOENT,
		   "G opens /proc/S, cached by S");
	/* The failed lookups did not hide G from its own instance. */
	EXPECT_RES(CALL(G, op_open_opath, g, 0), 0, "G opens /proc/G again");
}

MULT_OP(op_list_fds)
{
	char path[64];
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", a);
	d = opendir(path);
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

TEST_F(channels, proc_fd_dir_of_child)
{
	pid_t f = self->pid[F];

	EXPECT_RES(CALL(MULT_SELF, op_list_fds, f, 0), EACCES,
		   "the creator lists /proc/F/fd");
	EXPECT_RES(CALL(S, op_list_fds, f, 0), ENOENT, "S lists /proc/F/fd");
	EXPECT_RES(CALL(F, op_list_fds, f, 0), 0, "F lists its own fds");
	EXPECT_RES(CALL(G, op_list_fds, f, 0), 0, "G lists /proc/F/fd");
	EXPECT_RES(CALL(MULT_SELF, op_list_fds, self->pid[S], 0), 0,
		   "the creator lists /proc/S/fd");
}

/* .../children of process a, as read by the caller, into data[0..]. */
MULT_OP(op_read_children)
{
	char path[96], buf[512], *tok, *save;
	long *out = (long *)b;
	int fd, n = 0;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", a, a);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	for (tok = strtok_r(buf, " \n", &save); tok && n < 16;
	     tok = strtok_r(NULL, " \n", &save))
		out[n++] = atol(tok);
	return n;
}

TEST_F(channels, children_omits_hidden)
{
	long *kids = self->tree.shm->data;
	pid_t me = getpid();
	struct mult_res r;
	int i;

	/* The creator's children are S and F; S does not see F. */
	r = CALL(S, op_read_children, me, (long)kids);
	ASSERT_LE(0, r.ret);
	EXPECT_TRUE(mult_pids_contain(kids, r.ret, self->pid[S]));
	for (i = 0; i < r.ret; i++)
		MULT_EXPECT(kids[i] != 0 && kids[i] != self->pid[F],
			    "S reads the creator's children: %ld", kids[i]);
	/* The creator itself sees both. */
	r = CALL(MULT_SELF, op_read_children, me, (long)kids);
	EXPECT_TRUE(mult_pids_contain(kids, r.ret, self->pid[F]));
	EXPECT_TRUE(mult_pids_contain(kids, r.ret, self->pid[S]));
}

/* ----------------------------------------------------------------- */
/* the creation edge reaches one process */

MULT_OP(op_setown)
{
	struct f_owner_ex ex = { .type = (int)b, .pid = (pid_t)a };
	int p[2], ret, e;

	if (pipe(p))
		return -2;
	ret = b ? fcntl(p[0], F_SETOWN_EX, &ex) : fcntl(p[0], F_SETOWN, a);
	e = errno;
	close(p[0]);
	close(p[1]);
	errno = e;
	return ret;
}

TEST_F(channels, fsetown_through_the_edge)
{
	pid_t f = self->pid[F];

	EXPECT_RES(CALL(MULT_SELF, op_setown, -f, 0), ESRCH,
		   "the creator F_SETOWN(-F)");
	EXPECT_RES(CALL(MULT_SELF, op_setown, f, F_OWNER_PGRP), ESRCH,
		   "the creator F_SETOWN_EX(F_OWNER_PGRP, F)");
	/* Allowed: the child itself, and the group from inside. */
	EXPECT_RES(CALL(MULT_SELF, op_setown, f, 0), 0, "the creator F_SETOWN(F)");
	EXPECT_RES(CALL(MULT_SELF, op_setown, f, F_OWNER_PID), 0,
		   "the creator F_SETOWN_EX(F_OWNER_PID, F)");
	EXPECT_RES(CALL(G, op_setown, -f, 0), 0, "G F_SETOWN(-F)");
	EXPECT_RES(CALL(G, op_setown, f, F_OWNER_PGRP), 0,
		   "G F_SETOWN_EX(F_OWNER_PGRP, F)");
}

MULT_OP(op_ioprio_get) { return syscall(SYS_ioprio_get, a, b); }
MULT_OP(op_ioprio_set) { return syscall(SYS_ioprio_set, a, b, c); }

TEST_F(channels, ioprio_group_through_the_edge)
{
	struct mult_tree *t = &self->tree;
	int low = IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 7);
	int high = IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 0);
	pid_t f = self->pid[F];

	ASSERT_EQ(0, mult_call(t, G, op_ioprio_set, IOPRIO_WHO_PROCESS, 0,
			       high).ret);
	EXPECT_EQ(0, syscall(SYS_ioprio_set, IOPRIO_WHO_PGRP, f, low));
	EXPECT_EQ(low, mult_call(t, F, op_ioprio_get, IOPRIO_WHO_PROCESS, 0,
				 0).ret);
	EXPECT_EQ(high, mult_call(t, G, op_ioprio_get, IOPRIO_WHO_PROCESS, 0,
				  0).ret)
	{
		TH_LOG("IOPRIO_WHO_PGRP F by the creator changed member G");
	}
	/* Reading the group through the edge finds F's priority only. */
	EXPECT_EQ(low, syscall(SYS_ioprio_get, IOPRIO_WHO_PGRP, f));
	/* Inside, the group is everyone's. */
	EXPECT_EQ(high, mult_call(t, G, op_ioprio_get, IOPRIO_WHO_PGRP, 0,
				  0).ret);
}

MULT_OP(op_clone_parent)
{
	long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		_exit(0);
	return pid;
}

TEST_F(channels, clone_parent_from_first)
{
	EXPECT_RES(CALL(F, op_clone_parent, 0, 0), EINVAL,
		   "clone(CLONE_PARENT) by F, whose parent is outside");
	/* Allowed: a member's sibling stays inside (F is its parent). */
	EXPECT_RES(CALL(G, op_clone_parent, 0, 0), 0,
		   "clone(CLONE_PARENT) by G");
	EXPECT_RES(CALL(S, op_clone_parent, 0, 0), 0,
		   "clone(CLONE_PARENT) by S");
	mult_sleep_ms(100);
	/* S's sibling is ours: reap it so the tree stops cleanly. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/*
 * In a new instance: clear PR_SET_CHILD_SUBREAPER, orphan a grandchild
 * and check it is adopted by us, the first process.
 */
MULT_OP(orphan_scenario)
{
	pid_t first = getpid(), child, x = -1;
	int p[2], st;
	char ok = 0;

	MULT_CHECK(prctl(PR_SET_CHILD_SUBREAPER, 0) == 0);
	MULT_CHECK(pipe(p) == 0);
	child = fork();
	MULT_CHECK(child >= 0);
	if (child == 0) {
		if (fork() == 0) {
			long deadline = mult_now_ms() + MULT_TIMEOUT_MS;

			while (getppid() != first && mult_now_ms() < deadline)
				mult_sleep_ms(10);
			ok = getppid() == first ? 'y' : 'n';
			if (ok == 'n')
				mult_log("orphan re-parented to %d, not %d",
					 getppid(), first);
			mult_write_all(p[1], &ok, 1);
			_exit(0);
		}
		_exit(0);
	}
	MULT_CHECK(waitpid(child, &st, 0) == child);
	MULT_CHECK(mult_read_timeout(p[0], &ok, 1, 2 * MULT_TIMEOUT_MS) == 1);
	MULT_CHECK(ok == 'y');
	x = waitpid(-1, &st, 0);
	MULT_CHECK(x > 0 && x != child);
	return 0;
}

TEST(orphans_stay_without_subreaper)
{
	MULT_REQUIRE();
	EXPECT_EQ(0, mult_run(true, orphan_scenario, 0, 0, 0));
}

/*
 * A subreaper R forks C, C creates instance F, F exits, C exits without
 * waiting: F is re-parented to R as a zombie by C's exit. R's SIGCHLD
 * for F must carry F's pid, which R (its parent now) sees.
 */
MULT_OP(reparent_scenario)
{
	int p[2], sig, got_f = 0, i;
	siginfo_t si;
	sigset_t set;
	pid_t mid, f = 0;

	MULT_CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	MULT_CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
	MULT_CHECK(pipe(p) == 0);
	mid = fork();
	MULT_CHECK(mid >= 0);
	if (mid == 0) {
		f = mult_instfork(NULL);
		if (f == 0)
			_exit(7);
		mult_write_all(p[1], &f, sizeof(f));
		mult_wait_zombie(f, MULT_TIMEOUT_MS);
		_exit(0);
	}
	MULT_CHECK(mult_read_timeout(p[0], &f, sizeof(f), MULT_TIMEOUT_MS) ==
		   sizeof(f));
	MULT_CHECK(f > 0);
	for (i = 0; i < 4 && !got_f; i++) {
		struct timespec ts = { MULT_TIMEOUT_MS / 1000, 0 };

		sig = sigtimedwait(&set, &si, &ts);
		MULT_CHECK(sig == SIGCHLD);
		if (si.si_pid == f)
			got_f = 1;
		else if (si.si_pid != mid)
			mult_log("SIGCHLD with si_pid %d (C %d, F %d)",
				 si.si_pid, mid, f);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	MULT_CHECK(got_f);
	return 0;
}

TEST(sigchld_after_reparenting)
{
	MULT_REQUIRE();
	EXPECT_EQ(0, mult_run(false, reparent_scenario, 0, 0, 0));
}

/* ----------------------------------------------------------------- */
/* global pid reports */

#define LOCK_FILE "/tmp/mult-channels-lock"

/* Take a write lock on LOCK_FILE (a: OFD lock); the fd stays open. */
MULT_OP(op_lock)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	return fcntl(fd, a ? F_OFD_SETLK : F_SETLK, &fl) ? -1 : fd;
}

/* The holder's pid as F_GETLK (a == 0) or F_OFD_GETLK reports it. */
MULT_OP(op_getlk)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(LOCK_FILE, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = fcntl(fd, a ? F_OFD_GETLK : F_GETLK, &fl);
	close(fd);
	if (ret)
		return -1;
	return fl.l_type == F_UNLCK ? -3 : fl.l_pid;
}

TEST_F(channels, lock_holder_pid)
{
	struct mult_res r;
	long fd;

	unlink(LOCK_FILE);
	r = CALL(G, op_lock, 0, 0);
	ASSERT_LE(0, r.ret);
	fd = r.ret;
	EXPECT_EQ(self->pid[G], CALL(F, op_getlk, 0, 0).ret);
	EXPECT_EQ(0, CALL(S, op_getlk, 0, 0).ret)
	{
		TH_LOG("F_GETLK by S names the holder, member G");
	}
	EXPECT_EQ(0, CALL(S, op_getlk, 1, 0).ret)
	{
		TH_LOG("F_OFD_GETLK by S names the holder, member G");
	}
	EXPECT_EQ(0, CALL(MULT_SELF, op_getlk, 0, 0).ret);
	CALL(G, mult_op_close, fd, 0);

	r = CALL(S, op_lock, 0, 0);
	ASSERT_LE(0, r.ret);
	fd = r.ret;
	EXPECT_EQ(self->pid[S], CALL(MULT_SELF, op_getlk, 0, 0).ret);
	EXPECT_EQ(0, CALL(G, op_getlk, 0, 0).ret)
	{
		TH_LOG("F_GETLK by G names the holder, root process S");
	}
	CALL(S, mult_op_close, fd, 0);
	unlink(LOCK_FILE);
}

/* A NETLINK_USERSOCK socket with SO_PASSCRED; its port id in data[b]. */
MULT_OP(op_nl_open)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	long *out = (long *)b;
	socklen_t len = sizeof(sa);
	int fd, one = 1;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_USERSOCK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)))
		return -1;
	*out = (int)sa.nl_pid;
	return fd;
}

/* Send one byte from socket a to port id b. */
MULT_OP(op_nl_send)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = b };
	char byte = 'm';

	return sendto(a, &byte, 1, 0, (struct sockaddr *)&to, sizeof(to));
}

/* Receive on socket a: the sender's pid in SCM_CREDENTIALS. */
MULT_OP(op_nl_recv_credpid)
{
	char byte, cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	if (recvmsg(a, &msg, MSG_DONTWAIT) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_CREDENTIALS)
		return -3;
	return ((struct ucred *)CMSG_DATA(cm))->pid;
}

TEST_F(channels, netlink_port_ids_and_credentials)
{
	long *port = self->tree.shm->data;
	long sfd, gfd;

	sfd = CALL(S, op_nl_open, 0, (long)&port[0]).ret;
	gfd = CALL(G, op_nl_open, 0, (long)&port[1]).ret;
	ASSERT_LE(0, sfd);
	ASSERT_LE(0, gfd);
	/* Autobind: a root process keeps its pid as port id (R9). */
	EXPECT_EQ(self->pid[S], port[0]);
	EXPECT_NE(self->pid[G], port[1])
	{
		TH_LOG("member G's netlink port id is its pid");
	}
	EXPECT_GE(0, port[1]);
	/* Credentials across the boundary carry no pid, either way. */
	ASSERT_EQ(1, CALL(S, op_nl_send, sfd, port[1]).ret);
	EXPECT_EQ(0, CALL(G, op_nl_recv_credpid, gfd, 0).ret);
	ASSERT_EQ(1, CALL(G, op_nl_send, gfd, port[0]).ret);
	EXPECT_EQ(0, CALL(S, op_nl_recv_credpid, sfd, 0).ret);
	/* Inside the root instance they do (R9). */
	ASSERT_EQ(1, CALL(S, op_nl_send, sfd, port[0]).ret);
	EXPECT_EQ(self->pid[S], CALL(S, op_nl_recv_credpid, sfd, 0).ret);
	CALL(S, mult_op_close, sfd, 0);
	CALL(G, mult_op_close, gfd, 0);
}

MULT_HARNESS_MAIN
