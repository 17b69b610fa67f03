// SPDX-License-Identifier: GPL-2.0
/*
 * mult: creating an instance with clone3(CLONE_NEWINST) (R8 and the ABI).
 *
 * - which clone flags go with CLONE_NEWINST (EINVAL otherwise), each
 *   checked against the same flags without CLONE_NEWINST, which work;
 * - CAP_SYS_ADMIN in the initial user namespace (EPERM otherwise);
 * - kernel.mult.max_depth (EUSERS) and kernel.mult.max_instances (ENOSPC);
 * - kernel.mult.nr_instances counts live instances, is read-only, and a
 *   failed clone3() leaves it unchanged: nothing is half-created.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <sched.h>

#include "mult_util.h"

/*
 * clone3() whose child never returns into C code: it runs only the
 * instructions below, with no stack, so it is safe with CLONE_VM,
 * CLONE_VFORK and even CLONE_THREAD on the parent's stack. The child
 * exits (SYS_exit, the thread only) with 0 if getppid() is 0, i.e. if it
 * is the first process of a new instance, else 1. Returns the child's
 * pid or -errno.
 */
static long clone3_probe(struct mult_clone_args *args)
{
#ifdef __x86_64__
	long ret = __NR_clone3;

	asm volatile("syscall\n\t"
		     "test %%rax, %%rax\n\t"
		     "jnz 1f\n\t"
		     "mov %[getppid], %%eax\n\t"
		     "syscall\n\t"
		     "xor %%edi, %%edi\n\t"
		     "test %%rax, %%rax\n\t"
		     "setnz %%dil\n\t"
		     "mov %[exit], %%eax\n\t"
		     "syscall\n\t"
		     "ud2\n"
		     "1:\n\t"
		     : "+a"(ret)
		     : "D"(args), "S"(sizeof(*args)),
		       [getppid] "i"(__NR_getppid), [exit] "i"(__NR_exit)
		     : "rcx", "r11", "memory");
	return ret;
#else
	(void)args;
	return -ENOSYS;
#endif
}

FIXTURE(flags) {
	int base;
};

FIXTURE_VARIANT(flags) {
	uint64_t flags;		/* besides CLONE_NEWINST */
	int exit_signal;
	int error;		/* with CLONE_NEWINST; 0: allowed */
};

/* Allowed. */
FIXTURE_VARIANT_ADD(flags, plain) {
	.flags = 0, .exit_signal = SIGCHLD, .error = 0,
};
FIXTURE_VARIANT_ADD(flags, pidfd) {
	.flags = CLONE_PIDFD, .exit_signal = SIGCHLD, .error = 0,
};
FIXTURE_VARIANT_ADD(flags, vfork) {
	.flags = CLONE_VFORK, .exit_signal = SIGCHLD, .error = 0,
};
/* posix_spawn() style: the creator waits until the child exits. */
FIXTURE_VARIANT_ADD(flags, vm_vfork) {
	.flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD, .error = 0,
};
FIXTURE_VARIANT_ADD(flags, untraced) {
	.flags = CLONE_UNTRACED, .exit_signal = SIGCHLD, .error = 0,
};
FIXTURE_VARIANT_ADD(flags, clear_sighand) {
	.flags = CLONE_CLEAR_SIGHAND, .exit_signal = SIGCHLD, .error = 0,
};
/* Refused: something would be shared across the boundary. */
FIXTURE_VARIANT_ADD(flags, thread) {
	/* exit_signal 0: CLONE_THREAD with a signal fails before mult. */
	.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM,
	.exit_signal = 0, .error = EINVAL,
};
FIXTURE_VARIANT_ADD(flags, parent) {
	.flags = CLONE_PARENT, .exit_signal = 0, .error = EINVAL,
};
FIXTURE_VARIANT_ADD(flags, vm) {
	.flags = CLONE_VM, .exit_signal = SIGCHLD, .error = EINVAL,
};
FIXTURE_VARIANT_ADD(flags, sighand_vm) {
	.flags = CLONE_SIGHAND | CLONE_VM, .exit_signal = SIGCHLD,
	.error = EINVAL,
};
FIXTURE_VARIANT_ADD(flags, sighand_vm_vfork) {
	.flags = CLONE_SIGHAND | CLONE_VM | CLONE_VFORK,
	.exit_signal = SIGCHLD, .error = EINVAL,
};
FIXTURE_VARIANT_ADD(flags, files) {
	.flags = CLONE_FILES, .exit_signal = SIGCHLD, .error = EINVAL,
};
FIXTURE_VARIANT_ADD(flags, ptrace) {
	.flags = CLONE_PTRACE, .exit_signal = SIGCHLD, .error = EINVAL,
};

