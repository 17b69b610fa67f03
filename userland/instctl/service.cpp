// SPDX-License-Identifier: GPL-2.0-only
//
// instctl svc enable / disable: turn a systemd service into a service
// instance with a drop-in, in the spirit of FreeBSD's sshd_svcj=YES.
//
// The drop-in replaces the unit's ExecStart= with the same command under
// `instfork --init`: instfork stays in the root instance as the unit's
// main process (the pid systemd knows and signals), the command runs in
// the instance under a reaper. Everything systemd does to the main process
// (stop, reload's kill -HUP $MAINPID, the stop timeout's SIGKILL) reaches
// the instance through instfork; notifications are relayed by instfork
// with its own credentials, since systemd reads a member's pid as 0.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.hpp"
#include "service.hpp"

extern char** environ;

namespace instctl {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDropInDir = "/etc/systemd/system";
constexpr const char* kDropInFile = "mult.conf";
constexpr const char* kMarker = "# instctl svc enable";

struct Captured {
    int status = -1;  // exit status, -1 if it could not run or was killed
    std::string out;
};

// Runs argv (PATH searched) with stdout captured, stderr passed through.
Captured run_capture(const std::vector<std::string>& argv)
{
    Captured c;
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0)
        return c;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(pipefd[1]);
    if (rc == 0) {
        char buf[4096];
        ssize_t n;
        while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
            if (n > 0)
                c.out.append(buf, static_cast<std::size_t>(n));
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        c.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    ::close(pipefd[0]);
    return c;
}

std::string trim(std::string s)
{
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos)
        return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

// instfork's absolute path: beside instctl, else the first in PATH.
std::string find_instfork()
{
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path sibling = self.parent_path() / "instfork";
        if (::access(sibling.c_str(), X_OK) == 0)
            return sibling;
    }
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const fs::path p = fs::path(dir.empty() ? "." : dir) / "instfork";
        if (p.is_absolute() && ::access(p.c_str(), X_OK) == 0)
            return p;
    }
    return {};
}

// `systemctl show -p PROP --value UNIT`.
std::optional<std::string> show(const std::string& unit, const std::string& prop)
{
    auto c = run_capture({"systemctl", "show", "-p", prop, "--value", "--", unit});
    if (c.status != 0)
        return std::nullopt;
    return trim(c.out);
}

int fail(std::ostream& err, int code, const std::string& message)
{
    err << "instctl: " << message << '\n' << std::flush;
    return code;
}

int daemon_reload(const Options& opts, std::ostream& err)
{
    if (!opts.reload)
        return kExitOk;
    auto c = run_capture({"systemctl", "daemon-reload"});
    if (c.status != 0)
        return fail(err, kExitFailure, "svc: 'systemctl daemon-reload' failed");
    return kExitOk;
}

