// SPDX-License-Identifier: GPL-2.0-only
//
// What instctl prints: human tables (output_text.cpp) and JSON for scripts
// (output_json.cpp), from the plain structs of mult/mgmt.hpp. Pure, so the
// host tests check the exact text.
//
// JSON keys are the spec's attribute names in snake_case (mult.yaml:
// first-pid -> first_pid); an attribute the module left out is null.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "mult/mgmt.hpp"

namespace instctl {

// How an instance's first process is doing, from list's exit-status (a
// wait status) or an emptied event.
struct RunState {
    enum class Kind { running, exited, killed };
    Kind kind = Kind::running;
    int value = 0;  // exit code, or signal number
    bool core_dumped = false;
};

[[nodiscard]] RunState run_state(const std::optional<std::uint32_t>& wait_status);

// "running", "exited 3", "killed by SIGKILL", "killed by SIGSEGV (core dumped)".
[[nodiscard]] std::string describe(const RunState& state);

// An age for the STARTED column: "12s", "3m05s", "2h07m", "4d03h".
[[nodiscard]] std::string format_age(std::uint64_t seconds);

// Seconds between a CLOCK_BOOTTIME start time and `now_ns` (0 if the start
// is in the future, which a clock read before the list could make it).
[[nodiscard]] std::uint64_t age_seconds(std::uint64_t start_ns, std::uint64_t now_ns);

// CLOCK_BOOTTIME now, in nanoseconds (the clock of list's start-time).
[[nodiscard]] std::uint64_t boottime_ns();

// Human output.
[[nodiscard]] std::string list_text(std::span<const mult::mgmt::Instance> list, std::uint64_t now_ns);
[[nodiscard]] std::string ps_text(std::span<const mult::mgmt::Process> procs);
[[nodiscard]] std::string info_text(const mult::mgmt::Info& info);
[[nodiscard]] std::string event_text(const mult::mgmt::Event& event);  // one line, with '\n'

// JSON: list and ps are arrays of objects, info an object, an event one
// object on one line. Each ends with '\n'.
[[nodiscard]] std::string list_json(std::span<const mult::mgmt::Instance> list, std::uint64_t now_ns);
[[nodiscard]] std::string ps_json(std::span<const mult::mgmt::Process> procs);
[[nodiscard]] std::string info_json(const mult::mgmt::Info& info);
[[nodiscard]] std::string event_json(const mult::mgmt::Event& event);

}  // namespace instctl
