// SPDX-License-Identifier: GPL-2.0
/*
 * mult R3: where the kernel reports the pid of a process the receiver
 * cannot see, it reports 0; otherwise the real, global pid.
 *
 * getppid(), PPid in /proc/<pid>/status and stat, SO_PEERCRED,
 * SCM_CREDENTIALS, F_GETOWN. (si_pid is in signal_test.c.)
 *
 *   creator (the test)
 *   |-- S   root instance (fork)
 *   `-- F   first process (instfork)
 *       |-- G, H   members (fork)
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "mult_util.h"

enum { S, F, G, H, NR_NODES };

static const struct mult_node nodes[NR_NODES] = {
	[S] = { MULT_SELF, MULT_FORK, "S" },
	[F] = { MULT_SELF, MULT_INST, "F" },
	[G] = { F, MULT_FORK, "G" },
	[H] = { F, MULT_FORK, "H" },
};

#define CREATOR MULT_SELF

/* Made by the creator before the tree exists, inherited by everyone. */
struct handles {
	int pair[2];		/* stream socketpair: SO_PEERCRED */
	int dgram[2];		/* dgram socketpair, [1] has SO_PASSCRED */
	int owned;		/* a pipe end for F_SETOWN/F_GETOWN */
	int owned_w;
};

static int make_handles(struct handles *h)
{
	int one = 1, p[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, h->pair) ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, h->dgram) || pipe(p))
		return -1;
	h->owned = p[0];
	h->owned_w = p[1];
	if (setsockopt(h->dgram[1], SOL_SOCKET, SO_PASSCRED, &one,
		       sizeof(one)))
		return -1;
	return fcntl(h->owned, F_SETOWN, getpid());
}

static void close_handles(struct handles *h)
{
	close(h->pair[0]);
	close(h->pair[1]);
	close(h->dgram[0]);
	close(h->dgram[1]);
	close(h->owned);
	close(h->owned_w);
}

FIXTURE(readback) {
	struct mult_tree tree;
	struct handles h;
	pid_t pid[NR_NODES];
	pid_t creator;
};

FIXTURE_SETUP(readback)
{
	MULT_REQUIRE();
	self->creator = getpid();
	ASSERT_EQ(0, make_handles(&self->h));
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
	memcpy(self->pid, self->tree.pid, sizeof(self->pid));
}

FIXTURE_TEARDOWN(readback)
{
	mult_tree_stop(&self->tree);
	close_handles(&self->h);
}

#define CALL(node, fn, a, b) mult_call(&self->tree, node, fn, a, b, 0)

TEST_F(readback, getppid)
{
	EXPECT_EQ(0, CALL(F, mult_op_getppid, 0, 0).ret);
	EXPECT_EQ(self->pid[F], CALL(G, mult_op_getppid, 0, 0).ret);
	EXPECT_EQ(self->creator, CALL(S, mult_op_getppid, 0, 0).ret);
}

TEST_F(readback, ppid_in_proc)
{
	const long ppid = (long)"PPid:";
	pid_t f = self->pid[F];

	/* Own view. */
	EXPECT_EQ(0, CALL(F, mult_op_status_field, 0, ppid).ret);
	EXPECT_EQ(0, CALL(F, mult_op_stat_ppid, 0, 0).ret);
	EXPECT_EQ(f, CALL(G, mult_op_status_field, 0, ppid).ret);
	EXPECT_EQ(f, CALL(G, mult_op_stat_ppid, 0, 0).ret);
	/* A member reading F: F's parent is hidden from it too. */
	EXPECT_EQ(0, CALL(G, mult_op_status_field, f, ppid).ret);
	EXPECT_EQ(0, CALL(G, mult_op_stat_ppid, f, 0).ret);
	/* The creator reading its child F: the parent is itself. */
	EXPECT_EQ(self->creator, mult_status_field(f, "PPid:"));
	EXPECT_EQ(self->creator, mult_stat_ppid(f));
	/* Pid and Tgid are global numbers. */
	EXPECT_EQ(f, CALL(F, mult_op_status_field, 0, (long)"Pid:").ret);
	EXPECT_EQ(f, CALL(F, mult_op_status_field, 0, (long)"Tgid:").ret);
}

