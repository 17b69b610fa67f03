// SPDX-License-Identifier: GPL-2.0
/*
 * mult_bench: what an instance (clone3() with CLONE_NEWINST) costs, next to
 * fork, vfork, clone3 and pid namespaces. Runs as root in the benchmark
 * guest; see tests/bench/README.md for the sections and the output format.
 *
 * Every measurement line is "BENCH {json}" on stdout, progress is "# ...".
 * Within a section the variants are interleaved: round after round, each
 * variant runs a batch, and the variant that goes first rotates, so drift
 * of the machine (host load, emulator caches) falls on all variants alike.
 *
 * Children made with the raw clone3 syscall only call async-signal-safe
 * functions (plain syscalls, clock_gettime, fork, execve, _exit): glibc
 * does not know about them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/sched.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/guest_prog.h"

#define WAIT_P_PIDFD 3 /* idtype for waitid() on a pidfd (linux/wait.h) */

#define MAX_BATCH 64	   /* samples per worker command (fits a pipe) */
#define SYSCALL_CALLS 1000 /* calls timed together for one syscall sample */
#define MAX_MEMBERS 16	   /* blocking members a worker may hold */
/*
 * kernel.mult.nr_instances drops an RCU grace period and a work item after
 * an instance's last process is reaped, so a tight create/exit loop runs
 * ahead of it: leave that much room above what is alive at once.
 */
#define INSTANCE_MARGIN 1024
#define MULT_SYSCTL "/proc/sys/kernel/mult/"

struct opts {
	int iterations;
	bool quick;
	bool no_instances; /* R9 runs: create none (the unpatched kernel has no CLONE_NEWINST) */
	unsigned sections; /* bit per section; 0 = all */
};

struct run {
	struct opts o;
	int errors;
};

/* ---- small helpers --------------------------------------------------- */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int read_long(const char *path, long *v)
{
	FILE *f = fopen(path, "re");
	int rc = 0;

	if (!f)
		return -errno;
	if (fscanf(f, "%ld", v) != 1)
		rc = -EIO;
	fclose(f);
	return rc;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "we");
	int rc = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%ld\n", v) < 0)
		rc = -EIO;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	return rc;
}

/* ---- JSON lines ------------------------------------------------------- */

struct json {
	char buf[1024];
	size_t len;
};

