/* SPDX-License-Identifier: proprietary */
/*
 * Protection of the E.6 key-parameters General Extension body (TS 33.180
 * E.6.1, §8.5.4; spec/3gpp-mc-security.md §4.9): an MCData Protected Payload
 * message under the DPCK = 128 LSB of KDF(K, 0x53, DPPK-ID) (keys_dpck()),
 * K being the key the MIKEY message carries and DPPK-ID its CSB ID.
 *
 *   off len  field
 *   0   1    message type           0x43
 *   1   5    date/time              0x0000000001 (as in the interop vectors)
 *   6   4    payload ID             0 (ignored on receipt)
 *   10  1    payload sequence no.   0 (ignored on receipt)
 *   11  1    payload algorithm      1 = AEAD_AES_128_GCM
 *   12  16   IV                     random; the 16-octet GCM nonce
 *   28  4    DPPK-ID                = CSB ID
 *   32  1    IEI                    0x00 written, any value accepted
 *   33  2    length n + 16          big-endian
 *   35  n    ciphertext of the Key Parameters content (Table E.6.1-1)
 *   35+n 16  GCM tag
 *
 *   AAD = octets 0..31 (header, IV and DPPK-ID: 32 octets).
 *
 * Details the digest leaves open, and the reading taken here (the one its
 * verified vectors favour): the meaning of message type 0x43 and of the
 * date/time field (written as in the vectors; the date/time is covered by the
 * AAD, not interpreted); the IEI of the protected-payload TLV-E (0x00 written;
 * not authenticated, so not checked); payload algorithm 2 (AEAD_AES_256_GCM)
 * needs a 256-bit DPCK the FC 0x53 derivation does not define, so only 1 is
 * supported. The Key Parameters content itself (key type, status, times,
 * text, group IDs) is the MIKEY codec's to encode.
 */
#ifndef KEYS_KEYPARAMS_H
#define KEYS_KEYPARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "keys_error.h"
#include "keys_kdf.h"

#define KEYS_KP_MSG_TYPE 0x43
#define KEYS_KP_ALG_AES_128_GCM 1
#define KEYS_KP_HDR_LEN 12	/* message type .. payload algorithm */
#define KEYS_KP_IV_LEN 16
#define KEYS_KP_TAG_LEN 16
#define KEYS_KP_AAD_LEN (KEYS_KP_HDR_LEN + KEYS_KP_IV_LEN + 4)
#define KEYS_KP_OVERHEAD (KEYS_KP_AAD_LEN + 3 + KEYS_KP_TAG_LEN)
#define KEYS_KP_PT_MAX (0xffff - KEYS_KP_TAG_LEN)

/*
 * Protect |pt_len| octets of Key Parameters content into |out| (capacity
 * |cap| >= pt_len + KEYS_KP_OVERHEAD); |*out_len| set. |key| is the
 * distributed key (GMK, PCK, CSK...), |dppk_id| the message's CSB ID. |iv|
 * may be NULL: a fresh random IV is then drawn (libsodium).
 * Returns 0, -KEYS_E_ARG (NULL, |pt_len| > KEYS_KP_PT_MAX, |cap| too small),
 * -KEYS_E_CRYPTO.
 */
MUST_CHECK int
keys_keyparams_protect(uint8_t *out, size_t cap, size_t *out_len,
		       const uint8_t key[KEYS_KEY_LEN], uint32_t dppk_id,
		       const uint8_t iv[KEYS_KP_IV_LEN], const uint8_t *pt, size_t pt_len);

/*
 * Check and decrypt a protected payload of |in_len| octets; the plaintext
 * (|*pt_len| octets) goes to |pt| (capacity |cap|). Nothing is released
 * before the tag verifies: on any failure |pt| is zeroed up to |cap|.
 * Returns 0, -KEYS_E_ARG (NULL, |cap| smaller than the plaintext),
 * -KEYS_E_PARSE (layout, message type, algorithm, length not consumed
 * exactly), -KEYS_E_VERIFY (DPPK-ID is not |dppk_id|, or the GCM tag fails),
 * -KEYS_E_CRYPTO.
 */
MUST_CHECK int
keys_keyparams_unprotect(uint8_t *pt, size_t cap, size_t *pt_len,
			 const uint8_t key[KEYS_KEY_LEN], uint32_t dppk_id, const uint8_t *in,
			 size_t in_len);

#endif /* KEYS_KEYPARAMS_H */