FIXTURE_SETUP(flags)
{
	MULT_REQUIRE();
	self->base = mult_quiesce();
	ASSERT_LE(0, self->base);
}

FIXTURE_TEARDOWN(flags)
{
}

/*
 * Returns the child's pid (reaped if it can be waited for; *status is
 * its probe result) or -errno.
 */
static long run_probe(uint64_t flags, int exit_signal, int *pidfd,
		      int *status)
{
	struct mult_clone_args args = {
		.flags = flags | (pidfd ? CLONE_PIDFD : 0),
		.pidfd = (uintptr_t)pidfd,
		.exit_signal = exit_signal,
	};
	long pid;
	int st;

	*status = -1;
	fflush(NULL);
	pid = clone3_probe(&args);
	if (pid > 0 && !(flags & (CLONE_THREAD | CLONE_PARENT))) {
		st = mult_waitpid(pid, MULT_TIMEOUT_MS);
		*status = mult_status_code(st);
	}
	return pid;
}

TEST_F(flags, with_newinst)
{
	int pidfd = -1, status;
	bool want_pidfd = variant->flags & CLONE_PIDFD;
	long pid;

	pid = run_probe(variant->flags | MULT_NEWINST, variant->exit_signal,
			want_pidfd ? &pidfd : NULL, &status);
	if (variant->error) {
		EXPECT_EQ(-variant->error, pid)
		{
			TH_LOG("clone3(CLONE_NEWINST|%#llx): %s, expected %s",
			       (unsigned long long)variant->flags,
			       pid < 0 ? strerror(-pid) : "created",
			       strerror(variant->error));
		}
		/* Nothing half-created. */
		EXPECT_EQ(self->base, mult_nr_instances());
		return;
	}
	ASSERT_LT(0, pid)
	{
		TH_LOG("clone3(CLONE_NEWINST|%#llx): %s",
		       (unsigned long long)variant->flags, strerror(-pid));
	}
	/* 0: the child saw getppid() == 0, it runs in a new instance. */
	EXPECT_EQ(0, status);
	if (want_pidfd) {
		EXPECT_LE(0, pidfd);
		if (pidfd >= 0)
			close(pidfd);
	}
	EXPECT_EQ(self->base, mult_wait_nr_instances(self->base,
						     MULT_SETTLE_MS));
}

/* Control: the same flags are fine without CLONE_NEWINST. */
TEST_F(flags, without_newinst)
{
	int pidfd = -1, status;
	bool want_pidfd = variant->flags & CLONE_PIDFD;
	long pid;

	pid = run_probe(variant->flags, variant->exit_signal,
			want_pidfd ? &pidfd : NULL, &status);
	ASSERT_LT(0, pid)
	{
		TH_LOG("clone3(%#llx): %s", (unsigned long long)variant->flags,
		       strerror(-pid));
	}
	if (!(variant->flags & (CLONE_THREAD | CLONE_PARENT))) {
		/* 1: an ordinary child sees its parent. */
		EXPECT_EQ(1, status);
	}
	if (pidfd >= 0)
		close(pidfd);
	EXPECT_EQ(self->base, mult_nr_instances());
}

/* ----------------------------------------------------------------- */
/* privilege: CAP_SYS_ADMIN in the initial user namespace */

enum { PRIV_ROOT, PRIV_NO_CAP, PRIV_NO_EFF_CAP, PRIV_NOBODY,
       PRIV_NOBODY_WITH_CAP, PRIV_USERNS };

FIXTURE(priv) {
	int base;
};

FIXTURE_VARIANT(priv) {
	int how;
	int error;
};

FIXTURE_VARIANT_ADD(priv, root) {
	.how = PRIV_ROOT, .error = 0,
};
FIXTURE_VARIANT_ADD(priv, root_without_cap_sys_admin) {
	.how = PRIV_NO_CAP, .error = EPERM,
};
FIXTURE_VARIANT_ADD(priv, root_without_effective_cap_sys_admin) {
	.how = PRIV_NO_EFF_CAP, .error = EPERM,
};
FIXTURE_VARIANT_ADD(priv, nobody) {
	.how = PRIV_NOBODY, .error = EPERM,
};
/* It is the capability that counts, not the uid. */
FIXTURE_VARIANT_ADD(priv, nobody_with_cap_sys_admin) {
	.how = PRIV_NOBODY_WITH_CAP, .error = 0,
};
/* All capabilities, but in a user namespace of its own. */
FIXTURE_VARIANT_ADD(priv, user_ns_root) {
	.how = PRIV_USERNS, .error = EPERM,
};