static void j_raw(struct json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void j_raw(struct json *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(j->buf + j->len, sizeof j->buf - j->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		j->len = j->len + n < sizeof j->buf ? j->len + n : sizeof j->buf - 1;
}

static void j_str(struct json *j, const char *key, const char *val)
{
	j_raw(j, "%s\"%s\":\"", j->len ? "," : "", key);
	for (; *val; val++) { /* our strings and strerror(): escape just in case */
		if (*val == '"' || *val == '\\')
			j_raw(j, "\\");
		j_raw(j, "%c", (unsigned char)*val < 0x20 ? ' ' : *val);
	}
	j_raw(j, "\"");
}

static void j_int(struct json *j, const char *key, long long val)
{
	j_raw(j, "%s\"%s\":%lld", j->len ? "," : "", key, val);
}

static void j_num(struct json *j, const char *key, double val, int decimals)
{
	j_raw(j, "%s\"%s\":%.*f", j->len ? "," : "", key, decimals, val);
}

static void j_begin(struct json *j, const char *section, const char *variant)
{
	j->len = 0;
	j->buf[0] = 0;
	j_str(j, "section", section);
	j_str(j, "variant", variant);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* median, nearest-rank p99, mean, min, max over every sample (sorts @s) */
static void j_stats(struct json *j, double *s, int n, const char *unit, int decimals)
{
	double sum = 0, median;

	qsort(s, n, sizeof *s, cmp_double);
	for (int i = 0; i < n; i++)
		sum += s[i];
	median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	j_str(j, "unit", unit);
	j_int(j, "n", n);
	j_num(j, "median", median, decimals);
	j_num(j, "p99", s[(int)ceil(0.99 * n) - 1], decimals);
	j_num(j, "mean", sum / n, decimals);
	j_num(j, "min", s[0], decimals);
	j_num(j, "max", s[n - 1], decimals);
}

static void j_emit(struct run *run, struct json *j, const char *error)
{
	if (error) {
		j_str(j, "error", error);
		run->errors++;
	}
	printf("BENCH {%s}\n", j->buf);
	fflush(stdout);
}

/* ---- children --------------------------------------------------------- */

static void close_from(unsigned lo, unsigned hi)
{
	if (lo <= hi)
		syscall(SYS_close_range, lo, hi, 0);
}

/* A long-lived child keeps no fd of ours but @a and @b (or none: -1, -1),
 * so closing a pipe end in the benchmark is seen by whoever reads it. */
static void close_fds_except(int a, int b)
{
	unsigned lo = a < b ? a : b, hi = a < b ? b : a;

	if (a < 0) {
		close_from(3, ~0U);
		return;
	}
	close_from(3, lo - 1);
	close_from(lo + 1, hi - 1);
	close_from(hi + 1, ~0U);
}

/* Background load: a process that sleeps until SIGKILL (ours, or its
 * parent's death), holding nothing. */
static _Noreturn void blocker_main(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close_fds_except(-1, -1);
	for (;;)
		pause();
}

/* What a pid namespace needs before ps inside it shows only itself. */
static int mount_private_proc(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return errno;
	if (mount("proc", "/proc", "proc", 0, NULL) < 0)
		return errno;
	return 0;
}

/* ---- variants and the interleaving engine ----------------------------- */

struct worker;

struct var {
	const char *name, *where;
	int (*batch)(struct var *v, double *out, int count);
	int (*once)(struct var *v); /* batch_local: one timed operation */
	uint64_t flags;		    /* clone3 flags for create variants */
	char *const *argv;	    /* tools */
	const char *root;	    /* tools: chroot here before exec, or NULL */
	int devnull;		    /* tools */
	struct worker *w;	    /* worker variants */
	int op, calls;		    /* worker variants */
	int target, n;		    /* samples wanted, samples taken */
	double *samples;
	int64_t aux, aux2; /* last values the operation reported */
	bool limited;	   /* target cut by the time budget */
	int err;
	char msg[128];
};

/* 0 for a wait status of exit 0, else an error; @errno_code: our own
 * children exit with an errno, a tool's status is described in v->msg. */
static int status_error(struct var *v, int st, bool errno_code)
{
	if (WIFEXITED(st) && (WEXITSTATUS(st) == 0 || errno_code))
		return -WEXITSTATUS(st);
	snprintf(v->msg, sizeof v->msg, WIFEXITED(st) ? "exit status %d" : "killed by signal %d",
		 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return -EIO;
}

static int reap(struct var *v, pid_t pid, bool errno_code)
{
	int st, rc = wait_pid(pid, &st);

	return rc ? rc : status_error(v, st, errno_code);
}

/* In a fresh child: stdio to /dev/null, then @path. */
static _Noreturn void exec_quiet(int devnull, const char *path, char *const argv[])
{
	static char *const env[] = {"PATH=/bin:/sbin:/usr/bin:/usr/sbin", NULL};

	dup2(devnull, 0);
	dup2(devnull, 1);
	dup2(devnull, 2);
	signal(SIGPIPE, SIG_DFL); /* we ignore it; the tools should not */
	execve(path, argv, env);
	_exit(127);
}

static int batch_local(struct var *v, double *out, int count)
{
	for (int i = 0; i < count; i++) {
		double t0 = now_ns();
		int rc = v->once(v);

		out[i] = now_ns() - t0;
		if (rc)
			return rc;
	}
	return 0;
}

static void var_fail(struct var *v, int rc)
{
	v->err = rc ? -rc : EIO;
	if (!v->msg[0])
		snprintf(v->msg, sizeof v->msg, "%s", strerror(v->err));
	say("%s%s%s failed: %s", v->name, v->where ? " in " : "", v->where ? v->where : "", v->msg);
}

/*
 * Run every variant to its target: a few warm-up samples (discarded), then
 * rounds in which each variant takes a batch, the first variant rotating.
 * With @budget_ns, a variant whose warm-up says it would take longer gets
 * fewer samples, but not fewer than @min_n.
 */
static void run_interleaved(struct var *vs, int nv, int batch, double budget_ns, int min_n)
{
	enum { WARM = 3 };
	double scratch[WARM];

	for (int i = 0; i < nv; i++) {
		struct var *v = &vs[i];
		double t0 = now_ns();
		int rc = v->batch(v, scratch, WARM);
		double est = (now_ns() - t0) / WARM;

		v->samples = calloc(v->target, sizeof *v->samples);
		if (!v->samples)
			rc = -ENOMEM;
		if (rc) {
			var_fail(v, rc);
			continue;
		}
		if (budget_ns > 0 && est * v->target > budget_ns) {
			int cut = budget_ns / est;

			v->target = cut > min_n ? cut : min_n;
			v->limited = true;
		}
	}
	for (int round = 0;; round++) {
		bool busy = false;

		for (int j = 0; j < nv; j++) {
			struct var *v = &vs[(round + j) % nv];
			int count = v->target - v->n, rc;

			if (v->err || count <= 0)
				continue;
			count = count < batch ? count : batch;
			rc = v->batch(v, v->samples + v->n, count);
			if (rc) {
				var_fail(v, rc);
				continue;
			}
			v->n += count;
			busy = true;
		}
		if (!busy)
			break;
	}
}

/* Finish a JSON line begun by the caller with the variant's result. */
static void emit_var(struct run *run, struct json *j, struct var *v, const char *unit, int decimals)
{
	if (!v->err && v->n == 0)
		var_fail(v, -ENODATA);
	if (v->err) {
		j_emit(run, j, v->msg);
	} else {
		j_stats(j, v->samples, v->n, unit, decimals);
		if (v->limited)
			j_raw(j, ",\"budget_limited\":true");
		j_emit(run, j, NULL);
	}
	free(v->samples);
	v->samples = NULL;
}

/* ---- pools of blocking processes (background load) -------------------- */

/* Blockers, made by the loader (below) with an array allocated before it. */
struct pool {
	uint64_t flags; /* 0: plain processes; CLONE_NEWINST: instances */
	pid_t *pids;
	int n, cap;
};

static int pool_resize(struct pool *p, int target)
{
	if (target > p->cap)
		return -E2BIG;
	while (p->n < target) {
		pid_t pid = raw_clone3(p->flags, NULL);

		if (pid < 0)
			return -errno;
		if (pid == 0)
			blocker_main();
		p->pids[p->n++] = pid;
	}
	/* Shrink: kill them all first, then reap, so they die in parallel. */
	for (int i = target; i < p->n; i++)
		kill(p->pids[i], SIGKILL);
	for (int i = target; i < p->n; i++) {
		int st;

		wait_pid(p->pids[i], &st);
	}
	if (p->n > target)
		p->n = target;
	return 0;
}

/* ---- sysctls raised for the run and restored -------------------------- */

struct knob {
	const char *path;
	long saved;
	bool changed;
};

static void knob_raise(struct knob *k, long want)
{
	long cur;
	int rc = read_long(k->path, &cur);

	if (rc) {
		say("%s: %s (left alone)", k->path, strerror(-rc));
		return;
	}
	if (cur >= want)
		return;
	rc = write_long(k->path, want);
	if (rc) {
		say("%s: cannot raise %ld to %ld: %s", k->path, cur, want, strerror(-rc));
		return;
	}
	k->saved = cur;
	k->changed = true;
	say("raised %s from %ld to %ld for this section", k->path, cur, want);
}

static void knob_restore(struct knob *k)
{
	if (k->changed && write_long(k->path, k->saved) == 0)
		say("restored %s to %ld", k->path, k->saved);
	k->changed = false;
}

/* Room for @procs processes and @instances instances alive at once. */
static void knobs_raise(struct knob k[3], long procs, long instances)
{
	long pid_max = 2 * (procs + instances) + 4096;

	k[0] = (struct knob){.path = "/proc/sys/kernel/pid_max"};
	k[1] = (struct knob){.path = "/proc/sys/kernel/threads-max"};
	k[2] = (struct knob){.path = MULT_SYSCTL "max_instances"};
	knob_raise(&k[0], pid_max < 4194304 ? pid_max : 4194304);
	knob_raise(&k[1], procs + instances + 4096);
	if (instances && access(MULT_SYSCTL, F_OK) == 0)
		knob_raise(&k[2], instances + INSTANCE_MARGIN);
	else if (instances)
		say(MULT_SYSCTL " is absent: this kernel has no instances");
}

static void knobs_restore(struct knob k[3])
{
	for (int i = 0; i < 3; i++)
		knob_restore(&k[i]);
}

/* ---- workers: measuring processes inside and outside instances -------- */

enum op { OP_GETTID, OP_GETPID, OP_GETPPID, OP_KILL0, OP_PROCSTAT, OP_READDIR, OP_PS };

struct cmd {
	int32_t op, calls, samples;
};

/* ns < 0: failed; -1 with aux = -errno, -2 with aux = a wait status */
struct sample {
	double ns;
	int64_t aux, aux2;
};

struct worker_spec {
	const char *where;
	uint64_t flags;	 /* clone3 flags of the worker (or of its parent) */
	int members;	 /* blocking processes the worker starts beside itself */
	bool nested;	 /* measure from a child of the clone3 child */
	bool mount_proc; /* private mounts and a fresh /proc (pid namespace) */
	struct pool *pools; /* not a worker but the loader: its two pools */
};

struct worker {
	pid_t pid;
	int cmd, res; /* our ends: commands out, samples in */
};

struct dirent64_raw {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* What opendir + readdir + closedir do, without malloc: count entries
 * (@pids of them numeric, i.e. processes). */
static int list_proc(int64_t *entries, int64_t *pids)
{
	char buf[32768] __attribute__((aligned(8)));
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n;

	if (fd < 0)
		return -errno;
	*entries = *pids = 0;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64_raw *d = (struct dirent64_raw *)(buf + off);

			++*entries;
			*pids += d->d_name[0] >= '1' && d->d_name[0] <= '9';
			off += d->d_reclen;
		}
	}
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/* busybox ps, output discarded: fork + exec + wait, from where we stand. */
static int run_ps(int devnull, int64_t *status)
{
	static char *const argv[] = {"ps", NULL};
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		exec_quiet(devnull, "/bin/ps", argv);
	if (wait_pid(pid, &st) < 0)
		return -errno;
	*status = st;
	return 0;
}

static struct sample worker_sample(const struct cmd *c, pid_t self, int devnull)
{
	struct sample s = {0, 0, 0};
	char buf[512];
	double t0 = now_ns();

	for (int i = 0; i < c->calls; i++) {
		long rc = 0;
		int fd;

		switch (c->op) {
		case OP_GETTID: rc = syscall(SYS_gettid); break;
		case OP_GETPID: rc = s.aux = syscall(SYS_getpid); break;
		case OP_GETPPID: rc = s.aux = syscall(SYS_getppid); break;
		case OP_KILL0: rc = kill(self, 0); break;
		case OP_PROCSTAT:
			fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
			rc = fd < 0 ? -1 : read(fd, buf, sizeof buf);
			if (fd >= 0)
				close(fd);
			break;
		case OP_READDIR: rc = list_proc(&s.aux, &s.aux2); break;
		case OP_PS:
			rc = run_ps(devnull, &s.aux);
			if (rc == 0 && s.aux != 0)
				return (struct sample){-2, s.aux, 0};
			break;
		default: errno = EINVAL; rc = -1;
		}
		if (rc < 0)
			return (struct sample){-1, c->op >= OP_READDIR ? rc : -errno, 0};
	}
	s.ns = (now_ns() - t0) / c->calls;
	return s;
}

/* The command loop: until the benchmark closes our command pipe. */
static void worker_serve(int cmdfd, int resfd)
{
	struct sample out[MAX_BATCH];
	struct cmd c;
	pid_t self = syscall(SYS_getpid);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	while (xfer(cmdfd, &c, sizeof c, false) == 0) {
		if (c.samples < 1 || c.samples > MAX_BATCH || c.calls < 1)
			break;
		for (int i = 0; i < c.samples; i++)
			out[i] = worker_sample(&c, self, devnull);
		if (xfer(resfd, out, c.samples * sizeof out[0], true) < 0)
			break;
	}
}

static void end_members(const pid_t *members, int n)
{
	int st;

	for (int i = 0; i < n; i++)
		kill(members[i], SIGKILL);
	for (int i = 0; i < n; i++)
		wait_pid(members[i], &st);
}

/*
 * The loader is the parent of the background load. The blockers live under
 * it, not under the benchmark, so that the benchmark keeps the children
 * list and the address space of an idle process (forked blockers would
 * share its pages) and only the number of processes on the machine changes.
 * Command: int32 {procs, instances}; reply: int32 {0 or -errno, procs,
 * instances now alive}.
 */
static void loader_serve(int cmdfd, int resfd, struct pool pools[2])
{
	int32_t want[2];

	while (xfer(cmdfd, want, sizeof want, false) == 0) {
		int32_t rc = 0, reply[3];

		/* Shrink before growing: the peak is the larger scale, not the sum. */
		for (int i = 0; i < 2 && !rc; i++)
			rc = pool_resize(&pools[i], want[i] < pools[i].n ? want[i] : pools[i].n);
		for (int i = 0; i < 2 && !rc; i++)
			rc = pool_resize(&pools[i], want[i]);
		reply[0] = rc;
		reply[1] = pools[0].n;
		reply[2] = pools[1].n;
		if (xfer(resfd, reply, sizeof reply, true))
			break;
	}
	pool_resize(&pools[0], 0);
	pool_resize(&pools[1], 0);
}

static _Noreturn void worker_main(int cmdfd, int resfd, const struct worker_spec *s)
{
	pid_t members[MAX_MEMBERS];
	int nm = 0, err = 0;
	struct sample hello = {0, 0, 0};

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close_fds_except(cmdfd, resfd);
	if (s->pools) {
		xfer(resfd, &hello, sizeof hello, true);
		loader_serve(cmdfd, resfd, s->pools);
		_exit(0);
	}
	if (s->mount_proc)
		err = mount_private_proc();
	for (; !err && nm < s->members && nm < MAX_MEMBERS; nm++) {
		pid_t pid = fork();

		if (pid < 0)
			err = errno;
		else if (pid == 0)
			blocker_main();
		else
			members[nm] = pid;
		if (pid < 0)
			break;
	}
	if (!err && s->nested) {
		pid_t pid = fork();
		int st;

		if (pid < 0) {
			err = errno;
		} else if (pid > 0) { /* the first process only waits */
			close(cmdfd);
			close(resfd);
			wait_pid(pid, &st);
			end_members(members, nm);
			_exit(0);
		} else {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			nm = 0; /* the members are our parent's */
		}
	}
	hello.aux = -err;
	xfer(resfd, &hello, sizeof hello, true);
	if (!err)
		worker_serve(cmdfd, resfd);
	end_members(members, nm);
	_exit(err ? 1 : 0);
}

static void worker_stop(struct worker *w)
{
	int st;

	if (w->pid <= 0)
		return;
	close(w->cmd); /* end of file: the worker ends its members and exits */
	close(w->res);
	wait_pid(w->pid, &st);
	w->pid = 0;
}

static int worker_start(struct worker *w, const struct worker_spec *s)
{
	int cmd[2], res[2], rc;
	struct sample hello;

	w->pid = 0;
	if (pipe2(cmd, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(res, O_CLOEXEC) < 0) {
		rc = -errno;
		close(cmd[0]);
		close(cmd[1]);
		return rc;
	}
	w->pid = raw_clone3(s->flags, NULL);
	if (w->pid == 0)
		worker_main(cmd[0], res[1], s);
	rc = w->pid < 0 ? -errno : 0;
	close(cmd[0]);
	close(res[1]);
	w->cmd = cmd[1];
	w->res = res[0];
	/* the worker's hello: 0 once it is ready, or -errno */
	rc = rc ? rc : xfer(w->res, &hello, sizeof hello, false);
	if (!rc && hello.aux < 0)
		rc = hello.aux;
	if (rc && w->pid < 0) {
		close(w->cmd);
		close(w->res);
		w->pid = 0;
	} else if (rc) {
		worker_stop(w);
	}
	return rc;
}

static int batch_worker(struct var *v, double *out, int count)
{
	struct cmd c = {v->op, v->calls, count};
	struct sample s[MAX_BATCH];
	int rc;

	if (count > MAX_BATCH)
		return -EINVAL;
	rc = xfer(v->w->cmd, &c, sizeof c, true);
	rc = rc ? rc : xfer(v->w->res, s, count * sizeof s[0], false);
	if (rc)
		return rc;
	for (int i = 0; i < count; i++) {
		if (s[i].ns == -2)
			return status_error(v, s[i].aux, false);
		if (s[i].ns < 0)
			return s[i].aux ? (int)s[i].aux : -EIO;
		out[i] = s[i].ns;
		v->aux = s[i].aux;
		v->aux2 = s[i].aux2;
	}
	return 0;
}

/* A loader with room for @procs processes and @instances instances. */
static int load_start(struct worker *w, int procs, int instances)
{
	struct pool pools[2] = {{.flags = 0, .cap = procs}, {.flags = CLONE_NEWINST, .cap = instances}};
	struct worker_spec s = {.where = "loader", .pools = pools};
	int rc = -ENOMEM;

	pools[0].pids = calloc(procs + 1, sizeof(pid_t));
	pools[1].pids = calloc(instances + 1, sizeof(pid_t));
	if (pools[0].pids && pools[1].pids)
		rc = worker_start(w, &s); /* the loader has its own copy */
	free(pools[0].pids);
	free(pools[1].pids);
	return rc;
}

/* Make the load @procs processes and @instances instances; @have: what is. */
static int load_set(struct worker *w, int procs, int instances, int have[2])
{
	int32_t want[2] = {procs, instances}, reply[3];
	int rc = xfer(w->cmd, want, sizeof want, true);

	rc = rc ? rc : xfer(w->res, reply, sizeof reply, false);
	if (rc)
		return rc;
	have[0] = reply[1];
	have[1] = reply[2];
	return reply[0];
}

/* Start @n workers; report each that cannot start as @section/"all". */
static void start_workers(struct run *run, const char *section, struct worker *w,
			  const struct worker_spec *specs, int n)
{
	for (int i = 0; i < n; i++) {
		struct json j;
		int rc;

		w[i].pid = 0;
		if (run->o.no_instances && (specs[i].flags & CLONE_NEWINST))
			continue;
		rc = worker_start(&w[i], &specs[i]);
		if (!rc)
			continue;
		say("cannot start a worker in %s: %s", specs[i].where, strerror(-rc));
		j_begin(&j, section, "all");
		j_str(&j, "where", specs[i].where);
		j_emit(run, &j, strerror(-rc));
	}
}

/* ---- section create --------------------------------------------------- */

static int once_fork(struct var *v)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return pid < 0 ? -errno : reap(v, pid, true);
}

static int once_vfork(struct var *v)
{
	pid_t pid = vfork();

	if (pid == 0)
		_exit(0);
	return pid < 0 ? -errno : reap(v, pid, true);
}

/* clone3 with v->flags; with CLONE_PIDFD the child is reaped through it. */
static int once_clone3(struct var *v)
{
	int pidfd = -1, rc;
	siginfo_t si;
	pid_t pid = raw_clone3(v->flags, &pidfd);

	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(v->flags & CLONE_NEWNS ? mount_private_proc() : 0);
	if (!(v->flags & CLONE_PIDFD))
		return reap(v, pid, true);
	memset(&si, 0, sizeof si);
	rc = waitid((idtype_t)WAIT_P_PIDFD, pidfd, &si, WEXITED) < 0 ? -errno : 0;
	close(pidfd);
	if (rc)
		return rc;
	return status_error(v, si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status, true);
}

static const struct var create_vars[] = {
	{.name = "fork", .once = once_fork},
	{.name = "vfork", .once = once_vfork},
	{.name = "clone3_pidfd", .once = once_clone3, .flags = CLONE_PIDFD},
	{.name = "clone3_newinst", .once = once_clone3, .flags = CLONE_NEWINST | CLONE_PIDFD},
	{.name = "clone_newpid", .once = once_clone3, .flags = CLONE_NEWPID},
	{.name = "newpid_newns_proc", .once = once_clone3, .flags = CLONE_NEWPID | CLONE_NEWNS},
};
#define N_CREATE (int)(sizeof create_vars / sizeof create_vars[0])

static void section_create(struct run *run)
{
	static const int full[][2] = {{0, 0}, {100, 0}, {1000, 0}, {0, 1000}, {0, 10000}, {1000, 10000}};
	static const int quick[][2] = {{0, 0}, {10, 0}, {0, 100}, {10, 100}};
	const int(*scales)[2] = run->o.quick ? quick : full;
	int nscales = run->o.quick ? 4 : 6, max_i = 0, max_p = 0;
	struct worker load;
	struct knob knobs[3];
	struct json j;
	int rc;

	for (int s = 0; s < nscales && !run->o.no_instances; s++) {
		max_i = scales[s][0] > max_i ? scales[s][0] : max_i;
		max_p = scales[s][1] > max_p ? scales[s][1] : max_p;
	}
	say("section create: create + _exit(0) + reap, %d samples per variant per scale", run->o.iterations);
	knobs_raise(knobs, max_p, max_i + 1);
	rc = load_start(&load, max_p, max_i);
	for (int s = 0; s < nscales; s++) {
		int ni = scales[s][0], np = scales[s][1], have[2] = {0, 0}, nv = 0;
		double t0 = now_ns();
		struct var vs[N_CREATE];

		if (run->o.no_instances && (ni || s))
			continue; /* R9: the idle machine only */
		rc = load.pid > 0 ? load_set(&load, np, ni, have) : rc;
		if (rc) {
			j_begin(&j, "create", "setup");
			j_int(&j, "instances", ni);
			j_int(&j, "procs", np);
			say("cannot set up %d instances and %d processes (have %d and %d): %s", ni, np, have[1],
			    have[0], strerror(-rc));
			j_emit(run, &j, strerror(-rc));
			continue;
		}
		say("scale: %d instances, %d processes set up in %.2f s (from the previous scale)", ni, np,
		    (now_ns() - t0) / 1e9);
		for (int i = 0; i < N_CREATE; i++) {
			if (run->o.no_instances && (create_vars[i].flags & CLONE_NEWINST))
				continue;
			vs[nv] = create_vars[i];
			vs[nv].batch = batch_local;
			vs[nv++].target = run->o.iterations;
		}
		t0 = now_ns();
		run_interleaved(vs, nv, 20, 0, 0);
		say("scale measured in %.1f s", (now_ns() - t0) / 1e9);
		for (int i = 0; i < nv; i++) {
			j_begin(&j, "create", vs[i].name);
			j_int(&j, "instances", ni);
			j_int(&j, "procs", np);
			emit_var(run, &j, &vs[i], "ns", 0);
		}
	}
	worker_stop(&load);
	knobs_restore(knobs);
}

/* ---- section syscalls ------------------------------------------------- */

static void section_syscalls(struct run *run)
{
	static const struct worker_spec specs[] = {
		{.where = "root"},
		{.where = "instance", .flags = CLONE_NEWINST},
		{.where = "instance_child", .flags = CLONE_NEWINST, .nested = true},
	};
	static const struct {
		const char *name;
		int op, calls;
	} ops[] = {
		{"gettid", OP_GETTID, SYSCALL_CALLS},
		{"getpid", OP_GETPID, SYSCALL_CALLS},
		{"getppid", OP_GETPPID, SYSCALL_CALLS},
		{"kill0", OP_KILL0, SYSCALL_CALLS},
		/* a hundred times dearer: fewer calls keep the section short */
		{"proc_self_stat", OP_PROCSTAT, SYSCALL_CALLS / 10},
	};
	enum { NW = 3, NOPS = 5 };
	struct worker w[NW];
	struct var vs[NW * NOPS];
	int nv = 0;

	say("section syscalls: per-call ns, one sample = a batch of calls, %d samples each", run->o.iterations);
	start_workers(run, "syscalls", w, specs, NW);
	memset(vs, 0, sizeof vs);
	for (int i = 0; i < NW; i++) {
		for (int k = 0; w[i].pid > 0 && k < NOPS; k++) {
			vs[nv] = (struct var){.name = ops[k].name, .where = specs[i].where, .batch = batch_worker,
					      .w = &w[i], .op = ops[k].op, .calls = ops[k].calls,
					      .target = run->o.iterations};
			nv++;
		}
	}
	run_interleaved(vs, nv, 10, 0, 0);
	for (int i = 0; i < nv; i++) {
		struct json j;

		j_begin(&j, "syscalls", vs[i].name);
		j_str(&j, "where", vs[i].where);
		j_int(&j, "calls_per_sample", vs[i].calls);
		if (vs[i].op == OP_GETPPID && !vs[i].err)
			j_int(&j, "returned", vs[i].aux);
		emit_var(run, &j, &vs[i], "ns", 1);
	}
	for (int i = 0; i < NW; i++)
		worker_stop(&w[i]);
}

/* ---- section readdir -------------------------------------------------- */

static void section_readdir(struct run *run)
{
	static const struct worker_spec specs[] = {
		{.where = "instance", .flags = CLONE_NEWINST, .members = 9},
		{.where = "root"},
		{.where = "pidns", .flags = CLONE_NEWPID | CLONE_NEWNS, .members = 9, .mount_proc = true},
	};
	static const int full[] = {10, 100, 1000, 10000}, quick[] = {10, 100};
	const int *sizes = run->o.quick ? quick : full;
	int nsizes = run->o.quick ? 2 : 4, target = run->o.iterations / 10;
	enum { NW = 3 };
	struct worker w[NW], load;
	struct knob knobs[3];
	int rc;

	target = target < 50 ? 50 : target;
	say("section readdir: list /proc and run ps; %d samples per variant (fewer, at least 20, where one "
	    "would take over 60 s)",
	    target);
	knobs_raise(knobs, sizes[nsizes - 1] + 100, 2);
	start_workers(run, "readdir", w, specs, NW);
	rc = load_start(&load, sizes[nsizes - 1], 0);
	for (int s = 0; s < nsizes; s++) {
		struct var vs[2 * NW];
		int nv = 0, have[2];
		double t0 = now_ns();
		struct json j;

		rc = load.pid > 0 ? load_set(&load, sizes[s], 0, have) : rc;
		if (rc) {
			say("cannot start %d processes: %s", sizes[s], strerror(-rc));
			j_begin(&j, "readdir", "setup");
			j_int(&j, "n_host", sizes[s]);
			j_emit(run, &j, strerror(-rc));
			continue;
		}
		say("host of %d other processes set up in %.2f s", sizes[s], (now_ns() - t0) / 1e9);
		memset(vs, 0, sizeof vs);
		for (int i = 0; i < NW; i++) {
			for (int op = OP_READDIR; w[i].pid > 0 && op <= OP_PS; op++) {
				vs[nv] = (struct var){.name = op == OP_READDIR ? "readdir" : "ps",
						      .where = specs[i].where, .batch = batch_worker, .w = &w[i],
						      .op = op, .calls = 1, .target = target};
				nv++;
			}
		}
		run_interleaved(vs, nv, 5, 60e9, 20);
		for (int i = 0; i < nv; i++) {
			j_begin(&j, "readdir", vs[i].name);
			j_str(&j, "where", vs[i].where);
			j_int(&j, "n_host", sizes[s]);
			if (vs[i].op == OP_READDIR && !vs[i].err) {
				j_int(&j, "entries", vs[i].aux);
				j_int(&j, "pids", vs[i].aux2);
			}
			emit_var(run, &j, &vs[i], "ns", 0);
		}
	}
	for (int i = 0; i < NW; i++)
		worker_stop(&w[i]);
	worker_stop(&load);
	knobs_restore(knobs);
}

/* ---- section memory --------------------------------------------------- */

struct meminfo {
	long kernel_kb; /* Slab + KernelStack + PageTables */
	long free_kb;
};

static int read_meminfo(struct meminfo *m)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char key[64];
	long kb;

	if (!f)
		return -errno;
	m->kernel_kb = m->free_kb = 0;
	while (fscanf(f, "%63s %ld kB\n", key, &kb) == 2) {
		if (!strcmp(key, "Slab:") || !strcmp(key, "KernelStack:") || !strcmp(key, "PageTables:"))
			m->kernel_kb += kb;
		else if (!strcmp(key, "MemFree:"))
			m->free_kb = kb;
	}
	fclose(f);
	return 0;
}

/* Let freed memory come back: RCU, the instance id's work item, caches. */
static void settle(long instances_before)
{
	int fd;
	long nr;

	sleep(1);
	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "3\n", 2) < 0) {
			/* not fatal: the figures are only noisier */
		}
		close(fd);
	}
	for (int i = 0; i < 50 && read_long(MULT_SYSCTL "nr_instances", &nr) == 0 && nr > instances_before; i++)
		usleep(100000);
}

