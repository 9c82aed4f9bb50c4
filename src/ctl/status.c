/* SPDX-License-Identifier: MIT */
/*
 * status.c - lscactl status, clients and stats: lscad's Status, Clients and
 * Stats methods, laid out for a person (status like `systemctl status`)
 * or as JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define ROW_TYPE "(sttttttt)"

struct row {
	const char *name;
	guint64 calls, errors, direct, observed, ns, p50, p99;
};

/* Colour only on a terminal, and never when $NO_COLOR is set. */
static bool use_colour(void)
{
	return isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
}

/* "2 days 3h", "3min 12s", "5s": the two largest units, as systemd does. */
static void format_span(char *buf, size_t len, guint64 s)
{
	static const struct {
		guint64 s;
		const char *unit;
	} units[] = {{86400, " days"}, {3600, "h"}, {60, "min"}, {1, "s"}};
	size_t off = 0;
	unsigned shown = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < 4 && shown < 2; i++) {
		guint64 n = s / units[i].s;

		if (!n && !(i == 3 && !shown))
			continue;
		if (i == 0 && n == 1)
			off += (size_t)snprintf(buf + off, len - off, "%s1 day", shown ? " " : "");
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%" PRIu64 "%s",
						shown ? " " : "", n, units[i].unit);
		s -= n * units[i].s;
		shown++;
		if (off >= len)
			break;
	}
}

/* A latency bucket bound: "8us", "1.0ms", ">4.2s"; "-" when none. */
static void format_ns(char *buf, size_t len, guint64 ns)
{
	if (!ns)
		snprintf(buf, len, "-");
	else if (ns == UINT64_MAX)
		snprintf(buf, len, ">4.2s");
	else if (ns < 1000000)
		snprintf(buf, len, "%" PRIu64 "us", ns / 1000);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.1fs", (double)ns / 1e9);
}

/* JSON: null for no measurement; above the last bucket, its lower bound. */
static void json_ns(const char *key, guint64 ns)
{
	if (!ns)
		printf("\"%s\": null", key);
	else
		printf("\"%s\": %" PRIu64, key, ns == UINT64_MAX ? (guint64)4194304000u : ns);
}

static void json_row(const struct row *r)
{
	printf("{\"syscall\": ");
	ctl_json_str(r->name);
	printf(", \"calls\": %" PRIu64 ", \"errors\": %" PRIu64 ", \"proxied\": %" PRIu64
	       ", \"observed\": %" PRIu64 ", \"direct\": %" PRIu64 ", \"total_ns\": %" PRIu64 ", ",
	       r->calls, r->errors, r->calls - r->direct - r->observed, r->observed, r->direct,
	       r->ns);
	json_ns("p50_ns", r->p50);
	printf(", ");
	json_ns("p99_ns", r->p99);
	printf("}");
}

static void table_head(const char *indent)
{
	printf("%s%-16s %10s %8s %10s %10s %10s %10s %8s %8s\n", indent, "SYSCALL", "CALLS",
	       "ERRORS", "PROXIED", "OBSERVED", "DIRECT", "MEAN", "P50", "P99");
}

static void table_row(const char *indent, const struct row *r)
{
	char mean[16], p50[16], p99[16];

	/* the mean covers every call, direct ones included (the shim's clock) */
	format_ns(mean, sizeof(mean), r->calls ? r->ns / r->calls : 0);
	if (r->calls && r->ns / r->calls < 1000)
		snprintf(mean, sizeof(mean), "%" PRIu64 "ns", r->ns / r->calls);
	format_ns(p50, sizeof(p50), r->p50);
	format_ns(p99, sizeof(p99), r->p99);
	printf("%s%-16s %10" PRIu64 " %8" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64
	       " %10s %8s %8s\n",
	       indent, r->name, r->calls, r->errors, r->calls - r->direct - r->observed,
	       r->observed, r->direct, mean, p50, p99);
}

static bool next_row(GVariantIter *it, struct row *r)
{
	return g_variant_iter_next(it, "(&sttttttt)", &r->name, &r->calls, &r->errors, &r->direct,
				   &r->observed, &r->ns, &r->p50, &r->p99);
}

/* ---- status ---- */

static void status_not_running(const struct ctl_opts *o, const char *why)
{
	if (o->json) {
		printf("{\"running\": false, \"control\": ");
		ctl_json_str(o->control);
		printf(", \"error\": ");
		ctl_json_str(why);
		printf("}\n");
		return;
	}
	printf("\u25cb lscad - LSCA system call agent\n"
	       "     Active: inactive (cannot reach %s: %s)\n",
	       o->control, why);
}

