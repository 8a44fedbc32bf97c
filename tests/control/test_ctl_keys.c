/* SPDX-License-Identifier: proprietary */
/*
 * mikey.install beyond the private call (test_ctl_server.c has that): a
 * group's GMK (senders' unprotect streams and protect towards members, both
 * ways against a client's reference contexts), a CSK (floor control
 * SRTCP), and a GMK's senders learnt from the slow path: a real member with
 * a random SSRC is learnt from its first packet; forged GUK-IDs and
 * wrong-key packets never install, are remembered and counted; the cap holds.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "ctl_fix.h"
#include "dp_testlib.h"
#include "mikey_srtp_keys.h"

static void
suite_init(void)
{
	cr_assert(sodium_init() >= 0);
	ctl_json_init();
}

TestSuite(control_ctl_keys, .init = suite_init, .timeout = 180);

static json_t *
member_json(void)
{
	return json_pack("[{s:s,s:i}]", "addr", "10.0.0.2", "port", FIX_MEMBER_PORT);
}

static void
mki_hex(char out[17], uint32_t a, uint32_t b)
{
	snprintf(out, 17, "%08x%08x", a, b);
}

Test(control_ctl_keys, a_group_gmk_carries_media_both_ways)
{
	uint8_t msg[MIKEY_MSG_MAX], pkts[4][RIG_FRAME];
	uint32_t lens[4], g_alice, g_app;
	struct dp_srtp_params pa, pm;
	struct dp_srtp_ctx *alice_tx, *member_rx;
	struct mikey_newkey k;
	json_t *streams, *r;
	char want[17];
	size_t len;
	unsigned int i;
	struct fix f;

	fix_up(&f);
	fix_gmk_msg(&f, &k, 0, 0, msg, &len);
	g_alice = fix_guk(&k, FIX_ALICE);
	g_app = fix_guk(&k, FIX_APP);
	/* Alice's media from the secure side (her GUK-ID); ours to the group's members. */
	streams = json_pack("[{s:s,s:i,s:i,s:i},{s:s,s:i,s:o}]", "dir", "unprotect", "ssrc",
			    0x0a11ce00, "port", FIX_MEDIA_PORT, "guk_id", g_alice, "dir", "protect",
			    "ssrc", 0x5e4e4e40, "members", member_json());
	r = fix_call(&f, fix_mikey_req(msg, len, streams));
	fix_ok(r);
	cr_assert_eq(json_integer_value(json_object_get(r, "purpose")), KEYS_PURPOSE_GMK);
	cr_assert(json_is_true(json_object_get(r, "learning")), "a GMK with senders learns");
	mki_hex(want, k.key_id, g_alice);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(
			 json_object_get(r, "streams"), 0), "mki")), want);
	mki_hex(want, k.key_id, g_app);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(
			 json_object_get(r, "streams"), 1), "mki")), want, "we send as ourselves");
	json_decref(r);
	cr_assert_eq(dp_stream_count(f.r.dp), 2);

	pa = fix_gmk_params(&k, g_alice, 0x0a11ce00, DP_SRTP_PROTO_RTP);
	pm = fix_gmk_params(&k, g_app, 0x5e4e4e40, DP_SRTP_PROTO_RTP);
	alice_tx = fix_ctx(&pa, DP_SRTP_DIR_PROTECT);
	member_rx = fix_ctx(&pm, DP_SRTP_DIR_UNPROTECT);
	for (i = 0; i < 3; i++) {
		fix_send_secure(&f, alice_tx, pa.ssrc, (uint16_t)(100 + i));
		fix_expect_plain(&f, pa.ssrc, (uint16_t)(100 + i));
		fix_send_plain(&f, pm.ssrc, (uint16_t)(200 + i));
		cr_assert_eq(fix_take_secure(&f, pkts, lens, 4, 1, 3000), 1);
		cr_assert(fix_opens(member_rx, pkts[0], lens[0], pm.ssrc, (uint16_t)(200 + i)),
			  "a member opens what we sent, packet %u", i);
	}
	dp_srtp_ctx_free(alice_tx);
	dp_srtp_ctx_free(member_rx);
	sodium_memzero(&pa, sizeof(pa));
	sodium_memzero(&pm, sizeof(pm));
	sodium_memzero(&k, sizeof(k));
	fix_down(&f);
}

