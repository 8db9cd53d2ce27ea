/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raslog persistent region format, version 1.
 *
 * The single C definition of docs/region-format.md. It is compiled into the
 * kernel module (raslog.ko) and into the host tool tools/raslog-mkimage, so the
 * code that writes records in the kernel is the code the tests exercise on the
 * host. The TypeScript decoder (src/region/) is the other implementation.
 *
 * All integers are little-endian. All offsets are from the region start.
 * Before including, the environment must provide:
 *   u8/u16/u32/u64/s32 types, memcpy/memset,
 *   RASLOG_ATOMIC_ADD_RETURN(u64 *p, u64 v)  atomic add, returns the new value
 *   RASLOG_WMB()                           store barrier
 *   RASLOG_FLUSH(void *p, size_t len)      write back cache lines (pmem)
 */
#ifndef RASLOG_FORMAT_H
#define RASLOG_FORMAT_H

#define RASLOG_MAGIC		"RASLOGRG"	/* 8 bytes, no NUL stored */
#define RASLOG_VERSION		1u
#define RASLOG_HEADER_SIZE	4096u
#define RASLOG_SLOT_SIZE	256u
#define RASLOG_MAX_LANES	3u
#define RASLOG_MIN_REGION	(64u * 1024u)
#define RASLOG_COMMIT_MAGIC	0x544D4352u	/* "RCMT"; commit word = magic ^ low32(seq) */

/* Lanes: separate rings so a flood in one never overwrites another. */
enum raslog_lane {
	RASLOG_LANE_CRITICAL = 0,	/* shutdown, panic, dump button, module load/unload */
	RASLOG_LANE_WATCH = 1,		/* deaths and coredumps of watch-listed processes */
	RASLOG_LANE_PROCESS = 2,	/* all other deaths and coredumps */
};

enum raslog_type {
	RASLOG_T_MODULE_LOAD = 1,
	RASLOG_T_MODULE_UNLOAD = 2,
	RASLOG_T_PROCESS_DEATH = 3,
	RASLOG_T_COREDUMP = 4,
	RASLOG_T_SHUTDOWN = 5,
	RASLOG_T_PANIC = 6,
	RASLOG_T_DUMP_BUTTON = 7,
};

/* ---- header: offsets 0x000-0x07F are static and covered by header_crc ---- */
struct raslog_lane_desc {		/* 16 bytes */
	u64 offset;			/* first slot, from region start */
	u32 slot_count;
	u32 reserved;
} __attribute__((packed));

struct raslog_header {
	char magic[8];			/* 0x000 "RASLOGRG" */
	u32 version;			/* 0x008 */
	u32 header_size;		/* 0x00C 4096 */
	u64 region_size;		/* 0x010 bytes */
	u8 region_id[16];		/* 0x018 random at format time */
	u32 lane_count;			/* 0x028 */
	u32 slot_size;			/* 0x02C 256 */
	u64 format_time_ns;		/* 0x030 CLOCK_REALTIME when formatted */
	u8 reserved0[8];		/* 0x038 */
	struct raslog_lane_desc lanes[RASLOG_MAX_LANES]; /* 0x040-0x06F */
	u8 reserved1[12];		/* 0x070 */
	u32 header_crc;			/* 0x07C crc32c of 0x000-0x07B */
	/* ---- dynamic part ---- */
	u64 boot_count;			/* 0x080 incremented at every module load */
	u64 boot_count_check;		/* 0x088 ~boot_count */
	u64 seq_next;			/* 0x090 next sequence, as of the last load */
	u8 reserved2[0x100 - 0x098];	/* 0x098 */
	struct {			/* 0x100 + 64*lane, one cache line each */
		u64 writes;		/* slot reservations ever made */
		u64 overwritten;	/* committed records destroyed by wrap-around */
		u8 pad[48];
	} __attribute__((packed)) lane_ctr[RASLOG_MAX_LANES];
} __attribute__((packed));

