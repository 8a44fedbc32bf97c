/* SPDX-License-Identifier: proprietary */
/*
 * sim/floor/fc_codec.c: round trips of every message type with every field,
 * hand-built byte vectors, and a rejection table where each kind of malformed
 * input must produce its exact error code.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "fc_codec.h"
#include "fc_cursor.h"
#include "fc_samples.h"

TestSuite(sim_floor_codec);

static uint8_t buf[2048];

Test(sim_floor_codec, round_trip_every_type_every_field)
{
	struct fc_msg m, d;
	size_t i, len;
	int ack;

	for (i = 0; i < fcs_n_types; i++) {
		for (ack = 0; ack <= 1; ack++) {
			if (ack && !(FC_ACKABLE_TYPES & (1u << fcs_types[i])))
				continue;
			fcs_full(&m, fcs_types[i], ack);
			cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len), 0);
			cr_assert_eq(len, fc_encoded_len(&m));
			cr_assert_eq(len % 4, 0);
			cr_assert_eq(fc_decode(buf, len, FC_DECODE_REJECT_UNKNOWN, &d), 0,
				     "%s ack=%d", fc_type_name(fcs_types[i]), ack);
			cr_assert(fc_msg_equal(&m, &d), "%s", fc_type_name(fcs_types[i]));
			cr_assert_eq(d.present, FC_F_ALL);
			cr_assert_eq(d.n_skipped, 0);
			cr_assert_str_eq(d.track.participant_type.s, "dispatcher");
			cr_assert_eq(d.track.refs[1], 0xa0b0c0d0u);
			cr_assert_eq(fc_msg_subtype(&d),
				     (uint8_t)(fcs_types[i] | (ack ? 0x10 : 0)));
		}
	}
}

/* Each field alone, at lengths that exercise every padding amount. */
Test(sim_floor_codec, round_trip_each_field_alone)
{
	static const char *const ids[] = { "", "a", "ab", "abc", "abcd", "abcde" };
	struct fc_msg full, m, d;
	unsigned int fid;
	size_t s, len;

	fcs_full(&full, FC_T_TAKEN, false);
	for (fid = 0; fid < FC_FID_COUNT; fid++) {
		for (s = 0; s < sizeof(ids) / sizeof(ids[0]); s++) {
			m = full;
			m.present = FC_F(fid);
			cr_assert_eq(fc_str_setz(&m.user_id, ids[s]), 0);
			cr_assert_eq(fc_str_setz(&m.reject_phrase, ids[s]), 0);
			cr_assert_eq(fc_str_setz(&m.track.participant_type, ids[s]), 0);
			m.track.n_refs = (uint8_t)s;
			cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len), 0);
			cr_assert_eq(fc_decode(buf, len, 0, &d), 0, "%s", fc_field_name(fid));
			cr_assert(fc_msg_equal(&m, &d), "%s len %zu", fc_field_name(fid), s);
		}
	}
}

/* Hand-assembled from the digest's §9.1 header and §9.3 field rules. */
Test(sim_floor_codec, byte_exact_granted)
{
	uint8_t want[64];
	size_t n = fcs_hex("91cc0006 11223344 4d435054"
			   "0002c800 0102001e 06026162 0d028400", want, sizeof(want));
	struct fc_msg m, d;
	size_t len;

	fc_msg_init(&m, FC_T_GRANTED, true, 0x11223344u);
	m.present = FC_F_PRIORITY | FC_F_DURATION | FC_F_USER_ID | FC_F_FLOOR_IND;
	m.priority = 200;
	m.duration = 30;
	cr_assert_eq(fc_str_setz(&m.user_id, "ab"), 0);
	m.floor_ind = FC_FI_NORMAL | FC_FI_QUEUEING;
	cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len), 0);
	cr_assert_eq(len, n);
	cr_assert_arr_eq(buf, want, n);
	cr_assert_eq(fc_decode(want, n, 0, &d), 0);
	cr_assert(fc_msg_equal(&m, &d));
}

