// SPDX-License-Identifier: GPL-2.0-only
//
// libmult's instfork() called directly, on the mult kernel.
//
// The child of instfork() comes from a raw clone3(): it may only make
// async-signal-safe calls before _exit() (see mult/instfork.hpp), so it
// reports what it sees as a plain struct through a pipe and the test checks
// it from outside.
#include <cerrno>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "guest_util.hpp"
#include "mult/fd.hpp"
#include "mult/instfork.hpp"
#include "mult/kernel.hpp"
#include "mult/pidfd.hpp"

namespace mult_guest {
namespace {

using mult::ExitStatus;
using Clock = std::chrono::steady_clock;

class LibmultInstfork : public InstanceTest {};

mult::Pipe pipe_or_throw()
{
    auto p = mult::make_pipe();
    if (!p)
        throw std::runtime_error(p.error().message());
    return std::move(*p);
}

// Reads exactly `size` bytes; false on EOF, error or deadline.
bool read_exact(int fd, void* buf, std::size_t size, Clock::duration timeout = kDeadline)
{
    const auto deadline = Clock::now() + timeout;
    auto* p = static_cast<char*>(buf);
    while (size > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return false;
        pollfd pfd{fd, POLLIN, 0};
        const int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        const ssize_t got = ::read(fd, p, size);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        p += got;
        size -= static_cast<std::size_t>(got);
    }
    return true;
}

// True once `fd` reads EOF (every writer closed it), false on deadline.
bool wait_eof(int fd, Clock::duration timeout = kDeadline)
{
    char c;
    while (read_exact(fd, &c, 1, timeout)) {
    }
    pollfd pfd{fd, POLLIN, 0};
    return ::poll(&pfd, 1, 0) == 1 && ::read(fd, &c, 1) == 0;
}

// Kills and reaps the instance's first process unless the test did.
class Reaper {
public:
    explicit Reaper(const mult::Child& child) : child_(child) {}
    ~Reaper()
    {
        if (!reaped_ && child_.pidfd.valid()) {
            (void)mult::pidfd_send_signal(child_.pidfd.get(), SIGKILL);
            (void)mult::wait_pidfd(child_.pidfd.get());
        }
    }
    Reaper(const Reaper&) = delete;
    Reaper& operator=(const Reaper&) = delete;
    mult::Result<ExitStatus> wait()
    {
        reaped_ = true;
        return mult::wait_pidfd(child_.pidfd.get());
    }

private:
    const mult::Child& child_;
    bool reaped_ = false;
};

int errno_of(int ret)
{
    return ret == 0 ? 0 : errno;
}

// What the first process of the instance sees.
struct Observed {
    pid_t pid, ppid, sid, pgid;
    int kill_init, kill_creator;  // errno of kill(pid, 0), 0 if it worked
    pid_t member;                 // a second process of the instance
};

// The instance: its first process reports, forks a `member` (which holds
// `alive` open and sleeps), then waits for `release` to close and exits 7.
// Only async-signal-safe calls in the child.
[[noreturn]] void first_process(pid_t creator, mult::Pipe& report, mult::Pipe& release, mult::Pipe& alive)
{
    release.write.reset();
    report.read.reset();
    alive.read.reset();
    Observed o{};
    o.pid = ::getpid();
    o.ppid = ::getppid();
    o.sid = ::getsid(0);
    o.pgid = ::getpgid(0);
    o.kill_init = errno_of(::kill(1, 0));
    o.kill_creator = errno_of(::kill(creator, 0));
    // A raw fork: glibc's fork() bookkeeping is not valid in this child.
    const long member = ::syscall(SYS_fork);
    if (member == 0) {
        for (;;)
            ::pause();  // until R7 ends the instance
    }
    o.member = static_cast<pid_t>(member);
    alive.write.reset();
    if (::write(report.write.get(), &o, sizeof o) != static_cast<ssize_t>(sizeof o))
        ::_exit(100);
    char c;
    while (::read(release.read.get(), &c, 1) != 0) {
    }
    ::_exit(7);
}

class InstanceScenario : public LibmultInstfork {
protected:
    void SetUp() override
    {
        LibmultInstfork::SetUp();
        if (HasFatalFailure() || IsSkipped())
            return;
        const pid_t creator = ::getpid();
        auto child = mult::instfork();
        ASSERT_TRUE(child) << child.error().message() << ": "
                           << mult::describe_instfork_error(child.error().code);
        if (child->in_child())
            first_process(creator, report_, release_, alive_);
        child_ = std::move(*child);
        reaper_ = std::make_unique<Reaper>(child_);
        report_.write.reset();
        release_.read.reset();
        alive_.write.reset();
        ASSERT_TRUE(read_exact(report_.read.get(), &seen_, sizeof seen_))
            << "the first process did not report";
    }
    void TearDown() override
    {
        release_.write.reset();
        reaper_.reset();
        // A pidfd holds its process's struct pid, and that the instance id:
        // close it before the base class checks that the instance is gone.
        child_.pidfd.reset();
        LibmultInstfork::TearDown();
    }

