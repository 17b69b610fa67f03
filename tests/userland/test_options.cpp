// SPDX-License-Identifier: GPL-2.0-only
//
// instfork's command-line parsing (pure, no processes).
#include <gtest/gtest.h>

#include "mult/version.hpp"
#include "options.hpp"
#include "runner.hpp"

using instfork::Config;
using instfork::EnvAssignment;
using instfork::parse_command_line;
namespace caps = mult::caps;

namespace {

using Args = std::vector<std::string>;

Config parse_ok(const Args& args)
{
    auto r = parse_command_line(args);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().err);
    return r ? *r : Config{};
}

instfork::EarlyExit parse_fail(const Args& args)
{
    auto r = parse_command_line(args);
    EXPECT_FALSE(r.has_value()) << "parsed, command[0]="
                                << (r && !r->command.empty() ? r->command[0] : "");
    return r ? instfork::EarlyExit{} : r.error();
}

void expect_usage_error(const Args& args, const std::string& fragment)
{
    const auto e = parse_fail(args);
    EXPECT_EQ(e.code, instfork::kExitUsage);
    EXPECT_TRUE(e.out.empty());
    EXPECT_EQ(e.err.rfind("instfork: ", 0), 0U) << e.err;
    EXPECT_NE(e.err.find(fragment), std::string::npos) << "stderr: " << e.err;
}

}  // namespace

TEST(Options, CommandAfterDoubleDash)
{
    const Config c = parse_ok({"--", "ls", "-l", "/"});
    EXPECT_EQ(c.command, (Args{"ls", "-l", "/"}));
    EXPECT_FALSE(c.detach);
    EXPECT_FALSE(c.print_id);
    EXPECT_FALSE(c.clear_env);
    EXPECT_FALSE(c.name);
    EXPECT_FALSE(c.chdir);
    EXPECT_TRUE(c.env.empty());
    EXPECT_TRUE(c.pass_fds.empty());
    EXPECT_EQ(c.drop_caps, ~mult::caps::kInstanceDefault);
}

TEST(Options, CommandStartsAtFirstOperandWithoutDoubleDash)
{
    const Config c = parse_ok({"--detach", "ls", "-l", "--chdir", "x"});
    EXPECT_TRUE(c.detach);
    EXPECT_FALSE(c.chdir) << "options after the command belong to the command";
    EXPECT_EQ(c.command, (Args{"ls", "-l", "--chdir", "x"}));
}

TEST(Options, DoubleDashInsideCommandIsPassedThrough)
{
    EXPECT_EQ(parse_ok({"ls", "--", "-x"}).command, (Args{"ls", "--", "-x"}));
    EXPECT_EQ(parse_ok({"--", "ls", "--", "-x"}).command, (Args{"ls", "--", "-x"}));
    // Only the first "--" separates: the second is the command name.
    EXPECT_EQ(parse_ok({"--print-id", "--", "--", "a"}).command, (Args{"--", "a"}));
}

TEST(Options, DashAloneIsAnOperand)
{
    EXPECT_EQ(parse_ok({"-", "x"}).command, (Args{"-", "x"}));
}

TEST(Options, AllOptions)
{
    const Config c = parse_ok({"--name", "web", "--chdir", "/srv", "--env", "A=1", "--env",
                               "B=x=y", "--env", "C=", "--clear-env", "--pass-fd", "5",
                               "--detach", "--print-id", "--", "sshd", "-D"});
    EXPECT_EQ(c.name, "web");
    EXPECT_EQ(c.chdir, "/srv");
    EXPECT_EQ(c.env, (std::vector<EnvAssignment>{{"A", "1"}, {"B", "x=y"}, {"C", ""}}));
    EXPECT_TRUE(c.clear_env);
    EXPECT_EQ(c.pass_fds, (std::vector<int>{5}));
    EXPECT_TRUE(c.detach);
    EXPECT_TRUE(c.print_id);
    EXPECT_EQ(c.command, (Args{"sshd", "-D"}));
}