int ctl_status(int argc, char **argv)
{
	struct ctl_opts o;
	GVariant *v, *dict, *top;
	GVariantIter *it;
	const char *version = "", *config = "", *interception = "";
	guint32 pid = 0, plugins = 0, workers = 0, clients = 0;
	guint64 uptime = 0, calls = 0, proxied = 0, observed = 0, direct = 0, errors = 0;
	double rate = 0;
	char *err = NULL, span[64];
	bool colour;
	struct row r;
	int n = ctl_parse(argc, argv, "status", "status [--control PATH] [--json]", CTL_OPT_CONTROL,
			  &o);

	if (n <= 0 || (n = ctl_no_args(&o, "status")) < 0)
		return -n;
	v = ctl_call_quiet(&o, "Status", "(a{sv})", &err);
	if (!v) {
		status_not_running(&o, err);
		g_free(err);
		return CTL_EXIT_UNREACHABLE;
	}
	dict = g_variant_get_child_value(v, 0);
	g_variant_lookup(dict, "version", "&s", &version);
	g_variant_lookup(dict, "pid", "u", &pid);
	g_variant_lookup(dict, "uptime", "t", &uptime);
	g_variant_lookup(dict, "config", "&s", &config);
	g_variant_lookup(dict, "interception", "&s", &interception);
	g_variant_lookup(dict, "plugins", "u", &plugins);
	g_variant_lookup(dict, "workers", "u", &workers);
	g_variant_lookup(dict, "clients", "u", &clients);
	g_variant_lookup(dict, "calls_per_second", "d", &rate);
	g_variant_lookup(dict, "calls", "t", &calls);
	g_variant_lookup(dict, "proxied", "t", &proxied);
	g_variant_lookup(dict, "observed", "t", &observed);
	g_variant_lookup(dict, "direct", "t", &direct);
	g_variant_lookup(dict, "errors", "t", &errors);
	top = g_variant_lookup_value(dict, "top", G_VARIANT_TYPE("a" ROW_TYPE));
	it = g_variant_iter_new(top ? top : g_variant_new_array(G_VARIANT_TYPE(ROW_TYPE), NULL, 0));
	if (o.json) {
		bool first = true;

		printf("{\"running\": true, \"version\": ");
		ctl_json_str(version);
		printf(", \"pid\": %u, \"uptime_s\": %" PRIu64 ", \"config\": ", pid, uptime);
		if (*config)
			ctl_json_str(config);
		else
			printf("null");
		printf(", \"interception\": ");
		ctl_json_str(interception);
		printf(", \"plugins\": %u, \"workers\": %u, \"clients\": %u, "
		       "\"calls_per_second\": %.1f, \"calls\": %" PRIu64 ", \"proxied\": %" PRIu64
		       ", \"observed\": %" PRIu64 ", \"direct\": %" PRIu64 ", \"errors\": %" PRIu64
		       ", \"top\": [",
		       plugins, workers, clients, rate, calls, proxied, observed, direct, errors);
		while (next_row(it, &r)) {
			printf("%s", first ? "" : ", ");
			json_row(&r);
			first = false;
		}
		printf("]}\n");
	} else {
		colour = use_colour();
		format_span(span, sizeof(span), uptime);
		printf("%s\u25cf%s lscad %s - LSCA system call agent\n",
		       colour ? "\033[0;1;32m" : "", colour ? "\033[0m" : "", version);
		printf("      Loaded: %s; %u plugin%s\n", *config ? config : "built-in defaults",
		       plugins, plugins == 1 ? "" : "s");
		printf("      Active: %sactive (running)%s for %s; pid %u\n",
		       colour ? "\033[0;1;32m" : "", colour ? "\033[0m" : "", span, pid);
		printf("Interception: %s\n", interception);
		printf("     Clients: %u attached, %u worker%s\n", clients, workers,
		       workers == 1 ? "" : "s");
		printf("       Calls: %.1f/s; %" PRIu64 " since the last reset: %" PRIu64
		       " proxied, %" PRIu64 " observed, %" PRIu64 " direct\n",
		       rate, calls, proxied, observed, direct);
		printf("      Errors: %s%" PRIu64 "%s\n", colour && errors ? "\033[0;1;31m" : "",
		       errors, colour && errors ? "\033[0m" : "");
		if (g_variant_iter_n_children(it)) {
			printf("\n");
			table_head("");
			while (next_row(it, &r))
				table_row("", &r);
		}
	}
	g_variant_iter_free(it);
	if (top)
		g_variant_unref(top);
	g_variant_unref(dict);
	g_variant_unref(v);
	return 0;
}

