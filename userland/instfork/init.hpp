// SPDX-License-Identifier: GPL-2.0-only
//
// instfork --init: a reaper as the instance's first process, the command
// under it, and instfork outside as the supervisor (the process a service
// manager knows).
//
// Why two processes. Inside, the first process is the instance's reaper
// (R7: orphans come to it, and the instance ends when it exits), so a
// daemon that forks and lets its parent exit would end its own instance;
// the reaper keeps the instance while any member lives. Outside, systemd
// reads every member's pid as 0 (R3: SO_PEERCRED, SCM_CREDENTIALS), so it
// can neither signal them nor attribute their sd_notify() messages: the
// supervisor in the root instance is the unit's main process, forwards
// what systemd sends it, and relays the service's notifications from a
// socket of its own to $NOTIFY_SOCKET with its own credentials.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "mult/error.hpp"
#include "mult/unique_fd.hpp"
#include "options.hpp"

namespace instfork {

// argv[1] of instfork's internal reaper mode:
//   instfork --as-init-reaper [--watch=FD] [--forking] -- cmd args...
inline constexpr const char* kReaperArg = "--as-init-reaper";

class NotifyRelay;

// The supervisor's part, around run().
class InitSupervisor {
public:
    // Rewrites `config` so that the first process is instfork's reaper
    // running config.command: the reaper gets the read end of a pipe whose
    // write end only this object holds (when instfork supervises, i.e.
    // without --detach), so the instance ends when instfork dies, even by
    // SIGKILL. With $NOTIFY_SOCKET set, starts the relay and points the
    // command's NOTIFY_SOCKET at it.
    [[nodiscard]] static mult::Result<InitSupervisor> prepare(Config& config);

    InitSupervisor(InitSupervisor&&) noexcept;
    InitSupervisor& operator=(InitSupervisor&&) noexcept;
    ~InitSupervisor();

    // After run(): waits (at most a few seconds) until the instance named
    // `name` has no process left, so that a service restarted at once
    // under the same name finds the name free.
    void finish(const std::optional<std::string>& name);

private:
    InitSupervisor() = default;
    mult::UniqueFd watch_write_;
    std::unique_ptr<NotifyRelay> relay_;
};

// The reaper (argv as given to main, argv[1] == kReaperArg). Returns the
// exit status: the command's (128+N for signal N), 126/127 when it cannot
// be run, 125 when the supervisor died first.
[[nodiscard]] int reaper_main(int argc, char** argv);

// Rewrites one notification for systemd: drops what names a pid or carries
// file descriptors, which cannot cross the instance's edge (MAINPID=,
// BARRIER=, FDSTORE=...). Empty when nothing is left to send.
[[nodiscard]] std::string filter_notification(const std::string& message);

}  // namespace instfork