Test(sim_floor_codec, byte_exact_deny_with_padding)
{
	uint8_t want[64];
	size_t n = fcs_hex("83cc0009 00000001 4d435054"
			   "02040001 6e6f0000"
			   "0b0a0102 61620000 0a0b0c0d"
			   "0e06dead beef0000", want, sizeof(want));
	struct fc_msg m, d;
	size_t len;

	fc_msg_init(&m, FC_T_DENY, false, 1);
	m.present = FC_F_REJECT_CAUSE | FC_F_TRACK_INFO | FC_F_SSRC;
	m.reject_cause = FC_DENY_ANOTHER_HAS_PERMISSION;
	cr_assert_eq(fc_str_setz(&m.reject_phrase, "no"), 0);
	m.track.queueing_cap = 1;
	cr_assert_eq(fc_str_setz(&m.track.participant_type, "ab"), 0);
	m.track.n_refs = 1;
	m.track.refs[0] = 0x0a0b0c0du;
	m.granted_ssrc = 0xdeadbeefu;
	cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len), 0);
	cr_assert_eq(len, n);
	cr_assert_arr_eq(buf, want, n);
	cr_assert_eq(fc_decode(want, n, 0, &d), 0);
	cr_assert(fc_msg_equal(&m, &d));
}

Test(sim_floor_codec, legacy_ids_read_as_current)
{
	uint8_t in[64];
	/* Duration as 103, User ID as 109, Message Sequence Number as 111 */
	size_t n = fcs_hex("82cc0006 00000009 4d435054"
			   "6702001e 6d036162 63000000 6f020005", in, sizeof(in));
	struct fc_msg d;

	cr_assert_eq(fc_decode(in, n, 0, &d), 0);
	cr_assert(d.legacy_ids);
	cr_assert_eq(d.present, FC_F_DURATION | FC_F_USER_ID | FC_F_SEQ);
	cr_assert_eq(d.duration, 30);
	cr_assert_str_eq(d.user_id.s, "abc");
	cr_assert_eq(d.seq, 5);
	cr_assert_eq(fc_decode(in, n, FC_DECODE_REJECT_LEGACY, &d), -FC_E_LEGACY);
}

Test(sim_floor_codec, uncoded_fields_skipped_by_default)
{
	uint8_t in[64];
	/* List of SSRCs (16), Rel-17 purpose (21), 107 (no legacy field), then Duration */
	size_t n = fcs_hex("81cc0006 00000009 4d435054"
			   "10020001 15020002 6b020000 0102001e", in, sizeof(in));
	struct fc_msg d;

	cr_assert_eq(fc_decode(in, n, 0, &d), 0);
	cr_assert_eq(d.n_skipped, 3);
	cr_assert_eq(d.present, FC_F_DURATION);
	cr_assert_eq(fc_decode(in, n, FC_DECODE_REJECT_UNKNOWN, &d), -FC_E_FIELD_UNKNOWN);
}

struct reject_case {
	const char *name;
	const char *hex;
	unsigned int flags;
	int rc;
};

