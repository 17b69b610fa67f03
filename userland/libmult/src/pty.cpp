// SPDX-License-Identifier: GPL-2.0-only
//
// The pty of instctl exec -t and instfork -t: opening it, raw mode, the
// relay (see pty.hpp).
#include "mult/pty.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace mult {
namespace {

// `fd` moved to a number of 3 or more (close-on-exec), or left alone.
Result<UniqueFd> above_stdio(UniqueFd fd)
{
    if (fd.get() > 2)
        return fd;
    const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0)
        return errno_error("moving the pseudo-terminal above stdio");
    return UniqueFd(moved);
}

using Clock = std::chrono::steady_clock;

}  // namespace

std::optional<std::string> tty_problem(bool stdin_is_terminal)
{
    if (stdin_is_terminal)
        return std::nullopt;
    return "-t needs a terminal on stdin, and stdin is not one (without -t the command gets "
           "stdin, stdout and stderr as they are)";
}

Result<PtyPair> open_pty()
{
    UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master)
        return errno_error("opening a pseudo-terminal (posix_openpt)");
    if (::grantpt(master.get()) != 0)
        return errno_error("grantpt");
    if (::unlockpt(master.get()) != 0)
        return errno_error("unlockpt");
    UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) {
        if (errno != EINVAL && errno != ENOTTY)
            return errno_error("opening the pseudo-terminal's slave (TIOCGPTPEER)");
        char name[PATH_MAX];
        if (const int err = ::ptsname_r(master.get(), name, sizeof name); err != 0)
            return make_error(err, "ptsname");
        slave.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
        if (!slave) {
            const int err = errno;
            return make_error(err, std::string("opening ") + name);
        }
    }
    auto m = above_stdio(std::move(master));
    if (!m)
        return std::unexpected(m.error());
    auto s = above_stdio(std::move(slave));
    if (!s)
        return std::unexpected(s.error());
    return PtyPair{std::move(*m), std::move(*s)};
}

Result<void> copy_window_size(int from, int to)
{
    winsize size{};
    if (::ioctl(from, TIOCGWINSZ, &size) != 0)
        return errno_error("reading the terminal's window size (TIOCGWINSZ)");
    if (::ioctl(to, TIOCSWINSZ, &size) != 0)
        return errno_error("setting the pseudo-terminal's window size (TIOCSWINSZ)");
    return {};
}

Result<RawMode> RawMode::enter(int fd)
{
    termios saved{};
    if (::tcgetattr(fd, &saved) != 0)
        return errno_error("reading the terminal's attributes (tcgetattr)");
    termios raw = saved;
    ::cfmakeraw(&raw);
    int rc;
    while ((rc = ::tcsetattr(fd, TCSADRAIN, &raw)) != 0 && errno == EINTR) {
    }
    if (rc != 0)
        return errno_error("putting the terminal in raw mode (tcsetattr)");
    return RawMode(fd, saved);
}

RawMode::RawMode(RawMode&& other) noexcept : fd_(std::exchange(other.fd_, -1)), saved_(other.saved_)
{
}

void RawMode::restore() noexcept
{
    if (fd_ < 0)
        return;
    const int saved_errno = errno;
    while (::tcsetattr(fd_, TCSADRAIN, &saved_) != 0 && errno == EINTR) {
    }
    fd_ = -1;
    errno = saved_errno;
}

PtyRelay::PtyRelay(int in, int out, int master) noexcept : in_(in), out_(out), master_(master)
{
    const int flags = ::fcntl(master_, F_GETFL);
    if (flags >= 0)
        (void)::fcntl(master_, F_SETFL, flags | O_NONBLOCK);
}

pollfd PtyRelay::poll_in() const noexcept
{
    // Nothing is read from `in` while the master has not taken the last
    // bytes: the buffer is the only place they could wait.
    const bool want = in_open_ && master_open_ && pending_begin_ == pending_end_;
    return pollfd{want ? in_ : -1, POLLIN, 0};
}

pollfd PtyRelay::poll_master() const noexcept
{
    if (!master_open_)
        return pollfd{-1, 0, 0};
    short events = POLLIN;
    if (pending_begin_ != pending_end_)
        events |= POLLOUT;
    return pollfd{master_, events, 0};
}

