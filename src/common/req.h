/* SPDX-License-Identifier: MIT */
/*
 * req.h - encoding a call into a slot (shim) and decoding the daemon's
 * private copy back into a call (daemon), both driven by sysdesc.h.
 *
 * Pointer arguments never cross as addresses: inputs (paths, write
 * buffers) travel as offsets into the slot's data area, outputs always land
 * at offset 0 of it. The decoder trusts nothing: every offset, length and
 * terminator is checked against the private copy.
 */
#ifndef LSCA_REQ_H
#define LSCA_REQ_H

#include <lsca/plugin.h>
#include <stdint.h>

#include "proto.h"
#include "sysdesc.h"

/* Fill a slot and its data area (capacity cap) for a call without chunked
 * buffers: paths and input buffers are copied in, outputs get offset 0 (an
 * output buffer at most cap bytes), pointers lscad never sees (kind NONE)
 * are 0, the rest passes as is. Returns 0, or -ENOSPC when the inputs do
 * not fit. */
int lsca_req_encode(const struct lsca_sysdesc *d, const long *args, struct lsca_slot *s,
		    unsigned char *data, uint32_t cap);

/* The one read of a submitted slot into private memory. */
void lsca_req_read(const struct lsca_slot *s, struct lsca_req *req);

/* Turn a private copy of a request into a call: pointer arguments become
 * pointers into in (inputs, in_len bytes) or out (outputs, out_cap bytes).
 * Returns 0, or -EFAULT / -ENAMETOOLONG for a request that does not hold
 * together. */
int lsca_req_decode(const struct lsca_sysdesc *d, const struct lsca_req *req,
		    const unsigned char *in, uint32_t in_len, unsigned char *out, uint32_t out_cap,
		    struct lsca_call *call);

#endif /* LSCA_REQ_H */