#define H "4d435054"	/* "MCPT" */
static const struct reject_case rejects[] = {
	{ "empty", "", 0, -FC_E_SHORT },
	{ "11 octets", "81cc0002 00000001 4d4350", 0, -FC_E_SHORT },
	{ "version 1", "41cc0003 00000001 " H " 0102001e", 0, -FC_E_VERSION },
	{ "version 3", "c1cc0003 00000001 " H " 0102001e", 0, -FC_E_VERSION },
	{ "padding bit", "a1cc0003 00000001 " H " 0102001e", 0, -FC_E_PBIT },
	{ "PT 200 (SR)", "81c80003 00000001 " H " 0102001e", 0, -FC_E_PT },
	{ "PT 203 (BYE)", "81cb0003 00000001 " H " 0102001e", 0, -FC_E_PT },
	{ "length past end", "81cc0004 00000001 " H " 0102001e", 0, -FC_E_LENGTH },
	{ "length 0xffff", "81ccffff 00000001 " H, 0, -FC_E_LENGTH },
	{ "trailing words", "81cc0002 00000001 " H " 0102001e", 0, -FC_E_TRAILING },
	{ "trailing octet", "81cc0002 00000001 " H " 00", 0, -FC_E_TRAILING },
	{ "name MCPC", "81cc0002 00000001 4d435043", 0, -FC_E_NAME },
	{ "name mcpt", "81cc0002 00000001 6d637074", 0, -FC_E_NAME },
	{ "type 12", "8ccc0002 00000001 " H, 0, -FC_E_TYPE },
	{ "type 13", "8dcc0002 00000001 " H, 0, -FC_E_TYPE },
	{ "type 7 (Rel-19)", "87cc0002 00000001 " H, 0, -FC_E_TYPE_UNSUPPORTED },
	{ "type 11 (Rel-17)", "8bcc0002 00000001 " H, 0, -FC_E_TYPE_UNSUPPORTED },
	{ "type 14", "8ecc0002 00000001 " H, 0, -FC_E_TYPE_UNSUPPORTED },
	{ "type 15", "8fcc0002 00000001 " H, 0, -FC_E_TYPE_UNSUPPORTED },
	{ "x on Request", "90cc0002 00000001 " H, 0, -FC_E_ACK_BIT },
	{ "x on Revoke", "96cc0002 00000001 " H, 0, -FC_E_ACK_BIT },
	{ "x on Queue Pos Request", "98cc0002 00000001 " H, 0, -FC_E_ACK_BIT },
	{ "x on Ack", "9acc0002 00000001 " H, 0, -FC_E_ACK_BIT },
	{ "field past end", "81cc0003 00000001 " H " 0106001e", 0, -FC_E_FIELD_TRUNC },
	{ "string past end", "81cc0003 00000001 " H " 06ff6162", 0, -FC_E_FIELD_TRUNC },
	{ "duration len 1", "81cc0003 00000001 " H " 01011e00", 0, -FC_E_FIELD_LEN },
	{ "duration len 3", "81cc0004 00000001 " H " 0103001e 05000000", 0, -FC_E_FIELD_LEN },
	{ "priority len 0", "81cc0003 00000001 " H " 00000000", 0, -FC_E_FIELD_LEN },
	{ "queue info len 4", "89cc0004 00000001 " H " 03040102 03040000", 0, -FC_E_FIELD_LEN },
	{ "ssrc len 4", "81cc0004 00000001 " H " 0e04dead beef0000", 0, -FC_E_FIELD_LEN },
	{ "reject cause len 1", "83cc0003 00000001 " H " 02010100", 0, -FC_E_FIELD_LEN },
	{ "message type len 4", "8acc0004 00000001 " H " 0c041100 00000000", 0,
	  -FC_E_FIELD_LEN },
	{ "track: type past value", "81cc0004 00000001 " H " 0b060105 61626364", 0,
	  -FC_E_FIELD_LEN },
	{ "track: refs not words", "81cc0004 00000001 " H " 0b050100 01020300", 0,
	  -FC_E_FIELD_LEN },
	{ "track: type pad", "81cc0004 00000001 " H " 0b060101 61ff0000", 0, -FC_E_FIELD_PAD },
	{ "track: capability 2", "81cc0003 00000001 " H " 0b020200", 0, -FC_E_FIELD_VALUE },
	{ "pad after user id", "81cc0003 00000001 " H " 060141ff", 0, -FC_E_FIELD_PAD },
	{ "pad after phrase", "83cc0004 00000001 " H " 02030001 41000100", 0, -FC_E_FIELD_PAD },
	{ "pad after empty id", "81cc0003 00000001 " H " 06000001", 0, -FC_E_FIELD_PAD },
	{ "priority spare", "81cc0003 00000001 " H " 00020701", 0, -FC_E_FIELD_SPARE },
	{ "ssrc spare", "81cc0004 00000001 " H " 0e06dead beef0001", 0, -FC_E_FIELD_SPARE },
	{ "duplicate duration", "81cc0004 00000001 " H " 0102001e 0102001f", 0,
	  -FC_E_FIELD_DUP },
	{ "duplicate via legacy", "81cc0004 00000001 " H " 0102001e 6702001f", 0,
	  -FC_E_FIELD_DUP },
	{ "permission 2", "82cc0003 00000001 " H " 05020002", 0, -FC_E_FIELD_VALUE },
	{ "source 4", "82cc0003 00000001 " H " 0a020004", 0, -FC_E_FIELD_VALUE },
	{ "unknown 200 (flag)", "81cc0003 00000001 " H " c8020000", FC_DECODE_REJECT_UNKNOWN,
	  -FC_E_FIELD_UNKNOWN },
	{ "unknown 15 (flag)", "81cc0003 00000001 " H " 0f020000", FC_DECODE_REJECT_UNKNOWN,
	  -FC_E_FIELD_UNKNOWN },
	{ "legacy 102 (flag)", "81cc0003 00000001 " H " 66020500", FC_DECODE_REJECT_LEGACY,
	  -FC_E_LEGACY },
	{ "NUL in user id", "81cc0003 00000001 " H " 06026100", 0, -FC_E_STRING },
	{ "NUL in phrase", "83cc0004 00000001 " H " 02040001 00610000", 0, -FC_E_STRING },
	{ "NUL in participant type", "81cc0004 00000001 " H " 0b060101 00000000", 0,
	  -FC_E_STRING },
	{ "unknown field past end", "81cc0003 00000001 " H " 20086162", 0, -FC_E_FIELD_TRUNC },
	{ "unknown field bad pad", "81cc0003 00000001 " H " 200161ff", 0, -FC_E_FIELD_PAD },
};
#undef H

