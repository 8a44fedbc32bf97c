/* SPDX-License-Identifier: proprietary */
/*
 * control.sock end to end: the server and its operations in this process on
 * EAL with a net_ring port pair (tests/dataplane/dp_rig.h), a client socket
 * driven from the same thread (send, then poll the server until the reply
 * is there). Raw-key streams installed over the socket carry traffic and
 * are removed; batches are all or nothing; bad input gets its exact code and
 * the server goes on; another uid is refused; a stuck client blocks no one;
 * mcpxctl's exit codes; a private call installed from a PCK I_MESSAGE.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <sodium.h>

#include "ctl_cli.h"
#include "ctl_keys.h"
#include "ctl_json.h"
#include "ctl_server.h"
#include "dp_rig.h"
#include "dp_testlib.h"
#include "keys_period.h"
#include "kms.h"
#include "mikey_sakke.h"
#include "store.h"

#define SEC DP_SIDE_SECURE
#define PLN DP_SIDE_PLAIN
#define MEDIA_PORT 5004
#define MEMBER_PORT 6000
#define WAIT_MS 10000

struct h {
	struct rig r;
	struct ctl_ops ops;
	struct ctl_server *srv;
	char dir[32], path[96];
	int fd;
	int64_t id;
};

static void
suite_init(void)
{
	cr_assert(sodium_init() >= 0);
	ctl_json_init();
	signal(SIGPIPE, SIG_IGN);
}

TestSuite(control_ctl_server, .init = suite_init, .timeout = 180);

static void
h_up(struct h *h, mode_t mode)
{
	struct ctl_server_cfg cfg = {.uid = getuid(), .mode = mode};
	struct ctl_err err;

	memset(h, 0, sizeof(*h));
	snprintf(h->dir, sizeof(h->dir), "/tmp/mcpx-ctlXXXXXX");
	cr_assert_not_null(mkdtemp(h->dir));
	snprintf(h->path, sizeof(h->path), "%s/run/control.sock", h->dir);
	rig_up(&h->r, 1, NULL);
	cr_assert_eq(dp_start(h->r.dp), 0);
	h->ops.dp = h->r.dp;
	cfg.path = h->path;
	cr_assert_eq(ctl_server_new(&h->srv, &cfg, &h->ops, &err), 0, "%s", err.msg);
	h->fd = ctl_cli_connect(h->path);
}

static void
h_down(struct h *h)
{
	char run[160];

	close(h->fd);
	ctl_server_free(h->srv);
	ctl_keys_free(h->ops.keys);
	ctl_ops_fini(&h->ops);	/* the in-memory index store its protect streams made */
	cr_assert_neq(access(h->path, F_OK), 0, "the socket is unlinked");
	rig_down(&h->r);
	snprintf(run, sizeof(run), "%s/run", h->dir);
	rmdir(run);
	rmdir(h->dir);
}

/* Serve until |fd| has a reply (bounded), then read it. */
static json_t *
reply_wait(struct h *h, int fd)
{
	static uint8_t buf[CTL_REPLY_MAX + 1];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	json_error_t je;
	unsigned int t;
	ssize_t n;
	json_t *j;

	for (t = 0; t < WAIT_MS / 5 && poll(&p, 1, 0) == 0; t++)
		ctl_server_poll(h->srv, 5);
	cr_assert_eq(poll(&p, 1, 0), 1, "no reply within %d ms", WAIT_MS);
	n = recv(fd, buf, sizeof(buf), 0);
	cr_assert_gt(n, 0, "the server closed the connection");
	j = json_loadb((const char *)buf, (size_t)n, 0, &je);
	cr_assert_not_null(j, "the reply is JSON: %s", je.text);
	cr_assert_eq(json_integer_value(json_object_get(j, "v")), 1);
	return j;
}

static json_t *
call_raw(struct h *h, const void *b, size_t len)
{
	cr_assert_eq(send(h->fd, b, len, 0), (ssize_t)len);
	return reply_wait(h, h->fd);
}

/* Add v and a fresh id to |req| (consumed), send it, check the id echoed. */
static json_t *
call(struct h *h, json_t *req)
{
	char *s;
	json_t *r;
	int64_t id = ++h->id;

	json_object_set_new(req, "v", json_integer(1));
	json_object_set_new(req, "id", json_integer(id));
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	r = call_raw(h, s, strlen(s));
	ctl_json_free(s);
	cr_assert_eq(json_integer_value(json_object_get(r, "id")), id, "the id is echoed");
	return r;
}

static void
expect_ok(json_t *r)
{
	char *s = json_dumps(r, 0);

	cr_assert(json_is_true(json_object_get(r, "ok")), "refused: %s", s);
	ctl_json_free(s);
}

static void
expect_err(json_t *r, const char *code)
{
	const char *c = json_string_value(json_object_get(json_object_get(r, "error"), "code"));
	const char *m = json_string_value(json_object_get(json_object_get(r, "error"), "message"));

	cr_assert(json_is_false(json_object_get(r, "ok")));
	cr_assert_not_null(c);
	cr_assert_str_eq(c, code, "message: %s", m ? m : "(none)");
	cr_assert(m != NULL && m[0] != '\0', "a message");
}

static json_t *
op(const char *name)
{
	json_t *r = json_object();

	json_object_set_new(r, "op", json_string(name));
	return r;
}

/* The stream entry of |p| as stream.add takes it. */
static json_t *
stream_json(const struct dp_srtp_params *p, uint16_t port, const struct tf *member)
{
	const struct dp_srtp_profile_info *pi = dp_srtp_profile_info(p->profile);
	json_t *o = json_object();
	char h[80];

	json_object_set_new(o, "dir", json_string(p->dir == DP_SRTP_DIR_PROTECT ? "protect"
										 : "unprotect"));
	json_object_set_new(o, "proto", json_string(p->proto == DP_SRTP_PROTO_RTCP ? "rtcp"
										   : "rtp"));
	json_object_set_new(o, "profile", json_string(pi->name));
	sodium_bin2hex(h, sizeof(h), p->master_key, pi->key_len);
	json_object_set_new(o, "master_key", json_string(h));
	sodium_bin2hex(h, sizeof(h), p->master_salt, pi->salt_len);
	json_object_set_new(o, "master_salt", json_string(h));
	sodium_bin2hex(h, sizeof(h), p->mki, p->mki_len);
	json_object_set_new(o, "mki", json_string(h));
	json_object_set_new(o, "ssrc", json_integer(p->ssrc));
	json_object_set_new(o, "rcc_r", json_integer(p->rcc_r));
	if (port != 0)
		json_object_set_new(o, "port", json_integer(port));
	if (member != NULL) {
		json_t *m = json_object(), *a = json_array();

		json_object_set_new(m, "addr", json_string("10.0.0.2"));
		json_object_set_new(m, "port", json_integer(member->dport));
		json_array_append_new(a, m);
		json_object_set_new(o, "members", a);
	}
	return o;
}

static struct dp_srtp_params
mkparams(unsigned int dir, uint32_t ssrc, uint8_t seed)
{
	struct dp_srtp_params p;
	unsigned int i;

	memset(&p, 0, sizeof(p));
	p.profile = DP_SRTP_AEAD_AES_128_GCM;
	p.proto = DP_SRTP_PROTO_RTP;
	p.dir = dir;
	for (i = 0; i < 16; i++)
		p.master_key[i] = (uint8_t)(seed * 31 + i);
	for (i = 0; i < 12; i++)
		p.master_salt[i] = (uint8_t)(seed * 17 + i * 3);
	memcpy(p.mki, "\x0d\xf9\xbc\x39\x00\x00\x00", 8);
	p.mki[7] = seed;
	p.mki_len = 8;
	p.ssrc = ssrc;
	p.rcc_r = 1;
	return p;
}

