// SPDX-License-Identifier: GPL-2.0-only
//
// instctl stop, kill --all (stop.cpp) and svc enable/disable (service.cpp):
// instances as services.
#pragma once

#include <expected>
#include <iosfwd>
#include <string>
#include <vector>

#include "options.hpp"

namespace instctl {

// stop's statuses beyond errors.hpp's 0 to 5.
inline constexpr int kExitStopNeededKill = 6;  // gone, but only after SIGKILL
inline constexpr int kExitStopStuck = 7;       // processes left after SIGKILL and its grace
// svc's.
inline constexpr int kExitSvcNoUnit = 8;       // systemd does not know the unit
inline constexpr int kExitSvcCannotWrap = 9;   // no single ExecStart=, or an unsupported Type=
inline constexpr int kExitSvcState = 10;       // already enabled (enable) / not enabled (disable)

[[nodiscard]] int run_stop(const Options& opts, std::ostream& out, std::ostream& err);
[[nodiscard]] int run_kill_all(const Options& opts, std::ostream& out, std::ostream& err);
[[nodiscard]] int run_svc(const Options& opts, std::ostream& out, std::ostream& err);

// The command line of a unit's last ExecStart= (its value, prefixes such
// as '-' included), from the text `systemctl cat UNIT` prints (the unit
// file and its drop-ins; "ExecStart=" alone resets the list). The error is
// a message: none, or several (a oneshot with a list of commands).
[[nodiscard]] std::expected<std::string, std::string> parse_exec_start(const std::string& cat);

// What svc enable writes, pure for the host tests: the drop-in for `unit`
// running `exec_start` (as parse_exec_start() returns it) of Type= `type`
// under `instfork` (its absolute path) with `instfork_args`. Empty
// `problem` when the unit can be wrapped; otherwise the message.
struct DropIn {
    std::string text;
    std::string problem;
};
[[nodiscard]] DropIn make_drop_in(const std::string& unit, const std::string& instance_name,
                                  const std::string& exec_start, const std::string& type,
                                  const std::string& instfork,
                                  const std::vector<std::string>& instfork_args);

// The default instance name for a unit: "ssh.service" gives "ssh", with
// characters a name may not hold replaced by '-' and cut to 31.
[[nodiscard]] std::string default_instance_name(const std::string& unit);

}  // namespace instctl
