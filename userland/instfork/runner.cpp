// SPDX-License-Identifier: GPL-2.0-only
//
// instfork's parent side over mult::Launch: checks, --name, supervision, and
// what each outcome means for instfork's exit status and messages.
#include "runner.hpp"

#include <cerrno>
#include <memory>
#include <ostream>

#include "environment.hpp"
#include "mult/fd.hpp"
#include "mult/kernel.hpp"
#include "mult/mgmt.hpp"

namespace instfork {
namespace {

std::ostream& fail(std::ostream& err, const std::string& message)
{
    return err << "instfork: " << message << '\n';
}

// Names the instance over netlink, giving the module the pidfd of its first
// process: unlike a pid number, it cannot name some other process.
Namer mgmt_namer(std::shared_ptr<mult::mgmt::Client> client)
{
    return [client](pid_t, int pidfd, const std::string& name) -> mult::Result<void> {
        return client->set_name(mult::mgmt::InstancePidfd{pidfd}, name);
    };
}

mult::CommandSpec command_spec(const Config& config, const Hooks& hooks)
{
    return mult::CommandSpec{
        config.command,
        build_environment(hooks.environment(), config.clear_env, config.env),
        config.chdir,
        config.pass_fds,
    };
}

}  // namespace

Hooks default_hooks()
{
    return Hooks{
        [] { return mult::instfork(); },
        []() -> mult::Result<Namer> {
            auto client = mult::mgmt::Client::connect();
            if (!client)
                return std::unexpected(client.error());
            return mgmt_namer(std::make_shared<mult::mgmt::Client>(std::move(*client)));
        },
        [] { return mult::current_environment(); },
    };
}

int run(const Config& config, const Hooks& hooks, std::ostream& out, std::ostream& err)
{
    // A --pass-fd must name an fd that is open now. Checking before instfork
    // opens anything also guarantees that its own fds (pipes, signalfd,
    // netlink socket) never take one of those numbers.
    for (const int fd : config.pass_fds) {
        if (!mult::fd_is_open(fd)) {
            fail(err, "--pass-fd " + std::to_string(fd) + ": not an open file descriptor");
            return kExitUsage;
        }
    }

    Namer namer;
    if (config.name) {
        auto opened = hooks.open_namer();
        if (!opened) {
            if (opened.error().code == ENOENT)
                fail(err, "--name needs the mult management module (mult_mgmt.ko); it is not loaded");
            else
                fail(err, "--name: " + opened.error().message());
            return kExitFailure;
        }
        namer = std::move(*opened);
    }

    mult::SignalFd relay(kForwardedSignals);
    if (auto r = relay.open(); !r) {
        fail(err, r.error().message());
        return kExitFailure;
    }
    auto launch = mult::Launch::prepare(command_spec(config, hooks), relay.saved_mask(),
                                        config.name.has_value());
    if (!launch) {
        fail(err, launch.error().message());
        return kExitFailure;
    }

    out.flush();
    err.flush();
    if (auto r = launch->start(hooks.spawn); !r) {
        fail(err, mult::describe_instfork_error(r.error().code));
        return kExitFailure;
    }
    const pid_t pid = launch->pid();

    if (config.name) {
        // The child is held: on failure, leaving this scope kills and reaps it.
        if (auto r = namer(pid, launch->pidfd(), *config.name); !r) {
            fail(err, "--name " + *config.name + ": " + r.error().message());
            return kExitFailure;
        }
        if (auto r = launch->release(); !r) {
            fail(err, r.error().message());
            return kExitFailure;
        }
    }
    if (config.print_id)
        err << "instfork: instance pid " << pid << '\n' << std::flush;

    // With --detach, signals are not relayed: the child is on its own.
    auto outcome = launch->supervise(config.detach ? nullptr : &relay, config.detach,
                                     [&err](const mult::Error& e) { fail(err, e.message()); });
    if (!outcome) {
        fail(err, outcome.error().message());
        return kExitFailure;
    }
    if (outcome->failure) {
        fail(err, mult::describe(*outcome->failure, launch->spec()));
        return outcome->exit_code();
    }
    if (!outcome->status) {  // --detach: the command is running
        out << pid << '\n' << std::flush;
        return 0;
    }
    return outcome->exit_code();
}

}  // namespace instfork