/* ---- record: one 256-byte slot ---- */
struct raslog_rec_hdr {			/* 48 bytes */
	u32 commit;			/* 0x00 written last: RASLOG_COMMIT_MAGIC ^ (u32)seq */
	u32 crc;			/* 0x04 crc32c of bytes 0x08 .. length-1 */
	u16 length;			/* 0x08 header + payload bytes, 48..256 */
	u16 type;			/* 0x0A enum raslog_type */
	u16 cpu;			/* 0x0C */
	u8 lane;			/* 0x0E */
	u8 flags;			/* 0x0F RASLOG_RF_* */
	u64 seq;			/* 0x10 global, monotonic across lanes and boots */
	u64 realtime_ns;		/* 0x18 CLOCK_REALTIME */
	u64 boottime_ns;		/* 0x20 CLOCK_BOOTTIME */
	u32 boot;			/* 0x28 header boot_count when written */
	u32 reserved;			/* 0x2C */
} __attribute__((packed));

#define RASLOG_RF_NMI		0x01	/* written from NMI context */
#define RASLOG_PAYLOAD_MAX	(RASLOG_SLOT_SIZE - sizeof(struct raslog_rec_hdr))

/* Why the kernel (not a process) sent the fatal signal, or who did. */
enum raslog_cause {
	RASLOG_CAUSE_NONE = 0,		/* normal exit, no signal */
	RASLOG_CAUSE_PROCESS = 1,	/* sent by another process: sender_* valid */
	RASLOG_CAUSE_FAULT = 2,		/* SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP from a fault */
	RASLOG_CAUSE_OOM = 3,		/* OOM killer */
	RASLOG_CAUSE_SELF = 4,		/* sent to itself (abort, raise) */
	RASLOG_CAUSE_KERNEL = 5,	/* other kernel-generated signal (SI_KERNEL) */
	RASLOG_CAUSE_UNKNOWN = 6,	/* no generation seen (e.g. pending before load) */
};

#define RASLOG_DF_WATCHED	0x01	/* matched the watch list */
#define RASLOG_DF_CORE		0x02	/* exit status says a core was dumped */
#define RASLOG_CGROUP_MAX	128

struct raslog_death {			/* payload of RASLOG_T_PROCESS_DEATH, 208 bytes */
	u32 pid;			/* 0x00 thread that exited last */
	u32 tgid;			/* 0x04 */
	u32 uid;			/* 0x08 real uid */
	s32 exit_code;			/* 0x0C exit(2) status, 0..255, when signal == 0 */
	s32 signal;			/* 0x10 terminating signal, 0 if none */
	s32 si_code;			/* 0x14 */
	u32 sender_pid;			/* 0x18 */
	u32 sender_tgid;		/* 0x1C */
	u32 sender_uid;			/* 0x20 */
	u8 cause;			/* 0x24 enum raslog_cause */
	u8 flags;			/* 0x25 RASLOG_DF_* */
	u16 cgroup_len;			/* 0x26 bytes used in cgroup[] */
	u64 fault_addr;			/* 0x28 si_addr for faults */
	char comm[16];			/* 0x30 */
	char sender_comm[16];		/* 0x40 */
	char cgroup[RASLOG_CGROUP_MAX];	/* 0x50 cgroup v2 path, truncated */
} __attribute__((packed));

enum raslog_core_reason {
	RASLOG_CORE_DUMPED = 0,
	RASLOG_CORE_LIMIT = 1,		/* RLIMIT_CORE below the minimum */
	RASLOG_CORE_NOT_DUMPABLE = 2,	/* dumpable flag 0 (setuid, prctl) */
	RASLOG_CORE_EMPTY_PATTERN = 3,	/* core_pattern empty */
	RASLOG_CORE_PIPE_FAILED = 4,	/* pipe helper could not be started */
	RASLOG_CORE_WRITE_ERROR = 5,	/* write failed (no space, I/O error, pipe closed) */
	RASLOG_CORE_TRUNCATED = 6,	/* stopped at RLIMIT_CORE */
	RASLOG_CORE_OPEN_FAILED = 7,	/* core file could not be created */
	RASLOG_CORE_UNSUPPORTED = 8,	/* binary format cannot dump */
	RASLOG_CORE_INTERRUPTED = 9,	/* fatal signal during the dump */
	RASLOG_CORE_OTHER = 10,
};

