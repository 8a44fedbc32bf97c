/* SPDX-License-Identifier: proprietary */
/*
 * The MIKEY-SAKKE I_MESSAGE (RFC 6509, TS 33.180 Annex E) as a C model, its
 * encoder and its strict decoder (spec/3gpp-mc-security.md §4,
 * spec/crypto.md §3). Wire numbers: mikey_wire.h.
 *
 * Payload order, as emitted and as the decoder requires it:
 *
 *   HDR, T, RAND, IDRi|IDRuidi, IDRr|IDRuidr, IDRkmsi, IDRkmsr, {SP},
 *   SAKKE, [GEXT 6 SAKKE-to-self], [GEXT 7 key parameters], SIGN
 *
 * All payloads but SP and the two extensions are mandatory; SP may repeat (up
 * to MIKEY_SP_MAX). SIGN is last; nothing may follow it.
 *
 * Ownership: the variable-length fields of struct mikey_msg (IDR data, RAND,
 * SP values, SAKKE data, extension bodies, signature) are borrowed pointers.
 * After mikey_msg_decode() they point into the decoded buffer, which must
 * outlive the model; for mikey_msg_encode() they point at the caller's data.
 *
 * A rejection is reported twice: the return code (-KEYS_E_PARSE for framing
 * and field values, -KEYS_E_VERIFY for checks a receiver makes) and, where
 * the caller passes one, an enum mikey_reject naming the exact reason.
 * Thread-safety: none of these functions keep state.
 */
#ifndef MIKEY_MSG_H
#define MIKEY_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys_error.h"
#include "mikey_wire.h"

#define MIKEY_CS_MAX 10		/* one per CS ID of Table E.1.3-1 */
#define MIKEY_CS_POL_MAX 4	/* policy numbers per crypto session */
#define MIKEY_SPI_MAX 8		/* MKI: GMK-ID || GUK-ID at most */
#define MIKEY_SP_MAX 4
#define MIKEY_SP_PARAMS_MAX 32
#define MIKEY_IDR_N 4		/* IDRi, IDRr, IDRkmsi, IDRkmsr */

/*
 * Why a message was refused: one list, generating enum mikey_reject and
 * mikey_reject_str(). The first block comes from the decoder, the second from
 * the receiver (mikey_sakke.h).
 */
#define MIKEY_REJECTS(_)                                                        \
	_(NONE, "accepted")                                                     \
	_(TRUNCATED, "message ends inside a payload")                           \
	_(TRAILING_BYTES, "bytes after the SIGN payload")                       \
	_(UNKNOWN_PAYLOAD, "next-payload names an unknown or unexpected type")  \
	_(OUT_OF_ORDER, "payload out of the I_MESSAGE order")                   \
	_(DUPLICATE, "payload present twice")                                   \
	_(MISSING_PAYLOAD, "a mandatory payload is missing")                    \
	_(BAD_LENGTH, "a length field disagrees with its container")            \
	_(BAD_VERSION, "HDR version is not 1")                                  \
	_(BAD_DATA_TYPE, "HDR data type is not SAKKE (26)")                     \
	_(BAD_V_FLAG, "HDR V flag set")                                         \
	_(BAD_PRF, "HDR PRF func is not PRF-HMAC-SHA-256")                      \
	_(BAD_CS_MAP, "bad crypto session map")                                 \
	_(BAD_TS_TYPE, "timestamp is not NTP-UTC")                              \
	_(BAD_RAND, "RAND shorter than 16 octets")                              \
	_(BAD_IDR, "bad IDR role, type or identity")                            \
	_(BAD_SP, "bad security policy payload")                                \
	_(UNKNOWN_POLICY, "a crypto session names a policy no SP defines")      \
	_(BAD_SAKKE, "bad SAKKE payload (parameter set, ID scheme, size)")      \
	_(UNKNOWN_EXTENSION, "unknown General Extension type")                  \
	_(BAD_SIGN, "SIGN is not a 129-octet ECCSI signature")                  \
	_(NOT_RECIPIENT, "IDRr is none of our identities for the period")       \
	_(UNKNOWN_KMS, "IDRkmsi/IDRkmsr is not a trusted KMS")                  \
	_(NO_KEY_PERIOD, "no key material for the timestamp's key period")      \
	_(TIMESTAMP_WINDOW, "timestamp outside the accepted window")            \
	_(BAD_SIGNATURE, "ECCSI signature does not verify")                     \
	_(UNKNOWN_SIGNER, "signer not allowed to send this key")                \
	_(UNKNOWN_INITIATOR, "hidden initiator is none of those expected")      \
	_(TAMPERED, "SAKKE or key-parameter integrity check failed")            \
	_(PURPOSE_MISMATCH, "purpose tag, key type or context disagree")        \
	_(BAD_KEY_PARAMS, "malformed key parameters")                           \
	_(KEY_REVOKED, "key parameters say the key is revoked")                 \
	_(KEY_EXPIRED, "key expired")                                           \
	_(BAD_MKI, "crypto session SPI is not the MKI of this key")                \
	_(REPLAY, "message already accepted within its timestamp window")       \
	_(REPLAY_FULL, "replay cache full of live entries: message not accepted")

