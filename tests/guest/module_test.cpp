// SPDX-License-Identifier: GPL-2.0-only
//
// The management module fixture (guest_util.hpp: ManagementModuleTest) and
// what libmult sees of the module once it is loaded.
#include <cerrno>
#include <cstring>

#include <gtest/gtest.h>

#include "guest_util.hpp"
#include "mult/genl.hpp"

namespace mult_guest {
namespace {

class ManagementModuleFixture : public ManagementModuleTest {};

TEST_F(ManagementModuleFixture, FamilyMultResolvesOnceLoaded)
{
    EXPECT_TRUE(ManagementModule::loaded());
    const auto id = mult::resolve_genl_family(mult::kGenlFamilyName);
    ASSERT_TRUE(id) << id.error().message();
    EXPECT_GT(*id, 0);
    EXPECT_TRUE(mult::management_module_loaded());
}

TEST(ManagementModuleHelper, LoadIsIdempotentAndNeverClaimsAModuleItDidNotLoad)
{
    bool first_by_us = false;
    const int err = ManagementModule::load(first_by_us);
    if (err == ENOENT)
        GTEST_SKIP() << ManagementModule::ko_path() << " is missing: this image carries no management module";
    ASSERT_EQ(err, 0) << std::strerror(err);
    ASSERT_TRUE(ManagementModule::loaded());
    // Loaded now, by us or by someone else: a second load is not ours.
    bool second_by_us = true;
    EXPECT_EQ(ManagementModule::load(second_by_us), 0);
    EXPECT_FALSE(second_by_us);
    if (first_by_us) {
        EXPECT_EQ(ManagementModule::unload(), 0);
        EXPECT_FALSE(ManagementModule::loaded());
    }
}

}  // namespace
}  // namespace mult_guest
