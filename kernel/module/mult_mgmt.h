/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mult management module: shared declarations.
 */
#ifndef _MULT_MGMT_H
#define _MULT_MGMT_H

#include <net/genetlink.h>

#include "mult_nl_gen.h"

extern struct genl_family mult_nl_family;

int mult_events_init(void);
void mult_events_exit(void);
u32 mult_events_dropped(void);
bool mult_nl_sock_authorized(struct sock *sk);

#endif /* _MULT_MGMT_H */
