/* SPDX-License-Identifier: proprietary */
/*
 * SAKKE (RFC 6508) with parameter set 1 of RFC 6509 (Appendix A): the
 * supersingular curve y^2 = x^3 - 3x over a 1024-bit p, a 1022-bit subgroup
 * order q, cofactor 4, SHA-256, 128-bit SSVs.
 *
 * Encodings (RFC 6508 §4): integers and F_p elements are 128-octet
 * big-endian; a PF_p element (g, g^r, w) is its representative
 * imaginary/real, 128 octets; points are 04 || x || y = 257 octets; the
 * Encapsulated Data is 04 || Rx || Ry || H = 273 octets. Identifiers are raw
 * octets in hashes and big-endian integers in [b]P and a + z.
 *
 * Errors on received data: a wrong length is -KEYS_E_PARSE; a point whose
 * prefix is not 04, with a coordinate >= p, off the curve or outside the
 * order-q subgroup is -KEYS_E_POINT (whatever its role: Z, RSK, R); an RSK
 * that fails <[a]P + Z, K> == g is -KEYS_E_KEY; an Encapsulated Data whose
 * §6.2.2 TEST fails is -KEYS_E_VERIFY.
 *
 * Senders and receivers are read-only after _new() and may be shared between
 * threads.
 */
#ifndef KEYS_SAKKE_H
#define KEYS_SAKKE_H

#include <stddef.h>
#include <stdint.h>

#include "keys_error.h"

#define SAKKE_L 128				/* octets of p, of an F_p element */
#define SAKKE_SCALAR_LEN SAKKE_L		/* z, r as 128-octet integers */
#define SAKKE_POINT_LEN (2 * SAKKE_L + 1)	/* 04 || x || y */
#define SAKKE_SSV_LEN 16			/* n = 128 bits */
#define SAKKE_ED_LEN (SAKKE_POINT_LEN + SAKKE_SSV_LEN) /* R_(b,S) || H = 273 */

/* Parameter set 1: p, q (128-octet integers), P (point) and g = <P, P>. */
void
sakke_params(uint8_t p[SAKKE_L], uint8_t q[SAKKE_L], uint8_t pt[SAKKE_POINT_LEN],
	     uint8_t g[SAKKE_L]);

/*
 * KMS side (RFC 6508 §6.1.1)
 */

/*
 * New KMS master key: |z| random in [2, q-1], |zpub| = Z = [z]P.
 * Returns 0, -KEYS_E_RANDOM, -KEYS_E_NOMEM or -KEYS_E_CRYPTO; on failure both
 * are zeroed.
 */
MUST_CHECK int
sakke_kms_keygen(uint8_t z[SAKKE_SCALAR_LEN], uint8_t zpub[SAKKE_POINT_LEN]);

/*
 * |zpub| = [|z|]P (fixed-base comb, uniform in z).
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE (z not in [2, q-1]), -KEYS_E_NOMEM or
 * -KEYS_E_CRYPTO.
 */
MUST_CHECK int
sakke_kms_pubkey(uint8_t zpub[SAKKE_POINT_LEN], const uint8_t z[SAKKE_SCALAR_LEN]);

/*
 * RSK for identifier |id| (read as an integer a): K = [(a + z)^-1 mod q]P.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE (z out of range, or a + z = 0 mod q),
 * -KEYS_E_RANDOM, -KEYS_E_NOMEM or -KEYS_E_CRYPTO; on failure |rsk| is zeroed.
 */
MUST_CHECK int
sakke_kms_rsk(uint8_t rsk[SAKKE_POINT_LEN], const uint8_t z[SAKKE_SCALAR_LEN],
	      const uint8_t *id, size_t id_len);

/*
 * Checks
 */

/*
 * A received point (Z, RSK, R): 04 prefix, x, y < p, on E, and [q]pt = O.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_POINT, -KEYS_E_NOMEM or -KEYS_E_CRYPTO.
 */
MUST_CHECK int
sakke_point_validate(const uint8_t pt[SAKKE_POINT_LEN]);

/*
 * RSK validation (§6.1.2): RSK and Z valid points and <[a]P + Z, RSK> == g.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_POINT, -KEYS_E_KEY, -KEYS_E_RANGE
 * ([a]P + Z = O), -KEYS_E_RANDOM, -KEYS_E_NOMEM or -KEYS_E_CRYPTO.
 */
MUST_CHECK int
sakke_rsk_validate(const uint8_t rsk[SAKKE_POINT_LEN], const uint8_t zpub[SAKKE_POINT_LEN],
		   const uint8_t *id, size_t id_len);

/*
 * Sender (§6.2.1)
 */

/* Z and b fixed, with [b]P + Z and its comb table precomputed. */
struct sakke_sender;

