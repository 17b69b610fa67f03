// SPDX-License-Identifier: GPL-2.0-only
//
// Option parsing with CLI11.
//
// CLI11 parses only the option part of the command line. Where the command
// starts is decided here, before CLI11 sees anything: CLI11 would otherwise
// take a "--" as the value of an option ("--chdir -- ls" would chdir to "--")
// and report an unknown option only as "arguments were not expected". The
// scanner asks the CLI11 app which options take a value, so the two cannot
// disagree.
#include "options.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>

#include <CLI/CLI.hpp>

#include "../common/cli_messages.hpp"

#include "mult/mgmt.hpp"
#include "mult/version.hpp"

namespace instfork {
namespace {

constexpr const char* kUsageLine = "instfork [options] -- cmd args...";
constexpr const char* kTryHelp = "Try 'instfork --help' for more information.\n";

EarlyExit usage_error(const std::string& message)
{
    return EarlyExit{kExitUsage, {}, "instfork: " + message + "\n" + kTryHelp};
}

// Flags expect no value (expected_max 0); get_type_size() is 1 for them too.
bool takes_value(const CLI::Option& opt)
{
    return opt.get_expected_max() > 0;
}

bool looks_like_option(const std::string& arg)
{
    // "-" alone conventionally names stdin: an operand, not an option.
    return arg.size() > 1 && arg[0] == '-';
}

// CLI11 2.1 has no App::usage(); its default line ("instfork [OPTIONS]")
// would hide that the command follows the options.
class Formatter : public CLI::Formatter {
public:
    std::string make_usage(const CLI::App*, std::string) const override
    {
        return std::string("Usage: ") + kUsageLine + "\n";
    }
};

struct Raw {
    bool tty = false;      // -t
    bool init = false;     // --init
    bool forking = false;  // --forking
    std::string name;
    std::string chdir;
    std::vector<std::string> env;
    bool clear_env = false;
    std::vector<std::string> pass_fds;
    bool detach = false;
    bool print_id = false;
    std::vector<std::string> keep_caps;
    std::vector<std::string> drop_caps;
    std::string pids_max;
    bool version = false;
};

// "a, b, c", indented by two spaces, in lines that fit the help's width.
std::string indented_list(const std::vector<std::string>& words)
{
    constexpr std::size_t kWidth = 78;
    std::string text;
    std::string line = " ";
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string word = " " + words[i] + (i + 1 < words.size() ? "," : "");
        if (line.size() + word.size() > kWidth) {
            text += line + "\n";
            line = " ";
        }
        line += word;
    }
    return text + line + "\n";
}

std::unique_ptr<CLI::App> make_app(Raw& raw)
{
    auto app = std::make_unique<CLI::App>(
        "Run a command in a new mult instance: an isolated process tree whose pids,\n"
        "process groups, sessions and file descriptors do not cross its boundary.",
        "instfork");
    app->formatter(std::make_shared<Formatter>());
    app->footer(
        "instfork passes stdio and the --pass-fd descriptors, closes every other fd,\n"
        "forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to\n"
        "the instance's first process, and exits with its status (128+N if signal N\n"
        "killed it). With -t, cmd gets a new pseudo-terminal as its controlling\n"
        "terminal and stdio instead; instfork relays its own terminal to it, and\n"
        "window sizes follow. -t needs a terminal on stdin (status 2 otherwise).\n"
        "\n"
        "The command's capability bounding set, and so whatever it or its descendants\n"
        "can ever hold, is limited to\n" +
        indented_list(mult::caps::short_names(mult::caps::kInstanceDefault)) +
        "unless --keep-cap or --drop-cap says otherwise: the others reach the machine\n"
        "as a whole (see instfork(1)).\n"
        "\n"
        "Exit status: the command's own, or 2 for a usage error, 125 if instfork\n"
        "failed, 126 if the command cannot be executed, 127 if it was not found.");
    // Flags given a value ("--detach=3") are rejected rather than counted.
    app->option_defaults()->disable_flag_override();

    app->add_option("--name", raw.name,
                    "Name the instance (1-31 of A-Z a-z 0-9 . _ -, not only digits, not\n"
                    "starting with - or .; not one another instance has; needs the management\n"
                    "module mult_mgmt.ko). cmd starts once the name is set")
        ->type_name("NAME");
    app->add_option("--chdir", raw.chdir, "Change to DIR in the instance before running cmd")
        ->type_name("DIR");
    app->add_option("--env", raw.env, "Set K=V in cmd's environment (repeatable)")
        ->type_name("K=V");
    app->add_flag("--clear-env", raw.clear_env,
                  "Start from an empty environment (then apply --env)");
    app->add_option("--pass-fd", raw.pass_fds,
                    "Keep descriptor N open in the instance (repeatable)")
        ->type_name("N");
    app->add_flag("--detach", raw.detach,
                  "Once cmd has started, print \"PID ID\" on stdout (its pid, then its\n"
                  "instance's id; the pid alone if mult_mgmt.ko is not loaded) and exit");
    app->add_flag("--print-id", raw.print_id,
                  "Print \"instfork: instance ID, first process pid PID\" on stderr before\n"
                  "waiting (without mult_mgmt.ko: the pid, and that the id is unknown)");
    app->add_option("--keep-cap", raw.keep_caps,
                    "Keep these capabilities too (sys_admin or CAP_SYS_ADMIN, any case;\n"
                    "repeatable); 'all' keeps every one instfork has")
        ->type_name("CAP[,CAP...]");
    app->add_option("--drop-cap", raw.drop_caps,
                    "Drop these capabilities too (repeatable); 'all' drops every one\n"
                    "that --keep-cap does not name")
        ->type_name("CAP[,CAP...]");
    app->add_option("--pids-max", raw.pids_max,
                    "Run the instance in a pids cgroup of its own (cgroup v2) allowing at\n"
                    "most N processes and threads; the cgroup is removed when it ends")
        ->type_name("N");
    app->add_flag("--init", raw.init,
                  "Run a reaper as the instance's first process, cmd under it: it reaps\n"
                  "orphans, forwards signals (SIGTERM, SIGINT, SIGQUIT to every member),\n"
                  "keeps the instance while any member lives, and relays $NOTIFY_SOCKET\n"
                  "messages as instfork's own (for systemd services)");
    app->add_flag("--forking", raw.forking,
                  "With --init: cmd daemonizes; its exit with status 0 means ready\n"
                  "(READY=1 to $NOTIFY_SOCKET, for a Type=forking service)");
    app->add_flag("-t,--tty", raw.tty,
                  "Run cmd on a new pseudo-terminal, relayed to instfork's terminal (stdin,\n"
                  "in raw mode meanwhile): ^C, ^Z and job control work inside the instance");
    app->add_flag("--version", raw.version, "Print the version and exit");
    return app;
}

// Index of the first command argument in `args`, or args.size() if none;
// `options_end` receives the end of the option part (which excludes "--").
std::size_t find_command(const CLI::App& app, std::span<const std::string> args,
                         std::size_t& options_end)
{
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--") {
            options_end = i;
            return i + 1;
        }
        if (!looks_like_option(arg)) {
            options_end = i;
            return i;
        }
        if (arg.find('=') != std::string::npos)
            continue;  // "--opt=value": the value is attached
        const CLI::Option* opt = app.get_option_no_throw(arg);
        if (opt == nullptr || !takes_value(*opt))
            continue;  // flag, or unknown (reported later)
        // An option that takes a value swallows the next argument, except
        // "--": then the value is missing and CLI11 says so.
        if (i + 1 < args.size() && args[i + 1] != "--")
            ++i;
    }
    options_end = args.size();
    return args.size();
}

