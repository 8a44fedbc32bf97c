/* SPDX-License-Identifier: proprietary */
/*
 * The native backend's insides, where only it can be reached: RFC 3711 B.2
 * (AES-CM keystream) and B.3 (KDF), RFC 7714 §16-17 packets from session
 * keys (SRTP, tagging only, SRTCP with E = 1 and E = 0), on every
 * intel-ipsec-mb code path this CPU has; the native-only parameters; the
 * state size; and bursts whose packets depend on each other.
 * Vectors are data: tests/vectors/srtp-rfc3711.json, srtp-gcm-rfc7714.json.
 */
#include <pthread.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <intel-ipsec-mb.h>
#include <sodium.h>

#include "backend_native.h"
#include "srtp_testlib.h"
#include "tvec.h"

static void
native_init(void)
{
	tl_engine_init();
	cr_assert(dp_srtp_backend_available(DP_SRTP_BACKEND_NATIVE), "native backend unavailable");
}

TestSuite(dataplane_srtp_native, .init = native_init);

#define SSRC 0x5501a0b2u
#define BUFSZ 2048

static const char *const arch_names[] = {"sse", "avx", "avx2", "avx512"};

/* Run |fn| once on each intel-ipsec-mb path this CPU has; returns how many. */
static unsigned int
each_arch(void (*fn)(const char *arch))
{
	unsigned int i, n = 0;

	for (i = 0; i < sizeof(arch_names) / sizeof(arch_names[0]); i++) {
		if (dp_srtp_native_set_arch(arch_names[i]) != 0)
			continue;
		cr_assert_str_eq(dp_srtp_native_arch(), arch_names[i]);
		fn(arch_names[i]);
		n++;
	}
	return n;
}

static void
b2_keystream(const char *arch)
{
	json_t *root = tvec_load("srtp-rfc3711.json");
	json_t *v = tvec_find(root, "rfc3711-b2-aes-cm-keystream"), *blocks, *b;
	uint8_t key[16], iv[16], want[16];
	size_t len = (0xff01 + 1) * 16, i;
	uint8_t *ks = malloc(len);

	cr_assert_not_null(ks);
	tvec_hex_into(v, "session_encryption_key", key, sizeof(key));
	tvec_hex_into(v, "iv_16_octets", iv, sizeof(iv));
	cr_assert_eq(dp_srtp_native_keystream(key, 16, iv, ks, len), 0);
	blocks = json_object_get(v, "blocks");
	cr_assert_eq(json_array_size(blocks), 6);
	json_array_foreach(blocks, i, b) {
		uint64_t j = tvec_uint(b, "block_index_u16");

		tvec_hex_into(b, "keystream_block", want, sizeof(want));
		cr_assert_arr_eq(ks + 16 * j, want, 16, "%s: block %04llx", arch,
				 (unsigned long long)j);
	}
	free(ks);
	json_decref(root);
}

Test(dataplane_srtp_native, rfc3711_b2_keystream_every_arch)
{
	cr_assert_geq(each_arch(b2_keystream), 1);
}

static void
b3_label(json_t *v, const char *rec, uint8_t label, const char *field, size_t n)
{
	uint8_t mk[16], ms[14], got[94], want[94];

	tvec_hex_into(v, "master_key", mk, sizeof(mk));
	tvec_hex_into(v, "master_salt_14_octets", ms, sizeof(ms));
	cr_assert_eq(tvec_uint(json_object_get(v, rec), "label"), label);
	tvec_hex_into(json_object_get(v, rec), field, want, n);
	cr_assert_eq(dp_srtp_native_kdf(mk, 16, ms, 14, label, got, (unsigned int)n), 0);
	cr_assert_arr_eq(got, want, n, "label %02x", label);
}

