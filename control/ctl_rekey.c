/* SPDX-License-Identifier: proprietary */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ctl_ops.h"
#include "ctl_rekey.h"

enum pair_state {
	PAIR_STANDBY,		/* the new stream waits */
	PAIR_SWITCHED,		/* the new stream sends; the old one is to be removed */
	PAIR_DONE,		/* the old one is gone */
};

struct pending {
	uint8_t old_key[DP_KEY_ID_LEN], new_key[DP_KEY_ID_LEN];
	int64_t activate_at, retire_at;
	unsigned int n;
	uint64_t *old_ids, *new_ids;
	uint8_t *state;		/* enum pair_state, one per pair */
	bool switched;		/* every pair done: the new key sends */
};

struct ctl_rekey {
	unsigned int n;
	struct pending p[CTL_REKEY_MAX];
};

int
ctl_rekey_new(struct ctl_rekey **out)
{
	*out = calloc(1, sizeof(**out));
	return *out == NULL ? -CTL_E_NOMEM : 0;
}

static void
pending_fini(struct pending *p)
{
	free(p->old_ids);
	free(p->new_ids);
	free(p->state);
	memset(p, 0, sizeof(*p));
}

void
ctl_rekey_free(struct ctl_rekey *rk)
{
	unsigned int i;

	if (rk == NULL)
		return;
	for (i = 0; i < rk->n; i++)
		pending_fini(&rk->p[i]);
	free(rk);
}

int64_t
ctl_rekey_retire_at(int64_t activate_at, uint32_t grace_s, int64_t old_expiry)
{
	int64_t t = activate_at + grace_s;

	if (old_expiry != 0 && old_expiry < t)
		t = old_expiry;
	return t < activate_at ? activate_at : t;
}

static bool
member_in(const struct dp_member *m, const struct dp_member *set, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (set[i].port == m->port && memcmp(set[i].addr, m->addr, sizeof(m->addr)) == 0)
			return true;
	return false;
}

static bool
twin_of(const struct dp_stream_info *si, const uint8_t key[DP_KEY_ID_LEN],
	const struct dp_stream_spec *sp)
{
	const struct dp_srtp_params *p = &si->params;
	unsigned int i;

	if (p->dir != DP_SRTP_DIR_PROTECT || si->standby || p->mki_len < DP_KEY_ID_LEN ||
	    sodium_memcmp(p->mki, key, DP_KEY_ID_LEN) != 0 || p->proto != sp->params.proto ||
	    p->ssrc != sp->params.ssrc || si->n_members != sp->n_members)
		return false;
	for (i = 0; i < sp->n_members; i++)
		if (!member_in(&sp->members[i], si->members, si->n_members))
			return false;
	return true;
}

int
ctl_rekey_find_twin(struct dp *dp, const uint8_t old_id[DP_KEY_ID_LEN],
		    const struct dp_stream_spec *sp, uint64_t *id)
{
	uint64_t ids[CTL_LIST_MAX];
	struct dp_stream_info si;
	uint32_t cursor = 0;
	unsigned int i, n;

	do {
		n = dp_stream_list(dp, ids, CTL_LIST_MAX, &cursor);
		for (i = 0; i < n; i++)
			if (dp_stream_get(dp, ids[i], &si) == 0 && twin_of(&si, old_id, sp)) {
				*id = ids[i];
				return 0;
			}
	} while (n == CTL_LIST_MAX);
	return -CTL_E_NOTFOUND;
}

bool
ctl_rekey_busy(const struct ctl_rekey *rk, const uint8_t id[DP_KEY_ID_LEN])
{
	unsigned int i;

	for (i = 0; i < rk->n; i++)
		if (sodium_memcmp(rk->p[i].old_key, id, DP_KEY_ID_LEN) == 0 ||
		    sodium_memcmp(rk->p[i].new_key, id, DP_KEY_ID_LEN) == 0)
			return true;
	return false;
}

int
ctl_rekey_add(struct ctl_rekey *rk, const uint8_t old_key[DP_KEY_ID_LEN],
	      const uint8_t new_key[DP_KEY_ID_LEN], int64_t activate_at, int64_t retire_at,
	      const uint64_t *old_ids, const uint64_t *new_ids, unsigned int n)
{
	struct pending *p;

	if (rk->n == CTL_REKEY_MAX)
		return -CTL_E_LIMIT;
	p = &rk->p[rk->n];
	memset(p, 0, sizeof(*p));
	p->old_ids = calloc(n + 1, sizeof(*p->old_ids));
	p->new_ids = calloc(n + 1, sizeof(*p->new_ids));
	p->state = calloc(n + 1, sizeof(*p->state));
	if (p->old_ids == NULL || p->new_ids == NULL || p->state == NULL) {
		pending_fini(p);
		return -CTL_E_NOMEM;
	}
	memcpy(p->old_key, old_key, DP_KEY_ID_LEN);
	memcpy(p->new_key, new_key, DP_KEY_ID_LEN);
	p->activate_at = activate_at;
	p->retire_at = retire_at;
	p->n = n;
	if (n != 0) {
		memcpy(p->old_ids, old_ids, n * sizeof(*old_ids));
		memcpy(p->new_ids, new_ids, n * sizeof(*new_ids));
	}
	rk->n++;
	return 0;
}

