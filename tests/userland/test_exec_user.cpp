// SPDX-License-Identifier: GPL-2.0-only
//
// instctl exec with jexec's habits: the login shell without a command, -u
// USER and -l (options, the account files, the command exec builds), and
// the child taking a user's ids (mult::RunAs) through fork().
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <unistd.h>

#include "instctl/exec.hpp"
#include "instctl/options.hpp"
#include "mult/supervise.hpp"
#include "mult/user.hpp"
#include "test_util.hpp"

namespace {

using Args = std::vector<std::string>;

// passwd and group files of a test's own.
struct Accounts {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("mult-accounts-" + std::to_string(::getpid()));
    std::filesystem::path passwd = dir / "passwd";
    std::filesystem::path group = dir / "group";

    Accounts()
    {
        std::filesystem::create_directories(dir);
        std::ofstream(passwd) << "root:x:0:0:root:/root:/bin/bash\n"
                                 "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
                                 "alice:x:1000:1000:Alice:/home/alice:\n";
        std::ofstream(group) << "root:x:0:\nwww-data:x:33:\nalice:x:1000:\n"
                                "audio:x:29:alice\nvideo:x:44:bob,alice\nstaff:x:50:bob\n";
    }
    ~Accounts() { std::filesystem::remove_all(dir); }
};

instctl::Options exec_options(const Args& args)
{
    auto r = instctl::parse_command_line(args);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().err);
    return r ? *r : instctl::Options{};
}

}  // namespace

TEST(ExecUser, OptionsUserLoginAndNoCommand)
{
    const auto o = exec_options({"exec", "-l", "-u", "www-data", "web"});
    EXPECT_EQ(o.user, "www-data");
    EXPECT_TRUE(o.login);
    EXPECT_TRUE(o.argv.empty()) << "no command: the login shell";
    const auto p = exec_options({"exec", "--user=alice", "web", "--", "id", "-u"});
    EXPECT_EQ(p.user, "alice");
    EXPECT_FALSE(p.login);
    EXPECT_EQ(p.argv, (Args{"id", "-u"}));
    // -u's value is not taken for the instance, nor the instance for the command.
    const auto q = exec_options({"exec", "-u", "33", "3", "ls"});
    EXPECT_EQ(q.user, "33");
    EXPECT_EQ(q.instance, mult::mgmt::InstanceRef{3U});
    EXPECT_EQ(q.argv, Args{"ls"});
}

TEST(ExecUser, AccountsByNameAndUidWithTheirGroups)
{
    Accounts files;
    auto alice = mult::find_account("alice", files.passwd, files.group);
    ASSERT_TRUE(alice) << alice.error().message();
    EXPECT_EQ(alice->uid, 1000U);
    EXPECT_EQ(alice->gid, 1000U);
    EXPECT_EQ(alice->home, "/home/alice");
    EXPECT_EQ(alice->shell, "/bin/sh") << "an empty shell field means /bin/sh";
    EXPECT_EQ(alice->groups, (std::vector<gid_t>{1000, 29, 44}));
    auto www = mult::find_account("33", files.passwd, files.group);
    ASSERT_TRUE(www);
    EXPECT_EQ(www->name, "www-data");
    EXPECT_EQ(www->groups, std::vector<gid_t>{33});
    auto nobody = mult::find_account("mallory", files.passwd, files.group);
    ASSERT_FALSE(nobody);
    EXPECT_EQ(nobody.error().code, ENOENT);
    EXPECT_EQ(nobody.error().message(),
              "no user 'mallory' in " + files.passwd.string() + " (No such file or directory)");
    EXPECT_FALSE(mult::find_account(4242U, files.passwd, files.group));
}