/*
 * Bytes of kernel memory and of MemFree per member of @count blockers: the
 * reading with them alive against the mean of the readings before and
 * after them, which cancels a steady drift of the counters.
 */
static int measure_load(struct worker *load, bool instances, int count, long nr_before, double *kernel,
			double *freed)
{
	struct meminfo a, b, c;
	int rc, have[2];

	settle(nr_before);
	rc = read_meminfo(&a);
	rc = rc ? rc : load_set(load, instances ? 0 : count, instances ? count : 0, have);
	if (!rc) {
		sleep(1); /* every child has run to pause() */
		rc = read_meminfo(&b);
	}
	if (load_set(load, 0, 0, have) && !rc)
		rc = -EIO;
	settle(nr_before);
	rc = rc ? rc : read_meminfo(&c);
	if (rc)
		return rc;
	*kernel = (b.kernel_kb - (a.kernel_kb + c.kernel_kb) / 2.0) * 1024 / count;
	*freed = ((a.free_kb + c.free_kb) / 2.0 - b.free_kb) * 1024 / count;
	return 0;
}

static void section_memory(struct run *run)
{
	enum { REPS = 3 };
	/* rows: [kind] per process, per instance, difference; kernel then MemFree */
	static const char *names[] = {"process_kernel", "instance_kernel", "instance_minus_process_kernel",
				      "process_memfree", "instance_memfree", "instance_minus_process_memfree"};
	int count = run->o.quick ? 100 : 1000, err[2] = {0, 0};
	double r[6][REPS] = {{0}};
	long nr_before = 0;
	struct knob knobs[3];
	struct worker load;

	if (run->o.no_instances) {
		say("section memory: skipped (--no-instances: it measures instances)");
		return;
	}

	say("section memory: /proc/meminfo before and with %d blocking processes, then %d instances, %d times, "
	    "alternating which goes first; an estimate (other activity moves these counters too)",
	    count, count, REPS);
	knobs_raise(knobs, count + 100, count + 1);
	read_long(MULT_SYSCTL "nr_instances", &nr_before);
	err[0] = err[1] = -load_start(&load, count, count);
	for (int rep = 0; rep < REPS; rep++) {
		for (int k = 0; k < 2; k++) {
			int inst = (rep + k) % 2;

			if (!err[inst])
				err[inst] = -measure_load(&load, inst, count, nr_before, &r[inst][rep],
							  &r[3 + inst][rep]);
		}
		r[2][rep] = r[1][rep] - r[0][rep];
		r[5][rep] = r[4][rep] - r[3][rep];
		if (!err[0] || !err[1])
			say("memory round %d: kernel memory per process %.0f B, per instance %.0f B%s", rep + 1,
			    r[0][rep], r[1][rep], err[0] || err[1] ? " (one of them failed)" : "");
	}
	for (int i = 0; i < 6; i++) {
		int e = i % 3 == 2 ? (err[0] ? err[0] : err[1]) : err[i % 3];
		struct json j;

		j_begin(&j, "memory", names[i]);
		j_int(&j, "count", count);
		if (!e)
			j_stats(&j, r[i], REPS, "bytes", 0);
		j_emit(run, &j, e ? strerror(e) : NULL);
	}
	worker_stop(&load);
	knobs_restore(knobs);
}

