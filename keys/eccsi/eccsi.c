/* SPDX-License-Identifier: proprietary */
/*
 * ECCSI (RFC 6507) on P-256. Curve arithmetic is OpenSSL's: for P-256 its
 * EC_POINT_mul is constant time in the scalar (fixed-base table for G,
 * windowed ladder for other points), which covers the secret scalars KSAK, v
 * and j. Arithmetic mod q on secrets (HS·v, r·SSK) runs on BN_FLG_CONSTTIME
 * values in Montgomery form; the one inversion is blinded by a random factor
 * and the blinded (uniformly random) value inverted by the variable-time
 * keys_modinv_vartime(), several times faster than BN_mod_inverse. BIGNUMs
 * holding secrets come from a secure BN_CTX and are cleared when the context
 * ends.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <sodium.h>

#include "eccsi.h"
#include "keys_modinv.h"

#define WIPE(a)                                                                          \
	do {                                                                             \
		_Static_assert(!__builtin_types_compatible_p(__typeof__(a),              \
							     __typeof__(&(a)[0])),       \
			       "WIPE takes an array");                                   \
		sodium_memzero((a), sizeof(a));                                          \
	} while (0)

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "q_l assumes little endian");

#define MAX_TRIES 16	/* draws of v or j before giving up (each retry has p ~ 2^-256) */

struct eccsi_signer {
	uint8_t ssk[ECCSI_SSK_LEN];
	uint8_t hs[ECCSI_HS_LEN];
	uint8_t pvt[ECCSI_POINT_LEN];
};

/* Curve objects, built once and then only read. */
static struct {
	EC_GROUP *group;
	BIGNUM *p;
	const BIGNUM *q;
	uint64_t q_l[ECCSI_N / 8];	/* q as little-endian limbs */
	BN_MONT_CTX *mont_q;
	EVP_MD *sha256;
	uint8_t g[ECCSI_POINT_LEN];
} c;
static pthread_once_t c_once = PTHREAD_ONCE_INIT;

static void
curve_setup(void)
{
	BN_CTX *bn = BN_CTX_new();
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *p = BN_new();
	BN_MONT_CTX *m = BN_MONT_CTX_new();
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);

	if (bn == NULL || g == NULL || p == NULL || m == NULL || md == NULL ||
	    !EC_GROUP_get_curve(g, p, NULL, NULL, bn) ||
	    !BN_MONT_CTX_set(m, EC_GROUP_get0_order(g), bn) ||
	    BN_bn2lebinpad(EC_GROUP_get0_order(g), (unsigned char *)c.q_l, ECCSI_N) != ECCSI_N ||
	    EC_POINT_point2oct(g, EC_GROUP_get0_generator(g), POINT_CONVERSION_UNCOMPRESSED,
			       c.g, sizeof(c.g), bn) != sizeof(c.g)) {
		EC_GROUP_free(g);
		BN_free(p);
		BN_MONT_CTX_free(m);
		EVP_MD_free(md);
		BN_CTX_free(bn);
		ERR_clear_error();
		return;
	}
	BN_CTX_free(bn);
	c.p = p;
	c.q = EC_GROUP_get0_order(g);
	c.mont_q = m;
	c.sha256 = md;
	c.group = g;	/* last: readers test it */
}

static int
curve(void)
{
	if (pthread_once(&c_once, curve_setup) != 0 || c.group == NULL)
		return -KEYS_E_CRYPTO;
	return 0;
}

/* SHA-256 over up to four (pointer, length) parts; NULL parts are skipped. */
static int
sha256(uint8_t out[32], const void *a, size_t al, const void *b, size_t bl, const void *d,
       size_t dl, const void *e, size_t el)
{
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int ok;

	ok = h != NULL && EVP_DigestInit_ex(h, c.sha256, NULL) &&
	     (al == 0 || EVP_DigestUpdate(h, a, al)) && (bl == 0 || EVP_DigestUpdate(h, b, bl)) &&
	     (dl == 0 || EVP_DigestUpdate(h, d, dl)) && (el == 0 || EVP_DigestUpdate(h, e, el)) &&
	     EVP_DigestFinal_ex(h, out, NULL);
	EVP_MD_CTX_free(h);
	return ok ? 0 : -KEYS_E_CRYPTO;
}

