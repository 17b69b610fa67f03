// SPDX-License-Identifier: GPL-2.0-only
//
// The built instfork executable, as a user runs it.
#include <gtest/gtest.h>

#include "mult/genl.hpp"
#include "mult/kernel.hpp"
#include "mult/version.hpp"
#include "test_util.hpp"

namespace {

mult_test::ProcessResult instfork_run(std::vector<std::string> args)
{
    args.insert(args.begin(), INSTFORK_PATH);
    return mult_test::run_process(args);
}

}  // namespace

TEST(InstforkBinary, FailsWithNotPatchedMessageOnStockKernel)
{
    if (mult::kernel_supports_instances())
        GTEST_SKIP() << "this kernel has mult";
    const auto r = instfork_run({"--", "/bin/true"});
    EXPECT_EQ(r.status, mult::ExitStatus::exited(125));
    EXPECT_EQ(r.err,
              "instfork: this kernel has no mult instances (CONFIG_MULT): "
              "/proc/sys/kernel/mult is missing\n");
    EXPECT_EQ(r.out, "");
}

TEST(InstforkBinary, NotPatchedMessageAlsoForDetachAndMissingCommand)
{
    if (mult::kernel_supports_instances())
        GTEST_SKIP() << "this kernel has mult";
    // The kernel check comes before the exec: a missing command is not what
    // the user hears about first.
    const auto r = instfork_run({"--detach", "--", "/nonexistent/cmd"});
    EXPECT_EQ(r.status, mult::ExitStatus::exited(125));
    EXPECT_NE(r.err.find("/proc/sys/kernel/mult is missing"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
}

TEST(InstforkBinary, UnknownOptionIsUsageError)
{
    const auto r = instfork_run({"--frobnicate", "--", "/bin/true"});
    EXPECT_EQ(r.status, mult::ExitStatus::exited(2));
    EXPECT_NE(r.err.find("unknown option '--frobnicate'"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
}

TEST(InstforkBinary, UnknownCapabilityIsUsageError)
{
    const auto r = instfork_run({"--keep-cap", "net_admin,sys_admn", "--", "/bin/true"});
    EXPECT_EQ(r.status, mult::ExitStatus::exited(2));
    EXPECT_EQ(r.err, "instfork: --keep-cap: unknown capability 'sys_admn' (give a name from "
                     "capabilities(7), such as sys_admin or CAP_SYS_ADMIN, or all)\n"
                     "Try 'instfork --help' for more information.\n");
    EXPECT_EQ(r.out, "");
}

TEST(InstforkBinary, MissingCommandIsUsageError)
{
    const auto r = instfork_run({});
    EXPECT_EQ(r.status, mult::ExitStatus::exited(2));
    EXPECT_NE(r.err.find("missing command"), std::string::npos) << r.err;
}

TEST(InstforkBinary, Version)
{
    const auto r = instfork_run({"--version"});
    EXPECT_EQ(r.status, mult::ExitStatus::exited(0));
    EXPECT_EQ(r.out, std::string("instfork (mult) ") + mult::kVersion + "\n");
    EXPECT_EQ(r.err, "");
}

TEST(InstforkBinary, Help)
{
    const auto r = instfork_run({"--help"});
    EXPECT_EQ(r.status, mult::ExitStatus::exited(0));
    EXPECT_NE(r.out.find("Usage: instfork [options] -- cmd args..."), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "");
}

TEST(InstforkBinary, NameWithoutModule)
{
    if (mult::management_module_loaded())
        GTEST_SKIP() << "the mult management module is loaded";
    const auto r = instfork_run({"--name", "web", "--", "/bin/true"});
    EXPECT_EQ(r.status, mult::ExitStatus::exited(125));
    // A kernel without mult is said first: no module could be loaded there.
    if (!mult::kernel_supports_instances())
        EXPECT_EQ(r.err, "instfork: this kernel has no mult instances (CONFIG_MULT): "
                         "/proc/sys/kernel/mult is missing\n");
    else
        EXPECT_EQ(r.err, "instfork: --name needs the mult management module (mult_mgmt.ko); it "
                         "is not loaded\n");
}

TEST(InstforkBinary, TtyWithoutATerminalIsAUsageError)
{
    // stdin is /dev/null here; said before the kernel is probed.
    const auto r = instfork_run({"-t", "--", "/bin/true"});
    EXPECT_EQ(r.status, mult::ExitStatus::exited(2));
    EXPECT_EQ(r.err, "instfork: -t needs a terminal on stdin, and stdin is not one (without -t the "
                     "command gets stdin, stdout and stderr as they are)\nTry 'instfork --help' "
                     "for more information.\n");
    EXPECT_EQ(r.out, "");
}
