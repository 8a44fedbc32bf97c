/* SPDX-License-Identifier: proprietary */
/*
 * SAKKE (RFC 6508, parameter set 1): the Appendix A known answers (from
 * tests/vectors/sakke-rfc6508.json), round trips over several identities,
 * and negative cases asserting the exact error code. Points outside the
 * order-q subgroup are built here and checked with OpenSSL's own generic
 * curve code, independently of keys/sakke.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <sodium.h>

#include "sakke.h"
#include "tvec.h"

static void
suite_init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(keys_sakke, .init = suite_init, .timeout = 120);

/* The Appendix A record, decoded. */
struct appa {
	uint8_t z[SAKKE_SCALAR_LEN], zpub[SAKKE_POINT_LEN], rsk[SAKKE_POINT_LEN];
	uint8_t ssv[SAKKE_SSV_LEN], r[SAKKE_L], rbs[SAKKE_POINT_LEN], gr[SAKKE_L];
	uint8_t mask[SAKKE_SSV_LEN], h[SAKKE_SSV_LEN], ed[SAKKE_ED_LEN], w[SAKKE_L];
	uint8_t test[SAKKE_POINT_LEN];
	uint8_t *id;
	size_t id_len;
};

static void
appa_load(struct appa *a)
{
	json_t *root = tvec_load("sakke-rfc6508.json");
	json_t *v = tvec_find(root, "rfc6508-appendix-a");
	uint8_t *z;
	size_t zlen;

	/* z is printed as 20 octets: left-pad to the 128-octet integer */
	z = tvec_hex(v, "kms_master_secret_z_as_printed", &zlen);
	cr_assert_leq(zlen, sizeof(a->z));
	memset(a->z, 0, sizeof(a->z));
	memcpy(a->z + sizeof(a->z) - zlen, z, zlen);
	free(z);
	tvec_hex_into(v, "kms_public_key_z_uncompressed", a->zpub, sizeof(a->zpub));
	tvec_hex_into(v, "receiver_secret_key_rsk_uncompressed", a->rsk, sizeof(a->rsk));
	tvec_hex_into(v, "ssv_16_octets", a->ssv, sizeof(a->ssv));
	tvec_hex_into(v, "r_hash_to_integer_range_ssv_b_q", a->r, sizeof(a->r));
	tvec_hex_into(v, "encapsulation_point_r_bs_uncompressed", a->rbs, sizeof(a->rbs));
	tvec_hex_into(v, "g_pow_r_representative", a->gr, sizeof(a->gr));
	tvec_hex_into(v, "mask_hash_to_integer_range_g_r_2_128", a->mask, sizeof(a->mask));
	tvec_hex_into(v, "h_ssv_xor_mask", a->h, sizeof(a->h));
	tvec_hex_into(v, "encapsulated_data_r_bs_h_273_octets", a->ed, sizeof(a->ed));
	tvec_hex_into(v, "receiver_w_pairing_r_bs_rsk_representative", a->w, sizeof(a->w));
	tvec_hex_into(v, "receiver_test_point_uncompressed", a->test, sizeof(a->test));
	a->id = tvec_hex(v, "receiver_id_b_octets", &a->id_len);
	json_decref(root);
}

Test(keys_sakke, parameter_set_1)
{
	json_t *root = tvec_load("sakke-rfc6508.json");
	json_t *ps = json_object_get(root, "parameter_set_1");
	uint8_t p[SAKKE_L], q[SAKKE_L], pt[SAKKE_POINT_LEN], g[SAKKE_L], want[SAKKE_L];
	uint8_t gg[SAKKE_L];

	cr_assert_not_null(ps);
	sakke_params(p, q, pt, g);
	tvec_hex_into(ps, "p_fp_prime", want, sizeof(want));
	cr_assert_arr_eq(p, want, sizeof(p), "p");
	tvec_hex_into(ps, "q_subgroup_order", want, sizeof(want));
	cr_assert_arr_eq(q, want, sizeof(q), "q");
	tvec_hex_into(ps, "px_generator_x", want, sizeof(want));
	cr_assert_eq(pt[0], 0x04);
	cr_assert_arr_eq(pt + 1, want, sizeof(want), "Px");
	tvec_hex_into(ps, "py_generator_y", want, sizeof(want));
	cr_assert_arr_eq(pt + 1 + SAKKE_L, want, sizeof(want), "Py");
	tvec_hex_into(ps, "g_pairing_p_p_representative", want, sizeof(want));
	cr_assert_arr_eq(g, want, sizeof(g), "g");
	/* §3.2: the pairing recomputes g = <P, P> */
	cr_assert_eq(sakke_pairing(gg, pt, pt), 0);
	cr_assert_arr_eq(gg, want, sizeof(gg), "<P, P>");
	json_decref(root);
}

