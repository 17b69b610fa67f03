// SPDX-License-Identifier: GPL-2.0-only
//
// mult::caps: capability names, instfork's default set, and the drop the
// child makes before execve(), run in a forked child (in a user namespace
// when the test lacks CAP_SETPCAP).
#include <gtest/gtest.h>

#include <bit>
#include <cerrno>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mult/capabilities.hpp"
#include "test_util.hpp"

namespace caps = mult::caps;
using Names = std::vector<std::string>;

namespace {

// Runs `body` in a child with CAP_SETPCAP (see gain_cap_setpcap) and returns
// what it wrote followed by its /proc/self/status; skips the test when the
// child cannot get the capability.
struct ChildView {
    std::string report;
    std::string status;
    bool skipped = false;
};

ChildView in_child_with_setpcap(const std::function<std::string()>& body)
{
    const auto r = mult_test::run_in_child([&](int fd) {
        if (!mult_test::gain_cap_setpcap())
            return 3;
        std::string text = body() + "\n--\n";
        const mult::UniqueFd status(::open("/proc/self/status", O_RDONLY | O_CLOEXEC));
        if (!status)
            return 4;
        text += mult_test::read_all(status.get());
        return ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) ? 0 : 5;
    });
    ChildView view;
    view.skipped = r.status == mult::ExitStatus::exited(3);
    EXPECT_TRUE(view.skipped || r.status == mult::ExitStatus::exited(0)) << r.out;
    const auto sep = r.out.find("\n--\n");
    if (sep != std::string::npos) {
        view.report = r.out.substr(0, sep);
        view.status = r.out.substr(sep + 4);
    }
    return view;
}

std::string drop_report(caps::Set drop)
{
    int failed = -2;
    const int err = caps::async_safe::drop(drop, failed);
    return std::to_string(err) + " " + std::to_string(failed);
}

caps::Set field(const ChildView& view, const std::string& name)
{
    const auto set = mult_test::capability_field(view.status, name);
    EXPECT_TRUE(set.has_value()) << name << " in " << view.status;
    return set.value_or(caps::kAll);
}

// The lowest capability of `set` that the bounding set holds.
int first_bounded(caps::Set set)
{
    const caps::Set present = set & mult_test::bounding_set_with_setpcap();
    return present == 0 ? -1 : std::countr_zero(present);
}

#define SKIP_WITHOUT_SETPCAP(view)                                                             \
    if ((view).skipped)                                                                        \
    GTEST_SKIP() << "no CAP_SETPCAP and no user namespace to get it in"

}  // namespace

TEST(CapabilityNames, AnyCaseWithOrWithoutPrefix)
{
    for (const char* text : {"sys_admin", "SYS_ADMIN", "cap_sys_admin", "CAP_SYS_ADMIN", "Cap_Sys_Admin"})
        EXPECT_EQ(caps::from_name(text), CAP_SYS_ADMIN) << text;
    EXPECT_EQ(caps::from_name("chown"), CAP_CHOWN);
    EXPECT_EQ(caps::from_name("checkpoint_restore"), CAP_CHECKPOINT_RESTORE);
}

TEST(CapabilityNames, OnlyWholeNames)
{
    // libcap's cap_from_name() alone would take numbers, and a name followed
    // by anything ("cap_kill,x" reads as CAP_KILL).
    for (const char* text : {"", "21", "cap_21", "sys_admin ", " sys_admin", "kill,chown",
                             "cap_kill,x", "sysadmin", "cap_", "all", "sys_admin\n"})
        EXPECT_EQ(caps::from_name(text), std::nullopt) << "'" << text << "'";
}

