/* SPDX-License-Identifier: proprietary */
/* mcpx: fast path — no allocation, no syscalls, no logging in this file. */
/*
 * The native backend's packet half: per packet only the index (libsrtp's
 * estimation and replay database, mirrored rule for rule), the IV, one
 * intel-ipsec-mb job and the trailer. RFC 3711 §3.3 and §4 (SRTP/SRTCP,
 * AES-CM, HMAC-SHA1), RFC 7714 §8-9 (GCM).
 *
 * A burst is worked in one pass for GCM (the library has no multi-buffer
 * GCM: each packet is one call, made at once, in order) and in three for
 * AES-CM, so that the HMAC-SHA1 lanes fill: (1) checks and index, in packet
 * order; (2) one AES-CTR burst, one HMAC-SHA1 burst, and on unprotect one
 * decrypt burst for what verified; (3) verdicts and state.
 *
 * Speculation (AES-CM unprotect): pass 1 commits each packet's index as if
 * it will verify, so that the next packet of the same stream in the burst
 * sees the state libsrtp would give it. Each stream is snapshotted at its
 * first packet of the burst; if any of its packets then fails, the stream is
 * restored and its packets are worked again one by one in order, reusing a
 * crypto result where the index did not change (and decrypting again, to
 * undo, where it did). The verdicts are those of one packet at a time, as
 * libsrtp gives them.
 */
#include <string.h>

#include <sodium.h>

#include "backend_native_priv.h"

#define SEQ_MEDIAN 0x8000	/* libsrtp seq_num_median, 2^15 */
#define MASK48 0xffffffffffffULL
#define SRTCP_E 0x80000000u
#define SRTCP_INDEX_MAX 0x7fffffffu
#define HMAC_OUT 12		/* the library's truncated HMAC-SHA1; we use 10 or 4 */

enum { RDB_OK, RDB_FAIL, RDB_OLD };	/* replay_fail, replay_old */
enum { EST_OK, EST_ADV, EST_OLD };	/* pkt_idx_adv, pkt_idx_old */

static inline uint32_t
load_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return __builtin_bswap32(v);
}

static inline void
store_be32(uint8_t *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

static inline uint64_t
load_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return __builtin_bswap64(v);
}

static inline void
store_be64(uint8_t *p, uint64_t v)
{
	v = __builtin_bswap64(v);
	memcpy(p, &v, 8);
}

/*
 * The MKI (0, 4 or 8 octets) into the trailer. memcpy with a length known
 * only at run time became `rep movsq`, whose start-up cost more than the copy.
 */
static inline void
put_mki(uint8_t *d, const uint8_t *mki, unsigned int len)
{
	unsigned int i;

	if (len == 8) {
		memcpy(d, mki, 8);
	} else if (len == 4) {
		memcpy(d, mki, 4);
	} else {
		for (i = 0; i < len; i++)
			d[i] = mki[i];
	}
}

/*
 * Tags are compared in constant time with libsodium's crypto_verify_16 (SSE2:
 * a few instructions); sodium_memcmp's byte loop cost as much as the GCM
 * decryption of a 60-octet packet. HMAC tags (10 or 4 octets, in buffers of
 * 16) are compared with the octets past the tag masked off.
 */
