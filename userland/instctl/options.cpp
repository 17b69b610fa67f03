// SPDX-License-Identifier: GPL-2.0-only
//
// Option parsing with CLI11: one subcommand per operation.
//
// exec's command is cut off before CLI11 sees the arguments, as instfork
// does: CLI11 would otherwise parse the command's own options ("ls -l")
// as instctl's, and take a "--" for an option value.
#include "options.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>

#include <CLI/CLI.hpp>

#include "../common/cli_messages.hpp"

#include "errors.hpp"
#include "mult/version.hpp"
#include "output.hpp"
#include "signals.hpp"

namespace instctl {
namespace {

struct SubcommandText {
    const char* name;
    const char* usage;
    const char* description;
    const char* footer;
};

// Help texts: usage line, one-line description, then examples and notes.
constexpr std::array<SubcommandText, 9> kSubcommands{{
    {"list", "instctl [--json] list [-o COLS] [-n] [-r] [-J] [--tree]",
     "List the live instances, in id order.",
     "Columns: ID, PARENT (the instance it was created in, - for the root),\n"
     "DEPTH, NAME (- if unnamed), FIRST-PID, PROCS and THREADS (zombies\n"
     "included), STARTED (age), STATUS of the first process (running,\n"
     "exited N, killed by SIG); with -o also AGE (seconds) and START-NS\n"
     "(CLOCK_BOOTTIME). An instance stays listed while something refers to\n"
     "it, after its first process has exited. --tree draws each instance\n"
     "below the one it was created in (in the first column).\n"
     "-J: {\"instances\": [...]} with the chosen columns as lower-case keys\n"
     "(nested ones in \"children\" with --tree).\n"
     "With --json: an array of objects with the keys id, parent_id, depth,\n"
     "name, first_pid, nr_processes, nr_threads, start_time_ns (CLOCK_BOOTTIME),\n"
     "age_seconds, exit_status (wait status), status, exit_code, signal,\n"
     "core_dumped (null where it does not apply).\n"
     "\n"
     "Examples:\n"
     "  instctl list\n"
     "  instctl list --tree\n"
     "  instctl list -o id,name -n\n"
     "  instctl list -o +age -r\n"
     "  instctl --json list | jq '.[] | select(.name == \"web\") | .id'\n"},
    {"ps", "instctl [--json] ps [--threads] [-o COLS] [-n] [-r] [-J] [--tree] ID|NAME",
     "List the processes of one instance (not of the instances nested in it).",
     "Columns: PID, TGID, PPID (global numbers; the first process shows its\n"
     "creator), UID (in the initial user namespace), STATE (as in\n"
     "/proc/PID/stat), COMM. --tree draws each process below its parent (a\n"
     "thread below its thread group leader). -J: {\"processes\": [...]}.\n"
     "With --json: an array of objects with the keys pid, tgid, ppid, uid,\n"
     "state, comm.\n"
     "\n"
     "Examples:\n"
     "  instctl ps web\n"
     "  instctl ps --threads 3\n"
     "  instctl ps --tree -o pid,comm web\n"},
    {"kill", "instctl kill [-s SIG | -SIG] ID|NAME|--all",
     "Send a signal to every process of an instance and of the instances nested\n"
     "in it (--all: of every instance). A process forking at the same time\n"
     "cannot escape.",
     "SIG is a name (TERM, SIGTERM, -KILL, hup, RTMIN+1) or a number from 1 to\n"
     "64 (9, -9); the default is TERM. kill(1)'s habit '-SIG' works without -s.\n"
     "Fails (status 1) when no process was left to signal; with --all, when\n"
     "there was no instance at all nothing is sent and the status is 0.\n"
     "\n"
     "Examples:\n"
     "  instctl kill web\n"
     "  instctl kill -s KILL 3\n"
     "  instctl kill -9 --all\n"
     "  instctl kill --signal 9 3\n"},
    {"stop", "instctl stop [--timeout S] ID|NAME|--all",
     "Stop an instance (--all: every instance): SIGTERM to every process, wait\n"
     "for the instance to empty, SIGKILL to what is left after the timeout.",
     "S is the grace in seconds between SIGTERM and SIGKILL (default 10; 0 sends\n"
     "SIGKILL at once; fractions such as 0.5 are allowed). The instances nested\n"
     "in it are signalled and waited for too. An instance is gone when no\n"
     "process of it is left running (zombies waiting for their parent count as\n"
     "gone). Stopping an instance that is already gone is not an error.\n"
     "\n"
     "Exit status 0: every process ended after SIGTERM; 6: SIGKILL was needed\n"
     "(the timeout passed); 7: processes were still there 5 s after SIGKILL\n"
     "(uninterruptible sleep); 3: no such instance.\n"
     "\n"
     "Examples:\n"
     "  instctl stop web\n"
     "  instctl stop --timeout 30 3\n"
     "  instctl stop --all --timeout 5\n"},
    {"exec", "instctl exec [-t] [--chdir DIR] [-u USER] [-l] ID|NAME [[--] CMD [ARGS...]]",
     "Run a command inside a running instance (like jexec).",
     "The command joins the instance as a member: a new session without a\n"
     "controlling terminal, not traced, a subreaper for what it starts. It\n"
     "gets instctl's stdin, stdout, stderr and environment, and no other file\n"
     "descriptor. instctl relays SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,\n"
     "SIGUSR2 and SIGWINCH to it, waits for it and exits with its status.\n"
     "With -t the command runs on a new pseudo-terminal instead, its\n"
     "controlling terminal, and instctl relays its terminal (in raw mode until\n"
     "the command ends) to it: ^C, ^Z and ^\\ reach the foreground job inside\n"
     "the instance, a shell has job control, window sizes follow. -t needs a\n"
     "terminal on stdin (status 2 otherwise).\n"
     "If the instance ends before the command's process is created, the\n"
     "kernel refuses to create it and nothing runs; and the command runs only\n"
     "once instctl has checked that its process is in the instance.\n"
     "Without CMD, the user's login shell runs (its passwd entry's, with -l).\n"
     "-u USER runs it as USER (a name or uid of the machine's /etc/passwd, with\n"
     "the groups of /etc/group); -l gives it a clean environment (HOME, SHELL,\n"
     "USER, LOGNAME, PATH and the caller's TERM) and starts it in HOME, as a\n"
     "login would.\n"
     "\n"
     "Exit status: the command's (128+N if signal N killed it), 2 for a usage\n"
     "error (-t without a terminal included), 125 if instctl failed (no such instance, instance ending or ended,\n"
     "permission, module not loaded: the message says which), 126 if the\n"
     "command cannot be executed, 127 if it was not found.\n"
     "\n"
     "Examples:\n"
     "  instctl exec web -- sh\n"
     "  instctl exec -t web\n"
     "  instctl exec -l -u www-data web\n"
     "  instctl exec --chdir /srv 3 -- ls -l\n"},
    {"watch", "instctl [--json] watch [--count N]",
     "Print instances as they are created and emptied, until SIGINT or SIGTERM.",
     "created: an instance got its first process (id, first pid).\n"
     "emptied: its first process exited and every other process of it was sent\n"
     "SIGKILL (id, how the first process ended).\n"
     "With --json: one object per line with the keys event (created or\n"
     "emptied), id, first_pid (created), exit_status, status, exit_code,\n"
     "signal, core_dumped (emptied). Events the module could not queue are\n"
     "counted in 'instctl info' (events dropped).\n"
     "\n"
     "Examples:\n"
     "  instctl watch\n"
     "  instctl --json watch --count 1\n"},
    {"info", "instctl [--json] info",
     "Show the management module's ABI version, the limits and the counts.",
     "Lines: ABI version, max depth (kernel.mult.max_depth), max instances\n"
     "(kernel.mult.max_instances), live instances, events dropped.\n"
     "With --json: an object with the keys abi_version, max_depth,\n"
     "max_instances, nr_instances, events_dropped.\n"
     "\n"
     "Example:\n"
     "  instctl info\n"},
    {"svc", "instctl svc enable [options] UNIT | svc disable UNIT",
     "Run a systemd service in an instance (or stop doing so).",
     "enable writes the drop-in /etc/systemd/system/UNIT.d/mult.conf, which\n"
     "runs the unit's own ExecStart= under 'instfork --init --name NAME', and\n"
     "runs 'systemctl daemon-reload'; disable removes it. The unit is not\n"
     "restarted: 'systemctl restart UNIT' applies the change.\n"
     "Options of enable:\n"
     "  --name NAME        the instance's name (default: the unit's name\n"
     "                     without .service)\n"
     "  --keep-cap CAPS    --drop-cap CAPS: passed to instfork\n"
     "  --no-reload        do not run 'systemctl daemon-reload'\n"
     "Exit status: 0 done, 1 failure (systemctl failed, a file could not be\n"
     "written), 2 usage error, 4 not root, 8 unknown unit, 9 the unit cannot\n"
     "be wrapped (no ExecStart=, several, or a Type= instfork cannot relay),\n"
     "10 already enabled (enable) or not enabled (disable).\n"
     "docs/service-instances.md has the details.\n"
     "\n"
     "Examples:\n"
     "  instctl svc enable ssh.service\n"
     "  instctl svc enable --name www --keep-cap net_raw nginx\n"
     "  instctl svc disable ssh\n"},
    {"name", "instctl name ID|NAME NEWNAME",
     "Name an instance, or rename it.",
     "NEWNAME: 1 to 31 characters of A-Z a-z 0-9 . _ -, not only digits (a\n"
     "string of digits names an instance by id), not starting with - (it would\n"
     "read as an option) or . (like . and ..), unique among live instances.\n"
     "\n"
     "Examples:\n"
     "  instctl name 3 web\n"
     "  instctl name web web-old\n"},
}};

constexpr const char* kTopUsage = "instctl [--json] COMMAND [options] [args]";

const SubcommandText* find_subcommand(std::string_view name)
{
    const auto it = std::ranges::find_if(kSubcommands,
                                         [&](const SubcommandText& s) { return s.name == name; });
    return it == kSubcommands.end() ? nullptr : &*it;
}

// CLI11 2.1's default usage line ("instctl ps [OPTIONS] instance") would
// hide where --json and exec's command go.
class Formatter : public CLI::Formatter {
public:
    std::string make_usage(const CLI::App* app, std::string) const override
    {
        const SubcommandText* sub = find_subcommand(app->get_name());
        return std::string("Usage: ") + (sub != nullptr ? sub->usage : kTopUsage) + "\n";
    }
};

struct Raw {
    std::string user;  // exec -u
    bool login = false;  // exec -l
    bool tty = false;    // exec -t
    bool json = false;
    bool version = false;
    std::string instance;
    bool threads = false;
    std::string columns;  // list, ps: -o
    bool noheadings = false;
    bool raw_table = false;
    bool json_table = false;
    bool tree = false;
    std::string signal = "TERM";
    std::string chdir;
    std::string count;
    std::string new_name;
    bool all = false;
    std::string timeout;
    std::string unit;
    std::string svc_name;
    std::string keep_cap;
    std::string drop_cap;
    bool no_reload = false;
};

std::string top_footer()
{
    std::string text =
        "An instance is given by its id (a decimal number) or its name. Every\n"
        "command needs CAP_SYS_ADMIN in the initial user namespace, a caller\n"
        "outside any instance and the management module mult_mgmt.ko.\n"
        "'instctl COMMAND --help' describes each command.\n"
        "\n"
        "Examples:\n"
        "  instctl list\n"
        "  instctl ps web\n"
        "  instctl kill -s KILL web\n"
        "  instctl exec web -- sh -c 'echo inside'\n"
        "  instctl --json watch\n"
        "\n";
    return text + exit_status_help(true);
}

std::unique_ptr<CLI::App> make_app(Raw& raw)
{
    auto app = std::make_unique<CLI::App>(
        "Manage mult instances (isolated process trees) through the management module.",
        "instctl");
    app->formatter(std::make_shared<Formatter>());
    app->footer(top_footer());
    // Flags given a value ("--json=1") are rejected rather than counted.
    app->option_defaults()->disable_flag_override();
    // --json is also accepted after the command ("instctl list --json").
    app->fallthrough();
    app->require_subcommand(0, 1);

    app->add_flag("--json", raw.json, "Print JSON for scripts (list, ps, info, watch)");
    app->add_flag("--version", raw.version, "Print the version and exit");

    const auto sub = [&](const char* name) {
        const SubcommandText* text = find_subcommand(name);
        CLI::App* s = app->add_subcommand(name, text->description);
        s->group("Commands");  // the heading in --help; CLI11 says "Subcommands"
        // exec's footer has its own statuses: it passes the command's through.
        s->footer(std::string(text->footer) +
                  (std::string_view(name) == "exec" ? "" : "\n" + exit_status_help(false)));
        return s;
    };
    const auto instance = [&](CLI::App* s) {
        s->add_option("instance", raw.instance, "The instance: its id or its name")
            ->type_name("ID|NAME")
            ->required();
    };

    // list and ps print tables the util-linux way (lsns, findmnt).
    const auto table_options = [&](CLI::App* s) {
        s->add_option("-o,--output", raw.columns,
                      "Columns to show, comma-separated (+COLS: the default ones and COLS)")
            ->type_name("COLS");
        s->add_flag("-n,--noheadings", raw.noheadings, "No heading line");
        s->add_flag("-r,--raw", raw.raw_table, "One space between cells, unsafe bytes as \\x..");
        s->add_flag("-J", raw.json_table, "JSON of the chosen columns (--json: the fixed format)");
        s->add_flag("--tree", raw.tree, "Nested entries below their parent");
    };

    table_options(sub("list"));

    CLI::App* ps = sub("ps");
    ps->add_flag("--threads", raw.threads, "One line per thread instead of per process");
    table_options(ps);
    instance(ps);

    // kill and stop take an instance or --all.
    const auto instance_or_all = [&](CLI::App* s) {
        s->add_flag("--all", raw.all, "Every instance");
        s->add_option("instance", raw.instance, "The instance: its id or its name")
            ->type_name("ID|NAME");
    };
    CLI::App* kill = sub("kill");
    kill->add_option("-s,--signal", raw.signal, "Signal to send (default TERM)")->type_name("SIG");
    instance_or_all(kill);

    CLI::App* stop = sub("stop");
    stop->add_option("--timeout", raw.timeout, "Seconds between SIGTERM and SIGKILL (default 10)")
        ->type_name("S");
    instance_or_all(stop);

    CLI::App* svc = sub("svc");
    svc->require_subcommand(1, 1);
    CLI::App* enable = svc->add_subcommand("enable", "Run UNIT in an instance");
    enable->add_option("unit", raw.unit, "The systemd unit")->type_name("UNIT")->required();
    enable->add_option("--name", raw.svc_name, "The instance's name")->type_name("NAME");
    enable->add_option("--keep-cap", raw.keep_cap, "Capabilities to keep (instfork)")
        ->type_name("CAPS");
    enable->add_option("--drop-cap", raw.drop_cap, "Capabilities to drop (instfork)")
        ->type_name("CAPS");
    enable->add_flag("--no-reload", raw.no_reload, "Do not run systemctl daemon-reload");
    CLI::App* disable = svc->add_subcommand("disable", "Stop running UNIT in an instance");
    disable->add_option("unit", raw.unit, "The systemd unit")->type_name("UNIT")->required();
    disable->add_flag("--no-reload", raw.no_reload, "Do not run systemctl daemon-reload");

    CLI::App* exec = sub("exec");
    exec->add_option("--chdir", raw.chdir, "Change to DIR in the instance before running CMD")
        ->type_name("DIR");
    exec->add_option("-u,--user", raw.user, "Run CMD as USER (name or uid)")->type_name("USER");
    exec->add_flag("-l,--login", raw.login,
                   "Clean environment of a login (HOME, SHELL, USER, PATH, TERM), in HOME");
    exec->add_flag("-t,--tty", raw.tty,
                   "Run CMD on a new pseudo-terminal, relayed to instctl's terminal (stdin)");
    instance(exec);

    CLI::App* watch = sub("watch");
    watch->add_option("--count", raw.count, "Exit after N events")->type_name("N");

    sub("info");

    CLI::App* name = sub("name");
    instance(name);
    name->add_option("newname", raw.new_name, "The new name")->type_name("NEWNAME")->required();
    return app;
}

bool looks_like_option(const std::string& arg)
{
    return arg.size() > 1 && arg[0] == '-';
}

// Where exec's command starts in `args` (args.size() if nowhere), given the
// index of "exec"; `options_end` receives the end of what CLI11 parses
// (which excludes a "--").
std::size_t find_exec_command(std::span<const std::string> args, std::size_t exec_at,
                              std::size_t& options_end)
{
    bool have_instance = false;
    for (std::size_t i = exec_at + 1; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--") {
            options_end = i;
            return i + 1;
        }
        if (looks_like_option(arg)) {
            // --chdir is exec's only option with a separate value.
            if ((arg == "--chdir" || arg == "-u" || arg == "--user") && i + 1 < args.size() &&
                args[i + 1] != "--")
                ++i;
            continue;
        }
        if (have_instance) {
            options_end = i;
            return i;
        }
        have_instance = true;
    }
    options_end = args.size();
    return args.size();
}

// Index of the subcommand's name: the first argument that is not one of
// the global flags. args.size() if none.
std::size_t find_subcommand_at(std::span<const std::string> args)
{
    for (std::size_t i = 0; i < args.size(); ++i)
        if (!looks_like_option(args[i]))
            return i;
    return args.size();
}

std::expected<std::uint64_t, std::string> parse_count(const std::string& text)
{
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || n == 0)
        return std::unexpected("--count: '" + text + "' is not a number of events (1 or more)");
    return n;
}

