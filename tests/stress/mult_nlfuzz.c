// SPDX-License-Identifier: GPL-2.0
/*
 * mult_nlfuzz: random and malformed requests to the "mult" generic netlink
 * family, for SECONDS seconds, as the caller (root) or as uid 65534.
 *
 * Usage: mult_nlfuzz SECONDS [--as-nobody] [SEED]
 *
 * Each request is a random command (the family's, and numbers it does not
 * have), do or dump, a random genl version, and a random list of
 * attributes: known and unknown types, lengths that fit and lengths that do
 * not, strings without their NUL, nested-flag bits, ids of live instances
 * (a few victims of our own, started here) and random ones, random signal
 * numbers and fd numbers, and some messages whose nlmsg_len or nla_len lie.
 * Replies are drained without being waited for.
 *
 * The kernel must answer everything with an ack or a dump (socket errors
 * count as failures); as nobody, every command that needs privilege must be
 * refused, so an ack of 0 to kill, enter or set-name fails the run. The
 * victims' first processes only wait; whatever the fuzzer did to them,
 * they are reaped at the end.
 */
#include <grp.h>
#include <sys/resource.h>

#include "../kselftest/mult/mult_nl.h"
#include "stress_util.h"

#define VICTIMS 4

static unsigned long sent, acks, acks_ok, dumps, send_errors, recv_errors;
static unsigned long errs[140];
static unsigned long privileged_ok;	/* nobody got 0 to kill/enter/set-name */
static int as_nobody;
static __u32 live_ids[VICTIMS];

/* Read everything that is waiting; count acks by errno. */
static void drain(struct mnl *s, __u32 *last_seq, int wait_ms)
{
	static char buf[MNL_BUF];
	struct pollfd p = { .fd = s->fd, .events = POLLIN };

	while (poll(&p, 1, wait_ms) > 0) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		struct nlmsghdr *nlh;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			/* ENOBUFS: our own flood overran the socket buffer. */
			if (errno != ENOBUFS)
				recv_errors++;
			break;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
			*last_seq = nlh->nlmsg_seq;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);
				const struct genlmsghdr *g = NLMSG_DATA(&e->msg);
				int err = -e->error;

				acks++;
				if (!err)
					acks_ok++;
				errs[err >= 0 && err < 140 ? err : 139]++;
				if (as_nobody && !err && e->msg.nlmsg_type == s->family &&
				    (g->cmd == MULT_CMD_KILL || g->cmd == MULT_CMD_ENTER ||
				     g->cmd == MULT_CMD_SET_NAME)) {
					privileged_ok++;
					fprintf(stderr, "mult_nlfuzz: nobody's command %d was accepted\n",
						g->cmd);
				}
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				dumps++;
			}
		}
		wait_ms = 0;
	}
}

static void put_raw(struct mnl_req *q, __u16 type, const void *data, int len, int lie)
{
	int off = NLMSG_ALIGN(q->nlh.nlmsg_len);
	struct nlattr *a = (struct nlattr *)(q->buf + off);

	if (off + NLA_HDRLEN + NLA_ALIGN(len) > (int)sizeof(q->buf) - 64)
		return;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len + lie;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	q->nlh.nlmsg_len = off + NLA_HDRLEN + NLA_ALIGN(len);
}

static void random_request(struct mnl *s, struct mnl_req *q, uint32_t *seed)
{
	static const __u8 cmds[] = { MULT_CMD_GET_INFO, MULT_CMD_LIST, MULT_CMD_PS,
				     MULT_CMD_KILL, MULT_CMD_ENTER, MULT_CMD_SET_NAME,
				     MULT_CMD_GET, MULT_CMD_CREATED, MULT_CMD_EMPTIED, 0,
				     10, 77, 255 };
	__u8 cmd = cmds[rnd(seed) % sizeof(cmds)];
	__u16 flags = rnd(seed) % 3 == 0 ? NLM_F_DUMP : NLM_F_ACK;
	int nattrs = rnd(seed) % 5;
	char data[64];

	/* SIGKILL on the fuzzer's own victims only; never on random ids. */
	mnl_req_init(q, s->family, flags, cmd, rnd(seed) % 8 ? MULT_FAMILY_VERSION : rnd(seed) % 256);
	for (int i = 0; i < nattrs; i++) {
		__u16 type = rnd(seed) % (MULT_A_INSTANCE_MAX + 4);
		int len, lie = 0;
		__u32 v;

		if (rnd(seed) % 16 == 0)
			type |= NLA_F_NESTED;
		switch (rnd(seed) % 6) {
		case 0:		/* a live id */
			v = live_ids[rnd(seed) % VICTIMS];
			put_raw(q, type, &v, 4, 0);
			continue;
		case 1:		/* a signal, or an fd number */
			v = rnd(seed) % 70;
			put_raw(q, type, &v, 4, 0);
			continue;
		case 2:		/* a name, with or without its NUL */
			len = 1 + rnd(seed) % 40;
			for (int j = 0; j < len; j++)
				data[j] = "abc.-_9Z\xff/ "[rnd(seed) % 12];
			data[len - 1] = rnd(seed) % 2 ? 0 : 'x';
			put_raw(q, type, data, len, 0);
			continue;
		case 3:		/* a length that lies (past the end, or short) */
			lie = (int)(rnd(seed) % 64) - 8;
			/* fall through */
		default:	/* random bytes of a random length */
			len = rnd(seed) % 20;
			for (int j = 0; j < len; j++)
				data[j] = rnd(seed);
			put_raw(q, type, data, len, lie);
			continue;
		}
	}
	/* Now and then the message header itself lies about its length. */
	if (rnd(seed) % 32 == 0)
		q->nlh.nlmsg_len = NLMSG_LENGTH(rnd(seed) % GENL_HDRLEN);
}

