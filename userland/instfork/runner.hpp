// SPDX-License-Identifier: GPL-2.0-only
//
// The parent side of instfork: start the child, name its instance, forward
// signals, wait, and turn what happened into instfork's exit status. The
// mechanics (hold, relay, wait) are mult::Launch, shared with instctl exec.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "mult/error.hpp"
#include "mult/instfork.hpp"
#include "mult/supervise.hpp"
#include "options.hpp"

namespace instfork {

using mult::kForwardedSignals;

// Names the instance whose first process is `pid`, of which `pidfd` is a
// pidfd (what the module is given).
using Namer = std::function<mult::Result<void>(pid_t pid, int pidfd, const std::string& name)>;

// What run() needs from the outside world, replaceable by the tests.
struct Hooks {
    // Creates the child: mult::instfork() in production; the host tests use
    // fork() + pidfd_open() since the host kernel has no instances.
    std::function<mult::Result<mult::Child>()> spawn;
    // For --name, called before the child exists so that a missing module
    // costs no child: connects to the management module (ENOENT: not
    // loaded) and returns what names the instance once it exists.
    std::function<mult::Result<Namer>()> open_namer;
    // The environment the command starts from (before --clear-env/--env).
    std::function<std::vector<std::string>()> environment;
};

// The production hooks.
[[nodiscard]] Hooks default_hooks();

// Runs the command described by `config`; returns instfork's exit status.
// Messages go to `err` prefixed with "instfork: "; --detach prints the pid on
// `out`. Restores the caller's signal mask before returning.
//
// With --name the child is held before it runs anything until its instance
// is named; if naming fails the child is killed and reaped, and run()
// returns 125.
[[nodiscard]] int run(const Config& config, const Hooks& hooks, std::ostream& out, std::ostream& err);

}  // namespace instfork
