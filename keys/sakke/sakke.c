/* SPDX-License-Identifier: proprietary */
/*
 * SAKKE (RFC 6508), parameter set 1 (RFC 6509 Appendix A).
 *
 * Field arithmetic: OpenSSL BIGNUMs in Montgomery form (BN_mod_mul_montgomery
 * on 16 limbs). Points: Jacobian coordinates for a = -3; lines of the pairing
 * are scaled by F_p factors freely, since the result lives in
 * PF_p = F_p^2* / F_p* (RFC 6508 §3.2).
 *
 * Secret scalars (z, (a+z)^-1, r) go through a fixed-base comb (6 teeth, 171
 * columns) whose table entry is selected by scanning every entry with masks,
 * and whose additions run for every column, the point at infinity and zero
 * columns being resolved by masked selection: the sequence of operations and
 * memory accesses does not depend on the scalar. g^r uses the same comb in
 * F_p^2. Every inversion of a secret-dependent value is blinded by a random
 * factor. The residual leaks are those of OpenSSL's BN add/sub (word-length
 * normalisation of intermediate values).
 *
 * Pairing: <A, B> is computed by a line table built from A (affine slopes,
 * one blinded inversion per step) evaluated at [i]B with multiplications only.
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
#define KL (NL + 1)		/* limbs of a comb scalar (w·d = 1026 bits) */
#define CW 6			/* comb teeth */
#define CD 171			/* comb columns: ceil(1024 / CW) */
#define CN (1 << CW)		/* comb table entries */
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

/* Comb table: entry u = sum of [2^(t·CD)]X over the bits t of u (affine x, y), or
 * the product of gamma^(2^(t·CD)) (re, im); Montgomery limbs. Entry 0 is a
 * harmless filler (X itself, or 1). */
