// SPDX-License-Identifier: GPL-2.0-only
//
// The child side of starting a command (mult::run_child, shared by instfork
// and instctl exec) and its report pipe, driven with a plain fork(): exactly
// the code that runs after instfork() in the tools.
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mult/fd.hpp"
#include "mult/pidfd.hpp"
#include "mult/spawn.hpp"
#include "test_util.hpp"

using mult::ChildFailure;
using mult::ChildStage;
using Config = mult::CommandSpec;

namespace {

struct Outcome {
    std::optional<ChildFailure> failure;
    mult::ExitStatus status;
};

// Forks, runs run_child() with a plan for `config` in the child, and collects
// the report and the exit status.
Outcome run_plan(const Config& config)
{
    Outcome outcome;
    auto pipe = mult::make_pipe();
    EXPECT_TRUE(pipe.has_value());
    if (!pipe)
        return outcome;
    sigset_t mask;
    sigemptyset(&mask);
    Config spec = config;
    spec.envp = {"PATH=/usr/bin:/bin"};
    const auto plan = mult::make_child_plan(spec, mask, pipe->write.get());
    const pid_t pid = ::fork();
    if (pid == 0)
        mult::run_child(plan);
    EXPECT_GT(pid, 0);
    pipe->write.reset();
    auto report = mult::read_child_report(pipe->read.get());
    EXPECT_TRUE(report.has_value()) << (report ? "" : report.error().message());
    if (report)
        outcome.failure = *report;
    int wstatus = 0;
    EXPECT_EQ(::waitpid(pid, &wstatus, 0), pid);
    outcome.status = mult::ExitStatus::from_wait_status(wstatus);
    return outcome;
}

Config command(std::vector<std::string> argv)
{
    Config c;
    c.argv = std::move(argv);
    return c;
}

}  // namespace

TEST(ChildExec, SuccessfulExecReportsNothing)
{
    const Outcome o = run_plan(command({"true"}));
    EXPECT_FALSE(o.failure.has_value());
    EXPECT_EQ(o.status, mult::ExitStatus::exited(0));
}

TEST(ChildExec, CommandStatusIsTheChildStatus)
{
    const Outcome o = run_plan(command({"/bin/sh", "-c", "exit 7"}));
    EXPECT_FALSE(o.failure.has_value());
    EXPECT_EQ(o.status, mult::ExitStatus::exited(7));
}

TEST(ChildExec, MissingPathReportsEnoent)
{
    const Config c = command({"/nonexistent/mult-test-command"});
    const Outcome o = run_plan(c);
    ASSERT_TRUE(o.failure.has_value());
    EXPECT_EQ(o.failure->stage, ChildStage::exec);
    EXPECT_EQ(o.failure->err, ENOENT);
    EXPECT_EQ(o.status, mult::ExitStatus::exited(127));
    EXPECT_EQ(mult::exit_code_for(*o.failure), 127);
    EXPECT_EQ(mult::describe(*o.failure, c),
              "cannot execute '/nonexistent/mult-test-command': No such file or directory");
}

TEST(ChildExec, CommandNotInPathReportsEnoent)
{
    const Config c = command({"mult-test-no-such-command"});
    const Outcome o = run_plan(c);
    ASSERT_TRUE(o.failure.has_value());
    EXPECT_EQ(o.failure->err, ENOENT);
    EXPECT_EQ(mult::exit_code_for(*o.failure), 127);
}

TEST(ChildExec, NonExecutableFileReportsEacces)
{
    mult_test::TempDir dir;
    const auto file = dir.path() / "script";
    mult_test::write_file(file, "#!/bin/sh\nexit 0\n");
    ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
    const Config c = command({file.string()});
    const Outcome o = run_plan(c);
    ASSERT_TRUE(o.failure.has_value());
    EXPECT_EQ(o.failure->stage, ChildStage::exec);
    EXPECT_EQ(o.failure->err, EACCES);
    EXPECT_EQ(mult::exit_code_for(*o.failure), 126);
    EXPECT_EQ(mult::describe(*o.failure, c),
              "cannot execute '" + file.string() + "': Permission denied");
}

TEST(ChildExec, DirectoryReportsEacces)
{
    mult_test::TempDir dir;
    const Outcome o = run_plan(command({dir.path().string()}));
    ASSERT_TRUE(o.failure.has_value());
    EXPECT_EQ(o.failure->err, EACCES);
    EXPECT_EQ(mult::exit_code_for(*o.failure), 126);
}

