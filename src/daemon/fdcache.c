/* SPDX-License-Identifier: MIT */
#include "fdcache.h"

#include <unistd.h>

#include "../common/proto.h"

static struct fdcache_entry *slot_of(const struct fdcache *fc, int num)
{
	return (struct fdcache_entry *)&fc->e[(unsigned)num % FDCACHE_SIZE];
}

static void drop(struct fdcache *fc, struct fdcache_entry *e)
{
	if (e->num < 0)
		return;
	close(e->fd);
	e->num = -1;
	e->fd = -1;
	fc->held--;
}

void fdcache_init(struct fdcache *fc)
{
	for (unsigned i = 0; i < FDCACHE_SIZE; i++)
		fc->e[i] = (struct fdcache_entry){.num = -1, .fd = -1};
	fc->held = 0;
}

int fdcache_lookup(const struct fdcache *fc, int num, uint32_t tag, mode_t *type)
{
	const struct fdcache_entry *e;

	if (num < 0 || !(tag & LSCA_FD_TAGGED))
		return -1;
	e = slot_of(fc, num);
	if (e->num != num || e->tag != tag)
		return -1;
	*type = e->type;
	return e->fd;
}

int fdcache_keep(struct fdcache *fc, int num, uint32_t tag, int fd, mode_t type, bool plain)
{
	struct fdcache_entry *e;

	if (num < 0 || !(tag & LSCA_FD_TAGGED)) {
		close(fd);
		return -1;
	}
	e = slot_of(fc, num);
	drop(fc, e); /* another number, or this one under an older tag */
	*e = (struct fdcache_entry){.num = num, .tag = tag, .fd = fd, .type = type, .plain = plain};
	fc->held++;
	return fd;
}

bool fdcache_plain(const struct fdcache *fc, int num, uint32_t tag)
{
	mode_t type;

	return fdcache_lookup(fc, num, tag, &type) >= 0 && slot_of(fc, num)->plain;
}

void fdcache_forget(struct fdcache *fc, uint64_t lo, uint64_t hi)
{
	for (unsigned i = 0; fc->held && i < FDCACHE_SIZE; i++)
		if (fc->e[i].num >= 0 && (uint64_t)fc->e[i].num >= lo &&
		    (uint64_t)fc->e[i].num <= hi)
			drop(fc, &fc->e[i]);
}

void fdcache_clear(struct fdcache *fc)
{
	fdcache_forget(fc, 0, UINT64_MAX);
}
