/* SPDX-License-Identifier: proprietary */
/*
 * The Key Parameters content of the E.6 General Extension (TS 33.180 Table
 * E.6.1-1 as interoperable implementations code it; spec/3gpp-mc-security.md
 * §4.9). This is the plaintext; keys_keyparams.h (keys/kdf) protects it.
 *
 *   Key Type     V      1   purpose-tag numbering (keys_keyid.h)
 *   Status       V      4   bit 0 set: not revoked; bit 1: shared with a SeGy
 *   Activation   V      5   40-bit seconds since 1900-01-01 UTC; 0 = from T
 *   Expiry       V      5   40-bit seconds since 1900-01-01 UTC; 0 = never
 *   Text         LV-E   2+n
 *   MC Group IDs LV-E   2+…  GMK, MKFC, MuSiK only: count (1), then each ID
 *                            as TLV-E: IEI (1) || length (2) || value
 *
 * Time base: the digest could not retrieve the 3GPP one (E.6.4, E.6.10). We
 * read the 40-bit times as NTP-epoch seconds, the base of the T payload and
 * of key periods, so 0 keeps its implementation meaning ("from T" /
 * "never") and no era wraps before year 36812.
 */
#ifndef MIKEY_KEYPARAMS_H
#define MIKEY_KEYPARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys_error.h"
#include "mikey_msg.h"

#define MIKEY_KP_GROUPS_MAX 8
#define MIKEY_KP_TIME_MAX 0xffffffffffull	/* 40 bits */
#define MIKEY_KP_FIXED_LEN (1 + 4 + 5 + 5)

struct mikey_kp_group {
	uint8_t iei;
	struct mikey_bytes id;		/* borrowed: the group's URI */
};

struct mikey_keyparams {
	uint8_t key_type;		/* = purpose tag */
	uint32_t status;		/* MIKEY_KP_STATUS_* bits */
	uint64_t activation;		/* seconds since 1900, 40 bits; 0 = from T */
	uint64_t expiry;		/* seconds since 1900, 40 bits; 0 = never */
	struct mikey_bytes text;	/* borrowed; may be empty */
	bool has_groups;		/* the MC Group IDs element is present */
	uint8_t n_groups;
	struct mikey_kp_group groups[MIKEY_KP_GROUPS_MAX];
};

/*
 * Encode |kp| into |buf| (capacity |cap|); |*len| set.
 * Returns 0, -KEYS_E_ARG (NULL, a time over 40 bits, too many groups or
 * octets, |cap| too small).
 */
MUST_CHECK int
mikey_keyparams_encode(const struct mikey_keyparams *kp, uint8_t *buf, size_t cap, size_t *len);

/*
 * Decode |len| octets into |kp| (borrowing from |buf|); every element must be
 * consumed exactly, the groups element only where its length says.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_PARSE (MIKEY_REJECT_BAD_KEY_PARAMS).
 */
MUST_CHECK int
mikey_keyparams_decode(struct mikey_keyparams *kp, const uint8_t *buf, size_t len);

#endif /* MIKEY_KEYPARAMS_H */
