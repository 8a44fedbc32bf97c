/* SPDX-License-Identifier: proprietary */
/*
 * MIKEY-SAKKE senders and receiver (RFC 6509, TS 33.180 Annex E; digest
 * spec/3gpp-mc-security.md §3-§5, spec/crypto.md §3).
 *
 * Senders build one signed I_MESSAGE per recipient:
 *   GMS -> member:    GMK, CSB ID = the member's GUK-ID, GENERIC-ID CS 4 with
 *                     SPI = GMK-ID || GUK-ID, SP Table E.2-1, E.6 with the
 *                     group IDs and times (Status bit 1 when the member's KMS
 *                     is a Security Gateway's), one RAND for all members.
 *   caller -> callee: PCK, CSB ID = PCK-ID, #CS = 0 (empty map), no SP.
 *   client -> server: CSK to the MDSI, GENERIC-ID CS 6 with SPI = CSK-ID.
 * Each may add SAKKE-to-self (E.5) and hide IDRi/IDRr behind UIDs (E.7). The
 * signature is ECCSI over every octet before it, SIGN header included.
 *
 * The receiver checks, in this order, and stops at the first failure with
 * one enum mikey_reject:
 *   1 strict decode (mikey_msg.h)                    -KEYS_E_PARSE
 *   2 purpose tag of the CSB ID against the context  PURPOSE_MISMATCH
 *   3 T within ±window of the clock                  TIMESTAMP_WINDOW
 *   4 IDRkmsi and IDRkmsr are trusted KMSs           UNKNOWN_KMS
 *   5 IDRr/IDRuidr is one of our identities for the key period of T
 *     (or IDRi/IDRuidi is, with SAKKE-to-self)      NOT_RECIPIENT, NO_KEY_PERIOD
 *   6 the initiator's UID for T's key period: from IDRi's URI, or, when
 *     IDRuidi hides it, the UID of one of rx->initiators (URIs the
 *     signalling names, 33.180 §5.2.6) that equals IDRuidi; none given, or
 *     none equal: refused (reading our own SAKKE-to-self, the initiator is
 *     us, matched in step 5)                          UNKNOWN_INITIATOR
 *     then the ECCSI signature by that UID under IDRkmsi's KPAK, before
 *     anything is decapsulated (fallback: without the SIGN header)
 *                                                    BAD_SIGNATURE
 *   7 the signer is allowed (optional callback)      UNKNOWN_SIGNER
 *   8 SAKKE decapsulation with our RSK               TAMPERED
 *   9 GMK: GMK-ID from the GUK-ID, tag 0            PURPOSE_MISMATCH
 *  10 E.6: GCM open, content, Key Type = purpose tag, not revoked, not
 *     expired                                        TAMPERED, BAD_KEY_PARAMS,
 *                                                    PURPOSE_MISMATCH,
 *                                                    KEY_REVOKED, KEY_EXPIRED
 *  11 CS IDs fit the key type, SPI = our MKI, SRTP profile (SP or default
 *     table)                                        PURPOSE_MISMATCH, BAD_MKI,
 *                                                    BAD_SP
 *  12 with rx->replay: not accepted before within T's window, then
 *     recorded (mikey_replay.h); only a message that passed 1-11 gets
 *     here, so forged or broken ones never take an entry
 *                                                    REPLAY, REPLAY_FULL
 * Codes for steps 2-12: -KEYS_E_VERIFY, except -KEYS_E_NOTFOUND for
 * UNKNOWN_KMS, NOT_RECIPIENT, NO_KEY_PERIOD, -KEYS_E_PARSE for BAD_SP,
 * BAD_KEY_PARAMS, and -KEYS_E_NOMEM for REPLAY_FULL.
 *
 * Time base: the T payload is NTP-UTC (seconds since 1900-01-01); key periods
 * count from 1900 (keys_period.h); E.6 activation/expiry are read as 40-bit
 * seconds since 1900 (mikey_keyparams.h). Clocks given to us are Unix seconds.
 *
 * Threads: a struct mikey_rx, its counters and its replay cache belong to one
 * thread (the control thread); signers and identities are read-only once
 * made.
 */
