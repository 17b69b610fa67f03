// SPDX-License-Identifier: GPL-2.0-only
//
// Helpers for the in-guest GoogleTests: running programs with chosen stdio
// and fds under a deadline, the instance count, sysctl overrides, privilege
// drops, and the management module fixture.
//
// Everything here assumes what the guest gives: root, the mult kernel, the
// tools in /usr/bin (MULT_BINDIR overrides) and the module in
// /lib/modules/mult_mgmt.ko (MULT_MGMT_KO overrides).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "mult/pidfd.hpp"
#include "mult/unique_fd.hpp"

namespace mult {
// gtest prints values it cannot format as bytes; say what a status means.
void PrintTo(const ExitStatus& status, std::ostream* os);
}  // namespace mult

namespace mult_guest {

// Generous: a debug kernel under software emulation is slow, but no single
// step of these tests should take more than a few seconds.
inline constexpr std::chrono::seconds kDeadline{60};
// The helper modes that wait kill themselves (SIGALRM) after this long, so a
// failing test cannot leave an instance behind for good.
inline constexpr unsigned kHelperAlarmSeconds = 120;

// The environment the tests give the programs they start.
inline const std::vector<std::string> kBaseEnv = {
    "PATH=/bin:/sbin:/usr/bin:/usr/sbin",
    "MULT_GT_INHERITED=yes",
};

// /usr/bin/NAME, or $MULT_BINDIR/NAME.
std::string tool_path(const std::string& name);
inline std::string instfork_path() { return tool_path("instfork"); }

// This test binary (recorded by main() from /proc/self/exe). It doubles as
// the helper program the tests run inside instances:
//   mult_guest_tests --helper MODE ARGS...   (see helper.cpp)
void set_self_path(std::string path);
const std::string& self_path();
std::vector<std::string> helper_argv(const std::vector<std::string>& mode_and_args);
int helper_main(int argc, char** argv);

// argv for `instfork OPTIONS... -- helper MODE ARGS...`.
std::vector<std::string> instfork_helper(const std::vector<std::string>& options,
                                         const std::vector<std::string>& mode_and_args);

struct SpawnOptions {
    std::vector<std::string> argv;        // argv[0] is a path: no PATH search
    std::vector<std::string> env = kBaseEnv;
    std::string input;                    // written to stdin (a pipe), then closed
    // {fd in the child, fd in the parent}: dup2()ed in the child without
    // FD_CLOEXEC, so the program inherits them.
    std::vector<std::pair<int, int>> fds;
    // Runs in the forked child just before execve (privilege drops...).
    // Returns 0 to go on, or an exit status to give up with.
    std::function<int()> before_exec;
};

// A program started by the test, with stdout and stderr captured. The
// destructor kills and reaps it if it is still running.
class Process {
public:
    explicit Process(SpawnOptions options);
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }

    // Reads until stdout contains `text`. False on EOF, exit or deadline.
    bool wait_stdout(const std::string& text,
                     std::chrono::steady_clock::duration timeout = kDeadline);
    // Reads until `pred(stdout so far)` holds. False on EOF, exit or deadline.
    bool wait_stdout_until(const std::function<bool(const std::string&)>& pred,
                           std::chrono::steady_clock::duration timeout = kDeadline);
    // Waits for the program to exit and, with `until_eof`, for both pipes to
    // reach EOF (every holder of them closed it). False on deadline.
    bool wait(bool until_eof = true, std::chrono::steady_clock::duration timeout = kDeadline);

    [[nodiscard]] bool exited() const noexcept { return status_.has_value(); }
    [[nodiscard]] mult::ExitStatus status() const { return status_.value_or(mult::ExitStatus::exited(-1)); }
    [[nodiscard]] const std::string& out() const noexcept { return out_; }
    [[nodiscard]] const std::string& err() const noexcept { return err_; }

private:
    // Polls pipes and the pidfd until `done()` or the deadline.
    bool pump(const std::function<bool()>& done, std::chrono::steady_clock::duration timeout);

