/* SPDX-License-Identifier: proprietary */
/*
 * Key operations per second on one core, mcpx (keys/eccsi, keys/sakke) beside
 * wolfSSL's wolfcrypt ECCSI/SAKKE in the same run, with the ratio
 * mcpx/wolfSSL per operation. Both sides work under keys issued by our KMS
 * and use their precomputation: our sender/receiver objects, wolfSSL's
 * point-I and RSK tables.
 *
 *   bench_keys [--json] [--seconds S]
 *
 * Operations: eccsi_sign, eccsi_verify (including the identity hash HS, as a
 * receiver must compute it from the PVT in each signature),
 * sakke_encapsulate, sakke_decapsulate, kms_issue (ECCSI SSK+PVT and SAKKE
 * RSK for one identity).
 *
 * Each operation runs for S seconds per side (default 1), ours and wolfSSL's
 * alternating in ROUNDS slices, and each side's figure is its best slice: on
 * a machine shared with other work both sides see the same load, and the
 * least disturbed slice is the most repeatable figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/eccsi.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sakke.h>

#include "eccsi.h"
#include "sakke.h"

static const uint8_t id[] = "2011-02\0tel:+447700900123";	/* with both NULs */
#define ID_LEN (sizeof(id))
static const uint8_t msg[] = "MIKEY-SAKKE I_MESSAGE: the signed part, about a hundred octets "
			     "long, as in a group key transport.";

static double bench_seconds = 1.0;

#define ROUNDS 10	/* slices per side and operation */

struct fixture {
	/* ours */
	uint8_t ksak[ECCSI_SCALAR_LEN], kpak[ECCSI_POINT_LEN], ssk[ECCSI_SSK_LEN];
	uint8_t pvt[ECCSI_POINT_LEN], sig[ECCSI_SIG_LEN], wsig[ECCSI_SIG_LEN];
	uint8_t z[SAKKE_SCALAR_LEN], zpub[SAKKE_POINT_LEN], rsk[SAKKE_POINT_LEN];
	uint8_t ed[SAKKE_ED_LEN], wed[SAKKE_ED_LEN], ssv[SAKKE_SSV_LEN];
	struct eccsi_signer *signer;
	struct sakke_sender *tx;
	struct sakke_receiver *rx;
	/* wolfSSL */
	WC_RNG rng;
	EccsiKey w_kms, w_signer, w_verifier;
	SakkeKey w_skms, w_tx, w_rx;
	mp_int w_ssk;
	ecc_point *w_pvt, *w_rsk, *w_tmp;
	uint8_t *w_itab, *w_rtab;
};

typedef int (*op_fn)(struct fixture *f);

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Operations per second of |fn| over at least |seconds| (and one call). */
static double
rate(op_fn fn, struct fixture *f, double seconds)
{
	double t0 = now(), t;
	unsigned long n = 0;

	do {
		if (fn(f) != 0) {
			fprintf(stderr, "bench_keys: operation failed\n");
			exit(1);
		}
		n++;
		t = now() - t0;
	} while (t < seconds);
	return (double)n / t;
}

/* |ours| and |wolf| alternating in ROUNDS slices; the best slice of each. */
static void
measure(op_fn ours, op_fn wolf, struct fixture *f, double *o, double *w)
{
	double slice = bench_seconds / ROUNDS, r;
	int i;

	*o = 0;
	*w = 0;
	for (i = 0; i < ROUNDS; i++) {
		r = rate(ours, f, slice);
		if (r > *o)
			*o = r;
		r = rate(wolf, f, slice);
		if (r > *w)
			*w = r;
	}
}

static int
ours_eccsi_sign(struct fixture *f)
{
	return eccsi_sign(f->sig, f->signer, msg, sizeof(msg));
}

static int
ours_eccsi_verify(struct fixture *f)
{
	return eccsi_verify(msg, sizeof(msg), f->sig, sizeof(f->sig), id, ID_LEN, f->kpak);
}

static int
ours_sakke_encap(struct fixture *f)
{
	return sakke_encapsulate(f->ed, f->ssv, f->tx);
}

static int
ours_sakke_decap(struct fixture *f)
{
	uint8_t ssv[SAKKE_SSV_LEN];

	return sakke_decapsulate(ssv, f->ed, sizeof(f->ed), f->rx);
}

