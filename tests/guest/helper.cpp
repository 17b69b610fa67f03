// SPDX-License-Identifier: GPL-2.0-only
//
// The program the tests run inside instances: this test binary started as
//   mult_guest_tests --helper MODE ARGS...
// Each mode reports what it sees on stdout, one line, "key=value" words, so
// the test can check it from outside. Modes that wait arm alarm() first:
// if a test fails and forgets them, they still end (and their instance
// with them).
//
//   exit N            exit with status N
//   die SIG           kill itself with SIG (default action)
//   whoami [PID...]   pid= ppid= sid= pgid= kill1= (errno of kill(1, 0)),
//                     kill<PID>= for each PID, procs= (the pids /proc lists,
//                     comma-separated)
//   fds [FD TEXT]     fds= (comma-separated, from /proc/self/fd); with FD
//                     and TEXT, first writes TEXT to FD
//   stdio             copies stdin to stdout as "out:DATA", stderr as "err:DATA"
//   cwd               cwd=DIR
//   env               the environment, one entry a line
//   catch             handles the relayed signals; prints "ready", then
//                     "caught=SIG si_pid=P si_code=C" for the first one; exits 0
//   wait-default      default action for every signal; prints "ready" and waits
//   hold FD           prints "hold pid=P ppid=Q", waits for EOF on FD, prints
//                     "released" and exits 0
//   caps              euid= and the capability sets of /proc/self/status in
//                     hex: CapInh= CapPrm= CapEff= CapBnd= CapAmb=
//   as-nobody PROG ARGS...  becomes uid/gid 65534 (become_nobody) and
//                     executes PROG with ARGS (argv[0] included)
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <set>
#include <sys/resource.h>
#include <string>
#include <unistd.h>

#include "guest_util.hpp"

extern char** environ;

namespace mult_guest {
namespace {

// The signals instfork relays (its --help and runner.hpp).
constexpr int kRelayed[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

volatile sig_atomic_t g_signo = 0;
volatile sig_atomic_t g_si_pid = -1;
volatile sig_atomic_t g_si_code = 0;

void on_signal(int sig, siginfo_t* info, void*)
{
    if (g_signo != 0)
        return;  // keep the first one
    g_si_pid = info->si_pid;
    g_si_code = info->si_code;
    g_signo = sig;
}

bool say(int fd, const std::string& text)
{
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    return true;
}

int to_int(const char* text)
{
    return static_cast<int>(std::strtol(text, nullptr, 10));
}

int kill_errno(pid_t pid)
{
    return ::kill(pid, 0) == 0 ? 0 : errno;
}

std::string join(const std::set<int>& numbers)
{
    std::string text;
    for (const int n : numbers)
        text += (text.empty() ? "" : ",") + std::to_string(n);
    return text;
}

std::set<int> numeric_entries(const char* dir, bool skip_own_fd)
{
    std::set<int> out;
    DIR* d = ::opendir(dir);
    if (d == nullptr)
        return out;
    while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
            out.insert(to_int(e->d_name));
    }
    if (skip_own_fd)
        out.erase(::dirfd(d));
    ::closedir(d);
    return out;
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
            return text;
        text.append(buf, static_cast<std::size_t>(n));
    }
}

int mode_whoami(int argc, char** argv)
{
    std::string text = "pid=" + std::to_string(::getpid()) + " ppid=" + std::to_string(::getppid()) +
                       " sid=" + std::to_string(::getsid(0)) + " pgid=" + std::to_string(::getpgid(0)) +
                       " kill1=" + std::to_string(kill_errno(1));
    for (int i = 0; i < argc; ++i)
        text += std::string(" kill") + argv[i] + "=" + std::to_string(kill_errno(to_int(argv[i])));
    text += " procs=" + join(numeric_entries("/proc", false)) + "\n";
    return say(1, text) ? 0 : 1;
}

int mode_fds(int argc, char** argv)
{
    if (argc >= 2 && !say(to_int(argv[0]), argv[1]))
        return 1;
    return say(1, "fds=" + join(numeric_entries("/proc/self/fd", true)) + "\n") ? 0 : 1;
}

int mode_catch()
{
    sigset_t relayed;
    sigemptyset(&relayed);
    for (const int sig : kRelayed)
        sigaddset(&relayed, sig);
    sigset_t waitmask;
    ::sigprocmask(SIG_BLOCK, &relayed, &waitmask);
    sigdelset(&waitmask, SIGALRM);
    for (const int sig : kRelayed)
        sigdelset(&waitmask, sig);
    struct sigaction sa{};
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;
    sigfillset(&sa.sa_mask);
    for (const int sig : kRelayed)
        ::sigaction(sig, &sa, nullptr);
    ::alarm(kHelperAlarmSeconds);
    if (!say(1, "ready\n"))
        return 1;
    while (g_signo == 0)
        ::sigsuspend(&waitmask);
    return say(1, "caught=" + std::to_string(g_signo) + " si_pid=" + std::to_string(g_si_pid) +
                      " si_code=" + std::to_string(g_si_code) + "\n")
               ? 0
               : 1;
}

int mode_wait_default()
{
    // SIGQUIT's default action dumps core: not here.
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP)
            ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::alarm(kHelperAlarmSeconds);
    if (!say(1, "ready\n"))
        return 1;
    for (;;)
        ::pause();
}