enum mikey_reject {
#define MIKEY_REJECT_ENUM(n, s) MIKEY_REJECT_##n,
	MIKEY_REJECTS(MIKEY_REJECT_ENUM)
#undef MIKEY_REJECT_ENUM
	MIKEY_REJECT_COUNT
};

/* A sentence for |r| ("unknown reason" out of range). */
const char *
mikey_reject_str(enum mikey_reject r);

/* The enumerator's short name, lower case ("out_of_order"), for counters. */
const char *
mikey_reject_name(enum mikey_reject r);

/* A borrowed octet string. */
struct mikey_bytes {
	const uint8_t *p;
	size_t len;
};

/* One GENERIC-ID crypto session (RFC 6043 §6.1.1). */
struct mikey_cs {
	uint8_t cs_id;
	uint8_t prot_type;		/* MIKEY_PROT_SRTP */
	bool s;				/* session data is SSRC || ROC || SEQ */
	uint8_t n_pol;
	uint8_t pol[MIKEY_CS_POL_MAX];
	uint8_t sd_len;			/* 0, 4 (SSRC) or 10 (S set) */
	uint32_t ssrc;
	uint32_t roc;
	uint16_t seq;
	uint8_t spi_len;		/* the MKI */
	uint8_t spi[MIKEY_SPI_MAX];
};

struct mikey_hdr {
	uint8_t version;		/* MIKEY_VERSION */
	uint8_t data_type;		/* MIKEY_DATA_TYPE_SAKKE */
	bool v;				/* must be false */
	uint8_t prf;			/* MIKEY_PRF_HMAC_SHA_256 */
	uint32_t csb_id;		/* GUK-ID, PCK-ID, CSK-ID ... */
	uint8_t n_cs;
	uint8_t map_type;		/* EMPTY with n_cs 0, else GENERIC_ID */
	struct mikey_cs cs[MIKEY_CS_MAX];
};

struct mikey_idr {
	uint8_t role;			/* MIKEY_ROLE_* */
	uint8_t type;			/* MIKEY_IDT_URI, or BYTES for a UID */
	struct mikey_bytes id;
};

struct mikey_sp_param {
	uint8_t type;
	uint8_t len;
	const uint8_t *val;
};

struct mikey_sp {
	uint8_t policy_no;
	uint8_t prot_type;		/* MIKEY_PROT_SRTP */
	uint8_t n_params;
	struct mikey_sp_param params[MIKEY_SP_PARAMS_MAX];
};

struct mikey_sakke {
	uint8_t params;			/* MIKEY_SAKKE_PARAMS_1 */
	uint8_t id_scheme;		/* MIKEY_SAKKE_SCHEME_UID (or _TEL) */
	struct mikey_bytes data;	/* MIKEY_SAKKE_DATA_LEN octets */
};

