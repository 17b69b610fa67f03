// SPDX-License-Identifier: GPL-2.0-only
//
// The management module fixture (guest_util.hpp: ManagementModuleTest) and
// what libmult sees of the module once it is loaded.
#include <atomic>
#include <cerrno>
#include <cstring>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "guest_util.hpp"
#include "mult/genl.hpp"
#include "mult/instfork.hpp"
#include "mult/mgmt.hpp"

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

// A listener that subscribes while events are flowing (issue #15): with the
// socket already in the "events" group, an event arriving during the
// look-up of the controller's "notify" group made libnl report that group
// as "not registered", so `instctl watch` failed right after insmod while
// instances were being created. Subscribe many times under a stream of
// created/emptied events.
TEST_F(ManagementModuleFixture, SubscribesWhileInstancesComeAndGo)
{
    std::atomic<bool> stop{false};
    std::atomic<int> created{0};
    std::thread churn([&] {
        while (!stop.load()) {
            auto child = mult::instfork();
            if (!child)
                continue;
            if (child->in_child())
                ::_exit(0);
            int status = 0;
            ::waitpid(child->pid, &status, 0);
            ++created;
        }
    });
    int failures = 0;
    std::string first_failure;
    for (int i = 0; i < 150; ++i) {
        auto client = mult::mgmt::Client::connect();
        auto r = client ? client->subscribe() : std::unexpected(client.error());
        if (!r && failures++ == 0)
            first_failure = r.error().message();
    }
    stop = true;
    churn.join();
    EXPECT_GT(created.load(), 0) << "no instance was created meanwhile: the test tested nothing";
    EXPECT_EQ(failures, 0) << "first failure: " << first_failure;
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
