// SPDX-License-Identifier: GPL-2.0-only
//
// Aligned text tables for people (list, ps, info).
#pragma once

#include <span>
#include <string>
#include <vector>

namespace instctl {

struct Column {
    std::string header;
    bool right = false;  // numbers are right-aligned, text left-aligned
};

using Row = std::vector<std::string>;

// A header line and one line per row, columns two spaces apart, each as wide
// as its widest cell. The last column is not padded, so no line ends in
// blanks. Rows with fewer cells than columns get empty cells.
[[nodiscard]] std::string render_table(std::span<const Column> columns, std::span<const Row> rows);

}  // namespace instctl
