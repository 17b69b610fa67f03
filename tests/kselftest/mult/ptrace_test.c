// SPDX-License-Identifier: GPL-2.0
/*
 * mult R5 (ptrace-mode access) and R6 (tracing).
 *
 * - ptrace-mode access is same-instance only, even for the creator on
 *   its own child (the first process), which it can otherwise see:
 *   PTRACE_ATTACH/SEIZE, pidfd_getfd, process_vm_readv/writev, kcmp give
 *   EPERM; /proc/<pid>/mem, environ, fd/N and exe give EACCES. Inside an
 *   instance they all work.
 * - PTRACE_TRACEME toward a parent in another instance: EPERM.
 * - A tracer of the creator with PTRACE_O_TRACEFORK|VFORK|CLONE does not
 *   follow it into the instance it creates: no event, the first process
 *   runs untraced (TracerPid 0). Plain forks are followed, as usual.
 *
 *   creator (the test)
 *   |-- S   root instance (fork)
 *   `-- F   first process (instfork)
 *       |-- G, H   members (fork)
 */
#define _GNU_SOURCE
#include <linux/kcmp.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include "mult_util.h"

enum { S, F, G, H, NR_NODES };

static const struct mult_node nodes[NR_NODES] = {
	[S] = { MULT_SELF, MULT_FORK, "S" },
	[F] = { MULT_SELF, MULT_INST, "F" },
	[G] = { F, MULT_FORK, "G" },
	[H] = { F, MULT_FORK, "H" },
};

FIXTURE(access) {
	struct mult_tree tree;
};

FIXTURE_VARIANT(access) {
	int tracer;
	int tracee;
	bool denied;
};

