/* SPDX-License-Identifier: proprietary */
/*
 * The MIKEY PRF and TGK key derivation: RFC 3830 §4.1.2–4.1.3 with
 * PRF-HMAC-SHA-256 (RFC 6043 §6.1, HDR PRF func 1), as TS 33.180 §7.4
 * mandates (spec/crypto.md §4, spec/3gpp-mc-security.md §5.2).
 *
 *   P(s, label, m) = HMAC(s, A_1 || label) || ... || HMAC(s, A_m || label),
 *                    A_0 = label, A_i = HMAC(s, A_(i-1))
 *   inkey = s_1 || ... || s_n in 256-bit pieces (the last may be shorter)
 *   m = ceil(outlen / 256 bits)                       (pitfall 11)
 *   PRF(inkey, label) = P(s_1, label, m) XOR ... XOR P(s_n, label, m),
 *                       truncated to its leftmost outlen octets
 *
 *   label = constant (4 octets BE) || CS ID (1) || CSB ID (4, BE) || RAND
 *                                                      (pitfall 10)
 *
 * Only PRF-HMAC-SHA-256 is implemented: TS 33.180 mandates it, and no vector
 * exists for the RFC 3830 default HMAC-SHA-1 PRF.
 */
#ifndef MIKEY_PRF_H
#define MIKEY_PRF_H

#include <stddef.h>
#include <stdint.h>

#include "keys_error.h"

/* RFC 3830 §4.1.3 constants (keys from the TGK). */
#define MIKEY_C_TEK 0x2AD01C64u		/* TEK: the SRTP master key */
#define MIKEY_C_AUTH 0x1B5C7973u	/* authentication key */
#define MIKEY_C_ENCR 0x15798CEFu	/* encryption key */
#define MIKEY_C_SALT 0x39A2C14Bu	/* salting key: the SRTP master salt */

#define MIKEY_RAND_MAX 255		/* RAND len is one octet (RFC 3830 §6.11) */
#define MIKEY_LABEL_MAX (4 + 1 + 4 + MIKEY_RAND_MAX)
#define MIKEY_PRF_OUT_MAX 4096		/* far above any key MIKEY derives */

/*
 * PRF(inkey, label) of RFC 3830 §4.1.2 with HMAC-SHA-256 (RFC 6043 §6.1):
 * |out_len| (1..MIKEY_PRF_OUT_MAX) octets into |out|.
 * Returns 0, -KEYS_E_ARG (NULL, empty inkey, bad |out_len|),
 * -KEYS_E_CRYPTO (|out| is then zeroed).
 */
MUST_CHECK int
mikey_prf(uint8_t *out, size_t out_len, const uint8_t *inkey, size_t inkey_len,
	  const uint8_t *label, size_t label_len);

/*
 * The RFC 3830 §4.1.3 label: constant || CS ID || CSB ID || RAND into
 * |label| (capacity |cap|, MIKEY_LABEL_MAX always suffices); |*len| set.
 * |rand_len| is 1..MIKEY_RAND_MAX.
 * Returns 0, -KEYS_E_ARG.
 */
MUST_CHECK int
mikey_label(uint8_t *label, size_t cap, size_t *len, uint32_t constant, uint8_t cs_id,
	    uint32_t csb_id, const uint8_t *rand, size_t rand_len);

/*
 * One key from the TGK (RFC 3830 §4.1.3): PRF(tgk, label(constant, cs_id,
 * csb_id, rand)), |out_len| octets. |constant| is one of MIKEY_C_*.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_CRYPTO.
 */
MUST_CHECK int
mikey_derive(uint8_t *out, size_t out_len, const uint8_t *tgk, size_t tgk_len,
	     uint32_t constant, uint8_t cs_id, uint32_t csb_id, const uint8_t *rand,
	     size_t rand_len);

#endif /* MIKEY_PRF_H */
