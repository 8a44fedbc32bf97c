/* SPDX-License-Identifier: proprietary */
/*
 * Differential test: the native backend against libsrtp, packet for packet.
 * Per profile at least 100,000 random packets (MCPX_DIFF_PACKETS to change
 * it): payloads of 0-1400 octets, CSRCs, header extensions, padding, MKI of
 * 0/4/8 octets, RCCm3 on and off, SEQ jumps and wraps, SRTP and SRTCP. Each
 * packet is protected by both backends (the octets must be identical), then
 * delivered — intact, reordered, replayed, bit-flipped, truncated, with its
 * ROC trailer changed, or dropped — to a receiver on each backend: the
 * verdicts, lengths and octets must be identical. The native receiver gets
 * its packets in bursts of 1-32 mixing several streams, libsrtp one by one.
 *
 * The seed is printed; MCPX_DIFF_SEED=<seed> replays a run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "backend_native.h"
#include "srtp_testlib.h"

#define BUFSZ 2048
#define NSESS 3		/* streams alive at once, interleaved in the bursts */
#define HIST 64		/* old wire packets kept for replays */

static uint64_t seed, rng;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static uint32_t
below(uint32_t n)
{
	return (uint32_t)((rnd() >> 32) % n);
}

static void
diff_init(void)
{
	const char *s = getenv("MCPX_DIFF_SEED");

	tl_engine_init();
	cr_assert(dp_srtp_backend_available(DP_SRTP_BACKEND_NATIVE));
	seed = s != NULL ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)clock() << 32;
	if (seed == 0)
		seed = 1;
	fprintf(stderr, "test_srtp_diff: seed 0x%016" PRIx64 " (MCPX_DIFF_SEED=0x%016" PRIx64
		" replays it)\n", seed, seed);
}

TestSuite(dataplane_srtp_diff, .init = diff_init, .timeout = 600);

static unsigned int
n_packets(void)
{
	const char *s = getenv("MCPX_DIFF_PACKETS");

	return s != NULL ? (unsigned int)strtoul(s, NULL, 0) : 100000;
}

struct wire {
	uint8_t d[BUFSZ];
	uint32_t len;
};

struct sess {
	struct dp_srtp_ctx *tx[2], *rx[2];	/* [0] libsrtp, [1] native */
	unsigned int proto;
	uint16_t seq;
	uint16_t rcc_r;
	unsigned int left;		/* packets until the stream is replaced */
	struct wire hist[HIST];		/* for replays */
	unsigned int nhist;
	struct wire held;		/* one packet held back (reordering) */
	bool holding;
};

static void
sess_free(struct sess *s)
{
	unsigned int b;

	for (b = 0; b < 2; b++) {
		dp_srtp_ctx_free(s->tx[b]);
		dp_srtp_ctx_free(s->rx[b]);
		s->tx[b] = s->rx[b] = NULL;
	}
}

static void
sess_new(struct sess *s, unsigned int profile, uint32_t ssrc)
{
	static const uint8_t mkis[3] = {0, 4, 8};
	const struct dp_srtp_profile_info *pi = dp_srtp_profile_info(profile);
	struct dp_srtp_params p;
	unsigned int i, b;

	memset(&p, 0, sizeof(p));
	p.profile = profile;
	p.proto = below(4) == 0 ? DP_SRTP_PROTO_RTCP : DP_SRTP_PROTO_RTP;
	p.ssrc = ssrc;
	p.mki_len = mkis[below(3)];
	for (i = 0; i < sizeof(p.master_key); i++)
		p.master_key[i] = (uint8_t)rnd();
	for (i = 0; i < sizeof(p.master_salt); i++)
		p.master_salt[i] = (uint8_t)rnd();
	for (i = 0; i < p.mki_len; i++)
		p.mki[i] = (uint8_t)rnd();
	if (p.proto == DP_SRTP_PROTO_RTP) {
		uint32_t r = below(8);

		p.roc = r < 5 ? 0 : r == 5 ? below(4) : (uint32_t)rnd();
		p.replay_window = below(3) == 0 ? 0 : (uint16_t)(64 + below(4096 - 64 + 1));
		if (pi->aead && below(2) == 0)
			p.rcc_r = (uint16_t)(1 + below(below(2) ? 1 : 8));
	}
	s->proto = p.proto;
	s->rcc_r = p.rcc_r;
	s->seq = below(4) == 0 ? (uint16_t)(65535 - below(200)) : (uint16_t)rnd();
	s->left = 50 + below(2000);
	s->nhist = 0;
	s->holding = false;
	for (b = 0; b < 2; b++) {
		unsigned int be = b ? DP_SRTP_BACKEND_NATIVE : DP_SRTP_BACKEND_LIBSRTP;

		p.dir = DP_SRTP_DIR_PROTECT;
		s->tx[b] = tl_ctx(be, &p);
		p.dir = DP_SRTP_DIR_UNPROTECT;
		s->rx[b] = tl_ctx(be, &p);
	}
	sodium_memzero(p.master_key, sizeof(p.master_key));
}

