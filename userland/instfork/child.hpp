// SPDX-License-Identifier: GPL-2.0-only
//
// The child side of instfork: everything between clone3() and execve(), and
// how a failure there reaches the parent.
//
// The parent prepares a ChildPlan (all memory allocated up front); the child
// only makes async-signal-safe calls on it. If a step fails, the child writes
// a ChildFailure into the report pipe, whose write end is O_CLOEXEC: a
// successful execve() closes it, so the parent reads either EOF ("the command
// is running") or the errno and the step that failed. This works the same
// with fork() as with instfork(), which is how the host tests exercise it.
#pragma once

#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include "environment.hpp"
#include "mult/error.hpp"
#include "options.hpp"

namespace instfork {

enum class ChildStage : int {
    close_fds = 1,  // closing the inherited fds failed
    pass_fd = 2,    // clearing FD_CLOEXEC on a --pass-fd failed
    chdir = 3,      // --chdir failed
    exec = 4,       // execvp failed
};

// What travels through the report pipe: trivially copyable, one write(),
// well under PIPE_BUF so it cannot be split.
struct ChildFailure {
    ChildStage stage = ChildStage::exec;
    int err = 0;  // errno
    int fd = -1;  // the fd, for ChildStage::pass_fd
    friend bool operator==(const ChildFailure&, const ChildFailure&) = default;
};

struct ChildPlan {
    std::vector<int> keep_fds;          // survive close_fds_except (stdio, pass, report)
    std::vector<int> pass_fds;          // FD_CLOEXEC cleared
    std::optional<std::string> chdir;
    CStringArray argv;
    CStringArray envp;
    sigset_t sigmask{};                 // the mask to give the command
    int report_fd = -1;                 // write end of the report pipe
};

// The fds the child keeps: 0, 1, 2, the passed ones and the report pipe
// (sorted, unique).
[[nodiscard]] std::vector<int> keep_list(std::span<const int> pass_fds, int report_fd);

[[nodiscard]] ChildPlan make_child_plan(const Config& config, std::vector<std::string> environment,
                                        const sigset_t& sigmask, int report_fd);

// Runs in the child: close fds, un-CLOEXEC the passed ones, chdir, restore
// the signal mask, install the environment, execvp. Never returns: on failure
// it reports and _exit()s (127 after exec, 125 before).
[[noreturn]] void run_child(const ChildPlan& plan) noexcept;

// Parent side: reads the report pipe until EOF. nullopt means the exec
// succeeded (or the child died before reporting anything).
[[nodiscard]] mult::Result<std::optional<ChildFailure>> read_child_report(int fd);

// 127 when the command was not found (ENOENT, ENOTDIR), 126 when it was found
// but could not be run (EACCES, ENOEXEC, ...), 125 for the steps before exec.
[[nodiscard]] int exit_code_for(const ChildFailure& failure) noexcept;

// "cannot execute 'cmd': No such file or directory", etc. (no "instfork: ").
[[nodiscard]] std::string describe(const ChildFailure& failure, const Config& config);

}  // namespace instfork