/* Keep kill's victims in the family: never send a signal to a random id. */
static int harmless(struct mnl_req *q)
{
	struct genlmsghdr *g = NLMSG_DATA(&q->nlh);

	return g->cmd != MULT_CMD_KILL;
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 10;
	uint32_t seed = 0;
	pid_t victims[VICTIMS];
	int hold[2], bad = 0, dumpable_kill = 0;
	__u32 last_seq = 0;
	struct mnl s;
	long end;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--as-nobody"))
			as_nobody = 1;
		else
			seed = strtoul(argv[i], NULL, 0);
	}
	if (!seed)
		seed = getpid() ^ (uint32_t)now_ms();
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("nlfuzz: seed %u, %d s, as %s\n", seed, secs, as_nobody ? "uid 65534" : "root");

	/* Victims: instances whose first process waits for EOF. */
	if (pipe(hold))
		return 2;
	for (int i = 0; i < VICTIMS; i++) {
		victims[i] = clone3_flags(CLONE_NEWINST, NULL);
		if (victims[i] < 0) {
			perror("clone3(CLONE_NEWINST)");
			return 2;
		}
		if (!victims[i]) {
			char c;

			close(hold[1]);
			_exit(read(hold[0], &c, 1) == 0 ? 0 : 1);
		}
	}
	if (mnl_open(&s)) {
		perror("nlfuzz: the mult family");
		return 2;
	}
	/* The victims' ids, from a list dump. */
	{
		struct mnl_reply r;
		struct mnl_req q;
		int k = 0;

		mnl_req(&s, &q, MULT_CMD_LIST, NLM_F_DUMP);
		if (!mnl_xfer(&s, &q, &r)) {
			for (int i = 0; i < r.n && k < VICTIMS; i++) {
				const struct nlattr *tb[MULT_A_INSTANCE_MAX + 1];

				mnl_parse(r.msgs[i], tb, MULT_A_INSTANCE_MAX);
				if (tb[MULT_A_INSTANCE_ID] && tb[MULT_A_INSTANCE_FIRST_PID])
					for (int v = 0; v < VICTIMS; v++)
						if ((pid_t)mnl_u32(tb[MULT_A_INSTANCE_FIRST_PID]) ==
						    victims[v])
							live_ids[k++] = mnl_u32(tb[MULT_A_INSTANCE_ID]);
			}
		}
		mnl_free(&r);
	}
	if (as_nobody) {
		/* The socket is opened again as nobody: no root-opened socket. */
		mnl_close(&s);
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
			perror("setuid");
			return 2;
		}
		if (mnl_open(&s)) {
			perror("nlfuzz: the mult family as nobody");
			return 2;
		}
	}
	fcntl(s.fd, F_SETFL, O_NONBLOCK);

	end = now_ms() + secs * 1000L;
	while (now_ms() < end) {
		for (int i = 0; i < 64; i++) {
			struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
			struct mnl_req q;

			random_request(&s, &q, &seed);
			/* kill with a random signal would only hit our victims,
			 * but SIGSTOP on them is pointless churn: keep some. */
			if (!harmless(&q) && rnd(&seed) % 4)
				continue;
			dumpable_kill += !harmless(&q);
			q.nlh.nlmsg_seq = ++s.seq;
			if (sendto(s.fd, q.buf, q.nlh.nlmsg_len, 0, (struct sockaddr *)&sa,
				   sizeof(sa)) < 0) {
				/* EAGAIN: our flood; EINVAL etc.: a lie in nlmsg_len. */
				if (errno != EAGAIN && errno != ENOBUFS && errno != EINVAL)
					send_errors++;
			} else {
				sent++;
			}
		}
		drain(&s, &last_seq, 0);
	}
	drain(&s, &last_seq, 200);
	close(hold[1]);
	for (int i = 0; i < VICTIMS; i++)
		reap(victims[i]);

	printf("nlfuzz: %lu requests sent (%d of them kill), %lu acks (%lu of them 0), %lu dumps "
	       "ended; send errors %lu, receive errors %lu\n", sent, dumpable_kill, acks, acks_ok,
	       dumps, send_errors, recv_errors);
	printf("nlfuzz: acks by errno:");
	for (int e = 0; e < 140; e++)
		if (errs[e])
			printf(" %d=%lu", e, errs[e]);
	printf("\n");
	if (as_nobody && privileged_ok) {
		printf("nlfuzz: FAIL: %lu privileged commands accepted from uid 65534\n", privileged_ok);
		bad++;
	}
	if (!acks || send_errors || recv_errors)
		bad++;
	return bad ? 1 : 0;
}
