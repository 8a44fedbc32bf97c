/* SPDX-License-Identifier: proprietary */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "keys_keyid.h"
#include "ue_sess.h"

static int
profile_of(const struct mikey_srtp_profile *p, enum dp_srtp_profile *prof, uint16_t *rcc_r)
{
	if (p->enc_alg != MIKEY_ENC_AES_GCM)
		return -UE_E_ARG;
	if (p->enc_key_len == 16)
		*prof = DP_SRTP_AEAD_AES_128_GCM;
	else if (p->enc_key_len == 32)
		*prof = DP_SRTP_AEAD_AES_256_GCM;
	else
		return -UE_E_ARG;
	*rcc_r = p->auth_alg == MIKEY_AUTH_RCCM3 ? (p->roc_rate != 0 ? p->roc_rate : 1) : 0;
	return 0;
}

/* The CS ID of the media a party sends: ours (|peer| false) or the other end's. */
static uint8_t
cs_of(const struct mikey_key *k, bool peer)
{
	if (k->purpose == KEYS_PURPOSE_PCK)	/* the caller reads its PCK from SAKKE-to-self */
		return (k->from_self != peer) ? MIKEY_CS_MCPTT_PCK_INIT : MIKEY_CS_MCPTT_PCK_RECV;
	return k->purpose == KEYS_PURPOSE_CSK ? MIKEY_CS_MCPTT_CSK : MIKEY_CS_MCPTT_GROUP;
}

/*
 * The first SRTCP index of a sending context. A client restarted with the same
 * SSRC under the same key (a CSK lives for many sessions; a lab pins SSRCs)
 * must not start again at 1: under GCM a (key, SSRC, index) used twice for
 * different content is a nonce reuse. The clock in milliseconds (30 bits, so
 * it wraps every 12.4 days and leaves 2^30 indices of room) moves faster than
 * any floor-control sender, so a later process starts above where an earlier
 * one stopped. Native backend only: libsrtp cannot start SRTCP but at 1.
 */
