/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	kernel/module/mult.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_MULT_GEN_H
#define _LINUX_MULT_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/mult_nl.h>

/* Ops table for mult */
extern const struct genl_split_ops mult_nl_ops[7];

int mult_nl_pre_doit(const struct genl_split_ops *ops, struct sk_buff *skb,
		     struct genl_info *info);
int mult_nl_dump_start(struct netlink_callback *cb);

int mult_nl_get_info_doit(struct sk_buff *skb, struct genl_info *info);
int mult_nl_list_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int mult_nl_ps_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int mult_nl_kill_doit(struct sk_buff *skb, struct genl_info *info);
int mult_nl_enter_doit(struct sk_buff *skb, struct genl_info *info);
int mult_nl_set_name_doit(struct sk_buff *skb, struct genl_info *info);
int mult_nl_get_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	MULT_NLGRP_EVENTS,
};

#endif /* _LINUX_MULT_GEN_H */