/* The IDR slots, in wire order. */
enum mikey_idr_slot {
	MIKEY_IDR_I = 0,		/* IDRi or IDRuidi */
	MIKEY_IDR_R = 1,		/* IDRr or IDRuidr */
	MIKEY_IDR_KMSI = 2,
	MIKEY_IDR_KMSR = 3
};

struct mikey_msg {
	struct mikey_hdr hdr;
	uint8_t ts_type;		/* MIKEY_TS_NTP_UTC */
	uint64_t ts;			/* NTP: seconds << 32 | fraction */
	struct mikey_bytes rand;
	struct mikey_idr idr[MIKEY_IDR_N];
	uint8_t n_sp;
	struct mikey_sp sp[MIKEY_SP_MAX];
	struct mikey_sakke sakke;
	bool has_self;			/* GEXT 6: SAKKE-to-self */
	struct mikey_sakke self;
	bool has_kp;			/* GEXT 7: protected key parameters */
	struct mikey_bytes kp;
	uint8_t sign_type;		/* MIKEY_SIGN_ECCSI */
	struct mikey_bytes sig;		/* 129 octets; p NULL = zeros on encode */

	/* Set by the decoder (and by the encoder's length): */
	const uint8_t *wire;		/* the whole message */
	size_t wire_len;
	size_t sign_off;		/* offset of the SIGN payload header */
};

/*
 * Encode |m| into |buf| (capacity |cap|); |*len| receives the length. The
 * next-payload chain is derived from which payloads |m| holds. With
 * m->sig.p NULL the 129 signature octets are written as zeros, to be filled
 * in after signing buf[0 .. *len - MIKEY_SIGN_ECCSI_LEN) (mikey_sakke.h does
 * this). The encoder checks |m| as the decoder would check the wire (so it
 * never emits what we would refuse) except for the signature.
 * Returns 0, -KEYS_E_ARG (NULL, a field out of range: |*why| says which,
 * |cap| too small: MIKEY_REJECT_TRUNCATED).
 */
MUST_CHECK int
mikey_msg_encode(const struct mikey_msg *m, uint8_t *buf, size_t cap, size_t *len,
		 enum mikey_reject *why);

/*
 * Strictly decode |len| octets at |buf| into |m| (which borrows from |buf|).
 * Every payload is consumed exactly, the next-payload chain is followed and
 * checked against the order above, SIGN must end the buffer. |why| may be
 * NULL; otherwise it receives MIKEY_REJECT_NONE or the reason.
 * Returns 0, -KEYS_E_ARG (NULL), -KEYS_E_PARSE (|*why| says why).
 */
MUST_CHECK int
mikey_msg_decode(struct mikey_msg *m, const uint8_t *buf, size_t len, enum mikey_reject *why);

/* The IDR in |slot| of a decoded or filled model. */
static inline const struct mikey_idr *
mikey_msg_idr(const struct mikey_msg *m, enum mikey_idr_slot slot)
{
	return &m->idr[slot];
}

/* Is the identity in |idr| a hidden 32-octet UID (role 8 or 9)? */
static inline bool
mikey_idr_is_uid(const struct mikey_idr *idr)
{
	return idr->role == MIKEY_ROLE_UIDI || idr->role == MIKEY_ROLE_UIDR;
}

/* The SP with policy number |no|, or NULL. */
const struct mikey_sp *
mikey_msg_sp(const struct mikey_msg *m, uint8_t no);

/* The crypto session with CS ID |cs_id|, or NULL. */
const struct mikey_cs *
mikey_msg_cs(const struct mikey_msg *m, uint8_t cs_id);

/*
 * The timestamp's whole seconds since 1900-01-01 UTC, modulo 2^32: the NTP
 * era is not on the wire (RFC 5905 §6). Place it in the era nearest a clock
 * before use, as mikey_sakke_receive() does.
 */
static inline uint64_t
mikey_msg_ntp_seconds(const struct mikey_msg *m)
{
	return m->ts >> 32;
}

#endif /* MIKEY_MSG_H */