#ifndef MIKEY_SAKKE_H
#define MIKEY_SAKKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eccsi.h"
#include "keys_error.h"
#include "keys_kdf.h"
#include "keys_keyid.h"
#include "mikey_keyparams.h"
#include "mikey_msg.h"
#include "mikey_profile.h"
#include "mikey_replay.h"
#include "mikey_srtp_keys.h"
#include "sakke.h"

#define MIKEY_WINDOW_DEFAULT 300	/* seconds either side of the clock */
#define MIKEY_MSG_MAX 2048		/* more than any message we build */
#define MIKEY_TEXT_MAX 255
#define MIKEY_GROUP_URI_MAX 255
#define MIKEY_URI_MAX 1024
#define MIKEY_RAND_CAP 255		/* RAND len is one octet */

/* Variants real implementations send: accepted and counted. */
#define MIKEY_VARIANTS(_)                                                       \
	_(SIGN_NO_HEADER, "SIGN computed without its own header (fallback)")    \
	_(UID_TYPE_URI, "hidden 32-octet UID sent with ID type 1 (URI)")        \
	_(SAKKE_SCHEME_1, "SAKKE ID scheme 1")                                  \
	_(SAKKE_SCHEME_2, "SAKKE ID scheme 2")                                  \
	_(SP_ROC_RATE, "SP with type 13")                                       \
	_(SP_NO_ROC_RATE, "SP without type 13")                                 \
	_(DEFAULT_PROFILE, "no SP: a default table applied")                    \
	_(FROM_SELF, "key read from SAKKE-to-self")                             \
	_(NO_KEY_PARAMS, "no E.6 key parameters")

enum mikey_variant {
#define MIKEY_VARIANT_ENUM(n, s) MIKEY_VARIANT_##n,
	MIKEY_VARIANTS(MIKEY_VARIANT_ENUM)
#undef MIKEY_VARIANT_ENUM
	MIKEY_VARIANT_COUNT
};

const char *
mikey_variant_str(enum mikey_variant v);

/* What the receiver saw; read by the caller, reset by zeroing. */
struct mikey_counters {
	uint64_t accepted;
	uint64_t rejected[MIKEY_REJECT_COUNT];	/* index MIKEY_REJECT_NONE unused */
	uint64_t variant[MIKEY_VARIANT_COUNT];
};

/* A KMS we trust, from its certificate (public). */
struct mikey_kms {
	const char *uri;
	uint64_t period_len;		/* UserKeyPeriod, seconds */
	uint64_t period_offset;		/* UserKeyOffset, seconds */
	bool security_gateway;		/* its domain is a Security Gateway's */
	uint8_t kpak[ECCSI_POINT_LEN];
	uint8_t z[SAKKE_POINT_LEN];
};

struct kms_cert;
struct store_cert;

/* |k| from a KMS certificate; |k->uri| borrows |c->kms_uri|. Cannot fail. */
void
mikey_kms_from_cert(struct mikey_kms *k, const struct kms_cert *c);

/* |k| from a certificate as a key store keeps it; |k->uri| borrows |c->kms_uri|. */
void
mikey_kms_from_store(struct mikey_kms *k, const struct store_cert *c);

/* Someone we send to: identity URI (MC Service user ID, MDSI) and its KMS. */
struct mikey_peer {
	const char *uri;
	const struct mikey_kms *kms;
};

/*
 * Sender identity (GMS URI, user ID or MDSI) for one key period: a validated
 * ECCSI signing key under its UID. The KMS is borrowed and must outlive it.
 */
struct mikey_signer;

/*
 * Returns 0, -KEYS_E_ARG, -KEYS_E_NOMEM, -KEYS_E_POINT, -KEYS_E_KEY (SSK/PVT
 * do not validate for the UID), -KEYS_E_CRYPTO.
 */
MUST_CHECK int
mikey_signer_new(struct mikey_signer **out, const char *uri, const struct mikey_kms *kms,
		 uint64_t period_no, const uint8_t ssk[ECCSI_SSK_LEN],
		 const uint8_t pvt[ECCSI_POINT_LEN]);

void
mikey_signer_free(struct mikey_signer *s);

/*
 * One of our identities for one key period: UID and validated SAKKE RSK.
 * |uri| and |kms| are borrowed and must outlive it.
 */
