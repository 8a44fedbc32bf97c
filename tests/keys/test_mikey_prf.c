/* SPDX-License-Identifier: proprietary */
/*
 * MIKEY PRF (RFC 3830 §4.1.2 with PRF-HMAC-SHA-256, RFC 6043 §6.1), the
 * RFC 3830 §4.1.3 keys and the TS 33.180 §7.4 SRTP master keys, against
 * tests/vectors/mikey-prf-rfc3830-rfc6043.json and an in-test reference of
 * the P-function written from the RFC text for the multi-block cases no
 * vector covers.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "keys_keyid.h"
#include "mikey_prf.h"
#include "mikey_srtp_keys.h"
#include "tvec.h"

#define VEC_FILE "mikey-prf-rfc3830-rfc6043.json"

static void
suite_init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(keys_mikey_prf, .init = suite_init);

struct vin {
	uint8_t tgk[64];
	size_t tgk_len;
	uint8_t cs_id;
	uint32_t csb_id;
	uint8_t rand[MIKEY_RAND_MAX];
	size_t rand_len;
};

static void
load_in(json_t *v, struct vin *in)
{
	long n;

	n = tvec_unhex(tvec_str(v, "tgk"), in->tgk, sizeof(in->tgk));
	cr_assert_gt(n, 0);
	in->tgk_len = (size_t)n;
	n = tvec_unhex(tvec_str(v, "rand"), in->rand, sizeof(in->rand));
	cr_assert_gt(n, 0);
	in->rand_len = (size_t)n;
	in->cs_id = (uint8_t)tvec_uint(v, "cs_id_u8");
	in->csb_id = (uint32_t)tvec_uint(v, "csb_id_u32");
}

/* Check |field| of |v|, if present, against mikey_derive(constant); 1 if checked. */
static int
check_key(json_t *v, const char *field, const struct vin *in, uint32_t constant)
{
	uint8_t want[64], got[64];
	long n;

	if (json_object_get(v, field) == NULL)
		return 0;
	n = tvec_unhex(tvec_str(v, field), want, sizeof(want));
	cr_assert_gt(n, 0);
	cr_assert_eq(mikey_derive(got, (size_t)n, in->tgk, in->tgk_len, constant, in->cs_id,
				  in->csb_id, in->rand, in->rand_len), 0);
	cr_assert_arr_eq(got, want, (size_t)n, "%s: %s", tvec_str(v, "name"), field);
	return 1;
}

static int
check_label(json_t *v, const char *field, const struct vin *in, uint32_t constant)
{
	uint8_t want[MIKEY_LABEL_MAX], got[MIKEY_LABEL_MAX];
	size_t len;
	long n;

	if (json_object_get(v, field) == NULL)
		return 0;
	n = tvec_unhex(tvec_str(v, field), want, sizeof(want));
	cr_assert_gt(n, 0);
	cr_assert_eq(mikey_label(got, sizeof(got), &len, constant, in->cs_id, in->csb_id,
				 in->rand, in->rand_len), 0);
	cr_assert_eq(len, (size_t)n);
	cr_assert_arr_eq(got, want, len, "%s: %s", tvec_str(v, "name"), field);
	return 1;
}

Test(keys_mikey_prf, vectors)
{
	json_t *root = tvec_load(VEC_FILE), *v;
	unsigned int checks = 0, nvec = 0;
	size_t i;

	json_array_foreach(json_object_get(root, "vectors"), i, v) {
		struct vin in;
		int c = 0;

		load_in(v, &in);
		c += check_key(v, "tek_srtp_master_key_16_octets", &in, MIKEY_C_TEK);
		c += check_key(v, "salting_key_srtp_master_salt_12_octets", &in, MIKEY_C_SALT);
		c += check_key(v, "salting_key_12_octets", &in, MIKEY_C_SALT);
		c += check_key(v, "encryption_key_16_octets", &in, MIKEY_C_ENCR);
		c += check_label(v, "label_tek_const_2ad01c64", &in, MIKEY_C_TEK);
		c += check_label(v, "label_salting_key_const_39a2c14b", &in, MIKEY_C_SALT);
		c += check_label(v, "label_encryption_key_const_15798cef", &in, MIKEY_C_ENCR);
		cr_assert_geq(c, 2, "vector %s checked nothing", tvec_str(v, "name"));
		checks += (unsigned int)c;
		nvec++;
	}
	cr_assert_eq(nvec, 7);
	cr_log_info("%u vectors, %u values checked", nvec, checks);
	json_decref(root);
}

