// SPDX-License-Identifier: GPL-2.0-only
//
// Generic netlink plumbing over libnl-3 / libnl-genl-3.
//
// The administrative view of instances (list, ps, kill, enter, names) lives
// in an out-of-tree module that registers the generic netlink family "mult"
// (design §4). Whether the module is loaded is exactly whether the kernel's
// genl controller can resolve that family name. mgmt.hpp speaks the family
// itself; this header owns the pieces that do not depend on it: RAII for
// libnl objects, the request/reply loop, and the kernel's extended acks.
//
// libnl-3.7 predates extended acks: its default error handling turns the
// kernel's errno into an NLE_* code (losing EEXIST, ESRCH, EBUSY, ...) and
// drops the message. GenlSocket therefore handles NLMSG_ERROR and
// NLMSG_DONE itself and keeps both the errno and the text.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "mult/error.hpp"

struct nl_sock;
struct nl_msg;
struct nl_cb;
struct nlmsghdr;

namespace mult {

inline constexpr const char* kGenlFamilyName = "mult";

namespace genl {

struct SockFree {
    void operator()(nl_sock* sk) const noexcept;
};
struct MsgFree {
    void operator()(nl_msg* msg) const noexcept;
};
struct CbFree {
    void operator()(nl_cb* cb) const noexcept;
};
using SockPtr = std::unique_ptr<nl_sock, SockFree>;
using Msg = std::unique_ptr<nl_msg, MsgFree>;
using CbPtr = std::unique_ptr<nl_cb, CbFree>;

// libnl reports its own error numbers (NLE_*), not errno. Maps the ones a
// caller can act on; the rest become EIO.
[[nodiscard]] int nl_error_to_errno(int nlerr) noexcept;

// An Error for a failed libnl call: nl_error_to_errno(), with libnl's text.
[[nodiscard]] Error libnl_error(int nlerr, const std::string& context);

// What an extended ack carries (NETLINK_EXT_ACK, include/uapi/linux/netlink.h).
struct ExtAck {
    std::string message;                 // NLMSGERR_ATTR_MSG
    std::optional<std::uint32_t> offset;  // NLMSGERR_ATTR_OFFS: offending attribute
    std::optional<std::uint32_t> missing_type;  // NLMSGERR_ATTR_MISS_TYPE
};

// The errno and extended ack of an NLMSG_ERROR message (error 0 is an ACK),
// or of an NLMSG_DONE that ends a dump (its payload is an int status, with
// the TLVs after it when NLM_F_ACK_TLVS is set). Works whether or not the
// request was echoed (NLM_F_CAPPED). EPROTO when the message is too short
// to hold the status. Pure: for the tests.
struct AckStatus {
    int error = 0;  // a positive errno, or 0 for success
    ExtAck ext_ack;
};
[[nodiscard]] Result<AckStatus> parse_ack(const nlmsghdr* hdr);

// An Error from a failed ack: code = the errno, detail = the kernel's message.
[[nodiscard]] Error ack_error(const AckStatus& ack, std::string context);

// A generic netlink socket (NETLINK_GENERIC) with extended acks enabled and
// acks capped (the kernel does not echo the request back with an error).
class Socket {
public:
    // Opens and connects the socket.
    [[nodiscard]] static Result<Socket> open();

    // The family id of `name`. Error::code is ENOENT when no such family is
    // registered.
    [[nodiscard]] Result<int> resolve_family(const std::string& name);
    // The id of multicast group `group` of family `family`; ENOENT if the
    // family or the group does not exist.
    [[nodiscard]] Result<int> resolve_group(const std::string& family, const std::string& group);
    // Joins multicast group `group` (NETLINK_ADD_MEMBERSHIP). The kernel may
    // refuse with EPERM (a group registered with GENL_MCAST_CAP_SYS_ADMIN).
    [[nodiscard]] Result<void> add_membership(int group);
    // Receive buffer for multicast listeners, so a burst does not overrun.
    [[nodiscard]] Result<void> set_receive_buffer(int bytes);
    [[nodiscard]] Result<void> set_nonblocking();

    // Called with each reply (or event) message; an error stops the loop
    // and is returned.
    using Handler = std::function<Result<void>(nl_msg* msg)>;

    // Sends `request` (completed with this socket's port and the next
    // sequence number) and hands every reply with the request's sequence
    // number to `on_reply` until the kernel acks (a do request, which must
    // carry NLM_F_ACK) or ends the dump (NLMSG_DONE). The kernel's refusal
    // becomes an Error with its errno and extended-ack message; `context`
    // names the request in errors.
    [[nodiscard]] Result<void> transact(Msg request, const Handler& on_reply,
                                        const std::string& context);

    // Reads what is queued on a non-blocking socket (at least one recv) and
    // hands every message of type other than the netlink control types to
    // `on_message`, whatever its sequence number (multicast messages carry
    // 0). ENOBUFS: the receive buffer overflowed and messages were lost.
    [[nodiscard]] Result<void> receive(const Handler& on_message);

    [[nodiscard]] int fd() const noexcept;
    [[nodiscard]] nl_sock* get() const noexcept { return sock_.get(); }

private:
    explicit Socket(SockPtr sock) noexcept : sock_(std::move(sock)) {}
    SockPtr sock_;
};

}  // namespace genl

// Resolves a generic netlink family name to its id on a fresh socket.
// Error::code is ENOENT when no such family is registered.
[[nodiscard]] Result<int> resolve_genl_family(const std::string& name);

// True when the "mult" family resolves; any error counts as "not loaded".
// For callers that only need to know (tests deciding to skip); tools open
// a mgmt::Client and report its error instead.
[[nodiscard]] bool management_module_loaded();

}  // namespace mult
