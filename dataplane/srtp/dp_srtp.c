/* SPDX-License-Identifier: proprietary */
/*
 * The engine front: checks and trailer handling common to every backend.
 * RFC 3711 §3.1 (SRTP), §3.4 (SRTCP); RFC 7714 §7-9 (GCM layouts);
 * RFC 4771 §3 and TS 33.180 §7.5 (RCCm3 ROC trailer).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "srtp_backend.h"

static const struct dp_srtp_profile_info profiles[DP_SRTP_PROFILE_COUNT] = {
	[DP_SRTP_AES_CM_128_HMAC_SHA1_80] = {"AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10, false},
	[DP_SRTP_AES_CM_128_HMAC_SHA1_32] = {"AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10, false},
	[DP_SRTP_AEAD_AES_128_GCM] = {"AEAD_AES_128_GCM", 16, 12, 16, 16, true},
	[DP_SRTP_AEAD_AES_256_GCM] = {"AEAD_AES_256_GCM", 32, 12, 16, 16, true},
};

static const struct dp_srtp_backend_ops *const backends[DP_SRTP_BACKEND_COUNT] = {
	[DP_SRTP_BACKEND_LIBSRTP] = &dp_srtp_libsrtp_ops,
	[DP_SRTP_BACKEND_NATIVE] = NULL,
};

const struct dp_srtp_profile_info *
dp_srtp_profile_info(unsigned int profile)
{
	return profile < DP_SRTP_PROFILE_COUNT ? &profiles[profile] : NULL;
}

int
dp_srtp_profile_from_name(const char *name)
{
	unsigned int i;

	for (i = 0; name != NULL && i < DP_SRTP_PROFILE_COUNT; i++)
		if (strcmp(name, profiles[i].name) == 0)
			return (int)i;
	return -DP_E_PROFILE;
}

const char *
dp_srtp_backend_name(unsigned int be)
{
	static const char *const names[DP_SRTP_BACKEND_COUNT] = {"libsrtp", "native"};

	return be < DP_SRTP_BACKEND_COUNT ? names[be] : "?";
}

int
dp_srtp_backend_from_name(const char *name)
{
	unsigned int i;

	for (i = 0; name != NULL && i < DP_SRTP_BACKEND_COUNT; i++)
		if (strcmp(name, dp_srtp_backend_name(i)) == 0)
			return (int)i;
	return -DP_E_BACKEND;
}

bool
dp_srtp_backend_available(unsigned int be)
{
	return be < DP_SRTP_BACKEND_COUNT && backends[be] != NULL && backends[be]->available();
}

int
dp_srtp_global_init(void)
{
	unsigned int i;
	int rc;

	if (sodium_init() < 0)
		return -DP_E_BACKEND;
	for (i = 0; i < DP_SRTP_BACKEND_COUNT; i++) {
		if (backends[i] == NULL || backends[i]->global_init == NULL)
			continue;
		rc = backends[i]->global_init();
		if (rc < 0)
			return rc;
	}
	return 0;
}

void
dp_srtp_global_fini(void)
{
	unsigned int i;

	for (i = 0; i < DP_SRTP_BACKEND_COUNT; i++)
		if (backends[i] != NULL && backends[i]->global_fini != NULL)
			backends[i]->global_fini();
}

static int
params_check(const struct dp_srtp_params *p)
{
	const struct dp_srtp_profile_info *pi = dp_srtp_profile_info(p->profile);

	if (pi == NULL)
		return -DP_E_PROFILE;
	if (p->proto != DP_SRTP_PROTO_RTP && p->proto != DP_SRTP_PROTO_RTCP)
		return -DP_E_ARG;
	if (p->dir != DP_SRTP_DIR_PROTECT && p->dir != DP_SRTP_DIR_UNPROTECT)
		return -DP_E_ARG;
	if (p->mki_len != 0 && p->mki_len != 4 && p->mki_len != 8)
		return -DP_E_MKILEN;
	/* TS 33.180 §7.5: RCCm3 carries the SRTP ROC; SRTCP's index is explicit. */
	if (p->rcc_r != 0 && (p->proto != DP_SRTP_PROTO_RTP || !pi->aead))
		return -DP_E_RCC;
	if (p->proto == DP_SRTP_PROTO_RTCP) {
		if (p->replay_window != 0 && p->replay_window != DP_SRTCP_REPLAY)
			return -DP_E_WINDOW;
		if (p->srtcp_index > 0x7fffffff)
			return -DP_E_ARG;
	} else if (p->replay_window != 0 && (p->replay_window < DP_SRTP_REPLAY_MIN ||
					     p->replay_window > DP_SRTP_REPLAY_MAX)) {
		return -DP_E_WINDOW;
	}
	return 0;
}