/* Floor control: an RTCP APP "MCPT" packet each way under the CSK (CS 6, MKI = CSK-ID). */
Test(control_ctl_keys, a_csk_carries_floor_control_both_ways)
{
	static struct frame out[4];
	uint8_t msg[MIKEY_MSG_MAX], pl[256], b[RIG_FRAME], fr[RIG_FRAME], want[RIG_FRAME];
	struct mikey_srtp_master m;
	struct dp_srtp_params p;
	struct dp_srtp_ctx *alice_tx, *alice_rx;
	struct mikey_newkey k;
	uint32_t len32, pl_len, off, sl;
	json_t *streams, *r;
	size_t len;
	struct tf t;
	struct fix f;

	fix_up(&f);
	fix_csk_msg(&f, &k, msg, &len);
	streams = json_pack("[{s:s,s:s,s:i,s:i},{s:s,s:s,s:i,s:o}]", "dir", "unprotect", "proto",
			    "rtcp", "ssrc", 0x0a11ce00, "port", FIX_MEDIA_PORT, "dir", "protect",
			    "proto", "rtcp", "ssrc", 0x5e4e4e40, "members", member_json());
	r = fix_call(&f, fix_mikey_req(msg, len, streams));
	fix_ok(r);
	cr_assert_eq(json_integer_value(json_object_get(r, "purpose")), KEYS_PURPOSE_CSK);
	cr_assert(json_is_false(json_object_get(r, "learning")), "only a GMK learns");
	json_decref(r);

	cr_assert_eq(mikey_mcptt_csk(&m, k.key, k.key_id, k.rand, sizeof(k.rand), 12), 0);
	memset(&p, 0, sizeof(p));
	p.profile = DP_SRTP_AEAD_AES_128_GCM;
	p.proto = DP_SRTP_PROTO_RTCP;
	memcpy(p.master_key, m.key, 16);
	memcpy(p.master_salt, m.salt, 12);
	memcpy(p.mki, m.mki, m.mki_len);
	p.mki_len = m.mki_len;
	cr_assert_eq(p.mki_len, 4, "MKI = CSK-ID");
	p.ssrc = 0x0a11ce00;
	alice_tx = fix_ctx(&p, DP_SRTP_DIR_PROTECT);
	p.ssrc = 0x5e4e4e40;
	alice_rx = fix_ctx(&p, DP_SRTP_DIR_UNPROTECT);

	/* Alice -> the server: a floor request, SRTCP on the secure side, clear on the plain. */
	pl_len = tf_floor(pl, 0x0a11ce00, 0, 2);
	memcpy(b, pl, pl_len);
	len32 = pl_len;
	cr_assert_eq(dp_srtp_process(alice_tx, b, &len32, sizeof(b)), DP_V_FWD);
	tf_default(&t, false, FIX_MEDIA_PORT);
	rig_send(&f.r, DP_SIDE_SECURE, 0, fr, tf_build(fr, &t, b, len32));
	cr_assert_eq(rig_recv(&f.r, DP_SIDE_PLAIN, out, 4, 1, 3000), 1);
	len32 = tf_build(want, &t, pl, pl_len);
	cr_assert_eq(out[0].len, len32);
	cr_assert_arr_eq(out[0].b, want, len32);

	/* The server -> Alice: a floor grant, protected towards her. */
	pl_len = tf_floor(pl, 0x5e4e4e40, 1, 3);
	tf_default(&t, false, FIX_MEMBER_PORT);
	rig_send(&f.r, DP_SIDE_PLAIN, 0, fr, tf_build(fr, &t, pl, pl_len));
	cr_assert_eq(rig_recv(&f.r, DP_SIDE_SECURE, out, 4, 1, 3000), 1);
	cr_assert_eq(tf_verify(out[0].b, out[0].len, &off, &sl), 0);
	memcpy(b, out[0].b + off, sl);
	cr_assert_eq(dp_srtp_process(alice_rx, b, &sl, sizeof(b)), DP_V_FWD, "Alice opens it");
	cr_assert_eq(sl, pl_len);
	cr_assert_arr_eq(b, pl, pl_len);

	dp_srtp_ctx_free(alice_tx);
	dp_srtp_ctx_free(alice_rx);
	mikey_srtp_master_wipe(&m);
	sodium_memzero(&p, sizeof(p));
	sodium_memzero(&k, sizeof(k));
	fix_down(&f);
}

