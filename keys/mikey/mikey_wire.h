/* SPDX-License-Identifier: proprietary */
/*
 * MIKEY-SAKKE wire numbers, in one place (cf. WireGuard's messages.h):
 * RFC 3830, RFC 6043, RFC 6509, TS 33.180 Annex E (spec/crypto.md §3,
 * spec/3gpp-mc-security.md §4). Values marked [IMPL] come from interoperable
 * implementations, not from retrieved 3GPP text (see the digest).
 */
#ifndef MIKEY_WIRE_H
#define MIKEY_WIRE_H

/* HDR (RFC 3830 §6.1, RFC 6509 §4.1) */
#define MIKEY_VERSION 1
#define MIKEY_DATA_TYPE_SAKKE 26	/* "SAKKE msg" */
#define MIKEY_PRF_HMAC_SHA_256 1	/* RFC 6043 §6.1; 0 = MIKEY-1 */
#define MIKEY_HDR_V_BIT 0x80
#define MIKEY_HDR_PRF_MASK 0x7f
#define MIKEY_HDR_FIXED_LEN 10		/* up to and including CS ID map type */

/* CS ID map types */
#define MIKEY_MAP_SRTP_ID 0		/* RFC 3830: not used by TS 33.180 */
#define MIKEY_MAP_EMPTY 1		/* RFC 4563: with #CS = 0 */
#define MIKEY_MAP_GENERIC_ID 2		/* RFC 6043 §6.1.1 */

/* GENERIC-ID entry (RFC 6043 §6.1.1) */
#define MIKEY_PROT_SRTP 0
#define MIKEY_GID_S_BIT 0x80
#define MIKEY_GID_NP_MASK 0x7f
#define MIKEY_GID_SD_SSRC 4		/* session data: SSRC */
#define MIKEY_GID_SD_FULL 10		/* SSRC || ROC || SEQ (S = 1) */

/* Payload types (RFC 3830 Table 6.1.b, RFC 6043, RFC 6509) */
#define MIKEY_PT_LAST 0
#define MIKEY_PT_KEMAC 1
#define MIKEY_PT_PKE 2
#define MIKEY_PT_DH 3
#define MIKEY_PT_SIGN 4
#define MIKEY_PT_T 5
#define MIKEY_PT_ID 6
#define MIKEY_PT_CERT 7
#define MIKEY_PT_CHASH 8
#define MIKEY_PT_V 9
#define MIKEY_PT_SP 10
#define MIKEY_PT_RAND 11
#define MIKEY_PT_ERR 12
#define MIKEY_PT_IDR 14
#define MIKEY_PT_KEY_DATA 20
#define MIKEY_PT_GEXT 21
#define MIKEY_PT_SAKKE 26

/* T payload (RFC 3830 §6.6): TS 33.179 E.1.1 mandates NTP-UTC */
#define MIKEY_TS_NTP_UTC 0
#define MIKEY_TS_NTP 1
#define MIKEY_TS_COUNTER 2
#define MIKEY_NTP_UNIX_OFFSET 2208988800u	/* seconds 1900-01-01 .. 1970-01-01 */

/* RAND (RFC 3830 §6.11: at least 16 octets recommended; we require it) */
#define MIKEY_RAND_MIN 16
#define MIKEY_RAND_LEN 16		/* what we send */

/* IDR (RFC 6043 §6.6, RFC 6509 §4.4, TS 33.180 E.7) */
#define MIKEY_ROLE_I 1			/* IDRi */
#define MIKEY_ROLE_R 2			/* IDRr */
#define MIKEY_ROLE_KMS 3
#define MIKEY_ROLE_PSK 4
#define MIKEY_ROLE_APP 5
#define MIKEY_ROLE_KMSI 6		/* initiator's KMS */
#define MIKEY_ROLE_KMSR 7		/* responder's KMS */
#define MIKEY_ROLE_UIDI 8		/* hidden initiator: its 32-octet UID */
#define MIKEY_ROLE_UIDR 9		/* hidden responder */
#define MIKEY_IDT_NAI 0
#define MIKEY_IDT_URI 1
#define MIKEY_IDT_BYTES 2		/* RFC 6043 byte string */
#define MIKEY_UID_LEN 32		/* TS 33.180 F.2.1 */

