// SPDX-License-Identifier: GPL-2.0-only
//
// The mult generic netlink family: requests, replies, events, the client.
#include "mult/mgmt.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <linux/genetlink.h>
#include <linux/mult_nl.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

namespace mult::mgmt {
namespace {

constexpr const char* kNameRule = "names are 1 to 31 characters of A-Z a-z 0-9 . _ -";

bool all_digits(std::string_view s)
{
    return !s.empty() && std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
}

bool name_char(char c)
{
    // ASCII only, like the module (not std::isalnum, which follows the locale).
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

}  // namespace

std::optional<std::string> instance_name_problem(std::string_view name)
{
    if (name.empty())
        return std::string("the name is empty (") + kNameRule + ")";
    if (name.size() > kNameMax)
        return "the name is " + std::to_string(name.size()) + " characters long (" + kNameRule + ")";
    if (!std::ranges::all_of(name, name_char))
        return std::string("the name has a character outside A-Z a-z 0-9 . _ - (") + kNameRule +
               ")";
    return std::nullopt;
}

std::optional<std::string> new_name_problem(std::string_view name)
{
    if (auto problem = instance_name_problem(name))
        return problem;
    if (all_digits(name))
        return std::string("a name of digits only would read as an instance id");
    // The module refuses these too; checked here to say why: a leading '-'
    // reads as an option on every command line that names the instance, and
    // "." and ".." (and hidden names) look like path components wherever a
    // name becomes one.
    if (name.front() == '-')
        return std::string("a name may not start with '-': it would read as an option");
    if (name.front() == '.')
        return std::string("a name may not start with '.' (as '.' and '..' do)");
    return std::nullopt;
}

std::expected<InstanceRef, std::string> parse_instance_ref(std::string_view text)
{
    if (text.empty())
        return std::unexpected(std::string("the instance id or name is empty"));
    if (all_digits(text)) {
        std::uint32_t id = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
        if (ec != std::errc{} || end != text.data() + text.size())
            return std::unexpected("instance id " + std::string(text) +
                                   " is out of range (1 to 4294967295)");
        if (id == 0)
            return std::unexpected(std::string(
                "instance id 0 is the root instance, which cannot be managed"));
        return InstanceRef{id};
    }
    if (auto problem = instance_name_problem(text))
        return std::unexpected("'" + std::string(text) +
                               "' is neither an instance id nor a valid name: " + *problem);
    return InstanceRef{std::string(text)};
}

std::string describe(const InstanceRef& ref)
{
    if (const auto* id = std::get_if<std::uint32_t>(&ref))
        return "instance " + std::to_string(*id);
    if (const auto* name = std::get_if<std::string>(&ref))
        return "instance '" + *name + "'";
    return "the instance of pidfd " + std::to_string(std::get<InstancePidfd>(ref).fd);
}

// ---- requests ------------------------------------------------------------

namespace {

Result<genl::Msg> new_request(int family, std::uint8_t cmd, int flags)
{
    genl::Msg msg(nlmsg_alloc());
    if (!msg)
        return make_error(ENOMEM, "nlmsg_alloc");
    if (genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd,
                    MULT_FAMILY_VERSION) == nullptr)
        return make_error(EMSGSIZE, "genlmsg_put");
    return msg;
}

constexpr int kDoFlags = NLM_F_REQUEST | NLM_F_ACK;
constexpr int kDumpFlags = NLM_F_REQUEST | NLM_F_DUMP;

Result<void> put_u32(nl_msg* msg, int type, std::uint32_t value)
{
    if (nla_put_u32(msg, type, value) < 0)
        return make_error(EMSGSIZE, "nla_put_u32");
    return {};
}

Result<void> put_string(nl_msg* msg, int type, const std::string& value)
{
    if (nla_put_string(msg, type, value.c_str()) < 0)
        return make_error(EMSGSIZE, "nla_put_string");
    return {};
}

// The attributes an operation names its instance with; 0 for a kind it
// does not take.
struct RefAttrs {
    int id;
    int name;
    int pidfd;
};
constexpr RefAttrs kInstanceRef{MULT_A_INSTANCE_ID, MULT_A_INSTANCE_NAME, MULT_A_INSTANCE_PIDFD};
constexpr RefAttrs kProcessRef{MULT_A_PROCESS_ID, MULT_A_PROCESS_NAME, 0};
constexpr RefAttrs kSetNameRef{MULT_A_INSTANCE_ID, 0, MULT_A_INSTANCE_PIDFD};

// The instance a request acts on: exactly one attribute of `attrs`.
Result<void> put_ref(nl_msg* msg, const InstanceRef& ref, const RefAttrs& attrs, const char* op)
{
    const auto refused = [&] {
        return make_error(EINVAL, std::string(op) + " cannot name its instance as " + describe(ref));
    };
    if (const auto* id = std::get_if<std::uint32_t>(&ref))
        return put_u32(msg, attrs.id, *id);
    if (const auto* name = std::get_if<std::string>(&ref)) {
        if (attrs.name == 0)
            return refused();
        return put_string(msg, attrs.name, *name);
    }
    if (attrs.pidfd == 0)
        return refused();
    if (nla_put_s32(msg, attrs.pidfd, std::get<InstancePidfd>(ref).fd) < 0)
        return make_error(EMSGSIZE, "nla_put_s32");
    return {};
}

// A do request whose only attribute names the instance.
Result<genl::Msg> build_ref_request(int family, std::uint8_t cmd, const InstanceRef& ref,
                                    const char* op)
{
    auto msg = new_request(family, cmd, kDoFlags);
    if (!msg)
        return msg;
    if (auto r = put_ref(msg->get(), ref, kInstanceRef, op); !r)
        return std::unexpected(r.error());
    return msg;
}

}  // namespace

Result<genl::Msg> build_get_info(int family)
{
    return new_request(family, MULT_CMD_GET_INFO, kDoFlags);
}

Result<genl::Msg> build_list(int family)
{
    return new_request(family, MULT_CMD_LIST, kDumpFlags);
}

Result<genl::Msg> build_ps(int family, const InstanceRef& ref, bool threads)
{
    auto msg = new_request(family, MULT_CMD_PS, kDumpFlags);
    if (!msg)
        return msg;
    if (auto r = put_ref(msg->get(), ref, kProcessRef, "ps"); !r)
        return std::unexpected(r.error());
    if (threads && nla_put_flag(msg->get(), MULT_A_PROCESS_THREADS) < 0)
        return make_error(EMSGSIZE, "nla_put_flag");
    return msg;
}

Result<genl::Msg> build_kill(int family, const InstanceRef& ref, int sig)
{
    // The module's own range check (1..MULT_SIG_MAX) would catch it too;
    // a negative int must not wrap into a u32 on the way.
    if (sig < 1 || sig > MULT_SIG_MAX)
        return make_error(EINVAL, "signal " + std::to_string(sig) + " is not in 1.." +
                                      std::to_string(MULT_SIG_MAX));
    auto msg = build_ref_request(family, MULT_CMD_KILL, ref, "kill");
    if (!msg)
        return msg;
    if (auto r = put_u32(msg->get(), MULT_A_INSTANCE_SIGNAL, static_cast<std::uint32_t>(sig)); !r)
        return std::unexpected(r.error());
    return msg;
}

Result<genl::Msg> build_enter(int family, const InstanceRef& ref)
{
    return build_ref_request(family, MULT_CMD_ENTER, ref, "enter");
}

Result<genl::Msg> build_get(int family, const InstanceRef& ref)
{
    return build_ref_request(family, MULT_CMD_GET, ref, "get");
}

Result<genl::Msg> build_set_name(int family, const InstanceRef& ref, const std::string& name)
{
    auto msg = new_request(family, MULT_CMD_SET_NAME, kDoFlags);
    if (!msg)
        return msg;
    if (auto r = put_ref(msg->get(), ref, kSetNameRef, "set-name"); !r)
        return std::unexpected(r.error());
    if (auto r = put_string(msg->get(), MULT_A_INSTANCE_NAME, name); !r)
        return std::unexpected(r.error());
    return msg;
}

// ---- replies -------------------------------------------------------------

namespace {

// A reply's attributes, validated against the types of the spec.
template <std::size_t N>
struct Attrs {
    nlattr* tb[N + 1] = {};