static struct dp_srtp_ctx *
client_ctx(const struct dp_srtp_params *p, unsigned int dir)
{
	struct dp_srtp_params q = *p;
	struct dp_srtp_ctx *c = NULL;

	q.dir = dir;
	cr_assert_eq(dp_srtp_ctx_new(&c, DP_SRTP_BACKEND_LIBSRTP, &q), 0);
	return c;
}

/* The client protects an RTP packet, it goes in on the secure side; the plain one must come out. */
static void
secure_to_plain(struct h *h, struct dp_srtp_ctx *tx, uint32_t ssrc, uint16_t seq, bool expect)
{
	static struct frame out[4];
	uint8_t pl[256], b[RIG_FRAME], f[RIG_FRAME], want[RIG_FRAME];
	uint32_t len = tf_rtp(pl, ssrc, seq, 80, 0), l2 = len, fl, wl;
	struct tf t;

	tf_default(&t, false, MEDIA_PORT);
	memcpy(b, pl, len);
	cr_assert_eq(dp_srtp_process(tx, b, &l2, sizeof(b)), DP_V_FWD);
	fl = tf_build(f, &t, b, l2);
	rig_send(&h->r, SEC, 0, f, fl);
	if (!expect) {
		/* No stream: UDP off the media ports passes unchanged (unmatched: pass). */
		if (rig_recv(&h->r, PLN, out, 4, 1, 300) != 0) {
			cr_assert_eq(out[0].len, fl);
			cr_assert_arr_eq(out[0].b, f, fl, "only the ciphertext, unchanged");
		}
		return;
	}
	cr_assert_eq(rig_recv(&h->r, PLN, out, 4, 1, 3000), 1, "seq %u: nothing came out", seq);
	wl = tf_build(want, &t, pl, len);
	cr_assert_eq(out[0].len, wl);
	cr_assert_arr_eq(out[0].b, want, wl, "the plain frame, byte for byte");
}

/* The server sends plain RTP to a member; the client must be able to unprotect what comes out. */
static void
plain_to_secure(struct h *h, struct dp_srtp_ctx *rx, uint32_t ssrc, uint16_t seq)
{
	static struct frame out[4];
	uint8_t pl[256], f[RIG_FRAME], b[RIG_FRAME];
	uint32_t len = tf_rtp(pl, ssrc, seq, 80, 1), off, sl;
	struct tf t;

	tf_default(&t, false, MEMBER_PORT);
	rig_send(&h->r, PLN, 0, f, tf_build(f, &t, pl, len));
	cr_assert_eq(rig_recv(&h->r, SEC, out, 4, 1, 3000), 1, "seq %u: nothing came out", seq);
	cr_assert_eq(tf_verify(out[0].b, out[0].len, &off, &sl), 0);
	memcpy(b, out[0].b + off, sl);
	cr_assert_eq(dp_srtp_process(rx, b, &sl, sizeof(b)), DP_V_FWD, "the client unprotects");
	cr_assert_eq(sl, len);
	cr_assert_arr_eq(b, pl, len);
}

static uint64_t
verdict_of(json_t *v, const char *name)
{
	return (uint64_t)json_integer_value(json_object_get(v, name));
}

Test(control_ctl_server, raw_streams_carry_traffic_and_are_removed)
{
	struct dp_srtp_params up = mkparams(DP_SRTP_DIR_UNPROTECT, 0x11223344, 1);
	struct dp_srtp_params pr = mkparams(DP_SRTP_DIR_PROTECT, 0x55667788, 2);
	struct dp_srtp_ctx *ctx_tx, *ctx_rx;
	json_t *req, *arr, *r, *ids, *s;
	struct tf member;
	uint64_t id_up, id_pr;
	char *text;
	unsigned int i;
	struct h h;

	h_up(&h, 0);
	ctx_tx = client_ctx(&up, DP_SRTP_DIR_PROTECT);
	ctx_rx = client_ctx(&pr, DP_SRTP_DIR_UNPROTECT);
	tf_default(&member, false, MEMBER_PORT);
	req = op("stream.add");
	arr = json_array();
	json_array_append_new(arr, stream_json(&up, MEDIA_PORT, NULL));
	json_array_append_new(arr, stream_json(&pr, 0, &member));
	json_object_set_new(req, "streams", arr);
	r = call(&h, req);
	expect_ok(r);
	ids = json_object_get(r, "streams");
	cr_assert_eq(json_array_size(ids), 2);
	id_up = (uint64_t)json_integer_value(json_array_get(ids, 0));
	id_pr = (uint64_t)json_integer_value(json_array_get(ids, 1));
	json_decref(r);
	cr_assert_eq(dp_stream_count(h.r.dp), 2);

	for (i = 0; i < 3; i++) {
		secure_to_plain(&h, ctx_tx, up.ssrc, (uint16_t)(10 + i), true);
		plain_to_secure(&h, ctx_rx, pr.ssrc, (uint16_t)(20 + i));
	}
	rig_wait_verdicts(&h.r, 6, 3000);

	/* get: the parameters and counters, never the key. */
	req = op("stream.get");
	json_object_set_new(req, "stream", json_integer((json_int_t)id_up));
	r = call(&h, req);
	expect_ok(r);
	s = json_object_get(r, "stream");
	cr_assert_str_eq(json_string_value(json_object_get(s, "dir")), "unprotect");
	cr_assert_str_eq(json_string_value(json_object_get(s, "mki")), "0df9bc3900000001");
	cr_assert_eq(json_integer_value(json_object_get(s, "ssrc")), 0x11223344);
	cr_assert_eq(verdict_of(json_object_get(s, "verdicts"), "fwd"), 3);
	text = json_dumps(r, 0);
	cr_assert_null(strstr(text, "master"), "no key field in %s", text);
	cr_assert_null(strstr(text, "1f202122"), "no key bytes");	/* seed 1's key, hex */
	ctl_json_free(text);
	json_decref(r);

	/* list, with details and by ids */
	req = op("stream.list");
	json_object_set_new(req, "details", json_true());
	r = call(&h, req);
	expect_ok(r);
	cr_assert_eq(json_array_size(json_object_get(r, "streams")), 2);
	cr_assert_eq(json_integer_value(json_object_get(r, "total")), 2);
	text = json_dumps(r, 0);
	cr_assert_null(strstr(text, "master"));
	ctl_json_free(text);
	json_decref(r);

	/* counters: per verdict totals and per port */
	r = call(&h, op("counters"));
	expect_ok(r);
	cr_assert_eq(verdict_of(json_object_get(json_object_get(r, "total"), "verdicts"), "fwd"),
		     6);
	cr_assert_eq(json_array_size(json_object_get(r, "ports")), 2);
	s = json_array_get(json_object_get(r, "ports"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(s, "side")), "secure");
	cr_assert_eq(verdict_of(json_object_get(s, "verdicts"), "fwd"), 3);
	cr_assert_eq(json_integer_value(json_object_get(s, "rx")), 3);
	json_decref(r);

	/* remove both; the unprotect stream's packets no longer come out */
	req = op("stream.del");
	json_object_set_new(req, "stream", json_integer((json_int_t)id_up));
	r = call(&h, req);
	expect_ok(r);
	json_decref(r);
	req = op("stream.del");
	json_object_set_new(req, "stream", json_integer((json_int_t)id_pr));
	r = call(&h, req);
	expect_ok(r);
	json_decref(r);
	cr_assert_eq(dp_sync(h.r.dp, 3000), 0);
	cr_assert_eq(dp_stream_count(h.r.dp), 0);
	secure_to_plain(&h, ctx_tx, up.ssrc, 50, false);
	req = op("stream.get");
	json_object_set_new(req, "stream", json_integer((json_int_t)id_up));
	r = call(&h, req);
	expect_err(r, "not_found");
	json_decref(r);

	dp_srtp_ctx_free(ctx_tx);
	dp_srtp_ctx_free(ctx_rx);
	h_down(&h);
}