/* The generic SRTP master derivation reproduces every TEK/salt vector pair. */
Test(keys_mikey_prf, srtp_master_vectors)
{
	json_t *root = tvec_load(VEC_FILE), *v;
	unsigned int n = 0;
	size_t i;

	json_array_foreach(json_object_get(root, "vectors"), i, v) {
		struct mikey_srtp_master m;
		uint8_t key[16], salt[12];
		struct vin in;

		if (json_object_get(v, "tek_srtp_master_key_16_octets") == NULL)
			continue;
		load_in(v, &in);
		tvec_hex_into(v, "tek_srtp_master_key_16_octets", key, sizeof(key));
		tvec_hex_into(v, "salting_key_srtp_master_salt_12_octets", salt, sizeof(salt));
		cr_assert_eq(mikey_srtp_master(&m, in.tgk, in.tgk_len, in.cs_id, in.csb_id,
					       in.rand, in.rand_len, MIKEY_SRTP_SALT_GCM_LEN), 0);
		cr_assert_arr_eq(m.key, key, sizeof(key));
		cr_assert_eq(m.salt_len, 12);
		cr_assert_arr_eq(m.salt, salt, sizeof(salt));
		cr_assert_eq(m.mki_len, 0);
		n++;
	}
	cr_assert_eq(n, 5);
	json_decref(root);
}

/*
 * Group call: the three-member example (one GMK, one RAND, three GUK-IDs).
 * The GMK-ID comes from the GUK-ID vectors of the same GMK.
 */
Test(keys_mikey_prf, mcptt_gmk_endpoint_diversity)
{
	json_t *root = tvec_load(VEC_FILE), *ids = tvec_load("ts33180-uid-gukid.json"), *v;
	const char *names[] = { "ts33180-gmk-guk-01c8de7b", "ts33180-gmk-guk-0abe69d0",
				"ts33180-gmk-guk-0c449727" };
	uint8_t prev[16] = { 0 };
	uint32_t gmk_id;
	size_t i;

	v = json_array_get(json_object_get(ids, "guk_id"), 2);
	cr_assert_str_eq(json_string_value(json_object_get(v, "gmk")),
			 tvec_str(tvec_find(root, names[0]), "tgk"));
	gmk_id = (uint32_t)tvec_uint(v, "gmk_id");
	for (i = 0; i < 3; i++) {
		struct mikey_srtp_master m;
		uint8_t key[16], salt[12], mki[8];
		struct vin in;

		v = tvec_find(root, names[i]);
		load_in(v, &in);
		tvec_hex_into(v, "tek_srtp_master_key_16_octets", key, sizeof(key));
		tvec_hex_into(v, "salting_key_srtp_master_salt_12_octets", salt, sizeof(salt));
		cr_assert_eq(in.cs_id, MIKEY_CS_MCPTT_GROUP);
		cr_assert_eq(mikey_mcptt_gmk(&m, in.tgk, gmk_id, in.csb_id, in.rand, in.rand_len,
					     MIKEY_SRTP_SALT_GCM_LEN), 0);
		cr_assert_arr_eq(m.key, key, 16);
		cr_assert_arr_eq(m.salt, salt, 12);
		cr_assert_eq(m.mki_len, 8);
		keys_id_put(mki, gmk_id);
		keys_id_put(mki + 4, in.csb_id);
		cr_assert_arr_eq(m.mki, mki, 8);
		cr_assert_arr_neq(m.key, prev, 16);
		memcpy(prev, m.key, 16);
	}
	json_decref(ids);
	json_decref(root);
}

/* The CSK vector: CS ID 6; its CSB ID carries tag 1, which the strict CSK helper refuses. */
Test(keys_mikey_prf, mcptt_csk)
{
	json_t *root = tvec_load(VEC_FILE), *v = tvec_find(root, "ts33180-csk-1c5f7886");
	struct mikey_srtp_master m, g;
	uint32_t csk_id;
	struct vin in;

	load_in(v, &in);
	cr_assert_eq(in.cs_id, MIKEY_CS_MCPTT_CSK);
	cr_assert_eq(mikey_mcptt_csk(&m, in.tgk, in.csb_id, in.rand, in.rand_len, 12),
		     -KEYS_E_RANGE);
	/* with a tag-2 CSK-ID the helper equals the generic derivation, MKI = CSK-ID */
	cr_assert_eq(keys_id_make(&csk_id, KEYS_PURPOSE_CSK, in.csb_id & KEYS_ID_RANDOM_MASK), 0);
	cr_assert_eq(mikey_mcptt_csk(&m, in.tgk, csk_id, in.rand, in.rand_len, 12), 0);
	cr_assert_eq(mikey_srtp_master(&g, in.tgk, 16, 6, csk_id, in.rand, in.rand_len, 12), 0);
	cr_assert_arr_eq(m.key, g.key, 16);
	cr_assert_arr_eq(m.salt, g.salt, 12);
	cr_assert_eq(m.mki_len, 4);
	cr_assert_eq(keys_id_get(m.mki), csk_id);
	json_decref(root);
}

