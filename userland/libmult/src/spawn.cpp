// SPDX-License-Identifier: GPL-2.0-only
#include "child.hpp"

#include <algorithm>
#include <climits>
#include <cerrno>
#include <cstring>
#include <type_traits>
#include <unistd.h>

#include "mult/fd.hpp"

namespace instfork {
namespace {

static_assert(std::is_trivially_copyable_v<ChildFailure>);
static_assert(sizeof(ChildFailure) <= PIPE_BUF);

[[noreturn]] void report_and_exit(int fd, ChildStage stage, int err, int failed_fd = -1) noexcept
{
    const ChildFailure failure{stage, err, failed_fd};
    while (::write(fd, &failure, sizeof failure) < 0 && errno == EINTR) {
    }
    ::_exit(stage == ChildStage::exec ? kExitNotFound : kExitFailure);
}

}  // namespace

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

ChildPlan make_child_plan(const Config& config, std::vector<std::string> environment,
                          const sigset_t& sigmask, int report_fd)
{
    ChildPlan plan;
    plan.keep_fds = keep_list(config.pass_fds, report_fd);
    plan.pass_fds = config.pass_fds;
    plan.chdir = config.chdir;
    plan.argv = CStringArray(config.command);
    plan.envp = CStringArray(std::move(environment));
    plan.sigmask = sigmask;
    plan.report_fd = report_fd;
    return plan;
}

void run_child(const ChildPlan& plan) noexcept
{
    const int report = plan.report_fd;

    if (const int err = mult::async_safe::close_fds_except(plan.keep_fds); err != 0)
        report_and_exit(report, ChildStage::close_fds, err);

    for (const int fd : plan.pass_fds)
        if (const int err = mult::async_safe::set_cloexec(fd, false); err != 0)
            report_and_exit(report, ChildStage::pass_fd, err, fd);

    if (plan.chdir && ::chdir(plan.chdir->c_str()) != 0)
        report_and_exit(report, ChildStage::chdir, errno);

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

mult::Result<std::optional<ChildFailure>> read_child_report(int fd)
{
    ChildFailure failure;
    auto* bytes = reinterpret_cast<char*>(&failure);
    std::size_t got = 0;
    while (got < sizeof failure) {
        const ssize_t n = ::read(fd, bytes + got, sizeof failure - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return mult::errno_error("reading the child's exec report");
        }
        if (n == 0)
            break;
        got += static_cast<std::size_t>(n);
    }
    if (got == 0)
        return std::optional<ChildFailure>{};
    if (got != sizeof failure)
        return mult::make_error(EPROTO, "short exec report from the child");
    return std::optional<ChildFailure>{failure};
}

int exit_code_for(const ChildFailure& failure) noexcept
{
    if (failure.stage != ChildStage::exec)
        return kExitFailure;
    return (failure.err == ENOENT || failure.err == ENOTDIR) ? kExitNotFound : kExitCannotExec;
}

std::string describe(const ChildFailure& failure, const Config& config)
{
    const std::string reason = mult::errno_string(failure.err);
    switch (failure.stage) {
    case ChildStage::close_fds:
        return "cannot close inherited file descriptors: " + reason;
    case ChildStage::pass_fd:
        return "cannot pass fd " + std::to_string(failure.fd) + ": " + reason;
    case ChildStage::chdir:
        return "cannot change directory to '" + config.chdir.value_or("") + "': " + reason;
    case ChildStage::exec:
        break;
    }
    const std::string cmd = config.command.empty() ? std::string() : config.command.front();
    return "cannot execute '" + cmd + "': " + reason;
}

}  // namespace instfork