/* ---- section tools ---------------------------------------------------- */

/* Only orphans of the tools are our children now: reap them (up to 5 s). */
static void reap_orphans(void)
{
	int n = 0, rc;

	for (int i = 0; i < 500; i++) {
		while ((rc = waitpid(-1, NULL, WNOHANG)) > 0)
			n++;
		if (rc < 0)
			break;
		usleep(10000);
	}
	if (n)
		say("reaped %d orphaned process(es) the tools left behind", n);
}

static int once_spawn(struct var *v)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (v->root && (chroot(v->root) || chdir("/")))
			_exit(126);
		exec_quiet(v->devnull, v->argv[0], v->argv);
	}
	return reap(v, pid, false);
}

/*
 * bwrap pivot_root()s into a new root, which the kernel refuses while the
 * current root is the initramfs (rootfs has no parent mount: EINVAL). A
 * recursive bind mount of / has one; bwrap runs chrooted there, at the
 * cost of one chroot() per run. NULL if / can be used as it is or the
 * bind mount fails (bwrap then reports its own error).
 */
static const char *tools_root(void)
{
	static const char dir[] = "/run/mult-bench-root";
	struct statfs st;

	if (statfs("/", &st) || (st.f_type != RAMFS_MAGIC && st.f_type != TMPFS_MAGIC))
		return NULL;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return NULL;
	if (mount("/", dir, NULL, MS_BIND | MS_REC, NULL)) {
		say("cannot bind-mount / for bwrap: %s", strerror(errno));
		return NULL;
	}
	say("bwrap runs chrooted in %s, a bind mount of the initramfs root (pivot_root refuses rootfs)", dir);
	return dir;
}

