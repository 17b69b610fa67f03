// SPDX-License-Identifier: GPL-2.0-only
//
// instfork --pids-max: a cgroup v2 pids cgroup of the instance's own. Linux
// already counts and limits processes per cgroup; an instance started in a
// cgroup of its own with clone3(CLONE_INTO_CGROUP) has its first process
// counted there from its first instruction (no window in which a fork bomb
// runs unlimited), and every descendant inherits the cgroup.
#pragma once

#include <string>

#include "mult/error.hpp"
#include "mult/unique_fd.hpp"

namespace instfork {

class PidsCgroup {
public:
    // Creates <the caller's cgroup>/instfork-<pid> under `mount` (the
    // cgroup v2 mount), with pids.max = `pids_max`, enabling the pids
    // controller in the parent's cgroup.subtree_control if needed. Fails
    // with a message naming what is missing: no cgroup v2 mount, no pids
    // controller, a parent that cannot delegate it.
    [[nodiscard]] static mult::Result<PidsCgroup> create(long pids_max,
                                                         const std::string& mount = "/sys/fs/cgroup");

    PidsCgroup(PidsCgroup&&) noexcept = default;
    PidsCgroup& operator=(PidsCgroup&&) noexcept = default;
    ~PidsCgroup();

    // O_DIRECTORY fd for clone_args.cgroup.
    [[nodiscard]] int fd() const noexcept { return dir_.get(); }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

    // Waits up to `timeout_ms` for the cgroup to empty (the members of an
    // ended instance are killed by the kernel but may still be exiting),
    // then removes it. Called once the first process has been reaped.
    [[nodiscard]] mult::Result<void> remove(int timeout_ms = 30000);

private:
    PidsCgroup(std::string path, mult::UniqueFd dir) : path_(std::move(path)), dir_(std::move(dir)) {}

    std::string path_;
    mult::UniqueFd dir_;
};

}  // namespace instfork
