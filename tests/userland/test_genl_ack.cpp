// SPDX-License-Identifier: GPL-2.0-only
//
// Acks and extended acks (mult::genl::parse_ack) from messages built here,
// then the request/reply loop (genl::Socket::transact) against the host
// kernel's own generic netlink controller, which every kernel has: a do
// request, a dump to NLMSG_DONE, an errno and a real extended ack.
#include <gtest/gtest.h>

#include <cerrno>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "mult/genl.hpp"

using mult::genl::Msg;

namespace {

// The header of the request an ack answers, as the kernel copies it.
nlmsghdr request_header(std::uint32_t len)
{
    nlmsghdr h{};
    h.nlmsg_len = len;
    h.nlmsg_type = 0x1c;
    h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    h.nlmsg_seq = 7;
    return h;
}

Msg error_message(int error, int flags, std::size_t echoed = 0)
{
    Msg m(nlmsg_alloc_simple(NLMSG_ERROR, flags));
    nlmsgerr e{};
    e.error = error;
    e.msg = request_header(static_cast<std::uint32_t>(NLMSG_HDRLEN + echoed));
    EXPECT_EQ(nlmsg_append(m.get(), &e, sizeof e, 0), 0);
    if (echoed > 0) {
        // Without NETLINK_CAP_ACK the request's payload follows.
        const std::vector<unsigned char> payload(echoed, 0xee);
        EXPECT_EQ(nlmsg_append(m.get(), const_cast<unsigned char*>(payload.data()), echoed,
                               NLMSG_ALIGNTO),
                  0);
    }
    return m;
}

mult::genl::AckStatus parsed(const Msg& m)
{
    auto ack = mult::genl::parse_ack(nlmsg_hdr(m.get()));
    EXPECT_TRUE(ack.has_value()) << (ack ? "" : ack.error().message());
    return ack ? *ack : mult::genl::AckStatus{};
}

}  // namespace

TEST(Ack, SuccessIsErrorZero)
{
    const auto ack = parsed(error_message(0, NLM_F_CAPPED));
    EXPECT_EQ(ack.error, 0);
    EXPECT_EQ(ack.ext_ack.message, "");
}

TEST(Ack, CappedErrorWithExtendedAck)
{
    Msg m = error_message(-ENOENT, NLM_F_CAPPED | NLM_F_ACK_TLVS);
    nla_put_string(m.get(), NLMSGERR_ATTR_MSG, "no instance with this name");
    nla_put_u32(m.get(), NLMSGERR_ATTR_OFFS, 20);
    const auto ack = parsed(m);
    EXPECT_EQ(ack.error, ENOENT);
    EXPECT_EQ(ack.ext_ack.message, "no instance with this name");
    EXPECT_EQ(ack.ext_ack.offset, 20U);
    EXPECT_FALSE(ack.ext_ack.missing_type);
}

TEST(Ack, UncappedErrorSkipsTheEchoedRequest)
{
    Msg m = error_message(-EINVAL, NLM_F_ACK_TLVS, 12);
    nla_put_string(m.get(), NLMSGERR_ATTR_MSG, "set-name needs the new name");
    nla_put_u32(m.get(), NLMSGERR_ATTR_MISS_TYPE, 2);
    const auto ack = parsed(m);
    EXPECT_EQ(ack.error, EINVAL);
    EXPECT_EQ(ack.ext_ack.message, "set-name needs the new name");
    EXPECT_EQ(ack.ext_ack.missing_type, 2U);
}

TEST(Ack, TlvsAreIgnoredWithoutTheFlag)
{
    Msg m = error_message(-EPERM, NLM_F_CAPPED);
    nla_put_string(m.get(), NLMSGERR_ATTR_MSG, "must not be read");
    const auto ack = parsed(m);
    EXPECT_EQ(ack.error, EPERM);
    EXPECT_EQ(ack.ext_ack.message, "");
}

