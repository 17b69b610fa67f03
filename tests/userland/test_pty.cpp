// SPDX-License-Identifier: GPL-2.0-only
//
// -t's pieces without the kernel: mult::open_pty, RawMode, PtyRelay and
// PtySession on pty pairs made here, and Launch::supervise with a
// PtySession and fork() in place of instfork(). A second pty pair plays
// the user's terminal: the test types into its master and reads what the
// "tool" (this process) shows there.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/ioctl.h>
#include <termios.h>
#include <thread>
#include <unistd.h>

#include "mult/fd.hpp"
#include "mult/pty.hpp"
#include "mult/supervise.hpp"
#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;

sigset_t empty_mask()
{
    sigset_t mask;
    sigemptyset(&mask);
    return mask;
}

const auto no_warning = [](const mult::Error& e) { ADD_FAILURE() << e.message(); };

bool same_termios(const termios& a, const termios& b)
{
    return a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_cflag == b.c_cflag &&
           a.c_lflag == b.c_lflag && std::memcmp(a.c_cc, b.c_cc, sizeof a.c_cc) == 0;
}

termios attributes(int fd)
{
    termios t{};
    EXPECT_EQ(::tcgetattr(fd, &t), 0) << std::strerror(errno);
    return t;
}

// Reads what arrives on `fd` until `want` is in it, EOF/EIO, or `timeout`.
std::string read_until(int fd, const std::string& want, std::chrono::milliseconds timeout)
{
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got.find(want) == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            break;
        char buf[1024];
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
}

// The user's terminal: the test holds the master (keyboard and screen),
// the "tool" gets the slave as its stdin and stdout.
struct UserTerminal {
    mult::PtyPair pty;
    UserTerminal()
    {
        auto p = mult::open_pty();
        EXPECT_TRUE(p.has_value()) << p.error().message();
        if (p)
            pty = std::move(*p);
        winsize size{};
        size.ws_row = 33;
        size.ws_col = 101;
        EXPECT_EQ(::ioctl(pty.master.get(), TIOCSWINSZ, &size), 0);
    }
    [[nodiscard]] int keyboard() const { return pty.master.get(); }
    [[nodiscard]] int tool_side() const { return pty.slave.get(); }
};

}  // namespace

TEST(Pty, OpensAPairAboveStdioCloseOnExec)
{
    auto pty = mult::open_pty();
    ASSERT_TRUE(pty.has_value()) << pty.error().message();
    for (const int fd : {pty->master.get(), pty->slave.get()}) {
        EXPECT_GT(fd, 2);
        EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
        EXPECT_EQ(::isatty(fd), 1);
    }
    // The slave is the master's: bytes written to one come out of the other.
    ASSERT_EQ(::write(pty->master.get(), "x\n", 2), 2);
    EXPECT_NE(read_until(pty->slave.get(), "x", 2s).find('x'), std::string::npos);
}

TEST(Pty, StaysAboveStdioWhenStdioIsClosed)
{
    // A tool started with 1 and 2 closed: the pty must not take those
    // numbers, or the child's dup2() over 0, 1 and 2 would close it.
    const auto r = mult_test::run_in_child([](int report) {
        if (report <= 2)
            return 3;
        ::close(1);
        ::close(2);
        auto pty = mult::open_pty();
        if (!pty)
            return 1;
        return pty->master.get() > 2 && pty->slave.get() > 2 ? 0 : 2;
    });
    EXPECT_EQ(r.status, mult::ExitStatus::exited(0));
}

TEST(Pty, SlaveDoesNotBecomeTheCallersControllingTerminal)
{
    // O_NOCTTY: a session leader without a terminal that opens the pty
    // must not take it, or a member could not take it later (the
    // controlling terminal of a session in another instance).
    const auto r = mult_test::run_in_child([](int) {
        if (::setsid() < 0)
            return 1;
        auto pty = mult::open_pty();
        if (!pty)
            return 2;
        const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
        return tty < 0 ? 0 : 3;  // ENXIO: no controlling terminal
    });
    EXPECT_EQ(r.status, mult::ExitStatus::exited(0));
}

