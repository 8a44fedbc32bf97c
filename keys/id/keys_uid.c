/* SPDX-License-Identifier: proprietary */
#include <string.h>

#include "keys_kdf.h"
#include "keys_uid.h"

size_t
keys_uid_uint(uint8_t out[8], uint64_t v)
{
	size_t n = 1, i;

	while (n < 8 && v >> (8 * n) != 0)
		n++;
	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return n;
}

int
keys_uid_derive(uint8_t uid[KEYS_UID_LEN], const char *uri, const char *kms_uri,
		uint64_t period_len, uint64_t period_offset, uint64_t period_no)
{
	uint8_t p3[8], p4[8], p5[8];
	struct keys_buf p[6];

	if (uid == NULL || uri == NULL || kms_uri == NULL || uri[0] == '\0' ||
	    kms_uri[0] == '\0')
		return -KEYS_E_ARG;
	/* F.2.1: P0 .. P5; keys_kdf_s_hash() refuses a Pi over 0xffff octets */
	p[0] = (struct keys_buf){ (const uint8_t *)KEYS_UID_P0, strlen(KEYS_UID_P0) };
	p[1] = (struct keys_buf){ (const uint8_t *)uri, strlen(uri) };
	p[2] = (struct keys_buf){ (const uint8_t *)kms_uri, strlen(kms_uri) };
	p[3] = (struct keys_buf){ p3, keys_uid_uint(p3, period_len) };
	p[4] = (struct keys_buf){ p4, keys_uid_uint(p4, period_offset) };
	p[5] = (struct keys_buf){ p5, keys_uid_uint(p5, period_no) };
	return keys_kdf_s_hash(uid, 0x00, p, 6);
}