// kill(1) habits for instctl kill: "-9" and "-KILL" (an option-like
// argument that names a signal) become "--signal=9"; "-s -9" becomes
// "-s 9". CLI11 would otherwise read "-KILL" as the flags -K -I -L -L.
std::vector<std::string> rewrite_signal_args(std::span<const std::string> args, std::size_t sub_at)
{
    std::vector<std::string> out(args.begin(), args.end());
    for (std::size_t i = sub_at + 1; i < out.size(); ++i) {
        std::string& arg = out[i];
        if (arg == "--")
            break;
        if ((arg == "-s" || arg == "--signal") && i + 1 < out.size()) {
            std::string& value = out[i + 1];
            if (value.size() > 1 && value[0] == '-' && value[1] != '-' &&
                parse_signal(std::string_view(value).substr(1)))
                value.erase(0, 1);
            ++i;
            continue;
        }
        if (arg.size() > 1 && arg[0] == '-' && arg[1] != '-' && arg != "-s" && arg != "-h" &&
            parse_signal(std::string_view(arg).substr(1)))
            arg = "--signal=" + arg.substr(1);
    }
    return out;
}

// stop --timeout: seconds, a decimal number >= 0 with at most 3 decimals,
// at most a day (a longer one is a typo, not a policy).
std::expected<std::chrono::milliseconds, std::string> parse_timeout(const std::string& text)
{
    const std::string bad = "--timeout: '" + text + "' is not a number of seconds (0 to 86400, "
                            "like 10 or 2.5)";
    std::size_t dot = text.find('.');
    const std::string whole = text.substr(0, dot);
    std::string frac = dot == std::string::npos ? std::string() : text.substr(dot + 1);
    if (text.empty() || (whole.empty() && frac.empty()) || frac.size() > 3 ||
        !std::ranges::all_of(whole, [](char c) { return c >= '0' && c <= '9'; }) ||
        !std::ranges::all_of(frac, [](char c) { return c >= '0' && c <= '9'; }) ||
        whole.size() > 5)
        return std::unexpected(bad);
    frac.resize(3, '0');
    const long long ms = (whole.empty() ? 0 : std::stoll(whole)) * 1000 + std::stoll(frac);
    if (ms > 86'400'000)
        return std::unexpected(bad);
    return std::chrono::milliseconds(ms);
}

}  // namespace