static int
ours_kms_issue(struct fixture *f)
{
	uint8_t ssk[ECCSI_SSK_LEN], pvt[ECCSI_POINT_LEN], rsk[SAKKE_POINT_LEN];
	int rc = eccsi_kms_issue(ssk, pvt, f->ksak, f->kpak, id, ID_LEN);

	if (rc == 0)
		rc = sakke_kms_rsk(rsk, f->z, id, ID_LEN);
	sodium_memzero(ssk, sizeof(ssk));
	return rc;
}

static int
wolf_eccsi_sign(struct fixture *f)
{
	word32 len = sizeof(f->wsig);

	return wc_SignEccsiHash(&f->w_signer, &f->rng, WC_HASH_TYPE_SHA256, msg, sizeof(msg),
				f->wsig, &len);
}

static int
wolf_eccsi_verify(struct fixture *f)
{
	uint8_t hs[WC_MAX_DIGEST_SIZE];
	byte hs_len = sizeof(hs);
	int verified = 0, rc;

	rc = wc_DecodeEccsiPvtFromSig(&f->w_verifier, f->wsig, sizeof(f->wsig), f->w_tmp);
	if (rc == 0)
		rc = wc_HashEccsiId(&f->w_verifier, WC_HASH_TYPE_SHA256, id, ID_LEN, f->w_tmp, hs,
				    &hs_len);
	if (rc == 0)
		rc = wc_SetEccsiHash(&f->w_verifier, hs, hs_len);
	if (rc == 0)
		rc = wc_VerifyEccsiHash(&f->w_verifier, WC_HASH_TYPE_SHA256, msg, sizeof(msg),
					f->wsig, sizeof(f->wsig), &verified);
	return rc == 0 && verified ? 0 : -1;
}

static int
wolf_sakke_encap(struct fixture *f)
{
	word16 len = SAKKE_POINT_LEN;

	randombytes_buf(f->wed + SAKKE_POINT_LEN, SAKKE_SSV_LEN);
	return wc_MakeSakkeEncapsulatedSSV(&f->w_tx, WC_HASH_TYPE_SHA256,
					   f->wed + SAKKE_POINT_LEN, SAKKE_SSV_LEN, f->wed, &len);
}

static int
wolf_sakke_decap(struct fixture *f)
{
	uint8_t buf[SAKKE_SSV_LEN];

	memcpy(buf, f->wed + SAKKE_POINT_LEN, SAKKE_SSV_LEN);
	return wc_DeriveSakkeSSV(&f->w_rx, WC_HASH_TYPE_SHA256, buf, SAKKE_SSV_LEN, f->wed,
				 SAKKE_POINT_LEN);
}

static int
wolf_kms_issue(struct fixture *f)
{
	int rc = wc_MakeEccsiPair(&f->w_kms, &f->rng, WC_HASH_TYPE_SHA256, id, ID_LEN, &f->w_ssk,
				  f->w_tmp);

	if (rc == 0)
		rc = wc_MakeSakkeRsk(&f->w_skms, id, ID_LEN, f->w_rsk);
	return rc;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_keys: setup failed: %s\n", what);
	exit(1);
}

static void
setup_ours(struct fixture *f)
{
	if (eccsi_kms_keygen(f->ksak, f->kpak) != 0 ||
	    eccsi_kms_issue(f->ssk, f->pvt, f->ksak, f->kpak, id, ID_LEN) != 0 ||
	    eccsi_signer_new(&f->signer, f->ssk, f->pvt, f->kpak, id, ID_LEN) != 0 ||
	    eccsi_sign(f->sig, f->signer, msg, sizeof(msg)) != 0)
		die("mcpx eccsi");
	if (sakke_kms_keygen(f->z, f->zpub) != 0 || sakke_kms_rsk(f->rsk, f->z, id, ID_LEN) != 0 ||
	    sakke_sender_new(&f->tx, f->zpub, id, ID_LEN) != 0 ||
	    sakke_receiver_new(&f->rx, f->rsk, f->zpub, id, ID_LEN) != 0 ||
	    sakke_encapsulate(f->ed, f->ssv, f->tx) != 0)
		die("mcpx sakke");
}