static void
b3_kdf(const char *arch)
{
	json_t *root = tvec_load("srtp-rfc3711.json");
	json_t *v = tvec_find(root, "rfc3711-b3-key-derivation");

	(void)arch;
	b3_label(v, "label_00_srtp_encryption", 0, "session_encryption_key_16_octets", 16);
	b3_label(v, "label_02_srtp_salt", 2, "session_salt_14_octets", 14);
	/* 94 octets: six AES-CM blocks, the counter in the last two octets. */
	b3_label(v, "label_01_srtp_authentication", 1, "session_auth_key_94_octets", 94);
	json_decref(root);
}

Test(dataplane_srtp_native, rfc3711_b3_kdf_every_arch)
{
	cr_assert_geq(each_arch(b3_kdf), 1);
}

struct gcm_kat {
	const char *name;
	unsigned int profile, proto;
	bool no_encrypt;
	const char *plain, *wire;
};

static const struct gcm_kat gcm_kats[] = {
	{"rfc7714-16.1.1-srtp-aead-aes-128-gcm-encrypt", DP_SRTP_AEAD_AES_128_GCM,
	 DP_SRTP_PROTO_RTP, false, "rtp_packet_plaintext", "srtp_packet"},
	{"rfc7714-16.1.3-srtp-aead-aes-128-gcm-tagging-only", DP_SRTP_AEAD_AES_128_GCM,
	 DP_SRTP_PROTO_RTP, true, "rtp_packet_plaintext", "tagged_packet"},
	{"rfc7714-16.2.1-srtp-aead-aes-256-gcm-encrypt", DP_SRTP_AEAD_AES_256_GCM,
	 DP_SRTP_PROTO_RTP, false, "rtp_packet_plaintext", "srtp_packet"},
	{"rfc7714-16.2.3-srtp-aead-aes-256-gcm-tagging-only", DP_SRTP_AEAD_AES_256_GCM,
	 DP_SRTP_PROTO_RTP, true, "rtp_packet_plaintext", "tagged_packet"},
	{"rfc7714-17.1-srtcp-aead-aes-128-gcm-encrypt-e1", DP_SRTP_AEAD_AES_128_GCM,
	 DP_SRTP_PROTO_RTCP, false, "rtcp_packet_plaintext", "srtcp_packet"},
	{"rfc7714-17.2-srtcp-aead-aes-256-gcm-decrypt-e1", DP_SRTP_AEAD_AES_256_GCM,
	 DP_SRTP_PROTO_RTCP, false, "rtcp_packet_plaintext", "srtcp_packet"},
	{"rfc7714-17.3-srtcp-aead-aes-128-gcm-tagging-e0", DP_SRTP_AEAD_AES_128_GCM,
	 DP_SRTP_PROTO_RTCP, true, "rtcp_packet_plaintext", "srtcp_packet"},
	{"rfc7714-17.4-srtcp-aead-aes-256-gcm-tag-verify-e0", DP_SRTP_AEAD_AES_256_GCM,
	 DP_SRTP_PROTO_RTCP, true, "rtcp_packet_plaintext", "srtcp_packet"},
};

static struct dp_srtp_ctx *
session_ctx(json_t *v, const struct gcm_kat *k, unsigned int dir)
{
	const struct dp_srtp_profile_info *pi = dp_srtp_profile_info(k->profile);
	struct dp_srtp_native_session s;
	struct dp_srtp_params p;
	struct dp_srtp_ctx *c = NULL;

	memset(&p, 0, sizeof(p));
	memset(&s, 0, sizeof(s));
	p.profile = k->profile;
	p.proto = k->proto;
	p.dir = dir;
	p.ssrc = (uint32_t)tvec_uint(v, "ssrc_u32");
	if (k->proto == DP_SRTP_PROTO_RTP)
		p.roc = (uint32_t)tvec_uint(v, "roc_u32");
	else
		p.srtcp_index = (uint32_t)tvec_uint(v, "srtcp_index_u32_without_e");
	tvec_hex_into(v, pi->key_len == 16 ? "session_key_16_octets" : "session_key_32_octets",
		      s.enc_key, pi->key_len);
	tvec_hex_into(v, "session_salt_12_octets", s.salt, 12);
	s.no_encrypt = k->no_encrypt;
	cr_assert_eq(dp_srtp_native_ctx_from_session(&c, &p, &s), 0, "%s", k->name);
	sodium_memzero(&s, sizeof(s));
	return c;
}