/* A random plaintext packet of |s| into |w|. */
static void
plaintext(struct sess *s, struct wire *w)
{
	uint32_t ssrc = dp_srtp_ctx_params(s->tx[0])->ssrc;

	if (s->proto == DP_SRTP_PROTO_RTCP) {
		w->len = tl_rtcp_app(w->d, ssrc, below(32), below(below(8) ? 16 : 340),
				     (uint32_t)rnd());
		return;
	}
	/* SEQ: mostly the next, sometimes a jump ahead or back, sometimes the same. */
	switch (below(40)) {
	case 0:
		s->seq = (uint16_t)(s->seq + below(40000));
		break;
	case 1:
		s->seq = (uint16_t)(s->seq - below(300));
		break;
	case 2:
		break;
	default:
		s->seq++;
	}
	w->len = tl_rtp(w->d, ssrc, s->seq, below(4) ? 0 : below(5),
			below(3) ? -1 : (int)below(below(4) ? 3 : 16),
			below(6) ? 0 : 1 + below(32), below(1401));
	w->d[1] = (uint8_t)(below(2) << 7 | 96);	/* marker bit either way */
}

static void
check_same(const struct wire *a, const struct wire *b, unsigned int va, unsigned int vb,
	   const char *what, unsigned int profile, unsigned long n)
{
	cr_assert_eq(va, vb, "seed 0x%016" PRIx64 " %s packet %lu %s: libsrtp %s, native %s", seed,
		     dp_srtp_profile_info(profile)->name, n, what, dp_verdict_name(va),
		     dp_verdict_name(vb));
	cr_assert_eq(a->len, b->len, "seed 0x%016" PRIx64 " %s packet %lu %s: length %u vs %u",
		     seed, dp_srtp_profile_info(profile)->name, n, what, a->len, b->len);
	cr_assert(memcmp(a->d, b->d, a->len) == 0,
		  "seed 0x%016" PRIx64 " %s packet %lu %s: octets differ", seed,
		  dp_srtp_profile_info(profile)->name, n, what);
}

/* The pending deliveries: [0] for libsrtp, [1] for native, one slot per packet. */
struct inbox {
	struct wire w[2][DP_SRTP_BURST_MAX];
	struct sess *to[DP_SRTP_BURST_MAX];
	unsigned int n, want;
};

static void
flush(struct inbox *ib, unsigned int profile, unsigned long *n, unsigned int *fwd)
{
	struct dp_srtp_pkt pk[DP_SRTP_BURST_MAX];
	unsigned int i, v0;

	for (i = 0; i < ib->n; i++)
		pk[i] = (struct dp_srtp_pkt){.ctx = ib->to[i]->rx[1], .data = ib->w[1][i].d,
					     .len = ib->w[1][i].len, .room = BUFSZ};
	dp_srtp_burst(pk, ib->n);
	for (i = 0; i < ib->n; i++) {
		v0 = dp_srtp_process(ib->to[i]->rx[0], ib->w[0][i].d, &ib->w[0][i].len, BUFSZ);
		ib->w[1][i].len = pk[i].len;
		check_same(&ib->w[0][i], &ib->w[1][i], v0, pk[i].verdict, "unprotect", profile,
			   *n);
		*fwd += v0 == DP_V_FWD;
		++*n;
	}
	for (i = 0; i < ib->n; i++)
		cr_assert_eq(dp_srtp_ctx_roc(ib->to[i]->rx[0]), dp_srtp_ctx_roc(ib->to[i]->rx[1]),
			     "seed 0x%016" PRIx64 " receiver ROC", seed);
	ib->n = 0;
	ib->want = 1 + below(DP_SRTP_BURST_MAX);
}

