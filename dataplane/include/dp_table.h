/* SPDX-License-Identifier: proprietary */
/*
 * A worker's stream table: open addressing with linear probing and
 * backward-shift deletion, 32-octet keys, one 64-octet entry per slot. One
 * thread owns a table (its worker; the control thread only while no worker
 * runs): there is no locking, and nothing here allocates: the caller gives
 * the memory (dp_table_mem_size). No DPDK, so the unit tests need no EAL.
 *
 * Keys (dp_key_*): the secure side looks streams up by MKI and SSRC, the
 * plain side by (destination address, destination port, SSRC), the control
 * thread by stream id, every worker its known keys by key id.
 */
#ifndef DP_TABLE_H
#define DP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE4_2__
#include <nmmintrin.h>
#elif defined(__x86_64__)
/* Every file must hash alike: a table filled by one and looked up by another. */
#error "dp_table.h needs -msse4.2 on x86_64 (dataplane/meson.build gives it through dp_bytes_dep)"
#endif

#include "dp_error.h"

enum dp_key_kind {
	DP_KEY_SECURE = 1,	/* proto, MKI, SSRC */
	DP_KEY_PLAIN,		/* proto, destination address and port, SSRC */
	DP_KEY_ID,		/* a stream id (the control thread's index) */
	DP_KEY_KEYID,		/* a key id: GMK-ID, PCK-ID, CSK-ID (the MKI's first 4 octets) */
};

/*
 * Four words, each built in a register and stored whole: the hash reads them
 * right after, and a word load over several narrower stores (a byte, a
 * port, an SSRC) cannot be forwarded from them; it waited for the stores to
 * reach the cache, every packet (the profile's hottest load in the hash).
 * Word 0: kind | proto << 8 | (MKI length or port) << 16 | SSRC << 32.
 */
struct dp_key {
	uint64_t w[4];
};

struct dp_tent {
	struct dp_key key;
	uint32_t hash;
	uint16_t owner;		/* the worker that owns the stream */
	uint16_t used;
	void *val;
	uint64_t id;
	uint64_t spare;		/* one entry, one 64-octet cache line */
};

struct dp_table {
	struct dp_tent *ent;
	uint32_t mask;
	uint32_t count;
	uint32_t max;		/* mask + 1 over 2: the load never passes one half */
};

/* Octets of memory a table for |max_entries| entries needs (64-octet aligned). */
size_t
dp_table_mem_size(uint32_t max_entries);

/* Set up |t| on |mem| (zeroed, dp_table_mem_size(max_entries) octets). */
void
dp_table_init(struct dp_table *t, void *mem, uint32_t max_entries);

static inline uint64_t
dp_key_head(unsigned int kind, unsigned int proto, uint16_t x, uint32_t ssrc)
{
	return (uint64_t)kind | (uint64_t)(proto & 0xff) << 8 | (uint64_t)x << 16 |
	       (uint64_t)ssrc << 32;
}

/* The keys. |mki_len| 0..8 (beyond: the first 8 octets count), |addr| 16 octets (IPv4 as ::ffff:a.b.c.d). */
static inline void
dp_key_secure(struct dp_key *k, unsigned int proto, const uint8_t *mki, unsigned int mki_len,
	      uint32_t ssrc)
{
	uint64_t m = 0;
	uint32_t m4;
	unsigned int i;

	if (mki_len >= 8) {
		memcpy(&m, mki, 8);
	} else if (mki_len == 4) {
		memcpy(&m4, mki, 4);
		m = m4;
	} else {
		for (i = 0; i < mki_len; i++)
			m |= (uint64_t)mki[i] << (8 * i);
	}
	k->w[0] = dp_key_head(DP_KEY_SECURE, proto, (uint16_t)mki_len, ssrc);
	k->w[1] = m;
	k->w[2] = 0;
	k->w[3] = 0;
}

