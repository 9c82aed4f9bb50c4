/* SPDX-License-Identifier: MIT */
#include "req.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

int lsca_req_encode(const struct lsca_sysdesc *d, const long *a, struct lsca_slot *req,
		    unsigned char *data, uint32_t cap)
{
	uint32_t off = 0;

	for (unsigned i = 0; i < LSCA_MAX_ARGS; i++) {
		size_t n;

		if ((d->kinds[i] == LSCA_A_INBUF || d->kinds[i] == LSCA_A_OUTBUF) &&
		    i + 1 >= LSCA_MAX_ARGS)
			return -EINVAL; /* a buffer's length is the next argument */
		switch (d->kinds[i]) {
		case LSCA_A_PATH:
		case LSCA_A_STRING:
			if (!a[i] && d->kinds[i] == LSCA_A_PATH && (d->flags & LSCA_S_NULLPATH) &&
			    i > 0 && d->kinds[i - 1] == LSCA_A_DIRFD && (int)a[i - 1] != AT_FDCWD) {
				req->args[i] = LSCA_ARG_NULL; /* futimens: the fd before it */
				break;
			}
			if (!a[i])
				return -EFAULT; /* the kernel's answer, from the process */
			n = strlen((const char *)a[i]) + 1;
			if (n > cap - off)
				return -ENOSPC;
			memcpy(data + off, (const char *)a[i], n);
			req->args[i] = off;
			off += (uint32_t)n;
			break;
		case LSCA_A_INBUF:
			n = (size_t)a[i + 1];
			if (n > cap - off)
				return -ENOSPC;
			if (n && !a[i])
				return -EFAULT;
			if (n)
				memcpy(data + off, (const void *)a[i], n);
			req->args[i] = off;
			off += (uint32_t)n;
			break;
		case LSCA_A_TIMES:
			if (!a[i]) {
				req->args[i] = LSCA_ARG_NULL; /* both "now" */
				break;
			}
			off = (off + 7) & ~7u; /* a plugin reads the struct in place */
			n = lsca_argkind_size(LSCA_A_TIMES);
			if (off > cap || n > cap - off)
				return -ENOSPC;
			memcpy(data + off, (const void *)a[i], n);
			req->args[i] = off;
			off += (uint32_t)n;
			break;
		case LSCA_A_OUTBUF:
			/* an xattr value cut to the slot would be ERANGE: such a
			 * call runs in the process (none is larger than 64 KiB) */
			if ((d->flags & LSCA_S_EXACT) && (size_t)a[i + 1] > cap && cap < 65536)
				return -ENOSPC;
			/* at most a slot's worth: a getdents64 or readlink
			 * that gets less answers with less, as it may */
			req->args[i] = 0;
			req->args[i + 1] = (size_t)a[i + 1] < cap ? (uint64_t)a[i + 1] : cap;
			i++;
			break;
		case LSCA_A_NONE:
		case LSCA_A_STAT:
		case LSCA_A_STATX:
		case LSCA_A_STATFS:
			req->args[i] = 0; /* never a client address */
			break;
		default:
			req->args[i] = (uint64_t)a[i];
			break;
		}
	}
	req->nr = (uint16_t)d->nr;
	req->data_len = off;
	return 0;
}

void lsca_req_read(const struct lsca_slot *s, struct lsca_req *req)
{
	req->nr = s->nr;
	req->seq = s->seq;
	req->data_len = s->data_len;
	req->cpu = s->cpu;
	memcpy(req->args, s->args, sizeof(req->args));
}

int lsca_req_decode(const struct lsca_sysdesc *desc, const struct lsca_req *req,
		    const unsigned char *in, uint32_t in_len, unsigned char *out, uint32_t out_cap,
		    struct lsca_call *call)
{
	for (unsigned i = 0; i < LSCA_MAX_ARGS; i++) {
		uint64_t a = req->args[i], len;
		size_t n;

		call->kinds[i] = desc->kinds[i];
		switch (desc->kinds[i]) {
		case LSCA_A_NONE:
			call->args[i] = 0;
			break;
		case LSCA_A_PATH:
		case LSCA_A_STRING:
			if (a == LSCA_ARG_NULL && desc->kinds[i] == LSCA_A_PATH &&
			    (desc->flags & LSCA_S_NULLPATH) && i > 0 &&
			    desc->kinds[i - 1] == LSCA_A_DIRFD &&
			    (int)req->args[i - 1] != AT_FDCWD) {
				call->args[i] = 0; /* acts on the fd before it */
				break;
			}
			if (a >= in_len)
				return -EFAULT;
			n = strnlen((const char *)in + a, in_len - a);
			if (n == in_len - a)
				return -EFAULT; /* no terminator inside the data */
			if (n >= PATH_MAX && desc->kinds[i] == LSCA_A_PATH)
				return -ENAMETOOLONG;
			call->args[i] = (long)(in + a);
			break;
		case LSCA_A_TIMES:
			if (a == LSCA_ARG_NULL) {
				call->args[i] = 0;
				break;
			}
			len = lsca_argkind_size(LSCA_A_TIMES);
			if (a % 8 || a > in_len || len > in_len - a)
				return -EFAULT;
			call->args[i] = (long)(in + a);
			break;
		case LSCA_A_INBUF:
		case LSCA_A_IOVIN:
			len = i + 1 < LSCA_MAX_ARGS ? req->args[i + 1] : 0;
			if (a > in_len || len > in_len - a)
				return -EFAULT;
			call->args[i] = (long)(in + a);
			break;
		case LSCA_A_OUTBUF:
		case LSCA_A_IOVOUT:
			len = i + 1 < LSCA_MAX_ARGS ? req->args[i + 1] : 0;
			if (len > out_cap)
				return -EFAULT;
			call->args[i] = (long)out;
			break;
		case LSCA_A_STAT:
		case LSCA_A_STATX:
		case LSCA_A_STATFS:
			if (lsca_argkind_size(desc->kinds[i]) > out_cap)
				return -EFAULT;
			call->args[i] = (long)out;
			break;
		case LSCA_A_FD:
		case LSCA_A_DIRFD:
			call->args[i] = (long)(int)a; /* fd numbers are ints */
			break;
		default:
			call->args[i] = (long)a;
			break;
		}
	}
	call->nr = desc->nr;
	call->name = desc->name;
	return 0;
}
