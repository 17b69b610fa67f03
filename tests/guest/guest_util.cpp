// SPDX-License-Identifier: GPL-2.0-only
#include "guest_util.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <poll.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "mult/capabilities.hpp"
#include "mult/fd.hpp"
#include "mult/kernel.hpp"

namespace mult {

void PrintTo(const ExitStatus& status, std::ostream* os)
{
    *os << status.describe();
}

}  // namespace mult

namespace mult_guest {
namespace {

using Clock = std::chrono::steady_clock;

std::string g_self_path;

std::vector<char*> c_strings(const std::vector<std::string>& strings)
{
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (const std::string& s : strings)
        out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

int ms_until(Clock::time_point deadline)
{
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count()) + 1;
}

std::string env_or(const char* name, const std::string& fallback)
{
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

}  // namespace

std::string tool_path(const std::string& name)
{
    return env_or("MULT_BINDIR", "/usr/bin") + "/" + name;
}

void set_self_path(std::string path)
{
    g_self_path = std::move(path);
}

const std::string& self_path()
{
    return g_self_path;
}

std::vector<std::string> helper_argv(const std::vector<std::string>& mode_and_args)
{
    std::vector<std::string> argv{self_path(), "--helper"};
    argv.insert(argv.end(), mode_and_args.begin(), mode_and_args.end());
    return argv;
}

std::vector<std::string> instfork_helper(const std::vector<std::string>& options,
                                         const std::vector<std::string>& mode_and_args)
{
    std::vector<std::string> argv{instfork_path()};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.emplace_back("--");
    const auto helper = helper_argv(mode_and_args);
    argv.insert(argv.end(), helper.begin(), helper.end());
    return argv;
}

// Process

Process::Process(SpawnOptions options)
{
    auto in = mult::make_pipe();
    auto out = mult::make_pipe();
    auto err = mult::make_pipe();
    if (!in || !out || !err)
        throw std::runtime_error("pipe2 failed");
    const auto argv = c_strings(options.argv);
    const auto envp = c_strings(options.env);

    pid_ = ::fork();
    if (pid_ < 0)
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) {
        // The program starts with default signal handling and nothing
        // blocked, whatever the test runner inherited.
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        for (int sig = 1; sig < NSIG; ++sig)
            if (sig != SIGKILL && sig != SIGSTOP)
                ::signal(sig, SIG_DFL);
        if (::dup2(in->read.get(), 0) < 0 || ::dup2(out->write.get(), 1) < 0 ||
            ::dup2(err->write.get(), 2) < 0)
            ::_exit(120);
        // Stage the extra fds above every target first, so a source that is
        // also a target is not overwritten before it is used.
        std::vector<std::pair<int, int>> staged;
        for (const auto& [target, source] : options.fds) {
            const int high = ::fcntl(source, F_DUPFD_CLOEXEC, 200);
            if (high < 0)
                ::_exit(121);
            staged.emplace_back(target, high);
        }
        for (const auto& [target, high] : staged)
            if (::dup2(high, target) < 0)  // the new fd is not close-on-exec
                ::_exit(122);
        if (options.before_exec)
            if (const int code = options.before_exec(); code != 0)
                ::_exit(code);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(123);
    }
    in->read.reset();
    out->write.reset();
    err->write.reset();
    out_fd_ = std::move(out->read);
    err_fd_ = std::move(err->read);
    // The process is our child: pidfd_open cannot race with its reaping.
    auto pidfd = mult::pidfd_open(pid_);
    if (!pidfd) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        throw std::runtime_error(pidfd.error().message());
    }
    pidfd_ = std::move(*pidfd);
    // Small inputs only: they fit in the pipe, so this cannot block.
    const char* data = options.input.data();
    std::size_t left = options.input.size();
    while (left > 0) {
        const ssize_t n = ::write(in->write.get(), data, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        data += n;
        left -= static_cast<std::size_t>(n);
    }
}

Process::~Process()
{
    if (!status_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
}

bool Process::pump(const std::function<bool()>& done, Clock::duration timeout)
{
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (done())
            return true;
        pollfd fds[3] = {
            {out_fd_ ? out_fd_.get() : -1, POLLIN, 0},
            {err_fd_ ? err_fd_.get() : -1, POLLIN, 0},
            {status_ ? -1 : pidfd_.get(), POLLIN, 0},
        };
        if (fds[0].fd < 0 && fds[1].fd < 0 && fds[2].fd < 0)
            return false;  // nothing more can happen
        const int left = ms_until(deadline);
        if (left == 0)
            return false;
        const int n = ::poll(fds, 3, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        mult::UniqueFd* pipes[2] = {&out_fd_, &err_fd_};
        std::string* sinks[2] = {&out_, &err_};
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0)
                continue;
            char buf[4096];
            const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
            if (got > 0)
                sinks[i]->append(buf, static_cast<std::size_t>(got));
            else if (got == 0 || errno != EINTR)
                pipes[i]->reset();
        }
        if (fds[2].fd >= 0 && (fds[2].revents & POLLIN)) {
            int wstatus = 0;
            pid_t r;
            while ((r = ::waitpid(pid_, &wstatus, 0)) < 0 && errno == EINTR) {
            }
            if (r != pid_)
                throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
            status_ = mult::ExitStatus::from_wait_status(wstatus);
        }
    }
}

bool Process::wait_stdout(const std::string& text, Clock::duration timeout)
{
    return pump([&] { return out_.find(text) != std::string::npos; }, timeout);
}

bool Process::wait_stdout_until(const std::function<bool(const std::string&)>& pred,
                                Clock::duration timeout)
{
    return pump([&] { return pred(out_); }, timeout);
}

