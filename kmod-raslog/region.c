// SPDX-License-Identifier: GPL-2.0
/*
 * The persistent region: map it, then decide whether to adopt, repair,
 * format or refuse what is there, and set up boot count and sequence.
 */
#define pr_fmt(fmt) "raslog: " fmt

#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/random.h>
#include <linux/ktime.h>
#include <linux/printk.h>
#include "raslog.h"

static bool raslog_all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static bool raslog_layout_matches(const struct raslog_header *h, u64 size)
{
	struct raslog_lane_desc want[RASLOG_MAX_LANES];

	if (raslog_layout(size, want))
		return false;
	return h->lane_count == RASLOG_MAX_LANES && h->slot_size == RASLOG_SLOT_SIZE &&
	       h->header_size == RASLOG_HEADER_SIZE && h->region_size == size &&
	       !memcmp(h->lanes, want, sizeof(want));
}

/* Fully valid header: adopt as is. */
static bool raslog_header_valid(const struct raslog_header *h, u64 size)
{
	return !memcmp(h->magic, RASLOG_MAGIC, 8) && h->version == RASLOG_VERSION &&
	       h->header_crc == raslog_header_crc(h) && raslog_layout_matches(h, size);
}

/* An id of all 0x00 or all 0xff bytes is what damage looks like, not a random id. */
static bool raslog_id_sane(const u8 *id)
{
	return memchr_inv(id, 0, 16) && memchr_inv(id, 0xff, 16);
}

struct raslog_scan {
	u32 valid, invalid;
	u64 max_seq;
	u32 max_boot;
	u64 newest_idx[RASLOG_MAX_LANES];	/* slot index of each lane's newest record */
	bool lane_has[RASLOG_MAX_LANES];
};

/* Count valid and damaged slots; find the highest seq and boot seen. */
static void raslog_scan_slots(struct raslog_header *h, struct raslog_scan *s)
{
	unsigned int lane;
	u64 i, lane_max;

	memset(s, 0, sizeof(*s));
	for (lane = 0; lane < RASLOG_MAX_LANES; lane++) {
		lane_max = 0;
		for (i = 0; i < h->lanes[lane].slot_count; i++) {
			struct raslog_rec_hdr *r = raslog_slot(raslog.base, h, lane, i);

			if (!raslog_slot_valid(r)) {
				if (!raslog_all_zero(r, RASLOG_SLOT_SIZE))
					s->invalid++;
				continue;
			}
			s->valid++;
			if (r->seq > s->max_seq)
				s->max_seq = r->seq;
			if (r->boot > s->max_boot)
				s->max_boot = r->boot;
			if (!s->lane_has[lane] || r->seq > lane_max) {
				lane_max = r->seq;
				s->newest_idx[lane] = i;
				s->lane_has[lane] = true;
			}
		}
	}
}

/*
 * Rebuild the static header in place from the region size, keeping every slot.
 * The write counters are not covered by the CRC: if one no longer points just
 * past its lane's newest record, restart it there so new records do not
 * overwrite the newest old ones first.
 */
static void raslog_repair(struct raslog_header *h, u64 size, const struct raslog_scan *s)
{
	u8 id[16];
	unsigned int lane;

	if (raslog_id_sane(h->region_id))
		memcpy(id, h->region_id, 16);
	else
		get_random_bytes(id, sizeof(id));
	memcpy(h->magic, RASLOG_MAGIC, 8);
	h->version = RASLOG_VERSION;
	h->header_size = RASLOG_HEADER_SIZE;
	h->region_size = size;
	memcpy(h->region_id, id, 16);
	h->lane_count = RASLOG_MAX_LANES;
	h->slot_size = RASLOG_SLOT_SIZE;
	memset(h->reserved0, 0, sizeof(h->reserved0));
	memset(h->reserved1, 0, sizeof(h->reserved1));
	raslog_layout(size, h->lanes);
	h->header_crc = raslog_header_crc(h);
	for (lane = 0; lane < RASLOG_MAX_LANES; lane++) {
		u32 n = h->lanes[lane].slot_count;
		u64 want = s->lane_has[lane] ? s->newest_idx[lane] + 1 : 0;

		if (h->lane_ctr[lane].writes % n != want % n)
			h->lane_ctr[lane].writes = want;
		memset(h->lane_ctr[lane].pad, 0, sizeof(h->lane_ctr[lane].pad));
	}
	RASLOG_FLUSH(h, RASLOG_HEADER_SIZE);
}

