// SPDX-License-Identifier: GPL-2.0-only
//
// Tables for list and ps, rendered by libsmartcols (util-linux's table
// library, as lsns(8), findmnt(8) and lsblk(8) use it): aligned columns,
// no headings, raw, JSON, and a tree of parent and child rows.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace instctl {

struct Column {
    std::string header;   // also the name -o takes, and (lower case) the -J key
    bool right = false;   // numbers are right-aligned, text left-aligned
    bool number = false;  // -J: a JSON number (null when absent), not a string
};

// A cell is absent (nullopt) where the module left the value out: "-" in
// a table, null in JSON.
using Cell = std::optional<std::string>;

struct Row {
    std::vector<Cell> cells;  // one per column, in the columns' order
    // --tree: a row whose `parent` is another row's `key` is drawn below
    // it; any other row is a root.
    std::uint64_t key = 0;
    std::optional<std::uint64_t> parent = std::nullopt;
};

struct TableStyle {
    bool headings = true;   // -n turns them off
    bool raw = false;       // -r: one space between cells, unsafe bytes as \x..
    bool json = false;      // -J: {"<json_name>": [{"key": value, ...}, ...]}
    bool compact = false;   // JSON on one line (output that is not a terminal)
    bool tree = false;      // --tree: children below their parent, in the first column
    std::string json_name;  // the JSON array's key: "instances", "processes"
};

// The table, as text ending in '\n' (empty when there is nothing to print:
// no rows and no headings). Widths are never cut to a terminal's.
[[nodiscard]] std::string render_table(std::span<const Column> columns, std::span<const Row> rows,
                                       const TableStyle& style);

// JSON text without the whitespace between tokens (strings kept as they
// are): libsmartcols only writes it indented.
[[nodiscard]] std::string compact_json(std::string_view text);

}  // namespace instctl
