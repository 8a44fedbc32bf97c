/* SPDX-License-Identifier: proprietary */
/*
 * bench_srtp: SRTP/SRTCP engine throughput on one core, libsrtp against the
 * native backend, side by side: every profile at 33, 60, 160 and 1200-octet
 * payloads, bursts of 1 and 32, protect and unprotect; and the raw
 * intel-ipsec-mb ceiling for the same payloads (the cipher calls alone: GCM
 * with a 12-octet AAD, and AES-CTR + HMAC-SHA1 bursts of 32).
 *
 *   bench_srtp [--quick] [--json] [--out FILE] [--plot FILE.png]
 *
 * Unprotect is fed packets protected beforehand, each (SSRC, index) once:
 * a fresh receiver context takes over when the pool runs out, off the clock.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <intel-ipsec-mb.h>
#include <sodium.h>

#include "backend_native.h"
#include "dp_srtp.h"

#define SSRC 0x5501a0b2u
#define SLOT 1536		/* octets per packet buffer */
#define POOL 512		/* pre-protected packets per receiver (kept in L2) */
#define N_PAY 4

static const unsigned int payloads[N_PAY] = {33, 60, 160, 1200};
static const unsigned int bursts[2] = {1, 32};
static double min_secs = 0.08;
static unsigned int reps = 3;	/* the best of: the machine may be busy */

struct result {
	unsigned int be, profile, payload, burst, op;	/* op: 0 protect, 1 unprotect */
	double ns;
};

#define N_RES (DP_SRTP_BACKEND_COUNT * DP_SRTP_PROFILE_COUNT * N_PAY * 2 * 2)
static struct result res[N_RES];
static unsigned int n_res;

struct ceil_res {
	unsigned int profile, payload;
	double ns;
};
static struct ceil_res ceil_tab[3 * N_PAY];
static unsigned int n_ceil;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_srtp: %s\n", what);
	exit(1);
}

static struct dp_srtp_params
params(unsigned int profile, unsigned int dir)
{
	struct dp_srtp_params p;
	unsigned int i;

	memset(&p, 0, sizeof(p));
	p.profile = profile;
	p.proto = DP_SRTP_PROTO_RTP;
	p.dir = dir;
	p.ssrc = SSRC;
	for (i = 0; i < sizeof(p.master_key); i++)
		p.master_key[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < sizeof(p.master_salt); i++)
		p.master_salt[i] = (uint8_t)(i * 13 + 5);
	return p;
}

static struct dp_srtp_ctx *
ctx(unsigned int be, const struct dp_srtp_params *p)
{
	struct dp_srtp_ctx *c;

	if (dp_srtp_ctx_new(&c, be, p) != 0)
		die("cannot make a context");
	return c;
}

static uint32_t
rtp(uint8_t *b, uint16_t seq, unsigned int plen)
{
	b[0] = 0x80;
	b[1] = 96;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	memset(b + 4, 0x11, 4);
	b[8] = SSRC >> 24;
	b[9] = (uint8_t)(SSRC >> 16);
	b[10] = (uint8_t)(SSRC >> 8);
	b[11] = (uint8_t)SSRC;
	memset(b + 12, 0xab, plen);
	return 12 + plen;
}

static double
bench_protect(unsigned int be, unsigned int profile, unsigned int plen, unsigned int burst)
{
	struct dp_srtp_params p = params(profile, DP_SRTP_DIR_PROTECT);
	struct dp_srtp_ctx *c = ctx(be, &p);
	static uint8_t buf[32][SLOT];
	struct dp_srtp_pkt pk[32];
	unsigned long n = 0;
	uint16_t seq = 1;
	unsigned int i;
	double t0, t;

	for (i = 0; i < burst; i++)
		rtp(buf[i], 0, plen);
	t0 = now();
	do {
		unsigned int rep;

		for (rep = 0; rep < 64; rep++) {
			/* Re-protecting the last output is the same work: only SEQ must move. */
			for (i = 0; i < burst; i++, seq++) {
				buf[i][2] = (uint8_t)(seq >> 8);
				buf[i][3] = (uint8_t)seq;
				pk[i] = (struct dp_srtp_pkt){.ctx = c, .data = buf[i],
							     .len = 12 + plen, .room = SLOT};
			}
			dp_srtp_burst(pk, burst);
			if (pk[0].verdict != DP_V_FWD)
				die("protect failed");
			n += burst;
		}
		t = now() - t0;
	} while (t < min_secs);
	dp_srtp_ctx_free(c);
	return t * 1e9 / (double)n;
}

