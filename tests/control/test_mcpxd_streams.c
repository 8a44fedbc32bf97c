/* SPDX-License-Identifier: proprietary */
/*
 * The streams file (control/mcpxd_streams.c) on EAL with a net_ring port pair
 * (tests/dataplane/dp_rig.h): MIKEY entries opened with a key store made in
 * this process, as mikey.install would, beside raw-key streams; packets
 * protected with the keys the caller holds come out in clear, byte for byte.
 * Bad entries are named, a refused message installs nothing, and no error
 * sentence carries a key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <sodium.h>

#include "ctl_keys.h"
#include "ctl_ops.h"
#include "dp_rig.h"
#include "dp_testlib.h"
#include "keys_period.h"
#include "kms.h"
#include "mcpxd_streams.h"
#include "mikey_sakke.h"
#include "store.h"

#define SEC DP_SIDE_SECURE
#define PLN DP_SIDE_PLAIN
#define MEDIA_PORT 5004
#define NOW 1700000000
#define PERIOD 2592000
#define KMS_URI "kms.example.org"
#define ALICE "sip:alice@example.org"
#define APPLIANCE "sip:mcpx-appliance@example.org"
#define S_ALICE 0x0a11ce00u	/* CS 0: alice -> the server */
#define S_SERVER 0x5e5e0001u	/* CS 1: what the appliance protected towards alice */
#define S_ALICE2 0x0a11ce02u	/* alice's second call (mikey_file) */
#define S_RAW 0x0000aa01u

static void
suite_init(void)
{
	cr_assert(sodium_init() >= 0);
	ctl_json_init();
}

TestSuite(control_mcpxd_streams, .init = suite_init, .timeout = 180);

static int64_t
fixed_clock(void *arg)
{
	(void)arg;
	return NOW;
}

/* A KMS, alice (the caller) and the appliance, whose sealed store mcpxd opens. */
struct fix {
	char dir[32], store[96], key[96];
	struct kms_domain *d;
	struct kms_keyset *alice, *app;
	struct mikey_kms kms;
	struct mikey_signer *signer;
	uint64_t pno;
	struct rig r;
	struct ctl_ops ops;
};

static void
fix_up(struct fix *x)
{
	struct store_cert cert;
	struct store_secret sec = {.kdf = STORE_KDF_KEY};
	uint8_t key[STORE_KEY_LEN];
	struct ctl_err err;
	struct store *st;
	FILE *f;

	memset(x, 0, sizeof(*x));
	snprintf(x->dir, sizeof(x->dir), "/tmp/mcpx-stXXXXXX");
	cr_assert_not_null(mkdtemp(x->dir));
	snprintf(x->store, sizeof(x->store), "%s/app.store", x->dir);
	snprintf(x->key, sizeof(x->key), "%s/app.key", x->dir);
	cr_assert_eq(kms_domain_create(&x->d, KMS_URI, PERIOD, 0, false), 0);
	cr_assert_eq(keys_period_no_unix(&x->pno, NOW, PERIOD, 0), 0);
	cr_assert_eq(kms_issue(&x->alice, x->d, ALICE, x->pno), 0);
	cr_assert_eq(kms_issue(&x->app, x->d, APPLIANCE, x->pno), 0);
	mikey_kms_from_cert(&x->kms, &x->d->cert);
	cr_assert_eq(mikey_signer_new(&x->signer, ALICE, &x->kms, x->pno, x->alice->ssk,
				      x->alice->pvt), 0);
	memset(&cert, 0, sizeof(cert));
	snprintf(cert.kms_uri, sizeof(cert.kms_uri), "%s", KMS_URI);
	cert.period_len = PERIOD;
	memcpy(cert.kpak, x->d->cert.kpak, sizeof(cert.kpak));
	memcpy(cert.z, x->d->cert.z, sizeof(cert.z));
	cr_assert_eq(store_new(&st), 0);
	cr_assert_eq(store_put_cert(st, &cert, 0), 0);
	cr_assert_eq(store_put_keyset(st, APPLIANCE, KMS_URI, x->pno, x->app->ssk, x->app->pvt,
				      x->app->rsk, 0), 0);
	randombytes_buf(key, sizeof(key));
	sec.key = key;
	cr_assert_eq(store_save(st, x->store, &sec), 0);
	store_free(st);
	f = fopen(x->key, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(key, 1, sizeof(key), f), sizeof(key));
	fclose(f);
	sodium_memzero(key, sizeof(key));

	rig_up(&x->r, 1, NULL);
	cr_assert_eq(dp_start(x->r.dp), 0);
	x->ops.dp = x->r.dp;
	cr_assert_eq(ctl_keys_new(&x->ops.keys, x->store, NULL, x->key, &err), 0, "%s", err.msg);
	ctl_keys_set_clock(x->ops.keys, fixed_clock, NULL);
}