Test(sim_floor_codec, rejection_table)
{
	struct fc_msg d;
	uint8_t in[128];
	size_t i, n;

	for (i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		n = fcs_hex(rejects[i].hex, in, sizeof(in));
		cr_expect_eq(fc_decode(in, n, rejects[i].flags, &d), rejects[i].rc,
			     "case %zu (%s): got %s, want %s", i, rejects[i].name,
			     fc_errname(fc_decode(in, n, rejects[i].flags, &d)),
			     fc_errname(rejects[i].rc));
	}
}

/* Every strict prefix of a valid message is rejected, never read past. */
Test(sim_floor_codec, every_truncation_rejected)
{
	struct fc_msg m, d;
	size_t len, cut;
	int rc;

	fcs_full(&m, FC_T_GRANTED, true);
	cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len), 0);
	for (cut = 0; cut < len; cut++) {
		rc = fc_decode(buf, cut, 0, &d);
		cr_assert(rc == -FC_E_SHORT || rc == -FC_E_LENGTH, "cut %zu: %s", cut,
			  fc_errname(rc));
	}
}

Test(sim_floor_codec, decode_args)
{
	struct fc_msg d;

	cr_assert_eq(fc_decode(NULL, 12, 0, &d), -FC_E_ARG);
	cr_assert_eq(fc_decode(buf, 12, 0, NULL), -FC_E_ARG);
}

Test(sim_floor_codec, encode_no_room_writes_nothing)
{
	struct fc_msg m;
	size_t len, cap, need;

	fcs_full(&m, FC_T_TAKEN, false);
	need = fc_encoded_len(&m);
	cr_assert_gt(need, 12);
	for (cap = 0; cap < need; cap++) {
		memset(buf, 0xa5, sizeof(buf));
		len = 7;
		cr_assert_eq(fc_encode(&m, buf, cap, &len), -FC_E_NOROOM);
		cr_assert_eq(len, 7);
		cr_assert_eq(buf[0], 0xa5);
	}
	cr_assert_eq(fc_encode(&m, buf, need, &len), 0);
	cr_assert_eq(len, need);
}

