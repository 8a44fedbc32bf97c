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
