/* SPDX-License-Identifier: proprietary */
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "keys_keyid.h"
#include "keys_keyparams.h"

#define OFF_IV KEYS_KP_HDR_LEN
#define OFF_DPPK (OFF_IV + KEYS_KP_IV_LEN)
#define OFF_IEI KEYS_KP_AAD_LEN
#define OFF_CT (OFF_IEI + 3)

/* AES-128-GCM with a 16-octet nonce (digest §4.9); |enc| 1 seals, 0 opens. */
static int
gcm(int enc, const uint8_t k[KEYS_DPCK_LEN], const uint8_t *aad, const uint8_t *in,
    size_t len, uint8_t *out, uint8_t tag[KEYS_KP_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	const uint8_t *iv = aad + OFF_IV;
	int n = 0, rc = -KEYS_E_CRYPTO;

	if (ctx == NULL)
		return -KEYS_E_CRYPTO;
	if (EVP_CipherInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, KEYS_KP_IV_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, k, iv, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &n, aad, KEYS_KP_AAD_LEN) != 1)
		goto out;
	if (len != 0 && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, KEYS_KP_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + len, &n) != 1) {
		/* on open, OpenSSL's constant-time tag compare failed */
		rc = enc ? -KEYS_E_CRYPTO : -KEYS_E_VERIFY;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, KEYS_KP_TAG_LEN, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int
keys_keyparams_protect(uint8_t *out, size_t cap, size_t *out_len,
		       const uint8_t key[KEYS_KEY_LEN], uint32_t dppk_id,
		       const uint8_t iv[KEYS_KP_IV_LEN], const uint8_t *pt, size_t pt_len)
{
	static const uint8_t hdr[KEYS_KP_HDR_LEN] = {
		KEYS_KP_MSG_TYPE, 0, 0, 0, 0, 1,	/* type, date/time */
		0, 0, 0, 0, 0,				/* payload ID, sequence */
		KEYS_KP_ALG_AES_128_GCM
	};
	uint8_t dpck[KEYS_DPCK_LEN];
	size_t len = pt_len + KEYS_KP_TAG_LEN;
	int rc;

	if (out == NULL || out_len == NULL || key == NULL || (pt == NULL && pt_len != 0) ||
	    pt_len > KEYS_KP_PT_MAX || cap < pt_len + KEYS_KP_OVERHEAD)
		return -KEYS_E_ARG;
	memcpy(out, hdr, sizeof(hdr));
	if (iv != NULL)
		memcpy(out + OFF_IV, iv, KEYS_KP_IV_LEN);
	else
		randombytes_buf(out + OFF_IV, KEYS_KP_IV_LEN);
	keys_id_put(out + OFF_DPPK, dppk_id);	/* DPPK-ID = CSB ID (E.6.1) */
	out[OFF_IEI] = 0x00;
	out[OFF_IEI + 1] = (uint8_t)(len >> 8);
	out[OFF_IEI + 2] = (uint8_t)len;
	rc = keys_dpck(dpck, key, dppk_id);
	if (rc < 0)
		goto out;
	rc = gcm(1, dpck, out, pt, pt_len, out + OFF_CT, out + OFF_CT + pt_len);
	if (rc < 0)
		goto out;
	*out_len = pt_len + KEYS_KP_OVERHEAD;
out:
	sodium_memzero(dpck, sizeof(dpck));
	return rc;
}

int
keys_keyparams_unprotect(uint8_t *pt, size_t cap, size_t *pt_len,
			 const uint8_t key[KEYS_KEY_LEN], uint32_t dppk_id, const uint8_t *in,
			 size_t in_len)
{
	uint8_t dpck[KEYS_DPCK_LEN], tag[KEYS_KP_TAG_LEN];
	size_t len, n;
	int rc;

	if (pt == NULL || pt_len == NULL || key == NULL || in == NULL)
		return -KEYS_E_ARG;
	sodium_memzero(pt, cap);
	if (in_len < KEYS_KP_OVERHEAD || in[0] != KEYS_KP_MSG_TYPE ||
	    in[KEYS_KP_HDR_LEN - 1] != KEYS_KP_ALG_AES_128_GCM)
		return -KEYS_E_PARSE;
	/* the TLV-E must fill the rest exactly and hold at least the tag */
	len = (size_t)in[OFF_IEI + 1] << 8 | in[OFF_IEI + 2];
	if (len != in_len - OFF_CT)
		return -KEYS_E_PARSE;
	n = len - KEYS_KP_TAG_LEN;
	if (cap < n)
		return -KEYS_E_ARG;
	if (keys_id_get(in + OFF_DPPK) != dppk_id)
		return -KEYS_E_VERIFY;
	memcpy(tag, in + OFF_CT + n, KEYS_KP_TAG_LEN);
	rc = keys_dpck(dpck, key, dppk_id);
	if (rc < 0)
		goto out;
	rc = gcm(0, dpck, in, in + OFF_CT, n, pt, tag);
	if (rc < 0)
		goto out;
	*pt_len = n;
out:
	if (rc < 0)
		sodium_memzero(pt, cap);
	sodium_memzero(dpck, sizeof(dpck));
	return rc;
}
