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
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mult/mgmt.hpp"

namespace instctl {

// How list and ps print their table: the util-linux options.
struct TableOptions {
    std::vector<std::string> columns;  // -o, upper case and known; empty: the default ones
    bool headings = true;              // -n: none
    bool raw = false;                  // -r
    bool json = false;                 // -J: libsmartcols JSON of the chosen columns
    bool compact = false;              // JSON on one line (not a terminal)
    bool tree = false;                 // --tree: nested instances / child processes below
    friend bool operator==(const TableOptions&, const TableOptions&) = default;
};

enum class TableKind { list, ps };

// The columns `-o LIST` names: comma-separated, any case; "+A,B" adds A
// and B to the default ones. An error message for an unknown or repeated
// name.
[[nodiscard]] std::expected<std::vector<std::string>, std::string> parse_columns(TableKind kind,
                                                                               std::string_view spec);

// One line per column, "  NAME  description", for the help texts.
[[nodiscard]] std::string columns_help(TableKind kind);

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

// Tables (libsmartcols): for people, or with -r / -J for scripts.
[[nodiscard]] std::string list_text(std::span<const mult::mgmt::Instance> list, std::uint64_t now_ns,
                                    const TableOptions& options = {});
[[nodiscard]] std::string ps_text(std::span<const mult::mgmt::Process> procs,
                                  const TableOptions& options = {});
[[nodiscard]] std::string info_text(const mult::mgmt::Info& info);
[[nodiscard]] std::string event_text(const mult::mgmt::Event& event);  // one line, with '\n'

// JSON (--json): list and ps are arrays of objects, info an object, an
// event one object on one line. Each ends with '\n'; `compact` puts a
// document on one line too (for output that is not a terminal).
[[nodiscard]] std::string list_json(std::span<const mult::mgmt::Instance> list, std::uint64_t now_ns,
                                    bool compact = false);
[[nodiscard]] std::string ps_json(std::span<const mult::mgmt::Process> procs, bool compact = false);
[[nodiscard]] std::string info_json(const mult::mgmt::Info& info, bool compact = false);
[[nodiscard]] std::string event_json(const mult::mgmt::Event& event);

}  // namespace instctl
