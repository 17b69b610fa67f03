// SPDX-License-Identifier: GPL-2.0-only
//
// instfork(): fork into a new instance.
//
// An instance is a process tree isolated from every other one (design §1).
// It is created by clone3() with CLONE_NEWINST; libmult always adds
// CLONE_PIDFD so the creator holds a race-free handle on the instance's first
// process, the only process of the instance it can see (design R1).
#pragma once

#include <csignal>
#include <cstdint>
#include <sys/types.h>

#include "mult/error.hpp"
#include "mult/unique_fd.hpp"

namespace mult {

// clone3() flag of the mult kernel ABI (design §3). clone3 only: the bit does
// not fit the legacy clone() flags word.
inline constexpr std::uint64_t kCloneNewInst = 0x400000000ULL;

struct InstforkOptions {
    // Further clone3 flags (e.g. CLONE_INTO_CGROUP, CLONE_CLEAR_SIGHAND).
    // The kernel refuses combinations that would share state across the
    // boundary (CLONE_THREAD, CLONE_SIGHAND, CLONE_PARENT, CLONE_FILES,
    // CLONE_PTRACE, CLONE_VM without CLONE_VFORK) with EINVAL.
    std::uint64_t extra_flags = 0;
    // Signal the parent receives when the child exits.
    int exit_signal = SIGCHLD;
    // Cgroup directory fd for CLONE_INTO_CGROUP, -1 otherwise.
    int cgroup_fd = -1;
    // Refuse (EINVAL, or ENOENT when /proc is missing) unless
    // /proc/sys/kernel/mult proves the kernel knows CLONE_NEWINST. Without
    // this check a kernel that assigned bit 34 to some other flag would
    // "succeed" and run the child in no instance at all. Turn it off only
    // where /proc is not mounted and the kernel is known to be patched.
    bool check_support = true;
};

// Result of a successful instfork(), in both processes.
struct Child {
    pid_t pid = 0;   // the child's pid in the parent; 0 in the child
    UniqueFd pidfd;  // the parent's pidfd on the child; invalid in the child

    [[nodiscard]] bool in_child() const noexcept { return pid == 0; }
};

// Like fork(), but the child starts a new instance: returns twice on success.
// On failure, Error::code is the errno: EINVAL (no mult in this kernel, or a
// bad flag combination), EPERM (no CAP_SYS_ADMIN in the initial user
// namespace), EUSERS (kernel.mult.max_depth), ENOSPC (kernel.mult.max_instances),
// or the usual fork errors. describe_instfork_error() explains each.
//
// The child comes from a raw clone3() syscall, so glibc's fork bookkeeping
// has not run in it: pthread_atfork handlers are skipped and glibc's cached
// thread id is the parent's (raise(), abort() and pthread_kill() would target
// the parent). Treat the child like a vfork child: async-signal-safe calls
// only, then execve() or _exit().
[[nodiscard]] Result<Child> instfork(const InstforkOptions& options = {});

namespace detail {

// The clone3() call behind instfork(), without CLONE_NEWINST and without the
// support check: `flags | CLONE_PIDFD`. Exposed so the host tests can check
// the clone_args layout and the pidfd plumbing on an unpatched kernel.
[[nodiscard]] Result<Child> clone3_with_pidfd(std::uint64_t flags, int exit_signal, int cgroup_fd);

}  // namespace detail

}  // namespace mult
