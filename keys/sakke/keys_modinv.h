/* SPDX-License-Identifier: proprietary */
/*
 * Modular inversion on fixed-size limb arrays (64-bit limbs, least
 * significant first), for ECCSI (mod q of P-256) and SAKKE (mod p, mod q of
 * parameter set 1).
 *
 * VARIABLE TIME: the running time depends on the value inverted. Callers pass
 * only public values or values blinded by a fresh uniformly random factor
 * (x·beta for secret x), whose distribution does not depend on the secret.
 * The working copies are wiped on return; intermediate stack frames hold
 * only values derived from the blinded input.
 */
#ifndef KEYS_MODINV_H
#define KEYS_MODINV_H

#include <stddef.h>
#include <stdint.h>

#include "keys_error.h"

#define KEYS_MODINV_MAXL 17	/* limbs of the largest modulus accepted */

/*
 * |r| = |a|^-1 mod |m|, all |n| limbs (|r| may be |a|), for an odd |m| > 1
 * with a nonzero top limb and 1 <= n <= KEYS_MODINV_MAXL. |a| is expected
 * below m; a larger one is reduced by repeated subtraction.
 * Returns 0; -KEYS_E_ARG (n or m out of range); -KEYS_E_RANGE (a = 0 mod m
 * or gcd(a, m) > 1). On failure |r| is zeroed.
 */
MUST_CHECK int
keys_modinv_vartime(uint64_t *r, const uint64_t *a, const uint64_t *m, size_t n);

#endif /* KEYS_MODINV_H */
