/* SPDX-License-Identifier: proprietary */
/*
 * SAKKE (RFC 6508), parameter set 1 (RFC 6509 Appendix A).
 *
 * Field arithmetic: OpenSSL BIGNUMs in Montgomery form (BN_mod_mul_montgomery
 * on 16 limbs). Points: Jacobian coordinates for a = -3; lines of the pairing
 * are scaled by F_p factors freely, since the result lives in
 * PF_p = F_p^2* / F_p* (RFC 6508 §3.2).
 *
 * Secret scalars (z, (a+z)^-1, r) go through a fixed-base Lim-Lee comb (6
 * teeth; 4 tables of 43 columns for P and for gamma = 1 + i·g, built once,
 * and for a receiver's [b]P + Z; 2 tables of 86 columns for a sender's)
 * whose table entry is selected by scanning every entry with masks, and
 * whose additions run for every column and table, the point at infinity and
 * zero digits being resolved by BN_consttime_swap: the sequence of
 * operations and memory accesses does not depend on the scalar. g^r uses
 * the same comb in F_p^2. Every inversion of a secret-dependent value is
 * blinded by a random factor and then done by the variable-time
 * keys_modinv_vartime() on limbs. The residual leaks are those of OpenSSL's
 * BN add/sub (word-length normalisation of intermediate values) and
 * BN_mod_mul_montgomery's slower path for an operand with a zero top word
 * (the point at infinity before the first nonzero comb digit, and a value
 * below 2^960: about 2^-63).
 *
 * Pairing: <A, B> is computed by a line table built from A (affine slopes,
 * one blinded inversion per step; the Miller loop runs over q - 1 in
 * non-adjacent form, 352 chords instead of 512) evaluated at [i]B with
 * multiplications only.
 * A receiver builds the table of its RSK once and computes
 * w = <RSK, R_(b,S)>, which equals <R_(b,S), RSK> of §6.2.2 (the reduced
 * pairing on this curve is symmetric: both points are multiples of P); the
 * inversions on RSK multiples thus happen once, blinded, at setup.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "keys_modinv.h"
#include "sakke.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "limb tables assume little endian");

#define WIPE(a)                                                                          \
	do {                                                                             \
		_Static_assert(!__builtin_types_compatible_p(__typeof__(a),              \
							     __typeof__(&(a)[0])),       \
			       "WIPE takes an array");                                   \
		sodium_memzero((a), sizeof(a));                                          \
	} while (0)

#define NL 16			/* 64-bit limbs of an F_p element */
#define KL (NL + 1)		/* limbs of a comb scalar (CW·CV·e <= 1088 bits) */
#define CW 6			/* comb teeth */
#define CN (1 << CW)		/* entries of one comb table */
#define CV_P 4			/* tables for P and gamma (static, 64 KiB each) */
#define CV_R CV_P		/* for a receiver's [b]P + Z (its lines take 0.5 MiB anyway) */
#define CV_S 2			/* for a sender's [b]P + Z (32 KiB; a GMS has many) */
#define MAX_TRIES 64

/* Parameter set 1 (RFC 6509 Appendix A). */
static const char P_HEX[] =
	"997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2E"
	"F40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0"
	"E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA"
	"9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB";
static const char Q_HEX[] =
	"265EAEC7C2958FF69971846636B4195E905B0338672D20986FA6B8D62CF8068B"
	"BD02AAC9F8BF03C6C8A1CC354C69672C39E46CE7FDF222864D5B49FD2999A9B4"
	"389B1921CC9AD335144AB173595A07386DABFD2A0C614AA0A9F3CF14870F026A"
	"A7E535ABD5A5C7C7FF38FA08E2615F6C203177C42B1EB3A1D99B601EBFAA17FB";
static const char PX_HEX[] =
	"53FC09EE332C29AD0A7990053ED9B52A2B1A2FD60AEC69C698B2F204B6FF7CBF"
	"B5EDB6C0F6CE2308AB10DB9030B09E1043D5F22CDB9DFA55718BD9E7406CE890"
	"9760AF765DD5BCCB337C86548B72F2E1A702C3397A60DE74A7C1514DBA66910D"
	"D5CFB4CC80728D87EE9163A5B63F73EC80EC46C4967E0979880DC8ABEAE63895";
static const char PY_HEX[] =
	"0A8249063F6009F1F9F1F0533634A135D3E82016029906963D778D821E141178"
	"F5EA69F4654EC2B9E7F7F5E5F0DE55F66B598CCF9A140B2E416CFF0CA9E032B9"
	"70DAE117AD547C6CCAD696B5B7652FE0AC6F1E80164AA989492D979FC5A4D5F2"
	"13515AD7E9CB99A980BDAD5AD5BB4636ADB9B5706A67DCDE75573FD71BEF16D7";
static const char G_HEX[] =
	"66FC2A432B6EA392148F15867D623068C6A87BD1FB94C41E27FABE658E015A87"
	"371E94744C96FEDA449AE9563F8BC446CBFDA85D5D00EF577072DA8F541721BE"
	"EE0FAED1828EAB90B99DFB0138C7843355DF0460B4A9FD74B4F1A32BCAFA1FFA"
	"D682C033A7942BCCE3720F20B9B7B0403C8CAE87B7A0042ACDE0FAB36461EA46";

/* A point: Jacobian (x, y, z), or affine (x, y) with z unused; Montgomery form. */
struct pt {
	BIGNUM *x, *y, *z;
};

/* An element a + b·i of F_p^2, Montgomery form. */
struct fe2 {
	BIGNUM *a, *b;
};

/*
 * Comb with v tables of e columns each (Lim-Lee): the scalar bit t·v·e + s·e + j
 * (tooth t, table s, column j) is read in column j of table s, and entry u of
 * table s is the sum of [2^(t·v·e + s·e)]X over the bits t of u (affine x, y),
 * or the product of gamma^(2^(t·v·e + s·e)) (re, im); Montgomery limbs. Entry
 * 0 is a harmless filler (X itself, or 1). A multiplication costs e
 * doublings and v·e additions.
 */
struct comb {
	unsigned int v, e;
	uint64_t t[][CN][2][NL];
};

/* Miller-loop lines of a point A: line k at [i]B is lam[k]·Bx + mu[k] + i·By. */
struct lines {
	BIGNUM **lam, **mu;
	size_t n;
};

struct sakke_sender {
	struct comb *itab;	/* [b]P + Z */
	uint8_t *id;
	size_t id_len;
};

struct sakke_receiver {
	struct lines rsk;	/* secret: wiped on free */
	struct comb *itab;	/* [b]P + Z, public */
	uint8_t *id;
	size_t id_len;
};

static struct {
	BIGNUM *p, *q, *qm1, *one;	/* one in Montgomery form */
	BN_MONT_CTX *mp, *mq;		/* Montgomery contexts mod p, mod q */
	BIGNUM *px, *py;		/* P, Montgomery form */
	struct comb *ptab, *gtab;	/* comb tables of P and gamma = 1 + i·g */
	uint64_t p1[NL], q1[NL], q2[NL], q4[NL];	/* p, q, 2q, 4q as limbs */
	size_t nlines;
	int8_t naf[8 * SAKKE_L + 1];	/* q - 1 in NAF, least significant digit first */
	int nnaf;			/* its digits; the top one is 1 */
	EVP_MD *md;
	uint8_t pb[SAKKE_L], qb[SAKKE_L], pe[SAKKE_POINT_LEN], gb[SAKKE_L];
	int ok;
} S;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

/*
 * Field F_p (Montgomery form) and F_p^2
 */

static int
fmul(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, BN_CTX *bn)
{
	return BN_mod_mul_montgomery(r, a, b, S.mp, bn);
}

static int
fadd(BIGNUM *r, const BIGNUM *a, const BIGNUM *b)
{
	return BN_mod_add_quick(r, a, b, S.p);
}

static int
fsub(BIGNUM *r, const BIGNUM *a, const BIGNUM *b)
{
	return BN_mod_sub_quick(r, a, b, S.p);
}

/* A random nonzero Montgomery-form blinding factor. */
static int
frandom(BIGNUM *r, BN_CTX *bn)
{
	uint8_t buf[SAKKE_L + 16];
	int ok;

	randombytes_buf(buf, sizeof(buf));
	ok = BN_bin2bn(buf, sizeof(buf), r) != NULL && BN_nnmod(r, r, S.p, bn) && !BN_is_zero(r);
	WIPE(buf);
	return ok;
}

static int
limbs_to_bn(BIGNUM *r, const uint64_t l[NL])
{
	return BN_lebin2bn((const unsigned char *)l, NL * 8, r) != NULL;
}

static int
bn_to_limbs(uint64_t l[NL], const BIGNUM *a)
{
	return BN_bn2lebinpad(a, (unsigned char *)l, NL * 8) == NL * 8;
}

/*
 * a = a^-1 mod m (m = p or q as limbs, a in [1, m-1]) by the variable-time
 * keys_modinv_vartime(): a is public or blinded.
 */
static int
bn_inv_vartime(BIGNUM *a, const uint64_t m[NL])
{
	uint64_t l[NL];
	int rc;

	rc = -KEYS_E_CRYPTO;
	if (bn_to_limbs(l, a) && keys_modinv_vartime(l, l, m, NL) == 0 && limbs_to_bn(a, l))
		rc = 0;
	WIPE(l);
	return rc;
}