// Checks every option name before CLI11 parses: unknown options and values
// given to flags get a message naming the option.
std::optional<std::string> check_option_names(const CLI::App& app,
                                              std::span<const std::string> options)
{
    for (std::size_t i = 0; i < options.size(); ++i) {
        const std::string& arg = options[i];
        if (!looks_like_option(arg))
            continue;  // an option's value
        const auto eq = arg.find('=');
        const std::string name = arg.substr(0, eq);
        const CLI::Option* opt = app.get_option_no_throw(name);
        if (opt == nullptr)
            return "unknown option '" + name + "'";
        const bool has_value = takes_value(*opt);
        if (!has_value && eq != std::string::npos)
            return "option '" + name + "' does not take a value";
        if (has_value && eq == std::string::npos)
            ++i;  // skip the value, which may itself start with '-'
    }
    return std::nullopt;
}

std::expected<int, std::string> parse_fd(const std::string& text)
{
    int fd = -1;
    const char* first = text.data();
    const char* last = first + text.size();
    const auto [end, ec] = std::from_chars(first, last, fd);
    if (text.empty() || ec != std::errc{} || end != last || fd < 0)
        return std::unexpected("--pass-fd: '" + text + "' is not a file descriptor number");
    return fd;
}

// The kernel takes pids.max values below PIDS_MAX (PID_MAX_LIMIT + 1);
// 0 would leave the first process unable to exist, so 1 is the least.
inline constexpr long kPidsMaxLimit = 4194304;