TEST(Pty, CopiesTheWindowSize)
{
    UserTerminal user;
    auto pty = mult::open_pty();
    ASSERT_TRUE(pty.has_value());
    ASSERT_TRUE(mult::copy_window_size(user.tool_side(), pty->master.get()).has_value());
    winsize size{};
    ASSERT_EQ(::ioctl(pty->slave.get(), TIOCGWINSZ, &size), 0);
    EXPECT_EQ(size.ws_row, 33);
    EXPECT_EQ(size.ws_col, 101);

    auto pipe = mult::make_pipe();
    ASSERT_TRUE(pipe.has_value());
    const auto e = mult::copy_window_size(pipe->read.get(), pty->master.get());
    ASSERT_FALSE(e.has_value());
    EXPECT_EQ(e.error().code, ENOTTY);
}

TEST(RawMode, IsRawThenRestored)
{
    UserTerminal user;
    const termios before = attributes(user.tool_side());
    ASSERT_TRUE(before.c_lflag & ICANON);
    {
        auto raw = mult::RawMode::enter(user.tool_side());
        ASSERT_TRUE(raw.has_value()) << raw.error().message();
        EXPECT_TRUE(raw->active());
        EXPECT_TRUE(same_termios(raw->saved(), before));
        const termios now = attributes(user.tool_side());
        EXPECT_FALSE(now.c_lflag & (ICANON | ECHO | ISIG | IEXTEN));
        EXPECT_FALSE(now.c_iflag & (ICRNL | IXON));
        EXPECT_FALSE(now.c_oflag & OPOST);

        // Moved: restored once, by the new owner.
        mult::RawMode moved(std::move(*raw));
        EXPECT_FALSE(raw->active());
        EXPECT_FALSE(attributes(user.tool_side()).c_lflag & ICANON);
    }
    EXPECT_TRUE(same_termios(attributes(user.tool_side()), before));
}

TEST(RawMode, RefusesWhatIsNoTerminal)
{
    auto pipe = mult::make_pipe();
    ASSERT_TRUE(pipe.has_value());
    const auto raw = mult::RawMode::enter(pipe->read.get());
    ASSERT_FALSE(raw.has_value());
    EXPECT_EQ(raw.error().code, ENOTTY);
}

TEST(PtySession, RefusesStdinThatIsNoTerminal)
{
    auto pipe = mult::make_pipe();
    ASSERT_TRUE(pipe.has_value());
    const auto session = mult::PtySession::open(pipe->read.get(), pipe->write.get());
    ASSERT_FALSE(session.has_value());
    EXPECT_EQ(session.error().code, ENOTTY);
}

// A relay between two pipes (the tool's stdin and stdout) and a pty pair
// whose slave is raw, so that what arrives is what was sent (no echo, no
// CR added).
class PtyRelayTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto made_in = mult::make_pipe();
        auto made_out = mult::make_pipe();
        auto made_pty = mult::open_pty();
        ASSERT_TRUE(made_in && made_out && made_pty);
        in = std::move(*made_in);
        out = std::move(*made_out);
        pty = std::move(*made_pty);
        auto made_raw = mult::RawMode::enter(pty.slave.get());
        ASSERT_TRUE(made_raw.has_value());
        raw.emplace(std::move(*made_raw));
        made_relay.emplace(in.read.get(), out.write.get(), pty.master.get());
    }

    mult::Pipe in, out;
    mult::PtyPair pty;
    std::optional<mult::RawMode> raw;
    std::optional<mult::PtyRelay> made_relay;
};

TEST_F(PtyRelayTest, CopiesBothWaysAndSeesTheSlaveGo)
{
    auto& relay = *made_relay;
    EXPECT_TRUE(::fcntl(pty.master.get(), F_GETFL) & O_NONBLOCK);

    const auto round = [&relay] {
        pollfd fds[2] = {relay.poll_in(), relay.poll_master()};
        ASSERT_GE(::poll(fds, 2, 2000), 0);
        relay.on_ready(fds[0], fds[1]);
    };

    ASSERT_EQ(::write(in.write.get(), "typed\x03", 6), 6);
    round();
    EXPECT_EQ(read_until(pty.slave.get(), "\x03", 2s), "typed\x03");

    ASSERT_EQ(::write(pty.slave.get(), "shown", 5), 5);
    round();
    EXPECT_EQ(read_until(out.read.get(), "shown", 2s), "shown");

    // The last holder of the slave goes: the master reads EIO, the relay
    // stops polling it.
    raw->restore();
    pty.slave.reset();
    for (int i = 0; i < 10 && relay.master_open(); ++i)
        round();
    EXPECT_FALSE(relay.master_open());
    EXPECT_EQ(relay.poll_master().fd, -1);
    EXPECT_EQ(relay.poll_in().fd, -1);

    // stdin's end (EOF) stops reading it.
    auto pty2 = mult::open_pty();
    ASSERT_TRUE(pty2.has_value());
    mult::PtyRelay relay2(in.read.get(), out.write.get(), pty2->master.get());
    in.write.reset();
    pollfd fds[2] = {relay2.poll_in(), relay2.poll_master()};
    ASSERT_EQ(::poll(fds, 1, 2000), 1);
    relay2.on_ready(fds[0], pollfd{-1, 0, 0});
    EXPECT_FALSE(relay2.in_open());
    EXPECT_TRUE(relay2.master_open());
}

