// SPDX-License-Identifier: GPL-2.0-only
#include "mult/user.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <grp.h>
#include <memory>
#include <pwd.h>

namespace mult {
namespace {

struct FileClose {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileClose>;

Result<File> open_file(const std::filesystem::path& path)
{
    File f(std::fopen(path.c_str(), "re"));
    if (!f)
        return make_error(errno, "opening " + path.string());
    return f;
}

Account from_entry(const passwd& pw)
{
    Account a;
    a.name = pw.pw_name;
    a.uid = pw.pw_uid;
    a.gid = pw.pw_gid;
    a.home = pw.pw_dir != nullptr ? pw.pw_dir : "/";
    a.shell = pw.pw_shell != nullptr && pw.pw_shell[0] != '\0' ? pw.pw_shell : "/bin/sh";
    return a;
}

// The primary group, then every group that lists the user as a member.
Result<void> add_groups(Account& a, const std::filesystem::path& group_file)
{
    a.groups = {a.gid};
    auto f = open_file(group_file);
    if (!f)
        return std::unexpected(f.error());
    while (const group* gr = ::fgetgrent(f->get())) {
        for (char** member = gr->gr_mem; member != nullptr && *member != nullptr; ++member)
            if (a.name == *member && std::ranges::find(a.groups, gr->gr_gid) == a.groups.end())
                a.groups.push_back(gr->gr_gid);
    }
    return {};
}

template <class Match>
Result<Account> find(Match match, const std::string& what, const std::filesystem::path& passwd_file,
                     const std::filesystem::path& group_file)
{
    auto f = open_file(passwd_file);
    if (!f)
        return std::unexpected(f.error());
    while (const passwd* pw = ::fgetpwent(f->get())) {
        if (!match(*pw))
            continue;
        Account a = from_entry(*pw);
        if (auto r = add_groups(a, group_file); !r)
            return std::unexpected(r.error());
        return a;
    }
    return std::unexpected(Error{ENOENT, "", "no user " + what + " in " + passwd_file.string()});
}

}  // namespace

Result<Account> find_account(std::string_view user, const std::filesystem::path& passwd_file,
                             const std::filesystem::path& group_file)
{
    uid_t uid = 0;
    const auto [end, ec] = std::from_chars(user.data(), user.data() + user.size(), uid);
    if (!user.empty() && ec == std::errc{} && end == user.data() + user.size())
        return find_account(uid, passwd_file, group_file);
    const std::string name(user);
    return find([&name](const passwd& pw) { return name == pw.pw_name; }, "'" + name + "'",
                passwd_file, group_file);
}

Result<Account> find_account(uid_t uid, const std::filesystem::path& passwd_file,
                             const std::filesystem::path& group_file)
{
    return find([uid](const passwd& pw) { return pw.pw_uid == uid; },
                "with uid " + std::to_string(uid), passwd_file, group_file);
}

std::vector<std::string> login_environment(const Account& account,
                                           const std::optional<std::string>& term)
{
    // login(1)'s PATH for root and for everyone else (Debian's login.defs).
    const char* path = account.uid == 0
                           ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                           : "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games";
    std::vector<std::string> env{
        "HOME=" + account.home, "SHELL=" + account.shell, "USER=" + account.name,
        "LOGNAME=" + account.name, std::string("PATH=") + path,
    };
    if (term)
        env.push_back("TERM=" + *term);
    return env;
}

}  // namespace mult