std::expected<long, std::string> parse_pids_max(const std::string& text)
{
    long n = -1;
    const char* first = text.data();
    const char* last = first + text.size();
    const auto [end, ec] = std::from_chars(first, last, n);
    if (text.empty() || ec != std::errc{} || end != last || n < 1 || n > kPidsMaxLimit)
        return std::unexpected("--pids-max: '" + text + "' is not a number from 1 to " +
                               std::to_string(kPidsMaxLimit));
    return n;
}

bool is_all(const std::string& name)
{
    return std::ranges::equal(name, std::string_view("all"), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == b;
    });
}

// The capabilities named by the values of one of --keep-cap and --drop-cap
// (comma-separated names, "all" aside).
struct CapabilityList {
    mult::caps::Set named = mult::caps::kNone;
    bool all = false;
};

std::expected<CapabilityList, std::string> parse_capabilities(const std::string& option,
                                                              const std::vector<std::string>& values)
{
    CapabilityList list;
    for (const std::string& value : values) {
        std::size_t begin = 0;
        for (;;) {
            const std::size_t comma = std::min(value.find(',', begin), value.size());
            const std::string name = value.substr(begin, comma - begin);
            if (name.empty())
                return std::unexpected(option + ": '" + value + "' has an empty capability name");
            if (const auto cap = mult::caps::from_name(name))
                list.named |= mult::caps::bit(*cap);
            else if (is_all(name))
                list.all = true;
            else
                return std::unexpected(option + ": unknown capability '" + name +
                                       "' (give a name from capabilities(7), such as sys_admin or "
                                       "CAP_SYS_ADMIN, or all)");
            if (comma == value.size())
                break;
            begin = comma + 1;
        }
    }
    return list;
}

// What the command loses: the default set, or every capability (--keep-cap
// all) or none (--drop-cap all), then plus --keep-cap, minus --drop-cap.
// Naming one capability on both sides is a contradiction, not a matter of
// order.
std::expected<mult::caps::Set, std::string> capabilities_to_drop(const Raw& raw)
{
    const auto keep = parse_capabilities("--keep-cap", raw.keep_caps);
    if (!keep)
        return std::unexpected(keep.error());
    const auto drop = parse_capabilities("--drop-cap", raw.drop_caps);
    if (!drop)
        return std::unexpected(drop.error());
    if (keep->all && drop->all)
        return std::unexpected(std::string("--keep-cap all and --drop-cap all contradict each other"));
    if (const mult::caps::Set both = keep->named & drop->named; both != mult::caps::kNone)
        return std::unexpected("--keep-cap and --drop-cap both name " +
                               mult::caps::name(std::countr_zero(both)));
    mult::caps::Set kept = mult::caps::kInstanceDefault;
    if (keep->all)
        kept = mult::caps::kAll;
    else if (drop->all)
        kept = mult::caps::kNone;
    kept = (kept | keep->named) & ~drop->named;
    return ~kept;
}

}  // namespace

