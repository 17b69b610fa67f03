// SPDX-License-Identifier: GPL-2.0-only
//
// JSON output for scripts (nlohmann-json).
#include <nlohmann/json.hpp>

#include "output.hpp"

namespace instctl {
namespace {

// Keys in the order written, so that people reading the output see id
// first and related keys together.
using json = nlohmann::ordered_json;

json or_null(const std::optional<std::uint32_t>& v)
{
    return v ? json(*v) : json(nullptr);
}

// The state of a first process as three keys: "status" (running, exited,
// killed), "exit_code" and "signal" (null unless they apply).
void put_state(json& obj, const std::optional<std::uint32_t>& wait_status)
{
    const RunState s = run_state(wait_status);
    switch (s.kind) {
    case RunState::Kind::running:
        obj["status"] = "running";
        break;
    case RunState::Kind::exited:
        obj["status"] = "exited";
        break;
    case RunState::Kind::killed:
        obj["status"] = "killed";
        break;
    }
    obj["exit_code"] = s.kind == RunState::Kind::exited ? json(s.value) : json(nullptr);
    obj["signal"] = s.kind == RunState::Kind::killed ? json(s.value) : json(nullptr);
    obj["core_dumped"] = s.core_dumped;
}

// A command name (comm) is whatever bytes a process chose: invalid UTF-8
// becomes U+FFFD instead of an exception from the JSON writer.
std::string dump(const json& j, int indent)
{
    return j.dump(indent, ' ', false, json::error_handler_t::replace) + "\n";
}

// Indented for a reader at a terminal; one line for a pipe, where the
// next program does not need the whitespace (and `grep '"name":"web"'`
// finds a key and its value together).
std::string document(const json& j, bool compact)
{
    return dump(j, compact ? -1 : 2);
}

}  // namespace

std::string list_json(std::span<const mult::mgmt::Instance> list, std::uint64_t now_ns,
                      bool compact)
{
    json arr = json::array();
    for (const auto& inst : list) {
        json o;
        o["id"] = inst.id;
        o["parent_id"] = inst.parent_id;
        o["depth"] = inst.depth;
        o["name"] = inst.name.empty() ? json(nullptr) : json(inst.name);
        o["first_pid"] = or_null(inst.first_pid);
        o["nr_processes"] = inst.nr_processes;
        o["nr_threads"] = inst.nr_threads;
        o["start_time_ns"] = inst.start_time_ns;
        o["age_seconds"] = age_seconds(inst.start_time_ns, now_ns);
        o["exit_status"] = or_null(inst.exit_status);
        put_state(o, inst.exit_status);
        arr.push_back(std::move(o));
    }
    return document(arr, compact);
}

std::string ps_json(std::span<const mult::mgmt::Process> procs, bool compact)
{
    json arr = json::array();
    for (const auto& p : procs) {
        arr.push_back(json{
            {"pid", p.pid},   {"tgid", p.tgid},
            {"ppid", p.ppid}, {"uid", p.uid},
            {"state", std::string(1, p.state)}, {"comm", p.comm},
        });
    }
    return document(arr, compact);
}

std::string info_json(const mult::mgmt::Info& info, bool compact)
{
    return document(json{
        {"abi_version", info.abi_version},
        {"max_depth", or_null(info.max_depth)},
        {"max_instances", or_null(info.max_instances)},
        {"nr_instances", info.nr_instances},
        {"events_dropped", info.events_dropped},
    }, compact);
}

std::string event_json(const mult::mgmt::Event& ev)
{
    json o;
    const bool created = ev.kind == mult::mgmt::Event::Kind::created;
    o["event"] = created ? "created" : "emptied";
    o["id"] = ev.id;
    if (created) {
        o["first_pid"] = or_null(ev.first_pid);
    } else {
        o["exit_status"] = or_null(ev.exit_status);
        put_state(o, ev.exit_status);
    }
    return dump(o, -1);
}

}  // namespace instctl