TEST_F(PtyRelayTest, DrainStopsWhenTheSlaveIsHeldButQuiet)
{
    auto& relay = *made_relay;
    ASSERT_EQ(::write(pty.slave.get(), "left", 4), 4);
    const auto start = std::chrono::steady_clock::now();
    relay.drain(100ms, 5000ms);  // the slave stays open: quiet ends it
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    EXPECT_TRUE(relay.master_open());
    out.write.reset();
    EXPECT_EQ(mult_test::read_all(out.read.get()), "left");
}

namespace {

// Runs `script` under /bin/sh on a PtySession of `user`'s tool side, with
// fork() in place of instfork(); `type` runs on a thread with the user's
// keyboard (the terminal's master) while the command runs, and returns
// what it read there. The SignalFd relays SIGWINCH as the tools do.
struct SessionRun {
    mult::Outcome outcome;
    std::string screen;
};

SessionRun run_on_pty(UserTerminal& user, const std::string& script,
                      const std::function<std::string(int keyboard)>& type)
{
    SessionRun result;
    auto session = mult::PtySession::open(user.tool_side(), user.tool_side());
    EXPECT_TRUE(session.has_value()) << session.error().message();
    if (!session)
        return result;
    mult::CommandSpec spec{{"/bin/sh", "-c", script}, {"PATH=/usr/bin:/bin"}, std::nullopt, {}};
    spec.terminal_fd = session->slave();
    mult::SignalFd relay(mult::kForwardedSignals);
    EXPECT_TRUE(relay.open().has_value());
    auto launch = mult::Launch::prepare(spec, empty_mask(), false);
    EXPECT_TRUE(launch.has_value());
    if (!launch)
        return result;
    EXPECT_TRUE(launch->start(mult_test::fork_child).has_value());
    EXPECT_TRUE(session->start().has_value());

    std::thread keyboard([&] { result.screen = type(user.keyboard()); });
    auto outcome = launch->supervise(&relay, false, no_warning, &*session);
    session->finish();
    keyboard.join();
    EXPECT_TRUE(outcome.has_value()) << outcome.error().message();
    if (outcome)
        result.outcome = *outcome;
    return result;
}

}  // namespace

TEST(PtySession, CtrlCReachesTheForegroundJobAndTheTerminalIsRestored)
{
    UserTerminal user;
    const termios before = attributes(user.tool_side());
    // The command has a terminal, its own (a session it leads); ^C typed on
    // the user's terminal becomes SIGINT for its foreground job, sleep
    // included, and the shell's trap ends it with 7.
    const auto run = run_on_pty(
        user,
        "test -t 0 && test -t 1 && test -t 2 && echo TTY-OK; "
        "set -- $(cat /proc/$$/stat); [ \"$6\" = $$ ] && echo LEADER; "
        "trap 'echo GOT-INT; exit 7' INT; echo READY; while :; do sleep 1; done",
        [](int keyboard) {
            std::string screen = read_until(keyboard, "READY", 10s);
            if (::write(keyboard, "\x03", 1) != 1)
                return screen + "[write failed]";
            return screen + read_until(keyboard, "GOT-INT", 10s);
        });
    EXPECT_FALSE(run.outcome.failure);
    EXPECT_EQ(run.outcome.status, mult::ExitStatus::exited(7)) << run.screen;
    EXPECT_NE(run.screen.find("TTY-OK"), std::string::npos) << run.screen;
    EXPECT_NE(run.screen.find("LEADER"), std::string::npos) << run.screen;
    EXPECT_NE(run.screen.find("GOT-INT"), std::string::npos) << run.screen;
    EXPECT_TRUE(same_termios(attributes(user.tool_side()), before));
}