static void raslog_format_new(struct raslog_header *h, u64 size)
{
	u8 id[16];

	get_random_bytes(id, sizeof(id));
	raslog_format(raslog.base, size, id, ktime_get_real_fast_ns());
}

int raslog_region_open(phys_addr_t addr, u64 size, bool reformat)
{
	struct raslog_header *h;
	struct raslog_scan s;
	u64 boot, seq_next;
	unsigned int lane;

	raslog.base = memremap(addr, size, MEMREMAP_WB);
	if (!raslog.base) {
		pr_err("cannot map region 0x%llx+0x%llx\n", (u64)addr, size);
		return -ENOMEM;
	}
	raslog.hdr = h = raslog.base;
	raslog.addr = addr;
	raslog.size = size;

	if (raslog_header_valid(h, size)) {
		raslog.mflags = RASLOG_MF_ADOPTED;
	} else if (!memcmp(h->magic, RASLOG_MAGIC, 8) &&
		   !(h->version != RASLOG_VERSION && h->header_crc == raslog_header_crc(h))) {
		/* ours but damaged; an intact header of another version is not */
		raslog.mflags = RASLOG_MF_REPAIRED;
	} else if (raslog_all_zero(raslog.base, size)) {
		raslog_format_new(h, size);
		raslog.mflags = RASLOG_MF_FORMATTED;
	} else if (reformat) {
		memset(raslog.base, 0, size);
		raslog_format_new(h, size);
		RASLOG_FLUSH(raslog.base, size);
		raslog.mflags = RASLOG_MF_REFORMATTED;
	} else {
		pr_err("region 0x%llx+0x%llx holds foreign data (no raslog v%u header); refusing it, load with reformat=1 to wipe it\n",
		       (u64)addr, size, RASLOG_VERSION);
		memunmap(raslog.base);
		raslog.base = NULL;
		return -EINVAL;
	}

	/* Slot positions only depend on the size, so a repair needs the layout first. */
	if (raslog.mflags & RASLOG_MF_REPAIRED)
		raslog_layout(size, h->lanes);
	raslog_scan_slots(h, &s);
	if (raslog.mflags & RASLOG_MF_REPAIRED)
		raslog_repair(h, size, &s);
	raslog.adopted = s.valid;
	raslog.invalid = s.invalid;

	/* The boot counter only counts if its check word agrees. */
	boot = h->boot_count_check == ~h->boot_count ? h->boot_count : 0;
	if (boot < s.max_boot)
		boot = s.max_boot;
	boot++;
	h->boot_count = boot;
	h->boot_count_check = ~boot;
	raslog.boot = (u32)boot;

	seq_next = s.max_seq + 1;
	if ((raslog.mflags & RASLOG_MF_ADOPTED) && h->seq_next > seq_next)
		seq_next = h->seq_next;
	h->seq_next = seq_next;
	atomic64_set(&raslog.seq, seq_next);
	atomic64_set(&raslog.last_seq, s.max_seq);
	RASLOG_FLUSH(&h->boot_count, 0x18);
	RASLOG_WMB();

	atomic64_set(&raslog.commits, raslog_lane_writes_sum());
	if (raslog_flush)
		raslog.mflags |= RASLOG_MF_FLUSH;

	pr_info("region 0x%llx+0x%llx %s: boot %llu, seq %llu, %u records kept, %u damaged slots; lanes",
		(u64)addr, size,
		raslog.mflags & RASLOG_MF_ADOPTED ? "adopted" :
		raslog.mflags & RASLOG_MF_REPAIRED ? "repaired" :
		raslog.mflags & RASLOG_MF_REFORMATTED ? "reformatted" : "formatted",
		boot, seq_next, s.valid, s.invalid);
	for (lane = 0; lane < RASLOG_MAX_LANES; lane++)
		pr_cont(" %u", h->lanes[lane].slot_count);
	pr_cont("\n");
	return 0;
}

/* Remember where the sequence stands, so the next load continues after it. */
void raslog_region_store_seq(void)
{
	raslog.hdr->seq_next = atomic64_read(&raslog.seq);
	RASLOG_FLUSH(&raslog.hdr->seq_next, 8);
	RASLOG_WMB();
}

void raslog_region_close(void)
{
	if (raslog.base)
		memunmap(raslog.base);
	raslog.base = NULL;
	raslog.hdr = NULL;
}
