// SPDX-License-Identifier: GPL-2.0-only
//
// instctl stop, kill --all and the kill(1) signal habits; svc enable's
// pure parts (the unit's ExecStart=, the drop-in it writes).
#include <gtest/gtest.h>

#include <csignal>

#include "instctl/options.hpp"
#include "instctl/service.hpp"

using instctl::Command;
using instctl::Options;

namespace {

using Args = std::vector<std::string>;

Options parse_ok(const Args& args)
{
    auto r = instctl::parse_command_line(args);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().err);
    return r ? *r : Options{};
}

std::string usage_error(const Args& args)
{
    auto r = instctl::parse_command_line(args);
    EXPECT_FALSE(r.has_value()) << "parsed";
    if (r)
        return {};
    EXPECT_EQ(r.error().code, 2);
    return r.error().err;
}

}  // namespace

TEST(InstctlKillSignals, KillHabits)
{
    for (const Args& a : {Args{"kill", "-9", "web"}, Args{"kill", "-KILL", "web"},
                          Args{"kill", "-SIGKILL", "web"}, Args{"kill", "-s", "-9", "web"},
                          Args{"kill", "-s", "-KILL", "web"}, Args{"kill", "-s", "KILL", "web"},
                          Args{"kill", "-s", "SIGKILL", "web"}, Args{"kill", "-s", "9", "web"},
                          Args{"kill", "--signal", "-kill", "web"}, Args{"kill", "web", "-9"}}) {
        const Options o = parse_ok(a);
        EXPECT_EQ(o.command, Command::kill);
        EXPECT_EQ(o.signal, SIGKILL) << a[1] << " " << a[2];
        EXPECT_EQ(o.instance, mult::mgmt::InstanceRef{std::string("web")});
    }
    EXPECT_EQ(parse_ok({"kill", "-HUP", "3"}).signal, SIGHUP);
    EXPECT_EQ(parse_ok({"kill", "-RTMIN+1", "3"}).signal, SIGRTMIN + 1);
    EXPECT_EQ(parse_ok({"kill", "3"}).signal, SIGTERM);
}

TEST(InstctlKillSignals, BadSignalsAreUsageErrors)
{
    EXPECT_NE(usage_error({"kill", "-s", "-NOPE", "web"}).find("unknown signal"), std::string::npos);
    EXPECT_NE(usage_error({"kill", "-s", "65", "web"}).find("out of range"), std::string::npos);
    // Not a signal: stays an unknown option.
    EXPECT_FALSE(usage_error({"kill", "-NOPE", "web"}).empty());
    EXPECT_FALSE(usage_error({"kill", "-65", "web"}).empty());
}

TEST(InstctlKillAll, AllOrAnInstance)
{
    const Options o = parse_ok({"kill", "--all"});
    EXPECT_TRUE(o.all);
    EXPECT_EQ(o.signal, SIGTERM);
    EXPECT_EQ(parse_ok({"kill", "-9", "--all"}).signal, SIGKILL);
    EXPECT_NE(usage_error({"kill", "--all", "web"}).find("not both"), std::string::npos);
    EXPECT_NE(usage_error({"kill"}).find("missing instance"), std::string::npos);
}

TEST(InstctlStop, DefaultsAndTimeout)
{
    Options o = parse_ok({"stop", "web"});
    EXPECT_EQ(o.command, Command::stop);
    EXPECT_FALSE(o.all);
    EXPECT_EQ(o.timeout, instctl::kStopTimeoutDefault);
    EXPECT_EQ(parse_ok({"stop", "--timeout", "2.5", "web"}).timeout, std::chrono::milliseconds(2500));
    EXPECT_EQ(parse_ok({"stop", "--timeout", "0", "3"}).timeout, std::chrono::milliseconds(0));
    EXPECT_EQ(parse_ok({"stop", "--timeout=30", "--all"}).timeout, std::chrono::seconds(30));
    EXPECT_EQ(parse_ok({"stop", "--timeout", ".5", "web"}).timeout, std::chrono::milliseconds(500));
    EXPECT_TRUE(parse_ok({"stop", "--all"}).all);
}

TEST(InstctlStop, UsageErrors)
{
    EXPECT_EQ(parse_ok({"stop", "--timeout", "1.", "web"}).timeout, std::chrono::seconds(1));
    for (const char* bad : {"-1", "ten", "1.2345", "", "1e3", "86401", "."}) {
        const std::string e = usage_error({"stop", "--timeout", bad, "web"});
        EXPECT_NE(e.find("--timeout"), std::string::npos) << bad << ": " << e;
    }
    EXPECT_NE(usage_error({"stop"}).find("missing instance"), std::string::npos);
    EXPECT_NE(usage_error({"stop", "--all", "3"}).find("not both"), std::string::npos);
    EXPECT_NE(usage_error({"stop", "bad name!"}).find("stop"), std::string::npos);
}