TEST(PtySession, KilledBySigintIsStatus130)
{
    UserTerminal user;
    const auto run = run_on_pty(user, "echo READY; exec sleep 30", [](int keyboard) {
        std::string screen = read_until(keyboard, "READY", 10s);
        (void)!::write(keyboard, "\x03", 1);
        return screen;
    });
    EXPECT_EQ(run.outcome.status, mult::ExitStatus::killed(SIGINT)) << run.screen;
    EXPECT_EQ(run.outcome.exit_code(), 128 + SIGINT);
}

TEST(PtySession, InputReachesTheCommandAndAllOutputIsDrained)
{
    UserTerminal user;
    const auto run = run_on_pty(
        user,
        "read line; echo \"got $line\"; i=0; while [ $i -lt 3000 ]; do echo line$i; "
        "i=$((i+1)); done; echo END",
        [](int keyboard) {
            (void)!::write(keyboard, "hello\r", 6);
            return read_until(keyboard, "END", 20s);
        });
    EXPECT_EQ(run.outcome.status, mult::ExitStatus::exited(0));
    EXPECT_NE(run.screen.find("got hello"), std::string::npos) << run.screen.substr(0, 200);
    EXPECT_NE(run.screen.find("line2999"), std::string::npos);
    EXPECT_NE(run.screen.find("END"), std::string::npos);
}

TEST(PtySession, WindowSizeFollowsTheUsersTerminal)
{
    UserTerminal user;
    auto session = mult::PtySession::open(user.tool_side(), user.tool_side());
    ASSERT_TRUE(session.has_value());
    winsize size{};
    ASSERT_EQ(::ioctl(session->slave(), TIOCGWINSZ, &size), 0);
    EXPECT_EQ(size.ws_row, 33);  // the initial size
    EXPECT_EQ(size.ws_col, 101);
    winsize bigger{};
    bigger.ws_row = 50;
    bigger.ws_col = 160;
    ASSERT_EQ(::ioctl(user.keyboard(), TIOCSWINSZ, &bigger), 0);
    session->resize();
    ASSERT_EQ(::ioctl(session->slave(), TIOCGWINSZ, &size), 0);
    EXPECT_EQ(size.ws_row, 50);
    EXPECT_EQ(size.ws_col, 160);
}

TEST(PtySession, FinishRestoresTheTerminalAndSigpipe)
{
    UserTerminal user;
    const termios before = attributes(user.tool_side());
    sigset_t mask_before;
    ASSERT_EQ(::sigprocmask(SIG_BLOCK, nullptr, &mask_before), 0);
    ASSERT_FALSE(sigismember(&mask_before, SIGPIPE));
    {
        auto session = mult::PtySession::open(user.tool_side(), user.tool_side());
        ASSERT_TRUE(session.has_value());
        ASSERT_TRUE(session->start().has_value());
        EXPECT_FALSE(attributes(user.tool_side()).c_lflag & ICANON);
        sigset_t now;
        ASSERT_EQ(::sigprocmask(SIG_BLOCK, nullptr, &now), 0);
        EXPECT_TRUE(sigismember(&now, SIGPIPE));
        // A write to a closed pipe meanwhile must not kill the tool.
        auto pipe = mult::make_pipe();
        ASSERT_TRUE(pipe.has_value());
        pipe->read.reset();
        EXPECT_EQ(::write(pipe->write.get(), "x", 1), -1);
        EXPECT_EQ(errno, EPIPE);
        // The destructor does what finish() does: every way out restores.
    }
    EXPECT_TRUE(same_termios(attributes(user.tool_side()), before));
    sigset_t after;
    ASSERT_EQ(::sigprocmask(SIG_BLOCK, nullptr, &after), 0);
    EXPECT_FALSE(sigismember(&after, SIGPIPE));
    sigset_t pending;
    ASSERT_EQ(::sigpending(&pending), 0);
    EXPECT_FALSE(sigismember(&pending, SIGPIPE));
}
