// SPDX-License-Identifier: GPL-2.0-only
//
// Generic netlink family resolution over libnl-genl-3.
#include "mult/genl.hpp"

#include <cerrno>
#include <memory>

#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

namespace mult {
namespace {

struct NlSockFree {
    void operator()(nl_sock* sk) const noexcept { nl_socket_free(sk); }
};
using NlSock = std::unique_ptr<nl_sock, NlSockFree>;

// libnl reports its own error numbers (NLE_*), not errno. Map the ones a
// caller can act on; the rest become EIO with libnl's text in the context.
int nl_error_to_errno(int nlerr)
{
    switch (nlerr) {
    case NLE_OBJ_NOTFOUND:
        return ENOENT;
    case NLE_NOMEM:
        return ENOMEM;
    case NLE_PERM:
        return EPERM;
    case NLE_AF_NOSUPPORT:
    case NLE_PROTO_MISMATCH:
        return EAFNOSUPPORT;
    case NLE_NOACCESS:
        return EACCES;
    default:
        return EIO;
    }
}

}  // namespace

Result<int> resolve_genl_family(const std::string& name)
{
    NlSock sk(nl_socket_alloc());
    if (!sk)
        return make_error(ENOMEM, "nl_socket_alloc");

    // genl_connect() opens a NETLINK_GENERIC socket (with SOCK_CLOEXEC since
    // libnl 3.2.x) so it does not leak into children started meanwhile.
    if (const int err = genl_connect(sk.get()); err < 0)
        return make_error(nl_error_to_errno(-err),
                          std::string("genl_connect: ") + nl_geterror(err));

    const int id = genl_ctrl_resolve(sk.get(), name.c_str());
    if (id < 0) {
        if (-id == NLE_OBJ_NOTFOUND)
            return make_error(ENOENT, "generic netlink family '" + name + "' is not registered");
        return make_error(nl_error_to_errno(-id),
                          "resolving generic netlink family '" + name + "': " + nl_geterror(id));
    }
    return id;
}

bool management_module_loaded()
{
    return resolve_genl_family(kGenlFamilyName).has_value();
}

}  // namespace mult