/*
 * Decode a received 04 || x || y into |pt| (RFC 6507 §3.3): prefix, x, y < p,
 * on the curve. An affine point is never the point at infinity.
 */
static int
point_decode(EC_POINT *pt, const uint8_t in[ECCSI_POINT_LEN], BN_CTX *bn)
{
	BIGNUM *x, *y;
	int rc = -KEYS_E_POINT;

	if (in[0] != 0x04)
		return -KEYS_E_POINT;
	BN_CTX_start(bn);
	x = BN_CTX_get(bn);
	y = BN_CTX_get(bn);
	if (y == NULL) {
		rc = -KEYS_E_NOMEM;
		goto out;
	}
	if (BN_bin2bn(in + 1, ECCSI_N, x) == NULL || BN_bin2bn(in + 1 + ECCSI_N, ECCSI_N, y) == NULL) {
		rc = -KEYS_E_NOMEM;
		goto out;
	}
	if (BN_cmp(x, c.p) >= 0 || BN_cmp(y, c.p) >= 0)
		goto out;
	ERR_set_mark();
	if (EC_POINT_set_affine_coordinates(c.group, pt, x, y, bn) == 1 &&
	    EC_POINT_is_on_curve(c.group, pt, bn) == 1 &&
	    !EC_POINT_is_at_infinity(c.group, pt))
		rc = 0;
	ERR_pop_to_mark();
out:
	BN_CTX_end(bn);
	return rc;
}

static int
point_encode(uint8_t out[ECCSI_POINT_LEN], const EC_POINT *pt, BN_CTX *bn)
{
	if (EC_POINT_point2oct(c.group, pt, POINT_CONVERSION_UNCOMPRESSED, out, ECCSI_POINT_LEN,
			       bn) != ECCSI_POINT_LEN)
		return -KEYS_E_CRYPTO;
	return 0;
}

/* A secret 32-octet scalar in [1, q-1] into |x| (flagged constant time). */
static int
scalar_load(BIGNUM *x, const uint8_t in[ECCSI_SCALAR_LEN])
{
	BN_set_flags(x, BN_FLG_CONSTTIME);
	if (BN_bin2bn(in, ECCSI_SCALAR_LEN, x) == NULL)
		return -KEYS_E_NOMEM;
	if (BN_is_zero(x) || BN_cmp(x, c.q) >= 0)
		return -KEYS_E_RANGE;
	return 0;
}

/* A uniformly random scalar in [1, q-1] (rejection sampling). */
static int
scalar_random(BIGNUM *x)
{
	uint8_t buf[ECCSI_SCALAR_LEN];
	int rc = -KEYS_E_RANDOM, i;

	for (i = 0; i < MAX_TRIES && rc == -KEYS_E_RANDOM; i++) {
		randombytes_buf(buf, sizeof(buf));
		rc = scalar_load(x, buf);
		if (rc == -KEYS_E_RANGE)
			rc = -KEYS_E_RANDOM;
	}
	WIPE(buf);
	return rc;
}

/* r = a·b mod q for a, b in [0, q-1], in fixed-width Montgomery arithmetic. */
static int
modq_mul(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, BN_CTX *bn)
{
	BIGNUM *t;
	int ok;

	BN_CTX_start(bn);
	t = BN_CTX_get(bn);
	if (t != NULL)
		BN_set_flags(t, BN_FLG_CONSTTIME);
	ok = t != NULL && BN_to_montgomery(t, a, c.mont_q, bn) &&
	     BN_mod_mul_montgomery(r, t, b, c.mont_q, bn);
	BN_CTX_end(bn);
	return ok ? 0 : -KEYS_E_CRYPTO;
}

/*
 * u = u^-1 mod q for u in [1, q-1] blinded by a random factor (uniform
 * whatever the secret it hides): keys_modinv_vartime(), several times faster
 * than BN_mod_inverse at this size.
 */