/* R3: pids are global; what fork returned is what the child sees. */
TEST_F(readback, global_pids)
{
	for (int j = 0; j < NR_NODES; j++) {
		EXPECT_EQ(self->tree.shm->spawned[j], self->pid[j]);
		EXPECT_EQ(self->pid[j], CALL(j, mult_op_getpid, 0, 0).ret);
		EXPECT_EQ(self->pid[j], CALL(j, mult_op_gettid, 0, 0).ret);
	}
}

MULT_OP(op_peercred_pid)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(a, SOL_SOCKET, SO_PEERCRED, &uc, &len))
		return -1;
	if (b && uc.uid != 0) {	/* uid and gid are not hidden */
		errno = EPROTO;
		return -2;
	}
	return uc.pid;
}

/* A socketpair made by the creator before creation: the peer is it. */
TEST_F(readback, peercred_of_creator_socketpair)
{
	int fd = self->h.pair[1];

	EXPECT_EQ(0, CALL(F, op_peercred_pid, fd, 1).ret);
	EXPECT_EQ(0, CALL(G, op_peercred_pid, fd, 1).ret);
	EXPECT_EQ(self->creator, CALL(S, op_peercred_pid, fd, 1).ret);
	EXPECT_EQ(self->creator, CALL(CREATOR, op_peercred_pid, fd, 1).ret);
}

MULT_OP(op_fgetown) { return fcntl(a, F_GETOWN); }
MULT_OP(op_fsetown_self) { return fcntl(a, F_SETOWN, getpid()); }

TEST_F(readback, f_getown)
{
	int fd = self->h.owned;
	pid_t f = self->pid[F];

	/* Owned by the creator. */
	EXPECT_EQ(0, CALL(F, op_fgetown, fd, 0).ret);
	EXPECT_EQ(0, CALL(G, op_fgetown, fd, 0).ret);
	EXPECT_EQ(self->creator, CALL(S, op_fgetown, fd, 0).ret);
	EXPECT_EQ(self->creator, CALL(CREATOR, op_fgetown, fd, 0).ret);
	/* Owned by F. */
	ASSERT_EQ(0, CALL(F, op_fsetown_self, fd, 0).ret);
	EXPECT_EQ(f, CALL(F, op_fgetown, fd, 0).ret);
	EXPECT_EQ(f, CALL(G, op_fgetown, fd, 0).ret);
	EXPECT_EQ(0, CALL(S, op_fgetown, fd, 0).ret);
	EXPECT_EQ(f, CALL(CREATOR, op_fgetown, fd, 0).ret);
}

/* ----------------------------------------------------------------- */
/* who sees whom: connect() through an abstract socket, SCM_CREDENTIALS */

FIXTURE(cred) {
	struct mult_tree tree;
	struct handles h;
	pid_t creator;
};

FIXTURE_VARIANT(cred) {
	int from;	/* connects / sends */
	int to;		/* listens / receives */
	bool hidden;	/* from and to cannot see each other */
};

FIXTURE_VARIANT_ADD(cred, root_sibling_to_first) {
	.from = S, .to = F, .hidden = true,
};
FIXTURE_VARIANT_ADD(cred, root_sibling_to_member) {
	.from = S, .to = G, .hidden = true,
};
FIXTURE_VARIANT_ADD(cred, member_to_root_sibling) {
	.from = G, .to = S, .hidden = true,
};
FIXTURE_VARIANT_ADD(cred, first_to_root_sibling) {
	.from = F, .to = S, .hidden = true,
};
FIXTURE_VARIANT_ADD(cred, creator_to_member) {
	.from = CREATOR, .to = G, .hidden = true,
};
FIXTURE_VARIANT_ADD(cred, member_to_first) {
	.from = G, .to = F, .hidden = false,
};
FIXTURE_VARIANT_ADD(cred, first_to_member) {
	.from = F, .to = G, .hidden = false,
};
FIXTURE_VARIANT_ADD(cred, member_to_member) {
	.from = G, .to = H, .hidden = false,
};
FIXTURE_VARIANT_ADD(cred, creator_to_root_sibling) {
	.from = CREATOR, .to = S, .hidden = false,
};

