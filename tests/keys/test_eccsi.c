/* SPDX-License-Identifier: proprietary */
/*
 * ECCSI (RFC 6507): the Appendix A known answers (from
 * tests/vectors/eccsi-rfc6507.json), round trips over several identities, and
 * negative cases asserting the exact error code.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "eccsi.h"
#include "tvec.h"

static void
suite_init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(keys_eccsi, .init = suite_init);

/* The Appendix A record, decoded. */
struct appa {
	uint8_t ksak[ECCSI_SCALAR_LEN], kpak[ECCSI_POINT_LEN], v[ECCSI_SCALAR_LEN];
	uint8_t pvt[ECCSI_POINT_LEN], hs[ECCSI_HS_LEN], ssk[ECCSI_SSK_LEN];
	uint8_t j[ECCSI_SCALAR_LEN], sig[ECCSI_SIG_LEN], q[ECCSI_N], p[ECCSI_N];
	uint8_t *id, *msg;
	size_t id_len, msg_len;
};

static void
appa_load(struct appa *a)
{
	json_t *root = tvec_load("eccsi-rfc6507.json");
	json_t *v = tvec_find(root, "rfc6507-appendix-a");

	tvec_hex_into(v, "kms_secret_authentication_key_ksak_int32", a->ksak, sizeof(a->ksak));
	tvec_hex_into(v, "kms_public_authentication_key_kpak_uncompressed", a->kpak,
		      sizeof(a->kpak));
	tvec_hex_into(v, "kms_ephemeral_v_int32", a->v, sizeof(a->v));
	tvec_hex_into(v, "public_validation_token_pvt_uncompressed", a->pvt, sizeof(a->pvt));
	tvec_hex_into(v, "hs_sha256", a->hs, sizeof(a->hs));
	tvec_hex_into(v, "secret_signing_key_ssk_int32", a->ssk, sizeof(a->ssk));
	tvec_hex_into(v, "signer_ephemeral_j_int32", a->j, sizeof(a->j));
	tvec_hex_into(v, "signature_r_s_pvt_129_octets", a->sig, sizeof(a->sig));
	tvec_hex_into(v, "p256_group_order_q", a->q, sizeof(a->q));
	tvec_hex_into(v, "p256_field_prime_p", a->p, sizeof(a->p));
	a->id = tvec_hex(v, "signer_id_octets", &a->id_len);
	a->msg = tvec_hex(v, "message_octets", &a->msg_len);
	json_decref(root);
}

static void
appa_free(struct appa *a)
{
	free(a->id);
	free(a->msg);
}