TEST(Options, EqualsForm)
{
    const Config c = parse_ok({"--chdir=/tmp", "--pass-fd=7", "--env=K=V", "--name=n", "true"});
    EXPECT_EQ(c.chdir, "/tmp");
    EXPECT_EQ(c.pass_fds, (std::vector<int>{7}));
    EXPECT_EQ(c.env, (std::vector<EnvAssignment>{{"K", "V"}}));
    EXPECT_EQ(c.name, "n");
    EXPECT_EQ(c.command, (Args{"true"}));
}

TEST(Options, ValueMayStartWithDash)
{
    const Config c = parse_ok({"--chdir", "-odd-dir", "--", "true"});
    EXPECT_EQ(c.chdir, "-odd-dir");
    EXPECT_EQ(c.command, (Args{"true"}));
}

TEST(Options, RepeatedPassFdIsSortedAndUnique)
{
    const Config c = parse_ok(
        {"--pass-fd", "9", "--pass-fd", "3", "--pass-fd", "9", "--pass-fd=4", "--", "x"});
    EXPECT_EQ(c.pass_fds, (std::vector<int>{3, 4, 9}));
}

TEST(Options, PassFdOfStdioIsImplicit)
{
    const Config c = parse_ok({"--pass-fd", "0", "--pass-fd", "2", "--pass-fd", "3", "--", "x"});
    EXPECT_EQ(c.pass_fds, (std::vector<int>{3}));
}

TEST(Options, BadFdNumbers)
{
    for (const std::string bad : {"x", "-1", "3x", "", " 3", "+3", "1.5", "99999999999"}) {
        SCOPED_TRACE("--pass-fd '" + bad + "'");
        expect_usage_error({"--pass-fd", bad, "--", "true"},
                           "--pass-fd: '" + bad + "' is not a file descriptor number");
    }
    expect_usage_error({"--pass-fd=-4", "--", "true"}, "'-4' is not a file descriptor number");
}

TEST(Options, UnknownLongOption)
{
    expect_usage_error({"--bogus", "--", "true"}, "unknown option '--bogus'");
    expect_usage_error({"--bogus=1", "true"}, "unknown option '--bogus'");
    expect_usage_error({"--chdir", "/tmp", "--frob", "--", "true"}, "unknown option '--frob'");
}

TEST(Options, UnknownShortOption)
{
    expect_usage_error({"-x", "--", "true"}, "unknown option '-x'");
}

TEST(Options, UsageErrorsPointToHelp)
{
    const auto e = parse_fail({"--bogus", "true"});
    EXPECT_NE(e.err.find("Try 'instfork --help'"), std::string::npos) << e.err;
}

TEST(Options, MissingOptionValue)
{
    expect_usage_error({"--chdir"}, "--chdir");
    // "--" is never taken as a value.
    expect_usage_error({"--chdir", "--", "ls"}, "--chdir");
    expect_usage_error({"--pass-fd", "--", "ls"}, "--pass-fd");
}

TEST(Options, FlagsTakeNoValue)
{
    expect_usage_error({"--detach=1", "true"}, "option '--detach' does not take a value");
    expect_usage_error({"--clear-env=yes", "true"},
                       "option '--clear-env' does not take a value");
}

TEST(Options, MissingCommand)
{
    expect_usage_error({}, "missing command");
    expect_usage_error({"--detach"}, "missing command");
    expect_usage_error({"--detach", "--"}, "missing command");
    expect_usage_error({"--", ""}, "command name must not be empty");
}

TEST(Options, EnvMustBeNameEqualsValue)
{
    expect_usage_error({"--env", "FOO", "true"}, "--env: 'FOO' is not of the form K=V");
    expect_usage_error({"--env", "=x", "true"}, "--env: '=x' is not of the form K=V");
}

TEST(Options, EmptyValuesRejected)
{
    expect_usage_error({"--chdir", "", "true"}, "--chdir: the directory must not be empty");
    expect_usage_error({"--name", "", "true"}, "--name '': the name is empty");
}

