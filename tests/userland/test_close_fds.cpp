// SPDX-License-Identifier: GPL-2.0-only
//
// close_fds_except(): open real fds in a forked child, close all but a
// keep-list with each strategy, and inspect what is left.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <dirent.h>
#include <fcntl.h>
#include <set>
#include <sys/resource.h>
#include <unistd.h>

#include "mult/fd.hpp"
#include "test_util.hpp"

namespace {

using CloseFn = int (*)(std::span<const int>);

struct Strategy {
    const char* name;
    CloseFn fn;
};

int via_result(std::span<const int> keep)
{
    auto r = mult::close_fds_except(keep);
    return r ? 0 : r.error().code;
}

// Names the parameter in test listings (and in ctest's test names).
[[maybe_unused]] void PrintTo(const Strategy& s, std::ostream* os)
{
    *os << s.name;
}

const Strategy kStrategies[] = {
    {"auto", [](std::span<const int> k) { return mult::async_safe::close_fds_except(k); }},
    {"close_range", [](std::span<const int> k) { return mult::detail::close_fds_except_close_range(k); }},
    {"procfs", [](std::span<const int> k) { return mult::detail::close_fds_except_procfs(k); }},
    {"bruteforce", [](std::span<const int> k) { return mult::detail::close_fds_except_bruteforce(k); }},
    {"result", via_result},
};

// The fds open in the calling process, from /proc/self/fd (minus the fd of
// the directory stream itself).
std::set<int> open_fds()
{
    std::set<int> fds;
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr)
        return fds;
    const int self = ::dirfd(dir);
    while (const dirent* e = ::readdir(dir)) {
        if (e->d_name[0] == '.')
            continue;
        const int fd = std::stoi(e->d_name);
        if (fd != self)
            fds.insert(fd);
    }
    ::closedir(dir);
    return fds;
}

void report(int fd, const std::string& text)
{
    (void)!::write(fd, text.data(), text.size());
}

std::string describe(const std::set<int>& fds)
{
    std::string s = "{";
    for (int fd : fds)
        s += std::to_string(fd) + ",";
    return s + "}";
}

// Places an open fd at each of `numbers` (dup2 of /dev/null), without CLOEXEC.
bool open_at(const std::vector<int>& numbers)
{
    const int null = ::open("/dev/null", O_RDONLY);
    if (null < 0)
        return false;
    for (int n : numbers)
        if (::dup2(null, n) != n)
            return false;
    if (std::ranges::find(numbers, null) == numbers.end())
        ::close(null);
    return true;
}

// Moves the report pipe out of the way of the numbers the tests occupy.
int relocate(int fd)
{
    const int moved = ::fcntl(fd, F_DUPFD, 500);
    ::close(fd);
    return moved;
}

class CloseFds : public ::testing::TestWithParam<Strategy> {};

}  // namespace

TEST_P(CloseFds, ClosesEverythingButTheKeepList)
{
    const CloseFn close_fn = GetParam().fn;
    auto result = mult_test::run_in_child([close_fn](int pipe_fd) {
        const int report_fd = relocate(pipe_fd);
        // A spread of numbers, including ones adjacent to kept fds and one
        // far out (below the default 1024 soft limit, for bruteforce).
        if (!open_at({5, 10, 11, 12, 13, 40, 41, 1000})) {
            report(report_fd, "setup failed");
            return 1;
        }
        // Unsorted, with a duplicate and a negative entry.
        const std::vector<int> keep{12, -1, 2, 0, 1, 12, report_fd, 40};
        if (const int err = close_fn(keep); err != 0) {
            report(report_fd, "close failed: " + mult::errno_string(err));
            return 1;
        }
        const std::set<int> expected{0, 1, 2, 12, 40, report_fd};
        std::set<int> left = open_fds();
        if (left != expected) {
            report(report_fd, "left open " + describe(left) + ", expected " + describe(expected));
            return 1;
        }
        return 0;
    });
    EXPECT_EQ(result.status, mult::ExitStatus::exited(0)) << result.out;
    EXPECT_EQ(result.out, "");
}

TEST_P(CloseFds, EmptyKeepListClosesStdioToo)
{
    const CloseFn close_fn = GetParam().fn;
    auto result = mult_test::run_in_child([close_fn](int report_fd) {
        // Keep only the report pipe: stdio must go as well.
        const std::array<int, 1> keep{report_fd};
        if (close_fn(keep) != 0)
            return 1;
        for (int fd : {0, 1, 2})
            if (mult::fd_is_open(fd))
                return 10 + fd;
        return mult::fd_is_open(report_fd) ? 0 : 2;
    });
    EXPECT_EQ(result.status, mult::ExitStatus::exited(0));
}

INSTANTIATE_TEST_SUITE_P(Strategies, CloseFds, ::testing::ValuesIn(kStrategies),
                         [](const ::testing::TestParamInfo<Strategy>& param_info) {
                             return std::string(param_info.param.name);
                         });

TEST(CloseFdsHigh, FdsAboveOneThousandWithCloseRangeAndProcfs)
{
    rlimit rl{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < 5001)
        GTEST_SKIP() << "RLIMIT_NOFILE soft limit " << rl.rlim_cur << " < 5001";
    for (CloseFn fn : {kStrategies[1].fn, kStrategies[2].fn}) {
        auto result = mult_test::run_in_child([fn](int pipe_fd) {
            const int report_fd = relocate(pipe_fd);
            if (!open_at({1500, 4999, 5000}))
                return 1;
            const std::array<int, 5> keep{0, 1, 2, report_fd, 4999};
            if (fn(keep) != 0)
                return 2;
            const std::set<int> expected{0, 1, 2, 4999, report_fd};
            const std::set<int> left = open_fds();
            if (left != expected) {
                report(report_fd, "left open " + describe(left));
                return 3;
            }
            return 0;
        });
        EXPECT_EQ(result.status, mult::ExitStatus::exited(0)) << result.out;
    }
}

TEST(SetCloexec, SetsAndClears)
{
    mult::UniqueFd fd(::open("/dev/null", O_RDONLY));
    ASSERT_TRUE(fd.valid());
    EXPECT_EQ(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
    ASSERT_TRUE(mult::set_cloexec(fd.get(), true).has_value());
    EXPECT_NE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
    ASSERT_TRUE(mult::set_cloexec(fd.get(), false).has_value());
    EXPECT_EQ(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(SetCloexec, BadFdIsAnError)
{
    const int raw = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(raw, 0);
    ::close(raw);
    auto r = mult::set_cloexec(raw, false);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, EBADF);
    EXPECT_EQ(mult::async_safe::set_cloexec(raw, true), EBADF);
}

TEST(MakePipe, IsCloexecByDefault)
{
    auto p = mult::make_pipe();
    ASSERT_TRUE(p.has_value());
    EXPECT_NE(::fcntl(p->read.get(), F_GETFD) & FD_CLOEXEC, 0);
    EXPECT_NE(::fcntl(p->write.get(), F_GETFD) & FD_CLOEXEC, 0);
    auto q = mult::make_pipe(0);
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(::fcntl(q->read.get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(FdIsOpen, OpenClosedAndNegative)
{
    EXPECT_FALSE(mult::fd_is_open(-1));
    const int raw = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(raw, 0);
    EXPECT_TRUE(mult::fd_is_open(raw));
    ::close(raw);
    EXPECT_FALSE(mult::fd_is_open(raw));
}