/*
 * r = 1/a. With |blind|, a is multiplied by a random β first and the
 * result by β again, so the variable-time inversion never sees a.
 * -KEYS_E_POINT when a is 0 (a degenerate input point).
 */
static int
finv(BIGNUM *r, const BIGNUM *a, int blind, BN_CTX *bn)
{
	BIGNUM *t, *beta;
	int rc = -KEYS_E_CRYPTO;

	if (BN_is_zero(a))
		return -KEYS_E_POINT;
	BN_CTX_start(bn);
	t = BN_CTX_get(bn);
	beta = BN_CTX_get(bn);
	if (beta == NULL)
		goto out;
	if (blind) {
		if (!frandom(beta, bn)) {
			rc = -KEYS_E_RANDOM;
			goto out;
		}
		if (!fmul(t, a, beta, bn))
			goto out;
	} else if (BN_copy(t, a) == NULL) {
		goto out;
	}
	if (BN_from_montgomery(t, t, S.mp, bn) && bn_inv_vartime(t, S.p1) == 0 &&
	    BN_to_montgomery(r, t, S.mp, bn) && (!blind || fmul(r, r, beta, bn)))
		rc = 0;
out:
	BN_CTX_end(bn);
	return rc;
}

/* 128 octets of the integer a Montgomery-form value stands for. */
static int
fenc(uint8_t out[SAKKE_L], const BIGNUM *a, BN_CTX *bn)
{
	BIGNUM *t;
	int ok;

	BN_CTX_start(bn);
	t = BN_CTX_get(bn);
	ok = t != NULL && BN_from_montgomery(t, a, S.mp, bn) &&
	     BN_bn2binpad(t, out, SAKKE_L) == SAKKE_L;
	BN_CTX_end(bn);
	return ok;
}

/* A received F_p element: -KEYS_E_POINT when >= p. */
static int
fdec(BIGNUM *r, const uint8_t in[SAKKE_L], BN_CTX *bn)
{
	if (BN_bin2bn(in, SAKKE_L, r) == NULL)
		return -KEYS_E_NOMEM;
	if (BN_cmp(r, S.p) >= 0)
		return -KEYS_E_POINT;
	return BN_to_montgomery(r, r, S.mp, bn) ? 0 : -KEYS_E_CRYPTO;
}

/* (a + bi)^2 = (a + b)(a - b) + 2ab·i */
static int
fe2_sqr(struct fe2 *r, const struct fe2 *x, BN_CTX *bn)
{
	BIGNUM *s, *d;
	int ok;

	BN_CTX_start(bn);
	s = BN_CTX_get(bn);
	d = BN_CTX_get(bn);
	ok = d != NULL && fadd(s, x->a, x->b) && fsub(d, x->a, x->b) &&
	     fmul(r->b, x->a, x->b, bn) && fadd(r->b, r->b, r->b) && fmul(r->a, s, d, bn);
	BN_CTX_end(bn);
	return ok;
}

/* (a + bi)(c + di) = (ac - bd) + ((a + b)(c + d) - ac - bd)·i */
static int
fe2_mul(struct fe2 *r, const struct fe2 *x, const struct fe2 *y, BN_CTX *bn)
{
	BIGNUM *ac, *bd, *s, *t;
	int ok;

	BN_CTX_start(bn);
	ac = BN_CTX_get(bn);
	bd = BN_CTX_get(bn);
	s = BN_CTX_get(bn);
	t = BN_CTX_get(bn);
	ok = t != NULL && fmul(ac, x->a, y->a, bn) && fmul(bd, x->b, y->b, bn) &&
	     fadd(s, x->a, x->b) && fadd(t, y->a, y->b) && fmul(s, s, t, bn) &&
	     fsub(s, s, ac) && fsub(r->b, s, bd) && fsub(r->a, ac, bd);
	BN_CTX_end(bn);
	return ok;
}

/* The PF_p representative b/a of a + bi (§3.2), 128 octets. */
static int
fe2_rep(uint8_t out[SAKKE_L], const struct fe2 *v, BN_CTX *bn)
{
	BIGNUM *t;
	int rc;

	BN_CTX_start(bn);
	t = BN_CTX_get(bn);
	rc = t == NULL ? -KEYS_E_NOMEM : finv(t, v->a, 1, bn);
	if (rc == 0 && !(fmul(t, t, v->b, bn) && fenc(out, t, bn)))
		rc = -KEYS_E_CRYPTO;
	BN_CTX_end(bn);
	return rc;
}

/*
 * Points
 */

static int
pt_get(struct pt *a, BN_CTX *bn)
{
	a->x = BN_CTX_get(bn);
	a->y = BN_CTX_get(bn);
	a->z = BN_CTX_get(bn);
	return a->z != NULL;
}

static int
pt_copy(struct pt *r, const struct pt *a)
{
	return BN_copy(r->x, a->x) && BN_copy(r->y, a->y) && BN_copy(r->z, a->z);
}

static int
pt_set_inf(struct pt *r)
{
	return BN_copy(r->x, S.one) && BN_copy(r->y, S.one) && (BN_zero(r->z), 1);
}

/* Jacobian doubling for a = -3 (dbl-2001-b); r may be c. Infinity stays so. */
static int
pt_dbl(struct pt *r, const struct pt *c, BN_CTX *bn)
{
	BIGNUM *d, *g, *be, *al, *t;
	int ok;

	BN_CTX_start(bn);
	d = BN_CTX_get(bn);
	g = BN_CTX_get(bn);
	be = BN_CTX_get(bn);
	al = BN_CTX_get(bn);
	t = BN_CTX_get(bn);
	ok = t != NULL && fmul(d, c->z, c->z, bn) && fmul(g, c->y, c->y, bn) &&
	     fmul(be, c->x, g, bn) && fsub(t, c->x, d) && fadd(al, c->x, d) &&
	     fmul(al, al, t, bn) && fadd(t, al, al) && fadd(al, al, t) &&
	     /* Z3 = (Y + Z)^2 - gamma - delta */
	     fadd(t, c->y, c->z) && fmul(t, t, t, bn) && fsub(t, t, g) && fsub(r->z, t, d) &&
	     /* X3 = alpha^2 - 8 beta */
	     fadd(be, be, be) && fadd(be, be, be) && fmul(t, al, al, bn) && fsub(t, t, be) &&
	     fsub(r->x, t, be) &&
	     /* Y3 = alpha (4 beta - X3) - 8 gamma^2 */
	     fsub(be, be, r->x) && fmul(be, be, al, bn) && fmul(g, g, g, bn) && fadd(g, g, g) &&
	     fadd(g, g, g) && fadd(g, g, g) && fsub(r->y, be, g);
	BN_CTX_end(bn);
	return ok;
}

/*
 * r = c + a, c Jacobian, a affine (madd-2007-bl); r must not be c. Valid
 * when c is not infinity and c != ±a; |hz|, |rz| (may be NULL) tell whether
 * H or r was 0, for callers on public data to resolve those cases.
 */
static int
pt_madd(struct pt *r, const struct pt *c, const struct pt *a, int *hz, int *rz, BN_CTX *bn)
{
	BIGNUM *z1z1, *u2, *s2, *h, *hh, *i, *j, *rr, *v;
	int ok;

	BN_CTX_start(bn);
	z1z1 = BN_CTX_get(bn);
	u2 = BN_CTX_get(bn);
	s2 = BN_CTX_get(bn);
	h = BN_CTX_get(bn);
	hh = BN_CTX_get(bn);
	i = BN_CTX_get(bn);
	j = BN_CTX_get(bn);
	rr = BN_CTX_get(bn);
	v = BN_CTX_get(bn);
	ok = v != NULL && fmul(z1z1, c->z, c->z, bn) && fmul(u2, a->x, z1z1, bn) &&
	     fmul(s2, a->y, c->z, bn) && fmul(s2, s2, z1z1, bn) && fsub(h, u2, c->x) &&
	     fmul(hh, h, h, bn) && fadd(i, hh, hh) && fadd(i, i, i) && fmul(j, h, i, bn) &&
	     fsub(rr, s2, c->y) && fadd(rr, rr, rr) && fmul(v, c->x, i, bn);
	if (ok && hz != NULL)
		*hz = BN_is_zero(h);
	if (ok && rz != NULL)
		*rz = BN_is_zero(rr);
	/* X3 = r^2 - J - 2V; Y3 = r(V - X3) - 2 Y1 J; Z3 = (Z1 + H)^2 - Z1Z1 - HH */
	ok = ok && fmul(r->x, rr, rr, bn) && fsub(r->x, r->x, j) && fsub(r->x, r->x, v) &&
	     fsub(r->x, r->x, v) && fmul(j, j, c->y, bn) && fadd(j, j, j) &&
	     fsub(v, v, r->x) && fmul(v, v, rr, bn) && fsub(r->y, v, j) &&
	     fadd(r->z, c->z, h) && fmul(r->z, r->z, r->z, bn) && fsub(r->z, r->z, z1z1) &&
	     fsub(r->z, r->z, hh);
	BN_CTX_end(bn);
	return ok;
}

