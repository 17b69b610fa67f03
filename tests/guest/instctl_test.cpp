// SPDX-License-Identifier: GPL-2.0-only
//
// In-guest tests for instctl (userland/instctl) and instfork --name, against
// the real kernel and the management module: list, ps, kill, name, info,
// exec, watch, their JSON, exit statuses and messages, as a user runs them.
//
// Instances to look at are started with `instfork --name NAME -- helper
// hold FD`: the first process waits until the test closes FD (HeldInstance).
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <memory>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "guest_util.hpp"
#include "mult/fd.hpp"

namespace mult_guest {
namespace {

using mult::ExitStatus;
using nlohmann::json;

class Instctl : public ManagementModuleTest {};

RunResult instctl(std::vector<std::string> args)
{
    args.insert(args.begin(), tool_path("instctl"));
    return run(std::move(args));
}

SpawnOptions instctl_spawn(std::vector<std::string> args)
{
    args.insert(args.begin(), tool_path("instctl"));
    SpawnOptions o;
    o.argv = std::move(args);
    return o;
}

// /proc/sys/PATH, without the newline.
std::string read_sysctl(const std::string& path)
{
    std::ifstream in("/proc/sys/" + path);
    std::string value;
    std::getline(in, value);
    return value;
}

// What a helper prints is this binary's comm: its name, cut to 15 bytes.
std::string helper_comm()
{
    const std::string& path = self_path();
    return path.substr(path.rfind('/') + 1).substr(0, 15);
}

// An instance named `name` (instfork --name) whose first process runs the
// "hold" helper until this object goes away.
class HeldInstance {
public:
    // `nested`: the first process is an instfork (kept CAP_SYS_ADMIN for
    // it) that holds the helper in an instance nested in this one.
    explicit HeldInstance(const std::string& name, bool nested = false)
    {
        auto keep = mult::make_pipe();
        if (!keep) {
            ADD_FAILURE() << keep.error().message();
            return;
        }
        keep_ = std::move(*keep);
        constexpr int kHoldFd = 10;
        SpawnOptions o;
        o.argv = instfork_helper({"--name", name, "--pass-fd", std::to_string(kHoldFd)},
                                 {"hold", std::to_string(kHoldFd)});
        if (nested) {
            o.argv = instfork_helper({"--pass-fd", std::to_string(kHoldFd)},
                                     {"hold", std::to_string(kHoldFd)});
            const std::vector<std::string> outer{instfork_path(), "--name", name, "--keep-cap",
                                                 "sys_admin", "--pass-fd",
                                                 std::to_string(kHoldFd), "--"};
            o.argv.insert(o.argv.begin(), outer.begin(), outer.end());
        }
        o.fds = {{kHoldFd, keep_.read.get()}};
        instfork_ = std::make_unique<Process>(std::move(o));
        keep_.read.reset();
        if (!instfork_->wait_stdout("hold ")) {
            ADD_FAILURE() << "instfork --name " << name << " did not start the command: "
                          << instfork_->err();
            return;
        }
        instfork_->wait_stdout("\n");
        pid_ = std::stoi(field(instfork_->out(), "pid").value_or("0"));
    }
    ~HeldInstance() { release(); }
    HeldInstance(const HeldInstance&) = delete;
    HeldInstance& operator=(const HeldInstance&) = delete;

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    [[nodiscard]] bool started() const noexcept { return pid_ > 0; }
    Process& instfork() { return *instfork_; }