TEST(ChildExec, ChdirFailureIsReportedBeforeExec)
{
    Config c = command({"true"});
    c.chdir = "/nonexistent/mult-test-dir";
    const Outcome o = run_plan(c);
    ASSERT_TRUE(o.failure.has_value());
    EXPECT_EQ(o.failure->stage, ChildStage::chdir);
    EXPECT_EQ(o.failure->err, ENOENT);
    EXPECT_EQ(o.status, mult::ExitStatus::exited(125));
    EXPECT_EQ(mult::exit_code_for(*o.failure), 125);
    EXPECT_EQ(mult::describe(*o.failure, c),
              "cannot change directory to '/nonexistent/mult-test-dir': No such file or directory");
}

TEST(ChildExec, UnopenedPassFdIsReported)
{
    // run() rejects this up front; run_child() must still not exec blindly.
    // (A just-closed number would be reused by the report pipe: pick one far
    // above anything this process has open.)
    const int raw = 987;
    ASSERT_FALSE(mult::fd_is_open(raw));
    Config c = command({"true"});
    c.pass_fds = {raw};
    const Outcome o = run_plan(c);
    ASSERT_TRUE(o.failure.has_value());
    EXPECT_EQ(o.failure->stage, ChildStage::pass_fd);
    EXPECT_EQ(o.failure->err, EBADF);
    EXPECT_EQ(o.failure->fd, raw);
    EXPECT_EQ(mult::describe(*o.failure, c),
              "cannot pass fd " + std::to_string(raw) + ": Bad file descriptor");
}

TEST(ChildExec, ShortReportIsAProtocolError)
{
    auto pipe = mult::make_pipe();
    ASSERT_TRUE(pipe.has_value());
    ASSERT_EQ(::write(pipe->write.get(), "abc", 3), 3);
    pipe->write.reset();
    auto r = mult::read_child_report(pipe->read.get());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, EPROTO);
}

TEST(ChildExec, ExitCodeForEachStage)
{
    EXPECT_EQ(mult::exit_code_for({ChildStage::exec, ENOENT, -1}), 127);
    EXPECT_EQ(mult::exit_code_for({ChildStage::exec, ENOTDIR, -1}), 127);
    EXPECT_EQ(mult::exit_code_for({ChildStage::exec, EACCES, -1}), 126);
    EXPECT_EQ(mult::exit_code_for({ChildStage::exec, ENOEXEC, -1}), 126);
    EXPECT_EQ(mult::exit_code_for({ChildStage::exec, E2BIG, -1}), 126);
    EXPECT_EQ(mult::exit_code_for({ChildStage::chdir, ENOENT, -1}), 125);
    EXPECT_EQ(mult::exit_code_for({ChildStage::close_fds, EINTR, -1}), 125);
    EXPECT_EQ(mult::exit_code_for({ChildStage::pass_fd, EBADF, 3}), 125);
    EXPECT_EQ(mult::exit_code_for({ChildStage::capabilities, EPERM, -1, CAP_SYS_ADMIN}), 125);
}

TEST(ChildExec, CapabilityFailuresNameTheCapability)
{
    const Config c = command({"true"});
    EXPECT_EQ(mult::describe({ChildStage::capabilities, EPERM, -1, CAP_SYS_MODULE}, c),
              "cannot drop CAP_SYS_MODULE from the capability bounding set: Operation not "
              "permitted (that needs CAP_SETPCAP)");
    EXPECT_EQ(mult::describe({ChildStage::capabilities, EINVAL, -1, CAP_BPF}, c),
              "cannot drop CAP_BPF from the capability bounding set: Invalid argument");
    EXPECT_EQ(mult::describe({ChildStage::capabilities, EPERM, -1, -1}, c),
              "cannot drop capabilities from the effective, permitted and inheritable sets: "
              "Operation not permitted");
}

TEST(ChildExec, SignalMaskIsRestoredForTheCommand)
{
    // The parent blocks the relayed signals; the plan's mask (empty here)
    // must be what the command starts with.
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigset_t old;
    ASSERT_EQ(::sigprocmask(SIG_BLOCK, &block, &old), 0);
    const Outcome o = run_plan(command({"/bin/sh", "-c", "kill -USR1 $$; exit 0"}));
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    EXPECT_FALSE(o.failure.has_value());
    EXPECT_EQ(o.status, mult::ExitStatus::killed(SIGUSR1));
}
