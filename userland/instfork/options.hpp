// SPDX-License-Identifier: GPL-2.0-only
//
// instfork's command line, parsed into a plain struct (pure: no I/O).
#pragma once

#include <expected>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mult/capabilities.hpp"
#include "mult/spawn.hpp"

namespace instfork {

// Exit codes of instfork itself. The command's own status is passed through;
// 125/126/127 follow env(1), nohup(1) and the shells, so scripts can tell
// "instfork failed" from "the command could not be run" from "the command ran".
inline constexpr int kExitUsage = 2;                                  // bad command line
inline constexpr int kExitFailure = mult::kExitSpawnFailure;          // 125: instfork failed
inline constexpr int kExitCannotExec = mult::kExitCannotExec;         // 126: not executable
inline constexpr int kExitNotFound = mult::kExitNotFound;             // 127: not found

struct EnvAssignment {
    std::string name;
    std::string value;
    friend bool operator==(const EnvAssignment&, const EnvAssignment&) = default;
};

struct Config {
    std::optional<std::string> name;    // --name
    std::optional<std::string> chdir;   // --chdir
    std::vector<EnvAssignment> env;     // --env K=V, in command-line order
    bool clear_env = false;             // --clear-env
    std::vector<int> pass_fds;          // --pass-fd, sorted, unique, without 0-2
    bool detach = false;                // --detach
    bool print_id = false;              // --print-id
    bool init = false;                  // --init: a reaper first, cmd under it (init.hpp)
    bool forking = false;               // --forking: cmd's exit 0 means ready
    // --pids-max: the instance runs in a pids cgroup of its own with this
    // pids.max (cgroup v2, clone3 CLONE_INTO_CGROUP), removed at its end.
    std::optional<long> pids_max;
    // Taken from every capability set of the command (--keep-cap,
    // --drop-cap): by default all but mult::caps::kInstanceDefault.
    mult::caps::Set drop_caps = ~mult::caps::kInstanceDefault;
    std::vector<std::string> command;   // cmd args... (never empty)
    bool tty = false;                   // -t: cmd on a pty of its own (mult/pty.hpp)
};

// Parsing ended without a command to run: --help, --version or a usage error.
// `out` goes to stdout, `err` to stderr, then instfork exits with `code`.
struct EarlyExit {
    int code = 0;
    std::string out;
    std::string err;
};

// `args` excludes argv[0]. Options come first; the command starts at the first
// argument that is not an option or an option's value, or after `--`.
[[nodiscard]] std::expected<Config, EarlyExit> parse_command_line(std::span<const std::string> args);

// Convenience for main() and the tests.
[[nodiscard]] std::expected<Config, EarlyExit> parse_command_line(int argc, const char* const* argv);

}  // namespace instfork