int mode_hold(int fd)
{
    ::alarm(kHelperAlarmSeconds);
    if (!say(1, "hold pid=" + std::to_string(::getpid()) + " ppid=" + std::to_string(::getppid()) + "\n"))
        return 1;
    char c;
    ssize_t n;
    while ((n = ::read(fd, &c, 1)) != 0) {
        if (n < 0 && errno != EINTR)
            return 1;
    }
    return say(1, "released\n") ? 0 : 1;
}

int mode_caps()
{
    const mult::UniqueFd fd(::open("/proc/self/status", O_RDONLY | O_CLOEXEC));
    if (!fd)
        return 1;
    std::string line = "euid=" + std::to_string(::geteuid());
    std::size_t at = 0;
    const std::string status = read_all(fd.get());
    while ((at = status.find("\nCap", at)) != std::string::npos) {
        const std::size_t colon = status.find(':', at);
        const std::size_t end = status.find('\n', at + 1);
        if (colon == std::string::npos || end == std::string::npos || colon > end)
            return 1;
        std::string value = status.substr(colon + 1, end - colon - 1);
        std::erase_if(value, [](char c) { return c == ' ' || c == '\t'; });
        line += " " + status.substr(at + 1, colon - at - 1) + "=" + value;
        at = end;
    }
    return say(1, line + "\n") ? 0 : 1;
}

int mode_as_nobody(char** argv)
{
    if (const int err = become_nobody(); err != 0) {
        say(2, std::string("helper: as-nobody: ") + std::strerror(err) + "\n");
        return 1;
    }
    ::execv(argv[0], argv);
    say(2, std::string("helper: as-nobody: ") + argv[0] + ": " + std::strerror(errno) + "\n");
    return 1;
}

}  // namespace

int helper_main(int argc, char** argv)
{
    if (argc < 1) {
        say(2, "helper: missing mode\n");
        return 64;
    }
    const std::string mode = argv[0];
    --argc;
    ++argv;
    if (mode == "exit" && argc == 1)
        return to_int(argv[0]);
    if (mode == "die" && argc == 1) {
        const int sig = to_int(argv[0]);
        const rlimit no_core{0, 0};
        ::setrlimit(RLIMIT_CORE, &no_core);
        ::signal(sig, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
        ::kill(::getpid(), sig);
        return 65;  // still alive: the signal did not kill
    }
    if (mode == "whoami")
        return mode_whoami(argc, argv);
    if (mode == "fds")
        return mode_fds(argc, argv);
    if (mode == "stdio") {
        const std::string data = read_all(0);
        return say(1, "out:" + data) && say(2, "err:" + data) ? 0 : 1;
    }
    if (mode == "cwd") {
        char buf[4096];
        if (::getcwd(buf, sizeof buf) == nullptr)
            return 1;
        return say(1, std::string("cwd=") + buf + "\n") ? 0 : 1;
    }
    if (mode == "env") {
        std::string text;
        for (char** e = environ; *e != nullptr; ++e)
            text += std::string(*e) + "\n";
        return say(1, text) ? 0 : 1;
    }
    if (mode == "catch")
        return mode_catch();
    if (mode == "wait-default")
        return mode_wait_default();
    if (mode == "hold" && argc == 1)
        return mode_hold(to_int(argv[0]));
    if (mode == "caps")
        return mode_caps();
    if (mode == "as-nobody" && argc >= 1)
        return mode_as_nobody(argv);
    say(2, "helper: unknown mode or arguments: " + mode + "\n");
    return 64;
}

}  // namespace mult_guest
