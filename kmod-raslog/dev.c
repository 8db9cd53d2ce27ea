// SPDX-License-Identifier: GPL-2.0
/*
 * User interfaces: /dev/raslog reads exactly like an image of the region;
 * /sys/kernel/raslog/{status,watch}.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include "raslog.h"

/* Per open file: the commit count seen by the last read that started at 0. */
struct raslog_file {
	u64 seen;
};

static int raslog_open(struct inode *inode, struct file *f)
{
	struct raslog_file *rf = kzalloc(sizeof(*rf), GFP_KERNEL);

	if (!rf)
		return -ENOMEM;
	rf->seen = U64_MAX;	/* nothing read yet: readable at once */
	f->private_data = rf;
	return 0;
}

static int raslog_release(struct inode *inode, struct file *f)
{
	kfree(f->private_data);
	return 0;
}

static ssize_t raslog_read(struct file *f, char __user *buf, size_t len, loff_t *ppos)
{
	struct raslog_file *rf = f->private_data;
	loff_t pos = *ppos;

	if (pos < 0)
		return -EINVAL;
	if (pos >= raslog.size)
		return 0;
	if (len > raslog.size - pos)
		len = raslog.size - pos;
	/* Snapshot before copying: a commit racing with the copy wakes us again. */
	if (pos == 0)
		rf->seen = atomic64_read(&raslog.commits);
	if (copy_to_user(buf, (u8 *)raslog.base + pos, len))
		return -EFAULT;
	*ppos = pos + len;
	return len;
}

static loff_t raslog_llseek(struct file *f, loff_t off, int whence)
{
	return fixed_size_llseek(f, off, whence, raslog.size);
}

static __poll_t raslog_poll(struct file *f, poll_table *wait)
{
	struct raslog_file *rf = f->private_data;

	poll_wait(f, &raslog.wq, wait);
	return (u64)atomic64_read(&raslog.commits) != rf->seen ? EPOLLIN | EPOLLRDNORM : 0;
}

static const struct file_operations raslog_fops = {
	.owner = THIS_MODULE,
	.open = raslog_open,
	.release = raslog_release,
	.read = raslog_read,
	.llseek = raslog_llseek,
	.poll = raslog_poll,
};

static struct miscdevice raslog_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "raslog",
	.fops = &raslog_fops,
	.mode = 0400,
};

static const char *const raslog_lane_names[RASLOG_MAX_LANES] = {
	"critical", "watch", "process"
};

static ssize_t status_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	const struct raslog_header *h = raslog.hdr;
	ssize_t len = 0;
	unsigned int i;

	len += sysfs_emit_at(buf, len, "region_addr 0x%llx\n", (u64)raslog.addr);
	len += sysfs_emit_at(buf, len, "region_size %llu\n", raslog.size);
	len += sysfs_emit_at(buf, len, "region_id %16phN\n", h->region_id);
	len += sysfs_emit_at(buf, len, "boot %u\n", raslog.boot);
	len += sysfs_emit_at(buf, len, "last_seq %lld\n", atomic64_read(&raslog.last_seq));
	len += sysfs_emit_at(buf, len, "flush %d\n", raslog_flush ? 1 : 0);
	for (i = 0; i < RASLOG_MAX_LANES; i++) {
		u64 writes = READ_ONCE(h->lane_ctr[i].writes);
		u32 slots = h->lanes[i].slot_count;

		len += sysfs_emit_at(buf, len, "lane %s slots %u writes %llu used %llu overwritten %llu\n",
				     raslog_lane_names[i], slots, writes,
				     min_t(u64, writes, slots),
				     READ_ONCE(h->lane_ctr[i].overwritten));
	}
	for (i = 0; i < RASLOG_H_COUNT; i++)
		len += sysfs_emit_at(buf, len, "hook %s %s\n", raslog_hook_names[i],
				     raslog_hook_ok[i] ? "ok" : "missing");
	len += raslog_watch_show(buf + len, PAGE_SIZE - len, "watch ");
	return len;
}

static ssize_t watch_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return raslog_watch_show(buf, PAGE_SIZE, "");
}

static ssize_t watch_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	int ret = raslog_watch_write(buf, count);

	return ret ? ret : count;
}

static struct kobj_attribute raslog_status_attr = __ATTR_RO(status);
static struct kobj_attribute raslog_watch_attr = __ATTR(watch, 0600, watch_show, watch_store);

static struct attribute *raslog_attrs[] = {
	&raslog_status_attr.attr,
	&raslog_watch_attr.attr,
	NULL,
};

static const struct attribute_group raslog_attr_group = {
	.attrs = raslog_attrs,
};

static struct kobject *raslog_kobj;

int raslog_dev_init(void)
{
	int ret;

	raslog_kobj = kobject_create_and_add("raslog", kernel_kobj);
	if (!raslog_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(raslog_kobj, &raslog_attr_group);
	if (ret)
		goto fail;
	ret = misc_register(&raslog_misc);
	if (ret)
		goto fail;
	return 0;
fail:
	kobject_put(raslog_kobj);
	raslog_kobj = NULL;
	return ret;
}

void raslog_dev_exit(void)
{
	misc_deregister(&raslog_misc);
	kobject_put(raslog_kobj);
	raslog_kobj = NULL;
}
