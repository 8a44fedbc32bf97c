/* SPDX-License-Identifier: proprietary */
#include <string.h>

#include "keys_keyid.h"
#include "mikey_profile.h"

enum mikey_profile_src
mikey_profile_default(struct mikey_srtp_profile *p, unsigned int purpose)
{
	memset(p, 0, sizeof(*p));
	p->enc_alg = MIKEY_ENC_AES_GCM;
	p->enc_key_len = 16;
	p->salt_len = 12;
	p->prf = MIKEY_SRTP_PRF_AES_CM;
	p->kdr = 0;
	p->aead_tag_len = 16;
	if (purpose != KEYS_PURPOSE_GMK)
		return MIKEY_PROFILE_TABLE_E3_1;	/* 33.179 Table E.3-1 */
	/* 33.179 Table E.2-1: RCCm3, ROC in every packet, 4-octet SRTP tag */
	p->auth_alg = MIKEY_AUTH_RCCM3;
	p->roc_rate = 1;
	p->rtp_tag_len = 4;
	p->rtcp_tag_len = 0;
	return MIKEY_PROFILE_TABLE_E2_1;
}

/* A big-endian value of 1..2 octets. */
static uint16_t
val16(const struct mikey_sp_param *pp)
{
	return pp->len == 1 ? pp->val[0] : (uint16_t)(pp->val[0] << 8 | pp->val[1]);
}

static bool
apply(struct mikey_srtp_profile *p, const struct mikey_sp_param *pp)
{
	if (pp->len != 1 && !(pp->type == MIKEY_SP_ROC_RATE && pp->len == 2))
		return false;
	switch (pp->type) {
	case MIKEY_SP_ENC_ALG:
		p->enc_alg = pp->val[0];
		return p->enc_alg == MIKEY_ENC_AES_GCM;
	case MIKEY_SP_ENC_KEY_LEN:
		p->enc_key_len = pp->val[0];
		return p->enc_key_len == 16;
	case MIKEY_SP_AUTH_ALG:
	case MIKEY_SP_SRTP_AUTH_ALG:
		p->auth_alg = pp->val[0];
		return p->auth_alg == MIKEY_AUTH_NULL || p->auth_alg == MIKEY_AUTH_RCCM3;
	case MIKEY_SP_SALT_LEN:
		p->salt_len = pp->val[0];
		return p->salt_len == 12;
	case MIKEY_SP_PRF:
		p->prf = pp->val[0];
		return p->prf == MIKEY_SRTP_PRF_AES_CM;
	case MIKEY_SP_KDR:
		p->kdr = pp->val[0];
		return p->kdr == 0;
	case MIKEY_SP_ROC_RATE:
		p->roc_rate = val16(pp);
		return p->roc_rate != 0;
	case MIKEY_SP_SRTP_TAG_LEN:
		p->rtp_tag_len = pp->val[0];
		return true;
	case MIKEY_SP_SRTCP_TAG_LEN:
		p->rtcp_tag_len = pp->val[0];
		return true;
	case MIKEY_SP_AEAD_TAG_LEN:
		p->aead_tag_len = pp->val[0];
		return p->aead_tag_len == 16;
	case MIKEY_SP_SRTP_ENC:
	case MIKEY_SP_SRTCP_ENC:
	case MIKEY_SP_SRTP_AUTH:
		return pp->val[0] <= 1;
	default:
		return pp->type <= MIKEY_SP_TYPE_MAX;	/* known, not used by GCM */
	}
}

static int
from_sp(struct mikey_srtp_profile *p, const struct mikey_sp *sp, unsigned int purpose,
	enum mikey_reject *why)
{
	bool has_r = false;
	unsigned int i;

	(void)mikey_profile_default(p, purpose);
	p->roc_rate = 0;
	for (i = 0; i < sp->n_params; i++) {
		if (!apply(p, &sp->params[i])) {
			*why = MIKEY_REJECT_BAD_SP;
			return -KEYS_E_PARSE;
		}
		has_r |= sp->params[i].type == MIKEY_SP_ROC_RATE;
	}
	if (p->auth_alg == MIKEY_AUTH_RCCM3 && !has_r)
		p->roc_rate = 1;		/* RFC 4771 default */
	if (p->auth_alg != MIKEY_AUTH_RCCM3)
		p->roc_rate = 0;
	return 0;
}

int
mikey_profile_resolve(struct mikey_srtp_profile *p, enum mikey_profile_src *src,
		      const struct mikey_msg *m, unsigned int purpose, uint8_t cs_id,
		      enum mikey_reject *why)
{
	enum mikey_reject dummy;
	const struct mikey_sp *sp = NULL;
	const struct mikey_cs *cs;
	enum mikey_profile_src s;

	if (p == NULL || m == NULL)
		return -KEYS_E_ARG;
	if (why == NULL)
		why = &dummy;
	*why = MIKEY_REJECT_NONE;
	cs = mikey_msg_cs(m, cs_id);
	if (cs != NULL && cs->n_pol != 0)
		sp = mikey_msg_sp(m, cs->pol[0]);
	else if (m->hdr.n_cs == 0 && m->n_sp != 0)
		sp = &m->sp[0];
	if (sp == NULL) {
		s = mikey_profile_default(p, purpose);
	} else {
		s = MIKEY_PROFILE_SP;
		if (from_sp(p, sp, purpose, why) < 0)
			return -KEYS_E_PARSE;
	}
	if (src != NULL)
		*src = s;
	return 0;
}

/* 33.179 Table E.2-1 values, in table order (type 13 at index 6). */
static const uint8_t e21_types[] = { 0, 1, 2, 4, 5, 6, 13, 18, 19, 20 };
static const uint8_t e21_vals[][2] = {
	{ 6 }, { 16 }, { 4 }, { 12 }, { 0 }, { 0 }, { 0, 1 }, { 4 }, { 0 }, { 16 },
};

void
mikey_sp_table_e21(struct mikey_sp *sp, uint8_t policy_no, bool with_roc_rate)
{
	unsigned int i;

	memset(sp, 0, sizeof(*sp));
	sp->policy_no = policy_no;
	sp->prot_type = MIKEY_PROT_SRTP;
	for (i = 0; i < sizeof(e21_types); i++) {
		struct mikey_sp_param *pp;

		if (e21_types[i] == MIKEY_SP_ROC_RATE && !with_roc_rate)
			continue;
		pp = &sp->params[sp->n_params++];
		pp->type = e21_types[i];
		pp->len = e21_types[i] == MIKEY_SP_ROC_RATE ? 2 : 1;
		pp->val = e21_types[i] == MIKEY_SP_ROC_RATE ? e21_vals[i] : &e21_vals[i][0];
	}
}