static void section_tools(struct run *run)
{
	static char *const true_argv[] = {"/bin/true", NULL};
	static char *const instfork_argv[] = {"/usr/bin/instfork", "--", "/bin/true", NULL};
	static char *const unshare_argv[] = {"/usr/bin/unshare", "-fp", "--mount-proc", "/bin/true", NULL};
	static char *const bwrap_argv[] = {"/usr/bin/bwrap", "--unshare-pid", "--dev-bind", "/", "/", "/bin/true",
					   NULL};
	static const struct var table[] = {
		{.name = "true", .argv = true_argv},
		{.name = "instfork", .argv = instfork_argv},
		{.name = "unshare", .argv = unshare_argv},
		{.name = "bwrap", .argv = bwrap_argv},
	};
	enum { NT = 4 };
	struct var vs[NT];
	int nv = 0, target = run->o.iterations / 4, devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	const char *root = access(bwrap_argv[0], X_OK) == 0 ? tools_root() : NULL;

	target = target < 50 ? 50 : target;
	say("section tools: fork + exec + wait, output to /dev/null, exit status 0 required, %d samples each",
	    target);
	for (int i = 0; i < NT; i++) {
		struct json j;
		int err;

		if (run->o.no_instances && table[i].argv == instfork_argv)
			continue;
		if (devnull >= 0 && access(table[i].argv[0], X_OK) == 0) {
			vs[nv] = table[i];
			vs[nv].once = once_spawn;
			vs[nv].batch = batch_local;
			vs[nv].devnull = devnull;
			vs[nv].root = table[i].argv == bwrap_argv ? root : NULL;
			vs[nv++].target = target;
			continue;
		}
		err = devnull < 0 ? EBADF : errno;
		j_begin(&j, "tools", table[i].name);
		say("%s: %s", table[i].argv[0], strerror(err));
		j_emit(run, &j, strerror(err));
	}
	/* bwrap's outer process may exit before its pid-1 child is reaped:
	 * have such orphans come to us, so that nothing is left behind. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	run_interleaved(vs, nv, 10, 0, 0);
	for (int i = 0; i < nv; i++) {
		struct json j;

		j_begin(&j, "tools", vs[i].name);
		emit_var(run, &j, &vs[i], "ns", 0);
	}
	if (devnull >= 0)
		close(devnull);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	reap_orphans();
	if (root)
		umount2(root, MNT_DETACH);
}

/* ---- main ------------------------------------------------------------- */

static const struct {
	const char *name;
	void (*fn)(struct run *);
} sections[] = {
	{"create", section_create}, {"syscalls", section_syscalls}, {"readdir", section_readdir},
	{"memory", section_memory}, {"tools", section_tools},
};
#define N_SECTIONS (int)(sizeof sections / sizeof sections[0])

static void usage(FILE *f)
{
	fprintf(f, "usage: mult_bench [--iterations N] [--quick] [--no-instances] [--section NAME]... [--help]\n"
		   "  --iterations N  samples per variant per configuration (default 2000)\n"
		   "  --quick         200 samples, small scales: a smoke test\n"
		   "  --no-instances  create no instance (R9 runs, and kernels without mult): fork variants\n"
		   "                  on the idle machine, root-instance syscalls and /proc, no memory section\n"
		   "  --section NAME  run only this section (repeatable): create syscalls readdir memory tools\n"
		   "Output: 'BENCH {json}' per measurement, '# ' progress lines. Run as root.\n");
}

/* -1 to run, else the exit status (--help: 0, a bad command line: 2). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"iterations", required_argument, NULL, 'i'}, {"quick", no_argument, NULL, 'q'},
		{"section", required_argument, NULL, 's'},    {"help", no_argument, NULL, 'h'},
		{"no-instances", no_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	int c, k, iterations = 0;
	char *end;

	*o = (struct opts){.iterations = 2000};
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		} else if (c == 'q') {
			o->quick = true;
		} else if (c == 'n') {
			o->no_instances = true;
		} else if (c == 'i') {
			errno = 0;
			iterations = strtol(optarg, &end, 10);
			if (errno || *end || iterations < 1 || iterations > 10000000) {
				fprintf(stderr, "mult_bench: --iterations wants a positive number, not '%s'\n", optarg);
				return 2;
			}
		} else if (c == 's') {
			for (k = 0; k < N_SECTIONS && strcmp(sections[k].name, optarg); k++)
				;
			if (k == N_SECTIONS) {
				fprintf(stderr, "mult_bench: unknown section '%s'\n", optarg);
				usage(stderr);
				return 2;
			}
			o->sections |= 1u << k;
		} else {
			fprintf(stderr, "mult_bench: unknown option or missing argument: '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mult_bench: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	o->iterations = iterations ? iterations : o->quick ? 200 : 2000; /* an explicit count wins */
	return -1;
}

