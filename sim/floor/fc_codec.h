/* SPDX-License-Identifier: proprietary */
/*
 * TS 24.380 floor control codec: one struct per message, an encoder into a
 * caller buffer and a strict decoder. Byte buffers only: no sockets, no
 * allocation, no printing, so the plain server, the UE simulator (before
 * SRTCP protect / after unprotect) and the fuzzer share it.
 *
 * What the decoder accepts (docs/floor-control.md has the reasons):
 * - exactly one RTCP APP packet (V = 2, P = 0, PT = 204, name "MCPT") whose
 *   length field matches the buffer; several messages in one datagram are
 *   split first with fc_next() (TS 24.380 §8.1.1: never compound RTCP);
 * - the Rel-13 message types (FC_CODED_TYPES); x only on FC_ACKABLE_TYPES;
 * - any field in any message (the per-message tables are NOT FOUND in the
 *   digest, so no field is required or forbidden per type); each field at
 *   most once, with its exact length, zero padding and zero spare bits;
 * - fields 15..255 without a coding in the digest are skipped (counted in
 *   n_skipped) unless FC_DECODE_REJECT_UNKNOWN; the Rel-13 legacy IDs
 *   102..116 are read as 0..13 unless FC_DECODE_REJECT_LEGACY.
 */
#ifndef FC_CODEC_H
#define FC_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fc_error.h"
#include "fc_proto.h"

#define FC_STR_MAX		255	/* an 8-bit length */
#define FC_TRACK_REFS_MAX	63	/* (255 - 2) / 4 references with no participant type */

/* An identity or text: not NUL-terminated on the wire; s[len] is 0 in memory. */
struct fc_str {
	uint8_t len;
	char s[FC_STR_MAX + 1];
};

/*
 * Track Info [IMPL: med test quoting §8.2.3.13]: Queueing Capability (8) |
 * Participant Type Length (8) | Participant Type (padded to 4) | Floor
 * Participant Reference (32) * n. The field length covers all of it.
 */
struct fc_track_info {
	uint8_t queueing_cap;		/* 0 no, 1 yes */
	struct fc_str participant_type;
	uint8_t n_refs;
	uint32_t refs[FC_TRACK_REFS_MAX];
};

/* Which fields a message carries: bit (1u << field ID). */
#define FC_F(fid)		(1u << (fid))
#define FC_F_PRIORITY		FC_F(FC_FID_PRIORITY)
#define FC_F_DURATION		FC_F(FC_FID_DURATION)
#define FC_F_REJECT_CAUSE	FC_F(FC_FID_REJECT_CAUSE)
#define FC_F_QUEUE_INFO		FC_F(FC_FID_QUEUE_INFO)
#define FC_F_GRANTED_PARTY	FC_F(FC_FID_GRANTED_PARTY)
#define FC_F_PERMISSION		FC_F(FC_FID_PERMISSION)
#define FC_F_USER_ID		FC_F(FC_FID_USER_ID)
#define FC_F_QUEUE_SIZE		FC_F(FC_FID_QUEUE_SIZE)
#define FC_F_SEQ		FC_F(FC_FID_SEQ)
#define FC_F_QUEUED_USER_ID	FC_F(FC_FID_QUEUED_USER_ID)
#define FC_F_SOURCE		FC_F(FC_FID_SOURCE)
#define FC_F_TRACK_INFO		FC_F(FC_FID_TRACK_INFO)
#define FC_F_MSG_TYPE		FC_F(FC_FID_MSG_TYPE)
#define FC_F_FLOOR_IND		FC_F(FC_FID_FLOOR_IND)
#define FC_F_SSRC		FC_F(FC_FID_SSRC)
#define FC_F_ALL		(FC_F(FC_FID_COUNT) - 1u)

struct fc_msg {
	uint8_t type;			/* enum fc_type: low 4 bits of the subtype */
	bool ack_req;			/* subtype bit x: answer with Floor Ack */
	uint32_t ssrc;			/* header: SSRC of the sender */
	uint32_t present;		/* FC_F_* */

	uint8_t priority;		/* Floor Priority, 0..255 */
	uint16_t duration;		/* Duration, seconds */
	uint16_t reject_cause;		/* enum fc_deny_cause or fc_revoke_cause */
	struct fc_str reject_phrase;	/* optional part of Reject Cause: len 0 = none */
	uint8_t queue_pos;		/* Queue Info: position (FC_QUEUE_POS_*) */
	uint8_t queue_prio;		/* Queue Info: queue priority */
	struct fc_str granted_party;	/* Granted Party's Identity */
	uint16_t permission;		/* Permission to Request the Floor: 0 or 1 */
	struct fc_str user_id;		/* User ID */
	uint16_t queue_size;		/* Queue Size */
	uint16_t seq;			/* Message Sequence Number */
	struct fc_str queued_user_id;	/* Queued User ID */
	uint16_t source;		/* Source: enum fc_source */
	struct fc_track_info track;	/* Track Info */
	uint16_t msg_type;		/* Message Type, raw (FC_MSG_TYPE_* macros) */
	uint16_t floor_ind;		/* Floor Indicator: FC_FI_* */
	uint32_t granted_ssrc;		/* SSRC field: SSRC of the granted floor participant */