TEST(CapabilityNames, NamesForMessages)
{
    EXPECT_EQ(caps::name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
    EXPECT_EQ(caps::name(CAP_CHOWN), "CAP_CHOWN");
    EXPECT_EQ(caps::name(63), "capability 63");
    EXPECT_EQ(caps::short_names(caps::bit(CAP_KILL) | caps::bit(CAP_CHOWN) | caps::bit(63)),
              (Names{"chown", "kill"}));
}

// The table in docs/semantics.md and instfork(1); change them together.
TEST(InstanceDefault, KeepsWhatAServiceNeeds)
{
    EXPECT_EQ(caps::short_names(caps::kInstanceDefault),
              (Names{"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
                     "setgid", "setuid", "setpcap", "net_bind_service", "ipc_owner",
                     "sys_chroot", "lease", "audit_write", "setfcap"}));
}

TEST(InstanceDefault, DropsWhatReachesTheWholeMachine)
{
    for (const int cap : {CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_SYSLOG, CAP_PERFMON, CAP_BPF,
                          CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_SYS_BOOT, CAP_SYS_TIME, CAP_MAC_ADMIN,
                          CAP_MAC_OVERRIDE, CAP_AUDIT_CONTROL, CAP_AUDIT_READ, CAP_NET_ADMIN,
                          CAP_NET_RAW, CAP_NET_BROADCAST, CAP_SYS_RESOURCE, CAP_SYS_NICE,
                          CAP_CHECKPOINT_RESTORE,
                          CAP_SYS_TTY_CONFIG, CAP_MKNOD, CAP_LINUX_IMMUTABLE, CAP_WAKE_ALARM,
                          CAP_BLOCK_SUSPEND, CAP_IPC_LOCK, CAP_SYS_PACCT})
        EXPECT_EQ(caps::kInstanceDefault & caps::bit(cap), 0U) << caps::name(cap);
    // A capability newer than these headers: nobody has judged it yet.
    for (int cap = CAP_LAST_CAP + 1; cap < caps::kSlots; ++cap)
        EXPECT_EQ(caps::kInstanceDefault & caps::bit(cap), 0U) << cap;
}

TEST(CapabilityDrop, NothingToDropChangesNothing)
{
    int failed = -2;
    EXPECT_EQ(caps::async_safe::drop(caps::kNone, failed), 0);
    EXPECT_EQ(failed, -1);
}

TEST(CapabilityDrop, TakesThemOutOfEverySet)
{
    const caps::Set before = mult_test::bounding_set_with_setpcap();
    const caps::Set drop = caps::bit(CAP_SYS_ADMIN) | caps::bit(CAP_NET_RAW);
    const ChildView view = in_child_with_setpcap([&] { return drop_report(drop); });
    SKIP_WITHOUT_SETPCAP(view);
    EXPECT_EQ(view.report, "0 -1");
    EXPECT_EQ(field(view, "CapBnd"), before & ~drop);
    EXPECT_EQ(field(view, "CapEff") & drop, 0U);
    EXPECT_EQ(field(view, "CapPrm") & drop, 0U);
    EXPECT_EQ(field(view, "CapInh") & drop, 0U);
    // What was not named stays.
    EXPECT_NE(field(view, "CapEff") & caps::bit(CAP_SETPCAP), 0U);
}

TEST(CapabilityDrop, AmbientGoesWithPermittedAndInheritable)
{
    // CAP_NET_BIND_SERVICE raised into the ambient set (which needs it in
    // the inheritable set first), then dropped.
    const ChildView view = in_child_with_setpcap([] {
        __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
        ::syscall(SYS_capget, &header, data);
        data[0].inheritable |= CAP_TO_MASK(CAP_NET_BIND_SERVICE);
        if (::syscall(SYS_capset, &header, data) != 0 ||
            ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) != 0)
            return std::string("raise failed");
        const bool raised = ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0) == 1;
        return std::string(raised ? "raised " : "not raised ") +
               drop_report(caps::bit(CAP_NET_BIND_SERVICE));
    });
    SKIP_WITHOUT_SETPCAP(view);
    EXPECT_EQ(view.report, "raised 0 -1");
    EXPECT_EQ(field(view, "CapAmb"), 0U);
    EXPECT_EQ(field(view, "CapInh") & caps::bit(CAP_NET_BIND_SERVICE), 0U);
}

TEST(CapabilityDrop, WithoutCapSetpcapFailsNamingTheCapability)
{
    const int cap = first_bounded(~caps::kInstanceDefault);
    ASSERT_GE(cap, 0) << "the bounding set has nothing instfork would drop";
    const ChildView view = in_child_with_setpcap([] {
        if (!mult_test::lose_cap_setpcap())
            return std::string("capset failed");
        return drop_report(~caps::kInstanceDefault);
    });
    SKIP_WITHOUT_SETPCAP(view);
    EXPECT_EQ(view.report, std::to_string(EPERM) + " " + std::to_string(cap));
    EXPECT_NE(field(view, "CapBnd") & caps::bit(cap), 0U);
}

TEST(CapabilityDrop, WhatTheBoundingSetLacksNeedsNoCapSetpcap)
{
    // Dropped once with CAP_SETPCAP, then again without it: nothing to do.
    const ChildView view = in_child_with_setpcap([] {
        const std::string first = drop_report(caps::bit(CAP_SYS_BOOT));
        if (!mult_test::lose_cap_setpcap())
            return std::string("capset failed");
        return first + ", " + drop_report(caps::bit(CAP_SYS_BOOT));
    });
    SKIP_WITHOUT_SETPCAP(view);
    EXPECT_EQ(view.report, "0 -1, 0 -1");
}

TEST(CapabilityDrop, CapabilitiesTheKernelLacksAreSkipped)
{
    // 63 is beyond any kernel's cap_last_cap today: no error, even without
    // CAP_SETPCAP.
    const ChildView view = in_child_with_setpcap([] {
        if (!mult_test::lose_cap_setpcap())
            return std::string("capset failed");
        return drop_report(caps::bit(63));
    });
    SKIP_WITHOUT_SETPCAP(view);
    EXPECT_EQ(view.report, "0 -1");
}