/* Private call: CS ID 0 and 1 give two directional keys under one MKI (digest §5.1). */
Test(keys_mikey_prf, mcptt_pck_directions)
{
	json_t *root = tvec_load(VEC_FILE), *v = tvec_find(root, "streamwide-unit-encr-cs00");
	struct mikey_srtp_master a, b, g;
	uint32_t pck_id;
	struct vin in;

	load_in(v, &in);
	cr_assert_eq(keys_id_make(&pck_id, KEYS_PURPOSE_PCK, in.csb_id & KEYS_ID_RANDOM_MASK), 0);
	cr_assert_eq(mikey_mcptt_pck(&a, in.tgk, pck_id, in.rand, in.rand_len,
				     MIKEY_PCK_FROM_INITIATOR, 12), 0);
	cr_assert_eq(mikey_mcptt_pck(&b, in.tgk, pck_id, in.rand, in.rand_len,
				     MIKEY_PCK_FROM_RECEIVER, 12), 0);
	cr_assert_arr_neq(a.key, b.key, 16);
	cr_assert_arr_neq(a.salt, b.salt, 12);
	cr_assert_arr_eq(a.mki, b.mki, 4);
	cr_assert_eq(keys_id_get(a.mki), pck_id);
	cr_assert_eq(mikey_srtp_master(&g, in.tgk, 16, 1, pck_id, in.rand, in.rand_len, 12), 0);
	cr_assert_arr_eq(b.key, g.key, 16);
	/* the GMK-tagged vector ID is refused for a PCK */
	cr_assert_eq(mikey_mcptt_pck(&a, in.tgk, in.csb_id, in.rand, in.rand_len,
				     MIKEY_PCK_FROM_INITIATOR, 12), -KEYS_E_RANGE);
	json_decref(root);
}

/* A 14-octet (AES-CM) salt is the 12-octet one extended: leftmost-octet truncation. */
Test(keys_mikey_prf, salt_lengths)
{
	json_t *root = tvec_load(VEC_FILE), *v = tvec_find(root, "streamwide-unit-tek-cs04");
	struct mikey_srtp_master m12, m14;
	uint8_t salt[12];
	struct vin in;

	load_in(v, &in);
	tvec_hex_into(v, "salting_key_srtp_master_salt_12_octets", salt, sizeof(salt));
	cr_assert_eq(mikey_srtp_master(&m12, in.tgk, in.tgk_len, in.cs_id, in.csb_id, in.rand,
				       in.rand_len, 12), 0);
	cr_assert_eq(mikey_srtp_master(&m14, in.tgk, in.tgk_len, in.cs_id, in.csb_id, in.rand,
				       in.rand_len, 14), 0);
	cr_assert_eq(m14.salt_len, 14);
	cr_assert_arr_eq(m14.salt, salt, 12);
	cr_assert_arr_eq(m14.key, m12.key, 16);
	cr_assert_eq(mikey_srtp_master(&m14, in.tgk, in.tgk_len, in.cs_id, in.csb_id, in.rand,
				       in.rand_len, 13), -KEYS_E_ARG);
	json_decref(root);
}

/* Reference P-function, straight from RFC 3830 §4.1.2, for multi-piece / multi-block cases. */
static void
ref_prf(uint8_t *out, size_t out_len, const uint8_t *inkey, size_t inkey_len,
	const uint8_t *label, size_t label_len)
{
	uint8_t a[32], blk[32], buf[32 + MIKEY_LABEL_MAX];
	size_t off, j, i, m = (out_len + 31) / 32;
	unsigned int l;

	memset(out, 0, out_len);
	for (off = 0; off < inkey_len; off += 32) {
		size_t sl = inkey_len - off < 32 ? inkey_len - off : 32;

		HMAC(EVP_sha256(), inkey + off, (int)sl, label, label_len, a, &l);
		for (j = 0; j < m; j++) {
			memcpy(buf, a, 32);
			memcpy(buf + 32, label, label_len);
			HMAC(EVP_sha256(), inkey + off, (int)sl, buf, 32 + label_len, blk, &l);
			for (i = 0; i < 32 && j * 32 + i < out_len; i++)
				out[j * 32 + i] ^= blk[i];
			HMAC(EVP_sha256(), inkey + off, (int)sl, a, 32, blk, &l);
			memcpy(a, blk, 32);
		}
	}
}

