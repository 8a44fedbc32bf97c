/* SPDX-License-Identifier: proprietary */
/*
 * Interoperability of keys/eccsi and keys/sakke with wolfSSL's independent
 * ECCSI and SAKKE (wolfcrypt), under keys that OUR KMS functions issued and
 * wolfSSL imported: signatures both ways, encapsulations both ways, and the
 * deterministic KMS outputs (HS, RSK) compared octet for octet.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/eccsi.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sakke.h>

#include "eccsi.h"
#include "sakke.h"

static void
suite_init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(keys_wolf_interop, .init = suite_init, .timeout = 300);

static const uint8_t id_a[] = "2011-02\0tel:+447700900123";	/* 26 octets with both NULs */
static const uint8_t id_b[] = "sip:bob@mcptt.example.org";

/* Our KMS issues (SSK, PVT) for |id|; wolfSSL imports KPAK and the pair. */
struct eccsi_kit {
	uint8_t ksak[ECCSI_SCALAR_LEN], kpak[ECCSI_POINT_LEN];
	uint8_t ssk[ECCSI_SSK_LEN], pvt[ECCSI_POINT_LEN];
	EccsiKey signer, verifier;
	mp_int wssk;
	ecc_point *wpvt;
};

static void
eccsi_kit_init(struct eccsi_kit *k, const uint8_t *id, size_t id_len)
{
	uint8_t pair[3 * ECCSI_N], hs[WC_MAX_DIGEST_SIZE], ours[ECCSI_HS_LEN];
	byte hs_len = sizeof(hs);

	cr_assert_eq(eccsi_kms_keygen(k->ksak, k->kpak), 0);
	cr_assert_eq(eccsi_kms_issue(k->ssk, k->pvt, k->ksak, k->kpak, id, id_len), 0);
	cr_assert_eq(wc_InitEccsiKey(&k->signer, NULL, INVALID_DEVID), 0);
	cr_assert_eq(wc_InitEccsiKey(&k->verifier, NULL, INVALID_DEVID), 0);
	cr_assert_eq(wc_ImportEccsiPublicKey(&k->signer, k->kpak, ECCSI_POINT_LEN, 0), 0);
	cr_assert_eq(wc_ImportEccsiPublicKey(&k->verifier, k->kpak, ECCSI_POINT_LEN, 0), 0);
	cr_assert_eq(mp_init(&k->wssk), 0);
	k->wpvt = wc_ecc_new_point();
	cr_assert_not_null(k->wpvt);
	/* wolfSSL's pair encoding: SSK || PVTx || PVTy */
	memcpy(pair, k->ssk, ECCSI_N);
	memcpy(pair + ECCSI_N, k->pvt + 1, 2 * ECCSI_N);
	cr_assert_eq(wc_DecodeEccsiPair(&k->signer, pair, sizeof(pair), &k->wssk, k->wpvt), 0);
	cr_assert_eq(wc_SetEccsiPair(&k->signer, &k->wssk, k->wpvt), 0);
	cr_assert_eq(wc_HashEccsiId(&k->signer, WC_HASH_TYPE_SHA256, id, (word32)id_len, k->wpvt,
				    hs, &hs_len),
		     0);
	cr_assert_eq(hs_len, ECCSI_HS_LEN);
	cr_assert_eq(eccsi_hs(ours, k->kpak, id, id_len, k->pvt), 0);
	cr_assert_arr_eq(hs, ours, ECCSI_HS_LEN, "HS: wolfSSL and ours");
	cr_assert_eq(wc_SetEccsiHash(&k->signer, hs, hs_len), 0);
	sodium_memzero(pair, sizeof(pair));
}

static void
eccsi_kit_fini(struct eccsi_kit *k)
{
	wc_ecc_del_point(k->wpvt);
	mp_forcezero(&k->wssk);
	wc_FreeEccsiKey(&k->signer);
	wc_FreeEccsiKey(&k->verifier);
}

