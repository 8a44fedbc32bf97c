/* SPDX-License-Identifier: proprietary */
/*
 * The SRTP/SRTCP engine: MCPTT media (SRTP) and floor control (SRTCP) on byte
 * buffers, with the MKI formats of TS 33.180 and the RCCm3 ROC trailer of
 * TS 33.180 §7.5 / TS 33.179 Table E.2-1. No DPDK here: workers, simulators
 * and tools all link this library. docs/srtp-engine.md is the user's guide.
 *
 * One context is one direction of one SSRC for one protocol (RTP or RTCP),
 * under one master key. A context is owned by one thread at a time: the engine
 * takes no locks. Contexts are made and freed off the fast path.
 *
 * Packet layouts (tag = the GCM tag or the HMAC-SHA1 tag):
 *   SRTP,  AES-CM: header || payload' || [MKI] || tag
 *   SRTP,  GCM:    header || payload' || tag(16) || [MKI] || [ROC, RCCm3]
 *   SRTCP, AES-CM: header(8) || rest' || E|index || [MKI] || tag
 *   SRTCP, GCM:    header(8) || rest' || tag(16) || E|index || [MKI]
 */
#ifndef DP_SRTP_H
#define DP_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_error.h"
#include "dp_verdict.h"

#define DP_SRTP_MAX_KEY_LEN 32
#define DP_SRTP_MAX_SALT_LEN 14
#define DP_SRTP_MAX_MKI_LEN 8
#define DP_SRTP_RCC_ROC_LEN 4
#define DP_SRTP_SRTCP_INDEX_LEN 4
#define DP_SRTP_BURST_MAX 32
/* The most any context adds on protect: GCM tag + E|index or ROC + 8-octet MKI. */
#define DP_SRTP_MAX_OVERHEAD (16 + 4 + DP_SRTP_MAX_MKI_LEN)

/* Replay window (SRTP): 64 to 4096 indices. SRTCP: always 128 (libsrtp's). */
#define DP_SRTP_REPLAY_MIN 64
#define DP_SRTP_REPLAY_MAX 4096
#define DP_SRTP_REPLAY_DEFAULT 128
#define DP_SRTCP_REPLAY 128

enum dp_srtp_profile {
	DP_SRTP_AES_CM_128_HMAC_SHA1_80,
	DP_SRTP_AES_CM_128_HMAC_SHA1_32,
	DP_SRTP_AEAD_AES_128_GCM,
	DP_SRTP_AEAD_AES_256_GCM,
	DP_SRTP_PROFILE_COUNT
};

struct dp_srtp_profile_info {
	const char *name;	/* the SDES name, e.g. "AEAD_AES_128_GCM" */
	uint8_t key_len;	/* master and session key octets */
	uint8_t salt_len;	/* master and session salt octets: 14 AES-CM, 12 GCM */
	uint8_t rtp_tag_len;	/* SRTP tag: 10, 4 or 16 (GCM) */
	uint8_t rtcp_tag_len;	/* SRTCP tag: 10 (RFC 4568 §6.2.1 for _32 too) or 16 */
	bool aead;
};

/* The facts of |profile|, or NULL when out of range. */
const struct dp_srtp_profile_info *
dp_srtp_profile_info(unsigned int profile);

/* The profile named |name| (SDES spelling), or -DP_E_PROFILE. */
int
dp_srtp_profile_from_name(const char *name);

enum dp_srtp_proto {
	DP_SRTP_PROTO_RTP,	/* SRTP: media */
	DP_SRTP_PROTO_RTCP,	/* SRTCP: floor control, media control */
};

enum dp_srtp_dir {
	DP_SRTP_DIR_PROTECT,
	DP_SRTP_DIR_UNPROTECT,
};

enum dp_srtp_backend_id {
	DP_SRTP_BACKEND_LIBSRTP,	/* the reference: libsrtp2, one srtp_t per context */
	DP_SRTP_BACKEND_NATIVE,		/* our own transforms on intel-ipsec-mb */
	DP_SRTP_BACKEND_COUNT
};

/* "libsrtp" or "native"; "?" when out of range. */
const char *
dp_srtp_backend_name(unsigned int be);

/* The backend named |name|, or -DP_E_BACKEND. */
int
dp_srtp_backend_from_name(const char *name);

/* Whether |be| is built in and usable on this CPU. */
bool
dp_srtp_backend_available(unsigned int be);

/* What a context is made from. Keys are copied; wipe your copy after. */
struct dp_srtp_params {
	/* Read for every packet: kept first, on the context's first line (srtp_backend.h). */
	enum dp_srtp_profile profile;
	enum dp_srtp_proto proto;
	enum dp_srtp_dir dir;
	uint32_t ssrc;		/* host order */
	uint8_t mki[DP_SRTP_MAX_MKI_LEN];
	uint8_t mki_len;	/* 0, 4 (PCK-ID, CSK-ID) or 8 (GMK-ID || GUK-ID) */
	uint16_t rcc_r;		/* RCCm3 rate R: ROC on packets with SEQ mod R == 0; 0 = off */
	/* Read when the context is made. */
	uint16_t replay_window;	/* SRTP: 0 = default, else 64..4096; SRTCP: 0 or 128 */
	uint32_t roc;		/* initial ROC (SRTP) */
	uint16_t seq;		/* receiver's initial highest SEQ; see seq_set */
	bool seq_set;		/* native backend only; libsrtp takes the first packet's */
	uint32_t srtcp_index;	/* protect: first SRTCP index, native only (libsrtp: 1) */
	uint8_t master_key[DP_SRTP_MAX_KEY_LEN];	/* key_len octets used */
	uint8_t master_salt[DP_SRTP_MAX_SALT_LEN];	/* salt_len octets used */
};