Test(keys_sakke, hash_to_integer_range)
{
	json_t *root = tvec_load("sakke-rfc6508.json");
	json_t *v = tvec_find(root, "rfc6508-appendix-a-hash-to-integer-range");
	uint8_t out[SAKKE_L], want[SAKKE_L];
	size_t n;
	uint8_t *s = tvec_hex(v, "input_s", &n);

	tvec_hex_into(v, "result_v_mod_n", want, sizeof(want));
	cr_assert_eq(sakke_hash_to_q(out, s, n), 0);
	cr_assert_arr_eq(out, want, sizeof(out));
	free(s);
	json_decref(root);
}

Test(keys_sakke, appendix_a_kms)
{
	struct appa a;
	uint8_t zpub[SAKKE_POINT_LEN], rsk[SAKKE_POINT_LEN];

	appa_load(&a);
	cr_assert_eq(sakke_kms_pubkey(zpub, a.z), 0);
	cr_assert_arr_eq(zpub, a.zpub, sizeof(zpub), "Z");
	cr_assert_eq(sakke_kms_rsk(rsk, a.z, a.id, a.id_len), 0);
	cr_assert_arr_eq(rsk, a.rsk, sizeof(rsk), "RSK");
	cr_assert_eq(sakke_point_validate(a.zpub), 0);
	cr_assert_eq(sakke_rsk_validate(a.rsk, a.zpub, a.id, a.id_len), 0);
	free(a.id);
}

Test(keys_sakke, appendix_a_sender)
{
	struct sakke_sender *s;
	struct appa a;
	uint8_t r[SAKKE_L], gr[SAKKE_L], mask[SAKKE_SSV_LEN], ed[SAKKE_ED_LEN], in[64];

	appa_load(&a);
	/* r = HashToIntegerRange(SSV || b, q) */
	memcpy(in, a.ssv, SAKKE_SSV_LEN);
	memcpy(in + SAKKE_SSV_LEN, a.id, a.id_len);
	cr_assert_eq(sakke_hash_to_q(r, in, SAKKE_SSV_LEN + a.id_len), 0);
	cr_assert_arr_eq(r, a.r, sizeof(r), "r");
	cr_assert_eq(sakke_g_pow(gr, a.r), 0);
	cr_assert_arr_eq(gr, a.gr, sizeof(gr), "g^r");
	cr_assert_eq(sakke_hash_to_2n(mask, a.gr, sizeof(a.gr)), 0);
	cr_assert_arr_eq(mask, a.mask, sizeof(mask), "mask");
	cr_assert_eq(sakke_sender_new(&s, a.zpub, a.id, a.id_len), 0);
	cr_assert_eq(sakke_encapsulate_ssv(ed, a.ssv, s), 0);
	cr_assert_arr_eq(ed, a.rbs, SAKKE_POINT_LEN, "R_(b,S)");
	cr_assert_arr_eq(ed + SAKKE_POINT_LEN, a.h, SAKKE_SSV_LEN, "H");
	cr_assert_arr_eq(ed, a.ed, sizeof(ed), "Encapsulated Data");
	sakke_sender_free(s);
	free(a.id);
}

