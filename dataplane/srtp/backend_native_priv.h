/* SPDX-License-Identifier: proprietary */
/*
 * Inside the native backend: the per-context state, the per-thread scratch
 * and the calls between its set-up half (backend_native_ctx.c) and its
 * packet half (backend_native.c). docs/srtp-engine.md "Native backend".
 */
#ifndef DP_SRTP_BACKEND_NATIVE_PRIV_H
#define DP_SRTP_BACKEND_NATIVE_PRIV_H

#include <stdalign.h>

#include <intel-ipsec-mb.h>

#include "backend_native.h"
#include "srtp_backend.h"

enum nat_kind {
	NAT_CM128,	/* AES_CM_128_HMAC_SHA1_80/_32 */
	NAT_GCM128,
	NAT_GCM256,
};

/* libsrtp's key usage limit (srtp_key_limit_set(limit, 2^48 - 1)), RFC 3711 §9.2. */
#define NAT_KEY_LIMIT 0xffffffffffffULL
#define NAT_KEY_SOFT 0x10000ULL

/*
 * What a packet changes: snapshotted per burst so that an unprotect burst can
 * be undone when a packet fails (see backend_native.c "speculation").
 */
struct nat_rs {
	uint64_t index;		/* RTP: libsrtp rdbx index, ROC << 16 | SEQ of the highest */
	uint64_t keys_left;	/* RTP: packets left under the master key */
	uint32_t window_start;	/* RTCP: rdb window start; protect: last index sent */
	uint32_t pending_roc;	/* libsrtp's pending ROC (0: none) */
	uint32_t roc;		/* what dp_srtp_ctx_roc reports */
	uint32_t restart_roc;	/* the glue's pending ROC after a failure: 0 once started */
};

/*
 * One context's state, 64 octets on one cache line, then the replay bitmap
 * (age k = highest index - index, bit k set: seen), then the keys at keys_off.
 */
struct nat {
	struct nat_rs rs;		/* 0 */
	alignas(16) uint8_t iv_base[16];	/* 32: salt ^ SSRC, per RFC 3711/7714 IV */
	uint64_t snap_gen;		/* 48: burst generation of the snapshot */
	uint16_t keys_off;		/* 56 */
	uint16_t win_bits;		/* 58: multiple of 32 (libsrtp's bitvector) */
	uint8_t kind;			/* 60: enum nat_kind */
	uint8_t conf;			/* 61: encrypt (0: authenticate only, test hook) */
	uint8_t snap_slot;		/* 62 */
	uint8_t pad;
	uint64_t bm[];			/* 64: win_bits / 64 words, rounded up */
};

/* AES-CM key material: the AES key schedule and HMAC-SHA1 inner/outer states. */
struct nat_cm_keys {
	alignas(16) uint8_t enc[16 * 11];
	alignas(16) uint8_t ipad[32];	/* SHA1 state after (k_a ^ ipad), 20 octets used */
	alignas(16) uint8_t opad[32];
};

/* From this many HMAC-SHA1 jobs on, the multi-buffer lanes beat SHA-NI one at a time. */
#define NAT_SHA1_MB 16

#define NAT_MAX_WORDS (DP_SRTP_REPLAY_MAX / 64)

struct nat_snap {
	struct nat_rs rs;
	uint8_t dirty;
	uint64_t bm[NAT_MAX_WORDS];
};

/* One packet's work within a burst. */
struct nat_rec {
	uint64_t est;		/* the index it is processed under (SRTP 48 bits, SRTCP 31) */
	int32_t delta;		/* libsrtp's replay delta */
	uint32_t out_len;	/* unprotect: the plaintext length */
	uint8_t adv;		/* libsrtp pkt_idx_adv: the index jumps */
	uint8_t pend;		/* this packet's trailer set the pending ROC */
	uint8_t crypto;		/* crypto ran (with est) */
	uint8_t ok;		/* ... and verified */
	uint8_t moved;		/* the payload was transformed in place */
	uint8_t err;		/* the library refused a job */
	uint8_t entered;	/* verdict was FWD when the backend got it */
	uint8_t tentative;	/* verdict of the speculative pass */
	uint32_t word;		/* SRTCP E|index */
	alignas(16) uint8_t iv[16];
	uint8_t tag[16];	/* computed tag */
	uint8_t saved[16];	/* the packet's tag, kept before the trailer is reused */
	uint8_t aad[16];	/* GCM SRTCP: header || E|index */
};

/* The lines of gcm_key_data past the round keys that a short packet reads, at most. */
#define NAT_H_LINES 3
#define NAT_PROBE_PAYLOAD 60	/* MCPTT voice: a few codec frames */

/* Per-thread: the manager and the scratch of one burst of DP_SRTP_BURST_MAX. */
struct nat_thread {
	IMB_MGR *mgr;		/* the dispatched path: ciphers, and SHA1 bursts of NAT_SHA1_MB+ */
	IMB_MGR *hmgr;		/* short SHA1 bursts: the SHA-NI path where the CPU has it */
	/*
	 * Per GCM kind (NAT_GCM128, NAT_GCM256): the offsets in gcm_key_data of
	 * the lines holding the powers of H that mgr's path reads for a packet
	 * of NAT_PROBE_PAYLOAD octets; 0 ends the list (mgr_init finds them).
	 */
	uint16_t h_line[2][NAT_H_LINES];
	uint64_t gen;
	struct gcm_context_data gctx;
	IMB_JOB cjobs[DP_SRTP_BURST_MAX];
	IMB_JOB hjobs[DP_SRTP_BURST_MAX];
	uint8_t cidx[DP_SRTP_BURST_MAX];
	uint8_t hidx[DP_SRTP_BURST_MAX];
	struct nat_rec rec[DP_SRTP_BURST_MAX];
	struct nat_snap snap[DP_SRTP_BURST_MAX];
};

/* This thread's scratch, made on first use (one allocation per thread). */
struct nat_thread *
nat_thread_slow(void);

extern __thread struct nat_thread *nat_tls;

static inline struct nat_thread *
nat_thread(void)
{
	struct nat_thread *t = nat_tls;

	return __builtin_expect(t != NULL, 1) ? t : nat_thread_slow();
}

static inline struct nat *
nat_of(const struct dp_srtp_ctx *c)
{
	return (struct nat *)(uintptr_t)c->priv;
}

static inline void *
nat_keys(const struct nat *s)
{
	return (uint8_t *)(uintptr_t)s + s->keys_off;
}

static inline unsigned int
nat_words(const struct nat *s)
{
	return (s->win_bits + 63u) / 64u;
}

/* The packet half (backend_native.c). */
void
nat_burst(struct dp_srtp_pkt *pkts, unsigned int n);

#endif /* DP_SRTP_BACKEND_NATIVE_PRIV_H */
