/* SPDX-License-Identifier: proprietary */
/*
 * Inside the SRTP engine: the context and the backend interface. Only the
 * engine's own files include this; everyone else sees dp_srtp.h.
 *
 * The engine front (dp_srtp.c) does everything both backends must do alike,
 * so that their verdicts cannot drift apart: RTP/RTCP header walk, SSRC and
 * MKI checks, the room and length checks, the RCCm3 trailer, and wiping a
 * failed packet. A backend sees only packets that passed those checks
 * (verdict FWD on entry), with the ROC trailer already stripped on unprotect.
 */
#ifndef DP_SRTP_BACKEND_H
#define DP_SRTP_BACKEND_H

#include <assert.h>
#include <stdalign.h>
#include <stddef.h>

#include "dp_srtp.h"

struct dp_srtp_backend_ops {
	const char *name;
	size_t priv_size;	/* per-context state, placed after the context */
	/* Optional: the state a context of |p| needs, when it varies (else priv_size). */
	size_t (*priv_size_of)(const struct dp_srtp_params *p);
	int (*global_init)(void);	/* 0 or -DP_E_BACKEND */
	void (*global_fini)(void);
	bool (*available)(void);
	/* Fill c->priv from |p| (keys included). 0 or -DP_E_*. */
	int (*ctx_init)(struct dp_srtp_ctx *c, const struct dp_srtp_params *p);
	/* Release and wipe c->priv. */
	void (*ctx_fini)(struct dp_srtp_ctx *c);
	uint32_t (*ctx_roc)(const struct dp_srtp_ctx *c);
	/*
	 * Process the packets whose verdict is FWD; leave the others alone.
	 * Protect: len grows by the fixed trailer (tag, index, MKI) and, for RTP,
	 * pkt->roc gets the stream's ROC after the packet (the RCCm3 trailer's)
	 * and pkt->index the packet's own index (the SRTCP index the front reads
	 * back from the E|index word). Unprotect: len
	 * shrinks to the plaintext; pkt->rcc/roc give the trailer's ROC.
	 */
	void (*burst)(struct dp_srtp_pkt *pkts, unsigned int n);
	/*
	 * Optional: prefetch the keys a packet of |c| needs, and whatever of
	 * the state past its first line (dp_srtp_prefetch_keys).
	 */
	void (*prefetch_keys)(const struct dp_srtp_ctx *c);
};

/*
 * A packet reads the first line only (dp_srtp_prefetch loads it and priv's
 * first): the fields the front and the backends use per packet, then the
 * params, whose per-packet fields come first. The rest of the params (the
 * initial state, the zeroed master key) is read when the context is made.
 * At a million streams every line a packet touches costs (docs/performance.md).
 */
struct dp_srtp_ctx {
	const struct dp_srtp_backend_ops *ops;
	uint32_t fixed_trailer;		/* tag + [E|index] + MKI octets */
	uint8_t tag_len;		/* SRTP or SRTCP tag octets for this proto */
	uint8_t aead;
	size_t alloc_size;
	struct dp_srtp_params params;	/* master key and salt zeroed */
	alignas(64) unsigned char priv[];
};

static_assert(offsetof(struct dp_srtp_ctx, params.rcc_r) + sizeof(uint16_t) <= 64,
	      "dp_srtp_ctx: the per-packet fields on the first line");

extern const struct dp_srtp_backend_ops dp_srtp_libsrtp_ops;
extern const struct dp_srtp_backend_ops dp_srtp_native_ops;

#endif /* DP_SRTP_BACKEND_H */
