/* SPDX-License-Identifier: MIT */
#include "fdtag.h"

#include <stdatomic.h>
#include <sys/syscall.h>

#include "../common/proto.h"
#include "../common/sysdesc.h"
#include "shim.h"
#include "sud.h"

static _Atomic uint32_t gen[FDTAG_MAX];
static _Atomic uint8_t held[FDTAG_MAX];
static _Atomic bool off; /* sticky: a fork keeps it, the fd table may still be shared */

uint32_t fdtag_of(int fd)
{
	if (fd < 0 || fd >= FDTAG_MAX || !atomic_load_explicit(&sud_on, memory_order_relaxed) ||
	    atomic_load_explicit(&off, memory_order_relaxed))
		return 0;
	return LSCA_FD_TAGGED |
	       (atomic_load_explicit(&gen[fd], memory_order_acquire) & ~LSCA_FD_TAGGED);
}

void fdtag_held(const struct lsca_sysdesc *d, const long *a)
{
	for (unsigned i = 0; i < LSCA_MAX_ARGS; i++)
		if ((d->kinds[i] == LSCA_A_FD || d->kinds[i] == LSCA_A_DIRFD) && (int)a[i] >= 0 &&
		    (int)a[i] < FDTAG_MAX &&
		    !atomic_load_explicit(&held[(int)a[i]], memory_order_relaxed))
			atomic_store_explicit(&held[(int)a[i]], 1, memory_order_relaxed);
}

bool fdtag_frees(long nr, const long *a, int *lo, int *hi)
{
	unsigned l, h;

	/* a negative int is a huge unsigned: no fd of ours */
	if (!lsca_frees_fds(nr, a, &l, &h) || l >= FDTAG_MAX)
		return false;
	*lo = (int)l;
	*hi = h >= FDTAG_MAX ? FDTAG_MAX - 1 : (int)h;
	return true;
}

bool fdtag_any_held(int lo, int hi)
{
	for (int fd = lo; fd <= hi; fd++)
		if (atomic_load_explicit(&held[fd], memory_order_relaxed))
			return true;
	return false;
}

void fdtag_freed(int lo, int hi)
{
	/* after the free: a call that read the old tag still names the old
	 * file, one that reads the new tag cannot be given it */
	for (int fd = lo; fd <= hi; fd++) {
		atomic_store_explicit(&held[fd], 0, memory_order_relaxed);
		atomic_fetch_add_explicit(&gen[fd], 1, memory_order_release);
	}
}

void fdtag_attached(void)
{
	for (int fd = 0; fd < FDTAG_MAX; fd++)
		atomic_store_explicit(&held[fd], 0, memory_order_relaxed);
}

void fdtag_forget_all(void)
{
	if (!fdtag_any_held(0, FDTAG_MAX - 1))
		return;
	shim_pseudo_call(LSCA_NR_FORGET, 0, FDTAG_MAX - 1);
	fdtag_attached(); /* the numbers keep their meaning: no new tags */
}

void fdtag_disable(void)
{
	if (!atomic_exchange(&off, true))
		fdtag_forget_all();
}
