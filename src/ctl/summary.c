/* SPDX-License-Identifier: MIT */
#include "summary.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>

static const struct lsca_summary *sort_base;

static int by_calls(const void *a, const void *b)
{
	uint64_t x = sort_base->op[*(const unsigned *)a].calls;
	uint64_t y = sort_base->op[*(const unsigned *)b].calls;

	return x < y ? 1 : x > y ? -1 : 0;
}

static void row(FILE *f, const char *name, const struct lsca_stat *o)
{
	fprintf(f,
		"%-16s %10" PRIu64 " %8" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64
		" %12.3f %10.2f\n",
		name, o->calls, o->errors, o->calls - o->direct - o->observed, o->observed,
		o->direct, (double)o->ns / 1e6,
		o->calls ? (double)o->ns / (double)o->calls / 1e3 : 0.0);
}

static void rule(FILE *f)
{
	fprintf(f, "%-16s %10s %8s %10s %10s %10s %12s %10s\n", "----------------", "----------",
		"--------", "----------", "----------", "----------", "------------", "----------");
}

void summary_print(FILE *f, const struct lsca_summary *s)
{
	unsigned order[LSCA_NOPS];
	struct lsca_stat total = {0};

	for (unsigned i = 0; i < LSCA_NOPS; i++)
		order[i] = i;
	sort_base = s;
	qsort(order, LSCA_NOPS, sizeof(order[0]), by_calls);
	fprintf(f,
		"lsca: %" PRIu64 " process%s attached; proxied calls ran in lscad, observed "
		"and direct ones in the process (observed ones were shown to lscad)\n",
		s->clients, s->clients == 1 ? "" : "es");
	if (s->complete || s->entry)
		fprintf(f,
			"interception: complete (%" PRIu64 " process%s), entry-points (%" PRIu64
			" process%s)\n",
			s->complete, s->complete == 1 ? "" : "es", s->entry,
			s->entry == 1 ? "" : "es");
	fprintf(f, "%-16s %10s %8s %10s %10s %10s %12s %10s\n", "syscall", "calls", "errors",
		"proxied", "observed", "direct", "total ms", "mean us");
	rule(f);
	for (unsigned i = 0; i < LSCA_NOPS; i++) {
		const struct lsca_stat *o = &s->op[order[i]];

		if (!o->calls)
			continue;
		row(f, lsca_sysdesc_op(order[i])->name, o);
		total.calls += o->calls;
		total.errors += o->errors;
		total.direct += o->direct;
		total.observed += o->observed;
		total.ns += o->ns;
	}
	rule(f);
	row(f, "total", &total);
}

void summary_print_json(FILE *f, const struct lsca_summary *s)
{
	unsigned order[LSCA_NOPS];
	bool first = true;

	for (unsigned i = 0; i < LSCA_NOPS; i++)
		order[i] = i;
	sort_base = s;
	qsort(order, LSCA_NOPS, sizeof(order[0]), by_calls);
	fprintf(f,
		"{\"processes\": %" PRIu64 ", \"interception\": {\"complete\": %" PRIu64
		", \"entry-points\": %" PRIu64 "}, \"syscalls\": [",
		s->clients, s->complete, s->entry);
	for (unsigned i = 0; i < LSCA_NOPS; i++) {
		const struct lsca_stat *o = &s->op[order[i]];

		if (!o->calls)
			continue;
		/* syscall names are plain identifiers: no escaping needed */
		fprintf(f,
			"%s{\"syscall\": \"%s\", \"calls\": %" PRIu64 ", \"errors\": %" PRIu64
			", \"proxied\": %" PRIu64 ", \"observed\": %" PRIu64
			", \"direct\": %" PRIu64 ", \"total_ns\": %" PRIu64 "}",
			first ? "" : ", ", lsca_sysdesc_op(order[i])->name, o->calls, o->errors,
			o->calls - o->direct - o->observed, o->observed, o->direct, o->ns);
		first = false;
	}
	fprintf(f, "]}\n");
}