    // Lets the first process exit (status 0) and waits for instfork.
    void release()
    {
        keep_.write.reset();
        if (instfork_)
            instfork_->wait();
    }

private:
    mult::Pipe keep_;
    std::unique_ptr<Process> instfork_;
    pid_t pid_ = 0;
};

json parse_json(const RunResult& r)
{
    try {
        return json::parse(r.out);
    } catch (const json::exception& e) {
        ADD_FAILURE() << "not JSON (" << e.what() << "): " << r.out;
        return json();
    }
}

// The entry of `instctl --json list` named `name` (null if none).
json listed(const std::string& name)
{
    const auto r = instctl({"--json", "list"});
    EXPECT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    for (const json& inst : parse_json(r))
        if (inst["name"] == name)
            return inst;
    return json();
}

// ---- list, ps, info -------------------------------------------------------

TEST_F(Instctl, InstforkNameShowsInTheList)
{
    HeldInstance web("gt-web");
    ASSERT_TRUE(web.started());
    const json inst = listed("gt-web");
    ASSERT_FALSE(inst.is_null()) << "gt-web not listed";
    EXPECT_EQ(inst["first_pid"], web.pid());
    EXPECT_EQ(inst["parent_id"], 0);
    EXPECT_EQ(inst["depth"], 1);
    EXPECT_EQ(inst["nr_processes"], 1);
    EXPECT_EQ(inst["nr_threads"], 1);
    EXPECT_EQ(inst["status"], "running");
    EXPECT_TRUE(inst["exit_status"].is_null());
    EXPECT_GE(inst["id"].get<int>(), 1);

    // The table has a line for it, with its first pid.
    const auto text = instctl({"list"});
    ASSERT_EQ(text.status, ExitStatus::exited(0)) << text.err;
    const auto all = lines(text.out);
    ASSERT_GE(all.size(), 2U) << text.out;
    EXPECT_EQ(words(all[0]), (std::vector<std::string>{"ID", "PARENT", "DEPTH", "NAME", "FIRST-PID",
                                                       "PROCS", "THREADS", "STARTED", "STATUS"}));
    const auto line = std::ranges::find_if(all, [](const std::string& l) {
        return l.find(" gt-web ") != std::string::npos;
    });
    ASSERT_NE(line, all.end()) << text.out;
    const auto w = words(*line);
    EXPECT_EQ(w[0], std::to_string(inst["id"].get<int>()));
    EXPECT_EQ(w[4], std::to_string(web.pid()));
    EXPECT_EQ(w.back(), "running");
}

TEST_F(Instctl, ListTreeShowsNesting)
{
    HeldInstance outer("gt-outer", true);
    ASSERT_TRUE(outer.started());
    const int outer_id = listed("gt-outer")["id"].get<int>();

    // -J with --tree: the nested instance is among the outer one's children.
    const auto r = instctl({"list", "--tree", "-J", "-o", "id,parent,depth,name"});
    ASSERT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "compact JSON into a pipe: " << r.out;
    const json j = parse_json(r);
    json entry;
    for (const json& inst : j["instances"])
        if (inst["name"] == "gt-outer")
            entry = inst;
    ASSERT_FALSE(entry.is_null()) << r.out;
    ASSERT_EQ(entry["children"].size(), 1U) << r.out;
    const json& inner = entry["children"][0];
    EXPECT_EQ(inner["parent"], outer_id);
    EXPECT_EQ(inner["depth"], 2);
    EXPECT_TRUE(inner["name"].is_null());

    // As a table without headings: the nested one drawn below.
    const auto t = instctl({"list", "--tree", "-o", "id,name", "-n"});
    ASSERT_EQ(t.status, ExitStatus::exited(0)) << t.err;
    const auto all = lines(t.out);
    const auto at = std::ranges::find_if(all, [](const std::string& l) {
        return l.find("gt-outer") != std::string::npos;
    });
    ASSERT_NE(at, all.end()) << t.out;
    ASSERT_NE(at + 1, all.end()) << t.out;
    EXPECT_EQ(words(*(at + 1))[0], "`-" + std::to_string(inner["id"].get<int>())) << t.out;
    EXPECT_EQ(t.out.find("ID"), std::string::npos) << "no headings: " << t.out;
}

TEST_F(Instctl, PsListsTheFirstProcess)
{
    HeldInstance web("gt-ps");
    ASSERT_TRUE(web.started());
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"--json", "ps", "gt-ps"}, {"--json", "ps", "--threads", "gt-ps"}}) {
        const auto r = instctl(args);
        ASSERT_EQ(r.status, ExitStatus::exited(0)) << r.err;
        const json procs = parse_json(r);
        ASSERT_EQ(procs.size(), 1U) << r.out;
        EXPECT_EQ(procs[0]["pid"], web.pid());
        EXPECT_EQ(procs[0]["tgid"], web.pid());
        // Its creator, instfork, seen from the root instance.
        EXPECT_EQ(procs[0]["ppid"], web.instfork().pid());
        EXPECT_EQ(procs[0]["uid"], 0);
        EXPECT_EQ(procs[0]["state"], "S");
        EXPECT_EQ(procs[0]["comm"], helper_comm());
    }
    // By id, as a table.
    const json inst = listed("gt-ps");
    const auto r = instctl({"ps", std::to_string(inst["id"].get<int>())});
    ASSERT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    const auto all = lines(r.out);
    ASSERT_EQ(all.size(), 2U) << r.out;
    EXPECT_EQ(words(all[0]), (std::vector<std::string>{"PID", "TGID", "PPID", "UID", "STATE", "COMM"}));
    EXPECT_EQ(words(all[1])[0], std::to_string(web.pid()));
}