/*
 * The largest streams a page can hold: protect, 16 members at full-length
 * IPv6 addresses. 256 of them passed the reply's 256 KiB with details, so a
 * daemon holding them could not be listed at all; every page must come back
 * and the pages together name each stream once.
 */
Test(control_ctl_server, every_details_page_of_the_largest_streams_fits_a_reply)
{
	enum { N = 256, BATCH = 16 };
	static bool seen[N];
	struct tf member;
	json_t *req, *arr, *r, *m, *st;
	json_int_t cursor = 0;
	unsigned int b, i, j, pages = 0, listed = 0;
	char addr[48];
	struct h h;

	h_up(&h, 0);
	tf_default(&member, false, MEMBER_PORT);
	for (b = 0; b < N / BATCH; b++) {
		req = op("stream.add");
		arr = json_array();
		for (i = b * BATCH; i < (b + 1) * BATCH; i++) {
			struct dp_srtp_params p = mkparams(DP_SRTP_DIR_PROTECT, 0x70000000u + i,
							   (uint8_t)(1 + i % 200));

			st = stream_json(&p, 0, &member);
			m = json_array();
			for (j = 0; j < DP_STREAM_MAX_MEMBERS; j++) {
				json_t *o = json_object();

				snprintf(addr, sizeof(addr), "fd12:3456:789a:bcde:f012:3456:%04x:%04x",
					 0xa000u + i, 0xb000u + j);
				json_object_set_new(o, "addr", json_string(addr));
				json_object_set_new(o, "port", json_integer(65000 + j));
				json_array_append_new(m, o);
			}
			json_object_set_new(st, "members", m);
			json_array_append_new(arr, st);
		}
		json_object_set_new(req, "streams", arr);
		r = call(&h, req);
		expect_ok(r);
		json_decref(r);
	}
	cr_assert_eq(dp_stream_count(h.r.dp), N);
	do {
		req = op("stream.list");
		json_object_set_new(req, "details", json_true());
		json_object_set_new(req, "cursor", json_integer(cursor));
		r = call(&h, req);
		expect_ok(r);
		arr = json_object_get(r, "streams");
		for (i = 0; i < json_array_size(arr); i++) {
			json_int_t ssrc = json_integer_value(json_object_get(json_array_get(arr, i),
									     "ssrc"));

			cr_assert(ssrc >= 0x70000000 && ssrc < 0x70000000 + N, "ssrc %lld",
				  (long long)ssrc);
			cr_assert_not(seen[ssrc - 0x70000000], "listed twice");
			seen[ssrc - 0x70000000] = true;
			listed++;
		}
		cursor = json_integer_value(json_object_get(r, "cursor"));
		json_decref(r);
		cr_assert_lt(++pages, 10, "the cursor goes on");
	} while (cursor != 0);
	cr_assert_eq(listed, N);
	h_down(&h);
}

Test(control_ctl_server, a_failed_batch_leaves_nothing_installed)
{
	struct dp_srtp_params a = mkparams(DP_SRTP_DIR_UNPROTECT, 1, 1);
	struct dp_srtp_params b = mkparams(DP_SRTP_DIR_UNPROTECT, 2, 1);
	struct dp_srtp_params bad_rcc = mkparams(DP_SRTP_DIR_UNPROTECT, 3, 1);
	json_t *req, *arr, *r;
	struct h h;

	h_up(&h, 0);
	/* the third entry duplicates the first: exists, and the first two are gone again */
	req = op("stream.add");
	arr = json_array();
	json_array_append_new(arr, stream_json(&a, MEDIA_PORT, NULL));
	json_array_append_new(arr, stream_json(&b, MEDIA_PORT, NULL));
	json_array_append_new(arr, stream_json(&a, MEDIA_PORT, NULL));
	json_object_set_new(req, "streams", arr);
	r = call(&h, req);
	expect_err(r, "exists");
	cr_assert_not_null(strstr(json_string_value(json_object_get(json_object_get(r, "error"),
								     "message")), "streams[2]"));
	json_decref(r);
	cr_assert_eq(dp_sync(h.r.dp, 3000), 0);
	cr_assert_eq(dp_stream_count(h.r.dp), 0, "nothing half-installed");

	/* the dataplane refuses an entry (RCCm3 on an HMAC profile) */
	bad_rcc.profile = DP_SRTP_AES_CM_128_HMAC_SHA1_80;
	bad_rcc.master_salt[13] = 1;
	req = op("stream.add");
	arr = json_array();
	json_array_append_new(arr, stream_json(&a, MEDIA_PORT, NULL));
	json_array_append_new(arr, stream_json(&bad_rcc, MEDIA_PORT, NULL));
	json_object_set_new(req, "streams", arr);
	r = call(&h, req);
	expect_err(r, "dataplane");
	json_decref(r);
	cr_assert_eq(dp_sync(h.r.dp, 3000), 0);
	cr_assert_eq(dp_stream_count(h.r.dp), 0);

	/* and the same first entry installs fine afterwards */
	req = op("stream.add");
	arr = json_array();
	json_array_append_new(arr, stream_json(&a, MEDIA_PORT, NULL));
	json_object_set_new(req, "streams", arr);
	r = call(&h, req);
	expect_ok(r);
	json_decref(r);
	cr_assert_eq(dp_stream_count(h.r.dp), 1);
	h_down(&h);
}

Test(control_ctl_server, bad_input_gets_its_code_and_the_server_goes_on)
{
	static const struct {
		const char *req;
		const char *code;
	} bad[] = {
		{"{not json", "bad_json"},
		{"{\"v\":9,\"op\":\"health\"}", "bad_version"},
		{"{\"v\":1,\"op\":\"reboot\"}", "unknown_op"},
		{"{\"v\":1,\"op\":\"stream.add\",\"streams\":\"all\"}", "bad_type"},
		{"{\"v\":1,\"op\":\"stream.add\",\"streams\":[{\"dir\":\"protect\"}]}",
		 "missing_field"},
		{"{\"v\":1,\"op\":\"stream.del\",\"stream\":424242}", "not_found"},
		{"{\"v\":1,\"op\":\"stream.get\",\"stream\":-4}", "bad_value"},
		{"{\"v\":1,\"op\":\"mikey.install\",\"i_message\":\"AAEC\",\"streams\":"
		 "[{\"dir\":\"unprotect\",\"ssrc\":1,\"cs_id\":0}]}", "no_key_store"},
		{"{\"v\":1,\"op\":\"keystore.reload\"}", "no_key_store"},
	};
	static char big[CTL_MSG_MAX + 64];
	unsigned int i;
	json_t *r;
	struct h h;

	h_up(&h, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = call_raw(&h, bad[i].req, strlen(bad[i].req));
		expect_err(r, bad[i].code);
		json_decref(r);
	}
	/* larger than one request may be: the datagram is truncated, and refused */
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"v\":1,\"op\":\"health\"}", 22);
	r = call_raw(&h, big, sizeof(big));
	expect_err(r, "too_big");
	json_decref(r);
	r = call(&h, op("health"));
	expect_ok(r);
	cr_assert_str_eq(json_string_value(json_object_get(r, "status")), "running");
	cr_assert_eq(json_integer_value(json_object_get(r, "refused")),
		     (json_int_t)(sizeof(bad) / sizeof(bad[0]) + 1));
	json_decref(r);
	/* Every request, refused or not, gave the request arena back (this thread served them). */
	cr_assert_null(ctl_json_scratch());
	if (ctl_json_arena_available()) {
		cr_assert(ctl_json_arena_begin(), "the arena is free after serving");
		ctl_json_arena_end();
	}
	h_down(&h);
}