struct dp_srtp_ctx;

/*
 * Set up the backends once, before any context is made and before worker
 * threads start (libsrtp's globals). Returns 0 or -DP_E_BACKEND.
 */
MUST_CHECK int
dp_srtp_global_init(void);

void
dp_srtp_global_fini(void);

/*
 * Make a context on backend |be| from |p|. KDR is 0 (TS 33.180 §7.5): session
 * keys are derived once, here. Returns 0 and sets |*out|, or:
 * -DP_E_ARG, -DP_E_PROFILE, -DP_E_MKILEN, -DP_E_RCC, -DP_E_WINDOW,
 * -DP_E_UNSUPPORTED (a native-only parameter on libsrtp), -DP_E_BACKEND,
 * -DP_E_NOMEM.
 */
MUST_CHECK int
dp_srtp_ctx_new(struct dp_srtp_ctx **out, unsigned int be, const struct dp_srtp_params *p);

/* Wipe and free |c| (NULL is fine). The caller makes sure no packet uses it. */
void
dp_srtp_ctx_free(struct dp_srtp_ctx *c);

/* The octets protect may add to a packet of |c|: the room a caller leaves. */
uint32_t
dp_srtp_ctx_overhead(const struct dp_srtp_ctx *c);

/* The context's non-secret parameters (keys are not kept here: zeroed). */
const struct dp_srtp_params *
dp_srtp_ctx_params(const struct dp_srtp_ctx *c);

/* Bytes of memory one context of |c|'s kind holds, engine and backend. */
size_t
dp_srtp_ctx_state_size(const struct dp_srtp_ctx *c);

/* The ROC the context is at now (the highest index seen or sent). */
uint32_t
dp_srtp_ctx_roc(const struct dp_srtp_ctx *c);

/*
 * One packet in a burst. The caller sets the first four fields. A protected
 * packet with verdict FWD has |index| set (RFC 3711 §3.3.1 index i = 2^16 * ROC
 * + SEQ for SRTP, a late packet's included; §3.4 SRTCP index): the data path
 * publishes it and holds back packets past a stream's index limit.
 */
struct dp_srtp_pkt {
	struct dp_srtp_ctx *ctx;	/* borrowed; its direction says what to do */
	uint8_t *data;			/* RTP or RTCP header, in place */
	uint32_t len;			/* in: packet length; out: new length */
	uint32_t room;			/* octets writable from data (>= len) */
	uint8_t verdict;		/* out: enum dp_verdict (FWD when done) */
	/* Engine scratch, filled before the backend runs; backends read it. */
	uint8_t rcc;			/* this packet carries (or gets) a ROC trailer */
	uint16_t seq;			/* RTP SEQ, host order */
	uint32_t hdr_len;		/* RTP header with CSRCs and extension; 8 for RTCP */
	uint32_t roc;			/* unprotect: trailer ROC in; protect: ROC used out */
	uint64_t index;			/* protect out: ROC<<16|SEQ used; SRTCP its 31-bit index */
};

/*
 * Protect or unprotect |n| packets (any mix of contexts, at most
 * DP_SRTP_BURST_MAX per call is the fast case; more is fine) in place. Each
 * packet gets a verdict from the engine's subset of the data path's list:
 * FWD, DROP_MALFORMED, DROP_SHORT, DROP_NOROOM, DROP_NOCTX (SSRC or MKI not
 * this context's), DROP_AUTH, DROP_REPLAY, DROP_POLICY (key usage limit).
 * A packet that fails is zeroed and its length set to 0: it never looks like
 * valid plaintext. Never allocates; thread: the owner of every context named.
 */
void
dp_srtp_burst(struct dp_srtp_pkt *pkts, unsigned int n);

/*
 * Hints for a caller that knows its burst's contexts early (the worker): start
 * loading what dp_srtp_burst will read of |c|, the context's first line and
 * its state's with dp_srtp_prefetch, then its keys (and the replay window)
 * with dp_srtp_prefetch_keys once the first had time to arrive
 * (where the keys sit is read from the state). No effect on any result; they
 * never fault. Thread: the context's owner.
 */
void
dp_srtp_prefetch(const struct dp_srtp_ctx *c);
void
dp_srtp_prefetch_keys(const struct dp_srtp_ctx *c);

/* One packet: dp_srtp_burst of one. Returns the verdict. */
enum dp_verdict
dp_srtp_process(struct dp_srtp_ctx *c, uint8_t *data, uint32_t *len, uint32_t room);

/*
 * Where the MKI sits in a received packet laid out as |profile|/|proto| with
 * |mki_len| octets of MKI and RCCm3 rate |rcc_r|, for looking the context up
 * before one is known. Returns the offset, or -1 if the packet is too short.
 */
int
dp_srtp_mki_offset(unsigned int profile, unsigned int proto, unsigned int mki_len,
		   unsigned int rcc_r, const uint8_t *data, uint32_t len);

#endif /* DP_SRTP_H */
