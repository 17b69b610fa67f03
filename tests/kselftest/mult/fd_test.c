// SPDX-License-Identifier: GPL-2.0
/*
 * mult R5: no file descriptor crosses an instance boundary.
 *
 * - SCM_RIGHTS: fds attached by a process of one instance are refused to
 *   a receiver in another: the data arrives, no SCM_RIGHTS control
 *   message, MSG_CTRUNC, nothing installed, and the files are released
 *   (a pipe or socket whose only other end was in flight sees EOF). The
 *   sender's instance is the one it had at sendmsg() time, the
 *   receiver's the one it has at recvmsg() time: fds queued before a
 *   socket end changed hands (inherited by a new instance) are refused
 *   too. Within one instance (root included) nothing changes. Stream,
 *   datagram and seqpacket unix sockets; socketpairs inherited at
 *   creation, abstract and pathname sockets connected afterwards;
 *   MSG_PEEK. The FreeBSD CVE-2025-15576 shape: a directory fd passed
 *   between two sibling instances.
 * - ptrace-mode access is same-instance only, even on the creator's own
 *   child: pidfd_getfd, process_vm_readv, kcmp(KCMP_FILE): EPERM;
 *   /proc/<pid>/fd/N, mem, environ, process_madvise: EACCES (mm_access()
 *   and the proc link code say EACCES, process_madvise passes it on).
 * - pidfds: pidfd_open, SO_PEERPIDFD and SCM_PIDFD never give a pidfd
 *   for a process the caller cannot see (ESRCH; SCM_PIDFD carries
 *   -ESRCH in place of the fd). Visible: same instance, or the caller's
 *   child (the creation edge).
 * - CLONE_FILES | CLONE_NEWINST: EINVAL.
 * - SECCOMP_IOCTL_NOTIF_ADDFD across instances: EPERM, both ways.
 * - fds inherited at creation (the creator's explicit choice) work.
 *
 *   creator (the test, root instance)
 *   |-- R    root instance (fork)
 *   |-- F    first process of instance A (instfork)
 *   |   `-- G    member of A (fork)
 *   `-- F2   first process of instance B, F's sibling (instfork)
 */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "mult_util.h"

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04	/* include/linux/socket.h, not in the uapi */
#endif
#ifndef __NR_process_madvise
#define __NR_process_madvise 440
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef CLONE_FILES
#define CLONE_FILES 0x00000400
#endif

enum { R, F, G, F2, NR_NODES };

static const struct mult_node nodes[NR_NODES] = {
	[R] = { MULT_SELF, MULT_FORK, "R" },
	[F] = { MULT_SELF, MULT_INST, "F" },
	[G] = { F, MULT_FORK, "G" },
	[F2] = { MULT_SELF, MULT_INST, "F2" },
};

#define CREATOR MULT_SELF

#define CALL(node, fn, a, b, c) mult_call(&self->tree, node, fn, a, b, c)

/* ----------------------------------------------------------------- */
/* per-process state of the socket operations */

enum { KIND_PIPE = 1, KIND_SOCK = 2, KIND_DIR = 4 };

/* Other ends of what op_send_fds() sent (sender side). */
static int kept_pipe = -1, kept_sock = -1;
/* Descriptors installed by op_recv() (receiver side). */
static int held[16], nheld;

static void close_kept(void)
{
	if (kept_pipe >= 0)
		close(kept_pipe);
	if (kept_sock >= 0)
		close(kept_sock);
	kept_pipe = kept_sock = -1;
}

/* Entries of /proc/self/fd (the directory's own fd included). */
static int count_fds(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* "Pid:" of a pidfd as /proc/self/fdinfo reports it; -1 if none. */
static long fdinfo_pid(int fd)
{
	char path[64], line[128];
	long pid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Pid:", 4)) {
			pid = strtol(line + 4, NULL, 10);
			break;
		}
	}
	fclose(f);
	return pid;
}

/* sendmsg() one byte 'x' with n fds attached (none if n == 0). */
static ssize_t send_fds(int sock, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { "x", 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	if (n) {
		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL);
}

/*
 * a: socket, b: KIND_* mask. Sends fresh fds: the write end of a pipe
 * (read end kept), one end of a stream socketpair (other end kept), a
 * directory fd for "/". The sender's copies are closed: afterwards the
 * message holds the only reference to them. Returns bytes sent.
 */
MULT_OP(op_send_fds)
{
	int fds[3], n = 0, p[2], q[2], e, i;
	ssize_t r;

	close_kept();
	if (b & KIND_PIPE) {
		if (pipe2(p, O_CLOEXEC))
			return -2;
		kept_pipe = p[0];
		fds[n++] = p[1];
	}
	if (b & KIND_SOCK) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, q))
			return -2;
		kept_sock = q[1];
		fds[n++] = q[0];
	}
	if (b & KIND_DIR) {
		fds[n] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fds[n++] < 0)
			return -2;
	}
	r = send_fds(a, fds, n);
	e = errno;
	for (i = 0; i < n; i++)
		close(fds[i]);
	errno = e;
	return r;
}

/* a: socket, b: an fd of the caller, sent and then closed. */
MULT_OP(op_send_given_fd)
{
	int fd = b, e;
	ssize_t r = send_fds(a, &fd, 1);

	e = errno;
	close(fd);
	errno = e;
	return r;
}

/* a: socket. One byte 'x', no control data. */
MULT_OP(op_send_plain) { return send_fds(a, NULL, 0); }

/*
 * Read one byte from the kept end a (KIND_PIPE or KIND_SOCK), waiting
 * up to b ms. Returns 0 on EOF, the byte read, or -2 with ETIMEDOUT when
 * the other end is still open and nothing came.
 */
MULT_OP(op_kept_read)
{
	int fd = a == KIND_PIPE ? kept_pipe : kept_sock;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char byte;
	ssize_t n;
	int r;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	do
		r = poll(&pfd, 1, b);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	if (r == 0) {
		errno = ETIMEDOUT;
		return -2;
	}
	n = read(fd, &byte, 1);
	if (n < 0)
		return -1;
	return n == 0 ? 0 : byte;
}

MULT_OP(op_close_kept)
{
	close_kept();
	return 0;
}

/* What one recvmsg() gave, written by op_recv() into the shared page. */
struct rx {
	long n;			/* recvmsg()'s return value */
	int err;
	int flags;		/* msg_flags */
	int ncmsg;		/* control messages of any kind */
	int nrights;		/* fds in SCM_RIGHTS messages */
	bool has_pidfd;		/* an SCM_PIDFD message came */
	int pidfd;		/* its value (an fd, or -errno) */
	long pidfd_pid;		/* Pid: of that pidfd, -1 if none */
	int fds_before;		/* entries of /proc/self/fd */
	int fds_after;
	char data[8];
};

static struct rx *rx_area(struct mult_tree *t)
{
	return (struct rx *)t->shm->data;
}

/*
 * a: socket, b: extra recvmsg flags (MSG_PEEK), c: struct rx *. Never
 * blocks: the message was sent before. SCM_RIGHTS fds are kept in
 * held[]; a pidfd is looked at and closed. Returns recvmsg()'s value.
 */
