/* SPDX-License-Identifier: proprietary */
/*
 * mcpx-demo: an MCPTT call keyed for real and carried through the SRTP engine,
 * as the appliance and the clients see it. Two KMSs (the MCPTT domain and the
 * appliance's Security Gateway domain) provision every party; the GMS sends the
 * group's GMK, alice sends a PCK to dave (a pseudo-client of the gateway) and
 * her CSK to the server's MDSI, all as signed MIKEY-SAKKE I_MESSAGEs; each end
 * derives its SRTP keys from what it opened. Then group media with RCCm3 and
 * MKI = GMK-ID || GUK-ID, floor control as SRTCP under the CSK, the private
 * call both ways, a late joiner after the ROC wrap, and hostile packets, with
 * a report of every check. Exit status 0 only if all held.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dp_srtp.h"
#include "fc_codec.h"
#include "keying.h"

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
static struct demo_keys keys;

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

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static struct dp_srtp_params
params(unsigned int proto, unsigned int dir, const struct mikey_srtp_master *m, uint32_t ssrc,
       uint16_t rcc)
{
	struct dp_srtp_params p;

	memset(&p, 0, sizeof(p));
	p.profile = DP_SRTP_AEAD_AES_128_GCM;
	p.proto = proto;
	p.dir = dir;
	memcpy(p.master_key, m->key, 16);
	memcpy(p.master_salt, m->salt, m->salt_len);
	memcpy(p.mki, m->mki, m->mki_len);
	p.mki_len = m->mki_len;
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
	const uint8_t *mki = keys.group[DP_ALICE].mki;
	uint8_t b[BUFSZ], sent[BUFSZ];
	uint32_t ssrc = randombytes_random(), len;
	unsigned long bob_ok = 0, carol_ok = 0, leaked = 0, trailer_ok = 0;
	struct dp_srtp_ctx *tx, *bob, *carol = NULL;
	unsigned int i, late = frames * 3 / 4;
	struct dp_srtp_params p, pc;

	/* alice sends under her own key; bob and carol derived it from her GUK-ID. */
	p = params(DP_SRTP_PROTO_RTP, DP_SRTP_DIR_PROTECT, &keys.group[DP_ALICE], ssrc,
		   keys.group_roc_rate);
	tx = ctx_or_die(&p);
	p = params(DP_SRTP_PROTO_RTP, DP_SRTP_DIR_UNPROTECT, &keys.group[DP_BOB], ssrc,
		   keys.group_roc_rate);
	bob = ctx_or_die(&p);
	pc = params(DP_SRTP_PROTO_RTP, DP_SRTP_DIR_UNPROTECT, &keys.group[DP_CAROL], ssrc,
		    keys.group_roc_rate);
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
			carol = ctx_or_die(&pc);	/* knows nothing of the wrap: ROC 0 */
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

/* Floor control: TS 24.380 messages as SRTCP under alice's CSK (MKI = CSK-ID). */
static void
floor_control(void)
{
	static const enum fc_type msgs[] = {FC_T_REQUEST, FC_T_GRANTED, FC_T_TAKEN,
					    FC_T_RELEASE, FC_T_IDLE};
	const uint8_t *mki = keys.csk[0].mki;
	uint8_t b[BUFSZ], sent[BUFSZ];
	uint32_t ssrc = randombytes_random(), len;
	unsigned long ok = 0, hidden = 0;
	struct dp_srtp_ctx *tx, *rx;
	struct dp_srtp_params p;
	unsigned int i;

	/* alice's side and the appliance's, each from its own copy of the CSK */
	p = params(DP_SRTP_PROTO_RTCP, DP_SRTP_DIR_PROTECT, &keys.csk[0], ssrc, 0);
	tx = ctx_or_die(&p);
	p = params(DP_SRTP_PROTO_RTCP, DP_SRTP_DIR_UNPROTECT, &keys.csk[1], ssrc, 0);
	rx = ctx_or_die(&p);
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		struct fc_msg m, back;
		size_t plen;

		fc_msg_init(&m, msgs[i], false, ssrc);
		m.present = FC_F_SEQ;
		m.seq = (uint16_t)i;
		if (fc_encode(&m, sent, sizeof(sent) - DP_SRTP_MAX_OVERHEAD, &plen) < 0)
			continue;
		memcpy(b, sent, plen);
		len = (uint32_t)plen;
		if (run(tx, b, &len) != DP_V_FWD)
			continue;
		if (!contains(b, len, "MCPT") && memcmp(b + len - 4, mki, 4) == 0)
			hidden++;
		if (run(rx, b, &len) == DP_V_FWD && len == plen && !memcmp(b, sent, plen) &&
		    fc_decode(b, len, 0, &back) == 0 && back.type == msgs[i])
			ok++;
	}
	check("floor: Request, Granted, Taken, Release, Idle as SRTCP, \"MCPT\" hidden", 5,
	      hidden);
	check("floor: each decrypted and decoded as the TS 24.380 message sent", 5, ok);
	dp_srtp_ctx_free(tx);
	dp_srtp_ctx_free(rx);
}