    [[nodiscard]] bool has(int type) const { return tb[type] != nullptr; }
    [[nodiscard]] std::uint32_t u32(int type) const { return nla_get_u32(tb[type]); }
    [[nodiscard]] std::optional<std::uint32_t> opt_u32(int type) const
    {
        return has(type) ? std::optional(u32(type)) : std::nullopt;
    }
};

struct PolicyEntry {
    int type;
    std::uint16_t nla_type;  // NLA_U32, ...
};

template <std::size_t N>
struct Policy {
    nla_policy entries[N + 1] = {};
    explicit Policy(std::initializer_list<PolicyEntry> list)
    {
        for (const PolicyEntry& e : list)
            entries[e.type].type = e.nla_type;
    }
};

// Parses a message of the family: the command must be one of `cmds`; the
// attributes are validated against `policy` (integer sizes, strings
// NUL-terminated) and every attribute in `required` must be present.
template <std::size_t N>
Result<Attrs<N>> parse_reply(nl_msg* msg, std::initializer_list<std::uint8_t> cmds,
                             const Policy<N>& policy, std::initializer_list<int> required,
                             const char* what)
{
    nlmsghdr* hdr = nlmsg_hdr(msg);
    if (!genlmsg_valid_hdr(hdr, 0))
        return make_error(EPROTO, std::string("malformed ") + what + ": no generic netlink header");
    const genlmsghdr* gh = genlmsg_hdr(hdr);
    if (std::ranges::find(cmds, gh->cmd) == cmds.end())
        return make_error(EPROTO, std::string("malformed ") + what + ": unexpected command " +
                                      std::to_string(gh->cmd));
    Attrs<N> attrs;
    // genlmsg_parse() takes a non-const policy in libnl 3.7.
    if (const int err = genlmsg_parse(hdr, 0, attrs.tb, static_cast<int>(N),
                                      const_cast<nla_policy*>(policy.entries));
        err < 0)
        return make_error(EPROTO, std::string("malformed ") + what + ": " + nl_geterror(err));
    for (const int type : required)
        if (!attrs.has(type))
            return make_error(EPROTO, std::string("malformed ") + what + ": attribute " +
                                          std::to_string(type) + " missing");
    return attrs;
}

std::string get_string(nlattr* attr)
{
    // The policy (NLA_STRING) checked the terminating NUL.
    return nla_get_string(attr);
}

}  // namespace

Result<Info> parse_info(nl_msg* msg)
{
    static const Policy<MULT_A_INFO_MAX> policy{
        {MULT_A_INFO_ABI_VERSION, NLA_U32},   {MULT_A_INFO_MAX_DEPTH, NLA_U32},
        {MULT_A_INFO_MAX_INSTANCES, NLA_U32}, {MULT_A_INFO_NR_INSTANCES, NLA_U32},
        {MULT_A_INFO_EVENTS_DROPPED, NLA_U32},
    };
    auto a = parse_reply(msg, {MULT_CMD_GET_INFO}, policy,
                         {MULT_A_INFO_ABI_VERSION, MULT_A_INFO_NR_INSTANCES,
                          MULT_A_INFO_EVENTS_DROPPED},
                         "get-info reply");
    if (!a)
        return std::unexpected(a.error());
    Info info;
    info.abi_version = a->u32(MULT_A_INFO_ABI_VERSION);
    info.max_depth = a->opt_u32(MULT_A_INFO_MAX_DEPTH);
    info.max_instances = a->opt_u32(MULT_A_INFO_MAX_INSTANCES);
    info.nr_instances = a->u32(MULT_A_INFO_NR_INSTANCES);
    info.events_dropped = a->u32(MULT_A_INFO_EVENTS_DROPPED);
    return info;
}

namespace {

const Policy<MULT_A_INSTANCE_MAX>& instance_policy()
{
    static const Policy<MULT_A_INSTANCE_MAX> policy{
        {MULT_A_INSTANCE_ID, NLA_U32},           {MULT_A_INSTANCE_NAME, NLA_STRING},
        {MULT_A_INSTANCE_PARENT_ID, NLA_U32},    {MULT_A_INSTANCE_DEPTH, NLA_U32},
        {MULT_A_INSTANCE_FIRST_PID, NLA_U32},    {MULT_A_INSTANCE_NR_PROCESSES, NLA_U32},
        {MULT_A_INSTANCE_NR_THREADS, NLA_U32},   {MULT_A_INSTANCE_START_TIME, NLA_U64},
        {MULT_A_INSTANCE_EXIT_STATUS, NLA_U32},  {MULT_A_INSTANCE_SIGNAL, NLA_U32},
    };
    return policy;
}

}  // namespace

Result<Instance> parse_instance(nl_msg* msg)
{
    auto a = parse_reply(msg, {MULT_CMD_LIST, MULT_CMD_GET}, instance_policy(),
                         {MULT_A_INSTANCE_ID, MULT_A_INSTANCE_PARENT_ID, MULT_A_INSTANCE_DEPTH,
                          MULT_A_INSTANCE_NR_PROCESSES, MULT_A_INSTANCE_NR_THREADS,
                          MULT_A_INSTANCE_START_TIME},
                         "instance reply");
    if (!a)
        return std::unexpected(a.error());
    Instance inst;
    inst.id = a->u32(MULT_A_INSTANCE_ID);
    inst.parent_id = a->u32(MULT_A_INSTANCE_PARENT_ID);
    inst.depth = a->u32(MULT_A_INSTANCE_DEPTH);
    if (a->has(MULT_A_INSTANCE_NAME))
        inst.name = get_string(a->tb[MULT_A_INSTANCE_NAME]);
    inst.first_pid = a->opt_u32(MULT_A_INSTANCE_FIRST_PID);
    inst.nr_processes = a->u32(MULT_A_INSTANCE_NR_PROCESSES);
    inst.nr_threads = a->u32(MULT_A_INSTANCE_NR_THREADS);
    inst.start_time_ns = nla_get_u64(a->tb[MULT_A_INSTANCE_START_TIME]);
    inst.exit_status = a->opt_u32(MULT_A_INSTANCE_EXIT_STATUS);
    return inst;
}

Result<Process> parse_process(nl_msg* msg)
{
    static const Policy<MULT_A_PROCESS_MAX> policy{
        {MULT_A_PROCESS_ID, NLA_U32},   {MULT_A_PROCESS_NAME, NLA_STRING},
        {MULT_A_PROCESS_THREADS, NLA_FLAG}, {MULT_A_PROCESS_PID, NLA_U32},
        {MULT_A_PROCESS_TGID, NLA_U32}, {MULT_A_PROCESS_PPID, NLA_U32},
        {MULT_A_PROCESS_UID, NLA_U32},  {MULT_A_PROCESS_STATE, NLA_U8},
        {MULT_A_PROCESS_COMM, NLA_STRING},
    };
    auto a = parse_reply(msg, {MULT_CMD_PS}, policy,
                         {MULT_A_PROCESS_PID, MULT_A_PROCESS_TGID, MULT_A_PROCESS_PPID,
                          MULT_A_PROCESS_UID, MULT_A_PROCESS_STATE, MULT_A_PROCESS_COMM},
                         "ps reply");
    if (!a)
        return std::unexpected(a.error());
    Process p;
    p.pid = a->u32(MULT_A_PROCESS_PID);
    p.tgid = a->u32(MULT_A_PROCESS_TGID);
    p.ppid = a->u32(MULT_A_PROCESS_PPID);
    p.uid = a->u32(MULT_A_PROCESS_UID);
    p.state = static_cast<char>(nla_get_u8(a->tb[MULT_A_PROCESS_STATE]));
    p.comm = get_string(a->tb[MULT_A_PROCESS_COMM]);
    return p;
}

Result<Event> parse_event(nl_msg* msg)
{
    auto a = parse_reply(msg, {MULT_CMD_CREATED, MULT_CMD_EMPTIED}, instance_policy(),
                         {MULT_A_INSTANCE_ID}, "event");
    if (!a)
        return std::unexpected(a.error());
    Event ev;
    ev.id = a->u32(MULT_A_INSTANCE_ID);
    if (genlmsg_hdr(nlmsg_hdr(msg))->cmd == MULT_CMD_CREATED) {
        ev.kind = Event::Kind::created;
        ev.first_pid = a->opt_u32(MULT_A_INSTANCE_FIRST_PID);
        if (!ev.first_pid)
            return make_error(EPROTO, "malformed created event: no first-pid");
    } else {
        ev.kind = Event::Kind::emptied;
        ev.exit_status = a->opt_u32(MULT_A_INSTANCE_EXIT_STATUS);
        if (!ev.exit_status)
            return make_error(EPROTO, "malformed emptied event: no exit-status");
    }
    return ev;
}

bool is_family_removal(nl_msg* msg, int family)
{
    nlmsghdr* hdr = nlmsg_hdr(msg);
    if (hdr->nlmsg_type != GENL_ID_CTRL || !genlmsg_valid_hdr(hdr, 0) ||
        genlmsg_hdr(hdr)->cmd != CTRL_CMD_DELFAMILY)
        return false;
    nla_policy policy[CTRL_ATTR_MAX + 1] = {};
    policy[CTRL_ATTR_FAMILY_ID].type = NLA_U16;
    nlattr* tb[CTRL_ATTR_MAX + 1] = {};
    if (genlmsg_parse(hdr, 0, tb, CTRL_ATTR_MAX, policy) < 0 || tb[CTRL_ATTR_FAMILY_ID] == nullptr)
        return false;
    return nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]) == family;
}

