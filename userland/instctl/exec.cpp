// SPDX-License-Identifier: GPL-2.0-only
//
// instctl exec: run a command inside a running instance.
//
// The module's enter arms the calling process: its next
// clone3(CLONE_NEWINST) makes the child a member of the instance instead of
// the first process of a new one. So exec is instfork with one request in
// front: everything else (fds, chdir, signal relay, waiting, exit status)
// is mult::Launch, shared with instfork.
#include <cerrno>
#include <ostream>

#include "commands.hpp"
#include "mult/instfork.hpp"
#include "mult/kernel.hpp"
#include "mult/supervise.hpp"

namespace instctl {
namespace {

int fail(std::ostream& err, const std::string& message)
{
    err << "instctl: exec: " << message << '\n' << std::flush;
    return mult::kExitSpawnFailure;
}

}  // namespace

int run_exec(const Options& opts, std::ostream& out, std::ostream& err)
{
    auto client = mult::mgmt::Client::connect();
    if (!client)
        return fail(err, error_message(client.error(), Stage::connect));

    mult::SignalFd relay(mult::kForwardedSignals);
    if (auto r = relay.open(); !r)
        return fail(err, r.error().message());
    auto launch = mult::Launch::prepare(
        mult::CommandSpec{opts.argv, mult::current_environment(), opts.chdir, {}},
        relay.saved_mask(), false);
    if (!launch)
        return fail(err, launch.error().message());

    // Arm this process right before the fork: the kernel keeps the mark
    // with the caller until its next clone3(CLONE_NEWINST).
    if (auto r = client->enter(opts.instance); !r)
        return fail(err, error_message(r.error(), Stage::request));

    out.flush();
    err.flush();
    if (auto r = launch->start([] { return mult::instfork(); }); !r) {
        const mult::Error& e = r.error();
        // ESRCH here: the instance's first process exited between enter
        // and the fork, and an ending instance takes no new member.
        if (e.code == ESRCH)
            return fail(err, mult::mgmt::describe(opts.instance) +
                                 " ended before the command could join it (ESRCH)");
        return fail(err, "cannot start the command in " + mult::mgmt::describe(opts.instance) +
                             ": " + mult::describe_instfork_error(e.code));
    }

    auto outcome = launch->supervise(&relay, false, [&err](const mult::Error& e) {
        err << "instctl: exec: " << e.message() << '\n' << std::flush;
    });
    if (!outcome)
        return fail(err, outcome.error().message());
    if (outcome->failure)
        fail(err, mult::describe(*outcome->failure, launch->spec()));
    return outcome->exit_code();
}

}  // namespace instctl