Test(keys_sakke, appendix_a_receiver)
{
	struct sakke_receiver *r;
	struct appa a;
	uint8_t w[SAKKE_L], ssv[SAKKE_SSV_LEN];

	appa_load(&a);
	/* w = <R_(b,S), K_(b,S)>, in the order of §6.2.2 */
	cr_assert_eq(sakke_pairing(w, a.rbs, a.rsk), 0);
	cr_assert_arr_eq(w, a.w, sizeof(w), "w");
	cr_assert_arr_eq(a.test, a.rbs, sizeof(a.test), "TEST == R_(b,S) in the vector");
	cr_assert_eq(sakke_receiver_new(&r, a.rsk, a.zpub, a.id, a.id_len), 0);
	cr_assert_eq(sakke_decapsulate(ssv, a.ed, sizeof(a.ed), r), 0);
	cr_assert_arr_eq(ssv, a.ssv, sizeof(ssv), "SSV");
	sakke_receiver_free(r);
	free(a.id);
}

Test(keys_sakke, round_trips)
{
	uint8_t z[SAKKE_SCALAR_LEN], zpub[SAKKE_POINT_LEN], rsk[SAKKE_POINT_LEN];
	uint8_t ed[SAKKE_ED_LEN], ssv[SAKKE_SSV_LEN], out[SAKKE_SSV_LEN], longid[300];
	const struct {
		const uint8_t *id;
		size_t len;
	} ids[] = {
		{ (const uint8_t *)"a", 1 },
		{ (const uint8_t *)"2011-02\0tel:+447700900123", 26 },
		{ longid, sizeof(longid) },	/* longer than q: a is reduced mod q */
	};
	struct sakke_receiver *rx[3];
	struct sakke_sender *tx;
	size_t i, k;

	randombytes_buf(longid, sizeof(longid));
	cr_assert_eq(sakke_kms_keygen(z, zpub), 0);
	cr_assert_eq(sakke_point_validate(zpub), 0);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(sakke_kms_rsk(rsk, z, ids[i].id, ids[i].len), 0);
		cr_assert_eq(sakke_receiver_new(&rx[i], rsk, zpub, ids[i].id, ids[i].len), 0,
			     "id %zu", i);
	}
	for (i = 0; i < 3; i++) {
		cr_assert_eq(sakke_sender_new(&tx, zpub, ids[i].id, ids[i].len), 0);
		for (k = 0; k < 2; k++) {
			cr_assert_eq(sakke_encapsulate(ed, ssv, tx), 0);
			cr_assert_eq(sakke_decapsulate(out, ed, sizeof(ed), rx[i]), 0);
			cr_assert_arr_eq(out, ssv, sizeof(ssv));
		}
		/* another identity's receiver rejects it, and releases nothing */
		cr_assert_eq(sakke_decapsulate(out, ed, sizeof(ed), rx[(i + 1) % 3]),
			     -KEYS_E_VERIFY);
		for (k = 0; k < sizeof(out); k++)
			cr_assert_eq(out[k], 0);
		sakke_sender_free(tx);
	}
	for (i = 0; i < 3; i++)
		sakke_receiver_free(rx[i]);
}

/*
 * A point on E that is not in the order-q subgroup, with x from |x0| on:
 * y = sqrt(x^3 - 3x) (p = 3 mod 4), and [q]X != O by OpenSSL's generic code.
 */
