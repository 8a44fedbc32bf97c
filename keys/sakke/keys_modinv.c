/* SPDX-License-Identifier: proprietary */
/*
 * Binary GCD with word-sized steps (T. Pornin, "Optimized Binary GCD for
 * Modular Inversion", 2020, Algorithm 2), in a variable-time form: see
 * keys_modinv.h for who may call it.
 *
 * Invariants: a = y·u and b = y·v (mod m), b odd. Each outer round reads a
 * 64-bit approximation of a and b (their low 31 bits, exact, and the top 33
 * bits at their common length), runs 31 binary-GCD steps on it with a 2x2
 * matrix of small signed factors, and applies the matrix to (a, b) (exact
 * division by 2^31) and to (u, v) (Montgomery division by 2^31 mod m). The
 * loop ends when a = 0; then b = gcd(y, m) and v = y^-1 when b = 1.
 */
#include <string.h>

#include <sodium.h>

#include "keys_modinv.h"

#define ML (KEYS_MODINV_MAXL + 1)	/* working width: one limb of headroom */
#define K 31				/* binary-GCD steps per round */

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

struct ctx {
	const uint64_t *m;
	uint64_t minv;		/* -m^-1 mod 2^64 */
	size_t n;
};

static int
is_zero(const uint64_t *a, size_t n)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; i < n; i++)
		t |= a[i];
	return t == 0;
}

/* a >= b on n limbs */
static int
ge(const uint64_t *a, const uint64_t *b, size_t n)
{
	size_t i = n;

	while (i-- > 0)
		if (a[i] != b[i])
			return a[i] > b[i];
	return 1;
}

/* a -= b on n limbs; returns the borrow */
static uint64_t
sub(uint64_t *a, const uint64_t *b, size_t n)
{
	uint64_t br = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		u128 d = (u128)a[i] - b[i] - br;

		a[i] = (uint64_t)d;
		br = (uint64_t)(d >> 64) & 1;
	}
	return br;
}

/* a += b on n limbs; returns the carry */
static uint64_t
add(uint64_t *a, const uint64_t *b, size_t n)
{
	uint64_t c = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		u128 s = (u128)a[i] + b[i] + c;

		a[i] = (uint64_t)s;
		c = (uint64_t)(s >> 64);
	}
	return c;
}

/* a = -a on n limbs (two's complement) */
static void
neg(uint64_t *a, size_t n)
{
	uint64_t c = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		u128 s = (u128)(~a[i]) + c;

		a[i] = (uint64_t)s;
		c = (uint64_t)(s >> 64);
	}
}

/* Bit length of a (n limbs). */
static unsigned int
bitlen(const uint64_t *a, size_t n)
{
	size_t i = n;

	while (i-- > 0)
		if (a[i] != 0)
			return (unsigned int)(64 * i + 64) - (unsigned int)__builtin_clzll(a[i]);
	return 0;
}

/* 64 bits of a starting at bit |pos| (bits past the top are 0). */
static uint64_t
bits_at(const uint64_t *a, size_t n, unsigned int pos)
{
	size_t w = pos / 64;
	unsigned int s = pos % 64;
	uint64_t lo = w < n ? a[w] : 0, hi = w + 1 < n ? a[w + 1] : 0;

	return s == 0 ? lo : (lo >> s) | (hi << (64 - s));
}

/*
 * r = (x·f + y·g) as a signed number of n + 1 limbs (two's complement),
 * for x, y of n limbs and |f|, |g| <= 2^31.
 */
static void
lincomb(uint64_t *r, const uint64_t *x, const uint64_t *y, int64_t f, int64_t g, size_t n)
{
	i128 acc = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		acc += (i128)x[i] * f + (i128)y[i] * g;
		r[i] = (uint64_t)acc;
		acc >>= 64;	/* arithmetic: GCC and Clang */
	}
	r[n] = (uint64_t)acc;
}

/* r >>= K on n + 1 signed limbs; the result fits n + 1 limbs. */
static void
sar_k(uint64_t *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		r[i] = (r[i] >> K) | (r[i + 1] << (64 - K));
	r[n] = (uint64_t)((int64_t)r[n] >> K);
}

/*
 * (a, b) = ((a·f0 + b·g0) / 2^K, (a·f1 + b·g1) / 2^K), exact divisions; a
 * negative result is negated together with its factors. n-limb a, b.
 */
static void
update_ab(uint64_t *a, uint64_t *b, int64_t *f0, int64_t *g0, int64_t *f1, int64_t *g1,
	  size_t n)
{
	uint64_t ta[ML], tb[ML];

	lincomb(ta, a, b, *f0, *g0, n);
	lincomb(tb, a, b, *f1, *g1, n);
	sar_k(ta, n);
	sar_k(tb, n);
	if ((int64_t)ta[n] < 0) {
		neg(ta, n + 1);
		*f0 = -*f0;
		*g0 = -*g0;
	}
	if ((int64_t)tb[n] < 0) {
		neg(tb, n + 1);
		*f1 = -*f1;
		*g1 = -*g1;
	}
	memcpy(a, ta, n * sizeof(uint64_t));
	memcpy(b, tb, n * sizeof(uint64_t));
}

