/* SPDX-License-Identifier: proprietary */
/*
 * One key in use by one client: the SRTP and SRTCP contexts of what a
 * MIKEY-SAKKE message delivered (TS 33.180 §7.4, §7.5; digest §5, §6):
 *
 *   GMK  media and off-network floor control: we send under the master of
 *        our own GUK-ID, MKI GMK-ID || GUK-ID; each other member's master is
 *        derived from the GUK-ID in its first packet's MKI.
 *   PCK  private call: CS 0 for the initiator's media, CS 1 for the
 *        receiver's, MKI PCK-ID both ways; off-network floor control too.
 *   CSK  on-network floor control with the server: SRTCP only, CS 6,
 *        MKI CSK-ID (CSKs never protect SRTP, 33.180 E.4.1).
 * SRTCP uses the same master key, salt and MKI as SRTP (digest §5.4).
 *
 * Receive contexts are made on first sight of an SSRC, as the appliance does:
 * find the MKI by the packet layout, check it names our key, derive the
 * sender's master, and keep the context only if the packet authenticates.
 * The profile (AEAD_AES_128_GCM; RCCm3 R = 1 for the GMK default, Table
 * E.2-1; none for PCK/CSK, Table E.3-1) comes from the key's SRTP profile.
 */
#ifndef UE_SESS_H
#define UE_SESS_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_srtp.h"
#include "mikey_sakke.h"
#include "ue_error.h"

#define UE_RX_MAX 64		/* senders (SSRCs) per key and protocol together */

/* What a receiver saw of one sender's frames (media only). */
struct ue_frames {
	bool started;
	uint32_t tag;			/* the sender's tag from the first frame */
	uint32_t first, last;		/* frame numbers */
	uint64_t ok;			/* frames whose content verified */
	uint64_t gaps;			/* frames skipped over (never seen in order) */
	uint64_t late;			/* frames older than the last, or repeated */
	uint64_t bad;			/* authenticated, but content or order wrong */
};

struct ue_rx_stream {
	uint8_t proto;			/* enum dp_srtp_proto */
	uint32_t ssrc;
	uint32_t guk_id;		/* GMK: the sender's GUK-ID; else 0 */
	struct dp_srtp_ctx *ctx;
	struct ue_frames frames;
};

struct ue_sess {
	struct mikey_key key;		/* secret: wiped by ue_sess_free() */
	unsigned int be;
	enum dp_srtp_profile profile;
	uint16_t rcc_r;			/* RCCm3 R on SRTP, 0 = none */
	bool ignore_roc;		/* test knob: a receiver that ignores the ROC trailer */
	uint32_t ssrc;			/* ours, media and floor */
	struct dp_srtp_ctx *tx[2];	/* by proto; tx[RTP] is NULL for a CSK */
	struct ue_rx_stream rx[UE_RX_MAX];
	unsigned int n_rx;
	uint64_t verdict[2][DP_V_COUNT];	/* received, by proto and verdict */
	uint64_t derived;		/* receive contexts kept */
	uint64_t trials_failed;		/* first packets that did not authenticate */
	/* Kept by the client (ue.c), which owns the clock and picks the sending key: */
	bool expired;			/* past key.expiry: what comes under it is refused */
	uint64_t tx_frames;		/* media frames sent under this key */
	uint32_t tx_first;		/* the first of them (when tx_frames != 0) */
	int64_t tx_since_ms;		/* ms after the start it became the sending key; -1 never */
};

/*
 * Contexts for |key| (copied; the caller wipes its copy) on backend |be|,
 * sending as SSRC |ssrc|. Returns 0, -UE_E_ARG (not a GMK, PCK or CSK, or a
 * profile the engine cannot run), -UE_E_NOMEM, -UE_E_KEY (derivation
 * failed), -UE_E_SRTP.
 */
MUST_CHECK int
ue_sess_new(struct ue_sess **out, const struct mikey_key *key, unsigned int be, uint32_t ssrc);

/* Wipe and free (NULL is fine). */
void
ue_sess_free(struct ue_sess *s);

/*
 * Protect the RTP (|proto| DP_SRTP_PROTO_RTP) or RTCP packet at |buf| in
 * place; |*len| grows, |room| is the buffer's size. Returns the verdict
 * (DROP_NOCTX when this key sends no such protocol).
 */
enum dp_verdict
ue_sess_protect(struct ue_sess *s, unsigned int proto, uint8_t *buf, uint32_t *len,
		uint32_t room);

/*
 * Unprotect a received packet in place, deriving a sender's context on first
 * sight. |*from| is set to the sender's stream on FWD (else NULL). Counts
 * the verdict; DROP_POLICY when the key has expired (s->expired).
 */
enum dp_verdict
ue_sess_unprotect(struct ue_sess *s, unsigned int proto, uint8_t *buf, uint32_t *len,
		  struct ue_rx_stream **from);

/*
 * Whether the MKI of the received packet at |buf| (|len| octets, |proto|)
 * names |s|'s key (GMK-ID, PCK-ID, CSK-ID): how a client holding several
 * GMKs picks the one a packet is under (33.180 §7.4: the MKI's GMK-ID).
 */
bool
ue_sess_names(const struct ue_sess *s, unsigned int proto, const uint8_t *buf, uint32_t len);

#endif /* UE_SESS_H */