FIXTURE_SETUP(cred)
{
	MULT_REQUIRE();
	self->creator = getpid();
	ASSERT_EQ(0, make_handles(&self->h));
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
}

FIXTURE_TEARDOWN(cred)
{
	mult_tree_stop(&self->tree);
	close_handles(&self->h);
}

static int listen_fd = -1, conn_fd = -1;

static socklen_t abstract_addr(struct sockaddr_un *sun, long tag)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
		 "mult-selftest-%ld", tag);
	return offsetof(struct sockaddr_un, sun_path) + 1 +
	       strlen(sun->sun_path + 1);
}

MULT_OP(op_listen)
{
	struct sockaddr_un sun;
	socklen_t len = abstract_addr(&sun, a);

	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -2;
	if (bind(listen_fd, (struct sockaddr *)&sun, len) ||
	    listen(listen_fd, 4))
		return -1;
	return 0;
}

/* Connect; returns the listener's pid as SO_PEERCRED reports it. */
MULT_OP(op_connect)
{
	struct sockaddr_un sun;
	socklen_t len = abstract_addr(&sun, a);

	conn_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (conn_fd < 0)
		return -2;
	if (connect(conn_fd, (struct sockaddr *)&sun, len))
		return -1;
	return op_peercred_pid(conn_fd, 1, 0);
}

/* Accept; returns the connector's pid as SO_PEERCRED reports it. */
MULT_OP(op_accept)
{
	int fd = accept(listen_fd, NULL, NULL);
	long pid;

	if (fd < 0)
		return -1;
	pid = op_peercred_pid(fd, 1, 0);
	close(fd);
	return pid;
}

TEST_F(cred, so_peercred)
{
	struct mult_tree *t = &self->tree;
	pid_t from = mult_pid(t, variant->from), to = mult_pid(t, variant->to);
	struct mult_res r;

	r = mult_call(t, variant->to, op_listen, self->creator, 0, 0);
	ASSERT_EQ(0, r.ret)
	{
		TH_LOG("listen: %s", mult_strerror(r.err));
	}
	r = mult_call(t, variant->from, op_connect, self->creator, 0, 0);
	EXPECT_EQ(variant->hidden ? 0 : to, r.ret)
	{
		TH_LOG("SO_PEERCRED of the listener (%d), read by the connector %s",
		       to, mult_name(t, variant->from));
	}
	r = mult_call(t, variant->to, op_accept, 0, 0, 0);
	EXPECT_EQ(variant->hidden ? 0 : from, r.ret)
	{
		TH_LOG("SO_PEERCRED of the connector (%d), read by the listener %s",
		       from, mult_name(t, variant->to));
	}
	if (variant->from == CREATOR && conn_fd >= 0)
		close(conn_fd);
}

MULT_OP(op_send) { return send(a, "x", 1, 0); }

/* Receive one datagram; returns the pid of its SCM_CREDENTIALS. */
MULT_OP(op_recv_creds)
{
	char data[8], cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	struct ucred uc;

	if (recvmsg(a, &msg, MSG_DONTWAIT) < 0)
		return -1;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET &&
		    cmsg->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&uc, CMSG_DATA(cmsg), sizeof(uc));
			if (uc.uid != 0) {
				errno = EPROTO;
				return -2;
			}
			return uc.pid;
		}
	}
	errno = ENOMSG;
	return -1;
}

TEST_F(cred, scm_credentials)
{
	struct mult_tree *t = &self->tree;
	pid_t from = mult_pid(t, variant->from);
	struct mult_res r;

	r = mult_call(t, variant->from, op_send, self->h.dgram[0], 0, 0);
	ASSERT_EQ(1, r.ret);
	r = mult_call(t, variant->to, op_recv_creds, self->h.dgram[1], 0, 0);
	EXPECT_EQ(variant->hidden ? 0 : from, r.ret)
	{
		TH_LOG("SCM_CREDENTIALS pid of %s (%d), received by %s: %ld (%s)",
		       mult_name(t, variant->from), from,
		       mult_name(t, variant->to), r.ret,
		       r.ret < 0 ? mult_strerror(r.err) : "ok");
	}
}

MULT_HARNESS_MAIN