MULT_OP(op_recv)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8) + CMSG_SPACE(sizeof(int)) +
			 CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} cbuf;
	struct rx *rx = (struct rx *)c;
	struct iovec iov;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *cmsg;

	memset(rx, 0, sizeof(*rx));
	memset(&cbuf, 0, sizeof(cbuf));
	rx->pidfd = -1;
	rx->pidfd_pid = -1;
	iov.iov_base = rx->data;
	iov.iov_len = sizeof(rx->data) - 1;
	rx->fds_before = count_fds();
	rx->n = recvmsg(a, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | b);
	rx->err = errno;
	rx->fds_after = count_fds();
	if (rx->n < 0) {
		errno = rx->err;
		return -1;
	}
	rx->flags = msg.msg_flags;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg;
	     cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		rx->ncmsg++;
		if (cmsg->cmsg_level != SOL_SOCKET)
			continue;
		if (cmsg->cmsg_type == SCM_RIGHTS) {
			int k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (int i = 0; i < k; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
				       sizeof(fd));
				if (nheld < (int)ARRAY_SIZE(held))
					held[nheld++] = fd;
				rx->nrights++;
			}
		} else if (cmsg->cmsg_type == SCM_PIDFD) {
			rx->has_pidfd = true;
			memcpy(&rx->pidfd, CMSG_DATA(cmsg), sizeof(int));
			if (rx->pidfd >= 0) {
				rx->pidfd_pid = fdinfo_pid(rx->pidfd);
				close(rx->pidfd);
			}
		}
	}
	errno = 0;
	return rx->n;
}

/* Write the byte a into every fd op_recv() installed; count successes. */
MULT_OP(op_use_held)
{
	unsigned char byte = a;
	int ok = 0;

	for (int i = 0; i < nheld; i++)
		if (write(held[i], &byte, 1) == 1)
			ok++;
	return ok;
}

MULT_OP(op_close_held)
{
	for (int i = 0; i < nheld; i++)
		close(held[i]);
	nheld = 0;
	return 0;
}