/* r = (x·f + y·g) / 2^K mod m, for x, y < m. */
static void
lincomb_mod(uint64_t *r, const uint64_t *x, const uint64_t *y, int64_t f, int64_t g,
	    const struct ctx *c)
{
	uint64_t t[ML], cm, carry = 0;
	size_t i, n = c->n;

	lincomb(t, x, y, f, g, n);
	/* t + cm·m = 0 mod 2^K; |t| < 2^31·m, cm·m < 2^31·m */
	cm = (t[0] * c->minv) & ((((uint64_t)1) << K) - 1);
	for (i = 0; i < n; i++) {
		u128 s = (u128)cm * c->m[i] + t[i] + carry;

		t[i] = (uint64_t)s;
		carry = (uint64_t)(s >> 64);
	}
	t[n] += carry;
	sar_k(t, n);
	/* now -m < t < 2m */
	if ((int64_t)t[n] < 0)
		(void)add(t, c->m, n);
	else if (t[n] != 0 || ge(t, c->m, n))
		(void)sub(t, c->m, n);
	memcpy(r, t, n * sizeof(uint64_t));
}

/* 31 binary-GCD steps on the approximations xa, xb: the update matrix. */
static void
inner(uint64_t xa, uint64_t xb, int64_t *f0, int64_t *g0, int64_t *f1, int64_t *g1)
{
	int64_t a0 = 1, b0 = 0, a1 = 0, b1 = 1, t;
	uint64_t x;
	int j;

	for (j = 0; j < K; j++) {
		if (xa & 1) {
			if (xa < xb) {
				x = xa;
				xa = xb;
				xb = x;
				t = a0;
				a0 = a1;
				a1 = t;
				t = b0;
				b0 = b1;
				b1 = t;
			}
			xa -= xb;
			a0 -= a1;
			b0 -= b1;
		}
		xa >>= 1;
		a1 *= 2;
		b1 *= 2;
	}
	*f0 = a0;
	*g0 = b0;
	*f1 = a1;
	*g1 = b1;
}

int
keys_modinv_vartime(uint64_t *r, const uint64_t *y, const uint64_t *m, size_t n)
{
	uint64_t a[ML], b[ML], u[ML], v[ML];
	struct ctx c = { .m = m, .n = n, .minv = 1 };
	int i, rc = 0;
	unsigned int rounds;

	if (n == 0 || n > KEYS_MODINV_MAXL || (m[0] & 1) == 0 || m[n - 1] == 0 ||
	    (n == 1 && m[0] == 1))
		return -KEYS_E_ARG;
	/* m^-1 mod 2^64 by Newton's iteration (each step doubles the correct bits) */
	for (i = 0; i < 6; i++)
		c.minv *= 2 - m[0] * c.minv;
	c.minv = 0 - c.minv;
	/* a = y mod m, by subtraction: callers pass y < m or barely above */
	memcpy(a, y, n * sizeof(uint64_t));
	while (ge(a, m, n))
		(void)sub(a, m, n);
	memcpy(b, m, n * sizeof(uint64_t));
	memset(u, 0, sizeof(u));
	memset(v, 0, sizeof(v));
	u[0] = 1;
	/* each round shortens a and b by about K bits together */
	for (rounds = 0; !is_zero(a, n); rounds++) {
		unsigned int la = bitlen(a, n), lb = bitlen(b, n), l = la > lb ? la : lb;
		uint64_t xa, xb, lo = (((uint64_t)1) << K) - 1, tu[ML], tv[ML];
		int64_t f0, g0, f1, g1;

		if (rounds > 2 * 64 * KEYS_MODINV_MAXL) {	/* cannot happen */
			rc = -KEYS_E_RANGE;
			goto out;
		}
		if (l < 64)
			l = 64;
		/* the low K bits, exact, and the top 64 - K bits at the common length */
		xa = (a[0] & lo) | (bits_at(a, n, l - (64 - K)) << K);
		xb = (b[0] & lo) | (bits_at(b, n, l - (64 - K)) << K);
		inner(xa, xb, &f0, &g0, &f1, &g1);
		update_ab(a, b, &f0, &g0, &f1, &g1, n);
		lincomb_mod(tu, u, v, f0, g0, &c);
		lincomb_mod(tv, u, v, f1, g1, &c);
		memcpy(u, tu, n * sizeof(uint64_t));
		memcpy(v, tv, n * sizeof(uint64_t));
	}
	/* b = gcd(y, m), and b = y·v */
	if (b[0] != 1 || !is_zero(b + 1, n - 1))
		rc = -KEYS_E_RANGE;
	else
		memcpy(r, v, n * sizeof(uint64_t));
out:
	if (rc < 0)
		memset(r, 0, n * sizeof(uint64_t));
	sodium_memzero(a, sizeof(a));
	sodium_memzero(b, sizeof(b));
	sodium_memzero(u, sizeof(u));
	sodium_memzero(v, sizeof(v));
	return rc;
}
