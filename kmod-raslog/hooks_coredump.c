// SPDX-License-Identifier: GPL-2.0
/*
 * Why a core dump did or did not happen. Probes follow do_coredump() of
 * fs/coredump.c (6.1) in the dumping task's own context:
 *
 *   binfmt->core_dump missing        -> UNSUPPORTED
 *   !__get_dumpable(mm->flags)       -> NOT_DUMPABLE
 *   pipe: call_usermodehelper_setup/_exec fail -> PIPE_FAILED
 *   file: limit < binfmt->min_coredump (checked before the open) -> LIMIT
 *         filp_open("") -> EMPTY_PATTERN, other open error -> OPEN_FAILED
 *   then binfmt->core_dump (elf_core_dump) writes through dump_emit() and
 *   dump_user_range(); the first of those to fail tells why the dump stopped:
 *   the chunk would cross RLIMIT_CORE -> TRUNCATED, fatal signal ->
 *   INTERRUPTED, else a short write -> WRITE_ERROR. elf_core_dump() itself
 *   returns 1 even for a truncated core (the exit status then says "core
 *   dumped"), so its return value alone cannot tell.
 *
 * do_coredump() sleeps, so the state lives in a small table keyed by task.
 * When do_coredump() returns, the entry is parked under the tgid until the
 * group's death record is written (hooks_signal.c), followed by this record.
 */
#define pr_fmt(fmt) "raslog: " fmt

#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/binfmts.h>
#include <linux/coredump.h>
#include <linux/sched/signal.h>
#include <linux/sched/coredump.h>
#include <linux/mm_types.h>
#include "raslog.h"

enum { RASLOG_CS_FREE, RASLOG_CS_BUSY, RASLOG_CS_RUNNING, RASLOG_CS_DONE };

struct raslog_core_ctx {
	atomic_t state;
	struct task_struct *task;	/* the dumping task while RUNNING */
	pid_t tgid;
	unsigned long done_at;
	bool unsupported, not_dumpable;
	bool pipe, umh_exec_seen;
	bool open_seen, dump_called, emit_failed;
	int umh_err, open_err, dump_ret;
	unsigned long min_coredump;
	u64 written, dump_limit;
	u64 fail_written, fail_nr;	/* at the first failed dump_emit/dump_user_range */
	bool fail_interrupted;
	struct raslog_coredump rec;
};

#define RASLOG_CORE_SLOTS	16
static struct raslog_core_ctx raslog_cores[RASLOG_CORE_SLOTS];

/* A parked entry nobody claimed (death hook missed) is reusable after this. */
#define RASLOG_CORE_STALE	(60 * HZ)

static struct raslog_core_ctx *raslog_core_claim(void)
{
	unsigned int i;

	for (i = 0; i < RASLOG_CORE_SLOTS; i++)
		if (atomic_cmpxchg(&raslog_cores[i].state, RASLOG_CS_FREE, RASLOG_CS_BUSY) ==
		    RASLOG_CS_FREE)
			return &raslog_cores[i];
	for (i = 0; i < RASLOG_CORE_SLOTS; i++) {
		struct raslog_core_ctx *c = &raslog_cores[i];

		if (atomic_read(&c->state) == RASLOG_CS_DONE &&
		    time_after(jiffies, c->done_at + RASLOG_CORE_STALE) &&
		    atomic_cmpxchg(&c->state, RASLOG_CS_DONE, RASLOG_CS_BUSY) == RASLOG_CS_DONE)
			return c;
	}
	return NULL;
}

/* The running entry of the current task; only that task moves it on. */
static struct raslog_core_ctx *raslog_core_current(void)
{
	unsigned int i;

	for (i = 0; i < RASLOG_CORE_SLOTS; i++) {
		struct raslog_core_ctx *c = &raslog_cores[i];

		if (atomic_read_acquire(&c->state) == RASLOG_CS_RUNNING && c->task == current)
			return c;
	}
	return NULL;
}

bool raslog_coredump_take(pid_t tgid, struct raslog_coredump *out)
{
	unsigned int i;

	for (i = 0; i < RASLOG_CORE_SLOTS; i++) {
		struct raslog_core_ctx *c = &raslog_cores[i];

		if (atomic_read_acquire(&c->state) != RASLOG_CS_DONE || c->tgid != tgid)
			continue;
		if (atomic_cmpxchg(&c->state, RASLOG_CS_DONE, RASLOG_CS_BUSY) != RASLOG_CS_DONE)
			continue;
		*out = c->rec;
		atomic_set_release(&c->state, RASLOG_CS_FREE);
		return true;
	}
	return false;
}

