// SPDX-License-Identifier: GPL-2.0-only
#include "errors.hpp"

#include <cerrno>

namespace instctl {

int exit_code_for(const mult::Error& error, Stage stage) noexcept
{
    switch (error.code) {
    case ENOENT:
        return stage == Stage::connect ? kExitNoModule : kExitNoInstance;
    case EPERM:
    case EACCES:
        return kExitPermission;
    default:
        return kExitFailure;
    }
}

namespace {

bool family_missing(const mult::Error& error, Stage stage)
{
    return stage == Stage::connect && error.code == ENOENT && error.detail.empty();
}

}  // namespace

std::string error_message(const mult::Error& error, Stage stage)
{
    return error_message(error, stage,
                         family_missing(error, stage) ? mult::probe_instance_support()
                                                      : mult::Support::supported);
}

std::string error_message(const mult::Error& error, Stage stage, mult::Support kernel)
{
    // No module can load on such a kernel: advice to load one would send
    // the user the wrong way.
    if (family_missing(error, stage) && kernel == mult::Support::unsupported)
        return mult::describe_instfork_error(EINVAL, mult::MultSysctls{kernel, {}, {}, {}}) +
               ", so there is no management module either: boot a kernel with the mult series";
    if (family_missing(error, stage))
        return "the mult management module (mult_mgmt.ko) is not loaded (no generic netlink "
               "family 'mult'); load it with 'modprobe mult_mgmt' or 'insmod mult_mgmt.ko'";
    if (!error.detail.empty())
        return error.message();  // the kernel said why

    // No extended ack: the errno alone, with what it means for this family.
    mult::Error e = error;
    switch (error.code) {
    case EPERM:
    case EACCES:
        e.detail = "needs CAP_SYS_ADMIN in the initial user namespace, from outside any instance";
        break;
    case ESRCH:
        e.detail = "the instance is ending: its first process has exited";
        break;
    case EBUSY:
        e.detail = "another process is already armed to enter this instance";
        break;
    case EOPNOTSUPP:
        e.detail = "the management module or the kernel does not support this operation";
        break;
    default:
        break;
    }
    return e.message();
}

std::string exit_status_help(bool with_exec)
{
    std::string text =
        "Exit status:\n"
        "  0  success\n"
        "  1  other failure\n"
        "  2  usage error\n"
        "  3  no such instance\n"
        "  4  permission denied (needs CAP_SYS_ADMIN in the initial user namespace,\n"
        "     and a caller outside any instance)\n"
        "  5  the management module mult_mgmt.ko is not loaded\n";
    if (with_exec)
        text += "  exec: the command's status (128+N if signal N killed it), 125 if instctl\n"
                "  failed (the message says why), 126 if the command cannot be executed,\n"
                "  127 if it was not found.\n";
    return text;
}

}  // namespace instctl
