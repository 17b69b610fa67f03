// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	kernel/module/mult.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "mult_nl_gen.h"

#include <uapi/linux/mult_nl.h>

/* MULT_CMD_PS - dump */
static const struct nla_policy mult_ps_nl_policy[MULT_A_PROCESS_THREADS + 1] = {
	[MULT_A_PROCESS_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MULT_A_PROCESS_NAME] = { .type = NLA_NUL_STRING, .len = MULT_NAME_MAX, },
	[MULT_A_PROCESS_THREADS] = { .type = NLA_FLAG, },
};

/* MULT_CMD_KILL - do */
static const struct nla_policy mult_kill_nl_policy[MULT_A_INSTANCE_PIDFD + 1] = {
	[MULT_A_INSTANCE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MULT_A_INSTANCE_NAME] = { .type = NLA_NUL_STRING, .len = MULT_NAME_MAX, },
	[MULT_A_INSTANCE_PIDFD] = NLA_POLICY_MIN(NLA_S32, 0),
	[MULT_A_INSTANCE_SIGNAL] = NLA_POLICY_RANGE(NLA_U32, 1, MULT_SIG_MAX),
};

/* MULT_CMD_ENTER - do */
static const struct nla_policy mult_enter_nl_policy[MULT_A_INSTANCE_PIDFD + 1] = {
	[MULT_A_INSTANCE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MULT_A_INSTANCE_NAME] = { .type = NLA_NUL_STRING, .len = MULT_NAME_MAX, },
	[MULT_A_INSTANCE_PIDFD] = NLA_POLICY_MIN(NLA_S32, 0),
};

/* MULT_CMD_SET_NAME - do */
static const struct nla_policy mult_set_name_nl_policy[MULT_A_INSTANCE_PIDFD + 1] = {
	[MULT_A_INSTANCE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MULT_A_INSTANCE_NAME] = { .type = NLA_NUL_STRING, .len = MULT_NAME_MAX, },
	[MULT_A_INSTANCE_PIDFD] = NLA_POLICY_MIN(NLA_S32, 0),
};

/* MULT_CMD_GET - do */
static const struct nla_policy mult_get_nl_policy[MULT_A_INSTANCE_PIDFD + 1] = {
	[MULT_A_INSTANCE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MULT_A_INSTANCE_NAME] = { .type = NLA_NUL_STRING, .len = MULT_NAME_MAX, },
	[MULT_A_INSTANCE_PIDFD] = NLA_POLICY_MIN(NLA_S32, 0),
};

/* Ops table for mult */
const struct genl_split_ops mult_nl_ops[7] = {
	{
		.cmd		= MULT_CMD_GET_INFO,
		.pre_doit	= mult_nl_pre_doit,
		.doit		= mult_nl_get_info_doit,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= MULT_CMD_LIST,
		.start	= mult_nl_dump_start,
		.dumpit	= mult_nl_list_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= MULT_CMD_PS,
		.start		= mult_nl_dump_start,
		.dumpit		= mult_nl_ps_dumpit,
		.policy		= mult_ps_nl_policy,
		.maxattr	= MULT_A_PROCESS_THREADS,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= MULT_CMD_KILL,
		.pre_doit	= mult_nl_pre_doit,
		.doit		= mult_nl_kill_doit,
		.policy		= mult_kill_nl_policy,
		.maxattr	= MULT_A_INSTANCE_PIDFD,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= MULT_CMD_ENTER,
		.pre_doit	= mult_nl_pre_doit,
		.doit		= mult_nl_enter_doit,
		.policy		= mult_enter_nl_policy,
		.maxattr	= MULT_A_INSTANCE_PIDFD,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= MULT_CMD_SET_NAME,
		.pre_doit	= mult_nl_pre_doit,
		.doit		= mult_nl_set_name_doit,
		.policy		= mult_set_name_nl_policy,
		.maxattr	= MULT_A_INSTANCE_PIDFD,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= MULT_CMD_GET,
		.pre_doit	= mult_nl_pre_doit,
		.doit		= mult_nl_get_doit,
		.policy		= mult_get_nl_policy,
		.maxattr	= MULT_A_INSTANCE_PIDFD,
		.flags		= GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group mult_nl_mcgrps[] = {
	[MULT_NLGRP_EVENTS] = { "events", },
};