/* ---- do_coredump(const kernel_siginfo_t *siginfo) ---- */

static int raslog_do_coredump_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const kernel_siginfo_t *si = (const void *)regs_get_kernel_argument(regs, 0);
	struct mm_struct *mm = current->mm;
	struct linux_binfmt *fmt = mm ? mm->binfmt : NULL;
	struct raslog_core_ctx *c = raslog_core_claim();
	unsigned long limit = task_rlimit(current, RLIMIT_CORE);

	if (!c)
		return 1;	/* table full: no detail for this one */
	c->task = current;
	c->tgid = current->tgid;
	c->unsupported = !fmt || !fmt->core_dump;
	c->not_dumpable = !mm || !__get_dumpable(mm->flags);
	c->min_coredump = fmt ? fmt->min_coredump : 0;
	c->pipe = c->umh_exec_seen = c->open_seen = c->dump_called = false;
	c->emit_failed = c->fail_interrupted = false;
	c->umh_err = c->open_err = c->dump_ret = 0;
	c->written = c->dump_limit = c->fail_written = c->fail_nr = 0;
	memset(&c->rec, 0, sizeof(c->rec));
	c->rec.pid = current->pid;
	c->rec.tgid = current->tgid;
	c->rec.signal = si ? si->si_signo : 0;
	c->rec.limit = limit == RLIM_INFINITY ? ~0ull : limit;
	raslog_strfield(c->rec.comm, current->group_leader->comm, sizeof(c->rec.comm));
	*(struct raslog_core_ctx **)ri->data = c;
	atomic_set_release(&c->state, RASLOG_CS_RUNNING);
	return 0;
}

/* Decide the reason, in the order do_coredump() checks things. */
static void raslog_core_finalize(struct raslog_core_ctx *c)
{
	struct raslog_coredump *r = &c->rec;
	bool interrupted = fatal_signal_pending(current);

	r->reason = RASLOG_CORE_OTHER;
	if (c->unsupported) {
		r->reason = RASLOG_CORE_UNSUPPORTED;
	} else if (c->not_dumpable) {
		r->reason = RASLOG_CORE_NOT_DUMPABLE;
	} else if (c->dump_called) {
		r->written = c->written;
		if (c->emit_failed) {
			if (c->dump_limit != RLIM_INFINITY &&
			    c->fail_written + c->fail_nr > c->dump_limit)
				r->reason = RASLOG_CORE_TRUNCATED;
			else if (c->fail_interrupted)
				r->reason = RASLOG_CORE_INTERRUPTED;
			else
				r->reason = RASLOG_CORE_WRITE_ERROR;
		} else if (c->dump_ret) {
			r->reason = RASLOG_CORE_DUMPED;
			r->dumped = 1;
		} else if (interrupted) {
			r->reason = RASLOG_CORE_INTERRUPTED;
		} else if (!raslog_hook_ok[RASLOG_H_DUMP_EMIT] &&
			   c->dump_limit != RLIM_INFINITY && c->written + 65536 > c->dump_limit) {
			/* without the dump_emit probe: close to the limit is our best guess */
			r->reason = RASLOG_CORE_TRUNCATED;
		}
	} else if (c->pipe) {
		if (c->umh_err || !c->umh_exec_seen) {
			r->reason = RASLOG_CORE_PIPE_FAILED;
			r->error = c->umh_exec_seen ? c->umh_err : -ENOMEM;
		} else if (interrupted) {
			r->reason = RASLOG_CORE_INTERRUPTED;
		}
	} else if (c->open_seen) {
		if (!r->target[0]) {
			r->reason = RASLOG_CORE_EMPTY_PATTERN;
			r->error = c->open_err;
		} else if (c->open_err) {
			r->reason = RASLOG_CORE_OPEN_FAILED;
			r->error = c->open_err;
		} else if (interrupted) {
			r->reason = RASLOG_CORE_INTERRUPTED;
		}
		/* else: opened, then refused (not regular, wrong owner, links...) */
	} else if (c->rec.limit < c->min_coredump) {
		r->reason = RASLOG_CORE_LIMIT;
	} else if (interrupted) {
		r->reason = RASLOG_CORE_INTERRUPTED;
	}
}

