// SPDX-License-Identifier: GPL-2.0-only
//
// Helpers shared by the host tests.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

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

}  // namespace mult_test