    pid_t pid_ = -1;
    mult::UniqueFd pidfd_;
    mult::UniqueFd out_fd_;
    mult::UniqueFd err_fd_;
    std::string out_;
    std::string err_;
    std::optional<mult::ExitStatus> status_;
};

struct RunResult {
    mult::ExitStatus status;
    std::string out;
    std::string err;
    bool finished = false;  // false: deadline reached, the program was killed
};

// Spawns, waits for exit and EOF on both pipes.
RunResult run(SpawnOptions options);
RunResult run(std::vector<std::string> argv);

// "k=v" lines (or space-separated "k=v" words) into a map-like lookup.
std::optional<std::string> field(const std::string& text, const std::string& key);
std::vector<std::string> lines(const std::string& text);
std::vector<std::string> words(const std::string& text);

// kernel.mult.nr_instances, or -1 if unreadable.
int nr_instances();
// Waits until nr_instances() <= `at_most`; returns the last value read.
int wait_nr_instances(int at_most, std::chrono::steady_clock::duration timeout = kDeadline);

// Writes a sysctl (path under /proc/sys) and restores the old value when
// destroyed. ok() says whether the write worked.
class SysctlOverride {
public:
    SysctlOverride(std::string path, const std::string& value);
    ~SysctlOverride();
    SysctlOverride(const SysctlOverride&) = delete;
    SysctlOverride& operator=(const SysctlOverride&) = delete;
    [[nodiscard]] bool ok() const noexcept { return ok_; }
    [[nodiscard]] const std::string& old_value() const noexcept { return old_; }

private:
    std::string path_;
    std::string old_;
    bool ok_ = false;
};

// Privilege drops for SpawnOptions::before_exec (and forked children):
// 0 on success, an errno value otherwise.
// uid/gid 65534 (nobody), no supplementary groups: no capabilities left.
int become_nobody() noexcept;
// Still uid 0, but CAP_SYS_ADMIN gone from the bounding, effective,
// permitted, inheritable and ambient sets, so execve cannot bring it back.
int drop_cap_sys_admin() noexcept;

// Every test that creates instances derives from this: SetUp checks that the
// kernel has mult and records kernel.mult.nr_instances; TearDown waits
// (generously: ids are freed from a workqueue once nothing refers to them)
// until the count is back, so a test that leaks an instance fails.
class InstanceTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;
    [[nodiscard]] int baseline() const noexcept { return baseline_; }

private:
    int baseline_ = -1;
};

// The management module (kernel/module, mult_mgmt.ko), loaded the way
// tests/kselftest/mult/netlink_test.c loads it: finit_module() on
// /lib/modules/mult_mgmt.ko, EEXIST meaning "already loaded".
struct ManagementModule {
    static constexpr const char* kName = "mult_mgmt";
    static std::string ko_path();  // /lib/modules/mult_mgmt.ko or $MULT_MGMT_KO
    static bool loaded();          // /sys/module/mult_mgmt exists
    // 0, or an errno. `loaded_by_us` is true only if this call loaded it.
    static int load(bool& loaded_by_us);
    // delete_module(O_NONBLOCK), retried while the module is busy. 0 or errno.
    static int unload();
};

// Fixture for tests that need the management module (instctl, netlink).
// The suite loads it if it is not loaded and unloads it afterwards only if
// the suite loaded it: a module someone else loaded stays. A test is skipped
// (with the reason) only when the .ko is missing; any other load failure
// fails it.
class ManagementModuleTest : public InstanceTest {
public:
    static void SetUpTestSuite();
    static void TearDownTestSuite();

protected:
    void SetUp() override;

private:
    static inline bool loaded_by_us_ = false;
    static inline int load_error_ = 0;
    static inline bool ko_missing_ = false;
};

}  // namespace mult_guest
