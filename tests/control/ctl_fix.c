/* SPDX-License-Identifier: proprietary */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "ctl_cli.h"
#include "ctl_fix.h"
#include "dp_testlib.h"
#include "keys_period.h"
#include "mikey_profile.h"
#include "store.h"

#define WAIT_MS 10000

static int64_t
fix_clock(void *arg)
{
	return ((const struct fix *)arg)->now;
}

/* The store: the KMS certificate and the appliance's key set, sealed with a random key. */
static void
store_up(struct fix *f)
{
	struct store_cert cert;
	struct store_secret sec = {.kdf = STORE_KDF_KEY};
	uint8_t key[STORE_KEY_LEN];
	struct store *st;
	FILE *fp;

	memset(&cert, 0, sizeof(cert));
	snprintf(cert.kms_uri, sizeof(cert.kms_uri), "%s", FIX_KMS);
	cert.period_len = FIX_PERIOD;
	memcpy(cert.kpak, f->d->cert.kpak, sizeof(cert.kpak));
	memcpy(cert.z, f->d->cert.z, sizeof(cert.z));
	cr_assert_eq(store_new(&st), 0);
	cr_assert_eq(store_put_cert(st, &cert, 0), 0);
	cr_assert_eq(store_put_keyset(st, FIX_APP, FIX_KMS, f->pno, f->app->ssk, f->app->pvt,
				      f->app->rsk, 0), 0);
	randombytes_buf(key, sizeof(key));
	sec.key = key;
	cr_assert_eq(store_save(st, f->store, &sec), 0);
	store_free(st);
	fp = fopen(f->key, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(key, 1, sizeof(key), fp), sizeof(key));
	fclose(fp);
	sodium_memzero(key, sizeof(key));
}