/* One packet of |p| (protected by a client) onto the secure side, then serve the slow path. */
static void
one_punt(struct fix *f, const struct dp_srtp_params *p, uint16_t seq)
{
	struct dp_srtp_ctx *tx = fix_ctx(p, DP_SRTP_DIR_PROTECT);
	uint64_t before = rig_verdicts(&f->r);	/* before the send: the worker may be quick */

	fix_send_secure(f, tx, p->ssrc, seq);
	rig_wait_verdicts(&f->r, before + 1, 3000);
	(void)fix_punts(f, 50);
	dp_srtp_ctx_free(tx);
}

Test(control_ctl_keys, a_new_sender_is_learnt_and_forgeries_never_install)
{
	uint8_t msg[MIKEY_MSG_MAX];
	static struct frame out[4];
	uint8_t first[RIG_FRAME], b[RIG_FRAME];
	struct dp_srtp_params bob, carol, alice, forged, wrong;
	struct dp_srtp_ctx *bob_tx;
	struct dp_worker_counters wc;
	struct mikey_newkey k, other;
	uint32_t ssrc, first_len;
	struct tf t;
	json_t *r;
	size_t len;
	unsigned int i;
	struct fix f;

	fix_up(&f);
	fix_gmk_msg(&f, &k, 0, 0, msg, &len);
	r = fix_mikey_req(msg, len, NULL);	/* no stream: learning only */
	json_object_set_new(r, "learn", json_pack("{s:i,s:i}", "port", FIX_MEDIA_PORT,
						   "max_senders", 2));
	r = fix_call(&f, r);
	fix_ok(r);
	cr_assert(json_is_true(json_object_get(r, "learning")));
	cr_assert_eq(json_array_size(json_object_get(r, "streams")), 0);
	json_decref(r);
	cr_assert_eq(dp_stream_count(f.r.dp), 0);

	/* Bob, a real member (GUK-ID from his URI), random SSRC: learnt from packet 1. */
	randombytes_buf(&ssrc, sizeof(ssrc));
	bob = fix_gmk_params(&k, fix_guk(&k, FIX_BOB), ssrc, DP_SRTP_PROTO_RTP);
	bob_tx = fix_ctx(&bob, DP_SRTP_DIR_PROTECT);
	first_len = tf_rtp(b, ssrc, 1, 80, 0);
	cr_assert_eq(dp_srtp_process(bob_tx, b, &first_len, sizeof(b)), DP_V_FWD);
	tf_default(&t, false, FIX_MEDIA_PORT);
	first_len = tf_build(first, &t, b, first_len);
	rig_send(&f.r, DP_SIDE_SECURE, 0, first, first_len);
	rig_wait_verdicts(&f.r, 1, 3000);
	cr_assert_eq(fix_punts(&f, 50), 1, "the first packet is punted");
	cr_assert_eq(fix_learn_counter(&f, "learned"), 1);
	cr_assert_eq(dp_stream_count(f.r.dp), 1);
	for (i = 2; i < 6; i++) {
		fix_send_secure(&f, bob_tx, ssrc, (uint16_t)i);
		fix_expect_plain(&f, ssrc, (uint16_t)i);
	}
	/* The first packet again: the learnt stream has seen it (it primed the stream). */
	rig_send(&f.r, DP_SIDE_SECURE, 0, first, first_len);
	rig_wait_verdicts(&f.r, 6, 3000);
	cr_assert_eq(rig_recv(&f.r, DP_SIDE_PLAIN, out, 4, 0, 200), 0, "a replay came out");
	dp_counters_total(f.r.dp, &wc);
	cr_assert_eq(wc.v[DP_V_DROP_REPLAY], 1);

	/* A forged GUK-ID (no GMK behind it: a random key) is refused, then remembered. */
	forged = fix_gmk_params(&k, randombytes_random() & 0x0fffffffu, 0x0f0f0f0f,
				DP_SRTP_PROTO_RTP);
	randombytes_buf(forged.master_key, 16);
	one_punt(&f, &forged, 1);
	cr_assert_eq(fix_learn_counter(&f, "refused_auth"), 1);
	one_punt(&f, &forged, 2);
	cr_assert_eq(fix_learn_counter(&f, "refused_known_bad"), 1, "no crypto the second time");
	cr_assert_eq(fix_learn_counter(&f, "refused_auth"), 1);
	/* The memory is short (a forger cannot keep a real MKI and SSRC out): tried again. */
	f.now += 2;
	one_punt(&f, &forged, 3);
	cr_assert_eq(fix_learn_counter(&f, "refused_auth"), 2, "tried again after the memory");
	cr_assert_eq(fix_learn_counter(&f, "refused_known_bad"), 1);
	/* A GUK-ID without purpose tag 0 is none. */
	forged.mki[4] = 0x10 | (forged.mki[4] & 0x0f);
	forged.ssrc = 0x0e0e0e0e;
	one_punt(&f, &forged, 1);
	cr_assert_eq(fix_learn_counter(&f, "refused_auth"), 3);
	/* Alice's real GUK-ID and our GMK's MKI, under another GMK: wrong key. */
	fix_gmk_msg(&f, &other, 0, 0, msg, &len);
	wrong = fix_gmk_params(&other, fix_guk(&k, FIX_ALICE), 0x0d0d0d0d, DP_SRTP_PROTO_RTP);
	wrong.mki[0] = (uint8_t)(k.key_id >> 24);
	wrong.mki[1] = (uint8_t)(k.key_id >> 16);
	wrong.mki[2] = (uint8_t)(k.key_id >> 8);
	wrong.mki[3] = (uint8_t)k.key_id;
	one_punt(&f, &wrong, 1);
	cr_assert_eq(fix_learn_counter(&f, "refused_auth"), 4);
	cr_assert_eq(dp_stream_count(f.r.dp), 1, "nothing forged was installed");

	/* The cap (2): Alice is learnt, Carol is not. */
	alice = fix_gmk_params(&k, fix_guk(&k, FIX_ALICE), 0x0a11ce00, DP_SRTP_PROTO_RTP);
	one_punt(&f, &alice, 1);
	cr_assert_eq(fix_learn_counter(&f, "learned"), 2);
	carol = fix_gmk_params(&k, fix_guk(&k, "sip:carol@example.org"), 0x0ca201, 0);
	one_punt(&f, &carol, 1);
	cr_assert_eq(fix_learn_counter(&f, "refused_cap"), 1);
	cr_assert_eq(fix_learn_counter(&f, "learned"), 2);
	cr_assert_eq(dp_stream_count(f.r.dp), 2);

	dp_srtp_ctx_free(bob_tx);
	sodium_memzero(&bob, sizeof(bob));
	sodium_memzero(&alice, sizeof(alice));
	sodium_memzero(&carol, sizeof(carol));
	sodium_memzero(&wrong, sizeof(wrong));
	sodium_memzero(&k, sizeof(k));
	sodium_memzero(&other, sizeof(other));
	fix_down(&f);
}