/* wolfSSL verifies |sig| over |msg| from |id|: 1 verified, 0 not. */
static int
wolf_eccsi_verify(EccsiKey *v, const uint8_t *id, size_t id_len, const uint8_t *msg,
		  size_t msg_len, const uint8_t sig[ECCSI_SIG_LEN])
{
	uint8_t hs[WC_MAX_DIGEST_SIZE];
	byte hs_len = sizeof(hs);
	ecc_point *pvt = wc_ecc_new_point();
	int verified = 0;

	cr_assert_not_null(pvt);
	cr_assert_eq(wc_DecodeEccsiPvtFromSig(v, sig, ECCSI_SIG_LEN, pvt), 0);
	cr_assert_eq(wc_HashEccsiId(v, WC_HASH_TYPE_SHA256, id, (word32)id_len, pvt, hs,
				    &hs_len),
		     0);
	cr_assert_eq(wc_SetEccsiHash(v, hs, hs_len), 0);
	if (wc_VerifyEccsiHash(v, WC_HASH_TYPE_SHA256, msg, (word32)msg_len, sig, ECCSI_SIG_LEN,
			       &verified) != 0)
		verified = 0;
	wc_ecc_del_point(pvt);
	return verified;
}

Test(keys_wolf_interop, eccsi_ours_verify_in_wolfssl)
{
	struct eccsi_signer *s;
	struct eccsi_kit k;
	uint8_t sig[ECCSI_SIG_LEN], msg[200];
	size_t m;

	eccsi_kit_init(&k, id_a, sizeof(id_a));
	cr_assert_eq(eccsi_signer_new(&s, k.ssk, k.pvt, k.kpak, id_a, sizeof(id_a)), 0);
	for (m = 1; m < sizeof(msg); m += 49) {
		randombytes_buf(msg, m);
		cr_assert_eq(eccsi_sign(sig, s, msg, m), 0);
		cr_assert_eq(wolf_eccsi_verify(&k.verifier, id_a, sizeof(id_a), msg, m, sig), 1,
			     "message of %zu octets", m);
		/* and wolfSSL rejects what we reject */
		msg[0] ^= 0x01;
		cr_assert_eq(eccsi_verify(msg, m, sig, sizeof(sig), id_a, sizeof(id_a), k.kpak),
			     -KEYS_E_VERIFY);
		cr_assert_eq(wolf_eccsi_verify(&k.verifier, id_a, sizeof(id_a), msg, m, sig), 0);
	}
	eccsi_signer_free(s);
	eccsi_kit_fini(&k);
}

Test(keys_wolf_interop, eccsi_wolfssl_verify_in_ours)
{
	struct eccsi_kit k;
	uint8_t sig[ECCSI_SIG_LEN], msg[200];
	word32 sig_len;
	WC_RNG rng;
	size_t m;

	cr_assert_eq(wc_InitRng(&rng), 0);
	eccsi_kit_init(&k, id_b, sizeof(id_b) - 1);
	for (m = 1; m < sizeof(msg); m += 49) {
		randombytes_buf(msg, m);
		sig_len = sizeof(sig);
		cr_assert_eq(wc_SignEccsiHash(&k.signer, &rng, WC_HASH_TYPE_SHA256, msg, (word32)m,
					      sig, &sig_len),
			     0);
		cr_assert_eq(sig_len, ECCSI_SIG_LEN);
		cr_assert_eq(eccsi_verify(msg, m, sig, sig_len, id_b, sizeof(id_b) - 1, k.kpak), 0,
			     "message of %zu octets", m);
		cr_assert_eq(eccsi_verify(msg, m, sig, sig_len, id_a, sizeof(id_a), k.kpak),
			     -KEYS_E_VERIFY);
	}
	eccsi_kit_fini(&k);
	wc_FreeRng(&rng);
}