/* ---- clients ---- */

int ctl_clients(int argc, char **argv)
{
	struct ctl_opts o;
	GVariantIter *it;
	GVariant *v;
	const char *comm, *exe, *unit, *mode, *why, *icpt;
	guint32 pid, uid, inflight;
	guint64 calls;
	bool first = true;
	int n = ctl_parse(argc, argv, "clients", "clients [--control PATH] [--json]",
			  CTL_OPT_CONTROL, &o);

	if (n <= 0 || (n = ctl_no_args(&o, "clients")) < 0)
		return -n;
	v = ctl_call(&o, "Clients", "(a(ussusssstu))");
	if (!v)
		return CTL_EXIT_UNREACHABLE;
	g_variant_get(v, "(a(ussusssstu))", &it);
	if (o.json)
		printf("[");
	else
		printf("%-8s %-16s %6s %-24s %-12s %-13s %10s %9s\n", "PID", "COMM", "UID", "UNIT",
		       "MODE", "INTERCEPTION", "CALLS", "IN-FLIGHT");
	while (g_variant_iter_next(it, "(u&s&su&s&s&s&stu)", &pid, &comm, &exe, &uid, &unit, &mode,
				   &why, &icpt, &calls, &inflight)) {
		if (o.json) {
			printf("%s{\"pid\": %u, \"comm\": ", first ? "" : ", ", pid);
			ctl_json_str(comm);
			printf(", \"exe\": ");
			ctl_json_str(exe);
			printf(", \"uid\": %u, \"unit\": ", uid);
			if (*unit)
				ctl_json_str(unit);
			else
				printf("null");
			printf(", \"mode\": ");
			ctl_json_str(mode);
			printf(", \"reason\": ");
			if (*why)
				ctl_json_str(why);
			else
				printf("null");
			printf(", \"interception\": ");
			if (*icpt)
				ctl_json_str(icpt);
			else
				printf("null");
			printf(", \"calls\": %" PRIu64 ", \"in_flight\": %u}", calls, inflight);
		} else {
			printf("%-8u %-16s %6u %-24s %-12s %-13s %10" PRIu64 " %9u%s%s\n", pid,
			       comm, uid, *unit ? unit : "-", mode, *icpt ? icpt : "-", calls,
			       inflight, *why ? "  " : "", why);
		}
		first = false;
	}
	if (o.json)
		printf("]\n");
	g_variant_iter_free(it);
	g_variant_unref(v);
	return 0;
}

/* ---- stats ---- */

int ctl_stats(int argc, char **argv)
{
	struct ctl_opts o;
	GVariantIter *it;
	GVariant *v;
	guint64 secs;
	struct row r, total = {.name = "total"};
	bool first = true;
	char span[64];
	int n = ctl_parse(argc, argv, "stats", "stats [--reset] [--control PATH] [--json]",
			  CTL_OPT_CONTROL | CTL_OPT_RESET, &o);

	if (n <= 0 || (n = ctl_no_args(&o, "stats")) < 0)
		return -n;
	v = ctl_call(&o, "Stats", "(ta" ROW_TYPE ")");
	if (!v)
		return CTL_EXIT_UNREACHABLE;
	g_variant_get(v, "(ta" ROW_TYPE ")", &secs, &it);
	if (o.json) {
		printf("{\"seconds\": %" PRIu64 ", \"syscalls\": [", secs);
	} else {
		format_span(span, sizeof(span), secs);
		printf("Since %s (start or last reset); proxied calls ran in lscad, observed and "
		       "direct ones in the process; p50/p99 as lscad measured them\n",
		       span);
		table_head("");
	}
	while (next_row(it, &r)) {
		if (o.json) {
			printf("%s", first ? "" : ", ");
			json_row(&r);
		} else {
			table_row("", &r);
		}
		total.calls += r.calls;
		total.errors += r.errors;
		total.direct += r.direct;
		total.observed += r.observed;
		total.ns += r.ns;
		first = false;
	}
	g_variant_iter_free(it);
	g_variant_unref(v);
	if (o.json) {
		printf("], \"total\": ");
		json_row(&total);
	} else {
		table_row("", &total);
	}
	if (o.reset) {
		v = ctl_call(&o, "ResetStats", "()");
		if (!v) {
			if (o.json)
				printf("}\n");
			return CTL_EXIT_UNREACHABLE;
		}
		g_variant_unref(v);
		if (!o.json)
			printf("Statistics reset.\n");
	}
	if (o.json)
		printf(", \"reset\": %s}\n", o.reset ? "true" : "false");
	return 0;
}
