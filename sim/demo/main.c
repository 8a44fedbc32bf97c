/* SPDX-License-Identifier: proprietary */
/*
 * mcpx-demo: an MCPTT call through the SRTP engine, as the appliance and the
 * clients will see it — group media under a GMK-derived key with RCCm3 and
 * MKI = GMK-ID || GUK-ID, floor control as SRTCP under a CSK, a private call
 * under a PCK in both directions, a late joiner after the ROC wrap, and hostile
 * packets — with a report of every check. Exit status 0 only if all held.
 *
 * Keys here are random (libsodium): the KMS, the GMS and MIKEY-SAKKE that
 * distribute them in the full demo are separate components.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dp_srtp.h"

#define FRAME_LEN 33		/* AMR-WB 12.65 kbit/s, one 20 ms frame */
#define BUFSZ 256

struct check {
	const char *what;
	unsigned long want, got;
};

static struct check checks[32];
static unsigned int n_checks;
static unsigned long verdicts[DP_V_COUNT];

static void
check(const char *what, unsigned long want, unsigned long got)
{
	if (n_checks < sizeof(checks) / sizeof(checks[0]))
		checks[n_checks++] = (struct check){what, want, got};
}

static unsigned int backend = DP_SRTP_BACKEND_LIBSRTP;

static struct dp_srtp_ctx *
ctx_or_die(const struct dp_srtp_params *p)
{
	struct dp_srtp_ctx *c;
	int rc = dp_srtp_ctx_new(&c, backend, p);

	if (rc < 0) {
		fprintf(stderr, "mcpx-demo: cannot make an SRTP context: %s\n", dp_strerror(rc));
		exit(1);
	}
	return c;
}

