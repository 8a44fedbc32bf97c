/* SPDX-License-Identifier: proprietary */
/*
 * Rekey make-before-break on an injectable clock: the schedule's table; a
 * GMK replaced under continuous plain -> secure traffic (before activation
 * every packet is under the old key, after the switch under the new, none
 * lost, each opens under exactly one key); the old MKI accepted on the
 * secure side until the grace ends, then DROP_NOCTX; bad "replaces" refused
 * with nothing installed.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "ctl_fix.h"
#include "ctl_rekey.h"
#include "dp_testlib.h"

static void
suite_init(void)
{
	cr_assert(sodium_init() >= 0);
	ctl_json_init();
}

TestSuite(control_ctl_rekey, .init = suite_init, .timeout = 180);

/* ctl_rekey_retire_at: (activate_at, grace_s, old expiry) -> retire time. */
Test(control_ctl_rekey, the_retire_time_table)
{
	static const struct {
		int64_t at;
		uint32_t grace;
		int64_t expiry, want;
	} t[] = {
		/* 1 */ {1000, 30, 0, 1030},		/* no expiry: the grace */
		/* 2 */ {1000, 30, 5000, 1030},		/* expiry later: the grace */
		/* 3 */ {1000, 30, 1010, 1010},		/* expiry within the grace */
		/* 4 */ {1000, 30, 900, 1000},		/* expired before activation: never before it */
		/* 5 */ {1000, 0, 0, 1000},		/* no grace */
		/* 6 */ {1000, 86400, 0, 87400},
		/* 7 */ {1000, 30, 1030, 1030},		/* expiry exactly at the grace's end */
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_assert_eq(ctl_rekey_retire_at(t[i].at, t[i].grace, t[i].expiry), t[i].want,
			     "row %u", i + 1);
}

#define SRV_SSRC 0x5e4e4e40
#define ALICE_SSRC 0x0a11ce00
#define BURST 64

static json_t *
group_streams(uint32_t g_alice)
{
	return json_pack("[{s:s,s:i,s:i,s:i},{s:s,s:i,s:[{s:s,s:i}]}]", "dir", "unprotect",
			 "ssrc", ALICE_SSRC, "port", FIX_MEDIA_PORT, "guk_id", g_alice, "dir",
			 "protect", "ssrc", SRV_SSRC, "members", "addr", "10.0.0.2", "port",
			 FIX_MEMBER_PORT);
}

static uint64_t
verdict_total(struct fix *f, unsigned int v)
{
	struct dp_worker_counters t;

	dp_counters_total(f->r.dp, &t);
	return t.v[v];
}

static json_t *
stream_of(struct fix *f, uint64_t id)
{
	json_t *req = fix_op("stream.get"), *r;

	json_object_set_new(req, "stream", json_integer((json_int_t)id));
	r = fix_call(f, req);
	fix_ok(r);
	return r;
}

static size_t
pending_rekeys(struct fix *f)
{
	json_t *r = fix_call(f, fix_op("health"));
	size_t n;

	fix_ok(r);
	cr_assert(json_is_array(json_object_get(r, "rekeys")), "health shows rekeys");
	n = json_array_size(json_object_get(r, "rekeys"));
	json_decref(r);
	return n;
}

Test(control_ctl_rekey, a_gmk_is_replaced_without_losing_a_packet)
{
	static uint8_t pkts[BURST][RIG_FRAME];
	uint8_t msg[MIKEY_MSG_MAX];
	uint32_t lens[BURST];
	struct dp_srtp_params p_old, p_new, a_old, a_new;
	struct dp_srtp_ctx *rx_old, *rx_new, *tx_old, *tx_new;
	struct mikey_newkey k1, k2;
	uint64_t old_pid, new_pid, noctx, seen;
	unsigned int i, n, under_old, under_new, seq = 0;
	bool seen_new;
	char kid[9];
	json_t *r, *req;
	size_t len;
	struct fix f;

	fix_up(&f);
	/* The old key: Alice's media in, ours out to the member. */
	fix_gmk_msg(&f, &k1, 0, 0, msg, &len);
	r = fix_call(&f, fix_mikey_req(msg, len, group_streams(fix_guk(&k1, FIX_ALICE))));
	fix_ok(r);
	old_pid = (uint64_t)json_integer_value(json_object_get(json_array_get(
			json_object_get(r, "streams"), 1), "id"));
	json_decref(r);
	p_old = fix_gmk_params(&k1, fix_guk(&k1, FIX_APP), SRV_SSRC, DP_SRTP_PROTO_RTP);
	a_old = fix_gmk_params(&k1, fix_guk(&k1, FIX_ALICE), ALICE_SSRC, DP_SRTP_PROTO_RTP);
	rx_old = fix_ctx(&p_old, DP_SRTP_DIR_UNPROTECT);
	tx_old = fix_ctx(&a_old, DP_SRTP_DIR_PROTECT);

	/* The new key replaces it at FIX_NOW + 10, grace 30. */
	fix_gmk_msg(&f, &k2, 0, 0, msg, &len);
	req = fix_mikey_req(msg, len, group_streams(fix_guk(&k2, FIX_ALICE)));
	snprintf(kid, sizeof(kid), "%08x", k1.key_id);
	json_object_set_new(req, "replaces", json_string(kid));
	json_object_set_new(req, "activate_at", json_integer(FIX_NOW + 10));
	json_object_set_new(req, "grace_s", json_integer(30));
	r = fix_call(&f, req);
	fix_ok(r);
	cr_assert_eq(json_integer_value(json_object_get(r, "activate_at")), FIX_NOW + 10);
	cr_assert_eq(json_integer_value(json_object_get(r, "retire_at")), FIX_NOW + 40);
	new_pid = (uint64_t)json_integer_value(json_object_get(json_array_get(
			json_object_get(r, "streams"), 1), "id"));
	json_decref(r);
	cr_assert_eq(dp_stream_count(f.r.dp), 4, "both keys' streams side by side");
	r = stream_of(&f, new_pid);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "stream"),
							     "state")), "standby");
	json_decref(r);
	r = stream_of(&f, old_pid);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "stream"),
							     "state")), "active");
	json_decref(r);
	cr_assert_eq(pending_rekeys(&f), 1);
	p_new = fix_gmk_params(&k2, fix_guk(&k2, FIX_APP), SRV_SSRC, DP_SRTP_PROTO_RTP);
	a_new = fix_gmk_params(&k2, fix_guk(&k2, FIX_ALICE), ALICE_SSRC, DP_SRTP_PROTO_RTP);
	rx_new = fix_ctx(&p_new, DP_SRTP_DIR_UNPROTECT);
	tx_new = fix_ctx(&a_new, DP_SRTP_DIR_PROTECT);

	/* Before the activation time: a tick changes nothing, all under the old key. */
	f.now = FIX_NOW + 9;
	ctl_ops_tick(&f.ops);	/* as mcpxd's loop does */
	for (i = 0; i < 8; i++)
		fix_send_plain(&f, SRV_SSRC, (uint16_t)seq++);
	cr_assert_eq(fix_take_secure(&f, pkts, lens, BURST, 8, 3000), 8);
	for (i = 0; i < 8; i++)
		cr_assert(fix_opens(rx_old, pkts[i], lens[i], SRV_SSRC, (uint16_t)i),
			  "packet %u under the old key", i);

	/* The switch while a burst is in flight: none lost, each under exactly one key. */
	for (i = 0; i < BURST; i++)
		fix_send_plain(&f, SRV_SSRC, (uint16_t)(seq + i));
	f.now = FIX_NOW + 10;
	ctl_ops_tick(&f.ops);	/* as mcpxd's loop does */
	n = fix_take_secure(&f, pkts, lens, BURST, BURST, 3000);
	cr_assert_eq(n, BURST, "every packet came out: %u of %u", n, BURST);
	under_old = under_new = 0;
	seen_new = false;
	for (i = 0; i < n; i++) {
		bool o = fix_opens(rx_old, pkts[i], lens[i], SRV_SSRC, (uint16_t)(seq + i));
		bool w = fix_opens(rx_new, pkts[i], lens[i], SRV_SSRC, (uint16_t)(seq + i));

		cr_assert(o != w, "packet %u opens under exactly one key (old %d new %d)", i, o, w);
		cr_assert(!(o && seen_new), "packet %u: the old key after the new one", i);
		seen_new = seen_new || w;
		under_old += o;
		under_new += w;
	}
	cr_assert_eq(under_old + under_new, BURST);
	seq += BURST;
	/* After it: all under the new key; the old protect stream is gone. */
	for (i = 0; i < 8; i++)
		fix_send_plain(&f, SRV_SSRC, (uint16_t)(seq + i));
	cr_assert_eq(fix_take_secure(&f, pkts, lens, BURST, 8, 3000), 8);
	for (i = 0; i < 8; i++)
		cr_assert(fix_opens(rx_new, pkts[i], lens[i], SRV_SSRC, (uint16_t)(seq + i)),
			  "after the switch, packet %u under the new key", i);
	seq += 8;
	r = stream_of(&f, new_pid);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "stream"),
							     "state")), "active");
	json_decref(r);
	cr_assert_eq(dp_sync(f.r.dp, 3000), 0);
	cr_assert_eq(dp_stream_count(f.r.dp), 3, "the old protect stream was removed");

	/* Within the grace, Alice's old key still gets in, and her new one too. */
	f.now = FIX_NOW + 39;
	ctl_ops_tick(&f.ops);	/* as mcpxd's loop does */
	fix_send_secure(&f, tx_old, ALICE_SSRC, 1);
	fix_expect_plain(&f, ALICE_SSRC, 1);
	fix_send_secure(&f, tx_new, ALICE_SSRC, 2);
	fix_expect_plain(&f, ALICE_SSRC, 2);
	cr_assert_eq(pending_rekeys(&f), 1);

	/* The grace ends: the old key's streams and the key go; its MKI is DROP_NOCTX. */
	f.now = FIX_NOW + 40;
	ctl_ops_tick(&f.ops);	/* as mcpxd's loop does */
	cr_assert_eq(pending_rekeys(&f), 0);
	cr_assert_eq(dp_sync(f.r.dp, 3000), 0);
	cr_assert_eq(dp_stream_count(f.r.dp), 2, "the new key's two streams");
	noctx = verdict_total(&f, DP_V_DROP_NOCTX);
	seen = rig_verdicts(&f.r);	/* before the send: the worker may be quick */
	fix_send_secure(&f, tx_old, ALICE_SSRC, 3);
	rig_wait_verdicts(&f.r, seen + 1, 3000);
	cr_assert_eq(verdict_total(&f, DP_V_DROP_NOCTX), noctx + 1, "the old MKI: no context");
	fix_send_secure(&f, tx_new, ALICE_SSRC, 4);
	fix_expect_plain(&f, ALICE_SSRC, 4);

	dp_srtp_ctx_free(rx_old);
	dp_srtp_ctx_free(rx_new);
	dp_srtp_ctx_free(tx_old);
	dp_srtp_ctx_free(tx_new);
	sodium_memzero(&p_old, sizeof(p_old));
	sodium_memzero(&p_new, sizeof(p_new));
	sodium_memzero(&a_old, sizeof(a_old));
	sodium_memzero(&a_new, sizeof(a_new));
	sodium_memzero(&k1, sizeof(k1));
	sodium_memzero(&k2, sizeof(k2));
	fix_down(&f);
}

