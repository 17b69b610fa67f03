// SPDX-License-Identifier: GPL-2.0-only
//
// The mult family's messages without the module: requests are built and
// taken apart again with libnl, replies and events are built with libnl the
// way the module builds them (mult_nl.c, mult_events.c) and parsed.
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>

#include <linux/genetlink.h>
#include <linux/mult_nl.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "mult/mgmt.hpp"

using mult::genl::Msg;
using mult::mgmt::InstancePidfd;
using mult::mgmt::InstanceRef;

namespace {

// Any id: the family id is whatever the controller assigned.
constexpr int kFamily = 0x1c;

const InstanceRef kById{7U};
const InstanceRef kByName{std::string("web")};
const InstanceRef kByPidfd{InstancePidfd{9}};

// A request's header and its attributes by type, payload bytes each.
struct Request {
    std::uint16_t type = 0;
    std::uint16_t flags = 0;
    std::uint8_t cmd = 0;
    std::uint8_t version = 0;
    std::map<int, std::vector<unsigned char>> attrs;

    std::uint32_t u32(int attr) const
    {
        const auto& b = attrs.at(attr);
        EXPECT_EQ(b.size(), 4U) << "attribute " << attr;
        std::uint32_t v = 0;
        std::memcpy(&v, b.data(), std::min<std::size_t>(b.size(), 4));
        return v;
    }
    std::string str(int attr) const
    {
        const auto& b = attrs.at(attr);
        EXPECT_FALSE(b.empty());
        EXPECT_EQ(b.back(), '\0') << "strings go with their NUL";
        return std::string(b.begin(), b.end() - 1);
    }
};

Request take_apart(const mult::Result<Msg>& msg)
{
    Request r;
    EXPECT_TRUE(msg.has_value()) << (msg ? "" : msg.error().message());
    if (!msg)
        return r;
    nlmsghdr* hdr = nlmsg_hdr(msg->get());
    r.type = hdr->nlmsg_type;
    r.flags = hdr->nlmsg_flags;
    EXPECT_TRUE(genlmsg_valid_hdr(hdr, 0));
    r.cmd = genlmsg_hdr(hdr)->cmd;
    r.version = genlmsg_hdr(hdr)->version;
    nlattr* attr = genlmsg_attrdata(genlmsg_hdr(hdr), 0);
    int rem = genlmsg_attrlen(genlmsg_hdr(hdr), 0);
    for (; nla_ok(attr, rem); attr = nla_next(attr, &rem)) {
        const auto* p = static_cast<const unsigned char*>(nla_data(attr));
        EXPECT_EQ(r.attrs.count(nla_type(attr)), 0U) << "attribute " << nla_type(attr) << " twice";
        r.attrs[nla_type(attr)] = std::vector<unsigned char>(p, p + nla_len(attr));
    }
    EXPECT_EQ(rem, 0) << "trailing bytes after the attributes";
    return r;
}

void expect_do(const Request& r, std::uint8_t cmd)
{
    EXPECT_EQ(r.type, kFamily);
    EXPECT_EQ(r.flags, NLM_F_REQUEST | NLM_F_ACK);
    EXPECT_EQ(r.cmd, cmd);
    EXPECT_EQ(r.version, MULT_FAMILY_VERSION);
}

void expect_dump(const Request& r, std::uint8_t cmd)
{
    EXPECT_EQ(r.type, kFamily);
    // No NLM_F_ACK: a dump ends with NLMSG_DONE.
    EXPECT_EQ(r.flags, NLM_F_REQUEST | NLM_F_DUMP);
    EXPECT_EQ(r.cmd, cmd);
    EXPECT_EQ(r.version, MULT_FAMILY_VERSION);
}

// A message as the module sends it.
Msg from_module(std::uint8_t cmd, int flags = 0)
{
    Msg m(nlmsg_alloc());
    EXPECT_NE(genlmsg_put(m.get(), 0, 1, kFamily, 0, flags, cmd, MULT_FAMILY_VERSION), nullptr);
    return m;
}

}  // namespace

// ---- requests ------------------------------------------------------------

