/* SPDX-License-Identifier: proprietary */
/*
 * Part of the mcpx-plain-server program (not the library): writes the exit
 * report to the FILE main.c passes. JSON shape, documented in
 * docs/floor-control.md:
 * {"clean":bool,"duration_ms":N,"totals":{STATS},
 *  "groups":[{"name":..,"private":bool,"media_port":N,"floor_port":N,
 *             "floor_state":..,"unknown_source":N,
 *             "members":[{"name":..,STATS}]}]}
 * STATS = "rtp_in","rtp_out","floor_in","floor_out",
 *         "floor_in_by_type":{TYPE:N},"floor_out_by_type":{TYPE:N},
 *         "drops":{REASON:N},"decode_errors":{FC_E name:N}; zero entries omitted.
 */
#include <inttypes.h>
#include <string.h>

#include "plain_server_report.h"

/* JSON string body: names and IDs are printable, but escape anyway. */
static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
json_map_types(FILE *f, const char *key, const uint64_t v[FC_T_COUNT])
{
	const char *sep = "";
	unsigned int i;

	fprintf(f, ",\"%s\":{", key);
	for (i = 0; i < FC_T_COUNT; i++) {
		if (v[i] == 0)
			continue;
		fprintf(f, "%s", sep);
		json_str(f, fc_type_name(i));
		fprintf(f, ":%" PRIu64, v[i]);
		sep = ",";
	}
	fputc('}', f);
}

static void
json_stats(FILE *f, const struct ps_stats *st)
{
	const char *sep = "";
	unsigned int i;

	fprintf(f, "\"rtp_in\":%" PRIu64 ",\"rtp_out\":%" PRIu64 ",\"floor_in\":%" PRIu64
		   ",\"floor_out\":%" PRIu64, st->rtp_in, st->rtp_out, st->floor_in,
		st->floor_out);
	json_map_types(f, "floor_in_by_type", st->floor_in_type);
	json_map_types(f, "floor_out_by_type", st->floor_out_type);
	fprintf(f, ",\"drops\":{");
	for (i = 0; i < PS_DROP_COUNT; i++) {
		if (st->drops[i] == 0)
			continue;
		fprintf(f, "%s\"%s\":%" PRIu64, sep, ps_drop_name(i), st->drops[i]);
		sep = ",";
	}
	fprintf(f, "},\"decode_errors\":{");
	sep = "";
	for (i = 1; i < FC_E_COUNT; i++) {
		if (st->decode_err[i] == 0)
			continue;
		fprintf(f, "%s\"%s\":%" PRIu64, sep, fc_errname((int)i), st->decode_err[i]);
		sep = ",";
	}
	fputc('}', f);
}

void
ps_report_json(const struct ps_server *ps, FILE *f)
{
	struct ps_stats tot;
	unsigned int g, i;

	ps_totals(ps, &tot);
	fprintf(f, "{\"clean\":%s,\"duration_ms\":%" PRIu64 ",\"totals\":{",
		ps_clean(ps) ? "true" : "false", ps->stopped_ms - ps->started_ms);
	json_stats(f, &tot);
	fprintf(f, "},\"groups\":[");
	for (g = 0; g < ps->n_groups; g++) {
		const struct ps_group *gr = &ps->group[g];

		fprintf(f, "%s{\"name\":", g != 0 ? "," : "");
		json_str(f, gr->name);
		fprintf(f, ",\"private\":%s,\"media_port\":%u,\"floor_port\":%u"
			   ",\"floor_state\":\"%s\",\"unknown_source\":%" PRIu64 ",\"members\":[",
			gr->private_call ? "true" : "false", gr->media_port, gr->floor_port,
			fc_srv_state_name(gr->fsm.state), gr->other.drops[PS_DROP_UNKNOWN_SOURCE]);
		for (i = 0; i < gr->n_members; i++) {
			fprintf(f, "%s{\"name\":", i != 0 ? "," : "");
			json_str(f, gr->member[i].name);
			fputc(',', f);
			json_stats(f, &gr->member[i].st);
			fputc('}', f);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
}

static void
text_types(FILE *f, const char *what, const uint64_t v[FC_T_COUNT])
{
	unsigned int i;

	for (i = 0; i < FC_T_COUNT; i++)
		if (v[i] != 0)
			fprintf(f, "      floor %s %-30s %" PRIu64 "\n", what, fc_type_name(i),
				v[i]);
}

static void
text_stats(FILE *f, const char *name, const struct ps_stats *st)
{
	unsigned int i;

	fprintf(f, "    %-24s rtp in %" PRIu64 " out %" PRIu64 ", floor in %" PRIu64
		   " out %" PRIu64 "\n", name, st->rtp_in, st->rtp_out, st->floor_in,
		st->floor_out);
	text_types(f, "in ", st->floor_in_type);
	text_types(f, "out", st->floor_out_type);
	for (i = 0; i < PS_DROP_COUNT; i++)
		if (st->drops[i] != 0)
			fprintf(f, "      drop %-20s %" PRIu64 "  (%s)\n", ps_drop_name(i),
				st->drops[i], ps_drop_desc(i));
	for (i = 1; i < FC_E_COUNT; i++)
		if (st->decode_err[i] != 0)
			fprintf(f, "      decode error %-16s %" PRIu64 "  (%s)\n",
				fc_errname((int)i), st->decode_err[i], fc_strerror((int)i));
}

void
ps_report_text(const struct ps_server *ps, FILE *f)
{
	unsigned int g, i;

	fprintf(f, "mcpx-plain-server: %.1f s, %s\n",
		(double)(ps->stopped_ms - ps->started_ms) / 1000.0,
		ps_clean(ps) ? "clean (no malformed or unexpected input)" :
			       "MALFORMED OR UNEXPECTED INPUT SEEN");
	for (g = 0; g < ps->n_groups; g++) {
		const struct ps_group *gr = &ps->group[g];

		fprintf(f, "  %s %s: media port %u, floor port %u, floor %s\n",
			gr->private_call ? "private call" : "group", gr->name, gr->media_port,
			gr->floor_port, fc_srv_state_name(gr->fsm.state));
		for (i = 0; i < gr->n_members; i++)
			text_stats(f, gr->member[i].name, &gr->member[i].st);
		if (gr->other.drops[PS_DROP_UNKNOWN_SOURCE] != 0)
			text_stats(f, "(unknown sources)", &gr->other);
	}
}
