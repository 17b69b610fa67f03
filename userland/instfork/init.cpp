// SPDX-License-Identifier: GPL-2.0-only
//
// instfork --init: the reaper (inside) and the supervisor's notification
// relay (outside). See init.hpp for why there are two.
#include "init.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mult/mgmt.hpp"
#include "mult/supervise.hpp"

namespace instfork {

namespace {

// The address of a notification socket as sd_notify() takes it: a path,
// or "@name" for the abstract namespace.
bool notify_address(const std::string& where, sockaddr_un& addr, socklen_t& len)
{
    if (where.empty() || where.size() >= sizeof addr.sun_path || (where[0] != '/' && where[0] != '@'))
        return false;
    addr = {};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, where.data(), where.size());
    if (where[0] == '@')
        addr.sun_path[0] = '\0';
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + where.size());
    return true;
}

// One datagram to the socket at `where` (sd_notify()'s protocol). The
// kernel adds our credentials when the receiver asks for them.
bool notify_send(const std::string& where, const std::string& message)
{
    sockaddr_un addr;
    socklen_t len = 0;
    if (!notify_address(where, addr, len))
        return false;
    mult::UniqueFd s(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!s)
        return false;
    return ::sendto(s.get(), message.data(), message.size(), MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&addr), len) ==
           static_cast<ssize_t>(message.size());
}

}  // namespace

std::string filter_notification(const std::string& message)
{
    // A member's pid means nothing to systemd (it cannot see the member),
    // and descriptors do not cross the instance's edge (R5: the kernel
    // drops them), so the messages that carry either are left out.
    static constexpr std::string_view kDropped[] = {"MAINPID=", "BARRIER=", "FDSTORE=",
                                                    "FDSTOREREMOVE=", "FDNAME=", "FDPOLL="};
    std::string out;
    std::istringstream in(message);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty())
            continue;
        if (std::ranges::any_of(kDropped, [&](std::string_view p) { return line.starts_with(p); }))
            continue;
        out += line;
        out += '\n';
    }
    return out;
}

