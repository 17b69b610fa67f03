// SPDX-License-Identifier: GPL-2.0-only
//
// instfork [options] -- cmd args...: run cmd in a new mult instance.
#include <cerrno>
#include <iostream>
#include <optional>
#include <string_view>
#include <unistd.h>

#include "mult/kernel.hpp"
#include "init.hpp"
#include "options.hpp"
#include "runner.hpp"

int main(int argc, char** argv)
{
    // --init's reaper is instfork itself, run again inside the instance.
    if (argc > 1 && std::string_view(argv[1]) == instfork::kReaperArg)
        return instfork::reaper_main(argc, argv);
    auto config = instfork::parse_command_line(argc, argv);
    if (!config) {
        std::cout << config.error().out << std::flush;
        std::cerr << config.error().err << std::flush;
        return config.error().code;
    }
    // -t without a terminal to relay is the caller's mistake, said first.
    if (auto problem = instfork::tty_problem(*config, ::isatty(STDIN_FILENO) != 0)) {
        std::cerr << "instfork: " << *problem << "\nTry 'instfork --help' for more information.\n"
                  << std::flush;
        return instfork::kExitUsage;
    }
    // On a kernel without mult everything else follows from that: it is
    // said first, not "the management module is not loaded" (--name) or
    // a --pass-fd complaint. Here rather than in run(), whose host tests
    // drive fork() on exactly such a kernel.
    if (mult::probe_instance_support() == mult::Support::unsupported) {
        std::cerr << "instfork: " << mult::describe_instfork_error(EINVAL) << '\n' << std::flush;
        return instfork::kExitFailure;
    }
    std::optional<instfork::InitSupervisor> init;
    if (config->init) {
        const std::optional<std::string> name = config->name;
        auto prepared = instfork::InitSupervisor::prepare(*config);
        if (!prepared) {
            std::cerr << "instfork: " << prepared.error().message() << '\n' << std::flush;
            return instfork::kExitFailure;
        }
        init = std::move(*prepared);
        const int rc = instfork::run(*config, instfork::default_hooks(), std::cout, std::cerr);
        init->finish(name);
        return rc;
    }
    return instfork::run(*config, instfork::default_hooks(), std::cout, std::cerr);
}
