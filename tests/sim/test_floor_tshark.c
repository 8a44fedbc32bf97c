/* SPDX-License-Identifier: proprietary */
/*
 * Cross-check of sim/floor/fc_codec.c against an independent decoder:
 * Wireshark's RTCP dissector (packet-rtcp.c, "MCPT" APP). Every coded message
 * type, with and without the acknowledgement bit, carrying every coded field,
 * goes into a pcap of Ethernet/IPv4/UDP frames (checksums computed here);
 * tshark must decode each as MCPTT floor control with every field at the
 * value we encoded, verify both checksums, and raise no expert info and no
 * "Malformed". Without tshark the test fails and names the package.
 *
 * Known divergence (docs/floor-control.md): Wireshark pads the Track Info
 * Participant Type with 4 octets when its length is a multiple of 4 (also 0);
 * the digest says "padded to 4", so our encoder pads 0 octets there. The
 * samples use a 10-octet type ("dispatcher"), where both agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "fc_codec.h"
#include "fc_samples.h"
#include "pcap_write.h"

#define RTCP_PORT	5005
#define MAX_FRAMES	32

TestSuite(sim_floor_tshark, .timeout = 120);

/* The tshark fields we ask for, in column order. */
static const char *const cols[] = {
	"frame.number",
	"rtcp.app.name",
	"rtcp.app.subtype",
	"rtcp.ssrc.identifier",
	"rtcp.mcptt.fld_id",
	"rtcp.app_data.mcptt.priority",
	"rtcp.app_data.mcptt.duration",
	"rtcp.app_data.mcptt.rej_cause",
	"rtcp.app_data.mcptt.rej_cause.floor_deny",
	"rtcp.app_data.mcptt.rej_cause.floor_revoke",
	"rtcp.mcptt.rej_phrase",
	"rtcp.app_data.mcptt.queue_pos_inf",
	"rtcp.app_data.mcptt.queue_pri_lev",
	"rtcp.mcptt.granted_partys_id",
	"rtcp.app_data.mcptt.perm_to_req_floor",
	"rtcp.app_data.mcptt.user_id",
	"rtcp.app_data.mcptt.queue_size",
	"rtcp.app_data.mcptt.msg_seq_num",
	"rtcp.mcptt.queued_user_id",
	"rtcp.app_data.mcptt.source",
	"rtcp.app_data.mcptt.queueing_cap",
	"rtcp.app_data.mcptt.part_type_len",
	"rtcp.mcptt.participant_type",
	"rtcp.app_data.mcptt.floor_participant_ref",
	"rtcp.app_data.mcptt.msg_type",
	"rtcp.app_data.mcptt.floor_ind",
	"rtcp.app_data.mcptt.rtcp",
	"rtcp.length_check",
	"ip.checksum.status",
	"udp.checksum.status",
	"_ws.expert.message",
	"_ws.malformed",
};
#define N_COLS (sizeof(cols) / sizeof(cols[0]))

struct frame {
	struct fc_msg m[2];
	unsigned int n;		/* messages in this datagram */
};

static struct frame frames[MAX_FRAMES];
static unsigned int n_frames;