/* The first held fd is "/" and usable as a directory fd. */
MULT_OP(op_check_dir)
{
	struct stat st, root;
	int fd;

	if (nheld < 1) {
		errno = EBADF;
		return -1;
	}
	if (fstat(held[0], &st) || stat("/", &root))
		return -1;
	if (!S_ISDIR(st.st_mode) || st.st_ino != root.st_ino ||
	    st.st_dev != root.st_dev) {
		errno = ENOTDIR;
		return -1;
	}
	fd = openat(held[0], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* ----------------------------------------------------------------- */
/* named sockets: the address is set before the tree, inherited by all */

enum { TR_pair, TR_abstract, TR_path };

static struct sockaddr_un named_addr;
static socklen_t named_len;

static void make_addr(int transport, const char *what)
{
	memset(&named_addr, 0, sizeof(named_addr));
	named_addr.sun_family = AF_UNIX;
	if (transport == TR_abstract) {
		snprintf(named_addr.sun_path + 1,
			 sizeof(named_addr.sun_path) - 1,
			 "mult-fd-test-%s-%d", what, getpid());
		named_len = offsetof(struct sockaddr_un, sun_path) + 1 +
			    strlen(named_addr.sun_path + 1);
	} else {
		snprintf(named_addr.sun_path, sizeof(named_addr.sun_path),
			 "/tmp/mult-fd-test-%s-%d.sock", what, getpid());
		named_len = sizeof(named_addr);
	}
}

/* a: socket type. Bound (and listening unless a datagram socket). */
MULT_OP(op_bind)
{
	int s = socket(AF_UNIX, a | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -2;
	if (named_addr.sun_path[0])
		unlink(named_addr.sun_path);
	if (bind(s, (struct sockaddr *)&named_addr, named_len))
		return -1;
	if (a != SOCK_DGRAM && listen(s, 4))
		return -1;
	return s;
}

/* a: socket type. Connected to named_addr. */
MULT_OP(op_connect)
{
	int s = socket(AF_UNIX, a | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -2;
	if (connect(s, (struct sockaddr *)&named_addr, named_len))
		return -1;
	return s;
}

/* a: listening socket, closed after one accept(). */
MULT_OP(op_accept)
{
	int fd = accept4(a, NULL, NULL, SOCK_CLOEXEC);
	int e = errno;

	close(a);
	errno = e;
	return fd;
}

/* SO_PEERPIDFD of socket a: the peer's pid read from the pidfd. */
MULT_OP(op_peerpidfd)
{
	socklen_t len = sizeof(int);
	int pidfd = -1;
	long pid;

	if (getsockopt(a, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len))
		return -1;
	pid = fdinfo_pid(pidfd);
	close(pidfd);
	if (pid <= 0) {
		errno = EPROTO;
		return -2;
	}
	return pid;
}

/* ----------------------------------------------------------------- */
/* checks on what a receiver got */

/*
 * The one-byte message arrived; refused (want_fds < 0): MSG_CTRUNC, no
 * control message, nothing installed; else exactly want_fds installed.
 */
static void expect_rx(struct __test_metadata *_metadata, const struct rx *rx,
		      struct mult_res r, int want_fds, const char *what)
{
	MULT_EXPECT(r.ret == 1 && rx->n == 1 && rx->data[0] == 'x',
		    "%s: recvmsg returned %ld (%s), data '%.7s'", what, r.ret,
		    mult_strerror(r.ret < 0 ? r.err : 0), rx->data);
	if (r.ret != 1)
		return;
	if (want_fds < 0) {
		MULT_EXPECT(rx->flags & MSG_CTRUNC,
			    "%s: refused fds but no MSG_CTRUNC (msg_flags %#x)",
			    what, rx->flags);
		MULT_EXPECT(rx->ncmsg == 0 && rx->nrights == 0,
			    "%s: %d control messages with %d fds, expected none",
			    what, rx->ncmsg, rx->nrights);
		MULT_EXPECT(rx->fds_after == rx->fds_before,
			    "%s: fd table went from %d to %d entries", what,
			    rx->fds_before, rx->fds_after);
	} else {
		MULT_EXPECT(!(rx->flags & MSG_CTRUNC),
			    "%s: MSG_CTRUNC set (msg_flags %#x)", what,
			    rx->flags);
		MULT_EXPECT(rx->nrights == want_fds,
			    "%s: %d fds in SCM_RIGHTS, expected %d", what,
			    rx->nrights, want_fds);
		MULT_EXPECT(rx->fds_after == rx->fds_before + want_fds,
			    "%s: fd table went from %d to %d entries, expected +%d",
			    what, rx->fds_before, rx->fds_after, want_fds);
	}
}

/* op_kept_read() result: still open (-2, ETIMEDOUT), EOF (0), a byte. */
#define EXPECT_KEPT(res, want, what, ...)                               \
	do {                                                            \
		struct mult_res __k = (res);                            \
		long __w = (want);                                      \
									\
		MULT_EXPECT(__k.ret == __w &&                           \
				(__w != -2 || __k.err == ETIMEDOUT),    \
			    what ": got %ld (%s), expected %s",          \
			    ##__VA_ARGS__, __k.ret,                     \
			    __k.ret < 0 ? mult_strerror(__k.err) : "ok", \
			    __w == -2 ? "still open" :                  \
			    __w == 0 ? "EOF" : "data");                 \
	} while (0)

/* ================================================================= */
/* SCM_RIGHTS matrix                                                  */

FIXTURE(rights) {
	struct mult_tree tree;
	int sv[2];
	int sfd;	/* sender's socket (in the sender) */
	int rfd;	/* receiver's socket (in the receiver) */
};

FIXTURE_VARIANT(rights) {
	int transport;
	int type;
	int from;
	int to;
	bool deny;
};

#define T_stream SOCK_STREAM
#define T_dgram SOCK_DGRAM
#define T_seqpacket SOCK_SEQPACKET

#define RIGHTS(tr, ty, dir, f, t, d)                                    \
	FIXTURE_VARIANT_ADD(rights, tr##_##ty##_##dir) {                \
		.transport = TR_##tr, .type = T_##ty,                   \
		.from = f, .to = t, .deny = d,                          \
	};

/* Every direction, over a socketpair made before the tree. */
#define RIGHTS_PAIR(ty)                                                 \
	RIGHTS(pair, ty, creator_to_first, CREATOR, F, true)            \
	RIGHTS(pair, ty, first_to_creator, F, CREATOR, true)            \
	RIGHTS(pair, ty, root_to_member, R, G, true)                    \
	RIGHTS(pair, ty, member_to_root, G, R, true)                    \
	RIGHTS(pair, ty, first_to_sibling, F, F2, true)                 \
	RIGHTS(pair, ty, creator_to_root, CREATOR, R, false)            \
	RIGHTS(pair, ty, root_to_creator, R, CREATOR, false)            \
	RIGHTS(pair, ty, first_to_member, F, G, false)                  \
	RIGHTS(pair, ty, member_to_first, G, F, false)

/* The receiver binds, the sender connects after the tree exists. */
#define RIGHTS_NAMED(tr, ty)                                            \
	RIGHTS(tr, ty, creator_to_first, CREATOR, F, true)              \
	RIGHTS(tr, ty, member_to_root, G, R, true)                      \
	RIGHTS(tr, ty, root_to_creator, R, CREATOR, false)              \
	RIGHTS(tr, ty, first_to_member, F, G, false)

RIGHTS_PAIR(stream)
RIGHTS_PAIR(dgram)
RIGHTS_PAIR(seqpacket)
RIGHTS_NAMED(abstract, stream)
RIGHTS_NAMED(abstract, dgram)
RIGHTS_NAMED(abstract, seqpacket)
RIGHTS_NAMED(path, stream)
RIGHTS_NAMED(path, dgram)
RIGHTS_NAMED(path, seqpacket)

FIXTURE_SETUP(rights)
{
	struct mult_res r;

	self->sv[0] = self->sv[1] = -1;
	MULT_REQUIRE();
	if (variant->transport == TR_pair) {
		ASSERT_EQ(0, socketpair(AF_UNIX, variant->type, 0, self->sv));
	} else {
		make_addr(variant->transport, "rights");
	}
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
	if (variant->transport == TR_pair) {
		self->sfd = self->sv[0];
		self->rfd = self->sv[1];
		return;
	}
	r = CALL(variant->to, op_bind, variant->type, 0, 0);
	ASSERT_LE(0, r.ret)
	{
		TH_LOG("bind/listen in %s: %s",
		       mult_name(&self->tree, variant->to),
		       mult_strerror(r.err));
	}
	self->rfd = r.ret;
	r = CALL(variant->from, op_connect, variant->type, 0, 0);
	ASSERT_LE(0, r.ret)
	{
		TH_LOG("connect in %s: %s",
		       mult_name(&self->tree, variant->from),
		       mult_strerror(r.err));
	}
	self->sfd = r.ret;
	if (variant->type != SOCK_DGRAM) {
		r = CALL(variant->to, op_accept, self->rfd, 0, 0);
		ASSERT_LE(0, r.ret)
		{
			TH_LOG("accept in %s: %s",
			       mult_name(&self->tree, variant->to),
			       mult_strerror(r.err));
		}
		self->rfd = r.ret;
	}
}

FIXTURE_TEARDOWN(rights)
{
	mult_tree_stop(&self->tree);
	if (self->sv[0] >= 0) {
		close(self->sv[0]);
		close(self->sv[1]);
	}
	if (variant->transport == TR_path)
		unlink(named_addr.sun_path);
}

/*
 * The write end of a pipe and one end of a socketpair in one message.
 * Refused: both released (EOF on the ends the sender kept). Allowed:
 * both usable by the receiver, EOF once it closes them.
 */
TEST_F(rights, pass_pipe_and_socket)
{
	struct mult_tree *t = &self->tree;
	const char *from = mult_name(t, variant->from);
	const char *to = mult_name(t, variant->to);
	struct rx *rx = rx_area(t);
	struct mult_res r;

	r = CALL(variant->from, op_send_fds, self->sfd,
		 KIND_PIPE | KIND_SOCK, 0);
	ASSERT_EQ(1, r.ret)
	{
		TH_LOG("sendmsg in %s: %s", from, mult_strerror(r.err));
	}
	/* In flight: the message holds the only write end. */
	EXPECT_KEPT(CALL(variant->from, op_kept_read, KIND_PIPE, 0, 0), -2,
		    "pipe while in flight");
	EXPECT_KEPT(CALL(variant->from, op_kept_read, KIND_SOCK, 0, 0), -2,
		    "socket while in flight");

	r = CALL(variant->to, op_recv, self->rfd, 0, (long)rx);
	expect_rx(_metadata, rx, r, variant->deny ? -1 : 2, to);

	if (!variant->deny) {
		EXPECT_EQ(2, CALL(variant->to, op_use_held, 'y', 0, 0).ret);
		EXPECT_KEPT(CALL(variant->from, op_kept_read, KIND_PIPE,
				 MULT_TIMEOUT_MS, 0), 'y',
			    "pipe written through the received fd");
		EXPECT_KEPT(CALL(variant->from, op_kept_read, KIND_SOCK,
				 MULT_TIMEOUT_MS, 0), 'y',
			    "socket written through the received fd");
	}
	CALL(variant->to, op_close_held, 0, 0, 0);
	/* Refused or closed by the receiver: nothing left in flight. */
	EXPECT_KEPT(CALL(variant->from, op_kept_read, KIND_PIPE,
			 MULT_SETTLE_MS, 0), 0,
		    "pipe read end in %s after %s's receive", from, to);
	EXPECT_KEPT(CALL(variant->from, op_kept_read, KIND_SOCK,
			 MULT_SETTLE_MS, 0), 0,
		    "socket end in %s after %s's receive", from, to);
	CALL(variant->from, op_close_kept, 0, 0, 0);
}

/* MSG_PEEK first (a copy of the fds), then the real receive. */
TEST_F(rights, peek_then_receive)
{
	struct mult_tree *t = &self->tree;
	const char *to = mult_name(t, variant->to);
	struct rx *rx = rx_area(t);
	struct mult_res r;
	char what[64];

	r = CALL(variant->from, op_send_fds, self->sfd, KIND_PIPE, 0);
	ASSERT_EQ(1, r.ret)
	{
		TH_LOG("sendmsg: %s", mult_strerror(r.err));
	}
	r = CALL(variant->to, op_recv, self->rfd, MSG_PEEK, (long)rx);
	snprintf(what, sizeof(what), "%s, MSG_PEEK", to);
	expect_rx(_metadata, rx, r, variant->deny ? -1 : 1, what);
	/* Still queued: the message keeps its reference. */
	EXPECT_KEPT(CALL(variant->from, op_kept_read, KIND_PIPE, 0, 0), -2,
		    "pipe after MSG_PEEK");

	r = CALL(variant->to, op_recv, self->rfd, 0, (long)rx);
	snprintf(what, sizeof(what), "%s, after MSG_PEEK", to);
	expect_rx(_metadata, rx, r, variant->deny ? -1 : 1, what);
	if (!variant->deny)
		EXPECT_KEPT(CALL(variant->from, op_kept_read, KIND_PIPE, 0, 0),
			    -2, "pipe while the receiver holds it");

	CALL(variant->to, op_close_held, 0, 0, 0);
	EXPECT_KEPT(CALL(variant->from, op_kept_read, KIND_PIPE,
			 MULT_SETTLE_MS, 0), 0, "pipe after the receive");
	CALL(variant->from, op_close_kept, 0, 0, 0);
}

/* ================================================================= */
/* fds queued before the receiving end changed hands                  */

FIXTURE(queued) {
	struct mult_tree tree;
	int sv[2];
};

FIXTURE_VARIANT(queued) {
	int type;
};

FIXTURE_VARIANT_ADD(queued, stream) { .type = SOCK_STREAM, };
FIXTURE_VARIANT_ADD(queued, dgram) { .type = SOCK_DGRAM, };
FIXTURE_VARIANT_ADD(queued, seqpacket) { .type = SOCK_SEQPACKET, };

FIXTURE_SETUP(queued)
{
	self->sv[0] = self->sv[1] = -1;
	MULT_REQUIRE();
	ASSERT_EQ(0, socketpair(AF_UNIX, variant->type, 0, self->sv));
}

FIXTURE_TEARDOWN(queued)
{
	mult_tree_stop(&self->tree);
	close(self->sv[0]);
	close(self->sv[1]);
}

/*
 * The creator queues an fd, then creates an instance that inherits the
 * receiving end: the first process gets no fd. The same socket still
 * passes fds from the creator to a root process forked afterwards.
 */
TEST_F(queued, root_to_new_instance)
{
	static const struct mult_node two[] = {
		[R] = { MULT_SELF, MULT_FORK, "R" },
		[F] = { MULT_SELF, MULT_INST, "F" },
	};
	struct mult_tree *t = &self->tree;
	struct rx *rx;
	struct mult_res r;

	ASSERT_EQ(1, op_send_fds(self->sv[0], KIND_PIPE, 0));
	ASSERT_EQ(0, mult_tree_start(t, two, 2));
	rx = rx_area(t);

	EXPECT_KEPT(mult_call(t, CREATOR, op_kept_read, KIND_PIPE, 0, 0), -2,
		    "pipe queued before the instance");
	r = mult_call(t, F, op_recv, self->sv[1], 0, (long)rx);
	expect_rx(_metadata, rx, r, -1, "F, fd queued by the creator");
	EXPECT_KEPT(mult_call(t, CREATOR, op_kept_read, KIND_PIPE,
			      MULT_SETTLE_MS, 0), 0,
		    "pipe after F's receive");

	/* Control: the creator to a root process, same socket. */
	ASSERT_EQ(1, op_send_fds(self->sv[0], KIND_PIPE, 0));
	r = mult_call(t, R, op_recv, self->sv[1], 0, (long)rx);
	expect_rx(_metadata, rx, r, 1, "R, fd from the creator");
	mult_call(t, R, op_close_held, 0, 0, 0);
	EXPECT_KEPT(mult_call(t, CREATOR, op_kept_read, KIND_PIPE,
			      MULT_SETTLE_MS, 0), 0, "pipe after R closed it");
	close_kept();
}

/*
 * The first process sends back the write end of a pipe it inherited,
 * then exits (its instance goes away): the creator still gets no fd, the
 * sender's instance was recorded when the fd was attached.
 */
TEST_F(queued, instance_to_root_after_sender_exit)
{
	static const struct mult_node one[] = {
		{ MULT_SELF, MULT_INST, "F" },
	};
	struct mult_tree *t = &self->tree;
	struct pollfd pfd;
	struct rx *rx;
	struct mult_res r;
	int p[2];
	char c;

	/* Non-blocking: a read that is not EOF must not hang the test. */
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC | O_NONBLOCK));
	ASSERT_EQ(0, mult_tree_start(t, one, 1));
	rx = rx_area(t);
	close(p[1]);		/* F has the only write end now */

	r = mult_call(t, 0, op_send_given_fd, self->sv[0], p[1], 0);
	ASSERT_EQ(1, r.ret)
	{
		TH_LOG("sendmsg in F: %s", mult_strerror(r.err));
	}
	ASSERT_EQ(0, mult_post(t, 0, mult_op_exit, 0, 0, 0));
	ASSERT_EQ(0, mult_status_code(mult_reap(t, 0, MULT_TIMEOUT_MS)));

	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 0))
	{
		TH_LOG("pipe hung up while its write end was in flight");
	}
	r = mult_call(t, CREATOR, op_recv, self->sv[1], 0, (long)rx);
	expect_rx(_metadata, rx, r, -1, "creator, fd from F (exited)");
	poll(&pfd, 1, MULT_SETTLE_MS);
	EXPECT_EQ(0, read(p[0], &c, 1))
	{
		TH_LOG("no EOF: the refused write end is still alive (%s)",
		       strerror(errno));
	}
	close(p[0]);
}

