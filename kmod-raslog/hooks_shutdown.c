// SPDX-License-Identifier: GPL-2.0
/*
 * Shutdown and panic, both in the critical lane. Reboot notifiers do not run
 * for emergency_restart() (sysrq-b, watchdogs, panic reboot), hence the kprobe.
 */
#define pr_fmt(fmt) "raslog: " fmt

#include <linux/reboot.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/kprobes.h>
#include <linux/rcupdate.h>
#include <linux/sched/task.h>
#include "raslog.h"

static void raslog_emit_shutdown(u32 action, const char *cmd)
{
	struct raslog_shutdown s = { .action = action, .tgid = current->tgid };
	struct task_struct *p = current;

	raslog_task_ref(&s.initiator, current);
	rcu_read_lock();
	while (s.ancestor_count < ARRAY_SIZE(s.ancestors)) {
		struct task_struct *parent = rcu_dereference(p->real_parent);

		if (!parent || parent == p || !parent->pid)
			break;
		raslog_task_ref(&s.ancestors[s.ancestor_count++], parent);
		p = parent;
	}
	rcu_read_unlock();
	raslog_strfield(s.command, cmd, sizeof(s.command));
	raslog_emit(RASLOG_LANE_CRITICAL, RASLOG_T_SHUTDOWN, 0, raslog_seq_reserve(1),
		    &s, sizeof(s));
}

static int raslog_reboot_cb(struct notifier_block *nb, unsigned long action, void *data)
{
	u32 a;

	switch (action) {
	case SYS_RESTART:
		a = RASLOG_SD_REBOOT;
		break;
	case SYS_HALT:
		a = RASLOG_SD_HALT;
		break;
	case SYS_POWER_OFF:
		a = RASLOG_SD_POWEROFF;
		break;
	default:
		return NOTIFY_DONE;
	}
	raslog_emit_shutdown(a, data);
	return NOTIFY_DONE;
}

static int raslog_panic_cb(struct notifier_block *nb, unsigned long ev, void *buf)
{
	struct raslog_panic p = {};

	/* other CPUs are stopped, maybe holding the wait-queue lock: never wake */
	WRITE_ONCE(raslog.no_wake, true);
	raslog_task_ref(&p.task, current);
	raslog_strfield(p.message, buf, sizeof(p.message));
	raslog_emit(RASLOG_LANE_CRITICAL, RASLOG_T_PANIC, 0, raslog_seq_reserve(1), &p, sizeof(p));
	return NOTIFY_DONE;
}

static int raslog_emergency_restart_pre(struct kprobe *kp, struct pt_regs *regs)
{
	/* may run in interrupt context (sysrq) just before the reset: no wakeups */
	WRITE_ONCE(raslog.no_wake, true);
	raslog_emit_shutdown(RASLOG_SD_EMERGENCY_RESTART, NULL);
	return 0;
}

static struct notifier_block raslog_reboot_nb = { .notifier_call = raslog_reboot_cb };
/* run first: later panic notifiers may never return */
static struct notifier_block raslog_panic_nb = {
	.notifier_call = raslog_panic_cb,
	.priority = INT_MAX,
};
static struct kprobe raslog_kp_emergency = {
	.symbol_name = "emergency_restart",
	.pre_handler = raslog_emergency_restart_pre,
};

void raslog_shutdown_hooks_init(void)
{
	int ret;

	if (!register_reboot_notifier(&raslog_reboot_nb))
		raslog_hook_ok[RASLOG_H_REBOOT] = true;
	if (!atomic_notifier_chain_register(&panic_notifier_list, &raslog_panic_nb))
		raslog_hook_ok[RASLOG_H_PANIC] = true;
	ret = register_kprobe(&raslog_kp_emergency);
	if (ret)
		pr_info("cannot probe emergency_restart (%d), loading without it\n", ret);
	else
		raslog_hook_ok[RASLOG_H_EMERGENCY_RESTART] = true;
}

void raslog_shutdown_hooks_exit(void)
{
	if (raslog_hook_ok[RASLOG_H_EMERGENCY_RESTART])
		unregister_kprobe(&raslog_kp_emergency);
	if (raslog_hook_ok[RASLOG_H_PANIC])
		atomic_notifier_chain_unregister(&panic_notifier_list, &raslog_panic_nb);
	if (raslog_hook_ok[RASLOG_H_REBOOT])
		unregister_reboot_notifier(&raslog_reboot_nb);
	raslog_hook_ok[RASLOG_H_EMERGENCY_RESTART] = false;
	raslog_hook_ok[RASLOG_H_PANIC] = false;
	raslog_hook_ok[RASLOG_H_REBOOT] = false;
}