TEST(MgmtRequest, GetInfoAndListCarryNoAttributes)
{
    const Request info = take_apart(mult::mgmt::build_get_info(kFamily));
    expect_do(info, MULT_CMD_GET_INFO);
    EXPECT_TRUE(info.attrs.empty());
    const Request list = take_apart(mult::mgmt::build_list(kFamily));
    expect_dump(list, MULT_CMD_LIST);
    EXPECT_TRUE(list.attrs.empty());
}

TEST(MgmtRequest, PsById)
{
    const Request r = take_apart(mult::mgmt::build_ps(kFamily, kById, false));
    expect_dump(r, MULT_CMD_PS);
    EXPECT_EQ(r.attrs.size(), 1U);
    EXPECT_EQ(r.u32(MULT_A_PROCESS_ID), 7U);
}

TEST(MgmtRequest, PsByNameWithThreads)
{
    const Request r = take_apart(mult::mgmt::build_ps(kFamily, kByName, true));
    expect_dump(r, MULT_CMD_PS);
    EXPECT_EQ(r.attrs.size(), 2U);
    EXPECT_EQ(r.str(MULT_A_PROCESS_NAME), "web");
    ASSERT_EQ(r.attrs.count(MULT_A_PROCESS_THREADS), 1U);
    EXPECT_TRUE(r.attrs.at(MULT_A_PROCESS_THREADS).empty()) << "a flag has no payload";
}

TEST(MgmtRequest, PsTakesNoPidfd)
{
    auto r = mult::mgmt::build_ps(kFamily, kByPidfd, false);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, EINVAL);
    EXPECT_EQ(r.error().context, "ps cannot name its instance as the instance of pidfd 9");
}

TEST(MgmtRequest, KillCarriesTheSignalAndOneReference)
{
    const Request by_name = take_apart(mult::mgmt::build_kill(kFamily, kByName, SIGTERM));
    expect_do(by_name, MULT_CMD_KILL);
    EXPECT_EQ(by_name.attrs.size(), 2U);
    EXPECT_EQ(by_name.str(MULT_A_INSTANCE_NAME), "web");
    EXPECT_EQ(by_name.u32(MULT_A_INSTANCE_SIGNAL), static_cast<std::uint32_t>(SIGTERM));

    const Request by_id = take_apart(mult::mgmt::build_kill(kFamily, kById, 64));
    EXPECT_EQ(by_id.attrs.size(), 2U);
    EXPECT_EQ(by_id.u32(MULT_A_INSTANCE_ID), 7U);
    EXPECT_EQ(by_id.u32(MULT_A_INSTANCE_SIGNAL), 64U);

    const Request by_pidfd = take_apart(mult::mgmt::build_kill(kFamily, kByPidfd, 9));
    EXPECT_EQ(by_pidfd.u32(MULT_A_INSTANCE_PIDFD), 9U);
}

TEST(MgmtRequest, KillRefusesSignalsOutsideTheModulesRange)
{
    for (const int sig : {0, -1, 65}) {
        auto r = mult::mgmt::build_kill(kFamily, kById, sig);
        ASSERT_FALSE(r.has_value()) << sig;
        EXPECT_EQ(r.error().code, EINVAL);
        EXPECT_EQ(r.error().context, "signal " + std::to_string(sig) + " is not in 1..64");
    }
}

TEST(MgmtRequest, EnterAndGet)
{
    const Request enter = take_apart(mult::mgmt::build_enter(kFamily, kByName));
    expect_do(enter, MULT_CMD_ENTER);
    EXPECT_EQ(enter.attrs.size(), 1U);
    EXPECT_EQ(enter.str(MULT_A_INSTANCE_NAME), "web");

    const Request get = take_apart(mult::mgmt::build_get(kFamily, kByPidfd));
    expect_do(get, MULT_CMD_GET);
    EXPECT_EQ(get.attrs.size(), 1U);
    EXPECT_EQ(get.u32(MULT_A_INSTANCE_PIDFD), 9U);
}

