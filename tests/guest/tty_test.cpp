// SPDX-License-Identifier: GPL-2.0-only
//
// In-guest tests of -t (instfork -t, instctl exec -t) against the real
// kernel: the command in the instance takes a new pty as its controlling
// terminal (allowed: nobody controls it yet), while the tool's own terminal
// stays the controlling terminal of the test's session (in the root
// instance), which no member may take (patch 15). The test plays the user:
// it holds the master of a pty whose slave is the tool's controlling
// terminal and stdio, types into it (^C, ^Z, command lines) and reads the
// screen.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "guest_util.hpp"
#include "mult/fd.hpp"
#include "mult/pidfd.hpp"
#include "mult/pty.hpp"

namespace mult_guest {
namespace {

using mult::ExitStatus;
using namespace std::chrono_literals;

// A tool started on a terminal of its own: a new session whose controlling
// terminal is the slave of `pty`, which is also its stdin, stdout, stderr.
class OnTerminal {
public:
    explicit OnTerminal(std::vector<std::string> argv)
    {
        auto pty = mult::open_pty();
        if (!pty) {
            ADD_FAILURE() << pty.error().message();
            return;
        }
        pty_ = std::move(*pty);
        winsize size{};
        size.ws_row = 24;
        size.ws_col = 80;
        (void)::ioctl(pty_.master.get(), TIOCSWINSZ, &size);
        before_ = attributes();
        std::vector<char*> args;
        for (std::string& a : argv)
            args.push_back(a.data());
        args.push_back(nullptr);
        std::vector<std::string> env_strings = kBaseEnv;
        env_strings.emplace_back("TERM=vt100");
        std::vector<char*> env;
        for (std::string& e : env_strings)
            env.push_back(e.data());
        env.push_back(nullptr);
        const int slave = pty_.slave.get();
        pid_ = ::fork();
        if (pid_ == 0) {
            if (::setsid() < 0 || ::ioctl(slave, TIOCSCTTY, 0) != 0)
                ::_exit(90);
            for (int fd = 0; fd <= 2; ++fd)
                if (::dup2(slave, fd) < 0)
                    ::_exit(91);
            ::execve(args[0], args.data(), env.data());
            ::_exit(92);
        }
        if (pid_ < 0)
            ADD_FAILURE() << "fork: " << std::strerror(errno);
    }
    ~OnTerminal()
    {
        if (pid_ > 0 && !status_) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
        }
    }
    OnTerminal(const OnTerminal&) = delete;
    OnTerminal& operator=(const OnTerminal&) = delete;

    // Types `keys` on the terminal.
    void type(const std::string& keys)
    {
        ASSERT_EQ(::write(pty_.master.get(), keys.data(), keys.size()),
                  static_cast<ssize_t>(keys.size()));
    }
    // Reads the screen until `text` shows up; false at the deadline or
    // when the terminal is gone.
    bool wait_screen(const std::string& text, std::chrono::milliseconds timeout = 60s)
    {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (screen_.find(text, seen_) == std::string::npos) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return false;
            pollfd p{pty_.master.get(), POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
                return false;
            char buf[1024];
            const ssize_t n = ::read(pty_.master.get(), buf, sizeof buf);
            if (n <= 0)
                return false;
            screen_.append(buf, static_cast<std::size_t>(n));
        }
        // The next wait looks past what this one found.
        seen_ = screen_.find(text, seen_) + text.size();
        return true;
    }
    // Waits for the tool to exit, reading the screen meanwhile.
    std::optional<ExitStatus> wait(std::chrono::milliseconds timeout = 60s)
    {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!status_ && std::chrono::steady_clock::now() < deadline) {
            int st = 0;
            const pid_t r = ::waitpid(pid_, &st, WNOHANG);
            if (r == pid_) {
                status_ = ExitStatus::from_wait_status(st);
                break;
            }
            pollfd p{pty_.master.get(), POLLIN, 0};
            if (::poll(&p, 1, 50) == 1) {
                char buf[1024];
                const ssize_t n = ::read(pty_.master.get(), buf, sizeof buf);
                if (n > 0)
                    screen_.append(buf, static_cast<std::size_t>(n));
            }
        }
        return status_;
    }
    [[nodiscard]] const std::string& screen() const noexcept { return screen_; }
    [[nodiscard]] termios attributes() const
    {
        termios t{};
        EXPECT_EQ(::tcgetattr(pty_.slave.get(), &t), 0);
        return t;
    }
    // The tool's terminal is as it was before the tool ran.
    [[nodiscard]] bool restored() const
    {
        const termios now = attributes();
        return now.c_iflag == before_.c_iflag && now.c_oflag == before_.c_oflag &&
               now.c_lflag == before_.c_lflag &&
               std::memcmp(now.c_cc, before_.c_cc, sizeof now.c_cc) == 0;
    }

private:
    mult::PtyPair pty_;
    termios before_{};
    pid_t pid_ = -1;
    std::optional<ExitStatus> status_;
    std::string screen_;
    std::size_t seen_ = 0;
};

