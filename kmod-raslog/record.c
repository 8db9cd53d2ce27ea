// SPDX-License-Identifier: GPL-2.0
/*
 * Record commit helpers. Everything here is lock-free and NMI-safe: the slot
 * is reserved atomically inside raslog_commit(), sequence numbers come from
 * one atomic64, clocks are the _fast_ns variants, and readers are woken via
 * irq_work (never directly).
 */
#include <linux/ktime.h>
#include <linux/smp.h>
#include <linux/cred.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include "raslog.h"

/* Reserve n consecutive sequence numbers, return the first. */
u64 raslog_seq_reserve(unsigned int n)
{
	return (u64)atomic64_add_return(n, &raslog.seq) - n;
}

u64 raslog_lane_writes_sum(void)
{
	u64 sum = 0;
	unsigned int lane;

	for (lane = 0; lane < RASLOG_MAX_LANES; lane++)
		sum += READ_ONCE(raslog.hdr->lane_ctr[lane].writes);
	return sum;
}

void raslog_emit(unsigned int lane, u16 type, u8 flags, u64 seq,
		 const void *payload, u16 len)
{
	struct raslog_rec_hdr rec = {
		.type = type,
		.cpu = (u16)raw_smp_processor_id(),
		.flags = flags,
		.seq = seq,
		.realtime_ns = ktime_get_real_fast_ns(),
		.boottime_ns = ktime_get_boot_fast_ns(),
		.boot = raslog.boot,
	};
	s64 last;

	if (!raslog.hdr)
		return;
	raslog_commit(raslog.base, raslog.hdr, lane, &rec, payload, len);

	/* last_seq = max(last_seq, seq), lock-free */
	last = atomic64_read(&raslog.last_seq);
	while (last < (s64)seq) {
		s64 old = atomic64_cmpxchg(&raslog.last_seq, last, seq);

		if (old == last)
			break;
		last = old;
	}
	atomic64_inc(&raslog.commits);
	if (!READ_ONCE(raslog.no_wake))
		irq_work_queue(&raslog.wake_work);
}

/* pid, real uid and comm of a task; plain loads and RCU only (NMI-safe). */
void raslog_task_ref(struct raslog_task_ref *r, struct task_struct *t)
{
	r->pid = t->pid;
	rcu_read_lock();
	r->uid = from_kuid(&init_user_ns, task_uid(t));
	rcu_read_unlock();
	raslog_strfield(r->comm, t->comm, sizeof(r->comm));
}

void raslog_emit_module_event(u16 type)
{
	struct raslog_module_event ev = {
		.region_addr = raslog.addr,
		.region_size = raslog.size,
		.flags = raslog.mflags,
		.adopted_records = raslog.adopted,
		.invalid_records = raslog.invalid,
	};

	raslog_strfield(ev.version, RASLOG_MODULE_VERSION, sizeof(ev.version));
	raslog_emit(RASLOG_LANE_CRITICAL, type, 0, raslog_seq_reserve(1), &ev, sizeof(ev));
}
