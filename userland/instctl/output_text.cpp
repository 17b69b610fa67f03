// SPDX-License-Identifier: GPL-2.0-only
//
// Human output: aligned tables and one-line events.
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

std::string list_text(std::span<const mult::mgmt::Instance> list, std::uint64_t now_ns)
{
    static const std::array<Column, 9> columns{{
        {"ID", true}, {"PARENT", true}, {"DEPTH", true}, {"NAME", false}, {"FIRST-PID", true},
        {"PROCS", true}, {"THREADS", true}, {"STARTED", true}, {"STATUS", false},
    }};
    std::vector<Row> rows;
    for (const auto& inst : list) {
        rows.push_back({
            std::to_string(inst.id),
            inst.parent_id == 0 ? std::string("-") : std::to_string(inst.parent_id),
            std::to_string(inst.depth),
            inst.name.empty() ? std::string("-") : inst.name,
            or_dash(inst.first_pid),
            std::to_string(inst.nr_processes),
            std::to_string(inst.nr_threads),
            format_age(age_seconds(inst.start_time_ns, now_ns)) + " ago",
            describe(run_state(inst.exit_status)),
        });
    }
    return render_table(columns, rows);
}

std::string ps_text(std::span<const mult::mgmt::Process> procs)
{
    static const std::array<Column, 6> columns{{
        {"PID", true}, {"TGID", true}, {"PPID", true}, {"UID", true}, {"STATE", false},
        {"COMM", false},
    }};
    std::vector<Row> rows;
    for (const auto& p : procs) {
        rows.push_back({std::to_string(p.pid), std::to_string(p.tgid), std::to_string(p.ppid),
                        std::to_string(p.uid), printable(std::string(1, p.state)), printable(p.comm)});
    }
    return render_table(columns, rows);
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
