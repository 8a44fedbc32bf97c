/* SPDX-License-Identifier: proprietary */
/*
 * The stream table against a plain model under random add/remove/lookup
 * (backward-shift deletion must never lose a key of a probe run), its bounds,
 * and the owner hashes.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "dp_table.h"

TestSuite(dataplane_dp_table);

Test(dataplane_dp_table, random_ops_match_a_model)
{
	enum { N = 4000, MAXE = 1000 };
	static uint8_t present[N];
	struct dp_table t;
	void *mem = calloc(1, dp_table_mem_size(MAXE));
	unsigned int i, step, count = 0;

	dp_table_init(&t, mem, MAXE);
	srand(7);
	for (step = 0; step < 200000; step++) {
		unsigned int x = (unsigned int)rand() % N;
		uint8_t mki[8] = {0x0d, 0xf9, 0xbc, 0x39, (uint8_t)(x >> 8), (uint8_t)x, 1, 2};
		struct dp_key k;

		dp_key_secure(&k, x & 1, mki, 8, x * 2654435761u);
		if (rand() % 2 == 0) {
			int rc = dp_table_add(&t, &k, (void *)(uintptr_t)(x + 1), (uint16_t)x, x);

			if (present[x])
				cr_assert_eq(rc, -DP_E_EXISTS);
			else if (count == t.max)
				cr_assert_eq(rc, -DP_E_LIMIT);
			else {
				cr_assert_eq(rc, 0);
				present[x] = 1;
				count++;
			}
		} else {
			void *v = dp_table_del(&t, &k);

			cr_assert_eq(v, present[x] ? (void *)(uintptr_t)(x + 1) : NULL, "step %u", step);
			if (present[x])
				count--;
			present[x] = 0;
		}
		cr_assert_eq(t.count, count);
		if (step % 1000 == 0)
			for (i = 0; i < N; i++) {
				uint8_t m2[8] = {0x0d, 0xf9, 0xbc, 0x39, (uint8_t)(i >> 8), (uint8_t)i, 1, 2};
				struct dp_tent *e;

				dp_key_secure(&k, i & 1, m2, 8, i * 2654435761u);
				e = dp_table_lookup(&t, &k);
				cr_assert_eq(e != NULL, present[i] != 0, "step %u key %u", step, i);
				if (e != NULL)
					cr_assert_eq(e->owner, (uint16_t)i);
			}
	}
	free(mem);
}

Test(dataplane_dp_table, keys_of_each_kind_differ)
{
	uint8_t addr[16] = {0}, mki[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct dp_key a, b;

	dp_key_secure(&a, 0, mki, 8, 5);
	dp_key_secure(&b, 1, mki, 8, 5);
	cr_assert(memcmp(&a, &b, sizeof(a)) != 0, "RTP and RTCP streams differ");
	dp_key_secure(&b, 0, mki, 4, 5);
	cr_assert(memcmp(&a, &b, sizeof(a)) != 0, "MKI length counts");
	dp_key_plain(&a, 0, addr, 5004, 5);
	dp_key_plain(&b, 0, addr, 5006, 5);
	cr_assert(memcmp(&a, &b, sizeof(a)) != 0);
	dp_key_id(&a, 5);
	dp_key_keyid(&b, mki);
	cr_assert(memcmp(&a, &b, sizeof(a)) != 0);
}

/* Key builders over memory of two patterns: equal results mean every word was written. */
#define BOTH(k1, k2, call)                                                              \
	do {                                                                              \
		memset(&(k1), 0xaa, sizeof(k1));                                          \
		memset(&(k2), 0x55, sizeof(k2));                                          \
		{                                                                         \
			struct dp_key *k_ = &(k1);                                        \
			call;                                                             \
			k_ = &(k2);                                                       \
			call;                                                             \
		}                                                                         \
		cr_assert(memcmp(&(k1), &(k2), sizeof(k1)) == 0, "a word left unwritten"); \
	} while (0)