TEST(Options, NameMustBeUsable)
{
    // The module's rule, checked before any child exists.
    expect_usage_error({"--name", "a b", "true"},
                       "--name 'a b': the name has a character outside A-Z a-z 0-9 . _ -");
    expect_usage_error({"--name", std::string(32, 'x'), "true"}, "the name is 32 characters long");
    // Digits only would read as an id in instctl.
    expect_usage_error({"--name", "42", "true"},
                       "--name '42': a name of digits only would read as an instance id");
    EXPECT_EQ(parse_ok({"--name", std::string(31, 'x'), "true"}).name, std::string(31, 'x'));
    EXPECT_EQ(parse_ok({"--name", "web-1.a_b", "true"}).name, "web-1.a_b");
}

// --keep-cap and --drop-cap

namespace {

// The capabilities the command keeps.
caps::Set kept(const Args& options)
{
    Args args = options;
    args.insert(args.end(), {"--", "true"});
    return ~parse_ok(args).drop_caps;
}

}  // namespace

TEST(Options, DefaultCapabilitiesAreTheInstanceDefault)
{
    EXPECT_EQ(kept({}), caps::kInstanceDefault);
    EXPECT_EQ(kept({}) & caps::bit(CAP_SYS_ADMIN), 0U);
    EXPECT_NE(kept({}) & caps::bit(CAP_NET_BIND_SERVICE), 0U);
}

TEST(Options, KeepCapTakesNamesInAnyForm)
{
    const caps::Set admin = caps::kInstanceDefault | caps::bit(CAP_SYS_ADMIN);
    for (const char* name : {"sys_admin", "SYS_ADMIN", "cap_sys_admin", "CAP_SYS_ADMIN", "Cap_Sys_Admin"}) {
        EXPECT_EQ(kept({"--keep-cap", name}), admin) << name;
        EXPECT_EQ(kept({std::string("--keep-cap=") + name}), admin) << name;
    }
}

TEST(Options, KeepCapListsAndRepeats)
{
    EXPECT_EQ(kept({"--keep-cap", "sys_admin,net_admin", "--keep-cap", "CAP_BPF", "--keep-cap=perfmon"}),
              caps::kInstanceDefault | caps::bit(CAP_SYS_ADMIN) | caps::bit(CAP_NET_ADMIN) |
                  caps::bit(CAP_BPF) | caps::bit(CAP_PERFMON));
    // Naming a capability kept anyway changes nothing.
    EXPECT_EQ(kept({"--keep-cap", "chown,chown"}), caps::kInstanceDefault);
}

TEST(Options, KeepCapAllKeepsEveryCapability)
{
    for (const char* all : {"all", "ALL", "All"})
        EXPECT_EQ(kept({"--keep-cap", all}), caps::kAll) << all;
    EXPECT_EQ(kept({"--keep-cap", "sys_admin,all"}), caps::kAll);
    // ... except those --drop-cap names.
    EXPECT_EQ(kept({"--keep-cap", "all", "--drop-cap", "sys_module"}),
              caps::kAll & ~caps::bit(CAP_SYS_MODULE));
}

TEST(Options, DropCapDropsMore)
{
    EXPECT_EQ(kept({"--drop-cap", "setuid,CAP_SETGID", "--drop-cap", "kill"}),
              caps::kInstanceDefault &
                  ~(caps::bit(CAP_SETUID) | caps::bit(CAP_SETGID) | caps::bit(CAP_KILL)));
    // Naming one that is dropped anyway changes nothing.
    EXPECT_EQ(kept({"--drop-cap", "sys_admin"}), caps::kInstanceDefault);
}

TEST(Options, DropCapAllLeavesWhatKeepCapNames)
{
    EXPECT_EQ(kept({"--drop-cap", "all"}), caps::kNone);
    // The order of the options does not matter.
    for (const Args& args : {Args{"--drop-cap", "all", "--keep-cap", "net_bind_service,setuid"},
                             Args{"--keep-cap", "net_bind_service,setuid", "--drop-cap", "all"}})
        EXPECT_EQ(kept(args), caps::bit(CAP_NET_BIND_SERVICE) | caps::bit(CAP_SETUID));
}