    mult::Pipe report_ = pipe_or_throw();
    mult::Pipe release_ = pipe_or_throw();
    mult::Pipe alive_ = pipe_or_throw();
    mult::Child child_;
    std::unique_ptr<Reaper> reaper_;
    Observed seen_{};
};

TEST_F(InstanceScenario, FirstProcessIsAloneInANewInstance)
{
    // Global numbering: the pid the creator got is the one the child has.
    EXPECT_EQ(seen_.pid, child_.pid);
    EXPECT_EQ(seen_.ppid, 0) << "R3: the creator is in another instance";
    EXPECT_EQ(seen_.sid, seen_.pid) << "R4: a session of its own";
    EXPECT_EQ(seen_.pgid, seen_.pid) << "R4: a process group of its own";
    EXPECT_EQ(seen_.kill_init, ESRCH) << "R1: init is hidden: " << std::strerror(seen_.kill_init);
    EXPECT_EQ(seen_.kill_creator, ESRCH) << "R1: the creator is hidden: " << std::strerror(seen_.kill_creator);
}

TEST_F(InstanceScenario, CreatorSeesItsChildAndNothingElseInside)
{
    ASSERT_GT(seen_.member, 0);
    EXPECT_TRUE(child_.pidfd.valid());
    // The creation edge: the creator may signal its own child...
    EXPECT_EQ(errno_of(::kill(child_.pid, 0)), 0);
    EXPECT_EQ(::access(("/proc/" + std::to_string(child_.pid)).c_str(), F_OK), 0);
    // ...but not the rest of the instance (R1, R2).
    EXPECT_EQ(errno_of(::kill(seen_.member, 0)), ESRCH);
    EXPECT_EQ(::access(("/proc/" + std::to_string(seen_.member)).c_str(), F_OK), -1);
    const auto pidfd = mult::pidfd_open(seen_.member);
    ASSERT_FALSE(pidfd) << "pidfd_open on a hidden process succeeded";
    EXPECT_EQ(pidfd.error().code, ESRCH);
}

TEST_F(InstanceScenario, FirstProcessExitEndsTheInstance)
{
    release_.write.reset();
    const auto status = reaper_->wait();
    ASSERT_TRUE(status) << status.error().message();
    EXPECT_EQ(*status, ExitStatus::exited(7));
    // R7: the member, which never exits by itself, is killed: the last
    // holder of `alive` is gone.
    EXPECT_TRUE(wait_eof(alive_.read.get())) << "the instance's second process outlived the first";
}

TEST_F(LibmultInstfork, PidfdSignalReachesTheFirstProcess)
{
    auto child = mult::instfork();
    ASSERT_TRUE(child) << child.error().message();
    if (child->in_child()) {
        for (;;)
            ::pause();
    }
    Reaper reaper(*child);
    ASSERT_TRUE(mult::pidfd_send_signal(child->pidfd.get(), SIGTERM));
    const auto status = reaper.wait();
    ASSERT_TRUE(status) << status.error().message();
    EXPECT_EQ(*status, ExitStatus::killed(SIGTERM));
}

class RefusedFlag : public LibmultInstfork, public ::testing::WithParamInterface<std::uint64_t> {};

TEST_P(RefusedFlag, IsEinval)
{
    mult::InstforkOptions options;
    options.extra_flags = GetParam();
    auto child = mult::instfork(options);
    if (child && child->in_child())
        ::_exit(0);
    if (child) {
        // Accepted by mistake: reap it (as a sibling with CLONE_PARENT we
        // cannot wait; it exits at once and our parent reaps it).
        (void)mult::wait_pidfd(child->pidfd.get());
        FAIL() << "clone3(CLONE_NEWINST | " << std::hex << GetParam() << ") succeeded";
    }
    EXPECT_EQ(child.error().code, EINVAL) << child.error().message();
    EXPECT_NE(mult::describe_instfork_error(child.error().code).find("invalid flag combination"),
              std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(SharingAcrossTheBoundary, RefusedFlag,
                         ::testing::Values(CLONE_FILES, CLONE_PARENT, CLONE_PTRACE),
                         [](const ::testing::TestParamInfo<std::uint64_t>& param_info) -> std::string {
                             switch (param_info.param) {
                             case CLONE_FILES:
                                 return "CLONE_FILES";
                             case CLONE_PARENT:
                                 return "CLONE_PARENT";
                             default:
                                 return "CLONE_PTRACE";
                             }
                         });

TEST_F(LibmultInstfork, UnprivilegedCallerGetsEperm)
{
    auto result = pipe_or_throw();
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        int err = become_nobody();
        if (err == 0) {
            auto child = mult::instfork();
            if (child && child->in_child())
                ::_exit(0);
            if (child) {
                (void)mult::wait_pidfd(child->pidfd.get());
                err = 0;
            } else {
                err = child.error().code;
            }
        } else {
            err = -err;  // could not drop privileges
        }
        const bool sent = ::write(result.write.get(), &err, sizeof err) == static_cast<ssize_t>(sizeof err);
        ::_exit(sent ? 0 : 1);
    }
    result.write.reset();
    int err = 0;
    const bool got = read_exact(result.read.get(), &err, sizeof err);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(got) << "no report from the unprivileged process";
    ASSERT_GE(err, 0) << "cannot become nobody: " << std::strerror(-err);
    EXPECT_EQ(err, EPERM) << (err == 0 ? "an unprivileged user created an instance" : std::strerror(err));
    EXPECT_NE(mult::describe_instfork_error(EPERM).find("CAP_SYS_ADMIN"), std::string::npos);
}

}  // namespace
}  // namespace mult_guest