// ---- client --------------------------------------------------------------

Result<Client> Client::connect()
{
    auto sock = genl::Socket::open();
    if (!sock)
        return std::unexpected(sock.error());
    auto family = sock->resolve_family(kGenlFamilyName);
    if (!family)
        return std::unexpected(family.error());
    return Client(std::move(*sock), *family);
}

namespace {

// Sends `msg` and parses every reply with `parse`.
template <class T>
Result<std::vector<T>> request_all(genl::Socket& sock, Result<genl::Msg> msg,
                                   Result<T> (*parse)(nl_msg*), const std::string& context)
{
    if (!msg)
        return std::unexpected(msg.error());
    std::vector<T> out;
    auto collect = [&out, parse](nl_msg* reply) -> Result<void> {
        auto item = parse(reply);
        if (!item)
            return std::unexpected(item.error());
        out.push_back(std::move(*item));
        return {};
    };
    if (auto r = sock.transact(std::move(*msg), collect, context); !r)
        return std::unexpected(r.error());
    return out;
}

// A do request with exactly one reply.
template <class T>
Result<T> request_one(genl::Socket& sock, Result<genl::Msg> msg, Result<T> (*parse)(nl_msg*),
                      const std::string& context)
{
    auto all = request_all(sock, std::move(msg), parse, context);
    if (!all)
        return std::unexpected(all.error());
    if (all->size() != 1)
        return make_error(EPROTO, context + ": " + std::to_string(all->size()) +
                                      " replies instead of one");
    return std::move(all->front());
}

// A do request answered by an ack only.
Result<void> request_ack(genl::Socket& sock, Result<genl::Msg> msg, const std::string& context)
{
    if (!msg)
        return std::unexpected(msg.error());
    const auto no_reply = [](nl_msg*) -> Result<void> {
        return make_error(EPROTO, "unexpected reply to a request that only gets an ack");
    };
    return sock.transact(std::move(*msg), no_reply, context);
}

}  // namespace

