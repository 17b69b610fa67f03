// SPDX-License-Identifier: GPL-2.0-only
//
// Signal names for `instctl kill -s` and for exit statuses: "TERM",
// "SIGTERM", "term", "15", and the real-time signals as kill(1) writes them
// (RTMIN, RTMIN+3, RTMAX-1, RTMAX).
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace instctl {

// Highest signal the management module's kill accepts (MULT_SIG_MAX).
inline constexpr int kSignalMax = 64;

// A signal given by name (with or without "SIG", any case) or number
// (1 to kSignalMax). The error is a message for people.
[[nodiscard]] std::expected<int, std::string> parse_signal(std::string_view text);

// "SIGTERM", "SIGRTMIN+2"; "signal N" for a number without a name.
[[nodiscard]] std::string signal_name(int sig);

}  // namespace instctl
