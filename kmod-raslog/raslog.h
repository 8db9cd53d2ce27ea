/* SPDX-License-Identifier: GPL-2.0 */
/* raslog kernel module: state and helpers shared by its source files. */
#ifndef RASLOG_H
#define RASLOG_H

#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/string.h>
#include <linux/atomic.h>
#include <linux/wait.h>
#include <linux/irq_work.h>
#include <linux/sched.h>
#include <asm/barrier.h>
#include <asm/cacheflush.h>
#include <asm/set_memory.h>

#define RASLOG_MODULE_VERSION	"0.1.0"

extern bool raslog_flush;	/* module param: write back cache lines after stores */

static inline void raslog_flush_range(void *p, size_t len)
{
	if (raslog_flush)
		clflush_cache_range(p, (unsigned int)len);
}

/* What raslog_format.h needs from its environment (see its header comment). */
#define RASLOG_ATOMIC_ADD_RETURN(p, v)	((u64)atomic64_add_return((v), (atomic64_t *)(p)))
#define RASLOG_WMB()			wmb()
#define RASLOG_FLUSH(p, len)		raslog_flush_range((p), (len))
#include "raslog_format.h"

struct raslog_state {
	void *base;			/* memremap()ed region */
	struct raslog_header *hdr;	/* == base */
	phys_addr_t addr;
	u64 size;
	u32 boot;			/* this boot's boot_count */
	u32 mflags;			/* RASLOG_MF_* found at load */
	u32 adopted, invalid;		/* slots found at load */
	atomic64_t seq;			/* next sequence number */
	atomic64_t last_seq;		/* highest committed sequence, 0 if none */
	atomic64_t commits;		/* bumped after each commit: what poll() compares */
	bool no_wake;			/* set once we panic: never touch wait queues */
	wait_queue_head_t wq;
	struct irq_work wake_work;	/* wakes readers; safe to queue from NMI */
};
extern struct raslog_state raslog;

/* region.c */
int raslog_region_open(phys_addr_t addr, u64 size, bool reformat);
void raslog_region_close(void);
void raslog_region_store_seq(void);

/* record.c */
u64 raslog_seq_reserve(unsigned int n);
void raslog_emit(unsigned int lane, u16 type, u8 flags, u64 seq,
		 const void *payload, u16 len);
void raslog_task_ref(struct raslog_task_ref *r, struct task_struct *t);
void raslog_emit_module_event(u16 type);
u64 raslog_lane_writes_sum(void);

/* watch.c */
bool raslog_watch_match(const char *comm, const char *cgroup);
ssize_t raslog_watch_show(char *buf, size_t size, const char *prefix);
int raslog_watch_write(const char *buf, size_t len);
void raslog_watch_exit(void);

/* dev.c */
int raslog_dev_init(void);
void raslog_dev_exit(void);

/* Hooks, each reported as ok or missing in sysfs status. */
enum raslog_hook_id {
	RASLOG_H_SIGNAL_GENERATE,
	RASLOG_H_PROCESS_EXIT,
	RASLOG_H_DO_COREDUMP,
	RASLOG_H_FILP_OPEN,
	RASLOG_H_FILE_OPEN_ROOT,
	RASLOG_H_UMH_SETUP,
	RASLOG_H_UMH_EXEC,
	RASLOG_H_ELF_CORE_DUMP,
	RASLOG_H_DUMP_EMIT,
	RASLOG_H_DUMP_USER_RANGE,
	RASLOG_H_REBOOT,
	RASLOG_H_PANIC,
	RASLOG_H_EMERGENCY_RESTART,
	RASLOG_H_NMI,
	RASLOG_H_COUNT
};
extern bool raslog_hook_ok[RASLOG_H_COUNT];
extern const char *const raslog_hook_names[RASLOG_H_COUNT];

void raslog_signal_hooks_init(void);
void raslog_signal_hooks_exit(void);
void raslog_coredump_hooks_init(void);
void raslog_coredump_hooks_exit(void);
bool raslog_coredump_take(pid_t tgid, struct raslog_coredump *out);
void raslog_shutdown_hooks_init(void);
void raslog_shutdown_hooks_exit(void);
void raslog_nmi_hook_init(void);
void raslog_nmi_hook_exit(void);

/* Copy a C string into a fixed field, NUL padded; plain loads only (NMI-safe). */
static inline void raslog_strfield(char *dst, const char *src, size_t size)
{
	strscpy_pad(dst, src ? src : "", size);
}

#endif /* RASLOG_H */