static void
gcm_vectors(const char *arch)
{
	json_t *root = tvec_load("srtp-gcm-rfc7714.json");
	unsigned int i;

	for (i = 0; i < sizeof(gcm_kats) / sizeof(gcm_kats[0]); i++) {
		const struct gcm_kat *k = &gcm_kats[i];
		json_t *v = tvec_find(root, k->name);
		struct dp_srtp_ctx *tx = session_ctx(v, k, DP_SRTP_DIR_PROTECT);
		struct dp_srtp_ctx *rx = session_ctx(v, k, DP_SRTP_DIR_UNPROTECT);
		size_t plen, wlen;
		uint8_t *plain = tvec_hex(v, k->plain, &plen), *wire = tvec_hex(v, k->wire, &wlen);
		uint8_t buf[BUFSZ];
		uint32_t len = (uint32_t)plen;

		memcpy(buf, plain, plen);
		cr_assert_eq(dp_srtp_process(tx, buf, &len, sizeof(buf)), DP_V_FWD, "%s", k->name);
		cr_assert_eq(len, wlen, "%s %s: length %u, want %zu", arch, k->name, len, wlen);
		cr_assert_arr_eq(buf, wire, wlen, "%s %s: octets differ", arch, k->name);
		/* The last octet of the tag flipped: refused, and nothing changes. */
		buf[wlen - (k->proto == DP_SRTP_PROTO_RTCP ? 5 : 1)] ^= 0x01;
		cr_assert_eq(dp_srtp_process(rx, buf, &len, sizeof(buf)), DP_V_DROP_AUTH,
			     "%s", k->name);
		memcpy(buf, wire, wlen);
		len = (uint32_t)wlen;
		cr_assert_eq(dp_srtp_process(rx, buf, &len, sizeof(buf)), DP_V_FWD, "%s", k->name);
		cr_assert_eq(len, plen);
		cr_assert_arr_eq(buf, plain, plen);
		free(plain);
		free(wire);
		dp_srtp_ctx_free(tx);
		dp_srtp_ctx_free(rx);
	}
	json_decref(root);
}

Test(dataplane_srtp_native, rfc7714_session_vectors_every_arch)
{
	cr_assert_geq(each_arch(gcm_vectors), 1);
}

/* The engine vectors (master key to packet) on every path, not just the best. */
static void
master_key_vectors(const char *arch)
{
	json_t *root = tvec_load("srtp-gcm-rfc7714.json");
	json_t *v = tvec_find(root, "libsrtp-aead-aes-128-gcm-master-key-to-packet");
	struct dp_srtp_params p;
	struct dp_srtp_ctx *tx;
	size_t plen, wlen;
	uint8_t *plain = tvec_hex(v, "rtp_packet_plaintext", &plen);
	uint8_t *wire = tvec_hex(v, "srtp_packet", &wlen), buf[512];
	uint32_t len = (uint32_t)plen;

	memset(&p, 0, sizeof(p));
	p.profile = DP_SRTP_AEAD_AES_128_GCM;
	p.ssrc = (uint32_t)tvec_uint(v, "ssrc_u32");
	tvec_hex_into(v, "master_key", p.master_key, 16);
	tvec_hex_into(v, "master_salt_12_octets", p.master_salt, 12);
	tx = tl_ctx(DP_SRTP_BACKEND_NATIVE, &p);
	memcpy(buf, plain, plen);
	cr_assert_eq(dp_srtp_process(tx, buf, &len, sizeof(buf)), DP_V_FWD);
	cr_assert_arr_eq(buf, wire, wlen, "%s", arch);
	dp_srtp_ctx_free(tx);
	free(plain);
	free(wire);
	json_decref(root);
}

Test(dataplane_srtp_native, libsrtp_gcm_vector_every_arch)
{
	cr_assert_geq(each_arch(master_key_vectors), 1);
}