/*
 * Inside an instance: F queues an fd on a socketpair it made, then
 * creates a nested instance that inherits the receiving end (refused),
 * and forks a member that receives the next one (allowed).
 */
MULT_OP(op_nested_queue)
{
	struct rx *rx = (struct rx *)b;
	int q[2], st;
	pid_t pid;

	MULT_CHECK(socketpair(AF_UNIX, a | SOCK_CLOEXEC, 0, q) == 0);
	MULT_CHECK(op_send_fds(q[0], KIND_PIPE, 0) == 1);

	fflush(NULL);
	pid = mult_instfork(NULL);
	MULT_CHECK(pid >= 0);
	if (pid == 0) {
		op_recv(q[1], 0, (long)rx);
		_exit(rx->n == 1 && (rx->flags & MSG_CTRUNC) &&
		      rx->ncmsg == 0 && rx->fds_after == rx->fds_before ?
		      0 : 1);
	}
	st = mult_status_code(mult_waitpid(pid, MULT_TIMEOUT_MS));
	if (st)
		mult_log("nested receiver: n %ld flags %#x cmsgs %d fds %d->%d",
			 rx->n, rx->flags, rx->ncmsg, rx->fds_before,
			 rx->fds_after);
	MULT_CHECK(st == 0);
	MULT_CHECK(op_kept_read(KIND_PIPE, MULT_SETTLE_MS, 0) == 0);

	MULT_CHECK(op_send_fds(q[0], KIND_PIPE, 0) == 1);
	fflush(NULL);
	pid = fork();
	MULT_CHECK(pid >= 0);
	if (pid == 0) {
		op_recv(q[1], 0, (long)rx);
		_exit(rx->n == 1 && !(rx->flags & MSG_CTRUNC) &&
		      rx->nrights == 1 ? 0 : 1);
	}
	st = mult_status_code(mult_waitpid(pid, MULT_TIMEOUT_MS));
	if (st)
		mult_log("member receiver: n %ld flags %#x fds %d",
			 rx->n, rx->flags, rx->nrights);
	MULT_CHECK(st == 0);
	/* The member exited: its copy is closed, nothing in flight. */
	MULT_CHECK(op_kept_read(KIND_PIPE, MULT_SETTLE_MS, 0) == 0);
	close_kept();
	close(q[0]);
	close(q[1]);
	return 0;
}

