// SPDX-License-Identifier: GPL-2.0-only
//
// Generic netlink over libnl-genl-3: the socket, the request/reply loop and
// extended acks.
#include "mult/genl.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270  // <linux/socket.h>
#endif

namespace mult::genl {

void SockFree::operator()(nl_sock* sk) const noexcept
{
    nl_socket_free(sk);
}
void MsgFree::operator()(nl_msg* msg) const noexcept
{
    nlmsg_free(msg);
}
void CbFree::operator()(nl_cb* cb) const noexcept
{
    nl_cb_put(cb);
}

int nl_error_to_errno(int nlerr) noexcept
{
    switch (nlerr < 0 ? -nlerr : nlerr) {
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
    case NLE_AGAIN:
        return EAGAIN;
    case NLE_INTR:
        return EINTR;
    case NLE_BUSY:
        return EBUSY;
    case NLE_OPNOTSUPP:
        return EOPNOTSUPP;
    case NLE_INVAL:
        return EINVAL;
    case NLE_MSGSIZE:
        return EMSGSIZE;
    default:
        return EIO;
    }
}

Error libnl_error(int nlerr, const std::string& context)
{
    return Error{nl_error_to_errno(nlerr), context + ": " + nl_geterror(nlerr), {}};
}

namespace {

// An attribute's string payload, without trusting it to be NUL-terminated.
std::string attr_string(const nlattr* attr)
{
    const auto* s = static_cast<const char*>(nla_data(attr));
    return std::string(s, ::strnlen(s, static_cast<std::size_t>(nla_len(attr))));
}

std::optional<std::uint32_t> attr_u32(const nlattr* attr)
{
    if (attr == nullptr || nla_len(attr) < static_cast<int>(sizeof(std::uint32_t)))
        return std::nullopt;
    return nla_get_u32(const_cast<nlattr*>(attr));
}

}  // namespace

Result<AckStatus> parse_ack(const nlmsghdr* hdr)
{
    if (hdr->nlmsg_len < NLMSG_HDRLEN)
        return make_error(EPROTO, "netlink ack shorter than its header");
    const auto* data = reinterpret_cast<const unsigned char*>(hdr) + NLMSG_HDRLEN;
    const std::size_t len = hdr->nlmsg_len - NLMSG_HDRLEN;

    int status = 0;
    std::size_t tlvs = 0;  // offset of the extended-ack attributes in `data`
    if (hdr->nlmsg_type == NLMSG_ERROR) {
        nlmsgerr err;
        if (len < sizeof err)
            return make_error(EPROTO, "netlink error message too short");
        std::memcpy(&err, data, sizeof err);
        status = err.error;
        // Without NETLINK_CAP_ACK (or if the kernel ignored it) an error
        // echoes the whole request after the header: skip it.
        std::size_t payload = sizeof err;
        if (!(hdr->nlmsg_flags & NLM_F_CAPPED) && err.msg.nlmsg_len > NLMSG_HDRLEN)
            payload += err.msg.nlmsg_len - NLMSG_HDRLEN;
        tlvs = NLMSG_ALIGN(payload);
    } else if (hdr->nlmsg_type == NLMSG_DONE) {
        // A dump's end: an int, 0 or a negative errno (the dump failed
        // after it started).
        if (len >= sizeof status)
            std::memcpy(&status, data, sizeof status);
        tlvs = NLMSG_ALIGN(sizeof status);
    } else {
        return make_error(EPROTO, "netlink message type " + std::to_string(hdr->nlmsg_type) +
                                      " is not an ack");
    }

    AckStatus ack;
    ack.error = status < 0 ? -status : 0;
    if ((hdr->nlmsg_flags & NLM_F_ACK_TLVS) && tlvs < len) {
        nlattr* tb[NLMSGERR_ATTR_MAX + 1] = {};
        // nla_parse() only reads; its prototype predates const.
        auto* head = reinterpret_cast<nlattr*>(const_cast<unsigned char*>(data + tlvs));
        if (nla_parse(tb, NLMSGERR_ATTR_MAX, head, static_cast<int>(len - tlvs), nullptr) == 0) {
            if (tb[NLMSGERR_ATTR_MSG] != nullptr)
                ack.ext_ack.message = attr_string(tb[NLMSGERR_ATTR_MSG]);
            ack.ext_ack.offset = attr_u32(tb[NLMSGERR_ATTR_OFFS]);
            ack.ext_ack.missing_type = attr_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
        }
    }
    return ack;
}

Error ack_error(const AckStatus& ack, std::string context)
{
    return Error{ack.error, std::move(context), ack.ext_ack.message};
}

namespace {

// State shared by the libnl callbacks of one transact() or receive().
struct Exchange {
    std::uint32_t seq = 0;
    bool match_seq = true;
    const Socket::Handler* handler = nullptr;
    const std::string* context = nullptr;
    std::optional<Error> error;  // the first failure
    bool done = false;           // ack or NLMSG_DONE seen
};

Exchange& exchange(void* arg)
{
    return *static_cast<Exchange*>(arg);
}

int on_seq_check(nl_msg* msg, void* arg)
{
    const Exchange& ex = exchange(arg);
    // Replies to an earlier request abandoned midway (a handler failed) may
    // still be queued: they are not ours.
    if (ex.match_seq && nlmsg_hdr(msg)->nlmsg_seq != ex.seq)
        return NL_SKIP;
    return NL_OK;
}

int on_valid(nl_msg* msg, void* arg)
{
    Exchange& ex = exchange(arg);
    if (ex.error)
        return NL_SKIP;  // keep reading to the end of the dump: the socket stays usable
    if (auto r = (*ex.handler)(msg); !r)
        ex.error = r.error();
    return NL_OK;
}

void record_ack(Exchange& ex, const nlmsghdr* hdr)
{
    ex.done = true;
    auto ack = parse_ack(hdr);
    if (!ack) {
        if (!ex.error)
            ex.error = ack.error();
        return;
    }
    if (ack->error != 0 && !ex.error)
        ex.error = ack_error(*ack, *ex.context);
}

int on_finish(nl_msg* msg, void* arg)
{
    record_ack(exchange(arg), nlmsg_hdr(msg));
    return NL_STOP;
}

int on_ack(nl_msg*, void* arg)
{
    exchange(arg).done = true;
    return NL_STOP;
}

int on_error(sockaddr_nl*, nlmsgerr* err, void* arg)
{
    // libnl hands over the payload of the NLMSG_ERROR message; its header
    // sits right before it.
    const auto* hdr = reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(err) -
                                                        NLMSG_HDRLEN);
    record_ack(exchange(arg), hdr);
    return NL_STOP;
}

Result<CbPtr> make_callbacks(Exchange& ex)
{
    CbPtr cb(nl_cb_alloc(NL_CB_DEFAULT));
    if (!cb)
        return make_error(ENOMEM, "nl_cb_alloc");
    nl_cb_set(cb.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, on_seq_check, &ex);
    nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &ex);
    nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &ex);
    nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_ack, &ex);
    nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &ex);
    return cb;
}

