// SPDX-License-Identifier: GPL-2.0-only
//
// Generic netlink family resolution (libnl genl_ctrl_resolve) against the
// running kernel.
#include <gtest/gtest.h>

#include <cerrno>

#include "mult/genl.hpp"
#include "mult/kernel.hpp"

TEST(Genl, ResolvesTheControllerFamily)
{
    // "nlctrl" is the genl controller itself, always registered with the
    // fixed id GENL_ID_CTRL (0x10).
    auto id = mult::resolve_genl_family("nlctrl");
    ASSERT_TRUE(id.has_value()) << id.error().message();
    EXPECT_EQ(*id, 0x10);
}

TEST(Genl, UnknownFamilyIsEnoent)
{
    auto id = mult::resolve_genl_family("mult-test-nosuch");
    ASSERT_FALSE(id.has_value());
    EXPECT_EQ(id.error().code, ENOENT);
    EXPECT_EQ(id.error().message(),
              "generic netlink family 'mult-test-nosuch' is not registered: "
              "No such file or directory");
}

TEST(Genl, ModuleCannotBeLoadedWithoutMultKernel)
{
    if (mult::kernel_supports_instances())
        GTEST_SKIP() << "this kernel has mult; the module may be loaded";
    // The module needs the patched kernel's exported API, so a stock kernel
    // never has the family.
    EXPECT_FALSE(mult::management_module_loaded());
    auto id = mult::resolve_genl_family(mult::kGenlFamilyName);
    ASSERT_FALSE(id.has_value());
    EXPECT_EQ(id.error().code, ENOENT);
}
