// SPDX-License-Identifier: GPL-2.0-only
//
// instctl exec's check that its child joined the instance (instctl/exec.hpp),
// with fork() in place of instfork() and a stand-in for the module's get:
// the child landed elsewhere (its instance was freed between enter and the
// fork, so clone3 created a new one) or get failed, and the held child is
// killed and reaped without running anything; or it is where it should be
// and runs once released.
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include "instctl/exec.hpp"
#include "mult/fd.hpp"
#include "mult/pidfd.hpp"
#include "test_util.hpp"

namespace {

sigset_t empty_mask()
{
    sigset_t mask;
    sigemptyset(&mask);
    return mask;
}

mult::mgmt::Instance in(std::uint32_t id)
{
    mult::mgmt::Instance inst;
    inst.id = id;
    return inst;
}

// A held child whose command would write "ran" into a pipe.
struct HeldChild {
    mult::Pipe out = *mult::make_pipe();
    std::optional<mult::Launch> launch;

    HeldChild()
    {
        const int fd = out.write.get();
        auto prepared = mult::Launch::prepare(
            mult::CommandSpec{{"/bin/sh", "-c", "printf ran >&" + std::to_string(fd)},
                              {"PATH=/usr/bin:/bin"},
                              std::nullopt,
                              {fd}},
            empty_mask(), true);
        if (!prepared) {
            ADD_FAILURE() << prepared.error().message();
            return;
        }
        launch.emplace(std::move(*prepared));
        if (auto r = launch->start(mult_test::fork_child); !r)
            ADD_FAILURE() << r.error().message();
        out.write.reset();
    }

    std::string output() { return mult_test::read_all(out.read.get()); }
};

void expect_reaped(pid_t pid)
{
    ASSERT_GT(pid, 0);
    errno = 0;
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD) << "the child must be reaped already";
}

}  // namespace

TEST(InstctlExecJoin, SameIdIsNoProblem)
{
    EXPECT_EQ(instctl::join_problem(3, in(3)), std::nullopt);
}

TEST(InstctlExecJoin, OtherIdMeansTheInstanceEnded)
{
    EXPECT_EQ(instctl::join_problem(3, in(9)),
              "instance 3 ended before the command could join it (its process was in a new "
              "instance 9 instead); the command was not run");
}

TEST(InstctlExecJoin, FailedGetNamesItsCause)
{
    const mult::Result<mult::mgmt::Instance> failed = std::unexpected(
        mult::Error{ESRCH, "get the instance of pidfd 7", "the pidfd's process is in no instance"});
    EXPECT_EQ(instctl::join_problem(3, failed),
              "cannot tell whether the command's process joined instance 3: get the instance of "
              "pidfd 7: the pidfd's process is in no instance (No such process); the command was "
              "not run");
}

TEST(InstctlExecJoin, ChildInANewInstanceIsKilledAndReapedBeforeItRuns)
{
    HeldChild c;
    ASSERT_TRUE(c.launch);
    const pid_t pid = c.launch->pid();
    int asked = -1;
    const auto problem = instctl::verify_joined(*c.launch, 3, [&](int pidfd) {
        asked = pidfd;
        return mult::Result<mult::mgmt::Instance>(in(4));
    });
    ASSERT_TRUE(problem);
    EXPECT_NE(problem->find("instance 3 ended before the command could join it"), std::string::npos)
        << *problem;
    EXPECT_GE(asked, 0) << "get is given the child's pidfd";
    expect_reaped(pid);
    EXPECT_EQ(c.output(), "") << "the command must never run";
}

TEST(InstctlExecJoin, ChildWhoseInstanceCannotBeToldIsKilledToo)
{
    HeldChild c;
    ASSERT_TRUE(c.launch);
    const pid_t pid = c.launch->pid();
    const auto problem = instctl::verify_joined(*c.launch, 3, [](int) {
        return mult::Result<mult::mgmt::Instance>(std::unexpected(mult::Error{EIO, "get"}));
    });
    ASSERT_TRUE(problem);
    expect_reaped(pid);
    EXPECT_EQ(c.output(), "");
}

TEST(InstctlExecJoin, ChildInTheInstanceStaysHeldThenRuns)
{
    HeldChild c;
    ASSERT_TRUE(c.launch);
    const auto problem = instctl::verify_joined(
        *c.launch, 3, [](int) { return mult::Result<mult::mgmt::Instance>(in(3)); });
    EXPECT_EQ(problem, std::nullopt);
    EXPECT_EQ(::waitpid(c.launch->pid(), nullptr, WNOHANG), 0) << "still there, held";
    ASSERT_TRUE(c.launch->release().has_value());
    auto outcome = c.launch->supervise(nullptr, false, [](const mult::Error& e) {
        ADD_FAILURE() << e.message();
    });
    ASSERT_TRUE(outcome.has_value()) << outcome.error().message();
    EXPECT_EQ(outcome->status, mult::ExitStatus::exited(0));
    EXPECT_EQ(c.output(), "ran");
}