// "ssh" -> "ssh.service"; other unit types and odd characters are refused.
std::expected<std::string, std::string> service_unit_name(std::string_view text)
{
    std::string unit(text);
    if (unit.find('.') == std::string::npos)
        unit += ".service";
    const bool ok_chars = std::ranges::all_of(unit, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.' || c == '@' || c == ':' || c == '\\';
    });
    if (text.empty() || !ok_chars || unit.size() > 255 || unit.front() == '.')
        return std::unexpected("'" + std::string(text) + "' is not a unit name");
    if (!unit.ends_with(".service") || unit.size() == 8)
        return std::unexpected("'" + std::string(text) +
                               "': only service units (NAME.service) run in an instance");
    if (unit.find('@') != std::string::npos && unit.ends_with("@.service"))
        return std::unexpected("'" + std::string(text) +
                               "' is a template: enable one of its instances (NAME@X.service)");
    return unit;
}

std::expected<Options, EarlyExit> parse_command_line(std::span<const std::string> args)
{
    Raw raw;
    auto app = make_app(raw);

    const std::size_t sub_at = find_subcommand_at(args);
    const std::string sub_name = sub_at < args.size() ? args[sub_at] : std::string();
    const auto usage_error = [&](const std::string& message) {
        const std::string help = find_subcommand(sub_name) != nullptr
                                     ? "instctl " + sub_name + " --help"
                                     : std::string("instctl --help");
        const std::string prefix = find_subcommand(sub_name) != nullptr ? "instctl " + sub_name
                                                                        : std::string("instctl");
        return std::unexpected(EarlyExit{
            kExitUsage, {}, prefix + ": " + message + "\nTry '" + help + "' for more information.\n"});
    };
    if (sub_at < args.size() && find_subcommand(sub_name) == nullptr)
        return usage_error("unknown command '" + sub_name +
                           "' (commands: list, ps, kill, stop, exec, watch, info, name, svc)");

    // kill(1)'s habits: "-9", "-KILL", "-s -KILL" become "--signal=...".
    std::vector<std::string> rewritten;
    if (sub_name == "kill") {
        rewritten = rewrite_signal_args(args, sub_at);
        args = rewritten;
    }

    std::size_t options_end = args.size();
    std::size_t command_at = args.size();
    if (sub_name == "exec")
        command_at = find_exec_command(args, sub_at, options_end);

    // CLI11 wants argv order reversed in its vector interface.
    std::vector<std::string> reversed(args.begin(),
                                      args.begin() + static_cast<std::ptrdiff_t>(options_end));
    std::ranges::reverse(reversed);
    try {
        app->parse(reversed);
    } catch (const CLI::CallForHelp&) {
        return std::unexpected(EarlyExit{0, app->help(), {}});
    } catch (const CLI::ParseError& e) {
        return usage_error(mult::cli::own_words(e, {{"instance", "instance (its id or its name)"},
                                                    {"newname", "new name"}}));
    }

    if (raw.version)
        return std::unexpected(
            EarlyExit{0, std::string("instctl (mult) ") + mult::kVersion + "\n", {}});
    if (sub_name.empty())
        return usage_error(std::string("missing command\nUsage: ") + kTopUsage);

    Options opts;
    opts.json = raw.json;
    static const std::map<std::string, Command, std::less<>> commands{
        {"list", Command::list}, {"ps", Command::ps},     {"kill", Command::kill},
        {"exec", Command::exec}, {"watch", Command::watch}, {"info", Command::info},
        {"name", Command::name}, {"stop", Command::stop},
    };
    if (sub_name == "svc")
        opts.command = app->get_subcommand("svc")->got_subcommand("enable") ? Command::svc_enable
                                                                          : Command::svc_disable;
    else
        opts.command = commands.at(sub_name);

    if (opts.command == Command::kill || opts.command == Command::stop) {
        if (raw.all && !raw.instance.empty())
            return usage_error("give an instance or --all, not both");
        if (!raw.all && raw.instance.empty())
            return usage_error("missing instance (an id, a name, or --all)");
        opts.all = raw.all;
    }

    const bool takes_instance = opts.command == Command::ps ||
                                ((opts.command == Command::kill || opts.command == Command::stop) &&
                                 !opts.all) ||
                                opts.command == Command::exec || opts.command == Command::name;
    if (takes_instance) {
        auto ref = mult::mgmt::parse_instance_ref(raw.instance);
        if (!ref)
            return usage_error(ref.error());
        opts.instance = std::move(*ref);
    }

    if (opts.command == Command::list || opts.command == Command::ps) {
        if (raw.json && raw.json_table)
            return usage_error("--json and -J are two JSON formats: give one of them");
        if (raw.json && (!raw.columns.empty() || raw.noheadings || raw.raw_table || raw.tree))
            return usage_error("--json has fixed keys: -o, -n, -r and --tree go with the table "
                               "or -J");
        if (!raw.columns.empty()) {
            auto cols = parse_columns(opts.command == Command::list ? TableKind::list
                                                                    : TableKind::ps,
                                      raw.columns);
            if (!cols)
                return usage_error(cols.error());
            opts.table.columns = std::move(*cols);
        }
        opts.table.headings = !raw.noheadings;
        opts.table.raw = raw.raw_table;
        opts.table.json = raw.json_table;
        opts.table.tree = raw.tree;
    }

    switch (opts.command) {
    case Command::ps:
        opts.threads = raw.threads;
        break;
    case Command::kill: {
        auto sig = parse_signal(raw.signal);
        if (!sig)
            return usage_error("-s: " + sig.error());
        opts.signal = *sig;
        break;
    }
    case Command::exec:
        if (!raw.chdir.empty())
            opts.chdir = raw.chdir;
        else if (app->get_subcommand("exec")->count("--chdir") > 0)
            return usage_error("--chdir: the directory must not be empty");
        if (app->get_subcommand("exec")->count("--user") > 0) {
            if (raw.user.empty())
                return usage_error("--user: the user must not be empty");
            opts.user = raw.user;
        }
        opts.login = raw.login;
        opts.tty = raw.tty;
        // No command: the user's login shell (run_exec).
        opts.argv.assign(args.begin() + static_cast<std::ptrdiff_t>(command_at), args.end());
        if (!opts.argv.empty() && opts.argv.front().empty())
            return usage_error("the command name must not be empty");
        break;
    case Command::watch:
        if (app->get_subcommand("watch")->count("--count") > 0) {
            auto n = parse_count(raw.count);
            if (!n)
                return usage_error(n.error());
            opts.count = *n;
        }
        break;
    case Command::name:
        if (auto problem = mult::mgmt::new_name_problem(raw.new_name))
            return usage_error("'" + raw.new_name + "': " + *problem);
        opts.new_name = raw.new_name;
        break;
    case Command::stop:
        if (app->get_subcommand("stop")->count("--timeout") > 0) {
            auto t = parse_timeout(raw.timeout);
            if (!t)
                return usage_error(t.error());
            opts.timeout = *t;
        }
        break;
    case Command::svc_enable:
    case Command::svc_disable: {
        auto unit = service_unit_name(raw.unit);
        if (!unit)
            return usage_error(unit.error());
        opts.unit = *unit;
        opts.reload = !raw.no_reload;
        if (opts.command == Command::svc_disable)
            break;
        if (!raw.svc_name.empty()) {
            if (auto problem = mult::mgmt::new_name_problem(raw.svc_name))
                return usage_error("--name '" + raw.svc_name + "': " + *problem);
            opts.svc_name = raw.svc_name;
        }
        if (!raw.keep_cap.empty())
            opts.svc_instfork_args.push_back("--keep-cap=" + raw.keep_cap);
        if (!raw.drop_cap.empty())
            opts.svc_instfork_args.push_back("--drop-cap=" + raw.drop_cap);
        for (const auto& a : opts.svc_instfork_args)
            if (a.find_first_of(" \t\n\"'\\%$;") != std::string::npos)
                return usage_error("'" + a + "': capability lists are names and commas only");
        break;
    }
    case Command::list:
    case Command::info:
        break;
    }
    return opts;
}

std::expected<Options, EarlyExit> parse_command_line(int argc, const char* const* argv)
{
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i)
        args.emplace_back(argv[i]);
    return parse_command_line(args);
}

}  // namespace instctl