static uint32_t
srtcp_start(unsigned int be)
{
	struct timespec ts;

	if (be != DP_SRTP_BACKEND_NATIVE || clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return 1 + (uint32_t)(((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000) &
			      0x3fffffffu);
}

/* A context of |s|'s key under |m| (wiped here). */
static int
ctx_make(struct ue_sess *s, struct dp_srtp_ctx **out, struct mikey_srtp_master *m,
	 unsigned int proto, unsigned int dir, uint32_t ssrc)
{
	struct dp_srtp_params p = {
		.profile = s->profile,
		.proto = proto,
		.dir = dir,
		.mki_len = m->mki_len,
		.ssrc = ssrc,
		.rcc_r = proto == DP_SRTP_PROTO_RTP ? s->rcc_r : 0,
		.srtcp_index = proto == DP_SRTP_PROTO_RTCP && dir == DP_SRTP_DIR_PROTECT
				       ? srtcp_start(s->be) : 0,
	};
	int rc;

	memcpy(p.master_key, m->key, sizeof(m->key));
	memcpy(p.master_salt, m->salt, m->salt_len);
	memcpy(p.mki, m->mki, m->mki_len);
	rc = dp_srtp_ctx_new(out, s->be, &p);
	sodium_memzero(&p, sizeof(p));
	mikey_srtp_master_wipe(m);
	return rc < 0 ? -UE_E_SRTP : 0;
}

static int
tx_setup(struct ue_sess *s)
{
	struct mikey_srtp_master m;
	unsigned int proto;
	int rc;

	for (proto = DP_SRTP_PROTO_RTP; proto <= DP_SRTP_PROTO_RTCP; proto++) {
		if (proto == DP_SRTP_PROTO_RTP && s->key.purpose == KEYS_PURPOSE_CSK)
			continue;	/* 33.180 E.4.1: SRTCP only */
		if (mikey_key_srtp(&m, &s->key, cs_of(&s->key, false), s->key.csb_id) < 0)
			return -UE_E_KEY;
		rc = ctx_make(s, &s->tx[proto], &m, proto, DP_SRTP_DIR_PROTECT, s->ssrc);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
ue_sess_new(struct ue_sess **out, const struct mikey_key *key, unsigned int be, uint32_t ssrc)
{
	struct ue_sess *s;
	int rc;

	if (out == NULL || key == NULL || key->purpose > KEYS_PURPOSE_CSK)
		return -UE_E_ARG;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -UE_E_NOMEM;
	s->key = *key;
	s->be = be;
	s->ssrc = ssrc;
	s->tx_since_ms = -1;
	rc = profile_of(&key->profile, &s->profile, &s->rcc_r);
	if (rc == 0)
		rc = tx_setup(s);
	if (rc < 0) {
		ue_sess_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
ue_sess_free(struct ue_sess *s)
{
	unsigned int i;

	if (s == NULL)
		return;
	dp_srtp_ctx_free(s->tx[0]);
	dp_srtp_ctx_free(s->tx[1]);
	for (i = 0; i < s->n_rx; i++)
		dp_srtp_ctx_free(s->rx[i].ctx);
	mikey_key_wipe(&s->key);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

enum dp_verdict
ue_sess_protect(struct ue_sess *s, unsigned int proto, uint8_t *buf, uint32_t *len,
		uint32_t room)
{
	if (proto > DP_SRTP_PROTO_RTCP || s->tx[proto] == NULL)
		return DP_V_DROP_NOCTX;
	return dp_srtp_process(s->tx[proto], buf, len, room);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static struct ue_rx_stream *
rx_find(struct ue_sess *s, unsigned int proto, uint32_t ssrc)
{
	unsigned int i;

	for (i = 0; i < s->n_rx; i++)
		if (s->rx[i].proto == proto && s->rx[i].ssrc == ssrc)
			return &s->rx[i];
	return NULL;
}

/* Where the MKI of a packet laid out as |s|'s key says sits; -1: too short. */
static int
mki_offset(const struct ue_sess *s, unsigned int proto, const uint8_t *buf, uint32_t len)
{
	return dp_srtp_mki_offset(s->profile, proto, s->key.mki_len,
				  proto == DP_SRTP_PROTO_RTP ? s->rcc_r : 0, buf, len);
}

bool
ue_sess_names(const struct ue_sess *s, unsigned int proto, const uint8_t *buf, uint32_t len)
{
	int off = proto <= DP_SRTP_PROTO_RTCP ? mki_offset(s, proto, buf, len) : -1;

	/* the key ID leads every MKI of ours: GMK-ID || GUK-ID, PCK-ID, CSK-ID */
	return off >= 0 && sodium_memcmp(buf + off, s->key.mki, KEYS_ID_LEN) == 0;
}

/*
 * The sender's master from the MKI of a first packet: it must name our key
 * (GMK-ID, PCK-ID, CSK-ID); a GMK sender is told apart by its GUK-ID.
 */
static enum dp_verdict
sender_master(struct ue_sess *s, unsigned int proto, const uint8_t *buf, uint32_t len,
	      struct mikey_srtp_master *m, uint32_t *guk_id)
{
	int off = mki_offset(s, proto, buf, len);
	const uint8_t *mki;

	if (off < 0)
		return DP_V_DROP_SHORT;
	mki = buf + off;
	if (sodium_memcmp(mki, s->key.mki, KEYS_ID_LEN) != 0)
		return DP_V_DROP_NOCTX;
	*guk_id = s->key.purpose == KEYS_PURPOSE_GMK ? be32(mki + KEYS_ID_LEN) : 0;
	if (mikey_key_srtp(m, &s->key, cs_of(&s->key, true), *guk_id) < 0)
		return DP_V_DROP_NOCTX;	/* e.g. a GUK-ID without purpose tag 0 */
	return DP_V_FWD;
}

/* First sight of |ssrc|: a trial context, kept only if the packet authenticates. */
static enum dp_verdict
rx_trial(struct ue_sess *s, unsigned int proto, uint32_t ssrc, uint8_t *buf, uint32_t *len,
	 struct ue_rx_stream **from)
{
	struct mikey_srtp_master m;
	struct ue_rx_stream *st;
	enum dp_verdict v;
	uint32_t guk = 0;

	if (s->n_rx == UE_RX_MAX)
		return DP_V_DROP_NOCTX;
	v = sender_master(s, proto, buf, *len, &m, &guk);
	if (v != DP_V_FWD)
		return v;
	st = &s->rx[s->n_rx];
	memset(st, 0, sizeof(*st));
	if (ctx_make(s, &st->ctx, &m, proto, DP_SRTP_DIR_UNPROTECT, ssrc) < 0)
		return DP_V_DROP_NOCTX;
	v = dp_srtp_process(st->ctx, buf, len, *len);
	if (v != DP_V_FWD) {
		dp_srtp_ctx_free(st->ctx);
		st->ctx = NULL;
		s->trials_failed++;
		return v;
	}
	st->proto = (uint8_t)proto;
	st->ssrc = ssrc;
	st->guk_id = guk;
	s->n_rx++;
	s->derived++;
	*from = st;
	return v;
}

enum dp_verdict
ue_sess_unprotect(struct ue_sess *s, unsigned int proto, uint8_t *buf, uint32_t *len,
		  struct ue_rx_stream **from)
{
	struct ue_rx_stream *st;
	enum dp_verdict v;
	uint32_t ssrc_off = proto == DP_SRTP_PROTO_RTP ? 8 : 4;

	*from = NULL;
	if (proto > DP_SRTP_PROTO_RTCP)
		return DP_V_DROP_MALFORMED;
	if (*len < ssrc_off + 4) {
		v = DP_V_DROP_SHORT;
		goto out;
	}
	if (s->expired) {		/* E.6: a key is not used past its expiry */
		v = DP_V_DROP_POLICY;
		goto out;
	}
	/* A receiver without RCCm3 sees the ROC as zero: the estimate decides. */
	if (s->ignore_roc && proto == DP_SRTP_PROTO_RTP && s->rcc_r != 0 &&
	    ((uint32_t)buf[2] << 8 | buf[3]) % s->rcc_r == 0 && *len >= 12 + DP_SRTP_RCC_ROC_LEN)
		memset(buf + *len - DP_SRTP_RCC_ROC_LEN, 0, DP_SRTP_RCC_ROC_LEN);
	st = rx_find(s, proto, be32(buf + ssrc_off));
	if (st == NULL) {
		v = rx_trial(s, proto, be32(buf + ssrc_off), buf, len, from);
		goto out;
	}
	v = dp_srtp_process(st->ctx, buf, len, *len);
	if (v == DP_V_FWD)
		*from = st;
out:
	s->verdict[proto][v < DP_V_COUNT ? v : DP_V_DROP_MALFORMED]++;
	return v;
}
