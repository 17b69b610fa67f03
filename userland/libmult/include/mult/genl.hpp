// SPDX-License-Identifier: GPL-2.0-only
//
// Generic netlink plumbing for the mult management module.
//
// The administrative view of instances (list, ps, kill, enter, names) lives
// in an out-of-tree module that registers the generic netlink family "mult"
// (design §4). Whether the module is loaded is exactly whether the kernel's
// genl controller can resolve that family name.
#pragma once

#include <string>

#include "mult/error.hpp"

namespace mult {

inline constexpr const char* kGenlFamilyName = "mult";

// Resolves a generic netlink family name to its id (libnl genl_ctrl_resolve).
// Error::code is ENOENT when no such family is registered.
[[nodiscard]] Result<int> resolve_genl_family(const std::string& name);

// True when the "mult" family resolves; any error counts as "not loaded".
[[nodiscard]] bool management_module_loaded();

}  // namespace mult
