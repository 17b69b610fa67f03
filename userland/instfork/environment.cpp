// SPDX-License-Identifier: GPL-2.0-only
#include "environment.hpp"

#include <algorithm>
#include <iterator>

namespace instfork {

std::vector<std::string> build_environment(std::span<const std::string> base, bool clear,
                                           std::span<const EnvAssignment> assignments)
{
    std::vector<std::string> env;
    if (!clear)
        env.assign(base.begin(), base.end());
    for (const EnvAssignment& a : assignments) {
        const std::string prefix = a.name + "=";
        const auto has_name = [&](const std::string& e) { return e.starts_with(prefix); };
        std::string entry = prefix + a.value;
        auto it = std::ranges::find_if(env, has_name);
        if (it == env.end()) {
            env.push_back(std::move(entry));
            continue;
        }
        // Replace the first definition in place and drop later ones: an
        // environ may define a name twice, and getenv() would only ever see
        // the first, while other programs might pick the second.
        *it = std::move(entry);
        env.erase(std::remove_if(std::next(it), env.end(), has_name), env.end());
    }
    return env;
}

}  // namespace instfork