static inline bool
tag_eq(const uint8_t a[16], const uint8_t b[16], unsigned int len)
{
	static const uint8_t ones[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint64_t x[2], y[2], m[2];

	if (len == 16)
		return crypto_verify_16(a, b) == 0;
	if (len == 0 || len > 16)
		return false;	/* no profile has such a tag: fail closed */
	memcpy(m, ones + 16 - len, 16);	/* 0xff for the tag's len octets, 0 after */
	memcpy(x, a, 16);
	memcpy(y, b, 16);
	x[0] &= m[0];
	x[1] &= m[1];
	y[0] &= m[0];
	y[1] &= m[1];
	return crypto_verify_16((const uint8_t *)x, (const uint8_t *)y) == 0;
}

/* ---- the replay bitmap: bit k = index (highest - k) seen (SRTP), or
 * bit k = index (window_start + k) seen (SRTCP, libsrtp's rdb) ---- */

static inline unsigned int
bm_get(const struct nat *s, uint32_t k)
{
	return (unsigned int)(s->bm[k >> 6] >> (k & 63)) & 1u;
}

static inline void
bm_set(struct nat *s, uint32_t k)
{
	s->bm[k >> 6] |= 1ULL << (k & 63);
}

/* Every entry |d| older (towards higher bits); what falls off the window goes. */
static void
bm_age(struct nat *s, uint32_t d)
{
	unsigned int w = nat_words(s), ws = d >> 6, bs = d & 63, i;

	if (w == 2 && d < 64) {		/* the default window, the usual step */
		s->bm[1] = s->bm[1] << d | (d != 0 ? s->bm[0] >> (64 - d) : 0);
		s->bm[0] <<= d;
		if (s->win_bits & 63)
			s->bm[1] &= (1ULL << (s->win_bits & 63)) - 1;
		return;
	}
	if (d >= s->win_bits) {
		memset(s->bm, 0, w * sizeof(s->bm[0]));
		return;
	}
	for (i = w; i-- > 0;) {
		uint64_t v = 0;

		if (i >= ws) {
			v = s->bm[i - ws] << bs;
			if (bs != 0 && i > ws)
				v |= s->bm[i - ws - 1] >> (64 - bs);
		}
		s->bm[i] = v;
	}
	if (s->win_bits & 63)
		s->bm[w - 1] &= (1ULL << (s->win_bits & 63)) - 1;
}

/* ---- SRTP: libsrtp 2.5's rdbx (crypto/replay/rdbx.c) and srtp_estimate_index ---- */

/* srtp_index_guess: RFC 3711 §3.3.1 with ROC ± 1 (32-bit wrap) and strict '>'. */
static inline int32_t
index_guess(uint64_t local, uint16_t seq, uint64_t *est)
{
	uint32_t lroc = (uint32_t)(local >> 16), roc = lroc;
	int lseq = (uint16_t)local, diff = (int)seq - lseq;

	if (lseq < SEQ_MEDIAN) {
		if ((int)seq - lseq > SEQ_MEDIAN) {
			roc = lroc - 1;
			diff -= 0x10000;
		}
	} else if (lseq - SEQ_MEDIAN > (int)seq) {
		roc = lroc + 1;
		diff += 0x10000;
	}
	*est = (uint64_t)roc << 16 | seq;
	return diff;
}

/* srtp_get_est_pkt_index: the pending ROC first, else the rdbx estimate. */
static int
rtp_estimate(const struct nat_rs *r, uint16_t seq, uint64_t *est, int32_t *delta)
{
	if (r->pending_roc != 0) {
		uint64_t e = (uint64_t)r->pending_roc << 16 | seq;

		*est = e;
		*delta = (int32_t)(e - r->index);
		if (e > r->index && e - r->index > SEQ_MEDIAN) {
			*delta = 0;
			return EST_ADV;
		}
		if (e < r->index && r->index - e > SEQ_MEDIAN) {
			*delta = 0;
			return EST_OLD;
		}
		return EST_OK;
	}
	/* Below 2^15 libsrtp takes SEQ with ROC 0 as it is: no ROC - 1 guess. */
	if (r->index > SEQ_MEDIAN) {
		*delta = index_guess(r->index, seq, est);
	} else {
		*est = seq;
		*delta = (int32_t)((uint64_t)seq - r->index);
	}
	return EST_OK;
}

static inline int
rdbx_check(const struct nat *s, int32_t delta)
{
	if (delta > 0)
		return RDB_OK;
	if ((int32_t)(s->win_bits - 1) + delta < 0)
		return RDB_OLD;
	return bm_get(s, (uint32_t)-delta) ? RDB_FAIL : RDB_OK;
}

static inline void
rdbx_add(struct nat *s, int32_t delta)
{
	if (delta > 0) {
		s->rs.index += (uint16_t)delta;	/* srtp_index_advance takes a uint16 */
		bm_age(s, (uint32_t)delta);
		bm_set(s, 0);
	} else {
		bm_set(s, (uint32_t)-delta);
	}
}

/* srtp_rdbx_set_roc_seq: never backwards; the window starts afresh. */
static inline void
rdbx_set_roc_seq(struct nat *s, uint32_t roc, uint16_t seq)
{
	if ((uint64_t)roc < (s->rs.index >> 16))
		return;
	s->rs.index = (uint64_t)roc << 16 | seq;
	memset(s->bm, 0, nat_words(s) * sizeof(s->bm[0]));
}

/* srtp_key_limit_update, literally: true on the hard limit (2^48 packets). */
static inline bool
key_limit_hit(struct nat *s)
{
	s->rs.keys_left--;
	if (s->rs.keys_left >= NAT_KEY_SOFT)
		return false;
	return s->rs.keys_left < 1;
}

/* ---- SRTCP: libsrtp's rdb (crypto/replay/rdb.c), 128 bits from window_start ---- */

static inline int
rdb_check(const struct nat *s, uint32_t idx)
{
	uint32_t ws = s->rs.window_start;

	if (idx >= ws + DP_SRTCP_REPLAY)
		return RDB_OK;
	if (idx < ws)
		return RDB_OLD;
	return bm_get(s, idx - ws) ? RDB_FAIL : RDB_OK;
}

static void
rdb_add(struct nat *s, uint32_t idx)
{
	uint32_t d;

	if (idx < s->rs.window_start)
		return;
	d = idx - s->rs.window_start;
	if (d < DP_SRTCP_REPLAY) {
		bm_set(s, d);
		return;
	}
	d -= DP_SRTCP_REPLAY - 1;
	if (d > 127) {
		s->bm[0] = 0;
		s->bm[1] = 0;
	} else if (d >= 64) {
		s->bm[0] = s->bm[1] >> (d - 64);
		s->bm[1] = 0;
	} else {
		s->bm[0] = s->bm[0] >> d | s->bm[1] << (64 - d);
		s->bm[1] >>= d;
	}
	bm_set(s, DP_SRTCP_REPLAY - 1);
	s->rs.window_start += d;
}

/* ---- checks and index, per packet, in order (libsrtp's order of checks) ---- */

/* The libsrtp glue: a failed packet whose trailer set the pending ROC undoes it. */
static inline void
glue_fail(struct nat *s, const struct nat_rec *r)
{
	if (r->pend)
		s->rs.pending_roc = s->rs.restart_roc;
}

static enum dp_verdict
rtp_protect_pre(struct nat *s, struct dp_srtp_pkt *pkt, struct nat_rec *r)
{
	int st;

	if (key_limit_hit(s))
		return DP_V_DROP_POLICY;
	st = rtp_estimate(&s->rs, pkt->seq, &r->est, &r->delta);
	if (st == EST_OLD)
		return DP_V_DROP_REPLAY;
	if (st == EST_ADV) {
		rdbx_set_roc_seq(s, (uint32_t)(r->est >> 16), (uint16_t)r->est);
		s->rs.pending_roc = 0;
		rdbx_add(s, 0);
	} else {
		if (rdbx_check(s, r->delta) != RDB_OK)
			return DP_V_DROP_REPLAY;	/* protect refuses a repeated index */
		rdbx_add(s, r->delta);
	}
	s->rs.roc = (uint32_t)(s->rs.index >> 16);
	pkt->roc = s->rs.roc;	/* the RCCm3 trailer: the stream's ROC after this packet */
	pkt->index = r->est;	/* the packet's own: a late one's ROC may be one less */
	return DP_V_FWD;
}

static enum dp_verdict
rtp_unprotect_pre(struct nat *s, const struct dp_srtp_pkt *pkt, struct nat_rec *r)
{
	int st;

	/* RCCm3: a trailer ROC r != 0 becomes libsrtp's pending ROC (0 cannot). */
	r->pend = pkt->rcc && pkt->roc != 0;
	if (r->pend)
		s->rs.pending_roc = pkt->roc;
	st = rtp_estimate(&s->rs, pkt->seq, &r->est, &r->delta);
	r->adv = st == EST_ADV;
	if (st == EST_OLD || (!r->adv && rdbx_check(s, r->delta) != RDB_OK)) {
		glue_fail(s, r);
		return DP_V_DROP_REPLAY;
	}
	/* The AEAD path counts the key use before it authenticates. */
	if (s->kind != NAT_CM128 && key_limit_hit(s)) {
		glue_fail(s, r);
		return DP_V_DROP_POLICY;
	}
	return DP_V_FWD;
}

static enum dp_verdict
rtp_unprotect_post(struct nat *s, const struct nat_rec *r, bool ok)
{
	if (!ok) {
		glue_fail(s, r);
		return DP_V_DROP_AUTH;
	}
	if (s->kind == NAT_CM128 && key_limit_hit(s)) {
		glue_fail(s, r);
		return DP_V_DROP_POLICY;
	}
	if (r->adv) {
		rdbx_set_roc_seq(s, (uint32_t)(r->est >> 16), (uint16_t)r->est);
		s->rs.pending_roc = 0;
		rdbx_add(s, 0);
	} else {
		rdbx_add(s, r->delta);
	}
	s->rs.restart_roc = 0;
	s->rs.roc = (uint32_t)(s->rs.index >> 16);
	return DP_V_FWD;
}

static enum dp_verdict
rtcp_protect_pre(struct nat *s, struct nat_rec *r)
{
	if (s->rs.window_start >= SRTCP_INDEX_MAX)
		return DP_V_DROP_POLICY;	/* srtp_rdb_increment: key_expired */
	r->est = ++s->rs.window_start;
	r->word = (s->conf ? SRTCP_E : 0) | (uint32_t)r->est;
	return DP_V_FWD;
}

static enum dp_verdict
rtcp_unprotect_pre(struct nat *s, const struct dp_srtp_pkt *pkt, struct nat_rec *r)
{
	const struct dp_srtp_ctx *c = pkt->ctx;
	uint32_t at = pkt->len - c->params.mki_len - DP_SRTP_SRTCP_INDEX_LEN;

	if (s->kind == NAT_CM128)
		at -= c->tag_len;	/* ... || E|index || MKI || tag */
	r->word = load_be32(pkt->data + at);
	/* libsrtp's cant_check: the E bit must say what the context does (AES-CM only). */
	if (s->kind == NAT_CM128 && (r->word >> 31) != s->conf)
		return DP_V_DROP_AUTH;
	r->est = r->word & SRTCP_INDEX_MAX;
	return rdb_check(s, (uint32_t)r->est) == RDB_OK ? DP_V_FWD : DP_V_DROP_REPLAY;
}

static enum dp_verdict
pre(struct nat *s, struct dp_srtp_pkt *pkt, struct nat_rec *r)
{
	const struct dp_srtp_params *p = &pkt->ctx->params;

	if (p->proto == DP_SRTP_PROTO_RTP)
		return p->dir == DP_SRTP_DIR_PROTECT ? rtp_protect_pre(s, pkt, r)
						     : rtp_unprotect_pre(s, pkt, r);
	return p->dir == DP_SRTP_DIR_PROTECT ? rtcp_protect_pre(s, r)
					     : rtcp_unprotect_pre(s, pkt, r);
}

static enum dp_verdict
unprotect_post(struct nat *s, const struct dp_srtp_pkt *pkt, const struct nat_rec *r, bool ok)
{
	if (pkt->ctx->params.proto == DP_SRTP_PROTO_RTP)
		return rtp_unprotect_post(s, r, ok);
	if (!ok)
		return DP_V_DROP_AUTH;
	rdb_add(s, (uint32_t)r->est);
	return DP_V_FWD;
}

/* ---- crypto ---- */

/* RFC 3711 §4.1.1: salt·2^16 ^ SSRC·2^64 ^ i·2^16 (SRTCP: i = the 31-bit index). */
static inline void
cm_iv(const struct nat *s, uint64_t est, uint8_t iv[16])
{
	memcpy(iv, s->iv_base, 8);
	store_be64(iv + 8, load_be64(s->iv_base + 8) ^ est << 16);
}

/* RFC 7714 §8.1 / §9.1: (00 00 || SSRC || ROC || SEQ) or (... || 00 00 || index) ^ salt. */
static inline void
gcm_iv(const struct nat *s, uint64_t est, uint8_t iv[16])
{
	memcpy(iv, s->iv_base, 4);
	store_be64(iv + 4, load_be64(s->iv_base + 4) ^ (est & MASK48));
}

static inline void
gcm_enc(struct nat_thread *t, const struct nat *s, uint8_t *buf, uint64_t len,
	const uint8_t *iv, const uint8_t *aad, uint64_t aad_len, uint8_t *tag)
{
	const struct gcm_key_data *k = nat_keys(s);

	if (s->kind == NAT_GCM128)
		IMB_AES128_GCM_ENC(t->mgr, k, &t->gctx, buf, buf, len, iv, aad, aad_len, tag, 16);
	else
		IMB_AES256_GCM_ENC(t->mgr, k, &t->gctx, buf, buf, len, iv, aad, aad_len, tag, 16);
}

static inline void
gcm_dec(struct nat_thread *t, const struct nat *s, uint8_t *buf, uint64_t len,
	const uint8_t *iv, const uint8_t *aad, uint64_t aad_len, uint8_t *tag)
{
	const struct gcm_key_data *k = nat_keys(s);

	if (s->kind == NAT_GCM128)
		IMB_AES128_GCM_DEC(t->mgr, k, &t->gctx, buf, buf, len, iv, aad, aad_len, tag, 16);
	else
		IMB_AES256_GCM_DEC(t->mgr, k, &t->gctx, buf, buf, len, iv, aad, aad_len, tag, 16);
}

/* RFC 7714 §8 (SRTP): AAD = header, tag after the ciphertext, then the MKI. */
static void
gcm_rtp(struct nat_thread *t, struct dp_srtp_pkt *pkt, const struct nat *s, struct nat_rec *r)
{
	const struct dp_srtp_params *p = &pkt->ctx->params;
	uint8_t *d = pkt->data;
	uint32_t hl = pkt->hdr_len, len = pkt->len, end;

	if (p->dir == DP_SRTP_DIR_PROTECT) {
		if (s->conf)
			gcm_enc(t, s, d + hl, len - hl, r->iv, d, hl, d + len);
		else	/* §16.1.3 tagging only: the whole packet is AAD */
			gcm_enc(t, s, d + len, 0, r->iv, d, len, d + len);
		put_mki(d + len + 16, p->mki, p->mki_len);
		pkt->len = len + 16 + p->mki_len;
		r->ok = 1;
		return;
	}
	end = len - p->mki_len - 16;
	if (s->conf) {
		gcm_dec(t, s, d + hl, end - hl, r->iv, d, hl, r->tag);
	} else {
		gcm_enc(t, s, d + end, 0, r->iv, d, end, r->tag);
	}
	r->ok = crypto_verify_16(r->tag, d + end) == 0;
	r->out_len = end;
}

/*
 * RFC 7714 §9 (SRTCP): E = 1: AAD = header (8) || E|index, the rest encrypted;
 * E = 0: AAD = the whole packet || E|index, nothing encrypted. The wire has
 * the tag before E|index, so for E = 0 the word is copied next to the packet
 * over the tag, which is kept aside first.
 */
static void
gcm_rtcp(struct nat_thread *t, struct dp_srtp_pkt *pkt, const struct nat *s, struct nat_rec *r)
{
	const struct dp_srtp_params *p = &pkt->ctx->params;
	uint8_t *d = pkt->data;
	uint32_t len = pkt->len, n;

	if (p->dir == DP_SRTP_DIR_PROTECT) {
		if (r->word & SRTCP_E) {
			memcpy(r->aad, d, 8);
			store_be32(r->aad + 8, r->word);
			gcm_enc(t, s, d + 8, len - 8, r->iv, r->aad, 12, d + len);
		} else {
			store_be32(d + len, r->word);
			gcm_enc(t, s, d + len + 4, 0, r->iv, d, len + 4, r->tag);
			memcpy(d + len, r->tag, 16);
		}
		store_be32(d + len + 16, r->word);
		put_mki(d + len + 20, p->mki, p->mki_len);
		pkt->len = len + 20 + p->mki_len;
		r->ok = 1;
		return;
	}
	n = len - p->mki_len - 20;
	if (r->word & SRTCP_E) {
		memcpy(r->aad, d, 8);
		store_be32(r->aad + 8, r->word);
		gcm_dec(t, s, d + 8, n - 8, r->iv, r->aad, 12, r->tag);
		r->ok = crypto_verify_16(r->tag, d + n) == 0;
	} else {
		memcpy(r->saved, d + n, 16);
		store_be32(d + n, r->word);
		gcm_enc(t, s, d + n + 4, 0, r->iv, d, n + 4, r->tag);
		r->ok = crypto_verify_16(r->tag, r->saved) == 0;
	}
	r->out_len = n;
}

static void
cipher_job(IMB_JOB *j, const struct nat_cm_keys *k, uint8_t *d, uint32_t off, uint32_t len,
	   const uint8_t *iv)
{
	j->enc_keys = k->enc;
	j->dec_keys = k->enc;
	j->key_len_in_bytes = 16;
	j->src = d;
	j->dst = d + off;	/* the library writes the ciphered range at dst itself */
	j->cipher_start_src_offset_in_bytes = off;
	j->msg_len_to_cipher_in_bytes = len;
	j->iv = iv;
	j->iv_len_in_bytes = 16;
	j->cipher_mode = IMB_CIPHER_CNTR;
	j->cipher_direction = IMB_DIR_ENCRYPT;
	j->hash_alg = IMB_AUTH_NULL;
	j->chain_order = IMB_ORDER_CIPHER_HASH;
}

static void
hash_job(IMB_JOB *j, const struct nat_cm_keys *k, const uint8_t *d, uint32_t len, uint8_t *out)
{
	j->src = d;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = len;
	j->auth_tag_output = out;
	j->auth_tag_output_len_in_bytes = HMAC_OUT;
	j->u.HMAC._hashed_auth_key_xor_ipad = k->ipad;
	j->u.HMAC._hashed_auth_key_xor_opad = k->opad;
	j->cipher_mode = IMB_CIPHER_NULL;
	j->cipher_direction = IMB_DIR_ENCRYPT;
	j->hash_alg = IMB_AUTH_HMAC_SHA_1;
	j->chain_order = IMB_ORDER_HASH_CIPHER;
}

/*
 * AES-CM, before the bursts. SRTP: the MAC input is packet || ROC (RFC 3711
 * §4.2), so the ROC is written where the trailer goes (on unprotect after
 * the packet's tag is kept). SRTCP: packet || E|index, already contiguous.
 */
static void
cm_prep(struct nat_thread *t, struct dp_srtp_pkt *pkt, const struct nat *s, struct nat_rec *r,
	uint8_t i, unsigned int *nc, unsigned int *nh)
{
	const struct dp_srtp_ctx *c = pkt->ctx;
	const struct nat_cm_keys *k = nat_keys(s);
	uint8_t *d = pkt->data;
	uint32_t len = pkt->len, hl = pkt->hdr_len, alen;

	if (c->params.dir == DP_SRTP_DIR_PROTECT) {
		if (c->params.proto == DP_SRTP_PROTO_RTP)
			store_be32(d + len, (uint32_t)(r->est >> 16));
		else
			store_be32(d + len, r->word);
		if (s->conf && len > hl) {
			cipher_job(&t->cjobs[*nc], k, d, hl, len - hl, r->iv);
			t->cidx[(*nc)++] = i;
		}
		hash_job(&t->hjobs[*nh], k, d, len + 4, r->tag);
		t->hidx[(*nh)++] = i;
		return;
	}
	alen = len - c->tag_len - c->params.mki_len;
	if (c->params.proto == DP_SRTP_PROTO_RTP) {
		memcpy(r->saved, d + len - c->tag_len, c->tag_len);
		store_be32(d + alen, (uint32_t)(r->est >> 16));
		hash_job(&t->hjobs[*nh], k, d, alen + 4, r->tag);
		r->out_len = alen;
	} else {
		memcpy(r->saved, d + len - c->tag_len, c->tag_len);
		hash_job(&t->hjobs[*nh], k, d, alen, r->tag);
		r->out_len = alen - 4;
	}
	t->hidx[(*nh)++] = i;
}

/* AES-CM, after the HMAC burst: place the trailer, or verify then queue the decrypt. */
static void
cm_after_hash(struct nat_thread *t, struct dp_srtp_pkt *pkt, const struct nat *s,
	      struct nat_rec *r, uint8_t i, unsigned int *nc)
{
	const struct dp_srtp_ctx *c = pkt->ctx;
	uint8_t *d = pkt->data;
	uint32_t at, start;

	if (c->params.dir == DP_SRTP_DIR_PROTECT) {
		at = pkt->len + (c->params.proto == DP_SRTP_PROTO_RTCP ? 4 : 0);
		put_mki(d + at, c->params.mki, c->params.mki_len);
		memcpy(d + at + c->params.mki_len, r->tag, c->tag_len);
		pkt->len = at + c->params.mki_len + c->tag_len;
		r->ok = !r->err;
		return;
	}
	r->ok = !r->err && tag_eq(r->tag, r->saved, c->tag_len);
	if (!r->ok)
		return;		/* verify, then decrypt: a forgery is never decrypted */
	start = c->params.proto == DP_SRTP_PROTO_RTP ? pkt->hdr_len : 8;
	if (c->params.proto == DP_SRTP_PROTO_RTCP ? (r->word & SRTCP_E) != 0 : s->conf) {
		if (r->out_len > start) {
			cipher_job(&t->cjobs[*nc], nat_keys(s), d, start, r->out_len - start,
				   r->iv);
			t->cidx[(*nc)++] = i;
			r->moved = 1;
		}
	}
}

static void
submit_cipher(struct nat_thread *t, unsigned int n)
{
	unsigned int k;

	if (IMB_SUBMIT_CIPHER_BURST_NOCHECK(t->mgr, t->cjobs, n, IMB_CIPHER_CNTR,
					    IMB_DIR_ENCRYPT, IMB_KEY_128_BYTES) == n)
		return;
	for (k = 0; k < n; k++)
		t->rec[t->cidx[k]].err = 1;
}

static void
submit_hash(struct nat_thread *t, unsigned int n)
{
	unsigned int k;

	IMB_MGR *m = n >= NAT_SHA1_MB ? t->mgr : t->hmgr;

	if (IMB_SUBMIT_HASH_BURST_NOCHECK(m, t->hjobs, n, IMB_AUTH_HMAC_SHA_1) == n)
		return;
	for (k = 0; k < n; k++)
		t->rec[t->hidx[k]].err = 1;
}

/* AES-CM: one cipher burst, one HMAC-SHA1 burst, one decrypt burst for the listed packets. */
static void
crypto_run(struct nat_thread *t, struct dp_srtp_pkt *pkts, const uint8_t *list, unsigned int n)
{
	unsigned int k, nc = 0, nh = 0;

	for (k = 0; k < n; k++) {
		uint8_t i = list[k];
		struct dp_srtp_pkt *pkt = &pkts[i];
		const struct nat *s = nat_of(pkt->ctx);
		struct nat_rec *r = &t->rec[i];

		r->crypto = 1;
		r->moved = 0;
		r->ok = 0;
		r->err = 0;
		cm_iv(s, r->est, r->iv);
		cm_prep(t, pkt, s, r, i, &nc, &nh);
	}
	if (nc != 0)
		submit_cipher(t, nc);	/* protect: encrypt, then MAC the ciphertext */
	if (nh != 0)
		submit_hash(t, nh);
	nc = 0;
	for (k = 0; k < nh; k++) {
		uint8_t i = t->hidx[k];

		cm_after_hash(t, &pkts[i], nat_of(pkts[i].ctx), &t->rec[i], i, &nc);
	}
	if (nc != 0) {
		submit_cipher(t, nc);	/* unprotect: decrypt what verified */
		for (k = 0; k < nc; k++)
			if (t->rec[t->cidx[k]].err)
				t->rec[t->cidx[k]].ok = 0;
	}
}

/* Put an AES-CM unprotect packet back as it came, so it can be worked again. */
static void
undo(struct nat_thread *t, struct dp_srtp_pkt *pkt, const struct nat *s, struct nat_rec *r)
{
	const struct dp_srtp_ctx *c = pkt->ctx;
	uint8_t *d = pkt->data;
	uint32_t start = c->params.proto == DP_SRTP_PROTO_RTP ? pkt->hdr_len : 8;

	if (r->moved) {
		cipher_job(&t->cjobs[0], nat_keys(s), d, start, r->out_len - start, r->iv);
		t->cidx[0] = (uint8_t)(r - t->rec);
		submit_cipher(t, 1);
	}
	if (c->params.proto == DP_SRTP_PROTO_RTP) {
		put_mki(d + r->out_len, c->params.mki, c->params.mki_len);
		memcpy(d + r->out_len + c->params.mki_len, r->saved, c->tag_len);
	}
}

/* ---- the burst ---- */

/*
 * GCM: one call per packet, whatever the burst, so it is worked at once and
 * in order: checks, crypto, state. No speculation needed.
 */
static void
gcm_now(struct nat_thread *t, struct dp_srtp_pkt *pkt, struct nat *s, struct nat_rec *r)
{
	enum dp_verdict v = pre(s, pkt, r);

	if (v != DP_V_FWD) {
		pkt->verdict = (uint8_t)v;
		return;
	}
	gcm_iv(s, r->est, r->iv);
	if (pkt->ctx->params.proto == DP_SRTP_PROTO_RTP)
		gcm_rtp(t, pkt, s, r);
	else
		gcm_rtcp(t, pkt, s, r);
	if (pkt->ctx->params.dir == DP_SRTP_DIR_PROTECT)
		return;
	v = unprotect_post(s, pkt, r, r->ok);
	pkt->verdict = (uint8_t)v;
	if (v == DP_V_FWD)
		pkt->len = r->out_len;
}

static void
snapshot(struct nat_thread *t, struct nat *s, uint8_t slot)
{
	struct nat_snap *sn = &t->snap[slot];

	sn->rs = s->rs;
	sn->dirty = 0;
	memcpy(sn->bm, s->bm, nat_words(s) * sizeof(s->bm[0]));
	s->snap_gen = t->gen;
	s->snap_slot = slot;
}

static void
restore(const struct nat_thread *t, struct nat *s)
{
	const struct nat_snap *sn = &t->snap[s->snap_slot];

	s->rs = sn->rs;
	memcpy(s->bm, sn->bm, nat_words(s) * sizeof(s->bm[0]));
}

/* A stream had a packet fail: work its packets again, one at a time, in order. */
static void
rerun(struct nat_thread *t, struct dp_srtp_pkt *pkts, unsigned int n)
{
	uint8_t i;

	for (i = 0; i < n; i++) {
		struct dp_srtp_pkt *pkt = &pkts[i];
		struct nat_rec *r = &t->rec[i];
		struct nat *s;
		struct nat_snap *sn;
		uint64_t est = r->est;
		enum dp_verdict v;

		if (!r->entered || pkt->ctx->params.dir == DP_SRTP_DIR_PROTECT)
			continue;
		s = nat_of(pkt->ctx);
		sn = &t->snap[s->snap_slot];
		if (sn->dirty == 0)
			continue;
		if (sn->dirty == 1) {
			restore(t, s);
			sn->dirty = 2;
		}
		v = pre(s, pkt, r);
		if (v == DP_V_FWD && !(r->crypto && r->est == est)) {
			if (r->crypto)
				undo(t, pkt, s, r);
			crypto_run(t, pkts, &i, 1);
		}
		if (v == DP_V_FWD)
			v = unprotect_post(s, pkt, r, r->ok);
		pkt->verdict = (uint8_t)v;
		if (v == DP_V_FWD)
			pkt->len = r->out_len;
	}
}

static void
chunk(struct nat_thread *t, struct dp_srtp_pkt *pkts, unsigned int n)
{
	uint8_t list[DP_SRTP_BURST_MAX], i, nsnap = 0;
	unsigned int nl = 0, k;
	bool dirty = false, unprot = false;

	t->gen++;
	/* Pass 1: checks and index, in order; AES-CM unprotect commits speculatively. */
	for (i = 0; i < n; i++) {
		struct dp_srtp_pkt *pkt = &pkts[i];
		struct nat_rec *r = &t->rec[i];
		struct nat *s;
		enum dp_verdict v;

		r->entered = 0;
		if (pkt->verdict != DP_V_FWD)
			continue;
		s = nat_of(pkt->ctx);
		if (s->kind != NAT_CM128) {
			gcm_now(t, pkt, s, r);
			continue;
		}
		r->entered = 1;
		r->crypto = 0;
		if (pkt->ctx->params.dir == DP_SRTP_DIR_UNPROTECT && s->snap_gen != t->gen)
			snapshot(t, s, nsnap++);
		v = pre(s, pkt, r);
		if (v != DP_V_FWD) {
			pkt->verdict = (uint8_t)v;
			continue;
		}
		list[nl++] = i;
		if (pkt->ctx->params.dir == DP_SRTP_DIR_UNPROTECT)
			r->tentative = (uint8_t)unprotect_post(s, pkt, r, true);
	}
	if (nl == 0)
		return;
	/* Pass 2: the AES-CM crypto, in bursts. */
	crypto_run(t, pkts, list, nl);
	/* Pass 3: verdicts; a stream with a failure is worked again. */
	for (k = 0; k < nl; k++) {
		struct dp_srtp_pkt *pkt = &pkts[list[k]];
		const struct nat_rec *r = &t->rec[list[k]];

		if (pkt->ctx->params.dir == DP_SRTP_DIR_PROTECT) {
			if (__builtin_expect(!r->ok, 0))
				pkt->verdict = DP_V_DROP_POLICY;	/* the library refused */
		} else if (__builtin_expect(!r->ok, 0)) {
			t->snap[nat_of(pkt->ctx)->snap_slot].dirty = 1;
			dirty = true;
		} else {
			unprot = true;
		}
	}
	if (dirty)
		rerun(t, pkts, n);
	if (!unprot && !dirty)
		return;
	for (k = 0; k < nl; k++) {
		struct dp_srtp_pkt *pkt = &pkts[list[k]];
		const struct nat_rec *r = &t->rec[list[k]];

		if (pkt->ctx->params.dir == DP_SRTP_DIR_PROTECT ||
		    t->snap[nat_of(pkt->ctx)->snap_slot].dirty)
			continue;
		pkt->verdict = r->tentative;
		if (r->tentative == DP_V_FWD)
			pkt->len = r->out_len;
	}
}

void
nat_burst(struct dp_srtp_pkt *pkts, unsigned int n)
{
	struct nat_thread *t = nat_thread();
	unsigned int off, i;

	if (t == NULL) {
		/* No manager for this thread (out of memory at its first burst). */
		for (i = 0; i < n; i++)
			if (pkts[i].verdict == DP_V_FWD)
				pkts[i].verdict = DP_V_DROP_POLICY;
		return;
	}
	for (off = 0; off < n; off += DP_SRTP_BURST_MAX)
		chunk(t, pkts + off, n - off < DP_SRTP_BURST_MAX ? n - off : DP_SRTP_BURST_MAX);
	sodium_memzero(&t->gctx, sizeof(t->gctx));
}