static void
fix_down(struct fix *x)
{
	ctl_keys_free(x->ops.keys);
	rig_down(&x->r);
	mikey_signer_free(x->signer);
	kms_keyset_free(x->alice);
	kms_keyset_free(x->app);
	kms_domain_free(x->d);
	unlink(x->store);
	unlink(x->key);
	rmdir(x->dir);
}

/* Alice calls the appliance's identity with a fresh PCK: the I_MESSAGE, and the PCK. */
static size_t
pck_msg(struct fix *x, uint8_t msg[MIKEY_MSG_MAX], struct mikey_newkey *k)
{
	struct mikey_tx tx;
	size_t len;

	cr_assert_eq(mikey_newkey_make(k, KEYS_PURPOSE_PCK), 0);
	memset(&tx, 0, sizeof(tx));
	tx.from = x->signer;
	tx.to.uri = APPLIANCE;
	tx.to.kms = &x->kms;
	tx.now = NOW;
	tx.to_self = true;
	cr_assert_eq(mikey_pck_send(msg, MIKEY_MSG_MAX, &len, &tx, k), 0);
	return len;
}

/* Alice's side of the call: the message opened as herself, CS |cs| as a protect context. */
static struct dp_srtp_ctx *
alice_ctx(struct fix *x, const uint8_t *msg, size_t len, uint8_t cs, uint32_t ssrc)
{
	const struct mikey_kms *kp = &x->kms;
	const struct mikey_identity *ids[1];
	struct mikey_rx rx = {.kms = &kp, .n_kms = 1, .n_ids = 1, .clock = fixed_clock};
	struct mikey_identity *aid;
	struct mikey_srtp_master m;
	struct dp_srtp_params p;
	struct dp_srtp_ctx *c = NULL;
	struct mikey_key key;

	cr_assert_eq(mikey_identity_new(&aid, ALICE, &x->kms, x->pno, x->alice->rsk), 0);
	ids[0] = aid;
	rx.ids = ids;
	cr_assert_eq(mikey_sakke_receive(&key, &rx, msg, len, KEYS_PURPOSE_PCK, NULL), 0);
	mikey_identity_free(aid);
	cr_assert_eq(mikey_key_srtp(&m, &key, cs, 0), 0);
	memset(&p, 0, sizeof(p));
	p.profile = DP_SRTP_AEAD_AES_128_GCM;
	p.dir = DP_SRTP_DIR_PROTECT;
	memcpy(p.master_key, m.key, 16);
	memcpy(p.master_salt, m.salt, 12);
	memcpy(p.mki, m.mki, m.mki_len);
	p.mki_len = m.mki_len;
	p.ssrc = ssrc;
	if (key.profile.auth_alg == MIKEY_AUTH_RCCM3)
		p.rcc_r = key.profile.roc_rate;
	cr_assert_eq(dp_srtp_ctx_new(&c, DP_SRTP_BACKEND_LIBSRTP, &p), 0);
	mikey_key_wipe(&key);
	mikey_srtp_master_wipe(&m);
	sodium_memzero(&p, sizeof(p));
	return c;
}

/* |tx| protects an RTP packet to |dport|; it goes in on the secure side. Out: the plain frame? */
static void
through(struct fix *x, struct dp_srtp_ctx *tx, uint32_t ssrc, uint16_t seq, uint16_t dport,
	bool expect)
{
	static struct frame out[4];
	uint8_t pl[256], b[RIG_FRAME], f[RIG_FRAME], want[RIG_FRAME];
	uint32_t len = tf_rtp(pl, ssrc, seq, 80, 0), l2 = len, fl, wl;
	struct tf t;

	tf_default(&t, false, dport);
	memcpy(b, pl, len);
	cr_assert_eq(dp_srtp_process(tx, b, &l2, sizeof(b)), DP_V_FWD);
	fl = tf_build(f, &t, b, l2);
	rig_send(&x->r, SEC, 0, f, fl);
	if (!expect) {
		cr_assert_eq(rig_recv(&x->r, PLN, out, 4, 1, 300), 0, "ssrc 0x%08x: no stream",
			     ssrc);
		return;
	}
	cr_assert_eq(rig_recv(&x->r, PLN, out, 4, 1, 3000), 1, "ssrc 0x%08x seq %u: nothing",
		     ssrc, seq);
	wl = tf_build(want, &t, pl, len);
	cr_assert_eq(out[0].len, wl);
	cr_assert_arr_eq(out[0].b, want, wl, "the plain frame, byte for byte");
}