/*
 * A sender to identifier |id| under the KMS key |zpub| (validated here).
 * Returns 0, -KEYS_E_ARG, -KEYS_E_POINT, -KEYS_E_RANGE ([b]P + Z = O),
 * -KEYS_E_NOMEM or -KEYS_E_CRYPTO; on failure *out is NULL.
 */
MUST_CHECK int
sakke_sender_new(struct sakke_sender **out, const uint8_t zpub[SAKKE_POINT_LEN],
		 const uint8_t *id, size_t id_len);

/* Free |s| (NULL is fine). */
void
sakke_sender_free(struct sakke_sender *s);

/*
 * Encapsulate the given |ssv| (§6.2.1 steps 2-6): one SSV may go to several
 * receivers (§6.3), one call per receiver.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANDOM, -KEYS_E_NOMEM or -KEYS_E_CRYPTO; on
 * failure |ed| is zeroed.
 */
MUST_CHECK int
sakke_encapsulate_ssv(uint8_t ed[SAKKE_ED_LEN], const uint8_t ssv[SAKKE_SSV_LEN],
		      const struct sakke_sender *s);

/*
 * Draw a fresh SSV (§6.2.1 step 1) into |ssv| and encapsulate it.
 * Returns as sakke_encapsulate_ssv(); on failure |ed| and |ssv| are zeroed.
 */
MUST_CHECK int
sakke_encapsulate(uint8_t ed[SAKKE_ED_LEN], uint8_t ssv[SAKKE_SSV_LEN],
		  const struct sakke_sender *s);

/*
 * Receiver (§6.2.2)
 */

/* A validated RSK with its pairing line table, and [b]P + Z with its table. */
struct sakke_receiver;

/*
 * Validate |rsk| for |id| under |zpub| (as sakke_rsk_validate()) and
 * precompute: the Miller-loop lines of RSK (so the pairing costs only
 * multiplications) and the comb table of [b]P + Z (for the TEST step). Takes
 * tens of milliseconds; keep the receiver for the key period.
 * Returns 0 or any code of sakke_rsk_validate(); on failure *out is NULL.
 */
MUST_CHECK int
sakke_receiver_new(struct sakke_receiver **out, const uint8_t rsk[SAKKE_POINT_LEN],
		   const uint8_t zpub[SAKKE_POINT_LEN], const uint8_t *id, size_t id_len);

/* Wipe and free |r| (NULL is fine). */
void
sakke_receiver_free(struct sakke_receiver *r);

/*
 * Decapsulate |ed| (|ed_len| octets) into |ssv| (§6.2.2). The SSV is released
 * only after TEST == R_(b,S) holds.
 * Returns 0; -KEYS_E_ARG; -KEYS_E_PARSE (ed_len is not 273); -KEYS_E_POINT
 * (R_(b,S) not a valid point of the order-q subgroup); -KEYS_E_VERIFY (TEST
 * failed); -KEYS_E_RANDOM, -KEYS_E_NOMEM or -KEYS_E_CRYPTO. On failure |ssv|
 * is zeroed.
 */
MUST_CHECK int
sakke_decapsulate(uint8_t ssv[SAKKE_SSV_LEN], const uint8_t *ed, size_t ed_len,
		  const struct sakke_receiver *r);

/*
 * Primitives (§3.2, §5.1), exported for tests and tools
 */

/*
 * The pairing <|r|, |q|> of §3.2 as an F_p representative (128 octets).
 * Both points are validated (curve and subgroup).
 * Returns 0, -KEYS_E_ARG, -KEYS_E_POINT, -KEYS_E_RANDOM, -KEYS_E_NOMEM or
 * -KEYS_E_CRYPTO.
 */
MUST_CHECK int
sakke_pairing(uint8_t out[SAKKE_L], const uint8_t r[SAKKE_POINT_LEN],
	      const uint8_t q[SAKKE_POINT_LEN]);

/*
 * g^|e| in PF_p[q] (representative, 128 octets), for a 128-octet exponent |e|.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANDOM, -KEYS_E_NOMEM or -KEYS_E_CRYPTO.
 */
MUST_CHECK int
sakke_g_pow(uint8_t out[SAKKE_L], const uint8_t e[SAKKE_SCALAR_LEN]);

/*
 * HashToIntegerRange(s, q, SHA-256) of §5.1 (l = 4 rounds), 128 octets.
 * Returns 0, -KEYS_E_ARG or -KEYS_E_CRYPTO.
 */
MUST_CHECK int
sakke_hash_to_q(uint8_t out[SAKKE_L], const uint8_t *s, size_t s_len);

/*
 * HashToIntegerRange(s, 2^128, SHA-256) of §5.1 (l = 1: the last 16 octets
 * of v_1).
 * Returns 0, -KEYS_E_ARG or -KEYS_E_CRYPTO.
 */
MUST_CHECK int
sakke_hash_to_2n(uint8_t out[SAKKE_SSV_LEN], const uint8_t *s, size_t s_len);

#endif /* KEYS_SAKKE_H */