/*
 * The lines of gcm_key_data the keys' prefetch loads for GCM are the ones the
 * path reads: found here by the octet (16 at a time) on a manager of its own
 * and a key of its own, against the engine's line-by-line probe.
 */
static void
h_lines_match(const char *arch)
{
	static const struct {
		const char *name;
		void (*init)(IMB_MGR *);
	} inits[] = {{"sse", init_mb_mgr_sse},
		     {"avx", init_mb_mgr_avx},
		     {"avx2", init_mb_mgr_avx2},
		     {"avx512", init_mb_mgr_avx512}};
	IMB_MGR *m = alloc_mb_mgr(0);
	unsigned int i, kl;

	cr_assert_not_null(m);
	for (i = 0; i < sizeof(inits) / sizeof(inits[0]) && strcmp(inits[i].name, arch) != 0; i++)
		;
	cr_assert_lt(i, sizeof(inits) / sizeof(inits[0]), "no manager for %s", arch);
	inits[i].init(m);
	cr_assert_eq(dp_srtp_native_thread_init(), 0);
	for (kl = 16; kl <= 32; kl += 16) {
		const uint8_t key[32] = {0x42, 0x17};
		alignas(64) struct gcm_key_data kd, probe;
		struct gcm_context_data gctx;
		uint8_t iv[12] = {1}, aad[12] = {0x80, 0x60}, pt[60], ct[2][60], tag[2][16];
		uint16_t want[8], got[8];
		size_t c, rk = (kl == 32 ? 15u : 11u) * 16u;
		unsigned int nw = 0, ng, v;

		memset(pt, 0x33, sizeof(pt));
		for (c = 0; c <= sizeof(kd) / 16; c++) {
			if (kl == 32)
				IMB_AES256_GCM_PRE(m, key, &kd);
			else
				IMB_AES128_GCM_PRE(m, key, &kd);
			probe = kd;
			if (c != 0)
				((uint8_t *)&probe)[(c - 1) * 16] ^= 1;	/* chunk c - 1 */
			if (kl == 32)
				IMB_AES256_GCM_ENC(m, &probe, &gctx, ct[c != 0], pt, sizeof(pt), iv,
						   aad, sizeof(aad), tag[c != 0], 16);
			else
				IMB_AES128_GCM_ENC(m, &probe, &gctx, ct[c != 0], pt, sizeof(pt), iv,
						   aad, sizeof(aad), tag[c != 0], 16);
			if (c == 0 || (c - 1) * 16 < rk ||
			    (sodium_memcmp(ct[0], ct[1], sizeof(pt)) == 0 && sodium_memcmp(tag[0], tag[1], 16) == 0))
				continue;
			v = (unsigned int)((c - 1) * 16 / 64 * 64);
			if (nw == 0 || want[nw - 1] != v) {
				cr_assert_lt(nw, 8u);
				want[nw++] = (uint16_t)v;
			}
		}
		ng = dp_srtp_native_h_lines(kl, got, 8);
		cr_assert_gt(nw, 0u, "%s: no line of H read?", arch);
		cr_assert_eq(ng, nw, "%s, %u-octet key: %u lines probed, %u read", arch, kl, ng, nw);
		for (v = 0; v < nw; v++)
			cr_assert_eq(got[v], want[v], "%s, %u-octet key: line %u at %u, read at %u",
				     arch, kl, v, got[v], want[v]);
	}
	free_mb_mgr(m);
}

Test(dataplane_srtp_native, gcm_prefetch_finds_the_h_lines)
{
	cr_assert_geq(each_arch(h_lines_match), 1);
}

Test(dataplane_srtp_native, unknown_arch_refused)
{
	cr_assert_eq(dp_srtp_native_set_arch("avx1024"), -DP_E_UNSUPPORTED);
}

