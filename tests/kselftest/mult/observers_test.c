// SPDX-License-Identifier: GPL-2.0
/*
 * mult R2: facilities that report every process of the machine belong to
 * the root instance. A member, root with every capability, is refused:
 * the kernel log (syslog(2), /dev/kmsg), BPF, CPU-wide perf events,
 * tracefs, debugfs, the proc connector's multicast group, and writes to
 * /proc/sys (R8); a perf counter inherited by the creator does not follow
 * it into an instance; the proc connector does not report the members'
 * fork, exec and exit. The root instance keeps all of them (R9).
 * And R1, R4: no member takes over a terminal of another instance
 * (TIOCSTI, TIOCSCTTY steal, TIOCVHANGUP, TIOCSWINSZ), while its own
 * terminals work as usual.
 */
#define _GNU_SOURCE
#include <linux/bpf.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <termios.h>

/* kselftest_harness.h: TEST() leaves its variant parameter unused. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "mult_util.h"

/* Run fn in the root instance (a fork) and in a new instance. */
#define BOTH_SIDES(fn, a, want_root, want_inst)                          \
	do {                                                            \
		EXPECT_EQ(want_root, mult_run(false, fn, a, 0, 0))      \
		{                                                       \
			TH_LOG(#fn " in the root instance");            \
		}                                                       \
		EXPECT_EQ(want_inst, mult_run(true, fn, a, 0, 0))       \
		{                                                       \
			TH_LOG(#fn " inside an instance");              \
		}                                                       \
	} while (0)

/* Child exit codes: 0 allowed, 1 refused with the expected errno. */
#define ALLOWED 0
#define REFUSED 1

static int outcome(long ret, int refused_errno)
{
	if (ret >= 0)
		return ALLOWED;
	if (errno == refused_errno)
		return REFUSED;
	mult_log("unexpected errno %d (%s)", errno, strerror(errno));
	return 2;
}

MULT_OP(op_syslog_size) { return outcome(klogctl(10, NULL, 0), EPERM); }

MULT_OP(op_kmsg_read)
{
	int fd = open("/dev/kmsg", a ? O_WRONLY : O_RDONLY | O_NONBLOCK);
	int r = outcome(fd, EPERM);

	if (fd >= 0)
		close(fd);
	return r;
}

TEST(kernel_log)
{
	MULT_REQUIRE();
	BOTH_SIDES(op_syslog_size, 0, ALLOWED, REFUSED);
	BOTH_SIDES(op_kmsg_read, 0, ALLOWED, REFUSED);
	/* Writing to the log is not observing: allowed everywhere. */
	BOTH_SIDES(op_kmsg_read, 1, ALLOWED, ALLOWED);
}

MULT_OP(op_bpf_map)
{
	union bpf_attr attr = {
		.map_type = BPF_MAP_TYPE_ARRAY,
		.key_size = 4, .value_size = 4, .max_entries = 1,
	};
	long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	int r = outcome(fd, EPERM);

	if (fd >= 0)
		close(fd);
	return r;
}

TEST(bpf)
{
	MULT_REQUIRE();
	BOTH_SIDES(op_bpf_map, 0, ALLOWED, REFUSED);
}

static long perf_open(pid_t pid, int cpu, bool inherit)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_TASK_CLOCK,
		.inherit = inherit,
	};

	return syscall(SYS_perf_event_open, &attr, pid, cpu, -1,
		       PERF_FLAG_FD_CLOEXEC);
}

/* a: 1 for a CPU-wide event, 0 for one on the caller itself. */
MULT_OP(op_perf)
{
	long fd = a ? perf_open(-1, 0, false) : perf_open(0, -1, false);
	int r = outcome(fd, EACCES);

	if (fd >= 0)
		close(fd);
	return r;
}

TEST(perf_cpu_wide)
{
	MULT_REQUIRE();
	BOTH_SIDES(op_perf, 1, ALLOWED, REFUSED);
	BOTH_SIDES(op_perf, 0, ALLOWED, ALLOWED);
}

/* Burn 300 ms of our own CPU time. */
MULT_OP(op_burn)
{
	struct timespec ts;
	long start;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	start = ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
	do {
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	} while (ts.tv_sec * 1000L + ts.tv_nsec / 1000000L - start < 300);
	return 0;
}

/* CPU ms an inherited task-clock counter gains while a child burns. */
static long inherited_ms(bool newinst)
{
	long fd = perf_open(0, -1, true);
	uint64_t before, after;

	if (fd < 0 || read(fd, &before, sizeof(before)) != sizeof(before))
		return -1;
	if (mult_run(newinst, op_burn, 0, 0, 0) != 0)
		return -1;
	if (read(fd, &after, sizeof(after)) != sizeof(after))
		return -1;
	close(fd);
	return (after - before) / 1000000;
}

