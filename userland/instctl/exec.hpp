// SPDX-License-Identifier: GPL-2.0-only
//
// instctl exec's check that the command's process joined the instance.
//
// enter arms this process for instance N, and its next
// clone3(CLONE_NEWINST) makes a member of N. But if N is freed altogether
// between the enter and the fork (its first process exited and was reaped,
// nothing else refers to it), the arming goes with it and the clone3
// creates a new, empty instance instead. So exec starts its child held,
// asks the module which instance the child is in (get with its pidfd), and
// only then lets it run the command.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "mult/error.hpp"
#include "mult/mgmt.hpp"
#include "mult/supervise.hpp"

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

}  // namespace instctl
