// SPDX-License-Identifier: GPL-2.0
/*
 * Dump button: an NMI nobody claimed (e.g. the BMC/hypervisor "NMI" button).
 * NMI context: no printk, no locks; the record commit is lock-free and the
 * reader wakeup goes through irq_work. We return NMI_DONE so the kernel's
 * own handling (unknown_nmi_panic -> kdump) still runs after us.
 */
#include <linux/nmi.h>
#include <linux/ptrace.h>
#include <linux/smp.h>
#include <asm/nmi.h>
#include "raslog.h"

static int raslog_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	struct raslog_dump_button b = {
		.cpu = raw_smp_processor_id(),
		.tgid = current->tgid,
		.ip = instruction_pointer(regs),
		.user_mode = user_mode(regs) ? 1 : 0,
	};

	raslog_task_ref(&b.task, current);
	raslog_emit(RASLOG_LANE_CRITICAL, RASLOG_T_DUMP_BUTTON, RASLOG_RF_NMI,
		    raslog_seq_reserve(1), &b, sizeof(b));
	return NMI_DONE;
}

void raslog_nmi_hook_init(void)
{
	if (!register_nmi_handler(NMI_UNKNOWN, raslog_nmi_handler, 0, "raslog"))
		raslog_hook_ok[RASLOG_H_NMI] = true;
}

void raslog_nmi_hook_exit(void)
{
	if (raslog_hook_ok[RASLOG_H_NMI])
		unregister_nmi_handler(NMI_UNKNOWN, "raslog");	/* waits for running handlers */
	raslog_hook_ok[RASLOG_H_NMI] = false;
}