bool Process::wait(bool until_eof, Clock::duration timeout)
{
    return pump([&] { return status_ && (!until_eof || (!out_fd_ && !err_fd_)); }, timeout);
}

RunResult run(SpawnOptions options)
{
    Process p(std::move(options));
    RunResult r;
    r.finished = p.wait();
    r.status = p.status();
    r.out = p.out();
    r.err = p.err();
    return r;
}

RunResult run(std::vector<std::string> argv)
{
    SpawnOptions options;
    options.argv = std::move(argv);
    return run(std::move(options));
}

// Parsing helpers

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

std::vector<std::string> words(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string word; in >> word;)
        out.push_back(word);
    return out;
}

std::optional<std::string> field(const std::string& text, const std::string& key)
{
    for (const std::string& word : words(text))
        if (word.size() > key.size() && word.compare(0, key.size(), key) == 0 &&
            word[key.size()] == '=')
            return word.substr(key.size() + 1);
    return std::nullopt;
}

// Instances and sysctls

int nr_instances()
{
    std::ifstream in(std::string(mult::kMultSysctlDir) + "/nr_instances");
    int n = -1;
    if (!(in >> n))
        return -1;
    return n;
}

int wait_nr_instances(int at_most, Clock::duration timeout)
{
    const auto deadline = Clock::now() + timeout;
    int n = nr_instances();
    while (n > at_most && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        n = nr_instances();
    }
    return n;
}

SysctlOverride::SysctlOverride(std::string path, const std::string& value) : path_(std::move(path))
{
    std::ifstream in(path_);
    if (!std::getline(in, old_))
        return;
    std::ofstream out(path_);
    out << value << '\n' << std::flush;
    ok_ = static_cast<bool>(out);
}

SysctlOverride::~SysctlOverride()
{
    if (!ok_)
        return;
    std::ofstream out(path_);
    out << old_ << '\n' << std::flush;
    if (!out)
        ADD_FAILURE() << "cannot restore " << path_ << " to " << old_;
}

// Privileges

int become_nobody() noexcept
{
    constexpr uid_t kNobody = 65534;
    if (::setgroups(0, nullptr) != 0 || ::setresgid(kNobody, kNobody, kNobody) != 0 ||
        ::setresuid(kNobody, kNobody, kNobody) != 0)
        return errno;
    return 0;
}

int drop_cap_sys_admin() noexcept
{
    // The drop instfork makes in its child, for one capability.
    int failed_cap = -1;
    return mult::caps::async_safe::drop(mult::caps::bit(CAP_SYS_ADMIN), failed_cap);
}

// Fixtures

void InstanceTest::SetUp()
{
    ASSERT_EQ(mult::probe_instance_support(), mult::Support::supported)
        << mult::kMultSysctlDir << " is missing: these tests need the mult kernel";
    ASSERT_EQ(::geteuid(), 0U) << "the guest tests run as root";
    baseline_ = nr_instances();
    ASSERT_GE(baseline_, 0) << "cannot read kernel.mult.nr_instances";
}

void InstanceTest::TearDown()
{
    if (baseline_ < 0)
        return;
    const int now = wait_nr_instances(baseline_);
    EXPECT_LE(now, baseline_) << "kernel.mult.nr_instances did not come back to " << baseline_
                              << " within " << kDeadline.count() << " s: an instance was left behind";
}

std::string ManagementModule::ko_path()
{
    return env_or("MULT_MGMT_KO", "/lib/modules/mult_mgmt.ko");
}

bool ManagementModule::loaded()
{
    struct stat st{};
    return ::stat((std::string("/sys/module/") + kName).c_str(), &st) == 0;
}

int ManagementModule::load(bool& loaded_by_us)
{
    loaded_by_us = false;
    if (loaded())
        return 0;
    const mult::UniqueFd fd(::open(ko_path().c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return errno;
    if (::syscall(SYS_finit_module, fd.get(), "", 0) != 0)
        return errno == EEXIST ? 0 : errno;  // EEXIST: someone else was faster
    loaded_by_us = true;
    return 0;
}

int ManagementModule::unload()
{
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    for (;;) {
        if (::syscall(SYS_delete_module, kName, O_NONBLOCK) == 0)
            return 0;
        const int err = errno;
        if ((err != EAGAIN && err != EBUSY) || Clock::now() >= deadline)
            return err;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

void ManagementModuleTest::SetUpTestSuite()
{
    loaded_by_us_ = false;
    load_error_ = 0;
    ko_missing_ = false;
    if (ManagementModule::loaded())
        return;
    if (::access(ManagementModule::ko_path().c_str(), F_OK) != 0) {
        ko_missing_ = true;
        return;
    }
    load_error_ = ManagementModule::load(loaded_by_us_);
}

void ManagementModuleTest::TearDownTestSuite()
{
    if (!loaded_by_us_)
        return;  // not ours to unload
    loaded_by_us_ = false;
    if (const int err = ManagementModule::unload(); err != 0)
        ADD_FAILURE() << "cannot unload " << ManagementModule::kName
                      << " (loaded by this suite): " << std::strerror(err);
}

void ManagementModuleTest::SetUp()
{
    if (ko_missing_)
        GTEST_SKIP() << ManagementModule::ko_path()
                     << " is missing: this image carries no management module";
    ASSERT_EQ(load_error_, 0) << "cannot load " << ManagementModule::ko_path() << ": "
                              << std::strerror(load_error_);
    ASSERT_TRUE(ManagementModule::loaded()) << "/sys/module/" << ManagementModule::kName;
    InstanceTest::SetUp();
}

}  // namespace mult_guest
