// SPDX-License-Identifier: GPL-2.0-only
//
// The parent side of starting a command in an instance: create the child,
// optionally hold it back until the parent has finished setting the
// instance up, relay signals, wait through the pidfd. Shared by instfork
// and `instctl exec`.
#pragma once

#include <csignal>
#include <functional>
#include <optional>
#include <span>

#include "mult/error.hpp"
#include "mult/fd.hpp"
#include "mult/instfork.hpp"
#include "mult/pidfd.hpp"
#include "mult/pty.hpp"
#include "mult/spawn.hpp"
#include "mult/unique_fd.hpp"

namespace mult {

// The signals the tools relay to the instance's first process. That process
// leads its own session without a controlling terminal (design R4), so
// terminal-generated signals (^C, ^\, window size changes) only ever reach
// the tool; relaying them makes the instance behave like a foreground job.
// Job-control stops (^Z) are not relayed: they stop the tool only.
inline constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT,
                                            SIGUSR1, SIGUSR2, SIGWINCH};

// Blocks `signals` for the lifetime of the object and reads them from a
// signalfd, so none is lost or kills the process while it still owes its
// caller something (the child's status). The previous mask comes back at
// destruction; signals still pending then are discarded first, so a late
// ^C does not kill the process on its way out.
class SignalFd {
public:
    explicit SignalFd(std::span<const int> signals);
    ~SignalFd();
    SignalFd(const SignalFd&) = delete;
    SignalFd& operator=(const SignalFd&) = delete;

    // Creates the signalfd (non-blocking, close-on-exec).
    [[nodiscard]] Result<void> open();

    [[nodiscard]] int fd() const noexcept { return fd_.get(); }
    // The mask from before the constructor: what a child should get back.
    [[nodiscard]] const sigset_t& saved_mask() const noexcept { return saved_; }

    // The next pending signal of the set, 0 if none.
    [[nodiscard]] int next();

private:
    sigset_t set_{};
    sigset_t saved_{};
    UniqueFd fd_;
};

// How supervision ended.
struct Outcome {
    std::optional<ChildFailure> failure;  // a step up to execve() failed in the child
    std::optional<ExitStatus> status;     // empty when supervise() returned once started

    // The tool's exit status: exit_code_for(failure), else the command's
    // (128+N for signal N), else 0 (still running).
    [[nodiscard]] int exit_code() const noexcept;
};

// A command started in a child: its pipes, its plan, then the child.
class Launch {
public:
    // Creates the child with CLONE_NEWINST (instfork()), or in the host
    // tests with fork().
    using SpawnFn = std::function<Result<Child>()>;

    // Prepares everything the child needs (pipes, argv and envp arrays):
    // nothing runs yet. `child_mask` is the signal mask the command gets
    // (SignalFd::saved_mask()). With `hold`, the child waits right after
    // its creation, before it runs anything, until release(): the parent
    // can finish setting the instance up (name it) first.
    [[nodiscard]] static Result<Launch> prepare(const CommandSpec& spec, const sigset_t& child_mask,
                                                bool hold);

    // A child still held is killed and reaped: a setup that failed never
    // leaves it behind. A released child is left alone (--detach).
    ~Launch();
    Launch(Launch&&) noexcept = default;
    Launch& operator=(Launch&&) = delete;
    Launch(const Launch&) = delete;
    Launch& operator=(const Launch&) = delete;

    // Creates the child; in the child, runs the plan (never returns there).
    // Flush stdio buffers before: the child would write them out again.
    [[nodiscard]] Result<void> start(const SpawnFn& spawn);

    [[nodiscard]] pid_t pid() const noexcept { return child_.pid; }
    [[nodiscard]] int pidfd() const noexcept { return child_.pidfd.get(); }
    [[nodiscard]] const CommandSpec& spec() const noexcept { return spec_; }

    // Lets a held child go on to exec.
    [[nodiscard]] Result<void> release();

    // Kills (SIGKILL through the pidfd) and reaps a child still held, which
    // so never runs anything; what the destructor does. No-op once released.
    void discard() noexcept { kill_held(); }

    // Waits until the child exits (or, with `until_started`, only until the
    // command is running), relaying the signals read from `relay` (nullptr:
    // none) through the pidfd. A signal that cannot be relayed is reported
    // to `warn`, and supervision goes on. With a `pty` (-t, started), its
    // relay runs in the same loop, SIGWINCH resizes the pty instead of
    // being relayed (the pty's line discipline signals its foreground job),
    // and what the command left in the pty is drained once it has exited.
    [[nodiscard]] Result<Outcome> supervise(SignalFd* relay, bool until_started,
                                            const std::function<void(const Error&)>& warn,
                                            PtySession* pty = nullptr);

private:
    Launch() = default;
    void kill_held() noexcept;

    CommandSpec spec_;
    ChildPlan plan_;
    Pipe report_;
    Pipe hold_;  // both invalid unless held
    Child child_;
};

}  // namespace mult