/* c += a for public points, with the infinity and doubling cases. */
static int
pt_madd_public(struct pt *c, const struct pt *a, BN_CTX *bn)
{
	struct pt t;
	int ok, hz = 0, rz = 0;

	if (BN_is_zero(c->z))
		return BN_copy(c->x, a->x) && BN_copy(c->y, a->y) && BN_copy(c->z, S.one);
	BN_CTX_start(bn);
	ok = pt_get(&t, bn) && pt_madd(&t, c, a, &hz, &rz, bn);
	if (ok && hz)
		ok = rz ? pt_dbl(c, c, bn) : pt_set_inf(c);
	else if (ok)
		ok = pt_copy(c, &t);
	BN_CTX_end(bn);
	return ok;
}

/* r = [k]a for a public k and affine a (double and add). */
static int
pt_mul_public(struct pt *r, const struct pt *a, const BIGNUM *k, BN_CTX *bn)
{
	int i, ok = pt_set_inf(r);

	for (i = BN_num_bits(k) - 1; ok && i >= 0; i--) {
		ok = pt_dbl(r, r, bn);
		if (ok && BN_is_bit_set(k, i))
			ok = pt_madd_public(r, a, bn);
	}
	return ok;
}

/* Jacobian to affine in place; -KEYS_E_POINT at infinity. */
static int
pt_affine(struct pt *a, int blind, BN_CTX *bn)
{
	BIGNUM *zi, *z2;
	int rc;

	BN_CTX_start(bn);
	zi = BN_CTX_get(bn);
	z2 = BN_CTX_get(bn);
	rc = z2 == NULL ? -KEYS_E_NOMEM : finv(zi, a->z, blind, bn);
	if (rc == 0 && !(fmul(z2, zi, zi, bn) && fmul(a->x, a->x, z2, bn) &&
			 fmul(z2, z2, zi, bn) && fmul(a->y, a->y, z2, bn) &&
			 BN_copy(a->z, S.one)))
		rc = -KEYS_E_CRYPTO;
	BN_CTX_end(bn);
	return rc;
}

static int
pt_encode(uint8_t out[SAKKE_POINT_LEN], const struct pt *a, BN_CTX *bn)
{
	out[0] = 0x04;
	return fenc(out + 1, a->x, bn) && fenc(out + 1 + SAKKE_L, a->y, bn) ? 0 : -KEYS_E_CRYPTO;
}

/* A received point (§4): 04 || x || y with x, y < p, on y^2 = x^3 - 3x. */
static int
pt_decode(struct pt *a, const uint8_t in[SAKKE_POINT_LEN], BN_CTX *bn)
{
	BIGNUM *l, *r;
	int rc;

	if (in[0] != 0x04)
		return -KEYS_E_POINT;
	rc = fdec(a->x, in + 1, bn);
	if (rc == 0)
		rc = fdec(a->y, in + 1 + SAKKE_L, bn);
	if (rc < 0)
		return rc;
	BN_CTX_start(bn);
	l = BN_CTX_get(bn);
	r = BN_CTX_get(bn);
	if (r == NULL || !fmul(l, a->y, a->y, bn) || !fmul(r, a->x, a->x, bn) ||
	    !fsub(r, r, S.one) || !fsub(r, r, S.one) || !fsub(r, r, S.one) ||
	    !fmul(r, r, a->x, bn) || BN_copy(a->z, S.one) == NULL)
		rc = -KEYS_E_CRYPTO;
	else if (BN_cmp(l, r) != 0)
		rc = -KEYS_E_POINT;
	BN_CTX_end(bn);
	return rc;
}

/* [q]a == O for an affine point a. */
static int
pt_check_subgroup(const struct pt *a, BN_CTX *bn)
{
	struct pt t;
	int rc;

	BN_CTX_start(bn);
	if (!pt_get(&t, bn) || !pt_mul_public(&t, a, S.q, bn))
		rc = -KEYS_E_CRYPTO;
	else
		rc = BN_is_zero(t.z) ? 0 : -KEYS_E_POINT;
	BN_CTX_end(bn);
	return rc;
}

/* Decode and check a received point completely (curve and subgroup). */
static int
pt_decode_full(struct pt *a, const uint8_t in[SAKKE_POINT_LEN], BN_CTX *bn)
{
	int rc = pt_decode(a, in, bn);

	return rc < 0 ? rc : pt_check_subgroup(a, bn);
}

/*
 * Fixed-base comb, uniform in the scalar
 */

static uint64_t
ct_eq_mask(uint64_t a, uint64_t b)
{
	uint64_t d = a ^ b;

	return ((d | (0 - d)) >> 63) - 1;	/* all ones when equal */
}

/* A comb of |v| tables covering 1024-bit scalars; NULL without memory. */
static struct comb *
comb_new(unsigned int v)
{
	struct comb *tab = malloc(sizeof(*tab) + v * sizeof(tab->t[0]));

	if (tab != NULL) {
		tab->v = v;
		tab->e = (8 * SAKKE_L + CW * v - 1) / (CW * v);
	}
	return tab;
}

/* Entry |u| of table |s|, read by scanning every entry with masks. */
static void
comb_select(uint64_t out[2][NL], const struct comb *tab, unsigned int s, unsigned int u)
{
	const uint64_t *row = &tab->t[s][0][0][0];
	uint64_t acc[2 * NL] = { 0 };
	unsigned int k, j;

	/* one flat accumulator: the compiler keeps it in vector registers */
	for (k = 0; k < CN; k++, row += 2 * NL) {
		uint64_t m = ct_eq_mask(k, u);

		for (j = 0; j < 2 * NL; j++)
			acc[j] |= row[j] & m;
	}
	memcpy(out, acc, sizeof(acc));
	WIPE(acc);
}

/* The digit of column |j| of table |s|: bit t is scalar bit t·v·e + s·e + j. */
static unsigned int
comb_column(const uint64_t k[KL], const struct comb *tab, unsigned int s, unsigned int j)
{
	unsigned int t, u = 0;

	for (t = 0; t < CW; t++) {
		unsigned int bit = (t * tab->v + s) * tab->e + j;

		u |= (unsigned int)((k[bit / 64] >> (bit % 64)) & 1) << t;
	}
	return u;
}

/* A 128-octet big-endian scalar as comb limbs. */
static void
scalar_limbs(uint64_t k[KL], const uint8_t in[SAKKE_L])
{
	unsigned int i;

	memset(k, 0, KL * sizeof(uint64_t));
	for (i = 0; i < SAKKE_L; i++)
		k[i / 8] |= (uint64_t)in[SAKKE_L - 1 - i] << (8 * (i % 8));
}

/*
 * Give |a| room for NL words, as BN_consttime_swap() reads and writes NL
 * words of both operands (an allocation never shrinks afterwards).
 */
static int
bn_reserve(BIGNUM *a)
{
	return BN_set_bit(a, NL * 64 - 1) && BN_clear_bit(a, NL * 64 - 1);
}

/* (a, b) = (b, a) when |cond| is nonzero, without a branch (points). */
static void
pt_cswap(struct pt *a, struct pt *b, uint64_t cond)
{
	BN_consttime_swap((BN_ULONG)cond, a->x, b->x, NL);
	BN_consttime_swap((BN_ULONG)cond, a->y, b->y, NL);
	BN_consttime_swap((BN_ULONG)cond, a->z, b->z, NL);
}

/*
 * r = [k]X from X's comb tables, k < q. Per column: Q = 2Q, then per table
 * A = T[u], S = Q + A, S = (Q = O) ? A : S, Q = (u = 0) ? Q : S, the
 * selections by constant-time swaps. For k < q no addition meets Q = ±A
 * (the partial sums are distinct sub-patterns of k's bits, all below q).
 */
static int
comb_mul(struct pt *r, const struct comb *tab, const uint64_t k[KL], BN_CTX *bn)
{
	uint64_t a[2][NL], inf = ~(uint64_t)0;
	struct pt ap, s;
	unsigned int t;
	int i, ok;

	BN_CTX_start(bn);
	ok = pt_get(&ap, bn) && pt_get(&s, bn) && bn_reserve(ap.x) && bn_reserve(ap.y) &&
	     bn_reserve(ap.z) && bn_reserve(s.x) && bn_reserve(s.y) && bn_reserve(s.z) &&
	     bn_reserve(r->x) && bn_reserve(r->y) && bn_reserve(r->z) && pt_set_inf(r);
	for (i = (int)tab->e - 1; ok && i >= 0; i--) {
		ok = pt_dbl(r, r, bn);
		for (t = 0; ok && t < tab->v; t++) {
			unsigned int u = comb_column(k, tab, t, (unsigned int)i);
			uint64_t mz = ct_eq_mask(u, 0);

			comb_select(a, tab, t, u);
			ok = limbs_to_bn(ap.x, a[0]) && limbs_to_bn(ap.y, a[1]) &&
			     BN_copy(ap.z, S.one) && pt_madd(&s, r, &ap, NULL, NULL, bn);
			if (!ok)
				break;
			pt_cswap(&s, &ap, inf);
			pt_cswap(r, &s, ~mz);
			inf &= mz;
		}
	}
	sodium_memzero(a, sizeof(a));
	BN_CTX_end(bn);
	return ok ? 0 : -KEYS_E_CRYPTO;
}