static double
bench_unprotect(unsigned int be, unsigned int profile, unsigned int plen, unsigned int burst)
{
	struct dp_srtp_params p = params(profile, DP_SRTP_DIR_PROTECT);
	struct dp_srtp_ctx *tx = ctx(be, &p), *rx;
	static uint8_t pool[POOL * SLOT], buf[32][SLOT];
	static uint32_t plens[POOL];
	size_t stride = (12 + plen + DP_SRTP_MAX_OVERHEAD + 63) & ~(size_t)63;
	struct dp_srtp_pkt pk[32];
	unsigned long n = 0;
	unsigned int i, k;
	double t = 0, t0;

	for (i = 0; i < POOL; i++) {
		plens[i] = rtp(pool + i * stride, (uint16_t)(i + 1), plen);
		if (dp_srtp_process(tx, pool + i * stride, &plens[i], (uint32_t)stride) != DP_V_FWD)
			die("protect failed");
	}
	p.dir = DP_SRTP_DIR_UNPROTECT;
	while (t < min_secs) {
		rx = ctx(be, &p);	/* a fresh receiver: no index is seen twice */
		t0 = now();
		for (k = 0; k + burst <= POOL; k += burst) {
			for (i = 0; i < burst; i++) {
				memcpy(buf[i], pool + (k + i) * stride, plens[k + i]);
				pk[i] = (struct dp_srtp_pkt){.ctx = rx, .data = buf[i],
							     .len = plens[k + i], .room = SLOT};
			}
			dp_srtp_burst(pk, burst);
			if (pk[0].verdict != DP_V_FWD)
				die("unprotect failed");
		}
		t += now() - t0;
		n += k;
		dp_srtp_ctx_free(rx);
	}
	dp_srtp_ctx_free(tx);
	return t * 1e9 / (double)n;
}

/* The library alone: GCM over the payload with the 12-octet header as AAD. */
static double
ceil_gcm(IMB_MGR *m, unsigned int key_len, unsigned int plen)
{
	static struct gcm_key_data key __attribute__((aligned(64)));
	struct gcm_context_data gctx;
	static uint8_t buf[SLOT];
	uint8_t k[32], iv[12], tag[16];
	unsigned long n = 0;
	double t0 = now(), t;

	memset(k, 7, sizeof(k));
	memset(iv, 3, sizeof(iv));
	if (key_len == 16)
		IMB_AES128_GCM_PRE(m, k, &key);
	else
		IMB_AES256_GCM_PRE(m, k, &key);
	do {
		unsigned int i;

		for (i = 0; i < 256; i++, n++) {
			iv[11] = (uint8_t)i;
			if (key_len == 16)
				IMB_AES128_GCM_ENC(m, &key, &gctx, buf + 12, buf + 12, plen, iv,
						   buf, 12, tag, 16);
			else
				IMB_AES256_GCM_ENC(m, &key, &gctx, buf + 12, buf + 12, plen, iv,
						   buf, 12, tag, 16);
		}
		t = now() - t0;
	} while (t < min_secs);
	return t * 1e9 / (double)n;
}