TEST_F(Instctl, InfoReportsTheLimitsAndTheCount)
{
    HeldInstance web("gt-info");
    ASSERT_TRUE(web.started());
    const auto r = instctl({"--json", "info"});
    ASSERT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    const json info = parse_json(r);
    EXPECT_EQ(info["abi_version"], 1);
    EXPECT_GE(info["nr_instances"].get<int>(), 1);
    EXPECT_EQ(info["max_depth"].dump(), read_sysctl("kernel/mult/max_depth"));
    EXPECT_EQ(info["max_instances"].dump(), read_sysctl("kernel/mult/max_instances"));
    const auto text = instctl({"info"});
    ASSERT_EQ(text.status, ExitStatus::exited(0)) << text.err;
    EXPECT_NE(text.out.find("ABI version:    1\n"), std::string::npos) << text.out;
}

// ---- errors ---------------------------------------------------------------

TEST_F(Instctl, NoSuchInstanceIsStatus3WithTheKernelsReason)
{
    auto r = instctl({"ps", "gt-nosuch"});
    EXPECT_EQ(r.status, ExitStatus::exited(3));
    EXPECT_EQ(r.err, "instctl: ps instance 'gt-nosuch': no instance with this name (No such file "
                     "or directory)\n");
    r = instctl({"kill", "4000000000"});
    EXPECT_EQ(r.status, ExitStatus::exited(3));
    EXPECT_EQ(r.err, "instctl: kill instance 4000000000: no instance with this id (No such file or "
                     "directory)\n");
    r = instctl({"name", "gt-nosuch", "gt-other"});
    EXPECT_EQ(r.status, ExitStatus::exited(3));
    EXPECT_NE(r.err.find("no instance with this name"), std::string::npos) << r.err;
}

TEST_F(Instctl, UnprivilegedCallerIsStatus4)
{
    SpawnOptions o = instctl_spawn({"list"});
    o.before_exec = [] { return become_nobody(); };
    const auto r = run(std::move(o));
    EXPECT_EQ(r.status, ExitStatus::exited(4)) << r.err;
    EXPECT_NE(r.err.find("needs CAP_SYS_ADMIN in the initial user namespace"), std::string::npos)
        << r.err;
}

TEST_F(Instctl, CallerInsideAnInstanceIsStatus4)
{
    // With CAP_SYS_ADMIN (which instfork drops by default): refused all the
    // same, for being inside.
    const auto r = run({instfork_path(), "--keep-cap", "sys_admin", "--", tool_path("instctl"), "list"});
    EXPECT_EQ(r.status, ExitStatus::exited(4)) << r.err;
    EXPECT_EQ(r.err, "instctl: list: not allowed from inside an instance (Operation not permitted)\n");
}

// ---- kill -----------------------------------------------------------------

TEST_F(Instctl, KillByNameEndsTheInstance)
{
    HeldInstance web("gt-kill");
    ASSERT_TRUE(web.started());
    const auto r = instctl({"kill", "-s", "KILL", "gt-kill"});
    EXPECT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    EXPECT_EQ(r.err, "");
    ASSERT_TRUE(web.instfork().wait(false));
    EXPECT_EQ(web.instfork().status(), ExitStatus::exited(128 + SIGKILL));
}

TEST_F(Instctl, KillSendsTermByDefault)
{
    SpawnOptions o;
    o.argv = instfork_helper({"--name", "gt-term"}, {"catch"});
    Process p(std::move(o));
    ASSERT_TRUE(p.wait_stdout("ready\n")) << p.err();
    const auto r = instctl({"kill", "gt-term"});
    EXPECT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    ASSERT_TRUE(p.wait()) << p.err();
    EXPECT_EQ(field(p.out(), "caught"), std::to_string(SIGTERM)) << p.out();
    EXPECT_EQ(p.status(), ExitStatus::exited(0));
}

// ---- names ----------------------------------------------------------------

TEST_F(Instctl, NameRenamesByNameOrId)
{
    HeldInstance web("gt-old");
    ASSERT_TRUE(web.started());
    auto r = instctl({"name", "gt-old", "gt-new"});
    ASSERT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    EXPECT_TRUE(listed("gt-old").is_null());
    const json inst = listed("gt-new");
    ASSERT_FALSE(inst.is_null());
    r = instctl({"name", std::to_string(inst["id"].get<int>()), "gt-newer"});
    ASSERT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    EXPECT_EQ(listed("gt-newer")["first_pid"], web.pid());
}

