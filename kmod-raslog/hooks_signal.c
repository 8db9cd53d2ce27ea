// SPDX-License-Identifier: GPL-2.0
/*
 * Process deaths. signal_generate tells who sent a potentially fatal signal;
 * we remember that per target process in a small fixed table. When the last
 * thread of a process exits (sched_process_exit), we write the death record,
 * and the coredump record if one was noted for it.
 */
#define pr_fmt(fmt) "raslog: " fmt

#include <linux/tracepoint.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/oom.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/jiffies.h>
#include <linux/spinlock.h>
#include <trace/events/signal.h>
#include "raslog.h"

/* One remembered signal generation. */
struct raslog_gen {
	pid_t tgid;			/* target; 0 = free */
	int sig;
	int si_code;
	bool from_task;			/* sent from task context, so current is the sender */
	u64 addr;
	u32 sender_pid, sender_tgid, sender_uid;
	char sender_comm[TASK_COMM_LEN];
	unsigned long stamp;		/* jiffies, for evicting the oldest */
};

#define RASLOG_GEN_SLOTS	64
static struct raslog_gen raslog_gens[RASLOG_GEN_SLOTS];
static DEFINE_RAW_SPINLOCK(raslog_gen_lock);

/* Recently reported thread groups: two threads can both see live == 0. */
struct raslog_dead {
	const void *signal;
	pid_t tgid;
	u64 start_time;
};
#define RASLOG_DEAD_SLOTS	16
static struct raslog_dead raslog_dead[RASLOG_DEAD_SLOTS];
static unsigned int raslog_dead_next;

static struct tracepoint *raslog_tp_gen, *raslog_tp_exit;

static bool raslog_fault_sig(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
}

/* Would this signal kill the target if delivered now? */
static bool raslog_maybe_fatal(int sig, struct task_struct *t)
{
	if (sig == SIGKILL)
		return true;
	if (sig < 1 || sig > _NSIG)
		return false;
	/* the target's siglock is held around this tracepoint */
	if (t->sighand->action[sig - 1].sa.sa_handler != SIG_DFL)
		return false;
	return !sig_kernel_ignore(sig) && !sig_kernel_stop(sig);
}

static void raslog_probe_signal_generate(void *data, int sig, struct kernel_siginfo *info,
					 struct task_struct *task, int group, int result)
{
	struct raslog_gen g;
	struct raslog_gen *slot = NULL, *oldest = &raslog_gens[0];
	unsigned long flags;
	unsigned int i;

	/* hot path for every signal sent: bail out before touching the stack copy */
	if (result != TRACE_SIGNAL_DELIVERED && result != TRACE_SIGNAL_LOSE_INFO)
		return;
	if (!raslog_maybe_fatal(sig, task))
		return;

	memset(&g, 0, sizeof(g));
	g.sig = sig;
	g.from_task = in_task();
	g.tgid = task->tgid;
	if (info == SEND_SIG_NOINFO) {
		g.si_code = SI_USER;
	} else if (info == SEND_SIG_PRIV) {
		g.si_code = SI_KERNEL;
	} else {
		g.si_code = info->si_code;
		if (raslog_fault_sig(sig))
			g.addr = (u64)(unsigned long)info->si_addr;
	}
	g.sender_pid = current->pid;
	g.sender_tgid = current->tgid;
	g.sender_uid = from_kuid(&init_user_ns, current_uid());
	raslog_strfield(g.sender_comm, current->comm, sizeof(g.sender_comm));
	g.stamp = jiffies;

	/* Same (tgid, sig) replaces; else a free slot; else the oldest. */
	raw_spin_lock_irqsave(&raslog_gen_lock, flags);
	for (i = 0; i < RASLOG_GEN_SLOTS; i++) {
		struct raslog_gen *e = &raslog_gens[i];

		if (e->tgid == g.tgid && e->sig == sig) {
			slot = e;
			break;
		}
		if (!slot && !e->tgid)
			slot = e;
		if (time_before(e->stamp, oldest->stamp))
			oldest = e;
	}
	*(slot ? slot : oldest) = g;
	raw_spin_unlock_irqrestore(&raslog_gen_lock, flags);
}

