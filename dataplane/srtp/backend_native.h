/* SPDX-License-Identifier: proprietary */
/*
 * The native backend's internals that tests and the benchmark may reach:
 * the RFC 3711 AES-CM keystream and KDF, contexts made from session keys
 * (RFC 7714's vectors start there), and the intel-ipsec-mb code path in use.
 * Nothing on the packet path; the data path sees only dp_srtp.h.
 */
#ifndef DP_SRTP_BACKEND_NATIVE_H
#define DP_SRTP_BACKEND_NATIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_srtp.h"

/* Session keys for dp_srtp_native_ctx_from_session (the KDF is skipped). */
struct dp_srtp_native_session {
	uint8_t enc_key[DP_SRTP_MAX_KEY_LEN];	/* key_len octets */
	uint8_t auth_key[20];			/* HMAC-SHA1 profiles only */
	uint8_t salt[DP_SRTP_MAX_SALT_LEN];	/* 14 (AES-CM) or 12 (GCM) octets */
	bool no_encrypt;	/* authenticate only: SRTCP E = 0, GCM "tagging only" */
};

/*
 * A native context from |p| (master key and salt ignored) and the session
 * keys |s|: the RFC 7714 vectors give session keys, not master keys.
 * Returns as dp_srtp_ctx_new.
 */
MUST_CHECK int
dp_srtp_native_ctx_from_session(struct dp_srtp_ctx **out, const struct dp_srtp_params *p,
				const struct dp_srtp_native_session *s);

/*
 * RFC 3711 §4.1.1 AES-CM: |len| octets of keystream under |key| (16 or 32
 * octets) from the 16-octet counter block |iv|. Returns 0 or -DP_E_*.
 */
MUST_CHECK int
dp_srtp_native_keystream(const uint8_t *key, unsigned int key_len, const uint8_t iv[16],
			 uint8_t *out, size_t len);

/*
 * RFC 3711 §4.3 KDF with KDR = 0: |out_len| octets for |label| from the
 * master key and salt (a 12-octet salt is placed as libsrtp does,
 * docs/srtp-engine.md "Native backend"). Returns 0 or -DP_E_*.
 */
MUST_CHECK int
dp_srtp_native_kdf(const uint8_t *master_key, unsigned int key_len, const uint8_t *master_salt,
		   unsigned int salt_len, uint8_t label, uint8_t *out, unsigned int out_len);

/* The intel-ipsec-mb code path in use: "sse", "avx", "avx2" or "avx512". */
const char *
dp_srtp_native_arch(void);

/*
 * Use the "sse", "avx", "avx2" or "avx512" path from now on (tests, bench).
 * Only for contexts made after the call, and only on a thread with no
 * packet in flight. Returns 0, or -DP_E_UNSUPPORTED when this CPU lacks it.
 */
MUST_CHECK int
dp_srtp_native_set_arch(const char *name);

/*
 * The offsets in intel-ipsec-mb's gcm_key_data of the lines holding the
 * powers of H that the calling thread's path reads for a 60-octet packet
 * under a |key_len| (16 or 32) octet key: the keys' prefetch loads them
 * with the round keys. Puts up to |max| in |out|; returns how many, 0 when
 * the thread has no manager yet.
 */
unsigned int
dp_srtp_native_h_lines(unsigned int key_len, uint16_t *out, unsigned int max);

/* Set the calling thread's intel-ipsec-mb manager up now rather than on its
 * first burst (workers may call this before their loop). 0 or -DP_E_NOMEM. */
MUST_CHECK int
dp_srtp_native_thread_init(void);

#endif /* DP_SRTP_BACKEND_NATIVE_H */