	/* Set by the decoder only (the encoder ignores them). */
	uint8_t n_skipped;		/* uncoded / unknown fields skipped (saturates) */
	bool legacy_ids;		/* a field used a Rel-13 legacy ID */
};

/* Decoder flags. */
#define FC_DECODE_REJECT_UNKNOWN	0x1u	/* -FC_E_FIELD_UNKNOWN instead of skipping */
#define FC_DECODE_REJECT_LEGACY		0x2u	/* -FC_E_LEGACY for IDs 102..116 */

/* Zero |m| and set its type, x bit and sender SSRC. */
void
fc_msg_init(struct fc_msg *m, enum fc_type type, bool ack_req, uint32_t ssrc);

/*
 * Set string |s| from |len| octets at |src| (not NUL-terminated). Returns 0,
 * or -FC_E_ARG when len > FC_STR_MAX or src holds a NUL.
 */
MUST_CHECK int
fc_str_set(struct fc_str *s, const char *src, size_t len);

/* As fc_str_set() for a C string. */
MUST_CHECK int
fc_str_setz(struct fc_str *s, const char *src);

/* The subtype octet bits for |m|: type | (x ? 0x10 : 0). */
uint8_t
fc_msg_subtype(const struct fc_msg *m);

/* "Floor Granted", ... ; "unknown" outside the 4-bit space. */
const char *
fc_type_name(unsigned int type);

/* "Floor Priority", ... ; "unknown" for IDs without a name in the digest. */
const char *
fc_field_name(unsigned int fid);

/*
 * Octets fc_encode() will write for |m| (a multiple of 4), or 0 if |m| cannot
 * be encoded (fc_encode() says why).
 */
size_t
fc_encoded_len(const struct fc_msg *m);

/*
 * Write |m| as one RTCP APP packet into |buf| (|cap| octets), fields in
 * ascending ID order, and set |*len|. Nothing is written unless it all fits.
 * Returns 0, or:
 * -FC_E_ARG     NULL pointer; type not in FC_CODED_TYPES; x on a type not in
 *               FC_ACKABLE_TYPES; present has bits above FC_F_ALL; a value out
 *               of range (permission > 1, source > 3, queueing capability > 1,
 *               string or Track Info longer than one field can hold);
 * -FC_E_NOROOM  |cap| is smaller than fc_encoded_len(m).
 */
MUST_CHECK int
fc_encode(const struct fc_msg *m, uint8_t *buf, size_t cap, size_t *len);

/*
 * Decode the RTCP APP packet that fills |buf| exactly (|len| octets) into |m|
 * (cleared first; on failure its content is unspecified). |flags|:
 * FC_DECODE_*. Returns 0, or:
 * -FC_E_ARG, -FC_E_SHORT, -FC_E_VERSION, -FC_E_PBIT, -FC_E_PT, -FC_E_LENGTH
 * (length field beyond |len|), -FC_E_TRAILING (|len| beyond the length field),
 * -FC_E_NAME, -FC_E_TYPE, -FC_E_TYPE_UNSUPPORTED, -FC_E_ACK_BIT,
 * -FC_E_FIELD_TRUNC, -FC_E_FIELD_LEN, -FC_E_FIELD_PAD, -FC_E_FIELD_SPARE,
 * -FC_E_FIELD_DUP, -FC_E_FIELD_UNKNOWN, -FC_E_FIELD_VALUE, -FC_E_LEGACY,
 * -FC_E_STRING.
 */
MUST_CHECK int
fc_decode(const uint8_t *buf, size_t len, unsigned int flags, struct fc_msg *m);

/*
 * Iterate over the RTCP packets of one UDP payload (several floor control
 * messages may share an IP packet, §8.1.1). From offset |*off| (start at 0),
 * set |*pkt|, |*pkt_len| to the next packet as its RTCP length field bounds
 * it, and advance |*off|. Only the version and the length are checked here;
 * fc_decode() checks the rest. Returns 1 when a packet was produced, 0 at the
 * end of the datagram, or -FC_E_ARG, -FC_E_SHORT (fewer than 4 octets left),
 * -FC_E_VERSION, -FC_E_LENGTH.
 */
MUST_CHECK int
fc_next(const uint8_t *dgram, size_t len, size_t *off, const uint8_t **pkt, size_t *pkt_len);

/* Field-by-field equality of two messages (decoder-only members ignored). */
bool
fc_msg_equal(const struct fc_msg *a, const struct fc_msg *b);

#endif /* FC_CODEC_H */