/*
 * Jacobian points a[0..n-1] (public, none at infinity) to affine with one
 * inversion (Montgomery's trick): pr[i] = z_0···z_i, then walking down
 * 1/z_i = pr[i-1] / (z_0···z_i).
 */
static int
pt_affine_batch(struct pt *a, unsigned int n, BN_CTX *bn)
{
	BIGNUM *pr[CN], *inv, *zi, *z2;
	unsigned int i;
	int ok = n >= 1 && n <= CN, rc;

	BN_CTX_start(bn);
	for (i = 0; ok && i < n; i++)
		ok = (pr[i] = BN_CTX_get(bn)) != NULL;
	inv = BN_CTX_get(bn);
	zi = BN_CTX_get(bn);
	z2 = BN_CTX_get(bn);
	ok = ok && z2 != NULL && BN_copy(pr[0], a[0].z) != NULL;
	for (i = 1; ok && i < n; i++)
		ok = fmul(pr[i], pr[i - 1], a[i].z, bn);
	rc = ok ? finv(inv, pr[n - 1], 0, bn) : -KEYS_E_CRYPTO;
	for (i = n; rc == 0 && i-- > 0;) {
		/* zi = 1/z_i; inv becomes 1/(z_0···z_(i-1)) */
		ok = i == 0 ? BN_copy(zi, inv) != NULL
			    : fmul(zi, inv, pr[i - 1], bn) && fmul(inv, inv, a[i].z, bn);
		ok = ok && fmul(z2, zi, zi, bn) && fmul(a[i].x, a[i].x, z2, bn) &&
		     fmul(z2, z2, zi, bn) && fmul(a[i].y, a[i].y, z2, bn) &&
		     BN_copy(a[i].z, S.one) != NULL;
		if (!ok)
			rc = -KEYS_E_CRYPTO;
	}
	BN_CTX_end(bn);
	return rc;
}

/* Base points [2^(m·e)]x, m < n, affine. */
static int
comb_bases(struct pt *b, unsigned int n, unsigned int e, const struct pt *x, BN_CTX *bn)
{
	unsigned int m, j;
	int ok = pt_copy(&b[0], x);

	for (m = 1; ok && m < n; m++) {
		ok = pt_copy(&b[m], &b[m - 1]);
		for (j = 0; ok && j < e; j++)
			ok = pt_dbl(&b[m], &b[m], bn);
	}
	if (!ok)
		return -KEYS_E_CRYPTO;
	/* b[m] = O would mean x is not of order q */
	for (m = 1; m < n; m++)
		if (BN_is_zero(b[m].z))
			return -KEYS_E_POINT;
	return n > 1 ? pt_affine_batch(b + 1, n - 1, bn) : 0;
}

/*
 * Comb tables of an affine point x of order q (public). Entry u of table s
 * is b[top·v + s] + T_s[rest] (top the highest bit of u), computed in
 * Jacobian coordinates and made affine together, table by table.
 */
static int
comb_build(struct comb *tab, const struct pt *x, BN_CTX *bn)
{
	struct pt b[CW * CV_P], t[CN];
	unsigned int i, s, u, n = CW * tab->v;
	int ok = n <= CW * CV_P, rc;

	BN_CTX_start(bn);
	for (i = 0; ok && i < n; i++)
		ok = pt_get(&b[i], bn);
	for (u = 0; ok && u < CN; u++)
		ok = pt_get(&t[u], bn);
	rc = ok ? comb_bases(b, n, tab->e, x, bn) : -KEYS_E_CRYPTO;
	for (s = 0; rc == 0 && s < tab->v; s++) {
		ok = pt_copy(&t[0], x);
		for (u = 1; ok && u < CN; u++) {
			unsigned int top = 31 - (unsigned int)__builtin_clz(u);
			unsigned int rest = u & ~(1u << top);

			ok = rest == 0 ? pt_copy(&t[u], &b[top * tab->v + s])
				       : pt_copy(&t[u], &t[rest]) &&
						 pt_madd_public(&t[u], &b[top * tab->v + s], bn);
			if (ok && BN_is_zero(t[u].z))
				rc = -KEYS_E_POINT;
		}
		if (rc == 0)
			rc = ok ? pt_affine_batch(t + 1, CN - 1, bn) : -KEYS_E_CRYPTO;
		for (u = 0; rc == 0 && u < CN; u++)
			if (!bn_to_limbs(tab->t[s][u][0], t[u].x) ||
			    !bn_to_limbs(tab->t[s][u][1], t[u].y))
				rc = -KEYS_E_CRYPTO;
	}
	BN_CTX_end(bn);
	return rc;
}

/* Comb tables of gamma = 1 + i·g in F_p^2 (entries: products of gamma^(2^(m·e))). */
static int
gcomb_build(struct comb *tab, const BIGNUM *gm, BN_CTX *bn)
{
	struct fe2 b[CW * CV_P], t, a;
	unsigned int i, j, s, u, n = CW * tab->v;
	int ok = n <= CW * CV_P;

	BN_CTX_start(bn);
	for (i = 0; ok && i < n; i++) {
		b[i].a = BN_CTX_get(bn);
		b[i].b = BN_CTX_get(bn);
	}
	t.a = BN_CTX_get(bn);
	t.b = BN_CTX_get(bn);
	a.a = BN_CTX_get(bn);
	a.b = BN_CTX_get(bn);
	ok = ok && a.b != NULL && BN_copy(b[0].a, S.one) && BN_copy(b[0].b, gm);
	for (i = 1; ok && i < n; i++) {
		ok = BN_copy(b[i].a, b[i - 1].a) && BN_copy(b[i].b, b[i - 1].b);
		for (j = 0; ok && j < tab->e; j++)
			ok = fe2_sqr(&b[i], &b[i], bn);
	}
	for (s = 0; ok && s < tab->v; s++) {
		ok = bn_to_limbs(tab->t[s][0][0], S.one) && (BN_zero(t.b), 1) &&
		     bn_to_limbs(tab->t[s][0][1], t.b);
		for (u = 1; ok && u < CN; u++) {
			unsigned int top = 31 - (unsigned int)__builtin_clz(u);
			unsigned int rest = u & ~(1u << top);

			ok = limbs_to_bn(a.a, tab->t[s][rest][0]) &&
			     limbs_to_bn(a.b, tab->t[s][rest][1]) &&
			     fe2_mul(&t, &a, &b[top * tab->v + s], bn) &&
			     bn_to_limbs(tab->t[s][u][0], t.a) && bn_to_limbs(tab->t[s][u][1], t.b);
		}
	}
	BN_CTX_end(bn);
	return ok ? 0 : -KEYS_E_CRYPTO;
}

/* v = gamma^k by the F_p^2 comb (no exceptional cases: entry 0 is 1). */
static int
gcomb_pow(struct fe2 *v, const uint64_t k[KL], BN_CTX *bn)
{
	const struct comb *tab = S.gtab;
	uint64_t a[2][NL];
	struct fe2 e;
	unsigned int t;
	int i, ok;

	BN_CTX_start(bn);
	e.a = BN_CTX_get(bn);
	e.b = BN_CTX_get(bn);
	ok = e.b != NULL && BN_copy(v->a, S.one) && (BN_zero(v->b), 1);
	for (i = (int)tab->e - 1; ok && i >= 0; i--) {
		ok = fe2_sqr(v, v, bn);
		for (t = 0; ok && t < tab->v; t++) {
			comb_select(a, tab, t, comb_column(k, tab, t, (unsigned int)i));
			ok = limbs_to_bn(e.a, a[0]) && limbs_to_bn(e.b, a[1]) &&
			     fe2_mul(v, v, &e, bn);
		}
	}
	sodium_memzero(a, sizeof(a));
	BN_CTX_end(bn);
	return ok ? 0 : -KEYS_E_CRYPTO;
}

/*
 * Pairing (RFC 6508 §3.2)
 */

static void
lines_free(struct lines *l)
{
	size_t k;

	for (k = 0; l->lam != NULL && k < l->n; k++) {
		BN_clear_free(l->lam[k]);
		BN_clear_free(l->mu[k]);
	}
	free(l->lam);
	free(l->mu);
	memset(l, 0, sizeof(*l));
}

/* Store line k: lam, mu = lam·Cx - Cy. */
static int
line_put(struct lines *l, size_t k, const BIGNUM *lam, const BIGNUM *cx, const BIGNUM *cy,
	 BN_CTX *bn)
{
	l->lam[k] = BN_dup(lam);
	l->mu[k] = BN_new();
	if (l->lam[k] == NULL || l->mu[k] == NULL)
		return -KEYS_E_NOMEM;
	return fmul(l->mu[k], lam, cx, bn) && fsub(l->mu[k], l->mu[k], cy) ? 0 : -KEYS_E_CRYPTO;
}

/*
 * The Miller loop of §3.2 run over C = multiples of |x| (affine), keeping
 * each line's slope: tangent l = 3(Cx^2 - 1)/(2Cy), chord l = (Cy -+ Ry)/(Cx - Rx),
 * for the digits of q - 1 from the second most significant down. The digits
 * are q - 1 in non-adjacent form (one third nonzero instead of one half): a
 * digit -1 adds -R through the chord to -R; the extra vertical line it
 * implies, like all vertical lines, takes an F_p value at [i]Q and vanishes
 * in PF_p, so the pairing value is that of §3.2. Inversions are blinded (x
 * may be the RSK). -KEYS_E_POINT if a slope is undefined (x not of order q).
 */