// Receives the service's notifications on a socket of its own, in a thread
// of the supervisor, and sends them on to systemd's $NOTIFY_SOCKET: the
// supervisor is the unit's main process, which systemd accepts.
class NotifyRelay {
public:
    static mult::Result<std::unique_ptr<NotifyRelay>> start(const std::string& target)
    {
        std::unique_ptr<NotifyRelay> r(new NotifyRelay);
        r->target_ = target;
        // A private directory: the socket's name cannot be taken over by
        // another process between our bind and the command's start.
        std::string tmpl = (::access("/run", W_OK) == 0 ? "/run" : "/tmp") +
                           std::string("/instfork-notify.XXXXXX");
        if (::mkdtemp(tmpl.data()) == nullptr)
            return std::unexpected(mult::Error{errno, "--init: creating " + tmpl, {}});
        r->dir_ = tmpl;
        // The command may give up root before it notifies (sshd does not,
        // others do): the socket must be writable for it, as systemd's is.
        ::chmod(r->dir_.c_str(), 0755);
        r->path_ = r->dir_ + "/notify";
        sockaddr_un addr;
        socklen_t len = 0;
        if (!notify_address(r->path_, addr, len))
            return std::unexpected(mult::Error{ENAMETOOLONG, "--init: " + r->path_, {}});
        r->sock_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        if (!r->sock_ || ::bind(r->sock_.get(), reinterpret_cast<const sockaddr*>(&addr), len) != 0)
            return std::unexpected(mult::Error{errno, "--init: binding " + r->path_, {}});
        ::chmod(r->path_.c_str(), 0666);
        r->stop_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!r->stop_)
            return std::unexpected(mult::Error{errno, "--init: eventfd", {}});
        // The thread takes no signal: they are the supervisor's, read from
        // its signalfd. Blocked before the thread exists, so it is never
        // without the mask.
        sigset_t all, old;
        sigfillset(&all);
        ::pthread_sigmask(SIG_BLOCK, &all, &old);
        r->thread_ = std::thread([p = r.get()] { p->loop(); });
        ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
        return r;
    }

    ~NotifyRelay()
    {
        if (thread_.joinable()) {
            const std::uint64_t one = 1;
            (void)!::write(stop_.get(), &one, sizeof one);
            thread_.join();
        }
        if (!path_.empty())
            ::unlink(path_.c_str());
        if (!dir_.empty())
            ::rmdir(dir_.c_str());
    }

    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    NotifyRelay() = default;

    void loop()
    {
        std::vector<char> buf(64 * 1024);
        for (;;) {
            pollfd fds[2] = {{sock_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0 && errno != EINTR)
                return;
            // Drain what is queued first: a STOPPING=1 sent just before the
            // end still reaches systemd.
            for (;;) {
                const ssize_t n = ::recv(sock_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
                if (n < 0)
                    break;
                const std::string msg = filter_notification(std::string(buf.data(), static_cast<std::size_t>(n)));
                if (!msg.empty() && !notify_send(target_, msg))
                    std::cerr << "instfork: --init: relaying a notification to " << target_
                              << ": " << std::strerror(errno) << '\n' << std::flush;
            }
            if (fds[1].revents & POLLIN)
                return;
        }
    }

    std::string target_;
    std::string dir_;
    std::string path_;
    mult::UniqueFd sock_;
    mult::UniqueFd stop_;
    std::thread thread_;
};

InitSupervisor::InitSupervisor(InitSupervisor&&) noexcept = default;
InitSupervisor& InitSupervisor::operator=(InitSupervisor&&) noexcept = default;
InitSupervisor::~InitSupervisor() = default;

mult::Result<InitSupervisor> InitSupervisor::prepare(Config& config)
{
    InitSupervisor s;
    std::error_code ec;
    const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec)
        return std::unexpected(mult::Error{ec.value(), "--init: finding instfork's own executable", {}});

    std::vector<std::string> argv{self, kReaperArg};
    if (!config.detach) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0)
            return std::unexpected(mult::Error{errno, "--init: pipe", {}});
        // The read end goes to the reaper (a --pass-fd of ours: run()
        // checks that it is open, the child clears its close-on-exec).
        s.watch_write_.reset(p[1]);
        config.pass_fds.push_back(p[0]);
        std::ranges::sort(config.pass_fds);
        argv.push_back("--watch=" + std::to_string(p[0]));
    }
    if (config.forking)
        argv.emplace_back("--forking");
    argv.emplace_back("--");
    argv.insert(argv.end(), config.command.begin(), config.command.end());
    config.command = std::move(argv);

    if (const char* target = std::getenv("NOTIFY_SOCKET"); target != nullptr && *target != '\0') {
        if (config.detach)
            return std::unexpected(mult::Error{EINVAL, "--init --detach",
                                               "NOTIFY_SOCKET is set, and a detached instfork "
                                               "cannot relay notifications"});
        auto relay = NotifyRelay::start(target);
        if (!relay)
            return std::unexpected(relay.error());
        s.relay_ = std::move(*relay);
        config.env.push_back({"NOTIFY_SOCKET", s.relay_->path()});
    }
    return s;
}

