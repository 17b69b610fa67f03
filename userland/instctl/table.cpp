// SPDX-License-Identifier: GPL-2.0-only
#include "table.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace instctl {

std::string render_table(std::span<const Column> columns, std::span<const Row> rows)
{
    std::vector<std::size_t> width(columns.size());
    for (std::size_t c = 0; c < columns.size(); ++c) {
        width[c] = columns[c].header.size();
        for (const Row& row : rows)
            if (c < row.size())
                width[c] = std::max(width[c], row[c].size());
    }

    std::string out;
    const auto line = [&](auto cell) {
        std::string text;
        for (std::size_t c = 0; c < columns.size(); ++c) {
            const std::string& value = cell(c);
            if (c > 0)
                text += "  ";
            const bool last = c + 1 == columns.size();
            if (columns[c].right)
                text += fmt::format("{:>{}}", value, width[c]);
            else if (last)
                text += value;
            else
                text += fmt::format("{:<{}}", value, width[c]);
        }
        out += text;
        out += '\n';
    };

    line([&](std::size_t c) -> const std::string& { return columns[c].header; });
    static const std::string empty;
    for (const Row& row : rows)
        line([&](std::size_t c) -> const std::string& { return c < row.size() ? row[c] : empty; });
    return out;
}

}  // namespace instctl
