/* SPDX-License-Identifier: proprietary */
/*
 * Key identifiers and MKIs of TS 33.180 (spec/3gpp-mc-security.md §3.1, §3.5,
 * §5.1).
 *
 * A K-ID is 32 bits: the 4 most significant bits are the purpose tag, the
 * other 28 random [33.180 §5.2.2]. On the wire (CSB ID, MKI) it is 4 octets
 * big-endian. MKIs:
 *   PCK, CSK, MuSiK, MKFC, ...: K-ID               (4 octets)
 *   GMK (group media):          GMK-ID || GUK-ID   (8 octets, both tag 0)
 */
#ifndef KEYS_KEYID_H
#define KEYS_KEYID_H

#include <stddef.h>
#include <stdint.h>

#include "keys_error.h"

#define KEYS_ID_LEN 4
#define KEYS_ID_TAG_SHIFT 28
#define KEYS_ID_RANDOM_MASK 0x0fffffffu
#define KEYS_MKI_KEY_LEN 4	/* PCK-ID, CSK-ID, MuSiK-ID, MKFC-ID */
#define KEYS_MKI_GROUP_LEN 8	/* GMK-ID || GUK-ID */
#define KEYS_MKI_MAX_LEN 8

/* Purpose tags (digest §3.1) = E.6 Key Type values (digest §3.2). */
enum keys_purpose {
	KEYS_PURPOSE_GMK = 0,
	KEYS_PURPOSE_PCK = 1,
	KEYS_PURPOSE_CSK = 2,
	KEYS_PURPOSE_SPK = 3,
	KEYS_PURPOSE_MKFC = 4,
	KEYS_PURPOSE_MSCCK = 5,
	KEYS_PURPOSE_MUSIK = 6,
	KEYS_PURPOSE_MAX = 15	/* 7..15 unassigned */
};

/* The purpose tag of |id| (its top nibble). */
unsigned int
keys_id_purpose(uint32_t id);

/*
 * |*id| = |purpose| << 28 | |random28|.
 * Returns 0, -KEYS_E_ARG (purpose > 15, random28 above 28 bits, NULL).
 */
MUST_CHECK int
keys_id_make(uint32_t *id, unsigned int purpose, uint32_t random28);

/*
 * A fresh K-ID: |purpose| and 28 bits from libsodium's randombytes.
 * sodium_init() must have run. Returns 0, -KEYS_E_ARG.
 */
MUST_CHECK int
keys_id_new(uint32_t *id, unsigned int purpose);

/* Big-endian wire form of a K-ID. */
void
keys_id_put(uint8_t out[KEYS_ID_LEN], uint32_t id);

uint32_t
keys_id_get(const uint8_t in[KEYS_ID_LEN]);

/* MKI = K-ID (4 octets), for PCK, CSK, MuSiK, MKFC contexts. */
void
keys_mki_key(uint8_t mki[KEYS_MKI_KEY_LEN], uint32_t key_id);

/* MKI = GMK-ID || GUK-ID (8 octets), group media and off-network SRTCP. */
void
keys_mki_group(uint8_t mki[KEYS_MKI_GROUP_LEN], uint32_t gmk_id, uint32_t guk_id);

/* A parsed MKI: |len| 4 → key_id only; |len| 8 → key_id = GMK-ID, guk_id. */
struct keys_mki {
	uint32_t key_id;
	uint32_t guk_id;	/* 0 unless len == 8 */
	uint8_t len;
};

/*
 * Parse an MKI of |len| octets. A 4-octet MKI must not carry the GMK tag (0),
 * which only ever travels in the 8-octet group form; an 8-octet MKI must
 * carry tag 0 in both halves.
 * Returns 0, -KEYS_E_ARG (NULL), -KEYS_E_PARSE (length not 4 or 8, wrong tag).
 */
MUST_CHECK int
keys_mki_parse(struct keys_mki *m, const uint8_t *mki, size_t len);

#endif /* KEYS_KEYID_H */
