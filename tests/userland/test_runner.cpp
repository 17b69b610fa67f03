// SPDX-License-Identifier: GPL-2.0-only
//
// instfork's parent side (instfork::run) end to end, with fork() standing in
// for instfork(): exit statuses, exec failures, environment, --chdir,
// --pass-fd, fd closing, signal relaying, --detach, --print-id, --name (with
// a stand-in for the module: what is tested is the order and the cleanup).
#include <gtest/gtest.h>

#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <csignal>
#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mult/fd.hpp"
#include "mult/kernel.hpp"
#include "mult/pidfd.hpp"
#include "mult/spawn.hpp"
#include "options.hpp"
#include "runner.hpp"
#include "test_util.hpp"

using instfork::Config;

namespace {

struct RunResult {
    int code = -1;
    std::string out;
    std::string err;
};

struct Fixture {
    int spawn_calls = 0;
    // What opening the module gives (ENOENT: not loaded), what naming
    // (--name) and asking the id (--print-id, --detach) then do. The calls
    // are recorded.
    mult::Result<void> module = mult::make_error(ENOENT, "generic netlink family 'mult'");
    std::function<mult::Result<void>(pid_t)> name_result = [](pid_t) -> mult::Result<void> {
        return {};
    };
    std::function<mult::Result<std::uint32_t>()> id_result = []() -> mult::Result<std::uint32_t> {
        return 42;
    };
    // Which live instance has the name already (--name, before the child).
    std::function<mult::Result<std::optional<std::uint32_t>>(const std::string&)> owner_result =
        [](const std::string&) -> mult::Result<std::optional<std::uint32_t>> {
        return std::nullopt;
    };
    int open_calls = 0;
    std::vector<std::pair<pid_t, std::string>> named;
    int id_calls = 0;
    std::vector<std::string> environment{"PATH=/usr/bin:/bin", "FROM_PARENT=yes"};
    // Options given before the test's own. Dropping capabilities needs
    // CAP_SETPCAP, which a user running the tests lacks: the tests of
    // everything else keep them all, the capability tests clear this.
    std::vector<std::string> preset{"--keep-cap=all"};
    // Runs in the child right after fork(); false makes it exit with 120.
    std::function<bool()> in_child;

    instfork::Hooks hooks()
    {
        return instfork::Hooks{
            [this]() -> mult::Result<mult::Child> {
                ++spawn_calls;
                const pid_t pid = ::fork();
                if (pid < 0)
                    return mult::errno_error("fork");
                if (pid == 0) {
                    // A test runner may start us with some signals ignored,
                    // and sh cannot trap a signal ignored on entry.
                    for (const int sig : instfork::kForwardedSignals)
                        ::signal(sig, SIG_DFL);
                    if (in_child && !in_child())
                        ::_exit(120);
                    return mult::Child{};
                }
                auto pidfd = mult::pidfd_open(pid);
                if (!pidfd)
                    return std::unexpected(pidfd.error());
                return mult::Child{pid, std::move(*pidfd)};
            },
            [this]() -> mult::Result<instfork::Module> {
                ++open_calls;
                if (!module)
                    return std::unexpected(module.error());
                return instfork::Module{
                    [this](pid_t pid, int pidfd, const std::string& name) -> mult::Result<void> {
                        EXPECT_GE(pidfd, 0);
                        named.emplace_back(pid, name);
                        return name_result(pid);
                    },
                    [this](int pidfd) -> mult::Result<std::uint32_t> {
                        EXPECT_GE(pidfd, 0);
                        ++id_calls;
                        return id_result();
                    },
                    [this](const std::string& name) { return owner_result(name); },
                };
            },
            [this] { return environment; },
        };
    }

    RunResult run(const std::vector<std::string>& test_args)
    {
        std::vector<std::string> args = preset;
        args.insert(args.end(), test_args.begin(), test_args.end());
        auto config = instfork::parse_command_line(args);
        EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().err);
        if (!config)
            return {};
        std::ostringstream out;
        std::ostringstream err;
        RunResult r;
        r.code = instfork::run(*config, hooks(), out, err);
        r.out = out.str();
        r.err = err.str();
        return r;
    }
};

