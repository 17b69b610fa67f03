// SPDX-License-Identifier: GPL-2.0-only
//
// The parent side of instfork: start the child, forward signals, wait, and
// turn what happened into instfork's exit status.
#pragma once

#include <functional>
#include <iosfwd>

#include "mult/error.hpp"
#include "mult/instfork.hpp"
#include "options.hpp"

namespace instfork {

// The signals instfork relays to the instance's first process. That process
// leads its own session without a controlling terminal (design R4), so
// terminal-generated signals (^C, ^\, window size changes) only ever reach
// instfork; relaying them makes the instance behave like a foreground job.
// Job-control stops (^Z) are not relayed: they stop instfork only.
inline constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT,
                                            SIGUSR1, SIGUSR2, SIGWINCH};

// What run() needs from the outside world, replaceable by the tests.
struct Hooks {
    // Creates the child: mult::instfork() in production; the host tests use
    // fork() + pidfd_open() since the host kernel has no instances.
    std::function<mult::Result<mult::Child>()> spawn;
    // Whether the mult generic netlink family is registered (for --name).
    std::function<bool()> management_module_loaded;
    // The environment the command starts from (before --clear-env/--env).
    std::function<std::vector<std::string>()> environment;
};

// The production hooks.
[[nodiscard]] Hooks default_hooks();

// Runs the command described by `config`; returns instfork's exit status.
// Messages go to `err` prefixed with "instfork: "; --detach prints the pid on
// `out`. Restores the caller's signal mask before returning.
[[nodiscard]] int run(const Config& config, const Hooks& hooks, std::ostream& out, std::ostream& err);

}  // namespace instfork