/* seq_set: the receiver starts at (ROC, SEQ) as its highest; SEQ itself is a replay. */
Test(dataplane_srtp_native, seq_set_pins_the_receiver)
{
	struct dp_srtp_params p = tl_params(DP_SRTP_AES_CM_128_HMAC_SHA1_80, DP_SRTP_PROTO_RTP,
					    DP_SRTP_DIR_PROTECT, 0, SSRC, 0, 21);
	struct dp_srtp_ctx *tx, *rx;
	uint8_t buf[BUFSZ], again[BUFSZ];
	uint32_t len, alen;
	uint16_t seq;

	p.roc = 7;
	tx = tl_ctx(DP_SRTP_BACKEND_NATIVE, &p);
	p.dir = DP_SRTP_DIR_UNPROTECT;
	p.seq_set = true;
	p.seq = 65000;
	rx = tl_ctx(DP_SRTP_BACKEND_NATIVE, &p);
	/* libsrtp's receiver would take the first SEQ as is; this one knows 65000. */
	for (seq = 64990; seq != 10; seq++) {
		len = tl_rtp(buf, SSRC, seq, 0, -1, 0, 20);
		cr_assert_eq(dp_srtp_process(tx, buf, &len, BUFSZ), DP_V_FWD);
		if (seq == 65000) {
			memcpy(again, buf, len);
			alen = len;
		}
		if (seq < 65000 && seq >= 64990)
			continue;	/* sent before the receiver's start: not delivered */
		cr_assert_eq(dp_srtp_process(rx, buf, &len, BUFSZ),
			     seq == 65000 ? DP_V_DROP_REPLAY : DP_V_FWD, "seq %u", seq);
	}
	cr_assert_eq(dp_srtp_ctx_roc(rx), 8);
	cr_assert_eq(dp_srtp_process(rx, again, &alen, BUFSZ), DP_V_DROP_REPLAY);
	dp_srtp_ctx_free(tx);
	dp_srtp_ctx_free(rx);
}

/* srtcp_index: the first SRTCP index sent; the last one allowed is 2^31 - 1. */
Test(dataplane_srtp_native, srtcp_index_first_and_last)
{
	struct dp_srtp_params p = tl_params(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTCP,
					    DP_SRTP_DIR_PROTECT, 4, SSRC, 0, 22);
	struct dp_srtp_ctx *tx;
	uint8_t buf[BUFSZ];
	uint32_t len;

	p.srtcp_index = 0x7ffffffe;
	tx = tl_ctx(DP_SRTP_BACKEND_NATIVE, &p);
	len = tl_rtcp_app(buf, SSRC, 1, 2, 0);
	cr_assert_eq(dp_srtp_process(tx, buf, &len, BUFSZ), DP_V_FWD);
	cr_assert_arr_eq(buf + len - 8, ((uint8_t[]){0xff, 0xff, 0xff, 0xfe}), 4);
	len = tl_rtcp_app(buf, SSRC, 1, 2, 0);
	cr_assert_eq(dp_srtp_process(tx, buf, &len, BUFSZ), DP_V_FWD);
	cr_assert_arr_eq(buf + len - 8, ((uint8_t[]){0xff, 0xff, 0xff, 0xff}), 4);
	len = tl_rtcp_app(buf, SSRC, 1, 2, 0);
	cr_assert_eq(dp_srtp_process(tx, buf, &len, BUFSZ), DP_V_DROP_POLICY);
	dp_srtp_ctx_free(tx);
	/* Unset: libsrtp's first index, 1. */
	p.srtcp_index = 0;
	tx = tl_ctx(DP_SRTP_BACKEND_NATIVE, &p);
	len = tl_rtcp_app(buf, SSRC, 1, 2, 0);
	cr_assert_eq(dp_srtp_process(tx, buf, &len, BUFSZ), DP_V_FWD);
	cr_assert_arr_eq(buf + len - 8, ((uint8_t[]){0x80, 0, 0, 1}), 4);
	dp_srtp_ctx_free(tx);
}

