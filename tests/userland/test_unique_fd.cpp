// SPDX-License-Identifier: GPL-2.0-only
//
// UniqueFd ownership semantics, checked against the real fd table.
#include <gtest/gtest.h>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include "mult/fd.hpp"
#include "mult/unique_fd.hpp"

using mult::UniqueFd;

namespace {

int open_null()
{
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        ADD_FAILURE() << "open /dev/null failed";
    return fd;
}

}  // namespace

TEST(UniqueFd, DefaultIsEmpty)
{
    UniqueFd fd;
    EXPECT_EQ(fd.get(), -1);
    EXPECT_FALSE(fd.valid());
    EXPECT_FALSE(static_cast<bool>(fd));
}

TEST(UniqueFd, ClosesOnDestruction)
{
    int raw = -1;
    {
        UniqueFd fd(open_null());
        raw = fd.get();
        ASSERT_TRUE(mult::fd_is_open(raw));
        EXPECT_TRUE(fd.valid());
    }
    EXPECT_FALSE(mult::fd_is_open(raw));
}

TEST(UniqueFd, MoveConstructionTransfersOwnership)
{
    UniqueFd a(open_null());
    const int raw = a.get();
    UniqueFd b(std::move(a));
    EXPECT_EQ(a.get(), -1);  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_EQ(b.get(), raw);
    EXPECT_TRUE(mult::fd_is_open(raw));
    b.reset();
    EXPECT_FALSE(mult::fd_is_open(raw));
}

TEST(UniqueFd, MoveAssignmentClosesPreviousTarget)
{
    UniqueFd a(open_null());
    UniqueFd b(open_null());
    const int ra = a.get();
    const int rb = b.get();
    b = std::move(a);
    EXPECT_FALSE(mult::fd_is_open(rb));
    EXPECT_TRUE(mult::fd_is_open(ra));
    EXPECT_EQ(b.get(), ra);
    EXPECT_EQ(a.get(), -1);  // NOLINT(bugprone-use-after-move)
}

TEST(UniqueFd, SelfMoveAssignmentKeepsFd)
{
    UniqueFd a(open_null());
    const int raw = a.get();
    UniqueFd& alias = a;
    a = std::move(alias);
    EXPECT_EQ(a.get(), raw);
    EXPECT_TRUE(mult::fd_is_open(raw));
}

TEST(UniqueFd, ReleaseGivesUpOwnership)
{
    int raw = -1;
    {
        UniqueFd fd(open_null());
        raw = fd.release();
        EXPECT_FALSE(fd.valid());
    }
    EXPECT_TRUE(mult::fd_is_open(raw));
    ::close(raw);
}

TEST(UniqueFd, ResetClosesOldAndAdoptsNew)
{
    UniqueFd fd(open_null());
    const int old = fd.get();
    const int fresh = ::dup(old);
    ASSERT_GE(fresh, 0);
    fd.reset(fresh);
    EXPECT_FALSE(mult::fd_is_open(old));
    EXPECT_EQ(fd.get(), fresh);
    EXPECT_TRUE(mult::fd_is_open(fresh));
}

TEST(UniqueFd, ResetToSameFdDoesNotClose)
{
    UniqueFd fd(open_null());
    const int raw = fd.get();
    fd.reset(raw);
    EXPECT_TRUE(mult::fd_is_open(raw));
}

TEST(UniqueFd, ResetPreservesErrno)
{
    // Own a number that is not open, so the close() inside reset() fails
    // with EBADF and would overwrite errno if reset() did not save it.
    const int raw = open_null();
    ::close(raw);
    UniqueFd fd(raw);
    errno = ENOSPC;
    fd.reset();
    EXPECT_EQ(errno, ENOSPC);
}

TEST(UniqueFd, Swap)
{
    UniqueFd a(open_null());
    UniqueFd b;
    const int raw = a.get();
    swap(a, b);
    EXPECT_EQ(a.get(), -1);
    EXPECT_EQ(b.get(), raw);
}
