/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "mult" generic netlink family from user space, with libc only: the
 * ABI numbers, and a small message builder and parser over a raw
 * AF_NETLINK/NETLINK_GENERIC socket with extended acks.
 *
 * The numbers are a copy of kernel/module/mult.yaml (its generated
 * include/uapi/linux/mult_nl.h): a test that keeps its own copy notices
 * when the ABI changes under it. kernel/module/Makefile (check-abi)
 * compares every "#define MULT_* value" line below with the generated
 * header at each module build.
 */
#ifndef MULT_NL_H
#define MULT_NL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/types.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ABI: kernel/module/mult.yaml */
#define MULT_FAMILY_NAME "mult"
#define MULT_FAMILY_VERSION 1
#define MULT_ABI_VERSION 1
#define MULT_NAME_LEN 32
#define MULT_NAME_MAX 31
#define MULT_SIG_MAX 64
#define MULT_MCGRP_EVENTS "events"

#define MULT_A_INFO_ABI_VERSION 1
#define MULT_A_INFO_MAX_DEPTH 2
#define MULT_A_INFO_MAX_INSTANCES 3
#define MULT_A_INFO_NR_INSTANCES 4
#define MULT_A_INFO_EVENTS_DROPPED 5
#define MULT_A_INFO_MAX 5

#define MULT_A_INSTANCE_ID 1
#define MULT_A_INSTANCE_NAME 2
#define MULT_A_INSTANCE_PARENT_ID 3
#define MULT_A_INSTANCE_DEPTH 4
#define MULT_A_INSTANCE_FIRST_PID 5
#define MULT_A_INSTANCE_NR_PROCESSES 6
#define MULT_A_INSTANCE_NR_THREADS 7
#define MULT_A_INSTANCE_START_TIME 8
#define MULT_A_INSTANCE_EXIT_STATUS 9
#define MULT_A_INSTANCE_SIGNAL 10
#define MULT_A_INSTANCE_PAD 11
#define MULT_A_INSTANCE_PIDFD 12
#define MULT_A_INSTANCE_MAX 12

#define MULT_A_PROCESS_ID 1
#define MULT_A_PROCESS_NAME 2
#define MULT_A_PROCESS_THREADS 3
#define MULT_A_PROCESS_PID 4
#define MULT_A_PROCESS_TGID 5
#define MULT_A_PROCESS_PPID 6
#define MULT_A_PROCESS_UID 7
#define MULT_A_PROCESS_STATE 8
#define MULT_A_PROCESS_COMM 9
#define MULT_A_PROCESS_MAX 9

#define MULT_CMD_GET_INFO 1
#define MULT_CMD_LIST 2
#define MULT_CMD_PS 3
#define MULT_CMD_KILL 4
#define MULT_CMD_ENTER 5
#define MULT_CMD_SET_NAME 6
#define MULT_CMD_CREATED 7
#define MULT_CMD_EMPTIED 8
#define MULT_CMD_GET 9
#define MULT_CMD_MAX 9

/* Extended ack texts of the module (kernel/module/mult_nl.c). */
#define EXT_NOT_ADMIN "needs CAP_SYS_ADMIN in the initial user namespace"
#define EXT_IN_INSTANCE "not allowed from inside an instance"
#define EXT_NO_TARGET "instance missing: give its id or its name"
#define EXT_NO_TARGET3 "instance missing: give its id, its name or a pidfd"
#define EXT_BOTH "give the instance by one of id, name and pidfd"
#define EXT_BOTH2 "give the instance by id or by name, not both"
#define EXT_NOT_PIDFD "not a pidfd of the caller"
#define EXT_PIDFD_ROOT "the pidfd's process is in no instance, or was reaped"
#define EXT_NO_ID "no instance with this id"
#define EXT_NO_NAME "no instance with this name"
#define EXT_BAD_NAME \
	"name must be 1 to 31 characters of A-Z a-z 0-9 . _ -, not starting with . or -"
#define EXT_NAME_USED "name already used by instance "
#define EXT_SETNAME_ID "set-name needs the instance id or a pidfd, one of them"
#define EXT_SETNAME_NAME "set-name needs the new name"
#define EXT_NO_PROCESS "no process left in the instance"
#define EXT_ENTER_ENDING "the instance is ending: its first process has exited"
#define EXT_NO_ATTRS "this request takes no attributes"
/* ... and of the kernel's attribute validation (lib/nlattr.c). */
#define NLA_MSG_RANGE "integer out of range"
#define NLA_MSG_LENGTH "invalid attribute length"
#define NLA_MSG_POLICY "Attribute failed policy validation"
#define NLA_MSG_UNKNOWN "Unknown attribute type"
#define NLA_MSG_UNSUPPORTED "Unsupported attribute"
#define NLA_MSG_LEFTOVER "bytes leftover after parsing attributes"

/* Older uapi headers. */
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NLMSGERR_ATTR_MISS_TYPE
#define NLMSGERR_ATTR_MISS_TYPE 5
#endif

#define MNL_BUF 65536
#define MNL_TIMEOUT_S 20