#define RASLOG_CF_PIPE		0x01	/* target is a pipe helper */
#define RASLOG_TARGET_MAX	152

struct raslog_coredump {		/* payload of RASLOG_T_COREDUMP */
	u32 pid;			/* 0x00 */
	u32 tgid;			/* 0x04 */
	s32 signal;			/* 0x08 */
	u8 dumped;			/* 0x0C 1 if a core was written */
	u8 reason;			/* 0x0D enum raslog_core_reason */
	u8 flags;			/* 0x0E RASLOG_CF_* */
	u8 reserved;			/* 0x0F */
	s32 error;			/* 0x10 negative errno where known, else 0 */
	u32 reserved2;			/* 0x14 */
	u64 limit;			/* 0x18 RLIMIT_CORE soft limit (~0 = unlimited) */
	u64 written;			/* 0x20 bytes written */
	char comm[16];			/* 0x28 */
	char target[RASLOG_TARGET_MAX];	/* 0x38 file path, or |helper for a pipe */
} __attribute__((packed));

enum raslog_shutdown_action {
	RASLOG_SD_REBOOT = 1,
	RASLOG_SD_HALT = 2,
	RASLOG_SD_POWEROFF = 3,
	RASLOG_SD_EMERGENCY_RESTART = 4,	/* emergency_restart(): sysrq-b, watchdogs */
};

struct raslog_task_ref {		/* 24 bytes */
	u32 pid;
	u32 uid;
	char comm[16];
} __attribute__((packed));

struct raslog_shutdown {		/* payload of RASLOG_T_SHUTDOWN */
	u32 action;			/* 0x00 enum raslog_shutdown_action */
	u32 tgid;			/* 0x04 initiator's tgid */
	struct raslog_task_ref initiator; /* 0x08 */
	u32 ancestor_count;		/* 0x20 0..4 */
	u32 reserved;			/* 0x24 */
	struct raslog_task_ref ancestors[4]; /* 0x28 parent first */
	char command[72];		/* 0x88 reboot(2) RESTART2 argument, if any */
} __attribute__((packed));

struct raslog_panic {			/* payload of RASLOG_T_PANIC */
	struct raslog_task_ref task;	/* 0x00 task that panicked */
	char message[184];		/* 0x18 panic() text, truncated */
} __attribute__((packed));

struct raslog_dump_button {		/* payload of RASLOG_T_DUMP_BUTTON */
	u32 cpu;			/* 0x00 CPU that took the NMI */
	u32 tgid;			/* 0x04 */
	struct raslog_task_ref task;	/* 0x08 task running on it */
	u64 ip;				/* 0x20 interrupted instruction pointer */
	u8 user_mode;			/* 0x28 1 if the NMI hit user mode */
} __attribute__((packed));

struct raslog_module_event {		/* payload of RASLOG_T_MODULE_LOAD / _UNLOAD */
	u64 region_addr;		/* 0x00 */
	u64 region_size;		/* 0x08 */
	u32 flags;			/* 0x10 RASLOG_MF_* */
	u32 adopted_records;		/* 0x14 valid records found at load */
	u32 invalid_records;		/* 0x18 torn or corrupt slots found at load */
	u32 reserved;			/* 0x1C */
	char version[32];		/* 0x20 module version */
} __attribute__((packed));

#define RASLOG_MF_FORMATTED	0x01	/* region was blank and formatted now */
#define RASLOG_MF_ADOPTED	0x02	/* region valid and adopted */
#define RASLOG_MF_REPAIRED	0x04	/* header damaged, rebuilt, records kept */
#define RASLOG_MF_REFORMATTED	0x08	/* reformat=1 wiped foreign content */
#define RASLOG_MF_FLUSH		0x10	/* cache-line flushing enabled */

