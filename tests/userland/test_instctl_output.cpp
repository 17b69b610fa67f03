// SPDX-License-Identifier: GPL-2.0-only
//
// What instctl prints: tables for people, JSON for scripts, signal names,
// exit statuses and error messages.
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>

#include <nlohmann/json.hpp>

#include "instctl/errors.hpp"
#include "instctl/output.hpp"
#include "instctl/signals.hpp"
#include "instctl/table.hpp"

using mult::mgmt::Event;
using mult::mgmt::Info;
using mult::mgmt::Instance;
using mult::mgmt::Process;
using nlohmann::json;

namespace {

constexpr std::uint64_t kSecond = 1'000'000'000ULL;
constexpr std::uint64_t kNow = 1'000'000 * kSecond;

std::vector<Instance> sample_instances()
{
    return {
        Instance{1, 0, 1, "web", 120U, 3, 4, kNow - 75 * kSecond, std::nullopt},
        Instance{2, 1, 2, "", 150U, 1, 1, kNow - 5 * kSecond, std::nullopt},
        Instance{12, 0, 1, "batch.job-7", 4000U, 0, 0, kNow - 3 * 3600 * kSecond, 0x300U},
        Instance{13, 0, 1, "", std::nullopt, 0, 0, kNow, std::nullopt},
        Instance{14, 0, 1, "crash", 4100U, 1, 1, kNow - 2 * 86400 * kSecond, 0x8bU},
    };
}

}  // namespace

TEST(Table, AlignsColumnsAndPadsNoLastColumn)
{
    const std::vector<instctl::Column> cols{{"ID", true, true}, {"NAME"}, {"STATE"}};
    const std::vector<instctl::Row> rows{{{"1", "web", "running"}}, {{"123", "a", "x"}}};
    EXPECT_EQ(instctl::render_table(cols, rows, {}),
              " ID NAME STATE\n"
              "  1 web  running\n"
              "123 a    x\n");
}

TEST(Table, AbsentCellsAndShortRows)
{
    const std::vector<instctl::Column> cols{{"A"}, {"B", true, true}};
    const std::vector<instctl::Row> rows{{{"long"}}, {{std::nullopt, "7"}}};
    EXPECT_EQ(instctl::render_table(cols, rows, {}), "A    B\nlong -\n-    7\n");
    instctl::TableStyle as_json;
    as_json.json = true;
    as_json.compact = true;
    as_json.json_name = "rows";
    EXPECT_EQ(instctl::render_table(cols, rows, as_json),
              "{\"rows\":[{\"a\":\"long\",\"b\":null},{\"a\":null,\"b\":7}]}\n");
}

TEST(Table, NothingToPrint)
{
    const std::vector<instctl::Column> cols{{"A"}};
    instctl::TableStyle style;
    style.headings = false;
    EXPECT_EQ(instctl::render_table(cols, {}, style), "");
    style.json = true;
    style.compact = true;
    style.json_name = "rows";
    EXPECT_EQ(instctl::render_table(cols, {}, style), "{\"rows\":[]}\n");
}

TEST(Table, TreeDrawsChildrenBelowTheirParentWhateverTheOrder)
{
    const std::vector<instctl::Column> cols{{"ID", true, true}, {"NAME"}};
    // The child comes first and a row names a parent that is not listed.
    const std::vector<instctl::Row> rows{{{"3", "inner"}, 3, 2},
                                         {{"2", "mid"}, 2, 1},
                                         {{"1", "top"}, 1, std::nullopt},
                                         {{"9", "orphan"}, 9, 8}};
    instctl::TableStyle style;
    style.tree = true;
    EXPECT_EQ(instctl::render_table(cols, rows, style),
              "ID    NAME\n"
              "1     top\n"
              "`-2   mid\n"
              "  `-3 inner\n"
              "9     orphan\n");
    style.json = true;
    style.compact = true;
    style.json_name = "t";
    EXPECT_EQ(instctl::render_table(cols, rows, style),
              "{\"t\":[{\"id\":1,\"name\":\"top\",\"children\":[{\"id\":2,\"name\":\"mid\","
              "\"children\":[{\"id\":3,\"name\":\"inner\"}]}]},{\"id\":9,\"name\":\"orphan\"}]}\n");
}

