// SPDX-License-Identifier: GPL-2.0
/*
 * mult management module: the "events" multicast group.
 *
 * The kernel calls mult_notifier in atomic context (MULT_EVENT_CREATED
 * under tasklist_lock with interrupts off), so the callback only copies
 * what the message needs into a small record and queues it; a work item
 * builds and sends the messages. Events go only to sockets that passed the
 * permission check of a request (mult_nl_sock_authorized()): the group
 * itself needs CAP_SYS_ADMIN, but 6.12 gives no way to refuse a
 * subscription from inside an instance.
 */
#include <linux/list.h>
#include <linux/mult.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "mult_mgmt.h"

/* Records queued and not yet sent; more are dropped and counted. */
#define MULT_EV_QUEUE_MAX	4096

struct mult_ev {
	struct list_head list;
	u8 cmd;		/* MULT_CMD_CREATED or MULT_CMD_EMPTIED */
	u32 id;
	u32 value;	/* first pid, or exit status */
};

static LIST_HEAD(mult_ev_queue);
static DEFINE_SPINLOCK(mult_ev_lock);
static unsigned int mult_ev_queued;
static atomic_t mult_ev_dropped = ATOMIC_INIT(0);

u32 mult_events_dropped(void)
{
	return atomic_read(&mult_ev_dropped);
}

static int mult_ev_filter(struct sock *dsk, struct sk_buff *skb, void *data)
{
	return !mult_nl_sock_authorized(dsk);
}

static void mult_ev_send(const struct mult_ev *ev)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(2 * nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!skb)
		goto drop;
	hdr = genlmsg_put(skb, 0, 0, &mult_nl_family, 0, ev->cmd);
	if (!hdr)
		goto free;
	if (nla_put_u32(skb, MULT_A_INSTANCE_ID, ev->id) ||
	    nla_put_u32(skb, ev->cmd == MULT_CMD_CREATED ?
			MULT_A_INSTANCE_FIRST_PID : MULT_A_INSTANCE_EXIT_STATUS,
			ev->value))
		goto free;
	genlmsg_end(skb, hdr);
	/* -ESRCH: nobody (authorized) listens any more, not an error. */
	genlmsg_multicast_netns_filtered(&mult_nl_family, &init_net, skb, 0,
					 MULT_NLGRP_EVENTS, GFP_KERNEL,
					 mult_ev_filter, NULL);
	return;

free:
	nlmsg_free(skb);
drop:
	atomic_inc(&mult_ev_dropped);
}

static void mult_ev_work_fn(struct work_struct *work)
{
	struct mult_ev *ev, *tmp;
	LIST_HEAD(batch);

	spin_lock_irq(&mult_ev_lock);
	list_splice_init(&mult_ev_queue, &batch);
	mult_ev_queued = 0;
	spin_unlock_irq(&mult_ev_lock);

	list_for_each_entry_safe(ev, tmp, &batch, list) {
		mult_ev_send(ev);
		list_del(&ev->list);
		kfree(ev);
	}
}

static DECLARE_WORK(mult_ev_work, mult_ev_work_fn);

/* Atomic context; @data is the instance, valid for the call only. */
static int mult_ev_notify(struct notifier_block *nb, unsigned long event,
			  void *data)
{
	const struct mult_instance *inst = data;
	unsigned long flags;
	struct mult_ev *ev;
	bool queued;

	if (event != MULT_EVENT_CREATED && event != MULT_EVENT_EMPTIED)
		return NOTIFY_DONE;
	if (genl_has_listeners(&mult_nl_family, &init_net,
			       MULT_NLGRP_EVENTS) <= 0)
		return NOTIFY_DONE;

	ev = kmalloc(sizeof(*ev), GFP_ATOMIC);
	if (!ev) {
		atomic_inc(&mult_ev_dropped);
		return NOTIFY_DONE;
	}
	ev->id = inst->id;
	if (event == MULT_EVENT_CREATED) {
		ev->cmd = MULT_CMD_CREATED;
		ev->value = inst->first_pid;
	} else {
		ev->cmd = MULT_CMD_EMPTIED;
		ev->value = inst->exit_code;
	}

	spin_lock_irqsave(&mult_ev_lock, flags);
	queued = mult_ev_queued < MULT_EV_QUEUE_MAX;
	if (queued) {
		list_add_tail(&ev->list, &mult_ev_queue);
		mult_ev_queued++;
	}
	spin_unlock_irqrestore(&mult_ev_lock, flags);
	if (!queued) {
		kfree(ev);
		atomic_inc(&mult_ev_dropped);
		return NOTIFY_DONE;
	}
	schedule_work(&mult_ev_work);
	return NOTIFY_OK;
}

static struct notifier_block mult_ev_nb = {
	.notifier_call = mult_ev_notify,
};

int mult_events_init(void)
{
	return atomic_notifier_chain_register(&mult_notifier, &mult_ev_nb);
}

/*
 * Unload: after the unregistration (which waits for running callbacks) no
 * record is queued any more; the work sends what is queued, the family is
 * still registered. Instances themselves need nothing: the module holds
 * no reference to any of them between two calls.
 */
void mult_events_exit(void)
{
	struct mult_ev *ev, *tmp;

	atomic_notifier_chain_unregister(&mult_notifier, &mult_ev_nb);
	flush_work(&mult_ev_work);
	/* Nothing left after the flush; free defensively all the same. */
	spin_lock_irq(&mult_ev_lock);
	list_for_each_entry_safe(ev, tmp, &mult_ev_queue, list) {
		list_del(&ev->list);
		kfree(ev);
	}
	mult_ev_queued = 0;
	spin_unlock_irq(&mult_ev_lock);
}