static int raslog_do_coredump_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct raslog_core_ctx *c = *(struct raslog_core_ctx **)ri->data;

	raslog_core_finalize(c);
	c->task = NULL;
	c->done_at = jiffies;
	atomic_set_release(&c->state, RASLOG_CS_DONE);
	return 0;
}

/* ---- filp_open(name, ...) / file_open_root(root, name, ...) ---- */

static int raslog_open_entry(struct kretprobe_instance *ri, struct pt_regs *regs, int name_arg)
{
	struct raslog_core_ctx *c = raslog_core_current();
	const char *name = (const char *)regs_get_kernel_argument(regs, name_arg);

	if (!c || c->open_seen || c->pipe)
		return 1;
	c->open_seen = true;
	raslog_strfield(c->rec.target, name, sizeof(c->rec.target));
	return 0;
}

static int raslog_filp_open_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return raslog_open_entry(ri, regs, 0);
}

static int raslog_file_open_root_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return raslog_open_entry(ri, regs, 1);
}

static int raslog_open_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct raslog_core_ctx *c = raslog_core_current();
	void *ret = (void *)regs_return_value(regs);

	if (c && IS_ERR(ret))
		c->open_err = (int)PTR_ERR(ret);
	return 0;
}

/* ---- pipe helper: call_usermodehelper_setup(path, ...) then _exec ---- */

static int raslog_umh_setup_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct raslog_core_ctx *c = raslog_core_current();
	const char *path = (const char *)regs_get_kernel_argument(regs, 0);

	if (!c || c->pipe)
		return 0;
	c->pipe = true;
	c->rec.flags |= RASLOG_CF_PIPE;
	c->rec.target[0] = '|';
	raslog_strfield(c->rec.target + 1, path, sizeof(c->rec.target) - 1);
	return 0;
}

static int raslog_umh_exec_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct raslog_core_ctx *c = raslog_core_current();

	return c && c->pipe && !c->umh_exec_seen ? 0 : 1;
}

static int raslog_umh_exec_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct raslog_core_ctx *c = raslog_core_current();

	if (c) {
		c->umh_exec_seen = true;
		c->umh_err = (int)regs_return_value(regs);
	}
	return 0;
}

/* ---- binfmt->core_dump(cprm): elf_core_dump ---- */

static int raslog_core_dump_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct raslog_core_ctx *c = raslog_core_current();

	if (!c)
		return 1;
	c->dump_called = true;
	*(struct coredump_params **)ri->data = (void *)regs_get_kernel_argument(regs, 0);
	return 0;
}

static int raslog_core_dump_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct raslog_core_ctx *c = raslog_core_current();
	struct coredump_params *cprm = *(struct coredump_params **)ri->data;

	if (c) {
		c->dump_ret = (int)regs_return_value(regs);
		c->written = cprm->written;
		c->dump_limit = cprm->limit;
	}
	return 0;
}

/* ---- dump_emit(cprm, addr, nr) / dump_user_range(cprm, start, len) ---- */

struct raslog_emit_call {
	struct coredump_params *cprm;
	u64 nr;
};

static int raslog_emit_entry_common(struct kretprobe_instance *ri, struct pt_regs *regs, u64 nr)
{
	struct raslog_core_ctx *c = raslog_core_current();
	struct raslog_emit_call *call = (struct raslog_emit_call *)ri->data;

	if (!c || c->emit_failed)
		return 1;
	call->cprm = (struct coredump_params *)regs_get_kernel_argument(regs, 0);
	call->nr = nr;
	return 0;
}

static int raslog_dump_emit_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return raslog_emit_entry_common(ri, regs, (int)regs_get_kernel_argument(regs, 2));
}

/* it writes page by page: a failure is about the next PAGE_SIZE chunk */
static int raslog_dump_user_range_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return raslog_emit_entry_common(ri, regs, PAGE_SIZE);
}

static int raslog_emit_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct raslog_core_ctx *c = raslog_core_current();
	struct raslog_emit_call *call = (struct raslog_emit_call *)ri->data;

	if (!c || c->emit_failed || regs_return_value(regs))
		return 0;
	c->emit_failed = true;
	c->fail_written = call->cprm->written;
	c->fail_nr = call->nr;
	c->fail_interrupted = fatal_signal_pending(current);
	return 0;
}