int
dp_srtp_ctx_new(struct dp_srtp_ctx **out, unsigned int be, const struct dp_srtp_params *p)
{
	const struct dp_srtp_backend_ops *ops;
	const struct dp_srtp_profile_info *pi;
	struct dp_srtp_ctx *c;
	size_t size;
	int rc;

	if (out == NULL || p == NULL)
		return -DP_E_ARG;
	*out = NULL;
	if (!dp_srtp_backend_available(be))
		return -DP_E_BACKEND;
	rc = params_check(p);
	if (rc < 0)
		return rc;
	ops = backends[be];
	pi = dp_srtp_profile_info(p->profile);

	size = (sizeof(*c) + ops->priv_size + 63) & ~(size_t)63;
	c = aligned_alloc(64, size);
	if (c == NULL)
		return -DP_E_NOMEM;
	memset(c, 0, size);
	c->ops = ops;
	c->alloc_size = size;
	c->params = *p;
	if (c->params.replay_window == 0)
		c->params.replay_window = p->proto == DP_SRTP_PROTO_RTP ? DP_SRTP_REPLAY_DEFAULT
									: DP_SRTCP_REPLAY;
	sodium_memzero(c->params.master_key, sizeof(c->params.master_key));
	sodium_memzero(c->params.master_salt, sizeof(c->params.master_salt));
	c->aead = pi->aead;
	c->tag_len = p->proto == DP_SRTP_PROTO_RTP ? pi->rtp_tag_len : pi->rtcp_tag_len;
	c->fixed_trailer = c->tag_len + p->mki_len;
	if (p->proto == DP_SRTP_PROTO_RTCP)
		c->fixed_trailer += DP_SRTP_SRTCP_INDEX_LEN;

	rc = ops->ctx_init(c, p);
	if (rc < 0) {
		sodium_memzero(c, size);
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void
dp_srtp_ctx_free(struct dp_srtp_ctx *c)
{
	if (c == NULL)
		return;
	c->ops->ctx_fini(c);
	sodium_memzero(c, c->alloc_size);
	free(c);
}

uint32_t
dp_srtp_ctx_overhead(const struct dp_srtp_ctx *c)
{
	return c->fixed_trailer + (c->params.rcc_r != 0 ? DP_SRTP_RCC_ROC_LEN : 0);
}

const struct dp_srtp_params *
dp_srtp_ctx_params(const struct dp_srtp_ctx *c)
{
	return &c->params;
}

size_t
dp_srtp_ctx_state_size(const struct dp_srtp_ctx *c)
{
	return c->alloc_size;
}

uint32_t
dp_srtp_ctx_roc(const struct dp_srtp_ctx *c)
{
	return c->ops->ctx_roc(c);
}

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

static void
back(struct dp_srtp_pkt *pkt)
{
	if (pkt->verdict != DP_V_FWD) {
		/* Never leave a failed packet looking like valid plaintext. */
		memset(pkt->data, 0, pkt->len);
		pkt->len = 0;
		return;
	}
	if (pkt->rcc && pkt->ctx->params.dir == DP_SRTP_DIR_PROTECT) {
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

enum dp_verdict
dp_srtp_process(struct dp_srtp_ctx *c, uint8_t *data, uint32_t *len, uint32_t room)
{
	struct dp_srtp_pkt pkt = {.ctx = c, .data = data, .len = *len, .room = room};

	dp_srtp_burst(&pkt, 1);
	*len = pkt.len;
	return (enum dp_verdict)pkt.verdict;
}