/* wolfSSL under our KMS's keys, with its tables precomputed. */
static void
setup_wolf(struct fixture *f)
{
	uint8_t buf[SAKKE_SCALAR_LEN + 2 * SAKKE_L], hs[WC_MAX_DIGEST_SIZE];
	byte hs_len = sizeof(hs);
	word32 len;

	if (wc_InitRng(&f->rng) != 0 || wc_InitEccsiKey(&f->w_kms, NULL, INVALID_DEVID) != 0 ||
	    wc_InitEccsiKey(&f->w_signer, NULL, INVALID_DEVID) != 0 ||
	    wc_InitEccsiKey(&f->w_verifier, NULL, INVALID_DEVID) != 0 || mp_init(&f->w_ssk) != 0)
		die("wolfSSL init");
	f->w_pvt = wc_ecc_new_point();
	f->w_rsk = wc_ecc_new_point();
	f->w_tmp = wc_ecc_new_point();
	if (f->w_pvt == NULL || f->w_rsk == NULL || f->w_tmp == NULL)
		die("wolfSSL points");
	memcpy(buf, f->ksak, ECCSI_N);
	memcpy(buf + ECCSI_N, f->kpak + 1, 2 * ECCSI_N);
	if (wc_ImportEccsiKey(&f->w_kms, buf, 3 * ECCSI_N) != 0 ||
	    wc_ImportEccsiPublicKey(&f->w_signer, f->kpak, ECCSI_POINT_LEN, 1) != 0 ||
	    wc_ImportEccsiPublicKey(&f->w_verifier, f->kpak, ECCSI_POINT_LEN, 1) != 0)
		die("wolfSSL ECCSI import");
	memcpy(buf, f->ssk, ECCSI_N);
	memcpy(buf + ECCSI_N, f->pvt + 1, 2 * ECCSI_N);
	if (wc_DecodeEccsiPair(&f->w_signer, buf, 3 * ECCSI_N, &f->w_ssk, f->w_pvt) != 0 ||
	    wc_SetEccsiPair(&f->w_signer, &f->w_ssk, f->w_pvt) != 0 ||
	    wc_HashEccsiId(&f->w_signer, WC_HASH_TYPE_SHA256, id, ID_LEN, f->w_pvt, hs,
			   &hs_len) != 0 ||
	    wc_SetEccsiHash(&f->w_signer, hs, hs_len) != 0 || wolf_eccsi_sign(f) != 0)
		die("wolfSSL ECCSI pair");
	memcpy(buf, f->z, SAKKE_SCALAR_LEN);
	memcpy(buf + SAKKE_SCALAR_LEN, f->zpub + 1, 2 * SAKKE_L);
	if (wc_InitSakkeKey(&f->w_skms, NULL, INVALID_DEVID) != 0 ||
	    wc_InitSakkeKey(&f->w_tx, NULL, INVALID_DEVID) != 0 ||
	    wc_InitSakkeKey(&f->w_rx, NULL, INVALID_DEVID) != 0 ||
	    wc_ImportSakkeKey(&f->w_skms, buf, sizeof(buf)) != 0 ||
	    wc_ImportSakkePublicKey(&f->w_tx, f->zpub, SAKKE_POINT_LEN, 1) != 0 ||
	    wc_ImportSakkePublicKey(&f->w_rx, f->zpub, SAKKE_POINT_LEN, 1) != 0)
		die("wolfSSL SAKKE import");
	sodium_memzero(buf, sizeof(buf));
	/* sender: point I and its table */
	len = 0;
	if (wc_SetSakkeIdentity(&f->w_tx, id, ID_LEN) != 0 ||
	    wc_MakeSakkePointI(&f->w_tx, id, ID_LEN) != 0 ||
	    wc_GenerateSakkePointITable(&f->w_tx, NULL, &len) != LENGTH_ONLY_E)
		die("wolfSSL point I");
	f->w_itab = malloc(len);
	if (f->w_itab == NULL || wc_GenerateSakkePointITable(&f->w_tx, f->w_itab, &len) != 0 ||
	    wc_SetSakkePointITable(&f->w_tx, f->w_itab, len) != 0)
		die("wolfSSL point I table");
	/* receiver: RSK and its table */
	len = 0;
	if (wc_DecodeSakkeRsk(&f->w_rx, f->rsk, SAKKE_POINT_LEN, f->w_rsk) != 0 ||
	    wc_GenerateSakkeRskTable(&f->w_rx, f->w_rsk, NULL, &len) != LENGTH_ONLY_E)
		die("wolfSSL RSK");
	f->w_rtab = malloc(len);
	if (f->w_rtab == NULL || wc_GenerateSakkeRskTable(&f->w_rx, f->w_rsk, f->w_rtab, &len) != 0 ||
	    wc_SetSakkeRsk(&f->w_rx, f->w_rsk, f->w_rtab, len) != 0 ||
	    wc_SetSakkeIdentity(&f->w_rx, id, ID_LEN) != 0 || wolf_sakke_encap(f) != 0)
		die("wolfSSL RSK table");
}

