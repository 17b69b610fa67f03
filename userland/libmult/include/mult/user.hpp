// SPDX-License-Identifier: GPL-2.0-only
//
// Accounts for instctl exec -u and its login shell, read from passwd and
// group files.
//
// fgetpwent()/fgetgrent() on the files, not getpwnam(): the guest's tools
// are static, and glibc's NSS lookups in a static program load shared
// modules at run time. Instances share the machine's filesystem, so the
// machine's /etc/passwd is the instance's too (as jexec -u uses the host's
// accounts).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "mult/error.hpp"

namespace mult {

struct Account {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    std::string shell;          // /bin/sh when the entry has none
    std::vector<gid_t> groups;  // the primary group first, then the supplementary ones
    friend bool operator==(const Account&, const Account&) = default;
};

inline constexpr const char* kPasswdFile = "/etc/passwd";
inline constexpr const char* kGroupFile = "/etc/group";

// The account named `user`, or whose uid it is when it is all digits.
// ENOENT for an unknown user, with a message for people.
[[nodiscard]] Result<Account> find_account(std::string_view user,
                                           const std::filesystem::path& passwd = kPasswdFile,
                                           const std::filesystem::path& group = kGroupFile);

// The account of a uid (the caller's, for a login shell without -u).
[[nodiscard]] Result<Account> find_account(uid_t uid,
                                           const std::filesystem::path& passwd = kPasswdFile,
                                           const std::filesystem::path& group = kGroupFile);

// A login's clean environment (jexec -l, su -l): HOME, SHELL, USER and
// LOGNAME of the account, a PATH, and TERM if the caller had one.
[[nodiscard]] std::vector<std::string> login_environment(const Account& account,
                                                         const std::optional<std::string>& term);

}  // namespace mult
