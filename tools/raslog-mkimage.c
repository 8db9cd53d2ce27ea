// SPDX-License-Identifier: GPL-2.0
/*
 * raslog-mkimage: write raslog region images on the host with the kernel's own
 * format code (kmod-raslog/raslog_format.h: raslog_format, raslog_commit), for
 * the decoder tests (C writer vs TypeScript reader).
 *
 *   cc -O2 -Wall -Wextra -Werror -o raslog-mkimage tools/raslog-mkimage.c
 *   raslog-mkimage OUT [--size 1M] [--boot N] [--seq-start N] [--seed S]
 *                      [--records N | --records C,W,P] [--tear LANE[:POINT]]
 *                      [--corrupt LANE[:K]] [--damage-header]
 *                      [--offset N] [--file-size N] [--manifest FILE]
 *
 * LANE is 0|1|2 or critical|watch|process. Sizes take 0x, K, M, G.
 *
 * Records are written round-robin over the lanes (critical, watch, process),
 * one global seq starting at --seq-start. More records than slots wrap the
 * lane, so overwritten > 0. Record contents are a pure function of seq (and
 * --seed for the clock); test/region.test.ts restates these formulas:
 *
 *   all:        cpu = seq % 4, realtime_ns = 1795861234000000000 + seed*1e9 + seq*1000003,
 *               boottime_ns = 1000000000 + seq*1000003, boot = --boot
 *   critical:   the i-th record of the lane cycles module_load, shutdown, panic,
 *               dump_button (NMI flag), module_unload
 *   watch/process: i%3 == 0 death (scenario seq%6), i%3 == 1 coredump of pid
 *               2000+seq+1 followed at once (same lane, seq+1) by its death (crash)
 *   death:      pid = tgid = 2000+seq, uid = seq%2 ? 1000 : 0, comm "proc<seq>",
 *               watched = lane is watch, cgroup by seq%3: "/system.slice/svc<seq>.service",
 *               "/user.slice/user-1000.slice/session-4.scope", "/"
 *               seq%6: 0 exit(seq%256); 1 SIGTERM from kill[500+seq] uid 0 (SI_USER);
 *               2 SIGSEGV fault at 0x7f0000001000+seq (si_code 1); 3 OOM SIGKILL;
 *               4 SIGABRT self (si_code -6); 5 SIGKILL cause unknown
 *               crash: SIGSEGV, si_code 1, fault at 0x10+seq, core flag = coredump dumped
 *   coredump:   pid = tgid = 2000+seq+1, comm "proc<seq+1>", SIGSEGV, seq%4:
 *               0 dumped to /var/lib/systemd/coredump/core.proc<seq+1>, written 4096*(seq+1), unlimited
 *               1 not dumped, core_limit, limit 0, target "core"
 *               2 dumped to pipe "|/usr/lib/systemd/systemd-coredump %P %u", written 8192, unlimited
 *               3 not dumped, write_error ENOSPC, limit 1048576, written 65536, target /tmp/core.<seq+1>
 *   module_*:   region_addr 0x13f000000, region_size = size, load flags seq%2 ? adopted|flush
 *               : formatted, adopted_records 2*seq, invalid_records seq%3, version "0.1.0-mk";
 *               unload flags flush, counts 0
 *   shutdown:   action 1+seq%4, initiator pid = tgid = 100+seq uid 0 "reboot",
 *               seq%5 ancestors {900+i, uid i, "anc<i>"}, command seq%2 ? "" : "fw-update"
 *   panic:      task {3000+seq, 0, "kworker/0:1"}, "Kernel panic - not syncing: mkimage seq <seq>"
 *   dump_button: cpu seq%4, task pid = tgid = 4000+seq uid 1000 "spin",
 *               ip 0xffffffff81000000+16*seq, user_mode seq%2
 *
 * --tear LANE[:POINT] cuts the power during one more commit in LANE, at store
 * barrier POINT of raslog_commit (1: commit word cleared, 2: body and CRC
 * written, commit word not yet; default 2). --corrupt LANE[:K] flips a payload
 * byte of the K-th newest record of LANE (default 0). --damage-header flips a
 * byte of region_id, so header_crc fails. --manifest writes the expected decode
 * (valid records, per-lane counts) as JSON, tracked independently of the image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int8_t s8;

static jmp_buf tear_jmp;
static int tear_point;		/* 0: no tear armed */
static int barrier_count;