static inline void
dp_key_plain(struct dp_key *k, unsigned int proto, const uint8_t addr[16], uint16_t port,
	     uint32_t ssrc)
{
	k->w[0] = dp_key_head(DP_KEY_PLAIN, proto, port, ssrc);
	memcpy(&k->w[1], addr, 8);
	memcpy(&k->w[2], addr + 8, 8);
	k->w[3] = 0;
}

static inline void
dp_key_id(struct dp_key *k, uint64_t id)
{
	k->w[0] = DP_KEY_ID;
	k->w[1] = id;
	k->w[2] = 0;
	k->w[3] = 0;
}

static inline void
dp_key_keyid(struct dp_key *k, const uint8_t key_id[4])
{
	uint32_t v;

	memcpy(&v, key_id, 4);
	k->w[0] = dp_key_head(DP_KEY_KEYID, 0, 0, v);
	k->w[1] = 0;
	k->w[2] = 0;
	k->w[3] = 0;
}

static inline uint64_t
dp_mix64(uint64_t x)
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
 * A 32-bit hash of |k| (also the owner hash for secure-side keys): CRC32-C of
 * the four words in two chains (SSE4.2, which DPDK's build requires), one
 * multiply to join them; splitmix rounds without SSE4.2 (other CPUs than x86_64).
 */
static inline uint32_t
dp_key_hash(const struct dp_key *k)
{
#ifdef __SSE4_2__
	uint64_t a = _mm_crc32_u64(0x9e3779b9u, k->w[0]), b = _mm_crc32_u64(0x7f4a7c15u, k->w[1]);

	a = _mm_crc32_u64(a, k->w[2]);
	b = _mm_crc32_u64(b, k->w[3]);
	return (uint32_t)a ^ (uint32_t)((b * 0x9e3779b97f4a7c15ull) >> 32);
#else
	uint64_t h = dp_mix64(k->w[0] ^ 0x9e3779b97f4a7c15ull);

	h = dp_mix64(h ^ k->w[1]);
	h = dp_mix64(h ^ k->w[2]);
	h = dp_mix64(h ^ k->w[3]);
	return (uint32_t)(h ^ h >> 32);
#endif
}

/* The owner of a secure-side stream: hash of MKI || SSRC, over |n_workers|. */
unsigned int
dp_owner_secure(const uint8_t *mki, unsigned int mki_len, uint32_t ssrc, unsigned int n_workers);

/* The owner of a plain-side (protect) stream: hash of its id, over |n_workers|. */
unsigned int
dp_owner_id(uint64_t id, unsigned int n_workers);

/* The entry for |k|, or NULL. */
struct dp_tent *
dp_table_lookup(const struct dp_table *t, const struct dp_key *k);

/*
 * The same with |hash| = dp_key_hash(k) already known: a burst hashes its
 * keys and prefetches their slots (dp_table_prefetch) before it looks up.
 */
struct dp_tent *
dp_table_lookup_hash(const struct dp_table *t, const struct dp_key *k, uint32_t hash);

/* Start loading the slot a lookup of |hash| begins at. */
static inline void
dp_table_prefetch(const struct dp_table *t, uint32_t hash)
{
	__builtin_prefetch(&t->ent[hash & t->mask], 0, 3);
}

/*
 * Add |k| -> (|val|, |owner|, |id|). Returns 0, -DP_E_EXISTS (key present,
 * table unchanged) or -DP_E_LIMIT (table at its maximum).
 */
MUST_CHECK int
dp_table_add(struct dp_table *t, const struct dp_key *k, void *val, uint16_t owner,
	     uint64_t id);

/* Remove |k|; returns its value, or NULL if absent. */
void *
dp_table_del(struct dp_table *t, const struct dp_key *k);

/*
 * Walk the used slots from |*cursor| (0 to start); returns the next entry
 * and moves the cursor past it, or NULL at the end.
 */
struct dp_tent *
dp_table_next(const struct dp_table *t, uint32_t *cursor);

#endif /* DP_TABLE_H */