void PtyRelay::write_out(const char* data, std::size_t size) noexcept
{
    while (out_open_ && size > 0) {
        const ssize_t n = ::write(out_, data, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                // `out` was non-blocking after all (another process's
                // doing): wait until it takes more.
                pollfd p{out_, POLLOUT, 0};
                (void)::poll(&p, 1, 1000);
                continue;
            }
            out_open_ = false;  // EIO, EPIPE...: the output has nowhere to go
            return;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

bool PtyRelay::read_master() noexcept
{
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(master_, buf, sizeof buf);
        if (n > 0) {
            write_out(buf, static_cast<std::size_t>(n));
            return true;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return false;
        // EIO: every fd of the slave is closed. 0 does not happen on a
        // master, but means the same.
        master_open_ = false;
        return false;
    }
}

void PtyRelay::flush_to_master() noexcept
{
    while (pending_begin_ != pending_end_) {
        const ssize_t n =
            ::write(master_, to_master_.data() + pending_begin_, pending_end_ - pending_begin_);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                master_open_ = false;
            return;
        }
        pending_begin_ += static_cast<std::size_t>(n);
    }
    pending_begin_ = pending_end_ = 0;
}

void PtyRelay::on_ready(const pollfd& in, const pollfd& master) noexcept
{
    if (master.fd >= 0 && (master.revents & (POLLIN | POLLHUP | POLLERR)))
        (void)read_master();
    if (master.fd >= 0 && master_open_ && (master.revents & POLLOUT))
        flush_to_master();
    if (in.fd >= 0 && (in.revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n;
        while ((n = ::read(in_, to_master_.data(), to_master_.size())) < 0 && errno == EINTR) {
        }
        if (n <= 0) {
            // EOF or EIO: the caller's terminal hung up. The command goes
            // on (the tool relays SIGHUP when it gets one).
            in_open_ = false;
            return;
        }
        pending_begin_ = 0;
        pending_end_ = static_cast<std::size_t>(n);
        flush_to_master();
    }
}

void PtyRelay::drain(std::chrono::milliseconds quiet, std::chrono::milliseconds limit) noexcept
{
    const auto deadline = Clock::now() + limit;
    while (master_open_) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - Clock::now());
        if (left.count() <= 0)
            return;
        pollfd p{master_, POLLIN, 0};
        const int rc = ::poll(&p, 1, static_cast<int>(std::min(left, quiet).count()));
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return;  // quiet (or poll failed): what the command wrote is out
        while (read_master()) {
        }
    }
}

PtySession::PtySession(int in, int out, PtyPair pty) noexcept
    : in_(in), out_(out), pty_(std::move(pty)), relay_(in, out, pty_.master.get())
{
}

PtySession::PtySession(PtySession&& other) noexcept
    : in_(other.in_),
      out_(other.out_),
      pty_(std::move(other.pty_)),
      relay_(other.relay_),
      raw_(std::move(other.raw_)),
      sigpipe_blocked_(std::exchange(other.sigpipe_blocked_, false))
{
    other.raw_.reset();
}

Result<PtySession> PtySession::open(int in, int out)
{
    if (::isatty(in) == 0)
        return errno_error("the standard input is not a terminal");
    auto pty = open_pty();
    if (!pty)
        return std::unexpected(pty.error());
    if (auto r = copy_window_size(in, pty->master.get()); !r)
        return std::unexpected(r.error());
    return PtySession(in, out, std::move(*pty));
}

Result<void> PtySession::start()
{
    // The command holds its own copies; with ours closed, the master reads
    // EIO once the command's side is gone.
    pty_.slave.reset();
    if (!sigpipe_blocked_) {
        sigset_t pipe;
        sigset_t before;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        // Blocked already (by the caller's caller): left as it is.
        if (::sigprocmask(SIG_BLOCK, &pipe, &before) == 0 && sigismember(&before, SIGPIPE) == 0)
            sigpipe_blocked_ = true;
    }
    auto raw = RawMode::enter(in_);
    if (!raw)
        return std::unexpected(raw.error());
    raw_.emplace(std::move(*raw));
    return {};
}

void PtySession::resize() noexcept
{
    (void)copy_window_size(in_, pty_.master.get());
}

void PtySession::drain() noexcept
{
    // The command's last output is normally in the pty already; 200 ms of
    // quiet or 2 s in all bound the wait for what it left running.
    relay_.drain(std::chrono::milliseconds(200), std::chrono::milliseconds(2000));
}

void PtySession::finish() noexcept
{
    if (raw_) {
        raw_->restore();
        raw_.reset();
    }
    if (sigpipe_blocked_) {
        const int saved_errno = errno;
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        const timespec now{0, 0};
        while (::sigtimedwait(&pipe, nullptr, &now) == SIGPIPE) {
        }
        ::sigprocmask(SIG_UNBLOCK, &pipe, nullptr);
        sigpipe_blocked_ = false;
        errno = saved_errno;
    }
}

}  // namespace mult
