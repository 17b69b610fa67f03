// SPDX-License-Identifier: GPL-2.0-only
//
// Exit-status mapping and the pidfd calls, on real (plain fork/clone3)
// children.
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mult/instfork.hpp"
#include "mult/pidfd.hpp"

using mult::ExitStatus;

namespace {

// fork() + pidfd_open(), the way the tests stand in for instfork().
pid_t fork_with_pidfd(mult::UniqueFd& pidfd)
{
    const pid_t pid = ::fork();
    if (pid > 0) {
        auto fd = mult::pidfd_open(pid);
        EXPECT_TRUE(fd.has_value()) << (fd ? "" : fd.error().message());
        if (fd)
            pidfd = std::move(*fd);
    }
    return pid;
}

}  // namespace

TEST(ExitStatus, ShellCode)
{
    EXPECT_EQ(ExitStatus::exited(0).shell_code(), 0);
    EXPECT_EQ(ExitStatus::exited(3).shell_code(), 3);
    EXPECT_EQ(ExitStatus::exited(255).shell_code(), 255);
    EXPECT_EQ(ExitStatus::killed(SIGKILL).shell_code(), 137);
    EXPECT_EQ(ExitStatus::killed(SIGTERM).shell_code(), 143);
    EXPECT_EQ(ExitStatus::killed(SIGINT).shell_code(), 130);
    EXPECT_EQ(ExitStatus::killed(SIGSEGV, true).shell_code(), 139);
}

TEST(ExitStatus, Describe)
{
    EXPECT_EQ(ExitStatus::exited(3).describe(), "exited with status 3");
    EXPECT_EQ(ExitStatus::killed(SIGKILL).describe(), "killed by signal 9 (Killed)");
    EXPECT_EQ(ExitStatus::killed(SIGABRT, true).describe(),
              "killed by signal 6 (Aborted) (core dumped)");
}

TEST(ExitStatus, FromWaitStatusOfRealChildren)
{
    const pid_t a = ::fork();
    if (a == 0)
        ::_exit(42);
    int ws = 0;
    ASSERT_EQ(::waitpid(a, &ws, 0), a);
    EXPECT_EQ(ExitStatus::from_wait_status(ws), ExitStatus::exited(42));

    const pid_t b = ::fork();
    if (b == 0) {
        ::kill(::getpid(), SIGKILL);
        ::_exit(0);
    }
    ASSERT_EQ(::waitpid(b, &ws, 0), b);
    EXPECT_EQ(ExitStatus::from_wait_status(ws), ExitStatus::killed(SIGKILL));
}

TEST(ExitStatus, FromSiginfo)
{
    siginfo_t info;
    std::memset(&info, 0, sizeof info);
    info.si_code = CLD_EXITED;
    info.si_status = 5;
    EXPECT_EQ(ExitStatus::from_siginfo(info), ExitStatus::exited(5));
    info.si_code = CLD_KILLED;
    info.si_status = SIGTERM;
    EXPECT_EQ(ExitStatus::from_siginfo(info), ExitStatus::killed(SIGTERM));
    info.si_code = CLD_DUMPED;
    info.si_status = SIGQUIT;
    EXPECT_EQ(ExitStatus::from_siginfo(info), ExitStatus::killed(SIGQUIT, true));
    info.si_code = CLD_STOPPED;
    auto stopped = ExitStatus::from_siginfo(info);
    ASSERT_FALSE(stopped.has_value());
    EXPECT_EQ(stopped.error().code, EINVAL);
}

TEST(Pidfd, WaitReturnsExitCode)
{
    mult::UniqueFd pidfd;
    const pid_t pid = fork_with_pidfd(pidfd);
    if (pid == 0)
        ::_exit(7);
    ASSERT_TRUE(pidfd.valid());
    auto status = mult::wait_pidfd(pidfd.get());
    ASSERT_TRUE(status.has_value()) << status.error().message();
    EXPECT_EQ(*status, ExitStatus::exited(7));
    // Reaped: a second wait has no child left.
    auto again = mult::wait_pidfd(pidfd.get());
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, ECHILD);
}

TEST(Pidfd, SendSignalThenWait)
{
    mult::UniqueFd pidfd;
    const pid_t pid = fork_with_pidfd(pidfd);
    if (pid == 0) {
        ::pause();
        ::_exit(0);
    }
    ASSERT_TRUE(pidfd.valid());
    ASSERT_TRUE(mult::pidfd_send_signal(pidfd.get(), SIGTERM).has_value());
    auto status = mult::wait_pidfd(pidfd.get());
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, ExitStatus::killed(SIGTERM));
    EXPECT_EQ(status->shell_code(), 143);
    // The process is gone now.
    auto late = mult::pidfd_send_signal(pidfd.get(), SIGTERM);
    ASSERT_FALSE(late.has_value());
    EXPECT_EQ(late.error().code, ESRCH);
}

TEST(Pidfd, BadFdErrors)
{
    const int raw = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(raw, 0);
    ::close(raw);
    auto w = mult::wait_pidfd(raw);
    ASSERT_FALSE(w.has_value());
    EXPECT_EQ(w.error().code, EBADF);
    auto s = mult::pidfd_send_signal(raw, 0);
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().code, EBADF);
    auto o = mult::pidfd_open(-5);
    ASSERT_FALSE(o.has_value());
    EXPECT_EQ(o.error().code, EINVAL);
}

TEST(Clone3, PidfdPlumbingWithoutNewinst)
{
    // The clone3 call instfork() makes, minus CLONE_NEWINST: checks the
    // clone_args layout, CLONE_PIDFD and the child/parent split on a stock
    // kernel.
    auto child = mult::detail::clone3_with_pidfd(0, SIGCHLD, -1);
    ASSERT_TRUE(child.has_value()) << child.error().message();
    if (child->in_child())
        ::_exit(child->pidfd.valid() ? 1 : 23);
    EXPECT_GT(child->pid, 0);
    ASSERT_TRUE(child->pidfd.valid());
    EXPECT_NE(::fcntl(child->pidfd.get(), F_GETFD) & FD_CLOEXEC, 0) << "pidfd must be CLOEXEC";
    auto status = mult::wait_pidfd(child->pidfd.get());
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, ExitStatus::exited(23));
}