struct mikey_identity;

/*
 * Returns 0, -KEYS_E_ARG, -KEYS_E_NOMEM, -KEYS_E_POINT, -KEYS_E_KEY (the RSK
 * does not validate for the UID), -KEYS_E_CRYPTO.
 */
MUST_CHECK int
mikey_identity_new(struct mikey_identity **out, const char *uri, const struct mikey_kms *kms,
		   uint64_t period_no, const uint8_t rsk[SAKKE_POINT_LEN]);

void
mikey_identity_free(struct mikey_identity *id);

/* A fresh key: 16 random octets, a K-ID with |purpose|, one RAND. Secret. */
struct mikey_newkey {
	unsigned int purpose;
	uint8_t key[KEYS_KEY_LEN];
	uint32_t key_id;
	uint8_t rand[MIKEY_RAND_LEN];
};

/* Returns 0, -KEYS_E_ARG. Wipe with sodium_memzero when done. */
MUST_CHECK int
mikey_newkey_make(struct mikey_newkey *k, unsigned int purpose);

/* Sender options common to every key type. */
struct mikey_tx {
	const struct mikey_signer *from;
	struct mikey_peer to;
	int64_t now;			/* Unix seconds for T; 0 = the clock */
	bool to_self;			/* add SAKKE-to-self (E.5) */
	bool hide_ids;			/* IDRuidi/IDRuidr (E.7) */
	bool no_key_params;		/* omit E.6 */
	uint8_t sakke_scheme;		/* 0: MIKEY_SAKKE_SCHEME_UID */
	/* interoperability variants, for tests: */
	bool sign_without_header;	/* sign octets before SIGN only */
	bool uid_type_bytes;		/* hidden UIDs as ID type 2, not 1 */
};

/* GMK specifics. */
struct mikey_gmk_opts {
	uint64_t activation;		/* seconds since 1900, 0 = from T */
	uint64_t expiry;		/* seconds since 1900, 0 = never */
	const char *const *groups;	/* MC group IDs the GMK serves */
	unsigned int n_groups;		/* 0..MIKEY_KP_GROUPS_MAX */
	const char *text;		/* may be NULL */
	bool no_cs;			/* #CS = 0 and no SP: Table E.2-1 by default */
	bool sp_without_roc_rate;	/* SP as implementations send it */
};

/*
 * GMS -> one member: |k| is the group's GMK (purpose 0) with its RAND, the
 * same for every member; tx->to the member. The CSB ID is the member's
 * GUK-ID. Writes the message into |buf| (capacity |cap|), |*len| set.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE (wrong purpose tag), -KEYS_E_NOTFOUND
 * (the signer's key period is not T's), -KEYS_E_POINT, -KEYS_E_RANDOM,
 * -KEYS_E_NOMEM, -KEYS_E_CRYPTO.
 */
MUST_CHECK int
mikey_gms_gmk(uint8_t *buf, size_t cap, size_t *len, const struct mikey_tx *tx,
	      const struct mikey_newkey *k, const struct mikey_gmk_opts *o);

/* Caller -> callee: a PCK (purpose 1), #CS = 0, empty map. As mikey_gms_gmk(). */
MUST_CHECK int
mikey_pck_send(uint8_t *buf, size_t cap, size_t *len, const struct mikey_tx *tx,
	       const struct mikey_newkey *k);

/* Client -> server (MDSI): a CSK (purpose 2), CS 6. As mikey_gms_gmk(). */
MUST_CHECK int
mikey_csk_send(uint8_t *buf, size_t cap, size_t *len, const struct mikey_tx *tx,
	       const struct mikey_newkey *k);

