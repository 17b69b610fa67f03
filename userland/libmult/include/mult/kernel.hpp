// SPDX-License-Identifier: GPL-2.0-only
//
// What the running kernel offers: the feature probe, the kernel.mult.*
// sysctls, and the explanation of a refused instfork().
//
// A kernel with mult registers /proc/sys/kernel/mult/{max_depth,
// max_instances,nr_instances}. That directory is the feature test: an
// unpatched kernel rejects CLONE_NEWINST with a bare EINVAL, which says
// nothing useful, and a future kernel could give bit 34 of clone3's flags
// another meaning, so libmult looks before it leaps (see instfork.hpp).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace mult {

inline constexpr const char* kMultSysctlDir = "/proc/sys/kernel/mult";

enum class Support {
    supported,    // <dir> exists
    unsupported,  // <dir> is missing but its parent (/proc/sys/kernel) exists
    unknown,      // not even the parent exists: /proc is not mounted (or no CONFIG_SYSCTL)
};

[[nodiscard]] Support probe_instance_support(const std::filesystem::path& sysctl_dir = kMultSysctlDir);

// probe_instance_support() == Support::supported.
[[nodiscard]] bool kernel_supports_instances();

// Snapshot of kernel.mult.*; a value is empty when its file is absent or unreadable.
struct MultSysctls {
    Support support = Support::unknown;
    std::optional<long> max_depth;
    std::optional<long> max_instances;
    std::optional<long> nr_instances;
};

[[nodiscard]] MultSysctls read_mult_sysctls(const std::filesystem::path& sysctl_dir = kMultSysctlDir);

// A one-line explanation, for people, of why instfork() failed with `err`,
// given the sysctl state (pure: for the tests). Covers a kernel without mult,
// EPERM, EUSERS (prints max_depth), ENOSPC (prints max_instances and
// nr_instances), EINVAL and the generic fork errors.
[[nodiscard]] std::string describe_instfork_error(int err, const MultSysctls& sysctls);

// Same, reading the live sysctls.
[[nodiscard]] std::string describe_instfork_error(int err);

}  // namespace mult
