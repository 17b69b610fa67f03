// SPDX-License-Identifier: GPL-2.0-only
#include "test_util.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <sstream>
#include <stdexcept>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mult/fd.hpp"

namespace mult_test {

TempDir::TempDir()
{
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                       "/mult-test-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr)
        throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir()
{
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

void write_file(const std::filesystem::path& file, const std::string& text)
{
    std::ofstream out(file);
    out << text;
    if (!out)
        throw std::runtime_error("cannot write " + file.string());
}

std::string read_all(int fd)
{
    std::string text;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    return text;
}

static mult::ExitStatus wait_for(pid_t pid)
{
    int wstatus = 0;
    while (::waitpid(pid, &wstatus, 0) < 0) {
        if (errno != EINTR)
            throw std::runtime_error("waitpid failed");
    }
    return mult::ExitStatus::from_wait_status(wstatus);
}

ProcessResult run_process(const std::vector<std::string>& argv)
{
    auto out = mult::make_pipe();
    auto err = mult::make_pipe();
    if (!out || !err)
        throw std::runtime_error("pipe2 failed");

    std::vector<char*> cargv;
    for (const std::string& a : argv)
        cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);

    const pid_t pid = ::fork();
    if (pid < 0)
        throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out->write.get(), 1) < 0 ||
            ::dup2(err->write.get(), 2) < 0)
            ::_exit(120);
        ::execv(cargv[0], cargv.data());
        ::_exit(121);
    }
    out->write.reset();
    err->write.reset();

    // Read both pipes together so a chatty child cannot block on a full one.
    ProcessResult result;
    pollfd fds[2] = {{out->read.get(), POLLIN, 0}, {err->read.get(), POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_fds = 2;
    while (open_fds > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            throw std::runtime_error("poll failed");
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0)
                continue;
            char buf[4096];
            const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    result.status = wait_for(pid);
    return result;
}

ForkResult run_in_child(const std::function<int(int report_fd)>& body)
{
    auto report = mult::make_pipe();
    if (!report)
        throw std::runtime_error("pipe2 failed");
    const pid_t pid = ::fork();
    if (pid < 0)
        throw std::runtime_error("fork failed");
    if (pid == 0) {
        report->read.reset();
        int code = 99;
        try {
            code = body(report->write.get());
        } catch (...) {
            code = 98;
        }
        ::_exit(code);
    }
    report->write.reset();
    ForkResult result;
    result.out = read_all(report->read.get());
    result.status = wait_for(pid);
    return result;
}

mult::Result<mult::Child> fork_child()
{
    const pid_t pid = ::fork();
    if (pid < 0)
        return mult::errno_error("fork");
    if (pid == 0)
        return mult::Child{};
    auto pidfd = mult::pidfd_open(pid);
    if (!pidfd)
        return std::unexpected(pidfd.error());
    return mult::Child{pid, std::move(*pidfd)};
}

std::optional<mult::caps::Set> capability_field(const std::string& status, const std::string& field)
{
    std::istringstream in(status);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(field + ":", 0) != 0)
            continue;
        try {
            return std::stoull(line.substr(field.size() + 1), nullptr, 16);
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

namespace {

mult::caps::Set own_capabilities(const std::string& field)
{
    std::ifstream in("/proc/self/status");
    std::ostringstream text;
    text << in.rdbuf();
    const auto set = capability_field(text.str(), field);
    if (!set)
        throw std::runtime_error("no " + field + " in /proc/self/status");
    return *set;
}

bool write_text(const char* path, const std::string& text) noexcept
{
    const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    return ok;
}

// capget/capset on the effective set: CAP_SETPCAP on or off.
bool set_effective_setpcap(bool on) noexcept
{
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (::syscall(SYS_capget, &header, data) != 0)
        return false;
    if (on)
        data[0].effective |= CAP_TO_MASK(CAP_SETPCAP);
    else
        data[0].effective &= ~CAP_TO_MASK(CAP_SETPCAP);
    return ::syscall(SYS_capset, &header, data) == 0;
}

}  // namespace

bool gain_cap_setpcap() noexcept
{
    if (set_effective_setpcap(true))
        return true;  // permitted already: root, or given the capability
    const uid_t uid = ::geteuid();
    const gid_t gid = ::getegid();
    // Unmapped, the namespace's root would be nobody, whose execve() loses
    // every capability; mapped to our own ids it keeps them across it.
    return ::unshare(CLONE_NEWUSER) == 0 && write_text("/proc/self/setgroups", "deny") &&
           write_text("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") &&
           write_text("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
}

mult::caps::Set bounding_set_with_setpcap()
{
    if ((own_capabilities("CapPrm") & mult::caps::bit(CAP_SETPCAP)) != 0)
        return own_capabilities("CapBnd");
    std::ifstream in("/proc/sys/kernel/cap_last_cap");
    int last = -1;
    if (!(in >> last) || last < 0 || last >= mult::caps::kSlots - 1)
        throw std::runtime_error("cannot read /proc/sys/kernel/cap_last_cap");
    return mult::caps::bit(last + 1) - 1;
}

bool lose_cap_setpcap() noexcept
{
    return set_effective_setpcap(false);
}

}  // namespace mult_test