struct mnl {
	int fd;
	__u32 seq;
	__u16 family;		/* genetlink family id of "mult" */
	__u32 events_group;		/* multicast group id of "events" */
};

/* A request under construction. */
struct mnl_req {
	union {
		struct nlmsghdr nlh;
		char buf[4096];
	};
};

/* What came back: the ack (error, extended ack) and the replies. */
#define MNL_MAX_MSGS 512
#define MNL_NBUFS 64
struct mnl_reply {
	int error;		/* 0, or the negative errno of the ack */
	char msg[256];		/* NLMSGERR_ATTR_MSG, "" if none */
	int bad_off;		/* NLMSGERR_ATTR_OFFS, -1 if none */
	int miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, -1 if none */
	int n;			/* replies (genetlink messages) */
	struct nlmsghdr *msgs[MNL_MAX_MSGS];
	char *bufs[MNL_NBUFS];	/* the receive buffers, freed by mnl_free */
	int nbufs;
};

static inline void mnl_free(struct mnl_reply *r)
{
	for (int i = 0; i < r->nbufs; i++)
		free(r->bufs[i]);
	memset(r, 0, sizeof(*r));
}

static inline int mnl_socket(void)
{
	struct timeval tv = { .tv_sec = MNL_TIMEOUT_S };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline void
mnl_req_init(struct mnl_req *q, __u16 type, __u16 flags, __u8 cmd,
	     __u8 version)
{
	struct genlmsghdr *g;

	memset(q, 0, sizeof(*q));
	q->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	q->nlh.nlmsg_type = type;
	q->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	g = NLMSG_DATA(&q->nlh);
	g->cmd = cmd;
	g->version = version;
}

/* Append an attribute; returns its offset in the message (for bad_off). */
static inline int
mnl_put(struct mnl_req *q, __u16 type, const void *data, size_t len)
{
	int off = NLMSG_ALIGN(q->nlh.nlmsg_len);
	struct nlattr *a = (struct nlattr *)(q->buf + off);

	if (off + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(q->buf))
		abort();
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	q->nlh.nlmsg_len = off + NLA_HDRLEN + NLA_ALIGN(len);
	return off;
}

static inline int
mnl_put_u32(struct mnl_req *q, __u16 type, __u32 v)
{
	return mnl_put(q, type, &v, sizeof(v));
}

static inline int
mnl_put_str(struct mnl_req *q, __u16 type, const char *s)
{
	return mnl_put(q, type, s, strlen(s) + 1);
}

static inline int
mnl_put_flag(struct mnl_req *q, __u16 type)
{
	return mnl_put(q, type, NULL, 0);
}

/* Walk the attributes of a genetlink message (after the genl header). */
static inline void
mnl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb, int max)
{
	const char *p = (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	const char *end = (const char *)nlh + nlh->nlmsg_len;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)p;
		int type = a->nla_type & NLA_TYPE_MASK;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		if (type <= max)
			tb[type] = a;
		p += NLA_ALIGN(a->nla_len);
	}
}

static inline const void *mnl_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static inline int mnl_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static inline __u32 mnl_u32(const struct nlattr *a)
{
	__u32 v;

	memcpy(&v, mnl_data(a), sizeof(v));
	return v;
}

static inline __u64 mnl_u64(const struct nlattr *a)
{
	__u64 v;

	memcpy(&v, mnl_data(a), sizeof(v));
	return v;
}

/* The extended ack attributes after a struct nlmsgerr. */
static inline void mnl_parse_ack(struct mnl_reply *r, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	const char *p, *end = (const char *)nlh + nlh->nlmsg_len;

	r->error = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	p = (const char *)e + sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		p += NLMSG_ALIGN(e->msg.nlmsg_len) - sizeof(e->msg);
	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			snprintf(r->msg, sizeof(r->msg), "%.*s",
				 mnl_len(a), (const char *)mnl_data(a));
			break;
		case NLMSGERR_ATTR_OFFS:
			r->bad_off = mnl_u32(a);
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			r->miss_type = mnl_u32(a);
			break;
		}
		p += NLA_ALIGN(a->nla_len);
	}
}

/* The extended ack of an NLMSG_DONE that ends a dump with an error. */
static inline void mnl_parse_done(struct mnl_reply *r, const struct nlmsghdr *nlh)
{
	const char *p = NLMSG_DATA(nlh), *end = (const char *)nlh + nlh->nlmsg_len;
	int err;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
		return;
	memcpy(&err, p, sizeof(err));
	r->error = err;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	p += NLMSG_ALIGN(sizeof(int));
	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			snprintf(r->msg, sizeof(r->msg), "%.*s",
				 mnl_len(a), (const char *)mnl_data(a));
		p += NLA_ALIGN(a->nla_len);
	}
}

/*
 * Send @q and collect everything up to its ack (a do, sent with
 * NLM_F_ACK) or its NLMSG_DONE (a dump). Returns 0 when the exchange
 * completed (look at r->error), -1 with errno on a socket error.
 * @rcvlen limits each recv (to make a dump come in many parts).
 */