static int
lines_build(struct lines *l, const struct pt *x, BN_CTX *bn)
{
	BIGNUM *cx, *cy, *lam, *num, *den;
	size_t k = 0;
	int i, rc = -KEYS_E_NOMEM;

	l->n = S.nlines;
	l->lam = calloc(l->n, sizeof(*l->lam));
	l->mu = calloc(l->n, sizeof(*l->mu));
	BN_CTX_start(bn);
	cx = BN_CTX_get(bn);
	cy = BN_CTX_get(bn);
	lam = BN_CTX_get(bn);
	num = BN_CTX_get(bn);
	den = BN_CTX_get(bn);
	if (l->lam == NULL || l->mu == NULL || den == NULL || !BN_copy(cx, x->x) ||
	    !BN_copy(cy, x->y))
		goto out;
	rc = 0;
	for (i = S.nnaf - 2; rc == 0 && i >= 0; i--) {
		/* tangent: l = 3(Cx^2 - 1) / (2 Cy); C = [2]C */
		if (!fmul(num, cx, cx, bn) || !fsub(num, num, S.one) || !fadd(den, num, num) ||
		    !fadd(num, num, den) || !fadd(den, cy, cy)) {
			rc = -KEYS_E_CRYPTO;
			break;
		}
		rc = finv(lam, den, 1, bn);
		if (rc == 0)
			rc = fmul(lam, lam, num, bn) ? line_put(l, k++, lam, cx, cy, bn)
						     : -KEYS_E_CRYPTO;
		/* x3 = l^2 - 2Cx; y3 = l(Cx - x3) - Cy */
		if (rc == 0 && !(fmul(num, lam, lam, bn) && fsub(num, num, cx) &&
				 fsub(num, num, cx) && fsub(den, cx, num) &&
				 fmul(den, den, lam, bn) && fsub(cy, den, cy) && BN_copy(cx, num)))
			rc = -KEYS_E_CRYPTO;
		if (rc < 0 || S.naf[i] == 0)
			continue;
		/* chord: l = (Cy -+ Ry) / (Cx - Rx); C = C +- R */
		if (!fsub(den, cx, x->x) ||
		    !(S.naf[i] > 0 ? fsub(num, cy, x->y) : fadd(num, cy, x->y))) {
			rc = -KEYS_E_CRYPTO;
			break;
		}
		rc = finv(lam, den, 1, bn);
		if (rc == 0)
			rc = fmul(lam, lam, num, bn) ? line_put(l, k++, lam, cx, cy, bn)
						     : -KEYS_E_CRYPTO;
		if (rc == 0 && !(fmul(num, lam, lam, bn) && fsub(num, num, cx) &&
				 fsub(num, num, x->x) && fsub(den, cx, num) &&
				 fmul(den, den, lam, bn) && fsub(cy, den, cy) && BN_copy(cx, num)))
			rc = -KEYS_E_CRYPTO;
	}
out:
	BN_CTX_end(bn);
	if (rc < 0)
		lines_free(l);
	return rc;
}

/* lines_eval's scratch values: its steps draw nothing from the BN_CTX. */
struct ev {
	BIGNUM *qx, *iy, *c, *t0, *t1;
};

/*
 * v = v · (c + i) for line k, c = lam·qx + mu·iy:
 * (a + bi)(c + i) = (ac - b) + (a + bc)·i
 */
static int
ev_line(struct fe2 *v, const struct lines *l, size_t k, struct ev *e, BN_CTX *bn)
{
	BIGNUM *nb = e->t1;

	if (!(fmul(e->c, l->lam[k], e->qx, bn) && fmul(e->t0, l->mu[k], e->iy, bn) &&
	      fadd(e->c, e->c, e->t0) && fmul(e->t0, v->a, e->c, bn) &&
	      fmul(nb, v->b, e->c, bn) && fadd(nb, nb, v->a) && fsub(v->a, e->t0, v->b)))
		return 0;
	e->t1 = v->b;	/* swap the handles, not the values */
	v->b = nb;
	return 1;
}

/* v = v^2: (a + bi)^2 = (a + b)(a - b) + 2ab·i */
static int
ev_sqr(struct fe2 *v, struct ev *e, BN_CTX *bn)
{
	return fadd(e->t0, v->a, v->b) && fsub(e->t1, v->a, v->b) &&
	       fmul(v->b, v->a, v->b, bn) && fadd(v->b, v->b, v->b) &&
	       fmul(v->a, e->t0, e->t1, bn);
}

/*
 * Evaluate a line table at [i]Q = (-Qx, i·Qy) (§3.2): each line
 * l(Qx + Cx) - Cy + i·Qy is scaled by 1/Qy (an F_p factor, invisible in PF_p)
 * to c + i with c = lam·(Qx/Qy) + mu·(1/Qy). Then t = v^c, c = (p+1)/q = 4,
 * and the result is the representative of t.
 */
static int
lines_eval(uint8_t out[SAKKE_L], const struct lines *l, const struct pt *q, int blind,
	   BN_CTX *bn)
{
	struct ev e;
	struct fe2 v;
	size_t k = 0;
	int i, rc, ok;

	BN_CTX_start(bn);
	e.iy = BN_CTX_get(bn);
	e.qx = BN_CTX_get(bn);
	e.c = BN_CTX_get(bn);
	e.t0 = BN_CTX_get(bn);
	e.t1 = BN_CTX_get(bn);
	v.a = BN_CTX_get(bn);
	v.b = BN_CTX_get(bn);
	rc = v.b == NULL ? -KEYS_E_NOMEM : finv(e.iy, q->y, blind, bn);
	if (rc < 0)
		goto out;
	ok = fmul(e.qx, q->x, e.iy, bn) && BN_copy(v.a, S.one) && (BN_zero(v.b), 1);
	for (i = S.nnaf - 2; ok && i >= 0; i--) {
		/* v = v^2 · tangent */
		ok = ev_sqr(&v, &e, bn) && ev_line(&v, l, k++, &e, bn);
		/* v = v · chord */
		if (ok && S.naf[i] != 0)
			ok = ev_line(&v, l, k++, &e, bn);
	}
	/* final exponentiation: t = v^4 */
	ok = ok && ev_sqr(&v, &e, bn) && ev_sqr(&v, &e, bn);
	rc = ok ? fe2_rep(out, &v, bn) : -KEYS_E_CRYPTO;
out:
	BN_CTX_end(bn);
	return rc;
}

/*
 * Hashes (§5.1)
 */

static int
sha256(uint8_t out[32], const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int ok;

	ok = h != NULL && EVP_DigestInit_ex(h, S.md, NULL) &&
	     (al == 0 || EVP_DigestUpdate(h, a, al)) && (bl == 0 || EVP_DigestUpdate(h, b, bl)) &&
	     EVP_DigestFinal_ex(h, out, NULL);
	EVP_MD_CTX_free(h);
	return ok ? 0 : -KEYS_E_CRYPTO;
}

/* HashToIntegerRange's v' = v_1 || ... || v_l for s = s1 || s2 (before mod n). */
static int
h2ir(uint8_t *v, int l, const uint8_t *s1, size_t n1, const uint8_t *s2, size_t n2)
{
	uint8_t a[32], h[32] = { 0 }, hi[64];
	int i, rc;

	/* A = hashfn(s); h_0 = 00...00 */
	rc = sha256(a, s1, n1, s2, n2);
	for (i = 0; rc == 0 && i < l; i++) {
		/* h_i = hashfn(h_(i-1)); v_i = hashfn(h_i || A) */
		rc = sha256(h, h, sizeof(h), NULL, 0);
		memcpy(hi, h, 32);
		memcpy(hi + 32, a, 32);
		if (rc == 0)
			rc = sha256(v + 32 * i, hi, sizeof(hi), NULL, 0);
	}
	WIPE(a);
	WIPE(h);
	WIPE(hi);
	return rc;
}

/* v -= m when v >= m, in constant time. */
static void
ct_sub_if_ge(uint64_t v[NL], const uint64_t m[NL])
{
	uint64_t d[NL], borrow = 0, mask;
	unsigned int j;

	for (j = 0; j < NL; j++) {
		uint64_t t = v[j] - m[j];
		uint64_t b1 = v[j] < m[j];

		d[j] = t - borrow;
		borrow = b1 | (t < borrow);
	}
	mask = borrow - 1;	/* all ones when no borrow: v >= m */
	for (j = 0; j < NL; j++)
		v[j] = (d[j] & mask) | (v[j] & ~mask);
	sodium_memzero(d, sizeof(d));
}

/* r = HashToIntegerRange(s1 || s2, q) as comb limbs (l = 4, §5.1; pitfall 5). */
static int
hash_to_q_limbs(uint64_t r[KL], const uint8_t *s1, size_t n1, const uint8_t *s2, size_t n2)
{
	uint8_t v[SAKKE_L];
	int rc = h2ir(v, 4, s1, n1, s2, n2);

	scalar_limbs(r, v);
	/* v' < 2^1024 < 8q: subtract 4q, 2q, q where they fit */
	ct_sub_if_ge(r, S.q4);
	ct_sub_if_ge(r, S.q2);
	ct_sub_if_ge(r, S.q1);
	WIPE(v);
	return rc;
}

