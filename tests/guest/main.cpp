// SPDX-License-Identifier: GPL-2.0-only
//
// mult_guest_tests: GoogleTests for the userland tools, run in the guest
// against the patched kernel (tests/vm/mkplan.sh puts them in the plan).
//
// The guest's runner (tests/vm/guest/rc) judges a program by its exit status
// (GoogleTest: 0 when every test passed or was skipped, 1 otherwise) and
// tests/vm/summarize.py adds up the kselftest "# Totals:" lines; this main
// prints one in the same format, so the GoogleTests count in those totals.
//
// With --helper as its first argument the binary is the helper program the
// tests run inside instances (helper.cpp), not the test runner.
#include <climits>
#include <cstdio>
#include <string_view>
#include <unistd.h>

#include <gtest/gtest.h>

#include "guest_util.hpp"

namespace {

class KselftestTotals : public ::testing::EmptyTestEventListener {
    void OnTestProgramEnd(const ::testing::UnitTest& unit) override
    {
        // Disabled tests are not run and not counted.
        std::printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
                    unit.successful_test_count(), unit.failed_test_count(),
                    unit.skipped_test_count());
        std::fflush(stdout);
    }
};

}  // namespace

int main(int argc, char** argv)
{
    if (argc >= 2 && std::string_view(argv[1]) == "--helper")
        return mult_guest::helper_main(argc - 2, argv + 2);

    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        std::perror("readlink /proc/self/exe");
        return 1;
    }
    self[n] = '\0';
    mult_guest::set_self_path(self);

    ::testing::InitGoogleTest(&argc, argv);
    ::testing::UnitTest::GetInstance()->listeners().Append(new KselftestTotals);
    return RUN_ALL_TESTS();
}