static void
off_subgroup_point(uint8_t out[SAKKE_POINT_LEN], unsigned long x0)
{
	uint8_t p[SAKKE_L], q[SAKKE_L], pt[SAKKE_POINT_LEN], g[SAKKE_L];
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *bp = BN_new(), *bq = BN_new(), *a = BN_new(), *b = BN_new(), *x = BN_new();
	BIGNUM *y = BN_new(), *t = BN_new();
	EC_GROUP *e;
	EC_POINT *xp, *r;
	int found = 0;

	sakke_params(p, q, pt, g);
	cr_assert_not_null(BN_bin2bn(p, SAKKE_L, bp));
	cr_assert_not_null(BN_bin2bn(q, SAKKE_L, bq));
	cr_assert(BN_sub(a, bp, BN_value_one()) && BN_sub_word(a, 2));	/* a = -3 */
	BN_zero(b);
	e = EC_GROUP_new_curve_GFp(bp, a, b, bn);
	cr_assert_not_null(e);
	xp = EC_POINT_new(e);
	r = EC_POINT_new(e);
	for (; !found; x0++) {
		cr_assert(BN_set_word(x, x0));
		/* t = x^3 - 3x */
		cr_assert(BN_mod_sqr(t, x, bp, bn) && BN_mod_sub(t, t, BN_value_one(), bp, bn));
		cr_assert(BN_mod_sub_quick(t, t, BN_value_one(), bp) &&
			  BN_mod_sub_quick(t, t, BN_value_one(), bp) && BN_mod_mul(t, t, x, bp, bn));
		if (BN_mod_sqrt(y, t, bp, bn) == NULL)
			continue;
		cr_assert(EC_POINT_set_affine_coordinates(e, xp, x, y, bn));
		cr_assert(EC_POINT_mul(e, r, NULL, xp, bq, bn));
		found = !EC_POINT_is_at_infinity(e, r) && !BN_is_zero(y);
	}
	out[0] = 0x04;
	cr_assert_eq(BN_bn2binpad(x, out + 1, SAKKE_L), SAKKE_L);
	cr_assert_eq(BN_bn2binpad(y, out + 1 + SAKKE_L, SAKKE_L), SAKKE_L);
	EC_POINT_free(xp);
	EC_POINT_free(r);
	EC_GROUP_free(e);
	BN_free(bp);
	BN_free(bq);
	BN_free(a);
	BN_free(b);
	BN_free(x);
	BN_free(y);
	BN_free(t);
	BN_CTX_free(bn);
}

Test(keys_sakke, invalid_points)
{
	struct sakke_receiver *r;
	struct sakke_sender *s = (struct sakke_sender *)1;
	struct appa a;
	uint8_t bad[SAKKE_POINT_LEN], ed[SAKKE_ED_LEN], ssv[SAKKE_SSV_LEN], p[SAKKE_L];
	uint8_t q[SAKKE_L], pt[SAKKE_POINT_LEN], g[SAKKE_L], w[SAKKE_L];

	appa_load(&a);
	sakke_params(p, q, pt, g);
	cr_assert_eq(sakke_receiver_new(&r, a.rsk, a.zpub, a.id, a.id_len), 0);

	/* off the curve: Z, RSK, R */
	memcpy(bad, a.zpub, sizeof(bad));
	bad[SAKKE_POINT_LEN - 1] ^= 0x01;
	cr_assert_eq(sakke_point_validate(bad), -KEYS_E_POINT);
	cr_assert_eq(sakke_sender_new(&s, bad, a.id, a.id_len), -KEYS_E_POINT);
	cr_assert_null(s);
	cr_assert_eq(sakke_rsk_validate(a.rsk, bad, a.id, a.id_len), -KEYS_E_POINT);
	memcpy(bad, a.rsk, sizeof(bad));
	bad[1] ^= 0x01;
	cr_assert_eq(sakke_rsk_validate(bad, a.zpub, a.id, a.id_len), -KEYS_E_POINT);
	memcpy(ed, a.ed, sizeof(ed));
	ed[100] ^= 0x01;
	cr_assert_eq(sakke_decapsulate(ssv, ed, sizeof(ed), r), -KEYS_E_POINT);

	/* coordinate = p, compressed prefix, (0, 0) of order 2 */
	memcpy(ed, a.ed, sizeof(ed));
	memcpy(ed + 1, p, SAKKE_L);
	cr_assert_eq(sakke_decapsulate(ssv, ed, sizeof(ed), r), -KEYS_E_POINT);
	memcpy(ed, a.ed, sizeof(ed));
	ed[0] = 0x02;
	cr_assert_eq(sakke_decapsulate(ssv, ed, sizeof(ed), r), -KEYS_E_POINT);
	memset(ed, 0, SAKKE_POINT_LEN);
	ed[0] = 0x04;
	cr_assert_eq(sakke_decapsulate(ssv, ed, sizeof(ed), r), -KEYS_E_POINT);

	/* on the curve, outside the subgroup */
	off_subgroup_point(bad, 2);
	cr_assert_eq(sakke_point_validate(bad), -KEYS_E_POINT);
	cr_assert_eq(sakke_pairing(w, bad, pt), -KEYS_E_POINT);
	cr_assert_eq(sakke_rsk_validate(bad, a.zpub, a.id, a.id_len), -KEYS_E_POINT);
	cr_assert_eq(sakke_sender_new(&s, bad, a.id, a.id_len), -KEYS_E_POINT);
	memcpy(ed, bad, SAKKE_POINT_LEN);
	memcpy(ed + SAKKE_POINT_LEN, a.h, SAKKE_SSV_LEN);
	cr_assert_eq(sakke_decapsulate(ssv, ed, sizeof(ed), r), -KEYS_E_POINT);
	sakke_receiver_free(r);
	free(a.id);
}