static int
have_tshark(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

static void
add_frame(FILE *f, const struct fc_msg *a, const struct fc_msg *b)
{
	uint8_t buf[1400];
	size_t len, len2 = 0;

	cr_assert_lt(n_frames, MAX_FRAMES);
	frames[n_frames].m[0] = *a;
	frames[n_frames].n = 1;
	cr_assert_eq(fc_encode(a, buf, sizeof(buf), &len), 0);
	if (b != NULL) {
		frames[n_frames].m[1] = *b;
		frames[n_frames].n = 2;
		cr_assert_eq(fc_encode(b, buf + len, sizeof(buf) - len, &len2), 0);
	}
	cr_assert_eq(pcap_write_udp4(f, 1700000000000000ull + n_frames * 20000ull, 0x0a000001u,
				     40001, 0x0a000002u, RTCP_PORT, buf, len + len2), 0);
	n_frames++;
}

static void
write_pcap(const char *path)
{
	struct fc_msg m, idle;
	FILE *f = fopen(path, "wb");
	size_t i;
	int ack;

	cr_assert_not_null(f);
	cr_assert_eq(pcap_write_header(f), 0);
	for (i = 0; i < fcs_n_types; i++) {
		for (ack = 0; ack <= 1; ack++) {
			if (ack && !(FC_ACKABLE_TYPES & (1u << fcs_types[i])))
				continue;
			fcs_full(&m, fcs_types[i], ack);
			add_frame(f, &m, NULL);
		}
	}
	/* two messages in one datagram (§8.1.1) */
	fcs_full(&m, FC_T_TAKEN, true);
	fc_msg_init(&idle, FC_T_IDLE, false, 0x55667788u);
	idle.present = FC_F_SEQ;
	idle.seq = 7;
	add_frame(f, &m, &idle);
	cr_assert_eq(fclose(f), 0);
}

static void
num(char *out, size_t cap, unsigned long v)
{
	snprintf(out, cap, "%lu", v);
}

/* The text tshark should print in column |c| for message |m|. */
static void
expected(const struct fc_msg *m, size_t c, unsigned int frame_no, char *out, size_t cap)
{
	const char *name = cols[c];
	uint8_t st = fc_msg_subtype(m);

	out[0] = '\0';
	if (!strcmp(name, "frame.number"))
		num(out, cap, frame_no);
	else if (!strcmp(name, "rtcp.app.name"))
		snprintf(out, cap, "MCPT");
	else if (!strcmp(name, "rtcp.app.subtype"))
		num(out, cap, st);
	else if (!strcmp(name, "rtcp.ssrc.identifier"))
		snprintf(out, cap, "0x%08lx", (unsigned long)m->ssrc);
	else if (!strcmp(name, "rtcp.mcptt.fld_id"))
		snprintf(out, cap, "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14");
	else if (!strcmp(name, "rtcp.app_data.mcptt.priority"))
		num(out, cap, m->priority);
	else if (!strcmp(name, "rtcp.app_data.mcptt.duration"))
		num(out, cap, m->duration);
	else if (!strcmp(name, "rtcp.app_data.mcptt.rej_cause.floor_deny") ? st == FC_T_DENY :
		 !strcmp(name, "rtcp.app_data.mcptt.rej_cause.floor_revoke") ? st == FC_T_REVOKE :
		 !strcmp(name, "rtcp.app_data.mcptt.rej_cause") ? st != FC_T_DENY &&
								  st != FC_T_REVOKE : false)
		num(out, cap, m->reject_cause);
	else if (!strcmp(name, "rtcp.mcptt.rej_phrase"))
		snprintf(out, cap, "%s", m->reject_phrase.s);
	else if (!strcmp(name, "rtcp.app_data.mcptt.queue_pos_inf"))
		num(out, cap, m->queue_pos);
	else if (!strcmp(name, "rtcp.app_data.mcptt.queue_pri_lev"))
		num(out, cap, m->queue_prio);
	else if (!strcmp(name, "rtcp.mcptt.granted_partys_id"))
		snprintf(out, cap, "%s", m->granted_party.s);
	else if (!strcmp(name, "rtcp.app_data.mcptt.perm_to_req_floor"))
		num(out, cap, m->permission);
	else if (!strcmp(name, "rtcp.app_data.mcptt.user_id"))
		snprintf(out, cap, "%s", m->user_id.s);
	else if (!strcmp(name, "rtcp.app_data.mcptt.queue_size"))
		num(out, cap, m->queue_size);
	else if (!strcmp(name, "rtcp.app_data.mcptt.msg_seq_num"))
		num(out, cap, m->seq);
	else if (!strcmp(name, "rtcp.mcptt.queued_user_id"))
		snprintf(out, cap, "%s", m->queued_user_id.s);
	else if (!strcmp(name, "rtcp.app_data.mcptt.source"))
		num(out, cap, m->source);
	else if (!strcmp(name, "rtcp.app_data.mcptt.queueing_cap"))
		num(out, cap, m->track.queueing_cap);
	else if (!strcmp(name, "rtcp.app_data.mcptt.part_type_len"))
		num(out, cap, m->track.participant_type.len);
	else if (!strcmp(name, "rtcp.mcptt.participant_type"))
		snprintf(out, cap, "%s", m->track.participant_type.s);
	else if (!strcmp(name, "rtcp.app_data.mcptt.floor_participant_ref"))
		snprintf(out, cap, "%lu,%lu", (unsigned long)m->track.refs[0],
			 (unsigned long)m->track.refs[1]);
	else if (!strcmp(name, "rtcp.app_data.mcptt.msg_type"))
		num(out, cap, FC_MSG_TYPE_SUBTYPE(m->msg_type));
	else if (!strcmp(name, "rtcp.app_data.mcptt.floor_ind"))
		num(out, cap, m->floor_ind);
	else if (!strcmp(name, "rtcp.app_data.mcptt.rtcp"))
		num(out, cap, m->granted_ssrc);
	else if (!strcmp(name, "rtcp.length_check") || !strcmp(name, "ip.checksum.status") ||
		 !strcmp(name, "udp.checksum.status"))
		snprintf(out, cap, "1");
	/* _ws.expert.message, _ws.malformed: must stay empty */
}

/* Split |line| on tabs into at most N_COLS columns (in place). */
static size_t
split(char *line, char *col[N_COLS])
{
	size_t n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < N_COLS) {
		col[n++] = p;
		p = strchr(p, '\t');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

static void
check_single(const struct fc_msg *m, unsigned int frame_no, char *col[N_COLS])
{
	char want[512];
	size_t c;

	for (c = 0; c < N_COLS; c++) {
		expected(m, c, frame_no, want, sizeof(want));
		cr_expect_str_eq(col[c], want, "frame %u (%s%s): %s is \"%s\", want \"%s\"",
				 frame_no, fc_type_name(m->type), m->ack_req ? ", ack req" : "",
				 cols[c], col[c], want);
	}
}

static void
check_pair(const struct frame *fr, unsigned int frame_no, char *col[N_COLS])
{
	char want[64];

	cr_expect_str_eq(col[1], "MCPT,MCPT", "frame %u names", frame_no);
	snprintf(want, sizeof(want), "%u,%u", fc_msg_subtype(&fr->m[0]), fc_msg_subtype(&fr->m[1]));
	cr_expect_str_eq(col[2], want, "frame %u subtypes", frame_no);
	cr_expect_str_eq(col[N_COLS - 2], "", "frame %u expert: %s", frame_no, col[N_COLS - 2]);
	cr_expect_str_eq(col[N_COLS - 1], "", "frame %u malformed", frame_no);
}

Test(sim_floor_tshark, every_message_every_field)
{
	char dir[] = "/tmp/mcpx-tshark-XXXXXX", pcap[128], cmd[4096], line[8192];
	char *col[N_COLS];
	unsigned int got = 0;
	size_t c, off;
	FILE *p;
	int st;

	cr_assert(have_tshark(), "tshark is not installed: install the Debian/Ubuntu package "
				 "'tshark' (apt-get install -y tshark); CI installs it");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(pcap, sizeof(pcap), "%s/floor.pcap", dir);
	write_pcap(pcap);

	off = (size_t)snprintf(cmd, sizeof(cmd),
			       "tshark -n -r %s -o ip.check_checksum:TRUE"
			       " -o udp.check_checksum:TRUE"
			       " -d udp.port==%d,rtcp -T fields -E separator=/t -E aggregator=,",
			       pcap, RTCP_PORT);
	for (c = 0; c < N_COLS; c++)
		off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, " -e %s", cols[c]);
	snprintf(cmd + off, sizeof(cmd) - off, " 2>%s/stderr", dir);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		cr_assert_lt(got, n_frames, "more frames than written");
		cr_assert_eq(split(line, col), N_COLS, "frame %u: short line", got + 1);
		if (frames[got].n == 1)
			check_single(&frames[got].m[0], got + 1, col);
		else
			check_pair(&frames[got], got + 1, col);
		got++;
	}
	st = pclose(p);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "tshark failed, see %s/stderr", dir);
	cr_assert_eq(got, n_frames, "tshark printed %u frames of %u", got, n_frames);
	cr_log_info("tshark decoded %u frames, every field matched", got);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}