/* The library alone: a CTR burst of 32, then an HMAC-SHA1 burst of 32 (header + payload + ROC). */
static double
ceil_cm(IMB_MGR *m, unsigned int plen)
{
	static uint8_t buf[32][SLOT], enc[16 * 11] __attribute__((aligned(16)));
	static uint8_t dec[16 * 11] __attribute__((aligned(16)));
	static uint8_t ipad[32] __attribute__((aligned(16))), opad[32] __attribute__((aligned(16)));
	static IMB_JOB cj[32], hj[32];
	uint8_t key[16], iv[32][16], tag[32][12];
	unsigned long n = 0;
	unsigned int i;
	double t0, t;

	memset(key, 9, sizeof(key));
	IMB_AES_KEYEXP_128(m, key, enc, dec);
	memset(ipad, 1, sizeof(ipad));
	memset(opad, 2, sizeof(opad));
	for (i = 0; i < 32; i++) {
		memset(iv[i], (int)i, 16);
		memset(&cj[i], 0, sizeof(cj[i]));
		cj[i].enc_keys = enc;
		cj[i].dec_keys = enc;
		cj[i].key_len_in_bytes = 16;
		cj[i].src = buf[i];
		cj[i].dst = buf[i] + 12;
		cj[i].cipher_start_src_offset_in_bytes = 12;
		cj[i].msg_len_to_cipher_in_bytes = plen;
		cj[i].iv = iv[i];
		cj[i].iv_len_in_bytes = 16;
		cj[i].cipher_mode = IMB_CIPHER_CNTR;
		cj[i].cipher_direction = IMB_DIR_ENCRYPT;
		cj[i].hash_alg = IMB_AUTH_NULL;
		cj[i].chain_order = IMB_ORDER_CIPHER_HASH;
		memset(&hj[i], 0, sizeof(hj[i]));
		hj[i].src = buf[i];
		hj[i].msg_len_to_hash_in_bytes = 12 + plen + 4;
		hj[i].auth_tag_output = tag[i];
		hj[i].auth_tag_output_len_in_bytes = 12;
		hj[i].u.HMAC._hashed_auth_key_xor_ipad = ipad;
		hj[i].u.HMAC._hashed_auth_key_xor_opad = opad;
		hj[i].cipher_mode = IMB_CIPHER_NULL;
		hj[i].cipher_direction = IMB_DIR_ENCRYPT;
		hj[i].hash_alg = IMB_AUTH_HMAC_SHA_1;
		hj[i].chain_order = IMB_ORDER_HASH_CIPHER;
	}
	t0 = now();
	do {
		unsigned int rep;

		for (rep = 0; rep < 16; rep++, n += 32) {
			IMB_SUBMIT_CIPHER_BURST_NOCHECK(m, cj, 32, IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT,
							IMB_KEY_128_BYTES);
			IMB_SUBMIT_HASH_BURST_NOCHECK(m, hj, 32, IMB_AUTH_HMAC_SHA_1);
		}
		t = now() - t0;
	} while (t < min_secs);
	return t * 1e9 / (double)n;
}

static const struct result *
find(unsigned int be, unsigned int profile, unsigned int payload, unsigned int burst,
     unsigned int op)
{
	unsigned int i;

	for (i = 0; i < n_res; i++)
		if (res[i].be == be && res[i].profile == profile && res[i].payload == payload &&
		    res[i].burst == burst && res[i].op == op)
			return &res[i];
	return NULL;
}

static double
ceiling(unsigned int profile, unsigned int payload)
{
	unsigned int i, kind = profile == DP_SRTP_AEAD_AES_128_GCM ? 1
			       : profile == DP_SRTP_AEAD_AES_256_GCM ? 2 : 0;

	for (i = 0; i < n_ceil; i++)
		if (ceil_tab[i].profile == kind && ceil_tab[i].payload == payload)
			return ceil_tab[i].ns;
	return 0;
}

static const char *const ceil_names[3] = {"AES-CTR+HMAC-SHA1 x32", "AES-128-GCM",
					  "AES-256-GCM"};

static void
cpu_info(char *model, size_t mlen, char *flags, size_t flen)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];

	snprintf(model, mlen, "unknown");
	flags[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *v = strchr(line, ':');

		if (v == NULL)
			continue;
		v += 2;
		v[strcspn(v, "\n")] = '\0';
		if (strncmp(line, "model name", 10) == 0 && strcmp(model, "unknown") == 0)
			snprintf(model, mlen, "%s", v);
		if (strncmp(line, "flags", 5) == 0 && flags[0] == '\0') {
			/* The ones the crypto paths care about. */
			static const char *const want[] = {"aes", "pclmulqdq", "sha_ni", "avx",
							   "avx2", "avx512f", "avx512bw",
							   "avx512vl", "vaes", "vpclmulqdq",
							   "gfni"};
			unsigned int i;

			for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
				char pat[32];

				snprintf(pat, sizeof(pat), " %s ", want[i]);
				if (strstr(v - 1, pat) != NULL || strstr(v, want[i]) == v) {
					strncat(flags, want[i], flen - strlen(flags) - 2);
					strncat(flags, " ", flen - strlen(flags) - 1);
				}
			}
		}
	}
	fclose(f);
	if (flags[0] != '\0')
		flags[strlen(flags) - 1] = '\0';
}

