// SPDX-License-Identifier: GPL-2.0
/*
 * mult_churn: several processes race instance creation against the
 * management module's kill, stop (kill with SIGSTOP, then SIGCONT) and
 * enter (arm, then clone3(CLONE_NEWINST) to join) on instances that are
 * alive, dying (first process exited, members being killed) and dead (the
 * id no longer known).
 *
 * Usage: mult_churn SECONDS [CREATORS [RACERS]]
 *
 * Creators publish the id of each instance they start in a shared ring the
 * racers pick from at random, so each request meets an instance in any of
 * its states. An instance's first process forks a few members and exits
 * after a random time unless it is killed first; its creator reaps it and
 * SIGKILLs (through its pidfd) any first process still running after a
 * deadline, so a stopped instance cannot outlive the run.
 *
 * What may legitimately come back is counted: create ENOSPC (the limit),
 * EAGAIN; kill, stop and enter ESRCH (no process left, or ending) and ENOENT
 * (id no longer known); clone3 after a successful enter ESRCH (the instance
 * ended in between). Anything else is an error and fails the run (exit 1),
 * as does a joined child that does not find itself inside.
 */
#include "../kselftest/mult/mult_nl.h"
#include "stress_util.h"

#define RING 64
#define MAX_OUT 4		/* instances a creator keeps at once */
#define DEADLINE_MS 3000	/* then the creator SIGKILLs the first process */

struct counts {
	unsigned long created, create_enospc, create_eagain, create_other;
	unsigned long reaped, killed_by_creator;
	unsigned long kill_ok, kill_esrch, kill_enoent, kill_other;
	unsigned long stop_ok, stop_esrch, stop_enoent, stop_other;
	unsigned long enter_ok, enter_esrch, enter_enoent, enter_other;
	unsigned long join_ok, join_esrch, join_other, join_bad;
	unsigned long id_unknown, nl_errors;
	unsigned int ring[RING];
	unsigned int ring_next;
	int stop;
	char first_error[256];
};

static struct counts *C;

static void error_once(const char *fmt, ...)
{
	static char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "mult_churn: %s\n", buf);
	if (!C->first_error[0])
		snprintf(C->first_error, sizeof(C->first_error), "%s", buf);
}

/* The id of the instance whose first process the pidfd names; 0 if unknown. */
static unsigned int instance_id(struct mnl *s, int pidfd)
{
	const struct nlattr *tb[MULT_A_INSTANCE_MAX + 1];
	struct mnl_reply r;
	struct mnl_req q;
	unsigned int id = 0;

	mnl_req(s, &q, MULT_CMD_GET, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_PIDFD, pidfd);
	if (mnl_xfer(s, &q, &r)) {
		COUNT(C->nl_errors);
		mnl_free(&r);
		return 0;
	}
	if (!r.error && r.n == 1) {
		mnl_parse(r.msgs[0], tb, MULT_A_INSTANCE_MAX);
		if (tb[MULT_A_INSTANCE_ID])
			id = mnl_u32(tb[MULT_A_INSTANCE_ID]);
	}
	mnl_free(&r);
	return id;
}

/* A do request on @id; the ack's errno (0, -ESRCH...) or -1000. */
static int request(struct mnl *s, int cmd, unsigned int id, int sig)
{
	struct mnl_reply r;
	struct mnl_req q;
	int ret;

	mnl_req(s, &q, cmd, 0);
	mnl_put_u32(&q, MULT_A_INSTANCE_ID, id);
	if (sig)
		mnl_put_u32(&q, MULT_A_INSTANCE_SIGNAL, sig);
	if (mnl_xfer(s, &q, &r)) {
		COUNT(C->nl_errors);
		ret = -1000;
	} else {
		ret = r.error;
		if (ret && ret != -ESRCH && ret != -ENOENT)
			error_once("%s of instance %u: %s (%s)",
				   cmd == MULT_CMD_KILL ? (sig == SIGSTOP ? "stop" : "kill") : "enter",
				   id, strerror(-ret), r.msg);
	}
	mnl_free(&r);
	return ret;
}

/* The first process: a few members that wait, then exit after a while. */
static void first_process(uint32_t seed)
{
	int members = rnd(&seed) % 4;

	for (int i = 0; i < members; i++) {
		pid_t c = fork();

		if (!c) {
			sleep_ms(rnd(&seed) % 2000);
			_exit(0);
		}
	}
	sleep_ms(rnd(&seed) % 400);
	_exit(0);
}

