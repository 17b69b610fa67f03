// SPDX-License-Identifier: GPL-2.0-only
//
// Supervision loop: poll(2) on a signalfd (relayed signals), the pidfd
// (termination) and the exec-report pipe (did the command start?).
//
// The relayed signals are blocked *before* the child is created and read from
// a signalfd, so none is lost between clone3() and the loop, and none can kill
// instfork itself while it still owes the caller the child's status.
#include "runner.hpp"

#include <cerrno>
#include <cstdio>
#include <ostream>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "child.hpp"
#include "environment.hpp"
#include "mult/fd.hpp"
#include "mult/genl.hpp"
#include "mult/kernel.hpp"
#include "mult/pidfd.hpp"

namespace instfork {
namespace {

// Blocks the relayed signals for the lifetime of the object and restores the
// previous mask afterwards. Signals that are still pending then (they arrived
// after the child was reaped) are discarded first, so a late ^C does not kill
// instfork on its way out with the child's status.
class SignalRelay {
public:
    SignalRelay()
    {
        sigemptyset(&relayed_);
        for (const int sig : kForwardedSignals)
            sigaddset(&relayed_, sig);
        ::sigprocmask(SIG_BLOCK, &relayed_, &saved_);
    }
    ~SignalRelay()
    {
        if (fd_)
            drain();
        ::sigprocmask(SIG_SETMASK, &saved_, nullptr);
    }
    SignalRelay(const SignalRelay&) = delete;
    SignalRelay& operator=(const SignalRelay&) = delete;

    mult::Result<void> open()
    {
        const int fd = ::signalfd(-1, &relayed_, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0)
            return mult::errno_error("signalfd");
        fd_.reset(fd);
        return {};
    }

    [[nodiscard]] int fd() const noexcept { return fd_.get(); }
    [[nodiscard]] const sigset_t& saved_mask() const noexcept { return saved_; }

    // The next pending relayed signal, 0 if none.
    int next()
    {
        signalfd_siginfo info{};
        const ssize_t n = ::read(fd_.get(), &info, sizeof info);
        if (n != static_cast<ssize_t>(sizeof info))
            return 0;
        return static_cast<int>(info.ssi_signo);
    }

private:
    void drain()
    {
        while (next() != 0) {
        }
    }

    sigset_t relayed_{};
    sigset_t saved_{};
    mult::UniqueFd fd_;
};

std::ostream& fail(std::ostream& err, const std::string& message)
{
    return err << "instfork: " << message << '\n';
}

}  // namespace

Hooks default_hooks()
{
    return Hooks{
        [] { return mult::instfork(); },
        [] { return mult::management_module_loaded(); },
        [] { return current_environment(); },
    };
}

int run(const Config& config, const Hooks& hooks, std::ostream& out, std::ostream& err)
{
    if (config.name) {
        if (!hooks.management_module_loaded()) {
            fail(err, "--name needs the mult management module (not loaded)");
            return kExitFailure;
        }
        // The module's netlink ABI for set-name is not fixed yet.
        fail(err, "--name: naming instances is not implemented in this instfork yet");
        return kExitFailure;
    }

    // A --pass-fd must name an fd that is open now. Checking before instfork
    // opens anything also guarantees that its own fds (pipe, signalfd) never
    // take one of those numbers.
    for (const int fd : config.pass_fds) {
        if (!mult::fd_is_open(fd)) {
            fail(err, "--pass-fd " + std::to_string(fd) + ": not an open file descriptor");
            return kExitUsage;
        }
    }

    SignalRelay relay;
    if (auto r = relay.open(); !r) {
        fail(err, r.error().message());
        return kExitFailure;
    }
    auto pipe = mult::make_pipe();
    if (!pipe) {
        fail(err, pipe.error().message());
        return kExitFailure;
    }

    const ChildPlan plan = make_child_plan(
        config, build_environment(hooks.environment(), config.clear_env, config.env),
        relay.saved_mask(), pipe->write.get());

    // Anything still buffered would otherwise be written by both processes
    // (the child's copy of the buffer is lost at exec, but be explicit).
    out.flush();
    err.flush();
    std::fflush(nullptr);

    auto child = hooks.spawn();
    if (!child) {
        fail(err, mult::describe_instfork_error(child.error().code));
        return kExitFailure;
    }
    if (child->in_child())
        run_child(plan);  // never returns

    pipe->write.reset();  // so the report pipe reads EOF once the exec succeeds
    const pid_t pid = child->pid;
    const int pidfd = child->pidfd.get();
    if (config.print_id)
        err << "instfork: instance pid " << pid << '\n' << std::flush;

    std::optional<ChildFailure> failure;
    bool report_done = false;
    auto finish_report = [&]() -> bool {
        auto r = read_child_report(pipe->read.get());
        report_done = true;
        pipe->read.reset();
        if (!r) {
            fail(err, r.error().message());
            return false;
        }
        failure = *r;
        return true;
    };

    for (;;) {
        pollfd fds[3] = {
            {relay.fd(), POLLIN, 0},
            {pidfd, POLLIN, 0},
            {report_done ? -1 : pipe->read.get(), POLLIN, 0},
        };
        // With --detach, signals are not relayed: the child is on its own.
        if (config.detach)
            fds[0].fd = -1;
        if (::poll(fds, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            fail(err, mult::errno_string(errno));
            return kExitFailure;
        }

        if (fds[0].revents & POLLIN) {
            for (int sig = relay.next(); sig != 0; sig = relay.next()) {
                // ESRCH: the child is already gone; its status follows.
                if (auto r = mult::pidfd_send_signal(pidfd, sig); !r && r.error().code != ESRCH)
                    fail(err, "cannot forward signal: " + r.error().message());
            }
        }

        if (!report_done && (fds[2].revents & (POLLIN | POLLHUP))) {
            if (!finish_report())
                return kExitFailure;
            if (config.detach && !failure) {
                out << pid << '\n' << std::flush;
                return 0;
            }
        }

        if (fds[1].revents & POLLIN) {
            // The child is dead, so its end of the pipe is closed: this read
            // cannot block.
            if (!report_done && !finish_report())
                return kExitFailure;
            auto status = mult::wait_pidfd(pidfd);
            if (!status) {
                fail(err, status.error().message());
                return kExitFailure;
            }
            if (failure) {
                fail(err, describe(*failure, config));
                return exit_code_for(*failure);
            }
            return status->shell_code();
        }
    }
}

}  // namespace instfork