static void mk_wmb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	barrier_count++;
	if (tear_point && barrier_count == tear_point)
		longjmp(tear_jmp, 1);
}

#define RASLOG_ATOMIC_ADD_RETURN(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define RASLOG_WMB() mk_wmb()
#define RASLOG_FLUSH(p, len) do { (void)(p); (void)(len); } while (0)

#include "../kmod-raslog/raslog_format.h"

static const char *const lane_names[3] = { "critical", "watch", "process" };
static const char *const type_names[8] = {
	"", "module_load", "module_unload", "process_death", "coredump", "shutdown", "panic", "dump_button",
};

enum { ST_EMPTY = 0, ST_VALID, ST_TORN, ST_CORRUPT };

struct slot_track {
	u64 seq;
	u16 type;
	u8 state;
	s8 crash;		/* deaths: -1 normal, 0 crash without core, 1 crash with core */
};

static u8 *region;
static struct raslog_header *hdr;
static u64 region_size = 1024 * 1024, boot = 1, seq_next_v = 1, seed = 1;
static struct slot_track *track[3];
static u64 exp_overwritten[3], exp_writes[3], lane_index[3];

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "raslog-mkimage: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(2);
}

static u64 parse_size(const char *s)
{
	char *end;
	u64 v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		die("bad number", s);
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end)
		die("bad number", s);
	return v;
}

static int parse_lane(const char *s, const char **rest)
{
	int lane = -1;
	size_t n = strcspn(s, ":");

	for (int i = 0; i < 3; i++)
		if ((n == 1 && s[0] == '0' + i) || (n == strlen(lane_names[i]) && !strncmp(s, lane_names[i], n)))
			lane = i;
	if (lane < 0)
		die("bad lane", s);
	*rest = s[n] == ':' ? s + n + 1 : NULL;
	return lane;
}

static void task_ref(struct raslog_task_ref *t, u32 pid, u32 uid, const char *comm)
{
	t->pid = pid;
	t->uid = uid;
	size_t n = strnlen(comm, sizeof(t->comm) - 1);

	memcpy(t->comm, comm, n);
	t->comm[n] = 0;
}

/*
 * raslog_commit() with independent bookkeeping of what the slot will hold. A
 * tear longjmps out of raslog_commit at the chosen store barrier.
 */
static void commit_tracked(unsigned int lane, struct raslog_rec_hdr *rec, const void *pl, u16 len, int crash)
{
	u32 n = hdr->lanes[lane].slot_count;
	u64 idx = exp_writes[lane]++ % n;
	struct slot_track *t = &track[lane][idx];

	if (t->state == ST_VALID)
		exp_overwritten[lane]++;
	barrier_count = 0;
	if (setjmp(tear_jmp)) {
		/* power cut: point 1 leaves the old body (or an empty slot) with commit 0 */
		if (tear_point >= 2 || t->state != ST_EMPTY)
			t->state = ST_TORN;
		tear_point = 0;
		return;
	}
	raslog_commit(region, hdr, lane, rec, pl, len);
	t->seq = rec->seq;
	t->type = rec->type;
	t->state = ST_VALID;
	t->crash = (s8)crash;
}

