// SPDX-License-Identifier: GPL-2.0-only
//
// The parent side of instfork: start the child, name its instance, forward
// signals, wait, and turn what happened into instfork's exit status. The
// mechanics (hold, relay, wait) are mult::Launch, shared with instctl exec.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "mult/error.hpp"
#include "mult/instfork.hpp"
#include "mult/supervise.hpp"
#include "options.hpp"

namespace instfork {

using mult::kForwardedSignals;

// What instfork asks of the management module (mult_mgmt.ko), given the
// pidfd of the instance's first process (unlike a pid number, it cannot
// name some other process).
struct Module {
    // --name: names the instance whose first process is `pid`.
    std::function<mult::Result<void>(pid_t pid, int pidfd, const std::string& name)> set_name;
    // --print-id, --detach: the id of the instance.
    std::function<mult::Result<std::uint32_t>(int pidfd)> instance_id;
    // --name, before the child exists: the id of the live instance that
    // has `name` already, nullopt if none. Empty: not checked.
    std::function<mult::Result<std::optional<std::uint32_t>>(const std::string& name)> name_owner =
        {};
};

// What run() needs from the outside world, replaceable by the tests.
struct Hooks {
    // Creates the child: mult::instfork() in production; the host tests use
    // fork() + pidfd_open() since the host kernel has no instances.
    std::function<mult::Result<mult::Child>()> spawn;
    // Connects to the management module (ENOENT: not loaded), before the
    // child exists so that a missing module costs --name no child. Asked
    // for --name (then it is required) and for --print-id and --detach
    // (then instfork does without the instance id).
    std::function<mult::Result<Module>()> open_module;
    // The environment the command starts from (before --clear-env/--env).
    std::function<std::vector<std::string>()> environment;
    // --pids-max: like spawn, into the cgroup open at the fd
    // (CLONE_INTO_CGROUP). Empty: --pids-max is refused.
    std::function<mult::Result<mult::Child>(int cgroup_fd)> spawn_into_cgroup = {};
};

// Why -t cannot run: nullopt without -t or when stdin is a terminal. No
// "instfork: " prefix; instfork then exits with kExitUsage (2). main()
// asks before it probes the kernel (a usage error is said first), run()
// again.
[[nodiscard]] std::optional<std::string> tty_problem(const Config& config, bool stdin_is_terminal);

// The production hooks.
[[nodiscard]] Hooks default_hooks();

// Runs the command described by `config`; returns instfork's exit status.
// Messages go to `err` prefixed with "instfork: ". Restores the caller's
// signal mask before returning.
//
// The child is held before it runs anything while instfork talks to the
// module about its instance: with --name until the instance is named (a
// name another instance has is refused before the child is created; if
// naming fails all the same, the child is killed and reaped, and run()
// returns 125);
// with --print-id or --detach, when the module is loaded, until the
// instance id is known. --print-id writes "instance ID, first process pid
// PID" on `err`; --detach writes "PID ID" (or "PID" alone when the id is
// unknown) on `out` once the command runs.
[[nodiscard]] int run(const Config& config, const Hooks& hooks, std::ostream& out, std::ostream& err);

}  // namespace instfork