/* Take the remembered generation of sig for tgid; drop all others of tgid. */
static bool raslog_gen_take(pid_t tgid, int sig, struct raslog_gen *out)
{
	unsigned long flags;
	bool found = false;
	unsigned int i;

	raw_spin_lock_irqsave(&raslog_gen_lock, flags);
	for (i = 0; i < RASLOG_GEN_SLOTS; i++) {
		struct raslog_gen *e = &raslog_gens[i];

		if (e->tgid != tgid)
			continue;
		if (sig && e->sig == sig) {
			*out = *e;
			found = true;
		}
		e->tgid = 0;
	}
	raw_spin_unlock_irqrestore(&raslog_gen_lock, flags);
	return found;
}

/* True the first time a given thread group is reported dead. */
static bool raslog_first_death(struct task_struct *tsk)
{
	struct raslog_dead d = {
		.signal = tsk->signal,
		.tgid = tsk->tgid,
		.start_time = tsk->group_leader->start_time,
	};
	unsigned long flags;
	bool first = true;
	unsigned int i;

	raw_spin_lock_irqsave(&raslog_gen_lock, flags);
	for (i = 0; i < RASLOG_DEAD_SLOTS && first; i++)
		first = !(raslog_dead[i].signal == d.signal && raslog_dead[i].tgid == d.tgid &&
			  raslog_dead[i].start_time == d.start_time);
	if (first)
		raslog_dead[raslog_dead_next++ % RASLOG_DEAD_SLOTS] = d;
	raw_spin_unlock_irqrestore(&raslog_gen_lock, flags);
	return first;
}

static u8 raslog_cause(struct task_struct *tsk, int sig, const struct raslog_gen *g, bool have)
{
	if (!sig)
		return RASLOG_CAUSE_NONE;
	if (!have)
		return tsk_is_oom_victim(tsk) && sig == SIGKILL ? RASLOG_CAUSE_OOM
								 : RASLOG_CAUSE_UNKNOWN;
	if (raslog_fault_sig(sig) && g->si_code > 0 && g->si_code != SI_KERNEL)
		return RASLOG_CAUSE_FAULT;
	if (sig == SIGKILL && tsk_is_oom_victim(tsk))
		return RASLOG_CAUSE_OOM;
	/* si_code > 0 or interrupt context: the kernel decided, current is incidental */
	if (g->si_code > 0 || !g->from_task ||
	    !(g->si_code == SI_USER || g->si_code == SI_QUEUE || g->si_code == SI_TKILL))
		return RASLOG_CAUSE_KERNEL;
	if (g->sender_tgid == tsk->tgid)
		return RASLOG_CAUSE_SELF;
	return RASLOG_CAUSE_PROCESS;
}

