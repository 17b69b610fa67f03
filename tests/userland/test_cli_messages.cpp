// SPDX-License-Identifier: GPL-2.0-only
//
// Usage errors in the tools' own words (userland/common/cli_messages.hpp):
// no CLI11 phrasing ("At Most 1 required", "disallowed flag override",
// "was not expected", "is required") reaches the user, and names are
// refused by the rules of mgmt::new_name_problem().
#include <gtest/gtest.h>

#include "instctl/options.hpp"
#include "options.hpp"

namespace {

using Args = std::vector<std::string>;

std::string instctl_error(const Args& args)
{
    auto r = instctl::parse_command_line(args);
    EXPECT_FALSE(r.has_value());
    if (r)
        return {};
    EXPECT_EQ(r.error().code, 2);
    return r.error().err;
}

std::string instfork_error(const Args& args)
{
    auto r = instfork::parse_command_line(args);
    EXPECT_FALSE(r.has_value());
    if (r)
        return {};
    EXPECT_EQ(r.error().code, 2);
    return r.error().err;
}

// CLI11's own phrases, any of which in a message means it was not translated.
void expect_own_words(const std::string& err)
{
    for (const char* cli11 : {"At Most", "At least", "required but received", "flag override",
                              "was not expected", "were not expected", "is required",
                              "A subcommand", "Could not convert", "not an allowed value"})
        EXPECT_EQ(err.find(cli11), std::string::npos) << cli11 << " in: " << err;
}

}  // namespace

TEST(CliMessages, OptionGivenTwice)
{
    const std::string err = instfork_error({"--name", "a", "--name", "b", "--", "true"});
    EXPECT_EQ(err, "instfork: option '--name' may be given only once\n"
                   "Try 'instfork --help' for more information.\n");
    expect_own_words(err);
}

TEST(CliMessages, FlagGivenAValue)
{
    const std::string err = instctl_error({"list", "--json=1"});
    EXPECT_EQ(err, "instctl list: option '--json' does not take a value\n"
                   "Try 'instctl list --help' for more information.\n");
    expect_own_words(err);
}

TEST(CliMessages, MissingOptionValue)
{
    EXPECT_EQ(instctl_error({"watch", "--count"}),
              "instctl watch: option '--count' needs a value (N)\n"
              "Try 'instctl watch --help' for more information.\n");
    EXPECT_EQ(instfork_error({"--pass-fd"}),
              "instfork: option '--pass-fd' needs a value (N)\n"
              "Try 'instfork --help' for more information.\n");
}

TEST(CliMessages, UnexpectedArgumentsInCommandLineOrder)
{
    EXPECT_EQ(instctl_error({"list", "ps"}),
              "instctl list: unexpected argument 'ps'\n"
              "Try 'instctl list --help' for more information.\n");
    const std::string err = instctl_error({"ps", "a", "b", "c"});
    EXPECT_EQ(err.substr(0, err.find('\n')), "instctl ps: unexpected arguments 'b' 'c'");
    expect_own_words(err);
}

TEST(CliMessages, UnknownOption)
{
    EXPECT_EQ(instctl_error({"-x"}),
              "instctl: unknown option '-x'\nTry 'instctl --help' for more information.\n");
    EXPECT_EQ(instctl_error({"ps", "-x", "3"}).substr(0, 36), "instctl ps: unknown option '-x'\nTry ");
}

TEST(CliMessages, MissingPositionalNamesWhatIsMissing)
{
    EXPECT_NE(instctl_error({"ps"}).find("instctl ps: missing instance (its id or its name)\n"),
              std::string::npos);
    EXPECT_NE(instctl_error({"name", "web"}).find("instctl name: missing new name\n"),
              std::string::npos);
}

TEST(CliMessages, NamesStartingWithDashOrDotAreRefused)
{
    for (const char* name : {"-x", ".", "..", ".web"}) {
        SCOPED_TRACE(name);
        EXPECT_NE(instfork_error({std::string("--name=") + name, "--", "true"})
                      .find("instfork: --name '" + std::string(name) + "': a name may not start"),
                  std::string::npos);
        EXPECT_NE(instctl_error({"name", "3", std::string("--"), name}).find("a name may not start"),
                  std::string::npos)
            << "instctl name 3 -- " << name;
    }
}
