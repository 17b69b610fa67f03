// SPDX-License-Identifier: GPL-2.0-only
//
// Building the command's environment from --clear-env and --env (pure).
// The NULL-terminated arrays execve wants are mult::CStringArray (spawn.hpp).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "options.hpp"

namespace instfork {

// The environment for the command: `base` ("K=V" strings, e.g. environ)
// unless `clear`, then each assignment in order, replacing an existing
// variable of that name in place or appending a new one.
[[nodiscard]] std::vector<std::string> build_environment(std::span<const std::string> base,
                                                         bool clear,
                                                         std::span<const EnvAssignment> assignments);

}  // namespace instfork