static int
modq_inv_blinded(BIGNUM *u)
{
	uint64_t l[ECCSI_N / 8];
	int rc = -KEYS_E_CRYPTO;

	if (BN_bn2lebinpad(u, (unsigned char *)l, ECCSI_N) == ECCSI_N &&
	    keys_modinv_vartime(l, l, c.q_l, ECCSI_N / 8) == 0 &&
	    BN_lebin2bn((const unsigned char *)l, ECCSI_N, u) != NULL)
		rc = 0;
	WIPE(l);
	return rc;
}

/* A public 32-octet big-endian integer reduced mod q. */
static int
public_modq(BIGNUM *x, const uint8_t in[ECCSI_N], BN_CTX *bn)
{
	if (BN_bin2bn(in, ECCSI_N, x) == NULL || !BN_nnmod(x, x, c.q, bn))
		return -KEYS_E_CRYPTO;
	return 0;
}

int
eccsi_kms_pubkey(uint8_t kpak[ECCSI_POINT_LEN], const uint8_t ksak[ECCSI_SCALAR_LEN])
{
	BN_CTX *bn;
	BIGNUM *k;
	EC_POINT *pt = NULL;
	int rc;

	if (kpak == NULL || ksak == NULL)
		return -KEYS_E_ARG;
	rc = curve();
	if (rc < 0)
		return rc;
	bn = BN_CTX_secure_new();
	if (bn == NULL)
		return -KEYS_E_NOMEM;
	BN_CTX_start(bn);
	k = BN_CTX_get(bn);
	pt = EC_POINT_new(c.group);
	if (k == NULL || pt == NULL) {
		rc = -KEYS_E_NOMEM;
		goto out;
	}
	rc = scalar_load(k, ksak);
	if (rc < 0)
		goto out;
	/* RFC 6507 §4.2: KPAK = [KSAK]G */
	if (!EC_POINT_mul(c.group, pt, k, NULL, NULL, bn)) {
		rc = -KEYS_E_CRYPTO;
		goto out;
	}
	rc = point_encode(kpak, pt, bn);
out:
	EC_POINT_clear_free(pt);
	BN_CTX_end(bn);
	BN_CTX_free(bn);
	return rc;
}

int
eccsi_kms_keygen(uint8_t ksak[ECCSI_SCALAR_LEN], uint8_t kpak[ECCSI_POINT_LEN])
{
	BN_CTX *bn;
	BIGNUM *k;
	int rc;

	if (ksak == NULL || kpak == NULL)
		return -KEYS_E_ARG;
	rc = curve();
	if (rc < 0)
		return rc;
	bn = BN_CTX_secure_new();
	if (bn == NULL)
		return -KEYS_E_NOMEM;
	BN_CTX_start(bn);
	k = BN_CTX_get(bn);
	rc = k == NULL ? -KEYS_E_NOMEM : scalar_random(k);
	if (rc == 0 && BN_bn2binpad(k, ksak, ECCSI_SCALAR_LEN) != ECCSI_SCALAR_LEN)
		rc = -KEYS_E_CRYPTO;
	if (rc == 0)
		rc = eccsi_kms_pubkey(kpak, ksak);
	BN_CTX_end(bn);
	BN_CTX_free(bn);
	if (rc < 0) {
		sodium_memzero(ksak, ECCSI_SCALAR_LEN);
		sodium_memzero(kpak, ECCSI_POINT_LEN);
	}
	return rc;
}

int
eccsi_kpak_validate(const uint8_t kpak[ECCSI_POINT_LEN])
{
	BN_CTX *bn;
	EC_POINT *pt;
	int rc;

	if (kpak == NULL)
		return -KEYS_E_ARG;
	rc = curve();
	if (rc < 0)
		return rc;
	bn = BN_CTX_new();
	pt = EC_POINT_new(c.group);
	rc = bn == NULL || pt == NULL ? -KEYS_E_NOMEM : point_decode(pt, kpak, bn);
	EC_POINT_free(pt);
	BN_CTX_free(bn);
	return rc;
}

int
eccsi_hs(uint8_t hs[ECCSI_HS_LEN], const uint8_t kpak[ECCSI_POINT_LEN], const uint8_t *id,
	 size_t id_len, const uint8_t pvt[ECCSI_POINT_LEN])
{
	int rc;

	if (hs == NULL || kpak == NULL || pvt == NULL || (id == NULL && id_len != 0))
		return -KEYS_E_ARG;
	rc = curve();
	if (rc < 0)
		return rc;
	/* RFC 6507 §5.1.1 step 3: all points 65-octet uncompressed, ID raw */
	return sha256(hs, c.g, ECCSI_POINT_LEN, kpak, ECCSI_POINT_LEN, id, id_len, pvt,
		      ECCSI_POINT_LEN);
}