TEST_F(Instctl, TakenNameIsRefused)
{
    HeldInstance a("gt-taken");
    HeldInstance b("gt-free");
    ASSERT_TRUE(a.started() && b.started());
    const int a_id = listed("gt-taken")["id"].get<int>();
    const auto r = instctl({"name", "gt-free", "gt-taken"});
    EXPECT_EQ(r.status, ExitStatus::exited(1));
    EXPECT_NE(r.err.find("name already used by instance " + std::to_string(a_id) + " (File exists)"),
              std::string::npos)
        << r.err;
}

TEST_F(Instctl, InstforkWithATakenNameRunsNothingAndLeavesNoInstance)
{
    HeldInstance a("gt-dup");
    ASSERT_TRUE(a.started());
    const int a_id = listed("gt-dup")["id"].get<int>();
    const int before = nr_instances();
    const auto r = run(instfork_helper({"--name", "gt-dup"}, {"whoami"}));
    EXPECT_EQ(r.status, ExitStatus::exited(125)) << r.err;
    EXPECT_EQ(r.out, "") << "the command must not have run";
    // Refused before clone3(): no instance was created only to be killed,
    // and the message names the holder, not a pidfd of instfork's.
    EXPECT_EQ(r.err, "instfork: --name gt-dup: instance " + std::to_string(a_id) +
                         " has this name already (rename it with 'instctl name " +
                         std::to_string(a_id) + " NEWNAME', or choose another)\n");
    EXPECT_EQ(nr_instances(), before) << "no instance may have been created";
}

// ---- exec -----------------------------------------------------------------

TEST_F(Instctl, ExecJoinsTheInstance)
{
    HeldInstance web("gt-exec");
    ASSERT_TRUE(web.started());
    auto argv = helper_argv({"whoami"});
    argv.insert(argv.begin(), {"exec", "gt-exec", "--"});
    const auto r = instctl(argv);
    ASSERT_EQ(r.status, ExitStatus::exited(0)) << r.err;
    const auto pid = field(r.out, "pid");
    ASSERT_TRUE(pid) << r.out;
    // A member, not a new instance: it sees the first process, and its
    // creator (instctl, outside) reads as 0; its own session.
    EXPECT_EQ(field(r.out, "ppid"), "0") << r.out;
    EXPECT_EQ(field(r.out, "sid"), pid) << r.out;
    EXPECT_EQ(field(r.out, "kill1"), std::to_string(ESRCH)) << r.out;
    const std::string procs = field(r.out, "procs").value_or("");
    EXPECT_NE(procs.find(std::to_string(web.pid())), std::string::npos) << r.out;
    EXPECT_NE(procs.find(*pid), std::string::npos) << r.out;
    EXPECT_EQ(listed("gt-exec")["nr_processes"], 1) << "the joined process is gone again";
}

// exec checks where its child landed before letting it run (get with the
// child's pidfd); here the normal path: the module itself lists the
// command's process among the instance's, next to the first process.
TEST_F(Instctl, ExecChildIsAMemberOfTheTargetInstance)
{
    HeldInstance web("gt-member");
    ASSERT_TRUE(web.started());
    const json before = listed("gt-member");
    ASSERT_TRUE(before.is_object());
    const int instances = nr_instances();

    auto keep = mult::make_pipe();
    ASSERT_TRUE(keep.has_value()) << keep.error().message();
    // instctl exec closes every fd but stdio: the helper waits for EOF on
    // its stdin, the read end of `keep`.
    auto argv = helper_argv({"hold", "0"});
    argv.insert(argv.begin(), {"exec", "gt-member", "--"});
    SpawnOptions o = instctl_spawn(argv);
    o.fds = {{0, keep->read.get()}};
    Process p(std::move(o));
    keep->read.reset();
    ASSERT_TRUE(p.wait_stdout("\n")) << p.out() << p.err();
    const auto pid = field(p.out(), "pid");
    ASSERT_TRUE(pid) << p.out();
    EXPECT_EQ(field(p.out(), "ppid"), "0") << p.out();

    const auto ps = instctl({"--json", "ps", "gt-member"});
    ASSERT_EQ(ps.status, ExitStatus::exited(0)) << ps.err;
    std::vector<std::string> pids;
    for (const json& proc : parse_json(ps))
        pids.push_back(std::to_string(proc["pid"].get<int>()));
    std::ranges::sort(pids);
    std::vector<std::string> expected{std::to_string(web.pid()), *pid};
    std::ranges::sort(expected);
    EXPECT_EQ(pids, expected) << ps.out;
    const json during = listed("gt-member");
    EXPECT_EQ(during["id"], before["id"]);
    EXPECT_EQ(during["nr_processes"], 2) << during;
    EXPECT_EQ(nr_instances(), instances) << "exec created no instance";

    keep->write.reset();
    ASSERT_TRUE(p.wait()) << p.err();
    EXPECT_EQ(p.status(), ExitStatus::exited(0)) << p.err();
    EXPECT_EQ(p.err(), "");
}