/* The per-stream state: one allocation, a few cache lines; printed for the docs. */
Test(dataplane_srtp_native, state_size)
{
	unsigned int prof;

	for (prof = 0; prof < DP_SRTP_PROFILE_COUNT; prof++) {
		struct dp_srtp_params p = tl_params(prof, DP_SRTP_PROTO_RTP,
						    DP_SRTP_DIR_UNPROTECT, 4, SSRC, 0, 23);
		struct dp_srtp_ctx *c = tl_ctx(DP_SRTP_BACKEND_NATIVE, &p);
		size_t sz = dp_srtp_ctx_state_size(c), big;

		dp_srtp_ctx_free(c);
		p.replay_window = DP_SRTP_REPLAY_MAX;
		c = tl_ctx(DP_SRTP_BACKEND_NATIVE, &p);
		big = dp_srtp_ctx_state_size(c);
		dp_srtp_ctx_free(c);
		cr_log_info("native %s: %zu octets per stream (window 128), %zu (window 4096)",
			    dp_srtp_profile_info(prof)->name, sz, big);
		cr_assert_eq(sz % 64, 0);
		cr_assert_leq(sz, dp_srtp_profile_info(prof)->aead ? 1280u : 512u);
		/* The window's bits are the only part that grows (plus alignment). */
		cr_assert_geq(big - sz, (4096 - 128) / 8 - 64);
		cr_assert_leq(big - sz, (4096 - 128) / 8 + 64);
	}
}

/*
 * A burst whose packets depend on each other: a forged packet far ahead
 * would, had it verified, have moved the index so that the next genuine
 * packet is misread; a duplicate inside the burst is a replay. The verdicts
 * must be those of one packet at a time.
 */
Test(dataplane_srtp_native, burst_verdicts_as_one_at_a_time)
{
	unsigned int prof;

	for (prof = 0; prof < DP_SRTP_PROFILE_COUNT; prof++) {
		struct dp_srtp_params p = tl_params(prof, DP_SRTP_PROTO_RTP, DP_SRTP_DIR_PROTECT, 0,
						    SSRC, 0, 24);
		struct dp_srtp_ctx *tx = tl_ctx(DP_SRTP_BACKEND_NATIVE, &p), *rx;
		static uint8_t bufs[8][BUFSZ];
		struct dp_srtp_pkt pk[8];
		static const uint16_t seqs[8] = {100, 40100, 101, 102, 102, 103, 104, 105};
		static const uint8_t want[8] = {
			DP_V_FWD, DP_V_DROP_AUTH, DP_V_FWD, DP_V_FWD,
			DP_V_DROP_REPLAY, DP_V_FWD, DP_V_DROP_AUTH, DP_V_FWD};
		unsigned int i;

		p.dir = DP_SRTP_DIR_UNPROTECT;
		rx = tl_ctx(DP_SRTP_BACKEND_NATIVE, &p);
		for (i = 0; i < 8; i++) {
			uint32_t len;

			if (i == 1 || i == 4)
				continue;
			len = tl_rtp(bufs[i], SSRC, seqs[i], 0, -1, 0, 40);
			cr_assert_eq(dp_srtp_process(tx, bufs[i], &len, BUFSZ), DP_V_FWD);
			pk[i] = (struct dp_srtp_pkt){.ctx = rx, .data = bufs[i], .len = len,
						     .room = BUFSZ};
		}
		/* 1: packet 2 with its SEQ moved far ahead (forged); 4: packet 3 again. */
		memcpy(bufs[1], bufs[2], BUFSZ);
		bufs[1][2] = (uint8_t)(seqs[1] >> 8);
		bufs[1][3] = (uint8_t)seqs[1];
		pk[1] = pk[2];
		pk[1].data = bufs[1];
		memcpy(bufs[4], bufs[3], BUFSZ);
		pk[4] = pk[3];
		pk[4].data = bufs[4];
		bufs[6][20] ^= 0x40;	/* forged payload */
		dp_srtp_burst(pk, 8);
		for (i = 0; i < 8; i++)
			cr_assert_eq(pk[i].verdict, want[i], "%s packet %u: %s",
				     dp_srtp_profile_info(prof)->name, i,
				     dp_verdict_name(pk[i].verdict));
		cr_assert_eq(dp_srtp_ctx_roc(rx), 0);
		dp_srtp_ctx_free(tx);
		dp_srtp_ctx_free(rx);
	}
}