/* An op or field name of multi-byte characters, cut for the message: the reply keeps it. */
Test(control_ctl_server, a_cut_name_keeps_the_error_message)
{
	char req[256], name[128] = "";
	unsigned int i;
	json_t *r;
	struct h h;
	int n;

	for (i = 0; i < 20; i++)
		strcat(name, "\xe2\x82\xac");
	h_up(&h, 0);
	n = snprintf(req, sizeof(req), "{\"v\":1,\"op\":\"%s\"}", name);
	r = call_raw(&h, req, (size_t)n);
	expect_err(r, "unknown_op");	/* asserts error.message is there */
	json_decref(r);
	n = snprintf(req, sizeof(req), "{\"v\":1,\"op\":\"health\",\"%s\":1}", name);
	r = call_raw(&h, req, (size_t)n);
	expect_err(r, "bad_value");
	json_decref(r);
	h_down(&h);
}

/* --control naming a file that is not a socket: refused, and the file stays as it was. */
Test(control_ctl_server, a_path_that_is_not_a_socket_is_not_replaced)
{
	static const char content[] = "not a socket\n";
	struct ctl_server_cfg cfg = {.uid = getuid()};
	struct ctl_server *srv = NULL;
	struct ctl_ops ops;
	struct ctl_err err;
	char dir[] = "/tmp/mcpx-ctlXXXXXX", path[96], back[64];
	struct stat st;
	FILE *f;
	size_t n;

	memset(&ops, 0, sizeof(ops));	/* refused before any request: no dataplane needed */
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/control.sock", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(content, f);
	fclose(f);
	cfg.path = path;
	cr_assert_eq(ctl_server_new(&srv, &cfg, &ops, &err), -CTL_E_IO);
	cr_assert_null(srv);
	cr_assert_not_null(strstr(err.msg, "not a socket"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, path), "the path is named: %s", err.msg);
	cr_assert_eq(lstat(path, &st), 0, "the file is still there");
	cr_assert(S_ISREG(st.st_mode));
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = fread(back, 1, sizeof(back), f);
	fclose(f);
	cr_assert_eq(n, sizeof(content) - 1);
	cr_assert_arr_eq(back, content, n, "and unchanged");
	/* A directory there is refused the same way. */
	unlink(path);
	cr_assert_eq(mkdir(path, 0700), 0);
	cr_assert_eq(ctl_server_new(&srv, &cfg, &ops, &err), -CTL_E_IO);
	cr_assert_not_null(strstr(err.msg, "not a socket"), "%s", err.msg);
	cr_assert_eq(rmdir(path), 0, "the directory is still there");
	/* A socket file nobody answers on (a daemon that died) is replaced. */
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd);	/* the file stays, nobody listens */
	}
	cr_assert_eq(ctl_server_new(&srv, &cfg, &ops, &err), 0, "%s", err.msg);
	ctl_server_free(srv);
	cr_assert_neq(access(path, F_OK), 0, "unlinked at free");
	rmdir(dir);
}

Test(control_ctl_server, another_uid_is_refused)
{
	struct pollfd p;
	uint8_t buf[1024];
	pid_t pid;
	int st = -1, k;
	unsigned int t;
	struct h h;

	cr_assert_eq(getuid(), 0, "this test runs as root (it setuid()s a child to nobody)");
	h_up(&h, 0666);	/* the file lets anyone connect: SO_PEERCRED must still refuse */
	cr_assert_eq(chmod(h.dir, 0755), 0);
	{
		char run[160];

		snprintf(run, sizeof(run), "%s/run", h.dir);
		cr_assert_eq(chmod(run, 0755), 0);
	}
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd;
		ssize_t n;

		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(10);
		fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", h.path);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			_exit(11);
		(void)!send(fd, "{\"v\":1,\"op\":\"shutdown\"}", 23, MSG_NOSIGNAL);
		p = (struct pollfd){.fd = fd, .events = POLLIN};
		if (poll(&p, 1, WAIT_MS) != 1)
			_exit(12);
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			_exit(13);
		buf[n] = '\0';
		if (strstr((char *)buf, "\"forbidden\"") == NULL)
			_exit(14);
		n = recv(fd, buf, sizeof(buf), 0);	/* then the server closed */
		_exit(n == 0 ? 0 : 15);
	}
	for (t = 0, k = 0; t < WAIT_MS / 5 && k == 0; t++) {
		ctl_server_poll(h.srv, 5);
		k = waitpid(pid, &st, WNOHANG);
	}
	cr_assert_eq(k, pid, "the child finished");
	cr_assert(WIFEXITED(st));
	cr_assert_eq(WEXITSTATUS(st), 0, "child step %d failed", WEXITSTATUS(st));
	cr_assert_not(h.ops.shutdown, "the refused request was never run");
	h_down(&h);
}

Test(control_ctl_server, a_stuck_client_blocks_no_one)
{
	static char req[] = "{\"v\":1,\"op\":\"counters\"}";
	unsigned int i;
	int stuck, gone;
	json_t *r;
	struct h h;

	h_up(&h, 0);
	/* sends and never reads: its replies pile up until it holds one pending */
	stuck = ctl_cli_connect(h.path);
	fcntl(stuck, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 2000; i++) {
		if (send(stuck, req, sizeof(req) - 1, MSG_DONTWAIT) < 0)
			break;
		ctl_server_poll(h.srv, 0);
	}
	/* one that connects and goes away at once */
	gone = ctl_cli_connect(h.path);
	close(gone);
	r = call(&h, op("health"));
	expect_ok(r);
	json_decref(r);
	/* many clients at once, each answered */
	{
		int fds[8];
		json_t *rr;

		for (i = 0; i < 8; i++) {
			fds[i] = ctl_cli_connect(h.path);
			static const char hr[] = "{\"v\":1,\"id\":5,\"op\":\"health\"}";

			cr_assert_eq(send(fds[i], hr, sizeof(hr) - 1, 0), (ssize_t)sizeof(hr) - 1);
		}
		for (i = 0; i < 8; i++) {
			rr = reply_wait(&h, fds[i]);
			expect_ok(rr);
			cr_assert_eq(json_integer_value(json_object_get(rr, "id")), 5);
			json_decref(rr);
			close(fds[i]);
		}
	}
	close(stuck);
	for (i = 0; i < 20; i++)
		ctl_server_poll(h.srv, 1);
	r = call(&h, op("health"));
	expect_ok(r);
	json_decref(r);
	h_down(&h);
}

static void
serve_h(void *arg, int ms)
{
	ctl_server_poll(((struct h *)arg)->srv, ms);
}

/* Run mcpxctl ($MCPXCTL) with |args| while serving |h| (NULL: none); its stdout in |out|. */
static int
mcpxctl(struct h *h, const char *const *args, char *out, size_t outlen)
{
	return ctl_cli_run(args, false, h != NULL ? serve_h : NULL, h, out, outlen);
}