/* SP (RFC 3830 §6.10) SRTP parameter types (+ RFC 4771, RFC 7714) */
#define MIKEY_SP_ENC_ALG 0
#define MIKEY_SP_ENC_KEY_LEN 1
#define MIKEY_SP_AUTH_ALG 2
#define MIKEY_SP_AUTH_KEY_LEN 3
#define MIKEY_SP_SALT_LEN 4
#define MIKEY_SP_PRF 5
#define MIKEY_SP_KDR 6
#define MIKEY_SP_SRTP_ENC 7
#define MIKEY_SP_SRTCP_ENC 8
#define MIKEY_SP_FEC 9
#define MIKEY_SP_SRTP_AUTH 10
#define MIKEY_SP_TAG_LEN 11
#define MIKEY_SP_PREFIX_LEN 12
#define MIKEY_SP_ROC_RATE 13		/* RFC 4771: R */
#define MIKEY_SP_SRTP_AUTH_ALG 14
#define MIKEY_SP_SRTCP_AUTH_ALG 15
#define MIKEY_SP_SRTP_AUTH_KEY_LEN 16
#define MIKEY_SP_SRTCP_AUTH_KEY_LEN 17
#define MIKEY_SP_SRTP_TAG_LEN 18
#define MIKEY_SP_SRTCP_TAG_LEN 19
#define MIKEY_SP_AEAD_TAG_LEN 20	/* RFC 7714 §14.3 */
#define MIKEY_SP_TYPE_MAX 20

/* SP values */
#define MIKEY_ENC_NULL 0
#define MIKEY_ENC_AES_CM 1
#define MIKEY_ENC_AES_F8 2
#define MIKEY_ENC_AES_GCM 6
#define MIKEY_AUTH_NULL 0
#define MIKEY_AUTH_HMAC_SHA1 1
#define MIKEY_AUTH_RCCM1 2
#define MIKEY_AUTH_RCCM2 3
#define MIKEY_AUTH_RCCM3 4
#define MIKEY_SRTP_PRF_AES_CM 0

/* SAKKE payload (RFC 6509 §4.2) */
#define MIKEY_SAKKE_PARAMS_1 1		/* RFC 6509 Appendix A parameter set 1 */
#define MIKEY_SAKKE_SCHEME_TEL 1	/* RFC 6509 "tel URI with monthly keys" */
#define MIKEY_SAKKE_SCHEME_UID 2	/* 3GPP MCX hashed UID [IMPL] */
#define MIKEY_SAKKE_DATA_LEN 273	/* 04 || Rx || Ry (257) || H (16) */
#define MIKEY_SAKKE_HDR_LEN 5

/* General Extension (RFC 3830 §6.15; TS 33.180 E.5, E.6) */
#define MIKEY_GEXT_VENDOR 0
#define MIKEY_GEXT_SDP_ID 1
#define MIKEY_GEXT_SAKKE_TO_SELF 6	/* E.5 */
#define MIKEY_GEXT_KEY_PARAMS 7		/* E.6: an MCData protected payload */
#define MIKEY_GEXT_HDR_LEN 4

/* SIGN (RFC 3830 §6.5, RFC 6509 §4.3) */
#define MIKEY_SIGN_ECCSI 2		/* S type, high nibble */
#define MIKEY_SIGN_HDR_LEN 2
#define MIKEY_SIGN_ECCSI_LEN 129	/* r || s || PVT */
#define MIKEY_SIGN_LEN_MASK 0x0fff

/* E.6 Key Parameters content (Table E.6.1-1 as implemented [IMPL]) */
#define MIKEY_KP_STATUS_NOT_REVOKED 0x1u	/* bit 0: clear = revoked */
#define MIKEY_KP_STATUS_SEGY 0x2u		/* bit 1: shared with a Security Gateway */
#define MIKEY_KP_TIME_LEN 5			/* 40-bit seconds, NTP epoch (our reading) */
#define MIKEY_KP_GROUP_IEI 0x00			/* our IEI for an MC group ID TLV-E */

#endif /* MIKEY_WIRE_H */