Result<Info> Client::get_info()
{
    return request_one(sock_, build_get_info(family_), &parse_info, "get-info");
}

Result<std::vector<Instance>> Client::list()
{
    return request_all(sock_, build_list(family_), &parse_instance, "list");
}

Result<std::vector<Process>> Client::ps(const InstanceRef& ref, bool threads)
{
    return request_all(sock_, build_ps(family_, ref, threads), &parse_process, "ps " + describe(ref));
}

Result<Instance> Client::get(const InstanceRef& ref)
{
    return request_one(sock_, build_get(family_, ref), &parse_instance, "get " + describe(ref));
}

Result<void> Client::kill(const InstanceRef& ref, int sig)
{
    return request_ack(sock_, build_kill(family_, ref, sig), "kill " + describe(ref));
}

Result<void> Client::enter(const InstanceRef& ref)
{
    return request_ack(sock_, build_enter(family_, ref), "enter " + describe(ref));
}

Result<void> Client::set_name(const InstanceRef& ref, const std::string& name)
{
    return request_ack(sock_, build_set_name(family_, ref, name),
                       "set-name of " + describe(ref) + " to '" + name + "'");
}

Result<std::uint32_t> Client::resolve(const InstanceRef& ref)
{
    if (const auto* id = std::get_if<std::uint32_t>(&ref))
        return *id;
    auto inst = get(ref);
    if (!inst)
        return std::unexpected(inst.error());
    return inst->id;
}

