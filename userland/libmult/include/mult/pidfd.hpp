// SPDX-License-Identifier: GPL-2.0-only
//
// Process handles by pidfd.
//
// instfork() always asks the kernel for a pidfd (CLONE_PIDFD) and the tools
// only ever talk to the instance's first process through it: a pidfd cannot
// be confused with a recycled pid, and pid numbers are exactly what instances
// hide (design R1), so nothing here takes a pid except pidfd_open().
#pragma once

#include <csignal>
#include <string>
#include <sys/types.h>

#include "mult/error.hpp"
#include "mult/unique_fd.hpp"

namespace mult {

// How a child ended.
struct ExitStatus {
    enum class Kind { exited, killed, dumped };

    Kind kind = Kind::exited;
    int value = 0;  // exit code for `exited`, signal number otherwise

    [[nodiscard]] static ExitStatus exited(int code) noexcept { return {Kind::exited, code}; }
    [[nodiscard]] static ExitStatus killed(int sig, bool core = false) noexcept
    {
        return {core ? Kind::dumped : Kind::killed, sig};
    }

    // From waitid()'s siginfo (si_code CLD_EXITED / CLD_KILLED / CLD_DUMPED).
    [[nodiscard]] static Result<ExitStatus> from_siginfo(const siginfo_t& info);
    // From a wait()/waitpid() status word. Only for terminated children.
    [[nodiscard]] static ExitStatus from_wait_status(int wstatus) noexcept;

    // The shell convention: the exit code, or 128 + the signal number.
    [[nodiscard]] int shell_code() const noexcept;

    // "exited with status 3", "killed by signal 9 (Killed)", "... (core dumped)".
    [[nodiscard]] std::string describe() const;

    friend bool operator==(const ExitStatus&, const ExitStatus&) = default;
};

// pidfd_open(2).
[[nodiscard]] Result<UniqueFd> pidfd_open(pid_t pid, unsigned int flags = 0);

// pidfd_send_signal(2) with no siginfo: the receiver sees SI_USER from us.
[[nodiscard]] Result<void> pidfd_send_signal(int pidfd, int sig);

// Waits for the process to terminate (waitid(P_PIDFD, WEXITED)) and reaps it.
// Works only for a child of the caller, as for any wait. Retries on EINTR.
[[nodiscard]] Result<ExitStatus> wait_pidfd(int pidfd);

}  // namespace mult