struct outstanding {
	pid_t pid;
	int pidfd;
	long since;
};

static void creator(int idx)
{
	struct outstanding out[MAX_OUT] = {};
	uint32_t seed = getpid() * 2654435761u + idx;
	struct mnl s;

	if (mnl_open(&s)) {
		error_once("creator: netlink: %s", strerror(errno));
		_exit(1);
	}
	while (!__atomic_load_n(&C->stop, __ATOMIC_RELAXED)) {
		int free_slot = -1;

		for (int i = 0; i < MAX_OUT; i++) {
			int status;

			if (!out[i].pid) {
				free_slot = i;
				continue;
			}
			if (waitpid(out[i].pid, &status, WNOHANG) == out[i].pid) {
				COUNT(C->reaped);
				close(out[i].pidfd);
				out[i].pid = 0;
				free_slot = i;
			} else if (now_ms() - out[i].since > DEADLINE_MS) {
				/* Stopped by a racer, or slow: end it. */
				sys_pidfd_send_signal(out[i].pidfd, SIGKILL);
				COUNT(C->killed_by_creator);
				out[i].since = now_ms();
			}
		}
		if (free_slot < 0) {
			sleep_ms(5);
			continue;
		}
		{
			int pidfd = -1;
			pid_t pid = clone3_flags(CLONE_NEWINST, &pidfd);
			unsigned int id;

			if (pid < 0) {
				if (errno == ENOSPC)
					COUNT(C->create_enospc);
				else if (errno == EAGAIN)
					COUNT(C->create_eagain);
				else {
					COUNT(C->create_other);
					error_once("clone3(CLONE_NEWINST): %s", strerror(errno));
				}
				sleep_ms(20);
				continue;
			}
			if (!pid)
				first_process(rnd(&seed));
			COUNT(C->created);
			out[free_slot] = (struct outstanding){ pid, pidfd, now_ms() };
			id = instance_id(&s, pidfd);
			if (id) {
				unsigned int slot = __atomic_fetch_add(&C->ring_next, 1,
								       __ATOMIC_RELAXED);

				__atomic_store_n(&C->ring[slot % RING], id, __ATOMIC_RELAXED);
			} else {
				COUNT(C->id_unknown);	/* it ended before get */
			}
		}
	}
	for (int i = 0; i < MAX_OUT; i++) {
		if (!out[i].pid)
			continue;
		sys_pidfd_send_signal(out[i].pidfd, SIGKILL);
		reap(out[i].pid);
		COUNT(C->reaped);
	}
	mnl_close(&s);
	_exit(0);
}

static unsigned int pick(uint32_t *seed)
{
	unsigned int n = __atomic_load_n(&C->ring_next, __ATOMIC_RELAXED);

	if (!n)
		return 0;
	return __atomic_load_n(&C->ring[rnd(seed) % (n < RING ? n : RING)],
			       __ATOMIC_RELAXED);
}

/* After a successful enter: join by clone3 and check we are inside. */
static void join(void)
{
	pid_t c = clone3_flags(CLONE_NEWINST, NULL);
	int status;

	if (c < 0) {
		if (errno == ESRCH)
			COUNT(C->join_esrch);
		else {
			COUNT(C->join_other);
			error_once("clone3 after enter: %s", strerror(errno));
		}
		return;
	}
	if (!c) {
		/* A member sees no process outside, not even its parent. */
		_exit(getppid() == 0 ? 0 : 3);
	}
	status = reap(c);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		COUNT(C->join_ok);
	} else if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGKILL ||
					   WTERMSIG(status) == SIGTERM)) {
		/* joined, then killed with its instance or by a racing stop */
		COUNT(C->join_ok);
	} else {
		COUNT(C->join_bad);
		error_once("joined child: status 0x%x", status);
	}
}