Test(control_ctl_server, mcpxctl_commands_and_exit_codes)
{
	struct dp_srtp_params a = mkparams(DP_SRTP_DIR_UNPROTECT, 0xabcdef01, 3);
	char out[8192], file[160];
	json_t *doc, *arr;
	struct h h;

	h_up(&h, 0);
	snprintf(file, sizeof(file), "%s/streams.json", h.dir);
	doc = json_object();
	arr = json_array();
	json_array_append_new(arr, stream_json(&a, MEDIA_PORT, NULL));
	json_object_set_new(doc, "streams", arr);
	cr_assert_eq(json_dump_file(doc, file, 0), 0);
	json_decref(doc);
	{
		const char *args[] = {"--socket", h.path, "stream", "add", "--file", file, NULL};

		cr_assert_eq(mcpxctl(&h, args, out, sizeof(out)), 0, "%s", out);
		cr_assert_not_null(strstr(out, "installed 1 streams: 1"), "%s", out);
	}
	{
		const char *args[] = {"--socket", h.path, "stream", "add", "--file", file, NULL};

		cr_assert_eq(mcpxctl(&h, args, out, sizeof(out)), 1, "refused: exists");
	}
	{
		const char *args[] = {"--socket", h.path, "list", NULL};

		cr_assert_eq(mcpxctl(&h, args, out, sizeof(out)), 0);
		cr_assert_not_null(strstr(out, "0xabcdef01"), "%s", out);
		cr_assert_not_null(strstr(out, "0df9bc3900000003"), "%s", out);
	}
	{
		const char *args[] = {"--socket", h.path, "--json", "counters", NULL};

		cr_assert_eq(mcpxctl(&h, args, out, sizeof(out)), 0);
		cr_assert_not_null(strstr(out, "\"ports\""), "%s", out);
	}
	{
		const char *args[] = {"--socket", h.path, "stream", "get", "99", NULL};

		cr_assert_eq(mcpxctl(&h, args, out, sizeof(out)), 1);
	}
	{
		const char *args[] = {"--socket", h.path, "stream", "del", "1", NULL};

		cr_assert_eq(mcpxctl(&h, args, out, sizeof(out)), 0);
		cr_assert_eq(dp_stream_count(h.r.dp), 0);
	}
	/* A file with "defaults": the shared fields once, each stream what is its own. */
	doc = stream_json(&a, MEDIA_PORT, NULL);
	json_object_del(doc, "ssrc");
	json_object_del(doc, "mki");
	arr = json_pack("{s:o, s:[{s:i, s:s}, {s:i, s:s}]}", "defaults", doc, "streams", "ssrc",
			7, "mki", "0df9bc3900000071", "ssrc", 8, "mki", "0df9bc3900000072");
	cr_assert_not_null(arr);
	cr_assert_eq(json_dump_file(arr, file, 0), 0);
	json_decref(arr);
	{
		const char *args[] = {"--socket", h.path, "stream", "add", "--file", file, NULL};
		struct dp_stream_info si;

		cr_assert_eq(mcpxctl(&h, args, out, sizeof(out)), 0, "%s", out);
		cr_assert_not_null(strstr(out, "installed 2 streams: 2 3"), "%s", out);
		cr_assert_eq(dp_stream_get(h.r.dp, 3, &si), 0);
		cr_assert_eq(si.params.ssrc, 8);
		cr_assert_eq(si.params.dir, DP_SRTP_DIR_UNPROTECT);
		cr_assert_eq(si.params.rcc_r, 1);
		cr_assert_eq(si.port, MEDIA_PORT, "the port of the defaults");
		cr_assert_eq(si.params.mki[7], 0x72);
	}
	{
		const char *args[] = {"--socket", h.path, "frobnicate", NULL};

		cr_assert_eq(mcpxctl(&h, args, out, sizeof(out)), 2);
	}
	{
		const char *args[] = {"--help", NULL};

		cr_assert_eq(mcpxctl(&h, args, out, sizeof(out)), 0);
		cr_assert_not_null(strstr(out, "mikey install"));
	}
	{
		const char *args[] = {"--socket", h.path, "shutdown", NULL};

		cr_assert_eq(mcpxctl(&h, args, out, sizeof(out)), 0);
		cr_assert(h.ops.shutdown);
	}
	unlink(file);
	h_down(&h);
	{
		const char *args[] = {"--socket", "/tmp/mcpx-no-such.sock", "health", NULL};

		cr_assert_eq(mcpxctl(NULL, args, out, sizeof(out)), 3);
	}
}

/* ---- mikey.install: a private call from a PCK I_MESSAGE ------------------------- */

#define NOW 1700000000
#define PERIOD 2592000
#define KMS_URI "kms.example.org"
#define ALICE "sip:alice@example.org"
#define APPLIANCE "sip:mcpx-appliance@example.org"

static int64_t
fixed_clock(void *arg)
{
	(void)arg;
	return NOW;
}

/* A KMS domain, key sets for Alice (the caller) and the appliance, the appliance's store. */
struct call_fix {
	struct kms_domain *d;
	struct kms_keyset *alice, *app;
	struct mikey_kms kms;
	struct mikey_signer *signer;
	uint64_t pno;
};

static void
call_fix_up(struct call_fix *c, const char *store_path, const char *key_path)
{
	struct store_cert cert;
	struct store_secret sec = {.kdf = STORE_KDF_KEY};
	uint8_t key[STORE_KEY_LEN];
	struct store *st;
	FILE *f;

	memset(c, 0, sizeof(*c));
	cr_assert_eq(kms_domain_create(&c->d, KMS_URI, PERIOD, 0, false), 0);
	cr_assert_eq(keys_period_no_unix(&c->pno, NOW, PERIOD, 0), 0);
	cr_assert_eq(kms_issue(&c->alice, c->d, ALICE, c->pno), 0);
	cr_assert_eq(kms_issue(&c->app, c->d, APPLIANCE, c->pno), 0);
	mikey_kms_from_cert(&c->kms, &c->d->cert);
	cr_assert_eq(mikey_signer_new(&c->signer, ALICE, &c->kms, c->pno, c->alice->ssk,
				      c->alice->pvt), 0);

	memset(&cert, 0, sizeof(cert));
	snprintf(cert.kms_uri, sizeof(cert.kms_uri), "%s", KMS_URI);
	cert.period_len = PERIOD;
	memcpy(cert.kpak, c->d->cert.kpak, sizeof(cert.kpak));
	memcpy(cert.z, c->d->cert.z, sizeof(cert.z));
	cr_assert_eq(store_new(&st), 0);
	cr_assert_eq(store_put_cert(st, &cert, 0), 0);
	cr_assert_eq(store_put_keyset(st, APPLIANCE, KMS_URI, c->pno, c->app->ssk, c->app->pvt,
				      c->app->rsk, 0), 0);
	randombytes_buf(key, sizeof(key));
	sec.key = key;
	cr_assert_eq(store_save(st, store_path, &sec), 0);
	store_free(st);
	f = fopen(key_path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(key, 1, sizeof(key), f), sizeof(key));
	fclose(f);
	sodium_memzero(key, sizeof(key));
}

static void
call_fix_down(struct call_fix *c)
{
	mikey_signer_free(c->signer);
	kms_keyset_free(c->alice);
	kms_keyset_free(c->app);
	kms_domain_free(c->d);
}

static json_t *
mikey_req(const uint8_t *msg, size_t len, json_t *streams)
{
	char b64[4096];
	json_t *req = op("mikey.install");

	sodium_bin2base64(b64, sizeof(b64), msg, len, sodium_base64_VARIANT_ORIGINAL);
	json_object_set_new(req, "i_message", json_string(b64));
	json_object_set_new(req, "streams", streams);
	return req;
}