/* Build the record for (type, seq, lane) and commit it with raslog_commit(). */
static void build_commit(unsigned int lane, u16 type, u64 seq, int crash_core)
{
	struct raslog_rec_hdr rec;
	union {
		struct raslog_death d;
		struct raslog_coredump c;
		struct raslog_shutdown s;
		struct raslog_panic p;
		struct raslog_dump_button b;
		struct raslog_module_event m;
		u8 raw[RASLOG_PAYLOAD_MAX];
	} pl;
	u16 len = 0;
	char tmp[64];

	memset(&rec, 0, sizeof(rec));
	memset(&pl, 0, sizeof(pl));
	rec.type = type;
	rec.cpu = (u16)(seq % 4);
	rec.seq = seq;
	rec.realtime_ns = 1795861234000000000ull + seed * 1000000000ull + seq * 1000003ull;
	rec.boottime_ns = 1000000000ull + seq * 1000003ull;
	rec.boot = (u32)boot;

	switch (type) {
	case RASLOG_T_MODULE_LOAD:
	case RASLOG_T_MODULE_UNLOAD:
		pl.m.region_addr = 0x13f000000ull;
		pl.m.region_size = region_size;
		if (type == RASLOG_T_MODULE_LOAD) {
			pl.m.flags = seq % 2 ? RASLOG_MF_ADOPTED | RASLOG_MF_FLUSH : RASLOG_MF_FORMATTED;
			pl.m.adopted_records = (u32)(2 * seq);
			pl.m.invalid_records = (u32)(seq % 3);
		} else {
			pl.m.flags = RASLOG_MF_FLUSH;
		}
		strcpy(pl.m.version, "0.1.0-mk");
		len = sizeof(pl.m);
		break;
	case RASLOG_T_SHUTDOWN:
		pl.s.action = (u32)(1 + seq % 4);
		pl.s.tgid = (u32)(100 + seq);
		task_ref(&pl.s.initiator, (u32)(100 + seq), 0, "reboot");
		pl.s.ancestor_count = (u32)(seq % 5);
		for (u32 i = 0; i < pl.s.ancestor_count; i++) {
			snprintf(tmp, sizeof(tmp), "anc%u", i);
			task_ref(&pl.s.ancestors[i], 900 + i, i, tmp);
		}
		if (seq % 2 == 0)
			strcpy(pl.s.command, "fw-update");
		len = sizeof(pl.s);
		break;
	case RASLOG_T_PANIC:
		task_ref(&pl.p.task, (u32)(3000 + seq), 0, "kworker/0:1");
		snprintf(pl.p.message, sizeof(pl.p.message), "Kernel panic - not syncing: mkimage seq %llu",
			 (unsigned long long)seq);
		len = sizeof(pl.p);
		break;
	case RASLOG_T_DUMP_BUTTON:
		rec.flags = RASLOG_RF_NMI;
		pl.b.cpu = (u32)(seq % 4);
		pl.b.tgid = (u32)(4000 + seq);
		task_ref(&pl.b.task, (u32)(4000 + seq), 1000, "spin");
		pl.b.ip = 0xffffffff81000000ull + 16 * seq;
		pl.b.user_mode = (u8)(seq % 2);
		len = sizeof(pl.b);
		break;
	case RASLOG_T_PROCESS_DEATH: {
		int sc = crash_core >= 0 ? 6 : (int)(seq % 6);

		pl.d.pid = pl.d.tgid = (u32)(2000 + seq);
		pl.d.uid = seq % 2 ? 1000 : 0;
		snprintf(pl.d.comm, sizeof(pl.d.comm), "proc%llu", (unsigned long long)seq);
		if (seq % 3 == 0)
			snprintf(pl.d.cgroup, sizeof(pl.d.cgroup), "/system.slice/svc%llu.service",
				 (unsigned long long)seq);
		else if (seq % 3 == 1)
			strcpy(pl.d.cgroup, "/user.slice/user-1000.slice/session-4.scope");
		else
			strcpy(pl.d.cgroup, "/");
		pl.d.cgroup_len = (u16)strlen(pl.d.cgroup);
		pl.d.flags = lane == RASLOG_LANE_WATCH ? RASLOG_DF_WATCHED : 0;
		switch (sc) {
		case 0:
			pl.d.exit_code = (s32)(seq % 256);
			pl.d.cause = RASLOG_CAUSE_NONE;
			break;
		case 1:
			pl.d.signal = 15;
			pl.d.cause = RASLOG_CAUSE_PROCESS;
			pl.d.sender_pid = pl.d.sender_tgid = (u32)(500 + seq);
			strcpy(pl.d.sender_comm, "kill");
			break;
		case 2:
			pl.d.signal = 11;
			pl.d.si_code = 1;
			pl.d.cause = RASLOG_CAUSE_FAULT;
			pl.d.fault_addr = 0x7f0000001000ull + seq;
			break;
		case 3:
			pl.d.signal = 9;
			pl.d.cause = RASLOG_CAUSE_OOM;
			break;
		case 4:
			pl.d.signal = 6;
			pl.d.si_code = -6;
			pl.d.cause = RASLOG_CAUSE_SELF;
			pl.d.sender_pid = pl.d.pid;
			pl.d.sender_tgid = pl.d.tgid;
			pl.d.sender_uid = pl.d.uid;
			memcpy(pl.d.sender_comm, pl.d.comm, sizeof(pl.d.comm));
			break;
		case 5:
			pl.d.signal = 9;
			pl.d.cause = RASLOG_CAUSE_UNKNOWN;
			break;
		default: /* crash after a coredump */
			pl.d.signal = 11;
			pl.d.si_code = 1;
			pl.d.cause = RASLOG_CAUSE_FAULT;
			pl.d.fault_addr = 0x10 + seq;
			if (crash_core)
				pl.d.flags |= RASLOG_DF_CORE;
			break;
		}
		len = sizeof(pl.d);
		break;
	}
	case RASLOG_T_COREDUMP: {
		u64 p = seq + 1;

		pl.c.pid = pl.c.tgid = (u32)(2000 + p);
		pl.c.signal = 11;
		snprintf(pl.c.comm, sizeof(pl.c.comm), "proc%llu", (unsigned long long)p);
		switch (seq % 4) {
		case 0:
			pl.c.dumped = 1;
			pl.c.reason = RASLOG_CORE_DUMPED;
			pl.c.limit = ~0ull;
			pl.c.written = 4096 * p;
			snprintf(pl.c.target, sizeof(pl.c.target), "/var/lib/systemd/coredump/core.proc%llu",
				 (unsigned long long)p);
			break;
		case 1:
			pl.c.reason = RASLOG_CORE_LIMIT;
			strcpy(pl.c.target, "core");
			break;
		case 2:
			pl.c.dumped = 1;
			pl.c.reason = RASLOG_CORE_DUMPED;
			pl.c.flags = RASLOG_CF_PIPE;
			pl.c.limit = ~0ull;
			pl.c.written = 8192;
			strcpy(pl.c.target, "|/usr/lib/systemd/systemd-coredump %P %u");
			break;
		default:
			pl.c.reason = RASLOG_CORE_WRITE_ERROR;
			pl.c.error = -28;
			pl.c.limit = 1048576;
			pl.c.written = 65536;
			snprintf(pl.c.target, sizeof(pl.c.target), "/tmp/core.%llu", (unsigned long long)p);
			break;
		}
		len = sizeof(pl.c);
		break;
	}
	}

	commit_tracked(lane, &rec, &pl, len, crash_core);
}