void set_flag_option(int fd, int option)
{
    const int on = 1;
    // Best effort: every kernel mult runs on has both (4.3 and 4.12). Without
    // them errors still arrive, only without the kernel's message, and
    // parse_ack() copes with an echoed request.
    (void)::setsockopt(fd, SOL_NETLINK, option, &on, sizeof on);
}

}  // namespace

Result<Socket> Socket::open()
{
    SockPtr sk(nl_socket_alloc());
    if (!sk)
        return make_error(ENOMEM, "nl_socket_alloc");
    // Acks are asked for per request (NLM_F_ACK on do requests only): a dump
    // ends with NLMSG_DONE, and libnl's automatic ack would be waited for
    // after it.
    nl_socket_disable_auto_ack(sk.get());
    // Dump replies can exceed libnl's default buffer; peeking sizes it.
    nl_socket_enable_msg_peek(sk.get());
    // genl_connect() opens a NETLINK_GENERIC socket with SOCK_CLOEXEC, so it
    // does not leak into children started meanwhile.
    if (const int err = genl_connect(sk.get()); err < 0)
        return std::unexpected(libnl_error(err, "genl_connect"));
    set_flag_option(nl_socket_get_fd(sk.get()), NETLINK_EXT_ACK);
    set_flag_option(nl_socket_get_fd(sk.get()), NETLINK_CAP_ACK);
    return Socket(std::move(sk));
}