static void
limbs_scalar(uint8_t out[SAKKE_L], const uint64_t k[KL])
{
	unsigned int i;

	for (i = 0; i < SAKKE_L; i++)
		out[SAKKE_L - 1 - i] = (uint8_t)(k[i / 8] >> (8 * (i % 8)));
}

/*
 * Parameters
 */

static int
hex_bn(BIGNUM **r, const char *hex)
{
	char buf[2 * SAKKE_L + 1];
	size_t i, n = 0;

	for (i = 0; hex[i] != '\0' && n < sizeof(buf) - 1; i++)
		if (hex[i] != ' ')
			buf[n++] = hex[i];
	buf[n] = '\0';
	return BN_hex2bn(r, buf) != 0;
}

/* The non-adjacent form of a public n > 0 into |d| (least significant first). */
static int
naf_build(int8_t d[8 * SAKKE_L + 1], int *nd, const BIGNUM *n, BIGNUM *t)
{
	int i = 0, ok = BN_copy(t, n) != NULL;

	while (ok && !BN_is_zero(t) && i < 8 * SAKKE_L + 1) {
		d[i] = 0;
		if (BN_is_odd(t)) {
			/* 1 when t = 1 mod 4, -1 when t = 3 mod 4: then t -= d[i] is 0 mod 4 */
			d[i] = BN_is_bit_set(t, 1) ? -1 : 1;
			ok = d[i] > 0 ? BN_sub_word(t, 1) : BN_add_word(t, 1);
		}
		ok = ok && BN_rshift1(t, t);
		i++;
	}
	*nd = i;
	return ok && BN_is_zero(t) && i >= 2;
}

static void
setup(void)
{
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *px = NULL, *py = NULL, *g = NULL, *t = BN_new();
	struct pt pp;
	int ok;

	S.mp = BN_MONT_CTX_new();
	S.mq = BN_MONT_CTX_new();
	S.one = BN_new();
	S.qm1 = BN_new();
	S.ptab = comb_new(CV_P);
	S.gtab = comb_new(CV_P);
	S.md = EVP_MD_fetch(NULL, "SHA256", NULL);
	ok = bn != NULL && t != NULL && S.mp != NULL && S.one != NULL && S.qm1 != NULL &&
	     S.ptab != NULL && S.gtab != NULL && S.md != NULL && hex_bn(&S.p, P_HEX) &&
	     hex_bn(&S.q, Q_HEX) && hex_bn(&px, PX_HEX) && hex_bn(&py, PY_HEX) &&
	     hex_bn(&g, G_HEX) && BN_MONT_CTX_set(S.mp, S.p, bn) &&
	     S.mq != NULL && BN_MONT_CTX_set(S.mq, S.q, bn) &&
	     BN_to_montgomery(S.one, BN_value_one(), S.mp, bn) && BN_copy(S.qm1, S.q) &&
	     BN_sub_word(S.qm1, 1) && bn_to_limbs(S.q1, S.q) && bn_to_limbs(S.p1, S.p) &&
	     BN_lshift1(t, S.q) && bn_to_limbs(S.q2, t) && BN_lshift(t, S.q, 2) &&
	     bn_to_limbs(S.q4, t) && BN_bn2binpad(S.p, S.pb, SAKKE_L) == SAKKE_L &&
	     BN_bn2binpad(S.q, S.qb, SAKKE_L) == SAKKE_L &&
	     BN_bn2binpad(px, S.pe + 1, SAKKE_L) == SAKKE_L &&
	     BN_bn2binpad(py, S.pe + 1 + SAKKE_L, SAKKE_L) == SAKKE_L &&
	     BN_bn2binpad(g, S.gb, SAKKE_L) == SAKKE_L && BN_to_montgomery(px, px, S.mp, bn) &&
	     BN_to_montgomery(py, py, S.mp, bn) && BN_to_montgomery(g, g, S.mp, bn);
	S.pe[0] = 0x04;
	S.px = px;
	S.py = py;
	if (ok) {
		int i;

		/* tangent steps plus one chord per nonzero digit below the top */
		ok = naf_build(S.naf, &S.nnaf, S.qm1, t);
		S.nlines = (size_t)S.nnaf - 1;
		for (i = S.nnaf - 2; i >= 0; i--)
			S.nlines += (size_t)(S.naf[i] != 0);
		BN_CTX_start(bn);
		ok = ok && pt_get(&pp, bn) && BN_copy(pp.x, px) && BN_copy(pp.y, py) &&
		     BN_copy(pp.z, S.one) && comb_build(S.ptab, &pp, bn) == 0 &&
		     gcomb_build(S.gtab, g, bn) == 0;
		BN_CTX_end(bn);
	}
	BN_free(g);
	BN_free(t);
	BN_CTX_free(bn);
	ERR_clear_error();
	S.ok = ok;
}

static int
ready(void)
{
	if (pthread_once(&s_once, setup) != 0 || !S.ok)
		return -KEYS_E_CRYPTO;
	return 0;
}

void
sakke_params(uint8_t p[SAKKE_L], uint8_t q[SAKKE_L], uint8_t pt[SAKKE_POINT_LEN],
	     uint8_t g[SAKKE_L])
{
	if (ready() < 0)
		return;
	memcpy(p, S.pb, SAKKE_L);
	memcpy(q, S.qb, SAKKE_L);
	memcpy(pt, S.pe, SAKKE_POINT_LEN);
	memcpy(g, S.gb, SAKKE_L);
}

/* BN_CTX for a call that handles secrets: its BIGNUMs are cleared at the end. */
static int
begin(BN_CTX **bn)
{
	int rc = ready();

	if (rc < 0)
		return rc;
	*bn = BN_CTX_secure_new();
	if (*bn == NULL)
		return -KEYS_E_NOMEM;
	BN_CTX_start(*bn);
	return 0;
}

static void
end(BN_CTX *bn)
{
	BN_CTX_end(bn);
	BN_CTX_free(bn);
}

/* [k]P for a secret 128-octet k, encoded. */
static int
mul_p(uint8_t out[SAKKE_POINT_LEN], const uint8_t kb[SAKKE_L], BN_CTX *bn)
{
	uint64_t k[KL];
	struct pt r;
	int rc;

	scalar_limbs(k, kb);
	rc = pt_get(&r, bn) ? comb_mul(&r, S.ptab, k, bn) : -KEYS_E_NOMEM;
	if (rc == 0)
		rc = pt_affine(&r, 1, bn);
	if (rc == 0)
		rc = pt_encode(out, &r, bn);
	WIPE(k);
	return rc;
}

/* z in [2, q-1] */
static int
z_load(BIGNUM *z, const uint8_t in[SAKKE_SCALAR_LEN])
{
	BN_set_flags(z, BN_FLG_CONSTTIME);
	if (BN_bin2bn(in, SAKKE_SCALAR_LEN, z) == NULL)
		return -KEYS_E_NOMEM;
	if (BN_cmp(z, BN_value_one()) <= 0 || BN_cmp(z, S.q) >= 0)
		return -KEYS_E_RANGE;
	return 0;
}

int
sakke_kms_pubkey(uint8_t zpub[SAKKE_POINT_LEN], const uint8_t z[SAKKE_SCALAR_LEN])
{
	BN_CTX *bn;
	BIGNUM *zz;
	int rc;

	if (zpub == NULL || z == NULL)
		return -KEYS_E_ARG;
	rc = begin(&bn);
	if (rc < 0)
		return rc;
	zz = BN_CTX_get(bn);
	rc = zz == NULL ? -KEYS_E_NOMEM : z_load(zz, z);
	/* §6.1.1: Z = [z]P */
	if (rc == 0)
		rc = mul_p(zpub, z, bn);
	end(bn);
	return rc;
}

int
sakke_kms_keygen(uint8_t z[SAKKE_SCALAR_LEN], uint8_t zpub[SAKKE_POINT_LEN])
{
	BN_CTX *bn;
	BIGNUM *zz;
	int rc, i;

	if (z == NULL || zpub == NULL)
		return -KEYS_E_ARG;
	rc = begin(&bn);
	if (rc < 0)
		return rc;
	zz = BN_CTX_get(bn);
	rc = zz == NULL ? -KEYS_E_NOMEM : -KEYS_E_RANGE;
	/* z uniform in [2, q-1]: 1022-bit candidates, rejected when out of range */
	for (i = 0; i < MAX_TRIES && rc == -KEYS_E_RANGE; i++) {
		randombytes_buf(z, SAKKE_SCALAR_LEN);
		z[0] &= 0x3f;
		rc = z_load(zz, z);
	}
	if (rc == -KEYS_E_RANGE)
		rc = -KEYS_E_RANDOM;
	if (rc == 0)
		rc = mul_p(zpub, z, bn);
	end(bn);
	if (rc < 0) {
		sodium_memzero(z, SAKKE_SCALAR_LEN);
		sodium_memzero(zpub, SAKKE_POINT_LEN);
	}
	return rc;
}

/* The identifier as an integer mod q (public). */
static int
id_modq(BIGNUM *a, const uint8_t *id, size_t id_len, BN_CTX *bn)
{
	if (id_len > (size_t)INT32_MAX)
		return -KEYS_E_ARG;
	if (BN_bin2bn(id, (int)id_len, a) == NULL || !BN_nnmod(a, a, S.q, bn))
		return -KEYS_E_CRYPTO;
	return 0;
}