TEST_F(queued, inside_to_nested_instance)
{
	static const struct mult_node one[] = {
		{ MULT_SELF, MULT_INST, "F" },
	};
	struct mult_tree *t = &self->tree;
	struct mult_res r;

	ASSERT_EQ(0, mult_tree_start(t, one, 1));
	r = mult_call(t, 0, op_nested_queue, variant->type,
		      (long)rx_area(t), 0);
	EXPECT_EQ(0, r.ret)
	{
		TH_LOG("F: check at line %ld failed (%s)", r.ret,
		       mult_strerror(r.err));
	}
}

/* ================================================================= */
/* FreeBSD CVE-2025-15576 shape: a directory fd between sibling        */
/* instances that share a socketpair inherited from their creator     */

FIXTURE(cve) {
	struct mult_tree tree;
	int sv[2];
};

FIXTURE_VARIANT(cve) {
	int type;
};

FIXTURE_VARIANT_ADD(cve, stream) { .type = SOCK_STREAM, };
FIXTURE_VARIANT_ADD(cve, dgram) { .type = SOCK_DGRAM, };
FIXTURE_VARIANT_ADD(cve, seqpacket) { .type = SOCK_SEQPACKET, };

FIXTURE_SETUP(cve)
{
	self->sv[0] = self->sv[1] = -1;
	MULT_REQUIRE();
	ASSERT_EQ(0, socketpair(AF_UNIX, variant->type, 0, self->sv));
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
}

FIXTURE_TEARDOWN(cve)
{
	mult_tree_stop(&self->tree);
	close(self->sv[0]);
	close(self->sv[1]);
}

static void pass_dir(struct __test_metadata *_metadata,
		     FIXTURE_DATA(cve) *self, int from, int to, bool deny)
{
	struct mult_tree *t = &self->tree;
	struct rx *rx = rx_area(t);
	struct mult_res r;
	char what[64];

	snprintf(what, sizeof(what), "directory fd %s -> %s",
		 mult_name(t, from), mult_name(t, to));
	r = mult_call(t, from, op_send_fds, self->sv[0], KIND_DIR, 0);
	ASSERT_EQ(1, r.ret)
	{
		TH_LOG("%s: sendmsg: %s", what, mult_strerror(r.err));
	}
	r = mult_call(t, to, op_recv, self->sv[1], 0, (long)rx);
	expect_rx(_metadata, rx, r, deny ? -1 : 1, what);
	if (!deny) {
		r = mult_call(t, to, op_check_dir, 0, 0, 0);
		EXPECT_RES(r, 0, "%s: received fd is \"/\" and usable", what);
	}
	mult_call(t, to, op_close_held, 0, 0, 0);
}

TEST_F(cve, sibling_instances_refused)
{
	pass_dir(_metadata, self, F, F2, true);
	pass_dir(_metadata, self, F2, F, true);
	pass_dir(_metadata, self, G, F2, true);
}

TEST_F(cve, same_instance_works)
{
	pass_dir(_metadata, self, F, G, false);
	pass_dir(_metadata, self, G, F, false);
}

/* ================================================================= */
/* SCM_PIDFD: a pidfd for the sender only if the receiver sees it      */

FIXTURE(scm_pidfd) {
	struct mult_tree tree;
	int sv[2];
};

FIXTURE_VARIANT(scm_pidfd) {
	int from;
	int to;
	bool visible;	/* may `to` see `from`? */
};

/* The creation edge: the creator sees its child, not the reverse. */
FIXTURE_VARIANT_ADD(scm_pidfd, first_to_creator) {
	.from = F, .to = CREATOR, .visible = true,
};
FIXTURE_VARIANT_ADD(scm_pidfd, creator_to_first) {
	.from = CREATOR, .to = F, .visible = false,
};
FIXTURE_VARIANT_ADD(scm_pidfd, member_to_creator) {
	.from = G, .to = CREATOR, .visible = false,
};
FIXTURE_VARIANT_ADD(scm_pidfd, creator_to_member) {
	.from = CREATOR, .to = G, .visible = false,
};
FIXTURE_VARIANT_ADD(scm_pidfd, root_to_first) {
	.from = R, .to = F, .visible = false,
};
FIXTURE_VARIANT_ADD(scm_pidfd, first_to_root) {
	.from = F, .to = R, .visible = false,
};
FIXTURE_VARIANT_ADD(scm_pidfd, first_to_sibling) {
	.from = F, .to = F2, .visible = false,
};
FIXTURE_VARIANT_ADD(scm_pidfd, member_to_first) {
	.from = G, .to = F, .visible = true,
};
FIXTURE_VARIANT_ADD(scm_pidfd, first_to_member) {
	.from = F, .to = G, .visible = true,
};
FIXTURE_VARIANT_ADD(scm_pidfd, root_to_creator) {
	.from = R, .to = CREATOR, .visible = true,
};
FIXTURE_VARIANT_ADD(scm_pidfd, creator_to_root) {
	.from = CREATOR, .to = R, .visible = true,
};

FIXTURE_SETUP(scm_pidfd)
{
	int one = 1;

	self->sv[0] = self->sv[1] = -1;
	MULT_REQUIRE();
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, self->sv));
	ASSERT_EQ(0, setsockopt(self->sv[1], SOL_SOCKET, SO_PASSPIDFD, &one,
				sizeof(one)));
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
}

FIXTURE_TEARDOWN(scm_pidfd)
{
	mult_tree_stop(&self->tree);
	close(self->sv[0]);
	close(self->sv[1]);
}

TEST_F(scm_pidfd, receive)
{
	struct mult_tree *t = &self->tree;
	pid_t from = mult_pid(t, variant->from);
	struct rx *rx = rx_area(t);
	struct mult_res r;

	r = CALL(variant->from, op_send_plain, self->sv[0], 0, 0);
	ASSERT_EQ(1, r.ret);
	r = CALL(variant->to, op_recv, self->sv[1], 0, (long)rx);
	ASSERT_EQ(1, r.ret)
	{
		TH_LOG("recvmsg in %s: %s", mult_name(t, variant->to),
		       mult_strerror(r.err));
	}
	EXPECT_EQ('x', rx->data[0]);
	EXPECT_FALSE(rx->flags & MSG_CTRUNC);
	ASSERT_TRUE(rx->has_pidfd)
	{
		TH_LOG("no SCM_PIDFD message");
	}
	if (variant->visible) {
		EXPECT_LE(0, rx->pidfd)
		{
			TH_LOG("SCM_PIDFD of %s (%d) in %s: %d, expected a pidfd",
			       mult_name(t, variant->from), from,
			       mult_name(t, variant->to), rx->pidfd);
		}
		EXPECT_EQ(from, rx->pidfd_pid);
	} else {
		EXPECT_EQ(-ESRCH, rx->pidfd)
		{
			TH_LOG("SCM_PIDFD of %s (%d) in %s: %d (pid %ld), expected -ESRCH",
			       mult_name(t, variant->from), from,
			       mult_name(t, variant->to), rx->pidfd,
			       rx->pidfd_pid);
		}
		EXPECT_EQ(rx->fds_before, rx->fds_after);
	}
}

