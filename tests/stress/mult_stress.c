// SPDX-License-Identifier: GPL-2.0
/*
 * mult_stress: the small tools of the stress stage (tests/stress/stress.sh).
 *
 *   canary-tree DIR        outside any instance: start two trees of three
 *                          processes (one root, one uid 65534, so an
 *                          unprivileged fuzzer inside could signal it if the
 *                          boundary leaked) that log every signal they get,
 *                          with its sender, to DIR/signals; pids in DIR/pids
 *   observer DIR           outside: every 100 ms, check that each canary is
 *                          alive and neither stopped nor a zombie; problems
 *                          go to DIR/violations, the round count to
 *                          DIR/rounds
 *   canary-probe DIR SECS  inside an instance: for SECS seconds, look for the
 *                          canaries by every lookup a member has (kill 0,
 *                          /proc/PID, pidfd_open, getpgid, getsid, a /proc
 *                          readdir); any success is a leak (exit 1)
 *   canary-check DIR       outside: canaries alive and running, no signal
 *                          logged, no observer violation, observer alive
 *   forkbomb HOLD          fork until fork fails, print how many processes
 *                          and the errno, hold them HOLD seconds, exit
 *   forkn N                fork N children at once (each waits), then reap
 *                          them; exit 1 if a fork failed (the host's check
 *                          that it can still create processes)
 *   runas UID CMD...       drop to UID (groups too) and exec CMD
 *   limits                 max_instances and max_depth reached, then
 *                          recovered (the old values written back)
 *   ipc-clean              remove every SysV shm segment, message queue and
 *                          semaphore set; print how many of each
 */
#include <dirent.h>
#include <grp.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include "stress_util.h"

#define MAX_CANARIES 6
#define CANARY_UID 65534

static int log_fd = -1;

/* Async-signal-safe: one write() of "pid sig sender uid". */
static void canary_handler(int sig, siginfo_t *si, void *ctx)
{
	char buf[96];
	int n;

	(void)ctx;
	n = snprintf(buf, sizeof(buf), "%d got signal %d from pid %d uid %d code %d\n",
		     getpid(), sig, si->si_pid, si->si_uid, si->si_code);
	if (n > 0)
		(void)!write(log_fd, buf, n);
}

static void canary_loop(void)
{
	struct sigaction sa = { .sa_sigaction = canary_handler,
				.sa_flags = SA_SIGINFO | SA_RESTART };

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	prctl(PR_SET_NAME, "mult-canary");
	for (;;)
		pause();
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok ? 0 : -1;
}

static int read_pids(const char *dir, pid_t *pids)
{
	char path[256];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/pids", dir);
	f = fopen(path, "re");
	if (!f) {
		perror(path);
		return -1;
	}
	while (n < MAX_CANARIES && fscanf(f, "%d", &pids[n]) == 1)
		n++;
	fclose(f);
	return n;
}

/*
 * One tree: a parent and two children, all canaries. The pipe carries the
 * three pids back to the starter.
 */
