/* SPDX-License-Identifier: proprietary */
/*
 * TS 24.380 floor control: the numbers on the wire, in one place (as
 * WireGuard's messages.h). Source: shared/spec/3gpp-mc-security.md §9, whose
 * provenance tags are repeated here. Where the digest says NOT FOUND or leaves
 * a coding open, the comment says so and nothing is invented.
 */
#ifndef FC_PROTO_H
#define FC_PROTO_H

#include <stdint.h>

/* Common header, TS 24.380 Table 8.1.2-1 [S380 §8.1.2] */
#define FC_RTCP_VERSION		2
#define FC_RTCP_PT_APP		204
#define FC_HDR_LEN		12	/* V/P/subtype/PT/length, SSRC, name */
#define FC_APP_NAME		"MCPT"	/* floor control [IMPL: MCOP, Nemergent] */
#define FC_APP_NAME_LEN		4
/* Largest floor control packet: the RTCP length is 16 bits of 32-bit words. */
#define FC_PKT_MAX		(4u * 65536u)

/*
 * Subtype (5 bits) [IMPL: MCOP tinyMCPTT, Nemergent dissector; Table
 * 8.2.2.1-1 itself NOT FOUND]: the low 4 bits carry the message type, the top
 * bit "x" asks the receiver to answer with a Floor Ack.
 */
#define FC_SUBTYPE_ACK_REQ	0x10
#define FC_SUBTYPE_TYPE_MASK	0x0f

enum fc_type {
	FC_T_REQUEST = 0,		/* participant -> server / arbitrator */
	FC_T_GRANTED = 1,		/* x allowed */
	FC_T_TAKEN = 2,			/* x allowed */
	FC_T_DENY = 3,			/* x allowed */
	FC_T_RELEASE = 4,		/* x allowed */
	FC_T_IDLE = 5,			/* x allowed */
	FC_T_REVOKE = 6,
	FC_T_REVOKE_REQUEST = 7,	/* Rel-19: not coded here */
	FC_T_QUEUE_POS_REQUEST = 8,
	FC_T_QUEUE_POS_INFO = 9,	/* x allowed */
	FC_T_ACK = 10,
	FC_T_MEDIA_FLOW_CONTROL = 11,	/* Rel-17: not coded here */
	FC_T_QUEUED_REQUESTS = 14,	/* Rel-17 vs Rel-18 meanings differ: not coded */
	FC_T_RELEASE_MULTI_TALKER = 15,	/* Rel-15: not coded here */
};
#define FC_T_COUNT		16	/* the 4-bit type space, for per-type counters */

/* Types whose subtype may carry x = 1 (17, 18, 19, 20, 21, 25) [digest §9.2]. */
#define FC_ACKABLE_TYPES						\
	((1u << FC_T_GRANTED) | (1u << FC_T_TAKEN) | (1u << FC_T_DENY) |	\
	 (1u << FC_T_RELEASE) | (1u << FC_T_IDLE) | (1u << FC_T_QUEUE_POS_INFO))

/* Types this codec encodes and decodes (the Rel-13 set). */
#define FC_CODED_TYPES							\
	((1u << FC_T_REQUEST) | FC_ACKABLE_TYPES | (1u << FC_T_REVOKE) |	\
	 (1u << FC_T_QUEUE_POS_REQUEST) | (1u << FC_T_ACK))

/*
 * Field IDs, Table 8.2.3.1-2 (current coding, from 0). Each field is
 * ID (8) | length (8) | value, padded with zero octets to a 32-bit boundary;
 * the length counts the value only [IMPL: MCOP, NIST, Nemergent, med].
 */