static void raslog_probe_process_exit(void *data, struct task_struct *tsk)
{
	struct raslog_death d = {};
	struct raslog_coredump core;
	struct raslog_gen g;
	struct task_struct *leader = tsk->group_leader;
	bool have_gen, have_core, watched;
	unsigned int lane;
	int code, sig;
	u64 seq;

	/* only the group's death; other threads exiting say nothing */
	if (atomic_read(&tsk->signal->live))
		return;
	/*
	 * The status the parent will see (as wait_task_zombie() computes it):
	 * after a group exit the last thread may be one that was zapped before
	 * the core dump finished, whose own exit_code lacks the 0x80 core flag.
	 */
	code = (tsk->signal->flags & SIGNAL_GROUP_EXIT) ? tsk->signal->group_exit_code
							: tsk->exit_code;
	sig = code & 0x7f;
	if (!raslog_first_death(tsk))
		return;

	have_gen = raslog_gen_take(tsk->tgid, sig, &g);
	have_core = raslog_coredump_take(tsk->tgid, &core);

	raslog_strfield(d.comm, leader->comm, sizeof(d.comm));
	/* cgroup_path() takes only a spinning lock, fine with preemption off */
	rcu_read_lock();
	if (cgroup_path(task_dfl_cgroup(tsk), d.cgroup, sizeof(d.cgroup)) < 0)
		d.cgroup[0] = '\0';
	rcu_read_unlock();
	d.cgroup_len = strnlen(d.cgroup, sizeof(d.cgroup));
	watched = raslog_watch_match(d.comm, d.cgroup);
	if (!sig && !watched && !have_core)
		return;

	d.pid = tsk->pid;
	d.tgid = tsk->tgid;
	rcu_read_lock();
	d.uid = from_kuid(&init_user_ns, task_uid(tsk));
	rcu_read_unlock();
	d.exit_code = sig ? 0 : (code >> 8) & 0xff;
	d.signal = sig;
	d.cause = raslog_cause(tsk, sig, &g, have_gen);
	d.flags = (watched ? RASLOG_DF_WATCHED : 0) | (code & 0x80 ? RASLOG_DF_CORE : 0);
	if (have_gen) {
		d.si_code = g.si_code;
		if (d.cause == RASLOG_CAUSE_FAULT)
			d.fault_addr = g.addr;
		if (d.cause == RASLOG_CAUSE_PROCESS || d.cause == RASLOG_CAUSE_SELF) {
			d.sender_pid = g.sender_pid;
			d.sender_tgid = g.sender_tgid;
			d.sender_uid = g.sender_uid;
			raslog_strfield(d.sender_comm, g.sender_comm, sizeof(d.sender_comm));
		}
	}

	lane = watched ? RASLOG_LANE_WATCH : RASLOG_LANE_PROCESS;
	seq = raslog_seq_reserve(have_core ? 2 : 1);
	raslog_emit(lane, RASLOG_T_PROCESS_DEATH, 0, seq, &d, sizeof(d));
	if (have_core) {
		/*
		 * The exit status is the kernel's own word on whether a core file
		 * was produced; a truncated or cut-short one still counts, so those
		 * reasons stay next to dumped = 1.
		 */
		core.dumped = (code & 0x80) ? 1 : 0;
		if (core.dumped && core.reason != RASLOG_CORE_TRUNCATED &&
		    core.reason != RASLOG_CORE_WRITE_ERROR &&
		    core.reason != RASLOG_CORE_INTERRUPTED)
			core.reason = RASLOG_CORE_DUMPED;
		else if (!core.dumped && core.reason == RASLOG_CORE_DUMPED)
			core.reason = RASLOG_CORE_OTHER;
		raslog_emit(lane, RASLOG_T_COREDUMP, 0, seq + 1, &core, sizeof(core));
	}
}

static void raslog_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "signal_generate"))
		raslog_tp_gen = tp;
	else if (!strcmp(tp->name, "sched_process_exit"))
		raslog_tp_exit = tp;
}

void raslog_signal_hooks_init(void)
{
	for_each_kernel_tracepoint(raslog_find_tp, NULL);
	if (raslog_tp_gen && !tracepoint_probe_register(raslog_tp_gen,
			raslog_probe_signal_generate, NULL))
		raslog_hook_ok[RASLOG_H_SIGNAL_GENERATE] = true;
	if (raslog_tp_exit && !tracepoint_probe_register(raslog_tp_exit,
			raslog_probe_process_exit, NULL))
		raslog_hook_ok[RASLOG_H_PROCESS_EXIT] = true;
}

void raslog_signal_hooks_exit(void)
{
	if (raslog_hook_ok[RASLOG_H_SIGNAL_GENERATE])
		tracepoint_probe_unregister(raslog_tp_gen, raslog_probe_signal_generate, NULL);
	if (raslog_hook_ok[RASLOG_H_PROCESS_EXIT])
		tracepoint_probe_unregister(raslog_tp_exit, raslog_probe_process_exit, NULL);
	raslog_hook_ok[RASLOG_H_SIGNAL_GENERATE] = false;
	raslog_hook_ok[RASLOG_H_PROCESS_EXIT] = false;
	tracepoint_synchronize_unregister();
}
