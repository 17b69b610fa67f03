// SPDX-License-Identifier: GPL-2.0-only
//
// Helpers shared by the host tests.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mult/capabilities.hpp"
#include "mult/instfork.hpp"
#include "mult/pidfd.hpp"

namespace mult_test {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

// Writes `text` to `file`, creating it.
void write_file(const std::filesystem::path& file, const std::string& text);

// Result of running a program to completion.
struct ProcessResult {
    mult::ExitStatus status;
    std::string out;
    std::string err;
};

// Runs argv[0] (execv, no PATH search) with stdin from /dev/null, capturing
// stdout and stderr.
ProcessResult run_process(const std::vector<std::string>& argv);

// Runs `body` in a fork()ed child whose exit status is body's return value;
// anything the child writes to `report_fd` (passed to body) is returned as
// `out`. Lets a test do destructive things (close all fds) in a throwaway
// process.
struct ForkResult {
    mult::ExitStatus status;
    std::string out;
};
ForkResult run_in_child(const std::function<int(int report_fd)>& body);

// Reads until EOF.
std::string read_all(int fd);

// A plain fork() shaped like mult::instfork(): a stand-in spawner for the
// Launch and exec tests, which are about holding and releasing a child,
// not about instances.
mult::Result<mult::Child> fork_child();

// Capabilities, for the tests of their drop.
//
// The set `field` ("CapBnd", "CapEff", ...) of /proc/self/status in `status`
// (the file's text), or nullopt when it is missing.
std::optional<mult::caps::Set> capability_field(const std::string& status, const std::string& field);
// Dropping from the bounding set needs CAP_SETPCAP, which a test run by a
// user lacks. In a forked child: CAP_SETPCAP made effective if it is
// permitted, else a new user namespace in which the child is root (uid and
// gid mapped to its own) with every capability, the bounding set included.
// False if that failed (user namespaces disabled).
bool gain_cap_setpcap() noexcept;
// The bounding set of a child after gain_cap_setpcap(): this process's, or
// in a new user namespace every capability up to the kernel's cap_last_cap.
mult::caps::Set bounding_set_with_setpcap();
// In a forked child: CAP_SETPCAP out of the effective set (still permitted).
bool lose_cap_setpcap() noexcept;

}  // namespace mult_test