Test(sim_floor_codec, encode_rejects_bad_models)
{
	struct fc_msg m;
	size_t len;
	unsigned int i;

	fc_msg_init(&m, FC_T_REQUEST, true, 1);
	cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len), -FC_E_ARG, "x on Request");
	for (i = 0; i < FC_T_COUNT; i++) {
		fc_msg_init(&m, (enum fc_type)i, false, 1);
		cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len),
			     (FC_CODED_TYPES & (1u << i)) ? 0 : -FC_E_ARG, "type %u", i);
	}
	fc_msg_init(&m, FC_T_TAKEN, false, 1);
	m.present = FC_F_PERMISSION;
	m.permission = 2;
	cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len), -FC_E_ARG);
	m.present = FC_F_SOURCE;
	m.source = 4;
	cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len), -FC_E_ARG);
	m.present = FC_F(15);
	cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len), -FC_E_ARG, "uncoded field");
	m.present = FC_F_REJECT_CAUSE;
	memset(m.reject_phrase.s, 'a', 254);
	m.reject_phrase.len = 254;	/* 2 + 254 > 255 */
	cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len), -FC_E_ARG);
	m.reject_phrase.len = 253;
	cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len), 0);
	m.present = FC_F_TRACK_INFO;
	m.track.n_refs = FC_TRACK_REFS_MAX;
	cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len), 0);
	m.track.participant_type.len = 1;	/* 2 + 4 + 63 * 4 > 255 */
	cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len), -FC_E_ARG);
	m.track.participant_type.len = 0;
	m.track.queueing_cap = 2;
	cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len), -FC_E_ARG);
	cr_assert_eq(fc_encode(NULL, buf, sizeof(buf), &len), -FC_E_ARG);
}

Test(sim_floor_codec, longest_strings_round_trip)
{
	struct fc_msg m, d;
	size_t len;

	fcs_full(&m, FC_T_QUEUE_POS_INFO, true);
	memset(m.user_id.s, 'u', FC_STR_MAX);
	m.user_id.s[FC_STR_MAX] = '\0';
	m.user_id.len = FC_STR_MAX;
	m.track.participant_type.len = 0;
	m.track.n_refs = FC_TRACK_REFS_MAX;
	cr_assert_eq(fc_encode(&m, buf, sizeof(buf), &len), 0);
	cr_assert_eq(fc_decode(buf, len, 0, &d), 0);
	cr_assert(fc_msg_equal(&m, &d));
	cr_assert_eq(d.track.n_refs, FC_TRACK_REFS_MAX);
}

Test(sim_floor_codec, str_set_rules)
{
	struct fc_str s;
	char big[300];

	memset(big, 'x', sizeof(big));
	cr_assert_eq(fc_str_set(&s, big, FC_STR_MAX), 0);
	cr_assert_eq(s.s[FC_STR_MAX], '\0');
	cr_assert_eq(fc_str_set(&s, big, FC_STR_MAX + 1), -FC_E_ARG);
	cr_assert_eq(fc_str_set(&s, "a\0b", 3), -FC_E_ARG);
	big[299] = '\0';
	cr_assert_eq(fc_str_setz(&s, big), -FC_E_ARG);
	cr_assert_eq(fc_str_setz(&s, ""), 0);
	cr_assert_eq(s.len, 0);
}

