// SPDX-License-Identifier: GPL-2.0
/*
 * raslog: persistent RAS event recorder. Records process deaths, core dumps,
 * shutdowns, panics and the NMI dump button into a reserved RAM region that
 * survives warm reboots (see raslog_format.h for the layout).
 */
#define pr_fmt(fmt) "raslog: " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include "raslog.h"

static unsigned long region_addr;
module_param(region_addr, ulong, 0444);
MODULE_PARM_DESC(region_addr, "physical address of the reserved region (memmap=SIZE$ADDR)");

static unsigned long region_size;
module_param(region_size, ulong, 0444);
MODULE_PARM_DESC(region_size, "size of the region in bytes (>= 64 KiB)");

static bool reformat;
module_param(reformat, bool, 0444);
MODULE_PARM_DESC(reformat, "wipe and format a region holding foreign data (default 0)");

bool raslog_flush = true;
module_param_named(flush, raslog_flush, bool, 0444);
MODULE_PARM_DESC(flush, "write back cache lines after each record, for pmem (default 1)");

struct raslog_state raslog;

bool raslog_hook_ok[RASLOG_H_COUNT];
const char *const raslog_hook_names[RASLOG_H_COUNT] = {
	[RASLOG_H_SIGNAL_GENERATE] = "signal_generate",
	[RASLOG_H_PROCESS_EXIT] = "sched_process_exit",
	[RASLOG_H_DO_COREDUMP] = "do_coredump",
	[RASLOG_H_FILP_OPEN] = "filp_open",
	[RASLOG_H_FILE_OPEN_ROOT] = "file_open_root",
	[RASLOG_H_UMH_SETUP] = "call_usermodehelper_setup",
	[RASLOG_H_UMH_EXEC] = "call_usermodehelper_exec",
	[RASLOG_H_ELF_CORE_DUMP] = "elf_core_dump",
	[RASLOG_H_DUMP_EMIT] = "dump_emit",
	[RASLOG_H_DUMP_USER_RANGE] = "dump_user_range",
	[RASLOG_H_REBOOT] = "reboot_notifier",
	[RASLOG_H_PANIC] = "panic_notifier",
	[RASLOG_H_EMERGENCY_RESTART] = "emergency_restart",
	[RASLOG_H_NMI] = "nmi_unknown",
};

static void raslog_wake(struct irq_work *w)
{
	wake_up_interruptible(&raslog.wq);
}

/* Refuse anything that could be RAM the kernel uses: memremap would not say so. */
static int raslog_check_params(void)
{
	if (!region_addr || !region_size) {
		pr_err("region_addr= and region_size= are required (reserve it with memmap=SIZE$ADDR)\n");
		return -EINVAL;
	}
	if (region_size < RASLOG_MIN_REGION) {
		pr_err("region_size 0x%lx is below the minimum 0x%x\n", region_size,
		       RASLOG_MIN_REGION);
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(region_addr) || region_addr + region_size < region_addr) {
		pr_err("region_addr 0x%lx must be page aligned and the range must not wrap\n",
		       region_addr);
		return -EINVAL;
	}
	if (region_intersects(region_addr, region_size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("region 0x%lx+0x%lx overlaps System RAM; reserve it first (memmap=SIZE$ADDR)\n",
		       region_addr, region_size);
		return -EINVAL;
	}
	return 0;
}

static void raslog_hooks_init(void)
{
	unsigned int i;

	raslog_signal_hooks_init();
	raslog_coredump_hooks_init();
	raslog_shutdown_hooks_init();
	raslog_nmi_hook_init();
	for (i = 0; i < RASLOG_H_COUNT; i++)
		if (!raslog_hook_ok[i])
			pr_info("hook %s missing\n", raslog_hook_names[i]);
}

static void raslog_hooks_exit(void)
{
	raslog_nmi_hook_exit();
	raslog_shutdown_hooks_exit();
	raslog_coredump_hooks_exit();
	raslog_signal_hooks_exit();
}

static int __init raslog_init(void)
{
	int ret;

	ret = raslog_check_params();
	if (ret)
		return ret;
	init_waitqueue_head(&raslog.wq);
	init_irq_work(&raslog.wake_work, raslog_wake);

	/* claim the range so no driver (pmem, /dev/mem) uses it behind our back */
	if (!request_mem_region(region_addr, region_size, "raslog")) {
		pr_err("region 0x%lx+0x%lx is already claimed by another driver (see /proc/iomem)\n",
		       region_addr, region_size);
		return -EBUSY;
	}
	ret = raslog_region_open(region_addr, region_size, reformat);
	if (ret)
		goto fail_release;
	ret = raslog_dev_init();
	if (ret)
		goto fail_close;
	raslog_emit_module_event(RASLOG_T_MODULE_LOAD);
	raslog_hooks_init();
	return 0;

fail_close:
	raslog_region_close();
fail_release:
	release_mem_region(region_addr, region_size);
	return ret;
}

static void __exit raslog_exit(void)
{
	raslog_hooks_exit();
	raslog_emit_module_event(RASLOG_T_MODULE_UNLOAD);
	raslog_region_store_seq();
	raslog_dev_exit();
	raslog_watch_exit();
	irq_work_sync(&raslog.wake_work);
	raslog_region_close();
	release_mem_region(region_addr, region_size);
}

module_init(raslog_init);
module_exit(raslog_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("raslog: persistent RAS event recorder");
MODULE_VERSION(RASLOG_MODULE_VERSION);