TEST(MgmtRequest, SetNameByIdOrPidfd)
{
    const Request by_id = take_apart(mult::mgmt::build_set_name(kFamily, kById, "api"));
    expect_do(by_id, MULT_CMD_SET_NAME);
    EXPECT_EQ(by_id.attrs.size(), 2U);
    EXPECT_EQ(by_id.u32(MULT_A_INSTANCE_ID), 7U);
    EXPECT_EQ(by_id.str(MULT_A_INSTANCE_NAME), "api");

    const Request by_pidfd = take_apart(mult::mgmt::build_set_name(kFamily, kByPidfd, "api"));
    EXPECT_EQ(by_pidfd.attrs.size(), 2U);
    EXPECT_EQ(by_pidfd.u32(MULT_A_INSTANCE_PIDFD), 9U);
    EXPECT_EQ(by_pidfd.str(MULT_A_INSTANCE_NAME), "api");

    // The name attribute is the new name: the target cannot be a name too.
    auto by_name = mult::mgmt::build_set_name(kFamily, kByName, "api");
    ASSERT_FALSE(by_name.has_value());
    EXPECT_EQ(by_name.error().code, EINVAL);
}

// ---- replies -------------------------------------------------------------

TEST(MgmtReply, Info)
{
    Msg m = from_module(MULT_CMD_GET_INFO);
    nla_put_u32(m.get(), MULT_A_INFO_ABI_VERSION, 1);
    nla_put_u32(m.get(), MULT_A_INFO_NR_INSTANCES, 3);
    nla_put_u32(m.get(), MULT_A_INFO_EVENTS_DROPPED, 2);
    nla_put_u32(m.get(), MULT_A_INFO_MAX_DEPTH, 8);
    nla_put_u32(m.get(), MULT_A_INFO_MAX_INSTANCES, 1024);
    auto info = mult::mgmt::parse_info(m.get());
    ASSERT_TRUE(info.has_value()) << info.error().message();
    EXPECT_EQ(*info, (mult::mgmt::Info{1, 8, 1024, 3, 2}));
}

TEST(MgmtReply, InfoWithoutLimits)
{
    Msg m = from_module(MULT_CMD_GET_INFO);
    nla_put_u32(m.get(), MULT_A_INFO_ABI_VERSION, 1);
    nla_put_u32(m.get(), MULT_A_INFO_NR_INSTANCES, 0);
    nla_put_u32(m.get(), MULT_A_INFO_EVENTS_DROPPED, 0);
    auto info = mult::mgmt::parse_info(m.get());
    ASSERT_TRUE(info.has_value()) << info.error().message();
    EXPECT_FALSE(info->max_depth);
    EXPECT_FALSE(info->max_instances);
}

TEST(MgmtReply, InfoMissingAnAttributeIsAProtocolError)
{
    Msg m = from_module(MULT_CMD_GET_INFO);
    nla_put_u32(m.get(), MULT_A_INFO_ABI_VERSION, 1);
    nla_put_u32(m.get(), MULT_A_INFO_EVENTS_DROPPED, 0);
    auto info = mult::mgmt::parse_info(m.get());
    ASSERT_FALSE(info.has_value());
    EXPECT_EQ(info.error().code, EPROTO);
    EXPECT_EQ(info.error().context, "malformed get-info reply: attribute " +
                                        std::to_string(MULT_A_INFO_NR_INSTANCES) + " missing");
}

namespace {

Msg instance_reply(std::uint8_t cmd)
{
    Msg m = from_module(cmd, NLM_F_MULTI);
    nla_put_u32(m.get(), MULT_A_INSTANCE_ID, 4);
    nla_put_u32(m.get(), MULT_A_INSTANCE_PARENT_ID, 2);
    nla_put_u32(m.get(), MULT_A_INSTANCE_DEPTH, 2);
    nla_put_u32(m.get(), MULT_A_INSTANCE_NR_PROCESSES, 3);
    nla_put_u32(m.get(), MULT_A_INSTANCE_NR_THREADS, 5);
    nla_put_u64(m.get(), MULT_A_INSTANCE_START_TIME, 123456789012ULL);
    return m;
}

}  // namespace