/* ---- a context used on two threads, one after the other ----------------- */

struct two_threads {
	struct dp_srtp_ctx *rx;
	uint8_t pk[4][256];
	uint32_t len[4];
	enum dp_verdict v[3];
};

static uint32_t
cm_rtp(uint8_t *b, uint16_t seq)
{
	unsigned int i;

	memset(b, 0, 72);
	b[0] = 0x80;
	b[1] = 0x60;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[8] = 0x11;
	b[9] = 0x22;
	b[10] = 0x33;
	b[11] = 0x44;
	for (i = 12; i < 72; i++)
		b[i] = (uint8_t)(i + seq);
	return 72;
}

static void *
second_thread(void *arg)
{
	struct two_threads *x = arg;
	static const unsigned int order[3] = {2, 1, 3};	/* forged, replay, good */
	uint8_t b[256];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		uint32_t l = x->len[order[i]];

		memcpy(b, x->pk[order[i]], l);
		x->v[i] = dp_srtp_process(x->rx, b, &l, sizeof(b));
	}
	return NULL;
}

/*
 * The control thread primes a learnt stream with its first packet
 * (dp_stream_spec.first); the owner worker then works it. An AES-CM burst
 * with a failure restores the stream from the snapshot its thread took: one
 * taken on the other thread, under the same burst count, must not pass for
 * this thread's. Each thread's first burst here is its count 1.
 */
Test(dataplane_srtp_native, a_context_primed_on_one_thread_keeps_its_replay_state_on_another)
{
	static struct two_threads x;
	struct dp_srtp_params p;
	struct dp_srtp_ctx *tx;
	pthread_t th;
	uint8_t b[256];
	uint32_t l;
	unsigned int i, s;

	memset(&p, 0, sizeof(p));
	p.profile = DP_SRTP_AES_CM_128_HMAC_SHA1_80;
	p.proto = DP_SRTP_PROTO_RTP;
	p.ssrc = 0x11223344;
	p.mki_len = 8;
	memcpy(p.mki, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	for (i = 0; i < 16; i++)
		p.master_key[i] = (uint8_t)(i + 1);
	for (i = 0; i < 14; i++)
		p.master_salt[i] = (uint8_t)(i + 7);
	p.dir = DP_SRTP_DIR_PROTECT;
	cr_assert_eq(dp_srtp_ctx_new(&tx, DP_SRTP_BACKEND_LIBSRTP, &p), 0);
	for (s = 1; s <= 3; s++) {
		x.len[s] = cm_rtp(x.pk[s], (uint16_t)s);
		cr_assert_eq(dp_srtp_process(tx, x.pk[s], &x.len[s], 256), DP_V_FWD);
	}
	x.pk[2][x.len[2] - 1] ^= 1;	/* a bad tag */
	p.dir = DP_SRTP_DIR_UNPROTECT;
	cr_assert_eq(dp_srtp_ctx_new(&x.rx, DP_SRTP_BACKEND_NATIVE, &p), 0);
	memcpy(b, x.pk[1], x.len[1]);
	l = x.len[1];
	cr_assert_eq(dp_srtp_process(x.rx, b, &l, sizeof(b)), DP_V_FWD, "primed here");
	cr_assert_eq(pthread_create(&th, NULL, second_thread, &x), 0);
	cr_assert_eq(pthread_join(th, NULL), 0);
	cr_assert_eq(x.v[0], DP_V_DROP_AUTH);
	cr_assert_eq(x.v[1], DP_V_DROP_REPLAY, "the primed packet again: %d", x.v[1]);
	cr_assert_eq(x.v[2], DP_V_FWD);
	dp_srtp_ctx_free(x.rx);
	dp_srtp_ctx_free(tx);
	sodium_memzero(&p, sizeof(p));
}
