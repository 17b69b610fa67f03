// SPDX-License-Identifier: GPL-2.0-only
//
// instfork's parent side over mult::Launch: checks, --name, supervision, and
// what each outcome means for instfork's exit status and messages.
#include "runner.hpp"

#include <cerrno>
#include <memory>
#include <optional>
#include <ostream>

#include "cgroup.hpp"
#include "environment.hpp"
#include "mult/fd.hpp"
#include "mult/kernel.hpp"
#include "mult/mgmt.hpp"
#include "mult/pty.hpp"

namespace instfork {
namespace {

std::ostream& fail(std::ostream& err, const std::string& message)
{
    return err << "instfork: " << message << '\n';
}

// The module over netlink, given the pidfd of the instance's first process.
Module mgmt_module(std::shared_ptr<mult::mgmt::Client> client)
{
    return Module{
        [client](pid_t, int pidfd, const std::string& name) -> mult::Result<void> {
            return client->set_name(mult::mgmt::InstancePidfd{pidfd}, name);
        },
        [client](int pidfd) -> mult::Result<std::uint32_t> {
            auto inst = client->get(mult::mgmt::InstancePidfd{pidfd});
            if (!inst)
                return std::unexpected(inst.error());
            return inst->id;
        },
        [client](const std::string& name) -> mult::Result<std::optional<std::uint32_t>> {
            auto inst = client->get(name);
            if (inst)
                return inst->id;
            if (inst.error().code == ENOENT)
                return std::nullopt;
            return std::unexpected(inst.error());
        },
    };
}

// Why naming the held child's instance failed, without the request's own
// context: it names the instance by a pidfd number that means nothing to
// the user.
std::string naming_failure(const std::string& name, const mult::Error& e)
{
    std::string reason = e.detail.empty() ? mult::errno_string(e.code)
                                          : e.detail + " (" + mult::errno_string(e.code) + ")";
    if (e.code == EEXIST)
        return "--name " + name + ": another instance took the name while this one was being "
               "created: " + reason + "; the command was not started";
    return "--name " + name + ": the instance could not be named: " + reason +
           "; the command was not started";
}

// Why the instance id is unknown, for --print-id and --detach.
std::string id_unknown_reason(const mult::Error& e, bool module_opened)
{
    if (!module_opened && e.code == ENOENT)
        return "mult_mgmt.ko is not loaded";
    return e.message();
}

mult::CommandSpec command_spec(const Config& config, const Hooks& hooks)
{
    return mult::CommandSpec{
        config.command,
        build_environment(hooks.environment(), config.clear_env, config.env),
        config.chdir,
        config.pass_fds,
        config.drop_caps,
    };
}

}  // namespace

std::optional<std::string> tty_problem(const Config& config, bool stdin_is_terminal)
{
    return config.tty ? mult::tty_problem(stdin_is_terminal) : std::nullopt;
}

Hooks default_hooks()
{
    return Hooks{
        [] { return mult::instfork(); },
        []() -> mult::Result<Module> {
            auto client = mult::mgmt::Client::connect();
            if (!client)
                return std::unexpected(client.error());
            return mgmt_module(std::make_shared<mult::mgmt::Client>(std::move(*client)));
        },
        [] { return mult::current_environment(); },
        [](int cgroup_fd) {
            mult::InstforkOptions options;
            options.cgroup_fd = cgroup_fd;
            return mult::instfork(options);
        },
    };
}

int run(const Config& config, const Hooks& hooks, std::ostream& out, std::ostream& err)
{
    if (auto problem = tty_problem(config, ::isatty(STDIN_FILENO) != 0)) {
        fail(err, *problem) << "Try 'instfork --help' for more information.\n" << std::flush;
        return kExitUsage;
    }

    // A --pass-fd must name an fd that is open now. Checking before instfork
    // opens anything also guarantees that its own fds (pipes, signalfd,
    // netlink socket) never take one of those numbers.
    for (const int fd : config.pass_fds) {
        if (!mult::fd_is_open(fd)) {
            fail(err, "--pass-fd " + std::to_string(fd) + ": not an open file descriptor");
            return kExitUsage;
        }
    }

    // --print-id and --detach report the instance id when the module can
    // tell it; --name cannot do without the module.
    const bool want_id = config.print_id || config.detach;
    std::optional<Module> module;
    std::optional<mult::Error> module_error;
    if (config.name || want_id) {
        auto opened = hooks.open_module();
        if (opened) {
            module = std::move(*opened);
        } else if (config.name) {
            if (opened.error().code == ENOENT)
                fail(err, "--name needs the mult management module (mult_mgmt.ko); it is not loaded");
            else
                fail(err, "--name: " + opened.error().message());
            return kExitFailure;
        } else {
            module_error = opened.error();
        }
    }

    // A name in use is refused before an instance exists: set-name after
    // clone3() would otherwise create one only to kill it. The module
    // still has the last word (another instfork may take the name in
    // between), handled where the name is set.
    if (config.name && module && module->name_owner) {
        auto owner = module->name_owner(*config.name);
        if (!owner) {
            fail(err, "--name " + *config.name + ": " + owner.error().message());
            return kExitFailure;
        }
        if (*owner) {
            fail(err, "--name " + *config.name + ": instance " + std::to_string(**owner) +
                          " has this name already (rename it with 'instctl name " +
                          std::to_string(**owner) + " NEWNAME', or choose another)");
            return kExitFailure;
        }
    }

    // -t: the pty the command takes as its controlling terminal. Opened
    // after the --pass-fd check, so its fds cannot have a passed number.
    mult::CommandSpec spec = command_spec(config, hooks);
    std::optional<mult::PtySession> pty;
    if (config.tty) {
        auto opened = mult::PtySession::open(STDIN_FILENO, STDOUT_FILENO);
        if (!opened) {
            fail(err, "-t: " + opened.error().message());
            return kExitFailure;
        }
        pty.emplace(std::move(*opened));
        spec.terminal_fd = pty->slave();
    }

    mult::SignalFd relay(kForwardedSignals);
    if (auto r = relay.open(); !r) {
        fail(err, r.error().message());
        return kExitFailure;
    }
    auto launch = mult::Launch::prepare(spec, relay.saved_mask(), module.has_value());
    if (!launch) {
        fail(err, launch.error().message());
        return kExitFailure;
    }

    // --pids-max: the cgroup exists before the child, which starts in it.
    std::optional<PidsCgroup> cgroup;
    std::function<mult::Result<mult::Child>()> spawn = hooks.spawn;
    if (config.pids_max) {
        if (!hooks.spawn_into_cgroup) {
            fail(err, "--pids-max is not supported here");
            return kExitFailure;
        }
        auto made = PidsCgroup::create(*config.pids_max);
        if (!made) {
            fail(err, made.error().message());
            return kExitFailure;
        }
        cgroup = std::move(*made);
        spawn = [&hooks, fd = cgroup->fd()] { return hooks.spawn_into_cgroup(fd); };
    }

    out.flush();
    err.flush();
    if (auto r = launch->start(spawn); !r) {
        fail(err, mult::describe_instfork_error(r.error().code));
        return kExitFailure;
    }
    const pid_t pid = launch->pid();

    // The child is held while the module is asked about its instance: on
    // failure, leaving this scope kills and reaps it.
    if (config.name) {
        if (auto r = module->set_name(pid, launch->pidfd(), *config.name); !r) {
            fail(err, naming_failure(*config.name, r.error()));
            return kExitFailure;
        }
    }
    std::optional<std::uint32_t> id;
    std::string id_unknown;
    if (want_id) {
        if (module) {
            if (auto r = module->instance_id(launch->pidfd()))
                id = *r;
            else
                id_unknown = id_unknown_reason(r.error(), true);
        } else {
            id_unknown = id_unknown_reason(*module_error, false);
        }
    }
    if (auto r = launch->release(); !r) {
        fail(err, r.error().message());
        return kExitFailure;
    }
    if (config.print_id) {
        if (id)
            err << "instfork: instance " << *id << ", first process pid " << pid << '\n';
        else
            err << "instfork: first process pid " << pid << " (instance id unknown: "
                << id_unknown << ")\n";
        err << std::flush;
    } else if (config.detach && !id && !(module_error && module_error->code == ENOENT)) {
        // Without the module --detach prints the pid alone, as documented;
        // any other reason for the missing id is worth a word.
        err << "instfork: instance id unknown: " << id_unknown << '\n' << std::flush;
    }

    // The command runs: the terminal goes raw only now, so that every
    // message before this point reads as usual. Should that fail, the relay
    // goes on with the terminal as it is (^C then reaches instfork, which
    // relays SIGINT to the first process, as without -t).
    if (pty) {
        if (auto r = pty->start(); !r)
            err << "instfork: warning: -t: " << r.error().message()
                << "; the terminal is relayed in its own mode\n" << std::flush;
    }

    // With --detach, signals are not relayed: the child is on its own.
    auto outcome = launch->supervise(
        config.detach ? nullptr : &relay, config.detach,
        [&err, &pty](const mult::Error& e) {
            // A terminal in raw mode does not return the carriage by itself.
            err << "instfork: " << e.message() << (pty ? "\r\n" : "\n") << std::flush;
        },
        pty ? &*pty : nullptr);
    // The terminal as it was before anything more is said.
    if (pty)
        pty->finish();
    if (!outcome) {
        fail(err, outcome.error().message());
        return kExitFailure;
    }
    // The first process has been reaped: the instance has ended and its
    // other members are being killed; the cgroup goes once they are gone.
    if (cgroup) {
        if (auto r = cgroup->remove(); !r)
            err << "instfork: warning: " << r.error().message() << '\n' << std::flush;
    }
    if (outcome->failure) {
        fail(err, mult::describe(*outcome->failure, launch->spec()));
        return outcome->exit_code();
    }
    if (!outcome->status) {  // --detach: the command is running
        // One line, the pid first: `read pid id` works in a script.
        out << pid;
        if (id)
            out << ' ' << *id;
        out << '\n' << std::flush;
        return 0;
    }
    return outcome->exit_code();
}

}  // namespace instfork