static bool
same(const struct dp_key *a, const struct dp_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/*
 * Every octet of every field makes a different key (the words are built in
 * registers, dp_table.h), the MKI's octets past its length do not, and no
 * word is left to whatever the memory held.
 */
Test(dataplane_dp_table, every_field_of_a_key_counts)
{
	uint8_t mki[8] = {0x0d, 0xf9, 0xbc, 0x39, 5, 6, 7, 8}, m2[8];
	uint8_t addr[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2}, a2[16];
	struct dp_key base, k, x;
	unsigned int i, len, bit;

	for (len = 0; len <= 8; len += 4) {
		BOTH(base, x, dp_key_secure(k_, 0, mki, len, 0x11223344));
		BOTH(k, x, dp_key_secure(k_, 1, mki, len, 0x11223344));
		cr_assert(!same(&base, &k), "proto, MKI length %u", len);
		for (bit = 0; bit < 32; bit++) {
			BOTH(k, x, dp_key_secure(k_, 0, mki, len, 0x11223344 ^ (1u << bit)));
			cr_assert(!same(&base, &k), "SSRC bit %u", bit);
		}
		for (i = 0; i < 8; i++) {
			memcpy(m2, mki, 8);
			m2[i] ^= 0x80;
			BOTH(k, x, dp_key_secure(k_, 0, m2, len, 0x11223344));
			cr_assert_eq(same(&base, &k), i >= len, "MKI octet %u, length %u", i, len);
		}
		if (len != 0) {
			BOTH(k, x, dp_key_secure(k_, 0, mki, len - 4, 0x11223344));
			cr_assert(!same(&base, &k), "MKI length %u against %u", len, len - 4);
		}
	}
	BOTH(base, x, dp_key_plain(k_, 0, addr, 5004, 0x11223344));
	BOTH(k, x, dp_key_plain(k_, 1, addr, 5004, 0x11223344));
	cr_assert(!same(&base, &k), "proto");
	for (bit = 0; bit < 16; bit++) {
		BOTH(k, x, dp_key_plain(k_, 0, addr, (uint16_t)(5004 ^ (1u << bit)), 0x11223344));
		cr_assert(!same(&base, &k), "port bit %u", bit);
	}
	for (bit = 0; bit < 32; bit++) {
		BOTH(k, x, dp_key_plain(k_, 0, addr, 5004, 0x11223344 ^ (1u << bit)));
		cr_assert(!same(&base, &k), "SSRC bit %u", bit);
	}
	for (i = 0; i < 16; i++) {
		memcpy(a2, addr, 16);
		a2[i] ^= 0x01;
		BOTH(k, x, dp_key_plain(k_, 0, a2, 5004, 0x11223344));
		cr_assert(!same(&base, &k), "address octet %u", i);
	}
	BOTH(base, x, dp_key_id(k_, 0x0123456789abcdefull));
	for (bit = 0; bit < 64; bit++) {
		BOTH(k, x, dp_key_id(k_, 0x0123456789abcdefull ^ (1ull << bit)));
		cr_assert(!same(&base, &k), "id bit %u", bit);
	}
	BOTH(base, x, dp_key_keyid(k_, mki));
	for (i = 0; i < 4; i++) {
		memcpy(m2, mki, 8);
		m2[i] ^= 0x01;
		BOTH(k, x, dp_key_keyid(k_, m2));
		cr_assert(!same(&base, &k), "key id octet %u", i);
	}
	/* The kinds never meet, even on equal numbers. */
	memset(addr, 0, sizeof(addr));
	BOTH(base, x, dp_key_secure(k_, 0, addr, 0, 0));
	BOTH(k, x, dp_key_plain(k_, 0, addr, 0, 0));
	cr_assert(!same(&base, &k));
	BOTH(k, x, dp_key_id(k_, 0));
	cr_assert(!same(&base, &k));
	BOTH(x, base, dp_key_keyid(k_, addr));
	cr_assert(!same(&x, &k));
}

Test(dataplane_dp_table, owners_spread_and_are_stable)
{
	unsigned int hits[4] = {0}, i;

	for (i = 0; i < 40000; i++) {
		uint8_t mki[8] = {0, 1, 2, 3, (uint8_t)(i >> 8), (uint8_t)i, 0, 0};
		unsigned int o = dp_owner_secure(mki, 8, i, 4);

		cr_assert_lt(o, 4);
		cr_assert_eq(o, dp_owner_secure(mki, 8, i, 4));
		hits[o]++;
		cr_assert_lt(dp_owner_id(i, 3), 3);
	}
	for (i = 0; i < 4; i++)
		cr_assert(hits[i] > 9000 && hits[i] < 11000, "worker %u: %u", i, hits[i]);
	cr_assert_eq(dp_owner_secure((const uint8_t *)"abcdefgh", 8, 1, 1), 0);
}
