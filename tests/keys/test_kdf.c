/* SPDX-License-Identifier: proprietary */
/*
 * TS 33.220 Annex B KDF, the FC 0x53 DPCK and the E.6 key-parameters
 * protection (spec/3gpp-mc-security.md §3.4, §4.9). No published vector
 * exists in tests/vectors for these: the KDF and DPCK are checked against
 * HMAC computed here over S built by hand from the clause, the protection
 * against AES-GCM run here from the digest's layout.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "keys_kdf.h"
#include "keys_keyparams.h"

static void
suite_init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(keys_kdf, .init = suite_init);

static const uint8_t key16[KEYS_KEY_LEN] = { 0x07, 0xd1, 0xa1, 0x67, 0x7a, 0xc3, 0x6d, 0x8e,
					     0x81, 0x62, 0x04, 0x84, 0x68, 0x9b, 0x3c, 0x2d };

Test(keys_kdf, annex_b_string)
{
	const uint8_t p0[] = { 'a', 'b', 'c' }, p1[] = { 0x11, 0x22 };
	/* S = FC || P0 || L0 || P1 || L1 || P2 (empty) || L2 */
	const uint8_t s[] = { 0x51, 'a', 'b', 'c', 0x00, 0x03, 0x11, 0x22, 0x00, 0x02, 0x00, 0x00 };
	struct keys_buf p[3] = { { p0, 3 }, { p1, 2 }, { NULL, 0 } };
	uint8_t got[32], want[32];
	unsigned int l;

	cr_assert_eq(keys_kdf(got, key16, sizeof(key16), 0x51, p, 3), 0);
	HMAC(EVP_sha256(), key16, sizeof(key16), s, sizeof(s), want, &l);
	cr_assert_arr_eq(got, want, 32);
	cr_assert_eq(keys_kdf_s_hash(got, 0x51, p, 3), 0);
	SHA256(s, sizeof(s), want);
	cr_assert_arr_eq(got, want, 32);
	cr_assert_eq(keys_kdf(got, key16, sizeof(key16), 0x51, p, 0), -KEYS_E_ARG);
	cr_assert_eq(keys_kdf(got, key16, sizeof(key16), 0x51, p, KEYS_KDF_MAX_PARAMS + 1),
		     -KEYS_E_ARG);
	cr_assert_eq(keys_kdf(got, key16, 0, 0x51, p, 1), -KEYS_E_ARG);
	p[0].len = KEYS_KDF_PARAM_MAX + 1;
	cr_assert_eq(keys_kdf(got, key16, sizeof(key16), 0x51, p, 1), -KEYS_E_ARG);
}

Test(keys_kdf, dpck_is_128_lsb)
{
	const uint8_t s[] = { 0x53, 0x0d, 0xf9, 0xbc, 0x39, 0x00, 0x04 };
	uint8_t got[16], h[32];
	unsigned int l;

	cr_assert_eq(keys_dpck(got, key16, 0x0df9bc39), 0);
	HMAC(EVP_sha256(), key16, sizeof(key16), s, sizeof(s), h, &l);
	cr_assert_arr_eq(got, h + 16, 16);
}

/* Independent AES-128-GCM open, 16-octet nonce, AAD = first 32 octets (digest §4.9). */
static int
ref_open(const uint8_t *in, size_t in_len, uint32_t dppk_id, uint8_t *pt)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	size_t n = in_len - 51;
	uint8_t k[16], tag[16];
	int l, ok;

	cr_assert_eq(keys_dpck(k, key16, dppk_id), 0);
	memcpy(tag, in + 35 + n, 16);
	ok = EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 16, NULL) == 1 &&
	     EVP_DecryptInit_ex(c, NULL, NULL, k, in + 12) == 1 &&
	     EVP_DecryptUpdate(c, NULL, &l, in, 32) == 1 &&
	     EVP_DecryptUpdate(c, pt, &l, in + 35, (int)n) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1 &&
	     EVP_DecryptFinal_ex(c, pt + n, &l) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