TEST(Options, UnknownCapabilityIsAUsageError)
{
    const std::string hint = "(give a name from capabilities(7), such as sys_admin or CAP_SYS_ADMIN, or all)";
    expect_usage_error({"--keep-cap", "sys_admn", "--", "true"},
                       "--keep-cap: unknown capability 'sys_admn' " + hint);
    expect_usage_error({"--drop-cap", "net_admin,frob", "--", "true"},
                       "--drop-cap: unknown capability 'frob' ");
    // No numbers, no spaces, no prefix of a name.
    for (const char* bad : {"21", "cap_21", " sys_admin", "sys_admin ", "sys", "cap_"})
        expect_usage_error({"--keep-cap", bad, "--", "true"},
                           std::string("--keep-cap: unknown capability '") + bad + "'");
}

TEST(Options, EmptyCapabilityNameIsAUsageError)
{
    expect_usage_error({"--keep-cap", "", "--", "true"}, "--keep-cap: '' has an empty capability name");
    expect_usage_error({"--drop-cap", "kill,,chown", "--", "true"},
                       "--drop-cap: 'kill,,chown' has an empty capability name");
    expect_usage_error({"--keep-cap=sys_admin,", "--", "true"},
                       "--keep-cap: 'sys_admin,' has an empty capability name");
    expect_usage_error({"--keep-cap", "--", "true"}, "--keep-cap");
}

TEST(Options, KeepingAndDroppingOneCapabilityContradict)
{
    expect_usage_error({"--keep-cap", "kill,sys_admin", "--drop-cap", "CAP_SYS_ADMIN", "--", "true"},
                       "--keep-cap and --drop-cap both name CAP_SYS_ADMIN");
    expect_usage_error({"--keep-cap", "all", "--drop-cap", "all", "--", "true"},
                       "--keep-cap all and --drop-cap all contradict each other");
}

TEST(Options, HelpListsTheDefaultCapabilities)
{
    const auto e = parse_fail({"--help"});
    for (const std::string& name : caps::short_names(caps::kInstanceDefault))
        EXPECT_TRUE(e.out.find(" " + name + ",") != std::string::npos ||
                    e.out.find(" " + name + "\n") != std::string::npos)
            << name;
    EXPECT_EQ(e.out.find("sys_admin"), e.out.find("sys_admin or CAP_SYS_ADMIN")) << e.out;
}

TEST(Options, Help)
{
    for (const Args& args : {Args{"--help"}, Args{"-h"}, Args{"--help", "--", "ls"}}) {
        const auto e = parse_fail(args);
        EXPECT_EQ(e.code, 0);
        EXPECT_TRUE(e.err.empty());
        EXPECT_NE(e.out.find("Usage: instfork [options] -- cmd args..."), std::string::npos)
            << e.out;
        for (const char* opt : {"--name", "--chdir", "--env", "--clear-env", "--pass-fd",
                                "--detach", "--print-id", "--keep-cap", "--drop-cap", "--version"})
            EXPECT_NE(e.out.find(opt), std::string::npos) << opt;
    }
}

TEST(Options, Version)
{
    const auto e = parse_fail({"--version"});
    EXPECT_EQ(e.code, 0);
    EXPECT_EQ(e.out, std::string("instfork (mult) ") + mult::kVersion + "\n");
    EXPECT_TRUE(e.err.empty());
}

TEST(Options, ArgcArgvSkipsProgramName)
{
    const char* argv[] = {"instfork", "--print-id", "--", "echo", "hi", nullptr};
    auto r = parse_command_line(5, argv);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->print_id);
    EXPECT_EQ(r->command, (Args{"echo", "hi"}));
}