/* Cross-check once before timing: each side accepts the other's output. */
static void
cross_check(struct fixture *f)
{
	uint8_t ssv[SAKKE_SSV_LEN];

	if (eccsi_verify(msg, sizeof(msg), f->wsig, sizeof(f->wsig), id, ID_LEN, f->kpak) != 0 ||
	    wolf_eccsi_verify(f) != 0 || sakke_decapsulate(ssv, f->wed, sizeof(f->wed), f->rx) != 0)
		die("cross-check of wolfSSL output");
	memcpy(f->wed, f->ed, sizeof(f->ed));
	if (wolf_sakke_decap(f) != 0 || wolf_sakke_encap(f) != 0)
		die("cross-check of mcpx output");
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *op;
		op_fn ours, wolf;
	} ops[] = {
		{ "eccsi_sign", ours_eccsi_sign, wolf_eccsi_sign },
		{ "eccsi_verify", ours_eccsi_verify, wolf_eccsi_verify },
		{ "sakke_encapsulate", ours_sakke_encap, wolf_sakke_encap },
		{ "sakke_decapsulate", ours_sakke_decap, wolf_sakke_decap },
		{ "kms_issue", ours_kms_issue, wolf_kms_issue },
	};
	struct fixture *f = calloc(1, sizeof(*f));
	int json = 0, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			bench_seconds = atof(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--json] [--seconds S]\n", argv[0]);
			return 2;
		}
	}
	if (f == NULL || sodium_init() < 0)
		die("init");
	setup_ours(f);
	setup_wolf(f);
	cross_check(f);
	if (!json)
		printf("%-20s %14s %14s %8s\n", "op", "mcpx ops/s", "wolfSSL ops/s", "ratio");
	for (i = 0; i < (int)(sizeof(ops) / sizeof(ops[0])); i++) {
		double o, w;

		measure(ops[i].ours, ops[i].wolf, f, &o, &w);

		if (json) {
			printf("{\"bench\":\"keys\",\"impl\":\"mcpx\",\"op\":\"%s\",\"ops_per_s\":%.0f,"
			       "\"ratio_vs_wolfssl\":%.3f}\n",
			       ops[i].op, o, o / w);
			printf("{\"bench\":\"keys\",\"impl\":\"wolfssl\",\"op\":\"%s\","
			       "\"ops_per_s\":%.0f}\n",
			       ops[i].op, w);
		} else {
			printf("%-20s %14.0f %14.0f %8.2f\n", ops[i].op, o, w, o / w);
		}
		fflush(stdout);
	}
	eccsi_signer_free(f->signer);
	sakke_sender_free(f->tx);
	sakke_receiver_free(f->rx);
	wc_FreeEccsiKey(&f->w_kms);
	wc_FreeEccsiKey(&f->w_signer);
	wc_FreeEccsiKey(&f->w_verifier);
	wc_FreeSakkeKey(&f->w_skms);
	wc_FreeSakkeKey(&f->w_tx);
	wc_FreeSakkeKey(&f->w_rx);
	wc_ecc_del_point(f->w_pvt);
	wc_ecc_del_point(f->w_rsk);
	wc_ecc_del_point(f->w_tmp);
	mp_forcezero(&f->w_ssk);
	wc_FreeRng(&f->rng);
	free(f->w_itab);
	free(f->w_rtab);
	sodium_memzero(f, sizeof(*f));
	free(f);
	return 0;
}