/*
 * RFC 6507 §5.1.1 steps 2-5 for one v: PVT = [v]G, HS, SSK = KSAK + HS·v.
 * -KEYS_E_RANGE when HS or SSK is 0 mod q (the caller draws another v).
 */
static int
issue_one(uint8_t ssk[ECCSI_SSK_LEN], uint8_t pvt[ECCSI_POINT_LEN], const BIGNUM *ksak,
	  const uint8_t kpak[ECCSI_POINT_LEN], const uint8_t *id, size_t id_len,
	  const BIGNUM *v, BN_CTX *bn)
{
	uint8_t hs[ECCSI_HS_LEN];
	EC_POINT *pt = EC_POINT_new(c.group);
	BIGNUM *h, *s;
	int rc;

	BN_CTX_start(bn);
	h = BN_CTX_get(bn);
	s = BN_CTX_get(bn);
	if (pt == NULL || s == NULL) {
		rc = -KEYS_E_NOMEM;
		goto out;
	}
	BN_set_flags(s, BN_FLG_CONSTTIME);
	/* step 2: PVT = [v]G */
	rc = EC_POINT_mul(c.group, pt, v, NULL, NULL, bn) ? point_encode(pvt, pt, bn)
							  : -KEYS_E_CRYPTO;
	/* step 3: HS = hash(G || KPAK || ID || PVT) */
	if (rc == 0)
		rc = eccsi_hs(hs, kpak, id, id_len, pvt);
	if (rc == 0)
		rc = public_modq(h, hs, bn);
	/* step 4: SSK = (KSAK + HS·v) mod q */
	if (rc == 0)
		rc = modq_mul(s, h, v, bn);
	if (rc == 0 && !BN_mod_add_quick(s, s, ksak, c.q))
		rc = -KEYS_E_CRYPTO;
	if (rc < 0)
		goto out;
	/* step 5: neither SSK nor HS may be 0 mod q */
	if (BN_is_zero(s) || BN_is_zero(h)) {
		rc = -KEYS_E_RANGE;
		goto out;
	}
	if (BN_bn2binpad(s, ssk, ECCSI_SSK_LEN) != ECCSI_SSK_LEN)
		rc = -KEYS_E_CRYPTO;
out:
	WIPE(hs);
	EC_POINT_clear_free(pt);
	BN_CTX_end(bn);
	return rc;
}

/* eccsi_kms_issue(_with_v): |vin| NULL draws v, as many times as needed. */
static int
kms_issue(uint8_t ssk[ECCSI_SSK_LEN], uint8_t pvt[ECCSI_POINT_LEN],
	  const uint8_t ksak[ECCSI_SCALAR_LEN], const uint8_t kpak[ECCSI_POINT_LEN],
	  const uint8_t *id, size_t id_len, const uint8_t *vin)
{
	BN_CTX *bn;
	BIGNUM *k, *v;
	int rc, i;

	if (ssk == NULL || pvt == NULL || ksak == NULL || kpak == NULL ||
	    (id == NULL && id_len != 0))
		return -KEYS_E_ARG;
	rc = curve();
	if (rc < 0)
		return rc;
	bn = BN_CTX_secure_new();
	if (bn == NULL)
		return -KEYS_E_NOMEM;
	BN_CTX_start(bn);
	k = BN_CTX_get(bn);
	v = BN_CTX_get(bn);
	if (v == NULL) {
		rc = -KEYS_E_NOMEM;
		goto out;
	}
	rc = scalar_load(k, ksak);
	if (rc < 0)
		goto out;
	if (vin != NULL) {
		rc = scalar_load(v, vin);
		if (rc == 0)
			rc = issue_one(ssk, pvt, k, kpak, id, id_len, v, bn);
		goto out;
	}
	rc = -KEYS_E_RANGE;
	for (i = 0; i < MAX_TRIES && rc == -KEYS_E_RANGE; i++) {
		/* step 1: fresh v in [1, q-1]; step 6: erased with the BN_CTX */
		rc = scalar_random(v);
		if (rc == 0)
			rc = issue_one(ssk, pvt, k, kpak, id, id_len, v, bn);
	}
	if (rc == -KEYS_E_RANGE)
		rc = -KEYS_E_RANDOM;
out:
	BN_CTX_end(bn);
	BN_CTX_free(bn);
	if (rc < 0) {
		sodium_memzero(ssk, ECCSI_SSK_LEN);
		sodium_memzero(pvt, ECCSI_POINT_LEN);
	}
	return rc;
}

