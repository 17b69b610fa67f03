// SPDX-License-Identifier: GPL-2.0-only
//
// Supervision loop: poll(2) on a signalfd (relayed signals), the pidfd
// (termination) and the exec-report pipe (did the command start?).
//
// The relayed signals are blocked *before* the child is created and read from
// a signalfd, so none is lost between clone3() and the loop, and none can kill
// the tool itself while it still owes the caller the child's status.
#include "mult/supervise.hpp"

#include <cerrno>
#include <cstdio>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mult {

SignalFd::SignalFd(std::span<const int> signals)
{
    sigemptyset(&set_);
    for (const int sig : signals)
        sigaddset(&set_, sig);
    ::sigprocmask(SIG_BLOCK, &set_, &saved_);
}

SignalFd::~SignalFd()
{
    if (fd_) {
        while (next() != 0) {
        }
    }
    ::sigprocmask(SIG_SETMASK, &saved_, nullptr);
}

Result<void> SignalFd::open()
{
    const int fd = ::signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        return errno_error("signalfd");
    fd_.reset(fd);
    return {};
}

int SignalFd::next()
{
    signalfd_siginfo info{};
    const ssize_t n = ::read(fd_.get(), &info, sizeof info);
    if (n != static_cast<ssize_t>(sizeof info))
        return 0;
    return static_cast<int>(info.ssi_signo);
}

int Outcome::exit_code() const noexcept
{
    if (failure)
        return exit_code_for(*failure);
    if (status)
        return status->shell_code();
    return 0;
}

Result<Launch> Launch::prepare(const CommandSpec& spec, const sigset_t& child_mask, bool hold)
{
    Launch launch;
    launch.spec_ = spec;
    auto report = make_pipe();
    if (!report)
        return std::unexpected(report.error());
    launch.report_ = std::move(*report);
    if (hold) {
        auto gate = make_pipe();
        if (!gate)
            return std::unexpected(gate.error());
        launch.hold_ = std::move(*gate);
    }
    launch.plan_ = make_child_plan(launch.spec_, child_mask, launch.report_.write.get());
    launch.plan_.hold_fd = launch.hold_.read.get();
    launch.plan_.hold_peer_fd = launch.hold_.write.get();
    return launch;
}

Launch::~Launch()
{
    kill_held();
}

void Launch::kill_held() noexcept
{
    if (!hold_.write || !child_.pidfd)
        return;
    // SIGKILL, not just closing the gate: the first process of an instance
    // ending takes the instance down with it (R7), and the wait below must
    // not depend on the child cooperating.
    (void)pidfd_send_signal(child_.pidfd.get(), SIGKILL);
    (void)wait_pidfd(child_.pidfd.get());
    hold_.write.reset();
    child_.pidfd.reset();
}

Result<void> Launch::start(const SpawnFn& spawn)
{
    // Whatever is still buffered would be written by both processes.
    std::fflush(nullptr);
    auto child = spawn();
    if (!child)
        return std::unexpected(child.error());
    if (child->in_child())
        run_child(plan_);  // never returns
    child_ = std::move(*child);
    // So the report pipe reads EOF once the exec succeeded, and the gate's
    // only reader is the child.
    report_.write.reset();
    hold_.read.reset();
    return {};
}

Result<void> Launch::release()
{
    if (!hold_.write)
        return {};
    const char go = 1;
    ssize_t n;
    while ((n = ::write(hold_.write.get(), &go, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1)
        return errno_error("releasing the child");
    hold_.write.reset();
    return {};
}

Result<Outcome> Launch::supervise(SignalFd* relay, bool until_started,
                                  const std::function<void(const Error&)>& warn, PtySession* pty)
{
    Outcome outcome;
    bool report_done = false;
    auto finish_report = [&]() -> Result<void> {
        auto r = read_child_report(report_.read.get());
        report_done = true;
        report_.read.reset();
        if (!r)
            return std::unexpected(r.error());
        outcome.failure = *r;
        return {};
    };

    const int pidfd = child_.pidfd.get();
    for (;;) {
        pollfd fds[5] = {
            {relay != nullptr ? relay->fd() : -1, POLLIN, 0},
            {pidfd, POLLIN, 0},
            {report_done ? -1 : report_.read.get(), POLLIN, 0},
            pty != nullptr ? pty->relay().poll_in() : pollfd{-1, 0, 0},
            pty != nullptr ? pty->relay().poll_master() : pollfd{-1, 0, 0},
        };
        if (::poll(fds, 5, -1) < 0) {
            if (errno == EINTR)
                continue;
            return errno_error("poll");
        }

        if (pty != nullptr)
            pty->relay().on_ready(fds[3], fds[4]);

        if (relay != nullptr && (fds[0].revents & POLLIN)) {
            for (int sig = relay->next(); sig != 0; sig = relay->next()) {
                if (sig == SIGWINCH && pty != nullptr) {
                    pty->resize();
                    continue;
                }
                // ESRCH: the child is already gone; its status follows.
                if (auto r = pidfd_send_signal(pidfd, sig); !r && r.error().code != ESRCH) {
                    r.error().context = "cannot forward signal " + std::to_string(sig);
                    warn(r.error());
                }
            }
        }

        if (!report_done && (fds[2].revents & (POLLIN | POLLHUP))) {
            if (auto r = finish_report(); !r)
                return std::unexpected(r.error());
            if (until_started && !outcome.failure)
                return outcome;
        }

        if (fds[1].revents & POLLIN) {
            // The child is dead, so its end of the pipe is closed: this read
            // cannot block.
            if (!report_done)
                if (auto r = finish_report(); !r)
                    return std::unexpected(r.error());
            auto status = wait_pidfd(pidfd);
            if (!status)
                return std::unexpected(status.error());
            outcome.status = *status;
            if (pty != nullptr)
                pty->drain();
            return outcome;
        }
    }
}

}  // namespace mult
