// SPDX-License-Identifier: GPL-2.0-only
//
// The one-request commands: list, ps, kill, info, name.
#include "commands.hpp"

#include <ostream>

#include <unistd.h>

#include "output.hpp"
#include "service.hpp"

namespace instctl {
namespace {

using mult::mgmt::Client;

// JSON goes on one line where no one reads it at a terminal: into a pipe or
// a file, for the next program, like the one-line events of watch.
bool compact_json()
{
    return ::isatty(STDOUT_FILENO) == 0;
}

TableOptions table_options(const Options& opts)
{
    TableOptions table = opts.table;
    table.compact = compact_json();
    return table;
}

int list(Client& client, const Options& opts, std::ostream& out, std::ostream& err)
{
    auto instances = client.list();
    if (!instances)
        return report(err, instances.error(), Stage::request);
    const std::uint64_t now = boottime_ns();
    out << (opts.json ? list_json(*instances, now, compact_json())
                      : list_text(*instances, now, table_options(opts)));
    return kExitOk;
}

int ps(Client& client, const Options& opts, std::ostream& out, std::ostream& err)
{
    auto procs = client.ps(opts.instance, opts.threads);
    if (!procs)
        return report(err, procs.error(), Stage::request);
    out << (opts.json ? ps_json(*procs, compact_json()) : ps_text(*procs, table_options(opts)));
    return kExitOk;
}

int kill(Client& client, const Options& opts, std::ostream&, std::ostream& err)
{
    if (auto r = client.kill(opts.instance, opts.signal); !r)
        return report(err, r.error(), Stage::request);
    return kExitOk;
}

int info(Client& client, const Options& opts, std::ostream& out, std::ostream& err)
{
    auto info = client.get_info();
    if (!info)
        return report(err, info.error(), Stage::request);
    if (info->abi_version != mult::mgmt::kAbiVersion)
        err << "instctl: warning: the module speaks ABI version " << info->abi_version
            << ", instctl version " << mult::mgmt::kAbiVersion << '\n';
    out << (opts.json ? info_json(*info, compact_json()) : info_text(*info));
    return kExitOk;
}

int name(Client& client, const Options& opts, std::ostream&, std::ostream& err)
{
    // set-name takes the id only; a name is looked up first.
    auto id = client.resolve(opts.instance);
    if (!id)
        return report(err, id.error(), Stage::request);
    if (auto r = client.set_name(*id, opts.new_name); !r)
        return report(err, r.error(), Stage::request);
    return kExitOk;
}

}  // namespace

int report(std::ostream& err, const mult::Error& error, Stage stage)
{
    err << "instctl: " << error_message(error, stage) << '\n' << std::flush;
    return exit_code_for(error, stage);
}

int run(const Options& opts, std::ostream& out, std::ostream& err)
{
    switch (opts.command) {
    case Command::exec:
        return run_exec(opts, out, err);
    case Command::watch:
        return run_watch(opts, out, err);
    case Command::stop:
        return run_stop(opts, out, err);
    case Command::svc_enable:
    case Command::svc_disable:
        return run_svc(opts, out, err);
    case Command::kill:
        if (opts.all)
            return run_kill_all(opts, out, err);
        break;
    default:
        break;
    }

    auto client = Client::connect();
    if (!client)
        return report(err, client.error(), Stage::connect);

    int code = kExitFailure;
    switch (opts.command) {
    case Command::list:
        code = list(*client, opts, out, err);
        break;
    case Command::ps:
        code = ps(*client, opts, out, err);
        break;
    case Command::kill:
        code = kill(*client, opts, out, err);
        break;
    case Command::info:
        code = info(*client, opts, out, err);
        break;
    case Command::name:
        code = name(*client, opts, out, err);
        break;
    case Command::exec:
    case Command::watch:
    case Command::stop:
    case Command::svc_enable:
    case Command::svc_disable:
        break;
    }
    out.flush();
    return code;
}

}  // namespace instctl