int
eccsi_kms_issue(uint8_t ssk[ECCSI_SSK_LEN], uint8_t pvt[ECCSI_POINT_LEN],
		const uint8_t ksak[ECCSI_SCALAR_LEN], const uint8_t kpak[ECCSI_POINT_LEN],
		const uint8_t *id, size_t id_len)
{
	return kms_issue(ssk, pvt, ksak, kpak, id, id_len, NULL);
}

int
eccsi_kms_issue_with_v(uint8_t ssk[ECCSI_SSK_LEN], uint8_t pvt[ECCSI_POINT_LEN],
		       const uint8_t ksak[ECCSI_SCALAR_LEN],
		       const uint8_t kpak[ECCSI_POINT_LEN], const uint8_t *id, size_t id_len,
		       const uint8_t v[ECCSI_SCALAR_LEN])
{
	if (v == NULL)
		return -KEYS_E_ARG;
	return kms_issue(ssk, pvt, ksak, kpak, id, id_len, v);
}

/* Y = [HS]PVT + KPAK (RFC 6507 §5.1.2 step 3 rearranged, §5.2.2 step 4). */
static int
y_point(EC_POINT *y, const BIGNUM *hs, const EC_POINT *pvt, const EC_POINT *kpak, BN_CTX *bn)
{
	if (!EC_POINT_mul(c.group, y, NULL, pvt, hs, bn) || !EC_POINT_add(c.group, y, y, kpak, bn))
		return -KEYS_E_CRYPTO;
	return 0;
}

int
eccsi_ssk_validate(uint8_t hs_out[ECCSI_HS_LEN], const uint8_t ssk[ECCSI_SSK_LEN],
		   const uint8_t pvt[ECCSI_POINT_LEN], const uint8_t kpak[ECCSI_POINT_LEN],
		   const uint8_t *id, size_t id_len)
{
	uint8_t hs[ECCSI_HS_LEN];
	EC_POINT *pv = NULL, *kp = NULL, *y = NULL, *t = NULL;
	BIGNUM *h, *s;
	BN_CTX *bn;
	int rc;

	if (ssk == NULL || pvt == NULL || kpak == NULL || (id == NULL && id_len != 0))
		return -KEYS_E_ARG;
	rc = curve();
	if (rc < 0)
		return rc;
	bn = BN_CTX_secure_new();
	if (bn == NULL)
		return -KEYS_E_NOMEM;
	BN_CTX_start(bn);
	h = BN_CTX_get(bn);
	s = BN_CTX_get(bn);
	pv = EC_POINT_new(c.group);
	kp = EC_POINT_new(c.group);
	y = EC_POINT_new(c.group);
	t = EC_POINT_new(c.group);
	if (s == NULL || pv == NULL || kp == NULL || y == NULL || t == NULL) {
		rc = -KEYS_E_NOMEM;
		goto out;
	}
	rc = point_decode(kp, kpak, bn);
	if (rc == -KEYS_E_POINT)
		rc = -KEYS_E_KEY;
	/* step 1: PVT on the curve */
	if (rc == 0)
		rc = point_decode(pv, pvt, bn);
	if (rc == 0 && scalar_load(s, ssk) < 0)
		rc = -KEYS_E_KEY;
	/* step 2: HS = hash(G || KPAK || ID || PVT) */
	if (rc == 0)
		rc = eccsi_hs(hs, kpak, id, id_len, pvt);
	if (rc == 0)
		rc = public_modq(h, hs, bn);
	/* step 3: KPAK == [SSK]G - [HS]PVT, as [SSK]G == [HS]PVT + KPAK */
	if (rc == 0)
		rc = y_point(y, h, pv, kp, bn);
	if (rc == 0 && !EC_POINT_mul(c.group, t, s, NULL, NULL, bn))
		rc = -KEYS_E_CRYPTO;
	if (rc < 0)
		goto out;
	if (EC_POINT_cmp(c.group, t, y, bn) != 0) {
		rc = -KEYS_E_KEY;
		goto out;
	}
	if (hs_out != NULL)
		memcpy(hs_out, hs, ECCSI_HS_LEN);
out:
	WIPE(hs);
	EC_POINT_free(pv);
	EC_POINT_free(kp);
	EC_POINT_free(y);
	EC_POINT_clear_free(t);
	BN_CTX_end(bn);
	BN_CTX_free(bn);
	return rc;
}