TEST(Table, CompactJsonKeepsStrings)
{
    EXPECT_EQ(instctl::compact_json("{\n  \"a b\": \"x \\\" y\",\n  \"c\": [1, 2]\n}\n"),
              "{\"a b\":\"x \\\" y\",\"c\":[1,2]}\n");
}

TEST(Format, Ages)
{
    EXPECT_EQ(instctl::format_age(0), "0s");
    EXPECT_EQ(instctl::format_age(59), "59s");
    EXPECT_EQ(instctl::format_age(60), "1m00s");
    EXPECT_EQ(instctl::format_age(75), "1m15s");
    EXPECT_EQ(instctl::format_age(3599), "59m59s");
    EXPECT_EQ(instctl::format_age(3600), "1h00m");
    EXPECT_EQ(instctl::format_age(3 * 3600 + 7 * 60 + 5), "3h07m");
    EXPECT_EQ(instctl::format_age(86400), "1d00h");
    EXPECT_EQ(instctl::format_age(400 * 86400 + 5 * 3600), "400d05h");
    EXPECT_EQ(instctl::age_seconds(10 * kSecond, 12 * kSecond + 999), 2U);
    EXPECT_EQ(instctl::age_seconds(12 * kSecond, 10 * kSecond), 0U) << "no negative ages";
}

TEST(Format, RunStateFromWaitStatus)
{
    using instctl::describe;
    using instctl::run_state;
    EXPECT_EQ(describe(run_state(std::nullopt)), "running");
    EXPECT_EQ(describe(run_state(0x0U)), "exited 0");
    EXPECT_EQ(describe(run_state(0x300U)), "exited 3");
    EXPECT_EQ(describe(run_state(static_cast<std::uint32_t>(SIGKILL))), "killed by SIGKILL");
    EXPECT_EQ(describe(run_state(0x80U | SIGSEGV)), "killed by SIGSEGV (core dumped)");
}

TEST(ListText, Columns)
{
    EXPECT_EQ(instctl::list_text(sample_instances(), kNow),
              "ID PARENT DEPTH NAME        FIRST-PID PROCS THREADS   STARTED STATUS\n"
              " 1      -     1 web               120     3       4 1m15s ago running\n"
              " 2      1     2 -                 150     1       1    5s ago running\n"
              "12      -     1 batch.job-7      4000     0       0 3h00m ago exited 3\n"
              "13      -     1 -                   -     0       0    0s ago running\n"
              "14      -     1 crash            4100     1       1 2d00h ago killed by SIGSEGV "
              "(core dumped)\n");
}

TEST(ListText, NoInstancesPrintsNothing)
{
    // As lsns(8) and findmnt(8): no table without a row.
    EXPECT_EQ(instctl::list_text({}, kNow), "");
}

TEST(ListText, ChosenColumnsWithoutHeadings)
{
    instctl::TableOptions o;
    o.columns = *instctl::parse_columns(instctl::TableKind::list, "id,name");
    o.headings = false;
    EXPECT_EQ(instctl::list_text(sample_instances(), kNow, o),
              " 1 web\n 2 -\n12 batch.job-7\n13 -\n14 crash\n");
}

TEST(ListText, RawEscapesBlanks)
{
    instctl::TableOptions o;
    o.columns = *instctl::parse_columns(instctl::TableKind::list, "ID,STATUS,AGE");
    o.raw = true;
    EXPECT_EQ(instctl::list_text(sample_instances(), kNow, o),
              "ID STATUS AGE\n"
              "1 running 75\n"
              "2 running 5\n"
              "12 exited\\x203 10800\n"
              "13 running 0\n"
              "14 killed\\x20by\\x20SIGSEGV\\x20(core\\x20dumped) 172800\n");
}

TEST(ListText, TreeNestsInstancesBelowTheirCreator)
{
    instctl::TableOptions o;
    o.columns = {"ID", "NAME", "DEPTH"};
    o.tree = true;
    EXPECT_EQ(instctl::list_text(sample_instances(), kNow, o),
              "ID  NAME        DEPTH\n"
              "1   web             1\n"
              "`-2 -               2\n"
              "12  batch.job-7     1\n"
              "13  -               1\n"
              "14  crash           1\n");
}

