// SPDX-License-Identifier: GPL-2.0-only
//
// Error values, the feature probe, the kernel.mult.* sysctls, and the
// message for each way the kernel can refuse an instance.
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>

#include "mult/error.hpp"
#include "mult/instfork.hpp"
#include "mult/kernel.hpp"
#include "test_util.hpp"

using mult::MultSysctls;
using mult::Support;

namespace {

const std::string kNotPatched =
    "this kernel has no mult instances (CONFIG_MULT): /proc/sys/kernel/mult is missing";

MultSysctls supported(std::optional<long> depth = 4, std::optional<long> max = 128,
                      std::optional<long> nr = 128)
{
    return MultSysctls{Support::supported, depth, max, nr};
}

bool contains(const std::string& haystack, const std::string& needle)
{
    return haystack.find(needle) != std::string::npos;
}

// A fake /proc/sys/kernel with a mult/ directory holding `files`.
struct FakeSysctl {
    mult_test::TempDir root;
    std::filesystem::path kernel = root.path() / "kernel";
    std::filesystem::path mult = kernel / "mult";
};

}  // namespace

TEST(Error, MessageWithAndWithoutContext)
{
    EXPECT_EQ((mult::Error{ENOENT, "open /x"}).message(), "open /x: No such file or directory");
    EXPECT_EQ((mult::Error{EPERM, ""}).message(), "Operation not permitted");
}

TEST(Error, ErrnoErrorCapturesErrno)
{
    errno = EUSERS;
    const auto e = mult::errno_error("clone3");
    EXPECT_EQ(e.error().code, EUSERS);
    EXPECT_EQ(e.error().context, "clone3");
}

TEST(Error, MakeErrorInResult)
{
    const mult::Result<int> r = mult::make_error(ENOSPC, "x");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ENOSPC);
    EXPECT_EQ(mult::errno_string(ENOSPC), "No space left on device");
}

TEST(DescribeInstforkError, NotPatchedWinsOverAnyErrno)
{
    const MultSysctls none{Support::unsupported, {}, {}, {}};
    for (int err : {EINVAL, EPERM, ENOSYS, EUSERS, ENOSPC})
        EXPECT_EQ(mult::describe_instfork_error(err, none), kNotPatched) << err;
}

TEST(DescribeInstforkError, Eperm)
{
    const std::string m = mult::describe_instfork_error(EPERM, supported());
    EXPECT_TRUE(contains(m, "CAP_SYS_ADMIN in the initial user namespace")) << m;
}

TEST(DescribeInstforkError, EusersPrintsMaxDepth)
{
    const std::string m = mult::describe_instfork_error(EUSERS, supported(4));
    EXPECT_TRUE(contains(m, "nesting depth")) << m;
    EXPECT_TRUE(contains(m, "kernel.mult.max_depth = 4")) << m;
    const std::string u = mult::describe_instfork_error(EUSERS, supported(std::nullopt));
    EXPECT_TRUE(contains(u, "kernel.mult.max_depth = unknown")) << u;
}

TEST(DescribeInstforkError, EnospcPrintsMaxInstances)
{
    const std::string m = mult::describe_instfork_error(ENOSPC, supported(4, 1000, 999));
    EXPECT_TRUE(contains(m, "live instance limit")) << m;
    EXPECT_TRUE(contains(m, "kernel.mult.max_instances = 1000")) << m;
    EXPECT_TRUE(contains(m, "nr_instances = 999")) << m;
}

TEST(DescribeInstforkError, EinvalOnPatchedKernelIsFlagCombination)
{
    const std::string m = mult::describe_instfork_error(EINVAL, supported());
    EXPECT_TRUE(contains(m, "invalid flag combination")) << m;
    for (const char* flag : {"CLONE_THREAD", "CLONE_SIGHAND", "CLONE_PARENT", "CLONE_FILES",
                             "CLONE_PTRACE", "CLONE_VM without CLONE_VFORK"})
        EXPECT_TRUE(contains(m, flag)) << flag << " missing from: " << m;
    EXPECT_FALSE(contains(m, "CONFIG_MULT")) << m;
}

TEST(DescribeInstforkError, OtherErrnos)
{
    EXPECT_TRUE(contains(mult::describe_instfork_error(ENOSYS, supported()), "clone3() is not available"));
    EXPECT_TRUE(contains(mult::describe_instfork_error(EAGAIN, supported()), "RLIMIT_NPROC"));
    EXPECT_TRUE(contains(mult::describe_instfork_error(ENOMEM, supported()), "out of memory"));
    EXPECT_EQ(mult::describe_instfork_error(EBADF, supported()),
              "clone3(CLONE_NEWINST) failed: Bad file descriptor");
}