static void
log_key(FILE *log, const char *what, const uint8_t k[DP_KEY_ID_LEN], uint64_t a, uint64_t b)
{
	if (log == NULL)
		return;
	fprintf(log, "mcpxd: rekey %02x%02x%02x%02x: %s %" PRIu64 " -> %" PRIu64 "\n", k[0],
		k[1], k[2], k[3], what, a, b);
	fflush(log);
}

/*
 * Switch each pair, then remove its old stream. The switch is one command per
 * worker, in ring order with the packets' processing: no packet finds neither
 * stream. Returns false while a pair is left (a full ring: next tick).
 */
static bool
switch_all(struct pending *p, struct dp *dp, FILE *log)
{
	unsigned int i;
	int rc;

	for (i = 0; i < p->n; i++) {
		if (p->state[i] == PAIR_STANDBY) {
			rc = dp_stream_switch(dp, p->old_ids[i], p->new_ids[i]);
			if (rc == -DP_E_FULL)
				return false;
			if (rc < 0) {
				/*
				 * Make before break: without the switch the old stream
				 * keeps its place (and goes at retirement), never removed
				 * here, or its packets would find no stream at all.
				 */
				log_key(log, dp_strerror(rc), p->old_key, p->old_ids[i],
					p->new_ids[i]);
				p->state[i] = PAIR_DONE;
				continue;
			}
			log_key(log, "switched stream", p->old_key, p->old_ids[i], p->new_ids[i]);
			p->state[i] = PAIR_SWITCHED;
		}
		if (p->state[i] == PAIR_SWITCHED) {
			rc = dp_stream_del(dp, p->old_ids[i]);
			if (rc == -DP_E_FULL)
				return false;
			p->state[i] = PAIR_DONE;	/* NOTFOUND: someone removed it already */
		}
	}
	return true;
}

static bool
of_key(const struct dp_stream_info *si, const uint8_t key[DP_KEY_ID_LEN])
{
	return si->params.mki_len >= DP_KEY_ID_LEN &&
	       sodium_memcmp(si->params.mki, key, DP_KEY_ID_LEN) == 0;
}

/*
 * Remove every stream of |key| (installed, learnt, protect streams no rekey
 * named), then the key. Ids are gathered first: removing during the walk
 * could skip some. Returns false when something is left for the next tick.
 */
static bool
retire(struct dp *dp, const uint8_t key[DP_KEY_ID_LEN], FILE *log)
{
	uint64_t ids[CTL_LIST_MAX], *del = NULL, *d;
	struct dp_stream_info si;
	size_t n_del = 0, cap = 0;
	uint32_t cursor = 0;
	unsigned int i, n;
	bool done = true;
	int rc;

	do {
		n = dp_stream_list(dp, ids, CTL_LIST_MAX, &cursor);
		for (i = 0; i < n; i++) {
			if (dp_stream_get(dp, ids[i], &si) != 0 || !of_key(&si, key))
				continue;
			if (n_del == cap) {
				cap = cap == 0 ? 64 : 2 * cap;
				d = realloc(del, cap * sizeof(*del));
				if (d == NULL) {
					free(del);
					return false;
				}
				del = d;
			}
			del[n_del++] = ids[i];
		}
	} while (n == CTL_LIST_MAX);
	for (i = 0; i < n_del && done; i++) {
		rc = dp_stream_del(dp, del[i]);
		done = rc != -DP_E_FULL;
		if (done)
			log_key(log, "retired stream", key, del[i], 0);
	}
	free(del);
	if (!done)
		return false;
	rc = dp_key_del(dp, key);
	return rc != -DP_E_FULL && rc != -DP_E_STATE;
}

unsigned int
ctl_rekey_tick(struct ctl_rekey *rk, struct dp *dp, int64_t now, FILE *log,
	       ctl_rekey_retired_cb cb, void *arg)
{
	unsigned int i = 0;

	while (i < rk->n) {
		struct pending *p = &rk->p[i];

		if (now >= p->activate_at && !p->switched)
			p->switched = switch_all(p, dp, log);
		if (!p->switched || now < p->retire_at || !retire(dp, p->old_key, log)) {
			i++;
			continue;
		}
		if (cb != NULL)
			cb(arg, p->old_key);
		pending_fini(p);
		rk->p[i] = rk->p[--rk->n];
		memset(&rk->p[rk->n], 0, sizeof(rk->p[rk->n]));
	}
	return rk->n;
}

json_t *
ctl_rekey_json(const struct ctl_rekey *rk)
{
	json_t *arr = json_array(), *o;
	unsigned int i;

	for (i = 0; rk != NULL && i < rk->n; i++) {
		const struct pending *p = &rk->p[i];

		o = json_object();
		json_object_set_new(o, "old", ctl_hex_json(p->old_key, DP_KEY_ID_LEN));
		json_object_set_new(o, "new", ctl_hex_json(p->new_key, DP_KEY_ID_LEN));
		json_object_set_new(o, "activate_at", json_integer(p->activate_at));
		json_object_set_new(o, "retire_at", json_integer(p->retire_at));
		json_object_set_new(o, "switched", json_boolean(p->switched));
		json_object_set_new(o, "streams", json_integer(p->n));
		json_array_append_new(arr, o);
	}
	return arr;
}
