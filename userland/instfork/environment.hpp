// SPDX-License-Identifier: GPL-2.0-only
//
// Building the command's argv and envp (pure) and owning them as the
// NULL-terminated char* arrays execve wants.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "options.hpp"

namespace instfork {

// NULL-terminated array of C strings that owns its storage. Built in the
// parent, so the child between clone3() and execve() allocates nothing.
class CStringArray {
public:
    CStringArray() { ptrs_.push_back(nullptr); }
    explicit CStringArray(std::vector<std::string> strings);

    // Copying would leave ptrs_ pointing into the source.
    CStringArray(const CStringArray&) = delete;
    CStringArray& operator=(const CStringArray&) = delete;
    // Moving is safe: a moved vector keeps its heap buffer, so the strings
    // (and the pointers into them) stay where they are.
    CStringArray(CStringArray&&) noexcept = default;
    CStringArray& operator=(CStringArray&&) noexcept = default;

    [[nodiscard]] char* const* data() const noexcept { return ptrs_.data(); }
    [[nodiscard]] const std::vector<std::string>& strings() const noexcept { return strings_; }
    [[nodiscard]] std::size_t size() const noexcept { return strings_.size(); }

private:
    std::vector<std::string> strings_;
    std::vector<char*> ptrs_;
};

// The environment for the command: `base` ("K=V" strings, e.g. environ)
// unless `clear`, then each assignment in order, replacing an existing
// variable of that name in place or appending a new one.
[[nodiscard]] std::vector<std::string> build_environment(std::span<const std::string> base,
                                                         bool clear,
                                                         std::span<const EnvAssignment> assignments);

// A copy of the calling process's environment.
[[nodiscard]] std::vector<std::string> current_environment();

}  // namespace instfork
