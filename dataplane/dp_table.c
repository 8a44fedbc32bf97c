/* SPDX-License-Identifier: proprietary */
/* mcpx: fast path — stream tables: no allocation, no syscalls, no logging. */
/*
 * Linear probing keeps a lookup to one or two cache lines at a load of at
 * most 1/2; backward-shift deletion (Knuth 6.4, Algorithm R) leaves no
 * tombstones, so a table that sees installs and removals for months never
 * degrades.
 */
#include <string.h>

#include "dp_table.h"

static inline uint32_t
next_pow2(uint32_t v)
{
	uint32_t p = 16;

	while (p < v && p < (1u << 31))
		p <<= 1;
	return p;
}

size_t
dp_table_mem_size(uint32_t max_entries)
{
	return (size_t)next_pow2(max_entries * 2u) * sizeof(struct dp_tent);
}

void
dp_table_init(struct dp_table *t, void *mem, uint32_t max_entries)
{
	uint32_t slots = next_pow2(max_entries * 2u);

	t->ent = mem;
	t->mask = slots - 1;
	t->count = 0;
	t->max = slots / 2;
}

unsigned int
dp_owner_secure(const uint8_t *mki, unsigned int mki_len, uint32_t ssrc, unsigned int n_workers)
{
	struct dp_key k;

	if (n_workers <= 1)
		return 0;
	dp_key_secure(&k, 0, mki, mki_len, ssrc);	/* MKI || SSRC: both protocols meet */
	return (unsigned int)(dp_mix64(dp_key_hash(&k) ^ 0x5bd1e995ull) % n_workers);
}

unsigned int
dp_owner_id(uint64_t id, unsigned int n_workers)
{
	if (n_workers <= 1)
		return 0;
	return (unsigned int)(dp_mix64(id ^ 0x5bd1e995ull) % n_workers);
}

static inline bool
key_eq(const struct dp_key *a, const struct dp_key *b)
{
	return ((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) | (a->w[2] ^ b->w[2]) |
		(a->w[3] ^ b->w[3])) == 0;
}

struct dp_tent *
dp_table_lookup(const struct dp_table *t, const struct dp_key *k)
{
	return dp_table_lookup_hash(t, k, dp_key_hash(k));
}

struct dp_tent *
dp_table_lookup_hash(const struct dp_table *t, const struct dp_key *k, uint32_t h)
{
	uint32_t i = h & t->mask;
	struct dp_tent *e;

	for (;;) {
		e = &t->ent[i];
		if (!e->used)
			return NULL;
		if (e->hash == h && key_eq(&e->key, k))
			return e;
		i = (i + 1) & t->mask;
	}
}

int
dp_table_add(struct dp_table *t, const struct dp_key *k, void *val, uint16_t owner,
	     uint64_t id)
{
	uint32_t h = dp_key_hash(k), i = h & t->mask;
	struct dp_tent *e;

	for (;;) {
		e = &t->ent[i];
		if (!e->used)
			break;
		if (e->hash == h && key_eq(&e->key, k))
			return -DP_E_EXISTS;
		i = (i + 1) & t->mask;
	}
	if (t->count >= t->max)
		return -DP_E_LIMIT;
	e->key = *k;
	e->hash = h;
	e->owner = owner;
	e->val = val;
	e->id = id;
	e->used = 1;
	t->count++;
	return 0;
}

void *
dp_table_del(struct dp_table *t, const struct dp_key *k)
{
	struct dp_tent *e = dp_table_lookup(t, k);
	uint32_t i, j, home;
	void *val;

	if (e == NULL)
		return NULL;
	val = e->val;
	i = (uint32_t)(e - t->ent);
	/* Algorithm R: pull back every later entry of the run that may move to i. */
	for (j = (i + 1) & t->mask; t->ent[j].used; j = (j + 1) & t->mask) {
		home = t->ent[j].hash & t->mask;
		/* j's home lies cyclically in (i, j]: it must stay. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->ent[i] = t->ent[j];
		i = j;
	}
	memset(&t->ent[i], 0, sizeof(t->ent[i]));
	t->count--;
	return val;
}

struct dp_tent *
dp_table_next(const struct dp_table *t, uint32_t *cursor)
{
	uint32_t i;

	for (i = *cursor; i <= t->mask; i++) {
		if (t->ent[i].used) {
			*cursor = i + 1;
			return &t->ent[i];
		}
	}
	*cursor = t->mask + 1;
	return NULL;
}