std::expected<Config, EarlyExit> parse_command_line(std::span<const std::string> args)
{
    Raw raw;
    auto app = make_app(raw);

    std::size_t options_end = 0;
    const std::size_t command_begin = find_command(*app, args, options_end);
    const auto options = args.first(options_end);

    if (auto problem = check_option_names(*app, options))
        return std::unexpected(usage_error(*problem));

    // CLI11 wants argv order reversed in its vector interface.
    std::vector<std::string> reversed(options.rbegin(), options.rend());
    try {
        app->parse(reversed);
    } catch (const CLI::CallForHelp&) {
        return std::unexpected(EarlyExit{0, app->help(), {}});
    } catch (const CLI::ParseError& e) {
        return std::unexpected(usage_error(mult::cli::own_words(e)));
    }

    if (raw.version)
        return std::unexpected(
            EarlyExit{0, std::string("instfork (mult) ") + mult::kVersion + "\n", {}});

    Config cfg;
    if (app->count("--name") > 0) {
        // Checked here, not only by the module: a bad name is a usage error
        // and must not cost a child that is then killed.
        if (auto problem = mult::mgmt::new_name_problem(raw.name))
            return std::unexpected(usage_error("--name '" + raw.name + "': " + *problem));
        cfg.name = raw.name;
    }
    if (app->count("--chdir") > 0) {
        if (raw.chdir.empty())
            return std::unexpected(usage_error("--chdir: the directory must not be empty"));
        cfg.chdir = raw.chdir;
    }
    for (const std::string& kv : raw.env) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
            return std::unexpected(usage_error("--env: '" + kv + "' is not of the form K=V"));
        cfg.env.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
    }
    cfg.clear_env = raw.clear_env;
    for (const std::string& text : raw.pass_fds) {
        const auto fd = parse_fd(text);
        if (!fd)
            return std::unexpected(usage_error(fd.error()));
        if (*fd > 2)  // stdio is always passed
            cfg.pass_fds.push_back(*fd);
    }
    std::ranges::sort(cfg.pass_fds);
    const auto dup = std::ranges::unique(cfg.pass_fds);
    cfg.pass_fds.erase(dup.begin(), dup.end());
    cfg.detach = raw.detach;
    cfg.print_id = raw.print_id;
    cfg.init = raw.init;
    cfg.forking = raw.forking;
    if (cfg.forking && !cfg.init)
        return std::unexpected(usage_error("--forking needs --init"));
    cfg.tty = raw.tty;
    if (cfg.tty && cfg.detach)
        return std::unexpected(usage_error("-t cannot be combined with --detach: instfork relays "
                                           "the terminal for as long as the command runs"));
    if (cfg.tty && cfg.init)
        return std::unexpected(usage_error("-t cannot be combined with --init: the reaper, not "
                                           "cmd, leads the instance's session"));
    const auto drop_caps = capabilities_to_drop(raw);
    if (!drop_caps)
        return std::unexpected(usage_error(drop_caps.error()));
    cfg.drop_caps = *drop_caps;
    if (app->count("--pids-max") > 0) {
        const auto n = parse_pids_max(raw.pids_max);
        if (!n)
            return std::unexpected(usage_error(n.error()));
        // instfork removes the cgroup once the instance has ended, which it
        // only sees when it waits for the first process.
        if (cfg.detach)
            return std::unexpected(usage_error("--pids-max cannot be combined with --detach: "
                                               "instfork removes the cgroup when the instance ends"));
        cfg.pids_max = *n;
    }

    cfg.command.assign(args.begin() + static_cast<std::ptrdiff_t>(command_begin), args.end());
    if (cfg.command.empty())
        return std::unexpected(usage_error(std::string("missing command\nUsage: ") + kUsageLine));
    if (cfg.command.front().empty())
        return std::unexpected(usage_error("the command name must not be empty"));
    return cfg;
}

std::expected<Config, EarlyExit> parse_command_line(int argc, const char* const* argv)
{
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i)
        args.emplace_back(argv[i]);
    return parse_command_line(args);
}

}  // namespace instfork