TEST(ExecUser, LoginEnvironmentIsCleanAndKeepsTerm)
{
    const mult::Account alice{"alice", 1000, 1000, "/home/alice", "/bin/zsh", {1000}};
    EXPECT_EQ(mult::login_environment(alice, "xterm"),
              (Args{"HOME=/home/alice", "SHELL=/bin/zsh", "USER=alice", "LOGNAME=alice",
                    "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games", "TERM=xterm"}));
    const mult::Account root{"root", 0, 0, "/root", "/bin/bash", {0}};
    const auto env = mult::login_environment(root, std::nullopt);
    EXPECT_EQ(env.size(), 5U) << "no TERM without one";
    EXPECT_EQ(env[4], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
}

TEST(ExecUser, CommandJexecStyle)
{
    Accounts files;
    const instctl::FindAccount find = [&files](const std::optional<std::string>& user) {
        return mult::find_account(user.value_or("root"), files.passwd, files.group);
    };
    const Args env{"PATH=/bin", "TERM=vt100", "SECRET=1"};

    // A command, no -u/-l: as given, in the caller's environment, nothing looked up.
    int lookups = 0;
    auto plain = instctl::exec_command(exec_options({"exec", "web", "ls"}), env,
                                       [&](const std::optional<std::string>&) {
                                           ++lookups;
                                           return find(std::nullopt);
                                       });
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->argv, Args{"ls"});
    EXPECT_EQ(plain->envp, env);
    EXPECT_FALSE(plain->run_as);
    EXPECT_EQ(lookups, 0);

    // No command: the caller's login shell, still in the caller's environment.
    auto shell = instctl::exec_command(exec_options({"exec", "web"}), env, find);
    ASSERT_TRUE(shell);
    EXPECT_EQ(shell->argv, (Args{"/bin/bash", "-l"}));
    EXPECT_EQ(shell->envp, env);
    EXPECT_FALSE(shell->chdir);

    // -l -u alice: her shell, as her, clean environment, in her home.
    auto login = instctl::exec_command(exec_options({"exec", "-l", "-u", "alice", "web"}), env, find);
    ASSERT_TRUE(login);
    EXPECT_EQ(login->argv, (Args{"/bin/sh", "-l"}));
    ASSERT_TRUE(login->run_as);
    EXPECT_EQ(login->run_as->uid, 1000U);
    EXPECT_EQ(login->run_as->groups, (std::vector<gid_t>{1000, 29, 44}));
    EXPECT_EQ(login->chdir, "/home/alice");
    EXPECT_EQ(login->envp.back(), "TERM=vt100");
    EXPECT_EQ(std::ranges::find(login->envp, std::string("SECRET=1")), login->envp.end());

    // --chdir wins over the home; an unknown user is an error before anything runs.
    auto there = instctl::exec_command(exec_options({"exec", "-l", "--chdir", "/srv", "web", "pwd"}),
                                       env, find);
    ASSERT_TRUE(there);
    EXPECT_EQ(there->chdir, "/srv");
    auto unknown = instctl::exec_command(exec_options({"exec", "-u", "mallory", "web", "id"}), env, find);
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().find("no user 'mallory'"), std::string::npos) << unknown.error();
}

TEST(ExecUser, ChildTakesTheUsersIds)
{
    if (::geteuid() != 0)
        GTEST_SKIP() << "taking another user's ids needs root";
    auto out = mult::make_pipe();
    ASSERT_TRUE(out);
    const int fd = out->write.get();
    mult::CommandSpec spec{{"/bin/sh", "-c", "printf '%s %s %s' \"$(id -u)\" \"$(id -g)\" "
                                             "\"$(id -G)\" >&" + std::to_string(fd)},
                           {"PATH=/usr/bin:/bin"},
                           std::nullopt,
                           {fd}};
    spec.run_as = mult::RunAs{"test", 65534, 65534, {65534, 4242}};
    sigset_t mask;
    sigemptyset(&mask);
    auto launch = mult::Launch::prepare(spec, mask, false);
    ASSERT_TRUE(launch);
    ASSERT_TRUE(launch->start(mult_test::fork_child).has_value());
    auto outcome = launch->supervise(nullptr, false, [](const mult::Error& e) {
        ADD_FAILURE() << e.message();
    });
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome->exit_code(), 0);
    out->write.reset();
    char buf[128] = {};
    const ssize_t n = ::read(out->read.get(), buf, sizeof buf - 1);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "65534 65534 65534 4242");
}
