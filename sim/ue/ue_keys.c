/* SPDX-License-Identifier: proprietary */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "keys_keyid.h"
#include "keys_period.h"
#include "ue_keys.h"

struct ue_keys {
	char uri[STORE_URI_MAX + 1];
	int64_t now;			/* 0: the clock */
	char kms_uri[UE_KMS_MAX][STORE_URI_MAX + 1];
	struct mikey_kms kms[UE_KMS_MAX];
	const struct mikey_kms *trusted[UE_KMS_MAX];
	size_t n_kms;
	struct mikey_identity *ids[UE_PERIODS_MAX];
	size_t n_ids;
	struct mikey_signer *signer;	/* the period in force; NULL if not held */
	const struct mikey_kms *own;	/* the signer's KMS */
	struct mikey_counters ctr;
	struct mikey_replay *replay;	/* every message opened, until its window ends */
	const char *initiators[UE_INITIATORS_MAX];	/* borrowed */
	size_t n_initiators;
};

static int64_t
fixed_clock(void *arg)
{
	const struct ue_keys *k = arg;

	return k->now;
}

static int64_t
now_of(const struct ue_keys *k)
{
	return k->now != 0 ? k->now : (int64_t)time(NULL);
}

static const struct mikey_kms *
find_kms(const struct ue_keys *k, const char *uri)
{
	size_t i;

	for (i = 0; i < k->n_kms; i++)
		if (uri == NULL || strcmp(k->kms_uri[i], uri) == 0)
			return &k->kms[i];
	return NULL;
}

static int
add_cert(struct ue_keys *k, const struct store_cert *c)
{
	struct mikey_kms *m;

	if (k->n_kms == UE_KMS_MAX)
		return -KEYS_E_RANGE;
	m = &k->kms[k->n_kms];
	memcpy(k->kms_uri[k->n_kms], c->kms_uri, sizeof(k->kms_uri[0]));
	mikey_kms_from_store(m, c);
	m->uri = k->kms_uri[k->n_kms];	/* our copy outlives the store */
	k->trusted[k->n_kms++] = m;
	return 0;
}

/* One key set of ours: a receiving identity, and the signer if it is in force. */
static int
add_keyset(struct ue_keys *k, const struct store_keyset *ks)
{
	const struct mikey_kms *kms = find_kms(k, ks->kms_uri);
	uint64_t cur;
	int rc;

	if (kms == NULL)
		return -KEYS_E_NOTFOUND;
	if (k->n_ids == UE_PERIODS_MAX)
		return -KEYS_E_RANGE;
	rc = mikey_identity_new(&k->ids[k->n_ids], k->uri, kms, ks->period_no, ks->rsk);
	if (rc < 0)
		return rc;
	k->n_ids++;
	rc = keys_period_no_unix(&cur, now_of(k), kms->period_len, kms->period_offset);
	if (rc < 0 || cur != ks->period_no || k->signer != NULL)
		return 0;
	k->own = kms;
	return mikey_signer_new(&k->signer, k->uri, kms, ks->period_no, ks->ssk, ks->pvt);
}

static int
load(struct ue_keys *k, const struct store *st)
{
	struct store_item it;
	size_t pos = 0;
	int rc;

	while (store_next(st, &pos, &it))		/* certificates first: key sets name them */
		if (it.type == STORE_T_CERT && (rc = add_cert(k, it.cert)) < 0)
			return rc;
	pos = 0;
	while (store_next(st, &pos, &it))
		if (it.type == STORE_T_KEYSET && strcmp(it.keyset->uri, k->uri) == 0 &&
		    (rc = add_keyset(k, it.keyset)) < 0)
			return rc;
	return k->n_ids == 0 ? -KEYS_E_NOTFOUND : 0;
}