TEST(DescribeInstforkError, UnknownSupport)
{
    const MultSysctls unknown{Support::unknown, {}, {}, {}};
    const std::string probe = mult::describe_instfork_error(ENOENT, unknown);
    EXPECT_TRUE(contains(probe, "is /proc mounted?")) << probe;
    EXPECT_FALSE(contains(probe, "clone3(CLONE_NEWINST) failed")) << probe;
    const std::string kernel = mult::describe_instfork_error(EINVAL, unknown);
    EXPECT_TRUE(contains(kernel, "clone3(CLONE_NEWINST) failed: Invalid argument")) << kernel;
    // Specific errnos are still explained.
    EXPECT_TRUE(contains(mult::describe_instfork_error(EPERM, unknown), "CAP_SYS_ADMIN"));
}

TEST(Sysctls, ProbeDistinguishesSupportedUnsupportedUnknown)
{
    FakeSysctl f;
    EXPECT_EQ(mult::probe_instance_support(f.mult), Support::unknown);
    std::filesystem::create_directories(f.kernel);
    EXPECT_EQ(mult::probe_instance_support(f.mult), Support::unsupported);
    std::filesystem::create_directories(f.mult);
    EXPECT_EQ(mult::probe_instance_support(f.mult), Support::supported);
}

TEST(Sysctls, ReadsValues)
{
    FakeSysctl f;
    std::filesystem::create_directories(f.mult);
    mult_test::write_file(f.mult / "max_depth", "3\n");
    mult_test::write_file(f.mult / "max_instances", "1024\n");
    mult_test::write_file(f.mult / "nr_instances", "17\n");
    const MultSysctls s = mult::read_mult_sysctls(f.mult);
    EXPECT_EQ(s.support, Support::supported);
    EXPECT_EQ(s.max_depth, 3);
    EXPECT_EQ(s.max_instances, 1024);
    EXPECT_EQ(s.nr_instances, 17);
    EXPECT_TRUE(contains(mult::describe_instfork_error(EUSERS, s), "kernel.mult.max_depth = 3"));
    EXPECT_TRUE(contains(mult::describe_instfork_error(ENOSPC, s), "kernel.mult.max_instances = 1024"));
}

TEST(Sysctls, MissingOrGarbageValuesAreEmpty)
{
    FakeSysctl f;
    std::filesystem::create_directories(f.mult);
    mult_test::write_file(f.mult / "max_depth", "abc\n");
    mult_test::write_file(f.mult / "max_instances", "12 34\n");
    const MultSysctls s = mult::read_mult_sysctls(f.mult);
    EXPECT_EQ(s.support, Support::supported);
    EXPECT_FALSE(s.max_depth.has_value());
    EXPECT_FALSE(s.max_instances.has_value());
    EXPECT_FALSE(s.nr_instances.has_value());
}

TEST(Sysctls, UnsupportedReadsNothing)
{
    FakeSysctl f;
    std::filesystem::create_directories(f.kernel);
    const MultSysctls s = mult::read_mult_sysctls(f.mult);
    EXPECT_EQ(s.support, Support::unsupported);
    EXPECT_EQ(mult::describe_instfork_error(EINVAL, s), kNotPatched);
}

// The host this suite is meant for runs a stock kernel.
TEST(HostKernel, InstforkRefusedWithNotPatchedMessage)
{
    if (mult::kernel_supports_instances())
        GTEST_SKIP() << "this kernel has mult; the not-patched path cannot be observed";
    ASSERT_EQ(mult::probe_instance_support(), Support::unsupported)
        << "/proc/sys/kernel should exist on the test host";
    auto child = mult::instfork();
    if (child && child->in_child())
        ::_exit(0);
    ASSERT_FALSE(child.has_value());
    EXPECT_EQ(child.error().code, EINVAL);
    EXPECT_EQ(mult::describe_instfork_error(child.error().code), kNotPatched);
}

TEST(HostKernel, UnpatchedKernelRejectsNewinstFlag)
{
    if (mult::kernel_supports_instances())
        GTEST_SKIP() << "this kernel has mult";
    // Bypass the probe: the stock kernel itself must refuse bit 34.
    auto child = mult::instfork({.check_support = false});
    if (child && child->in_child())
        ::_exit(0);
    ASSERT_FALSE(child.has_value()) << "an unpatched kernel accepted CLONE_NEWINST";
    EXPECT_EQ(child.error().code, EINVAL);
    EXPECT_EQ(child.error().context, "clone3(CLONE_NEWINST)");
}