/*
 * max_senders counts the key's unprotect streams present now: a learnt
 * sender's stream removed by stream.del frees its place for the next one.
 */
Test(control_ctl_keys, a_deleted_sender_frees_its_place_under_the_cap)
{
	uint8_t msg[MIKEY_MSG_MAX];
	struct dp_srtp_params bob, alice, carol;
	struct mikey_newkey k;
	json_t *r, *req;
	size_t len;
	struct fix f;
	uint64_t bob_id;

	fix_up(&f);
	fix_gmk_msg(&f, &k, 0, 0, msg, &len);
	r = fix_mikey_req(msg, len, NULL);
	json_object_set_new(r, "learn", json_pack("{s:i,s:i}", "port", FIX_MEDIA_PORT,
						   "max_senders", 1));
	r = fix_call(&f, r);
	fix_ok(r);
	json_decref(r);
	/* Bob is learnt; Carol finds the one place taken. */
	bob = fix_gmk_params(&k, fix_guk(&k, FIX_BOB), 0x0b0b0001, DP_SRTP_PROTO_RTP);
	one_punt(&f, &bob, 1);
	cr_assert_eq(fix_learn_counter(&f, "learned"), 1);
	cr_assert_eq(dp_stream_count(f.r.dp), 1);
	carol = fix_gmk_params(&k, fix_guk(&k, "sip:carol@example.org"), 0x0ca20001,
			       DP_SRTP_PROTO_RTP);
	one_punt(&f, &carol, 1);
	cr_assert_eq(fix_learn_counter(&f, "refused_cap"), 1);
	/* Bob's stream goes (stream.list gives its id). */
	r = fix_call(&f, fix_op("stream.list"));
	fix_ok(r);
	cr_assert_eq(json_array_size(json_object_get(r, "streams")), 1);
	bob_id = (uint64_t)json_integer_value(json_array_get(json_object_get(r, "streams"), 0));
	json_decref(r);
	req = fix_op("stream.del");
	json_object_set_new(req, "stream", json_integer((json_int_t)bob_id));
	r = fix_call(&f, req);
	fix_ok(r);
	json_decref(r);
	cr_assert_eq(dp_stream_count(f.r.dp), 0);
	/* Alice sends: the place is free, she is learnt and her media flows. */
	alice = fix_gmk_params(&k, fix_guk(&k, FIX_ALICE), 0x0a11ce00, DP_SRTP_PROTO_RTP);
	one_punt(&f, &alice, 1);
	cr_assert_eq(fix_learn_counter(&f, "refused_cap"), 1, "not refused");
	cr_assert_eq(fix_learn_counter(&f, "learned"), 2);
	cr_assert_eq(dp_stream_count(f.r.dp), 1);
	{
		struct dp_srtp_ctx *tx = fix_ctx(&alice, DP_SRTP_DIR_PROTECT);

		fix_send_secure(&f, tx, alice.ssrc, 2);
		fix_expect_plain(&f, alice.ssrc, 2);
		dp_srtp_ctx_free(tx);
	}
	/* And the cap still holds: Carol again is refused. */
	one_punt(&f, &carol, 2);
	cr_assert_eq(fix_learn_counter(&f, "refused_cap"), 2);
	cr_assert_eq(dp_stream_count(f.r.dp), 1);
	sodium_memzero(&bob, sizeof(bob));
	sodium_memzero(&alice, sizeof(alice));
	sodium_memzero(&carol, sizeof(carol));
	sodium_memzero(&k, sizeof(k));
	fix_down(&f);
}