TEST(Options, PidsMaxIsUnsetByDefault)
{
    EXPECT_FALSE(parse_ok({"true"}).pids_max.has_value());
}

TEST(Options, PidsMaxTakesACount)
{
    EXPECT_EQ(parse_ok({"--pids-max", "64", "sh"}).pids_max, 64);
    EXPECT_EQ(parse_ok({"--pids-max=1", "--", "sh"}).pids_max, 1);
    // The kernel's own ceiling (PIDS_MAX - 1).
    EXPECT_EQ(parse_ok({"--pids-max", "4194304", "sh"}).pids_max, 4194304);
    const auto cfg = parse_ok({"--pids-max", "10", "--name", "web", "sh", "-c", "x"});
    EXPECT_EQ(cfg.pids_max, 10);
    EXPECT_EQ(cfg.command, (Args{"sh", "-c", "x"}));
}

TEST(Options, PidsMaxRejectsWhatIsNotALimit)
{
    // 0 would leave no room for the first process; "max" is no limit at all.
    for (const std::string bad : {"0", "-1", "max", "", "10x", " 5", "+5", "1.5", "4194305",
                                  "99999999999999999999"}) {
        SCOPED_TRACE("--pids-max '" + bad + "'");
        expect_usage_error({"--pids-max", bad, "--", "true"},
                           "--pids-max: '" + bad + "' is not a number from 1 to 4194304");
    }
    expect_usage_error({"--pids-max", "--", "true"}, "--pids-max");
}

TEST(Options, PidsMaxAndDetachExcludeEachOther)
{
    // instfork removes the cgroup when the instance ends: it must wait for it.
    expect_usage_error({"--pids-max", "5", "--detach", "true"},
                       "--pids-max cannot be combined with --detach");
    expect_usage_error({"--detach", "--pids-max", "5", "true"},
                       "--pids-max cannot be combined with --detach");
}

TEST(Options, HelpDescribesPidsMax)
{
    const auto e = parse_fail({"--help"});
    EXPECT_NE(e.out.find("--pids-max N"), std::string::npos) << e.out;
    EXPECT_NE(e.out.find("pids cgroup"), std::string::npos) << e.out;
}

TEST(Options, Tty)
{
    EXPECT_FALSE(parse_ok({"--", "sh"}).tty);
    for (const Args& args : {Args{"-t", "--", "sh"}, Args{"--tty", "sh"},
                             Args{"--name", "web", "-t", "sh", "-i"}}) {
        const Config c = parse_ok(args);
        EXPECT_TRUE(c.tty);
        EXPECT_EQ(c.command.front(), "sh");
    }
    // After the command, -t is the command's.
    const Config c = parse_ok({"sh", "-t"});
    EXPECT_FALSE(c.tty);
    EXPECT_EQ(c.command, (Args{"sh", "-t"}));
}

TEST(Options, TtyUsageErrors)
{
    expect_usage_error({"-t", "--detach", "--", "sh"}, "-t cannot be combined with --detach");
    expect_usage_error({"--tty", "--init", "--", "sh"}, "-t cannot be combined with --init");
    expect_usage_error({"--tty=1", "sh"}, "option '--tty' does not take a value");
}

TEST(Options, HelpDescribesTty)
{
    const auto e = parse_fail({"--help"});
    EXPECT_EQ(e.code, 0);
    EXPECT_NE(e.out.find("-t,--tty"), std::string::npos) << e.out;
    EXPECT_NE(e.out.find("pseudo-terminal"), std::string::npos);
}

TEST(Options, TtyNeedsATerminalOnStdin)
{
    const Config c = parse_ok({"-t", "sh"});
    const auto problem = instfork::tty_problem(c, false);
    ASSERT_TRUE(problem);
    EXPECT_NE(problem->find("-t needs a terminal on stdin"), std::string::npos) << *problem;
    EXPECT_FALSE(instfork::tty_problem(c, true));
    EXPECT_FALSE(instfork::tty_problem(parse_ok({"sh"}), false));
}