/* Private call: one PCK, MKI = PCK-ID, both directions (CS-ID 0 and 1 keys). */
static void
private_call(unsigned int frames)
{
	/* [d][0] the sender's copy, [d][1] the receiver's: d 0 alice->dave (CS-ID 0), 1 back */
	const struct mikey_srtp_master *m[2][2] = {{&keys.pck_init[0], &keys.pck_init[1]},
						   {&keys.pck_recv[1], &keys.pck_recv[0]}};
	uint8_t b[BUFSZ], sent[BUFSZ];
	struct dp_srtp_ctx *tx[2], *rx[2];
	unsigned long ok[2] = {0, 0};
	uint32_t ssrc[2], len;
	unsigned int d, i;

	for (d = 0; d < 2; d++) {
		struct dp_srtp_params p;

		ssrc[d] = randombytes_random();
		p = params(DP_SRTP_PROTO_RTP, DP_SRTP_DIR_PROTECT, m[d][0], ssrc[d], 0);
		tx[d] = ctx_or_die(&p);
		p = params(DP_SRTP_PROTO_RTP, DP_SRTP_DIR_UNPROTECT, m[d][1], ssrc[d], 0);
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
	uint8_t b[BUFSZ], good[BUFSZ];
	uint32_t ssrc = randombytes_random(), glen, len;
	unsigned long before[DP_V_COUNT];
	struct dp_srtp_ctx *tx, *rx;
	struct dp_srtp_params p;
	unsigned int i;

	p = params(DP_SRTP_PROTO_RTP, DP_SRTP_DIR_PROTECT, &keys.group[DP_ALICE], ssrc, 1);
	tx = ctx_or_die(&p);
	p = params(DP_SRTP_PROTO_RTP, DP_SRTP_DIR_UNPROTECT, &keys.group[DP_APPLIANCE], ssrc, 1);
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

static bool
same_master(const struct mikey_srtp_master *a, const struct mikey_srtp_master *b)
{
	return a->salt_len == b->salt_len && a->mki_len == b->mki_len &&
	       sodium_memcmp(a->key, b->key, sizeof(a->key)) == 0 &&
	       sodium_memcmp(a->salt, b->salt, a->salt_len) == 0 &&
	       memcmp(a->mki, b->mki, a->mki_len) == 0;
}

/* What the key management delivered, before any packet flows. */
static void
key_checks(void)
{
	unsigned long agree = 0;
	unsigned int m;

	check("keys: I_MESSAGEs signed (ECCSI), sent, verified and opened (SAKKE)", 6,
	      keys.messages_opened);
	for (m = DP_BOB; m < DP_PARTIES; m++)
		agree += same_master(&keys.group[m], &keys.group[DP_ALICE]);
	check("keys: bob, carol and the appliance derived alice's group key from her GUK-ID", 3,
	      agree);
	check("keys: only the appliance's GMK marked shared with a Security Gateway", 1,
	      keys.appliance_marked_segy && !keys.others_marked_segy);
	check("keys: PCK keys agree at alice and at the appliance (dave's RSK), both ways", 2,
	      (unsigned long)same_master(&keys.pck_init[0], &keys.pck_init[1]) +
		      same_master(&keys.pck_recv[0], &keys.pck_recv[1]));
	check("keys: CSK agrees at alice and at the appliance (the MDSI's RSK)", 1,
	      same_master(&keys.csk[0], &keys.csk[1]));
	check("keys: I_MESSAGEs with one octet changed refused", 2, keys.tampered_refused);
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
	if (demo_keying(&keys) < 0)
		return 1;
	key_checks();
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
		printf("Two KMSs (MCPTT and Security Gateway domains), a GMS, alice, bob, carol, and\n"
		       "the appliance holding dave's and the server's keys; every key by MIKEY-SAKKE\n"
		       "(%.1f s). AEAD_AES_128_GCM; group media RCCm3 R=%u, MKI GMK-ID||GUK-ID;\n"
		       "floor control SRTCP under alice's CSK; private call under her PCK.\n\n",
		       keys.seconds, keys.group_roc_rate);
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
	demo_keys_wipe(&keys);
	dp_srtp_global_fini();
	return failed ? 1 : 0;
}