struct comb {
	uint64_t t[CN][2][NL];
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
	BN_MONT_CTX *mp;
	BIGNUM *px, *py;		/* P, Montgomery form */
	struct comb *ptab, *gtab;	/* comb tables of P and gamma = 1 + i·g */
	uint64_t q1[NL], q2[NL], q4[NL];	/* q, 2q, 4q as limbs */
	uint64_t one_l[NL];
	size_t nlines;
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
	ERR_set_mark();
	if (BN_from_montgomery(t, t, S.mp, bn) && BN_mod_inverse(t, t, S.p, bn) != NULL &&
	    BN_to_montgomery(r, t, S.mp, bn) && (!blind || fmul(r, r, beta, bn)))
		rc = 0;
	ERR_pop_to_mark();
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

/* (a + bi)(c + i) = (ac - b) + (a + bc)·i: multiplication by a scaled line */
static int
fe2_mul_line(struct fe2 *v, const BIGNUM *c, BN_CTX *bn)
{
	BIGNUM *ac, *bc;
	int ok;

	BN_CTX_start(bn);
	ac = BN_CTX_get(bn);
	bc = BN_CTX_get(bn);
	ok = bc != NULL && fmul(ac, v->a, c, bn) && fmul(bc, v->b, c, bn) &&
	     fsub(ac, ac, v->b) && fadd(v->b, v->a, bc) && BN_copy(v->a, ac) != NULL;
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

static void
comb_select(uint64_t out[2][NL], const struct comb *tab, unsigned int u)
{
	unsigned int k, j;

	memset(out, 0, 2 * NL * sizeof(uint64_t));
	for (k = 0; k < CN; k++) {
		uint64_t m = ct_eq_mask(k, u);

		for (j = 0; j < NL; j++) {
			out[0][j] |= tab->t[k][0][j] & m;
			out[1][j] |= tab->t[k][1][j] & m;
		}
	}
}

static unsigned int
comb_column(const uint64_t k[KL], unsigned int i)
{
	unsigned int t, u = 0;

	for (t = 0; t < CW; t++) {
		unsigned int bit = t * CD + i;

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

static void
sel3(uint64_t out[NL], const uint64_t a[NL], uint64_t ma, const uint64_t b[NL], uint64_t mb,
     const uint64_t c[NL], uint64_t mc)
{
	unsigned int j;

	for (j = 0; j < NL; j++)
		out[j] = (a[j] & ma) | (b[j] & mb) | (c[j] & mc);
}

/*
 * r = [k]X from X's comb table. Per column: Q = 2Q, A = T[u], S = Q + A,
 * then Q = u == 0 ? Q : (Q = O ? A : S), by masks.
 */
static int
comb_mul(struct pt *r, const struct comb *tab, const uint64_t k[KL], BN_CTX *bn)
{
	uint64_t a[2][NL], lq[3][NL], ls[3][NL], out[NL], inf = ~(uint64_t)0;
	struct pt ap, s;
	int i, c, ok;

	BN_CTX_start(bn);
	ok = pt_get(&ap, bn) && pt_get(&s, bn) && pt_set_inf(r);
	for (i = CD - 1; ok && i >= 0; i--) {
		unsigned int u = comb_column(k, (unsigned int)i);
		uint64_t mz = ct_eq_mask(u, 0);

		comb_select(a, tab, u);
		ok = pt_dbl(r, r, bn) && limbs_to_bn(ap.x, a[0]) && limbs_to_bn(ap.y, a[1]) &&
		     BN_copy(ap.z, S.one) && pt_madd(&s, r, &ap, NULL, NULL, bn) &&
		     bn_to_limbs(lq[0], r->x) && bn_to_limbs(lq[1], r->y) &&
		     bn_to_limbs(lq[2], r->z) && bn_to_limbs(ls[0], s.x) &&
		     bn_to_limbs(ls[1], s.y) && bn_to_limbs(ls[2], s.z);
		for (c = 0; ok && c < 3; c++) {
			const uint64_t *l = c < 2 ? a[c] : S.one_l;
			BIGNUM *dst = c == 0 ? r->x : c == 1 ? r->y : r->z;

			sel3(out, lq[c], mz, l, ~mz & inf, ls[c], ~mz & ~inf);
			ok = limbs_to_bn(dst, out);
		}
		inf &= mz;
	}
	sodium_memzero(a, sizeof(a));
	sodium_memzero(lq, sizeof(lq));
	sodium_memzero(ls, sizeof(ls));
	sodium_memzero(out, sizeof(out));
	BN_CTX_end(bn);
	return ok ? 0 : -KEYS_E_CRYPTO;
}

/* Comb table of an affine point x of order q (public). */
static int
comb_build(struct comb *tab, const struct pt *x, BN_CTX *bn)
{
	struct pt b[CW], a, c;
	int i, j, ok = 1, rc = 0;
	unsigned int u;

	BN_CTX_start(bn);
	for (i = 0; i < CW; i++)
		ok = ok && pt_get(&b[i], bn);
	ok = ok && pt_get(&a, bn) && pt_get(&c, bn) && pt_copy(&b[0], x);
	/* b[i] = [2^(i·CD)]x, affine */
	for (i = 1; ok && rc == 0 && i < CW; i++) {
		ok = pt_copy(&b[i], &b[i - 1]);
		for (j = 0; ok && j < CD; j++)
			ok = pt_dbl(&b[i], &b[i], bn);
		if (ok)
			rc = pt_affine(&b[i], 0, bn);
	}
	ok = ok && rc == 0 && bn_to_limbs(tab->t[0][0], x->x) && bn_to_limbs(tab->t[0][1], x->y);
	for (u = 1; ok && rc == 0 && u < CN; u++) {
		int top = 31 - __builtin_clz(u);
		unsigned int rest = u & ~(1u << top);

		ok = pt_copy(&c, &b[top]);
		if (ok && rest != 0) {
			/* T[u] = b[top] + T[rest] */
			ok = limbs_to_bn(a.x, tab->t[rest][0]) &&
			     limbs_to_bn(a.y, tab->t[rest][1]) && BN_copy(a.z, S.one) &&
			     pt_madd_public(&c, &a, bn);
			if (ok)
				rc = BN_is_zero(c.z) ? -KEYS_E_POINT : pt_affine(&c, 0, bn);
		}
		ok = ok && rc == 0 && bn_to_limbs(tab->t[u][0], c.x) &&
		     bn_to_limbs(tab->t[u][1], c.y);
	}
	BN_CTX_end(bn);
	if (rc == 0 && !ok)
		rc = -KEYS_E_CRYPTO;
	return rc;
}

/* Comb table of gamma = 1 + i·g in F_p^2 (entry u: product of gamma^(2^(t·CD))). */
static int
gcomb_build(struct comb *tab, const BIGNUM *gm, BN_CTX *bn)
{
	struct fe2 b[CW], t, a;
	int i, j, ok = 1;
	unsigned int u;

	BN_CTX_start(bn);
	for (i = 0; i < CW; i++) {
		b[i].a = BN_CTX_get(bn);
		b[i].b = BN_CTX_get(bn);
	}
	t.a = BN_CTX_get(bn);
	t.b = BN_CTX_get(bn);
	a.a = BN_CTX_get(bn);
	a.b = BN_CTX_get(bn);
	ok = a.b != NULL && BN_copy(b[0].a, S.one) && BN_copy(b[0].b, gm);
	for (i = 1; ok && i < CW; i++) {
		ok = BN_copy(b[i].a, b[i - 1].a) && BN_copy(b[i].b, b[i - 1].b);
		for (j = 0; ok && j < CD; j++)
			ok = fe2_sqr(&b[i], &b[i], bn);
	}
	ok = ok && bn_to_limbs(tab->t[0][0], S.one) && (BN_zero(t.b), 1) &&
	     bn_to_limbs(tab->t[0][1], t.b);
	for (u = 1; ok && u < CN; u++) {
		int top = 31 - __builtin_clz(u);
		unsigned int rest = u & ~(1u << top);

		ok = limbs_to_bn(a.a, tab->t[rest][0]) && limbs_to_bn(a.b, tab->t[rest][1]) &&
		     fe2_mul(&t, &a, &b[top], bn) && bn_to_limbs(tab->t[u][0], t.a) &&
		     bn_to_limbs(tab->t[u][1], t.b);
	}
	BN_CTX_end(bn);
	return ok ? 0 : -KEYS_E_CRYPTO;
}

/* v = gamma^k by the F_p^2 comb (no exceptional cases: entry 0 is 1). */
static int
gcomb_pow(struct fe2 *v, const uint64_t k[KL], BN_CTX *bn)
{
	uint64_t a[2][NL];
	struct fe2 e;
	int i, ok;

	BN_CTX_start(bn);
	e.a = BN_CTX_get(bn);
	e.b = BN_CTX_get(bn);
	ok = e.b != NULL && BN_copy(v->a, S.one) && (BN_zero(v->b), 1);
	for (i = CD - 1; ok && i >= 0; i--) {
		comb_select(a, S.gtab, comb_column(k, (unsigned int)i));
		ok = fe2_sqr(v, v, bn) && limbs_to_bn(e.a, a[0]) && limbs_to_bn(e.b, a[1]) &&
		     fe2_mul(v, v, &e, bn);
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
 * each line's slope: tangent l = 3(Cx^2 - 1)/(2Cy), chord l = (Cy - Ry)/(Cx - Rx),
 * for the bits of q - 1 from the second most significant down. Inversions
 * are blinded (x may be the RSK). -KEYS_E_POINT if a slope is undefined
 * (x not of order q).
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
	for (i = BN_num_bits(S.qm1) - 2; rc == 0 && i >= 0; i--) {
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
		if (rc < 0 || !BN_is_bit_set(S.qm1, i))
			continue;
		/* chord: l = (Cy - Ry) / (Cx - Rx); C = C + R */
		if (!fsub(den, cx, x->x) || !fsub(num, cy, x->y)) {
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
	BIGNUM *iy, *qx, *c, *t;
	struct fe2 v;
	size_t k = 0;
	int i, rc, ok;

	BN_CTX_start(bn);
	iy = BN_CTX_get(bn);
	qx = BN_CTX_get(bn);
	c = BN_CTX_get(bn);
	t = BN_CTX_get(bn);
	v.a = BN_CTX_get(bn);
	v.b = BN_CTX_get(bn);
	rc = v.b == NULL ? -KEYS_E_NOMEM : finv(iy, q->y, blind, bn);
	if (rc < 0)
		goto out;
	ok = fmul(qx, q->x, iy, bn) && BN_copy(v.a, S.one) && (BN_zero(v.b), 1);
	for (i = BN_num_bits(S.qm1) - 2; ok && i >= 0; i--) {
		/* v = v^2 · tangent */
		ok = fe2_sqr(&v, &v, bn) && fmul(c, l->lam[k], qx, bn) &&
		     fmul(t, l->mu[k], iy, bn) && fadd(c, c, t) && fe2_mul_line(&v, c, bn);
		k++;
		if (!ok || !BN_is_bit_set(S.qm1, i))
			continue;
		/* v = v · chord */
		ok = fmul(c, l->lam[k], qx, bn) && fmul(t, l->mu[k], iy, bn) && fadd(c, c, t) &&
		     fe2_mul_line(&v, c, bn);
		k++;
	}
	/* final exponentiation: t = v^4 */
	ok = ok && fe2_sqr(&v, &v, bn) && fe2_sqr(&v, &v, bn);
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

static void
setup(void)
{
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *px = NULL, *py = NULL, *g = NULL, *t = BN_new();
	struct pt pp;
	int ok;

	S.mp = BN_MONT_CTX_new();
	S.one = BN_new();
	S.qm1 = BN_new();
	S.ptab = malloc(sizeof(*S.ptab));
	S.gtab = malloc(sizeof(*S.gtab));
	S.md = EVP_MD_fetch(NULL, "SHA256", NULL);
	ok = bn != NULL && t != NULL && S.mp != NULL && S.one != NULL && S.qm1 != NULL &&
	     S.ptab != NULL && S.gtab != NULL && S.md != NULL && hex_bn(&S.p, P_HEX) &&
	     hex_bn(&S.q, Q_HEX) && hex_bn(&px, PX_HEX) && hex_bn(&py, PY_HEX) &&
	     hex_bn(&g, G_HEX) && BN_MONT_CTX_set(S.mp, S.p, bn) &&
	     BN_to_montgomery(S.one, BN_value_one(), S.mp, bn) && BN_copy(S.qm1, S.q) &&
	     BN_sub_word(S.qm1, 1) && bn_to_limbs(S.one_l, S.one) && bn_to_limbs(S.q1, S.q) &&
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

		/* tangent steps plus one chord per set bit below the top of q - 1 */
		S.nlines = (size_t)BN_num_bits(S.qm1) - 1;
		for (i = BN_num_bits(S.qm1) - 2; i >= 0; i--)
			S.nlines += (size_t)BN_is_bit_set(S.qm1, i);
		BN_CTX_start(bn);
		ok = pt_get(&pp, bn) && BN_copy(pp.x, px) && BN_copy(pp.y, py) &&
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
	BIGNUM *zz, *a, *beta;
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
	rc = beta == NULL ? -KEYS_E_NOMEM : z_load(zz, z);
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
	randombytes_buf(kb, sizeof(kb));
	if (BN_bin2bn(kb, sizeof(kb), beta) == NULL || !BN_nnmod(beta, beta, S.q, bn) ||
	    BN_is_zero(beta) || !BN_mod_mul(a, a, beta, S.q, bn) ||
	    BN_mod_inverse(a, a, S.q, bn) == NULL || !BN_mod_mul(a, a, beta, S.q, bn) ||
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
	s->itab = malloc(sizeof(*s->itab));
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
	r->itab = malloc(sizeof(*r->itab));
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
