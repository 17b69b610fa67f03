// SPDX-License-Identifier: GPL-2.0-only
//
// instctl's exit statuses and the messages for its failures.
#pragma once

#include <string>

#include "mult/error.hpp"
#include "mult/kernel.hpp"

namespace instctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // any other failure
inline constexpr int kExitUsage = 2;        // bad command line
inline constexpr int kExitNoInstance = 3;   // no such instance
inline constexpr int kExitPermission = 4;   // EPERM / EACCES
inline constexpr int kExitNoModule = 5;     // mult_mgmt.ko not loaded
// exec passes the command's status through, so its own failures use the
// env(1) codes instead (mult::kExitSpawnFailure and friends, spawn.hpp).

// Where a failure happened: connecting (resolving the family: ENOENT means
// the module is not loaded) or in a request (ENOENT: no such instance).
enum class Stage { connect, request };

[[nodiscard]] int exit_code_for(const mult::Error& error, Stage stage) noexcept;

// The message, without the "instctl: " prefix, naming the cause: the
// kernel's extended ack when it gave one, else a hint from the errno. A
// family that is not registered on a kernel without mult (`kernel`
// unsupported) is reported as that kernel, not as a module to load.
[[nodiscard]] std::string error_message(const mult::Error& error, Stage stage,
                                        mult::Support kernel);

// The same for the running kernel (probed only when it matters).
[[nodiscard]] std::string error_message(const mult::Error& error, Stage stage);

// The exit statuses for the help texts: 0 to 5, and with `with_exec` also
// exec's (which passes the command's status through).
[[nodiscard]] std::string exit_status_help(bool with_exec);

}  // namespace instctl