static void
emit_json(FILE *f, const char *model, const char *flags)
{
	unsigned int i, p, k;

	fprintf(f, "{\"bench\":\"srtp\",\"cpu\":\"%s\",\"flags\":\"%s\",\"arch\":\"%s\","
		"\"ipsec_mb\":\"%s\",\"libsrtp\":\"%s\"}\n", model, flags, dp_srtp_native_arch(),
		imb_get_version_str(), "2.5");
	for (i = 0; i < n_res; i++) {
		const struct result *r = &res[i];
		const struct result *ref = find(DP_SRTP_BACKEND_LIBSRTP, r->profile, r->payload,
						r->burst, r->op);

		fprintf(f, "{\"bench\":\"srtp\",\"backend\":\"%s\",\"profile\":\"%s\","
			"\"payload\":%u,\"burst\":%u,\"op\":\"%s\",\"mpps\":%.2f,"
			"\"ns_per_pkt\":%.1f,\"ratio_vs_libsrtp\":%.2f}\n",
			dp_srtp_backend_name(r->be), dp_srtp_profile_info(r->profile)->name,
			r->payload, r->burst, r->op ? "unprotect" : "protect", 1e3 / r->ns, r->ns,
			ref != NULL ? ref->ns / r->ns : 0.0);
	}
	for (k = 0; k < n_ceil; k++) {
		p = ceil_tab[k].profile;
		fprintf(f, "{\"bench\":\"srtp\",\"backend\":\"ipsec-mb-raw\",\"profile\":\"%s\","
			"\"payload\":%u,\"burst\":%u,\"op\":\"cipher\",\"mpps\":%.2f,"
			"\"ns_per_pkt\":%.1f}\n", ceil_names[p], ceil_tab[k].payload, p ? 1 : 32,
			1e3 / ceil_tab[k].ns, ceil_tab[k].ns);
	}
}

/* The best of |reps| runs of one row. */
static void
measure(unsigned int be, unsigned int prof, unsigned int payload, unsigned int burst,
	unsigned int op)
{
	struct result *r = &res[n_res++];
	unsigned int rep;

	*r = (struct result){be, prof, payload, burst, op, 1e30};
	for (rep = 0; rep < reps; rep++) {
		double ns = op ? bench_unprotect(be, prof, payload, burst)
			       : bench_protect(be, prof, payload, burst);

		r->ns = ns < r->ns ? ns : r->ns;
	}
}

static void
print_table(const char *model, const char *flags)
{
	unsigned int prof, pl, b, op;

	printf("bench_srtp: one core, %s\n  cpu flags: %s\n  intel-ipsec-mb %s, path %s\n\n",
	       model, flags, imb_get_version_str(), dp_srtp_native_arch());
	printf("%-24s %5s %5s %-9s %10s %10s %10s %8s %10s %8s\n", "profile", "bytes", "burst",
	       "op", "libsrtp ns", "native ns", "native Mpps", "x libsrtp", "raw ns", "of raw");
	for (prof = 0; prof < DP_SRTP_PROFILE_COUNT; prof++)
		for (pl = 0; pl < N_PAY; pl++)
			for (b = 0; b < 2; b++)
				for (op = 0; op < 2; op++) {
					const struct result *l = find(DP_SRTP_BACKEND_LIBSRTP, prof,
								      payloads[pl], bursts[b], op);
					const struct result *n = find(DP_SRTP_BACKEND_NATIVE, prof,
								      payloads[pl], bursts[b], op);
					double c = ceiling(prof, payloads[pl]);

					if (l == NULL || n == NULL)
						continue;
					printf("%-24s %5u %5u %-9s %10.1f %10.1f %10.2f %7.1fx "
					       "%10.1f %7.0f%%\n",
					       dp_srtp_profile_info(prof)->name, payloads[pl],
					       bursts[b], op ? "unprotect" : "protect", l->ns,
					       n->ns, 1e3 / n->ns, l->ns / n->ns, c,
					       100.0 * c / n->ns);
				}
	printf("\nraw intel-ipsec-mb (no SRTP work):\n");
	for (b = 0; b < n_ceil; b++)
		printf("  %-22s %5u bytes %8.1f ns %8.2f Mpps\n", ceil_names[ceil_tab[b].profile],
		       ceil_tab[b].payload, ceil_tab[b].ns, 1e3 / ceil_tab[b].ns);
}