Test(keys_kdf, keyparams_layout_and_round_trip)
{
	/* a GMK Key Parameters content: type, status, activation, expiry, text, groups */
	const uint8_t pt[] = { 0x00, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			       0x00, 0x00, 0x00, 0x01, 0x00 };
	uint8_t iv[16], out[128], back[64], ref[64];
	size_t out_len, back_len;

	memset(iv, 0xa5, sizeof(iv));
	cr_assert_eq(keys_keyparams_protect(out, sizeof(out), &out_len, key16, 0x06a12aea, iv,
					    pt, sizeof(pt)), 0);
	cr_assert_eq(out_len, sizeof(pt) + KEYS_KP_OVERHEAD);
	cr_assert_eq(out[0], 0x43);
	cr_assert_eq(out[5], 0x01);
	cr_assert_eq(out[11], 0x01);
	cr_assert_arr_eq(out + 12, iv, 16);
	cr_assert_eq(out[28], 0x06);
	cr_assert_eq(out[31], 0xea);
	cr_assert_eq(out[33] << 8 | out[34], (int)sizeof(pt) + 16);
	cr_assert(ref_open(out, out_len, 0x06a12aea, ref));
	cr_assert_arr_eq(ref, pt, sizeof(pt));
	cr_assert_eq(keys_keyparams_unprotect(back, sizeof(back), &back_len, key16, 0x06a12aea,
					      out, out_len), 0);
	cr_assert_eq(back_len, sizeof(pt));
	cr_assert_arr_eq(back, pt, sizeof(pt));
	/* the plaintext must fit; a random IV differs per call */
	cr_assert_eq(keys_keyparams_unprotect(back, sizeof(pt) - 1, &back_len, key16, 0x06a12aea,
					      out, out_len), -KEYS_E_ARG);
	cr_assert_eq(keys_keyparams_protect(back, sizeof(back), &back_len, key16, 1, NULL, pt, 4),
		     0);
	cr_assert_eq(keys_keyparams_protect(out, sizeof(out), &out_len, key16, 1, NULL, pt, 4), 0);
	cr_assert_arr_neq(out + 12, back + 12, 16);
	cr_assert_eq(keys_keyparams_protect(out, 4 + KEYS_KP_OVERHEAD - 1, &out_len, key16, 1,
					    NULL, pt, 4), -KEYS_E_ARG);
}

/* Every octet flipped: the exact code for its field; IEI alone is not authenticated. */
Test(keys_kdf, keyparams_every_byte)
{
	const uint8_t pt[] = { 0x01, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t out[128], back[64], zero[64] = { 0 };
	size_t out_len, back_len, i;

	cr_assert_eq(keys_keyparams_protect(out, sizeof(out), &out_len, key16, 0x16992638, NULL,
					    pt, sizeof(pt)), 0);
	for (i = 0; i < out_len; i++) {
		int want, rc;

		if (i == 0 || i == 11 || i == 33 || i == 34)
			want = -KEYS_E_PARSE;	/* type, algorithm, length */
		else if (i == 32)
			want = 0;		/* IEI */
		else
			want = -KEYS_E_VERIFY;	/* AAD, DPPK-ID, ciphertext, tag */
		out[i] ^= 0x01;
		memset(back, 0xee, sizeof(back));
		rc = keys_keyparams_unprotect(back, sizeof(back), &back_len, key16, 0x16992638,
					      out, out_len);
		cr_assert_eq(rc, want, "octet %zu: rc %d", i, rc);
		if (rc < 0)
			cr_assert_arr_eq(back, zero, sizeof(back), "octet %zu leaked", i);
		out[i] ^= 0x01;
	}
	/* truncated at every length */
	for (i = 0; i < out_len; i++)
		cr_assert_eq(keys_keyparams_unprotect(back, sizeof(back), &back_len, key16,
						      0x16992638, out, i), -KEYS_E_PARSE,
			     "length %zu", i);
	/* another key, or a DPPK-ID other than the CSB ID */
	cr_assert_eq(keys_keyparams_unprotect(back, sizeof(back), &back_len, zero, 0x16992638,
					      out, out_len), -KEYS_E_VERIFY);
	cr_assert_eq(keys_keyparams_unprotect(back, sizeof(back), &back_len, key16, 0x16992639,
					      out, out_len), -KEYS_E_VERIFY);
}