Result<void> Client::subscribe()
{
    // First a request, so the module marks this socket as one that passed
    // its permission check: it delivers events to no other socket.
    if (auto info = get_info(); !info)
        return std::unexpected(info.error());
    // Both groups are resolved before the socket joins either: once it is
    // in "events", an event (an instance created a moment after the module
    // was loaded) can arrive in the middle of the next look-up, and libnl's
    // genl_ctrl_resolve_grp() takes that message for the controller's
    // answer (a sequence mismatch) and reports the group as missing:
    // "multicast group 'notify' of generic netlink family 'nlctrl' is not
    // registered" (issue #15).
    auto events = sock_.resolve_group(kGenlFamilyName, kEventsGroup);
    if (!events)
        return std::unexpected(events.error());
    // The controller announces unregistered families here: without it, a
    // listener would wait forever once the module is unloaded.
    auto notify = sock_.resolve_group("nlctrl", "notify");
    if (!notify)
        return std::unexpected(notify.error());
    if (auto r = sock_.add_membership(*events); !r) {
        r.error().context = "joining the mult events group";
        return r;
    }
    if (auto r = sock_.add_membership(*notify); !r)
        return r;
    // An unload between the look-ups above and the joins announced itself
    // before this socket listened: check, on a fresh socket so that no
    // event is taken for the answer, that the family is still the one it
    // joined (stress module stage: a watch started as rmmod ran waited
    // forever).
    auto again = resolve_genl_family(kGenlFamilyName);
    if (!again)
        return std::unexpected(again.error());
    if (*again != family_)
        return std::unexpected(Error{ENOENT, "subscribing to mult events",
                                     "the management module was reloaded meanwhile"});
    // Events come in bursts (an instance tree ending at once); 1 MiB holds
    // thousands of them.
    if (auto r = sock_.set_receive_buffer(1 << 20); !r)
        return r;
    return sock_.set_nonblocking();
}

Result<void> Client::receive_events(const std::function<void(const Event&)>& on_event)
{
    bool removed = false;
    auto r = sock_.receive([&](nl_msg* msg) -> Result<void> {
        const int type = nlmsg_hdr(msg)->nlmsg_type;
        if (type == GENL_ID_CTRL) {
            removed = removed || is_family_removal(msg, family_);
            return {};
        }
        if (type != family_)
            return {};
        auto ev = parse_event(msg);
        if (!ev)
            return std::unexpected(ev.error());
        on_event(*ev);
        return {};
    });
    if (!r)
        return r;
    if (removed)
        return std::unexpected(Error{ENOENT, "watching events",
                                     "the mult management module was unloaded"});
    return {};
}

}  // namespace mult::mgmt