int
sakke_kms_rsk(uint8_t rsk[SAKKE_POINT_LEN], const uint8_t z[SAKKE_SCALAR_LEN],
	      const uint8_t *id, size_t id_len)
{
	uint8_t kb[SAKKE_L];
	BIGNUM *zz, *a, *beta, *u;
	BN_CTX *bn;
	int rc;

	if (rsk == NULL || z == NULL || (id == NULL && id_len != 0))
		return -KEYS_E_ARG;
	rc = begin(&bn);
	if (rc < 0)
		return rc;
	zz = BN_CTX_get(bn);
	a = BN_CTX_get(bn);
	beta = BN_CTX_get(bn);
	u = BN_CTX_get(bn);
	rc = u == NULL ? -KEYS_E_NOMEM : z_load(zz, z);
	if (rc == 0)
		rc = id_modq(a, id, id_len, bn);
	if (rc < 0)
		goto out;
	BN_set_flags(a, BN_FLG_CONSTTIME);
	BN_set_flags(beta, BN_FLG_CONSTTIME);
	/* §6.1.1: K = [(a + z)^-1 mod q]P; the inversion blinded by beta */
	rc = -KEYS_E_CRYPTO;
	if (!BN_mod_add_quick(a, a, zz, S.q))
		goto out;
	if (BN_is_zero(a)) {
		rc = -KEYS_E_RANGE;
		goto out;
	}
	/*
	 * u = (a + z)·beta is uniform in [1, q-1] for a random beta, whatever
	 * a + z is: its inversion may then be variable time; the products are
	 * Montgomery multiplications on fixed-width values.
	 */
	randombytes_buf(kb, sizeof(kb));
	if (BN_bin2bn(kb, sizeof(kb), beta) == NULL || !BN_nnmod(beta, beta, S.q, bn) ||
	    BN_is_zero(beta) || !BN_to_montgomery(a, a, S.mq, bn) ||
	    !BN_mod_mul_montgomery(u, a, beta, S.mq, bn) ||
	    bn_inv_vartime(u, S.q1) < 0 || !BN_to_montgomery(u, u, S.mq, bn) ||
	    !BN_mod_mul_montgomery(a, u, beta, S.mq, bn) ||
	    BN_bn2binpad(a, kb, SAKKE_L) != SAKKE_L)
		goto out;
	rc = mul_p(rsk, kb, bn);
out:
	WIPE(kb);
	end(bn);
	ERR_clear_error();
	if (rc < 0)
		sodium_memzero(rsk, SAKKE_POINT_LEN);
	return rc;
}

int
sakke_point_validate(const uint8_t pt[SAKKE_POINT_LEN])
{
	struct pt a;
	BN_CTX *bn;
	int rc;

	if (pt == NULL)
		return -KEYS_E_ARG;
	rc = begin(&bn);
	if (rc < 0)
		return rc;
	rc = pt_get(&a, bn) ? pt_decode_full(&a, pt, bn) : -KEYS_E_NOMEM;
	end(bn);
	return rc;
}

/* I = [b]P + Z for a validated Z (affine result); -KEYS_E_RANGE if O. */
static int
point_i(struct pt *i, const struct pt *z, const uint8_t *id, size_t id_len, BN_CTX *bn)
{
	struct pt p;
	BIGNUM *b;
	int rc;

	BN_CTX_start(bn);
	b = BN_CTX_get(bn);
	rc = b != NULL && pt_get(&p, bn) ? id_modq(b, id, id_len, bn) : -KEYS_E_NOMEM;
	if (rc == 0 && !(BN_copy(p.x, S.px) && BN_copy(p.y, S.py) && BN_copy(p.z, S.one) &&
			 pt_mul_public(i, &p, b, bn) && pt_madd_public(i, z, bn)))
		rc = -KEYS_E_CRYPTO;
	if (rc == 0)
		rc = BN_is_zero(i->z) ? -KEYS_E_RANGE : pt_affine(i, 0, bn);
	BN_CTX_end(bn);
	return rc;
}

/*
 * Decode Z and RSK, compute I = [a]P + Z, build the RSK's lines and check
 * <RSK, I> == g (§6.1.2; = <I, RSK> by symmetry).
 */
static int
rsk_setup(struct lines *l, struct pt *i, const uint8_t rsk[SAKKE_POINT_LEN],
	  const uint8_t zpub[SAKKE_POINT_LEN], const uint8_t *id, size_t id_len, BN_CTX *bn)
{
	uint8_t w[SAKKE_L];
	struct pt z, k;
	int rc;

	BN_CTX_start(bn);
	rc = pt_get(&z, bn) && pt_get(&k, bn) ? pt_decode_full(&z, zpub, bn) : -KEYS_E_NOMEM;
	if (rc == 0)
		rc = pt_decode_full(&k, rsk, bn);
	if (rc == 0)
		rc = point_i(i, &z, id, id_len, bn);
	if (rc == 0)
		rc = lines_build(l, &k, bn);
	if (rc == 0) {
		rc = lines_eval(w, l, i, 0, bn);
		if (rc == 0 && sodium_memcmp(w, S.gb, SAKKE_L) != 0)
			rc = -KEYS_E_KEY;
		if (rc < 0)
			lines_free(l);
	}
	WIPE(w);
	BN_CTX_end(bn);
	return rc;
}

int
sakke_rsk_validate(const uint8_t rsk[SAKKE_POINT_LEN], const uint8_t zpub[SAKKE_POINT_LEN],
		   const uint8_t *id, size_t id_len)
{
	struct lines l = { 0 };
	struct pt i;
	BN_CTX *bn;
	int rc;

	if (rsk == NULL || zpub == NULL || (id == NULL && id_len != 0))
		return -KEYS_E_ARG;
	rc = begin(&bn);
	if (rc < 0)
		return rc;
	rc = pt_get(&i, bn) ? rsk_setup(&l, &i, rsk, zpub, id, id_len, bn) : -KEYS_E_NOMEM;
	lines_free(&l);
	end(bn);
	return rc;
}

static int
id_dup(uint8_t **dst, size_t *dst_len, const uint8_t *id, size_t id_len)
{
	*dst = malloc(id_len + 1);
	if (*dst == NULL)
		return -KEYS_E_NOMEM;
	if (id_len != 0)
		memcpy(*dst, id, id_len);
	*dst_len = id_len;
	return 0;
}

