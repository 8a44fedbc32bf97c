/* SPDX-License-Identifier: proprietary */
/*
 * The MIKEY replay cache: a fixed array of (identity, expiry) scanned
 * linearly. Recording a message is one pass that drops expired entries,
 * finds a live entry with the same identity (a replay) and remembers the
 * first free slot.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys_period.h"
#include "mikey_replay.h"
#include "mikey_sakke.h"

#define ID_LEN 16			/* crypto_generichash_BYTES_MIN */

struct entry {
	uint8_t id[ID_LEN];
	uint64_t expires;		/* NTP seconds; 0: free */
};

struct mikey_replay {
	uint8_t hkey[crypto_generichash_KEYBYTES];
	size_t cap;
	struct entry e[];
};

int
mikey_replay_new(struct mikey_replay **out, size_t capacity)
{
	struct mikey_replay *r;

	if (out == NULL)
		return -KEYS_E_ARG;
	*out = NULL;
	if (capacity == 0 || capacity > MIKEY_REPLAY_MAX)
		return -KEYS_E_RANGE;
	r = calloc(1, sizeof(*r) + capacity * sizeof(r->e[0]));
	if (r == NULL)
		return -KEYS_E_NOMEM;
	crypto_generichash_keygen(r->hkey);
	r->cap = capacity;
	*out = r;
	return 0;
}

void
mikey_replay_free(struct mikey_replay *r)
{
	if (r == NULL)
		return;
	sodium_memzero(r, sizeof(*r) + r->cap * sizeof(r->e[0]));
	free(r);
}

size_t
mikey_replay_live(const struct mikey_replay *r, int64_t now)
{
	uint64_t now1900;
	size_t i, n = 0;

	if (r == NULL || keys_ntp_from_unix(&now1900, now) < 0)
		return 0;
	for (i = 0; i < r->cap; i++)
		n += r->e[i].expires != 0 && r->e[i].expires >= now1900;
	return n;
}

/*
 * The identity: keyed BLAKE2b over fixed-length fields, then RAND with its
 * length. The fields go in host order: the cache and its key live in one
 * process, so only equality matters, never a byte order on a wire.
 */
static int
msg_id(uint8_t id[ID_LEN], const struct mikey_replay *r, const uint8_t uid_i[MIKEY_UID_LEN],
       uint32_t csb_id, uint64_t ts, const uint8_t *rand, size_t rand_len)
{
	crypto_generichash_state st;
	uint8_t n8 = (uint8_t)rand_len;

	if (rand_len > UINT8_MAX || (rand == NULL && rand_len != 0))
		return -KEYS_E_ARG;
	if (crypto_generichash_init(&st, r->hkey, sizeof(r->hkey), ID_LEN) != 0 ||
	    crypto_generichash_update(&st, uid_i, MIKEY_UID_LEN) != 0 ||
	    crypto_generichash_update(&st, (const uint8_t *)&csb_id, sizeof(csb_id)) != 0 ||
	    crypto_generichash_update(&st, (const uint8_t *)&ts, sizeof(ts)) != 0 ||
	    crypto_generichash_update(&st, &n8, 1) != 0 ||
	    crypto_generichash_update(&st, rand, rand_len) != 0 ||
	    crypto_generichash_final(&st, id, ID_LEN) != 0)
		return -KEYS_E_CRYPTO;
	return 0;
}

int
mikey_replay_add(struct mikey_replay *r, const uint8_t uid_i[MIKEY_UID_LEN], uint32_t csb_id,
		 uint64_t ts, const uint8_t *rand, size_t rand_len, uint64_t now1900,
		 uint64_t expires1900)
{
	struct entry *free_slot = NULL;
	uint8_t id[ID_LEN];
	size_t i;
	int rc;

	if (r == NULL || uid_i == NULL || expires1900 == 0)
		return -KEYS_E_ARG;
	rc = msg_id(id, r, uid_i, csb_id, ts, rand, rand_len);
	if (rc < 0)
		return rc;
	for (i = 0; i < r->cap; i++) {
		struct entry *e = &r->e[i];

		if (e->expires != 0 && e->expires < now1900)
			e->expires = 0;		/* T + window has passed */
		if (e->expires == 0) {
			if (free_slot == NULL)
				free_slot = e;
			continue;
		}
		if (sodium_memcmp(e->id, id, ID_LEN) == 0)
			return -KEYS_E_EXISTS;
	}
	/* full of live entries: forgetting one would reopen it to replay */
	if (free_slot == NULL)
		return -KEYS_E_NOMEM;
	memcpy(free_slot->id, id, ID_LEN);
	free_slot->expires = expires1900;
	return 0;
}

void
mikey_replay_forget(struct mikey_replay *r, const struct mikey_key *k)
{
	uint8_t id[ID_LEN];
	size_t i;

	if (r == NULL || k == NULL ||
	    msg_id(id, r, k->initiator_uid, k->csb_id, k->ts, k->rand, k->rand_len) < 0)
		return;
	for (i = 0; i < r->cap; i++)
		if (r->e[i].expires != 0 && sodium_memcmp(r->e[i].id, id, ID_LEN) == 0)
			r->e[i].expires = 0;
}
