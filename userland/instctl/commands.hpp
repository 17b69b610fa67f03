// SPDX-License-Identifier: GPL-2.0-only
//
// Running a parsed instctl command against the management module.
#pragma once

#include <iosfwd>

#include "errors.hpp"
#include "options.hpp"

namespace instctl {

// Runs `opts`; returns instctl's exit status. Results go to `out`, messages
// (prefixed "instctl: ") to `err`.
[[nodiscard]] int run(const Options& opts, std::ostream& out, std::ostream& err);

// The commands that need more than one request and reply (exec.cpp,
// watch.cpp).
[[nodiscard]] int run_exec(const Options& opts, std::ostream& out, std::ostream& err);
[[nodiscard]] int run_watch(const Options& opts, std::ostream& out, std::ostream& err);

// Prints "instctl: MESSAGE" for `error` and returns its exit status.
int report(std::ostream& err, const mult::Error& error, Stage stage);

}  // namespace instctl