/* ---- CRC32C (Castagnoli), reflected, init ~0, final ~0; a const table, so NMI-safe ---- */
static const u32 raslog_crc32c_table[256] = {
	0x00000000u, 0xF26B8303u, 0xE13B70F7u, 0x1350F3F4u, 0xC79A971Fu, 0x35F1141Cu,
	0x26A1E7E8u, 0xD4CA64EBu, 0x8AD958CFu, 0x78B2DBCCu, 0x6BE22838u, 0x9989AB3Bu,
	0x4D43CFD0u, 0xBF284CD3u, 0xAC78BF27u, 0x5E133C24u, 0x105EC76Fu, 0xE235446Cu,
	0xF165B798u, 0x030E349Bu, 0xD7C45070u, 0x25AFD373u, 0x36FF2087u, 0xC494A384u,
	0x9A879FA0u, 0x68EC1CA3u, 0x7BBCEF57u, 0x89D76C54u, 0x5D1D08BFu, 0xAF768BBCu,
	0xBC267848u, 0x4E4DFB4Bu, 0x20BD8EDEu, 0xD2D60DDDu, 0xC186FE29u, 0x33ED7D2Au,
	0xE72719C1u, 0x154C9AC2u, 0x061C6936u, 0xF477EA35u, 0xAA64D611u, 0x580F5512u,
	0x4B5FA6E6u, 0xB93425E5u, 0x6DFE410Eu, 0x9F95C20Du, 0x8CC531F9u, 0x7EAEB2FAu,
	0x30E349B1u, 0xC288CAB2u, 0xD1D83946u, 0x23B3BA45u, 0xF779DEAEu, 0x05125DADu,
	0x1642AE59u, 0xE4292D5Au, 0xBA3A117Eu, 0x4851927Du, 0x5B016189u, 0xA96AE28Au,
	0x7DA08661u, 0x8FCB0562u, 0x9C9BF696u, 0x6EF07595u, 0x417B1DBCu, 0xB3109EBFu,
	0xA0406D4Bu, 0x522BEE48u, 0x86E18AA3u, 0x748A09A0u, 0x67DAFA54u, 0x95B17957u,
	0xCBA24573u, 0x39C9C670u, 0x2A993584u, 0xD8F2B687u, 0x0C38D26Cu, 0xFE53516Fu,
	0xED03A29Bu, 0x1F682198u, 0x5125DAD3u, 0xA34E59D0u, 0xB01EAA24u, 0x42752927u,
	0x96BF4DCCu, 0x64D4CECFu, 0x77843D3Bu, 0x85EFBE38u, 0xDBFC821Cu, 0x2997011Fu,
	0x3AC7F2EBu, 0xC8AC71E8u, 0x1C661503u, 0xEE0D9600u, 0xFD5D65F4u, 0x0F36E6F7u,
	0x61C69362u, 0x93AD1061u, 0x80FDE395u, 0x72966096u, 0xA65C047Du, 0x5437877Eu,
	0x4767748Au, 0xB50CF789u, 0xEB1FCBADu, 0x197448AEu, 0x0A24BB5Au, 0xF84F3859u,
	0x2C855CB2u, 0xDEEEDFB1u, 0xCDBE2C45u, 0x3FD5AF46u, 0x7198540Du, 0x83F3D70Eu,
	0x90A324FAu, 0x62C8A7F9u, 0xB602C312u, 0x44694011u, 0x5739B3E5u, 0xA55230E6u,
	0xFB410CC2u, 0x092A8FC1u, 0x1A7A7C35u, 0xE811FF36u, 0x3CDB9BDDu, 0xCEB018DEu,
	0xDDE0EB2Au, 0x2F8B6829u, 0x82F63B78u, 0x709DB87Bu, 0x63CD4B8Fu, 0x91A6C88Cu,
	0x456CAC67u, 0xB7072F64u, 0xA457DC90u, 0x563C5F93u, 0x082F63B7u, 0xFA44E0B4u,
	0xE9141340u, 0x1B7F9043u, 0xCFB5F4A8u, 0x3DDE77ABu, 0x2E8E845Fu, 0xDCE5075Cu,
	0x92A8FC17u, 0x60C37F14u, 0x73938CE0u, 0x81F80FE3u, 0x55326B08u, 0xA759E80Bu,
	0xB4091BFFu, 0x466298FCu, 0x1871A4D8u, 0xEA1A27DBu, 0xF94AD42Fu, 0x0B21572Cu,
	0xDFEB33C7u, 0x2D80B0C4u, 0x3ED04330u, 0xCCBBC033u, 0xA24BB5A6u, 0x502036A5u,
	0x4370C551u, 0xB11B4652u, 0x65D122B9u, 0x97BAA1BAu, 0x84EA524Eu, 0x7681D14Du,
	0x2892ED69u, 0xDAF96E6Au, 0xC9A99D9Eu, 0x3BC21E9Du, 0xEF087A76u, 0x1D63F975u,
	0x0E330A81u, 0xFC588982u, 0xB21572C9u, 0x407EF1CAu, 0x532E023Eu, 0xA145813Du,
	0x758FE5D6u, 0x87E466D5u, 0x94B49521u, 0x66DF1622u, 0x38CC2A06u, 0xCAA7A905u,
	0xD9F75AF1u, 0x2B9CD9F2u, 0xFF56BD19u, 0x0D3D3E1Au, 0x1E6DCDEEu, 0xEC064EEDu,
	0xC38D26C4u, 0x31E6A5C7u, 0x22B65633u, 0xD0DDD530u, 0x0417B1DBu, 0xF67C32D8u,
	0xE52CC12Cu, 0x1747422Fu, 0x49547E0Bu, 0xBB3FFD08u, 0xA86F0EFCu, 0x5A048DFFu,
	0x8ECEE914u, 0x7CA56A17u, 0x6FF599E3u, 0x9D9E1AE0u, 0xD3D3E1ABu, 0x21B862A8u,
	0x32E8915Cu, 0xC083125Fu, 0x144976B4u, 0xE622F5B7u, 0xF5720643u, 0x07198540u,
	0x590AB964u, 0xAB613A67u, 0xB831C993u, 0x4A5A4A90u, 0x9E902E7Bu, 0x6CFBAD78u,
	0x7FAB5E8Cu, 0x8DC0DD8Fu, 0xE330A81Au, 0x115B2B19u, 0x020BD8EDu, 0xF0605BEEu,
	0x24AA3F05u, 0xD6C1BC06u, 0xC5914FF2u, 0x37FACCF1u, 0x69E9F0D5u, 0x9B8273D6u,
	0x88D28022u, 0x7AB90321u, 0xAE7367CAu, 0x5C18E4C9u, 0x4F48173Du, 0xBD23943Eu,
	0xF36E6F75u, 0x0105EC76u, 0x12551F82u, 0xE03E9C81u, 0x34F4F86Au, 0xC69F7B69u,
	0xD5CF889Du, 0x27A40B9Eu, 0x79B737BAu, 0x8BDCB4B9u, 0x988C474Du, 0x6AE7C44Eu,
	0xBE2DA0A5u, 0x4C4623A6u, 0x5F16D052u, 0xAD7D5351u,
};

