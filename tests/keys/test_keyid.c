/* SPDX-License-Identifier: proprietary */
/* Key IDs, purpose tags and MKIs (TS 33.180 §5.2.2; spec/3gpp-mc-security.md §3.1, §3.5). */
#include <criterion/criterion.h>
#include <sodium.h>

#include "keys_keyid.h"

static void
suite_init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(keys_keyid, .init = suite_init);

Test(keys_keyid, make_and_tag)
{
	uint32_t id;

	cr_assert_eq(keys_id_make(&id, KEYS_PURPOSE_CSK, 0x0ddd5bf0), 0);
	cr_assert_eq(id, 0x2ddd5bf0);
	cr_assert_eq(keys_id_purpose(id), KEYS_PURPOSE_CSK);
	cr_assert_eq(keys_id_make(&id, KEYS_PURPOSE_MUSIK, 0), 0);
	cr_assert_eq(id, 0x60000000);
	cr_assert_eq(keys_id_make(&id, 16, 0), -KEYS_E_ARG);
	cr_assert_eq(keys_id_make(&id, 1, 0x10000000), -KEYS_E_ARG);
	cr_assert_eq(keys_id_make(NULL, 1, 0), -KEYS_E_ARG);
}

/* Fresh IDs keep their tag and differ in the random bits. */
Test(keys_keyid, fresh_ids)
{
	uint32_t ids[64], or_bits = 0, and_bits = KEYS_ID_RANDOM_MASK;
	unsigned int p, i;

	for (p = 0; p <= KEYS_PURPOSE_MUSIK; p++) {
		for (i = 0; i < 64; i++) {
			cr_assert_eq(keys_id_new(&ids[i], p), 0);
			cr_assert_eq(keys_id_purpose(ids[i]), p);
			or_bits |= ids[i] & KEYS_ID_RANDOM_MASK;
			and_bits &= ids[i];
		}
	}
	/* every one of the 28 bits was seen set and seen clear */
	cr_assert_eq(or_bits, KEYS_ID_RANDOM_MASK);
	cr_assert_eq(and_bits & KEYS_ID_RANDOM_MASK, 0);
	cr_assert_eq(keys_id_new(&ids[0], 16), -KEYS_E_ARG);
}

Test(keys_keyid, wire_form)
{
	uint8_t b[4], mki[8];

	keys_id_put(b, 0x16992638);
	cr_assert_eq(b[0], 0x16);
	cr_assert_eq(b[3], 0x38);
	cr_assert_eq(keys_id_get(b), 0x16992638);
	keys_mki_group(mki, 0x0df9bc39, 0x06a12aea);
	cr_assert_eq(keys_id_get(mki), 0x0df9bc39);
	cr_assert_eq(keys_id_get(mki + 4), 0x06a12aea);
	keys_mki_key(b, 0x2ddd5bf0);
	cr_assert_eq(keys_id_get(b), 0x2ddd5bf0);
}

/* Numbered table of MKIs: (octets, length) → (rc, key_id, guk_id). */
Test(keys_keyid, mki_parse_table)
{
	static const struct {
		uint8_t b[9];
		size_t len;
		int rc;
		uint32_t key_id, guk_id;
	} t[] = {
		/* 1: PCK-ID */ { { 0x16, 0x99, 0x26, 0x38 }, 4, 0, 0x16992638, 0 },
		/* 2: CSK-ID */ { { 0x2d, 0xdd, 0x5b, 0xf0 }, 4, 0, 0x2ddd5bf0, 0 },
		/* 3: GMK-ID alone */ { { 0x0d, 0xf9, 0xbc, 0x39 }, 4, -KEYS_E_PARSE, 0, 0 },
		/* 4: group */
		{ { 0x0d, 0xf9, 0xbc, 0x39, 0x06, 0xa1, 0x2a, 0xea }, 8, 0,
		  0x0df9bc39, 0x06a12aea },
		/* 5: group, GUK tag 1 */
		{ { 0x0d, 0xf9, 0xbc, 0x39, 0x16, 0xa1, 0x2a, 0xea }, 8, -KEYS_E_PARSE, 0, 0 },
		/* 6: group, GMK tag 2 */
		{ { 0x2d, 0xf9, 0xbc, 0x39, 0x06, 0xa1, 0x2a, 0xea }, 8, -KEYS_E_PARSE, 0, 0 },
		/* 7 */ { { 0x16 }, 0, -KEYS_E_PARSE, 0, 0 },
		/* 8 */ { { 0x16, 0x99, 0x26 }, 3, -KEYS_E_PARSE, 0, 0 },
		/* 9 */ { { 0x16, 0x99, 0x26, 0x38, 0 }, 5, -KEYS_E_PARSE, 0, 0 },
		/* 10 */ { { 0 }, 9, -KEYS_E_PARSE, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct keys_mki m = { 0 };
		int rc = keys_mki_parse(&m, t[i].b, t[i].len);

		cr_assert_eq(rc, t[i].rc, "row %zu: rc %d", i + 1, rc);
		if (rc != 0)
			continue;
		cr_assert_eq(m.len, t[i].len, "row %zu", i + 1);
		cr_assert_eq(m.key_id, t[i].key_id, "row %zu", i + 1);
		cr_assert_eq(m.guk_id, t[i].guk_id, "row %zu", i + 1);
	}
}