Test(keys_mikey_prf, multi_piece_multi_block)
{
	static const size_t inlens[] = { 1, 16, 31, 32, 33, 64, 65, 100 };
	static const size_t outlens[] = { 1, 16, 32, 33, 64, 65, 100 };
	uint8_t inkey[100], label[MIKEY_LABEL_MAX], rnd[16], got[100], want[100];
	size_t a, b, llen;

	for (a = 0; a < sizeof(inkey); a++)
		inkey[a] = (uint8_t)(a * 7 + 3);
	memset(rnd, 0x5a, sizeof(rnd));
	cr_assert_eq(mikey_label(label, sizeof(label), &llen, MIKEY_C_TEK, 4, 0x01020304, rnd,
				 sizeof(rnd)), 0);
	for (a = 0; a < sizeof(inlens) / sizeof(inlens[0]); a++) {
		for (b = 0; b < sizeof(outlens) / sizeof(outlens[0]); b++) {
			cr_assert_eq(mikey_prf(got, outlens[b], inkey, inlens[a], label, llen), 0);
			ref_prf(want, outlens[b], inkey, inlens[a], label, llen);
			cr_assert_arr_eq(got, want, outlens[b], "inkey %zu out %zu", inlens[a],
					 outlens[b]);
		}
	}
	/* n = 2: the second 256-bit piece changes the output */
	cr_assert_eq(mikey_prf(want, 32, inkey, 32, label, llen), 0);
	cr_assert_eq(mikey_prf(got, 32, inkey, 33, label, llen), 0);
	cr_assert_arr_neq(got, want, 32);
}

/* Pitfall 10: the constant is big-endian; a little-endian label gives another key. */
Test(keys_mikey_prf, label_byte_order)
{
	json_t *root = tvec_load(VEC_FILE), *v = tvec_find(root, "streamwide-unit-tek-cs04");
	uint8_t label[MIKEY_LABEL_MAX], want[16], got[16];
	size_t len;
	struct vin in;

	load_in(v, &in);
	tvec_hex_into(v, "tek_srtp_master_key_16_octets", want, sizeof(want));
	cr_assert_eq(mikey_label(label, sizeof(label), &len, 0x641CD02Au, in.cs_id, in.csb_id,
				 in.rand, in.rand_len), 0);
	cr_assert_eq(mikey_prf(got, 16, in.tgk, in.tgk_len, label, len), 0);
	cr_assert_arr_neq(got, want, 16);
	json_decref(root);
}

Test(keys_mikey_prf, bad_arguments)
{
	uint8_t k[16] = { 1 }, r[256] = { 2 }, out[16], label[MIKEY_LABEL_MAX];
	size_t len;

	cr_assert_eq(mikey_prf(out, 0, k, 16, r, 16), -KEYS_E_ARG);
	cr_assert_eq(mikey_prf(out, 16, k, 0, r, 16), -KEYS_E_ARG);
	cr_assert_eq(mikey_prf(NULL, 16, k, 16, r, 16), -KEYS_E_ARG);
	cr_assert_eq(mikey_prf(out, MIKEY_PRF_OUT_MAX + 1, k, 16, r, 16), -KEYS_E_ARG);
	cr_assert_eq(mikey_label(label, sizeof(label), &len, 0, 0, 0, r, 0), -KEYS_E_ARG);
	cr_assert_eq(mikey_label(label, sizeof(label), &len, 0, 0, 0, r, 256), -KEYS_E_ARG);
	cr_assert_eq(mikey_label(label, 9 + 15, &len, 0, 0, 0, r, 16), -KEYS_E_ARG);
	cr_assert_eq(mikey_label(label, sizeof(label), &len, 0, 0, 0, r, 255), 0);
	cr_assert_eq(len, MIKEY_LABEL_MAX);
	cr_assert_eq(mikey_derive(out, 16, k, 16, MIKEY_C_TEK, 0, 0, NULL, 16), -KEYS_E_ARG);
}