// What the shell scripts below print once they are set up, spelled so that
// the echo of the command line does not contain it.
constexpr const char* kTrapScript =
    "trap 'echo GOT-INT; exit 7' INT; readlink /proc/$$/fd/0; echo RE''ADY; "
    "while :; do sleep 1; done";

class Tty : public InstanceTest {};
class TtyExec : public ManagementModuleTest {};

}  // namespace

TEST_F(Tty, InstforkCtrlCReachesTheForegroundJobInside)
{
    OnTerminal t({instfork_path(), "-t", "--", "/bin/sh", "-c", kTrapScript});
    ASSERT_TRUE(t.wait_screen("READY")) << t.screen();
    // The command's terminal is a pty of its own, not the tool's.
    EXPECT_NE(t.screen().find("/dev/pts/"), std::string::npos) << t.screen();
    EXPECT_FALSE(t.restored()) << "the tool's terminal is not in raw mode";
    t.type("\x03");
    EXPECT_TRUE(t.wait_screen("GOT-INT")) << t.screen();
    EXPECT_EQ(t.wait(), ExitStatus::exited(7)) << t.screen();
    EXPECT_TRUE(t.restored());
}

TEST_F(Tty, InstforkCommandKilledByCtrlCIs130)
{
    OnTerminal t({instfork_path(), "-t", "--", "/bin/sh", "-c", "echo RE''ADY; exec sleep 60"});
    ASSERT_TRUE(t.wait_screen("READY")) << t.screen();
    t.type("\x03");
    EXPECT_EQ(t.wait(), ExitStatus::exited(128 + SIGINT)) << t.screen();
    EXPECT_TRUE(t.restored());
}

TEST_F(Tty, InstforkShellHasJobControl)
{
    // An interactive shell: ^C ends its foreground job, not the shell; ^Z
    // stops the job and the shell takes the terminal back (TIOCSPGRP on
    // its own terminal, inside its instance).
    OnTerminal t({instfork_path(), "-t", "--", "/bin/sh", "-i"});
    t.type("echo RE''ADY\r");
    ASSERT_TRUE(t.wait_screen("READY")) << t.screen();
    // The job says when it runs, in the foreground group (ash gives it the
    // terminal before it executes it).
    t.type("sh -c \"echo IN-JO''B1; exec sleep 60\"\r");
    ASSERT_TRUE(t.wait_screen("IN-JOB1")) << t.screen();
    t.type("\x03");
    t.type("echo RC=$?\r");
    EXPECT_TRUE(t.wait_screen("RC=130")) << t.screen();
    t.type("sh -c \"echo IN-JO''B2; exec sleep 60\"\r");
    ASSERT_TRUE(t.wait_screen("IN-JOB2")) << t.screen();
    t.type("\x1a");
    EXPECT_TRUE(t.wait_screen("Stopped")) << t.screen();
    // `wait` reaps the killed job, so that exit does not stop at "You have
    // stopped jobs"; should the shell say it all the same, a second exit
    // goes through.
    t.type("kill -9 %1; wait; echo KI''LLED\r");
    EXPECT_TRUE(t.wait_screen("KILLED")) << t.screen();
    t.type("exit 4\r");
    auto status = t.wait(3s);
    if (!status && t.screen().find("stopped jobs") != std::string::npos) {
        t.type("exit 4\r");
        status = t.wait();
    }
    EXPECT_EQ(status, ExitStatus::exited(4)) << t.screen();
    EXPECT_TRUE(t.restored());
}

