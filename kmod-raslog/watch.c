// SPDX-License-Identifier: GPL-2.0
/*
 * The watch list: processes whose every exit is recorded, in their own lane.
 * Writers (sysfs) serialize on a mutex and publish a new copy with RCU, so the
 * exit tracepoint reads it without any sleeping lock.
 */
#include <linux/slab.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/ctype.h>
#include "raslog.h"

#define RASLOG_WATCH_MAX	32

enum { RASLOG_W_COMM = 1, RASLOG_W_CGROUP = 2 };

struct raslog_watch_entry {
	u8 kind;
	char s[RASLOG_CGROUP_MAX];
};

struct raslog_watchlist {
	struct rcu_head rcu;
	unsigned int n;
	struct raslog_watch_entry e[RASLOG_WATCH_MAX];
};

static struct raslog_watchlist __rcu *raslog_watch;
static DEFINE_MUTEX(raslog_watch_mutex);

/* Caller is in a tracepoint (preemption off) or holds rcu_read_lock. */
bool raslog_watch_match(const char *comm, const char *cgroup)
{
	const struct raslog_watchlist *w;
	bool hit = false;
	unsigned int i;

	rcu_read_lock();
	w = rcu_dereference(raslog_watch);
	for (i = 0; w && i < w->n && !hit; i++) {
		const struct raslog_watch_entry *e = &w->e[i];

		if (e->kind == RASLOG_W_COMM)
			hit = !strncmp(comm, e->s, TASK_COMM_LEN);
		else
			hit = !strncmp(cgroup, e->s, strlen(e->s));
	}
	rcu_read_unlock();
	return hit;
}

/* One line per entry, each preceded by prefix ("" or "watch "). */
ssize_t raslog_watch_show(char *buf, size_t size, const char *prefix)
{
	const struct raslog_watchlist *w;
	size_t len = 0;
	unsigned int i;

	rcu_read_lock();
	w = rcu_dereference(raslog_watch);
	for (i = 0; w && i < w->n; i++)
		len += scnprintf(buf + len, size - len, "%s%s %s\n", prefix,
				 w->e[i].kind == RASLOG_W_COMM ? "comm" : "cgroup", w->e[i].s);
	rcu_read_unlock();
	return len;
}

static int raslog_watch_find(const struct raslog_watchlist *w, u8 kind, const char *s)
{
	unsigned int i;

	for (i = 0; i < w->n; i++)
		if (w->e[i].kind == kind && !strcmp(w->e[i].s, s))
			return i;
	return -1;
}

/* Apply one command line to the working copy w. */
static int raslog_watch_apply(struct raslog_watchlist *w, char *line)
{
	bool remove = false;
	char *arg;
	u8 kind;
	int i;

	line = strim(line);
	if (!*line)
		return 0;
	if (!strcmp(line, "clear")) {
		w->n = 0;
		return 0;
	}
	if (*line == '-') {
		remove = true;
		line++;
	}
	arg = strpbrk(line, " \t");
	if (!arg)
		return -EINVAL;
	*arg++ = '\0';
	arg = skip_spaces(arg);
	if (!strcmp(line, "comm"))
		kind = RASLOG_W_COMM;
	else if (!strcmp(line, "cgroup"))
		kind = RASLOG_W_CGROUP;
	else
		return -EINVAL;
	if (!*arg || strlen(arg) >= (kind == RASLOG_W_COMM ? TASK_COMM_LEN : RASLOG_CGROUP_MAX))
		return -EINVAL;

	i = raslog_watch_find(w, kind, arg);
	if (remove) {
		if (i < 0)
			return -ENOENT;
		w->e[i] = w->e[--w->n];
		return 0;
	}
	if (i >= 0)
		return 0;
	if (w->n >= RASLOG_WATCH_MAX)
		return -ENOSPC;
	w->e[w->n].kind = kind;
	strscpy_pad(w->e[w->n].s, arg, sizeof(w->e[w->n].s));
	w->n++;
	return 0;
}

/* All lines apply, or none does. */
int raslog_watch_write(const char *buf, size_t len)
{
	struct raslog_watchlist *w, *old;
	char *text, *cur, *line;
	int ret = 0;

	text = kmemdup_nul(buf, len, GFP_KERNEL);
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!text || !w) {
		ret = -ENOMEM;
		goto out;
	}
	mutex_lock(&raslog_watch_mutex);
	old = rcu_dereference_protected(raslog_watch, lockdep_is_held(&raslog_watch_mutex));
	if (old) {
		memcpy(w->e, old->e, sizeof(w->e));
		w->n = old->n;
	}
	cur = text;
	while (!ret && (line = strsep(&cur, "\n")))
		ret = raslog_watch_apply(w, line);
	if (!ret) {
		rcu_assign_pointer(raslog_watch, w);
		w = NULL;
		if (old)
			kfree_rcu(old, rcu);
	}
	mutex_unlock(&raslog_watch_mutex);
out:
	kfree(w);
	kfree(text);
	return ret;
}

void raslog_watch_exit(void)
{
	struct raslog_watchlist *old;

	mutex_lock(&raslog_watch_mutex);
	old = rcu_dereference_protected(raslog_watch, lockdep_is_held(&raslog_watch_mutex));
	RCU_INIT_POINTER(raslog_watch, NULL);
	mutex_unlock(&raslog_watch_mutex);
	synchronize_rcu();
	kfree(old);
}
