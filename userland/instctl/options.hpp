// SPDX-License-Identifier: GPL-2.0-only
//
// instctl's command line, parsed into a plain struct (pure: no I/O).
#pragma once

#include <csignal>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mult/mgmt.hpp"

namespace instctl {

enum class Command { list, ps, kill, exec, watch, info, name };

struct Options {
    Command command = Command::list;
    bool json = false;                     // --json
    mult::mgmt::InstanceRef instance;      // ps, kill, exec, name
    bool threads = false;                  // ps --threads
    int signal = SIGTERM;                  // kill -s
    std::optional<std::string> chdir;      // exec --chdir
    std::vector<std::string> argv;         // exec: the command (never empty)
    std::optional<std::uint64_t> count;    // watch --count (1 or more)
    std::string new_name;                  // name
};

// Parsing ended without a command to run: --help, --version or a usage
// error. `out` goes to stdout, `err` to stderr, then instctl exits with `code`.
struct EarlyExit {
    int code = 0;
    std::string out;
    std::string err;
};

// `args` excludes argv[0].
[[nodiscard]] std::expected<Options, EarlyExit> parse_command_line(std::span<const std::string> args);

// Convenience for main() and the tests.
[[nodiscard]] std::expected<Options, EarlyExit> parse_command_line(int argc, const char* const* argv);

}  // namespace instctl
