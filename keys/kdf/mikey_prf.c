/* SPDX-License-Identifier: proprietary */
#include <string.h>

#include <sodium.h>

#include "keys_kdf.h"
#include "mikey_prf.h"

#define PRF_BLOCK KEYS_SHA256_LEN	/* 256 bits: inkey pieces and P blocks */

/*
 * out ^= P(s, label, m), truncated to |out_len| (RFC 3830 §4.1.2).
 * |a| and |blk| are the caller's scratch, wiped by it.
 */
static int
prf_p_xor(uint8_t *out, size_t out_len, const uint8_t *s, size_t s_len, const uint8_t *label,
	  size_t label_len, uint8_t a[PRF_BLOCK], uint8_t blk[PRF_BLOCK])
{
	struct keys_buf msg[2] = { { label, label_len }, { label, label_len } };
	size_t off, i, take;
	int rc;

	/* A_1 = HMAC(s, A_0), A_0 = label */
	rc = keys_hmac_sha256_v(a, s, s_len, msg, 1);
	for (off = 0; rc == 0 && off < out_len; off += PRF_BLOCK) {
		/* HMAC(s, A_j || label) */
		msg[0] = (struct keys_buf){ a, PRF_BLOCK };
		rc = keys_hmac_sha256_v(blk, s, s_len, msg, 2);
		if (rc < 0)
			break;
		take = out_len - off < PRF_BLOCK ? out_len - off : PRF_BLOCK;
		for (i = 0; i < take; i++)
			out[off + i] ^= blk[i];
		if (off + PRF_BLOCK < out_len)	/* A_(j+1) = HMAC(s, A_j) */
			rc = keys_hmac_sha256_v(a, s, s_len, msg, 1);
	}
	return rc;
}

int
mikey_prf(uint8_t *out, size_t out_len, const uint8_t *inkey, size_t inkey_len,
	  const uint8_t *label, size_t label_len)
{
	uint8_t a[PRF_BLOCK], blk[PRF_BLOCK];
	size_t off, piece;
	int rc = 0;

	if (out == NULL || out_len == 0 || out_len > MIKEY_PRF_OUT_MAX || inkey == NULL ||
	    inkey_len == 0 || (label == NULL && label_len != 0))
		return -KEYS_E_ARG;
	memset(out, 0, out_len);
	/* s_1 .. s_n: 256-bit pieces of the inkey, the last possibly shorter */
	for (off = 0; rc == 0 && off < inkey_len; off += piece) {
		piece = inkey_len - off < PRF_BLOCK ? inkey_len - off : PRF_BLOCK;
		rc = prf_p_xor(out, out_len, inkey + off, piece, label, label_len, a, blk);
	}
	if (rc < 0)
		sodium_memzero(out, out_len);
	sodium_memzero(a, sizeof(a));
	sodium_memzero(blk, sizeof(blk));
	return rc;
}

int
mikey_label(uint8_t *label, size_t cap, size_t *len, uint32_t constant, uint8_t cs_id,
	    uint32_t csb_id, const uint8_t *rand, size_t rand_len)
{
	if (label == NULL || len == NULL || rand == NULL || rand_len == 0 ||
	    rand_len > MIKEY_RAND_MAX || cap < 9 + rand_len)
		return -KEYS_E_ARG;
	/* RFC 3830 §4.1.3: every integer big-endian (pitfall 10) */
	label[0] = (uint8_t)(constant >> 24);
	label[1] = (uint8_t)(constant >> 16);
	label[2] = (uint8_t)(constant >> 8);
	label[3] = (uint8_t)constant;
	label[4] = cs_id;
	label[5] = (uint8_t)(csb_id >> 24);
	label[6] = (uint8_t)(csb_id >> 16);
	label[7] = (uint8_t)(csb_id >> 8);
	label[8] = (uint8_t)csb_id;
	memcpy(label + 9, rand, rand_len);
	*len = 9 + rand_len;
	return 0;
}

int
mikey_derive(uint8_t *out, size_t out_len, const uint8_t *tgk, size_t tgk_len,
	     uint32_t constant, uint8_t cs_id, uint32_t csb_id, const uint8_t *rand,
	     size_t rand_len)
{
	uint8_t label[MIKEY_LABEL_MAX];
	size_t label_len;
	int rc;

	rc = mikey_label(label, sizeof(label), &label_len, constant, cs_id, csb_id, rand,
			 rand_len);
	if (rc < 0)
		return rc;
	return mikey_prf(out, out_len, tgk, tgk_len, label, label_len);
}
