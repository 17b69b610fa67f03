// SPDX-License-Identifier: GPL-2.0-only
//
// instctl stop and kill --all.
//
// stop sends SIGTERM through the module's kill (every process of the
// instance and of the ones nested in it, with no escape by a concurrent
// fork), then polls until nothing of them is left running, and sends
// SIGKILL the same way once the timeout has passed. Polling rather than
// the "emptied" event: that event comes when the first process exits,
// while stop must wait for the last one (a member that ignores SIGTERM
// outlives a first process that obeyed it only until the kernel's
// teardown, but a nested instance has its own first process), and a poll
// of `get` every few milliseconds costs nothing next to a service's exit.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <ostream>
#include <set>
#include <thread>

#include "commands.hpp"
#include "service.hpp"
#include "signals.hpp"

namespace instctl {
namespace {

using mult::mgmt::Client;
using mult::mgmt::Instance;
using Clock = std::chrono::steady_clock;

// How long stop waits after SIGKILL before it calls the instance stuck: a
// process in uninterruptible sleep (D state) takes the signal only when it
// wakes up.
constexpr std::chrono::seconds kKillGrace{5};

// The instances `roots` and every instance nested in them, from a list.
std::set<std::uint32_t> with_nested(const std::vector<Instance>& all,
                                    const std::set<std::uint32_t>& roots)
{
    std::set<std::uint32_t> ids = roots;
    // Ids are not ordered parent before child (they wrap): iterate to a
    // fixed point.
    for (bool grew = true; grew;) {
        grew = false;
        for (const Instance& inst : all)
            if (ids.contains(inst.parent_id) && ids.insert(inst.id).second)
                grew = true;
    }
    return ids;
}

// True while something of instance `id` still runs. A zombie first process
// waiting for its creator to reap it does not count: the kernel has already
// sent SIGKILL to everything else (R7), and the creator is outside.
mult::Result<bool> still_running(Client& client, std::uint32_t id)
{
    auto inst = client.get(id);
    if (!inst)
        return inst.error().code == ENOENT ? mult::Result<bool>(false)
                                           : std::unexpected(inst.error());
    if (inst->nr_processes == 0)
        return false;
    if (!inst->exit_status)
        return true;  // the first process runs
    auto procs = client.ps(id, false);
    if (!procs)
        return procs.error().code == ENOENT ? mult::Result<bool>(false)
                                            : std::unexpected(procs.error());
    return std::ranges::any_of(*procs,
                               [](const mult::mgmt::Process& p) { return p.state != 'Z' && p.state != 'X'; });
}

// Waits until none of `ids` runs, or `deadline`. Returns the ones left.
mult::Result<std::set<std::uint32_t>> wait_gone(Client& client, std::set<std::uint32_t> ids,
                                                Clock::time_point deadline)
{
    auto pause = std::chrono::milliseconds(10);
    for (;;) {
        for (auto it = ids.begin(); it != ids.end();) {
            auto running = still_running(client, *it);
            if (!running)
                return std::unexpected(running.error());
            it = *running ? std::next(it) : ids.erase(it);
        }
        if (ids.empty() || Clock::now() >= deadline)
            return ids;
        std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - Clock::now()));
        pause = std::min(pause * 2, std::chrono::milliseconds(100));
    }
}

// Signals each of `ids` (the top of each tree: the module's kill takes the
// nested instances along). ENOENT and ESRCH mean the instance ended
// meanwhile: not an error here. Returns how many were signalled.
mult::Result<int> signal_all(Client& client, const std::set<std::uint32_t>& ids, int sig)
{
    int sent = 0;
    for (std::uint32_t id : ids) {
        auto r = client.kill(id, sig);
        if (r) {
            ++sent;
            continue;
        }
        if (r.error().code != ENOENT && r.error().code != ESRCH)
            return std::unexpected(r.error());
    }
    return sent;
}

std::string describe_set(const std::set<std::uint32_t>& ids)
{
    std::string text;
    for (std::uint32_t id : ids)
        text += (text.empty() ? "" : ", ") + std::to_string(id);
    return (ids.size() == 1 ? "instance " : "instances ") + text;
}

// The instances a command names: the one given (resolved to its id), or
// with --all those created in the root instance (the nested ones go with
// them). `list` receives the module's list.
mult::Result<std::set<std::uint32_t>> targets(Client& client, const Options& opts,
                                              std::vector<Instance>& list)
{
    auto l = client.list();
    if (!l)
        return std::unexpected(l.error());
    list = std::move(*l);
    std::set<std::uint32_t> ids;
    if (opts.all) {
        for (const Instance& inst : list)
            if (inst.parent_id == 0)
                ids.insert(inst.id);
        return ids;
    }
    auto id = client.resolve(opts.instance);
    if (!id)
        return std::unexpected(id.error());
    ids.insert(*id);
    return ids;
}

}  // namespace

int run_stop(const Options& opts, std::ostream&, std::ostream& err)
{
    auto client = Client::connect();
    if (!client)
        return report(err, client.error(), Stage::connect);
    std::vector<Instance> list;
    auto tops = targets(*client, opts, list);
    if (!tops)
        return report(err, tops.error(), Stage::request);
    // An instance given by name or id that has no instance left with that
    // id after resolve is already gone: status 0.
    const std::set<std::uint32_t> watched = with_nested(list, *tops);

    const int first = opts.timeout.count() == 0 ? SIGKILL : SIGTERM;
    if (auto r = signal_all(*client, *tops, first); !r)
        return report(err, r.error(), Stage::request);
    auto left = wait_gone(*client, watched, Clock::now() + opts.timeout);
    if (!left)
        return report(err, left.error(), Stage::request);
    if (left->empty())
        return first == SIGKILL ? kExitStopNeededKill : kExitOk;

    if (first != SIGKILL) {
        err << "instctl: stop: " << describe_set(*left) << " still running "
            << std::chrono::duration<double>(opts.timeout).count() << " s after SIGTERM; sending SIGKILL\n" << std::flush;
        if (auto r = signal_all(*client, *left, SIGKILL); !r)
            return report(err, r.error(), Stage::request);
    }
    left = wait_gone(*client, *left, Clock::now() + kKillGrace);
    if (!left)
        return report(err, left.error(), Stage::request);
    if (!left->empty()) {
        err << "instctl: stop: " << describe_set(*left) << " still running "
            << kKillGrace.count() << " s after SIGKILL (a process in uninterruptible sleep?)\n"
            << std::flush;
        return kExitStopStuck;
    }
    return kExitStopNeededKill;
}

int run_kill_all(const Options& opts, std::ostream&, std::ostream& err)
{
    auto client = Client::connect();
    if (!client)
        return report(err, client.error(), Stage::connect);
    std::vector<Instance> list;
    auto tops = targets(*client, opts, list);
    if (!tops)
        return report(err, tops.error(), Stage::request);
    if (tops->empty())
        return kExitOk;  // nothing to signal is not a failure for --all
    auto sent = signal_all(*client, *tops, opts.signal);
    if (!sent)
        return report(err, sent.error(), Stage::request);
    if (*sent == 0) {
        err << "instctl: kill --all: no process left in any instance\n" << std::flush;
        return kExitFailure;
    }
    return kExitOk;
}

}  // namespace instctl