/* Run the control loop's tick (as mcpxd does) until learning.keys is |want|, or 2 s. */
static uint64_t
keys_after_ticks(struct fix *f, uint64_t want)
{
	uint64_t n = fix_learn_counter(f, "keys");
	unsigned int i;

	for (i = 0; i < 100 && n != want; i++) {
		usleep(20000);	/* a release sweep runs at most every 100 ms */
		ctl_ops_tick(&f->ops);
		n = fix_learn_counter(f, "keys");
	}
	return n;
}

/* Every stream's id, for stream.del. */
static unsigned int
stream_ids(struct fix *f, uint64_t *ids, unsigned int max)
{
	json_t *req = fix_op("stream.list"), *r, *a;
	unsigned int i, n;

	r = fix_call(f, req);
	fix_ok(r);
	a = json_object_get(r, "streams");
	n = (unsigned int)json_array_size(a);
	cr_assert_leq(n, max);
	for (i = 0; i < n; i++)
		ids[i] = (uint64_t)json_integer_value(json_array_get(a, i));
	json_decref(r);
	return n;
}

static void
del_stream(struct fix *f, uint64_t id)
{
	json_t *req = fix_op("stream.del"), *r;

	json_object_set_new(req, "stream", json_integer((json_int_t)id));
	r = fix_call(f, req);
	fix_ok(r);
	json_decref(r);
}

/*
 * Keys kept: a key that does not learn is forgotten once stream.del has
 * removed its last stream (of either direction); before that it stays.
 */
