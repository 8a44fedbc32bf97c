/* SPDX-License-Identifier: proprietary */
/*
 * SRTP master key, master salt and MKI for MCPTT, from the key a MIKEY-SAKKE
 * I_MESSAGE carried (TS 33.180 §7.4; spec/3gpp-mc-security.md §5.1–5.4):
 *
 *   master key  = PRF(TGK, 0x2AD01C64 || CS ID || CSB ID || RAND), 16 octets
 *   master salt = PRF(TGK, 0x39A2C14B || CS ID || CSB ID || RAND),
 *                 12 octets (AEAD_AES_*_GCM) or 14 (AES-CM)
 *
 *   context             TGK   CS ID                      CSB ID          MKI
 *   private call (PCK)  PCK   0 initiator's, 1 receiver's PCK-ID         PCK-ID (4)
 *   group call (GMK)    GMK   4                          sender GUK-ID   GMK-ID || GUK-ID (8)
 *   unicast floor (CSK) CSK   6                          CSK-ID          CSK-ID (4)
 *
 * Off-network, SRTCP (floor, transmission and media control) uses the very
 * same master key, salt and MKI as the SRTP of the same PCK or GMK (digest
 * §5.4): use one struct mikey_srtp_master for both contexts.
 * CS IDs are Table E.1.3-1 as the digest gives it (§4.11, from
 * implementations: the 3GPP table itself was not retrieved).
 */
#ifndef MIKEY_SRTP_KEYS_H
#define MIKEY_SRTP_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "keys_error.h"
#include "keys_kdf.h"
#include "keys_keyid.h"

#define MIKEY_SRTP_KEY_LEN 16
#define MIKEY_SRTP_SALT_GCM_LEN 12	/* AEAD_AES_128_GCM, the MCPTT profile */
#define MIKEY_SRTP_SALT_CM_LEN 14	/* AES-CM profiles */
#define MIKEY_SRTP_SALT_MAX 14

/* CS IDs of 33.180 Table E.1.3-1 (digest §4.11). */
enum mikey_cs_id {
	MIKEY_CS_MCPTT_PCK_INIT = 0,	/* initiator's media, MCPTT private call */
	MIKEY_CS_MCPTT_PCK_RECV = 1,	/* receiver's media, MCPTT private call */
	MIKEY_CS_MCVIDEO_PCK_INIT = 2,
	MIKEY_CS_MCVIDEO_PCK_RECV = 3,
	MIKEY_CS_MCPTT_GROUP = 4,	/* MCPTT group call (GMK) */
	MIKEY_CS_MCVIDEO_GROUP = 5,
	MIKEY_CS_MCPTT_CSK = 6,		/* CSK SRTCP protection for MCPTT */
	MIKEY_CS_MCPTT_MUSIK = 7,
	MIKEY_CS_MCVIDEO_CSK = 8,
	MIKEY_CS_MCVIDEO_MUSIK = 9
};

/* Which end of a private call sends the media this context protects. */
enum mikey_pck_dir {
	MIKEY_PCK_FROM_INITIATOR = 0,	/* CS ID 0 */
	MIKEY_PCK_FROM_RECEIVER = 1	/* CS ID 1 */
};

/* What an SRTP/SRTCP context needs. Secret: wipe with mikey_srtp_master_wipe(). */
struct mikey_srtp_master {
	uint8_t key[MIKEY_SRTP_KEY_LEN];
	uint8_t salt[MIKEY_SRTP_SALT_MAX];
	uint8_t salt_len;		/* 12 or 14 */
	uint8_t mki[KEYS_MKI_MAX_LEN];
	uint8_t mki_len;		/* 0, 4 or 8 */
};

void
mikey_srtp_master_wipe(struct mikey_srtp_master *m);

/*
 * Master key and salt from |tgk| for any CS ID / CSB ID; no MKI (mki_len 0).
 * |salt_len| is MIKEY_SRTP_SALT_GCM_LEN or MIKEY_SRTP_SALT_CM_LEN.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_CRYPTO; on failure |*m| is wiped.
 */
MUST_CHECK int
mikey_srtp_master(struct mikey_srtp_master *m, const uint8_t *tgk, size_t tgk_len,
		  uint8_t cs_id, uint32_t csb_id, const uint8_t *rand, size_t rand_len,
		  size_t salt_len);

/*
 * Private call, one direction (33.180 §7.4.1): TGK = PCK, CSB ID = PCK-ID,
 * CS ID 0 or 1 by |dir|, MKI = PCK-ID. Both directions share the MKI; the
 * receiver picks the key by direction.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE (|pck_id| without purpose tag 1),
 * -KEYS_E_CRYPTO.
 */
MUST_CHECK int
mikey_mcptt_pck(struct mikey_srtp_master *m, const uint8_t pck[KEYS_KEY_LEN], uint32_t pck_id,
		const uint8_t *rand, size_t rand_len, enum mikey_pck_dir dir, size_t salt_len);

/*
 * Group call, one sender (33.180 §7.4.2, end-point diversity): TGK = GMK,
 * CS ID 4, CSB ID = the sender's GUK-ID, MKI = GMK-ID || GUK-ID.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE (an ID without purpose tag 0),
 * -KEYS_E_CRYPTO.
 */
MUST_CHECK int
mikey_mcptt_gmk(struct mikey_srtp_master *m, const uint8_t gmk[KEYS_KEY_LEN], uint32_t gmk_id,
		uint32_t sender_guk_id, const uint8_t *rand, size_t rand_len, size_t salt_len);

/*
 * On-network unicast floor control (24.380 §13.1; digest §5.1): TGK = CSK,
 * CS ID 6, CSB ID = CSK-ID, MKI = CSK-ID. SRTCP only (33.180 E.4.1).
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE (|csk_id| without purpose tag 2),
 * -KEYS_E_CRYPTO.
 */
MUST_CHECK int
mikey_mcptt_csk(struct mikey_srtp_master *m, const uint8_t csk[KEYS_KEY_LEN], uint32_t csk_id,
		const uint8_t *rand, size_t rand_len, size_t salt_len);

#endif /* MIKEY_SRTP_KEYS_H */