TEST_F(Instctl, ExecPassesStatusesThrough)
{
    HeldInstance web("gt-status");
    ASSERT_TRUE(web.started());
    const auto exec = [](std::vector<std::string> cmd) {
        cmd.insert(cmd.begin(), {"exec", "gt-status", "--"});
        return instctl(cmd);
    };
    EXPECT_EQ(exec(helper_argv({"exit", "7"})).status, ExitStatus::exited(7));
    EXPECT_EQ(exec(helper_argv({"die", std::to_string(SIGUSR2)})).status,
              ExitStatus::exited(128 + SIGUSR2));
    const auto missing = exec({"/nonexistent/mult-cmd"});
    EXPECT_EQ(missing.status, ExitStatus::exited(127));
    EXPECT_EQ(missing.err,
              "instctl: exec: cannot execute '/nonexistent/mult-cmd': No such file or directory\n");
}

TEST_F(Instctl, ExecIntoAMissingInstanceIs125)
{
    const auto r = instctl({"exec", "gt-nosuch", "--", "/bin/true"});
    EXPECT_EQ(r.status, ExitStatus::exited(125));
    EXPECT_EQ(r.err, "instctl: exec: get instance 'gt-nosuch': no instance with this name (No such "
                     "file or directory)\n");
}

TEST_F(Instctl, ExecRelaysSignals)
{
    HeldInstance web("gt-relay");
    ASSERT_TRUE(web.started());
    auto argv = helper_argv({"catch"});
    argv.insert(argv.begin(), {"exec", "gt-relay", "--"});
    Process p(instctl_spawn(argv));
    ASSERT_TRUE(p.wait_stdout("ready\n")) << p.err();
    ASSERT_EQ(::kill(p.pid(), SIGUSR1), 0);
    ASSERT_TRUE(p.wait()) << p.err();
    EXPECT_EQ(p.status(), ExitStatus::exited(0)) << p.err();
    EXPECT_EQ(field(p.out(), "caught"), std::to_string(SIGUSR1)) << p.out();
}

// ---- watch ----------------------------------------------------------------

TEST_F(Instctl, WatchReportsCreatedThenEmptied)
{
    // watch subscribes some time after it starts: keep starting short
    // instances until it has seen three events. Among any three in a row,
    // one instance's created and emptied follow each other.
    Process watch(instctl_spawn({"--json", "watch", "--count", "3"}));
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (!watch.wait(false, std::chrono::milliseconds(200)) &&
           std::chrono::steady_clock::now() < deadline) {
        const auto r = run(instfork_helper({}, {"exit", "3"}));
        ASSERT_EQ(r.status, ExitStatus::exited(3)) << r.err;
    }
    ASSERT_TRUE(watch.wait()) << "watch --count 3 did not end: " << watch.out() << watch.err();
    EXPECT_EQ(watch.status(), ExitStatus::exited(0)) << watch.err();
    const auto events = lines(watch.out());
    ASSERT_EQ(events.size(), 3U) << watch.out();
    bool paired = false;
    for (std::size_t i = 0; i + 1 < events.size(); ++i) {
        const json a = json::parse(events[i]);
        const json b = json::parse(events[i + 1]);
        if (a["event"] != "created" || b["event"] != "emptied" || a["id"] != b["id"])
            continue;
        paired = true;
        EXPECT_GT(a["first_pid"].get<int>(), 0);
        EXPECT_EQ(b["status"], "exited");
        EXPECT_EQ(b["exit_code"], 3);
        EXPECT_EQ(b["exit_status"], 0x300);
    }
    EXPECT_TRUE(paired) << watch.out();
}

TEST_F(Instctl, WatchEndsWithStatus0OnSigterm)
{
    // Once it has printed an event it is subscribed, and long past blocking
    // SIGTERM (which it reads from a signalfd to end cleanly).
    Process watch(instctl_spawn({"watch"}));
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (!watch.wait_stdout("created instance ", std::chrono::milliseconds(200)) &&
           !watch.exited() && std::chrono::steady_clock::now() < deadline)
        ASSERT_EQ(run(instfork_helper({}, {"exit", "0"})).status, ExitStatus::exited(0));
    ASSERT_NE(watch.out().find("created instance "), std::string::npos) << watch.err();
    ASSERT_EQ(::kill(watch.pid(), SIGTERM), 0);
    ASSERT_TRUE(watch.wait());
    EXPECT_EQ(watch.status(), ExitStatus::exited(0)) << watch.err();
}

}  // namespace
}  // namespace mult_guest
