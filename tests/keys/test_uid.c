/* SPDX-License-Identifier: proprietary */
/*
 * MIKEY-SAKKE UID (TS 33.180 F.2.1), key periods, and GUK-ID (F.1.3) against
 * tests/vectors/ts33180-uid-gukid.json (whose integers are decimal JSON
 * numbers: see its "encoding").
 */
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "keys_kdf.h"
#include "keys_keyid.h"
#include "keys_period.h"
#include "keys_uid.h"
#include "tvec.h"

#define VEC_FILE "ts33180-uid-gukid.json"

static void
suite_init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(keys_uid, .init = suite_init);

static uint64_t
dec(json_t *v, const char *field)
{
	json_t *x = json_object_get(v, field);

	cr_assert(json_is_integer(x), "field %s is not a decimal integer", field);
	cr_assert_geq(json_integer_value(x), 0);
	return (uint64_t)json_integer_value(x);
}

Test(keys_uid, encoding_is_decimal)
{
	json_t *root = tvec_load(VEC_FILE);

	cr_assert_not_null(strstr(tvec_str(root, "encoding"), "integers decimal"));
	json_decref(root);
}

Test(keys_uid, uid_vectors)
{
	json_t *root = tvec_load(VEC_FILE), *v;
	unsigned int n = 0;
	size_t i;

	json_array_foreach(json_object_get(root, "uid"), i, v) {
		uint8_t want[KEYS_UID_LEN], got[KEYS_UID_LEN];

		tvec_hex_into(v, "uid", want, sizeof(want));
		cr_assert_eq(keys_uid_derive(got, tvec_str(v, "uri"), tvec_str(v, "kms_uri"),
					     dec(v, "key_period"), dec(v, "key_period_offset"),
					     dec(v, "key_period_no")), 0);
		cr_assert_arr_eq(got, want, sizeof(want), "uid vector %zu", i);
		n++;
	}
	cr_assert_eq(n, 8);
	json_decref(root);
}

/* Any change of one input changes the UID (each Pi is really hashed). */
Test(keys_uid, uid_inputs_matter)
{
	json_t *root = tvec_load(VEC_FILE), *v = json_array_get(json_object_get(root, "uid"), 0);
	const char *uri = tvec_str(v, "uri"), *kms = tvec_str(v, "kms_uri");
	uint64_t len = dec(v, "key_period"), off = dec(v, "key_period_offset");
	uint64_t no = dec(v, "key_period_no");
	uint8_t want[KEYS_UID_LEN], got[KEYS_UID_LEN];

	tvec_hex_into(v, "uid", want, sizeof(want));
	cr_assert_eq(keys_uid_derive(got, kms, uri, len, off, no), 0);
	cr_assert_arr_neq(got, want, sizeof(want));
	cr_assert_eq(keys_uid_derive(got, uri, kms, len + 1, off, no), 0);
	cr_assert_arr_neq(got, want, sizeof(want));
	cr_assert_eq(keys_uid_derive(got, uri, kms, len, off + 1, no), 0);
	cr_assert_arr_neq(got, want, sizeof(want));
	cr_assert_eq(keys_uid_derive(got, uri, kms, len, off, no + 1), 0);
	cr_assert_arr_neq(got, want, sizeof(want));
	cr_assert_eq(keys_uid_derive(got, "", kms, len, off, no), -KEYS_E_ARG);
	cr_assert_eq(keys_uid_derive(got, uri, NULL, len, off, no), -KEYS_E_ARG);
	json_decref(root);
}

Test(keys_uid, minimal_integers)
{
	static const struct {
		uint64_t v;
		size_t n;
		uint8_t o[8];
	} t[] = {
		/* 1 */ { 0, 1, { 0x00 } },
		/* 2 */ { 1, 1, { 0x01 } },
		/* 3 */ { 0xff, 1, { 0xff } },
		/* 4 */ { 0x100, 2, { 0x01, 0x00 } },
		/* 5 */ { 2592000, 3, { 0x27, 0x8d, 0x00 } },
		/* 6 */ { 0x100000000ull, 5, { 0x01, 0, 0, 0, 0 } },
		/* 7 */ { UINT64_MAX, 8, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
	};
	uint8_t out[8];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cr_assert_eq(keys_uid_uint(out, t[i].v), t[i].n, "row %zu", i + 1);
		cr_assert_arr_eq(out, t[i].o, t[i].n, "row %zu", i + 1);
	}
}