FIXTURE_SETUP(priv)
{
	MULT_REQUIRE();
	self->base = mult_quiesce();
	ASSERT_LE(0, self->base);
}

FIXTURE_TEARDOWN(priv)
{
}

static int caps(bool set, int cap, bool effective_only)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	__u32 bit = 1u << (cap % 32);
	int i = cap / 32;

	if (syscall(SYS_capget, &hdr, d))
		return -1;
	if (set) {
		d[i].effective |= bit;
	} else {
		d[i].effective &= ~bit;
		if (!effective_only) {
			d[i].permitted &= ~bit;
			d[i].inheritable &= ~bit;
		}
	}
	return syscall(SYS_capset, &hdr, d);
}

/* In a forked child: drop privileges, then try; 0 if as expected. */
MULT_OP(priv_probe)
{
	int how = a, error = b, base = c;
	pid_t pid;
	int st;

	switch (how) {
	case PRIV_NO_CAP:
		MULT_CHECK(caps(false, CAP_SYS_ADMIN, false) == 0);
		break;
	case PRIV_NO_EFF_CAP:
		MULT_CHECK(caps(false, CAP_SYS_ADMIN, true) == 0);
		break;
	case PRIV_NOBODY:
		MULT_CHECK(setresgid(65534, 65534, 65534) == 0);
		MULT_CHECK(setresuid(65534, 65534, 65534) == 0);
		break;
	case PRIV_NOBODY_WITH_CAP:
		MULT_CHECK(prctl(PR_SET_KEEPCAPS, 1) == 0);
		MULT_CHECK(setresgid(65534, 65534, 65534) == 0);
		MULT_CHECK(setresuid(65534, 65534, 65534) == 0);
		MULT_CHECK(caps(true, CAP_SYS_ADMIN, false) == 0);
		break;
	case PRIV_USERNS:
		MULT_CHECK(unshare(CLONE_NEWUSER) == 0);
		break;
	}
	pid = mult_instfork(NULL);
	if (pid == 0)
		_exit(getppid() == 0 ? 0 : 1);
	if (error) {
		if (pid > 0)
			mult_waitpid(pid, MULT_TIMEOUT_MS);
		MULT_CHECK(pid == -1 && errno == error);
		MULT_CHECK(mult_nr_instances() == base);
		return 0;
	}
	MULT_CHECK(pid > 0);
	st = mult_waitpid(pid, MULT_TIMEOUT_MS);
	MULT_CHECK(mult_status_code(st) == 0);
	return 0;
}

TEST_F(priv, instfork)
{
	EXPECT_EQ(0, mult_run(false, priv_probe, variant->how, variant->error,
			      self->base));
	EXPECT_EQ(self->base, mult_wait_nr_instances(self->base,
						     MULT_SETTLE_MS));
}

/* ----------------------------------------------------------------- */
/* a first process, seen from its creator */

enum { F, NR_NODES };

static const struct mult_node one_instance[] = {
	[F] = { MULT_SELF, MULT_INST, "F" },
};

FIXTURE(instance) {
	struct mult_tree tree;
	int base;
};

FIXTURE_SETUP(instance)
{
	MULT_REQUIRE();
	self->base = mult_quiesce();
	ASSERT_LE(0, self->base);
	ASSERT_EQ(0, mult_tree_start(&self->tree, one_instance, NR_NODES));
}

FIXTURE_TEARDOWN(instance)
{
	mult_tree_stop(&self->tree);
}

TEST_F(instance, counted_while_alive)
{
	struct mult_tree *t = &self->tree;
	int st;

	EXPECT_EQ(self->base + 1, mult_nr_instances());
	/* R3: pids are global; fork's return value is the child's pid. */
	EXPECT_EQ(t->shm->spawned[F], t->pid[F]);
	EXPECT_EQ(0, mult_call(t, F, mult_op_getppid, 0, 0, 0).ret);
	EXPECT_EQ(t->pid[F], mult_call(t, F, mult_op_gettid, 0, 0, 0).ret);
	/* The CLONE_PIDFD pidfd refers to the child. */
	ASSERT_LE(0, t->pidfd[F]);
	EXPECT_EQ(0, sys_pidfd_send_signal(t->pidfd[F], 0, NULL, 0));

	ASSERT_EQ(0, mult_post(t, F, mult_op_exit, 7, 0, 0));
	st = mult_reap(t, F, MULT_TIMEOUT_MS);
	EXPECT_EQ(7, mult_status_code(st));
	close(t->pidfd[F]);
	t->pidfd[F] = -1;
	EXPECT_EQ(self->base, mult_wait_nr_instances(self->base,
						     MULT_SETTLE_MS));
}

