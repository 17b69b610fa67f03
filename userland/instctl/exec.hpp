// SPDX-License-Identifier: GPL-2.0-only
//
// instctl exec's check that the command's process joined the instance.
//
// enter arms this process for instance N, and its next
// clone3(CLONE_NEWINST) makes a member of N; if N is gone by then, that
// clone3 fails with ESRCH. The kernel keeps only N's id, though: should N
// end and its id be reused by a new instance in between, the child would
// land in the new one; ids are cyclic over 2^24, so that takes 16 million
// creations within the window. exec still starts its child held, asks the
// module which instance the child is in (get with its pidfd), and only then
// lets it run the command.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>

#include "mult/error.hpp"
#include "mult/mgmt.hpp"
#include "mult/supervise.hpp"
#include "mult/user.hpp"
#include "options.hpp"

namespace instctl {

// Why a child that `get` placed in `landed` (or whose get failed) must not
// run the command meant for instance `target`, or nullopt when it joined
// `target`. The message has no "instctl: exec: " prefix.
[[nodiscard]] std::optional<std::string> join_problem(std::uint32_t target,
                                                      const mult::Result<mult::mgmt::Instance>& landed);

// The instance of the process behind a pidfd (Client::get with an
// InstancePidfd in production).
using GetByPidfd = std::function<mult::Result<mult::mgmt::Instance>(int pidfd)>;

// Checks where the held child of `launch` landed. nullopt: it is in
// `target`, still held (release() it). Otherwise the child has been killed
// and reaped without running anything, and the message says why.
[[nodiscard]] std::optional<std::string> verify_joined(mult::Launch& launch, std::uint32_t target,
                                                       const GetByPidfd& get);

// The account -u names (nullopt: the caller's), mult::find_account() in
// production.
using FindAccount = std::function<mult::Result<mult::Account>(const std::optional<std::string>& user)>;

// What exec runs, jexec's way: opts.argv, or without one the account's
// login shell ("SHELL -l"); as opts.user (-u); in `environment`, or with -l
// a login's clean one (mult::login_environment(), TERM kept from
// `environment`), started in the account's home unless --chdir says
// otherwise. The account is only looked up when -u, -l or the shell need
// it. The error is a message for people.
[[nodiscard]] std::expected<mult::CommandSpec, std::string> exec_command(
    const Options& opts, const std::vector<std::string>& environment, const FindAccount& find);

}  // namespace instctl