TEST(ListText, JsonTableHasTypedValuesAndNestedChildren)
{
    instctl::TableOptions o;
    o.columns = *instctl::parse_columns(instctl::TableKind::list, "id,name,first-pid,status");
    o.json = true;
    o.tree = true;
    const std::string text = instctl::list_text(sample_instances(), kNow, o);
    EXPECT_NE(text.find('\n'), text.size() - 1) << "indented at a terminal";
    const json j = json::parse(text);
    ASSERT_EQ(j["instances"].size(), 4U) << text;
    EXPECT_EQ(j["instances"][0], json::parse(R"({"id":1,"name":"web","first-pid":120,
        "status":"running","children":[{"id":2,"name":null,"first-pid":150,"status":"running"}]})"));
    EXPECT_TRUE(j["instances"][2]["first-pid"].is_null());
    o.compact = true;
    const std::string compact = instctl::list_text(sample_instances(), kNow, o);
    EXPECT_EQ(compact.find('\n'), compact.size() - 1) << "one line for a pipe";
    EXPECT_EQ(json::parse(compact), j);
}

TEST(Columns, ParsingAndHelp)
{
    using instctl::TableKind;
    EXPECT_EQ(*instctl::parse_columns(TableKind::list, "id,Name"),
              (std::vector<std::string>{"ID", "NAME"}));
    EXPECT_EQ(instctl::parse_columns(TableKind::list, "+age")->back(), "AGE");
    EXPECT_EQ(instctl::parse_columns(TableKind::list, "+age")->size(), 10U);
    EXPECT_EQ(*instctl::parse_columns(TableKind::ps, "pid,comm"),
              (std::vector<std::string>{"PID", "COMM"}));
    EXPECT_EQ(instctl::parse_columns(TableKind::ps, "pid,foo").error(),
              "-o: unknown column 'FOO' (columns: PID,TGID,PPID,UID,STATE,COMM)");
    EXPECT_EQ(instctl::parse_columns(TableKind::list, "id,,name").error(),
              "-o: 'id,,name' has an empty column name");
    EXPECT_EQ(instctl::parse_columns(TableKind::list, "id,ID").error(),
              "-o: column 'ID' is named twice");
    EXPECT_NE(instctl::columns_help(TableKind::list).find("AGE"), std::string::npos);
}

TEST(ListJson, ArrayOfObjectsWithSnakeCaseKeys)
{
    const json j = json::parse(instctl::list_json(sample_instances(), kNow));
    ASSERT_TRUE(j.is_array());
    ASSERT_EQ(j.size(), 5U);
    EXPECT_EQ(j[0], json::parse(R"({"id":1,"parent_id":0,"depth":1,"name":"web","first_pid":120,
        "nr_processes":3,"nr_threads":4,"start_time_ns":999925000000000,"age_seconds":75,
        "exit_status":null,"status":"running","exit_code":null,"signal":null,
        "core_dumped":false})"));
    EXPECT_TRUE(j[1]["name"].is_null());
    EXPECT_EQ(j[2]["status"], "exited");
    EXPECT_EQ(j[2]["exit_code"], 3);
    EXPECT_EQ(j[2]["exit_status"], 0x300);
    EXPECT_TRUE(j[2]["signal"].is_null());
    EXPECT_TRUE(j[3]["first_pid"].is_null());
    EXPECT_EQ(j[4]["status"], "killed");
    EXPECT_EQ(j[4]["signal"], SIGSEGV);
    EXPECT_EQ(j[4]["core_dumped"], true);
    EXPECT_TRUE(j[4]["exit_code"].is_null());
}

TEST(ListJson, EmptyIsAnEmptyArray)
{
    EXPECT_EQ(instctl::list_json({}, kNow), "[]\n");
}

TEST(PsOutput, TextAndJson)
{
    const std::vector<Process> procs{{120, 120, 99, 0, 'S', "sh"},
                                     {4711, 4711, 120, 65534, 'R', "busy loop"}};
    EXPECT_EQ(instctl::ps_text(procs),
              " PID TGID PPID   UID STATE COMM\n"
              " 120  120   99     0 S     sh\n"
              "4711 4711  120 65534 R     busy loop\n");
    const json j = json::parse(instctl::ps_json(procs));
    EXPECT_EQ(j, json::parse(R"([{"pid":120,"tgid":120,"ppid":99,"uid":0,"state":"S","comm":"sh"},
        {"pid":4711,"tgid":4711,"ppid":120,"uid":65534,"state":"R","comm":"busy loop"}])"));
}