Test(keys_sakke, payload_flips_and_lengths)
{
	struct sakke_receiver *r;
	struct appa a;
	uint8_t ed[SAKKE_ED_LEN + 1], ssv[SAKKE_SSV_LEN];
	size_t i;

	appa_load(&a);
	cr_assert_eq(sakke_receiver_new(&r, a.rsk, a.zpub, a.id, a.id_len), 0);
	/* H octets: the SSV changes, TEST fails */
	for (i = SAKKE_POINT_LEN; i < SAKKE_ED_LEN; i++) {
		memcpy(ed, a.ed, SAKKE_ED_LEN);
		ed[i] ^= 0x80;
		cr_assert_eq(sakke_decapsulate(ssv, ed, SAKKE_ED_LEN, r), -KEYS_E_VERIFY,
			     "octet %zu", i);
	}
	/* a sample of R octets: the point leaves the curve */
	for (i = 0; i < SAKKE_POINT_LEN; i += 16) {
		memcpy(ed, a.ed, SAKKE_ED_LEN);
		ed[i] ^= 0x01;
		cr_assert_eq(sakke_decapsulate(ssv, ed, SAKKE_ED_LEN, r), -KEYS_E_POINT,
			     "octet %zu", i);
	}
	memcpy(ed, a.ed, SAKKE_ED_LEN);
	ed[SAKKE_ED_LEN] = 0;
	cr_assert_eq(sakke_decapsulate(ssv, ed, SAKKE_ED_LEN + 1, r), -KEYS_E_PARSE);
	cr_assert_eq(sakke_decapsulate(ssv, ed, SAKKE_ED_LEN - 1, r), -KEYS_E_PARSE);
	cr_assert_eq(sakke_decapsulate(ssv, ed, 0, r), -KEYS_E_PARSE);
	cr_assert_eq(sakke_decapsulate(ssv, NULL, 0, r), -KEYS_E_PARSE);
	cr_assert_eq(sakke_decapsulate(ssv, ed, SAKKE_ED_LEN, NULL), -KEYS_E_ARG);
	sakke_receiver_free(r);
	free(a.id);
}

Test(keys_sakke, wrong_keys)
{
	struct sakke_receiver *r = (struct sakke_receiver *)1;
	struct appa a;
	uint8_t rsk[SAKKE_POINT_LEN], z2[SAKKE_SCALAR_LEN], zpub2[SAKKE_POINT_LEN];

	appa_load(&a);
	/* an RSK for another identity, and one under another KMS key */
	cr_assert_eq(sakke_kms_rsk(rsk, a.z, (const uint8_t *)"bob", 3), 0);
	cr_assert_eq(sakke_rsk_validate(rsk, a.zpub, a.id, a.id_len), -KEYS_E_KEY);
	cr_assert_eq(sakke_receiver_new(&r, rsk, a.zpub, a.id, a.id_len), -KEYS_E_KEY);
	cr_assert_null(r);
	cr_assert_eq(sakke_kms_keygen(z2, zpub2), 0);
	cr_assert_eq(sakke_rsk_validate(a.rsk, zpub2, a.id, a.id_len), -KEYS_E_KEY);
	/* z out of [2, q-1] */
	memset(z2, 0, sizeof(z2));
	z2[SAKKE_SCALAR_LEN - 1] = 1;
	cr_assert_eq(sakke_kms_pubkey(zpub2, z2), -KEYS_E_RANGE);
	free(a.id);
}
