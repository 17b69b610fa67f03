// SPDX-License-Identifier: GPL-2.0-only
//
// instctl's command line, parsed into a plain struct (pure: no I/O).
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mult/mgmt.hpp"
#include "output.hpp"

namespace instctl {

enum class Command { list, ps, kill, exec, watch, info, name, stop, svc_enable, svc_disable };

// instctl stop's default grace between SIGTERM and SIGKILL.
inline constexpr std::chrono::milliseconds kStopTimeoutDefault{10'000};

struct Options {
    Command command = Command::list;
    bool json = false;                     // --json
    mult::mgmt::InstanceRef instance;      // ps, kill, exec, name
    bool threads = false;                  // ps --threads
    TableOptions table;                    // list, ps: -o, -n, -r, -J, --tree
    int signal = SIGTERM;                  // kill -s
    std::optional<std::string> chdir;      // exec --chdir
    std::vector<std::string> argv;         // exec: the command (empty: a login shell)
    std::optional<std::string> user;       // exec -u
    bool login = false;                    // exec -l
    bool tty = false;                      // exec -t: a pty (mult/pty.hpp)
    std::optional<std::uint64_t> count;    // watch --count (1 or more)
    std::string new_name;                  // name
    bool all = false;                      // kill, stop --all (instead of an instance)
    std::chrono::milliseconds timeout = kStopTimeoutDefault;  // stop --timeout
    // svc enable / disable (service.cpp): the unit, and enable's options.
    std::string unit;                      // "ssh.service"
    std::optional<std::string> svc_name;   // --name (default: the unit's name)
    std::vector<std::string> svc_instfork_args;  // --keep-cap, --drop-cap, --forking, passed on
    bool reload = true;                    // --no-reload clears
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

// A systemd service unit named on the command line: "ssh" gives
// "ssh.service"; other unit types and templates are refused (the error is
// a message for people).
[[nodiscard]] std::expected<std::string, std::string> service_unit_name(std::string_view text);

// Convenience for main() and the tests.
[[nodiscard]] std::expected<Options, EarlyExit> parse_command_line(int argc, const char* const* argv);

}  // namespace instctl