TEST(PsOutput, OddCommandNames)
{
    // Control characters would break the table; invalid UTF-8 the JSON.
    const std::vector<Process> procs{{7, 7, 1, 0, 'S', "a\tb\nc"}, {8, 8, 1, 0, 'S', "x\xffy"}};
    EXPECT_EQ(instctl::ps_text(procs),
              "PID TGID PPID UID STATE COMM\n"
              "  7    7    1   0 S     a?b?c\n"
              "  8    8    1   0 S     x\\xffy\n");  // libsmartcols' escape
    // -J: invalid UTF-8 becomes U+FFFD, as with --json.
    instctl::TableOptions o;
    o.json = true;
    o.columns = {"COMM"};
    const json jt = json::parse(instctl::ps_text(procs, o));
    EXPECT_EQ(jt["processes"][0]["comm"], "a\tb\nc");
    EXPECT_EQ(jt["processes"][1]["comm"], "x\xef\xbf\xbdy");
    const json j = json::parse(instctl::ps_json(procs));
    EXPECT_EQ(j[0]["comm"], "a\tb\nc");
    EXPECT_EQ(j[1]["comm"], "x\xef\xbf\xbdy") << "U+FFFD for the invalid byte";
}

TEST(PsOutput, TreeByParentAndThreadGroup)
{
    const std::vector<Process> procs{{120, 120, 99, 0, 'S', "sh"},
                                     {130, 130, 120, 0, 'S', "sleep"},
                                     {131, 130, 120, 0, 'S', "sleep"},
                                     {140, 140, 120, 0, 'R', "cat"}};
    instctl::TableOptions o;
    o.columns = {"PID", "COMM"};
    o.tree = true;
    EXPECT_EQ(instctl::ps_text(procs, o),
              "PID     COMM\n"
              "120     sh\n"
              "|-130   sleep\n"
              "| `-131 sleep\n"
              "`-140   cat\n");
}

TEST(JsonOutput, CompactForAPipe)
{
    const std::string list = instctl::list_json(sample_instances(), kNow, true);
    EXPECT_EQ(list.find('\n'), list.size() - 1);
    EXPECT_NE(list.find("\"name\":\"web\""), std::string::npos) << list;
    EXPECT_EQ(json::parse(list), json::parse(instctl::list_json(sample_instances(), kNow)))
        << "the same document as the indented one";
    const std::string info = instctl::info_json(Info{1, 8, 1024, 3, 0}, true);
    EXPECT_EQ(info, "{\"abi_version\":1,\"max_depth\":8,\"max_instances\":1024,\"nr_instances\":3,"
                    "\"events_dropped\":0}\n");
    EXPECT_EQ(instctl::ps_json({}, true), "[]\n");
}

TEST(InfoOutput, TextAndJson)
{
    const Info info{1, 8, 1024, 3, 0};
    EXPECT_EQ(instctl::info_text(info),
              "ABI version:    1\n"
              "max depth:      8\n"
              "max instances:  1024\n"
              "live instances: 3\n"
              "events dropped: 0\n");
    EXPECT_EQ(json::parse(instctl::info_json(info)),
              json::parse(R"({"abi_version":1,"max_depth":8,"max_instances":1024,
                              "nr_instances":3,"events_dropped":0})"));
}

TEST(InfoOutput, LimitsNotReported)
{
    const Info info{1, std::nullopt, std::nullopt, 0, 5};
    EXPECT_NE(instctl::info_text(info).find("max depth:      unknown (not reported by the kernel)\n"),
              std::string::npos);
    const json j = json::parse(instctl::info_json(info));
    EXPECT_TRUE(j["max_depth"].is_null());
    EXPECT_TRUE(j["max_instances"].is_null());
    EXPECT_EQ(j["events_dropped"], 5);
}

TEST(EventOutput, TextLines)
{
    EXPECT_EQ(instctl::event_text(Event{Event::Kind::created, 3, 120U, std::nullopt}),
              "created instance 3 (first pid 120)\n");
    EXPECT_EQ(instctl::event_text(Event{Event::Kind::emptied, 3, std::nullopt, 0x100U}),
              "emptied instance 3 (exited 1)\n");
    EXPECT_EQ(instctl::event_text(Event{Event::Kind::emptied, 3, std::nullopt, 9U}),
              "emptied instance 3 (killed by SIGKILL)\n");
}