static void racer(int idx)
{
	uint32_t seed = getpid() * 2246822519u + idx;
	struct mnl s;

	if (mnl_open(&s)) {
		error_once("racer: netlink: %s", strerror(errno));
		_exit(1);
	}
	while (!__atomic_load_n(&C->stop, __ATOMIC_RELAXED)) {
		unsigned int id = pick(&seed);
		int ret;

		if (!id) {
			sleep_ms(5);
			continue;
		}
		switch ((idx + rnd(&seed)) % 3) {
		case 0:
			ret = request(&s, MULT_CMD_KILL, id, rnd(&seed) % 2 ? SIGKILL : SIGTERM);
			if (!ret)
				COUNT(C->kill_ok);
			else if (ret == -ESRCH)
				COUNT(C->kill_esrch);
			else if (ret == -ENOENT)
				COUNT(C->kill_enoent);
			else
				COUNT(C->kill_other);
			break;
		case 1:
			ret = request(&s, MULT_CMD_KILL, id, SIGSTOP);
			if (!ret) {
				COUNT(C->stop_ok);
				sleep_ms(rnd(&seed) % 50);
				request(&s, MULT_CMD_KILL, id, SIGCONT);
			} else if (ret == -ESRCH)
				COUNT(C->stop_esrch);
			else if (ret == -ENOENT)
				COUNT(C->stop_enoent);
			else
				COUNT(C->stop_other);
			break;
		default:
			ret = request(&s, MULT_CMD_ENTER, id, 0);
			if (!ret) {
				COUNT(C->enter_ok);
				join();
			} else if (ret == -ESRCH)
				COUNT(C->enter_esrch);
			else if (ret == -ENOENT)
				COUNT(C->enter_enoent);
			else
				COUNT(C->enter_other);
			break;
		}
	}
	mnl_close(&s);
	_exit(0);
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 10;
	int creators = argc > 2 ? atoi(argv[2]) : 2;
	int racers = argc > 3 ? atoi(argv[3]) : 4;
	pid_t kids[64];
	int n = 0, bad = 0;
	struct mnl probe;

	if (secs <= 0 || creators <= 0 || racers < 0 || creators + racers > 64) {
		fprintf(stderr, "usage: mult_churn SECONDS [CREATORS [RACERS]]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mnl_open(&probe)) {
		fprintf(stderr, "mult_churn: the mult family: %s (is mult_mgmt.ko loaded?)\n",
			strerror(errno));
		return 2;
	}
	mnl_close(&probe);
	C = shared_alloc(sizeof(*C));
	for (int i = 0; i < creators + racers; i++) {
		pid_t c = fork();

		if (c < 0) {
			perror("fork");
			C->stop = 1;
			break;
		}
		if (!c) {
			if (i < creators)
				creator(i);
			racer(i);
		}
		kids[n++] = c;
	}
	sleep(secs);
	__atomic_store_n(&C->stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < n; i++) {
		int status = reap(kids[i]);

		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("mult_churn: worker %d ended with status 0x%x\n", i, status);
			bad++;
		}
	}
	printf("churn: %d s, %d creators, %d racers\n", secs, creators, racers);
	printf("churn: instances created %lu (ENOSPC %lu, EAGAIN %lu, other %lu), reaped %lu, "
	       "SIGKILLed at the deadline %lu, id unknown %lu\n",
	       C->created, C->create_enospc, C->create_eagain, C->create_other, C->reaped,
	       C->killed_by_creator, C->id_unknown);
	printf("churn: kill ok %lu ESRCH %lu ENOENT %lu other %lu\n",
	       C->kill_ok, C->kill_esrch, C->kill_enoent, C->kill_other);
	printf("churn: stop ok %lu ESRCH %lu ENOENT %lu other %lu\n",
	       C->stop_ok, C->stop_esrch, C->stop_enoent, C->stop_other);
	printf("churn: enter ok %lu ESRCH %lu ENOENT %lu other %lu; joins ok %lu, "
	       "ESRCH after enter %lu, other %lu, wrong %lu\n",
	       C->enter_ok, C->enter_esrch, C->enter_enoent, C->enter_other,
	       C->join_ok, C->join_esrch, C->join_other, C->join_bad);
	printf("churn: operations %lu, netlink socket errors %lu\n",
	       C->created + C->kill_ok + C->kill_esrch + C->kill_enoent + C->kill_other +
	       C->stop_ok + C->stop_esrch + C->stop_enoent + C->stop_other +
	       C->enter_ok + C->enter_esrch + C->enter_enoent + C->enter_other,
	       C->nl_errors);
	if (C->first_error[0])
		printf("churn: first unexpected error: %s\n", C->first_error);
	bad += C->create_other + C->kill_other + C->stop_other + C->enter_other +
	       C->join_other + C->join_bad + C->nl_errors;
	if (!C->created)
		bad++;
	return bad ? 1 : 0;
}