static void canary_tree(uid_t uid, int report)
{
	pid_t me = getpid();

	/*
	 * A fuzzer that exhausts memory must not make the OOM killer end a
	 * canary: that would read as a leak across the boundary.
	 */
	write_file("/proc/self/oom_score_adj", "-1000");
	if (uid && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
		_exit(3);
	for (int i = 0; i < 2; i++) {
		pid_t c = fork();

		if (c < 0)
			_exit(3);
		if (!c) {
			me = getpid();
			(void)!write(report, &me, sizeof(me));
			close(report);
			canary_loop();
		}
	}
	(void)!write(report, &me, sizeof(me));
	close(report);
	canary_loop();
}

static int cmd_canary_tree(const char *dir)
{
	char path[256], text[256] = "";
	pid_t pids[MAX_CANARIES];
	int p[2], n = 0;

	snprintf(path, sizeof(path), "%s/signals", dir);
	log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0666);
	if (log_fd < 0 || pipe(p)) {
		perror(path);
		return 2;
	}
	for (int t = 0; t < 2; t++) {
		pid_t c = fork();

		if (c < 0)
			return 2;
		if (!c) {
			close(p[0]);
			/* Out of the caller's session: the plan's timeout kills its group. */
			setsid();
			canary_tree(t ? CANARY_UID : 0, p[1]);
		}
	}
	close(p[1]);
	while (n < MAX_CANARIES && read(p[0], &pids[n], sizeof(pid_t)) == sizeof(pid_t))
		n++;
	if (n != MAX_CANARIES) {
		fprintf(stderr, "canary-tree: %d of %d canaries started\n", n, MAX_CANARIES);
		return 2;
	}
	for (int i = 0; i < n; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%d\n", pids[i]);
	snprintf(path, sizeof(path), "%s/pids", dir);
	if (write_file(path, text))
		return 2;
	printf("canary: %d processes (3 as root, 3 as uid %d):", n, CANARY_UID);
	for (int i = 0; i < n; i++)
		printf(" %d", pids[i]);
	printf("\n");
	/* The trees' parents are our children: leave them to init. */
	return 0;
}

/* The state letter of /proc/PID/stat, 0 if it is gone. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : 0;
}

static int cmd_observer(const char *dir)
{
	char path[256], vpath[256], rpath[256];
	pid_t pids[MAX_CANARIES];
	unsigned long rounds = 0;
	int n, vfd;

	n = read_pids(dir, pids);
	if (n <= 0)
		return 2;
	snprintf(vpath, sizeof(vpath), "%s/violations", dir);
	snprintf(rpath, sizeof(rpath), "%s/rounds", dir);
	vfd = open(vpath, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0644);
	if (vfd < 0)
		return 2;
	if (fork())
		return 0;	/* the observer runs on as a daemon */
	setsid();
	write_file("/proc/self/oom_score_adj", "-1000");
	prctl(PR_SET_NAME, "mult-observer");
	for (;;) {
		for (int i = 0; i < n; i++) {
			char s = proc_state(pids[i]);

			if (!s || s == 'T' || s == 't' || s == 'Z' || s == 'X') {
				snprintf(path, sizeof(path), "round %lu: canary %d is %s\n",
					 rounds, pids[i], s ? (s == 'Z' || s == 'X' ?
					 "dead (zombie)" : "stopped") : "gone");
				(void)!write(vfd, path, strlen(path));
			}
		}
		snprintf(path, sizeof(path), "%lu\n", ++rounds);
		write_file(rpath, path);
		sleep_ms(100);
	}
}

static int cmd_canary_probe(const char *dir, int secs)
{
	pid_t pids[MAX_CANARIES];
	unsigned long probes = 0, leaks = 0;
	long end = now_ms() + secs * 1000L;
	int n = read_pids(dir, pids);

	if (n <= 0)
		return 2;
	do {
		for (int i = 0; i < n; i++) {
			pid_t pid = pids[i];
			char path[64];
			int fd;

			probes += 6;
			if (!kill(pid, 0) || errno != ESRCH) {
				printf("LEAK: kill(%d, 0) = %s\n", pid, strerror(errno));
				leaks++;
			}
			snprintf(path, sizeof(path), "/proc/%d", pid);
			if (!access(path, F_OK)) {
				printf("LEAK: %s exists\n", path);
				leaks++;
			}
			fd = sys_pidfd_open(pid);
			if (fd >= 0 || errno != ESRCH) {
				printf("LEAK: pidfd_open(%d) = %d (%s)\n", pid, fd, strerror(errno));
				leaks++;
				if (fd >= 0)
					close(fd);
			}
			if (getpgid(pid) >= 0) {
				printf("LEAK: getpgid(%d) succeeded\n", pid);
				leaks++;
			}
			if (getsid(pid) >= 0) {
				printf("LEAK: getsid(%d) succeeded\n", pid);
				leaks++;
			}
			/* A signal that would reach it must not: the canary logs it. */
			if (!kill(pid, SIGUSR1)) {
				printf("LEAK: kill(%d, SIGUSR1) succeeded\n", pid);
				leaks++;
			}
		}
		{
			DIR *d = opendir("/proc");
			struct dirent *e;

			while (d && (e = readdir(d))) {
				pid_t p = atoi(e->d_name);

				for (int i = 0; p && i < n; i++)
					if (p == pids[i]) {
						printf("LEAK: /proc lists %d\n", p);
						leaks++;
					}
			}
			if (d)
				closedir(d);
			probes++;
		}
		sleep_ms(50);
	} while (now_ms() < end);
	printf("canary-probe: %lu probes from inside (uid %d), %lu leaks\n", probes, getuid(), leaks);
	return leaks ? 1 : 0;
}