/* A JSON error on the socket or in mcpxctl's file never quotes a key's digits. */
Test(control_ctl_server, json_errors_never_quote_a_key)
{
	static const char cut[] = "{\"v\":1,\"op\":\"stream.add\",\"streams\":[{\"master_key\":"
				  "\"000102030405060708";
	static const char esc[] = "{\"streams\":[{\"dir\":\"unprotect\",\"master_key\":"
				  "\"0001020304050607\\q\"}]}";
	const char *m;
	char out[4096], file[160];
	json_t *r;
	FILE *f;
	struct h h;

	h_up(&h, 0);
	r = call_raw(&h, cut, sizeof(cut) - 1);
	expect_err(r, "bad_json");
	m = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
	cr_assert_null(strstr(m, "0001020304"), "%s", m);
	json_decref(r);
	snprintf(file, sizeof(file), "%s/streams.json", h.dir);
	f = fopen(file, "w");
	cr_assert_not_null(f);
	fputs(esc, f);
	fclose(f);
	{
		const char *args[] = {"--socket", h.path, "stream", "add", "--file", file, NULL};

		cr_assert_eq(ctl_cli_run(args, true, serve_h, &h, out, sizeof(out)), 2, "%s", out);
		cr_assert_not_null(strstr(out, "line 1 column "), "%s", out);
		cr_assert_null(strstr(out, "0001020304"), "%s", out);
	}
	unlink(file);
	h_down(&h);
}

/*
 * The appliance's side of a call: the server up, a key store holding the
 * appliance's identity at |store_path| and |key_path| (under h->dir), its
 * ctl_keys on a fixed clock; |tx| a PCK offer from the call fixture's caller
 * to the appliance.
 */
static void
appliance_up(struct h *h, struct call_fix *c, char *store_path, char *key_path, size_t n,
	     struct mikey_tx *tx)
{
	struct ctl_err err;

	h_up(h, 0);
	snprintf(store_path, n, "%s/app.store", h->dir);
	snprintf(key_path, n, "%s/app.key", h->dir);
	call_fix_up(c, store_path, key_path);
	cr_assert_eq(ctl_keys_new(&h->ops.keys, store_path, NULL, key_path, &err), 0, "%s",
		     err.msg);
	ctl_keys_set_clock(h->ops.keys, fixed_clock, NULL);
	memset(tx, 0, sizeof(*tx));
	tx->from = c->signer;
	tx->to.uri = APPLIANCE;
	tx->to.kms = &c->kms;
	tx->now = NOW;
}

Test(control_ctl_server, private_call_installed_from_a_pck_i_message)
{
	char store_path[160], key_path[160], *text;
	struct mikey_srtp_master m0, m1;
	struct dp_srtp_params p0, p1;
	struct dp_srtp_ctx *alice_tx, *alice_rx;
	struct mikey_newkey k;
	struct mikey_key as_alice;
	struct mikey_tx tx;
	struct call_fix c;
	uint8_t msg[MIKEY_MSG_MAX];
	json_t *streams, *s, *r;
	size_t len;
	unsigned int i;
	struct h h;

	/* Alice calls the appliance's identity (the server's side of the call), with a PCK. */
	appliance_up(&h, &c, store_path, key_path, sizeof(store_path), &tx);
	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_PCK), 0);
	tx.to_self = true;
	cr_assert_eq(mikey_pck_send(msg, sizeof(msg), &len, &tx, &k), 0);

	/* CS 0: Alice's media, unprotected on the secure side; CS 1: towards Alice, protected. */
	streams = json_array();
	s = json_object();
	json_object_set_new(s, "dir", json_string("unprotect"));
	json_object_set_new(s, "ssrc", json_integer(0x0a11ce00));
	json_object_set_new(s, "port", json_integer(MEDIA_PORT));
	json_object_set_new(s, "cs_id", json_integer(0));
	json_array_append_new(streams, s);
	s = json_object();
	json_object_set_new(s, "dir", json_string("protect"));
	json_object_set_new(s, "ssrc", json_integer(0x0b0b0b0b));
	json_object_set_new(s, "cs_id", json_integer(1));
	json_object_set_new(s, "members", json_pack("[{s:s,s:i}]", "addr", "10.0.0.2", "port",
						    MEMBER_PORT));
	json_array_append_new(streams, s);
	r = call(&h, mikey_req(msg, len, streams));
	expect_ok(r);
	cr_assert_eq(json_array_size(json_object_get(r, "streams")), 2);
	cr_assert_eq(json_integer_value(json_object_get(r, "purpose")), KEYS_PURPOSE_PCK);
	cr_assert_str_eq(json_string_value(json_object_get(r, "profile")), "AEAD_AES_128_GCM");
	cr_assert_str_eq(json_string_value(json_object_get(r, "initiator")), ALICE);
	text = json_dumps(r, 0);
	{
		char kh[33];

		sodium_bin2hex(kh, sizeof(kh), k.key, sizeof(k.key));
		cr_assert_null(strstr(text, kh), "never the PCK in a reply");
	}
	ctl_json_free(text);
	json_decref(r);
	cr_assert_eq(dp_stream_count(h.r.dp), 2);

	/* Alice's side: the same message opened as herself (SAKKE-to-self), her SRTP keys. */
	{
		const struct mikey_kms *kp = &c.kms;
		struct mikey_identity *aid;
		const struct mikey_identity *ids[1];
		struct mikey_rx rx = {.kms = &kp, .n_kms = 1, .n_ids = 1, .clock = fixed_clock};

		cr_assert_eq(mikey_identity_new(&aid, ALICE, &c.kms, c.pno, c.alice->rsk), 0);
		ids[0] = aid;
		rx.ids = ids;
		cr_assert_eq(mikey_sakke_receive(&as_alice, &rx, msg, len, KEYS_PURPOSE_PCK, NULL),
			     0);
		mikey_identity_free(aid);
	}
	cr_assert_eq(mikey_key_srtp(&m0, &as_alice, 0, 0), 0);
	cr_assert_eq(mikey_key_srtp(&m1, &as_alice, 1, 0), 0);
	memset(&p0, 0, sizeof(p0));
	p0.profile = DP_SRTP_AEAD_AES_128_GCM;
	memcpy(p0.master_key, m0.key, 16);
	memcpy(p0.master_salt, m0.salt, 12);
	memcpy(p0.mki, m0.mki, m0.mki_len);
	p0.mki_len = m0.mki_len;
	p1 = p0;
	memcpy(p1.master_key, m1.key, 16);
	memcpy(p1.master_salt, m1.salt, 12);
	p0.ssrc = 0x0a11ce00;
	p1.ssrc = 0x0b0b0b0b;
	alice_tx = client_ctx(&p0, DP_SRTP_DIR_PROTECT);
	alice_rx = client_ctx(&p1, DP_SRTP_DIR_UNPROTECT);
	for (i = 0; i < 3; i++) {
		secure_to_plain(&h, alice_tx, p0.ssrc, (uint16_t)(1 + i), true);
		plain_to_secure(&h, alice_rx, p1.ssrc, (uint16_t)(100 + i));
	}

	/* The same message again: same streams, refused as exists; nothing more installed. */
	streams = json_array();
	json_array_append_new(streams, json_pack("{s:s,s:i,s:i,s:i}", "dir", "unprotect", "ssrc",
						 0x0a11ce00, "port", MEDIA_PORT, "cs_id", 0));
	r = call(&h, mikey_req(msg, len, streams));
	expect_err(r, "exists");
	json_decref(r);
	/* A tampered message is rejected before anything is derived. */
	msg[len - 5] ^= 1;
	streams = json_array();
	json_array_append_new(streams, json_pack("{s:s,s:i,s:i}", "dir", "unprotect", "ssrc", 9,
						 "cs_id", 0));
	r = call(&h, mikey_req(msg, len, streams));
	expect_err(r, "mikey_rejected");
	json_decref(r);
	/* A PCK stream needs CS 0 or 1. */
	msg[len - 5] ^= 1;
	streams = json_array();
	json_array_append_new(streams, json_pack("{s:s,s:i}", "dir", "unprotect", "ssrc", 9));
	r = call(&h, mikey_req(msg, len, streams));
	expect_err(r, "bad_value");
	json_decref(r);
	/* An MKI in the request must be the message's. */
	streams = json_array();
	json_array_append_new(streams, json_pack("{s:s,s:i,s:i,s:s}", "dir", "unprotect", "ssrc",
						 9, "cs_id", 0, "mki", "00000000"));
	r = call(&h, mikey_req(msg, len, streams));
	expect_err(r, "bad_value");
	json_decref(r);
	cr_assert_eq(dp_stream_count(h.r.dp), 2);
	/* mcpxctl mikey install: a second call (a fresh PCK), the message from a file */
	{
		char mpath[160], spath[160], out[4096];
		const char *args[] = {"--socket", h.path, "mikey", "install", "--msg", mpath,
				      "--streams", spath, "--purpose", "1", NULL};
		FILE *f;

		snprintf(mpath, sizeof(mpath), "%s/pck2.mikey", h.dir);
		snprintf(spath, sizeof(spath), "%s/pck2.json", h.dir);
		cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_PCK), 0);
		cr_assert_eq(mikey_pck_send(msg, sizeof(msg), &len, &tx, &k), 0);
		f = fopen(mpath, "wb");
		cr_assert_not_null(f);
		cr_assert_eq(fwrite(msg, 1, len, f), len);
		fclose(f);
		streams = json_pack("{s:[{s:s,s:i,s:i,s:i}]}", "streams", "dir", "unprotect",
				    "ssrc", 0x0c0c0c0c, "port", MEDIA_PORT, "cs_id", 0);
		cr_assert_eq(json_dump_file(streams, spath, 0), 0);
		json_decref(streams);
		cr_assert_eq(mcpxctl(&h, args, out, sizeof(out)), 0, "%s", out);
		cr_assert_not_null(strstr(out, "key_id"), "%s", out);
		cr_assert_eq(dp_stream_count(h.r.dp), 3);
		unlink(mpath);
		unlink(spath);
	}
	/* keystore.reload reads the file again */
	r = call(&h, op("keystore.reload"));
	expect_ok(r);
	cr_assert_eq(json_integer_value(json_object_get(r, "identities")), 1);
	cr_assert_eq(json_integer_value(json_object_get(r, "kms")), 1);
	json_decref(r);

	mikey_key_wipe(&as_alice);
	mikey_srtp_master_wipe(&m0);
	mikey_srtp_master_wipe(&m1);
	sodium_memzero(&k, sizeof(k));
	dp_srtp_ctx_free(alice_tx);
	dp_srtp_ctx_free(alice_rx);
	call_fix_down(&c);
	unlink(store_path);
	unlink(key_path);
	h_down(&h);
}