void
fix_up(struct fix *f)
{
	struct ctl_server_cfg cfg = {.uid = getuid()};
	struct ctl_err err;

	memset(f, 0, sizeof(*f));
	signal(SIGPIPE, SIG_IGN);
	f->now = FIX_NOW;
	snprintf(f->dir, sizeof(f->dir), "/tmp/mcpx-fixXXXXXX");
	cr_assert_not_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/control.sock", f->dir);
	snprintf(f->store, sizeof(f->store), "%s/app.store", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/app.key", f->dir);
	rig_up(&f->r, 1, NULL);
	cr_assert_eq(dp_start(f->r.dp), 0);
	f->ops.dp = f->r.dp;

	cr_assert_eq(kms_domain_create(&f->d, FIX_KMS, FIX_PERIOD, 0, false), 0);
	cr_assert_eq(keys_period_no_unix(&f->pno, FIX_NOW, FIX_PERIOD, 0), 0);
	cr_assert_eq(kms_issue(&f->gms, f->d, FIX_GMS, f->pno), 0);
	cr_assert_eq(kms_issue(&f->alice, f->d, FIX_ALICE, f->pno), 0);
	cr_assert_eq(kms_issue(&f->app, f->d, FIX_APP, f->pno), 0);
	mikey_kms_from_cert(&f->kms, &f->d->cert);
	cr_assert_eq(mikey_signer_new(&f->gms_signer, FIX_GMS, &f->kms, f->pno, f->gms->ssk,
				      f->gms->pvt), 0);
	cr_assert_eq(mikey_signer_new(&f->alice_signer, FIX_ALICE, &f->kms, f->pno,
				      f->alice->ssk, f->alice->pvt), 0);
	store_up(f);
	cr_assert_eq(ctl_keys_new(&f->ops.keys, f->store, NULL, f->key, &err), 0, "%s", err.msg);
	ctl_keys_set_clock(f->ops.keys, fix_clock, f);
	ctl_keys_set_backend(f->ops.keys, f->r.cfg.backend);

	cfg.path = f->path;
	cr_assert_eq(ctl_server_new(&f->srv, &cfg, &f->ops, &err), 0, "%s", err.msg);
	f->fd = ctl_cli_connect(f->path);
}

void
fix_down(struct fix *f)
{
	close(f->fd);
	ctl_server_free(f->srv);
	ctl_ops_fini(&f->ops);
	ctl_keys_free(f->ops.keys);
	rig_down(&f->r);
	mikey_signer_free(f->gms_signer);
	mikey_signer_free(f->alice_signer);
	kms_keyset_free(f->gms);
	kms_keyset_free(f->alice);
	kms_keyset_free(f->app);
	kms_domain_free(f->d);
	unlink(f->store);
	unlink(f->key);
	rmdir(f->dir);
}

json_t *
fix_op(const char *name)
{
	json_t *r = json_object();

	json_object_set_new(r, "op", json_string(name));
	return r;
}

json_t *
fix_call(struct fix *f, json_t *req)
{
	static uint8_t buf[CTL_REPLY_MAX + 1];
	struct pollfd p = {.fd = f->fd, .events = POLLIN};
	int64_t id = ++f->id;
	json_error_t je;
	unsigned int t;
	ssize_t n;
	char *s;
	json_t *j;

	json_object_set_new(req, "v", json_integer(1));
	json_object_set_new(req, "id", json_integer(id));
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	cr_assert_eq(send(f->fd, s, strlen(s), 0), (ssize_t)strlen(s));
	ctl_json_free(s);
	for (t = 0; t < WAIT_MS / 5 && poll(&p, 1, 0) == 0; t++)
		ctl_server_poll(f->srv, 5);
	cr_assert_eq(poll(&p, 1, 0), 1, "no reply within %d ms", WAIT_MS);
	n = recv(f->fd, buf, sizeof(buf), 0);
	cr_assert_gt(n, 0);
	j = json_loadb((const char *)buf, (size_t)n, 0, &je);
	cr_assert_not_null(j, "the reply is JSON: %s", je.text);
	cr_assert_eq(json_integer_value(json_object_get(j, "id")), id, "the id is echoed");
	return j;
}

void
fix_ok(json_t *r)
{
	char *s = json_dumps(r, 0);

	cr_assert(json_is_true(json_object_get(r, "ok")), "refused: %s", s);
	ctl_json_free(s);
}

void
fix_err(json_t *r, const char *code)
{
	const char *c = json_string_value(json_object_get(json_object_get(r, "error"), "code"));
	const char *m = json_string_value(json_object_get(json_object_get(r, "error"), "message"));

	cr_assert(json_is_false(json_object_get(r, "ok")));
	cr_assert_not_null(c);
	cr_assert_str_eq(c, code, "message: %s", m ? m : "(none)");
}

json_t *
fix_mikey_req(const uint8_t *msg, size_t len, json_t *streams)
{
	char b64[4096];
	json_t *req = fix_op("mikey.install");

	sodium_bin2base64(b64, sizeof(b64), msg, len, sodium_base64_VARIANT_ORIGINAL);
	json_object_set_new(req, "i_message", json_string(b64));
	if (streams != NULL)
		json_object_set_new(req, "streams", streams);
	return req;
}

void
fix_gmk_msg(struct fix *f, struct mikey_newkey *k, int64_t act, int64_t exp, uint8_t *msg,
	    size_t *len)
{
	static const char *const groups[] = {"sip:group1@example.org"};
	struct mikey_gmk_opts o = {.groups = groups, .n_groups = 1};
	struct mikey_tx tx;

	cr_assert_eq(mikey_newkey_make(k, KEYS_PURPOSE_GMK), 0);
	memset(&tx, 0, sizeof(tx));
	tx.from = f->gms_signer;
	tx.to.uri = FIX_APP;
	tx.to.kms = &f->kms;
	tx.now = f->now;
	if (act != 0)
		o.activation = (uint64_t)act + KEYS_NTP_UNIX_OFFSET;
	if (exp != 0)
		o.expiry = (uint64_t)exp + KEYS_NTP_UNIX_OFFSET;
	cr_assert_eq(mikey_gms_gmk(msg, MIKEY_MSG_MAX, len, &tx, k, &o), 0);
}

void
fix_csk_msg(struct fix *f, struct mikey_newkey *k, uint8_t *msg, size_t *len)
{
	struct mikey_tx tx;

	cr_assert_eq(mikey_newkey_make(k, KEYS_PURPOSE_CSK), 0);
	memset(&tx, 0, sizeof(tx));
	tx.from = f->alice_signer;
	tx.to.uri = FIX_APP;
	tx.to.kms = &f->kms;
	tx.now = f->now;
	cr_assert_eq(mikey_csk_send(msg, MIKEY_MSG_MAX, len, &tx, k), 0);
}

uint32_t
fix_guk(const struct mikey_newkey *k, const char *uri)
{
	uint32_t guk;

	cr_assert_eq(keys_guk_id(&guk, k->key_id, k->key, uri), 0);
	return guk;
}

struct dp_srtp_params
fix_gmk_params(const struct mikey_newkey *k, uint32_t guk, uint32_t ssrc, unsigned int proto)
{
	struct mikey_srtp_profile prof;
	struct mikey_srtp_master m;
	struct dp_srtp_params p;

	cr_assert_eq(mikey_mcptt_gmk(&m, k->key, k->key_id, guk, k->rand, sizeof(k->rand), 12),
		     0);
	memset(&p, 0, sizeof(p));
	p.profile = DP_SRTP_AEAD_AES_128_GCM;
	p.proto = proto;
	memcpy(p.master_key, m.key, 16);
	memcpy(p.master_salt, m.salt, 12);
	memcpy(p.mki, m.mki, m.mki_len);
	p.mki_len = m.mki_len;
	p.ssrc = ssrc;
	(void)mikey_profile_default(&prof, KEYS_PURPOSE_GMK);	/* Table E.2-1: RCCm3 */
	if (proto == DP_SRTP_PROTO_RTP && prof.auth_alg == MIKEY_AUTH_RCCM3)
		p.rcc_r = prof.roc_rate;
	mikey_srtp_master_wipe(&m);
	return p;
}

struct dp_srtp_ctx *
fix_ctx(const struct dp_srtp_params *p, unsigned int dir)
{
	struct dp_srtp_params q = *p;
	struct dp_srtp_ctx *c = NULL;

	q.dir = dir;
	cr_assert_eq(dp_srtp_ctx_new(&c, DP_SRTP_BACKEND_LIBSRTP, &q), 0);
	sodium_memzero(&q, sizeof(q));
	return c;
}

uint32_t
fix_send_secure(struct fix *f, struct dp_srtp_ctx *tx, uint32_t ssrc, uint16_t seq)
{
	uint8_t b[RIG_FRAME], fr[RIG_FRAME];
	uint32_t len = tf_rtp(b, ssrc, seq, 80, 0), fl;
	struct tf t;

	tf_default(&t, false, FIX_MEDIA_PORT);
	cr_assert_eq(dp_srtp_process(tx, b, &len, sizeof(b)), DP_V_FWD);
	fl = tf_build(fr, &t, b, len);
	rig_send(&f->r, DP_SIDE_SECURE, 0, fr, fl);
	return fl;
}

void
fix_expect_plain(struct fix *f, uint32_t ssrc, uint16_t seq)
{
	static struct frame out[4];
	uint8_t pl[256], want[RIG_FRAME];
	uint32_t len = tf_rtp(pl, ssrc, seq, 80, 0), wl;
	struct tf t;

	tf_default(&t, false, FIX_MEDIA_PORT);
	cr_assert_eq(rig_recv(&f->r, DP_SIDE_PLAIN, out, 4, 1, 3000), 1, "seq %u: nothing came out",
		     seq);
	wl = tf_build(want, &t, pl, len);
	cr_assert_eq(out[0].len, wl);
	cr_assert_arr_eq(out[0].b, want, wl, "the plain frame, byte for byte");
}

void
fix_send_plain(struct fix *f, uint32_t ssrc, uint16_t seq)
{
	uint8_t pl[256], fr[RIG_FRAME];
	uint32_t len = tf_rtp(pl, ssrc, seq, 80, 1);
	struct tf t;

	tf_default(&t, false, FIX_MEMBER_PORT);
	rig_send(&f->r, DP_SIDE_PLAIN, 0, fr, tf_build(fr, &t, pl, len));
}

unsigned int
fix_take_secure(struct fix *f, uint8_t (*pkts)[RIG_FRAME], uint32_t *lens, unsigned int max,
		unsigned int want, unsigned int ms)
{
	static struct frame out[512];
	uint32_t off, sl;
	unsigned int i, n;

	cr_assert_leq(max, 512);
	n = rig_recv(&f->r, DP_SIDE_SECURE, out, max, want, ms);
	for (i = 0; i < n; i++) {
		cr_assert_eq(tf_verify(out[i].b, out[i].len, &off, &sl), 0);
		memcpy(pkts[i], out[i].b + off, sl);
		lens[i] = sl;
	}
	return n;
}

bool
fix_opens(struct dp_srtp_ctx *ctx, const uint8_t *pkt, uint32_t len, uint32_t ssrc,
	  uint16_t seq)
{
	uint8_t b[RIG_FRAME], want[256];
	uint32_t l = len, wl = tf_rtp(want, ssrc, seq, 80, 1);

	memcpy(b, pkt, len);
	if (dp_srtp_process(ctx, b, &l, sizeof(b)) != DP_V_FWD)
		return false;
	return l == wl && memcmp(b, want, wl) == 0;
}

static void
on_punt(void *arg, const struct dp_punt_info *p)
{
	struct fix *f = arg;

	ctl_keys_punt(f->ops.keys, &f->ops, p);
}

unsigned int
fix_punts(struct fix *f, unsigned int ms)
{
	unsigned int n = 0, idle = 0, got;

	while (idle < ms) {
		got = dp_punt_poll(f->r.dp, on_punt, f, 64);
		n += got;
		if (got == 0) {
			usleep(1000);
			idle++;
		}
	}
	return n;
}

uint64_t
fix_learn_counter(struct fix *f, const char *name)
{
	json_t *r = fix_call(f, fix_op("counters")), *l;
	uint64_t v;

	fix_ok(r);
	l = json_object_get(r, "learning");
	cr_assert_not_null(l, "counters has learning");
	cr_assert_not_null(json_object_get(l, name), "learning.%s", name);
	v = (uint64_t)json_integer_value(json_object_get(l, name));
	json_decref(r);
	return v;
}

static void
serve_fix(void *arg, int ms)
{
	ctl_server_poll(((struct fix *)arg)->srv, ms);
}

int
fix_mcpxctl(struct fix *f, const char *const *args, char *out, size_t outlen)
{
	return ctl_cli_run(args, true, serve_fix, f, out, outlen);
}