Test(keys_wolf_interop, eccsi_wolfssl_kms_pair_validates_in_ours)
{
	uint8_t kms[3 * ECCSI_N], pair[3 * ECCSI_N], ssk[ECCSI_SSK_LEN], pvt[ECCSI_POINT_LEN];
	uint8_t ksak[ECCSI_SCALAR_LEN], kpak[ECCSI_POINT_LEN];
	word32 len = sizeof(pair);
	ecc_point *wpvt = wc_ecc_new_point();
	EccsiKey key;
	mp_int wssk;
	WC_RNG rng;

	/* wolfSSL's KMS, under our KSAK/KPAK, issues a pair that we validate */
	cr_assert_eq(wc_InitRng(&rng), 0);
	cr_assert_eq(eccsi_kms_keygen(ksak, kpak), 0);
	memcpy(kms, ksak, ECCSI_N);
	memcpy(kms + ECCSI_N, kpak + 1, 2 * ECCSI_N);
	cr_assert_eq(wc_InitEccsiKey(&key, NULL, INVALID_DEVID), 0);
	cr_assert_eq(wc_ImportEccsiKey(&key, kms, sizeof(kms)), 0);
	cr_assert_eq(mp_init(&wssk), 0);
	cr_assert_eq(wc_MakeEccsiPair(&key, &rng, WC_HASH_TYPE_SHA256, id_a, sizeof(id_a), &wssk,
				      wpvt),
		     0);
	cr_assert_eq(wc_EncodeEccsiPair(&key, &wssk, wpvt, pair, &len), 0);
	cr_assert_eq(len, sizeof(pair));
	memcpy(ssk, pair, ECCSI_N);
	pvt[0] = 0x04;
	memcpy(pvt + 1, pair + ECCSI_N, 2 * ECCSI_N);
	cr_assert_eq(eccsi_ssk_validate(NULL, ssk, pvt, kpak, id_a, sizeof(id_a)), 0);
	cr_assert_eq(eccsi_ssk_validate(NULL, ssk, pvt, kpak, id_b, sizeof(id_b) - 1),
		     -KEYS_E_KEY);
	sodium_memzero(kms, sizeof(kms));
	sodium_memzero(pair, sizeof(pair));
	mp_forcezero(&wssk);
	wc_ecc_del_point(wpvt);
	wc_FreeEccsiKey(&key);
	wc_FreeRng(&rng);
}

/* Our KMS: z, Z and an RSK for |id|. */
struct sakke_kit {
	uint8_t z[SAKKE_SCALAR_LEN], zpub[SAKKE_POINT_LEN], rsk[SAKKE_POINT_LEN];
};

static void
sakke_kit_init(struct sakke_kit *k, const uint8_t *id, size_t id_len)
{
	cr_assert_eq(sakke_kms_keygen(k->z, k->zpub), 0);
	cr_assert_eq(sakke_kms_rsk(k->rsk, k->z, id, id_len), 0);
}

Test(keys_wolf_interop, sakke_kms_rsk_matches_wolfssl)
{
	uint8_t kms[SAKKE_SCALAR_LEN + 2 * SAKKE_L], enc[SAKKE_POINT_LEN];
	word32 len = sizeof(enc);
	ecc_point *rsk = wc_ecc_new_point();
	struct sakke_kit k;
	SakkeKey key;
	int valid = 0;

	sakke_kit_init(&k, id_a, sizeof(id_a));
	/* wolfSSL's KMS key format: z || Zx || Zy */
	memcpy(kms, k.z, SAKKE_SCALAR_LEN);
	memcpy(kms + SAKKE_SCALAR_LEN, k.zpub + 1, 2 * SAKKE_L);
	cr_assert_eq(wc_InitSakkeKey(&key, NULL, INVALID_DEVID), 0);
	cr_assert_eq(wc_ImportSakkeKey(&key, kms, sizeof(kms)), 0);
	cr_assert_eq(wc_MakeSakkeRsk(&key, id_a, sizeof(id_a), rsk), 0);
	cr_assert_eq(wc_EncodeSakkeRsk(&key, rsk, enc, &len, 0), 0);
	cr_assert_eq(len, SAKKE_POINT_LEN);
	cr_assert_arr_eq(enc, k.rsk, SAKKE_POINT_LEN, "RSK: wolfSSL and ours");
	cr_assert_eq(wc_ValidateSakkeRsk(&key, id_a, sizeof(id_a), rsk, &valid), 0);
	cr_assert_eq(valid, 1);
	sodium_memzero(kms, sizeof(kms));
	wc_ecc_del_point(rsk);
	wc_FreeSakkeKey(&key);
}