TEST(EventOutput, OneJsonObjectPerLine)
{
    const std::string created = instctl::event_json(Event{Event::Kind::created, 3, 120U, std::nullopt});
    EXPECT_EQ(created, "{\"event\":\"created\",\"id\":3,\"first_pid\":120}\n");
    const std::string emptied = instctl::event_json(Event{Event::Kind::emptied, 3, std::nullopt, 9U});
    EXPECT_EQ(emptied.find('\n'), emptied.size() - 1);
    EXPECT_EQ(json::parse(emptied),
              json::parse(R"({"event":"emptied","id":3,"exit_status":9,"status":"killed",
                              "exit_code":null,"signal":9,"core_dumped":false})"));
}

// ---- signal names ----------------------------------------------------------

TEST(Signals, NamesWithOrWithoutSigInAnyCase)
{
    EXPECT_EQ(instctl::parse_signal("TERM"), SIGTERM);
    EXPECT_EQ(instctl::parse_signal("SIGTERM"), SIGTERM);
    EXPECT_EQ(instctl::parse_signal("sigterm"), SIGTERM);
    EXPECT_EQ(instctl::parse_signal("kill"), SIGKILL);
    EXPECT_EQ(instctl::parse_signal("HUP"), SIGHUP);
    EXPECT_EQ(instctl::parse_signal("WINCH"), SIGWINCH);
    EXPECT_EQ(instctl::parse_signal("SIGSYS"), SIGSYS);
    EXPECT_EQ(instctl::parse_signal("IOT"), SIGABRT);
    EXPECT_EQ(instctl::parse_signal("CLD"), SIGCHLD);
    EXPECT_EQ(instctl::parse_signal("POLL"), SIGIO);
}

TEST(Signals, Numbers)
{
    EXPECT_EQ(instctl::parse_signal("1"), 1);
    EXPECT_EQ(instctl::parse_signal("9"), 9);
    EXPECT_EQ(instctl::parse_signal("64"), 64);
    EXPECT_EQ(instctl::parse_signal("0").error(), "signal 0 is out of range (1 to 64)");
    EXPECT_EQ(instctl::parse_signal("65").error(), "signal 65 is out of range (1 to 64)");
    EXPECT_EQ(instctl::parse_signal("9x").error(), "'9x' is not a signal number");
    EXPECT_EQ(instctl::parse_signal("99999999999").error(), "'99999999999' is not a signal number");
}

TEST(Signals, RealTime)
{
    EXPECT_EQ(instctl::parse_signal("RTMIN"), SIGRTMIN);
    EXPECT_EQ(instctl::parse_signal("SIGRTMIN+1"), SIGRTMIN + 1);
    EXPECT_EQ(instctl::parse_signal("rtmax"), SIGRTMAX);
    EXPECT_EQ(instctl::parse_signal("RTMAX-2"), SIGRTMAX - 2);
    EXPECT_FALSE(instctl::parse_signal("RTMIN-1"));
    EXPECT_FALSE(instctl::parse_signal("RTMAX+1"));
    EXPECT_FALSE(instctl::parse_signal("RTMIN+99"));
}

TEST(Signals, Unknown)
{
    EXPECT_EQ(instctl::parse_signal("FOO").error(),
              "unknown signal 'FOO' (give a name like TERM, KILL, HUP, or a number 1 to 64)");
    EXPECT_FALSE(instctl::parse_signal("SIG"));
    EXPECT_FALSE(instctl::parse_signal(""));
    EXPECT_FALSE(instctl::parse_signal("-9"));
}

TEST(Signals, NamesRoundTrip)
{
    EXPECT_EQ(instctl::signal_name(SIGKILL), "SIGKILL");
    EXPECT_EQ(instctl::signal_name(SIGRTMIN), "SIGRTMIN");
    EXPECT_EQ(instctl::signal_name(SIGRTMIN + 2), "SIGRTMIN+2");
    EXPECT_EQ(instctl::signal_name(SIGRTMAX - 1), "SIGRTMAX-1");
    for (int sig = 1; sig <= instctl::kSignalMax; ++sig) {
        const std::string name = instctl::signal_name(sig);
        if (name.starts_with("signal "))
            continue;  // 32, 33: glibc's own, nameless
        EXPECT_EQ(instctl::parse_signal(name), sig) << name;
    }
}

// ---- exit statuses and messages -------------------------------------------