/* ================================================================= */
/* SO_PEERPIDFD over sockets connected after creation                 */

FIXTURE(peerpidfd) {
	struct mult_tree tree;
};

FIXTURE_VARIANT(peerpidfd) {
	int connector;
	int listener;
	bool connector_sees;	/* the listener */
	bool listener_sees;	/* the connector */
};

FIXTURE_VARIANT_ADD(peerpidfd, first_to_creator) {
	.connector = F, .listener = CREATOR,
	.connector_sees = false, .listener_sees = true,
};
FIXTURE_VARIANT_ADD(peerpidfd, creator_to_first) {
	.connector = CREATOR, .listener = F,
	.connector_sees = true, .listener_sees = false,
};
FIXTURE_VARIANT_ADD(peerpidfd, member_to_creator) {
	.connector = G, .listener = CREATOR,
	.connector_sees = false, .listener_sees = false,
};
FIXTURE_VARIANT_ADD(peerpidfd, member_to_root) {
	.connector = G, .listener = R,
	.connector_sees = false, .listener_sees = false,
};
FIXTURE_VARIANT_ADD(peerpidfd, sibling_to_first) {
	.connector = F2, .listener = F,
	.connector_sees = false, .listener_sees = false,
};
FIXTURE_VARIANT_ADD(peerpidfd, member_to_first) {
	.connector = G, .listener = F,
	.connector_sees = true, .listener_sees = true,
};
FIXTURE_VARIANT_ADD(peerpidfd, root_to_creator) {
	.connector = R, .listener = CREATOR,
	.connector_sees = true, .listener_sees = true,
};

FIXTURE_SETUP(peerpidfd)
{
	MULT_REQUIRE();
	make_addr(TR_abstract, "peer");
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
}

FIXTURE_TEARDOWN(peerpidfd)
{
	mult_tree_stop(&self->tree);
}

TEST_F(peerpidfd, connected)
{
	struct mult_tree *t = &self->tree;
	pid_t cpid = mult_pid(t, variant->connector);
	pid_t lpid = mult_pid(t, variant->listener);
	const char *cname = mult_name(t, variant->connector);
	const char *lname = mult_name(t, variant->listener);
	struct mult_res r;
	int lfd, cfd, afd;

	r = CALL(variant->listener, op_bind, SOCK_STREAM, 0, 0);
	ASSERT_LE(0, r.ret);
	lfd = r.ret;
	r = CALL(variant->connector, op_connect, SOCK_STREAM, 0, 0);
	ASSERT_LE(0, r.ret);
	cfd = r.ret;
	r = CALL(variant->listener, op_accept, lfd, 0, 0);
	ASSERT_LE(0, r.ret);
	afd = r.ret;

	r = CALL(variant->connector, op_peerpidfd, cfd, 0, 0);
	if (variant->connector_sees) {
		EXPECT_EQ(lpid, r.ret)
		{
			TH_LOG("SO_PEERPIDFD in %s (peer %s, %d): %ld (%s)",
			       cname, lname, lpid, r.ret, mult_strerror(r.err));
		}
	} else {
		EXPECT_RES(r, ESRCH, "SO_PEERPIDFD in %s (peer %s, %d)",
			   cname, lname, lpid);
	}

	r = CALL(variant->listener, op_peerpidfd, afd, 0, 0);
	if (variant->listener_sees) {
		EXPECT_EQ(cpid, r.ret)
		{
			TH_LOG("SO_PEERPIDFD in %s (peer %s, %d): %ld (%s)",
			       lname, cname, cpid, r.ret, mult_strerror(r.err));
		}
	} else {
		EXPECT_RES(r, ESRCH, "SO_PEERPIDFD in %s (peer %s, %d)",
			   lname, cname, cpid);
	}
}

/* ================================================================= */
/* ptrace-mode access: same instance only, even on the creator's child */

FIXTURE(access) {
	struct mult_tree tree;
};

FIXTURE_VARIANT(access) {
	int viewer;
	int target;
	bool denied;
};

FIXTURE_VARIANT_ADD(access, creator_to_first) {
	.viewer = CREATOR, .target = F, .denied = true,
};
FIXTURE_VARIANT_ADD(access, first_to_member) {
	.viewer = F, .target = G, .denied = false,
};
FIXTURE_VARIANT_ADD(access, member_to_first) {
	.viewer = G, .target = F, .denied = false,
};
FIXTURE_VARIANT_ADD(access, creator_to_root) {
	.viewer = CREATOR, .target = R, .denied = false,
};

FIXTURE_SETUP(access)
{
	MULT_REQUIRE();
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
}

FIXTURE_TEARDOWN(access)
{
	mult_tree_stop(&self->tree);
}

/* Copy the target's request pipe (every agent has it at MULT_AGENT_FD). */
MULT_OP(op_pidfd_getfd)
{
	int pidfd = sys_pidfd_open(a, 0), fd, e;

	if (pidfd < 0)
		return -2;	/* the target must be visible */
	fd = sys_pidfd_getfd(pidfd, MULT_AGENT_FD, 0);
	e = errno;
	close(pidfd);
	if (fd >= 0)
		close(fd);
	errno = e;
	return fd < 0 ? -1 : 0;
}

MULT_OP(op_open_proc_fd)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", a, MULT_AGENT_FD);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* open and read the probe through /proc/<a>/mem. */
MULT_OP(op_proc_mem)
{
	char path[64];
	long v = 0;
	int fd, e;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/mem", a);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = pread(fd, &v, sizeof(v), (off_t)(uintptr_t)&mult_probe);
	e = errno;
	close(fd);
	errno = e;
	if (n != sizeof(v))
		return -2;
	return v == MULT_PROBE ? 0 : -2;
}

MULT_OP(op_proc_environ) { return mult_op_read_proc(a, (long)"/environ", 0); }

MULT_OP(op_vm_readv)
{
	long v = 0;
	struct iovec local = { &v, sizeof(v) };
	struct iovec remote = { (void *)&mult_probe, sizeof(v) };

	if (process_vm_readv(a, &local, 1, &remote, 1, 0) != sizeof(v))
		return -1;
	return v == MULT_PROBE ? 0 : -2;
}

/* kcmp(KCMP_FILE) of one of ours against the target's request pipe. */
MULT_OP(op_kcmp_file)
{
	int fd = open("/", O_RDONLY | O_CLOEXEC), e;
	long r;

	if (fd < 0)
		return -2;
	r = syscall(SYS_kcmp, getpid(), a, KCMP_FILE, fd, MULT_AGENT_FD);
	e = errno;
	close(fd);
	errno = e;
	return r < 0 ? -1 : 0;
}