int
eccsi_signer_new(struct eccsi_signer **out, const uint8_t ssk[ECCSI_SSK_LEN],
		 const uint8_t pvt[ECCSI_POINT_LEN], const uint8_t kpak[ECCSI_POINT_LEN],
		 const uint8_t *id, size_t id_len)
{
	struct eccsi_signer *s;
	int rc;

	if (out == NULL)
		return -KEYS_E_ARG;
	*out = NULL;
	if (ssk == NULL || pvt == NULL)
		return -KEYS_E_ARG;
	s = sodium_malloc(sizeof(*s));
	if (s == NULL)
		return -KEYS_E_NOMEM;
	rc = eccsi_ssk_validate(s->hs, ssk, pvt, kpak, id, id_len);
	if (rc < 0) {
		eccsi_signer_free(s);
		return rc;
	}
	memcpy(s->ssk, ssk, ECCSI_SSK_LEN);
	memcpy(s->pvt, pvt, ECCSI_POINT_LEN);
	sodium_mprotect_readonly(s);
	*out = s;
	return 0;
}

void
eccsi_signer_free(struct eccsi_signer *s)
{
	/* sodium_free wipes, whatever the protection */
	sodium_free(s);
}

/*
 * RFC 6507 §5.2.1 steps 2-7 for one j. -KEYS_E_RANGE when HE + r·SSK is
 * 0 mod q (the caller draws another j).
 */
static int
sign_one(uint8_t sig[ECCSI_SIG_LEN], const struct eccsi_signer *sg, const uint8_t *msg,
	 size_t msg_len, const BIGNUM *j, BN_CTX *bn)
{
	uint8_t he[ECCSI_N];
	uint8_t *r = sig, *s = sig + ECCSI_N;
	EC_POINT *jp = EC_POINT_new(c.group);
	BIGNUM *jx, *e, *k, *t, *b, *u;
	int rc = -KEYS_E_NOMEM;

	BN_CTX_start(bn);
	jx = BN_CTX_get(bn);
	e = BN_CTX_get(bn);
	k = BN_CTX_get(bn);
	t = BN_CTX_get(bn);
	b = BN_CTX_get(bn);
	u = BN_CTX_get(bn);
	if (jp == NULL || u == NULL)
		goto out;
	BN_set_flags(k, BN_FLG_CONSTTIME);
	BN_set_flags(t, BN_FLG_CONSTTIME);
	BN_set_flags(b, BN_FLG_CONSTTIME);
	/* step 2: J = [j]G, r = Jx */
	rc = -KEYS_E_CRYPTO;
	if (!EC_POINT_mul(c.group, jp, j, NULL, NULL, bn) ||
	    !EC_POINT_get_affine_coordinates(c.group, jp, jx, NULL, bn) ||
	    BN_bn2binpad(jx, r, ECCSI_N) != ECCSI_N)
		goto out;
	/* step 3: HE = hash(HS || r || M) */
	rc = sha256(he, sg->hs, ECCSI_HS_LEN, r, ECCSI_N, msg, msg_len, NULL, 0);
	if (rc == 0)
		rc = public_modq(e, he, bn);
	if (rc == 0 && !BN_nnmod(jx, jx, c.q, bn))
		rc = -KEYS_E_CRYPTO;
	/* step 4: t = HE + r·SSK mod q, which must not be 0 */
	if (rc == 0)
		rc = scalar_load(k, sg->ssk) == 0 ? modq_mul(t, jx, k, bn) : -KEYS_E_KEY;
	if (rc == 0 && !BN_mod_add_quick(t, t, e, c.q))
		rc = -KEYS_E_CRYPTO;
	if (rc < 0)
		goto out;
	if (BN_is_zero(t)) {
		rc = -KEYS_E_RANGE;
		goto out;
	}
	/*
	 * step 5: s' = t^-1 · j mod q, blinded: s' = (t·b)^-1 · (j·b) for a
	 * random b, so the inversion never sees t itself: u = t·b is uniform
	 * in [1, q-1] whatever t is, and may be inverted in variable time.
	 */
	rc = scalar_random(b);
	if (rc == 0)
		rc = modq_mul(u, t, b, bn);
	if (rc == 0)
		rc = modq_mul(b, j, b, bn);
	if (rc == 0)
		rc = modq_inv_blinded(u);
	if (rc == 0)
		rc = modq_mul(t, u, b, bn);
	/* step 6: s' < q < 2^256 always fits in N octets on P-256, so s = s' */
	if (rc == 0 && BN_bn2binpad(t, s, ECCSI_N) != ECCSI_N)
		rc = -KEYS_E_CRYPTO;
	/* step 7: Signature = r || s || PVT */
	if (rc == 0)
		memcpy(sig + ECCSI_SIG_PVT_OFF, sg->pvt, ECCSI_POINT_LEN);
out:
	WIPE(he);
	EC_POINT_clear_free(jp);
	BN_CTX_end(bn);
	return rc;
}