/* A PNG: Mpps against payload, bursts of 32, protect and unprotect, both backends. */
static int
plot(const char *png)
{
	FILE *g = popen("gnuplot", "w");
	unsigned int op, be, prof, pl;

	if (g == NULL)
		return -1;
	fprintf(g, "set terminal pngcairo size 1400,600 noenhanced\n"
		"set output '%s'\nset multiplot layout 1,2 title 'SRTP engine, one core, "
		"bursts of 32 (%s path)'\nset logscale x 2\nset logscale y 10\n"
		"set xlabel 'payload octets'\nset ylabel 'Mpps'\nset grid\nset key left bottom "
		"font ',9'\nset xtics (33,60,160,1200)\nset xrange [28:1500]\n", png,
		dp_srtp_native_arch());
	for (op = 0; op < 2; op++) {
		unsigned int first = 1;

		fprintf(g, "set title '%s'\nplot ", op ? "unprotect" : "protect");
		for (be = 0; be < DP_SRTP_BACKEND_COUNT; be++)
			for (prof = 0; prof < DP_SRTP_PROFILE_COUNT; prof++) {
				fprintf(g, "%s'-' with linespoints lw 2 dt %u title '%s %s'",
					first ? "" : ", ", be ? 1 : 2, dp_srtp_backend_name(be),
					dp_srtp_profile_info(prof)->name);
				first = 0;
			}
		if (op == 0)
			for (prof = 0; prof < 3; prof++)
				fprintf(g, ", '-' with lines lw 1 dt 3 title 'raw %s'",
					ceil_names[prof]);
		fprintf(g, "\n");
		for (be = 0; be < DP_SRTP_BACKEND_COUNT; be++)
			for (prof = 0; prof < DP_SRTP_PROFILE_COUNT; prof++) {
				for (pl = 0; pl < N_PAY; pl++) {
					const struct result *r;

					r = find(be, prof, payloads[pl], 32, op);
					if (r != NULL)
						fprintf(g, "%u %f\n", payloads[pl], 1e3 / r->ns);
				}
				fprintf(g, "e\n");
			}
		if (op == 0)
			for (prof = 0; prof < 3; prof++) {
				for (pl = 0; pl < n_ceil; pl++)
					if (ceil_tab[pl].profile == prof)
						fprintf(g, "%u %f\n", ceil_tab[pl].payload,
							1e3 / ceil_tab[pl].ns);
				fprintf(g, "e\n");
			}
	}
	fprintf(g, "unset multiplot\n");
	return pclose(g) == 0 ? 0 : -1;
}

static void
pin_one_core(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

int
main(int argc, char **argv)
{
	const char *out = NULL, *png = NULL;
	char model[256], flags[512];
	bool json = false;
	unsigned int be, prof, pl, b, op;
	IMB_MGR *m;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			min_secs = 0.02;
			reps = 1;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
			out = argv[++i];
		} else if (strcmp(argv[i], "--plot") == 0 && i + 1 < argc) {
			png = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--quick] [--json] [--out FILE] [--plot FILE]\n",
				argv[0]);
			return 2;
		}
	}
	if (dp_srtp_global_init() != 0)
		die("engine init failed");
	if (!dp_srtp_backend_available(DP_SRTP_BACKEND_NATIVE))
		die("the native backend is not available on this CPU");
	pin_one_core();
	cpu_info(model, sizeof(model), flags, sizeof(flags));

	m = alloc_mb_mgr(0);
	if (m == NULL)
		die("no intel-ipsec-mb manager");
	init_mb_mgr_auto(m, NULL);	/* the same path the native backend chose */
	/* The ceiling right before its rows, so that a busy machine skews both alike. */
	for (prof = 0; prof < DP_SRTP_PROFILE_COUNT; prof++)
		for (pl = 0; pl < N_PAY; pl++) {
			unsigned int kind = prof == DP_SRTP_AEAD_AES_128_GCM ? 1
					    : prof == DP_SRTP_AEAD_AES_256_GCM ? 2 : 0;
			struct ceil_res *c = &ceil_tab[n_ceil];
			unsigned int rep;

			if (prof != DP_SRTP_AES_CM_128_HMAC_SHA1_32) {
				*c = (struct ceil_res){kind, payloads[pl], 1e30};
				for (rep = 0; rep < reps; rep++) {
					unsigned int kl = kind == 1 ? 16 : 32;
					double ns = kind == 0 ? ceil_cm(m, payloads[pl])
							      : ceil_gcm(m, kl, payloads[pl]);

					c->ns = ns < c->ns ? ns : c->ns;
				}
				n_ceil++;
			}
			for (b = 0; b < 2; b++)
				for (op = 0; op < 2; op++)
					for (be = 0; be < DP_SRTP_BACKEND_COUNT; be++)
						measure(be, prof, payloads[pl], bursts[b], op);
		}
	free_mb_mgr(m);

	if (json)
		emit_json(stdout, model, flags);
	else
		print_table(model, flags);
	if (out != NULL) {
		FILE *f = fopen(out, "w");

		if (f == NULL)
			die(strerror(errno));
		emit_json(f, model, flags);
		fclose(f);
	}
	if (png != NULL && plot(png) != 0)
		fprintf(stderr, "bench_srtp: gnuplot failed, no plot\n");
	dp_srtp_global_fini();
	return 0;
}
