/* SPDX-License-Identifier: proprietary */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "keys_kdf.h"

/* A name OSSL_PARAM may point at without casting a literal's const away. */
static char sha256_name[] = "SHA256";

static int
parts_ok(const struct keys_buf *parts, size_t n)
{
	size_t i;

	if (parts == NULL && n != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (parts[i].p == NULL && parts[i].len != 0)
			return 0;
	return 1;
}

int
keys_hmac_sha256_v(uint8_t out[KEYS_SHA256_LEN], const uint8_t *key, size_t key_len,
		   const struct keys_buf *parts, size_t n)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac = NULL;
	size_t i, olen = 0;
	int rc = -KEYS_E_CRYPTO;

	if (out == NULL || key == NULL || key_len == 0 || !parts_ok(parts, n))
		return -KEYS_E_ARG;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha256_name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, key_len, params) != 1)
		goto out;
	for (i = 0; i < n; i++)
		if (parts[i].len != 0 && EVP_MAC_update(ctx, parts[i].p, parts[i].len) != 1)
			goto out;
	if (EVP_MAC_final(ctx, out, &olen, KEYS_SHA256_LEN) != 1 || olen != KEYS_SHA256_LEN)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		sodium_memzero(out, KEYS_SHA256_LEN);
	EVP_MAC_CTX_free(ctx);	/* OpenSSL cleanses the keyed state */
	EVP_MAC_free(mac);
	return rc;
}

int
keys_sha256_v(uint8_t out[KEYS_SHA256_LEN], const struct keys_buf *parts, size_t n)
{
	EVP_MD_CTX *ctx;
	unsigned int olen = 0;
	size_t i;
	int rc = -KEYS_E_CRYPTO;

	if (out == NULL || !parts_ok(parts, n))
		return -KEYS_E_ARG;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return -KEYS_E_CRYPTO;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	for (i = 0; i < n; i++)
		if (parts[i].len != 0 && EVP_DigestUpdate(ctx, parts[i].p, parts[i].len) != 1)
			goto out;
	if (EVP_DigestFinal_ex(ctx, out, &olen) != 1 || olen != KEYS_SHA256_LEN)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/*
 * Lay S = FC || P0 || L0 || ... out as a list of parts (TS 33.220 Annex B.2),
 * the Li written into |lens|. Returns the number of parts, or 0 on bad input.
 */
static size_t
s_parts(struct keys_buf parts[1 + 2 * KEYS_KDF_MAX_PARAMS], uint8_t lens[KEYS_KDF_MAX_PARAMS][2],
	const uint8_t *fc, const struct keys_buf *params, size_t n)
{
	size_t i, k = 0;

	if (n == 0 || n > KEYS_KDF_MAX_PARAMS || !parts_ok(params, n))
		return 0;
	parts[k++] = (struct keys_buf){ fc, 1 };
	for (i = 0; i < n; i++) {
		if (params[i].len > KEYS_KDF_PARAM_MAX)
			return 0;
		lens[i][0] = (uint8_t)(params[i].len >> 8);
		lens[i][1] = (uint8_t)params[i].len;
		parts[k++] = params[i];
		parts[k++] = (struct keys_buf){ lens[i], 2 };
	}
	return k;
}

int
keys_kdf(uint8_t out[KEYS_KDF_OUT_LEN], const uint8_t *key, size_t key_len, uint8_t fc,
	 const struct keys_buf *params, size_t n)
{
	struct keys_buf parts[1 + 2 * KEYS_KDF_MAX_PARAMS];
	uint8_t lens[KEYS_KDF_MAX_PARAMS][2];
	size_t k = s_parts(parts, lens, &fc, params, n);

	if (k == 0)
		return -KEYS_E_ARG;
	return keys_hmac_sha256_v(out, key, key_len, parts, k);
}

int
keys_kdf_s_hash(uint8_t out[KEYS_SHA256_LEN], uint8_t fc, const struct keys_buf *params,
		size_t n)
{
	struct keys_buf parts[1 + 2 * KEYS_KDF_MAX_PARAMS];
	uint8_t lens[KEYS_KDF_MAX_PARAMS][2];
	size_t k = s_parts(parts, lens, &fc, params, n);

	if (k == 0)
		return -KEYS_E_ARG;
	return keys_sha256_v(out, parts, k);
}

int
keys_guk_salt(uint32_t *salt, const uint8_t gmk[KEYS_KEY_LEN], const char *user_uri)
{
	uint8_t h[KEYS_KDF_OUT_LEN];
	struct keys_buf p0;
	int rc;

	if (salt == NULL || gmk == NULL || user_uri == NULL || user_uri[0] == '\0')
		return -KEYS_E_ARG;
	p0 = (struct keys_buf){ (const uint8_t *)user_uri, strlen(user_uri) };
	/* 33.180 F.1.3: S = 0x50 || MC Service user ID || length */
	rc = keys_kdf(h, gmk, KEYS_KEY_LEN, KEYS_FC_USER_SALT, &p0, 1);
	if (rc < 0)
		goto out;
	/* the 28 least significant bits of the 256-bit output */
	*salt = ((uint32_t)h[28] << 24 | (uint32_t)h[29] << 16 | (uint32_t)h[30] << 8 | h[31]) &
		0x0fffffffu;
out:
	sodium_memzero(h, sizeof(h));
	return rc;
}

int
keys_guk_id(uint32_t *guk_id, uint32_t gmk_id, const uint8_t gmk[KEYS_KEY_LEN],
	    const char *user_uri)
{
	uint32_t salt;
	int rc;

	if (guk_id == NULL)
		return -KEYS_E_ARG;
	rc = keys_guk_salt(&salt, gmk, user_uri);
	if (rc < 0)
		return rc;
	/* digest §3.3: the purpose tag stays, the 28 low bits take the salt */
	*guk_id = (gmk_id & 0xf0000000u) | ((gmk_id ^ salt) & 0x0fffffffu);
	return 0;
}

int
keys_gmk_id_from_guk(uint32_t *gmk_id, uint32_t guk_id, const uint8_t gmk[KEYS_KEY_LEN],
		     const char *user_uri)
{
	return keys_guk_id(gmk_id, guk_id, gmk, user_uri);
}

int
keys_dpck(uint8_t dpck[KEYS_DPCK_LEN], const uint8_t key[KEYS_KEY_LEN], uint32_t dppk_id)
{
	uint8_t h[KEYS_KDF_OUT_LEN], id[4];
	struct keys_buf p0 = { id, sizeof(id) };
	int rc;

	if (dpck == NULL || key == NULL)
		return -KEYS_E_ARG;
	id[0] = (uint8_t)(dppk_id >> 24);
	id[1] = (uint8_t)(dppk_id >> 16);
	id[2] = (uint8_t)(dppk_id >> 8);
	id[3] = (uint8_t)dppk_id;
	/* 33.180 F.1.5: S = 0x53 || DPPK-ID || 0x0004 */
	rc = keys_kdf(h, key, KEYS_KEY_LEN, KEYS_FC_DPCK, &p0, 1);
	if (rc < 0)
		goto out;
	/* the 128 least significant bits */
	memcpy(dpck, h + KEYS_KDF_OUT_LEN - KEYS_DPCK_LEN, KEYS_DPCK_LEN);
out:
	sodium_memzero(h, sizeof(h));
	return rc;
}