static int
sign(uint8_t sig[ECCSI_SIG_LEN], const struct eccsi_signer *sg, const uint8_t *msg,
     size_t msg_len, const uint8_t *jin)
{
	BN_CTX *bn;
	BIGNUM *j;
	int rc, i;

	if (sig == NULL || sg == NULL || (msg == NULL && msg_len != 0))
		return -KEYS_E_ARG;
	rc = curve();
	if (rc < 0)
		return rc;
	bn = BN_CTX_secure_new();
	if (bn == NULL)
		return -KEYS_E_NOMEM;
	BN_CTX_start(bn);
	j = BN_CTX_get(bn);
	if (j == NULL) {
		rc = -KEYS_E_NOMEM;
		goto out;
	}
	if (jin != NULL) {
		rc = scalar_load(j, jin);
		if (rc == 0)
			rc = sign_one(sig, sg, msg, msg_len, j, bn);
		goto out;
	}
	rc = -KEYS_E_RANGE;
	for (i = 0; i < MAX_TRIES && rc == -KEYS_E_RANGE; i++) {
		/* step 1: fresh j in [1, q-1]; erased with the BN_CTX */
		rc = scalar_random(j);
		if (rc == 0)
			rc = sign_one(sig, sg, msg, msg_len, j, bn);
	}
	if (rc == -KEYS_E_RANGE)
		rc = -KEYS_E_RANDOM;
out:
	BN_CTX_end(bn);
	BN_CTX_free(bn);
	if (rc < 0)
		sodium_memzero(sig, ECCSI_SIG_LEN);
	return rc;
}

int
eccsi_sign(uint8_t sig[ECCSI_SIG_LEN], const struct eccsi_signer *s, const uint8_t *msg,
	   size_t msg_len)
{
	return sign(sig, s, msg, msg_len, NULL);
}

int
eccsi_sign_with_j(uint8_t sig[ECCSI_SIG_LEN], const struct eccsi_signer *s,
		  const uint8_t *msg, size_t msg_len, const uint8_t j[ECCSI_SCALAR_LEN])
{
	if (j == NULL)
		return -KEYS_E_ARG;
	return sign(sig, s, msg, msg_len, j);
}