/* Receiver configuration. Everything is borrowed. */
struct mikey_rx {
	const struct mikey_kms *const *kms;	/* trusted KMSs */
	size_t n_kms;
	const struct mikey_identity *const *ids; /* ours, every period held */
	size_t n_ids;
	int64_t window;			/* seconds; 0 = MIKEY_WINDOW_DEFAULT */
	int64_t (*clock)(void *arg);	/* Unix seconds; NULL = time() */
	void *clock_arg;
	/*
	 * Whom a hidden initiator (IDRuidi) may be: URIs known from elsewhere
	 * in the signalling. A hidden initiator whose UID (under IDRkmsi, for
	 * T's key period) is none of theirs is refused, and so is every hidden
	 * initiator when there are none. A visible IDRi is not checked against
	 * them: who may send what is signer_ok's.
	 */
	const char *const *initiators;
	size_t n_initiators;
	/* May the initiator (its URI, hidden or not) send keys of |purpose|? */
	bool (*signer_ok)(void *arg, unsigned int purpose, const char *uri,
			  const uint8_t uid[MIKEY_UID_LEN]);
	void *signer_arg;
	struct mikey_counters *ctr;	/* may be NULL */
	/*
	 * Messages already accepted (RFC 3830 §5.4), owned by the caller for
	 * as long as it receives: step 12 refuses a second reception within
	 * T's window (REPLAY) and records each message it accepts. NULL: no
	 * replay check, every copy within the window is accepted again (mcpxd
	 * keeps it NULL: re-installing an I_MESSAGE over its control socket is
	 * a documented operation). Use the same window for every receive into
	 * one cache.
	 */
	struct mikey_replay *replay;
};

/* What a message delivered. The key is secret: mikey_key_wipe(). */
struct mikey_key {
	unsigned int purpose;		/* purpose tag = Key Type */
	uint8_t key[KEYS_KEY_LEN];	/* GMK, PCK, CSK */
	uint32_t key_id;		/* GMK-ID, PCK-ID, CSK-ID */
	uint32_t csb_id;		/* as sent: our GUK-ID for a GMK */
	uint8_t rand[MIKEY_RAND_CAP];
	uint8_t rand_len;
	uint8_t mki[KEYS_MKI_MAX_LEN];	/* our MKI: GMK-ID || GUK-ID, or the K-ID */
	uint8_t mki_len;
	uint64_t ts;			/* T, NTP 64-bit */
	struct mikey_srtp_profile profile;
	enum mikey_profile_src profile_src;
	bool from_self;			/* we are the initiator (SAKKE-to-self) */
	bool initiator_hidden;		/* IDRuidi: |initiator| is the one it matched */
	char initiator[MIKEY_URI_MAX + 1];
	uint8_t initiator_uid[MIKEY_UID_LEN];
	const struct mikey_identity *as;	/* which identity of ours */
	/* E.6, when present */
	bool has_params;
	uint32_t status;
	bool shared_with_segy;		/* Status bit 1 */
	uint64_t activation;		/* seconds since 1900; T's when sent as 0 */
	uint64_t expiry;		/* 0 = never */
	char text[MIKEY_TEXT_MAX + 1];
	unsigned int n_groups;
	char groups[MIKEY_KP_GROUPS_MAX][MIKEY_GROUP_URI_MAX + 1];
};

void
mikey_key_wipe(struct mikey_key *k);

/*
 * Check and open |len| octets at |msg| (see the order above). |purpose| is
 * the purpose tag the context expects, or -1 for any. On success |out| holds
 * the key; on failure it is wiped and |*why| (may be NULL) says why. Counts
 * into rx->ctr.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_PARSE, -KEYS_E_VERIFY, -KEYS_E_NOTFOUND,
 * -KEYS_E_NOMEM, -KEYS_E_CRYPTO.
 */
MUST_CHECK int
mikey_sakke_receive(struct mikey_key *out, const struct mikey_rx *rx, const uint8_t *msg,
		    size_t len, int purpose, enum mikey_reject *why);

/*
 * SRTP master key, salt and MKI (33.180 §7.4, keys/kdf mikey_srtp_keys.h) for
 * one direction of what |k| keys:
 *   PCK: |cs_id| 0 (initiator's media) or 1 (receiver's); MKI PCK-ID;
 *   GMK: the sender's |sender_guk_id| (ours: k->csb_id); MKI GMK-ID || GUK-ID;
 *   CSK: CS 6; MKI CSK-ID.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE, -KEYS_E_CRYPTO.
 */
MUST_CHECK int
mikey_key_srtp(struct mikey_srtp_master *m, const struct mikey_key *k, uint8_t cs_id,
	       uint32_t sender_guk_id);

#endif /* MIKEY_SAKKE_H */