static const u16 crit_cycle[5] = {
	RASLOG_T_MODULE_LOAD, RASLOG_T_SHUTDOWN, RASLOG_T_PANIC, RASLOG_T_DUMP_BUTTON, RASLOG_T_MODULE_UNLOAD,
};

/* Write the next scheduled item of a lane; returns records written (1 or 2). */
static int write_next(unsigned int lane, u64 remaining, u64 *seq)
{
	u64 i = lane_index[lane]++;

	if (lane == RASLOG_LANE_CRITICAL) {
		build_commit(lane, crit_cycle[i % 5], (*seq)++, -1);
		return 1;
	}
	if (i % 3 == 1) {
		u64 s = (*seq)++;
		int dumped = s % 4 == 0 || s % 4 == 2;

		build_commit(lane, RASLOG_T_COREDUMP, s, -1);
		if (remaining < 2)
			return 1;
		lane_index[lane]++;
		build_commit(lane, RASLOG_T_PROCESS_DEATH, (*seq)++, dumped);
		return 2;
	}
	build_commit(lane, RASLOG_T_PROCESS_DEATH, (*seq)++, -1);
	return 1;
}

static u64 splitmix(u64 *x)
{
	u64 z = (*x += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

struct mrec {
	u64 seq;
	u16 type;
	u8 lane;
	u32 slot;
	int crash;
};

static int cmp_mrec(const void *a, const void *b)
{
	const struct mrec *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void write_manifest(const char *path, u64 offset)
{
	FILE *f = fopen(path, "w");
	size_t total = 0, k = 0;
	struct mrec *recs;

	if (!f)
		die("cannot write manifest", path);
	for (int l = 0; l < 3; l++)
		total += hdr->lanes[l].slot_count;
	recs = calloc(total ? total : 1, sizeof(*recs));
	if (!recs)
		die("out of memory", NULL);
	fprintf(f, "{\"size\":%llu,\"offset\":%llu,\"boot\":%llu,\"seq_next\":%llu,\"region_id\":\"",
		(unsigned long long)region_size, (unsigned long long)offset, (unsigned long long)boot,
		(unsigned long long)seq_next_v);
	for (int i = 0; i < 16; i++)
		fprintf(f, "%02x", hdr->region_id[i]);
	fprintf(f, "\",\"lanes\":[");
	for (int l = 0; l < 3; l++) {
		u64 cnt[4] = { 0, 0, 0, 0 };

		for (u32 s = 0; s < hdr->lanes[l].slot_count; s++) {
			struct slot_track *t = &track[l][s];

			cnt[t->state]++;
			if (t->state == ST_VALID)
				recs[k++] = (struct mrec){ t->seq, t->type, (u8)l, s, t->crash };
		}
		fprintf(f, "%s{\"lane\":\"%s\",\"offset\":%llu,\"slots\":%u,\"writes\":%llu,\"overwritten\":%llu,"
			"\"valid\":%llu,\"torn\":%llu,\"corrupt\":%llu,\"empty\":%llu}",
			l ? "," : "", lane_names[l], (unsigned long long)hdr->lanes[l].offset,
			hdr->lanes[l].slot_count, (unsigned long long)exp_writes[l],
			(unsigned long long)exp_overwritten[l], (unsigned long long)cnt[ST_VALID],
			(unsigned long long)cnt[ST_TORN], (unsigned long long)cnt[ST_CORRUPT],
			(unsigned long long)cnt[ST_EMPTY]);
	}
	qsort(recs, k, sizeof(*recs), cmp_mrec);
	fprintf(f, "],\"records\":[");
	for (size_t i = 0; i < k; i++)
		fprintf(f, "%s{\"seq\":%llu,\"type\":\"%s\",\"lane\":\"%s\",\"slot\":%u,\"crash\":%d}",
			i ? "," : "", (unsigned long long)recs[i].seq, type_names[recs[i].type],
			lane_names[recs[i].lane], recs[i].slot, recs[i].crash);
	fprintf(f, "]}\n");
	free(recs);
	if (fclose(f))
		die("cannot write manifest", path);
}

int main(int argc, char **argv)
{
	const char *out = NULL, *manifest = NULL;
	u64 per_lane[3] = { 8, 8, 8 }, offset = 0, file_size = 0, seq;
	int tear_lane = -1, tear_pt = 2, corrupt_lane = -1, damage_header = 0;
	u64 corrupt_k = 0, id_state;
	u8 id[16];
	FILE *f;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL, *rest;

#define NEEDV() do { if (!v) die("missing value for", a); i++; } while (0)
		if (!strcmp(a, "--size")) { NEEDV(); region_size = parse_size(v); }
		else if (!strcmp(a, "--boot")) { NEEDV(); boot = parse_size(v); }
		else if (!strcmp(a, "--seq-start")) { NEEDV(); seq_next_v = parse_size(v); }
		else if (!strcmp(a, "--seed")) { NEEDV(); seed = parse_size(v); }
		else if (!strcmp(a, "--offset")) { NEEDV(); offset = parse_size(v); }
		else if (!strcmp(a, "--file-size")) { NEEDV(); file_size = parse_size(v); }
		else if (!strcmp(a, "--manifest")) { NEEDV(); manifest = v; }
		else if (!strcmp(a, "--damage-header")) damage_header = 1;
		else if (!strcmp(a, "--records")) {
			char *c1, *c2;

			NEEDV();
			c1 = strchr(v, ',');
			if (!c1) {
				per_lane[0] = per_lane[1] = per_lane[2] = parse_size(v);
			} else {
				char buf[128];

				if (strlen(v) >= sizeof(buf))
					die("bad --records", v);
				strcpy(buf, v);
				c1 = strchr(buf, ',');
				*c1++ = 0;
				c2 = strchr(c1, ',');
				if (!c2)
					die("bad --records (want N or C,W,P)", v);
				*c2++ = 0;
				per_lane[0] = parse_size(buf);
				per_lane[1] = parse_size(c1);
				per_lane[2] = parse_size(c2);
			}
		} else if (!strcmp(a, "--tear")) {
			NEEDV();
			tear_lane = parse_lane(v, &rest);
			if (rest) {
				tear_pt = (int)parse_size(rest);
				if (tear_pt < 1 || tear_pt > 2)
					die("tear point must be 1 or 2", rest);
			}
		} else if (!strcmp(a, "--corrupt")) {
			NEEDV();
			corrupt_lane = parse_lane(v, &rest);
			if (rest)
				corrupt_k = parse_size(rest);
		} else if (a[0] == '-') {
			die("unknown option", a);
		} else if (!out) {
			out = a;
		} else {
			die("extra argument", a);
		}
	}
	if (!out)
		die("usage: raslog-mkimage OUT [--size N] [--boot N] [--seq-start N] [--seed S] "
		    "[--records N|C,W,P] [--tear LANE[:1|2]] [--corrupt LANE[:K]] [--damage-header] "
		    "[--offset N] [--file-size N] [--manifest FILE]", NULL);
	if (region_size < RASLOG_MIN_REGION || region_size > (1ull << 32))
		die("size must be between 64K and 4G", NULL);

	region = calloc(1, region_size);
	if (!region)
		die("out of memory", NULL);
	hdr = (struct raslog_header *)region;
	id_state = seed;
	for (int i = 0; i < 16; i += 8) {
		u64 r = splitmix(&id_state);

		memcpy(id + i, &r, 8);
	}
	raslog_format(region, region_size, id, 1795860000000000000ull + seed * 1000000000ull);
	hdr->boot_count = boot;
	hdr->boot_count_check = ~boot;
	hdr->seq_next = seq_next_v;
	for (int l = 0; l < 3; l++) {
		track[l] = calloc(hdr->lanes[l].slot_count, sizeof(**track));
		if (!track[l])
			die("out of memory", NULL);
	}

	seq = seq_next_v;
	for (;;) {
		int any = 0;

		for (unsigned int l = 0; l < 3; l++) {
			if (!per_lane[l])
				continue;
			any = 1;
			per_lane[l] -= (u64)write_next(l, per_lane[l], &seq);
		}
		if (!any)
			break;
	}

	if (corrupt_lane >= 0) {
		u32 n = hdr->lanes[corrupt_lane].slot_count;
		u64 w = exp_writes[corrupt_lane];
		u64 idx;
		struct slot_track *t;

		if (corrupt_k >= w || corrupt_k >= n)
			die("--corrupt: lane has no such record", NULL);
		idx = (w - 1 - corrupt_k) % n;
		t = &track[corrupt_lane][idx];
		if (t->state != ST_VALID)
			die("--corrupt: that slot holds no valid record", NULL);
		region[hdr->lanes[corrupt_lane].offset + idx * RASLOG_SLOT_SIZE + sizeof(struct raslog_rec_hdr) + 1] ^= 0xFF;
		t->state = ST_CORRUPT;
	}
	if (tear_lane >= 0) {
		tear_point = tear_pt;
		write_next((unsigned int)tear_lane, 1, &seq);
		tear_point = 0;
	}
	if (damage_header)
		hdr->region_id[0] ^= 0x5A;

	if (!file_size)
		file_size = offset + region_size;
	if (file_size < offset + region_size)
		die("--file-size smaller than offset + size", NULL);
	f = fopen(out, "wb");
	if (!f)
		die("cannot create", out);
	for (u64 i = 0; i < offset; i++)
		fputc(0xA5 ^ (int)(i & 0x3F), f);
	if (fwrite(region, 1, region_size, f) != region_size)
		die("write failed", out);
	for (u64 i = offset + region_size; i < file_size; i++)
		fputc(0x5A, f);
	if (fclose(f))
		die("write failed", out);
	if (manifest)
		write_manifest(manifest, offset);
	return 0;
}