/* process_madvise(MADV_COLD) of the page holding the target's probe. */
MULT_OP(op_process_madvise)
{
	long page = sysconf(_SC_PAGESIZE);
	struct iovec iov = {
		(void *)((uintptr_t)&mult_probe & ~(uintptr_t)(page - 1)),
		page,
	};
	int pidfd = sys_pidfd_open(a, 0), e;
	long r;

	if (pidfd < 0)
		return -2;
	r = syscall(__NR_process_madvise, pidfd, &iov, 1, MADV_COLD, 0);
	e = errno;
	close(pidfd);
	errno = e;
	return r < 0 ? -1 : 0;
}

static void check_access(struct __test_metadata *_metadata,
			 FIXTURE_DATA(access) *self,
			 const FIXTURE_VARIANT(access) *variant,
			 const char *what, mult_fn fn, int denied_err)
{
	struct mult_tree *t = &self->tree;
	pid_t pid = mult_pid(t, variant->target);
	struct mult_res r;

	r = mult_call(t, variant->viewer, fn, pid, 0, 0);
	EXPECT_RES(r, variant->denied ? denied_err : 0, "%s of %s (%d) by %s",
		   what, mult_name(t, variant->target), pid,
		   mult_name(t, variant->viewer));
}

TEST_F(access, pidfd_getfd)
{
	check_access(_metadata, self, variant, "pidfd_getfd", op_pidfd_getfd,
		     EPERM);
}

TEST_F(access, open_proc_fd)
{
	check_access(_metadata, self, variant, "open /proc/<pid>/fd/N",
		     op_open_proc_fd, EACCES);
}

TEST_F(access, proc_mem)
{
	check_access(_metadata, self, variant, "/proc/<pid>/mem",
		     op_proc_mem, EACCES);
}

TEST_F(access, proc_environ)
{
	check_access(_metadata, self, variant, "/proc/<pid>/environ",
		     op_proc_environ, EACCES);
}

TEST_F(access, process_vm_readv)
{
	check_access(_metadata, self, variant, "process_vm_readv",
		     op_vm_readv, EPERM);
}

TEST_F(access, kcmp_file)
{
	check_access(_metadata, self, variant, "kcmp(KCMP_FILE)",
		     op_kcmp_file, EPERM);
}

TEST_F(access, process_madvise)
{
	check_access(_metadata, self, variant, "process_madvise",
		     op_process_madvise, EACCES);
}

/* ================================================================= */
/* pidfd_open, SO_PEERPIDFD of an inherited socketpair, inherited fds, */
/* CLONE_FILES                                                         */

FIXTURE(fds) {
	struct mult_tree tree;
	int sv[2];	/* stream socketpair made by the creator */
	int up[2];	/* pipe: members -> creator */
	int down[2];	/* pipe: creator -> members */
};

FIXTURE_SETUP(fds)
{
	self->sv[0] = self->sv[1] = -1;
	self->up[0] = self->up[1] = self->down[0] = self->down[1] = -1;
	MULT_REQUIRE();
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
	ASSERT_EQ(0, pipe(self->up));
	ASSERT_EQ(0, pipe(self->down));
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
}

FIXTURE_TEARDOWN(fds)
{
	mult_tree_stop(&self->tree);
	for (int i = 0; i < 2; i++) {
		close(self->sv[i]);
		close(self->up[i]);
		close(self->down[i]);
	}
}

MULT_OP(op_pidfd_open)
{
	int fd = sys_pidfd_open(a, 0);
	long pid;

	if (fd < 0)
		return -1;
	pid = fdinfo_pid(fd);
	close(fd);
	return pid;
}

TEST_F(fds, pidfd_open)
{
	static const struct { int viewer, target; bool visible; } cases[] = {
		{ CREATOR, F, true },	/* the creation edge */
		{ CREATOR, G, false },
		{ CREATOR, F2, true },
		{ CREATOR, R, true },
		{ F, CREATOR, false },
		{ F, G, true },
		{ F, R, false },
		{ F, F2, false },
		{ G, F, true },
		{ G, CREATOR, false },
		{ F2, F, false },
		{ F2, G, false },
		{ R, F, false },
		{ R, CREATOR, true },
	};
	struct mult_tree *t = &self->tree;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		pid_t pid = mult_pid(t, cases[i].target);
		struct mult_res r;

		r = mult_call(t, cases[i].viewer, op_pidfd_open, pid, 0, 0);
		if (cases[i].visible)
			MULT_EXPECT(r.ret == pid,
				    "pidfd_open(%s = %d) in %s: %ld (%s)",
				    mult_name(t, cases[i].target), pid,
				    mult_name(t, cases[i].viewer), r.ret,
				    mult_strerror(r.ret < 0 ? r.err : 0));
		else
			EXPECT_RES(r, ESRCH, "pidfd_open(%s = %d) in %s",
				   mult_name(t, cases[i].target), pid,
				   mult_name(t, cases[i].viewer));
	}
}

/* A socketpair's peer is its creator: hidden from the instances. */
TEST_F(fds, so_peerpidfd_of_creator_socketpair)
{
	struct mult_tree *t = &self->tree;
	pid_t creator = getpid();
	int who[] = { F, G, F2 };

	int fd = self->sv[1];

	for (size_t i = 0; i < ARRAY_SIZE(who); i++)
		EXPECT_RES(mult_call(t, who[i], op_peerpidfd, fd, 0, 0),
			   ESRCH, "SO_PEERPIDFD (peer: the creator) in %s",
			   mult_name(t, who[i]));
	EXPECT_EQ(creator, mult_call(t, R, op_peerpidfd, fd, 0, 0).ret);
	EXPECT_EQ(creator, op_peerpidfd(fd, 0, 0));
}

MULT_OP(op_write_byte)
{
	unsigned char byte = b;

	return write(a, &byte, 1);
}

MULT_OP(op_read_byte)
{
	unsigned char byte;
	ssize_t n = mult_read_timeout(a, &byte, 1, MULT_TIMEOUT_MS);

	return n == 1 ? byte : -1;
}

/*
 * What the creator gave the instance at creation stays usable: pipes
 * both ways, and plain data (no fds) over the inherited socketpair.
 */
TEST_F(fds, inherited_at_creation)
{
	struct mult_tree *t = &self->tree;
	struct rx *rx = rx_area(t);
	unsigned char c = 0;
	struct mult_res r;

	EXPECT_EQ(1, mult_call(t, F, op_write_byte, self->up[1], 'f', 0).ret);
	EXPECT_EQ(1, mult_read_timeout(self->up[0], &c, 1, MULT_TIMEOUT_MS));
	EXPECT_EQ('f', c);
	EXPECT_EQ(1, mult_call(t, G, op_write_byte, self->up[1], 'g', 0).ret);
	EXPECT_EQ(1, mult_read_timeout(self->up[0], &c, 1, MULT_TIMEOUT_MS));
	EXPECT_EQ('g', c);
	EXPECT_EQ(1, write(self->down[1], "d", 1));
	EXPECT_EQ('d', mult_call(t, F, op_read_byte, self->down[0], 0, 0).ret);

	ASSERT_EQ(1, op_send_plain(self->sv[0], 0, 0));
	r = mult_call(t, F, op_recv, self->sv[1], 0, (long)rx);
	expect_rx(_metadata, rx, r, 0, "F, plain data from the creator");
	EXPECT_EQ(1, mult_call(t, F, op_send_plain, self->sv[1], 0, 0).ret);
	r = op_recv(self->sv[0], 0, (long)rx) == 1 ?
	    (struct mult_res){ 1, 0 } : (struct mult_res){ -1, errno };
	expect_rx(_metadata, rx, r, 0, "creator, plain data from F");
}