// A pipe whose write end the command can use as --pass-fd. The write end is
// O_CLOEXEC in the test, so reaching the command proves run_child cleared it.
struct Capture {
    mult::Pipe pipe = *mult::make_pipe();

    std::string fd() const { return std::to_string(pipe.write.get()); }
    std::string read()
    {
        pipe.write.reset();
        return mult_test::read_all(pipe.read.get());
    }
};

bool blocked(int sig)
{
    sigset_t now;
    ::sigprocmask(SIG_BLOCK, nullptr, &now);
    return sigismember(&now, sig) == 1;
}

}  // namespace

TEST(Runner, ExitCodeIsPassedThrough)
{
    Fixture f;
    EXPECT_EQ(f.run({"--", "/bin/sh", "-c", "exit 3"}).code, 3);
    EXPECT_EQ(f.run({"true"}).code, 0);
    EXPECT_EQ(f.spawn_calls, 2);
}

TEST(Runner, DeathBySignalIs128PlusSignal)
{
    Fixture f;
    const RunResult r = f.run({"--", "/bin/sh", "-c", "kill -KILL $$"});
    EXPECT_EQ(r.code, 128 + SIGKILL);
    EXPECT_EQ(r.err, "");
}

TEST(Runner, CommandNotFound)
{
    Fixture f;
    const RunResult r = f.run({"--", "mult-test-no-such-command", "arg"});
    EXPECT_EQ(r.code, 127);
    EXPECT_EQ(r.err, "instfork: cannot execute 'mult-test-no-such-command': No such file or directory\n");
}

TEST(Runner, CommandNotExecutable)
{
    Fixture f;
    mult_test::TempDir dir;
    const auto file = dir.path() / "data";
    mult_test::write_file(file, "not a program\n");
    const RunResult r = f.run({"--", file.string()});
    EXPECT_EQ(r.code, 126);
    EXPECT_EQ(r.err, "instfork: cannot execute '" + file.string() + "': Permission denied\n");
}

TEST(Runner, ChdirFailure)
{
    Fixture f;
    const RunResult r = f.run({"--chdir", "/nonexistent/mult-dir", "--", "true"});
    EXPECT_EQ(r.code, 125);
    EXPECT_EQ(r.err, "instfork: cannot change directory to '/nonexistent/mult-dir': No such file or directory\n");
}