static inline u32 raslog_crc32c(const void *buf, unsigned long len)
{
	const u8 *p = (const u8 *)buf;
	u32 crc = 0xFFFFFFFFu;

	while (len--)
		crc = (crc >> 8) ^ raslog_crc32c_table[(crc ^ *p++) & 0xFFu];
	return ~crc;
}

/*
 * Lane layout is a pure function of the region size, so a damaged header can
 * be rebuilt without losing records: critical 1/16 (>= 16 slots), watch 1/8
 * (>= 16 slots), process the rest.
 */
static inline int raslog_layout(u64 region_size, struct raslog_lane_desc *lanes)
{
	u64 slots, crit, watch;

	if (region_size < RASLOG_MIN_REGION)
		return -1;
	slots = (region_size - RASLOG_HEADER_SIZE) / RASLOG_SLOT_SIZE;
	crit = slots / 16 < 16 ? 16 : slots / 16;
	watch = slots / 8 < 16 ? 16 : slots / 8;
	lanes[0].offset = RASLOG_HEADER_SIZE;
	lanes[0].slot_count = (u32)crit;
	lanes[1].offset = lanes[0].offset + crit * RASLOG_SLOT_SIZE;
	lanes[1].slot_count = (u32)watch;
	lanes[2].offset = lanes[1].offset + watch * RASLOG_SLOT_SIZE;
	lanes[2].slot_count = (u32)(slots - crit - watch);
	lanes[0].reserved = lanes[1].reserved = lanes[2].reserved = 0;
	return 0;
}

