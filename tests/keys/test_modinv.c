/* SPDX-License-Identifier: proprietary */
/*
 * keys_modinv_vartime() against OpenSSL's BN_mod_inverse: random inputs under
 * the moduli the keys code inverts modulo (the P-256 order, SAKKE's p and q)
 * and random odd moduli of every length, plus the edge cases.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <sodium.h>

#include "keys_modinv.h"
#include "sakke.h"

TestSuite(keys_modinv);

static void
to_limbs(uint64_t *l, size_t n, const BIGNUM *b)
{
	unsigned char be[8 * KEYS_MODINV_MAXL];
	size_t i, j;

	cr_assert_eq(BN_bn2binpad(b, be, (int)(8 * n)), (int)(8 * n));
	for (i = 0; i < n; i++) {
		l[i] = 0;
		for (j = 0; j < 8; j++)
			l[i] |= (uint64_t)be[8 * n - 1 - (8 * i + j)] << (8 * j);
	}
}

/* |rounds| random a in [1, m-1]: ours equals BN_mod_inverse, or both refuse. */
static void
against_openssl(const BIGNUM *m, unsigned int rounds)
{
	size_t n = ((size_t)BN_num_bits(m) + 63) / 64;
	uint64_t lm[KEYS_MODINV_MAXL], la[KEYS_MODINV_MAXL], lr[KEYS_MODINV_MAXL];
	uint64_t want[KEYS_MODINV_MAXL];
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *a = BN_new(), *inv = BN_new();
	unsigned int i;

	cr_assert(ctx && a && inv);
	to_limbs(lm, n, m);
	for (i = 0; i < rounds; i++) {
		bool exists;
		int rc;

		do
			cr_assert(BN_rand_range(a, m));
		while (BN_is_zero(a));
		if (i == 0)
			cr_assert(BN_one(a));
		if (i == 1)
			cr_assert(BN_sub(a, m, BN_value_one()));	/* m - 1 */
		to_limbs(la, n, a);
		exists = BN_mod_inverse(inv, a, m, ctx) != NULL;
		ERR_clear_error();
		rc = keys_modinv_vartime(lr, la, lm, n);
		if (!exists) {
			cr_assert_eq(rc, -KEYS_E_RANGE);
			continue;
		}
		cr_assert_eq(rc, 0, "round %u: %d", i, rc);
		to_limbs(want, n, inv);
		cr_assert_arr_eq(lr, want, n * sizeof(uint64_t), "round %u, %zu limbs", i, n);
	}
	BN_free(a);
	BN_free(inv);
	BN_CTX_free(ctx);
}

Test(keys_modinv, p256_order_and_sakke_p_q)
{
	uint8_t p[SAKKE_L], q[SAKKE_L], pt[SAKKE_POINT_LEN], g[SAKKE_L];
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *bp, *bq;

	cr_assert_not_null(grp);
	sakke_params(p, q, pt, g);
	bp = BN_bin2bn(p, SAKKE_L, NULL);
	bq = BN_bin2bn(q, SAKKE_L, NULL);
	against_openssl(EC_GROUP_get0_order(grp), 3000);
	against_openssl(bp, 500);
	against_openssl(bq, 500);
	BN_free(bp);
	BN_free(bq);
	EC_GROUP_free(grp);
}

Test(keys_modinv, random_odd_moduli_of_every_length)
{
	BIGNUM *m = BN_new();
	size_t n;

	for (n = 1; n <= KEYS_MODINV_MAXL; n++) {
		/* top bit set, odd; composite moduli exercise gcd > 1 */
		cr_assert(BN_rand(m, (int)(64 * n), BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD));
		against_openssl(m, 200);
	}
	BN_free(m);
}

Test(keys_modinv, edge_cases)
{
	uint64_t m[2] = {15, 0}, a[2] = {0, 0}, r[2] = {7, 7};

	cr_assert_eq(keys_modinv_vartime(r, a, m, 1), -KEYS_E_RANGE);	/* a = 0 */
	cr_assert_eq(r[0], 0);
	a[0] = 5;
	cr_assert_eq(keys_modinv_vartime(r, a, m, 1), -KEYS_E_RANGE);	/* gcd 5 */
	a[0] = 2;
	cr_assert_eq(keys_modinv_vartime(r, a, m, 1), 0);
	cr_assert_eq(r[0], 8);						/* 2 * 8 = 16 */
	m[0] = 16;
	cr_assert_eq(keys_modinv_vartime(r, a, m, 1), -KEYS_E_ARG);	/* even m */
	m[0] = 15;
	cr_assert_eq(keys_modinv_vartime(r, a, m, 0), -KEYS_E_ARG);
	cr_assert_eq(keys_modinv_vartime(r, a, m, KEYS_MODINV_MAXL + 1), -KEYS_E_ARG);
}
