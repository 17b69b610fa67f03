// SPDX-License-Identifier: GPL-2.0-only
//
// The built instctl executable, as a user runs it on the host: usage
// errors, help, and what it says when the management module is absent
// (always the case on a kernel without mult).
#include <gtest/gtest.h>

#include "mult/genl.hpp"
#include "mult/kernel.hpp"
#include "mult/version.hpp"
#include "test_util.hpp"

namespace {

mult_test::ProcessResult instctl_run(std::vector<std::string> args)
{
    args.insert(args.begin(), INSTCTL_PATH);
    return mult_test::run_process(args);
}

// What instctl says without the family: on a kernel without mult, that
// kernel (no module can load there), else the module to load.
const std::string kNotLoaded =
    mult::probe_instance_support() == mult::Support::unsupported
        ? "this kernel has no mult instances (CONFIG_MULT): /proc/sys/kernel/mult is missing, so "
          "there is no management module either: boot a kernel with the mult series\n"
        : "the mult management module (mult_mgmt.ko) is not loaded (no generic netlink family "
          "'mult'); load it with 'modprobe mult_mgmt' or 'insmod mult_mgmt.ko'\n";

}  // namespace

TEST(InstctlBinary, EveryCommandSaysTheModuleIsMissingWithStatus5)
{
    if (mult::management_module_loaded())
        GTEST_SKIP() << "the mult management module is loaded";
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"list"}, {"--json", "list"}, {"ps", "web"}, {"kill", "3"},
          {"info"}, {"name", "3", "web"}, {"watch", "--count", "1"}}) {
        SCOPED_TRACE(args.front());
        const auto r = instctl_run(args);
        EXPECT_EQ(r.status, mult::ExitStatus::exited(5));
        EXPECT_EQ(r.err, "instctl: " + kNotLoaded);
        EXPECT_EQ(r.out, "");
    }
}

TEST(InstctlBinary, ExecWithoutTheModuleIs125)
{
    if (mult::management_module_loaded())
        GTEST_SKIP() << "the mult management module is loaded";
    const auto r = instctl_run({"exec", "web", "--", "/bin/true"});
    EXPECT_EQ(r.status, mult::ExitStatus::exited(125));
    EXPECT_EQ(r.err, "instctl: exec: " + kNotLoaded);
}

TEST(InstctlBinary, UsageErrorIs2)
{
    const auto r = instctl_run({"kill", "-s", "NOPE", "web"});
    EXPECT_EQ(r.status, mult::ExitStatus::exited(2));
    EXPECT_EQ(r.err, "instctl kill: -s: unknown signal 'NOPE' (give a name like TERM, KILL, HUP, or "
                     "a number 1 to 64)\nTry 'instctl kill --help' for more information.\n");
    EXPECT_EQ(r.out, "");
}

TEST(InstctlBinary, HelpAndVersion)
{
    auto r = instctl_run({"--help"});
    EXPECT_EQ(r.status, mult::ExitStatus::exited(0));
    EXPECT_NE(r.out.find("Exit status:"), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "");
    r = instctl_run({"ps", "--help"});
    EXPECT_EQ(r.status, mult::ExitStatus::exited(0));
    EXPECT_NE(r.out.find("Usage: instctl [--json] ps [--threads] [-o COLS] [-n] [-r] [-J] [--tree] "
                         "ID|NAME"),
              std::string::npos)
        << r.out;
    r = instctl_run({"--version"});
    EXPECT_EQ(r.out, std::string("instctl (mult) ") + mult::kVersion + "\n");
}

TEST(InstctlBinary, ExecTtyWithoutATerminalIsAUsageError)
{
    // stdin is /dev/null here: -t is refused before the module is asked.
    const auto r = instctl_run({"exec", "-t", "web", "--", "/bin/true"});
    EXPECT_EQ(r.status, mult::ExitStatus::exited(2));
    EXPECT_EQ(r.err, "instctl exec: -t needs a terminal on stdin, and stdin is not one (without -t "
                     "the command gets stdin, stdout and stderr as they are)\nTry 'instctl exec "
                     "--help' for more information.\n");
    EXPECT_EQ(r.out, "");
}
