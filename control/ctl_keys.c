/* SPDX-License-Identifier: proprietary */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ctl_keys.h"
#include "ctl_ops.h"
#include "mikey_sakke.h"
#include "store.h"
#include "store_secret.h"

/* One loaded store and what the receiver needs of it. */
struct loaded {
	struct store *st;
	struct mikey_kms *kms;
	const struct mikey_kms **kms_p;
	size_t n_kms;
	struct mikey_identity **ids;
	size_t n_ids;
};

struct ctl_keys {
	char *path, *pass_file, *key_file;
	struct loaded cur;
	struct mikey_counters ctr;
	int64_t (*clock)(void *arg);
	void *clock_arg;
};

static void
loaded_fini(struct loaded *l)
{
	size_t i;

	for (i = 0; i < l->n_ids; i++)
		mikey_identity_free(l->ids[i]);
	free(l->ids);
	free(l->kms_p);
	free(l->kms);
	store_free(l->st);
	memset(l, 0, sizeof(*l));
}

static const struct mikey_kms *
kms_find(const struct loaded *l, const char *uri)
{
	size_t i;

	for (i = 0; i < l->n_kms; i++)
		if (strcmp(l->kms[i].uri, uri) == 0)
			return &l->kms[i];
	return NULL;
}

/* Certificates first, then every key set under a trusted KMS becomes an identity. */
static int
loaded_index(struct loaded *l, struct ctl_err *err)
{
	struct store_item it;
	const struct mikey_kms *kms;
	size_t pos = 0, n = store_count(l->st);
	int rc;

	l->kms = calloc(n + 1, sizeof(*l->kms));
	l->kms_p = calloc(n + 1, sizeof(*l->kms_p));
	l->ids = calloc(n + 1, sizeof(*l->ids));
	if (l->kms == NULL || l->kms_p == NULL || l->ids == NULL)
		return ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
	while (store_next(l->st, &pos, &it)) {
		struct mikey_kms *k = &l->kms[l->n_kms];

		if (it.type != STORE_T_CERT)
			continue;
		mikey_kms_from_store(k, it.cert);
		l->kms_p[l->n_kms++] = k;
	}
	for (pos = 0; store_next(l->st, &pos, &it);) {
		if (it.type != STORE_T_KEYSET || (kms = kms_find(l, it.keyset->kms_uri)) == NULL)
			continue;
		rc = mikey_identity_new(&l->ids[l->n_ids], it.keyset->uri, kms,
					it.keyset->period_no, it.keyset->rsk);
		if (rc < 0)
			return ctl_err_set(err, -CTL_E_KEYSTORE, "identity %.200s: %s",
					   it.keyset->uri, keys_strerror(rc));
		l->n_ids++;
	}
	return 0;
}

static int
load(struct ctl_keys *k, struct loaded *l, struct ctl_err *err)
{
	struct store_secret_buf sb;
	int rc;

	memset(l, 0, sizeof(*l));
	memset(&sb, 0, sizeof(sb));
	rc = store_secret_load(&sb, k->pass_file, k->key_file);
	if (rc < 0)
		return ctl_err_set(err, -CTL_E_KEYSTORE, "the store's secret: %s",
				   keys_strerror(rc));
	rc = store_open(&l->st, k->path, &sb.sec);
	store_secret_release(&sb);
	if (rc < 0)
		return ctl_err_set(err, -CTL_E_KEYSTORE, "%.150s: %s", k->path, keys_strerror(rc));
	rc = loaded_index(l, err);
	if (rc < 0)
		loaded_fini(l);
	return rc;
}

static char *
dup_or_null(const char *s, bool *fail)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*fail = true;
	return d;
}