TEST(Ack, MessageWithoutNulIsCutAtItsLength)
{
    Msg m = error_message(-EPERM, NLM_F_CAPPED | NLM_F_ACK_TLVS);
    nla_put(m.get(), NLMSGERR_ATTR_MSG, 7, "not NUL-terminated");
    EXPECT_EQ(parsed(m).ext_ack.message, "not NUL");
}

TEST(Ack, DoneEndsADumpWithItsStatus)
{
    Msg ok(nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI));
    int zero = 0;
    nlmsg_append(ok.get(), &zero, sizeof zero, 0);
    EXPECT_EQ(parsed(ok).error, 0);

    Msg failed(nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS));
    int status = -EPERM;
    nlmsg_append(failed.get(), &status, sizeof status, 0);
    nla_put_string(failed.get(), NLMSGERR_ATTR_MSG, "not allowed from inside an instance");
    const auto ack = parsed(failed);
    EXPECT_EQ(ack.error, EPERM);
    EXPECT_EQ(ack.ext_ack.message, "not allowed from inside an instance");
}

TEST(Ack, TruncatedOrForeignMessagesAreProtocolErrors)
{
    Msg short_error(nlmsg_alloc_simple(NLMSG_ERROR, 0));
    int half = -EPERM;
    nlmsg_append(short_error.get(), &half, sizeof half, 0);
    auto r = mult::genl::parse_ack(nlmsg_hdr(short_error.get()));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, EPROTO);

    Msg other(nlmsg_alloc_simple(0x1c, 0));
    r = mult::genl::parse_ack(nlmsg_hdr(other.get()));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, EPROTO);
}

TEST(Ack, ErrorCarriesTheKernelsMessage)
{
    mult::genl::AckStatus ack;
    ack.error = ENOENT;
    ack.ext_ack.message = "no instance with this name";
    const mult::Error e = mult::genl::ack_error(ack, "kill instance 'web'");
    EXPECT_EQ(e.code, ENOENT);
    EXPECT_EQ(e.detail, "no instance with this name");
    EXPECT_EQ(e.message(), "kill instance 'web': no instance with this name (No such file or directory)");

    ack.ext_ack.message.clear();
    EXPECT_EQ(mult::genl::ack_error(ack, "kill instance 'web'").message(),
              "kill instance 'web': No such file or directory");
}

TEST(Ack, LibnlErrorsMapToErrno)
{
    EXPECT_EQ(mult::genl::nl_error_to_errno(-NLE_OBJ_NOTFOUND), ENOENT);
    EXPECT_EQ(mult::genl::nl_error_to_errno(NLE_OBJ_NOTFOUND), ENOENT);
    EXPECT_EQ(mult::genl::nl_error_to_errno(-NLE_PERM), EPERM);
    EXPECT_EQ(mult::genl::nl_error_to_errno(-NLE_NOACCESS), EACCES);
    EXPECT_EQ(mult::genl::nl_error_to_errno(-NLE_NOMEM), ENOMEM);
    EXPECT_EQ(mult::genl::nl_error_to_errno(-NLE_SEQ_MISMATCH), EIO);
    EXPECT_EQ(mult::genl::libnl_error(-NLE_OBJ_NOTFOUND, "resolving").message(),
              "resolving: Object not found: No such file or directory");
}

// ---- against the host kernel's controller ---------------------------------

namespace {

Msg ctrl_request(std::uint8_t cmd, int flags)
{
    Msg m(nlmsg_alloc());
    EXPECT_NE(genlmsg_put(m.get(), NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, flags, cmd, 2),
              nullptr);
    return m;
}

mult::genl::Socket open_socket()
{
    auto sock = mult::genl::Socket::open();
    if (!sock)
        throw std::runtime_error(sock.error().message());
    return std::move(*sock);
}

}  // namespace