Test(control_ctl_keys, a_key_without_streams_or_learning_is_released)
{
	uint8_t msg[MIKEY_MSG_MAX];
	struct dp_stream_info si;
	struct mikey_newkey k;
	uint64_t ids[8];
	json_t *streams, *r;
	unsigned int i, n;
	size_t len;
	struct fix f;

	fix_up(&f);
	for (i = 0; i < 3; i++) {
		fix_csk_msg(&f, &k, msg, &len);
		streams = json_pack("[{s:s,s:s,s:i,s:i},{s:s,s:s,s:i,s:o}]", "dir", "unprotect",
				    "proto", "rtcp", "ssrc", 0x0a11ce00 + i, "port",
				    FIX_MEDIA_PORT, "dir", "protect", "proto", "rtcp", "ssrc",
				    0x5e4e4e40 + i, "members", member_json());
		r = fix_call(&f, fix_mikey_req(msg, len, streams));
		fix_ok(r);
		json_decref(r);
	}
	sodium_memzero(&k, sizeof(k));
	cr_assert_eq(fix_learn_counter(&f, "keys"), 3);
	n = stream_ids(&f, ids, 8);
	cr_assert_eq(n, 6);
	/* One unprotect stream goes: its key keeps its protect stream, and stays. */
	for (i = 0; i < n; i++) {
		cr_assert_eq(dp_stream_get(f.r.dp, ids[i], &si), 0);
		if (si.params.dir == DP_SRTP_DIR_UNPROTECT)
			break;
	}
	cr_assert_lt(i, n);
	del_stream(&f, ids[i]);
	ids[i] = 0;
	usleep(150000);
	ctl_ops_tick(&f.ops);
	cr_assert_eq(fix_learn_counter(&f, "keys"), 3, "a key with a stream left stays");
	/* The rest go: every key is released. */
	for (i = 0; i < n; i++)
		if (ids[i] != 0)
			del_stream(&f, ids[i]);
	cr_assert_eq(dp_stream_count(f.r.dp), 0);
	cr_assert_eq(keys_after_ticks(&f, 0), 0, "keys without streams are released");
	fix_down(&f);
}

/*
 * A GMK that learns stays while it learns, streams or not; once its E.6
 * expiry has stopped the learning and its last stream is gone, it is
 * released, its dataplane registration too (the key table does not fill).
 */
Test(control_ctl_keys, a_learning_key_is_released_after_its_expiry_and_last_stream)
{
	uint8_t msg[MIKEY_MSG_MAX], kid[DP_KEY_ID_LEN];
	struct dp_srtp_params bob, alice;
	struct mikey_newkey k;
	uint64_t ids[4];
	json_t *r;
	size_t len;
	struct fix f;

	fix_up(&f);
	fix_gmk_msg(&f, &k, 0, FIX_NOW + 100, msg, &len);
	kid[0] = (uint8_t)(k.key_id >> 24);
	kid[1] = (uint8_t)(k.key_id >> 16);
	kid[2] = (uint8_t)(k.key_id >> 8);
	kid[3] = (uint8_t)k.key_id;
	r = fix_mikey_req(msg, len, NULL);	/* learning only: no stream */
	json_object_set_new(r, "learn", json_pack("{s:i}", "port", FIX_MEDIA_PORT));
	r = fix_call(&f, r);
	fix_ok(r);
	json_decref(r);
	/* Bob is learnt and his stream removed: the key still learns, so it stays. */
	bob = fix_gmk_params(&k, fix_guk(&k, FIX_BOB), 0x0b0b0001, DP_SRTP_PROTO_RTP);
	one_punt(&f, &bob, 1);
	cr_assert_eq(fix_learn_counter(&f, "learned"), 1);
	cr_assert_eq(stream_ids(&f, ids, 4), 1);
	del_stream(&f, ids[0]);
	usleep(150000);
	ctl_ops_tick(&f.ops);
	cr_assert_eq(fix_learn_counter(&f, "keys"), 1, "a learning key without streams is wanted");
	alice = fix_gmk_params(&k, fix_guk(&k, FIX_ALICE), 0x0a11ce00, DP_SRTP_PROTO_RTP);
	one_punt(&f, &alice, 1);
	cr_assert_eq(fix_learn_counter(&f, "learned"), 2, "and learns");
	/* The expiry stops the learning; Alice's stream keeps the key. */
	f.now = FIX_NOW + 200;
	ctl_ops_tick(&f.ops);
	cr_assert_eq(fix_learn_counter(&f, "learning_keys"), 0);
	usleep(150000);
	ctl_ops_tick(&f.ops);
	cr_assert_eq(fix_learn_counter(&f, "keys"), 1, "its stream keeps it");
	cr_assert_eq(dp_key_del(f.r.dp, kid), -DP_E_STATE, "registered, with a stream");
	cr_assert_eq(stream_ids(&f, ids, 4), 1);
	del_stream(&f, ids[0]);
	cr_assert_eq(keys_after_ticks(&f, 0), 0, "released");
	cr_assert_eq(dp_key_del(f.r.dp, kid), -DP_E_NOTFOUND, "the dataplane forgot it too");
	sodium_memzero(&alice, sizeof(alice));
	sodium_memzero(&bob, sizeof(bob));
	sodium_memzero(&k, sizeof(k));
	fix_down(&f);
}