Test(keys_wolf_interop, sakke_ours_decapsulate_in_wolfssl)
{
	uint8_t ed[SAKKE_ED_LEN], ssv[SAKKE_SSV_LEN], buf[SAKKE_SSV_LEN];
	ecc_point *rsk = wc_ecc_new_point();
	struct sakke_sender *tx;
	struct sakke_kit k;
	SakkeKey rx;
	int i;

	sakke_kit_init(&k, id_a, sizeof(id_a));
	cr_assert_eq(wc_InitSakkeKey(&rx, NULL, INVALID_DEVID), 0);
	cr_assert_eq(wc_ImportSakkePublicKey(&rx, k.zpub, SAKKE_POINT_LEN, 0), 0);
	cr_assert_eq(wc_DecodeSakkeRsk(&rx, k.rsk, SAKKE_POINT_LEN, rsk), 0);
	cr_assert_eq(wc_SetSakkeRsk(&rx, rsk, NULL, 0), 0);
	cr_assert_eq(wc_SetSakkeIdentity(&rx, id_a, sizeof(id_a)), 0);
	cr_assert_eq(sakke_sender_new(&tx, k.zpub, id_a, sizeof(id_a)), 0);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(sakke_encapsulate(ed, ssv, tx), 0);
		/* wolfSSL: auth = R_(b,S) (257), buffer in = H, out = SSV */
		memcpy(buf, ed + SAKKE_POINT_LEN, SAKKE_SSV_LEN);
		cr_assert_eq(wc_DeriveSakkeSSV(&rx, WC_HASH_TYPE_SHA256, buf, SAKKE_SSV_LEN, ed,
					       SAKKE_POINT_LEN),
			     0);
		cr_assert_arr_eq(buf, ssv, SAKKE_SSV_LEN);
	}
	sakke_sender_free(tx);
	wc_ecc_del_point(rsk);
	wc_FreeSakkeKey(&rx);
}

Test(keys_wolf_interop, sakke_wolfssl_decapsulate_in_ours)
{
	uint8_t ed[SAKKE_ED_LEN], ssv[SAKKE_SSV_LEN], out[SAKKE_SSV_LEN];
	struct sakke_receiver *rx;
	struct sakke_kit k;
	word16 auth_len;
	SakkeKey tx;
	WC_RNG rng;
	int i;

	cr_assert_eq(wc_InitRng(&rng), 0);
	sakke_kit_init(&k, id_b, sizeof(id_b) - 1);
	cr_assert_eq(sakke_receiver_new(&rx, k.rsk, k.zpub, id_b, sizeof(id_b) - 1), 0);
	cr_assert_eq(wc_InitSakkeKey(&tx, NULL, INVALID_DEVID), 0);
	cr_assert_eq(wc_ImportSakkePublicKey(&tx, k.zpub, SAKKE_POINT_LEN, 0), 0);
	cr_assert_eq(wc_SetSakkeIdentity(&tx, id_b, sizeof(id_b) - 1), 0);
	for (i = 0; i < 3; i++) {
		randombytes_buf(ssv, sizeof(ssv));
		/* wolfSSL: buffer in = SSV, out = H; auth = R_(b,S) */
		memcpy(ed + SAKKE_POINT_LEN, ssv, SAKKE_SSV_LEN);
		auth_len = SAKKE_POINT_LEN;
		cr_assert_eq(wc_MakeSakkeEncapsulatedSSV(&tx, WC_HASH_TYPE_SHA256,
							 ed + SAKKE_POINT_LEN, SAKKE_SSV_LEN,
							 ed, &auth_len),
			     0);
		cr_assert_eq(auth_len, SAKKE_POINT_LEN);
		cr_assert_eq(sakke_decapsulate(out, ed, sizeof(ed), rx), 0);
		cr_assert_arr_eq(out, ssv, SAKKE_SSV_LEN);
		ed[SAKKE_ED_LEN - 1] ^= 0x01;
		cr_assert_eq(sakke_decapsulate(out, ed, sizeof(ed), rx), -KEYS_E_VERIFY);
	}
	sakke_receiver_free(rx);
	wc_FreeSakkeKey(&tx);
	wc_FreeRng(&rng);
}