/* Load |text| (copied: the loader wipes its buffer); returns the code, |err| filled. */
static int
load(struct fix *x, const char *text, char *err, size_t errlen)
{
	char *buf = strdup(text);
	int rc;

	cr_assert_not_null(buf);
	err[0] = '\0';
	rc = mcpxd_streams_load_buf(&x->ops, buf, strlen(text), x->dir, err, errlen);
	free(buf);
	return rc;
}

static char *
b64(const uint8_t *msg, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *s = malloc(n);

	cr_assert_not_null(s);
	sodium_bin2base64(s, n, msg, len, sodium_base64_VARIANT_ORIGINAL);
	return s;
}

Test(control_mcpxd_streams, mikey_entries_beside_raw_streams_decrypt)
{
	uint8_t msg1[MIKEY_MSG_MAX], msg2[MIKEY_MSG_MAX], rk[16], rs[12];
	struct dp_srtp_ctx *a0, *a1, *a2, *raw;
	struct mikey_newkey k1, k2;
	struct dp_srtp_params rp;
	char path[128], err[256], kh[33], rkh[33], rsh[25], text[8192], *m1;
	size_t l1, l2;
	struct fix x;
	unsigned int i;
	FILE *f;

	fix_up(&x);
	l1 = pck_msg(&x, msg1, &k1);
	l2 = pck_msg(&x, msg2, &k2);
	snprintf(path, sizeof(path), "%s/call2.mikey", x.dir);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(msg2, 1, l2, f), l2);	/* raw octets, as mcpxctl --msg takes */
	fclose(f);
	randombytes_buf(rk, sizeof(rk));
	randombytes_buf(rs, sizeof(rs));
	sodium_bin2hex(rkh, sizeof(rkh), rk, sizeof(rk));
	sodium_bin2hex(rsh, sizeof(rsh), rs, sizeof(rs));

	/*
	 * Entry 0: raw keys. Entry 1: the first call's message (an SDP line):
	 * alice's media (CS 0) and what went towards her (CS 1, any port), both
	 * to unprotect, as an offline decryption of a capture needs. Entry 2:
	 * the second call, from a file beside the streams file.
	 */
	m1 = b64(msg1, l1);
	snprintf(text, sizeof(text),
		 "{\"streams\": [\n"
		 " {\"dir\": \"unprotect\", \"master_key\": \"%s\", \"master_salt\": \"%s\",\n"
		 "  \"mki\": \"c0ffee01\", \"ssrc\": %u, \"port\": %u},\n"
		 " {\"mikey\": \"a=key-mgmt:mikey %s\\r\\n\", \"purpose\": 1, \"streams\": [\n"
		 "   {\"dir\": \"unprotect\", \"ssrc\": %u, \"port\": %u, \"cs_id\": 0},\n"
		 "   {\"dir\": \"unprotect\", \"ssrc\": \"0x%08x\", \"cs_id\": 1}]},\n"
		 " {\"mikey_file\": \"call2.mikey\", \"streams\": [\n"
		 "   {\"dir\": \"unprotect\", \"ssrc\": %u, \"port\": %u, \"cs_id\": 0,\n"
		 "    \"replay_window\": 256}]}]}\n",
		 rkh, rsh, S_RAW, MEDIA_PORT, m1, S_ALICE, MEDIA_PORT, S_SERVER, S_ALICE2,
		 MEDIA_PORT);
	free(m1);
	cr_assert_eq(load(&x, text, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(dp_stream_count(x.r.dp), 4);

	a0 = alice_ctx(&x, msg1, l1, 0, S_ALICE);
	a1 = alice_ctx(&x, msg1, l1, 1, S_SERVER);
	a2 = alice_ctx(&x, msg2, l2, 0, S_ALICE2);
	memset(&rp, 0, sizeof(rp));
	rp.profile = DP_SRTP_AEAD_AES_128_GCM;
	rp.dir = DP_SRTP_DIR_PROTECT;
	memcpy(rp.master_key, rk, 16);
	memcpy(rp.master_salt, rs, 12);
	memcpy(rp.mki, "\xc0\xff\xee\x01", 4);
	rp.mki_len = 4;
	rp.ssrc = S_RAW;
	cr_assert_eq(dp_srtp_ctx_new(&raw, DP_SRTP_BACKEND_LIBSRTP, &rp), 0);
	for (i = 0; i < 3; i++) {
		through(&x, a0, S_ALICE, (uint16_t)(100 + i), MEDIA_PORT, true);
		through(&x, a1, S_SERVER, (uint16_t)(7 + i), 42000, true);
		through(&x, a2, S_ALICE2, (uint16_t)(9000 + i), MEDIA_PORT, true);
		through(&x, raw, S_RAW, (uint16_t)(1 + i), MEDIA_PORT, true);
	}
	/* CS 1 was installed for S_SERVER only: another SSRC under it is no stream (punt). */
	dp_srtp_ctx_free(a1);
	a1 = alice_ctx(&x, msg1, l1, 1, S_ALICE);
	through(&x, a1, S_ALICE, 50, MEDIA_PORT, false);

	/* Nothing of the keys in the buffer the loader was given, nor in its sentences. */
	sodium_bin2hex(kh, sizeof(kh), k1.key, sizeof(k1.key));
	cr_assert_null(strstr(err, kh));
	sodium_memzero(&k1, sizeof(k1));
	sodium_memzero(&k2, sizeof(k2));
	sodium_memzero(rk, sizeof(rk));
	sodium_memzero(rs, sizeof(rs));
	sodium_memzero(&rp, sizeof(rp));
	dp_srtp_ctx_free(a0);
	dp_srtp_ctx_free(a1);
	dp_srtp_ctx_free(a2);
	dp_srtp_ctx_free(raw);
	unlink(path);
	fix_down(&x);
}

/* One bad entry: its error names it, and |installed| streams are there after the load. */
static void
refused(struct fix *x, const char *text, const char *want, unsigned int installed)
{
	char err[256];

	cr_assert_lt(load(x, text, err, sizeof(err)), 0, "accepted: %s", text);
	cr_assert_not_null(strstr(err, want), "error \"%s\" lacks \"%s\"", err, want);
	cr_assert_eq(dp_stream_count(x->r.dp), installed, "after: %s", err);
}

Test(control_mcpxd_streams, bad_mikey_entries_are_named_and_install_nothing)
{
	uint8_t msg[MIKEY_MSG_MAX];
	struct mikey_newkey k;
	struct ctl_keys *keys;
	char text[8192], *m, *bad;
	size_t len;
	struct fix x;

	fix_up(&x);
	len = pck_msg(&x, msg, &k);
	sodium_memzero(&k, sizeof(k));
	m = b64(msg, len);
	msg[len - 5] ^= 1;
	bad = b64(msg, len);

	/* No key store: a MIKEY entry cannot be opened. */
	keys = x.ops.keys;
	x.ops.keys = NULL;
	snprintf(text, sizeof(text), "{\"streams\": [{\"mikey\": \"%s\", \"streams\": "
		 "[{\"dir\": \"unprotect\", \"ssrc\": 1, \"cs_id\": 0}]}]}", m);
	refused(&x, text, "streams[0]: a MIKEY entry needs mcpxd's --key-store", 0);
	x.ops.keys = keys;
	/* A tampered message: the receiver's reason, nothing derived. */
	snprintf(text, sizeof(text), "{\"streams\": [{\"mikey\": \"%s\", \"streams\": "
		 "[{\"dir\": \"unprotect\", \"ssrc\": 1, \"cs_id\": 0}]}]}", bad);
	refused(&x, text, "streams[0] (MIKEY): ", 0);
	/* The wrong purpose. */
	snprintf(text, sizeof(text), "{\"streams\": [{\"mikey\": \"%s\", \"purpose\": 0, "
		 "\"streams\": [{\"dir\": \"unprotect\", \"ssrc\": 1, \"cs_id\": 0}]}]}", m);
	refused(&x, text, "streams[0] (MIKEY): ", 0);
	/* A stream of the entry that does not fit the key: the batch is all or nothing. */
	snprintf(text, sizeof(text), "{\"streams\": [{\"mikey\": \"%s\", \"streams\": ["
		 "{\"dir\": \"unprotect\", \"ssrc\": 1, \"cs_id\": 0},"
		 "{\"dir\": \"unprotect\", \"ssrc\": 2, \"cs_id\": 6}]}]}", m);
	refused(&x, text, "streams[0] (MIKEY): streams[1].cs_id", 0);
	/* Keys have no place in a MIKEY entry's streams. */
	snprintf(text, sizeof(text), "{\"streams\": [{\"mikey\": \"%s\", \"streams\": ["
		 "{\"dir\": \"unprotect\", \"ssrc\": 1, \"cs_id\": 0, \"master_key\": \"00\"}]}]}",
		 m);
	refused(&x, text, "master_key: unknown field", 0);
	/* Both forms, neither decodable, a file that is not there. */
	snprintf(text, sizeof(text), "{\"streams\": [{\"mikey\": \"%s\", \"mikey_file\": \"x\", "
		 "\"streams\": []}]}", m);
	refused(&x, text, "streams[0]: a MIKEY entry has one of", 0);
	refused(&x, "{\"streams\": [{\"mikey\": \"!!not base64!!\", \"streams\": "
		    "[{\"dir\": \"unprotect\", \"ssrc\": 1, \"cs_id\": 0}]}]}", "i_message", 0);
	refused(&x, "{\"streams\": [{\"mikey_file\": \"nowhere.mikey\", \"streams\": []}]}",
		"streams[0].mikey_file: ", 0);
	/* A good entry first, then a bad one: the error names the second. */
	snprintf(text, sizeof(text), "{\"streams\": [{\"mikey\": \"%s\", \"streams\": "
		 "[{\"dir\": \"unprotect\", \"ssrc\": 1, \"cs_id\": 0}]}, {\"mikey\": \"%s\", "
		 "\"streams\": [{\"dir\": \"unprotect\", \"ssrc\": 2, \"cs_id\": 0}]}]}", m, bad);
	refused(&x, text, "streams[1] (MIKEY): ", 1);
	free(m);
	free(bad);
	fix_down(&x);
}

/* A known key's bad field is named: each field in turn, nothing installed. */
Test(control_mcpxd_streams, bad_key_fields_are_named)
{
	static const char *const cases[][2] = {
		{"\"id\": \"0df9bc\"", "keys[0].id: "},
		{"\"id\": \"0df9bc30\", \"profile\": \"AES_CM_512\"", "keys[0].profile: "},
		{"\"id\": \"0df9bc30\", \"mki_len\": 9", "keys[0].mki_len: "},
		{"\"id\": \"0df9bc30\", \"rcc_r\": -1", "keys[0].rcc_r: "},
		{"\"id\": \"0df9bc30\", \"port\": 70000", "keys[0].port: "},
		{"\"id\": \"0df9bc30\", \"max_streams\": \"many\"", "keys[0].max_streams: "},
		{"\"id\": \"0df9bc30\", \"port\": \"010\"", "keys[0].port: "},	/* not 8 */
		{"\"id\": \"0df9bc30\", \"max_streams\": \" 8\"", "keys[0].max_streams: "},
	};
	char text[512];
	unsigned int i;
	struct fix x;

	fix_up(&x);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "{\"keys\": [{%s}]}", cases[i][0]);
		refused(&x, text, cases[i][1], 0);
	}
	refused(&x, "{\"keys\": [7]}", "keys[0]: not an object", 0);
	fix_down(&x);
}

/* A JSON error names the place, never the token jansson stopped in (a key's first digits). */
Test(control_mcpxd_streams, json_errors_never_quote_a_key)
{
	static const char *const cases[] = {
		"{\"streams\": [{\"dir\": \"unprotect\", \"master_key\": "
		"\"0001020304050607\\q\"}]}",
		"{\"streams\": [{\"dir\": \"unprotect\", \"master_key\": \"000102030405060708",
	};
	struct ctl_ops ops;
	char buf[256], err[256];
	unsigned int i;

	memset(&ops, 0, sizeof(ops));	/* a file that does not parse touches nothing */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i]);

		memcpy(buf, cases[i], n);
		err[0] = '\0';
		cr_assert_eq(mcpxd_streams_load_buf(&ops, buf, n, NULL, err, sizeof(err)),
			     -DP_E_ARG, "case %u", i);
		cr_assert_null(strstr(err, "0001020304"), "case %u: %s", i, err);
		cr_assert_not_null(strstr(err, "line 1 column "), "case %u: %s", i, err);
	}
}