/* RFC 6507 §5.2.2 steps 2-6 on decoded points; public data only. */
static int
verify_points(const uint8_t *msg, size_t msg_len, const uint8_t *sig, const uint8_t *id,
	      size_t id_len, const uint8_t *kpak, const EC_POINT *kp, const EC_POINT *pv,
	      BN_CTX *bn)
{
	uint8_t hs[ECCSI_HS_LEN], he[ECCSI_N], jx_enc[ECCSI_N];
	EC_POINT *y = EC_POINT_new(c.group), *jp = EC_POINT_new(c.group);
	BIGNUM *h, *e, *r, *s, *jx;
	int rc = -KEYS_E_NOMEM;

	BN_CTX_start(bn);
	h = BN_CTX_get(bn);
	e = BN_CTX_get(bn);
	r = BN_CTX_get(bn);
	s = BN_CTX_get(bn);
	jx = BN_CTX_get(bn);
	if (y == NULL || jp == NULL || jx == NULL)
		goto out;
	/* step 2: HS = hash(G || KPAK || ID || PVT); step 3: HE = hash(HS || r || M) */
	rc = eccsi_hs(hs, kpak, id, id_len, sig + ECCSI_SIG_PVT_OFF);
	if (rc == 0)
		rc = sha256(he, hs, ECCSI_HS_LEN, sig, ECCSI_N, msg, msg_len, NULL, 0);
	if (rc == 0)
		rc = public_modq(h, hs, bn);
	/* step 4: Y = [HS]PVT + KPAK */
	if (rc == 0)
		rc = y_point(y, h, pv, kp, bn);
	/* step 5: J = [s]([HE]G + [r]Y) = [s·HE]G + [s·r]Y */
	if (rc == 0)
		rc = public_modq(e, he, bn);
	if (rc == 0)
		rc = public_modq(r, sig, bn);
	if (rc == 0)
		rc = public_modq(s, sig + ECCSI_N, bn);
	if (rc == 0 && (!BN_mod_mul(e, e, s, c.q, bn) || !BN_mod_mul(r, r, s, c.q, bn) ||
			!EC_POINT_mul(c.group, jp, e, y, r, bn)))
		rc = -KEYS_E_CRYPTO;
	if (rc < 0)
		goto out;
	/* step 6: J not infinity, Jx mod p != 0, Jx == r mod p */
	rc = -KEYS_E_VERIFY;
	if (EC_POINT_is_at_infinity(c.group, jp))
		goto out;
	if (!EC_POINT_get_affine_coordinates(c.group, jp, jx, NULL, bn) || BN_is_zero(jx))
		goto out;
	if (BN_bin2bn(sig, ECCSI_N, r) == NULL || !BN_nnmod(r, r, c.p, bn) ||
	    BN_bn2binpad(r, hs, ECCSI_N) != ECCSI_N ||
	    BN_bn2binpad(jx, jx_enc, ECCSI_N) != ECCSI_N)
		goto out;
	if (sodium_memcmp(hs, jx_enc, ECCSI_N) == 0)
		rc = 0;
out:
	EC_POINT_free(y);
	EC_POINT_free(jp);
	BN_CTX_end(bn);
	return rc;
}

int
eccsi_verify(const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len,
	     const uint8_t *id, size_t id_len, const uint8_t kpak[ECCSI_POINT_LEN])
{
	EC_POINT *kp = NULL, *pv = NULL;
	BN_CTX *bn;
	int rc;

	if ((msg == NULL && msg_len != 0) || (sig == NULL && sig_len != 0) ||
	    (id == NULL && id_len != 0) || kpak == NULL)
		return -KEYS_E_ARG;
	/* step 1: r (32) || s (32) || PVT (65), exactly */
	if (sig_len != ECCSI_SIG_LEN)
		return -KEYS_E_PARSE;
	rc = curve();
	if (rc < 0)
		return rc;
	bn = BN_CTX_new();
	kp = EC_POINT_new(c.group);
	pv = EC_POINT_new(c.group);
	if (bn == NULL || kp == NULL || pv == NULL) {
		rc = -KEYS_E_NOMEM;
		goto out;
	}
	rc = point_decode(kp, kpak, bn);
	if (rc == -KEYS_E_POINT)
		rc = -KEYS_E_KEY;
	/* step 1: PVT must be a valid point */
	if (rc == 0)
		rc = point_decode(pv, sig + ECCSI_SIG_PVT_OFF, bn);
	if (rc == 0)
		rc = verify_points(msg, msg_len, sig, id, id_len, kpak, kp, pv, bn);
out:
	EC_POINT_free(kp);
	EC_POINT_free(pv);
	BN_CTX_free(bn);
	return rc;
}