TEST_F(fds, clone_files_with_newinst)
{
	int before = mult_nr_instances(), err;
	pid_t pid;

	fflush(NULL);
	pid = mult_clone3(MULT_NEWINST | CLONE_FILES, NULL, SIGCHLD);
	err = errno;
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		mult_waitpid(pid, MULT_TIMEOUT_MS);
	EXPECT_EQ(-1, pid);
	EXPECT_EQ(EINVAL, err);
	EXPECT_EQ(before, mult_nr_instances());
}

/* ================================================================= */
/* seccomp user notification: SECCOMP_IOCTL_NOTIF_ADDFD                */

/* getpriority(SC_MAGIC, ...) is trapped, nothing else. */
#define SC_MAGIC 0x6d756c74
#define SC_FD 77		/* where ADDFD puts the fd in the target */
#define SC_VAL 4242		/* the supervisor's answer */

static int sc_install(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getpriority, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SC_MAGIC, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
		       SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

/*
 * The trapped process: the call returns the supervisor's answer; SC_FD
 * is then a pipe write end (injected) or not open (refused).
 */
static int sc_target(bool injected)
{
	long r;

	MULT_CHECK(fcntl(SC_FD, F_GETFD) == -1 && errno == EBADF);
	r = syscall(__NR_getpriority, SC_MAGIC, 0);
	MULT_CHECK(r == SC_VAL);
	if (injected) {
		MULT_CHECK(write(SC_FD, "z", 1) == 1);
	} else {
		MULT_CHECK(fcntl(SC_FD, F_GETFD) == -1 && errno == EBADF);
	}
	return 0;
}

/*
 * Take one notification, which must come from want_pid (as the
 * supervisor sees it), try ADDFD (want_err: expected errno, 0 = works)
 * and answer SC_VAL.
 */
static int sc_supervise(int listener, int want_err, pid_t want_pid)
{
	struct pollfd pfd = { .fd = listener, .events = POLLIN };
	struct seccomp_notif_addfd addfd;
	struct seccomp_notif_resp resp;
	struct seccomp_notif req;
	int p[2], r;
	char c;

	MULT_CHECK(pipe2(p, O_CLOEXEC) == 0);
	MULT_CHECK(poll(&pfd, 1, MULT_TIMEOUT_MS) == 1);
	memset(&req, 0, sizeof(req));
	MULT_CHECK(ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0);
	MULT_CHECK(req.data.nr == __NR_getpriority &&
		   req.data.args[0] == SC_MAGIC);
	if (req.pid != (__u32)want_pid)
		mult_log("notification pid %u, expected %d", req.pid, want_pid);
	MULT_CHECK(req.pid == (__u32)want_pid);

	memset(&addfd, 0, sizeof(addfd));
	addfd.id = req.id;
	addfd.srcfd = p[1];
	addfd.flags = SECCOMP_ADDFD_FLAG_SETFD;
	addfd.newfd = SC_FD;
	r = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
	if (want_err) {
		MULT_CHECK(r == -1 && errno == want_err);
		/* Any fd number, and atomically with the answer: the same. */
		addfd.flags = 0;
		addfd.newfd = 0;
		r = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
		MULT_CHECK(r == -1 && errno == want_err);
		addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
		r = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
		MULT_CHECK(r == -1 && errno == want_err);
	} else {
		MULT_CHECK(r == SC_FD);
	}
	MULT_CHECK(ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) == 0);
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.val = SC_VAL;
	MULT_CHECK(ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0);
	close(p[1]);
	if (!want_err)
		MULT_CHECK(mult_read_timeout(p[0], &c, 1,
					     MULT_TIMEOUT_MS) == 1 && c == 'z');
	close(p[0]);
	return 0;
}

/*
 * a: how the target is made (MULT_FORK or MULT_INST); the caller of this
 * function supervises it. Run in a child of the test (mult_run), in the
 * root instance or in an instance.
 */
MULT_OP(sc_parent_supervises)
{
	bool newinst = a == MULT_INST;
	int listener = sc_install(), ret, st;
	pid_t pid;

	MULT_CHECK(listener >= 0);
	fflush(NULL);
	pid = newinst ? mult_instfork(NULL) : fork();
	MULT_CHECK(pid >= 0);
	if (pid == 0) {
		close(listener);
		_exit(mult_exit_code(sc_target(!newinst)));
	}
	ret = sc_supervise(listener, newinst ? EPERM : 0, pid);
	close(listener);	/* a target still waiting gets ENOSYS */
	st = mult_status_code(mult_waitpid(pid, MULT_TIMEOUT_MS));
	if (st)
		mult_log("target: status %d (line of the failed check)", st);
	MULT_CHECK(ret == 0);
	MULT_CHECK(st == 0);
	return 0;
}

/* The first process of a new instance supervises its creator. */
MULT_OP(sc_instance_supervises_creator)
{
	int listener = sc_install(), ret, st;
	pid_t pid;

	MULT_CHECK(listener >= 0);
	fflush(NULL);
	pid = mult_instfork(NULL);
	MULT_CHECK(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Its parent, in another instance, is reported as pid 0. */
		_exit(mult_exit_code(sc_supervise(listener, EPERM, 0)));
	}
	close(listener);	/* if the supervisor dies: ENOSYS, no hang */
	ret = sc_target(false);
	st = mult_status_code(mult_waitpid(pid, MULT_TIMEOUT_MS));
	if (st)
		mult_log("supervisor: status %d (line of the failed check)", st);
	MULT_CHECK(ret == 0);
	MULT_CHECK(st == 0);
	return 0;
}

FIXTURE(seccomp) {
	int unused;
};

FIXTURE_SETUP(seccomp)
{
	MULT_REQUIRE();
}

FIXTURE_TEARDOWN(seccomp)
{
}

/* The listener in the root instance, the trapped process in an instance. */
TEST_F(seccomp, addfd_root_supervisor_instance_target)
{
	EXPECT_EQ(0, mult_run(false, sc_parent_supervises, MULT_INST, 0, 0));
}

/* The listener in an instance, the trapped process in the root. */
TEST_F(seccomp, addfd_instance_supervisor_root_target)
{
	EXPECT_EQ(0, mult_run(false, sc_instance_supervises_creator, 0, 0, 0));
}

TEST_F(seccomp, addfd_same_root_instance)
{
	EXPECT_EQ(0, mult_run(false, sc_parent_supervises, MULT_FORK, 0, 0));
}

TEST_F(seccomp, addfd_same_instance)
{
	EXPECT_EQ(0, mult_run(true, sc_parent_supervises, MULT_FORK, 0, 0));
}

MULT_HARNESS_MAIN