/* Key period numbers, numbered (input, expected) rows; times in seconds since 1900. */
Test(keys_uid, period_table)
{
	static const struct {
		uint64_t t, len, off;
		int rc;
		uint64_t no;
	} t[] = {
		/* 1 */ { 0, 10, 0, 0, 0 },
		/* 2 */ { 9, 10, 0, 0, 0 },
		/* 3 */ { 10, 10, 0, 0, 1 },
		/* 4 */ { 99, 10, 100, -KEYS_E_RANGE, 0 },
		/* 5 */ { 100, 10, 100, 0, 0 },
		/* 6 */ { 109, 10, 100, 0, 0 },
		/* 7 */ { 110, 10, 100, 0, 1 },
		/* 8 */ { 5, 0, 0, -KEYS_E_ARG, 0 },
		/* 9 */ { UINT64_MAX, 1, 0, 0, UINT64_MAX },
		/* 10 */ { 3597696000ull, 2592000, 0, 0, 1388 },
		/* 11 */ { 3597695999ull, 2592000, 0, 0, 1387 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t no = 0xdead;
		int rc = keys_period_no(&no, t[i].t, t[i].len, t[i].off);

		cr_assert_eq(rc, t[i].rc, "row %zu: rc %d", i + 1, rc);
		if (rc == 0)
			cr_assert_eq(no, t[i].no, "row %zu: %llu", i + 1, (unsigned long long)no);
	}
}

/* The NTP epoch, not the Unix one (digest §1.4 pitfall): May 2021, 30-day periods. */
Test(keys_uid, period_counts_from_1900)
{
	uint64_t no, t, start;

	cr_assert_eq(keys_period_no_unix(&no, 1620000000, 2592000, 0), 0);
	cr_assert_eq(no, (1620000000ull + 2208988800ull) / 2592000);
	cr_assert_neq(no, 625);		/* the Unix-epoch answer */
	cr_assert_eq(keys_ntp_from_unix(&t, 0), 0);
	cr_assert_eq(t, KEYS_NTP_UNIX_OFFSET);
	cr_assert_eq(keys_ntp_from_unix(&t, -(int64_t)KEYS_NTP_UNIX_OFFSET), 0);
	cr_assert_eq(t, 0);
	cr_assert_eq(keys_ntp_from_unix(&t, -(int64_t)KEYS_NTP_UNIX_OFFSET - 1), -KEYS_E_RANGE);
	/* start of a period maps back to it; one second earlier is the previous one */
	cr_assert_eq(keys_period_start(&start, 1388, 2592000, 100), 0);
	cr_assert_eq(keys_period_no(&no, start, 2592000, 100), 0);
	cr_assert_eq(no, 1388);
	cr_assert_eq(keys_period_no(&no, start - 1, 2592000, 100), 0);
	cr_assert_eq(no, 1387);
	cr_assert_eq(keys_period_start(&start, UINT64_MAX, 2, 0), -KEYS_E_RANGE);
}

/* From a Unix time to the UID of the vector for that period. */
Test(keys_uid, uid_from_time)
{
	json_t *root = tvec_load(VEC_FILE), *v = json_array_get(json_object_get(root, "uid"), 3);
	uint64_t len = dec(v, "key_period"), off = dec(v, "key_period_offset"), no, start;
	uint8_t want[KEYS_UID_LEN], got[KEYS_UID_LEN];

	tvec_hex_into(v, "uid", want, sizeof(want));
	cr_assert_eq(keys_period_start(&start, dec(v, "key_period_no"), len, off), 0);
	cr_assert_eq(keys_period_no_unix(&no, (int64_t)(start - KEYS_NTP_UNIX_OFFSET) + 7, len,
					 off), 0);
	cr_assert_eq(keys_uid_derive(got, tvec_str(v, "uri"), tvec_str(v, "kms_uri"), len, off,
				     no), 0);
	cr_assert_arr_eq(got, want, sizeof(want));
	json_decref(root);
}

Test(keys_uid, guk_id_vectors)
{
	json_t *root = tvec_load(VEC_FILE), *v;
	unsigned int n = 0;
	size_t i;

	json_array_foreach(json_object_get(root, "guk_id"), i, v) {
		uint8_t gmk[KEYS_KEY_LEN];
		uint32_t gmk_id = (uint32_t)tvec_uint(v, "gmk_id");
		uint32_t want = (uint32_t)tvec_uint(v, "guk_id"), got, back, salt;
		const char *uri = tvec_str(v, "user_uri");

		tvec_hex_into(v, "gmk", gmk, sizeof(gmk));
		cr_assert_eq(keys_guk_id(&got, gmk_id, gmk, uri), 0);
		cr_assert_eq(got, want, "guk vector %zu: %08x", i, got);
		cr_assert_eq(keys_id_purpose(got), keys_id_purpose(gmk_id));
		cr_assert_eq(keys_gmk_id_from_guk(&back, got, gmk, uri), 0);
		cr_assert_eq(back, gmk_id);
		cr_assert_eq(keys_guk_salt(&salt, gmk, uri), 0);
		cr_assert_eq(salt, (gmk_id ^ want) & KEYS_ID_RANDOM_MASK);
		n++;
	}
	cr_assert_eq(n, 5);
	json_decref(root);
}

Test(keys_uid, guk_id_arguments)
{
	uint8_t gmk[KEYS_KEY_LEN] = { 0 };
	uint32_t id;

	cr_assert_eq(keys_guk_id(&id, 0x01234567, gmk, ""), -KEYS_E_ARG);
	cr_assert_eq(keys_guk_id(&id, 0x01234567, gmk, NULL), -KEYS_E_ARG);
	cr_assert_eq(keys_guk_id(NULL, 0x01234567, gmk, "sip:a@b"), -KEYS_E_ARG);
	cr_assert_eq(keys_guk_id(&id, 0x01234567, NULL, "sip:a@b"), -KEYS_E_ARG);
}