/* A key ID: purpose tag in the top nibble, 28 random bits (TS 33.180 §5.2.2). */
static uint32_t
key_id(unsigned int tag)
{
	return (uint32_t)tag << 28 | (randombytes_random() & 0x0fffffff);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static struct dp_srtp_params
params(unsigned int proto, unsigned int dir, const uint8_t key[16], const uint8_t salt[12],
       const uint8_t *mki, unsigned int mki_len, uint32_t ssrc, uint16_t rcc)
{
	struct dp_srtp_params p;

	memset(&p, 0, sizeof(p));
	p.profile = DP_SRTP_AEAD_AES_128_GCM;
	p.proto = proto;
	p.dir = dir;
	memcpy(p.master_key, key, 16);
	memcpy(p.master_salt, salt, 12);
	memcpy(p.mki, mki, mki_len);
	p.mki_len = (uint8_t)mki_len;
	p.ssrc = ssrc;
	p.rcc_r = rcc;
	return p;
}

/* An RTP voice frame whose payload says who sent it and which frame it is. */
static uint32_t
voice(uint8_t *b, uint32_t ssrc, uint16_t seq, uint32_t n)
{
	uint32_t i;

	b[0] = 0x80;
	b[1] = 96;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	put32(b + 4, 320 * n);
	put32(b + 8, ssrc);
	for (i = 0; i < FRAME_LEN; i++)
		b[12 + i] = (uint8_t)(n * 7 + i + (ssrc & 0xff));
	return 12 + FRAME_LEN;
}

static enum dp_verdict
run(struct dp_srtp_ctx *c, uint8_t *b, uint32_t *len)
{
	enum dp_verdict v = dp_srtp_process(c, b, len, BUFSZ);

	verdicts[v]++;
	return v;
}

static bool
contains(const uint8_t *b, uint32_t len, const char *s)
{
	return memmem(b, len, s, strlen(s)) != NULL;
}

/* Group call: alice talks; bob listens from the start, carol joins after the wrap. */
static void
group_call(unsigned int frames)
{
	uint8_t key[16], salt[12], mki[8], b[BUFSZ], sent[BUFSZ];
	uint32_t ssrc = randombytes_random(), len;
	unsigned long bob_ok = 0, carol_ok = 0, leaked = 0, trailer_ok = 0;
	struct dp_srtp_ctx *tx, *bob, *carol = NULL;
	unsigned int i, late = frames * 3 / 4;
	struct dp_srtp_params p;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(salt, sizeof(salt));
	put32(mki, key_id(0));	/* GMK-ID */
	put32(mki + 4, key_id(0));	/* GUK-ID: alice's, purpose tag kept */
	p = params(DP_SRTP_PROTO_RTP, DP_SRTP_DIR_PROTECT, key, salt, mki, 8, ssrc, 1);
	tx = ctx_or_die(&p);
	p.dir = DP_SRTP_DIR_UNPROTECT;
	bob = ctx_or_die(&p);
	for (i = 0; i < frames; i++) {
		uint16_t seq = (uint16_t)(65536 - frames / 2 + i);	/* wraps halfway */
		uint32_t plen = voice(sent, ssrc, seq, i);

		memcpy(b, sent, plen);
		len = plen;
		if (run(tx, b, &len) != DP_V_FWD)
			continue;
		if (contains(b + 12, len - 12, "MCPT") || memcmp(b + 12, sent + 12, FRAME_LEN) == 0)
			leaked++;
		if (len == plen + 28 && memcmp(b + len - 12, mki, 8) == 0)
			trailer_ok++;
		if (i == late)
			carol = ctx_or_die(&p);	/* knows nothing of the wrap: ROC 0 */
		if (carol != NULL) {
			uint8_t c2[BUFSZ];
			uint32_t l2 = len;

			memcpy(c2, b, len);
			if (run(carol, c2, &l2) == DP_V_FWD && l2 == plen && !memcmp(c2, sent, plen))
				carol_ok++;
		}
		if (run(bob, b, &len) == DP_V_FWD && len == plen && !memcmp(b, sent, plen))
			bob_ok++;
	}
	check("group: frames sent, each ending GCM tag || GMK-ID || GUK-ID || ROC", frames,
	      trailer_ok);
	check("group: voice bytes or \"MCPT\" visible in SRTP payloads", 0, leaked);
	check("group: bob verified every frame across the SEQ wrap", frames, bob_ok);
	check("group: carol joined after the wrap, verified every later frame", frames - late,
	      carol_ok);
	check("group: talker's ROC after the wrap", 1, dp_srtp_ctx_roc(tx));
	dp_srtp_ctx_free(tx);
	dp_srtp_ctx_free(bob);
	dp_srtp_ctx_free(carol);
}

/* Floor control: SRTCP APP "MCPT" under alice's CSK (MKI = CSK-ID). */
static void
floor_control(void)
{
	static const char *const msgs[] = {"Request", "Granted", "Taken", "Release", "Idle"};
	uint8_t key[16], salt[12], mki[4], b[BUFSZ], sent[BUFSZ];
	uint32_t ssrc = randombytes_random(), len;
	unsigned long ok = 0, hidden = 0;
	struct dp_srtp_ctx *tx, *rx;
	struct dp_srtp_params p;
	unsigned int i;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(salt, sizeof(salt));
	put32(mki, key_id(2));
	p = params(DP_SRTP_PROTO_RTCP, DP_SRTP_DIR_PROTECT, key, salt, mki, 4, ssrc, 0);
	tx = ctx_or_die(&p);
	p.dir = DP_SRTP_DIR_UNPROTECT;
	rx = ctx_or_die(&p);
	for (i = 0; i < 5; i++) {
		uint32_t plen = 12;

		sent[0] = (uint8_t)(0x80 | i);	/* subtype */
		sent[1] = 204;			/* APP */
		sent[2] = 0;
		sent[3] = 2;
		put32(sent + 4, ssrc);
		memcpy(sent + 8, "MCPT", 4);
		memcpy(b, sent, plen);
		len = plen;
		if (run(tx, b, &len) != DP_V_FWD)
			continue;
		if (!contains(b, len, "MCPT") && memcmp(b + len - 4, mki, 4) == 0)
			hidden++;
		if (run(rx, b, &len) == DP_V_FWD && len == plen && !memcmp(b, sent, plen))
			ok++;
		(void)msgs;
	}
	check("floor: Request, Granted, Taken, Release, Idle as SRTCP, \"MCPT\" hidden", 5,
	      hidden);
	check("floor: messages verified by the peer", 5, ok);
	dp_srtp_ctx_free(tx);
	dp_srtp_ctx_free(rx);
}

/* Private call: one PCK, MKI = PCK-ID, both directions (CS-ID 0 and 1 keys). */
static void
private_call(unsigned int frames)
{
	uint8_t key[2][16], salt[2][12], mki[4], b[BUFSZ], sent[BUFSZ];
	struct dp_srtp_ctx *tx[2], *rx[2];
	unsigned long ok[2] = {0, 0};
	uint32_t ssrc[2], len;
	unsigned int d, i;

	put32(mki, key_id(1));
	for (d = 0; d < 2; d++) {
		struct dp_srtp_params p;

		randombytes_buf(key[d], 16);
		randombytes_buf(salt[d], 12);
		ssrc[d] = randombytes_random();
		p = params(DP_SRTP_PROTO_RTP, DP_SRTP_DIR_PROTECT, key[d], salt[d], mki, 4,
			   ssrc[d], 0);
		tx[d] = ctx_or_die(&p);
		p.dir = DP_SRTP_DIR_UNPROTECT;
		rx[d] = ctx_or_die(&p);
	}
	for (i = 0; i < frames; i++)
		for (d = 0; d < 2; d++) {
			uint32_t plen = voice(sent, ssrc[d], (uint16_t)(i + 1), i);

			memcpy(b, sent, plen);
			len = plen;
			if (run(tx[d], b, &len) == DP_V_FWD && len == plen + 20 &&
			    run(rx[d], b, &len) == DP_V_FWD && !memcmp(b, sent, plen))
				ok[d]++;
		}
	check("private: alice -> dave frames verified (PCK, CS-ID 0)", frames, ok[0]);
	check("private: dave -> alice frames verified (PCK, CS-ID 1)", frames, ok[1]);
	for (d = 0; d < 2; d++) {
		dp_srtp_ctx_free(tx[d]);
		dp_srtp_ctx_free(rx[d]);
	}
}

/* Hostile traffic: every bad packet gets a drop verdict, none a FWD. */
static void
hostile(void)
{
	uint8_t key[16], salt[12], mki[8], b[BUFSZ], good[BUFSZ];
	uint32_t ssrc = randombytes_random(), glen, len;
	unsigned long before[DP_V_COUNT];
	struct dp_srtp_ctx *tx, *rx;
	struct dp_srtp_params p;
	unsigned int i;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(salt, sizeof(salt));
	put32(mki, key_id(0));
	put32(mki + 4, key_id(0));
	p = params(DP_SRTP_PROTO_RTP, DP_SRTP_DIR_PROTECT, key, salt, mki, 8, ssrc, 1);
	tx = ctx_or_die(&p);
	p.dir = DP_SRTP_DIR_UNPROTECT;
	rx = ctx_or_die(&p);
	memcpy(before, verdicts, sizeof(before));

	glen = voice(good, ssrc, 7, 0);
	run(tx, good, &glen);
	for (i = 0; i < 50; i++) {	/* bit flips in header, payload and tag */
		memcpy(b, good, glen);
		b[12 + i % (glen - 24)] ^= (uint8_t)(1u << (i % 8));
		len = glen;
		run(rx, b, &len);
	}
	memcpy(b, good, glen);	/* the genuine one */
	len = glen;
	run(rx, b, &len);
	for (i = 0; i < 20; i++) {	/* replays of it */
		memcpy(b, good, glen);
		len = glen;
		run(rx, b, &len);
	}
	for (i = 0; i < 20; i++) {	/* truncations */
		memcpy(b, good, glen);
		len = i;
		run(rx, b, &len);
	}
	for (i = 0; i < 20; i++) {	/* forged MKIs (GUK-IDs) */
		memcpy(b, good, glen);
		b[glen - 5 - (i % 4)] ^= 0x5a;
		len = glen;
		run(rx, b, &len);
	}
	check("hostile: bit-flipped packets dropped as drop_auth", 50,
	      verdicts[DP_V_DROP_AUTH] - before[DP_V_DROP_AUTH]);
	check("hostile: replayed packets dropped as drop_replay", 20,
	      verdicts[DP_V_DROP_REPLAY] - before[DP_V_DROP_REPLAY]);
	check("hostile: truncated packets dropped as drop_short", 20,
	      verdicts[DP_V_DROP_SHORT] - before[DP_V_DROP_SHORT]);
	check("hostile: forged-MKI packets dropped as drop_noctx", 20,
	      verdicts[DP_V_DROP_NOCTX] - before[DP_V_DROP_NOCTX]);
	check("hostile: bad packets forwarded", 0, verdicts[DP_V_FWD] - before[DP_V_FWD] - 2);
	dp_srtp_ctx_free(tx);
	dp_srtp_ctx_free(rx);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: mcpx-demo [--backend libsrtp|native] [--frames N] [--json]\n"
		   "Runs an MCPTT group call, floor control, a private call and hostile\n"
		   "traffic through the SRTP engine and reports every check.\n"
		   "Exit status: 0 every check held, 1 a check failed, 2 bad usage.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"backend", required_argument, NULL, 'b'}, {"frames", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},	   {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	unsigned int frames = 3000, i, failed = 0;
	bool json = false;
	int o;

	while ((o = getopt_long(argc, argv, "b:n:jh", opts, NULL)) != -1) {
		switch (o) {
		case 'b':
			o = dp_srtp_backend_from_name(optarg);
			if (o < 0 || !dp_srtp_backend_available((unsigned int)o)) {
				fprintf(stderr, "mcpx-demo: backend '%s' is not available\n", optarg);
				return 2;
			}
			backend = (unsigned int)o;
			break;
		case 'n':
			frames = (unsigned int)strtoul(optarg, NULL, 10);
			if (frames < 8 || frames > 60000) {
				fprintf(stderr, "mcpx-demo: --frames must be 8..60000\n");
				return 2;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (dp_srtp_global_init() < 0) {
		fprintf(stderr, "mcpx-demo: the SRTP engine did not start\n");
		return 1;
	}
	group_call(frames);
	floor_control();
	private_call(frames / 10);
	hostile();

	for (i = 0; i < n_checks; i++)
		failed += checks[i].want != checks[i].got;
	if (json) {
		for (i = 0; i < n_checks; i++)
			printf("{\"check\":\"%s\",\"want\":%lu,\"got\":%lu,\"ok\":%s}\n",
			       checks[i].what, checks[i].want, checks[i].got,
			       checks[i].want == checks[i].got ? "true" : "false");
		printf("{\"backend\":\"%s\",\"checks\":%u,\"failed\":%u", dp_srtp_backend_name(backend),
		       n_checks, failed);
		for (i = 0; i < DP_V_COUNT; i++)
			printf(",\"%s\":%lu", dp_verdict_name(i), verdicts[i]);
		printf("}\n");
	} else {
		printf("mcpx demo — an MCPTT call through the SRTP engine (%s backend)\n",
		       dp_srtp_backend_name(backend));
		printf("AEAD_AES_128_GCM; group media RCCm3 R=1, MKI GMK-ID||GUK-ID; floor control\n"
		       "SRTCP under a CSK; private call under a PCK. Keys: random, this run only.\n\n");
		printf("  %-74s %8s %8s\n", "check", "want", "got");
		for (i = 0; i < n_checks; i++)
			printf("%s %-74s %8lu %8lu\n", checks[i].want == checks[i].got ? "ok" : "!!",
			       checks[i].what, checks[i].want, checks[i].got);
		printf("\nengine verdicts:");
		for (i = 0; i < DP_V_COUNT; i++)
			if (verdicts[i] != 0)
				printf(" %s=%lu", dp_verdict_name(i), verdicts[i]);
		printf("\n%s: %u of %u checks held\n", failed ? "FAILED" : "PASSED",
		       n_checks - failed, n_checks);
	}
	dp_srtp_global_fini();
	return failed ? 1 : 0;
}
