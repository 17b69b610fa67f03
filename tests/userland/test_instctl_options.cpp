// SPDX-License-Identifier: GPL-2.0-only
//
// instctl's command line (instctl::parse_command_line): every subcommand,
// its options, usage errors, help and version.
#include <gtest/gtest.h>

#include <csignal>

#include "mult/version.hpp"
#include "instctl/options.hpp"

using instctl::Command;
using instctl::Options;
using mult::mgmt::InstanceRef;

namespace {

using Args = std::vector<std::string>;

Options parse_ok(const Args& args)
{
    auto r = instctl::parse_command_line(args);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().err);
    return r ? *r : Options{};
}

instctl::EarlyExit parse_fail(const Args& args)
{
    auto r = instctl::parse_command_line(args);
    EXPECT_FALSE(r.has_value()) << "parsed";
    return r ? instctl::EarlyExit{} : r.error();
}

// A usage error: status 2, nothing on stdout, the message on stderr with
// the command's prefix, and where to get help.
void expect_usage_error(const Args& args, const std::string& prefix, const std::string& fragment)
{
    const auto e = parse_fail(args);
    EXPECT_EQ(e.code, 2);
    EXPECT_TRUE(e.out.empty());
    EXPECT_EQ(e.err.rfind(prefix + ": ", 0), 0U) << e.err;
    EXPECT_NE(e.err.find(fragment), std::string::npos) << "stderr: " << e.err;
    EXPECT_NE(e.err.find("Try '"), std::string::npos) << e.err;
}

const InstanceRef kWeb{std::string("web")};

}  // namespace

TEST(InstctlOptions, List)
{
    const Options o = parse_ok({"list"});
    EXPECT_EQ(o.command, Command::list);
    EXPECT_FALSE(o.json);
}

TEST(InstctlOptions, JsonBeforeOrAfterTheCommand)
{
    EXPECT_TRUE(parse_ok({"--json", "list"}).json);
    EXPECT_TRUE(parse_ok({"list", "--json"}).json);
    EXPECT_TRUE(parse_ok({"ps", "--json", "3"}).json);
    EXPECT_TRUE(parse_ok({"watch", "--json", "--count", "2"}).json);
    EXPECT_TRUE(parse_ok({"--json", "info"}).json);
}

TEST(InstctlOptions, PsByIdOrName)
{
    Options o = parse_ok({"ps", "3"});
    EXPECT_EQ(o.command, Command::ps);
    EXPECT_EQ(o.instance, InstanceRef{3U});
    EXPECT_FALSE(o.threads);
    o = parse_ok({"ps", "--threads", "web"});
    EXPECT_EQ(o.instance, kWeb);
    EXPECT_TRUE(o.threads);
    EXPECT_TRUE(parse_ok({"ps", "web", "--threads"}).threads);
}

TEST(InstctlOptions, PsNeedsAValidInstance)
{
    expect_usage_error({"ps"}, "instctl ps", "missing instance (its id or its name)");
    expect_usage_error({"ps", "0"}, "instctl ps", "instance id 0 is the root instance");
    expect_usage_error({"ps", "bad name"}, "instctl ps", "is neither an instance id nor a valid name");
    expect_usage_error({"ps", "1", "2"}, "instctl ps", "2");
}

TEST(InstctlOptions, KillDefaultsToTerm)
{
    const Options o = parse_ok({"kill", "web"});
    EXPECT_EQ(o.command, Command::kill);
    EXPECT_EQ(o.instance, kWeb);
    EXPECT_EQ(o.signal, SIGTERM);
}

TEST(InstctlOptions, KillSignalByNameOrNumber)
{
    EXPECT_EQ(parse_ok({"kill", "-s", "KILL", "3"}).signal, SIGKILL);
    EXPECT_EQ(parse_ok({"kill", "-s", "SIGHUP", "3"}).signal, SIGHUP);
    EXPECT_EQ(parse_ok({"kill", "--signal", "usr1", "3"}).signal, SIGUSR1);
    EXPECT_EQ(parse_ok({"kill", "--signal=9", "3"}).signal, 9);
    EXPECT_EQ(parse_ok({"kill", "3", "-s", "INT"}).signal, SIGINT);
}

