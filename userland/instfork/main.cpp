// SPDX-License-Identifier: GPL-2.0-only
//
// instfork [options] -- cmd args...: run cmd in a new mult instance.
#include <iostream>

#include "options.hpp"
#include "runner.hpp"

int main(int argc, char** argv)
{
    auto config = instfork::parse_command_line(argc, argv);
    if (!config) {
        std::cout << config.error().out << std::flush;
        std::cerr << config.error().err << std::flush;
        return config.error().code;
    }
    return instfork::run(*config, instfork::default_hooks(), std::cout, std::cerr);
}