int enable(const Options& opts, std::ostream& out, std::ostream& err)
{
    const std::string& unit = opts.unit;
    const fs::path dir = fs::path(kDropInDir) / (unit + ".d");
    const fs::path file = dir / kDropInFile;
    std::error_code ec;
    if (fs::exists(file, ec))
        return fail(err, kExitSvcState,
                    "svc enable " + unit + ": already enabled (" + file.string() +
                        " exists); 'instctl svc disable " + unit + "' first");

    auto load = show(unit, "LoadState");
    if (!load)
        return fail(err, kExitFailure,
                    "svc enable " + unit + ": 'systemctl show' failed (is systemd running?)");
    if (*load == "not-found")
        return fail(err, kExitSvcNoUnit, "svc enable " + unit + ": no such unit");
    if (*load != "loaded")
        return fail(err, kExitSvcCannotWrap,
                    "svc enable " + unit + ": the unit is " + *load + ", not loaded");
    const std::string type = show(unit, "Type").value_or("");

    auto cat = run_capture({"systemctl", "cat", "--", unit});
    if (cat.status != 0)
        return fail(err, kExitFailure, "svc enable " + unit + ": 'systemctl cat' failed");
    auto exec = parse_exec_start(cat.out);
    if (!exec)
        return fail(err, kExitSvcCannotWrap, "svc enable " + unit + ": " + exec.error());

    const std::string instfork = find_instfork();
    if (instfork.empty())
        return fail(err, kExitFailure,
                    "svc enable " + unit + ": instfork not found beside instctl or in PATH");
    const std::string name = opts.svc_name.value_or(default_instance_name(unit));
    DropIn d = make_drop_in(unit, name, *exec, type, instfork, opts.svc_instfork_args);
    if (!d.problem.empty())
        return fail(err, kExitSvcCannotWrap, "svc enable " + unit + ": " + d.problem);

    // Written under a temporary name and renamed: systemd never reads half
    // a file, and a failure leaves nothing behind.
    fs::create_directories(dir, ec);
    if (ec)
        return fail(err, kExitFailure, "svc enable " + unit + ": cannot create " + dir.string() +
                                           ": " + ec.message());
    const fs::path tmp = dir / (std::string(kDropInFile) + ".tmp");
    {
        std::ofstream f(tmp);
        f << d.text;
        f.close();
        if (!f) {
            fs::remove(tmp, ec);
            return fail(err, kExitFailure, "svc enable " + unit + ": cannot write " + tmp.string());
        }
    }
    fs::rename(tmp, file, ec);
    if (ec) {
        fs::remove(tmp, ec);
        return fail(err, kExitFailure, "svc enable " + unit + ": cannot write " + file.string());
    }
    if (int rc = daemon_reload(opts, err); rc != kExitOk) {
        fs::remove(file, ec);
        fs::remove(dir, ec);  // only if empty: it may hold the admin's own drop-ins
        (void)daemon_reload(opts, err);
        return rc;
    }
    out << "instctl: " << unit << " runs in instance '" << name << "' from its next start ("
        << file.string() << "); 'systemctl restart " << unit << "' applies it now\n";
    return kExitOk;
}

int disable(const Options& opts, std::ostream& out, std::ostream& err)
{
    const std::string& unit = opts.unit;
    const fs::path dir = fs::path(kDropInDir) / (unit + ".d");
    const fs::path file = dir / kDropInFile;
    std::ifstream f(file);
    if (!f)
        return fail(err, kExitSvcState, "svc disable " + unit + ": not enabled (no " +
                                            file.string() + ")");
    std::string first;
    std::getline(f, first);
    if (!first.starts_with(kMarker))
        return fail(err, kExitSvcState, "svc disable " + unit + ": " + file.string() +
                                            " was not written by instctl; left alone");
    std::error_code ec;
    fs::remove(file, ec);
    if (ec)
        return fail(err, kExitFailure, "svc disable " + unit + ": cannot remove " + file.string() +
                                           ": " + ec.message());
    fs::remove(dir, ec);  // only if empty
    if (int rc = daemon_reload(opts, err); rc != kExitOk)
        return rc;
    out << "instctl: " << unit << " runs outside any instance from its next start; "
        << "'systemctl restart " << unit << "' applies it now\n";
    return kExitOk;
}

}  // namespace

std::expected<std::string, std::string> parse_exec_start(const std::string& cat)
{
    std::vector<std::string> commands;
    std::istringstream in(cat);
    std::string line, section;
    while (std::getline(in, line)) {
        // A backslash at the end continues the line.
        while (!line.empty() && line.back() == '\\') {
            line.pop_back();
            std::string next;
            if (!std::getline(in, next))
                break;
            line += " " + next;
        }
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#' || t[0] == ';')
            continue;
        if (t.front() == '[') {
            section = t;
            continue;
        }
        if (section != "[Service]")
            continue;
        const auto eq = t.find('=');
        if (eq == std::string::npos || trim(t.substr(0, eq)) != "ExecStart")
            continue;
        const std::string value = trim(t.substr(eq + 1));
        if (value.empty())
            commands.clear();
        else
            commands.push_back(value);
    }
    if (commands.empty())
        return std::unexpected("the unit has no ExecStart=");
    if (commands.size() > 1)
        return std::unexpected("the unit has " + std::to_string(commands.size()) +
                               " ExecStart= commands; only one can run in an instance");
    return commands.front();
}