static inline int
mnl_xfer_len(struct mnl *s, struct mnl_req *q, struct mnl_reply *r, size_t rcvlen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	bool dump = q->nlh.nlmsg_flags & NLM_F_DUMP;

	memset(r, 0, sizeof(*r));
	r->bad_off = -1;
	r->miss_type = -1;
	q->nlh.nlmsg_seq = ++s->seq;
	if (!dump)
		q->nlh.nlmsg_flags |= NLM_F_ACK;
	if (sendto(s->fd, q->buf, q->nlh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != (ssize_t)q->nlh.nlmsg_len)
		return -1;

	for (;;) {
		char *buf;
		ssize_t n;
		struct nlmsghdr *nlh;

		if (r->nbufs == MNL_NBUFS) {
			errno = ENOBUFS;
			return -1;
		}
		buf = malloc(MNL_BUF);
		if (!buf)
			return -1;
		r->bufs[r->nbufs++] = buf;
		n = recv(s->fd, buf, rcvlen, 0);
		if (n < 0)
			return -1;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != s->seq)
				continue;	/* not ours (a multicast, a stale reply) */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				mnl_parse_ack(r, nlh);
				return 0;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				mnl_parse_done(r, nlh);
				return 0;
			}
			if (r->n == MNL_MAX_MSGS) {
				errno = E2BIG;
				return -1;
			}
			r->msgs[r->n++] = nlh;
		}
	}
}

static inline int
mnl_xfer(struct mnl *s, struct mnl_req *q, struct mnl_reply *r)
{
	return mnl_xfer_len(s, q, r, MNL_BUF);
}

/* Resolve "mult" and its "events" group with the genetlink controller. */
static inline int mnl_resolve(struct mnl *s)
{
	struct mnl_reply r;
	struct mnl_req q;
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	int ret = -1;

	mnl_req_init(&q, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	mnl_put_str(&q, CTRL_ATTR_FAMILY_NAME, MULT_FAMILY_NAME);
	if (mnl_xfer(s, &q, &r))
		return -1;
	if (r.error || r.n != 1) {
		errno = r.error ? -r.error : EPROTO;
		goto out;
	}
	mnl_parse(r.msgs[0], tb, CTRL_ATTR_MAX);
	if (!tb[CTRL_ATTR_FAMILY_ID]) {
		errno = EPROTO;
		goto out;
	}
	s->family = *(const __u16 *)mnl_data(tb[CTRL_ATTR_FAMILY_ID]);
	s->events_group = 0;
	if (tb[CTRL_ATTR_MCAST_GROUPS]) {
		const struct nlattr *grps = tb[CTRL_ATTR_MCAST_GROUPS];
		const char *p = mnl_data(grps), *end = p + mnl_len(grps);

		while (p + NLA_HDRLEN <= end) {
			const struct nlattr *g = (const struct nlattr *)p;
			const char *q2 = mnl_data(g), *gend = p + g->nla_len;
			const char *name = NULL;
			__u32 id = 0;

			if (g->nla_len < NLA_HDRLEN || gend > end)
				break;
			while (q2 + NLA_HDRLEN <= gend) {
				const struct nlattr *a = (const struct nlattr *)q2;

				if (a->nla_len < NLA_HDRLEN || q2 + a->nla_len > gend)
					break;
				if (a->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
					name = mnl_data(a);
				else if (a->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					id = mnl_u32(a);
				q2 += NLA_ALIGN(a->nla_len);
			}
			if (name && !strcmp(name, MULT_MCGRP_EVENTS))
				s->events_group = id;
			p += NLA_ALIGN(g->nla_len);
		}
	}
	ret = s->events_group ? 0 : -1;
	if (ret)
		errno = ENOENT;
out:
	mnl_free(&r);
	return ret;
}

/* Open a socket and resolve the family: 0, or -1 with errno. */
static inline int mnl_open(struct mnl *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = mnl_socket();
	if (s->fd < 0)
		return -1;
	if (mnl_resolve(s)) {
		int e = errno;

		close(s->fd);
		s->fd = -1;
		errno = e;
		return -1;
	}
	return 0;
}

static inline void mnl_close(struct mnl *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* A request to the family: do (flags 0) or dump (NLM_F_DUMP). */
static inline void
mnl_req(struct mnl *s, struct mnl_req *q, __u8 cmd, __u16 flags)
{
	mnl_req_init(q, s->family, flags, cmd, MULT_FAMILY_VERSION);
}

/*
 * Wait up to @ms for a multicast message of the family on @fd (a socket
 * subscribed to "events"); copies it to @buf. 1: got one, 0: timeout,
 * -1: error.
 */
static inline int
mnl_recv_event(int fd, __u16 family, char *buf, size_t len, int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - ((t.tv_sec - t0.tv_sec) * 1000 +
			     (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return 0;
		if (poll(&p, 1, left) < 0)
			return errno == EINTR ? 0 : -1;
		if (!(p.revents & POLLIN))
			continue;
		n = recv(fd, buf, len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		if (NLMSG_OK((struct nlmsghdr *)buf, n) &&
		    ((struct nlmsghdr *)buf)->nlmsg_type == family)
			return 1;
	}
}

#endif /* MULT_NL_H */