int main(int argc, char **argv)
{
	struct run run = {.errors = 0};
	struct utsname u;
	double t0 = now_ns();
	int rc = parse_opts(argc, argv, &run.o), left = 0;

	if (rc >= 0)
		return rc;
	signal(SIGPIPE, SIG_IGN); /* a dead worker is an error line, not our end */
	if (uname(&u) < 0)
		memset(&u, 0, sizeof u);
	say("mult_bench: kernel %s %s, %ld CPUs online, %d samples per variant%s", u.release, u.version,
	    sysconf(_SC_NPROCESSORS_ONLN), run.o.iterations, run.o.quick ? ", quick scales" : "");
	say("method: CLOCK_MONOTONIC; variants interleaved in batches, first variant rotating each round; "
	    "3 warm-up samples per variant discarded; median, nearest-rank p99, mean, min, max over all samples");
	if (geteuid() != 0)
		say("not root: most variants will fail");
	for (int k = 0; k < N_SECTIONS; k++) {
		double ts = now_ns();

		if (run.o.sections && !(run.o.sections & (1u << k)))
			continue;
		sections[k].fn(&run);
		say("section %s done in %.1f s", sections[k].name, (now_ns() - ts) / 1e9);
	}
	/* Leave nothing behind: every child must have been reaped already. */
	while ((rc = waitpid(-1, NULL, WNOHANG)) > 0)
		left++;
	if (left || rc == 0)
		say("warning: %d exited children were not reaped%s", left, rc == 0 ? "; some still run" : "");
	say("done in %.1f s, %d error line(s)", (now_ns() - t0) / 1e9, run.errors);
	return run.errors ? 1 : 0;
}
