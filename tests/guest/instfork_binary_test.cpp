// SPDX-License-Identifier: GPL-2.0-only
//
// The instfork program (/usr/bin/instfork in the guest), run as a user runs
// it, on the mult kernel: exit statuses, signal forwarding, descriptors,
// stdio, --chdir, --env/--clear-env, --detach and --print-id (with the
// management module: the instance id), the command's capabilities
// (--keep-cap, --drop-cap), privilege, limits,
// and that the command really is the first process of a new instance.
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "guest_util.hpp"
#include "mult/capabilities.hpp"
#include "mult/fd.hpp"
#include "mult/kernel.hpp"

namespace mult_guest {
namespace {

using mult::ExitStatus;

class InstforkBinary : public InstanceTest {};

std::string pid_str(pid_t pid)
{
    return std::to_string(pid);
}

// A pipe whose ends are not inherited by accident (O_CLOEXEC).
mult::Pipe pipe_or_throw()
{
    auto p = mult::make_pipe();
    if (!p)
        throw std::runtime_error(p.error().message());
    return std::move(*p);
}

TEST_F(InstforkBinary, HelpNamesTheOptionsTestedHere)
{
    const auto r = run({instfork_path(), "--help"});
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    for (const char* option : {"--chdir", "--env", "--clear-env", "--pass-fd", "--detach", "--print-id",
                               "--keep-cap", "--drop-cap"})
        EXPECT_NE(r.out.find(option), std::string::npos) << option << " missing from:\n" << r.out;
}

// Exit statuses

TEST_F(InstforkBinary, ExitsZeroWhenTheCommandDoes)
{
    const auto r = run(instfork_helper({}, {"exit", "0"}));
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, "");
}

TEST_F(InstforkBinary, PassesTheCommandsExitStatusThrough)
{
    for (const int code : {1, 3, 42, 124, 255}) {
        const auto r = run(instfork_helper({}, {"exit", std::to_string(code)}));
        ASSERT_TRUE(r.finished);
        EXPECT_EQ(r.status, ExitStatus::exited(code)) << r.err;
        EXPECT_EQ(r.err, "") << "exit " << code;
    }
}

TEST_F(InstforkBinary, CommandKilledBySignalNGives128PlusN)
{
    for (const int sig : {SIGTERM, SIGKILL, SIGUSR2}) {
        const auto r = run(instfork_helper({}, {"die", std::to_string(sig)}));
        ASSERT_TRUE(r.finished);
        EXPECT_EQ(r.status, ExitStatus::exited(128 + sig)) << "signal " << sig << ": " << r.err;
    }
}

TEST_F(InstforkBinary, MissingProgramGives127NamingThePath)
{
    const std::string missing = "/nonexistent/mult-no-such-program";
    const auto r = run({instfork_path(), "--", missing, "arg"});
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(127));
    EXPECT_NE(r.err.find("'" + missing + "'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("No such file or directory"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.rfind("instfork: ", 0), 0U) << r.err;
}

TEST_F(InstforkBinary, CommandNotFoundInPathGives127)
{
    const auto r = run({instfork_path(), "--", "mult-no-such-command"});
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(127));
    EXPECT_NE(r.err.find("'mult-no-such-command'"), std::string::npos) << r.err;
}

TEST_F(InstforkBinary, NonExecutableFileGives126)
{
    const std::string file = "/tmp/mult-gtest-not-executable";
    {
        const mult::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        ASSERT_TRUE(fd.valid()) << file;
    }
    const auto r = run({instfork_path(), "--", file});
    ::unlink(file.c_str());
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(126));
    EXPECT_NE(r.err.find("'" + file + "'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
}

TEST_F(InstforkBinary, ChdirFailureGives125)
{
    const auto r = run(instfork_helper({"--chdir", "/nonexistent-dir"}, {"cwd"}));
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(125));
    EXPECT_NE(r.err.find("cannot change directory to '/nonexistent-dir'"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");  // the command never ran
}

TEST_F(InstforkBinary, PassFdThatIsNotOpenIsAUsageError)
{
    const auto r = run(instfork_helper({"--pass-fd", "57"}, {"exit", "0"}));
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(2));
    EXPECT_NE(r.err.find("--pass-fd 57"), std::string::npos) << r.err;
}

// A new instance

TEST_F(InstforkBinary, CommandIsTheFirstProcessOfANewInstance)
{
    const pid_t me = ::getpid();
    const auto r = run(instfork_helper({}, {"whoami", pid_str(me)}));
    ASSERT_TRUE(r.finished);
    ASSERT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    const auto pid = field(r.out, "pid");
    ASSERT_TRUE(pid) << r.out;
    // R3: its creator (instfork) is in another instance: getppid() reads 0.
    EXPECT_EQ(field(r.out, "ppid"), "0") << r.out;
    // R4: leader of a new session and process group.
    EXPECT_EQ(field(r.out, "sid"), pid) << r.out;
    EXPECT_EQ(field(r.out, "pgid"), pid) << r.out;
    // R1: init and this test process do not exist for it.
    EXPECT_EQ(field(r.out, "kill1"), std::to_string(ESRCH)) << r.out;
    EXPECT_EQ(field(r.out, "kill" + pid_str(me)), std::to_string(ESRCH)) << r.out;
    // R2: /proc lists only its own instance: itself.
    EXPECT_EQ(field(r.out, "procs"), pid) << r.out;
    // And from here, /proc/1 is still there: the boundary is symmetric, the
    // test is not inside anything.
    EXPECT_EQ(::kill(1, 0), 0);
}

TEST_F(InstforkBinary, InstanceInsideAnInstance)
{
    const pid_t me = ::getpid();
    auto argv = instfork_helper({}, {"whoami", pid_str(me)});
    // Creating an instance takes CAP_SYS_ADMIN, which instfork drops by
    // default.
    argv.insert(argv.begin(), {instfork_path(), "--keep-cap", "sys_admin", "--"});
    const auto r = run(argv);
    ASSERT_TRUE(r.finished);
    ASSERT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    const auto pid = field(r.out, "pid");
    ASSERT_TRUE(pid) << r.out;
    EXPECT_EQ(field(r.out, "ppid"), "0") << r.out;
    EXPECT_EQ(field(r.out, "sid"), pid) << r.out;
    EXPECT_EQ(field(r.out, "kill1"), std::to_string(ESRCH)) << r.out;
    EXPECT_EQ(field(r.out, "kill" + pid_str(me)), std::to_string(ESRCH)) << r.out;
    // The outer instance's first process (the inner instfork) is not listed.
    EXPECT_EQ(field(r.out, "procs"), pid) << r.out;
}

// --print-id, --detach
//
// With the management module loaded, instfork asks it for the instance id
// (get with the first process's pidfd); without it, it says so (--print-id)
// or prints the pid alone (--detach). InstforkBinary runs with the module
// loaded or not (the full guest plan loads it before these tests, a small
// boot may not), so it expects whichever format applies;
// InstforkWithModule loads the module and checks the id against the
// module's own list.

bool all_digits(const std::string& s)
{
    return !s.empty() && std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
}

// "instfork: instance ID, first process pid PID\n" (module loaded) or
// "instfork: first process pid PID (instance id unknown: mult_mgmt.ko is
// not loaded)\n": the pid, and the id if there is one. nullopt if `err`
// is neither.
struct PrintedId {
    std::string pid;
    std::optional<std::string> id;
};
std::optional<PrintedId> parse_print_id(const std::string& err)
{
    const std::string with_id = "instfork: instance ";
    const std::string pid_part = ", first process pid ";
    const std::string without = "instfork: first process pid ";
    const std::string unknown = " (instance id unknown: mult_mgmt.ko is not loaded)";
    if (err.empty() || err.back() != '\n')
        return std::nullopt;
    const std::string line = err.substr(0, err.size() - 1);
    if (line.find('\n') != std::string::npos)
        return std::nullopt;
    if (line.rfind(with_id, 0) == 0) {
        const auto comma = line.find(pid_part);
        if (comma == std::string::npos)
            return std::nullopt;
        PrintedId p{line.substr(comma + pid_part.size()), line.substr(with_id.size(), comma - with_id.size())};
        return all_digits(p.pid) && all_digits(*p.id) ? std::optional(p) : std::nullopt;
    }
    if (line.rfind(without, 0) == 0 && line.size() > unknown.size() &&
        line.substr(line.size() - unknown.size()) == unknown) {
        PrintedId p{line.substr(without.size(), line.size() - unknown.size() - without.size()), std::nullopt};
        return all_digits(p.pid) ? std::optional(p) : std::nullopt;
    }
    return std::nullopt;
}

TEST_F(InstforkBinary, PrintIdWritesTheInstanceIdAndPidOnStderr)
{
    const bool module = ManagementModule::loaded();
    const auto r = run(instfork_helper({"--print-id"}, {"whoami"}));
    ASSERT_TRUE(r.finished);
    ASSERT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    const auto pid = field(r.out, "pid");
    ASSERT_TRUE(pid) << r.out;
    const auto printed = parse_print_id(r.err);
    ASSERT_TRUE(printed) << "unexpected --print-id output: '" << r.err << "'";
    // Pids are global: the number instfork prints is the one the command has.
    EXPECT_EQ(printed->pid, *pid) << r.err;
    EXPECT_EQ(printed->id.has_value(), module)
        << (module ? "the module is loaded: the id must be there: " : "no module, no id: ") << r.err;
}

// A command started with `instfork --detach OPTIONS -- helper hold 10`,
// running until release(); its stdout is the Process's.
class Detached {
public:
    explicit Detached(const std::vector<std::string>& options)
    {
        keep_ = pipe_or_throw();
        constexpr int kHoldFd = 10;
        std::vector<std::string> all = options;
        all.insert(all.end(), {"--detach", "--pass-fd", std::to_string(kHoldFd)});
        SpawnOptions o;
        o.argv = instfork_helper(all, {"hold", std::to_string(kHoldFd)});
        o.fds = {{kHoldFd, keep_.read.get()}};
        p_ = std::make_unique<Process>(std::move(o));
        keep_.read.reset();
    }
    ~Detached() { release(); }
    Detached(const Detached&) = delete;
    Detached& operator=(const Detached&) = delete;

    Process& process() { return *p_; }

    // Waits for instfork's exit and for both lines on stdout: instfork's and
    // the command's ("hold pid=PID ppid=0"), in either order (both write to
    // the same pipe). False if that does not happen.
    bool wait_lines()
    {
        if (!p_->wait(/*until_eof=*/false))
            return false;
        if (!p_->wait_stdout_until([](const std::string& out) { return std::ranges::count(out, '\n') >= 2; }))
            return false;
        for (const std::string& line : lines(p_->out()))
            (line.rfind("hold ", 0) == 0 ? hold_line : instfork_line) = line;
        return true;
    }

    void release() { keep_.write.reset(); }

    std::string instfork_line;
    std::string hold_line;

private:
    mult::Pipe keep_;
    std::unique_ptr<Process> p_;
};

TEST_F(InstforkBinary, DetachPrintsThePidAndLeavesTheCommandRunning)
{
    const bool module = ManagementModule::loaded();
    // The command holds the read end of a pipe and runs until we close the
    // write end, long after instfork has exited.
    Detached d({});
    Process& p = d.process();
    ASSERT_TRUE(d.wait_lines()) << "instfork --detach did not exit or print; stdout: " << p.out()
                                << " stderr: " << p.err();
    EXPECT_EQ(p.status(), ExitStatus::exited(0)) << p.err();
    EXPECT_EQ(lines(p.out()).size(), 2U) << p.out();
    ASSERT_FALSE(d.hold_line.empty()) << p.out();
    // "PID ID" with the module, "PID" alone without: one line, pid first.
    const auto w = words(d.instfork_line);
    ASSERT_EQ(w.size(), module ? 2U : 1U)
        << "--detach prints '" << (module ? "PID ID" : "PID") << "': '" << d.instfork_line << "'";
    EXPECT_TRUE(std::ranges::all_of(w, all_digits)) << d.instfork_line;
    EXPECT_EQ(field(d.hold_line, "pid"), w[0]) << p.out();
    EXPECT_EQ(field(d.hold_line, "ppid"), "0") << p.out();
    EXPECT_EQ(p.err(), "");

    // Still running after instfork's exit: it answers when released.
    EXPECT_EQ(p.out().find("released"), std::string::npos) << p.out();
    d.release();
    EXPECT_TRUE(p.wait_stdout("released\n")) << p.out();
    // Its stdout and stderr (ours) close when it exits.
    EXPECT_TRUE(p.wait(/*until_eof=*/true));
}

class InstforkWithModule : public ManagementModuleTest {};

// The first pid `instctl --json list` shows for instance `id` ("" if the
// instance is not listed or has none).
std::string listed_first_pid(const std::string& id)
{
    const auto r = run({tool_path("instctl"), "--json", "list"});
    EXPECT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    try {
        for (const auto& inst : nlohmann::json::parse(r.out))
            if (std::to_string(inst.at("id").get<unsigned>()) == id && inst.at("first_pid").is_number())
                return std::to_string(inst.at("first_pid").get<unsigned>());
    } catch (const nlohmann::json::exception& e) {
        ADD_FAILURE() << "instctl --json list: " << e.what() << ": " << r.out;
    }
    return "";
}

TEST_F(InstforkWithModule, DetachPrintsThePidThenTheInstanceId)
{
    Detached d({"--print-id"});
    Process& p = d.process();
    ASSERT_TRUE(d.wait_lines()) << "stdout: " << p.out() << " stderr: " << p.err();
    EXPECT_EQ(p.status(), ExitStatus::exited(0)) << p.err();
    const auto w = words(d.instfork_line);
    ASSERT_EQ(w.size(), 2U) << "'" << d.instfork_line << "'";
    ASSERT_TRUE(all_digits(w[0]) && all_digits(w[1])) << d.instfork_line;
    EXPECT_EQ(field(d.hold_line, "pid"), w[0]) << p.out();
    // The module lists that instance with that first process.
    EXPECT_EQ(listed_first_pid(w[1]), w[0]) << "instance " << w[1];
    // --print-id says the same on stderr.
    const auto printed = parse_print_id(p.err());
    ASSERT_TRUE(printed) << "'" << p.err() << "'";
    EXPECT_EQ(printed->pid, w[0]);
    EXPECT_EQ(printed->id, w[1]);
    d.release();
    EXPECT_TRUE(p.wait_stdout("released\n")) << p.out();
    EXPECT_TRUE(p.wait(/*until_eof=*/true));
}

TEST_F(InstforkWithModule, PrintIdNamesTheInstance)
{
    const auto r = run(instfork_helper({"--print-id"}, {"whoami"}));
    ASSERT_TRUE(r.finished);
    ASSERT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    const auto printed = parse_print_id(r.err);
    ASSERT_TRUE(printed) << "'" << r.err << "'";
    EXPECT_TRUE(printed->id) << r.err;
    EXPECT_NE(printed->id, "0") << r.err;
    EXPECT_EQ(printed->pid, field(r.out, "pid").value_or("?")) << r.out;
}

// Signal forwarding

// instfork relays SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and
// SIGWINCH (its --help); each, sent to instfork, must reach the command.
class ForwardedSignal : public InstforkBinary, public ::testing::WithParamInterface<int> {};
// The same, for the signals whose default action ends a process.
class FatalForwardedSignal : public ForwardedSignal {};

std::string signal_name(const ::testing::TestParamInfo<int>& param_info)
{
    return sigabbrev_np(param_info.param);
}

TEST_P(ForwardedSignal, ReachesTheCommand)
{
    const int sig = GetParam();
    SpawnOptions o;
    o.argv = instfork_helper({}, {"catch"});
    Process p(std::move(o));
    ASSERT_TRUE(p.wait_stdout("ready\n")) << p.out() << p.err();
    ASSERT_EQ(::kill(p.pid(), sig), 0);
    ASSERT_TRUE(p.wait()) << p.out() << p.err();
    // instfork survived the signal and passed on the command's status.
    EXPECT_EQ(p.status(), ExitStatus::exited(0)) << p.err();
    const auto caught = lines(p.out());
    ASSERT_EQ(caught.size(), 2U) << p.out();
    EXPECT_EQ(field(caught[1], "caught"), std::to_string(sig)) << p.out();
    // R3: the sender (instfork, outside the instance) reads as pid 0.
    EXPECT_EQ(field(caught[1], "si_pid"), "0") << p.out();
    EXPECT_EQ(p.err(), "");
}

TEST_P(FatalForwardedSignal, KillsACommandThatDoesNotHandleIt)
{
    const int sig = GetParam();
    SpawnOptions o;
    o.argv = instfork_helper({}, {"wait-default"});
    Process p(std::move(o));
    ASSERT_TRUE(p.wait_stdout("ready\n")) << p.out() << p.err();
    ASSERT_EQ(::kill(p.pid(), sig), 0);
    ASSERT_TRUE(p.wait()) << p.out() << p.err();
    EXPECT_EQ(p.status(), ExitStatus::exited(128 + sig)) << p.err();
}

INSTANTIATE_TEST_SUITE_P(Relayed, ForwardedSignal,
                         ::testing::Values(SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT, SIGWINCH),
                         signal_name);
INSTANTIATE_TEST_SUITE_P(Relayed, FatalForwardedSignal,
                         ::testing::Values(SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT),
                         signal_name);

// Descriptors and stdio

TEST_F(InstforkBinary, OnlyStdioByDefault)
{
    // Two fds instfork itself inherits (not close-on-exec): neither may reach
    // the command.
    auto leak = pipe_or_throw();
    SpawnOptions o;
    o.argv = instfork_helper({}, {"fds"});
    o.fds = {{10, leak.write.get()}, {11, leak.read.get()}};
    const auto r = run(std::move(o));
    ASSERT_TRUE(r.finished);
    ASSERT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    EXPECT_EQ(field(r.out, "fds"), "0,1,2") << r.out;
}

TEST_F(InstforkBinary, PassFdKeepsThatDescriptorAndClosesTheRest)
{
    auto passed = pipe_or_throw();
    auto leak = pipe_or_throw();
    SpawnOptions o;
    o.argv = instfork_helper({"--pass-fd", "10"}, {"fds", "10", "through fd 10\n"});
    o.fds = {{10, passed.write.get()}, {11, leak.write.get()}, {12, leak.read.get()}};
    Process p(std::move(o));
    passed.write.reset();
    ASSERT_TRUE(p.wait()) << p.err();
    EXPECT_EQ(p.status(), ExitStatus::exited(0)) << p.err();
    EXPECT_EQ(field(p.out(), "fds"), "0,1,2,10") << p.out();
    // The same open file: what the command wrote to its fd 10 comes out of
    // our pipe (EOF now: every writer is gone).
    char buf[64] = {};
    const ssize_t n = ::read(passed.read.get(), buf, sizeof buf - 1);
    EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "through fd 10\n");
}

TEST_F(InstforkBinary, SeveralPassFds)
{
    auto a = pipe_or_throw();
    auto b = pipe_or_throw();
    SpawnOptions o;
    o.argv = instfork_helper({"--pass-fd", "12", "--pass-fd", "10", "--pass-fd", "12"}, {"fds"});
    o.fds = {{10, a.write.get()}, {11, a.read.get()}, {12, b.write.get()}, {13, b.read.get()}};
    const auto r = run(std::move(o));
    ASSERT_TRUE(r.finished);
    ASSERT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    EXPECT_EQ(field(r.out, "fds"), "0,1,2,10,12") << r.out;
}

TEST_F(InstforkBinary, StdioIsPassed)
{
    SpawnOptions o;
    o.argv = instfork_helper({}, {"stdio"});
    o.input = "first line\nsecond line\n";
    const auto r = run(std::move(o));
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    EXPECT_EQ(r.out, "out:first line\nsecond line\n");
    EXPECT_EQ(r.err, "err:first line\nsecond line\n");
}

// --chdir, --env, --clear-env

TEST_F(InstforkBinary, ChdirChangesTheCommandsDirectory)
{
    const auto r = run(instfork_helper({"--chdir", "/proc/sys"}, {"cwd"}));
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    EXPECT_EQ(r.out, "cwd=/proc/sys\n");
}

TEST_F(InstforkBinary, WithoutChdirTheDirectoryIsInherited)
{
    SpawnOptions o;
    o.argv = instfork_helper({}, {"cwd"});
    o.before_exec = [] { return ::chdir("/etc") == 0 ? 0 : 119; };
    const auto r = run(std::move(o));
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    EXPECT_EQ(r.out, "cwd=/etc\n");
}

std::vector<std::string> sorted_lines(const std::string& text)
{
    auto v = lines(text);
    std::ranges::sort(v);
    return v;
}

TEST_F(InstforkBinary, EnvironmentIsInheritedAndEnvSetsOrOverrides)
{
    const auto r = run(instfork_helper({"--env", "MULT_GT_NEW=a b", "--env", "MULT_GT_INHERITED=no"},
                                       {"env"}));
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    EXPECT_EQ(sorted_lines(r.out),
              (std::vector<std::string>{"MULT_GT_INHERITED=no", "MULT_GT_NEW=a b",
                                        "PATH=/bin:/sbin:/usr/bin:/usr/sbin"}))
        << r.out;
}

TEST_F(InstforkBinary, ClearEnvKeepsOnlyTheEnvOptions)
{
    const auto r = run(instfork_helper({"--clear-env", "--env", "B=2", "--env", "A=1"}, {"env"}));
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    EXPECT_EQ(sorted_lines(r.out), (std::vector<std::string>{"A=1", "B=2"})) << r.out;
}

TEST_F(InstforkBinary, ClearEnvAloneGivesAnEmptyEnvironment)
{
    const auto r = run(instfork_helper({"--clear-env"}, {"env"}));
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    EXPECT_EQ(r.out, "");
}

// Privilege (R8) and limits

void expect_refused_for_lack_of_cap_sys_admin(const RunResult& r)
{
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(125)) << r.err;
    EXPECT_EQ(r.err.rfind("instfork: ", 0), 0U) << r.err;
    EXPECT_NE(r.err.find("CAP_SYS_ADMIN"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("EPERM"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");  // the command never ran
}

TEST_F(InstforkBinary, UnprivilegedUserGets125NamingCapSysAdmin)
{
    SpawnOptions o;
    o.argv = instfork_helper({}, {"whoami"});
    o.before_exec = [] { return become_nobody() == 0 ? 0 : 119; };
    expect_refused_for_lack_of_cap_sys_admin(run(std::move(o)));
}

TEST_F(InstforkBinary, RootWithoutCapSysAdminGets125)
{
    SpawnOptions o;
    o.argv = instfork_helper({}, {"whoami"});
    o.before_exec = [] { return drop_cap_sys_admin() == 0 ? 0 : 119; };
    expect_refused_for_lack_of_cap_sys_admin(run(std::move(o)));
}

TEST_F(InstforkBinary, NestingDepthLimitGives125)
{
    const SysctlOverride depth(std::string(mult::kMultSysctlDir) + "/max_depth", "1");
    ASSERT_TRUE(depth.ok());
    // Depth 1 (an instance of the root instance) is allowed; the inner
    // instfork's instance would be depth 2.
    auto argv = instfork_helper({}, {"exit", "0"});
    argv.insert(argv.begin(), {instfork_path(), "--keep-cap", "sys_admin", "--"});
    const auto r = run(argv);
    ASSERT_TRUE(r.finished);
    // The inner instfork's 125, passed through by the outer one.
    EXPECT_EQ(r.status, ExitStatus::exited(125)) << r.err;
    EXPECT_NE(r.err.find("kernel.mult.max_depth = 1"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("EUSERS"), std::string::npos) << r.err;
}

TEST_F(InstforkBinary, InstanceLimitGives125)
{
    const SysctlOverride limit(std::string(mult::kMultSysctlDir) + "/max_instances", "0");
    ASSERT_TRUE(limit.ok());
    const auto r = run(instfork_helper({}, {"exit", "0"}));
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(125)) << r.err;
    EXPECT_NE(r.err.find("kernel.mult.max_instances = 0"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("ENOSPC"), std::string::npos) << r.err;
}

// Capabilities: by default the command's bounding set is
// mult::caps::kInstanceDefault (what a service needs, nothing that reaches
// the whole machine); --keep-cap and --drop-cap change it.

namespace caps = mult::caps;

// One set ("CapBnd", "CapEff", ...) from the helper's `caps` line.
caps::Set cap_set(const RunResult& r, const std::string& name)
{
    const auto hex = field(r.out, name);
    EXPECT_TRUE(hex.has_value()) << name << " missing from '" << r.out << "' " << r.err;
    try {
        return hex ? std::stoull(*hex, nullptr, 16) : caps::kAll;
    } catch (const std::exception&) {
        ADD_FAILURE() << name << "=" << *hex;
        return caps::kAll;
    }
}

// `helper caps` run by instfork with `options`; it must succeed.
RunResult caps_in_instance(const std::vector<std::string>& options)
{
    auto r = run(instfork_helper(options, {"caps"}));
    EXPECT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    return r;
}

class InstforkCapabilities : public InstanceTest {
protected:
    void SetUp() override
    {
        InstanceTest::SetUp();
        // What a program root starts outside any instance gets: the test's
        // bounding set, all of it effective.
        outside_ = run(helper_argv({"caps"}));
        ASSERT_EQ(outside_.status, ExitStatus::exited(0)) << outside_.err;
        bounding_ = cap_set(outside_, "CapBnd");
        ASSERT_NE(bounding_ & caps::bit(CAP_SYS_ADMIN), 0U) << "the tests run as root: " << outside_.out;
    }

    RunResult outside_;
    caps::Set bounding_ = 0;
};

TEST_F(InstforkCapabilities, DefaultSetLeavesOutSysAdminAndTheOtherMachineWideOnes)
{
    const auto r = caps_in_instance({});
    EXPECT_EQ(cap_set(r, "CapBnd"), bounding_ & caps::kInstanceDefault) << r.out;
    // Root's execve() gives it the whole bounding set: what is kept works.
    EXPECT_EQ(cap_set(r, "CapEff"), bounding_ & caps::kInstanceDefault) << r.out;
    EXPECT_EQ(cap_set(r, "CapPrm"), bounding_ & caps::kInstanceDefault) << r.out;
    EXPECT_EQ(cap_set(r, "CapAmb"), 0U) << r.out;
    for (const int cap : {CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_SYSLOG, CAP_PERFMON, CAP_BPF, CAP_NET_ADMIN})
        EXPECT_EQ(cap_set(r, "CapEff") & caps::bit(cap), 0U) << caps::name(cap);
}

TEST_F(InstforkCapabilities, KeepCapSysAdminKeepsIt)
{
    const auto r = caps_in_instance({"--keep-cap", "sys_admin"});
    const caps::Set expected = bounding_ & (caps::kInstanceDefault | caps::bit(CAP_SYS_ADMIN));
    EXPECT_EQ(cap_set(r, "CapBnd"), expected) << r.out;
    EXPECT_EQ(cap_set(r, "CapEff"), expected) << r.out;
    EXPECT_NE(cap_set(r, "CapEff") & caps::bit(CAP_SYS_ADMIN), 0U) << r.out;
}

TEST_F(InstforkCapabilities, KeepCapAllKeepsEverything)
{
    const auto r = caps_in_instance({"--keep-cap", "ALL"});
    EXPECT_EQ(cap_set(r, "CapBnd"), bounding_) << r.out;
    EXPECT_EQ(cap_set(r, "CapEff"), cap_set(outside_, "CapEff")) << r.out;
}

TEST_F(InstforkCapabilities, DropCapAllKeepsOnlyWhatKeepCapNames)
{
    const auto r = caps_in_instance({"--drop-cap=all", "--keep-cap=CAP_NET_BIND_SERVICE"});
    EXPECT_EQ(cap_set(r, "CapBnd"), caps::bit(CAP_NET_BIND_SERVICE)) << r.out;
    EXPECT_EQ(cap_set(r, "CapEff"), caps::bit(CAP_NET_BIND_SERVICE)) << r.out;
}

TEST_F(InstforkCapabilities, UnknownCapabilityIsAUsageErrorAndCreatesNothing)
{
    const auto r = run(instfork_helper({"--keep-cap", "sys_admn"}, {"caps"}));
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.status, ExitStatus::exited(2));
    EXPECT_EQ(r.err, "instfork: --keep-cap: unknown capability 'sys_admn' (give a name from "
                     "capabilities(7), such as sys_admin or CAP_SYS_ADMIN, or all)\n"
                     "Try 'instfork --help' for more information.\n");
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(nr_instances(), baseline());
}

TEST_F(InstforkCapabilities, SetuidRootProgramInsideCannotRegainThem)
{
    // A setuid-root copy of this binary, run by nobody inside the instance:
    // root again, but only with what the bounding set still has.
    const std::string copy = "/tmp/mult-gtest-setuid-helper";
    std::error_code ec;
    std::filesystem::copy_file(self_path(), copy, std::filesystem::copy_options::overwrite_existing, ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_EQ(::chmod(copy.c_str(), 04755), 0);
    const std::vector<std::string> as_nobody{"as-nobody", copy, "--helper", "caps"};
    const auto bounded = run(instfork_helper({}, as_nobody));
    const auto unbounded = run(instfork_helper({"--keep-cap", "all"}, as_nobody));
    ::unlink(copy.c_str());
    ASSERT_EQ(bounded.status, ExitStatus::exited(0)) << bounded.err;
    ASSERT_EQ(unbounded.status, ExitStatus::exited(0)) << unbounded.err;
    if (field(unbounded.out, "euid") != "0")
        GTEST_SKIP() << "/tmp does not honour setuid: " << unbounded.out;
    EXPECT_EQ(field(bounded.out, "euid"), "0") << bounded.out;
    EXPECT_EQ(cap_set(bounded, "CapEff"), bounding_ & caps::kInstanceDefault) << bounded.out;
    // The same program with nothing dropped gets CAP_SYS_ADMIN back.
    EXPECT_NE(cap_set(unbounded, "CapEff") & caps::bit(CAP_SYS_ADMIN), 0U) << unbounded.out;
}

TEST_F(InstforkCapabilities, NestedInstanceNeedsKeepCapSysAdmin)
{
    auto argv = instfork_helper({}, {"exit", "0"});
    argv.insert(argv.begin(), {instfork_path(), "--"});
    const auto r = run(argv);
    ASSERT_TRUE(r.finished);
    // The inner instfork's 125, passed through by the outer one.
    EXPECT_EQ(r.status, ExitStatus::exited(125)) << r.err;
    EXPECT_NE(r.err.find("CAP_SYS_ADMIN"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("EPERM"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mult_guest