static void
post(struct inbox *ib, struct sess *s, const struct wire *w, unsigned int profile,
     unsigned long *n, unsigned int *fwd)
{
	ib->w[0][ib->n] = *w;
	ib->w[1][ib->n] = *w;
	ib->to[ib->n++] = s;
	if (ib->n >= ib->want)
		flush(ib, profile, n, fwd);
}

/* What the network does to one protected packet on its way to the receivers. */
static void
deliver(struct inbox *ib, struct sess *s, struct wire *w, unsigned int profile,
	unsigned long *n, unsigned int *fwd)
{
	unsigned int r = below(100);
	struct wire t;

	if (r < 3)
		return;					/* lost */
	if (r < 8 && !s->holding) {			/* held back: arrives later */
		s->held = *w;
		s->holding = true;
		return;
	}
	t = *w;
	if (r < 14) {					/* one bit flipped */
		uint32_t at = below(t.len);

		t.d[at] ^= (uint8_t)(1u << below(8));
	} else if (r < 18) {				/* truncated */
		t.len = below(t.len);
	} else if (r < 22 && s->nhist != 0) {		/* an old one again */
		t = s->hist[below(s->nhist < HIST ? s->nhist : HIST)];
	} else if (r < 26 && s->rcc_r != 0 && t.len >= 4) {	/* the ROC trailer changed */
		uint32_t c = below(4);

		if (c == 0)
			memset(t.d + t.len - 4, 0, 4);
		else if (c == 1)
			t.d[t.len - 1] = (uint8_t)(t.d[t.len - 1] + 1);
		else if (c == 2)
			t.d[t.len - 1] = (uint8_t)(t.d[t.len - 1] - 1);
		else
			randombytes_buf(t.d + t.len - 4, 4);
	} else if (r < 28) {				/* twice in a row */
		post(ib, s, &t, profile, n, fwd);
	}
	post(ib, s, &t, profile, n, fwd);
	if (s->holding && below(3) == 0) {
		post(ib, s, &s->held, profile, n, fwd);
		s->holding = false;
	}
}

static void
run_profile(unsigned int profile)
{
	static struct inbox ib;
	struct sess *ss = calloc(NSESS, sizeof(*ss));
	unsigned long n = 0, sent = 0, target = n_packets();
	unsigned int i, fwd = 0, streams = 0;

	cr_assert_not_null(ss);
	rng = seed ^ (0x9e3779b97f4a7c15ULL * (profile + 1));
	ib.n = 0;
	ib.want = 1 + below(DP_SRTP_BURST_MAX);
	for (i = 0; i < NSESS; i++, streams++)
		sess_new(&ss[i], profile, 0x10000000u + streams);
	while (sent < target) {
		struct sess *s = &ss[below(NSESS)];
		struct wire w[2];
		unsigned int v[2], b;

		if (s->left-- == 0) {
			/* The stream ends; packets in the inbox for it go first. */
			flush(&ib, profile, &n, &fwd);
			sess_free(s);
			sess_new(s, profile, 0x10000000u + streams++);
		}
		plaintext(s, &w[0]);
		w[1] = w[0];
		for (b = 0; b < 2; b++)
			v[b] = dp_srtp_process(s->tx[b], w[b].d, &w[b].len, BUFSZ);
		check_same(&w[0], &w[1], v[0], v[1], "protect", profile, sent);
		cr_assert_eq(dp_srtp_ctx_roc(s->tx[0]), dp_srtp_ctx_roc(s->tx[1]),
			     "seed 0x%016" PRIx64 " sender ROC", seed);
		sent++;
		if (v[0] != DP_V_FWD)
			continue;
		s->hist[s->nhist++ % HIST] = w[0];
		deliver(&ib, s, &w[0], profile, &n, &fwd);
	}
	flush(&ib, profile, &n, &fwd);
	cr_log_info("%s: %lu protected, %lu unprotected (%u forwarded) over %u streams",
		    dp_srtp_profile_info(profile)->name, sent, n, fwd, streams);
	/* A run that forwards nothing would compare nothing but drops. */
	cr_assert_gt(fwd, n / 2);
	for (i = 0; i < NSESS; i++)
		sess_free(&ss[i]);
	free(ss);
}

