// SPDX-License-Identifier: GPL-2.0-only
//
// instctl: manage mult instances through the management module.
#include <iostream>

#include "commands.hpp"
#include "options.hpp"

int main(int argc, char** argv)
{
    auto opts = instctl::parse_command_line(argc, argv);
    if (!opts) {
        std::cout << opts.error().out << std::flush;
        std::cerr << opts.error().err << std::flush;
        return opts.error().code;
    }
    return instctl::run(*opts, std::cout, std::cerr);
}