int
sakke_sender_new(struct sakke_sender **out, const uint8_t zpub[SAKKE_POINT_LEN],
		 const uint8_t *id, size_t id_len)
{
	struct sakke_sender *s;
	struct pt z, i;
	BN_CTX *bn;
	int rc;

	if (out == NULL)
		return -KEYS_E_ARG;
	*out = NULL;
	if (zpub == NULL || (id == NULL && id_len != 0))
		return -KEYS_E_ARG;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -KEYS_E_NOMEM;
	s->itab = comb_new(CV_S);
	rc = s->itab == NULL ? -KEYS_E_NOMEM : id_dup(&s->id, &s->id_len, id, id_len);
	if (rc == 0)
		rc = begin(&bn);
	if (rc < 0) {
		sakke_sender_free(s);
		return rc;
	}
	rc = pt_get(&z, bn) && pt_get(&i, bn) ? pt_decode_full(&z, zpub, bn) : -KEYS_E_NOMEM;
	/* §6.2.1 step 3 precomputed: [b]P + Z and its comb table */
	if (rc == 0)
		rc = point_i(&i, &z, id, id_len, bn);
	if (rc == 0)
		rc = comb_build(s->itab, &i, bn);
	end(bn);
	if (rc < 0) {
		sakke_sender_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
sakke_sender_free(struct sakke_sender *s)
{
	if (s == NULL)
		return;
	free(s->itab);
	free(s->id);
	free(s);
}

/* R = [r]I, encoded (§6.2.1 step 3, §6.2.2 step 5). */
static int
mul_i(uint8_t out[SAKKE_POINT_LEN], const struct comb *itab, const uint64_t r[KL], BN_CTX *bn)
{
	struct pt t;
	int rc;

	BN_CTX_start(bn);
	rc = pt_get(&t, bn) ? comb_mul(&t, itab, r, bn) : -KEYS_E_NOMEM;
	if (rc == 0)
		rc = pt_affine(&t, 1, bn);
	if (rc == 0)
		rc = pt_encode(out, &t, bn);
	BN_CTX_end(bn);
	return rc;
}

int
sakke_encapsulate_ssv(uint8_t ed[SAKKE_ED_LEN], const uint8_t ssv[SAKKE_SSV_LEN],
		      const struct sakke_sender *s)
{
	uint8_t w[SAKKE_L], mask[32];
	uint64_t r[KL];
	struct fe2 v;
	BN_CTX *bn;
	int rc, i;

	if (ed == NULL || ssv == NULL || s == NULL)
		return -KEYS_E_ARG;
	rc = begin(&bn);
	if (rc < 0)
		return rc;
	v.a = BN_CTX_get(bn);
	v.b = BN_CTX_get(bn);
	/* step 2: r = HashToIntegerRange(SSV || b, q) */
	rc = v.b == NULL ? -KEYS_E_NOMEM : hash_to_q_limbs(r, ssv, SAKKE_SSV_LEN, s->id, s->id_len);
	/* step 3: R_(b,S) = [r]([b]P + Z) */
	if (rc == 0)
		rc = mul_i(ed, s->itab, r, bn);
	/* step 4: g^r, as (1 + i·g)^r */
	if (rc == 0)
		rc = gcomb_pow(&v, r, bn);
	if (rc == 0)
		rc = fe2_rep(w, &v, bn);
	/* step 5: H = SSV XOR HashToIntegerRange(g^r, 2^n) */
	if (rc == 0)
		rc = h2ir(mask, 1, w, SAKKE_L, NULL, 0);
	for (i = 0; rc == 0 && i < SAKKE_SSV_LEN; i++)
		ed[SAKKE_POINT_LEN + i] = ssv[i] ^ mask[32 - SAKKE_SSV_LEN + i];
	WIPE(w);
	WIPE(mask);
	WIPE(r);
	end(bn);
	if (rc < 0)
		sodium_memzero(ed, SAKKE_ED_LEN);
	return rc;
}

int
sakke_encapsulate(uint8_t ed[SAKKE_ED_LEN], uint8_t ssv[SAKKE_SSV_LEN],
		  const struct sakke_sender *s)
{
	int rc;

	if (ssv == NULL)
		return -KEYS_E_ARG;
	/* step 1: a fresh 128-bit SSV */
	randombytes_buf(ssv, SAKKE_SSV_LEN);
	rc = sakke_encapsulate_ssv(ed, ssv, s);
	if (rc < 0)
		sodium_memzero(ssv, SAKKE_SSV_LEN);
	return rc;
}

int
sakke_receiver_new(struct sakke_receiver **out, const uint8_t rsk[SAKKE_POINT_LEN],
		   const uint8_t zpub[SAKKE_POINT_LEN], const uint8_t *id, size_t id_len)
{
	struct sakke_receiver *r;
	struct pt i;
	BN_CTX *bn;
	int rc;

	if (out == NULL)
		return -KEYS_E_ARG;
	*out = NULL;
	if (rsk == NULL || zpub == NULL || (id == NULL && id_len != 0))
		return -KEYS_E_ARG;
	/*
	 * Plain heap: the secret (the RSK's line table) lives in BIGNUMs that
	 * are cleared on free; keeping the pointers in scanned memory lets
	 * LeakSanitizer see them.
	 */
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -KEYS_E_NOMEM;
	r->itab = comb_new(CV_R);
	rc = r->itab == NULL ? -KEYS_E_NOMEM : id_dup(&r->id, &r->id_len, id, id_len);
	if (rc == 0)
		rc = begin(&bn);
	if (rc < 0) {
		sakke_receiver_free(r);
		return rc;
	}
	rc = pt_get(&i, bn) ? rsk_setup(&r->rsk, &i, rsk, zpub, id, id_len, bn) : -KEYS_E_NOMEM;
	if (rc == 0)
		rc = comb_build(r->itab, &i, bn);
	end(bn);
	if (rc < 0) {
		sakke_receiver_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void
sakke_receiver_free(struct sakke_receiver *r)
{
	if (r == NULL)
		return;
	lines_free(&r->rsk);
	free(r->itab);
	free(r->id);
	sodium_memzero(r, sizeof(*r));
	free(r);
}

/* §6.2.2 steps 2-5 on a decoded R; |ssv| holds the candidate SSV. */
static int
decap(uint8_t ssv[SAKKE_SSV_LEN], const uint8_t *ed, const struct pt *rp,
      const struct sakke_receiver *r, BN_CTX *bn)
{
	uint8_t w[SAKKE_L], mask[32], test[SAKKE_POINT_LEN];
	uint64_t rr[KL];
	int rc, i;

	/* step 2: w = <R_(b,S), K_(b,S)>, computed as <K_(b,S), R_(b,S)> */
	rc = lines_eval(w, &r->rsk, rp, 0, bn);
	/* step 3: SSV = H XOR HashToIntegerRange(w, 2^n) */
	if (rc == 0)
		rc = h2ir(mask, 1, w, SAKKE_L, NULL, 0);
	for (i = 0; rc == 0 && i < SAKKE_SSV_LEN; i++)
		ssv[i] = ed[SAKKE_POINT_LEN + i] ^ mask[32 - SAKKE_SSV_LEN + i];
	/* step 4: r = HashToIntegerRange(SSV || b, q) */
	if (rc == 0)
		rc = hash_to_q_limbs(rr, ssv, SAKKE_SSV_LEN, r->id, r->id_len);
	/* step 5: TEST = [r]([b]P + Z_S) must equal R_(b,S) */
	if (rc == 0)
		rc = mul_i(test, r->itab, rr, bn);
	if (rc == 0 && sodium_memcmp(test, ed, SAKKE_POINT_LEN) != 0)
		rc = -KEYS_E_VERIFY;
	WIPE(w);
	WIPE(mask);
	WIPE(rr);
	return rc;
}

int
sakke_decapsulate(uint8_t ssv[SAKKE_SSV_LEN], const uint8_t *ed, size_t ed_len,
		  const struct sakke_receiver *r)
{
	uint8_t cand[SAKKE_SSV_LEN];
	struct pt rp;
	BN_CTX *bn;
	int rc;

	if (ssv == NULL || r == NULL || (ed == NULL && ed_len != 0))
		return -KEYS_E_ARG;
	sodium_memzero(ssv, SAKKE_SSV_LEN);
	/* step 1: R_(b,S) (257) || H (16), exactly */
	if (ed_len != SAKKE_ED_LEN)
		return -KEYS_E_PARSE;
	rc = begin(&bn);
	if (rc < 0)
		return rc;
	rc = pt_get(&rp, bn) ? pt_decode(&rp, ed, bn) : -KEYS_E_NOMEM;
	/* y = 0: a point of order 2, never in the subgroup */
	if (rc == 0 && BN_is_zero(rp.y))
		rc = -KEYS_E_POINT;
	if (rc == 0)
		rc = decap(cand, ed, &rp, r, bn);
	/*
	 * TEST = [r]I lies in the order-q subgroup, so an R outside it always
	 * fails TEST: the costly subgroup check only runs then, to report it.
	 */
	if (rc == -KEYS_E_VERIFY && pt_check_subgroup(&rp, bn) == -KEYS_E_POINT)
		rc = -KEYS_E_POINT;
	/* step 6: release the SSV only now */
	if (rc == 0)
		memcpy(ssv, cand, SAKKE_SSV_LEN);
	WIPE(cand);
	end(bn);
	return rc;
}

int
sakke_pairing(uint8_t out[SAKKE_L], const uint8_t r[SAKKE_POINT_LEN],
	      const uint8_t q[SAKKE_POINT_LEN])
{
	struct lines l = { 0 };
	struct pt a, b;
	BN_CTX *bn;
	int rc;

	if (out == NULL || r == NULL || q == NULL)
		return -KEYS_E_ARG;
	rc = begin(&bn);
	if (rc < 0)
		return rc;
	rc = pt_get(&a, bn) && pt_get(&b, bn) ? pt_decode_full(&a, r, bn) : -KEYS_E_NOMEM;
	if (rc == 0)
		rc = pt_decode_full(&b, q, bn);
	if (rc == 0)
		rc = lines_build(&l, &a, bn);
	if (rc == 0)
		rc = lines_eval(out, &l, &b, 1, bn);
	lines_free(&l);
	end(bn);
	return rc;
}

int
sakke_g_pow(uint8_t out[SAKKE_L], const uint8_t e[SAKKE_SCALAR_LEN])
{
	uint64_t k[KL];
	struct fe2 v;
	BN_CTX *bn;
	int rc;

	if (out == NULL || e == NULL)
		return -KEYS_E_ARG;
	rc = begin(&bn);
	if (rc < 0)
		return rc;
	v.a = BN_CTX_get(bn);
	v.b = BN_CTX_get(bn);
	scalar_limbs(k, e);
	rc = v.b == NULL ? -KEYS_E_NOMEM : gcomb_pow(&v, k, bn);
	if (rc == 0)
		rc = fe2_rep(out, &v, bn);
	WIPE(k);
	end(bn);
	return rc;
}

int
sakke_hash_to_q(uint8_t out[SAKKE_L], const uint8_t *s, size_t s_len)
{
	uint64_t r[KL];
	int rc;

	if (out == NULL || (s == NULL && s_len != 0))
		return -KEYS_E_ARG;
	rc = ready();
	if (rc == 0)
		rc = hash_to_q_limbs(r, s, s_len, NULL, 0);
	if (rc == 0)
		limbs_scalar(out, r);
	WIPE(r);
	return rc;
}

int
sakke_hash_to_2n(uint8_t out[SAKKE_SSV_LEN], const uint8_t *s, size_t s_len)
{
	uint8_t v[32];
	int rc;

	if (out == NULL || (s == NULL && s_len != 0))
		return -KEYS_E_ARG;
	rc = ready();
	if (rc == 0)
		rc = h2ir(v, 1, s, s_len, NULL, 0);
	/* v_1 mod 2^128: its last 16 octets (pitfall 6) */
	if (rc == 0)
		memcpy(out, v + 32 - SAKKE_SSV_LEN, SAKKE_SSV_LEN);
	WIPE(v);
	return rc;
}
