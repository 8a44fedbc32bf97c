/* SPDX-License-Identifier: proprietary */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include <criterion/criterion.h>

#include "fc_samples.h"

const enum fc_type fcs_types[] = {
	FC_T_REQUEST, FC_T_GRANTED, FC_T_TAKEN, FC_T_DENY, FC_T_RELEASE, FC_T_IDLE,
	FC_T_REVOKE, FC_T_QUEUE_POS_REQUEST, FC_T_QUEUE_POS_INFO, FC_T_ACK,
};
const size_t fcs_n_types = sizeof(fcs_types) / sizeof(fcs_types[0]);

static void
set(struct fc_str *s, const char *v)
{
	cr_assert_eq(fc_str_setz(s, v), 0);
}

void
fcs_full(struct fc_msg *m, enum fc_type t, bool ack)
{
	fc_msg_init(m, t, ack, 0x11223344u + (uint32_t)t);
	m->present = FC_F_ALL;
	m->priority = 7;
	m->duration = 30;
	m->reject_cause = t == FC_T_REVOKE ? FC_REVOKE_PREEMPTED : FC_DENY_QUEUE_FULL;
	set(&m->reject_phrase, "queue full");
	m->queue_pos = 2;
	m->queue_prio = 5;
	set(&m->granted_party, "sip:alice@mcpx.test");
	m->permission = FC_PERMISSION_YES;
	set(&m->user_id, "sip:bob@mcpx.test");
	m->queue_size = 3;
	m->seq = 0x1234;
	set(&m->queued_user_id, "sip:carol@mcpx.test");
	m->source = FC_SRC_CONTROLLING;
	m->track.queueing_cap = 1;
	set(&m->track.participant_type, "dispatcher");
	m->track.n_refs = 2;
	m->track.refs[0] = 0x01020304u;
	m->track.refs[1] = 0xa0b0c0d0u;
	m->msg_type = FC_MSG_TYPE_VALUE(FC_T_GRANTED | FC_SUBTYPE_ACK_REQ);
	m->floor_ind = FC_FI_NORMAL | FC_FI_QUEUEING;
	m->granted_ssrc = 0xdeadbeefu;
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

size_t
fcs_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *s != '\0'; s++) {
		if (isspace((unsigned char)*s))
			continue;
		v = nibble(*s);
		cr_assert_geq(v, 0, "bad hex digit '%c'", *s);
		if (hi < 0) {
			hi = v;
			continue;
		}
		cr_assert_lt(n, cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	cr_assert_lt(hi, 0, "odd number of hex digits");
	return n;
}
