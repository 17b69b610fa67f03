// SPDX-License-Identifier: GPL-2.0-only
//
// instfork --init and --forking on the command line, and the rewriting of
// the service's notifications before they are relayed to systemd.
#include <gtest/gtest.h>

#include "init.hpp"
#include "options.hpp"

namespace {

using Args = std::vector<std::string>;

}  // namespace

TEST(InstforkInit, Options)
{
    auto c = instfork::parse_command_line(Args{"--init", "--name", "ssh", "--", "/usr/sbin/sshd", "-D"});
    ASSERT_TRUE(c) << c.error().err;
    EXPECT_TRUE(c->init);
    EXPECT_FALSE(c->forking);
    EXPECT_EQ(c->command, (Args{"/usr/sbin/sshd", "-D"}));
    c = instfork::parse_command_line(Args{"--init", "--forking", "sshd"});
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->forking);
    EXPECT_FALSE(instfork::parse_command_line(Args{"--forking", "sshd"}));
    EXPECT_FALSE(instfork::parse_command_line(Args{"--init=1", "sshd"}));
}

TEST(InstforkInit, NotificationsLoseWhatCannotCrossTheEdge)
{
    EXPECT_EQ(instfork::filter_notification("READY=1\nSTATUS=up\n"), "READY=1\nSTATUS=up\n");
    EXPECT_EQ(instfork::filter_notification("READY=1\nMAINPID=4242"), "READY=1\n");
    EXPECT_EQ(instfork::filter_notification("MAINPID=4242\n"), "");
    EXPECT_EQ(instfork::filter_notification("BARRIER=1\n"), "");
    EXPECT_EQ(instfork::filter_notification("FDSTORE=1\nFDNAME=x\nWATCHDOG=1\n"), "WATCHDOG=1\n");
    EXPECT_EQ(instfork::filter_notification("STOPPING=1\n\n\nEXTEND_TIMEOUT_USEC=5000000"),
              "STOPPING=1\nEXTEND_TIMEOUT_USEC=5000000\n");
}
