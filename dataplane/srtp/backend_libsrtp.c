/* SPDX-License-Identifier: proprietary */
/*
 * The reference backend: libsrtp2, one srtp_t per context (libsrtp wants one
 * owner per srtp_t; the engine's one-owner rule gives it that). libsrtp knows
 * nothing of RCCm3: the engine front strips and appends the ROC trailer, and
 * here a received trailer ROC becomes libsrtp's "pending ROC", which it commits
 * only once the packet authenticates (a forged ROC changes the GCM nonce, so
 * it can only cause a drop).
 */
#include <string.h>

#include <sodium.h>
#include <srtp2/srtp.h>

#include "srtp_backend.h"

struct lsrtp {
	srtp_t session;
	uint32_t roc;		/* the ROC the context last used or accepted */
	uint32_t init_roc;	/* pending in libsrtp until a first packet verifies */
	bool started;		/* a packet has verified (or been sent) */
	bool sent_any;		/* protect RTP: |hi| is set */
	uint64_t hi;		/* protect RTP: the highest index sent (libsrtp's rdbx index) */
};

static int
lsrtp_global_init(void)
{
	return srtp_init() == srtp_err_status_ok ? 0 : -DP_E_BACKEND;
}

static void
lsrtp_global_fini(void)
{
	srtp_shutdown();
}

static bool
lsrtp_available(void)
{
	return true;
}

static void
policy_set(srtp_crypto_policy_t *cp, unsigned int profile, unsigned int proto)
{
	switch (profile) {
	case DP_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(cp);
		break;
	case DP_SRTP_AES_CM_128_HMAC_SHA1_32:
		/* RFC 4568 §6.2.1: SRTCP keeps the 80-bit tag under the _32 suite. */
		if (proto == DP_SRTP_PROTO_RTP)
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(cp);
		else
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(cp);
		break;
	case DP_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(cp);
		break;
	default:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(cp);
		break;
	}
}

static int
lsrtp_ctx_init(struct dp_srtp_ctx *c, const struct dp_srtp_params *p)
{
	const struct dp_srtp_profile_info *pi = dp_srtp_profile_info(p->profile);
	struct lsrtp *s = (struct lsrtp *)c->priv;
	uint8_t key[DP_SRTP_MAX_KEY_LEN + DP_SRTP_MAX_SALT_LEN];
	uint8_t mki[DP_SRTP_MAX_MKI_LEN];
	srtp_master_key_t mk, *mkp = &mk;
	srtp_policy_t pol;
	srtp_err_status_t st;
	int rc = 0;

	/* libsrtp cannot start a receiver at a given SEQ, nor SRTCP at an index. */
	if (p->seq_set || (p->proto == DP_SRTP_PROTO_RTCP && p->dir == DP_SRTP_DIR_PROTECT &&
			   p->srtcp_index > 1))
		return -DP_E_UNSUPPORTED;

	memset(&pol, 0, sizeof(pol));
	policy_set(&pol.rtp, p->profile, p->proto);	/* an SRTCP context: both the same */
	policy_set(&pol.rtcp, p->profile, p->proto);
	memcpy(key, p->master_key, pi->key_len);
	memcpy(key + pi->key_len, p->master_salt, pi->salt_len);
	pol.ssrc.type = ssrc_specific;
	pol.ssrc.value = p->ssrc;
	pol.window_size = p->proto == DP_SRTP_PROTO_RTP ? c->params.replay_window : 128;
	if (p->mki_len != 0) {
		memcpy(mki, p->mki, p->mki_len);
		mk.key = key;
		mk.mki_id = mki;
		mk.mki_size = p->mki_len;
		pol.keys = &mkp;
		pol.num_master_keys = 1;
	} else {
		pol.key = key;
	}

	st = srtp_create(&s->session, &pol);
	if (st != srtp_err_status_ok) {
		rc = st == srtp_err_status_alloc_fail ? -DP_E_NOMEM : -DP_E_BACKEND;
		s->session = NULL;
		goto out;
	}
	s->roc = p->roc;
	s->init_roc = p->roc;
	if (p->proto == DP_SRTP_PROTO_RTP && p->roc != 0 &&
	    srtp_set_stream_roc(s->session, p->ssrc, p->roc) != srtp_err_status_ok) {
		srtp_dealloc(s->session);
		s->session = NULL;
		rc = -DP_E_BACKEND;
	}
out:
	sodium_memzero(key, sizeof(key));
	return rc;
}

static void
lsrtp_ctx_fini(struct dp_srtp_ctx *c)
{
	struct lsrtp *s = (struct lsrtp *)c->priv;

	if (s->session != NULL)
		srtp_dealloc(s->session);	/* libsrtp zeroes its key schedules */
	s->session = NULL;
}