TEST_F(Tty, InstforkWindowSizeIsTheTerminals)
{
    OnTerminal t({instfork_path(), "-t", "--", "/bin/sh", "-c",
                  "echo SIZE=$(stty size); echo RE''ADY; read x"});
    ASSERT_TRUE(t.wait_screen("READY")) << t.screen();
    EXPECT_NE(t.screen().find("SIZE=24 80"), std::string::npos) << t.screen();
    t.type("\r");
    EXPECT_EQ(t.wait(), ExitStatus::exited(0)) << t.screen();
}

TEST_F(TtyExec, CtrlCReachesTheForegroundJobInside)
{
    // The instance: a first process that waits (instfork, no terminal).
    auto keep = mult::make_pipe();
    ASSERT_TRUE(keep.has_value());
    SpawnOptions o;
    o.argv = instfork_helper({"--name", "ttyweb", "--pass-fd", "10"}, {"hold", "10"});
    o.fds = {{10, keep->read.get()}};
    Process holder(std::move(o));
    keep->read.reset();
    ASSERT_TRUE(holder.wait_stdout("hold ")) << holder.err();

    {
        OnTerminal t({tool_path("instctl"), "exec", "-t", "ttyweb", "--", "/bin/sh", "-c",
                      kTrapScript});
        ASSERT_TRUE(t.wait_screen("READY")) << t.screen();
        EXPECT_NE(t.screen().find("/dev/pts/"), std::string::npos) << t.screen();
        t.type("\x03");
        EXPECT_TRUE(t.wait_screen("GOT-INT")) << t.screen();
        EXPECT_EQ(t.wait(), ExitStatus::exited(7)) << t.screen();
        EXPECT_TRUE(t.restored());
    }
    {
        OnTerminal t({tool_path("instctl"), "exec", "-t", "ttyweb", "--", "/bin/sh", "-c",
                      "echo RE''ADY; exec sleep 60"});
        ASSERT_TRUE(t.wait_screen("READY")) << t.screen();
        t.type("\x03");
        EXPECT_EQ(t.wait(), ExitStatus::exited(128 + SIGINT)) << t.screen();
        EXPECT_TRUE(t.restored());
    }
    {
        // -u: the pty is the user's, as a login's terminal would be.
        OnTerminal t({tool_path("instctl"), "exec", "-t", "-u", "nobody", "ttyweb", "--",
                      "/bin/sh", "-c", "echo ID=$(id -u); ls -lnL /proc/self/fd/0"});
        EXPECT_EQ(t.wait(), ExitStatus::exited(0)) << t.screen();
        EXPECT_NE(t.screen().find("ID=65534"), std::string::npos) << t.screen();
        EXPECT_NE(t.screen().find(" 65534 "), std::string::npos) << t.screen();
        EXPECT_TRUE(t.restored());
    }
    keep->write.reset();
    EXPECT_TRUE(holder.wait());
}

TEST_F(TtyExec, WithoutATerminalIsAUsageError)
{
    const auto r = run({tool_path("instctl"), "exec", "-t", "1", "--", "/bin/true"});
    EXPECT_EQ(r.status, ExitStatus::exited(2)) << r.err;
    EXPECT_NE(r.err.find("-t needs a terminal on stdin"), std::string::npos) << r.err;
}

}  // namespace mult_guest
