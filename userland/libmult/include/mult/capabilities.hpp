// SPDX-License-Identifier: GPL-2.0-only
//
// Capability sets for the first process of an instance.
//
// An instance isolates processes, not the machine: its members share the
// kernel, the file systems, the network stack and the devices with the rest
// of the system. What keeps root inside an instance from seeing or changing
// the machine as a whole (loading modules, reading the kernel log,
// system-wide perf events, mounting debugfs) is its capability bounding set,
// which no later execve() of a setuid-root or file-capability program can
// grow back. instfork starts an instance with kInstanceDefault and drops the
// rest in the child, between clone3() and execve(); docs/semantics.md
// ("Capabilities inside an instance") gives the reason for every
// capability.
//
// Names are looked up with libcap, in the parent only: the child makes raw
// prctl() and capset() calls (async-signal-safe, nothing allocated).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <linux/capability.h>

namespace mult::caps {

// Bit N stands for capability N. The capget/capset ABI (version 3) has room
// for 64; Linux 6.12 defines 41 (CAP_LAST_CAP is CAP_CHECKPOINT_RESTORE, 40).
using Set = std::uint64_t;
inline constexpr int kSlots = 64;

[[nodiscard]] constexpr Set bit(int cap) noexcept
{
    return Set{1} << cap;
}

inline constexpr Set kNone = 0;
inline constexpr Set kAll = ~Set{0};

// What the first process of an instance keeps unless told otherwise: what
// a service needs to run as root on its own files, switch users, bind low
// ports and log in users, and nothing that reaches the machine as a whole.
// An allow-list, so that a capability newer than this list (above
// CAP_LAST_CAP of the headers it was built with) is dropped too: instfork
// cannot tell what it would allow.
inline constexpr Set kInstanceDefault =
    bit(CAP_CHOWN) | bit(CAP_DAC_OVERRIDE) | bit(CAP_DAC_READ_SEARCH) | bit(CAP_FOWNER) |
    bit(CAP_FSETID) | bit(CAP_KILL) | bit(CAP_SETGID) | bit(CAP_SETUID) | bit(CAP_SETPCAP) |
    bit(CAP_NET_BIND_SERVICE) | bit(CAP_IPC_OWNER) | bit(CAP_SYS_CHROOT) | bit(CAP_LEASE) |
    bit(CAP_AUDIT_WRITE) | bit(CAP_SETFCAP);

// The capability called `name`: "sys_admin", "CAP_SYS_ADMIN", in any case.
// nullopt for anything else, numbers included. Known are the names libcap
// knows, which may include capabilities the running kernel lacks.
[[nodiscard]] std::optional<int> from_name(std::string_view name);

// "CAP_SYS_ADMIN"; "capability 41" for one that libcap has no name for.
[[nodiscard]] std::string name(int cap);

// The names of the capabilities in `set` that libcap knows, lower case
// without the "cap_" prefix, as options take them: {"chown", "kill"}.
[[nodiscard]] std::vector<std::string> short_names(Set set);

namespace async_safe {

// Takes the capabilities in `drop` away for good: from the bounding set
// (PR_CAPBSET_DROP, which needs CAP_SETPCAP; capabilities already out of it
// are skipped, and the walk ends at the first number the running kernel
// does not know, as its cap_last_cap says), then from the effective,
// permitted and inheritable sets (capset), which takes them out of the
// ambient set too. Returns 0 or an errno value; `failed_cap` is the
// capability whose bounding-set drop failed, -1 if none did.
[[nodiscard]] int drop(Set drop, int& failed_cap) noexcept;

}  // namespace async_safe

}  // namespace mult::caps