TEST(Runner, ChdirAndEnvironmentReachTheCommand)
{
    Fixture f;
    mult_test::TempDir dir;
    const std::string real = std::filesystem::canonical(dir.path()).string();
    Capture cap;
    const RunResult r = f.run({"--chdir", real, "--env", "FOO=bar baz", "--pass-fd", cap.fd(), "--",
                         "/bin/sh", "-c",
                         "printf '%s|%s|%s' \"$FOO\" \"$FROM_PARENT\" \"$(pwd -P)\" >&" + cap.fd()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(cap.read(), "bar baz|yes|" + real);
}

TEST(Runner, ClearEnvKeepsOnlyAssignments)
{
    Fixture f;
    Capture cap;
    const RunResult r = f.run({"--clear-env", "--env", "ONLY=1", "--pass-fd", cap.fd(), "--",
                         "/bin/sh", "-c", "/usr/bin/env >&" + cap.fd()});
    EXPECT_EQ(r.code, 0) << r.err;
    const std::string env = cap.read();
    EXPECT_NE(env.find("ONLY=1\n"), std::string::npos) << env;
    EXPECT_EQ(env.find("FROM_PARENT"), std::string::npos) << env;
}

TEST(Runner, PathOfTheNewEnvironmentIsSearched)
{
    Fixture f;
    mult_test::TempDir dir;
    const auto tool = dir.path() / "mult-test-tool";
    mult_test::write_file(tool, "#!/bin/sh\nexit 9\n");
    ASSERT_EQ(::chmod(tool.c_str(), 0755), 0);
    EXPECT_EQ(f.run({"--env", "PATH=" + dir.path().string(), "--", "mult-test-tool"}).code, 9);
    EXPECT_EQ(f.run({"--", "mult-test-tool"}).code, 127);
}

TEST(Runner, OnlyStdioAndPassedFdsReachTheCommand)
{
    Fixture f;
    Capture cap;
    // An fd the test holds open without CLOEXEC: it must not reach the command.
    mult::UniqueFd stray(::open("/dev/null", O_RDONLY));
    ASSERT_TRUE(stray.valid());
    const RunResult r = f.run({"--pass-fd", cap.fd(), "--", FD_LISTER_PATH, cap.fd()});
    EXPECT_EQ(r.code, 0) << r.err;
    // Exactly stdio (those open here) and the passed fd: not the stray fd, and
    // none of run()'s own (signalfd, report pipe, pidfd).
    std::string expected;
    for (const int fd : mult::keep_list(std::vector<int>{cap.pipe.write.get()}, -1))
        if (mult::fd_is_open(fd))
            expected += std::to_string(fd) + "\n";
    EXPECT_EQ(cap.read(), expected);
}

TEST(Runner, PassFdMustBeOpen)
{
    Fixture f;
    const int raw = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(raw, 0);
    ::close(raw);
    const RunResult r = f.run({"--pass-fd", std::to_string(raw), "--", "true"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "instfork: --pass-fd " + std::to_string(raw) + ": not an open file descriptor\n");
    EXPECT_EQ(f.spawn_calls, 0);
}

TEST(Runner, RelaysTerminatingSignal)
{
    Fixture f;
    // The command signals its parent (the test process, standing in for
    // instfork); run() must relay SIGTERM back. If it does not, sleep runs
    // out and the status is 0.
    const auto start = std::chrono::steady_clock::now();
    const RunResult r = f.run({"--", "/bin/sh", "-c", "kill -TERM $PPID; exec sleep 20"});
    EXPECT_EQ(r.code, 128 + SIGTERM) << r.err;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
}

TEST(Runner, RelaysEachForwardedSignal)
{
    for (const int sig : instfork::kForwardedSignals) {
        SCOPED_TRACE(sigabbrev_np(sig));
        Fixture f;
        // The command traps the signal and exits 42 when it arrives; it
        // gives up after ~10 s with status 1.
        const std::string name = sigabbrev_np(sig);
        const std::string script = "trap 'exit 42' " + name + "; kill -" + name +
                                   " $PPID; i=0; while [ $i -lt 100 ]; do sleep 0.1; "
                                   "i=$((i+1)); done; exit 1";
        const RunResult r = f.run({"--", "/bin/sh", "-c", script});
        EXPECT_EQ(r.code, 42) << r.err;
    }
}

TEST(Runner, SignalMaskRestoredAndNothingLeftPending)
{
    Fixture f;
    ASSERT_FALSE(blocked(SIGINT));
    // The command exits right after signalling: whether the relay loop or
    // the final drain consumes SIGUSR2, it must not stay pending and kill
    // the caller once the mask is restored.
    const RunResult r = f.run({"--", "/bin/sh", "-c", "kill -USR2 $PPID; exit 5"});
    EXPECT_TRUE(r.code == 5 || r.code == 128 + SIGUSR2) << r.code;
    for (const int sig : instfork::kForwardedSignals)
        EXPECT_FALSE(blocked(sig)) << sig;
    sigset_t pending;
    ASSERT_EQ(::sigpending(&pending), 0);
    EXPECT_EQ(sigismember(&pending, SIGUSR2), 0);
}

TEST(Runner, DetachPrintsPidAndReturns)
{
    Fixture f;
    const auto start = std::chrono::steady_clock::now();
    // The command blocks until the test closes the pipe it reads from.
    auto gate = mult::make_pipe();
    ASSERT_TRUE(gate.has_value());
    const std::string in = std::to_string(gate->read.get());
    const RunResult r = f.run({"--detach", "--pass-fd", in, "--", "/bin/sh", "-c",
                         "read x <&" + in + "; exit 4"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    ASSERT_FALSE(r.out.empty());
    EXPECT_EQ(r.out.back(), '\n');
    const pid_t pid = std::stoi(r.out);
    ASSERT_GT(pid, 0);
    // Still running (blocked on the gate), then released and reaped by us.
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), 0);
    gate->write.reset();
    int ws = 0;
    ASSERT_EQ(::waitpid(pid, &ws, 0), pid);
    EXPECT_EQ(mult::ExitStatus::from_wait_status(ws), mult::ExitStatus::exited(4));
}

TEST(Runner, DetachPrintsPidAndInstanceIdWithTheModule)
{
    Fixture f;
    f.module = {};
    const RunResult r = f.run({"--detach", "--", "true"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(f.id_calls, 1);
    // "PID ID" on one line, the pid first.
    const auto space = r.out.find(' ');
    ASSERT_NE(space, std::string::npos) << r.out;
    EXPECT_GT(std::stoi(r.out.substr(0, space)), 0) << r.out;
    EXPECT_EQ(r.out.substr(space), " 42\n");
    EXPECT_EQ(r.err, "");
}

TEST(Runner, DetachWithoutTheModulePrintsThePidAlone)
{
    Fixture f;
    const RunResult r = f.run({"--detach", "--", "true"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(f.open_calls, 1);
    ASSERT_FALSE(r.out.empty());
    EXPECT_EQ(r.out.find(' '), std::string::npos) << r.out;
    EXPECT_EQ(r.out.back(), '\n');
    EXPECT_GT(std::stoi(r.out), 0);
    EXPECT_EQ(r.err, "") << "a missing module is no error for --detach";
}

TEST(Runner, DetachWarnsWhenTheLoadedModuleCannotTellTheId)
{
    Fixture f;
    f.module = {};
    f.id_result = []() -> mult::Result<std::uint32_t> {
        return std::unexpected(mult::Error{EPERM, "get the instance of pidfd 5"});
    };
    const RunResult r = f.run({"--detach", "--", "true"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.find(' '), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "instfork: instance id unknown: get the instance of pidfd 5: Operation not "
                     "permitted\n");
}

TEST(Runner, DetachStillReportsExecFailure)
{
    Fixture f;
    const RunResult r = f.run({"--detach", "--", "mult-test-no-such-command"});
    EXPECT_EQ(r.code, 127);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "instfork: cannot execute 'mult-test-no-such-command': No such file or directory\n");
}

TEST(Runner, PrintIdWithoutTheModuleWritesThePidAndWhyTheIdIsUnknown)
{
    Fixture f;
    const RunResult r = f.run({"--print-id", "--", "true"});
    EXPECT_EQ(r.code, 0);
    const std::string prefix = "instfork: first process pid ";
    const std::string suffix = " (instance id unknown: mult_mgmt.ko is not loaded)\n";
    ASSERT_EQ(r.err.rfind(prefix, 0), 0U) << r.err;
    EXPECT_GT(std::stoi(r.err.substr(prefix.size())), 0);
    ASSERT_GT(r.err.size(), suffix.size());
    EXPECT_EQ(r.err.substr(r.err.size() - suffix.size()), suffix) << r.err;
    EXPECT_EQ(r.out, "");
}

TEST(Runner, PrintIdWithTheModuleWritesTheInstanceIdBeforeTheCommandRuns)
{
    Fixture f;
    f.module = {};
    Capture cap;
    // Asking the id writes into the pipe the command writes to after it:
    // the child is held until the id is known.
    f.id_result = [&cap]() -> mult::Result<std::uint32_t> {
        EXPECT_EQ(::write(cap.pipe.write.get(), "asked;", 6), 6);
        return 7;
    };
    const RunResult r = f.run({"--print-id", "--pass-fd", cap.fd(), "--", "/bin/sh", "-c",
                               "printf ran >&" + cap.fd()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(cap.read(), "asked;ran");
    const std::string prefix = "instfork: instance 7, first process pid ";
    ASSERT_EQ(r.err.rfind(prefix, 0), 0U) << r.err;
    EXPECT_GT(std::stoi(r.err.substr(prefix.size())), 0);
    EXPECT_EQ(r.err.back(), '\n');
    EXPECT_EQ(r.out, "");
}

TEST(Runner, ModuleIsNotAskedWithoutNameDetachOrPrintId)
{
    Fixture f;
    f.module = {};
    const RunResult r = f.run({"--", "true"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(f.open_calls, 0);
}

TEST(Runner, NameNeedsManagementModule)
{
    Fixture f;
    const RunResult r = f.run({"--name", "web", "--", "true"});
    EXPECT_EQ(r.code, 125);
    EXPECT_EQ(r.err, "instfork: --name needs the mult management module (mult_mgmt.ko); it is not "
                     "loaded\n");
    EXPECT_EQ(f.spawn_calls, 0) << "no child when the module is missing";
}

TEST(Runner, NameOtherConnectFailureIsReported)
{
    Fixture f;
    f.module = mult::make_error(EACCES, "genl_connect");
    const RunResult r = f.run({"--name", "web", "--", "true"});
    EXPECT_EQ(r.code, 125);
    EXPECT_EQ(r.err, "instfork: --name: genl_connect: Permission denied\n");
    EXPECT_EQ(f.spawn_calls, 0);
}

TEST(Runner, NameIsSetBeforeTheCommandRuns)
{
    Fixture f;
    f.module = {};
    Capture cap;
    // The namer writes into the pipe the command writes to after it: the
    // order in the pipe is the order of events.
    f.name_result = [&cap](pid_t) -> mult::Result<void> {
        EXPECT_EQ(::write(cap.pipe.write.get(), "named;", 6), 6);
        return {};
    };
    const RunResult r = f.run({"--name", "web", "--pass-fd", cap.fd(), "--", "/bin/sh", "-c",
                               "printf ran >&" + cap.fd()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(cap.read(), "named;ran");
    ASSERT_EQ(f.named.size(), 1U);
    EXPECT_GT(f.named[0].first, 0);
    EXPECT_EQ(f.named[0].second, "web");
}

TEST(Runner, NamingFailureKillsAndReapsTheHeldChild)
{
    Fixture f;
    f.module = {};
    Capture cap;
    pid_t child = 0;
    f.name_result = [&child](pid_t pid) -> mult::Result<void> {
        child = pid;
        return std::unexpected(mult::Error{EEXIST, "set-name of instance 3 to 'web'",
                                           "name already used by instance 2"});
    };
    const RunResult r = f.run({"--name", "web", "--pass-fd", cap.fd(), "--", "/bin/sh", "-c",
                               "printf ran >&" + cap.fd()});
    EXPECT_EQ(r.code, 125);
    // The request's context (which names the instance by the pidfd instfork
    // holds) is not the user's business.
    EXPECT_EQ(r.err, "instfork: --name web: another instance took the name while this one was "
                     "being created: name already used by instance 2 (File exists); the command "
                     "was not started\n");
    EXPECT_EQ(cap.read(), "") << "the command must never have run";
    ASSERT_GT(child, 0);
    // Reaped already: no such child any more.
    errno = 0;
    EXPECT_EQ(::waitpid(child, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
}

TEST(Runner, SpawnFailureIsExplained)
{
    for (const int err : {EINVAL, EPERM, EUSERS, ENOSPC}) {
        Config c;
        c.command = {"true"};
        instfork::Hooks hooks{
            [err]() -> mult::Result<mult::Child> { return mult::make_error(err, "clone3"); },
            []() -> mult::Result<instfork::Module> { return mult::make_error(ENOENT, "mult"); },
            [] { return std::vector<std::string>{}; },
        };
        std::ostringstream out;
        std::ostringstream errs;
        EXPECT_EQ(instfork::run(c, hooks, out, errs), 125);
        EXPECT_EQ(errs.str(), "instfork: " + mult::describe_instfork_error(err) + "\n");
    }
}

// Capabilities: the command's sets as its /proc/self/status shows them. The
// child gets CAP_SETPCAP as a test run by a user can (mult_test::
// gain_cap_setpcap: in a user namespace where it is root).

namespace {

struct CapabilityRun {
    RunResult result;
    std::string status;  // the command's /proc/self/status
};

CapabilityRun run_showing_capabilities(Fixture& f, const std::vector<std::string>& options)
{
    f.preset = {};
    f.in_child = mult_test::gain_cap_setpcap;
    Capture cap;
    std::vector<std::string> args = options;
    args.insert(args.end(), {"--pass-fd", cap.fd(), "--", "/bin/sh", "-c",
                             "exec cat /proc/self/status >&" + cap.fd()});
    CapabilityRun run;
    run.result = f.run(args);
    run.status = cap.read();
    return run;
}

mult::caps::Set capability_set(const CapabilityRun& run, const std::string& field)
{
    const auto set = mult_test::capability_field(run.status, field);
    EXPECT_TRUE(set.has_value()) << field << " missing: " << run.result.err;
    return set.value_or(mult::caps::kAll);
}

#define SKIP_IF_THE_CHILD_GOT_NO_CAP_SETPCAP(run)                                                 \
    if ((run).result.code == 120)                                                                 \
    GTEST_SKIP() << "no CAP_SETPCAP and no user namespace to get it in"

}  // namespace

TEST(Runner, DefaultCapabilitiesAreTheInstanceDefault)
{
    Fixture f;
    const mult::caps::Set bounding = mult_test::bounding_set_with_setpcap();
    const CapabilityRun run = run_showing_capabilities(f, {});
    SKIP_IF_THE_CHILD_GOT_NO_CAP_SETPCAP(run);
    EXPECT_EQ(run.result.code, 0) << run.result.err;
    EXPECT_EQ(capability_set(run, "CapBnd"), bounding & mult::caps::kInstanceDefault);
    // Root (in its user namespace, if that is where the test put it) gets
    // its bounding set across execve(), and nothing beyond it.
    EXPECT_EQ(capability_set(run, "CapEff"), bounding & mult::caps::kInstanceDefault);
    EXPECT_EQ(capability_set(run, "CapAmb"), 0U);
}

TEST(Runner, KeepCapGivesOneBack)
{
    Fixture f;
    const mult::caps::Set bounding = mult_test::bounding_set_with_setpcap();
    const mult::caps::Set admin = mult::caps::bit(CAP_SYS_ADMIN);
    const CapabilityRun run = run_showing_capabilities(f, {"--keep-cap", "sys_admin"});
    SKIP_IF_THE_CHILD_GOT_NO_CAP_SETPCAP(run);
    EXPECT_EQ(run.result.code, 0) << run.result.err;
    EXPECT_EQ(capability_set(run, "CapBnd"), bounding & (mult::caps::kInstanceDefault | admin));
    EXPECT_EQ(capability_set(run, "CapEff") & admin, bounding & admin);
}

TEST(Runner, KeepCapAllKeepsTheBoundingSet)
{
    Fixture f;
    const mult::caps::Set bounding = mult_test::bounding_set_with_setpcap();
    const CapabilityRun run = run_showing_capabilities(f, {"--keep-cap", "all"});
    SKIP_IF_THE_CHILD_GOT_NO_CAP_SETPCAP(run);
    EXPECT_EQ(run.result.code, 0) << run.result.err;
    EXPECT_EQ(capability_set(run, "CapBnd"), bounding);
}

TEST(Runner, DropCapAllLeavesOnlyWhatKeepCapNames)
{
    Fixture f;
    const mult::caps::Set bounding = mult_test::bounding_set_with_setpcap();
    const CapabilityRun run =
        run_showing_capabilities(f, {"--drop-cap", "all", "--keep-cap", "net_bind_service"});
    SKIP_IF_THE_CHILD_GOT_NO_CAP_SETPCAP(run);
    EXPECT_EQ(run.result.code, 0) << run.result.err;
    EXPECT_EQ(capability_set(run, "CapBnd"), bounding & mult::caps::bit(CAP_NET_BIND_SERVICE));
}

TEST(Runner, CapabilitiesThatCannotBeDroppedStopTheCommand)
{
    // Without CAP_SETPCAP the bounding set cannot shrink: the command must
    // not run with more than it was given.
    Fixture f;
    f.preset = {};
    f.in_child = [] { return mult_test::gain_cap_setpcap() && mult_test::lose_cap_setpcap(); };
    const mult::caps::Set doomed =
        mult_test::bounding_set_with_setpcap() & ~mult::caps::kInstanceDefault;
    ASSERT_NE(doomed, 0U) << "the bounding set has nothing instfork would drop";
    Capture cap;
    const RunResult r = f.run({"--pass-fd", cap.fd(), "--", "/bin/sh", "-c", "printf ran >&" + cap.fd()});
    if (r.code == 120)
        GTEST_SKIP() << "no user namespace to run the child in";
    EXPECT_EQ(r.code, 125);
    EXPECT_EQ(r.err, "instfork: cannot drop " + mult::caps::name(std::countr_zero(doomed)) +
                         " from the capability bounding set: Operation not permitted (that needs "
                         "CAP_SETPCAP)\n");
    EXPECT_EQ(cap.read(), "") << "the command must never have run";
}

TEST(Runner, TakenNameIsRefusedBeforeAnyChild)
{
    Fixture f;
    f.module = {};
    std::string asked;
    f.owner_result = [&asked](const std::string& name) -> mult::Result<std::optional<std::uint32_t>> {
        asked = name;
        return 7U;
    };
    const RunResult r = f.run({"--name", "web", "--", "true"});
    EXPECT_EQ(r.code, 125);
    EXPECT_EQ(r.err, "instfork: --name web: instance 7 has this name already (rename it with "
                     "'instctl name 7 NEWNAME', or choose another)\n");
    EXPECT_EQ(asked, "web");
    EXPECT_EQ(f.spawn_calls, 0) << "no instance may be created for a name in use";
    EXPECT_TRUE(f.named.empty());
}

TEST(Runner, FailingNameLookupCostsNoChild)
{
    Fixture f;
    f.module = {};
    f.owner_result = [](const std::string&) -> mult::Result<std::optional<std::uint32_t>> {
        return std::unexpected(mult::Error{EPERM, "get instance 'web'"});
    };
    const RunResult r = f.run({"--name", "web", "--", "true"});
    EXPECT_EQ(r.code, 125);
    EXPECT_EQ(r.err, "instfork: --name web: get instance 'web': Operation not permitted\n");
    EXPECT_EQ(f.spawn_calls, 0);
}

TEST(Runner, OtherNamingFailureSaysTheCommandDidNotStart)
{
    Fixture f;
    f.module = {};
    f.name_result = [](pid_t) -> mult::Result<void> {
        return std::unexpected(mult::Error{EPERM, "set-name of the instance of pidfd 9 to 'web'"});
    };
    const RunResult r = f.run({"--name", "web", "--", "true"});
    EXPECT_EQ(r.code, 125);
    EXPECT_EQ(r.err, "instfork: --name web: the instance could not be named: Operation not "
                     "permitted; the command was not started\n");
    EXPECT_EQ(r.err.find("pidfd"), std::string::npos);
}