/*
 * A PCK whose sender hides itself (IDRuidi, 33.180 E.7): installed only when
 * the request names that sender in "initiators" (mcpxctl: --initiator), and
 * the reply says who it was.
 */
Test(control_ctl_server, hidden_initiator_installed_only_when_expected)
{
	char store_path[160], key_path[160], mpath[160], spath[160], out[4096];
	struct call_fix c;
	struct mikey_newkey k;
	struct mikey_tx tx;
	uint8_t msg[MIKEY_MSG_MAX];
	const char *m;
	json_t *streams, *req, *r;
	size_t len;
	FILE *f;
	struct h h;

	appliance_up(&h, &c, store_path, key_path, sizeof(store_path), &tx);
	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_PCK), 0);
	tx.hide_ids = true;
	cr_assert_eq(mikey_pck_send(msg, sizeof(msg), &len, &tx, &k), 0);

	/* no initiators, then the wrong one: refused, nothing installed */
	streams = json_pack("[{s:s,s:i,s:i,s:i}]", "dir", "unprotect", "ssrc", 0x0d0d0d0d,
			    "port", MEDIA_PORT, "cs_id", 0);
	r = call(&h, mikey_req(msg, len, json_deep_copy(streams)));
	expect_err(r, "mikey_rejected");
	m = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
	cr_assert_not_null(strstr(m, "UNKNOWN_INITIATOR"), "%s", m);
	json_decref(r);
	req = mikey_req(msg, len, json_deep_copy(streams));
	json_object_set_new(req, "initiators", json_pack("[s]", "sip:bob@example.org"));
	r = call(&h, req);
	expect_err(r, "mikey_rejected");
	json_decref(r);
	cr_assert_eq(dp_stream_count(h.r.dp), 0);
	/* the signalling named Alice */
	req = mikey_req(msg, len, streams);
	json_object_set_new(req, "initiators", json_pack("[s,s]", "sip:bob@example.org", ALICE));
	r = call(&h, req);
	expect_ok(r);
	cr_assert_str_eq(json_string_value(json_object_get(r, "initiator")), ALICE);
	cr_assert(json_is_true(json_object_get(r, "initiator_hidden")));
	json_decref(r);
	cr_assert_eq(dp_stream_count(h.r.dp), 1);

	/* mcpxctl mikey install --initiator: a fresh hidden PCK from a file */
	snprintf(mpath, sizeof(mpath), "%s/hidden.mikey", h.dir);
	snprintf(spath, sizeof(spath), "%s/hidden.json", h.dir);
	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_PCK), 0);
	cr_assert_eq(mikey_pck_send(msg, sizeof(msg), &len, &tx, &k), 0);
	f = fopen(mpath, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(msg, 1, len, f), len);
	fclose(f);
	streams = json_pack("{s:[{s:s,s:i,s:i,s:i}]}", "streams", "dir", "unprotect", "ssrc",
			    0x0e0e0e0e, "port", MEDIA_PORT, "cs_id", 0);
	cr_assert_eq(json_dump_file(streams, spath, 0), 0);
	json_decref(streams);
	{
		const char *args[] = {"--socket", h.path, "--json", "mikey", "install", "--msg",
				      mpath, "--streams", spath, NULL};

		cr_assert_eq(mcpxctl(&h, args, out, sizeof(out)), 1, "%s", out);
		cr_assert_not_null(strstr(out, "UNKNOWN_INITIATOR"), "%s", out);
	}
	{
		const char *args[] = {"--socket", h.path, "--json", "mikey", "install", "--msg",
				      mpath, "--streams", spath, "--initiator", ALICE, NULL};

		cr_assert_eq(mcpxctl(&h, args, out, sizeof(out)), 0, "%s", out);
		cr_assert_not_null(strstr(out, "\"initiator_hidden\": true") != NULL
					   ? out
					   : strstr(out, "\"initiator_hidden\":true"),
				   "%s", out);
		cr_assert_not_null(strstr(out, ALICE), "%s", out);
	}
	{
		const char *args[] = {"--socket", h.path, "mikey", "install", "--msg", mpath,
				      "--streams", spath, "--initiator", NULL};

		cr_assert_eq(mcpxctl(&h, args, out, sizeof(out)), 2, "%s", out);
	}
	cr_assert_eq(dp_stream_count(h.r.dp), 2);
	unlink(mpath);
	unlink(spath);
	sodium_memzero(&k, sizeof(k));
	call_fix_down(&c);
	unlink(store_path);
	unlink(key_path);
	h_down(&h);
}

