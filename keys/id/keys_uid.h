/* SPDX-License-Identifier: proprietary */
/*
 * The MIKEY-SAKKE UID of TS 33.180 / 33.179 Annex F.2.1
 * (spec/3gpp-mc-security.md §1.4): SHA-256 of the 33.220-style string
 *
 *   S = 0x00 (dummy FC) || "MIKEY-SAKKE-UID" || 0x000F
 *       || identifier URI || L1 || KMS URI || L2
 *       || key period length (s) || L3 || key period offset (s) || L4
 *       || current key period number || L5
 *
 * Li are 2-octet big-endian lengths; the three integers are big-endian in the
 * minimum number of octets, 0 as the single octet 0x00. The key period number
 * counts from 1900-01-01 (NTP epoch): keys_period.h computes it. The UID is
 * the ECCSI "ID" and the SAKKE "a"/"b" of that identity for that period.
 */
#ifndef KEYS_UID_H
#define KEYS_UID_H

#include <stddef.h>
#include <stdint.h>

#include "keys_error.h"

#define KEYS_UID_LEN 32
#define KEYS_UID_P0 "MIKEY-SAKKE-UID"

/*
 * |uid| of identity |uri| (MC Service user ID, GMS URI, MDSI...) under the
 * KMS |kms_uri| with that KMS's |period_len| and |period_offset| (seconds,
 * from its certificate) for key period |period_no|. Both strings are
 * NUL-terminated UTF-8, 1..0xffff octets, used as they are (no normalisation).
 * Returns 0, -KEYS_E_ARG (NULL, empty or over-long string), -KEYS_E_CRYPTO.
 */
MUST_CHECK int
keys_uid_derive(uint8_t uid[KEYS_UID_LEN], const char *uri, const char *kms_uri,
		uint64_t period_len, uint64_t period_offset, uint64_t period_no);

/*
 * Minimal big-endian octets of |v| into |out| (0 → one octet 0x00), F.2.1's
 * integer encoding. Returns the number of octets, 1..8.
 */
size_t
keys_uid_uint(uint8_t out[8], uint64_t v);

#endif /* KEYS_UID_H */