int
ctl_keys_new(struct ctl_keys **out, const char *path, const char *passphrase_file,
	     const char *key_file, struct ctl_err *err)
{
	struct ctl_keys *k = calloc(1, sizeof(*k));
	bool fail = false;
	int rc;

	*out = NULL;
	if (k == NULL)
		return ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
	k->path = dup_or_null(path, &fail);
	k->pass_file = dup_or_null(passphrase_file, &fail);
	k->key_file = dup_or_null(key_file, &fail);
	if (fail || path == NULL) {
		ctl_keys_free(k);
		return ctl_err_set(err, fail ? -CTL_E_NOMEM : -CTL_E_ARG, "no key store path");
	}
	rc = load(k, &k->cur, err);
	if (rc < 0) {
		ctl_keys_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

void
ctl_keys_free(struct ctl_keys *k)
{
	if (k == NULL)
		return;
	loaded_fini(&k->cur);
	free(k->path);
	free(k->pass_file);
	free(k->key_file);
	free(k);
}

void
ctl_keys_counts(const struct ctl_keys *k, unsigned int *n_ids, unsigned int *n_kms)
{
	*n_ids = (unsigned int)k->cur.n_ids;
	*n_kms = (unsigned int)k->cur.n_kms;
}

void
ctl_keys_set_clock(struct ctl_keys *k, int64_t (*clock)(void *arg), void *arg)
{
	k->clock = clock;
	k->clock_arg = arg;
}

int
ctl_keys_reload(struct ctl_keys *k, json_t *reply, struct ctl_err *err)
{
	struct loaded l;
	int rc = load(k, &l, err);

	if (rc < 0)
		return rc;
	loaded_fini(&k->cur);
	k->cur = l;
	json_object_set_new(reply, "identities", json_integer((json_int_t)l.n_ids));
	json_object_set_new(reply, "kms", json_integer((json_int_t)l.n_kms));
	return 0;
}

/* The dataplane profile of what the message (SP or default table) says. */
static int
profile_of(const struct mikey_key *key, enum dp_srtp_profile *out)
{
	const struct mikey_srtp_profile *p = &key->profile;

	if (p->enc_alg != MIKEY_ENC_AES_GCM || p->salt_len != 12)
		return -1;
	if (p->enc_key_len == 16)
		*out = DP_SRTP_AEAD_AES_128_GCM;
	else if (p->enc_key_len == 32)
		*out = DP_SRTP_AEAD_AES_256_GCM;
	else
		return -1;
	return 0;
}

/* PCK: CS 0 or 1 as asked; GMK: CS 4; CSK: CS 6 (TS 33.180 Table E.1.3-1). */
static int
cs_of(const struct mikey_key *key, const struct ctl_mikey_stream *mk, uint8_t *cs)
{
	switch (key->purpose) {
	case KEYS_PURPOSE_PCK:
		if (mk->cs_id != 0 && mk->cs_id != 1)
			return -1;
		*cs = (uint8_t)mk->cs_id;
		return 0;
	case KEYS_PURPOSE_GMK:
		*cs = 4;
		return mk->cs_id == -1 || mk->cs_id == 4 ? 0 : -1;
	case KEYS_PURPOSE_CSK:
		*cs = 6;
		return mk->cs_id == -1 || mk->cs_id == 6 ? 0 : -1;
	default:
		return -1;
	}
}

static int
derive(const struct mikey_key *key, enum dp_srtp_profile prof, const struct ctl_mikey_stream *mk,
       struct dp_stream_spec *sp, struct ctl_err *err, unsigned int i)
{
	struct dp_srtp_params *p = &sp->params;
	struct mikey_srtp_master m;
	uint8_t cs;
	int rc;

	if (cs_of(key, mk, &cs) != 0)
		return ctl_err_set(err, -CTL_E_VALUE, "streams[%u].cs_id: %s", i,
				   key->purpose == KEYS_PURPOSE_PCK ? "0 or 1 for a PCK"
								    : "does not fit the key type");
	rc = mikey_key_srtp(&m, key, cs, mk->has_guk ? mk->guk_id : key->csb_id);
	if (rc < 0)
		return ctl_err_set(err, -CTL_E_MIKEY, "streams[%u]: key derivation: %s", i,
				   keys_strerror(rc));
	if (mk->mki_len != 0 && (mk->mki_len != m.mki_len ||
				 sodium_memcmp(mk->mki, m.mki, m.mki_len) != 0)) {
		mikey_srtp_master_wipe(&m);
		return ctl_err_set(err, -CTL_E_VALUE, "streams[%u].mki: not the message's key",
				   i);
	}
	p->profile = prof;
	memcpy(p->master_key, m.key, dp_srtp_profile_info(prof)->key_len);
	memcpy(p->master_salt, m.salt, dp_srtp_profile_info(prof)->salt_len);
	memcpy(p->mki, m.mki, m.mki_len);
	p->mki_len = m.mki_len;
	if (p->proto == DP_SRTP_PROTO_RTP && key->profile.auth_alg == MIKEY_AUTH_RCCM3)
		p->rcc_r = key->profile.roc_rate;
	mikey_srtp_master_wipe(&m);
	return 0;
}

static void
install_reply(const struct mikey_key *key, const struct ctl_req *req, const uint64_t *ids,
	      json_t *reply)
{
	const struct dp_srtp_params *p;
	json_t *arr = json_array(), *o;
	uint8_t kid[4];
	unsigned int i;

	for (i = 0; i < req->n_streams; i++) {
		p = &req->streams[i].params;	/* keys already wiped by the install */
		o = json_object();
		json_object_set_new(o, "id", json_integer((json_int_t)ids[i]));
		json_object_set_new(o, "mki", ctl_hex_json(p->mki, p->mki_len));
		json_array_append_new(arr, o);
	}
	kid[0] = (uint8_t)(key->key_id >> 24);
	kid[1] = (uint8_t)(key->key_id >> 16);
	kid[2] = (uint8_t)(key->key_id >> 8);
	kid[3] = (uint8_t)key->key_id;
	json_object_set_new(reply, "streams", arr);
	json_object_set_new(reply, "key_id", ctl_hex_json(kid, sizeof(kid)));
	json_object_set_new(reply, "purpose", json_integer(key->purpose));
	p = &req->streams[0].params;
	json_object_set_new(reply, "profile", json_string(dp_srtp_profile_info(p->profile)->name));
	json_object_set_new(reply, "initiator", json_string(key->initiator_hidden ? ""
								 : key->initiator));
}

int
ctl_keys_install(struct ctl_keys *k, struct ctl_ops *c, struct ctl_req *req, json_t *reply,
		 struct ctl_err *err)
{
	struct mikey_rx rx = {
		.kms = k->cur.kms_p, .n_kms = k->cur.n_kms,
		.ids = (const struct mikey_identity *const *)k->cur.ids, .n_ids = k->cur.n_ids,
		.clock = k->clock, .clock_arg = k->clock_arg, .ctr = &k->ctr,
	};
	enum mikey_reject why = MIKEY_REJECT_NONE;
	enum dp_srtp_profile prof;
	struct mikey_key key;
	uint64_t *ids = NULL;
	unsigned int i;
	int rc;

	rc = mikey_sakke_receive(&key, &rx, req->imsg, req->imsg_len, req->purpose, &why);
	if (rc < 0)	/* |key| is wiped by the receiver on failure */
		return ctl_err_set(err, -CTL_E_MIKEY, "%s: %s", mikey_reject_name(why),
				   mikey_reject_str(why));
	if (profile_of(&key, &prof) != 0) {
		rc = ctl_err_set(err, -CTL_E_MIKEY, "the message's SRTP profile is not supported");
		goto out;
	}
	for (i = 0; i < req->n_streams; i++) {
		rc = derive(&key, prof, &req->mk[i], &req->streams[i], err, i);
		if (rc < 0)
			goto out;
	}
	ids = calloc(req->n_streams, sizeof(*ids));
	if (ids == NULL) {
		rc = ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
		goto out;
	}
	rc = ctl_streams_install(c, req->streams, req->n_streams, ids, err);
	if (rc == 0)
		install_reply(&key, req, ids, reply);
out:
	free(ids);
	mikey_key_wipe(&key);
	for (i = 0; i < req->n_streams; i++) {
		struct dp_srtp_params *p = &req->streams[i].params;

		sodium_memzero(p->master_key, sizeof(p->master_key));
		sodium_memzero(p->master_salt, sizeof(p->master_salt));
	}
	return rc;
}
