// SPDX-License-Identifier: GPL-2.0-only
//
// File-descriptor helpers used around instance creation.
//
// A new instance must start with only the fds its creator chose (design R5),
// so the child closes everything else between clone3() and execve(). That
// window has the same constraints as the child of fork() in a threaded
// program: no allocation, no locks, only async-signal-safe calls. Functions in
// mult::async_safe honour that and report errors as plain errno values; the
// Result-returning wrappers are for ordinary code.
#pragma once

#include <span>

#include "mult/error.hpp"
#include "mult/unique_fd.hpp"

namespace mult {

struct Pipe {
    UniqueFd read;
    UniqueFd write;
};

// pipe2(); O_CLOEXEC unless told otherwise.
[[nodiscard]] Result<Pipe> make_pipe(int flags);
[[nodiscard]] Result<Pipe> make_pipe();

// True when `fd` refers to an open file description of this process.
[[nodiscard]] bool fd_is_open(int fd) noexcept;

// Sets or clears FD_CLOEXEC.
[[nodiscard]] Result<void> set_cloexec(int fd, bool on);

// Closes every fd of the calling process except those listed in `keep`
// (negative entries and duplicates are ignored; order does not matter).
[[nodiscard]] Result<void> close_fds_except(std::span<const int> keep);

namespace async_safe {

// The async-signal-safe, allocation-free versions. Return 0 or an errno value.
//
// close_fds_except() uses close_range(2) (Linux 5.9+). Where that is missing
// (ENOSYS) or filtered by seccomp (EPERM), it walks /proc/self/fd with raw
// getdents64 into a stack buffer, and without /proc it closes every number up
// to the RLIMIT_NOFILE soft limit.
[[nodiscard]] int close_fds_except(std::span<const int> keep) noexcept;
[[nodiscard]] int set_cloexec(int fd, bool on) noexcept;

}  // namespace async_safe

namespace detail {

// The three strategies behind async_safe::close_fds_except(), exposed so the
// host tests can exercise each one (the fallbacks never run on a modern host
// otherwise). Same contract: 0 or an errno value.
[[nodiscard]] int close_fds_except_close_range(std::span<const int> keep) noexcept;
[[nodiscard]] int close_fds_except_procfs(std::span<const int> keep) noexcept;
[[nodiscard]] int close_fds_except_bruteforce(std::span<const int> keep) noexcept;

}  // namespace detail

}  // namespace mult
