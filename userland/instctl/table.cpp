// SPDX-License-Identifier: GPL-2.0-only
#include "table.hpp"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>

#include <libsmartcols/libsmartcols.h>

namespace instctl {
namespace {

struct TableUnref {
    void operator()(libscols_table* tb) const noexcept { scols_unref_table(tb); }
};
using TablePtr = std::unique_ptr<libscols_table, TableUnref>;

// A FILE* that writes into memory, so the table can be returned as a
// string: libsmartcols prints only to a stream.
class MemoryStream {
public:
    MemoryStream() : file_(::open_memstream(&buf_, &len_))
    {
        if (file_ == nullptr)
            throw std::bad_alloc();
    }
    ~MemoryStream()
    {
        if (file_ != nullptr)
            std::fclose(file_);
        std::free(buf_);
    }
    MemoryStream(const MemoryStream&) = delete;
    MemoryStream& operator=(const MemoryStream&) = delete;

    [[nodiscard]] FILE* file() const noexcept { return file_; }
    // Closes the stream; its text then stays readable.
    std::string take()
    {
        std::fclose(file_);
        file_ = nullptr;
        return std::string(buf_, len_);
    }

private:
    char* buf_ = nullptr;
    std::size_t len_ = 0;
    FILE* file_;
};

// libsmartcols reports failures as negative errnos; out of memory is the
// only one these calls can meet with valid arguments.
template <class T>
T* checked(T* p)
{
    if (p == nullptr)
        throw std::bad_alloc();
    return p;
}

void check(int rc)
{
    if (rc != 0)
        throw std::bad_alloc();
}

}  // namespace

std::string render_table(std::span<const Column> columns, std::span<const Row> rows,
                         const TableStyle& style)
{
    TablePtr tb(checked(scols_new_table()));
    // The full width always: a table cut to the terminal would hide what
    // a script or a reader grepping for a name needs.
    check(scols_table_set_termforce(tb.get(), SCOLS_TERMFORCE_NEVER));
    check(scols_table_enable_noheadings(tb.get(), style.headings ? 0 : 1));
    check(scols_table_enable_raw(tb.get(), style.raw ? 1 : 0));
    check(scols_table_enable_json(tb.get(), style.json ? 1 : 0));
    if (style.json)
        check(scols_table_set_name(tb.get(), style.json_name.c_str()));

    for (std::size_t c = 0; c < columns.size(); ++c) {
        int flags = columns[c].right ? SCOLS_FL_RIGHT : 0;
        if (style.tree && c == 0)
            flags = SCOLS_FL_TREE;  // the tree's art reads left to right
        libscols_column* cl = checked(scols_table_new_column(tb.get(), columns[c].header.c_str(), 0,
                                                             flags));
        check(scols_column_set_json_type(cl, columns[c].number ? SCOLS_JSON_NUMBER
                                                               : SCOLS_JSON_STRING));
    }

    // In a tree a row goes below its parent, which therefore exists first:
    // rows are added depth first from the roots, in the given order.
    std::multimap<std::uint64_t, std::size_t> children;
    std::map<std::uint64_t, std::size_t> by_key;
    if (style.tree) {
        for (std::size_t r = 0; r < rows.size(); ++r)
            by_key.emplace(rows[r].key, r);
        for (std::size_t r = 0; r < rows.size(); ++r)
            if (rows[r].parent && by_key.contains(*rows[r].parent) && *rows[r].parent != rows[r].key)
                children.emplace(*rows[r].parent, r);
    }
    const auto is_root = [&](const Row& row) {
        return !style.tree || !row.parent || !by_key.contains(*row.parent) ||
               *row.parent == row.key;
    };
    std::vector<bool> added(rows.size(), false);
    const auto add = [&](auto& self, std::size_t r, libscols_line* parent) -> void {
        if (added[r])
            return;  // a cycle (the module never sends one) ends here
        added[r] = true;
        libscols_line* ln = checked(scols_table_new_line(tb.get(), parent));
        for (std::size_t c = 0; c < columns.size(); ++c) {
            const Cell cell = c < rows[r].cells.size() ? rows[r].cells[c] : Cell{};
            // An absent value is "-" for people, null (no data) in JSON.
            if (cell || !style.json)
                check(scols_line_set_data(ln, c, cell ? cell->c_str() : "-"));
        }
        const auto [first, last] = children.equal_range(rows[r].key);
        for (auto it = first; it != last; ++it)
            self(self, it->second, ln);
    };
    for (std::size_t r = 0; r < rows.size(); ++r)
        if (is_root(rows[r]))
            add(add, r, nullptr);
    // Rows only reachable through a cycle would be lost: print them as roots.
    for (std::size_t r = 0; r < rows.size(); ++r)
        add(add, r, nullptr);

    if (rows.empty() && !style.headings && !style.json)
        return {};
    MemoryStream stream;
    check(scols_table_set_stream(tb.get(), stream.file()));
    check(scols_print_table(tb.get()));
    std::string text = stream.take();
    if (!text.empty() && text.back() != '\n')
        text += '\n';
    return style.json && style.compact ? compact_json(text) : text;
}

std::string compact_json(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            out += c;
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
            continue;
        out += c;
        if (c == '"')
            in_string = true;
    }
    return out + "\n";
}

}  // namespace instctl
