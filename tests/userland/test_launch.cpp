// SPDX-License-Identifier: GPL-2.0-only
//
// mult::Launch, the parent side shared by instfork and instctl exec, with
// fork() in place of instfork(): holding a child, releasing it, giving up on
// it, and supervising it; and mult::SignalFd.
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mult/supervise.hpp"
#include "test_util.hpp"

namespace {

// The command writes "ran" to `fd` (passed to it).
mult::CommandSpec writes_to(int fd)
{
    return mult::CommandSpec{{"/bin/sh", "-c", "printf ran >&" + std::to_string(fd)},
                             {"PATH=/usr/bin:/bin"},
                             std::nullopt,
                             {fd}};
}

sigset_t empty_mask()
{
    sigset_t mask;
    sigemptyset(&mask);
    return mask;
}

// Whether `fd` has data within `ms` milliseconds.
bool readable(int fd, int ms)
{
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) == 1;
}

const auto no_warning = [](const mult::Error& e) { ADD_FAILURE() << e.message(); };

}  // namespace

TEST(Launch, HeldChildRunsOnlyOnceReleased)
{
    auto out = mult::make_pipe();
    ASSERT_TRUE(out.has_value());
    auto launch = mult::Launch::prepare(writes_to(out->write.get()), empty_mask(), true);
    ASSERT_TRUE(launch.has_value()) << launch.error().message();
    ASSERT_TRUE(launch->start(mult_test::fork_child).has_value());
    out->write.reset();
    EXPECT_GT(launch->pid(), 0);
    EXPECT_GE(launch->pidfd(), 0);

    EXPECT_FALSE(readable(out->read.get(), 300)) << "the held child ran";
    ASSERT_TRUE(launch->release().has_value());
    auto outcome = launch->supervise(nullptr, false, no_warning);
    ASSERT_TRUE(outcome.has_value()) << outcome.error().message();
    EXPECT_FALSE(outcome->failure);
    EXPECT_EQ(outcome->status, mult::ExitStatus::exited(0));
    EXPECT_EQ(outcome->exit_code(), 0);
    EXPECT_EQ(mult_test::read_all(out->read.get()), "ran");
}

TEST(Launch, AbandonedHeldChildIsKilledAndReaped)
{
    auto out = mult::make_pipe();
    ASSERT_TRUE(out.has_value());
    pid_t pid = 0;
    {
        auto launch = mult::Launch::prepare(writes_to(out->write.get()), empty_mask(), true);
        ASSERT_TRUE(launch.has_value());
        ASSERT_TRUE(launch->start(mult_test::fork_child).has_value());
        pid = launch->pid();
    }
    out->write.reset();
    EXPECT_EQ(mult_test::read_all(out->read.get()), "") << "the command must never run";
    errno = 0;
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD) << "already reaped";
}

TEST(Launch, ReleasedChildIsLeftAlone)
{
    // As with --detach: once released, the Launch going away does not kill.
    auto gate = mult::make_pipe();
    ASSERT_TRUE(gate.has_value());
    pid_t pid = 0;
    {
        mult::CommandSpec spec{{"/bin/sh", "-c", "read x <&" + std::to_string(gate->read.get()) + "; exit 0"},
                               {"PATH=/usr/bin:/bin"},
                               std::nullopt,
                               {gate->read.get()}};
        auto launch = mult::Launch::prepare(spec, empty_mask(), true);
        ASSERT_TRUE(launch.has_value());
        ASSERT_TRUE(launch->start(mult_test::fork_child).has_value());
        ASSERT_TRUE(launch->release().has_value());
        auto started = launch->supervise(nullptr, true, no_warning);
        ASSERT_TRUE(started.has_value()) << started.error().message();
        EXPECT_FALSE(started->status) << "returned once the command runs";
        EXPECT_EQ(started->exit_code(), 0);
        pid = launch->pid();
    }
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), 0) << "still running";
    gate->write.reset();
    int ws = 0;
    ASSERT_EQ(::waitpid(pid, &ws, 0), pid);
    EXPECT_EQ(mult::ExitStatus::from_wait_status(ws), mult::ExitStatus::exited(0));
}

TEST(Launch, ExecFailureIsTheOutcome)
{
    auto launch = mult::Launch::prepare(
        mult::CommandSpec{{"mult-test-no-such-command"}, {"PATH=/usr/bin:/bin"}, std::nullopt, {}},
        empty_mask(), false);
    ASSERT_TRUE(launch.has_value());
    ASSERT_TRUE(launch->start(mult_test::fork_child).has_value());
    auto outcome = launch->supervise(nullptr, false, no_warning);
    ASSERT_TRUE(outcome.has_value());
    ASSERT_TRUE(outcome->failure);
    EXPECT_EQ(outcome->exit_code(), 127);
    EXPECT_EQ(mult::describe(*outcome->failure, launch->spec()),
              "cannot execute 'mult-test-no-such-command': No such file or directory");
}

TEST(Launch, SpawnFailureIsReturned)
{
    auto launch = mult::Launch::prepare(
        mult::CommandSpec{{"true"}, {}, std::nullopt, {}}, empty_mask(), true);
    ASSERT_TRUE(launch.has_value());
    auto r = launch->start([]() -> mult::Result<mult::Child> {
        return mult::make_error(EPERM, "clone3(CLONE_NEWINST)");
    });
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, EPERM);
}

TEST(SignalFd, BlocksReadsAndRestores)
{
    sigset_t before;
    ASSERT_EQ(::sigprocmask(SIG_BLOCK, nullptr, &before), 0);
    ASSERT_EQ(sigismember(&before, SIGUSR1), 0);
    {
        const int sigs[] = {SIGUSR1};
        mult::SignalFd fd(sigs);
        ASSERT_TRUE(fd.open().has_value());
        EXPECT_EQ(sigismember(&fd.saved_mask(), SIGUSR1), 0);
        EXPECT_EQ(fd.next(), 0) << "nothing pending";
        ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);  // blocked: does not kill us
        EXPECT_EQ(fd.next(), SIGUSR1);
        EXPECT_EQ(fd.next(), 0);
        // Pending at destruction: discarded, not delivered.
        ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
    }
    sigset_t after;
    ASSERT_EQ(::sigprocmask(SIG_BLOCK, nullptr, &after), 0);
    EXPECT_EQ(sigismember(&after, SIGUSR1), 0);
    sigset_t pending;
    ASSERT_EQ(::sigpending(&pending), 0);
    EXPECT_EQ(sigismember(&pending, SIGUSR1), 0);
}