/* ---- mcpxd itself: the socket it makes, mcpxctl against it, shutdown ------------ */

Test(control_ctl_server, mcpxd_serves_its_socket_and_shuts_down)
{
	const char *mcpxd = getenv("MCPXD");
	char dir[] = "/tmp/mcpx-ctldXXXXXX", sock[96], run[80], pcap[80], v0[200], v1[200],
	     prefix[48], log[96], out[4096], state[96], conf[96];
	uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
	struct stat st;
	unsigned int t;
	int status = -1, k = 0;
	pid_t pid;
	FILE *f;

	cr_assert_not_null(mcpxd, "MCPXD names the binary");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(sock, sizeof(sock), "%s/control.sock", run);
	snprintf(pcap, sizeof(pcap), "%s/empty.pcap", dir);
	snprintf(log, sizeof(log), "%s/log", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	f = fopen(pcap, "wb");
	cr_assert_not_null(f);
	fwrite(hdr, 4, 6, f);
	fclose(f);
	snprintf(conf, sizeof(conf), "%s/mcpxd.conf", dir);
	f = fopen(conf, "w");
	cr_assert_not_null(f);
	fprintf(f, "# mcpxd options, as on the command line without --\n"
		   "control %s\n\nidle-sleep-us 1000   # a comment\nstate-dir %s\n", sock, state);
	fclose(f);
	snprintf(v0, sizeof(v0), "--vdev=net_pcap0,rx_pcap=%s,tx_pcap=%s/o0.pcap", pcap, dir);
	snprintf(v1, sizeof(v1), "--vdev=net_pcap1,rx_pcap=%s,tx_pcap=%s/o1.pcap", pcap, dir);
	snprintf(prefix, sizeof(prefix), "--file-prefix=mcpxc%d", (int)getpid());
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* mcpxd's own options from a config file (--config): the socket proves it was read. */
		const char *args[] = {mcpxd, "--no-huge", "--no-shconf", "-m", "512", "--no-pci",
				      "-l", "0-1", prefix, v0, v1, "--log-level=lib.eal:error",
				      "--", "--config", conf, NULL};

		struct rlimit core;

		if (!freopen(log, "w", stdout) || dup2(fileno(stdout), 2) < 0)
			_exit(127);
		/* Start it allowed to dump core, so that mcpxd has to turn it off itself. */
		if (getrlimit(RLIMIT_CORE, &core) == 0) {
			core.rlim_cur = core.rlim_max = geteuid() == 0 ? RLIM_INFINITY : core.rlim_max;
			(void)setrlimit(RLIMIT_CORE, &core);
		}
		execv(mcpxd, (char *const *)(uintptr_t)args);
		_exit(127);
	}
	for (t = 0; t < 3000 && access(sock, F_OK) != 0; t++)
		usleep(10000);
	cr_assert_eq(access(sock, F_OK), 0, "mcpxd made its socket (log %s)", log);
	cr_assert_eq(stat(run, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0750, "the socket's directory is 0750");
	cr_assert_eq(stat(sock, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0660, "the socket is 0660");
	{
		const char *args[] = {"--socket", sock, "--timeout", "10000", "health", NULL};

		cr_assert_eq(mcpxctl(NULL, args, out, sizeof(out)), 0, "%s", out);
		cr_assert_not_null(strstr(out, "running"), "%s", out);
	}
	{
		const char *args[] = {"--socket", sock, "--json", "health", NULL};

		cr_assert_eq(mcpxctl(NULL, args, out, sizeof(out)), 0, "%s", out);
		cr_assert_not_null(strstr(out, "index.marks"), "the index store: %s", out);
		/* The fast engine by default, where this CPU runs it. */
		cr_assert_eq(dp_srtp_global_init(), 0);
		cr_assert_not_null(strstr(out, dp_srtp_backend_available(DP_SRTP_BACKEND_NATIVE)
						       ? "\"backend\": \"native\""
						       : "\"backend\": \"libsrtp\""),
				   "the default backend: %s", out);
	}
	{
		/* Key memory: no core dumps, and (as root) every page locked. */
		char path[64], line[256];
		bool core0 = false;
		long lim = -1, locked_kb = -1;

		snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
		f = fopen(path, "r");
		cr_assert_not_null(f);
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "Max core file size", 18) == 0)
				core0 = sscanf(line + 18, " %ld", &lim) == 1 && lim == 0;
		fclose(f);
		cr_assert(core0, "mcpxd runs with a core size limit of 0");
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		f = fopen(path, "r");
		cr_assert_not_null(f);
		locked_kb = -1;
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "VmLck: %ld", &locked_kb) == 1)
				break;
		fclose(f);
#if defined(__SANITIZE_ADDRESS__)
		/* ASan intercepts mlockall and ignores it (its shadow could not be locked). */
		(void)locked_kb;
#else
		if (geteuid() == 0)
			cr_assert_gt(locked_kb, 500 * 1024, "as root mcpxd locks its memory (VmLck %ld kB)",
				     locked_kb);
#endif
	}
	{
		const char *args[] = {"--socket", sock, "--timeout", "10000", "shutdown", NULL};

		cr_assert_eq(mcpxctl(NULL, args, out, sizeof(out)), 0, "%s", out);
	}
	for (t = 0; t < 3000 && k == 0; t++) {
		usleep(10000);
		k = waitpid(pid, &status, WNOHANG);
	}
	if (k == 0)
		kill(pid, SIGKILL);
	cr_assert_eq(k, pid, "mcpxd stopped on shutdown");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "mcpxd exits 0 (log %s)", log);
	cr_assert_neq(access(sock, F_OK), 0, "the socket is removed at exit");
	snprintf(out, sizeof(out), "%s/o0.pcap", dir);
	unlink(out);
	snprintf(out, sizeof(out), "%s/o1.pcap", dir);
	unlink(out);
	unlink(pcap);
	unlink(log);
	unlink(conf);
	snprintf(out, sizeof(out), "%s/index.marks", state);
	unlink(out);
	snprintf(out, sizeof(out), "%s/index.key", state);
	unlink(out);
	rmdir(state);
	rmdir(run);
	rmdir(dir);
}

/* A config file's bad line: exit 2, and the error names the option and the line. */
Test(control_ctl_server, mcpxd_config_file_errors_name_the_line)
{
	static const char *const bad[][2] = {
		{"pair 0:1\nworkers banana\n", "line 2"},
		{"# ok\nno-such-option 3\n", "line 2"},
		{"quiet\nhelp\n", "line 2"},
		{"frag maybe\n", "--frag"},
	};
	const char *mcpxd = getenv("MCPXD");
	char dir[] = "/tmp/mcpx-cfgXXXXXX", conf[96], cmd[1024], out[2048];
	unsigned int i;

	cr_assert_not_null(mcpxd, "MCPXD names the binary");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/mcpxd.conf", dir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen(conf, "w"), *p;
		size_t n;
		int st;

		cr_assert_not_null(f);
		fputs(bad[i][0], f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "%s --no-huge --no-shconf -m 64 --no-pci "
			 "--file-prefix=mcpxcfg%d --log-level=lib.eal:error --vdev=net_null0 "
			 "--vdev=net_null1 -- --config %s 2>&1", mcpxd, (int)getpid(), conf);
		p = popen(cmd, "r");
		cr_assert_not_null(p);
		n = fread(out, 1, sizeof(out) - 1, p);
		out[n] = '\0';
		st = pclose(p);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "case %u: exit 2: %s", i, out);
		cr_assert_not_null(strstr(out, bad[i][1]), "case %u names '%s': %s", i, bad[i][1], out);
	}
	unlink(conf);
	rmdir(dir);
}
