/* SPDX-License-Identifier: proprietary */
/*
 * ECCSI (RFC 6507) over NIST P-256 with SHA-256, as MIKEY-SAKKE uses it
 * (RFC 6509 §2.1.1). OpenSSL libcrypto does the curve arithmetic, libsodium
 * the randomness and the secret memory.
 *
 * Encodings (RFC 6507 §3.2-3.3): integers are 32-octet big-endian; points are
 * 65 octets 04 || x || y; a signature is r(32) || s(32) || PVT(65) = 129 octets.
 * Identifiers and messages are raw octet strings (hashed as given).
 *
 * Errors on received data: a wrong length is -KEYS_E_PARSE (framing); a point
 * field whose content is bad (prefix not 04, a coordinate >= p, not on the
 * curve) is -KEYS_E_POINT; a well-formed signature that does not check is
 * -KEYS_E_VERIFY. A KPAK or SSK that fails validation is -KEYS_E_KEY.
 *
 * All functions may be called from any thread; a signer is read-only after
 * eccsi_signer_new() and may be shared.
 */
#ifndef KEYS_ECCSI_H
#define KEYS_ECCSI_H

#include <stddef.h>
#include <stdint.h>

#include "keys_error.h"

#define ECCSI_N 32			/* octets of r, s, HS, HE, a coordinate */
#define ECCSI_SCALAR_LEN ECCSI_N	/* KSAK, SSK, v, j */
#define ECCSI_SSK_LEN ECCSI_N
#define ECCSI_HS_LEN ECCSI_N
#define ECCSI_POINT_LEN (2 * ECCSI_N + 1) /* 04 || x || y: G, KPAK, PVT */
#define ECCSI_SIG_LEN (4 * ECCSI_N + 1)	/* r || s || PVT (§3.3) */
#define ECCSI_SIG_PVT_OFF (2 * ECCSI_N)	/* PVT inside a signature */

/*
 * KMS side (RFC 6507 §4.2, §5.1.1)
 */

/*
 * New KMS key pair: |ksak| uniformly random in [1, q-1], |kpak| = [KSAK]G.
 * Returns 0, -KEYS_E_RANDOM or -KEYS_E_CRYPTO; on failure both are zeroed.
 */
MUST_CHECK int
eccsi_kms_keygen(uint8_t ksak[ECCSI_SCALAR_LEN], uint8_t kpak[ECCSI_POINT_LEN]);

/*
 * |kpak| = [|ksak|]G (constant time in |ksak|).
 * Returns 0, -KEYS_E_RANGE (ksak not in [1, q-1]) or -KEYS_E_CRYPTO.
 */
MUST_CHECK int
eccsi_kms_pubkey(uint8_t kpak[ECCSI_POINT_LEN], const uint8_t ksak[ECCSI_SCALAR_LEN]);

/*
 * Issue (SSK, PVT) for identifier |id| (§5.1.1): v random, PVT = [v]G,
 * HS = SHA-256(G || KPAK || ID || PVT), SSK = KSAK + HS·v mod q, retrying
 * while SSK or HS is 0 mod q. |kpak| must be [ksak]G (eccsi_kms_pubkey); it is
 * only hashed. |id| may be empty (id_len 0, id NULL).
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE (ksak), -KEYS_E_RANDOM or
 * -KEYS_E_CRYPTO; on failure |ssk| and |pvt| are zeroed.
 */
MUST_CHECK int
eccsi_kms_issue(uint8_t ssk[ECCSI_SSK_LEN], uint8_t pvt[ECCSI_POINT_LEN],
		const uint8_t ksak[ECCSI_SCALAR_LEN], const uint8_t kpak[ECCSI_POINT_LEN],
		const uint8_t *id, size_t id_len);

/*
 * TEST ONLY (RFC 6507 Appendix A): eccsi_kms_issue() with the ephemeral |v|
 * given instead of drawn. Reusing a v for two identifiers reveals KSAK; never
 * call this outside known-answer tests.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE (ksak or v not in [1, q-1], or SSK or
 * HS is 0 mod q) or -KEYS_E_CRYPTO.
 */
MUST_CHECK int
eccsi_kms_issue_with_v(uint8_t ssk[ECCSI_SSK_LEN], uint8_t pvt[ECCSI_POINT_LEN],
		       const uint8_t ksak[ECCSI_SCALAR_LEN],
		       const uint8_t kpak[ECCSI_POINT_LEN], const uint8_t *id, size_t id_len,
		       const uint8_t v[ECCSI_SCALAR_LEN]);

