/* SPDX-License-Identifier: proprietary */
#include <sodium.h>

#include "mikey_prf.h"
#include "mikey_srtp_keys.h"

void
mikey_srtp_master_wipe(struct mikey_srtp_master *m)
{
	if (m != NULL)
		sodium_memzero(m, sizeof(*m));
}

int
mikey_srtp_master(struct mikey_srtp_master *m, const uint8_t *tgk, size_t tgk_len,
		  uint8_t cs_id, uint32_t csb_id, const uint8_t *rand, size_t rand_len,
		  size_t salt_len)
{
	int rc;

	if (m == NULL)
		return -KEYS_E_ARG;
	mikey_srtp_master_wipe(m);
	if (salt_len != MIKEY_SRTP_SALT_GCM_LEN && salt_len != MIKEY_SRTP_SALT_CM_LEN)
		return -KEYS_E_ARG;
	/* RFC 3830 §4.1.3: TEK → master key, salting key → master salt */
	rc = mikey_derive(m->key, sizeof(m->key), tgk, tgk_len, MIKEY_C_TEK, cs_id, csb_id, rand,
			  rand_len);
	if (rc < 0)
		goto out;
	rc = mikey_derive(m->salt, salt_len, tgk, tgk_len, MIKEY_C_SALT, cs_id, csb_id, rand,
			  rand_len);
	if (rc < 0)
		goto out;
	m->salt_len = (uint8_t)salt_len;
out:
	if (rc < 0)
		mikey_srtp_master_wipe(m);
	return rc;
}

int
mikey_mcptt_pck(struct mikey_srtp_master *m, const uint8_t pck[KEYS_KEY_LEN], uint32_t pck_id,
		const uint8_t *rand, size_t rand_len, enum mikey_pck_dir dir, size_t salt_len)
{
	uint8_t cs;
	int rc;

	if (m == NULL || (dir != MIKEY_PCK_FROM_INITIATOR && dir != MIKEY_PCK_FROM_RECEIVER))
		return -KEYS_E_ARG;
	if (keys_id_purpose(pck_id) != KEYS_PURPOSE_PCK)
		return -KEYS_E_RANGE;
	cs = dir == MIKEY_PCK_FROM_INITIATOR ? MIKEY_CS_MCPTT_PCK_INIT : MIKEY_CS_MCPTT_PCK_RECV;
	rc = mikey_srtp_master(m, pck, KEYS_KEY_LEN, cs, pck_id, rand, rand_len, salt_len);
	if (rc < 0)
		return rc;
	keys_mki_key(m->mki, pck_id);	/* 33.180 §7.4.1: MKI = PCK-ID */
	m->mki_len = KEYS_MKI_KEY_LEN;
	return 0;
}

int
mikey_mcptt_gmk(struct mikey_srtp_master *m, const uint8_t gmk[KEYS_KEY_LEN], uint32_t gmk_id,
		uint32_t sender_guk_id, const uint8_t *rand, size_t rand_len, size_t salt_len)
{
	int rc;

	if (m == NULL)
		return -KEYS_E_ARG;
	if (keys_id_purpose(gmk_id) != KEYS_PURPOSE_GMK ||
	    keys_id_purpose(sender_guk_id) != KEYS_PURPOSE_GMK)
		return -KEYS_E_RANGE;
	/* 33.180 §7.4.2: each sender keys with its own GUK-ID as CSB ID */
	rc = mikey_srtp_master(m, gmk, KEYS_KEY_LEN, MIKEY_CS_MCPTT_GROUP, sender_guk_id, rand,
			       rand_len, salt_len);
	if (rc < 0)
		return rc;
	keys_mki_group(m->mki, gmk_id, sender_guk_id);
	m->mki_len = KEYS_MKI_GROUP_LEN;
	return 0;
}

int
mikey_mcptt_csk(struct mikey_srtp_master *m, const uint8_t csk[KEYS_KEY_LEN], uint32_t csk_id,
		const uint8_t *rand, size_t rand_len, size_t salt_len)
{
	int rc;

	if (m == NULL)
		return -KEYS_E_ARG;
	if (keys_id_purpose(csk_id) != KEYS_PURPOSE_CSK)
		return -KEYS_E_RANGE;
	rc = mikey_srtp_master(m, csk, KEYS_KEY_LEN, MIKEY_CS_MCPTT_CSK, csk_id, rand, rand_len,
			       salt_len);
	if (rc < 0)
		return rc;
	keys_mki_key(m->mki, csk_id);
	m->mki_len = KEYS_MKI_KEY_LEN;
	return 0;
}