/* out = x - y for 32-octet big-endian integers (x >= y). */
static void
be_sub(uint8_t out[ECCSI_N], const uint8_t x[ECCSI_N], const uint8_t y[ECCSI_N])
{
	int i, borrow = 0;

	for (i = ECCSI_N - 1; i >= 0; i--) {
		int d = x[i] - y[i] - borrow;

		borrow = d < 0;
		out[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
}

Test(keys_eccsi, appendix_a_kms)
{
	struct appa a;
	uint8_t kpak[ECCSI_POINT_LEN], hs[ECCSI_HS_LEN], ssk[ECCSI_SSK_LEN], pvt[ECCSI_POINT_LEN];

	appa_load(&a);
	cr_assert_eq(eccsi_kms_pubkey(kpak, a.ksak), 0);
	cr_assert_arr_eq(kpak, a.kpak, sizeof(kpak), "KPAK");
	cr_assert_eq(eccsi_kpak_validate(kpak), 0);
	cr_assert_eq(eccsi_kms_issue_with_v(ssk, pvt, a.ksak, a.kpak, a.id, a.id_len, a.v), 0);
	cr_assert_arr_eq(pvt, a.pvt, sizeof(pvt), "PVT");
	cr_assert_arr_eq(ssk, a.ssk, sizeof(ssk), "SSK");
	cr_assert_eq(eccsi_hs(hs, a.kpak, a.id, a.id_len, a.pvt), 0);
	cr_assert_arr_eq(hs, a.hs, sizeof(hs), "HS");
	appa_free(&a);
}

Test(keys_eccsi, appendix_a_validate_sign_verify)
{
	struct eccsi_signer *s;
	struct appa a;
	uint8_t hs[ECCSI_HS_LEN], sig[ECCSI_SIG_LEN];

	appa_load(&a);
	cr_assert_eq(eccsi_ssk_validate(hs, a.ssk, a.pvt, a.kpak, a.id, a.id_len), 0);
	cr_assert_arr_eq(hs, a.hs, sizeof(hs), "HS from validation");
	cr_assert_eq(eccsi_signer_new(&s, a.ssk, a.pvt, a.kpak, a.id, a.id_len), 0);
	cr_assert_eq(eccsi_sign_with_j(sig, s, a.msg, a.msg_len, a.j), 0);
	cr_assert_arr_eq(sig, a.sig, sizeof(sig), "signature r || s || PVT");
	cr_assert_eq(eccsi_verify(a.msg, a.msg_len, a.sig, sizeof(a.sig), a.id, a.id_len, a.kpak),
		     0);
	/* a random j gives another signature, which verifies as well */
	cr_assert_eq(eccsi_sign(sig, s, a.msg, a.msg_len), 0);
	cr_assert(memcmp(sig, a.sig, ECCSI_N) != 0);
	cr_assert_eq(eccsi_verify(a.msg, a.msg_len, sig, sizeof(sig), a.id, a.id_len, a.kpak), 0);
	eccsi_signer_free(s);
	appa_free(&a);
}

Test(keys_eccsi, negated_s_verifies)
{
	struct appa a;
	uint8_t sig[ECCSI_SIG_LEN];

	/* RFC 6507 §5.2.2: q - s gives -J, whose x is the same */
	appa_load(&a);
	memcpy(sig, a.sig, sizeof(sig));
	be_sub(sig + ECCSI_N, a.q, a.sig + ECCSI_N);
	cr_assert_eq(eccsi_verify(a.msg, a.msg_len, sig, sizeof(sig), a.id, a.id_len, a.kpak), 0);
	appa_free(&a);
}

Test(keys_eccsi, every_flipped_byte_fails)
{
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };
	struct appa a;
	uint8_t sig[ECCSI_SIG_LEN];
	size_t i, f;

	appa_load(&a);
	for (i = 0; i < sizeof(sig); i++) {
		for (f = 0; f < sizeof(flips); f++) {
			/* r and s: -KEYS_E_VERIFY; any PVT octet: -KEYS_E_POINT */
			int want = i < ECCSI_SIG_PVT_OFF ? -KEYS_E_VERIFY : -KEYS_E_POINT;

			memcpy(sig, a.sig, sizeof(sig));
			sig[i] ^= flips[f];
			cr_assert_eq(eccsi_verify(a.msg, a.msg_len, sig, sizeof(sig), a.id,
						  a.id_len, a.kpak),
				     want, "octet %zu ^ %02x", i, flips[f]);
		}
	}
	appa_free(&a);
}

Test(keys_eccsi, wrong_message_identity_or_kpak)
{
	struct appa a;
	uint8_t ksak[ECCSI_SCALAR_LEN], kpak2[ECCSI_POINT_LEN];

	appa_load(&a);
	cr_assert_eq(eccsi_verify(a.msg, a.msg_len - 1, a.sig, sizeof(a.sig), a.id, a.id_len,
				  a.kpak),
		     -KEYS_E_VERIFY);
	a.msg[0] ^= 0x20;
	cr_assert_eq(eccsi_verify(a.msg, a.msg_len, a.sig, sizeof(a.sig), a.id, a.id_len, a.kpak),
		     -KEYS_E_VERIFY);
	a.msg[0] ^= 0x20;
	/* the identity without its trailing NUL (pitfall 1) */
	cr_assert_eq(eccsi_verify(a.msg, a.msg_len, a.sig, sizeof(a.sig), a.id, a.id_len - 1,
				  a.kpak),
		     -KEYS_E_VERIFY);
	a.id[a.id_len - 2] ^= 0x01;	/* another phone number */
	cr_assert_eq(eccsi_verify(a.msg, a.msg_len, a.sig, sizeof(a.sig), a.id, a.id_len, a.kpak),
		     -KEYS_E_VERIFY);
	a.id[a.id_len - 2] ^= 0x01;
	cr_assert_eq(eccsi_kms_keygen(ksak, kpak2), 0);
	cr_assert_eq(eccsi_verify(a.msg, a.msg_len, a.sig, sizeof(a.sig), a.id, a.id_len, kpak2),
		     -KEYS_E_VERIFY);
	appa_free(&a);
}

Test(keys_eccsi, truncated_and_oversized)
{
	struct appa a;
	uint8_t big[ECCSI_SIG_LEN + 1];
	size_t n;

	appa_load(&a);
	for (n = 0; n < ECCSI_SIG_LEN; n++)
		cr_assert_eq(eccsi_verify(a.msg, a.msg_len, a.sig, n, a.id, a.id_len, a.kpak),
			     -KEYS_E_PARSE, "length %zu", n);
	memcpy(big, a.sig, ECCSI_SIG_LEN);
	big[ECCSI_SIG_LEN] = 0;
	cr_assert_eq(eccsi_verify(a.msg, a.msg_len, big, sizeof(big), a.id, a.id_len, a.kpak),
		     -KEYS_E_PARSE);
	appa_free(&a);
}

Test(keys_eccsi, invalid_points)
{
	struct appa a;
	uint8_t sig[ECCSI_SIG_LEN], kpak[ECCSI_POINT_LEN];
	uint8_t *pvt = sig + ECCSI_SIG_PVT_OFF;

	appa_load(&a);
	memcpy(sig, a.sig, sizeof(sig));
	pvt[0] = 0x02;			/* compressed prefix: not accepted */
	cr_assert_eq(eccsi_verify(a.msg, a.msg_len, sig, sizeof(sig), a.id, a.id_len, a.kpak),
		     -KEYS_E_POINT);
	memcpy(sig, a.sig, sizeof(sig));
	memcpy(pvt + 1, a.p, ECCSI_N);	/* x = p */
	cr_assert_eq(eccsi_verify(a.msg, a.msg_len, sig, sizeof(sig), a.id, a.id_len, a.kpak),
		     -KEYS_E_POINT);
	memcpy(sig, a.sig, sizeof(sig));
	memset(pvt + 1, 0, 2 * ECCSI_N);	/* (0, 0): not on the curve, not infinity */
	cr_assert_eq(eccsi_verify(a.msg, a.msg_len, sig, sizeof(sig), a.id, a.id_len, a.kpak),
		     -KEYS_E_POINT);
	/* a bad trusted KPAK is a key problem, not the peer's */
	memcpy(kpak, a.kpak, sizeof(kpak));
	kpak[ECCSI_POINT_LEN - 1] ^= 0x01;
	cr_assert_eq(eccsi_kpak_validate(kpak), -KEYS_E_POINT);
	cr_assert_eq(eccsi_verify(a.msg, a.msg_len, a.sig, sizeof(a.sig), a.id, a.id_len, kpak),
		     -KEYS_E_KEY);
	kpak[ECCSI_POINT_LEN - 1] ^= 0x01;
	memcpy(kpak + 1 + ECCSI_N, a.p, ECCSI_N);	/* y = p */
	cr_assert_eq(eccsi_kpak_validate(kpak), -KEYS_E_POINT);
	appa_free(&a);
}

Test(keys_eccsi, ssk_validation)
{
	struct eccsi_signer *s = (struct eccsi_signer *)1;
	struct appa a;
	uint8_t ssk[ECCSI_SSK_LEN], pvt[ECCSI_POINT_LEN];

	appa_load(&a);
	memcpy(ssk, a.ssk, sizeof(ssk));
	ssk[ECCSI_SSK_LEN - 1] ^= 0x01;
	cr_assert_eq(eccsi_ssk_validate(NULL, ssk, a.pvt, a.kpak, a.id, a.id_len), -KEYS_E_KEY);
	cr_assert_eq(eccsi_signer_new(&s, ssk, a.pvt, a.kpak, a.id, a.id_len), -KEYS_E_KEY);
	cr_assert_null(s);
	cr_assert_eq(eccsi_ssk_validate(NULL, a.ssk, a.pvt, a.kpak, a.id, a.id_len - 1),
		     -KEYS_E_KEY);
	memset(ssk, 0, sizeof(ssk));
	cr_assert_eq(eccsi_ssk_validate(NULL, ssk, a.pvt, a.kpak, a.id, a.id_len), -KEYS_E_KEY);
	cr_assert_eq(eccsi_ssk_validate(NULL, a.q, a.pvt, a.kpak, a.id, a.id_len), -KEYS_E_KEY);
	memcpy(pvt, a.pvt, sizeof(pvt));
	pvt[1] ^= 0x01;
	cr_assert_eq(eccsi_ssk_validate(NULL, a.ssk, pvt, a.kpak, a.id, a.id_len),
		     -KEYS_E_POINT);
	appa_free(&a);
}

Test(keys_eccsi, scalar_ranges)
{
	struct appa a;
	uint8_t zero[ECCSI_SCALAR_LEN] = { 0 }, kpak[ECCSI_POINT_LEN], ssk[ECCSI_SSK_LEN];
	uint8_t pvt[ECCSI_POINT_LEN], sig[ECCSI_SIG_LEN];
	struct eccsi_signer *s;

	appa_load(&a);
	cr_assert_eq(eccsi_kms_pubkey(kpak, zero), -KEYS_E_RANGE);
	cr_assert_eq(eccsi_kms_pubkey(kpak, a.q), -KEYS_E_RANGE);
	cr_assert_eq(eccsi_kms_issue_with_v(ssk, pvt, a.ksak, a.kpak, a.id, a.id_len, zero),
		     -KEYS_E_RANGE);
	cr_assert_eq(eccsi_kms_issue(ssk, pvt, a.q, a.kpak, a.id, a.id_len), -KEYS_E_RANGE);
	cr_assert_eq(eccsi_signer_new(&s, a.ssk, a.pvt, a.kpak, a.id, a.id_len), 0);
	cr_assert_eq(eccsi_sign_with_j(sig, s, a.msg, a.msg_len, zero), -KEYS_E_RANGE);
	cr_assert_eq(eccsi_sign_with_j(sig, s, a.msg, a.msg_len, a.q), -KEYS_E_RANGE);
	eccsi_signer_free(s);
	appa_free(&a);
}

Test(keys_eccsi, bad_arguments)
{
	uint8_t ksak[ECCSI_SCALAR_LEN], kpak[ECCSI_POINT_LEN], ssk[ECCSI_SSK_LEN];
	uint8_t pvt[ECCSI_POINT_LEN], sig[ECCSI_SIG_LEN];

	cr_assert_eq(eccsi_kms_keygen(NULL, kpak), -KEYS_E_ARG);
	cr_assert_eq(eccsi_kms_keygen(ksak, kpak), 0);
	cr_assert_eq(eccsi_kms_issue(ssk, pvt, ksak, kpak, NULL, 3), -KEYS_E_ARG);
	cr_assert_eq(eccsi_signer_new(NULL, ssk, pvt, kpak, NULL, 0), -KEYS_E_ARG);
	cr_assert_eq(eccsi_sign(sig, NULL, NULL, 0), -KEYS_E_ARG);
	cr_assert_eq(eccsi_verify(NULL, 1, sig, sizeof(sig), NULL, 0, kpak), -KEYS_E_ARG);
	cr_assert_eq(eccsi_verify(NULL, 0, sig, sizeof(sig), NULL, 0, NULL), -KEYS_E_ARG);
}

Test(keys_eccsi, round_trips)
{
	uint8_t ksak[ECCSI_SCALAR_LEN], kpak[ECCSI_POINT_LEN], ssk[ECCSI_SSK_LEN];
	uint8_t pvt[ECCSI_POINT_LEN], sig[ECCSI_SIG_LEN], msg[300], longid[1000];
	const struct {
		const uint8_t *id;
		size_t len;
	} ids[] = {
		{ NULL, 0 },
		{ (const uint8_t *)"a", 1 },
		{ (const uint8_t *)"2011-02\0tel:+447700900123", 26 },	/* both NULs */
		{ (const uint8_t *)"sip:alice@mcptt.example.org", 27 },
		{ longid, sizeof(longid) },
	};
	size_t i, m;

	randombytes_buf(longid, sizeof(longid));
	cr_assert_eq(eccsi_kms_keygen(ksak, kpak), 0);
	cr_assert_eq(eccsi_kpak_validate(kpak), 0);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct eccsi_signer *s;

		cr_assert_eq(eccsi_kms_issue(ssk, pvt, ksak, kpak, ids[i].id, ids[i].len), 0,
			     "id %zu", i);
		cr_assert_eq(eccsi_signer_new(&s, ssk, pvt, kpak, ids[i].id, ids[i].len), 0);
		for (m = 0; m < sizeof(msg); m += 97) {
			randombytes_buf(msg, m);
			cr_assert_eq(eccsi_sign(sig, s, m ? msg : NULL, m), 0);
			cr_assert_arr_eq(sig + ECCSI_SIG_PVT_OFF, pvt, ECCSI_POINT_LEN);
			cr_assert_eq(eccsi_verify(m ? msg : NULL, m, sig, sizeof(sig), ids[i].id,
						  ids[i].len, kpak),
				     0, "id %zu msg %zu", i, m);
			if (m == 0)
				continue;
			msg[m - 1] ^= 0x01;
			cr_assert_eq(eccsi_verify(msg, m, sig, sizeof(sig), ids[i].id, ids[i].len,
						  kpak),
				     -KEYS_E_VERIFY);
		}
		/* this identity's signature does not pass for another one */
		msg[290] ^= 0x01;
		cr_assert_eq(eccsi_verify(msg, 291, sig, sizeof(sig), ids[i].id, ids[i].len, kpak),
			     0);
		cr_assert_eq(eccsi_verify(msg, 291, sig, sizeof(sig), ids[(i + 1) % 5].id,
					  ids[(i + 1) % 5].len, kpak),
			     -KEYS_E_VERIFY);
		eccsi_signer_free(s);
	}
}