/*
 * Shared checks and hashes
 */

/*
 * Validate a received KPAK (§4.2): 04 prefix, coordinates < p, on P-256.
 * Returns 0 or -KEYS_E_POINT.
 */
MUST_CHECK int
eccsi_kpak_validate(const uint8_t kpak[ECCSI_POINT_LEN]);

/*
 * HS = SHA-256(G || KPAK || ID || PVT) (§5.1.1 step 3, §5.1.2 step 2). The
 * points are hashed as given; callers validate them first.
 * Returns 0, -KEYS_E_ARG or -KEYS_E_CRYPTO.
 */
MUST_CHECK int
eccsi_hs(uint8_t hs[ECCSI_HS_LEN], const uint8_t kpak[ECCSI_POINT_LEN], const uint8_t *id,
	 size_t id_len, const uint8_t pvt[ECCSI_POINT_LEN]);

/*
 * User side (§5.1.2, §5.2)
 */

/*
 * Validate a received (SSK, PVT) for |id| under |kpak| (§5.1.2): PVT and KPAK
 * valid points, SSK in [1, q-1], KPAK == [SSK]G - [HS]PVT. |hs| (may be NULL)
 * receives HS.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_POINT (PVT), -KEYS_E_KEY (KPAK invalid, SSK
 * out of range or the equation fails) or -KEYS_E_CRYPTO.
 */
MUST_CHECK int
eccsi_ssk_validate(uint8_t hs[ECCSI_HS_LEN], const uint8_t ssk[ECCSI_SSK_LEN],
		   const uint8_t pvt[ECCSI_POINT_LEN], const uint8_t kpak[ECCSI_POINT_LEN],
		   const uint8_t *id, size_t id_len);

/* A validated signing key: SSK (in sodium_malloc'd memory), PVT and HS. */
struct eccsi_signer;

/*
 * Validate (SSK, PVT) as eccsi_ssk_validate() and keep them for signing.
 * Copies what it needs; the caller may wipe its |ssk| afterwards.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_NOMEM, -KEYS_E_POINT, -KEYS_E_KEY or
 * -KEYS_E_CRYPTO; on failure *out is NULL.
 */
MUST_CHECK int
eccsi_signer_new(struct eccsi_signer **out, const uint8_t ssk[ECCSI_SSK_LEN],
		 const uint8_t pvt[ECCSI_POINT_LEN], const uint8_t kpak[ECCSI_POINT_LEN],
		 const uint8_t *id, size_t id_len);

/* Wipe and free |s| (NULL is fine). */
void
eccsi_signer_free(struct eccsi_signer *s);

/*
 * Sign |msg| (§5.2.1) with a fresh random j: sig = r || s || PVT.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANDOM or -KEYS_E_CRYPTO; on failure |sig|
 * is zeroed.
 */
MUST_CHECK int
eccsi_sign(uint8_t sig[ECCSI_SIG_LEN], const struct eccsi_signer *s, const uint8_t *msg,
	   size_t msg_len);

/*
 * TEST ONLY (RFC 6507 Appendix A): eccsi_sign() with the ephemeral |j| given.
 * Signing two messages with one j reveals the SSK; never use outside
 * known-answer tests.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE (j not in [1, q-1], or HE + r·SSK is
 * 0 mod q) or -KEYS_E_CRYPTO.
 */
MUST_CHECK int
eccsi_sign_with_j(uint8_t sig[ECCSI_SIG_LEN], const struct eccsi_signer *s,
		  const uint8_t *msg, size_t msg_len, const uint8_t j[ECCSI_SCALAR_LEN]);

/*
 * Verify |sig| (|sig_len| octets) over |msg| from |id| under the trusted
 * |kpak| (§5.2.2). Only public data is involved.
 * Returns 0 when the signature is valid; -KEYS_E_ARG; -KEYS_E_PARSE (sig_len
 * is not 129); -KEYS_E_POINT (the PVT in the signature is not a valid point);
 * -KEYS_E_KEY (kpak is not a valid point); -KEYS_E_VERIFY (it does not
 * verify); -KEYS_E_CRYPTO.
 */
MUST_CHECK int
eccsi_verify(const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len,
	     const uint8_t *id, size_t id_len, const uint8_t kpak[ECCSI_POINT_LEN]);

#endif /* KEYS_ECCSI_H */