/* CPU time, not wall time: the child's 300 ms are counted or not. */
TEST(perf_inherit_stops_at_the_boundary)
{
	MULT_REQUIRE();
	EXPECT_LE(250, inherited_ms(false))
	{
		TH_LOG("an inherited counter missed a plain child");
	}
	EXPECT_GT(150, inherited_ms(true))
	{
		TH_LOG("an inherited counter followed its owner's child into an instance");
	}
}

/* a: path of a file to open for reading. */
MULT_OP(op_open_read)
{
	int fd = open((const char *)a, O_RDONLY | O_CLOEXEC);
	int r = outcome(fd, EPERM);

	if (fd >= 0)
		close(fd);
	return r;
}

static const char *mount_if_needed(const char *fstype, const char *path,
				   const char *probe)
{
	static char file[128];

	snprintf(file, sizeof(file), "%s/%s", path, probe);
	if (access(file, F_OK)) {
		mkdir(path, 0700);
		if (mount(fstype, path, fstype, 0, NULL) && errno != EBUSY)
			return NULL;
	}
	return access(file, R_OK) ? NULL : file;
}

TEST(debugfs_and_tracefs)
{
	const char *dbg, *trace;

	MULT_REQUIRE();
	dbg = mount_if_needed("debugfs", "/sys/kernel/debug", "sched/debug");
	trace = mount_if_needed("tracefs", "/sys/kernel/tracing", "trace");
	if (!dbg && !trace)
		SKIP(return, "neither debugfs nor tracefs in this kernel");
	if (dbg)
		BOTH_SIDES(op_open_read, (long)dbg, ALLOWED, REFUSED);
	if (trace)
		BOTH_SIDES(op_open_read, (long)trace, ALLOWED, REFUSED);
}

/* a: the value to write to kernel.mult.max_depth */
MULT_OP(op_set_max_depth)
{
	return outcome(mult_sysctl_write("max_depth", a), EPERM);
}

/* a: a file under /proc/sys; writes back what it holds. */
MULT_OP(op_rewrite_sysctl)
{
	char buf[256];
	ssize_t n;
	int fd = open((const char *)a, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 2;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return 2;
	fd = open((const char *)a, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return outcome(fd, EPERM);
	n = write(fd, buf, n);
	close(fd);
	return outcome(n, EPERM);
}

/* R8: no setting of the machine, kernel.mult.* or any other. */
TEST(sysctl_writes)
{
	int depth;

	MULT_REQUIRE();
	depth = mult_sysctl_read("max_depth");
	ASSERT_LT(0, depth);
	BOTH_SIDES(op_set_max_depth, depth, ALLOWED, REFUSED);
	EXPECT_EQ(depth, mult_sysctl_read("max_depth"));
	BOTH_SIDES(op_rewrite_sysctl, (long)"/proc/sys/kernel/pid_max",
		   ALLOWED, REFUSED);
	BOTH_SIDES(op_rewrite_sysctl, (long)"/proc/sys/kernel/domainname",
		   ALLOWED, REFUSED);
	/* Reading stays open to everyone. */
	EXPECT_EQ(0, mult_run(true, op_open_read,
			      (long)"/proc/sys/kernel/mult/max_depth", 0, 0));
}

/* ----------------------------------------------------------------- */
/* proc connector */

static int cn_socket(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC,
	};
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			NETLINK_CONNECTOR);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

MULT_OP(op_cn_bind)
{
	int fd = cn_socket();
	int r = outcome(fd, EPERM);

	if (fd >= 0)
		close(fd);
	return r;
}

TEST(proc_connector_subscription)
{
	MULT_REQUIRE();
	BOTH_SIDES(op_cn_bind, 0, ALLOWED, REFUSED);
}

static int cn_listen(int fd, enum proc_cn_mcast_op op)
{
	struct {
		struct nlmsghdr nl;
		struct cn_msg cn;
		enum proc_cn_mcast_op op;
	} __attribute__((packed)) req = {
		.nl = { .nlmsg_len = sizeof(req), .nlmsg_type = NLMSG_DONE,
			.nlmsg_pid = 0 },
		.cn = { .id = { CN_IDX_PROC, CN_VAL_PROC },
			.len = sizeof(enum proc_cn_mcast_op) },
		.op = op,
	};

	return send(fd, &req, sizeof(req), 0) == sizeof(req) ? 0 : -1;
}

/* A child that forks once, then both exit. */
MULT_OP(op_fork_once)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	return p > 0 && waitpid(p, NULL, 0) == p ? 0 : 1;
}

