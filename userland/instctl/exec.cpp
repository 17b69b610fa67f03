// SPDX-License-Identifier: GPL-2.0-only
//
// instctl exec: run a command inside a running instance.
//
// The module's enter arms the calling process: its next
// clone3(CLONE_NEWINST) makes the child a member of the instance instead of
// the first process of a new one. So exec is instfork with requests around
// the fork: the target is resolved to its id first (get), the child is
// created held, and it runs the command only once get with its pidfd has
// confirmed that it is in that instance (exec.hpp). Everything else (fds,
// chdir, signal relay, waiting, exit status) is mult::Launch, shared with
// instfork; -t adds mult::PtySession (a pty, raw mode, the relay).
#include "exec.hpp"

#include <cerrno>
#include <ostream>
#include <unistd.h>

#include "commands.hpp"
#include "mult/instfork.hpp"
#include "mult/kernel.hpp"
#include "mult/pty.hpp"

namespace instctl {
namespace {

int fail(std::ostream& err, const std::string& message)
{
    err << "instctl: exec: " << message << '\n' << std::flush;
    return mult::kExitSpawnFailure;
}

std::string instance(std::uint32_t id)
{
    return "instance " + std::to_string(id);
}

}  // namespace

std::optional<std::string> join_problem(std::uint32_t target,
                                        const mult::Result<mult::mgmt::Instance>& landed)
{
    if (!landed)
        return "cannot tell whether the command's process joined " + instance(target) + ": " +
               error_message(landed.error(), Stage::request) + "; the command was not run";
    if (landed->id != target)
        return instance(target) + " ended before the command could join it (its process was " +
               "in a new " + instance(landed->id) + " instead); the command was not run";
    return std::nullopt;
}

std::optional<std::string> verify_joined(mult::Launch& launch, std::uint32_t target,
                                         const GetByPidfd& get)
{
    auto problem = join_problem(target, get(launch.pidfd()));
    if (problem)
        launch.discard();  // ends the new instance too: the child is its first process
    return problem;
}

std::expected<mult::CommandSpec, std::string> exec_command(
    const Options& opts, const std::vector<std::string>& environment, const FindAccount& find)
{
    mult::CommandSpec spec{opts.argv, environment, opts.chdir, {}};
    if (!opts.user && !opts.login && !opts.argv.empty())
        return spec;
    auto account = find(opts.user);
    if (!account)
        return std::unexpected(account.error().message());
    if (spec.argv.empty())
        spec.argv = {account->shell, "-l"};
    if (opts.user)
        spec.run_as = mult::RunAs{account->name, account->uid, account->gid, account->groups};
    if (opts.login) {
        std::optional<std::string> term;
        for (const std::string& kv : environment)
            if (kv.starts_with("TERM="))
                term = kv.substr(5);
        spec.envp = mult::login_environment(*account, term);
        if (!spec.chdir)
            spec.chdir = account->home;
    }
    return spec;
}

int run_exec(const Options& opts, std::ostream& out, std::ostream& err)
{
    // -t without a terminal: said before anything else is asked or opened.
    if (opts.tty) {
        if (auto problem = mult::tty_problem(::isatty(STDIN_FILENO) != 0)) {
            // In the voice of a usage error, whose status it has.
            err << "instctl exec: " << *problem
                << "\nTry 'instctl exec --help' for more information.\n" << std::flush;
            return kExitUsage;
        }
    }

    auto client = mult::mgmt::Client::connect();
    if (!client)
        return fail(err, error_message(client.error(), Stage::connect));

    // The id, asked even when given: enter and the check below then name
    // the same instance, whatever happens to the name meanwhile.
    auto target = client->get(opts.instance);
    if (!target)
        return fail(err, error_message(target.error(), Stage::request));
    const std::uint32_t id = target->id;

    // The account is the machine's (instances share its files): -u and
    // the login shell are looked up before anything is started.
    auto command = exec_command(opts, mult::current_environment(),
                                [](const std::optional<std::string>& user) {
                                    return user ? mult::find_account(*user)
                                                : mult::find_account(::getuid());
                                });
    if (!command)
        return fail(err, command.error());

    // -t: the pty before the child, which takes its slave as its terminal
    // once it is in the instance (a terminal nobody controls yet: the
    // kernel's rule against taking another instance's terminal allows it).
    std::optional<mult::PtySession> pty;
    if (opts.tty) {
        auto opened = mult::PtySession::open(STDIN_FILENO, STDOUT_FILENO);
        if (!opened)
            return fail(err, "-t: " + opened.error().message());
        pty.emplace(std::move(*opened));
        command->terminal_fd = pty->slave();
        // The user's terminal, as a login's would be (ssh, login(1)).
        const auto keep_group = static_cast<gid_t>(-1);
        if (command->run_as && ::fchown(pty->slave(), command->run_as->uid, keep_group) != 0) {
            const int e = errno;
            return fail(err, "-t: cannot give the pseudo-terminal to user '" +
                                 command->run_as->name + "': " + mult::errno_string(e));
        }
    }

    mult::SignalFd relay(mult::kForwardedSignals);
    if (auto r = relay.open(); !r)
        return fail(err, r.error().message());
    auto launch = mult::Launch::prepare(std::move(*command), relay.saved_mask(), /*hold=*/true);
    if (!launch)
        return fail(err, launch.error().message());

    // Arm this process right before the fork: the kernel keeps the mark
    // with the caller until its next clone3(CLONE_NEWINST).
    if (auto r = client->enter(id); !r)
        return fail(err, error_message(r.error(), Stage::request));

    out.flush();
    err.flush();
    if (auto r = launch->start([] { return mult::instfork(); }); !r) {
        const mult::Error& e = r.error();
        // ESRCH here: the instance's first process exited between enter
        // and the fork, and an ending instance takes no new member.
        if (e.code == ESRCH)
            return fail(err, instance(id) + " is ending: its first process has exited");
        return fail(err, "cannot start the command in " + instance(id) + ": " +
                             mult::describe_instfork_error(e.code));
    }

    // The child is held: if it is not in the instance, it is killed and
    // reaped here, before it runs anything.
    const auto get_by_pidfd = [&client](int pidfd) {
        return client->get(mult::mgmt::InstancePidfd{pidfd});
    };
    if (auto problem = verify_joined(*launch, id, get_by_pidfd))
        return fail(err, *problem);
    if (auto r = launch->release(); !r)
        return fail(err, r.error().message());
    // The command runs: the terminal goes raw only now, so that every
    // message before this point reads as usual. Should that fail, the relay
    // goes on with the terminal as it is (^C then reaches instctl, which
    // relays SIGINT to the command's process, as without -t).
    if (pty) {
        if (auto r = pty->start(); !r)
            err << "instctl: exec: warning: -t: " << r.error().message()
                << "; the terminal is relayed in its own mode\n" << std::flush;
    }

    auto outcome = launch->supervise(
        &relay, false,
        [&err, &pty](const mult::Error& e) {
            // A terminal in raw mode does not return the carriage by itself.
            err << "instctl: exec: " << e.message() << (pty ? "\r\n" : "\n") << std::flush;
        },
        pty ? &*pty : nullptr);
    // The terminal as it was before anything more is said.
    if (pty)
        pty->finish();
    if (!outcome)
        return fail(err, outcome.error().message());
    if (outcome->failure)
        fail(err, mult::describe(*outcome->failure, launch->spec()));
    return outcome->exit_code();
}

}  // namespace instctl