Test(control_ctl_rekey, a_bad_replaces_installs_nothing)
{
	uint8_t msg[MIKEY_MSG_MAX];
	struct mikey_newkey k1, k2;
	char kid[9];
	json_t *r, *req, *streams;
	size_t len;
	struct fix f;

	fix_up(&f);
	fix_gmk_msg(&f, &k1, 0, 0, msg, &len);
	r = fix_call(&f, fix_mikey_req(msg, len, group_streams(fix_guk(&k1, FIX_ALICE))));
	fix_ok(r);
	json_decref(r);
	fix_gmk_msg(&f, &k2, 0, 0, msg, &len);

	/* 1: a key nobody installed */
	req = fix_mikey_req(msg, len, group_streams(fix_guk(&k2, FIX_ALICE)));
	json_object_set_new(req, "replaces", json_string("0badc0de"));
	r = fix_call(&f, req);
	fix_err(r, "bad_value");
	json_decref(r);
	cr_assert_eq(dp_stream_count(f.r.dp), 2);

	/* 2: a protect stream with no active twin under the old key (another SSRC) */
	streams = json_pack("[{s:s,s:i,s:[{s:s,s:i}]}]", "dir", "protect", "ssrc", 0x77777777,
			    "members", "addr", "10.0.0.2", "port", FIX_MEMBER_PORT);
	req = fix_mikey_req(msg, len, streams);
	snprintf(kid, sizeof(kid), "%08x", k1.key_id);
	json_object_set_new(req, "replaces", json_string(kid));
	r = fix_call(&f, req);
	fix_err(r, "bad_value");
	json_decref(r);
	/* 3: the twin's members differ */
	streams = json_pack("[{s:s,s:i,s:[{s:s,s:i}]}]", "dir", "protect", "ssrc", SRV_SSRC,
			    "members", "addr", "10.0.0.3", "port", FIX_MEMBER_PORT);
	req = fix_mikey_req(msg, len, streams);
	json_object_set_new(req, "replaces", json_string(kid));
	r = fix_call(&f, req);
	fix_err(r, "bad_value");
	json_decref(r);
	cr_assert_eq(dp_stream_count(f.r.dp), 2, "nothing was installed");
	cr_assert_eq(pending_rekeys(&f), 0);

	/* 4: and the same message with a good twin is then taken (nothing was half-kept) */
	req = fix_mikey_req(msg, len, group_streams(fix_guk(&k2, FIX_ALICE)));
	json_object_set_new(req, "replaces", json_string(kid));
	r = fix_call(&f, req);
	fix_ok(r);
	json_decref(r);
	/* activation: the message's (its T, now): switched at once, the old protect stream gone */
	cr_assert_eq(dp_stream_count(f.r.dp), 3);
	cr_assert_eq(pending_rekeys(&f), 1);
	sodium_memzero(&k1, sizeof(k1));
	sodium_memzero(&k2, sizeof(k2));
	fix_down(&f);
}