int
ue_keys_new(struct ue_keys **out, const struct store *st, const char *uri, int64_t now)
{
	struct ue_keys *k;
	int rc;

	if (out == NULL || st == NULL || uri == NULL || uri[0] == '\0' ||
	    strlen(uri) > STORE_URI_MAX)
		return -KEYS_E_ARG;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return -KEYS_E_NOMEM;
	strcpy(k->uri, uri);
	k->now = now;
	rc = mikey_replay_new(&k->replay, UE_REPLAY_CAP);
	if (rc == 0)
		rc = load(k, st);
	if (rc < 0) {
		ue_keys_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

void
ue_keys_free(struct ue_keys *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->n_ids; i++)
		mikey_identity_free(k->ids[i]);
	mikey_signer_free(k->signer);
	mikey_replay_free(k->replay);
	free(k);
}

int64_t
ue_keys_at(const struct ue_keys *k)
{
	return k->now;
}

const char *
ue_keys_uri(const struct ue_keys *k)
{
	return k->uri;
}

const struct mikey_counters *
ue_keys_counters(const struct ue_keys *k)
{
	return &k->ctr;
}

int
ue_keys_expect(struct ue_keys *k, const char *const *uris, size_t n)
{
	size_t i;

	if (k == NULL || (uris == NULL && n != 0))
		return -KEYS_E_ARG;
	if (n > UE_INITIATORS_MAX)
		return -KEYS_E_RANGE;
	for (i = 0; i < n; i++)
		if (uris[i] == NULL)
			return -KEYS_E_ARG;
	for (i = 0; i < n; i++)
		k->initiators[i] = uris[i];
	k->n_initiators = n;
	return 0;
}

int
ue_keys_open(struct ue_keys *k, const uint8_t *msg, size_t len, int purpose,
	     struct mikey_key *out, enum mikey_reject *why)
{
	struct mikey_rx rx = {
		.kms = k->trusted,
		.n_kms = k->n_kms,
		.ids = (const struct mikey_identity *const *)k->ids,
		.n_ids = k->n_ids,
		.clock = k->now != 0 ? fixed_clock : NULL,
		.clock_arg = k,
		.initiators = k->initiators,
		.n_initiators = k->n_initiators,
		.ctr = &k->ctr,
		.replay = k->replay,
	};

	return mikey_sakke_receive(out, &rx, msg, len, purpose, why);
}

void
ue_keys_forget(struct ue_keys *k, const struct mikey_key *key)
{
	mikey_replay_forget(k->replay, key);
}

int
ue_keys_make(struct ue_keys *k, unsigned int purpose, const char *to_uri, const char *to_kms,
	     uint8_t *buf, size_t cap, size_t *len, struct mikey_key *out)
{
	struct mikey_newkey nk;
	struct mikey_tx tx = { 0 };
	int rc;

	if (to_uri == NULL || (purpose != KEYS_PURPOSE_PCK && purpose != KEYS_PURPOSE_CSK))
		return -KEYS_E_ARG;
	tx.from = k->signer;
	tx.to.uri = to_uri;
	tx.to.kms = to_kms != NULL ? find_kms(k, to_kms) : k->own;
	tx.now = now_of(k);
	tx.to_self = true;		/* E.5: how we read our own key back */
	if (tx.from == NULL || tx.to.kms == NULL)
		return -KEYS_E_NOTFOUND;
	rc = mikey_newkey_make(&nk, purpose);
	if (rc < 0)
		goto out;
	if (purpose == KEYS_PURPOSE_PCK)
		rc = mikey_pck_send(buf, cap, len, &tx, &nk);
	else
		rc = mikey_csk_send(buf, cap, len, &tx, &nk);
	if (rc < 0)
		goto out;
	rc = ue_keys_open(k, buf, *len, (int)purpose, out, NULL);
out:
	sodium_memzero(&nk, sizeof(nk));
	return rc;
}

int
ue_mikey_unwrap(uint8_t *out, size_t cap, size_t *len, const uint8_t *in, size_t in_len)
{
	static const char prefix[] = "a=key-mgmt:mikey ";
	const char *end;

	if (out == NULL || len == NULL || in == NULL || in_len == 0)
		return -KEYS_E_ARG;
	if (in[0] == 1) {		/* MIKEY HDR version 1: raw */
		if (in_len > cap)
			return -KEYS_E_RANGE;
		memcpy(out, in, in_len);
		*len = in_len;
		return 0;
	}
	while (in_len != 0 && in[0] == '#') {	/* mcpx-keys' "# GMK for ..." lines */
		end = memchr(in, '\n', in_len);
		if (end == NULL)
			return -KEYS_E_PARSE;
		in_len -= (size_t)(end + 1 - (const char *)in);
		in = (const uint8_t *)end + 1;
	}
	if (in_len >= sizeof(prefix) - 1 && memcmp(in, prefix, sizeof(prefix) - 1) == 0) {
		in += sizeof(prefix) - 1;
		in_len -= sizeof(prefix) - 1;
	}
	if (in_len / 4 * 3 > cap + 3)
		return -KEYS_E_RANGE;
	if (sodium_base642bin(out, cap, (const char *)in, in_len, " \t\r\n", len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != (const char *)in + in_len || *len == 0)
		return -KEYS_E_PARSE;
	return 0;
}

int
ue_mikey_b64(char *out, size_t cap, const uint8_t *msg, size_t len)
{
	if (cap < sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL))
		return -KEYS_E_RANGE;
	sodium_bin2base64(out, cap, msg, len, sodium_base64_VARIANT_ORIGINAL);
	return 0;
}