static int cmd_canary_check(const char *dir)
{
	char path[256], line[256];
	pid_t pids[MAX_CANARIES];
	int n = read_pids(dir, pids), bad = 0;
	unsigned long rounds = 0;
	FILE *f;

	if (n <= 0)
		return 2;
	for (int i = 0; i < n; i++) {
		char s = proc_state(pids[i]);

		if (!s || s == 'T' || s == 't' || s == 'Z' || s == 'X') {
			printf("canary %d: state %c\n", pids[i], s ? s : '-');
			bad++;
		}
	}
	snprintf(path, sizeof(path), "%s/signals", dir);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		printf("canary signalled: %s", line);
		bad++;
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/violations", dir);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		printf("observer: %s", line);
		bad++;
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/rounds", dir);
	f = fopen(path, "re");
	if (!f || fscanf(f, "%lu", &rounds) != 1 || !rounds) {
		printf("observer: no rounds recorded (not running?)\n");
		bad++;
	}
	if (f)
		fclose(f);
	printf("canary: %d processes alive and running, observer at round %lu, %d problem(s)\n",
	       n, rounds, bad);
	return bad ? 1 : 0;
}

static int cmd_forkbomb(int hold)
{
	long count = 1, start = now_ms();
	int err = 0;

	/*
	 * One forker, children that only wait: the number of processes is the
	 * measure, and the first process's exit ends the instance (and them).
	 */
	for (;;) {
		pid_t c = fork();

		if (c < 0) {
			err = errno;
			if (err == EINTR)
				continue;
			break;
		}
		if (!c) {
			for (;;)
				pause();
		}
		count++;
	}
	printf("forkbomb: %ld processes in %ld ms, then fork: %s\n", count,
	       now_ms() - start, strerror(err));
	fflush(stdout);
	sleep(hold);
	return err == EAGAIN ? 0 : 1;
}

static int cmd_forkn(int n)
{
	pid_t *kids = calloc(n, sizeof(pid_t));
	int p[2], made = 0, err = 0;

	if (!kids || pipe(p))
		return 2;
	for (; made < n; made++) {
		char c;

		kids[made] = fork();
		if (kids[made] < 0) {
			err = errno;
			break;
		}
		if (!kids[made]) {
			close(p[1]);
			_exit(read(p[0], &c, 1) == 0 ? 0 : 1);
		}
	}
	close(p[1]);	/* EOF releases the children */
	for (int i = 0; i < made; i++)
		reap(kids[i]);
	printf("forkn: %d of %d processes created%s%s\n", made, n, err ? ", then fork: " : "",
	       err ? strerror(err) : "");
	return made == n ? 0 : 1;
}

static int cmd_runas(uid_t uid, char **argv)
{
	if (setgroups(0, NULL) || setgid(uid) || setuid(uid)) {
		perror("runas");
		return 125;
	}
	execvp(argv[0], argv);
	perror(argv[0]);
	return 127;
}

/* Create instances whose first process waits for EOF on @p; 0 or errno. */
static int hold_instance(int p[2], pid_t *pid)
{
	*pid = clone3_flags(CLONE_NEWINST, NULL);
	if (*pid < 0)
		return errno;
	if (!*pid) {
		char c;

		close(p[1]);
		_exit(read(p[0], &c, 1) == 0 ? 0 : 1);
	}
	return 0;
}

/*
 * Create an instance at @depth (the caller is at @depth - 1), then from
 * inside it the next one down; 0 if creation succeeded down to @max_depth
 * and failed with EUSERS exactly one level below.
 */