TEST(InstctlSvc, Enable)
{
    Options o = parse_ok({"svc", "enable", "ssh"});
    EXPECT_EQ(o.command, Command::svc_enable);
    EXPECT_EQ(o.unit, "ssh.service");
    EXPECT_FALSE(o.svc_name);
    EXPECT_TRUE(o.reload);
    o = parse_ok({"svc", "enable", "--name", "www", "--keep-cap", "net_raw", "--no-reload",
                  "nginx.service"});
    EXPECT_EQ(o.unit, "nginx.service");
    EXPECT_EQ(o.svc_name, "www");
    EXPECT_FALSE(o.reload);
    ASSERT_EQ(o.svc_instfork_args.size(), 1U);
    EXPECT_EQ(o.svc_instfork_args[0], "--keep-cap=net_raw");
    EXPECT_EQ(parse_ok({"svc", "disable", "ssh"}).command, Command::svc_disable);
}

TEST(InstctlSvc, UsageErrors)
{
    EXPECT_NE(usage_error({"svc", "enable", "ssh.socket"}).find("only service units"),
              std::string::npos);
    EXPECT_NE(usage_error({"svc", "enable", "getty@.service"}).find("template"), std::string::npos);
    EXPECT_NE(usage_error({"svc", "enable", "a b"}).find("not a unit name"), std::string::npos);
    EXPECT_NE(usage_error({"svc", "enable", "--name", "123", "ssh"}).find("--name"),
              std::string::npos);
    EXPECT_NE(usage_error({"svc", "enable", "--keep-cap", "a;b", "ssh"}).find("capability"),
              std::string::npos);
    EXPECT_FALSE(usage_error({"svc"}).empty());
    EXPECT_FALSE(usage_error({"svc", "enable"}).empty());
    EXPECT_FALSE(usage_error({"svc", "restart", "ssh"}).empty());
}

TEST(InstctlSvc, ExecStartFromSystemctlCat)
{
    const std::string cat =
        "# /lib/systemd/system/ssh.service\n[Unit]\nExecStart=/not/this\n[Service]\n"
        "ExecStartPre=/usr/sbin/sshd -t\nExecStart=/usr/sbin/sshd -D $SSHD_OPTS\n"
        "\n# /etc/systemd/system/ssh.service.d/x.conf\n[Service]\n";
    EXPECT_EQ(instctl::parse_exec_start(cat).value(), "/usr/sbin/sshd -D $SSHD_OPTS");
    EXPECT_EQ(instctl::parse_exec_start(cat + "ExecStart=\nExecStart=-/bin/a \\\n  --b\n").value(),
              "-/bin/a    --b");
    EXPECT_FALSE(instctl::parse_exec_start("[Service]\nType=oneshot\n"));
    EXPECT_NE(instctl::parse_exec_start("[Service]\nExecStart=/a\nExecStart=/b\n").error().find("2 "),
              std::string::npos);
}

TEST(InstctlSvc, DropIn)
{
    auto d = instctl::make_drop_in("ssh.service", "ssh", "/usr/sbin/sshd -D $SSHD_OPTS", "notify",
                                   "/usr/local/bin/instfork", {});
    EXPECT_TRUE(d.problem.empty());
    EXPECT_EQ(d.text.rfind("# instctl svc enable", 0), 0U);
    EXPECT_NE(d.text.find("\nExecStart=\nExecStart=/usr/local/bin/instfork --init --name ssh -- "
                          "/usr/sbin/sshd -D $SSHD_OPTS\n"),
              std::string::npos)
        << d.text;
    EXPECT_NE(d.text.find("KillMode=mixed\n"), std::string::npos);
    EXPECT_EQ(d.text.find("Type="), std::string::npos);  // notify stays notify

    d = instctl::make_drop_in("d.service", "d", "-/usr/sbin/d", "forking", "/i", {"--keep-cap=net_raw"});
    EXPECT_NE(d.text.find("ExecStart=-/i --init --name d --forking --keep-cap=net_raw -- /usr/sbin/d\n"),
              std::string::npos)
        << d.text;
    EXPECT_NE(d.text.find("Type=notify\n"), std::string::npos);
    EXPECT_NE(d.text.find("PIDFile=\n"), std::string::npos);

    EXPECT_FALSE(instctl::make_drop_in("a.service", "a", "@/bin/a a0", "simple", "/i", {}).problem.empty());
    EXPECT_FALSE(instctl::make_drop_in("a.service", "a", "/bin/a", "dbus", "/i", {}).problem.empty());
    EXPECT_EQ(instctl::default_instance_name("ssh.service"), "ssh");
    EXPECT_EQ(instctl::default_instance_name("getty@tty1.service"), "getty-tty1");
    EXPECT_EQ(instctl::default_instance_name("42.service"), "svc-42");
}