TEST(MgmtReply, InstanceWithOnlyTheAlwaysPresentAttributes)
{
    Msg m = instance_reply(MULT_CMD_LIST);
    auto inst = mult::mgmt::parse_instance(m.get());
    ASSERT_TRUE(inst.has_value()) << inst.error().message();
    EXPECT_EQ(*inst, (mult::mgmt::Instance{4, 2, 2, "", std::nullopt, 3, 5, 123456789012ULL,
                                           std::nullopt}));
}

TEST(MgmtReply, InstanceWithNameFirstPidAndExitStatus)
{
    Msg m = instance_reply(MULT_CMD_LIST);
    nla_put_u32(m.get(), MULT_A_INSTANCE_PAD, 0);  // the kernel's alignment padding is ignored
    nla_put_string(m.get(), MULT_A_INSTANCE_NAME, "web");
    nla_put_u32(m.get(), MULT_A_INSTANCE_FIRST_PID, 321);
    nla_put_u32(m.get(), MULT_A_INSTANCE_EXIT_STATUS, 0x300);
    auto inst = mult::mgmt::parse_instance(m.get());
    ASSERT_TRUE(inst.has_value()) << inst.error().message();
    EXPECT_EQ(inst->name, "web");
    EXPECT_EQ(inst->first_pid, 321U);
    EXPECT_EQ(inst->exit_status, 0x300U);
}

TEST(MgmtReply, GetRepliesLikeAListEntry)
{
    Msg m = instance_reply(MULT_CMD_GET);
    auto inst = mult::mgmt::parse_instance(m.get());
    ASSERT_TRUE(inst.has_value()) << inst.error().message();
    EXPECT_EQ(inst->id, 4U);
}

TEST(MgmtReply, WrongCommandIsAProtocolError)
{
    Msg m = instance_reply(MULT_CMD_PS);
    auto inst = mult::mgmt::parse_instance(m.get());
    ASSERT_FALSE(inst.has_value());
    EXPECT_EQ(inst.error().code, EPROTO);
    EXPECT_EQ(inst.error().context, "malformed instance reply: unexpected command " +
                                        std::to_string(MULT_CMD_PS));
}

TEST(MgmtReply, WrongAttributeSizeFailsThePolicy)
{
    Msg m = from_module(MULT_CMD_LIST);
    const std::uint16_t short_id = 4;
    nla_put(m.get(), MULT_A_INSTANCE_ID, sizeof short_id, &short_id);
    auto inst = mult::mgmt::parse_instance(m.get());
    ASSERT_FALSE(inst.has_value());
    EXPECT_EQ(inst.error().code, EPROTO);
    EXPECT_EQ(inst.error().context.rfind("malformed instance reply: ", 0), 0U)
        << inst.error().context;
}

TEST(MgmtReply, NameWithoutNulFailsThePolicy)
{
    Msg m = instance_reply(MULT_CMD_LIST);
    nla_put(m.get(), MULT_A_INSTANCE_NAME, 3, "web");
    auto inst = mult::mgmt::parse_instance(m.get());
    ASSERT_FALSE(inst.has_value());
    EXPECT_EQ(inst.error().code, EPROTO);
}

TEST(MgmtReply, Process)
{
    Msg m = from_module(MULT_CMD_PS, NLM_F_MULTI);
    nla_put_u32(m.get(), MULT_A_PROCESS_PID, 101);
    nla_put_u32(m.get(), MULT_A_PROCESS_TGID, 100);
    nla_put_u32(m.get(), MULT_A_PROCESS_PPID, 55);
    nla_put_u32(m.get(), MULT_A_PROCESS_UID, 65534);
    nla_put_u8(m.get(), MULT_A_PROCESS_STATE, 'S');
    nla_put_string(m.get(), MULT_A_PROCESS_COMM, "sleep");
    auto p = mult::mgmt::parse_process(m.get());
    ASSERT_TRUE(p.has_value()) << p.error().message();
    EXPECT_EQ(*p, (mult::mgmt::Process{101, 100, 55, 65534, 'S', "sleep"}));
}