/* The creation edge: visible, but no ptrace-mode access. */
FIXTURE_VARIANT_ADD(access, creator_to_first) {
	.tracer = MULT_SELF, .tracee = F, .denied = true,
};
FIXTURE_VARIANT_ADD(access, first_to_member) {
	.tracer = F, .tracee = G, .denied = false,
};
FIXTURE_VARIANT_ADD(access, member_to_first) {
	.tracer = G, .tracee = F, .denied = false,
};
FIXTURE_VARIANT_ADD(access, member_to_member) {
	.tracer = G, .tracee = H, .denied = false,
};
FIXTURE_VARIANT_ADD(access, creator_to_root_sibling) {
	.tracer = MULT_SELF, .tracee = S, .denied = false,
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

/* ACCESS_TEST(attach|seize) pastes these names. */
#define op_attach mult_op_ptrace_attach
#define op_seize mult_op_ptrace_seize

/* Copy the tracee's request pipe (every agent has it at MULT_AGENT_FD). */
MULT_OP(op_pidfd_getfd)
{
	int pidfd = sys_pidfd_open(a, 0), fd, e;

	if (pidfd < 0)
		return -2;
	fd = sys_pidfd_getfd(pidfd, MULT_AGENT_FD, 0);
	e = errno;
	close(pidfd);
	if (fd >= 0)
		close(fd);
	errno = e;
	return fd < 0 ? -1 : 0;
}

MULT_OP(op_vm_readv)
{
	long v = 0;
	struct iovec local = { &v, sizeof(v) };
	struct iovec remote = { (void *)&mult_probe, sizeof(v) };

	if (process_vm_readv(a, &local, 1, &remote, 1, 0) != sizeof(v))
		return -1;
	return v == MULT_PROBE ? 0 : -2;
}

MULT_OP(op_vm_writev)
{
	long v = MULT_PROBE;
	struct iovec local = { &v, sizeof(v) };
	struct iovec remote = { (void *)&mult_probe, sizeof(v) };

	return process_vm_writev(a, &local, 1, &remote, 1, 0) == sizeof(v) ?
	       0 : -1;
}

MULT_OP(op_kcmp)
{
	return syscall(SYS_kcmp, getpid(), a, KCMP_FILES, 0, 0) < 0 ? -1 : 0;
}

MULT_OP(op_proc_mem)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/mem", a);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

MULT_OP(op_proc_environ) { return mult_op_read_proc(a, (long)"/environ", 0); }

static long readlink_proc(long pid, const char *sub)
{
	char path[64], buf[PATH_MAX];

	snprintf(path, sizeof(path), "/proc/%ld%s", pid, sub);
	return readlink(path, buf, sizeof(buf)) < 0 ? -1 : 0;
}

MULT_OP(op_proc_exe) { return readlink_proc(a, "/exe"); }

MULT_OP(op_proc_fd)
{
	char sub[32];

	snprintf(sub, sizeof(sub), "/fd/%d", MULT_AGENT_FD);
	return readlink_proc(a, sub);
}

static void check_access(struct __test_metadata *_metadata,
			 FIXTURE_DATA(access) *self,
			 const FIXTURE_VARIANT(access) *variant,
			 const char *what, mult_fn fn, int denied_err)
{
	struct mult_tree *t = &self->tree;
	pid_t pid = mult_pid(t, variant->tracee);
	struct mult_res r;

	r = mult_call(t, variant->tracer, fn, pid, 0, 0);
	EXPECT_RES(r, variant->denied ? denied_err : 0, "%s of %s (%d) by %s",
		   what, mult_name(t, variant->tracee), pid,
		   mult_name(t, variant->tracer));
}

#define ACCESS_TEST(name, err)                                          \
	TEST_F(access, name)                                            \
	{                                                               \
		check_access(_metadata, self, variant, #name, op_##name, err); \
	}

ACCESS_TEST(attach, EPERM)
ACCESS_TEST(seize, EPERM)
ACCESS_TEST(pidfd_getfd, EPERM)
ACCESS_TEST(vm_readv, EPERM)
ACCESS_TEST(vm_writev, EPERM)
ACCESS_TEST(kcmp, EPERM)
ACCESS_TEST(proc_mem, EACCES)
ACCESS_TEST(proc_environ, EACCES)
ACCESS_TEST(proc_exe, EACCES)
ACCESS_TEST(proc_fd, EACCES)

/* ----------------------------------------------------------------- */

FIXTURE(tracing) {
	struct mult_tree tree;
};

FIXTURE_SETUP(tracing)
{
	MULT_REQUIRE();
	ASSERT_EQ(0, mult_tree_start(&self->tree, nodes, NR_NODES));
}

FIXTURE_TEARDOWN(tracing)
{
	mult_tree_stop(&self->tree);
}

/* pidfd_getfd() with the pidfd clone3() returned to the creator. */
TEST_F(tracing, pidfd_getfd_clone_pidfd)
{
	int fd;

	ASSERT_LE(0, self->tree.pidfd[F]);
	fd = sys_pidfd_getfd(self->tree.pidfd[F], MULT_AGENT_FD, 0);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EPERM, errno);
	if (fd >= 0)
		close(fd);
}

MULT_OP(op_traceme) { return ptrace(PTRACE_TRACEME, 0, NULL, NULL); }

TEST_F(tracing, traceme)
{
	struct mult_tree *t = &self->tree;

	/* F's parent is the creator, in another instance. */
	EXPECT_RES(mult_call(t, F, op_traceme, 0, 0, 0), EPERM,
		   "PTRACE_TRACEME by F");
	EXPECT_EQ(0, mult_status_field(t->pid[F], "TracerPid:"));
	/* Allowed: G's parent F is in its instance, S's parent in its. */
	EXPECT_RES(mult_call(t, G, op_traceme, 0, 0, 0), 0,
		   "PTRACE_TRACEME by G");
	EXPECT_EQ(t->pid[F], mult_call(t, G, mult_op_status_field, 0,
				       (long)"TracerPid:", 0).ret);
	EXPECT_RES(mult_call(t, S, op_traceme, 0, 0, 0), 0,
		   "PTRACE_TRACEME by S");
	EXPECT_EQ(getpid(), mult_status_field(t->pid[S], "TracerPid:"));
}

/*
 * The tracer: traces C (a plain child), which creates a child with
 * clone3(flags). With PTRACE_O_TRACEFORK|VFORK|CLONE set, a plain fork
 * is an event and the new child is auto-attached; an instance is not.
 * The new child reports the TracerPid it sees.
 */
MULT_OP(tracer_scenario)
{
	uint64_t flags = a;
	int rep[2], st, events = 0, others = 0, tracer_pid = -1;
	bool newinst = b;
	pid_t child, w;

	MULT_CHECK(pipe(rep) == 0);
	child = fork();
	MULT_CHECK(child >= 0);
	if (child == 0) {
		pid_t k;

		close(rep[0]);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(10);
		raise(SIGSTOP);
		k = mult_clone3(flags, NULL, SIGCHLD);
		if (k == 0) {
			int v = mult_status_field(0, "TracerPid:");

			mult_write_all(rep[1], &v, sizeof(v));
			_exit(0);
		}
		if (k < 0)
			_exit(11);
		if (waitpid(k, &st, 0) != k)
			_exit(12);
		_exit(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 13);
	}
	close(rep[1]);
	alarm(30);
	MULT_CHECK(waitpid(child, &st, __WALL) == child);
	MULT_CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
	MULT_CHECK(ptrace(PTRACE_SETOPTIONS, child, NULL,
			  PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
			  PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL) == 0);
	MULT_CHECK(ptrace(PTRACE_CONT, child, NULL, NULL) == 0);
	for (;;) {
		w = waitpid(-1, &st, __WALL);
		if (w < 0 && errno == EINTR)
			continue;
		MULT_CHECK(w > 0);
		if (w == child) {
			int ev = st >> 16, sig;

			if (WIFEXITED(st) || WIFSIGNALED(st))
				break;
			if (ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK ||
			    ev == PTRACE_EVENT_CLONE) {
				events++;
				MULT_CHECK(ptrace(PTRACE_CONT, child, NULL, NULL) == 0);
				continue;
			}
			sig = WSTOPSIG(st);
			MULT_CHECK(ptrace(PTRACE_CONT, child, NULL,
					  (void *)(long)(sig == SIGTRAP ? 0 : sig)) == 0);
			continue;
		}
		/* Anything else is a tracee we did not attach: auto-attached. */
		others++;
		if (WIFSTOPPED(st)) {
			int sig = WSTOPSIG(st);

			sig = sig == SIGSTOP || sig == SIGTRAP ? 0 : sig;
			ptrace(PTRACE_CONT, w, NULL, (void *)(long)sig);
		}
	}
	alarm(0);
	MULT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	MULT_CHECK(mult_read_timeout(rep[0], &tracer_pid, sizeof(tracer_pid),
				     MULT_TIMEOUT_MS) == sizeof(tracer_pid));
	if (newinst) {
		if (events || others)
			mult_log("tracer saw %d fork events, %d auto-attached tasks",
				 events, others);
		MULT_CHECK(events == 0);
		MULT_CHECK(others == 0);
		MULT_CHECK(tracer_pid == 0);
	} else {
		MULT_CHECK(events == 1);
		MULT_CHECK(others >= 1);
		MULT_CHECK(tracer_pid == getpid());
	}
	return 0;
}

FIXTURE(follow) {
	int unused;
};

FIXTURE_VARIANT(follow) {
	bool newinst;	/* the traced process creates an instance */
	bool inside;	/* tracer and traced process are in an instance */
};

FIXTURE_VARIANT_ADD(follow, root_fork) {
	.newinst = false, .inside = false,
};
FIXTURE_VARIANT_ADD(follow, root_instfork) {
	.newinst = true, .inside = false,
};
FIXTURE_VARIANT_ADD(follow, inside_fork) {
	.newinst = false, .inside = true,
};
FIXTURE_VARIANT_ADD(follow, inside_instfork) {
	.newinst = true, .inside = true,
};

FIXTURE_SETUP(follow)
{
	MULT_REQUIRE();
}

FIXTURE_TEARDOWN(follow)
{
}

TEST_F(follow, tracer_of_creator)
{
	uint64_t flags = variant->newinst ? MULT_NEWINST : 0;

	EXPECT_EQ(0, mult_run(variant->inside, tracer_scenario, flags,
			      variant->newinst, 0));
}

MULT_HARNESS_MAIN
