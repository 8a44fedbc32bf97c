/* SPDX-License-Identifier: proprietary */
/*
 * The SRTP profile a MIKEY-SAKKE message sets up: from its SP payload, or the
 * default profile when it has none (spec/3gpp-mc-security.md §4.6):
 *
 *   GMK (#CS = 0 or no SP):       33.179 Table E.2-1 — AES-GCM 16/12, RCCm3,
 *                                 AES-CM PRF, KDR 0, R = 1, SRTP tag 4,
 *                                 SRTCP tag 0, AEAD tag 16.
 *   PCK, CSK, MuSiK (no SP):      33.179 Table E.3-1 — AES-GCM 16/12, AES-CM
 *                                 PRF, KDR 0, AEAD tag 16; no RCC.
 *
 * The Rel-17 tables E.2.2, E.3.2 and E.4.2 of TS 33.180 are not in the
 * digest: the Rel-13 tables stand in for them (E.3-1 also for CSK/MuSiK).
 * An SP overrides the default table parameter by parameter; a missing
 * ROC transmission rate (type 13) under RCC means R = 1 (RFC 4771).
 */
#ifndef MIKEY_PROFILE_H
#define MIKEY_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "keys_error.h"
#include "mikey_msg.h"

struct mikey_srtp_profile {
	uint8_t enc_alg;		/* MIKEY_ENC_AES_GCM */
	uint8_t enc_key_len;		/* 16 */
	uint8_t auth_alg;		/* MIKEY_AUTH_NULL or MIKEY_AUTH_RCCM3 */
	uint8_t salt_len;		/* 12 */
	uint8_t prf;			/* MIKEY_SRTP_PRF_AES_CM */
	uint8_t kdr;			/* 0 */
	uint16_t roc_rate;		/* R under RCC, else 0 */
	uint8_t rtp_tag_len;		/* SRTP auth tag length (type 18); RCC: the ROC */
	uint8_t rtcp_tag_len;		/* SRTCP auth tag length (type 19) */
	uint8_t aead_tag_len;		/* 16 */
};

/* Which default table applied (for reports and counters). */
enum mikey_profile_src {
	MIKEY_PROFILE_SP = 0,		/* from an SP payload */
	MIKEY_PROFILE_TABLE_E2_1,	/* GMK default */
	MIKEY_PROFILE_TABLE_E3_1	/* PCK / CSK / MuSiK default */
};

/* The default profile for keys of purpose tag |purpose| (keys_keyid.h). */
enum mikey_profile_src
mikey_profile_default(struct mikey_srtp_profile *p, unsigned int purpose);

/*
 * The profile of crypto session |cs_id| of |m| for a key of |purpose|: the
 * SP its GENERIC-ID entry names (the first SP if #CS = 0), else the default.
 * Only what MCPTT runs is accepted: AES-GCM with a 16-octet key and 12-octet
 * salt, AES-CM PRF, KDR 0, no authentication or RCCm3.
 * Returns 0 (|*src| says where it came from, may be NULL), -KEYS_E_ARG,
 * -KEYS_E_PARSE with |*why| MIKEY_REJECT_BAD_SP (an unsupported or malformed
 * parameter).
 */
MUST_CHECK int
mikey_profile_resolve(struct mikey_srtp_profile *p, enum mikey_profile_src *src,
		      const struct mikey_msg *m, unsigned int purpose, uint8_t cs_id,
		      enum mikey_reject *why);

/*
 * An SP payload numbered |policy_no| carrying Table E.2-1 (|with_roc_rate|:
 * with its type 13; without it, the 9 parameters implementations send). The
 * values point at static storage.
 */
void
mikey_sp_table_e21(struct mikey_sp *sp, uint8_t policy_no, bool with_roc_rate);

#endif /* MIKEY_PROFILE_H */
