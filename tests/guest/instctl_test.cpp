// SPDX-License-Identifier: GPL-2.0-only
//
// In-guest tests for instctl (userland/instctl), against the real kernel and
// the management module. None yet: instctl is being written.
//
// How to add them:
//  * Derive the fixture from ManagementModuleTest (guest_util.hpp): the suite
//    loads /lib/modules/mult_mgmt.ko when it is not loaded (and unloads it
//    afterwards only then), skips only when the .ko is missing, and checks
//    in TearDown that no instance was left behind.
//  * Run the tool as a subprocess: run({tool_path("instctl"), "list", "--json"})
//    returns exit status, stdout and stderr (under a deadline).
//  * Start instances to look at with instfork and the helper program, e.g.
//    Process p({.argv = instfork_helper({"--print-id"}, {"hold", "10"}), ...})
//    (see instfork_binary_test.cpp, DetachPrintsThePidAndLeavesTheCommandRunning,
//    for a command that stays until the test releases it).
//  * Add nothing to CMake: this file is already part of mult_guest_tests.
#include <gtest/gtest.h>

#include "guest_util.hpp"
