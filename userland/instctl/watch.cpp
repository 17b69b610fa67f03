// SPDX-License-Identifier: GPL-2.0-only
//
// instctl watch: print created / emptied events as they come.
#include <cerrno>
#include <csignal>
#include <ostream>
#include <poll.h>

#include "commands.hpp"
#include "mult/supervise.hpp"
#include "output.hpp"

namespace instctl {
namespace {

constexpr int kStopSignals[] = {SIGINT, SIGTERM};

}  // namespace

int run_watch(const Options& opts, std::ostream& out, std::ostream& err)
{
    auto client = mult::mgmt::Client::connect();
    if (!client)
        return report(err, client.error(), Stage::connect);

    // SIGINT and SIGTERM end the watch normally (status 0): read them from
    // a signalfd instead of dying mid-line.
    mult::SignalFd stop(kStopSignals);
    if (auto r = stop.open(); !r)
        return report(err, r.error(), Stage::request);

    if (auto r = client->subscribe(); !r)
        return report(err, r.error(), Stage::request);

    std::uint64_t seen = 0;
    const auto print = [&](const mult::mgmt::Event& ev) {
        if (opts.count && seen >= *opts.count)
            return;  // the rest of a burst past --count
        out << (opts.json ? event_json(ev) : event_text(ev)) << std::flush;
        ++seen;
    };

    while (!opts.count || seen < *opts.count) {
        pollfd fds[2] = {{stop.fd(), POLLIN, 0}, {client->fd(), POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return report(err, mult::Error{errno, "watch: poll", {}}, Stage::request);
        }
        if (fds[0].revents & POLLIN)
            return kExitOk;
        if (!(fds[1].revents & (POLLIN | POLLERR)))
            continue;
        auto r = client->receive_events(print);
        if (r)
            continue;
        if (r.error().code == ENOBUFS) {
            // Lost, but the socket still works: say so and go on.
            err << "instctl: watch: " << r.error().message() << '\n' << std::flush;
            continue;
        }
        // ENOENT: the module was unloaded, which is status 5 as for connect.
        return report(err, r.error(), r.error().code == ENOENT ? Stage::connect : Stage::request);
    }
    return kExitOk;
}

}  // namespace instctl
