// SPDX-License-Identifier: GPL-2.0-only
#include "signals.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <csignal>
#include <cstring>
#include <optional>
#include <tuple>

namespace instctl {
namespace {

std::string upper(std::string_view s)
{
    std::string out(s);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

std::optional<int> parse_int(std::string_view s)
{
    int value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
        return std::nullopt;
    return value;
}

// The name without "SIG" (kill -l style), empty for none. Real-time
// signals are named from glibc's SIGRTMIN (34: glibc keeps 32 and 33 for
// itself), as kill(1) and bash do.
std::string abbrev(int sig)
{
    const int rtmin = SIGRTMIN;
    const int rtmax = SIGRTMAX;
    if (sig >= rtmin && sig <= rtmax) {
        if (sig == rtmin)
            return "RTMIN";
        if (sig == rtmax)
            return "RTMAX";
        // Nearer end, like kill -l: RTMIN+1 .. RTMIN+15, RTMAX-14 .. RTMAX-1.
        if (sig - rtmin <= (rtmax - rtmin) / 2)
            return "RTMIN+" + std::to_string(sig - rtmin);
        return "RTMAX-" + std::to_string(rtmax - sig);
    }
    if (const char* name = ::sigabbrev_np(sig); name != nullptr)
        return name;
    return {};
}

std::optional<int> real_time(std::string_view name)
{
    const int rtmin = SIGRTMIN;
    const int rtmax = SIGRTMAX;
    for (const auto& [base, value, sign] : {std::tuple{"RTMIN", rtmin, 1},
                                            std::tuple{"RTMAX", rtmax, -1}}) {
        const std::string_view b = base;
        if (!name.starts_with(b))
            continue;
        const std::string_view rest = name.substr(b.size());
        if (rest.empty())
            return value;
        const char want = sign > 0 ? '+' : '-';
        if (rest.front() != want)
            return std::nullopt;
        const auto offset = parse_int(rest.substr(1));
        if (!offset || *offset < 0)
            return std::nullopt;
        const int sig = value + sign * *offset;
        if (sig < rtmin || sig > rtmax)
            return std::nullopt;
        return sig;
    }
    return std::nullopt;
}

}  // namespace

std::expected<int, std::string> parse_signal(std::string_view text)
{
    const std::string range = "1 to " + std::to_string(kSignalMax);
    if (text.empty())
        return std::unexpected("empty signal (give a name like TERM or a number " + range + ")");
    if (std::isdigit(static_cast<unsigned char>(text.front()))) {
        const auto n = parse_int(text);
        if (!n)
            return std::unexpected("'" + std::string(text) + "' is not a signal number");
        if (*n < 1 || *n > kSignalMax)
            return std::unexpected("signal " + std::string(text) + " is out of range (" + range +
                                   ")");
        return *n;
    }
    std::string name = upper(text);
    if (name.starts_with("SIG"))
        name.erase(0, 3);
    // abbrev() is empty for the signals without a name (32, 33).
    if (name.empty())
        return std::unexpected("'" + std::string(text) + "' is not a signal name");
    if (auto rt = real_time(name))
        return *rt;
    for (int sig = 1; sig < SIGRTMIN; ++sig)
        if (abbrev(sig) == name)
            return sig;
    // Old aliases sigabbrev_np() does not return.
    if (name == "IOT")
        return SIGABRT;
    if (name == "CLD")
        return SIGCHLD;
    if (name == "POLL")
        return SIGIO;
    return std::unexpected("unknown signal '" + std::string(text) +
                           "' (give a name like TERM, KILL, HUP, or a number " + range + ")");
}

std::string signal_name(int sig)
{
    const std::string name = abbrev(sig);
    if (name.empty())
        return "signal " + std::to_string(sig);
    return "SIG" + name;
}

}  // namespace instctl