TEST_F(instance, nr_instances_is_read_only)
{
	int fd = open(MULT_SYSCTL_DIR "/nr_instances", O_WRONLY);

	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EACCES, errno);
	if (fd >= 0) {
		EXPECT_GT(0, write(fd, "0\n", 2));
		close(fd);
	}
	EXPECT_EQ(self->base + 1, mult_nr_instances());
}

/* ----------------------------------------------------------------- */
/* limits: the sysctls are restored whatever happens to the test */

struct saved_limits {
	int max_depth;
	int max_instances;
};

static void save_limits(struct __test_metadata *_metadata,
			struct saved_limits *s)
{
	s->max_depth = mult_sysctl_read("max_depth");
	s->max_instances = mult_sysctl_read("max_instances");
	ASSERT_LT(0, s->max_depth);
	ASSERT_LE(0, s->max_instances);
}

static void restore_limits(struct __test_metadata *_metadata,
			   const struct saved_limits *s)
{
	if (s->max_depth > 0) {
		EXPECT_EQ(0, mult_sysctl_write("max_depth", s->max_depth));
	}
	if (s->max_instances >= 0) {
		EXPECT_EQ(0, mult_sysctl_write("max_instances",
					       s->max_instances));
	}
}

/*
 * Runs at nesting depth `a` (the test is at 0): creates an instance
 * one level deeper, which repeats. With max_depth `b`, depths 1..b are
 * created and depth b+1 fails with EUSERS, leaving nr_instances alone.
 */
MULT_OP(nest_chain)
{
	long depth = a, max = b;
	int before, st;
	pid_t pid;

	if (depth > 0)
		MULT_CHECK(getppid() == 0);
	before = mult_nr_instances();
	pid = mult_instfork(NULL);
	if (pid == 0)
		_exit(mult_exit_code(nest_chain(depth + 1, max, 0)));
	if (depth + 1 > max) {
		if (pid > 0) {
			mult_log("depth %ld created with max_depth %ld",
				 depth + 1, max);
			mult_waitpid(pid, MULT_TIMEOUT_MS);
		}
		MULT_CHECK(pid == -1 && errno == EUSERS);
		MULT_CHECK(mult_nr_instances() == before);
		return 0;
	}
	if (pid < 0)
		mult_log("creating depth %ld (max_depth %ld): %s", depth + 1,
			 max, strerror(errno));
	MULT_CHECK(pid > 0);
	st = mult_waitpid(pid, 3 * MULT_TIMEOUT_MS);
	MULT_CHECK(mult_status_code(st) == 0);
	return 0;
}

FIXTURE(depth) {
	struct saved_limits saved;
	int base;
};

FIXTURE_VARIANT(depth) {
	int max_depth;
};

FIXTURE_VARIANT_ADD(depth, max_1) {
	.max_depth = 1,
};
FIXTURE_VARIANT_ADD(depth, max_2) {
	.max_depth = 2,
};
FIXTURE_VARIANT_ADD(depth, max_4) {
	.max_depth = 4,
};

FIXTURE_SETUP(depth)
{
	MULT_REQUIRE();
	save_limits(_metadata, &self->saved);
	self->base = mult_quiesce();
	ASSERT_LE(0, self->base);
}

FIXTURE_TEARDOWN_PARENT(depth)
{
	restore_limits(_metadata, &self->saved);
}

TEST_F(depth, chain)
{
	ASSERT_EQ(0, mult_sysctl_write("max_depth", variant->max_depth));
	ASSERT_EQ(variant->max_depth, mult_sysctl_read("max_depth"));
	EXPECT_EQ(0, nest_chain(0, variant->max_depth, 0));
	EXPECT_EQ(self->base, mult_wait_nr_instances(self->base,
						     MULT_SETTLE_MS));
}

/*
 * FIXTURE_TEARDOWN_PARENT() shares `self` with every process forked from
 * the test: the agent tree must not live there, it stays on the stack.
 */