TEST(GenlSocket, DoRequestGetsItsReplyThenTheAck)
{
    auto sock = open_socket();
    Msg req = ctrl_request(CTRL_CMD_GETFAMILY, NLM_F_REQUEST | NLM_F_ACK);
    nla_put_string(req.get(), CTRL_ATTR_FAMILY_NAME, "nlctrl");
    std::vector<std::uint16_t> ids;
    auto r = sock.transact(std::move(req),
                           [&](nl_msg* msg) -> mult::Result<void> {
                               nlattr* tb[CTRL_ATTR_MAX + 1] = {};
                               genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTRL_ATTR_MAX, nullptr);
                               if (tb[CTRL_ATTR_FAMILY_ID] != nullptr)
                                   ids.push_back(nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]));
                               return {};
                           },
                           "getfamily nlctrl");
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(ids, std::vector<std::uint16_t>{GENL_ID_CTRL});
}

TEST(GenlSocket, DumpRunsToDoneAndTheSocketStaysUsable)
{
    auto sock = open_socket();
    int families = 0;
    auto r = sock.transact(ctrl_request(CTRL_CMD_GETFAMILY, NLM_F_REQUEST | NLM_F_DUMP),
                           [&](nl_msg*) -> mult::Result<void> {
                               ++families;
                               return {};
                           },
                           "dump families");
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_GE(families, 1) << "at least nlctrl itself";
    // The next request on the same socket sees only its own replies.
    EXPECT_EQ(sock.resolve_family("nlctrl"), GENL_ID_CTRL);
}

TEST(GenlSocket, HandlerFailureStopsTheRequestButNotTheSocket)
{
    auto sock = open_socket();
    int calls = 0;
    auto r = sock.transact(ctrl_request(CTRL_CMD_GETFAMILY, NLM_F_REQUEST | NLM_F_DUMP),
                           [&](nl_msg*) -> mult::Result<void> {
                               ++calls;
                               return mult::make_error(EPROTO, "parsing");
                           },
                           "dump families");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, EPROTO);
    EXPECT_EQ(calls, 1) << "the rest of the dump is read but not handed over";
    EXPECT_EQ(sock.resolve_family("nlctrl"), GENL_ID_CTRL);
}

TEST(GenlSocket, KernelErrnoComesThrough)
{
    auto sock = open_socket();
    Msg req = ctrl_request(CTRL_CMD_GETFAMILY, NLM_F_REQUEST | NLM_F_ACK);
    nla_put_string(req.get(), CTRL_ATTR_FAMILY_NAME, "multtestnosuch");
    auto r = sock.transact(std::move(req), [](nl_msg*) -> mult::Result<void> { return {}; },
                           "getfamily multtestnosuch");
    ASSERT_FALSE(r.has_value());
    // libnl's own handling would have turned this into NLE_OBJ_NOTFOUND.
    EXPECT_EQ(r.error().code, ENOENT);
    EXPECT_EQ(r.error().context, "getfamily multtestnosuch");
}

TEST(GenlSocket, KernelExtendedAckComesThrough)
{
    // The controller's policy dump validates strictly: a u32 where the
    // family id is a u16 is refused with an extended ack.
    auto sock = open_socket();
    Msg req = ctrl_request(CTRL_CMD_GETPOLICY, NLM_F_REQUEST | NLM_F_DUMP);
    nla_put_u32(req.get(), CTRL_ATTR_FAMILY_ID, GENL_ID_CTRL);
    auto r = sock.transact(std::move(req), [](nl_msg*) -> mult::Result<void> { return {}; },
                           "getpolicy");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, EINVAL);
    EXPECT_EQ(r.error().detail, "invalid attribute length");
    EXPECT_EQ(r.error().message(), "getpolicy: invalid attribute length (Invalid argument)");
}

TEST(GenlSocket, GroupsResolve)
{
    auto sock = open_socket();
    auto notify = sock.resolve_group("nlctrl", "notify");
    ASSERT_TRUE(notify.has_value()) << notify.error().message();
    EXPECT_GT(*notify, 0);
    auto missing = sock.resolve_group("nlctrl", "mult-test-nosuch");
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, ENOENT);
    EXPECT_EQ(missing.error().context,
              "multicast group 'mult-test-nosuch' of generic netlink family 'nlctrl' is not "
              "registered");
}