TEST(InstctlErrors, ExitCodes)
{
    using instctl::Stage;
    const auto code = [](int err, Stage stage) {
        return instctl::exit_code_for(mult::Error{err, "x"}, stage);
    };
    EXPECT_EQ(code(ENOENT, Stage::connect), 5) << "family not registered: module not loaded";
    EXPECT_EQ(code(ENOENT, Stage::request), 3) << "no such instance";
    EXPECT_EQ(code(EPERM, Stage::request), 4);
    EXPECT_EQ(code(EACCES, Stage::request), 4);
    EXPECT_EQ(code(EPERM, Stage::connect), 4);
    EXPECT_EQ(code(ESRCH, Stage::request), 1);
    EXPECT_EQ(code(EEXIST, Stage::request), 1);
    EXPECT_EQ(code(EINVAL, Stage::request), 1);
    EXPECT_EQ(code(EIO, Stage::connect), 1);
}

TEST(InstctlErrors, ModuleNotLoadedSaysHowToLoadIt)
{
    const mult::Error e{ENOENT, "generic netlink family 'mult' is not registered"};
    EXPECT_EQ(instctl::error_message(e, instctl::Stage::connect, mult::Support::supported),
              "the mult management module (mult_mgmt.ko) is not loaded (no generic netlink family "
              "'mult'); load it with 'modprobe mult_mgmt' or 'insmod mult_mgmt.ko'");
}

TEST(InstctlErrors, AKernelWithoutMultIsSaidBeforeTheModule)
{
    const mult::Error e{ENOENT, "generic netlink family 'mult' is not registered"};
    EXPECT_EQ(instctl::error_message(e, instctl::Stage::connect, mult::Support::unsupported),
              "this kernel has no mult instances (CONFIG_MULT): /proc/sys/kernel/mult is missing, "
              "so there is no management module either: boot a kernel with the mult series");
    // Cannot tell (no /proc): the module advice stands.
    EXPECT_NE(instctl::error_message(e, instctl::Stage::connect, mult::Support::unknown)
                  .find("modprobe mult_mgmt"),
              std::string::npos);
    EXPECT_NE(instctl::error_message(e, instctl::Stage::connect, mult::Support::supported)
                  .find("modprobe mult_mgmt"),
              std::string::npos);
    // A missing instance is not a missing kernel feature.
    EXPECT_EQ(instctl::error_message(mult::Error{ENOENT, "ps instance 'web'"},
                                     instctl::Stage::request, mult::Support::unsupported),
              "ps instance 'web': No such file or directory");
}

TEST(InstctlErrors, KernelMessageIsKept)
{
    const mult::Error e{EPERM, "list", "not allowed from inside an instance"};
    EXPECT_EQ(instctl::error_message(e, instctl::Stage::request),
              "list: not allowed from inside an instance (Operation not permitted)");
    const mult::Error taken{EEXIST, "set-name of instance 3 to 'web'",
                            "name already used by instance 2"};
    EXPECT_EQ(instctl::error_message(taken, instctl::Stage::request),
              "set-name of instance 3 to 'web': name already used by instance 2 (File exists)");
}

TEST(InstctlErrors, WithoutAKernelMessageTheErrnoIsExplained)
{
    using instctl::Stage;
    EXPECT_EQ(instctl::error_message(mult::Error{EPERM, "joining the mult events group"},
                                     Stage::request),
              "joining the mult events group: needs CAP_SYS_ADMIN in the initial user namespace, "
              "from outside any instance (Operation not permitted)");
    EXPECT_EQ(instctl::error_message(mult::Error{ESRCH, "enter instance 3"}, Stage::request),
              "enter instance 3: the instance is ending: its first process has exited (No such "
              "process)");
    EXPECT_EQ(instctl::error_message(mult::Error{EBUSY, "enter instance 3"}, Stage::request),
              "enter instance 3: another process is already armed to enter this instance (Device "
              "or resource busy)");
    EXPECT_EQ(instctl::error_message(mult::Error{EIO, "list"}, Stage::request),
              "list: Input/output error");
}

TEST(InstctlErrors, HelpListsEveryStatus)
{
    const std::string help = instctl::exit_status_help(true);
    for (const char* line : {"0  success", "1  other failure", "2  usage error",
                             "3  no such instance", "4  permission denied",
                             "5  the management module mult_mgmt.ko is not loaded", "125", "126",
                             "127"})
        EXPECT_NE(help.find(line), std::string::npos) << line;
    EXPECT_EQ(instctl::exit_status_help(false).find("exec"), std::string::npos);
}