/* Does any event in the next second name pid? Fills *seen_other. */
static bool cn_names(int fd, pid_t pid, pid_t other, bool *seen_other)
{
	long deadline = mult_now_ms() + 1000;
	char buf[4096];
	bool seen = false;

	for (;;) {
		long left = deadline - mult_now_ms();
		struct nlmsghdr *nl = (struct nlmsghdr *)buf;
		struct proc_event *ev;
		ssize_t n;

		if (left <= 0)
			break;
		n = mult_read_timeout(fd, buf, sizeof(buf), left);
		if (n <= 0)
			break;
		ev = (struct proc_event *)((struct cn_msg *)NLMSG_DATA(nl))->data;
		if (ev->what == PROC_EVENT_FORK) {
			pid_t par = ev->event_data.fork.parent_tgid;
			pid_t kid = ev->event_data.fork.child_tgid;

			seen |= par == pid || kid == pid;
			*seen_other |= par == other || kid == other;
		} else if (ev->what == PROC_EVENT_EXIT) {
			seen |= ev->event_data.exit.process_tgid == pid;
			*seen_other |= ev->event_data.exit.process_tgid == other;
		}
	}
	return seen;
}

/*
 * Root listens. A plain child that forks is reported; an instance whose
 * first process forks is not, nor is its creation.
 */
TEST(proc_connector_events)
{
	bool seen_plain = false, seen_inst;
	pid_t plain, inst;
	int fd;

	MULT_REQUIRE();
	fd = cn_socket();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cn_listen(fd, PROC_CN_MCAST_LISTEN));

	fflush(NULL);
	inst = mult_instfork(NULL);
	ASSERT_LE(0, inst);
	if (inst == 0)
		_exit(op_fork_once(0, 0, 0));
	plain = fork();
	ASSERT_LE(0, plain);
	if (plain == 0)
		_exit(op_fork_once(0, 0, 0));
	seen_inst = cn_names(fd, inst, plain, &seen_plain);
	EXPECT_EQ(0, mult_status_code(mult_waitpid(inst, MULT_TIMEOUT_MS)));
	EXPECT_EQ(0, mult_status_code(mult_waitpid(plain, MULT_TIMEOUT_MS)));
	seen_inst |= cn_names(fd, inst, plain, &seen_plain);
	EXPECT_TRUE(seen_plain)
	{
		TH_LOG("no event for a plain child (R9: the connector works)");
	}
	EXPECT_FALSE(seen_inst)
	{
		TH_LOG("an event named the first process of an instance");
	}
	cn_listen(fd, PROC_CN_MCAST_IGNORE);
	close(fd);
}

/* ----------------------------------------------------------------- */
/* terminals */

/* Inside: a: the creator's terminal (fd), b: a fresh pty master's path. */
MULT_OP(tty_inside)
{
	struct winsize ws;
	char key = 'x';
	int master, slave;

	/* Reading and writing it, and harmless queries, work. */
	MULT_CHECK(write(a, "", 0) == 0);
	MULT_CHECK(ioctl(a, TIOCGWINSZ, &ws) == 0);
	/* Taking it over does not. */
	MULT_CHECK(ioctl(a, TIOCSTI, &key) == -1 && errno == EPERM);
	MULT_CHECK(ioctl(a, TIOCSCTTY, 1) == -1 && errno == EPERM);
	MULT_CHECK(ioctl(a, TIOCSWINSZ, &ws) == -1 && errno == EPERM);
	MULT_CHECK(ioctl(a, TIOCVHANGUP, 0) == -1 && errno == EPERM);
	/* A terminal of its own: controlling terminal, TIOCSTI. */
	if (mult_open_pty((const char *)b, &master, &slave))
		return __LINE__;
	MULT_CHECK(ioctl(slave, TIOCSCTTY, 0) == 0);
	MULT_CHECK(ioctl(slave, TIOCSTI, &key) == 0);
	MULT_CHECK(ioctl(slave, TIOCSWINSZ, &ws) == 0);
	return 0;
}

/* Outside: a session with a controlling pty, then an instance uses it. */
MULT_OP(tty_scenario)
{
	char dir[64], path[128];
	int master, slave, r;
	char key = 'y';

	r = mult_private_pty(dir, sizeof(dir), &master, &slave);
	if (r)
		return r;
	snprintf(path, sizeof(path), "%s/pts/ptmx", dir);
	if (setsid() < 0 && getsid(0) != getpid())
		MULT_CHECK(!"setsid");
	MULT_CHECK(ioctl(slave, TIOCSCTTY, 0) == 0);
	/* R9: the owner's session still does what it did. */
	MULT_CHECK(ioctl(slave, TIOCSTI, &key) == 0);

	r = mult_run(true, tty_inside, slave, (long)path, 0);
	if (r)
		mult_log("inside the instance: check at line %d failed", r);
	MULT_CHECK(r == 0);
	/* Still ours after the attempts. */
	MULT_CHECK(tcgetsid(slave) == getsid(0));
	return 0;
}

TEST(terminal_takeover)
{
	MULT_REQUIRE();
	EXPECT_EQ(0, mult_run(false, tty_scenario, 0, 0, 0));
}

MULT_HARNESS_MAIN
