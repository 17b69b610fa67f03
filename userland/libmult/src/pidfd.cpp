// SPDX-License-Identifier: GPL-2.0-only
//
// pidfd system calls. They are invoked through syscall(2) rather than the
// glibc 2.36 wrappers so libmult builds against older C libraries too, and so
// the static guest binaries depend on nothing but the kernel.
#include "mult/pidfd.hpp"

#include <cerrno>
#include <cstring>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3  // <linux/wait.h>, Linux 5.4
#endif

namespace mult {

Result<ExitStatus> ExitStatus::from_siginfo(const siginfo_t& info)
{
    switch (info.si_code) {
    case CLD_EXITED:
        return exited(info.si_status);
    case CLD_KILLED:
        return killed(info.si_status, false);
    case CLD_DUMPED:
        return killed(info.si_status, true);
    default:
        // CLD_STOPPED / CLD_CONTINUED / CLD_TRAPPED: not a termination.
        return make_error(EINVAL, "waitid returned si_code " + std::to_string(info.si_code));
    }
}

ExitStatus ExitStatus::from_wait_status(int wstatus) noexcept
{
    if (WIFSIGNALED(wstatus))
        return killed(WTERMSIG(wstatus), WCOREDUMP(wstatus));
    return exited(WEXITSTATUS(wstatus));
}

int ExitStatus::shell_code() const noexcept
{
    if (kind == Kind::exited)
        return value & 0xff;
    return 128 + value;
}

std::string ExitStatus::describe() const
{
    if (kind == Kind::exited)
        return "exited with status " + std::to_string(value);
    std::string text = "killed by signal " + std::to_string(value);
    if (const char* name = ::sigdescr_np(value); name != nullptr)
        text += std::string(" (") + name + ")";
    if (kind == Kind::dumped)
        text += " (core dumped)";
    return text;
}

Result<UniqueFd> pidfd_open(pid_t pid, unsigned int flags)
{
    const long fd = ::syscall(SYS_pidfd_open, pid, flags);
    if (fd < 0) {
        const int err = errno;
        return make_error(err, "pidfd_open(" + std::to_string(pid) + ")");
    }
    return UniqueFd(static_cast<int>(fd));
}

Result<void> pidfd_send_signal(int pidfd, int sig)
{
    if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0U) != 0) {
        const int err = errno;
        return make_error(err, "pidfd_send_signal(" + std::to_string(sig) + ")");
    }
    return {};
}

Result<ExitStatus> wait_pidfd(int pidfd)
{
    for (;;) {
        siginfo_t info;
        std::memset(&info, 0, sizeof info);
        // id_t is unsigned; the pidfd is passed through it as waitid(2) expects.
        if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED) == 0)
            return ExitStatus::from_siginfo(info);
        if (errno != EINTR)
            return errno_error("waitid(P_PIDFD)");
    }
}

}  // namespace mult