Test(dataplane_srtp_diff, aes_cm_128_hmac_sha1_80)
{
	run_profile(DP_SRTP_AES_CM_128_HMAC_SHA1_80);
}

Test(dataplane_srtp_diff, aes_cm_128_hmac_sha1_32)
{
	run_profile(DP_SRTP_AES_CM_128_HMAC_SHA1_32);
}

Test(dataplane_srtp_diff, aead_aes_128_gcm)
{
	run_profile(DP_SRTP_AEAD_AES_128_GCM);
}

Test(dataplane_srtp_diff, aead_aes_256_gcm)
{
	run_profile(DP_SRTP_AEAD_AES_256_GCM);
}

/*
 * SRTCP with E = 0 (authenticated, not encrypted) to a receiver that
 * encrypts: made with the native session-key hook from the same master key,
 * so only the E bit and the missing encryption differ. Both backends must
 * give the same verdict (libsrtp: cant_check for AES-CM, and for GCM the
 * RFC 7714 §9.3 tagging-only reading).
 */
Test(dataplane_srtp_diff, srtcp_e0_to_an_encrypting_receiver)
{
	unsigned int prof;

	rng = seed;
	for (prof = 0; prof < DP_SRTP_PROFILE_COUNT; prof++) {
		const struct dp_srtp_profile_info *pi = dp_srtp_profile_info(prof);
		struct dp_srtp_params p = tl_params(prof, DP_SRTP_PROTO_RTCP, DP_SRTP_DIR_PROTECT,
						    4, 0x4d617273, 0, 31);
		struct dp_srtp_native_session ks;
		struct dp_srtp_ctx *tx, *rx[2];
		struct wire w[2];
		unsigned int v[2], b;

		memset(&ks, 0, sizeof(ks));
		cr_assert_eq(dp_srtp_native_kdf(p.master_key, pi->key_len, p.master_salt,
						pi->salt_len, 3, ks.enc_key, pi->key_len), 0);
		cr_assert_eq(dp_srtp_native_kdf(p.master_key, pi->key_len, p.master_salt,
						pi->salt_len, 4, ks.auth_key, 20), 0);
		cr_assert_eq(dp_srtp_native_kdf(p.master_key, pi->key_len, p.master_salt,
						pi->salt_len, 5, ks.salt, pi->salt_len), 0);
		ks.no_encrypt = true;
		cr_assert_eq(dp_srtp_native_ctx_from_session(&tx, &p, &ks), 0);
		p.dir = DP_SRTP_DIR_UNPROTECT;
		rx[0] = tl_ctx(DP_SRTP_BACKEND_LIBSRTP, &p);
		rx[1] = tl_ctx(DP_SRTP_BACKEND_NATIVE, &p);
		w[0].len = tl_rtcp_app(w[0].d, p.ssrc, 2, 5, 77);
		cr_assert_eq(dp_srtp_process(tx, w[0].d, &w[0].len, BUFSZ), DP_V_FWD);
		w[1] = w[0];
		for (b = 0; b < 2; b++)
			v[b] = dp_srtp_process(rx[b], w[b].d, &w[b].len, BUFSZ);
		cr_log_info("%s SRTCP E=0 to an encrypting receiver: %s", pi->name,
			    dp_verdict_name(v[0]));
		check_same(&w[0], &w[1], v[0], v[1], "E=0", prof, 0);
		cr_assert_eq(v[0], pi->aead ? DP_V_FWD : DP_V_DROP_AUTH);
		sodium_memzero(&ks, sizeof(ks));
		dp_srtp_ctx_free(tx);
		dp_srtp_ctx_free(rx[0]);
		dp_srtp_ctx_free(rx[1]);
	}
}
