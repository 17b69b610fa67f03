// SPDX-License-Identifier: GPL-2.0-only
//
// How a command line names an instance: a string of digits is an id,
// anything else must be a valid name (mult::mgmt::parse_instance_ref), and
// which names a tool may set.
#include <gtest/gtest.h>

#include "mult/mgmt.hpp"

using mult::mgmt::InstancePidfd;
using mult::mgmt::InstanceRef;
using mult::mgmt::parse_instance_ref;

namespace {

std::string parse_error(std::string_view text)
{
    auto r = parse_instance_ref(text);
    EXPECT_FALSE(r.has_value()) << "'" << text << "' parsed";
    return r ? std::string() : r.error();
}

}  // namespace

TEST(InstanceRef, DigitsAreAnId)
{
    EXPECT_EQ(parse_instance_ref("3"), InstanceRef{3U});
    EXPECT_EQ(parse_instance_ref("007"), InstanceRef{7U});
    EXPECT_EQ(parse_instance_ref("4294967295"), InstanceRef{4294967295U});
}

TEST(InstanceRef, AnythingElseIsAName)
{
    EXPECT_EQ(parse_instance_ref("web"), InstanceRef{std::string("web")});
    EXPECT_EQ(parse_instance_ref("3a"), InstanceRef{std::string("3a")});
    EXPECT_EQ(parse_instance_ref("a.b_c-d"), InstanceRef{std::string("a.b_c-d")});
    EXPECT_EQ(parse_instance_ref("-1"), InstanceRef{std::string("-1")});
    EXPECT_EQ(parse_instance_ref(std::string(31, 'n')), InstanceRef{std::string(31, 'n')});
}

TEST(InstanceRef, RootAndOutOfRangeIdsAreRefused)
{
    EXPECT_EQ(parse_error("0"), "instance id 0 is the root instance, which cannot be managed");
    EXPECT_EQ(parse_error("000"), "instance id 0 is the root instance, which cannot be managed");
    EXPECT_EQ(parse_error("4294967296"), "instance id 4294967296 is out of range (1 to 4294967295)");
}

TEST(InstanceRef, InvalidNamesSayWhy)
{
    EXPECT_EQ(parse_error(""), "the instance id or name is empty");
    EXPECT_EQ(parse_error("a b"), "'a b' is neither an instance id nor a valid name: the name has a "
                                  "character outside A-Z a-z 0-9 . _ - (names are 1 to 31 "
                                  "characters of A-Z a-z 0-9 . _ -)");
    EXPECT_NE(parse_error(std::string(32, 'n')).find("the name is 32 characters long"),
              std::string::npos);
    // Non-ASCII letters are refused, as by the module.
    EXPECT_NE(parse_error("caf\xc3\xa9").find("outside A-Z"), std::string::npos);
    EXPECT_NE(parse_error("a/b").find("outside A-Z"), std::string::npos);
}

TEST(InstanceRef, NewNamesMustNotBeDigitsOnly)
{
    EXPECT_EQ(mult::mgmt::new_name_problem("web"), std::nullopt);
    EXPECT_EQ(mult::mgmt::new_name_problem("42"),
              "a name of digits only would read as an instance id");
    EXPECT_EQ(mult::mgmt::new_name_problem("42a"), std::nullopt);
    EXPECT_EQ(mult::mgmt::instance_name_problem("42"), std::nullopt) << "the module's own rule";
    EXPECT_TRUE(mult::mgmt::new_name_problem(""));
}

TEST(InstanceRef, NewNamesMustNotStartWithDashOrDot)
{
    for (const char* name : {"-x", "-", "--all", ".", "..", ".hidden"})
        EXPECT_TRUE(mult::mgmt::new_name_problem(name)) << name;
    EXPECT_NE(mult::mgmt::new_name_problem("-x")->find("would read as an option"),
              std::string::npos);
    EXPECT_NE(mult::mgmt::new_name_problem("..")->find("'.'"), std::string::npos);
    // Inside a name both are fine.
    for (const char* name : {"web-1", "web.old", "a.", "a-", "_x"})
        EXPECT_EQ(mult::mgmt::new_name_problem(name), std::nullopt) << name;
    // An existing instance with such a name (set by another client) can
    // still be named on the command line.
    EXPECT_EQ(mult::mgmt::instance_name_problem(".."), std::nullopt);
}

TEST(InstanceRef, Describe)
{
    EXPECT_EQ(mult::mgmt::describe(InstanceRef{3U}), "instance 3");
    EXPECT_EQ(mult::mgmt::describe(InstanceRef{std::string("web")}), "instance 'web'");
    EXPECT_EQ(mult::mgmt::describe(InstanceRef{InstancePidfd{5}}), "the instance of pidfd 5");
}
