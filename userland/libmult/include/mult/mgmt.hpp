// SPDX-License-Identifier: GPL-2.0-only
//
// Client of the mult management module (generic netlink family "mult").
//
// The ABI is kernel/module/mult.yaml (docs/netlink.md). Message building
// and reply parsing are free functions over libnl's struct nl_msg, so the
// host tests check them without the module; Client ties them to a socket.
//
// Instances are named by id or by name in every request, never by pid:
// pids are what instances hide (design R1).
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mult/error.hpp"
#include "mult/genl.hpp"

namespace mult::mgmt {

inline constexpr std::size_t kNameMax = 31;           // MULT_NAME_MAX
inline constexpr const char* kEventsGroup = "events";  // MULT_MCGRP_EVENTS
inline constexpr std::uint32_t kAbiVersion = 1;        // MULT_ABI_VERSION, what this client speaks

// A pidfd, open in this process, of a process of the instance: how a
// creator names the instance it just started, without a race (instfork
// holds one on the first process).
struct InstancePidfd {
    int fd = -1;
    friend bool operator==(const InstancePidfd&, const InstancePidfd&) = default;
};

// An instance as a request names it: its id, its name or a pidfd. ps takes
// only an id or a name; set-name only an id or a pidfd.
using InstanceRef = std::variant<std::uint32_t, std::string, InstancePidfd>;

// Why `name` is not a valid instance name (1 to kNameMax characters of
// A-Z a-z 0-9 . _ -), or nullopt when it is. The module's own rule.
[[nodiscard]] std::optional<std::string> instance_name_problem(std::string_view name);

// The same, plus: not digits only, and not starting with '-' or '.'. The
// module accepts such names, but tools read a string of digits as an id
// and "-x" as an option, and "." and ".." look like path components.
[[nodiscard]] std::optional<std::string> new_name_problem(std::string_view name);

// A command-line instance: a string of decimal digits is an id (1 to
// 2^32-1; 0 is the root instance, which no operation takes), anything else
// must be a valid name. The error is a message for people.
[[nodiscard]] std::expected<InstanceRef, std::string> parse_instance_ref(std::string_view text);

// "instance 3", "instance 'web'" or "the instance of pidfd 5", for messages.
[[nodiscard]] std::string describe(const InstanceRef& ref);

// get-info.
struct Info {
    std::uint32_t abi_version = 0;
    std::optional<std::uint32_t> max_depth;      // absent until the kernel exports it
    std::optional<std::uint32_t> max_instances;  // same
    std::uint32_t nr_instances = 0;
    std::uint32_t events_dropped = 0;
    friend bool operator==(const Info&, const Info&) = default;
};

// One entry of list.
struct Instance {
    std::uint32_t id = 0;
    std::uint32_t parent_id = 0;  // 0: created in the root instance
    std::uint32_t depth = 0;
    std::string name;             // empty: unnamed
    std::optional<std::uint32_t> first_pid;
    std::uint32_t nr_processes = 0;
    std::uint32_t nr_threads = 0;
    std::uint64_t start_time_ns = 0;  // CLOCK_BOOTTIME
    std::optional<std::uint32_t> exit_status;  // wait status, once the first process exited
    friend bool operator==(const Instance&, const Instance&) = default;
};

// One entry of ps.
struct Process {
    std::uint32_t pid = 0;
    std::uint32_t tgid = 0;
    std::uint32_t ppid = 0;
    std::uint32_t uid = 0;
    char state = '?';  // as in /proc/PID/stat
    std::string comm;
    friend bool operator==(const Process&, const Process&) = default;
};

// A message of the "events" group.
struct Event {
    enum class Kind { created, emptied };
    Kind kind = Kind::created;
    std::uint32_t id = 0;
    std::optional<std::uint32_t> first_pid;    // created
    std::optional<std::uint32_t> exit_status;  // emptied: wait status of the first process
    friend bool operator==(const Event&, const Event&) = default;
};

// Requests for family id `family`. Do requests carry NLM_F_ACK, dumps
// NLM_F_DUMP; port and sequence number are filled in when sent.
[[nodiscard]] Result<genl::Msg> build_get_info(int family);
[[nodiscard]] Result<genl::Msg> build_list(int family);
[[nodiscard]] Result<genl::Msg> build_ps(int family, const InstanceRef& ref, bool threads);
[[nodiscard]] Result<genl::Msg> build_kill(int family, const InstanceRef& ref, int sig);
[[nodiscard]] Result<genl::Msg> build_enter(int family, const InstanceRef& ref);
[[nodiscard]] Result<genl::Msg> build_get(int family, const InstanceRef& ref);
// `ref` is an id or a pidfd (the module takes no name here: `name` is the
// new one).
[[nodiscard]] Result<genl::Msg> build_set_name(int family, const InstanceRef& ref,
                                               const std::string& name);
// A ref of a kind the operation does not take gives EINVAL.

// Replies and events. EPROTO for a message that is not the expected
// command, fails the attribute policy or lacks an attribute the ABI
// always sends.
[[nodiscard]] Result<Info> parse_info(nl_msg* msg);
[[nodiscard]] Result<Instance> parse_instance(nl_msg* msg);  // list and get
[[nodiscard]] Result<Process> parse_process(nl_msg* msg);
[[nodiscard]] Result<Event> parse_event(nl_msg* msg);

// True when `msg` is the genl controller announcing that family `family`
// was unregistered (the module was unloaded).
[[nodiscard]] bool is_family_removal(nl_msg* msg, int family);

// A connection to the module.
class Client {
public:
    // Opens a socket and resolves the family. Error::code ENOENT means the
    // module is not loaded.
    [[nodiscard]] static Result<Client> connect();

    [[nodiscard]] Result<Info> get_info();
    [[nodiscard]] Result<std::vector<Instance>> list();
    [[nodiscard]] Result<std::vector<Process>> ps(const InstanceRef& ref, bool threads);
    [[nodiscard]] Result<void> kill(const InstanceRef& ref, int sig);
    // Arms the calling process: its next clone3(CLONE_NEWINST) joins the
    // instance instead of creating one. The module checks the caller, so
    // the process (thread) that will fork must send this.
    [[nodiscard]] Result<void> enter(const InstanceRef& ref);
    [[nodiscard]] Result<void> set_name(const InstanceRef& ref, const std::string& name);
    [[nodiscard]] Result<Instance> get(const InstanceRef& ref);

    // The id of `ref`: itself for an id, else asked of the module with get
    // (ENOENT when no instance has the name).
    [[nodiscard]] Result<std::uint32_t> resolve(const InstanceRef& ref);

    // Makes this socket an event listener: sends get-info first (the module
    // delivers events only to sockets on which a request passed its
    // permission check), joins the "events" group and the genl controller's
    // "notify" group (to notice an unload), enlarges the receive buffer and
    // turns the socket non-blocking. Only receive_events() after this.
    [[nodiscard]] Result<void> subscribe();
    // Reads the queued events without blocking and calls `on_event` for
    // each. ENOENT when the module was unloaded; ENOBUFS when events were
    // lost to a full receive buffer (the socket stays usable).
    [[nodiscard]] Result<void> receive_events(const std::function<void(const Event&)>& on_event);

    [[nodiscard]] int fd() const noexcept { return sock_.fd(); }
    [[nodiscard]] int family() const noexcept { return family_; }

private:
    Client(genl::Socket sock, int family) noexcept : sock_(std::move(sock)), family_(family) {}

    genl::Socket sock_;
    int family_;
};

}  // namespace mult::mgmt