/* "learn" is for a GMK: a CSK with it is refused and nothing is installed. */
Test(control_ctl_keys, learn_needs_a_gmk)
{
	uint8_t msg[MIKEY_MSG_MAX];
	struct mikey_newkey k;
	json_t *r;
	size_t len;
	struct fix f;

	fix_up(&f);
	fix_csk_msg(&f, &k, msg, &len);
	r = fix_mikey_req(msg, len, NULL);
	json_object_set_new(r, "learn", json_object());
	r = fix_call(&f, r);
	fix_err(r, "bad_value");
	json_decref(r);
	cr_assert_eq(dp_stream_count(f.r.dp), 0);
	sodium_memzero(&k, sizeof(k));
	fix_down(&f);
}

/* mcpxctl: a learning-only GMK install (no --streams), and usage errors for bad numbers. */
Test(control_ctl_keys, mcpxctl_installs_a_learning_gmk)
{
	uint8_t msg[MIKEY_MSG_MAX];
	char mpath[160], out[4096];
	const char *ok[] = {"--socket", NULL, "--json", "mikey", "install", "--msg", mpath,
			    "--learn-port", "5004", "--learn-max", "4", NULL};
	const char *bad[] = {"--socket", NULL, "mikey", "install", "--msg", mpath, "--replaces",
			     "0df9bc39", "--grace", "soon", NULL};
	/* octal to strtoull: 8 s and stream 8; a person means ten */
	const char *octal[] = {"--socket", NULL, "mikey", "install", "--msg", mpath,
			       "--replaces", "0df9bc39", "--grace", "010", NULL};
	const char *octal_id[] = {"--socket", NULL, "stream", "del", "010", NULL};
	struct mikey_newkey k;
	size_t len;
	FILE *fp;
	struct fix f;

	fix_up(&f);
	ok[1] = bad[1] = octal[1] = octal_id[1] = f.path;
	fix_gmk_msg(&f, &k, 0, 0, msg, &len);
	snprintf(mpath, sizeof(mpath), "%s/gmk.mikey", f.dir);
	fp = fopen(mpath, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(msg, 1, len, fp), len);
	fclose(fp);
	cr_assert_eq(fix_mcpxctl(&f, bad, out, sizeof(out)), 2, "%s", out);
	cr_assert_eq(fix_mcpxctl(&f, octal, out, sizeof(out)), 2, "%s", out);
	cr_assert_eq(fix_mcpxctl(&f, octal_id, out, sizeof(out)), 2, "%s", out);
	cr_assert_eq(fix_mcpxctl(&f, ok, out, sizeof(out)), 0, "%s", out);
	cr_assert_not_null(strstr(out, "\"learning\": true"), "%s", out);
	cr_assert_eq(fix_learn_counter(&f, "learning_keys"), 1);
	unlink(mpath);
	sodium_memzero(&k, sizeof(k));
	fix_down(&f);
}
