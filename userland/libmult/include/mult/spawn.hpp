// SPDX-License-Identifier: GPL-2.0-only
//
// The child side of starting a command in an instance: everything between
// clone3() and execve(), and how a failure there reaches the parent.
// Shared by instfork and `instctl exec`.
//
// The parent prepares a ChildPlan (all memory allocated up front); the child
// only makes async-signal-safe calls on it (see instfork.hpp: the child of a
// raw clone3() is like a vfork child). If a step fails, the child writes a
// ChildFailure into the report pipe, whose write end is O_CLOEXEC: a
// successful execve() closes it, so the parent reads either EOF ("the
// command is running") or the errno and the step that failed. This works the
// same with fork() as with instfork(), which is how the host tests run it.
#pragma once

#include <csignal>
#include <optional>
#include <span>
#include <string>
#include <sys/types.h>
#include <vector>

#include "mult/capabilities.hpp"
#include "mult/error.hpp"

namespace mult {

// Exit statuses of a tool that starts a command (instfork, instctl exec),
// after env(1), nohup(1) and the shells: scripts can tell "the tool failed"
// from "the command could not be run" from "the command ran".
inline constexpr int kExitSpawnFailure = 125;  // the tool could not start the command
inline constexpr int kExitCannotExec = 126;    // command found but not executable
inline constexpr int kExitNotFound = 127;      // command not found

// NULL-terminated array of C strings that owns its storage. Built in the
// parent, so the child between clone3() and execve() allocates nothing.
class CStringArray {
public:
    CStringArray() { ptrs_.push_back(nullptr); }
    explicit CStringArray(std::vector<std::string> strings);

    // Copying would leave ptrs_ pointing into the source.
    CStringArray(const CStringArray&) = delete;
    CStringArray& operator=(const CStringArray&) = delete;
    // Moving is safe: a moved vector keeps its heap buffer, so the strings
    // (and the pointers into them) stay where they are.
    CStringArray(CStringArray&&) noexcept = default;
    CStringArray& operator=(CStringArray&&) noexcept = default;

    [[nodiscard]] char* const* data() const noexcept { return ptrs_.data(); }
    [[nodiscard]] const std::vector<std::string>& strings() const noexcept { return strings_; }
    [[nodiscard]] std::size_t size() const noexcept { return strings_.size(); }

private:
    std::vector<std::string> strings_;
    std::vector<char*> ptrs_;
};

// A copy of the calling process's environment ("K=V" strings).
[[nodiscard]] std::vector<std::string> current_environment();

// What to run in the child.
// Who the command runs as (instctl exec -u): the child takes these ids
// before chdir, so that the directory is entered with the user's rights.
struct RunAs {
    std::string name;           // for messages
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // the supplementary groups (setgroups)
    friend bool operator==(const RunAs&, const RunAs&) = default;
};

struct CommandSpec {
    std::vector<std::string> argv;       // never empty; argv[0] is searched in envp's PATH
    std::vector<std::string> envp;
    std::optional<std::string> chdir;
    std::vector<int> pass_fds;           // kept open beyond stdio
    // Taken out of every capability set, the bounding set first, just
    // before execve() (instfork's defaults and --keep-cap/--drop-cap).
    caps::Set drop_caps = caps::kNone;
    std::optional<RunAs> run_as = std::nullopt;  // setgroups, setgid, setuid
    // -t: a pty slave (PtySession::slave(), pty.hpp) that becomes the
    // command's controlling terminal and its stdin, stdout and stderr. -1:
    // stdio as inherited, no controlling terminal.
    int terminal_fd = -1;
};

enum class ChildStage : int {
    close_fds = 1,  // closing the inherited fds failed
    pass_fd = 2,    // clearing FD_CLOEXEC on a passed fd failed
    chdir = 3,      // chdir failed
    exec = 4,       // execvp failed
    capabilities = 5,  // dropping CommandSpec::drop_caps failed (before exec)
    user = 6,          // taking CommandSpec::run_as's ids failed
    terminal = 7,      // making CommandSpec::terminal_fd the controlling terminal failed
};

// What travels through the report pipe: trivially copyable, one write(),
// well under PIPE_BUF so it cannot be split.
struct ChildFailure {
    ChildStage stage = ChildStage::exec;
    int err = 0;  // errno
    int fd = -1;  // the fd, for ChildStage::pass_fd
    int cap = -1;  // ChildStage::capabilities: what the bounding set kept (-1: capset failed)
    friend bool operator==(const ChildFailure&, const ChildFailure&) = default;
};

struct ChildPlan {
    std::vector<int> keep_fds;          // survive close_fds_except (stdio, pass, report)
    std::vector<int> pass_fds;          // FD_CLOEXEC cleared
    std::optional<std::string> chdir;
    caps::Set drop_caps = caps::kNone;
    std::optional<RunAs> run_as;
    int terminal_fd = -1;               // CommandSpec::terminal_fd
    CStringArray argv;
    CStringArray envp;
    sigset_t sigmask{};                 // the mask to give the command
    int report_fd = -1;                 // write end of the report pipe
    // When the parent holds the child back (see Launch::hold in
    // supervise.hpp): the read end to wait on and the child's copy of the
    // write end, which it must close so the parent's close means EOF.
    int hold_fd = -1;
    int hold_peer_fd = -1;
};

// The fds the child keeps: 0, 1, 2, the passed ones and the report pipe
// (sorted, unique).
[[nodiscard]] std::vector<int> keep_list(std::span<const int> pass_fds, int report_fd);

[[nodiscard]] ChildPlan make_child_plan(const CommandSpec& spec, const sigset_t& sigmask,
                                        int report_fd);

// Runs in the child: wait until released (if held), with a terminal_fd
// lead a session (setsid() unless the child leads one already, as the
// first process of an instance and a process exec starts do), take the
// terminal as the controlling one (TIOCSCTTY) and dup2() it over 0, 1 and
// 2, close fds, un-CLOEXEC
// the passed ones, take run_as's ids, chdir, drop capabilities, restore the signal mask,
// install the environment, execvp. Never returns: on failure it reports and
// _exit()s (127 after exec, 125 before). A held child whose parent gives up (closes the hold
// pipe without releasing) _exit()s with 125 without running anything.
[[noreturn]] void run_child(const ChildPlan& plan) noexcept;

// Parent side: reads the report pipe until EOF. nullopt means the exec
// succeeded (or the child died before reporting anything).
[[nodiscard]] Result<std::optional<ChildFailure>> read_child_report(int fd);

// 127 when the command was not found (ENOENT, ENOTDIR), 126 when it was found
// but could not be run (EACCES, ENOEXEC, ...), 125 for the steps before exec.
[[nodiscard]] int exit_code_for(const ChildFailure& failure) noexcept;

// "cannot execute 'cmd': No such file or directory", etc. (no tool prefix).
[[nodiscard]] std::string describe(const ChildFailure& failure, const CommandSpec& spec);

}  // namespace mult