Result<int> Socket::resolve_family(const std::string& name)
{
    const int id = genl_ctrl_resolve(sock_.get(), name.c_str());
    if (id >= 0)
        return id;
    if (-id == NLE_OBJ_NOTFOUND)
        return make_error(ENOENT, "generic netlink family '" + name + "' is not registered");
    return std::unexpected(libnl_error(id, "resolving generic netlink family '" + name + "'"));
}

Result<int> Socket::resolve_group(const std::string& family, const std::string& group)
{
    const int id = genl_ctrl_resolve_grp(sock_.get(), family.c_str(), group.c_str());
    if (id >= 0)
        return id;
    const std::string what = "multicast group '" + group + "' of generic netlink family '" +
                             family + "'";
    if (-id == NLE_OBJ_NOTFOUND)
        return make_error(ENOENT, what + " is not registered");
    return std::unexpected(libnl_error(id, "resolving " + what));
}

Result<void> Socket::add_membership(int group)
{
    // nl_socket_add_membership() turns the errno into an NLE_* code and
    // EPERM would come back as NLE_FAILURE: call setsockopt directly.
    if (::setsockopt(fd(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0) {
        const int err = errno;
        return make_error(err, "joining multicast group " + std::to_string(group));
    }
    return {};
}

Result<void> Socket::set_receive_buffer(int bytes)
{
    if (const int err = nl_socket_set_buffer_size(sock_.get(), bytes, 0); err < 0)
        return std::unexpected(libnl_error(err, "setting the netlink receive buffer size"));
    return {};
}

Result<void> Socket::set_nonblocking()
{
    if (const int err = nl_socket_set_nonblocking(sock_.get()); err < 0)
        return std::unexpected(libnl_error(err, "making the netlink socket non-blocking"));
    return {};
}

int Socket::fd() const noexcept
{
    return nl_socket_get_fd(sock_.get());
}

Result<void> Socket::transact(Msg request, const Handler& on_reply, const std::string& context)
{
    const int sent = nl_send_auto(sock_.get(), request.get());
    if (sent < 0)
        return std::unexpected(libnl_error(sent, context + ": sending the request"));

    Exchange ex;
    ex.seq = nlmsg_hdr(request.get())->nlmsg_seq;
    ex.handler = &on_reply;
    ex.context = &context;
    auto cb = make_callbacks(ex);
    if (!cb)
        return std::unexpected(cb.error());

    // One nl_recvmsgs() reads one datagram, or until NLMSG_DONE for a
    // multipart reply; a do request's reply and its ack may arrive in two.
    while (!ex.done) {
        const int err = nl_recvmsgs(sock_.get(), cb->get());
        if (ex.done)
            break;  // an error ack makes nl_recvmsgs() fail too: ours is better
        if (err < 0)
            return std::unexpected(libnl_error(err, context + ": receiving the reply"));
    }
    if (ex.error)
        return std::unexpected(*ex.error);
    return {};
}

Result<void> Socket::receive(const Handler& on_message)
{
    const std::string context = "receiving netlink messages";
    Exchange ex;
    ex.match_seq = false;
    ex.handler = &on_message;
    ex.context = &context;
    auto cb = make_callbacks(ex);
    if (!cb)
        return std::unexpected(cb.error());
    const int err = nl_recvmsgs(sock_.get(), cb->get());
    if (ex.error)
        return std::unexpected(*ex.error);
    if (err >= 0 || -err == NLE_AGAIN)
        return {};
    // libnl reports the kernel's ENOBUFS (the receive queue overflowed and
    // messages were dropped) as NLE_NOMEM.
    if (-err == NLE_NOMEM)
        return make_error(ENOBUFS, "netlink receive buffer overrun: messages were lost");
    return std::unexpected(libnl_error(err, context));
}

}  // namespace mult::genl

namespace mult {

Result<int> resolve_genl_family(const std::string& name)
{
    auto sock = genl::Socket::open();
    if (!sock)
        return std::unexpected(sock.error());
    return sock->resolve_family(name);
}

bool management_module_loaded()
{
    return resolve_genl_family(kGenlFamilyName).has_value();
}

}  // namespace mult