TEST(InstctlOptions, KillBadSignal)
{
    expect_usage_error({"kill", "-s", "FOO", "3"}, "instctl kill", "-s: unknown signal 'FOO'");
    expect_usage_error({"kill", "-s", "0", "3"}, "instctl kill", "signal 0 is out of range");
    expect_usage_error({"kill", "-s", "65", "3"}, "instctl kill", "signal 65 is out of range");
    expect_usage_error({"kill", "-s"}, "instctl kill", "");
}

TEST(InstctlOptions, ExecWithSeparator)
{
    const Options o = parse_ok({"exec", "web", "--", "ls", "-l", "--", "x"});
    EXPECT_EQ(o.command, Command::exec);
    EXPECT_EQ(o.instance, kWeb);
    EXPECT_EQ(o.argv, (Args{"ls", "-l", "--", "x"}));
    EXPECT_FALSE(o.chdir);
}

TEST(InstctlOptions, ExecWithoutSeparatorStopsAtTheCommand)
{
    // The command's own options are not instctl's.
    const Options o = parse_ok({"exec", "3", "ls", "-l", "--chdir", "/x"});
    EXPECT_EQ(o.instance, InstanceRef{3U});
    EXPECT_EQ(o.argv, (Args{"ls", "-l", "--chdir", "/x"}));
    EXPECT_FALSE(o.chdir);
}

TEST(InstctlOptions, ExecChdir)
{
    for (const Args& args : {Args{"exec", "--chdir", "/srv", "web", "--", "sh"},
                             Args{"exec", "web", "--chdir", "/srv", "--", "sh"},
                             Args{"exec", "--chdir=/srv", "web", "sh"}}) {
        const Options o = parse_ok(args);
        EXPECT_EQ(o.chdir, "/srv");
        EXPECT_EQ(o.instance, kWeb);
        EXPECT_EQ(o.argv, Args{"sh"});
    }
}

TEST(InstctlOptions, ExecTty)
{
    EXPECT_FALSE(parse_ok({"exec", "web", "--", "sh"}).tty);
    for (const Args& args : {Args{"exec", "-t", "web", "--", "sh"}, Args{"exec", "--tty", "web"},
                             Args{"exec", "web", "-t", "--", "sh"},
                             Args{"exec", "-t", "-l", "-u", "www-data", "web"}}) {
        const Options o = parse_ok(args);
        EXPECT_TRUE(o.tty);
        EXPECT_EQ(o.instance, kWeb);
    }
    // After the command, -t is the command's.
    const Options o = parse_ok({"exec", "web", "top", "-t"});
    EXPECT_FALSE(o.tty);
    EXPECT_EQ(o.argv, (Args{"top", "-t"}));
}

TEST(InstctlOptions, ExecUsageErrors)
{
    expect_usage_error({"exec", "-u", "", "web"}, "instctl exec", "--user: the user must not be empty");
    expect_usage_error({"exec", "--", "ls"}, "instctl exec", "missing instance (its id or its name)");
    expect_usage_error({"exec", "web", "--", ""}, "instctl exec", "command name must not be empty");
    expect_usage_error({"exec", "--chdir", "", "web", "ls"}, "instctl exec",
                       "--chdir: the directory must not be empty");
    expect_usage_error({"exec", "0", "ls"}, "instctl exec", "root instance");
}

TEST(InstctlOptions, Watch)
{
    Options o = parse_ok({"watch"});
    EXPECT_EQ(o.command, Command::watch);
    EXPECT_FALSE(o.count);
    o = parse_ok({"watch", "--count", "3"});
    EXPECT_EQ(o.count, 3U);
    EXPECT_EQ(parse_ok({"watch", "--count=1"}).count, 1U);
}

