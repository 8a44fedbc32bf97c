/* SPDX-License-Identifier: proprietary */
/*
 * Shared key derivation functions of TS 33.180 (spec/3gpp-mc-security.md §3.3,
 * §3.4, §4.9):
 *
 *   - the TS 33.220 Annex B KDF: HMAC-SHA-256(Key, S) where
 *     S = FC || P0 || L0 || P1 || L1 || ..., each Li the 2-octet big-endian
 *     length of Pi;
 *   - the GUK-ID of end-point diversity (33.180 F.1.3, digest §3.3):
 *     UserSalt = 28 LSB of KDF(GMK, FC 0x50, P0 = MC Service user ID), and
 *     GUK-ID = tag(GMK-ID) || (GMK-ID[27:0] XOR UserSalt);
 *   - the FC 0x53 key (33.180 F.1.5, digest §3.4, §4.9):
 *     DPCK = 128 LSB of KDF(K, FC 0x53, P0 = DPPK-ID as 4 octets), the key
 *     that protects the E.6 key-parameters extension (keys_keyparams.h).
 *
 * All functions may run on any thread; none keeps state. Outputs that are key
 * material are the caller's to wipe.
 */
#ifndef KEYS_KDF_H
#define KEYS_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "keys_error.h"

#define KEYS_SHA256_LEN 32
#define KEYS_KDF_OUT_LEN 32	/* HMAC-SHA-256 output */
#define KEYS_KDF_MAX_PARAMS 8	/* P0 .. P7: more than any TS 33.180 use */
#define KEYS_KDF_PARAM_MAX 0xffff	/* Li is 2 octets */
#define KEYS_KEY_LEN 16		/* GMK, PCK, CSK, MuSiK: 33.180 E.1.1 */
#define KEYS_DPCK_LEN 16

/* FC values of 33.180 Annex F.1 (digest §3.4). */
#define KEYS_FC_USER_SALT 0x50	/* GUK-ID user salt, F.1.3 */
#define KEYS_FC_SIG_CONF 0x51	/* signalling-plane confidentiality key, F.1.4 */
#define KEYS_FC_SIG_INT 0x52	/* signalling-plane integrity key, F.1.4 */
#define KEYS_FC_DPCK 0x53	/* DPCK from DPPK; also E.6 protection, F.1.5 */

/* A borrowed octet string. */
struct keys_buf {
	const uint8_t *p;
	size_t len;
};

/*
 * out = HMAC-SHA-256(key, parts[0] || ... || parts[n - 1]).
 * Returns 0, -KEYS_E_ARG (NULL pointer with a non-zero length, empty key),
 * -KEYS_E_CRYPTO (libcrypto failure; |out| is then zeroed).
 */
MUST_CHECK int
keys_hmac_sha256_v(uint8_t out[KEYS_SHA256_LEN], const uint8_t *key, size_t key_len,
		   const struct keys_buf *parts, size_t n);

/*
 * out = SHA-256(parts[0] || ... || parts[n - 1]).
 * Returns 0, -KEYS_E_ARG, -KEYS_E_CRYPTO.
 */
MUST_CHECK int
keys_sha256_v(uint8_t out[KEYS_SHA256_LEN], const struct keys_buf *parts, size_t n);

/*
 * The TS 33.220 Annex B KDF: out = HMAC-SHA-256(key, FC || P0 || L0 || ...)
 * with |n| (1 .. KEYS_KDF_MAX_PARAMS) parameters, each at most
 * KEYS_KDF_PARAM_MAX octets (an empty Pi is allowed: Li = 0x0000).
 * Returns 0, -KEYS_E_ARG, -KEYS_E_CRYPTO.
 */
MUST_CHECK int
keys_kdf(uint8_t out[KEYS_KDF_OUT_LEN], const uint8_t *key, size_t key_len, uint8_t fc,
	 const struct keys_buf *params, size_t n);

/*
 * The string S of the same construction, hashed with SHA-256 rather than
 * keyed (the F.2.1 UID uses it with the dummy FC 0x00).
 * Returns 0, -KEYS_E_ARG, -KEYS_E_CRYPTO.
 */
MUST_CHECK int
keys_kdf_s_hash(uint8_t out[KEYS_SHA256_LEN], uint8_t fc, const struct keys_buf *params,
		size_t n);

/*
 * The User Salt of 33.180 F.1.3: the 28 least significant bits of
 * KDF(gmk, 0x50, P0 = |user_uri| as UTF-8 octets). |user_uri| is the
 * receiving user's MC Service user ID, NUL-terminated, 1..0xffff octets.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_CRYPTO.
 */
MUST_CHECK int
keys_guk_salt(uint32_t *salt, const uint8_t gmk[KEYS_KEY_LEN], const char *user_uri);

/*
 * GUK-ID of |user_uri| for the GMK |gmk| with identifier |gmk_id|
 * (digest §3.3): the purpose tag (top nibble) of |gmk_id| kept, the 28 low
 * bits XORed with the user's salt. The operation is its own inverse, so
 * keys_gmk_id_from_guk() is the same computation, named for the receiver.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_CRYPTO.
 */
MUST_CHECK int
keys_guk_id(uint32_t *guk_id, uint32_t gmk_id, const uint8_t gmk[KEYS_KEY_LEN],
	    const char *user_uri);

/* The GMK-ID back from a GUK-ID (receiver side, digest §4.12 step 7). As above. */
MUST_CHECK int
keys_gmk_id_from_guk(uint32_t *gmk_id, uint32_t guk_id, const uint8_t gmk[KEYS_KEY_LEN],
		     const char *user_uri);

/*
 * DPCK = the 128 least significant bits of KDF(key, 0x53, P0 = DPPK-ID as
 * 4 octets big-endian) (33.180 F.1.5; digest §4.9: for the E.6 extension,
 * |key| is the key the MIKEY message carries and |dppk_id| its CSB ID).
 * Returns 0, -KEYS_E_ARG, -KEYS_E_CRYPTO.
 */
MUST_CHECK int
keys_dpck(uint8_t dpck[KEYS_DPCK_LEN], const uint8_t key[KEYS_KEY_LEN], uint32_t dppk_id);

#endif /* KEYS_KDF_H */
