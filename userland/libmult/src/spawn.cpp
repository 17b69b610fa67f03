// SPDX-License-Identifier: GPL-2.0-only
//
// The child side of starting a command: the steps between clone3() and
// execve(), all async-signal-safe, and the report of a failed step.
#include "mult/spawn.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <type_traits>
#include <grp.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "mult/fd.hpp"

namespace mult {
namespace {

static_assert(std::is_trivially_copyable_v<ChildFailure>);
static_assert(sizeof(ChildFailure) <= PIPE_BUF);

[[noreturn]] void report_and_exit(int fd, ChildStage stage, int err, int failed_fd = -1,
                                  int failed_cap = -1) noexcept
{
    const ChildFailure failure{stage, err, failed_fd, failed_cap};
    while (::write(fd, &failure, sizeof failure) < 0 && errno == EINTR) {
    }
    ::_exit(stage == ChildStage::exec ? kExitNotFound : kExitSpawnFailure);
}

// Blocks until the parent writes the release byte. Anything else (EOF: the
// parent gave up and closed its end, or died) means: run nothing.
void wait_for_release(const ChildPlan& plan) noexcept
{
    if (plan.hold_fd < 0)
        return;
    // Our copy of the write end would keep the pipe from ever reading EOF.
    ::close(plan.hold_peer_fd);
    char byte = 0;
    ssize_t n;
    while ((n = ::read(plan.hold_fd, &byte, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1)
        ::_exit(kExitSpawnFailure);
}

// The pty slave as the controlling terminal and stdio of the child. A
// child of instfork() leads a new session already (R4), in which case
// setsid() would fail with EPERM; a fork()ed one (the host tests) does not.
// The slave is nobody's controlling terminal, so the kernel's rule against
// taking over another instance's terminal does not apply (docs/hooks.md).
// Returns 0 or an errno.
int take_terminal(int fd) noexcept
{
    if (::getsid(0) != ::getpid() && ::setsid() < 0)
        return errno;
    if (::ioctl(fd, TIOCSCTTY, 0) != 0)
        return errno;
    for (int target = 0; target <= 2; ++target)
        if (::dup2(fd, target) < 0)
            return errno;
    return 0;
}

}  // namespace

CStringArray::CStringArray(std::vector<std::string> strings) : strings_(std::move(strings))
{
    ptrs_.reserve(strings_.size() + 1);
    for (std::string& s : strings_)
        ptrs_.push_back(s.data());
    ptrs_.push_back(nullptr);
}

std::vector<std::string> current_environment()
{
    std::vector<std::string> env;
    for (char** p = environ; p != nullptr && *p != nullptr; ++p)
        env.emplace_back(*p);
    return env;
}

std::vector<int> keep_list(std::span<const int> pass_fds, int report_fd)
{
    std::vector<int> keep{0, 1, 2};
    keep.insert(keep.end(), pass_fds.begin(), pass_fds.end());
    if (report_fd >= 0)
        keep.push_back(report_fd);
    std::ranges::sort(keep);
    const auto dup = std::ranges::unique(keep);
    keep.erase(dup.begin(), dup.end());
    return keep;
}

ChildPlan make_child_plan(const CommandSpec& spec, const sigset_t& sigmask, int report_fd)
{
    ChildPlan plan;
    plan.keep_fds = keep_list(spec.pass_fds, report_fd);
    plan.pass_fds = spec.pass_fds;
    plan.chdir = spec.chdir;
    plan.drop_caps = spec.drop_caps;
    plan.run_as = spec.run_as;
    plan.terminal_fd = spec.terminal_fd;
    plan.argv = CStringArray(spec.argv);
    plan.envp = CStringArray(spec.envp);
    plan.sigmask = sigmask;
    plan.report_fd = report_fd;
    return plan;
}

void run_child(const ChildPlan& plan) noexcept
{
    const int report = plan.report_fd;

    wait_for_release(plan);

    // Before the fds are closed: the terminal's own fd goes with them.
    if (plan.terminal_fd >= 0)
        if (const int err = take_terminal(plan.terminal_fd); err != 0)
            report_and_exit(report, ChildStage::terminal, err);

    if (const int err = async_safe::close_fds_except(plan.keep_fds); err != 0)
        report_and_exit(report, ChildStage::close_fds, err);

    for (const int fd : plan.pass_fds)
        if (const int err = async_safe::set_cloexec(fd, false); err != 0)
            report_and_exit(report, ChildStage::pass_fd, err, fd);

    // Groups first and the uid last: each step needs the privilege the
    // next one gives up.
    if (plan.run_as) {
        const RunAs& as = *plan.run_as;
        if (::setgroups(as.groups.size(), as.groups.data()) != 0 || ::setgid(as.gid) != 0 ||
            ::setuid(as.uid) != 0)
            report_and_exit(report, ChildStage::user, errno);
    }

    if (plan.chdir && ::chdir(plan.chdir->c_str()) != 0)
        report_and_exit(report, ChildStage::chdir, errno);

    // The last step before the command, so that it starts with no more
    // privilege than asked for: a failure here means it does not start.
    int failed_cap = -1;
    if (const int err = caps::async_safe::drop(plan.drop_caps, failed_cap); err != 0)
        report_and_exit(report, ChildStage::capabilities, err, -1, failed_cap);

    // The parent blocked the signals it forwards; the command must not start
    // with them blocked (a blocked mask survives execve).
    ::sigprocmask(SIG_SETMASK, &plan.sigmask, nullptr);

    // execvp() searches the PATH of the *new* environment, as env(1) does,
    // because it reads `environ`. Assigning the pointer is async-signal-safe;
    // the strings are owned by the plan, which outlives the exec attempt.
    environ = const_cast<char**>(plan.envp.data());
    ::execvp(plan.argv.data()[0], plan.argv.data());
    report_and_exit(report, ChildStage::exec, errno);
}

Result<std::optional<ChildFailure>> read_child_report(int fd)
{
    ChildFailure failure;
    auto* bytes = reinterpret_cast<char*>(&failure);
    std::size_t got = 0;
    while (got < sizeof failure) {
        const ssize_t n = ::read(fd, bytes + got, sizeof failure - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno_error("reading the child's exec report");
        }
        if (n == 0)
            break;
        got += static_cast<std::size_t>(n);
    }
    if (got == 0)
        return std::optional<ChildFailure>{};
    if (got != sizeof failure)
        return make_error(EPROTO, "short exec report from the child");
    return std::optional<ChildFailure>{failure};
}

int exit_code_for(const ChildFailure& failure) noexcept
{
    if (failure.stage != ChildStage::exec)
        return kExitSpawnFailure;
    return (failure.err == ENOENT || failure.err == ENOTDIR) ? kExitNotFound : kExitCannotExec;
}

std::string describe(const ChildFailure& failure, const CommandSpec& spec)
{
    const std::string reason = errno_string(failure.err);
    switch (failure.stage) {
    case ChildStage::close_fds:
        return "cannot close inherited file descriptors: " + reason;
    case ChildStage::pass_fd:
        return "cannot pass fd " + std::to_string(failure.fd) + ": " + reason;
    case ChildStage::chdir:
        return "cannot change directory to '" + spec.chdir.value_or("") + "': " + reason;
    case ChildStage::user:
        return "cannot run as user '" + (spec.run_as ? spec.run_as->name : std::string()) +
               "' (uid " + (spec.run_as ? std::to_string(spec.run_as->uid) : std::string("?")) +
               "): " + reason;
    case ChildStage::capabilities:
        if (failure.cap < 0)
            return "cannot drop capabilities from the effective, permitted and inheritable sets: " +
                   reason;
        return "cannot drop " + caps::name(failure.cap) + " from the capability bounding set: " +
               reason + (failure.err == EPERM ? " (that needs CAP_SETPCAP)" : "");
    case ChildStage::terminal:
        return "cannot make the pseudo-terminal the command's controlling terminal: " + reason;
    case ChildStage::exec:
        break;
    }
    const std::string cmd = spec.argv.empty() ? std::string() : spec.argv.front();
    return "cannot execute '" + cmd + "': " + reason;
}

}  // namespace mult