void InitSupervisor::finish(const std::optional<std::string>& name)
{
    relay_.reset();
    if (!name)
        return;
    auto client = mult::mgmt::Client::connect();
    if (!client)
        return;
    // The reaper has exited, so the kernel is killing what was left (R7);
    // that takes a moment, and the name stays taken until the instance is
    // freed, which is after its last process (and the last reference to
    // it) has gone: wait for the name to be unknown, not for the count of
    // processes to reach 0.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
        auto inst = client->get(*name);
        if (!inst)
            return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

int reaper_main(int argc, char** argv)
{
    int watch = -1;
    bool forking = false;
    int i = 2;
    for (; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--") {
            ++i;
            break;
        }
        if (a.starts_with("--watch="))
            watch = std::atoi(argv[i] + 8);
        else if (a == "--forking")
            forking = true;
    }
    if (i >= argc) {
        std::cerr << "instfork: " << kReaperArg << " is instfork --init's own mode; use --init\n";
        return kExitUsage;
    }
    char** command = argv + i;

    // Every signal the supervisor forwards, and SIGCHLD, is read from a
    // signalfd; the command gets the mask instfork started with.
    static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
                                       SIGUSR2, SIGWINCH, SIGCHLD};
    mult::SignalFd signals(kSignals);
    if (auto r = signals.open(); !r) {
        std::cerr << "instfork: --init: " << r.error().message() << '\n';
        return kExitFailure;
    }
    if (watch >= 0)
        ::fcntl(watch, F_SETFD, FD_CLOEXEC);

    int exec_pipe[2];
    if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
        std::cerr << "instfork: --init: pipe: " << std::strerror(errno) << '\n';
        return kExitFailure;
    }
    const pid_t main_pid = ::fork();
    if (main_pid < 0) {
        std::cerr << "instfork: --init: fork: " << std::strerror(errno) << '\n';
        return kExitFailure;
    }
    if (main_pid == 0) {
        ::sigprocmask(SIG_SETMASK, &signals.saved_mask(), nullptr);
        ::execvp(command[0], command);
        const int e = errno;
        (void)!::write(exec_pipe[1], &e, sizeof e);
        ::_exit(e == ENOENT ? kExitNotFound : kExitCannotExec);
    }
    ::close(exec_pipe[1]);
    int exec_errno = 0;
    ssize_t got;
    while ((got = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
    }
    ::close(exec_pipe[0]);
    if (got == static_cast<ssize_t>(sizeof exec_errno)) {
        ::waitpid(main_pid, nullptr, 0);
        std::cerr << "instfork: " << command[0] << ": " << std::strerror(exec_errno) << '\n';
        return exec_errno == ENOENT ? kExitNotFound : kExitCannotExec;
    }

    const char* notify = std::getenv("NOTIFY_SOCKET");
    bool main_alive = true;
    int main_status = 0;
    for (;;) {
        pollfd fds[2] = {{signals.fd(), POLLIN, 0}, {watch, POLLIN, 0}};
        if (::poll(fds, watch >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return kExitFailure;
        }
        if (watch >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            // The supervisor is gone (killed at the end of a stop timeout,
            // say): the instance must not outlive it. Exiting makes the
            // kernel kill every member (R7).
            ::kill(-1, SIGKILL);
            return kExitFailure;
        }
        for (int sig; (sig = signals.next()) != 0;) {
            if (sig != SIGCHLD) {
                // Stop signals reach every member (kill(-1) inside an
                // instance reaches the instance only, never the reaper
                // itself); the others the command while it runs, and every
                // member once it has gone (a daemon that forked).
                const bool stop = sig == SIGTERM || sig == SIGINT || sig == SIGQUIT;
                if (stop || !main_alive)
                    ::kill(-1, sig);
                else
                    ::kill(main_pid, sig);
                continue;
            }
            for (;;) {
                int status = 0;
                const pid_t p = ::waitpid(-1, &status, WNOHANG);
                if (p == 0)
                    break;
                if (p < 0) {
                    if (errno == EINTR)
                        continue;
                    // No child left: every member this reaper could know is
                    // gone. The status is the command's.
                    if (WIFSIGNALED(main_status))
                        return 128 + WTERMSIG(main_status);
                    return WEXITSTATUS(main_status);
                }
                if (p == main_pid) {
                    main_alive = false;
                    main_status = status;
                    // A forking daemon's parent exits 0 once the daemon is
                    // ready: what Type=forking waits for.
                    if (forking && WIFEXITED(status) && WEXITSTATUS(status) == 0 && notify)
                        notify_send(notify, "READY=1\n");
                }
            }
        }
    }
}

}  // namespace instfork
