// SPDX-License-Identifier: GPL-2.0-only
//
// Capability names (libcap) and the child's drop (raw system calls).
#include "mult/capabilities.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <memory>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mult::caps {
namespace {

// libcap's name for `cap` ("cap_sys_admin"), or its number as text when it
// has none.
std::string libcap_name(int cap)
{
    const std::unique_ptr<char, int (*)(void*)> text(cap_to_name(cap), cap_free);
    return text ? std::string(text.get()) : std::to_string(cap);
}

bool known(int cap)
{
    return libcap_name(cap).starts_with("cap_");
}

enum class Case { lower, upper };

std::string with_case(std::string_view text, Case to)
{
    std::string out(text);
    std::ranges::transform(out, out.begin(), [to](unsigned char c) {
        return static_cast<char>(to == Case::upper ? std::toupper(c) : std::tolower(c));
    });
    return out;
}

}  // namespace

std::optional<int> from_name(std::string_view name)
{
    std::string wanted = with_case(name, Case::lower);
    if (!wanted.starts_with("cap_"))
        wanted.insert(0, "cap_");
    // cap_from_name() also takes numbers and reads only as far as a name
    // goes ("cap_kill,x" is CAP_KILL): the name it maps to must be the one
    // asked for, letter for letter.
    cap_value_t cap = -1;
    if (cap_from_name(wanted.c_str(), &cap) != 0 || cap < 0 || cap >= kSlots ||
        libcap_name(cap) != wanted)
        return std::nullopt;
    return cap;
}

std::string name(int cap)
{
    const std::string text = libcap_name(cap);
    if (!text.starts_with("cap_"))
        return "capability " + std::to_string(cap);
    return with_case(text, Case::upper);
}

std::vector<std::string> short_names(Set set)
{
    std::vector<std::string> out;
    for (int cap = 0; cap < kSlots; ++cap)
        if ((set & bit(cap)) != 0 && known(cap))
            out.push_back(libcap_name(cap).substr(4));
    return out;
}

namespace async_safe {

int drop(Set drop, int& failed_cap) noexcept
{
    failed_cap = -1;
    if (drop == kNone)
        return 0;
    for (int cap = 0; cap < kSlots; ++cap) {
        if ((drop & bit(cap)) == 0)
            continue;
        const int present = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (present < 0 && errno == EINVAL)
            break;  // beyond cap_last_cap: the kernel numbers them without gaps
        // Only a drop that changes something needs CAP_SETPCAP, so a process
        // whose bounding set is already small enough succeeds without it.
        if (present < 0 || (present == 1 && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)) {
            failed_cap = cap;
            return errno;
        }
    }
    // The bounding set limits what an execve() can grant; what the process
    // holds now goes separately. Lowering is always allowed, and the kernel
    // keeps ambient a subset of permitted and inheritable (capabilities(7)).
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (::syscall(SYS_capget, &header, data) != 0)
        return errno;
    for (std::size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; ++i) {
        const auto keep = static_cast<std::uint32_t>(~drop >> (32 * i));
        data[i].effective &= keep;
        data[i].permitted &= keep;
        data[i].inheritable &= keep;
    }
    if (::syscall(SYS_capset, &header, data) != 0)
        return errno;
    return 0;
}

}  // namespace async_safe

}  // namespace mult::caps
