/* SPDX-License-Identifier: proprietary */
#include <sodium.h>

#include "keys_keyid.h"

unsigned int
keys_id_purpose(uint32_t id)
{
	return id >> KEYS_ID_TAG_SHIFT;
}

int
keys_id_make(uint32_t *id, unsigned int purpose, uint32_t random28)
{
	if (id == NULL || purpose > KEYS_PURPOSE_MAX || random28 > KEYS_ID_RANDOM_MASK)
		return -KEYS_E_ARG;
	*id = (uint32_t)purpose << KEYS_ID_TAG_SHIFT | random28;
	return 0;
}

int
keys_id_new(uint32_t *id, unsigned int purpose)
{
	/* 33.180 §5.2.2: 28 random bits under the purpose tag */
	return keys_id_make(id, purpose, randombytes_random() & KEYS_ID_RANDOM_MASK);
}

void
keys_id_put(uint8_t out[KEYS_ID_LEN], uint32_t id)
{
	out[0] = (uint8_t)(id >> 24);
	out[1] = (uint8_t)(id >> 16);
	out[2] = (uint8_t)(id >> 8);
	out[3] = (uint8_t)id;
}

uint32_t
keys_id_get(const uint8_t in[KEYS_ID_LEN])
{
	return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

void
keys_mki_key(uint8_t mki[KEYS_MKI_KEY_LEN], uint32_t key_id)
{
	keys_id_put(mki, key_id);
}

void
keys_mki_group(uint8_t mki[KEYS_MKI_GROUP_LEN], uint32_t gmk_id, uint32_t guk_id)
{
	keys_id_put(mki, gmk_id);
	keys_id_put(mki + KEYS_ID_LEN, guk_id);
}

int
keys_mki_parse(struct keys_mki *m, const uint8_t *mki, size_t len)
{
	uint32_t a, b = 0;

	if (m == NULL || mki == NULL)
		return -KEYS_E_ARG;
	if (len != KEYS_MKI_KEY_LEN && len != KEYS_MKI_GROUP_LEN)
		return -KEYS_E_PARSE;
	a = keys_id_get(mki);
	if (len == KEYS_MKI_GROUP_LEN) {
		/* digest §5.1: GMK-ID || GUK-ID, the GUK-ID keeping tag 0 */
		b = keys_id_get(mki + KEYS_ID_LEN);
		if (keys_id_purpose(a) != KEYS_PURPOSE_GMK ||
		    keys_id_purpose(b) != KEYS_PURPOSE_GMK)
			return -KEYS_E_PARSE;
	} else if (keys_id_purpose(a) == KEYS_PURPOSE_GMK) {
		return -KEYS_E_PARSE;
	}
	m->key_id = a;
	m->guk_id = b;
	m->len = (uint8_t)len;
	return 0;
}
