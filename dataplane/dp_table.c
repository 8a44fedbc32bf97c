/* SPDX-License-Identifier: proprietary */
/* mcpx: fast path — stream tables: no allocation, no syscalls, no logging. */
/*
 * Linear probing keeps a lookup to one or two cache lines at a load of at
 * most 1/2; backward-shift deletion (Knuth 6.4, Algorithm R) leaves no
 * tombstones, so a table that sees installs and removals for months never
 * degrades.
 */
#include <string.h>
#ifdef __SSE4_2__
#include <nmmintrin.h>
#endif

#include "dp_table.h"

static inline uint64_t
mix64(uint64_t x)
{
	/* splitmix64's finaliser: every input bit reaches every output bit. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/*
 * On every packet's path, so cheap: CRC32-C of the key's four words in two
 * independent chains (SSE4.2, 3 cycles an instruction; DPDK needs that CPU
 * anyway, -march=corei7, and dataplane/meson.build asks for it), one multiply
 * to join them. The four splitmix rounds it replaced were 8 % of a worker's
 * time at one stream; they stay for CPUs without the instruction.
 */
uint32_t
dp_key_hash(const struct dp_key *k)
{
#ifdef __SSE4_2__
	uint64_t a = _mm_crc32_u64(0x9e3779b9u, k->w[0]), b = _mm_crc32_u64(0x7f4a7c15u, k->w[1]);

	a = _mm_crc32_u64(a, k->w[2]);
	b = _mm_crc32_u64(b, k->w[3]);
	return (uint32_t)a ^ (uint32_t)((b * 0x9e3779b97f4a7c15ull) >> 32);
#else
	uint64_t h = mix64(k->w[0] ^ 0x9e3779b97f4a7c15ull);

	h = mix64(h ^ k->w[1]);
	h = mix64(h ^ k->w[2]);
	h = mix64(h ^ k->w[3]);
	return (uint32_t)(h ^ h >> 32);
#endif
}

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

void
dp_key_secure(struct dp_key *k, unsigned int proto, const uint8_t *mki, unsigned int mki_len,
	      uint32_t ssrc)
{
	memset(k, 0, sizeof(*k));
	k->b[0] = DP_KEY_SECURE;
	k->b[1] = (uint8_t)proto;
	k->b[2] = (uint8_t)mki_len;
	memcpy(k->b + 4, &ssrc, 4);
	memcpy(k->b + 8, mki, mki_len > 8 ? 8 : mki_len);
}

void
dp_key_plain(struct dp_key *k, unsigned int proto, const uint8_t addr[16], uint16_t port,
	     uint32_t ssrc)
{
	memset(k, 0, sizeof(*k));
	k->b[0] = DP_KEY_PLAIN;
	k->b[1] = (uint8_t)proto;
	memcpy(k->b + 2, &port, 2);
	memcpy(k->b + 4, &ssrc, 4);
	memcpy(k->b + 8, addr, 16);
}

void
dp_key_id(struct dp_key *k, uint64_t id)
{
	memset(k, 0, sizeof(*k));
	k->b[0] = DP_KEY_ID;
	k->w[1] = id;
}

void
dp_key_keyid(struct dp_key *k, const uint8_t key_id[4])
{
	memset(k, 0, sizeof(*k));
	k->b[0] = DP_KEY_KEYID;
	memcpy(k->b + 4, key_id, 4);
}

unsigned int
dp_owner_secure(const uint8_t *mki, unsigned int mki_len, uint32_t ssrc, unsigned int n_workers)
{
	struct dp_key k;

	if (n_workers <= 1)
		return 0;
	dp_key_secure(&k, 0, mki, mki_len, ssrc);	/* MKI || SSRC: both protocols meet */
	return (unsigned int)(mix64(dp_key_hash(&k) ^ 0x5bd1e995ull) % n_workers);
}

unsigned int
dp_owner_id(uint64_t id, unsigned int n_workers)
{
	if (n_workers <= 1)
		return 0;
	return (unsigned int)(mix64(id ^ 0x5bd1e995ull) % n_workers);
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
