// SPDX-License-Identifier: GPL-2.0-only
//
// instfork(): clone3(CLONE_NEWINST | CLONE_PIDFD).
#include "mult/instfork.hpp"

#include <cerrno>
#include <cstdint>
#include <sys/syscall.h>
#include <unistd.h>

#include "mult/kernel.hpp"

namespace mult {
namespace {

// Our own copy of struct clone_args (CLONE_ARGS_SIZE_VER2, Linux 5.7): the
// installed <linux/sched.h> may be older, and including it next to glibc's
// <sched.h> redefines the CLONE_* macros. The kernel accepts any size it
// knows, zero-extending what is missing.
struct CloneArgs {
    std::uint64_t flags;
    std::uint64_t pidfd;
    std::uint64_t child_tid;
    std::uint64_t parent_tid;
    std::uint64_t exit_signal;
    std::uint64_t stack;
    std::uint64_t stack_size;
    std::uint64_t tls;
    std::uint64_t set_tid;
    std::uint64_t set_tid_size;
    std::uint64_t cgroup;
};
static_assert(sizeof(CloneArgs) == 88, "CLONE_ARGS_SIZE_VER2");

constexpr std::uint64_t kClonePidfd = 0x00001000ULL;        // CLONE_PIDFD
constexpr std::uint64_t kCloneIntoCgroup = 0x200000000ULL;  // CLONE_INTO_CGROUP

}  // namespace

namespace detail {

Result<Child> clone3_with_pidfd(std::uint64_t flags, int exit_signal, int cgroup_fd)
{
    // Written by the kernel in the parent only; stays -1 in the child.
    int pidfd = -1;
    CloneArgs args{};
    args.flags = flags | kClonePidfd;
    args.pidfd = reinterpret_cast<std::uintptr_t>(&pidfd);
    args.exit_signal = static_cast<std::uint64_t>(exit_signal);
    if (cgroup_fd >= 0) {
        args.flags |= kCloneIntoCgroup;
        args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
    }

    // No stack: like fork(), the child resumes here on a copy of ours.
    const long ret = ::syscall(SYS_clone3, &args, sizeof args);
    if (ret < 0)
        return errno_error("clone3");
    if (ret == 0)
        return Child{0, UniqueFd()};
    return Child{static_cast<pid_t>(ret), UniqueFd(pidfd)};
}

}  // namespace detail

Result<Child> instfork(const InstforkOptions& options)
{
    if (options.check_support) {
        switch (probe_instance_support()) {
        case Support::supported:
            break;
        case Support::unsupported:
            // The errno an unpatched kernel would give for the unknown flag.
            return make_error(EINVAL, "clone3(CLONE_NEWINST): /proc/sys/kernel/mult is missing");
        case Support::unknown:
            return make_error(ENOENT, "clone3(CLONE_NEWINST): /proc/sys/kernel is not available");
        }
    }

    auto child = detail::clone3_with_pidfd(options.extra_flags | kCloneNewInst,
                                           options.exit_signal, options.cgroup_fd);
    if (!child)
        child.error().context = "clone3(CLONE_NEWINST)";
    return child;
}

}  // namespace mult