static struct kretprobe raslog_krp_dump_emit = {
	.kp.symbol_name = "dump_emit",
	.entry_handler = raslog_dump_emit_entry,
	.handler = raslog_emit_ret,
	.data_size = sizeof(struct raslog_emit_call),
	.maxactive = 64,
};

static struct kretprobe raslog_krp_dump_user_range = {
	.kp.symbol_name = "dump_user_range",
	.entry_handler = raslog_dump_user_range_entry,
	.handler = raslog_emit_ret,
	.data_size = sizeof(struct raslog_emit_call),
	.maxactive = RASLOG_CORE_SLOTS + 4,
};

static struct kretprobe raslog_krp_coredump = {
	.kp.symbol_name = "do_coredump",
	.entry_handler = raslog_do_coredump_entry,
	.handler = raslog_do_coredump_ret,
	.data_size = sizeof(void *),
	.maxactive = RASLOG_CORE_SLOTS + 4,
};

static struct kretprobe raslog_krp_filp_open = {
	.kp.symbol_name = "filp_open",
	.entry_handler = raslog_filp_open_entry,
	.handler = raslog_open_ret,
	.maxactive = 64,	/* instances are taken before the entry filter runs */
};

static struct kretprobe raslog_krp_file_open_root = {
	.kp.symbol_name = "file_open_root",
	.entry_handler = raslog_file_open_root_entry,
	.handler = raslog_open_ret,
	.maxactive = 32,
};

static struct kprobe raslog_kp_umh_setup = {
	.symbol_name = "call_usermodehelper_setup",
	.pre_handler = raslog_umh_setup_pre,
};

static struct kretprobe raslog_krp_umh_exec = {
	.kp.symbol_name = "call_usermodehelper_exec",
	.entry_handler = raslog_umh_exec_entry,
	.handler = raslog_umh_exec_ret,
	.maxactive = 32,
};

static struct kretprobe raslog_krp_core_dump = {
	.kp.symbol_name = "elf_core_dump",
	.entry_handler = raslog_core_dump_entry,
	.handler = raslog_core_dump_ret,
	.data_size = sizeof(void *),
	.maxactive = RASLOG_CORE_SLOTS + 4,
};

static struct {
	struct kretprobe *krp;
	enum raslog_hook_id id;
} const raslog_core_krps[] = {
	{ &raslog_krp_coredump, RASLOG_H_DO_COREDUMP },
	{ &raslog_krp_filp_open, RASLOG_H_FILP_OPEN },
	{ &raslog_krp_file_open_root, RASLOG_H_FILE_OPEN_ROOT },
	{ &raslog_krp_umh_exec, RASLOG_H_UMH_EXEC },
	{ &raslog_krp_core_dump, RASLOG_H_ELF_CORE_DUMP },
	{ &raslog_krp_dump_emit, RASLOG_H_DUMP_EMIT },
	{ &raslog_krp_dump_user_range, RASLOG_H_DUMP_USER_RANGE },
};

void raslog_coredump_hooks_init(void)
{
	unsigned int i;
	int ret;

	/* detail probes first, so do_coredump never runs without them */
	for (i = ARRAY_SIZE(raslog_core_krps); i-- > 0;) {
		ret = register_kretprobe(raslog_core_krps[i].krp);
		if (ret)
			pr_info("coredump detail: cannot probe %s (%d), loading without it\n",
				raslog_core_krps[i].krp->kp.symbol_name, ret);
		else
			raslog_hook_ok[raslog_core_krps[i].id] = true;
	}
	ret = register_kprobe(&raslog_kp_umh_setup);
	if (ret)
		pr_info("coredump detail: cannot probe %s (%d), loading without it\n",
			raslog_kp_umh_setup.symbol_name, ret);
	else
		raslog_hook_ok[RASLOG_H_UMH_SETUP] = true;
}

void raslog_coredump_hooks_exit(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(raslog_core_krps); i++) {
		if (raslog_hook_ok[raslog_core_krps[i].id])
			unregister_kretprobe(raslog_core_krps[i].krp);
		raslog_hook_ok[raslog_core_krps[i].id] = false;
	}
	if (raslog_hook_ok[RASLOG_H_UMH_SETUP])
		unregister_kprobe(&raslog_kp_umh_setup);
	raslog_hook_ok[RASLOG_H_UMH_SETUP] = false;
}