static int nest(int depth, int max_depth)
{
	pid_t c = clone3_flags(CLONE_NEWINST, NULL);
	int status;

	if (c < 0) {
		if (errno == EUSERS && depth == max_depth + 1)
			return 0;
		printf("limits: clone3 at depth %d (max_depth %d): %s\n", depth,
		       max_depth, strerror(errno));
		return 1;
	}
	if (!c)
		_exit(nest(depth + 1, max_depth));
	status = reap(c);
	if (depth > max_depth) {
		printf("limits: an instance at depth %d exists (max_depth %d)\n", depth, max_depth);
		return 1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int wait_nr(long want, int ms)
{
	long end = now_ms() + ms;

	while (sysctl_read("nr_instances") != want && now_ms() < end)
		sleep_ms(20);
	return sysctl_read("nr_instances") == want ? 0 : -1;
}

static int cmd_limits(void)
{
	long max_inst = sysctl_read("max_instances"), max_depth = sysctl_read("max_depth");
	long base = sysctl_read("nr_instances");
	pid_t pids[8];
	int p[2], bad = 0, made = 0, err = 0, rounds;

	if (max_inst < 0 || max_depth < 0 || base < 0 || pipe(p)) {
		printf("limits: no mult sysctls\n");
		return 2;
	}
	/* max_instances: room for exactly 4 more, three rounds of fill and drain. */
	for (rounds = 0; rounds < 3; rounds++) {
		if (sysctl_write("max_instances", base + 4)) {
			printf("limits: cannot write max_instances\n");
			return 2;
		}
		if (rounds && pipe(p))
			return 2;
		for (made = 0; made < 8; made++) {
			err = hold_instance(p, &pids[made]);
			if (err)
				break;
		}
		if (made != 4 || err != ENOSPC) {
			printf("limits: max_instances %ld: %d created, then %s (want 4, ENOSPC)\n",
			       base + 4, made, strerror(err));
			bad++;
		}
		close(p[0]);
		close(p[1]);	/* the held first processes exit, their instances end */
		for (int i = 0; i < made; i++)
			reap(pids[i]);
		if (wait_nr(base, 30000)) {
			printf("limits: nr_instances %ld after draining, want %ld\n",
			       sysctl_read("nr_instances"), base);
			bad++;
		}
	}
	sysctl_write("max_instances", max_inst);
	/* Recovered: one more instance comes and goes. */
	if (pipe(p) || hold_instance(p, &pids[0])) {
		printf("limits: no instance after restoring max_instances: %s\n", strerror(errno));
		bad++;
	} else {
		close(p[0]);
		close(p[1]);
		reap(pids[0]);
	}
	printf("limits: max_instances reached and drained %d times\n", rounds);

	/* max_depth: 3, then the original; EUSERS exactly one level down. */
	for (long d = 3; d <= 4; d++) {
		if (sysctl_write("max_depth", d)) {
			printf("limits: cannot write max_depth\n");
			bad++;
			break;
		}
		if (nest(1, d))
			bad++;
		else
			printf("limits: max_depth %ld: %ld nested instances, then EUSERS\n", d, d);
	}
	sysctl_write("max_depth", max_depth);
	if (wait_nr(base, 30000)) {
		printf("limits: nr_instances %ld at the end, want %ld\n",
		       sysctl_read("nr_instances"), base);
		bad++;
	}
	return bad ? 1 : 0;
}

static int cmd_ipc_clean(void)
{
	int shm = 0, msg = 0, sem = 0;
	char line[512];
	FILE *f;

	/* /proc/sysvipc lists every object with its id in the second column. */
	f = fopen("/proc/sysvipc/shm", "re");
	while (f && fgets(line, sizeof(line), f)) {
		int key, id;

		if (sscanf(line, "%d %d", &key, &id) == 2 && !shmctl(id, IPC_RMID, NULL))
			shm++;
	}
	if (f)
		fclose(f);
	f = fopen("/proc/sysvipc/msg", "re");
	while (f && fgets(line, sizeof(line), f)) {
		int key, id;

		if (sscanf(line, "%d %d", &key, &id) == 2 && !msgctl(id, IPC_RMID, NULL))
			msg++;
	}
	if (f)
		fclose(f);
	f = fopen("/proc/sysvipc/sem", "re");
	while (f && fgets(line, sizeof(line), f)) {
		int key, id;

		if (sscanf(line, "%d %d", &key, &id) == 2 && !semctl(id, 0, IPC_RMID))
			sem++;
	}
	if (f)
		fclose(f);
	printf("ipc-clean: removed %d shm segments, %d message queues, %d semaphore sets\n",
	       shm, msg, sem);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: mult_stress canary-tree DIR | observer DIR | canary-probe DIR SECS |\n"
			"       canary-check DIR | forkbomb HOLD | forkn N | runas UID CMD... |\n"
			"       limits | ipc-clean\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "canary-tree") && argc == 3)
		return cmd_canary_tree(argv[2]);
	if (!strcmp(cmd, "observer") && argc == 3)
		return cmd_observer(argv[2]);
	if (!strcmp(cmd, "canary-probe") && argc == 4)
		return cmd_canary_probe(argv[2], atoi(argv[3]));
	if (!strcmp(cmd, "canary-check") && argc == 3)
		return cmd_canary_check(argv[2]);
	if (!strcmp(cmd, "forkbomb") && argc == 3)
		return cmd_forkbomb(atoi(argv[2]));
	if (!strcmp(cmd, "forkn") && argc == 3)
		return cmd_forkn(atoi(argv[2]));
	if (!strcmp(cmd, "runas") && argc >= 4)
		return cmd_runas(atoi(argv[2]), argv + 3);
	if (!strcmp(cmd, "limits") && argc == 2)
		return cmd_limits();
	if (!strcmp(cmd, "ipc-clean") && argc == 2)
		return cmd_ipc_clean();
	return usage();
}