Test(sim_floor_codec, datagram_of_several_messages)
{
	struct fc_msg a, b, d;
	const uint8_t *pkt;
	size_t la, lb, off = 0, pl;

	fcs_full(&a, FC_T_TAKEN, true);
	fc_msg_init(&b, FC_T_IDLE, false, 9);
	cr_assert_eq(fc_encode(&a, buf, sizeof(buf), &la), 0);
	cr_assert_eq(fc_encode(&b, buf + la, sizeof(buf) - la, &lb), 0);
	cr_assert_eq(fc_next(buf, la + lb, &off, &pkt, &pl), 1);
	cr_assert_eq(pkt, buf);
	cr_assert_eq(fc_decode(pkt, pl, 0, &d), 0);
	cr_assert(fc_msg_equal(&a, &d));
	cr_assert_eq(fc_next(buf, la + lb, &off, &pkt, &pl), 1);
	cr_assert_eq(fc_decode(pkt, pl, 0, &d), 0);
	cr_assert(fc_msg_equal(&b, &d));
	cr_assert_eq(fc_next(buf, la + lb, &off, &pkt, &pl), 0);
	cr_assert_eq(off, la + lb);

	/* second packet cut short, 2 stray octets, a non-RTCP tail */
	off = la;
	cr_assert_eq(fc_next(buf, la + lb - 4, &off, &pkt, &pl), -FC_E_LENGTH);
	cr_assert_eq(off, la, "a failed step leaves the offset");
	cr_assert_eq(fc_next(buf, la + 2, &off, &pkt, &pl), -FC_E_SHORT);
	buf[la] = 0x01;
	cr_assert_eq(fc_next(buf, la + lb, &off, &pkt, &pl), -FC_E_VERSION);
	off = la + lb + 1;
	cr_assert_eq(fc_next(buf, la + lb, &off, &pkt, &pl), -FC_E_ARG);
}

/* An SR in front of the APP: the split works, the decoder refuses the SR. */
Test(sim_floor_codec, compound_with_sr_refused)
{
	uint8_t in[64];
	size_t n = fcs_hex("80c80006 00000001 00000000 00000000 00000000 00000000 00000000"
			   "81cc0003 00000001 4d435054 0102001e", in, sizeof(in));
	const uint8_t *pkt;
	struct fc_msg d;
	size_t off = 0, pl;

	cr_assert_eq(fc_next(in, n, &off, &pkt, &pl), 1);
	cr_assert_eq(fc_decode(pkt, pl, 0, &d), -FC_E_PT);
	cr_assert_eq(fc_next(in, n, &off, &pkt, &pl), 1);
	cr_assert_eq(fc_decode(pkt, pl, 0, &d), 0);
	cr_assert_eq(d.duration, 30);
	cr_assert_eq(fc_decode(in, n, 0, &d), -FC_E_PT, "whole datagram is not one message");
}

Test(sim_floor_codec, cursor_failed_read_leaves_offset)
{
	static const uint8_t b[3] = { 1, 2, 3 };
	struct fc_cur c, sub;
	uint32_t v32;
	uint16_t v16;
	uint8_t v8;

	fc_cur_init(&c, b, sizeof(b));
	cr_assert(fc_cur_u8(&c, &v8));
	cr_assert_eq(v8, 1);
	cr_assert_not(fc_cur_u32(&c, &v32));
	cr_assert_eq(c.off, 1);
	cr_assert_not(fc_cur_sub(&c, 3, &sub));
	cr_assert_eq(c.off, 1);
	cr_assert(fc_cur_u16(&c, &v16));
	cr_assert_eq(v16, 0x0203);
	cr_assert_not(fc_cur_u8(&c, &v8));
	cr_assert_eq(c.off, 3);
}

Test(sim_floor_codec, names_and_errors)
{
	int e;

	cr_assert_str_eq(fc_type_name(FC_T_QUEUE_POS_INFO), "Floor Queue Position Info");
	cr_assert_str_eq(fc_type_name(12), "unknown");
	cr_assert_str_eq(fc_field_name(FC_FID_SSRC), "SSRC");
	cr_assert_str_eq(fc_field_name(15), "unknown");
	for (e = 1; e < FC_E_COUNT; e++) {
		cr_assert_str_neq(fc_strerror(-e), "unknown error");
		cr_assert_str_neq(fc_errname(e), "UNKNOWN");
	}
	cr_assert_str_eq(fc_errname(-FC_E_FIELD_LEN), "FIELD_LEN");
	cr_assert_str_eq(fc_strerror(-FC_E_COUNT), "unknown error");
}
