// SPDX-License-Identifier: GPL-2.0-only
//
// CLI11's parse errors in the tools' own words.
//
// CLI11 2.1 builds its messages for programmers ("--name: At Most 1
// required but received 2", "json was given a disallowed flag override",
// "The following argument was not expected: -x"). Its exceptions carry
// nothing but that text and their type, so the text is taken apart here,
// pattern by pattern; anything not recognised keeps CLI11's wording with
// a lower-case start, like the rest of the tools' messages.
//
// Header-only: both instfork_lib and instctl_lib include it, and neither
// links the other.
#pragma once

#include <map>
#include <regex>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mult::cli {

// Positional arguments by their CLI11 name ("instance"), as a message
// should call them ("instance (its id or its name)").
using PositionalWords = std::map<std::string, std::string, std::less<>>;

// CLI11 names a flag without dashes in some messages ("json").
inline std::string option_name(const std::string& name)
{
    if (name.empty() || name.front() == '-')
        return name;
    return (name.size() == 1 ? "-" : "--") + name;
}

// CLI11 lists unexpected arguments last first (it joins its reversed
// argument vector): they are quoted here in command-line order.
inline std::string quoted_list(const std::string& words)
{
    std::vector<std::string> list;
    std::size_t begin = 0;
    while (begin < words.size()) {
        std::size_t end = words.find(' ', begin);
        if (end == std::string::npos)
            end = words.size();
        if (end > begin)
            list.push_back(words.substr(begin, end - begin));
        begin = end + 1;
    }
    std::string out;
    for (auto it = list.rbegin(); it != list.rend(); ++it)
        out += (out.empty() ? "'" : " '") + *it + "'";
    return out;
}

// The message for `error`, without the program's prefix.
inline std::string own_words(const CLI::ParseError& error, const PositionalWords& positionals = {})
{
    const std::string what = error.what();
    std::smatch m;
    const auto is = [&](const char* pattern) {
        return std::regex_match(what, m, std::regex(pattern));
    };
    const auto positional = [&](const std::string& name) {
        const auto it = positionals.find(name);
        return it != positionals.end() ? it->second : name;
    };

    if (is(R"((\S+): At Most 1 required but received \d+)"))
        return "option '" + option_name(m[1]) + "' may be given only once";
    if (is(R"((\S+): At Most (\d+) required but received (\d+))"))
        return "option '" + option_name(m[1]) + "' takes at most " + m[2].str() + " values, not " +
               m[3].str();
    if (is(R"((\S+): At least (\d+) required but received \d+)"))
        return "option '" + option_name(m[1]) + "' needs at least " + m[2].str() + " values";
    if (is(R"((\S+): \d+ required (.*) missing)")) {
        if (m[1].str().front() != '-')
            return "missing " + positional(m[1]);
        return "option '" + m[1].str() + "' needs a value" +
               (m[2].str().empty() ? std::string() : " (" + m[2].str() + ")");
    }
    if (is(R"((\S+) was given a disallowed flag override)") ||
        is(R"((\S+): too many inputs for a flag)"))
        return "option '" + option_name(m[1]) + "' does not take a value";
    if (is(R"(The following arguments? (?:was|were) not expected: (.*))")) {
        const std::string args = quoted_list(m[1]);
        // The first one is what went wrong; an unknown option takes the
        // rest (its would-be value) with it.
        if (args.starts_with("'-"))
            return "unknown option " + args.substr(0, args.find('\'', 1) + 1);
        return (args.find(' ') == std::string::npos ? "unexpected argument " :
                                                      "unexpected arguments ") +
               args;
    }
    if (is(R"(A subcommand is required)"))
        return "missing command";
    if (is(R"((\S+) is required)"))
        return "missing " + positional(m[1]);
    if (is(R"(The value (.*) is not an allowed value for (\S+))") ||
        is(R"(Could not convert: (\S+) = (.*))")) {
        const bool value_first = what.starts_with("The value");
        const std::string value = value_first ? m[1] : m[2];
        const std::string name = value_first ? m[2] : m[1];
        return "'" + value + "' is not a valid value for '" + option_name(name) + "'";
    }
    if (is(R"((\S+) excludes (\S+))"))
        return "'" + option_name(m[1]) + "' and '" + option_name(m[2]) +
               "' cannot be used together";
    if (is(R"((\S+) requires (\S+))"))
        return "'" + option_name(m[1]) + "' needs '" + option_name(m[2]) + "'";

    std::string text = what;
    if (!text.empty() && text.front() >= 'A' && text.front() <= 'Z' &&
        (text.size() < 2 || !(text[1] >= 'A' && text[1] <= 'Z')))
        text.front() = static_cast<char>(text.front() - 'A' + 'a');
    return text;
}

}  // namespace mult::cli
