// SPDX-License-Identifier: GPL-2.0-only
//
// Building the command's environment and argv, and the child's keep-list.
#include <gtest/gtest.h>

#include <cstring>

#include "environment.hpp"
#include "mult/spawn.hpp"

using instfork::build_environment;
using mult::CStringArray;
using instfork::EnvAssignment;

using Strings = std::vector<std::string>;

TEST(Environment, InheritsBaseAndAppliesAssignments)
{
    const Strings base{"A=1", "B=2"};
    const std::vector<EnvAssignment> set{{"B", "3"}, {"C", "4"}};
    EXPECT_EQ(build_environment(base, false, set), (Strings{"A=1", "B=3", "C=4"}));
}

TEST(Environment, ClearDropsBase)
{
    const Strings base{"A=1", "B=2"};
    const std::vector<EnvAssignment> set{{"B", "3"}};
    EXPECT_EQ(build_environment(base, true, set), (Strings{"B=3"}));
    EXPECT_TRUE(build_environment(base, true, {}).empty());
}

TEST(Environment, NoAssignmentsKeepsBaseVerbatim)
{
    const Strings base{"Z=1", "A=2", "WEIRD"};
    EXPECT_EQ(build_environment(base, false, {}), base);
}

TEST(Environment, LaterAssignmentWins)
{
    const std::vector<EnvAssignment> set{{"X", "1"}, {"X", "2"}};
    EXPECT_EQ(build_environment({}, false, set), (Strings{"X=2"}));
}

TEST(Environment, DuplicateBaseDefinitionsCollapse)
{
    const Strings base{"A=1", "B=0", "A=2"};
    const std::vector<EnvAssignment> set{{"A", "9"}};
    EXPECT_EQ(build_environment(base, false, set), (Strings{"A=9", "B=0"}));
}

TEST(Environment, NamePrefixIsNotAMatch)
{
    const Strings base{"PATHX=1", "PATH=/bin"};
    const std::vector<EnvAssignment> set{{"PATH", "/usr/bin"}};
    EXPECT_EQ(build_environment(base, false, set), (Strings{"PATHX=1", "PATH=/usr/bin"}));
}

TEST(Environment, ValueMayContainEquals)
{
    const std::vector<EnvAssignment> set{{"OPTS", "a=b,c=d"}};
    EXPECT_EQ(build_environment({}, false, set), (Strings{"OPTS=a=b,c=d"}));
}

TEST(CStringArray, IsNullTerminatedAndSurvivesMove)
{
    CStringArray a(Strings{"echo", "hello world", ""});
    char* const* before = a.data();
    const char* first = before[0];
    CStringArray b(std::move(a));
    ASSERT_EQ(b.size(), 3U);
    EXPECT_STREQ(b.data()[0], "echo");
    EXPECT_STREQ(b.data()[1], "hello world");
    EXPECT_STREQ(b.data()[2], "");
    EXPECT_EQ(b.data()[3], nullptr);
    EXPECT_EQ(b.data()[0], first) << "strings must not move with the array";
}

TEST(CStringArray, EmptyIsJustNull)
{
    CStringArray a;
    EXPECT_EQ(a.data()[0], nullptr);
    CStringArray b(Strings{});
    EXPECT_EQ(b.data()[0], nullptr);
}

TEST(KeepList, StdioPassedAndReportSortedUnique)
{
    const std::vector<int> pass{9, 4, 4};
    EXPECT_EQ(mult::keep_list(pass, 6), (std::vector<int>{0, 1, 2, 4, 6, 9}));
    EXPECT_EQ(mult::keep_list({}, -1), (std::vector<int>{0, 1, 2}));
    EXPECT_EQ(mult::keep_list({}, 1), (std::vector<int>{0, 1, 2}));
}
