/* SPDX-License-Identifier: proprietary */
/* mcpx: fast path — no allocation, no syscalls, no logging in this file. */
/*
 * The engine front: checks and trailer handling common to every backend.
 * RFC 3711 §3.1 (SRTP), §3.4 (SRTCP); RFC 7714 §7-9 (GCM layouts);
 * RFC 4771 §3 and TS 33.180 §7.5 (RCCm3 ROC trailer).
 */
#include <string.h>

#include "srtp_backend.h"

static inline uint32_t
load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* RFC 3550 §5.1: fixed header, CSRCs, then the extension if X is set. */
static enum dp_verdict
rtp_header_walk(struct dp_srtp_pkt *pkt)
{
	const uint8_t *d = pkt->data;
	uint32_t hl;

	if (pkt->len < 12)
		return DP_V_DROP_SHORT;
	if ((d[0] >> 6) != 2)
		return DP_V_DROP_MALFORMED;
	hl = 12 + 4u * (d[0] & 0x0f);
	if (d[0] & 0x10) {
		if (pkt->len < hl + 4)
			return DP_V_DROP_SHORT;
		hl += 4 + 4u * ((uint32_t)d[hl + 2] << 8 | d[hl + 3]);
	}
	if (pkt->len < hl)
		return DP_V_DROP_SHORT;
	pkt->hdr_len = hl;
	pkt->seq = (uint16_t)(d[2] << 8 | d[3]);
	return DP_V_FWD;
}

/* Where the MKI starts, given the octets after it (RFC 3711 §3.1, §3.4; RFC 7714 §8-9). */
static inline uint32_t
mki_tail(bool aead, unsigned int proto, unsigned int tag_len, bool roc)
{
	if (!aead)
		return tag_len;		/* ... || MKI || tag */
	if (proto == DP_SRTP_PROTO_RTP)
		return roc ? DP_SRTP_RCC_ROC_LEN : 0;	/* ... || tag || MKI || [ROC] */
	return 0;			/* ... || tag || E|index || MKI */
}

int
dp_srtp_mki_offset(unsigned int profile, unsigned int proto, unsigned int mki_len,
		   unsigned int rcc_r, const uint8_t *data, uint32_t len)
{
	const struct dp_srtp_profile_info *pi = dp_srtp_profile_info(profile);
	uint32_t tag, tail, min;
	bool roc = false;

	if (pi == NULL || data == NULL)
		return -1;
	if (proto == DP_SRTP_PROTO_RTP) {
		if (len < 12)
			return -1;
		roc = rcc_r != 0 && ((uint32_t)data[2] << 8 | data[3]) % rcc_r == 0;
		tag = pi->rtp_tag_len;
		min = 12 + tag + (roc ? DP_SRTP_RCC_ROC_LEN : 0);
	} else {
		tag = pi->rtcp_tag_len;
		min = 8 + tag + DP_SRTP_SRTCP_INDEX_LEN;
	}
	tail = mki_tail(pi->aead, proto, tag, roc);
	if (len < min + mki_len)
		return -1;
	return (int)(len - tail - mki_len);
}

