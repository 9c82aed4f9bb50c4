/* SPDX-License-Identifier: MIT */
#include "statsfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int lsca_summary_write(const struct lsca_summary *s, const char *path)
{
	char tmp[4096];
	FILE *f;
	int r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "lsca-stats 3\nclients %" PRIu64 "\ninterception %" PRIu64 " %" PRIu64 "\n",
		s->clients, s->complete, s->entry);
	for (unsigned i = 0; i < LSCA_NOPS; i++) {
		const struct lsca_stat *o = &s->op[i];

		fprintf(f, "%s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			lsca_sysdesc_op(i)->name, o->calls, o->errors, o->direct, o->observed,
			o->ns);
	}
	if (fflush(f) != 0 || ferror(f))
		r = -errno;
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

int lsca_summary_read(struct lsca_summary *s, const char *path)
{
	char name[64];
	struct lsca_stat o;
	int version = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	memset(s, 0, sizeof(*s));
	if (fscanf(f, "lsca-stats %d clients %" SCNu64, &version, &s->clients) != 2 ||
	    version != 3 ||
	    fscanf(f, " interception %" SCNu64 " %" SCNu64, &s->complete, &s->entry) != 2) {
		fclose(f);
		return -EINVAL;
	}
	while (fscanf(f, "%63s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, name,
		      &o.calls, &o.errors, &o.direct, &o.observed, &o.ns) == 6) {
		for (unsigned i = 0; i < LSCA_NOPS; i++)
			if (!strcmp(lsca_sysdesc_op(i)->name, name))
				s->op[i] = o;
	}
	fclose(f);
	return 0;
}