TEST(InstctlOptions, WatchCountMustBePositive)
{
    for (const char* bad : {"0", "-1", "x", "1.5", ""})
        expect_usage_error({"watch", "--count", bad}, "instctl watch",
                           std::string("--count: '") + bad + "' is not a number of events");
}

TEST(InstctlOptions, Info)
{
    EXPECT_EQ(parse_ok({"info"}).command, Command::info);
    expect_usage_error({"info", "extra"}, "instctl info", "extra");
}

TEST(InstctlOptions, Name)
{
    Options o = parse_ok({"name", "3", "web"});
    EXPECT_EQ(o.command, Command::name);
    EXPECT_EQ(o.instance, InstanceRef{3U});
    EXPECT_EQ(o.new_name, "web");
    o = parse_ok({"name", "web", "web-old"});
    EXPECT_EQ(o.instance, kWeb);
    EXPECT_EQ(o.new_name, "web-old");
}

TEST(InstctlOptions, NameUsageErrors)
{
    expect_usage_error({"name", "3"}, "instctl name", "missing new name");
    expect_usage_error({"name", "3", "a b"}, "instctl name", "'a b': the name has a character");
    expect_usage_error({"name", "3", "42"}, "instctl name", "'42': a name of digits only");
    expect_usage_error({"name", "3", std::string(32, 'x')}, "instctl name", "32 characters long");
}

TEST(InstctlOptions, MissingOrUnknownCommand)
{
    expect_usage_error({}, "instctl", "missing command");
    expect_usage_error({"--json"}, "instctl", "missing command");
    expect_usage_error({"frob"}, "instctl",
                       "unknown command 'frob' (commands: list, ps, kill, stop, exec, watch, info, name, svc)");
}

TEST(InstctlOptions, UnknownOptionsAndFlagValues)
{
    // Messages name the command once it is known, wherever the option is.
    expect_usage_error({"--frob", "list"}, "instctl list", "--frob");
    expect_usage_error({"list", "--frob"}, "instctl list", "--frob");
    expect_usage_error({"--frob"}, "instctl", "--frob");
    expect_usage_error({"--json=1", "list"}, "instctl list", "");
    expect_usage_error({"ps", "--threads=yes", "3"}, "instctl ps", "");
}

TEST(InstctlOptions, TopLevelHelpListsEveryCommandAndTheExitStatuses)
{
    for (const Args& args : {Args{"--help"}, Args{"-h"}}) {
        const auto e = parse_fail(args);
        EXPECT_EQ(e.code, 0);
        EXPECT_TRUE(e.err.empty());
        EXPECT_NE(e.out.find("Usage: instctl [--json] COMMAND [options] [args]"), std::string::npos);
        for (const char* word : {"list", "ps", "kill", "exec", "watch", "info", "name", "--json",
                                 "--version", "Examples:", "Exit status:", "3  no such instance",
                                 "4  permission denied", "5  the management module"})
            EXPECT_NE(e.out.find(word), std::string::npos) << word << " missing from:\n" << e.out;
    }
}