static inline u32 raslog_header_crc(const struct raslog_header *h)
{
	return raslog_crc32c(h, 0x7C);
}

/* Format a region whose slots the caller has zeroed: leftover records of an older region would still validate. */
static inline void raslog_format(void *region, u64 size, const u8 id[16], u64 now_ns)
{
	struct raslog_header *h = (struct raslog_header *)region;

	memset(h, 0, RASLOG_HEADER_SIZE);
	memcpy(h->magic, RASLOG_MAGIC, 8);
	h->version = RASLOG_VERSION;
	h->header_size = RASLOG_HEADER_SIZE;
	h->region_size = size;
	memcpy(h->region_id, id, 16);
	h->lane_count = RASLOG_MAX_LANES;
	h->slot_size = RASLOG_SLOT_SIZE;
	h->format_time_ns = now_ns;
	raslog_layout(size, h->lanes);
	h->header_crc = raslog_header_crc(h);
	h->boot_count = 0;
	h->boot_count_check = ~0ull;
	h->seq_next = 1;
	RASLOG_FLUSH(h, RASLOG_HEADER_SIZE);
}

/* 1 if the slot holds a committed record that validates. */
static inline int raslog_slot_valid(const struct raslog_rec_hdr *r)
{
	if (r->length < sizeof(*r) || r->length > RASLOG_SLOT_SIZE)
		return 0;
	if (r->commit != (RASLOG_COMMIT_MAGIC ^ (u32)r->seq))
		return 0;
	return r->crc == raslog_crc32c((const u8 *)r + 8, r->length - 8u);
}

static inline struct raslog_rec_hdr *raslog_slot(void *region, const struct raslog_header *h,
						 unsigned int lane, u64 index)
{
	return (struct raslog_rec_hdr *)((u8 *)region + h->lanes[lane].offset +
					 (index % h->lanes[lane].slot_count) * RASLOG_SLOT_SIZE);
}

/*
 * Commit one record. Lock-free: the slot is reserved with one atomic add on the
 * lane's write counter, so concurrent writers (other CPUs, an NMI on this CPU)
 * never share a slot. Order: invalidate commit word, write body and CRC, then
 * the commit word last, flushing each step for persistent memory. A cut at any
 * point leaves either the old record intact, a slot with commit 0 (torn), or
 * the new record complete.
 */
static inline void raslog_commit(void *region, struct raslog_header *h, unsigned int lane,
				 struct raslog_rec_hdr *rec, const void *payload, u16 payload_len)
{
	u64 idx = RASLOG_ATOMIC_ADD_RETURN(&h->lane_ctr[lane].writes, 1) - 1;
	struct raslog_rec_hdr *slot = raslog_slot(region, h, lane, idx);

	if (payload_len > RASLOG_PAYLOAD_MAX)
		payload_len = RASLOG_PAYLOAD_MAX;
	/* cheap check (no CRC): was a committed record here? */
	if (slot->commit == (RASLOG_COMMIT_MAGIC ^ (u32)slot->seq) && slot->length)
		RASLOG_ATOMIC_ADD_RETURN(&h->lane_ctr[lane].overwritten, 1);
	slot->commit = 0;
	RASLOG_FLUSH(slot, 8);
	RASLOG_WMB();

	rec->length = (u16)(sizeof(*rec) + payload_len);
	rec->lane = (u8)lane;
	rec->reserved = 0;
	memcpy((u8 *)slot + 8, (u8 *)rec + 8, sizeof(*rec) - 8);
	memcpy((u8 *)slot + sizeof(*rec), payload, payload_len);
	slot->crc = raslog_crc32c((u8 *)slot + 8, rec->length - 8u);
	RASLOG_FLUSH(slot, RASLOG_SLOT_SIZE);
	RASLOG_WMB();
	slot->commit = RASLOG_COMMIT_MAGIC ^ (u32)rec->seq;
	RASLOG_FLUSH(slot, 8);
	RASLOG_WMB();
}

#endif /* RASLOG_FORMAT_H */
