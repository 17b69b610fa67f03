// SPDX-License-Identifier: GPL-2.0-only
//
// instfork --pids-max: the instance's own pids cgroup (cgroup v2).
#include "cgroup.hpp"

#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <thread>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

namespace instfork {
namespace {

// The words of a one-line cgroup interface file ("cpu io memory pids").
bool has_word(const std::string& file, const std::string& word)
{
    std::ifstream in(file);
    std::string w;
    while (in >> w)
        if (w == word)
            return true;
    return false;
}

std::string read_all(const std::string& file)
{
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Writes the whole of `text` with one write(): cgroup interface files take
// one value per write and report a bad one as the write's errno.
int write_file(const std::string& file, const std::string& text)
{
    const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int err = 0;
    if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        err = errno ? errno : EIO;
    ::close(fd);
    return err;
}

// The caller's cgroup v2 path ("/a/b"), from the "0::" line of /proc/self/cgroup.
mult::Result<std::string> own_cgroup()
{
    std::ifstream in("/proc/self/cgroup");
    if (!in)
        return mult::make_error(errno ? errno : ENOENT, "--pids-max: reading /proc/self/cgroup");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("0::", 0) == 0)
            return line.substr(3);
    return mult::make_error(ENOENT, "--pids-max: /proc/self/cgroup has no cgroup v2 entry "
                                    "(a cgroup v1 only system?)");
}

}  // namespace

mult::Result<PidsCgroup> PidsCgroup::create(long pids_max, const std::string& mount)
{
    struct statfs fs{};
    if (::statfs(mount.c_str(), &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC)
        return mult::make_error(ENOTSUP, "--pids-max: no cgroup v2 hierarchy at " + mount +
                                             " (mount it with 'mount -t cgroup2 none " + mount + "')");
    auto own = own_cgroup();
    if (!own)
        return std::unexpected(own.error());
    std::string parent = mount + (*own == "/" ? std::string() : *own);
    if (!has_word(parent + "/cgroup.controllers", "pids"))
        return mult::make_error(ENOTSUP, "--pids-max: the pids controller is not available in " +
                                             parent + " (cgroup.controllers: '" +
                                             read_all(parent + "/cgroup.controllers") +
                                             "'; a kernel without CONFIG_CGROUP_PIDS, or a parent "
                                             "that does not delegate it)");
    // A cgroup other than the root that has processes of its own cannot
    // enable a controller for its children (the "no internal processes"
    // rule): the write fails with EBUSY, which the message explains.
    if (!has_word(parent + "/cgroup.subtree_control", "pids")) {
        if (const int err = write_file(parent + "/cgroup.subtree_control", "+pids"); err != 0)
            return mult::make_error(err, "--pids-max: enabling the pids controller in " + parent +
                                             "/cgroup.subtree_control" +
                                             (err == EBUSY ? " (that cgroup has processes of its own: "
                                                             "run instfork from a leaf cgroup whose "
                                                             "parent delegates pids)"
                                                           : ""));
    }
    const std::string path = parent + "/instfork-" + std::to_string(::getpid());
    if (::mkdir(path.c_str(), 0755) != 0) {
        const int err = errno;
        return mult::make_error(err, "--pids-max: creating the cgroup " + path);
    }
    if (const int err = write_file(path + "/pids.max", std::to_string(pids_max)); err != 0) {
        ::rmdir(path.c_str());
        return mult::make_error(err, "--pids-max: writing " + path + "/pids.max");
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        ::rmdir(path.c_str());
        return mult::make_error(err, "--pids-max: opening the cgroup " + path);
    }
    return PidsCgroup(path, mult::UniqueFd(fd));
}

PidsCgroup::~PidsCgroup()
{
    // A cgroup that remove() did not take away (a failure before the
    // child ran, a moved-from object has no path): try once, quietly.
    if (!path_.empty() && dir_.valid())
        ::rmdir(path_.c_str());
}

mult::Result<void> PidsCgroup::remove(int timeout_ms)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    // rmdir() is EBUSY while the cgroup has members; "populated 0" in
    // cgroup.events says it has none (killed members count until reaped).
    for (;;) {
        if (::rmdir(path_.c_str()) == 0 || errno == ENOENT) {
            dir_.reset();
            return {};
        }
        const int err = errno;
        if (err != EBUSY || std::chrono::steady_clock::now() >= deadline) {
            dir_.reset();
            return mult::make_error(err, "removing the cgroup " + path_ +
                                             (err == EBUSY ? " (still populated after " +
                                                                 std::to_string(timeout_ms / 1000) +
                                                                 " s)"
                                                           : ""));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace instfork
