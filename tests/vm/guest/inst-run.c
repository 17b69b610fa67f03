// SPDX-License-Identifier: GPL-2.0
/*
 * inst-run: run a command as the first process of a new mult instance and
 * exit with its status. The guest test runner uses it to run the kernel's
 * regression suites inside an instance; it is deliberately tiny and has no
 * options (instfork is the user-facing tool).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWINST
#define CLONE_NEWINST 0x400000000ULL
#endif

int main(int argc, char **argv)
{
	struct clone_args args = {
		.flags = CLONE_NEWINST,
		.exit_signal = SIGCHLD,
	};
	int status;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: inst-run CMD [ARGS...]\n");
		return 2;
	}
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0) {
		fprintf(stderr, "inst-run: clone3(CLONE_NEWINST): %s\n", strerror(errno));
		return 125;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "inst-run: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("inst-run: waitpid");
		return 125;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