std::string default_instance_name(const std::string& unit)
{
    std::string name = unit.substr(0, unit.rfind(".service"));
    for (char& c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            c = '-';
    if (name.size() > mult::mgmt::kNameMax)
        name.resize(mult::mgmt::kNameMax);
    if (name.find_first_not_of("0123456789") == std::string::npos)
        name = "svc-" + name.substr(0, mult::mgmt::kNameMax - 4);
    return name;
}

DropIn make_drop_in(const std::string& unit, const std::string& instance_name,
                    const std::string& exec_start, const std::string& type,
                    const std::string& instfork, const std::vector<std::string>& instfork_args)
{
    DropIn d;
    // Prefixes: '-' (failure ignored), ':' (no variable expansion), '+',
    // '!', '!!' (privileges) apply to instfork's line as they would to the
    // command. '@' (a separate argv[0]) cannot be expressed through
    // instfork, which takes argv[0] as the file to run.
    std::size_t p = 0;
    while (p < exec_start.size() && std::string_view("-:+!@|").find(exec_start[p]) != std::string_view::npos)
        ++p;
    const std::string prefix = exec_start.substr(0, p);
    const std::string command = exec_start.substr(p);
    if (prefix.find('@') != std::string::npos) {
        d.problem = "ExecStart= uses the '@' prefix (a separate argv[0]), which instfork cannot pass on";
        return d;
    }
    if (prefix.find('|') != std::string::npos) {
        d.problem = "ExecStart= uses the '|' prefix (a shell), which this systemd does not know";
        return d;
    }

    bool forking = false;
    if (type == "forking") {
        forking = true;
    } else if (type != "simple" && type != "exec" && type != "notify" && type != "oneshot" &&
               type != "idle") {
        d.problem = "Type=" + (type.empty() ? std::string("(unknown)") : type) +
                    " is not supported (simple, exec, notify, forking, oneshot, idle are)";
        return d;
    }

    std::string line = prefix + instfork + " --init --name " + instance_name;
    if (forking)
        line += " --forking";
    for (const auto& a : instfork_args)
        line += " " + a;
    line += " -- " + command;

    std::ostringstream t;
    t << kMarker << ": run " << unit << " in the mult instance '" << instance_name << "'.\n"
      << "# Remove with 'instctl svc disable " << unit << "' (docs/service-instances.md).\n"
      << "[Service]\n"
      << "# The unit's own command, under instfork: instfork stays outside as the\n"
      << "# main process, a reaper is the instance's first process.\n"
      << "ExecStart=\n"
      << "ExecStart=" << line << "\n";
    if (forking)
        t << "# The daemon forks inside the instance, where systemd cannot see it:\n"
          << "# instfork reports READY=1 when the command has exited with status 0,\n"
          << "# and stays the main process while the daemon runs.\n"
          << "Type=notify\n"
          << "NotifyAccess=main\n"
          << "PIDFile=\n"
          << "GuessMainPID=no\n";
    t << "# systemd reads the members' pids as 0: only instfork can signal them.\n"
      << "# It forwards SIGTERM to every member and waits; after TimeoutStopSec=\n"
      << "# the SIGKILL to instfork ends the instance with it.\n"
      << "KillMode=mixed\n"
      << "# instfork exits 128+N when signal N (the stop's SIGTERM) ended the command.\n"
      << "SuccessExitStatus=143\n";
    d.text = t.str();
    return d;
}

int run_svc(const Options& opts, std::ostream& out, std::ostream& err)
{
    if (::geteuid() != 0)
        return fail(err, kExitPermission,
                    std::string("svc ") + (opts.command == Command::svc_enable ? "enable" : "disable") +
                        " " + opts.unit + ": writing systemd drop-ins needs root");
    return opts.command == Command::svc_enable ? enable(opts, out, err) : disable(opts, out, err);
}

}  // namespace instctl