enum fc_field_id {
	FC_FID_PRIORITY = 0,		/* len 2: priority (8) | spare (8) [IMPL: NIST] */
	FC_FID_DURATION = 1,		/* len 2: seconds */
	FC_FID_REJECT_CAUSE = 2,	/* len 2+n: cause (16) | reject phrase */
	FC_FID_QUEUE_INFO = 3,		/* len 2: position (8) | priority (8) */
	FC_FID_GRANTED_PARTY = 4,	/* len n: MCPTT ID of the granted party */
	FC_FID_PERMISSION = 5,		/* len 2: 0 not permitted, 1 permitted */
	FC_FID_USER_ID = 6,		/* len n: MCPTT ID */
	FC_FID_QUEUE_SIZE = 7,		/* len 2 */
	FC_FID_SEQ = 8,			/* len 2: Message Sequence Number */
	FC_FID_QUEUED_USER_ID = 9,	/* len n: MCPTT ID */
	FC_FID_SOURCE = 10,		/* len 2: 0..3 */
	FC_FID_TRACK_INFO = 11,		/* see struct fc_track_info */
	FC_FID_MSG_TYPE = 12,		/* len 2: bit layout NOT FOUND in the digest */
	FC_FID_FLOOR_IND = 13,		/* len 2: 16-bit mask */
	FC_FID_SSRC = 14,		/* len 6: SSRC (32) | spare (16) [IMPL: Nemergent] */
	/*
	 * 15..25 have IDs in the digest but no coding (multi-talker Rel-15,
	 * unverified Rel-15 names, Rel-17/19 additions): the decoder skips them
	 * (or rejects them with FC_DECODE_REJECT_UNKNOWN); the encoder cannot
	 * write them.
	 */
	FC_FID_LIST_GRANTED_USERS = 15,
	FC_FID_LIST_SSRCS = 16,
	FC_FID_QUEUED_REQ_PURPOSE = 21,	/* 0 cancel request, 1 cancel result, 2 notification */
	FC_FID_REVOKE_REQ_USER_ID = 25,
};
#define FC_FID_CODED_MAX	14	/* the highest ID with a coding */
#define FC_FID_COUNT		15

/*
 * Early Rel-13 (to about v13.2) used 102..116 for 0..13 (no 107, and nothing
 * for 14) [IMPL: MCOP marks them _OLD; Nemergent accepts both].
 */
#define FC_FID_LEGACY_FIRST	102
#define FC_FID_LEGACY_LAST	116

/* Reject Cause in Floor Deny (§8.2.6.2) */
enum fc_deny_cause {
	FC_DENY_ANOTHER_HAS_PERMISSION = 1,
	FC_DENY_INTERNAL_ERROR = 2,
	FC_DENY_ONLY_ONE_PARTICIPANT = 3,
	FC_DENY_RETRY_AFTER = 4,
	FC_DENY_RECEIVE_ONLY = 5,
	FC_DENY_NO_RESOURCES = 6,
	FC_DENY_QUEUE_FULL = 7,
	FC_DENY_OTHER = 255,
};

/* Reject Cause in Floor Revoke (§8.2.10.2): same field, other meanings */
enum fc_revoke_cause {
	FC_REVOKE_ONLY_ONE_CLIENT = 1,
	FC_REVOKE_BURST_TOO_LONG = 2,
	FC_REVOKE_NO_PERMISSION = 3,
	FC_REVOKE_PREEMPTED = 4,
	FC_REVOKE_NO_RESOURCES = 6,
	FC_REVOKE_BY_ANOTHER_CLIENT = 7,	/* Rel-19 */
	FC_REVOKE_OTHER = 255,
};

/* Queue Info position values; the digest marks both "verify" (§8.2.3.5). */
#define FC_QUEUE_POS_NOT_QUEUED		254
#define FC_QUEUE_POS_UNDISCLOSED	255

/* Permission to Request the Floor */
#define FC_PERMISSION_NO	0
#define FC_PERMISSION_YES	1

/* Source */
enum fc_source {
	FC_SRC_PARTICIPANT = 0,
	FC_SRC_PARTICIPATING = 1,	/* participating MCPTT function */
	FC_SRC_CONTROLLING = 2,		/* controlling MCPTT function */
	FC_SRC_NON_CONTROLLING = 3,	/* non-controlling MCPTT function */
};
#define FC_SRC_MAX		3

/* Floor Indicator bits */
#define FC_FI_NORMAL		0x8000	/* A */
#define FC_FI_BROADCAST		0x4000	/* B */
#define FC_FI_SYSTEM		0x2000	/* C */
#define FC_FI_EMERGENCY		0x1000	/* D */
#define FC_FI_IMMINENT_PERIL	0x0800	/* E */
#define FC_FI_QUEUEING		0x0400	/* F: queueing supported */
#define FC_FI_DUAL_FLOOR	0x0200	/* G */
#define FC_FI_TEMPORARY_GROUP	0x0100	/* H */
#define FC_FI_MULTI_TALKER	0x0080	/* I */

/*
 * Message Type field (Floor Ack): the digest has the length (2) but not the
 * bit layout (NOT FOUND). Wireshark's packet-rtcp.c reads octet 1 as the
 * acknowledged message's type and octet 2 as spare [IMPL: Wireshark]; our FSMs
 * use that reading through these two macros, the codec keeps the 16 bits raw.
 */
#define FC_MSG_TYPE_VALUE(subtype)	((uint16_t)(((unsigned int)(subtype) & 0xffu) << 8))
#define FC_MSG_TYPE_SUBTYPE(value)	((uint8_t)((value) >> 8))

#endif /* FC_PROTO_H */