TEST(InstctlOptions, EachCommandHasCompleteHelp)
{
    const std::vector<std::pair<std::string, std::vector<std::string>>> expected{
        {"list", {"Usage: instctl [--json] list [-o COLS] [-n] [-r] [-J] [--tree]", "FIRST-PID",
                  "first_pid", "-o,--output", "--tree", "AGE", "Examples:"}},
        {"ps", {"Usage: instctl [--json] ps [--threads] [-o COLS] [-n] [-r] [-J] [--tree] ID|NAME",
                "--threads", "COMM", "-n,--noheadings", "Examples:"}},
        {"kill", {"Usage: instctl kill [-s SIG | -SIG] ID|NAME|--all", "-s,--signal", "default is TERM", "Examples:"}},
        {"exec",
         {"Usage: instctl exec [-t] [--chdir DIR] [-u USER] [-l] ID|NAME [[--] CMD [ARGS...]]",
          "--chdir", "-u,--user", "-l,--login", "-t,--tty", "pseudo-terminal", "login shell", "125", "126", "127", "Examples:"}},
        {"watch", {"Usage: instctl [--json] watch [--count N]", "--count", "emptied", "Examples:"}},
        {"info", {"Usage: instctl [--json] info", "events dropped", "Example:"}},
        {"name", {"Usage: instctl name ID|NAME NEWNAME", "NEWNAME", "digits", "Examples:"}},
    };
    for (const auto& [cmd, words] : expected) {
        SCOPED_TRACE(cmd);
        // Help wins over missing arguments.
        const auto e = parse_fail({cmd, "--help"});
        EXPECT_EQ(e.code, 0);
        EXPECT_TRUE(e.err.empty());
        for (const std::string& word : words)
            EXPECT_NE(e.out.find(word), std::string::npos) << word << " missing from:\n" << e.out;
        EXPECT_NE(e.out.find("Exit status"), std::string::npos) << e.out;
        if (cmd != "exec") {
            EXPECT_NE(e.out.find("3  no such instance"), std::string::npos) << e.out;
        }
    }
}

TEST(InstctlOptions, ExecHelpAfterTheCommandIsTheCommands)
{
    // "--help" after "--" belongs to the command run in the instance.
    const Options o = parse_ok({"exec", "web", "--", "ls", "--help"});
    EXPECT_EQ(o.argv, (Args{"ls", "--help"}));
}

TEST(InstctlOptions, Version)
{
    const auto e = parse_fail({"--version"});
    EXPECT_EQ(e.code, 0);
    EXPECT_EQ(e.out, std::string("instctl (mult) ") + mult::kVersion + "\n");
    EXPECT_TRUE(e.err.empty());
}

TEST(InstctlOptions, ArgcArgvSkipsProgramName)
{
    const char* argv[] = {"instctl", "--json", "ps", "3", nullptr};
    auto r = instctl::parse_command_line(4, argv);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->json);
    EXPECT_EQ(r->instance, InstanceRef{3U});
}

TEST(InstctlOptions, TableOptionsOfListAndPs)
{
    const Options list = parse_ok({"list", "-o", "id,name", "-n", "--tree"});
    EXPECT_EQ(list.table.columns, (std::vector<std::string>{"ID", "NAME"}));
    EXPECT_FALSE(list.table.headings);
    EXPECT_TRUE(list.table.tree);
    EXPECT_FALSE(list.table.raw);
    EXPECT_FALSE(list.table.json);
    const Options ps = parse_ok({"ps", "-r", "-J", "--output=pid,uid", "web"});
    EXPECT_EQ(ps.table.columns, (std::vector<std::string>{"PID", "UID"}));
    EXPECT_TRUE(ps.table.raw);
    EXPECT_TRUE(ps.table.json);
    EXPECT_EQ(ps.instance, kWeb);
    EXPECT_EQ(parse_ok({"list"}).table, instctl::TableOptions{}) << "the defaults";
    // --json before the command still works, and -J after it.
    EXPECT_TRUE(parse_ok({"--json", "list"}).json);
    EXPECT_TRUE(parse_ok({"list", "-J"}).table.json);
}

TEST(InstctlOptions, TableOptionErrors)
{
    expect_usage_error({"list", "-o", "id,bogus"}, "instctl list", "unknown column 'BOGUS'");
    expect_usage_error({"ps", "-o", "pid,pid", "web"}, "instctl ps", "named twice");
    expect_usage_error({"--json", "list", "-J"}, "instctl list", "two JSON formats");
    expect_usage_error({"list", "--json", "-o", "id"}, "instctl list", "--json has fixed keys");
    expect_usage_error({"info", "-o", "id"}, "instctl info", "unknown option '-o'");
}