static uint32_t
lsrtp_ctx_roc(const struct dp_srtp_ctx *c)
{
	const struct lsrtp *s = (const struct lsrtp *)c->priv;

	return s->roc;
}

static enum dp_verdict
verdict_of(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return DP_V_FWD;
	case srtp_err_status_auth_fail:
	case srtp_err_status_cipher_fail:
	case srtp_err_status_cant_check:	/* SRTCP with E = 0 where E = 1 is due */
		return DP_V_DROP_AUTH;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
	case srtp_err_status_pkt_idx_old:
		return DP_V_DROP_REPLAY;
	case srtp_err_status_no_ctx:
	case srtp_err_status_bad_mki:
		return DP_V_DROP_NOCTX;
	case srtp_err_status_key_expired:
		return DP_V_DROP_POLICY;
	default:
		return DP_V_DROP_MALFORMED;
	}
}

/*
 * The index libsrtp protected an RTP packet of |seq| under, which it does not
 * tell: if the stream's ROC moved with this packet (or it is the first), the
 * packet is the new highest; else it is libsrtp's estimate from the highest
 * index sent (srtp_rdbx_estimate_index, srtp_index_guess: RFC 3711 §3.3.1),
 * where a late packet from before a SEQ wrap gets ROC - 1.
 */
static uint64_t
sent_index(struct lsrtp *s, uint16_t seq)
{
	uint32_t roc = (uint32_t)(s->hi >> 16);
	int lseq = (uint16_t)s->hi;
	uint64_t idx;

	if (!s->sent_any || s->roc != roc)
		idx = (uint64_t)s->roc << 16 | seq;
	else if (s->hi <= 0x8000)
		idx = seq;		/* libsrtp: below the median, ROC 0 as it is */
	else if (lseq < 0x8000 && (int)seq - lseq > 0x8000)
		idx = (uint64_t)(roc - 1) << 16 | seq;
	else
		idx = (uint64_t)roc << 16 | seq;	/* ROC + 1 moved the ROC: above */
	if (!s->sent_any || idx > s->hi)
		s->hi = idx;
	s->sent_any = true;
	return idx;
}

static enum dp_verdict
lsrtp_one(struct dp_srtp_pkt *pkt)
{
	struct dp_srtp_ctx *c = pkt->ctx;
	struct lsrtp *s = (struct lsrtp *)c->priv;
	const struct dp_srtp_params *p = &c->params;
	unsigned int use_mki = p->mki_len != 0;
	int len = (int)pkt->len;
	srtp_err_status_t st;
	bool pending = false;

	if (p->proto == DP_SRTP_PROTO_RTCP) {
		st = p->dir == DP_SRTP_DIR_PROTECT
			     ? srtp_protect_rtcp_mki(s->session, pkt->data, &len, use_mki, 0)
			     : srtp_unprotect_rtcp_mki(s->session, pkt->data, &len, use_mki);
	} else if (p->dir == DP_SRTP_DIR_PROTECT) {
		st = srtp_protect_mki(s->session, pkt->data, &len, use_mki, 0);
		if (st == srtp_err_status_ok) {
			srtp_get_stream_roc(s->session, p->ssrc, &s->roc);
			pkt->index = sent_index(s, pkt->seq);
		}
		pkt->roc = s->roc;
	} else {
		/* A trailer ROC of 0 cannot be made pending in libsrtp: estimate. */
		if (pkt->rcc && pkt->roc != 0) {
			srtp_set_stream_roc(s->session, p->ssrc, pkt->roc);
			pending = true;
		}
		st = srtp_unprotect_mki(s->session, pkt->data, &len, use_mki);
		if (st == srtp_err_status_ok) {
			srtp_get_stream_roc(s->session, p->ssrc, &s->roc);
			s->started = true;
		} else if (pending) {
			/* Back to what was pending before (0: nothing pending). */
			srtp_set_stream_roc(s->session, p->ssrc, s->started ? 0 : s->init_roc);
		}
	}
	if (st == srtp_err_status_ok)
		pkt->len = (uint32_t)len;
	return verdict_of(st);
}

static void
lsrtp_burst(struct dp_srtp_pkt *pkts, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (pkts[i].verdict == DP_V_FWD)
			pkts[i].verdict = (uint8_t)lsrtp_one(&pkts[i]);
}

const struct dp_srtp_backend_ops dp_srtp_libsrtp_ops = {
	.name = "libsrtp",
	.priv_size = sizeof(struct lsrtp),
	.global_init = lsrtp_global_init,
	.global_fini = lsrtp_global_fini,
	.available = lsrtp_available,
	.ctx_init = lsrtp_ctx_init,
	.ctx_fini = lsrtp_ctx_fini,
	.ctx_roc = lsrtp_ctx_roc,
	.burst = lsrtp_burst,
};
