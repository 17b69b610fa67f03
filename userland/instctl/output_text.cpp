// SPDX-License-Identifier: GPL-2.0-only
//
// Human output: aligned tables and one-line events.
#include <algorithm>
#include <array>
#include <ctime>

#include <fmt/format.h>
#include <sys/wait.h>

#include "output.hpp"
#include "signals.hpp"
#include "table.hpp"

namespace instctl {
namespace {

std::string or_dash(const std::optional<std::uint32_t>& v)
{
    return v ? std::to_string(*v) : std::string("-");
}

// A command name is whatever bytes a process chose (prctl PR_SET_NAME):
// control characters would break the table, so they print as '?', as in
// ps(1).
std::string printable(std::string s)
{
    for (char& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = '?';
    return s;
}

}  // namespace

RunState run_state(const std::optional<std::uint32_t>& wait_status)
{
    if (!wait_status)
        return {};
    const int ws = static_cast<int>(*wait_status);
    if (WIFSIGNALED(ws))
        return {RunState::Kind::killed, WTERMSIG(ws), WCOREDUMP(ws) != 0};
    return {RunState::Kind::exited, WEXITSTATUS(ws), false};
}

std::string describe(const RunState& state)
{
    switch (state.kind) {
    case RunState::Kind::running:
        break;
    case RunState::Kind::exited:
        return "exited " + std::to_string(state.value);
    case RunState::Kind::killed:
        return "killed by " + signal_name(state.value) + (state.core_dumped ? " (core dumped)" : "");
    }
    return "running";
}

std::string format_age(std::uint64_t s)
{
    constexpr std::uint64_t minute = 60, hour = 60 * minute, day = 24 * hour;
    if (s < minute)
        return fmt::format("{}s", s);
    if (s < hour)
        return fmt::format("{}m{:02}s", s / minute, s % minute);
    if (s < day)
        return fmt::format("{}h{:02}m", s / hour, s % hour / minute);
    return fmt::format("{}d{:02}h", s / day, s % day / hour);
}

std::uint64_t age_seconds(std::uint64_t start_ns, std::uint64_t now_ns)
{
    return now_ns > start_ns ? (now_ns - start_ns) / 1'000'000'000ULL : 0;
}

std::uint64_t boottime_ns()
{
    timespec ts{};
    ::clock_gettime(CLOCK_BOOTTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
           static_cast<std::uint64_t>(ts.tv_nsec);
}

namespace {

// -J: invalid UTF-8 (a comm is whatever bytes a process chose) becomes
// U+FFFD, as in --json; libsmartcols would copy it into the JSON as is.
std::string valid_utf8(const std::string& s)
{
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        const std::size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3
                                                : (b >> 3) == 0x1e ? 4 : 0;
        bool ok = len > 0 && i + len <= s.size() && !(len == 2 && b < 0xc2);
        for (std::size_t k = 1; ok && k < len; ++k)
            ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
        if (ok) {
            out.append(s, i, len);
            i += len;
        } else {
            out += "\xef\xbf\xbd";
            ++i;
        }
    }
    return out;
}

std::string upper(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
    return out;
}

using mult::mgmt::Instance;
using mult::mgmt::Process;

Cell number(std::uint64_t v)
{
    return std::to_string(v);
}

Cell optional_number(const std::optional<std::uint32_t>& v)
{
    return v ? number(*v) : Cell{};
}

// One column of list or ps: its header, what it shows, and how.
template <class T>
struct ColumnSpec {
    const char* name;
    const char* help;
    bool right;
    bool number;
    bool shown;  // by default
    Cell (*cell)(const T&, std::uint64_t now_ns, bool json);
};

const std::vector<ColumnSpec<Instance>>& list_columns()
{
    static const std::vector<ColumnSpec<Instance>> columns{
        {"ID", "instance id", true, true, true,
         [](const Instance& i, std::uint64_t, bool) { return number(i.id); }},
        {"PARENT", "id of the instance it was created in (- for the root)", true, true, true,
         [](const Instance& i, std::uint64_t, bool) {
             return i.parent_id == 0 ? Cell{} : number(i.parent_id);
         }},
        {"DEPTH", "nesting depth (1: created in the root)", true, true, true,
         [](const Instance& i, std::uint64_t, bool) { return number(i.depth); }},
        {"NAME", "name (- if unnamed)", false, false, true,
         [](const Instance& i, std::uint64_t, bool) {
             return i.name.empty() ? Cell{} : Cell{i.name};
         }},
        {"FIRST-PID", "pid of the first process", true, true, true,
         [](const Instance& i, std::uint64_t, bool) { return optional_number(i.first_pid); }},
        {"PROCS", "processes, zombies included", true, true, true,
         [](const Instance& i, std::uint64_t, bool) { return number(i.nr_processes); }},
        {"THREADS", "threads, zombies included", true, true, true,
         [](const Instance& i, std::uint64_t, bool) { return number(i.nr_threads); }},
        {"STARTED", "age (3m05s ago)", true, false, true,
         [](const Instance& i, std::uint64_t now, bool) {
             return Cell{format_age(age_seconds(i.start_time_ns, now)) + " ago"};
         }},
        {"STATUS", "the first process: running, exited N, killed by SIG", false, false, true,
         [](const Instance& i, std::uint64_t, bool) {
             return Cell{describe(run_state(i.exit_status))};
         }},
        {"AGE", "age in seconds", true, true, false,
         [](const Instance& i, std::uint64_t now, bool) {
             return number(age_seconds(i.start_time_ns, now));
         }},
        {"START-NS", "start time (CLOCK_BOOTTIME, ns)", true, true, false,
         [](const Instance& i, std::uint64_t, bool) { return number(i.start_time_ns); }},
    };
    return columns;
}

const std::vector<ColumnSpec<Process>>& ps_columns()
{
    static const std::vector<ColumnSpec<Process>> columns{
        {"PID", "process (thread) id", true, true, true,
         [](const Process& p, std::uint64_t, bool) { return number(p.pid); }},
        {"TGID", "thread group id", true, true, true,
         [](const Process& p, std::uint64_t, bool) { return number(p.tgid); }},
        {"PPID", "parent pid (global; the first process shows its creator)", true, true, true,
         [](const Process& p, std::uint64_t, bool) { return number(p.ppid); }},
        {"UID", "uid in the initial user namespace", true, true, true,
         [](const Process& p, std::uint64_t, bool) { return number(p.uid); }},
        {"STATE", "state, as in /proc/PID/stat", false, false, true,
         [](const Process& p, std::uint64_t, bool json) {
             const std::string state(1, p.state);
             return Cell{json ? valid_utf8(state) : printable(state)};
         }},
        {"COMM", "command name", false, false, true,
         [](const Process& p, std::uint64_t, bool json) {
             return Cell{json ? valid_utf8(p.comm) : printable(p.comm)};
         }},
    };
    return columns;
}

template <class T>
std::expected<std::vector<std::string>, std::string> parse_columns_of(
    const std::vector<ColumnSpec<T>>& specs, std::string_view spec)
{
    std::vector<std::string> chosen;
    if (!spec.empty() && spec.front() == '+') {
        for (const auto& c : specs)
            if (c.shown)
                chosen.emplace_back(c.name);
        spec.remove_prefix(1);
    }
    std::string known;
    for (const auto& c : specs)
        known += std::string(known.empty() ? "" : ",") + c.name;
    std::size_t begin = 0;
    for (;;) {
        const std::size_t comma = std::min(spec.find(',', begin), spec.size());
        const std::string name = upper(spec.substr(begin, comma - begin));
        if (name.empty())
            return std::unexpected("-o: '" + std::string(spec) + "' has an empty column name");
        if (std::ranges::find(specs, name, [](const auto& c) { return std::string(c.name); }) ==
            specs.end())
            return std::unexpected("-o: unknown column '" + name + "' (columns: " + known + ")");
        if (std::ranges::find(chosen, name) != chosen.end())
            return std::unexpected("-o: column '" + name + "' is named twice");
        chosen.push_back(name);
        if (comma == spec.size())
            break;
        begin = comma + 1;
    }
    return chosen;
}

template <class T>
std::string columns_help_of(const std::vector<ColumnSpec<T>>& specs)
{
    std::string text;
    for (const auto& c : specs)
        text += fmt::format("  {:<10} {}{}\n", c.name, c.help, c.shown ? "" : " (not shown by default)");
    return text;
}

// The table of `items` with the columns `options` chose.
template <class T>
std::string render(const std::vector<ColumnSpec<T>>& specs, std::span<const T> items,
                   std::uint64_t now_ns, const TableOptions& options, const char* json_name,
                   std::uint64_t (*key)(const T&), std::optional<std::uint64_t> (*parent)(const T&))
{
    std::vector<const ColumnSpec<T>*> chosen;
    if (options.columns.empty()) {
        for (const auto& c : specs)
            if (c.shown)
                chosen.push_back(&c);
    } else {
        for (const std::string& name : options.columns) {
            const auto it = std::ranges::find(specs, name,
                                              [](const auto& c) { return std::string(c.name); });
            if (it != specs.end())  // parse_columns() let no unknown one through
                chosen.push_back(&*it);
        }
    }
    std::vector<Column> columns;
    for (const auto* c : chosen)
        columns.push_back({c->name, c->right, c->number});
    std::vector<Row> rows;
    for (const T& item : items) {
        Row row;
        for (const auto* c : chosen)
            row.cells.push_back(c->cell(item, now_ns, options.json));
        row.key = key(item);
        row.parent = parent(item);
        rows.push_back(std::move(row));
    }
    TableStyle style;
    style.headings = options.headings;
    style.raw = options.raw;
    style.json = options.json;
    style.compact = options.compact;
    style.tree = options.tree;
    style.json_name = json_name;
    return render_table(columns, rows, style);
}

}  // namespace

std::expected<std::vector<std::string>, std::string> parse_columns(TableKind kind,
                                                                 std::string_view spec)
{
    return kind == TableKind::list ? parse_columns_of(list_columns(), spec)
                                   : parse_columns_of(ps_columns(), spec);
}

std::string columns_help(TableKind kind)
{
    return kind == TableKind::list ? columns_help_of(list_columns()) : columns_help_of(ps_columns());
}

std::string list_text(std::span<const mult::mgmt::Instance> list, std::uint64_t now_ns,
                      const TableOptions& options)
{
    // --tree: an instance below the one it was created in.
    return render<Instance>(
        list_columns(), list, now_ns, options, "instances",
        [](const Instance& i) -> std::uint64_t { return i.id; },
        [](const Instance& i) -> std::optional<std::uint64_t> {
            return i.parent_id == 0 ? std::nullopt : std::optional<std::uint64_t>(i.parent_id);
        });
}

std::string ps_text(std::span<const mult::mgmt::Process> procs, const TableOptions& options)
{
    // --tree: a process below its parent; with --threads, a thread below
    // its thread group leader.
    return render<Process>(
        ps_columns(), procs, 0, options, "processes",
        [](const Process& p) -> std::uint64_t { return p.pid; },
        [](const Process& p) -> std::optional<std::uint64_t> {
            return p.pid != p.tgid ? p.tgid : p.ppid;
        });
}

std::string info_text(const mult::mgmt::Info& info)
{
    const auto limit = [](const std::optional<std::uint32_t>& v) {
        return v ? std::to_string(*v) : std::string("unknown (not reported by the kernel)");
    };
    const std::array<std::pair<const char*, std::string>, 5> lines{{
        {"ABI version", std::to_string(info.abi_version)},
        {"max depth", limit(info.max_depth)},
        {"max instances", limit(info.max_instances)},
        {"live instances", std::to_string(info.nr_instances)},
        {"events dropped", std::to_string(info.events_dropped)},
    }};
    std::string out;
    for (const auto& [label, value] : lines)
        out += fmt::format("{:<16}{}\n", std::string(label) + ":", value);
    return out;
}

std::string event_text(const mult::mgmt::Event& ev)
{
    using Kind = mult::mgmt::Event::Kind;
    if (ev.kind == Kind::created)
        return fmt::format("created instance {} (first pid {})\n", ev.id, or_dash(ev.first_pid));
    return fmt::format("emptied instance {} ({})\n", ev.id, describe(run_state(ev.exit_status)));
}

}  // namespace instctl