/* The checks before the backend: header, SSRC, room or trailer, MKI, RCC trailer. */
static enum dp_verdict
front(struct dp_srtp_pkt *pkt)
{
	const struct dp_srtp_ctx *c = pkt->ctx;
	const struct dp_srtp_params *p = &c->params;
	uint32_t need, tail, ssrc_off;
	enum dp_verdict v;

	pkt->rcc = 0;
	if (p->proto == DP_SRTP_PROTO_RTP) {
		v = rtp_header_walk(pkt);
		if (v != DP_V_FWD)
			return v;
		pkt->rcc = p->rcc_r != 0 && pkt->seq % p->rcc_r == 0;
		ssrc_off = 8;
	} else {
		if (pkt->len < 8)
			return DP_V_DROP_SHORT;
		if ((pkt->data[0] >> 6) != 2)
			return DP_V_DROP_MALFORMED;
		pkt->hdr_len = 8;
		ssrc_off = 4;
	}
	if (load_be32(pkt->data + ssrc_off) != p->ssrc)
		return DP_V_DROP_NOCTX;

	need = c->fixed_trailer + (pkt->rcc ? DP_SRTP_RCC_ROC_LEN : 0);
	if (p->dir == DP_SRTP_DIR_PROTECT)
		return pkt->room < pkt->len || pkt->room - pkt->len < need ? DP_V_DROP_NOROOM
									    : DP_V_FWD;

	if (pkt->len < pkt->hdr_len + need)
		return DP_V_DROP_SHORT;
	tail = mki_tail(c->aead, p->proto, c->tag_len, pkt->rcc);
	if (p->mki_len != 0 &&
	    memcmp(pkt->data + pkt->len - tail - p->mki_len, p->mki, p->mki_len) != 0)
		return DP_V_DROP_NOCTX;	/* the MKI is public: no need for constant time */
	if (pkt->rcc) {
		pkt->len -= DP_SRTP_RCC_ROC_LEN;
		pkt->roc = load_be32(pkt->data + pkt->len);
	}
	return DP_V_FWD;
}

/* RFC 3711 §3.4, RFC 7714 §9: the SRTCP index as sent, from the packet's E|index word. */
static uint64_t
srtcp_index_sent(const struct dp_srtp_pkt *pkt)
{
	const struct dp_srtp_ctx *c = pkt->ctx;
	uint32_t after = c->params.mki_len + (c->aead ? 0 : c->tag_len);

	return load_be32(pkt->data + pkt->len - after - DP_SRTP_SRTCP_INDEX_LEN) & 0x7fffffffu;
}

static void
back(struct dp_srtp_pkt *pkt)
{
	if (pkt->verdict != DP_V_FWD) {
		/* Never leave a failed packet looking like valid plaintext. */
		memset(pkt->data, 0, pkt->len);
		pkt->len = 0;
		return;
	}
	if (pkt->ctx->params.dir != DP_SRTP_DIR_PROTECT)
		return;
	if (pkt->ctx->params.proto == DP_SRTP_PROTO_RTCP)
		pkt->index = srtcp_index_sent(pkt);
	if (pkt->rcc) {
		store_be32(pkt->data + pkt->len, pkt->roc);
		pkt->len += DP_SRTP_RCC_ROC_LEN;
	}
}

void
dp_srtp_burst(struct dp_srtp_pkt *pkts, unsigned int n)
{
	unsigned int i, start;

	for (i = 0; i < n; i++)
		pkts[i].verdict = (uint8_t)front(&pkts[i]);
	/* Hand each run of one backend's contexts over in one call. */
	for (start = 0; start < n; start = i) {
		const struct dp_srtp_backend_ops *ops = pkts[start].ctx->ops;

		for (i = start + 1; i < n && pkts[i].ctx->ops == ops; i++)
			;
		ops->burst(pkts + start, i - start);
	}
	for (i = 0; i < n; i++)
		back(&pkts[i]);
}

void
dp_srtp_prefetch(const struct dp_srtp_ctx *c)
{
	const char *p = (const char *)c;

	/* The per-packet line (srtp_backend.h) and the first line of the state. */
	__builtin_prefetch(p, 0, 3);
	__builtin_prefetch(c->priv, 1, 3);
}

void
dp_srtp_prefetch_keys(const struct dp_srtp_ctx *c)
{
	if (c->ops->prefetch_keys != NULL)
		c->ops->prefetch_keys(c);
}

enum dp_verdict
dp_srtp_process(struct dp_srtp_ctx *c, uint8_t *data, uint32_t *len, uint32_t room)
{
	struct dp_srtp_pkt pkt = {.ctx = c, .data = data, .len = *len, .room = room};

	dp_srtp_burst(&pkt, 1);
	*len = pkt.len;
	return (enum dp_verdict)pkt.verdict;
}