FIXTURE(limits) {
	struct saved_limits saved;
	int base;
};

FIXTURE_SETUP(limits)
{
	MULT_REQUIRE();
	save_limits(_metadata, &self->saved);
	self->base = mult_quiesce();
	ASSERT_LE(0, self->base);
}

FIXTURE_TEARDOWN_PARENT(limits)
{
	restore_limits(_metadata, &self->saved);
}

/* The limit applies to instances that already exist, when they nest. */
TEST_F(limits, max_depth_lowered)
{
	struct mult_tree tree, *t = &tree;
	struct mult_res r;

	ASSERT_EQ(0, mult_sysctl_write("max_depth", 2));
	ASSERT_EQ(0, mult_tree_start(t, one_instance, NR_NODES));
	ASSERT_EQ(0, mult_sysctl_write("max_depth", 1));
	r = mult_call(t, F, mult_op_instfork_probe, 0, 0, 0);
	EXPECT_RES(r, EUSERS, "nested instfork at max_depth 1");
	EXPECT_EQ(self->base + 1, mult_nr_instances());
	ASSERT_EQ(0, mult_sysctl_write("max_depth", 2));
	r = mult_call(t, F, mult_op_instfork_probe, 0, 0, 0);
	EXPECT_RES(r, 0, "nested instfork at max_depth 2");
	mult_tree_stop(t);
	EXPECT_EQ(self->base, mult_wait_nr_instances(self->base,
						     MULT_SETTLE_MS));
}

TEST_F(limits, max_instances)
{
	struct mult_tree tree, *t = &tree;
	int base = self->base;
	struct mult_res r;

	ASSERT_EQ(0, mult_sysctl_write("max_instances", base + 1));
	ASSERT_EQ(0, mult_tree_start(t, one_instance, NR_NODES));
	ASSERT_EQ(base + 1, mult_nr_instances());

	/* Full: from the root instance and from inside an instance. */
	r = mult_call(t, MULT_SELF, mult_op_instfork_probe, 0, 0, 0);
	EXPECT_RES(r, ENOSPC, "instfork with %d of %d", base + 1, base + 1);
	r = mult_call(t, F, mult_op_instfork_probe, 0, 0, 0);
	EXPECT_RES(r, ENOSPC, "nested instfork with %d of %d", base + 1,
		   base + 1);
	EXPECT_EQ(base + 1, mult_nr_instances());

	/* Room for one more. */
	ASSERT_EQ(0, mult_sysctl_write("max_instances", base + 2));
	r = mult_call(t, F, mult_op_instfork_probe, 0, 0, 0);
	EXPECT_RES(r, 0, "nested instfork with %d of %d", base + 1, base + 2);
	EXPECT_EQ(base + 1, mult_wait_nr_instances(base + 1, MULT_SETTLE_MS));
	r = mult_call(t, MULT_SELF, mult_op_instfork_probe, 0, 0, 0);
	EXPECT_RES(r, 0, "instfork with %d of %d", base + 1, base + 2);
	EXPECT_EQ(base + 1, mult_wait_nr_instances(base + 1, MULT_SETTLE_MS));

	/* Lowered below the count: nothing new, nothing killed. */
	ASSERT_EQ(0, mult_sysctl_write("max_instances", base));
	r = mult_call(t, MULT_SELF, mult_op_instfork_probe, 0, 0, 0);
	EXPECT_RES(r, ENOSPC, "instfork with %d of %d", base + 1, base);
	EXPECT_EQ(t->pid[F], mult_call(t, F, mult_op_getpid, 0, 0, 0).ret);
	ASSERT_EQ(0, mult_sysctl_write("max_instances", 0));
	r = mult_call(t, MULT_SELF, mult_op_instfork_probe, 0, 0, 0);
	EXPECT_RES(r, ENOSPC, "instfork with max_instances 0");
	EXPECT_EQ(base + 1, mult_nr_instances());

	/* Once the instance is gone, its slot is free again. */
	mult_tree_stop(t);
	ASSERT_EQ(base, mult_wait_nr_instances(base, MULT_SETTLE_MS));
	ASSERT_EQ(0, mult_sysctl_write("max_instances", base + 1));
	r = mult_call(t, MULT_SELF, mult_op_instfork_probe, 0, 0, 0);
	EXPECT_RES(r, 0, "instfork with %d of %d after release", base,
		   base + 1);
	EXPECT_EQ(base, mult_wait_nr_instances(base, MULT_SETTLE_MS));
}

MULT_HARNESS_MAIN
