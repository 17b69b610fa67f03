// SPDX-License-Identifier: GPL-2.0-only
//
// Feature probe, kernel.mult.* sysctls, and messages for a refused instfork().
#include "mult/kernel.hpp"

#include <cerrno>
#include <charconv>
#include <fstream>
#include <system_error>

#include "mult/error.hpp"

namespace mult {
namespace {

std::optional<long> read_long(const std::filesystem::path& file)
{
    std::ifstream in(file);
    std::string text;
    if (!in || !std::getline(in, text))
        return std::nullopt;
    long value = 0;
    const char* first = text.data();
    const char* last = first + text.size();
    while (last > first && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\n'))
        --last;
    const auto [end, ec] = std::from_chars(first, last, value);
    if (ec != std::errc{} || end != last)
        return std::nullopt;
    return value;
}

std::string value_or_unknown(const std::optional<long>& v)
{
    return v ? std::to_string(*v) : std::string("unknown");
}

}  // namespace

Support probe_instance_support(const std::filesystem::path& sysctl_dir)
{
    std::error_code ec;
    if (std::filesystem::is_directory(sysctl_dir, ec))
        return Support::supported;
    // Tell "this kernel has no mult" apart from "cannot tell": the parent
    // directory (/proc/sys/kernel) exists on every kernel with procfs mounted
    // and CONFIG_SYSCTL, which mult requires for its limits.
    if (std::filesystem::is_directory(sysctl_dir.parent_path(), ec))
        return Support::unsupported;
    return Support::unknown;
}

bool kernel_supports_instances()
{
    return probe_instance_support() == Support::supported;
}

MultSysctls read_mult_sysctls(const std::filesystem::path& sysctl_dir)
{
    MultSysctls s;
    s.support = probe_instance_support(sysctl_dir);
    if (s.support != Support::supported)
        return s;
    s.max_depth = read_long(sysctl_dir / "max_depth");
    s.max_instances = read_long(sysctl_dir / "max_instances");
    s.nr_instances = read_long(sysctl_dir / "nr_instances");
    return s;
}

std::string describe_instfork_error(int err, const MultSysctls& s)
{
    // Without mult nothing else matters: whatever the errno (EINVAL for the
    // unknown flag, or what a seccomp filter chose), instances cannot work.
    if (s.support == Support::unsupported)
        return "this kernel has no mult instances (CONFIG_MULT): /proc/sys/kernel/mult is missing";

    switch (err) {
    case EPERM:
        return "creating an instance needs CAP_SYS_ADMIN in the initial user namespace "
               "(EPERM)";
    case EUSERS:
        return "instance nesting depth limit reached: kernel.mult.max_depth = " +
               value_or_unknown(s.max_depth) + " (EUSERS)";
    case ENOSPC:
        return "live instance limit reached: kernel.mult.max_instances = " +
               value_or_unknown(s.max_instances) +
               ", nr_instances = " + value_or_unknown(s.nr_instances) + " (ENOSPC)";
    case ENOSYS:
        return "clone3() is not available: kernel older than 5.3, or blocked by a seccomp filter "
               "(ENOSYS)";
    case EAGAIN:
        return "cannot create a process: RLIMIT_NPROC or kernel.threads-max reached (EAGAIN)";
    case ENOMEM:
        return "cannot create a process: out of memory (ENOMEM)";
    default:
        break;
    }

    if (s.support == Support::unknown) {
        // Reached with EINVAL from the kernel (check_support off) or ENOENT
        // from instfork()'s own probe.
        std::string text =
            "cannot tell whether this kernel has mult instances: /proc/sys/kernel is not "
            "available (is /proc mounted?)";
        if (err != ENOENT)  // ENOENT is instfork()'s own probe: clone3 never ran
            text += "; clone3(CLONE_NEWINST) failed: " + errno_string(err);
        return text;
    }
    if (err == EINVAL)
        return "the kernel rejected clone3(CLONE_NEWINST) as an invalid flag combination "
               "(CLONE_THREAD, CLONE_SIGHAND, CLONE_PARENT, CLONE_FILES, CLONE_PTRACE, and "
               "CLONE_VM without CLONE_VFORK, cannot start an instance) (EINVAL)";
    return "clone3(CLONE_NEWINST) failed: " + errno_string(err);
}

std::string describe_instfork_error(int err)
{
    return describe_instfork_error(err, read_mult_sysctls());
}

}  // namespace mult