TEST(MgmtReply, ProcessWithoutCommIsAProtocolError)
{
    Msg m = from_module(MULT_CMD_PS, NLM_F_MULTI);
    nla_put_u32(m.get(), MULT_A_PROCESS_PID, 101);
    nla_put_u32(m.get(), MULT_A_PROCESS_TGID, 100);
    nla_put_u32(m.get(), MULT_A_PROCESS_PPID, 55);
    nla_put_u32(m.get(), MULT_A_PROCESS_UID, 0);
    nla_put_u8(m.get(), MULT_A_PROCESS_STATE, 'R');
    auto p = mult::mgmt::parse_process(m.get());
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error().code, EPROTO);
}

// ---- events --------------------------------------------------------------

TEST(MgmtEvent, Created)
{
    Msg m = from_module(MULT_CMD_CREATED);
    nla_put_u32(m.get(), MULT_A_INSTANCE_ID, 12);
    nla_put_u32(m.get(), MULT_A_INSTANCE_FIRST_PID, 4242);
    auto ev = mult::mgmt::parse_event(m.get());
    ASSERT_TRUE(ev.has_value()) << ev.error().message();
    EXPECT_EQ(*ev, (mult::mgmt::Event{mult::mgmt::Event::Kind::created, 12, 4242U, std::nullopt}));
}

TEST(MgmtEvent, Emptied)
{
    Msg m = from_module(MULT_CMD_EMPTIED);
    nla_put_u32(m.get(), MULT_A_INSTANCE_ID, 12);
    nla_put_u32(m.get(), MULT_A_INSTANCE_EXIT_STATUS, SIGKILL);
    auto ev = mult::mgmt::parse_event(m.get());
    ASSERT_TRUE(ev.has_value()) << ev.error().message();
    EXPECT_EQ(*ev, (mult::mgmt::Event{mult::mgmt::Event::Kind::emptied, 12, std::nullopt,
                                      static_cast<std::uint32_t>(SIGKILL)}));
}

TEST(MgmtEvent, IncompleteOrForeignMessagesAreRefused)
{
    Msg created = from_module(MULT_CMD_CREATED);
    nla_put_u32(created.get(), MULT_A_INSTANCE_ID, 12);
    EXPECT_EQ(mult::mgmt::parse_event(created.get()).error().context,
              "malformed created event: no first-pid");

    Msg emptied = from_module(MULT_CMD_EMPTIED);
    nla_put_u32(emptied.get(), MULT_A_INSTANCE_ID, 12);
    EXPECT_EQ(mult::mgmt::parse_event(emptied.get()).error().context,
              "malformed emptied event: no exit-status");

    Msg list = instance_reply(MULT_CMD_LIST);
    EXPECT_EQ(mult::mgmt::parse_event(list.get()).error().code, EPROTO);
}

TEST(MgmtEvent, FamilyRemovalIsRecognised)
{
    const auto ctrl = [](std::uint8_t cmd, std::uint16_t id) {
        Msg m(nlmsg_alloc());
        genlmsg_put(m.get(), 0, 0, GENL_ID_CTRL, 0, 0, cmd, 2);
        nla_put_u16(m.get(), CTRL_ATTR_FAMILY_ID, id);
        nla_put_string(m.get(), CTRL_ATTR_FAMILY_NAME, "mult");
        return m;
    };
    EXPECT_TRUE(mult::mgmt::is_family_removal(ctrl(CTRL_CMD_DELFAMILY, kFamily).get(), kFamily));
    EXPECT_FALSE(mult::mgmt::is_family_removal(ctrl(CTRL_CMD_DELFAMILY, kFamily + 1).get(), kFamily));
    EXPECT_FALSE(mult::mgmt::is_family_removal(ctrl(CTRL_CMD_NEWFAMILY, kFamily).get(), kFamily));
    Msg event = from_module(CTRL_CMD_DELFAMILY);  // right command, wrong family type
    EXPECT_FALSE(mult::mgmt::is_family_removal(event.get(), kFamily));
}
