/* SPDX-License-Identifier: proprietary */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ctl_keys.h"
#include "ctl_ops.h"
#include "ctl_rekey.h"
#include "keys_period.h"
#include "mikey_sakke.h"
#include "store.h"
#include "store_secret.h"

#define RELEASE_BATCH 64		/* keys a release sweep looks at */
#define RELEASE_EVERY_US 100000	/* one sweep per 100 ms at most: it walks every stream */
#define FAIL_SETS 2048		/* failure memory: FAIL_SETS x FAIL_WAYS (MKI, SSRC) */
#define FAIL_WAYS 2
/*
 * A refused (MKI, SSRC) is tried again after this. Short: the MKI and SSRC
 * are public, so a forger could otherwise keep a real sender from being
 * learnt with one packet a TTL; now it can delay it by a second at most per
 * forged packet, and the punt rate bounds the trials.
 */
#define FAIL_TTL_S 1
#define PUNT_SCRATCH 9216	/* the largest packet a sender is learnt from */
#define LEARN_MAX_DEFAULT 64

/* What a GMK that learns keeps to derive its senders' keys: locked, no access while idle. */
struct gmk_secret {
	uint8_t gmk[KEYS_KEY_LEN];
	uint8_t rand[MIKEY_RAND_CAP];
	uint8_t rand_len;
};

/* A key mikey.install installed: what rekeys and sender learning need of it. */
struct kept {
	struct kept *next;
	uint8_t id[DP_KEY_ID_LEN];	/* the MKI's first 4 octets: GMK-ID, PCK-ID, CSK-ID */
	unsigned int purpose;
	int64_t expiry;			/* Unix seconds (E.6), 0 never */
	enum dp_srtp_profile prof;
	uint16_t rcc_r;
	struct gmk_secret *sec;		/* a GMK that learns its senders, else NULL */
	struct ctl_learn tpl;		/* the senders' streams (sec != NULL) */
	bool registered;		/* dp_key_add was ours (learning): dp_key_del at release */
	bool check;			/* may be unwanted now: release_sweep looks */
};

/* A refused (MKI, SSRC, proto): |until| 0 is a free slot. */
struct fail_ent {
	uint8_t mki[8];
	uint32_t ssrc;
	uint8_t proto;
	int64_t until;
};

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
	unsigned int backend;		/* the dataplane's, for the trial contexts */
	struct kept *kept;
	struct ctl_rekey *rk;
	struct ctl_learn_counters lc;
	uint64_t swept_us;		/* the last release sweep (monotonic) */
	uint64_t sweep_gap_us;		/* from it to the next: 20 x its length, 100 ms at least */
	uint8_t fail_key[crypto_shorthash_KEYBYTES];
	struct fail_ent fail[FAIL_SETS][FAIL_WAYS];
	uint8_t scratch[PUNT_SCRATCH];	/* a punted packet under trial: wiped after */
};

static int64_t
now_of(const struct ctl_keys *k)
{
	return k->clock != NULL ? k->clock(k->clock_arg) : (int64_t)time(NULL);
}

static void
kept_free(struct kept *kp)
{
	if (kp == NULL)
		return;
	sodium_free(kp->sec);	/* wipes */
	free(kp);
}

static struct kept *
kept_find(const struct ctl_keys *k, const uint8_t id[DP_KEY_ID_LEN])
{
	struct kept *kp;

	for (kp = k->kept; kp != NULL; kp = kp->next)
		if (sodium_memcmp(kp->id, id, DP_KEY_ID_LEN) == 0)
			return kp;
	return NULL;
}

/* A retired key: its GMK is wiped and it is forgotten. */
static void
kept_retire(void *arg, const uint8_t id[DP_KEY_ID_LEN])
{
	struct ctl_keys *k = arg;
	struct kept **pp;

	for (pp = &k->kept; *pp != NULL; pp = &(*pp)->next) {
		if (sodium_memcmp((*pp)->id, id, DP_KEY_ID_LEN) == 0) {
			struct kept *kp = *pp;

			*pp = kp->next;
			kept_free(kp);
			return;
		}
	}
}

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
	crypto_shorthash_keygen(k->fail_key);
	if (ctl_rekey_new(&k->rk) < 0)
		fail = true;
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
	while (k->kept != NULL) {
		struct kept *kp = k->kept;

		k->kept = kp->next;
		kept_free(kp);
	}
	ctl_rekey_free(k->rk);
	free(k->path);
	free(k->pass_file);
	free(k->key_file);
	sodium_memzero(k, sizeof(*k));
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

void
ctl_keys_set_backend(struct ctl_keys *k, unsigned int backend)
{
	k->backend = backend;
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

/* Unix seconds of an E.6 time (seconds since 1900); 0 stays 0 (none). */
static int64_t
unix_of(uint64_t t1900)
{
	return t1900 == 0 ? 0 : (int64_t)(t1900 - KEYS_NTP_UNIX_OFFSET);
}

static void
install_reply(const struct mikey_key *key, enum dp_srtp_profile prof, const struct ctl_req *req,
	      const uint64_t *ids, const struct kept *kp, json_t *reply)
{
	const struct dp_srtp_params *p;
	json_t *arr = json_array(), *o;
	uint8_t kid[DP_KEY_ID_LEN];
	unsigned int i;

	for (i = 0; i < req->n_streams; i++) {
		p = &req->streams[i].params;	/* keys already wiped by the install */
		o = json_object();
		json_object_set_new(o, "id", json_integer((json_int_t)ids[i]));
		json_object_set_new(o, "mki", ctl_hex_json(p->mki, p->mki_len));
		json_array_append_new(arr, o);
	}
	keys_id_put(kid, key->key_id);
	json_object_set_new(reply, "streams", arr);
	json_object_set_new(reply, "key_id", ctl_hex_json(kid, sizeof(kid)));
	json_object_set_new(reply, "purpose", json_integer(key->purpose));
	json_object_set_new(reply, "profile", json_string(dp_srtp_profile_info(prof)->name));
	json_object_set_new(reply, "initiator", json_string(key->initiator));
	json_object_set_new(reply, "initiator_hidden", json_boolean(key->initiator_hidden));
	json_object_set_new(reply, "learning", json_boolean(kp != NULL && kp->sec != NULL));
}

/*
 * The senders' template: "learn" as given, what it leaves out from the
 * request's unprotect streams. No "learn" and no unprotect stream: the GMK
 * only sends here, and nothing is learnt.
 */
static bool
learn_template(const struct ctl_req *req, struct ctl_learn *t)
{
	const struct dp_stream_spec *sp;
	bool any = false;
	unsigned int i;

	memset(t, 0, sizeof(*t));
	if (req->has_learn)
		*t = req->learn;
	else
		t->max_senders = LEARN_MAX_DEFAULT;
	for (i = 0; i < req->n_streams; i++) {
		sp = &req->streams[i];
		if (sp->params.dir != DP_SRTP_DIR_UNPROTECT)
			continue;
		if (!req->has_learn && !any) {
			t->port = sp->port;
			t->replay_window = sp->params.replay_window;
		}
		if (!req->has_learn || req->learn.protos == 0)
			t->protos |= (uint8_t)(1u << sp->params.proto);
		any = true;
	}
	if (t->protos == 0)
		t->protos = 1u << DP_SRTP_PROTO_RTP;
	return any || req->has_learn;
}

/* The record of |key|; a GMK that learns keeps its secret, locked and sealed. */
static int
kept_new(struct kept **out, const struct mikey_key *key, enum dp_srtp_profile prof,
	 const struct ctl_req *req, struct ctl_err *err)
{
	struct kept *kp = calloc(1, sizeof(*kp));

	*out = NULL;
	if (kp == NULL)
		return ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
	keys_id_put(kp->id, key->key_id);
	kp->purpose = key->purpose;
	kp->expiry = key->has_params ? unix_of(key->expiry) : 0;
	kp->prof = prof;
	kp->rcc_r = key->profile.auth_alg == MIKEY_AUTH_RCCM3 ? key->profile.roc_rate : 0;
	if (key->purpose == KEYS_PURPOSE_GMK && learn_template(req, &kp->tpl)) {
		kp->sec = sodium_malloc(sizeof(*kp->sec));
		if (kp->sec == NULL) {
			free(kp);
			return ctl_err_set(err, -CTL_E_NOMEM, "out of locked memory");
		}
		memcpy(kp->sec->gmk, key->key, sizeof(kp->sec->gmk));
		memcpy(kp->sec->rand, key->rand, key->rand_len);
		kp->sec->rand_len = key->rand_len;
		(void)sodium_mprotect_noaccess(kp->sec);
	}
	*out = kp;
	return 0;
}

/*
 * Make the learning key known to the dataplane, so its senders' packets are
 * punted even before any stream of it exists; the cap bounds what is
 * learnt. Sets |*added| when this call registered it.
 */
static int
learn_key_add(struct ctl_ops *c, const struct kept *kp, bool *added, struct ctl_err *err)
{
	struct dp_key_spec ks;
	int rc;

	*added = false;
	if (kp->sec == NULL)
		return 0;
	memset(&ks, 0, sizeof(ks));
	memcpy(ks.id, kp->id, DP_KEY_ID_LEN);
	ks.profile = kp->prof;
	ks.mki_len = KEYS_MKI_GROUP_LEN;
	ks.rcc_r = kp->rcc_r;
	ks.port = kp->tpl.port;
	ks.max_streams = kp->tpl.max_senders;
	rc = dp_key_add(c->dp, &ks);
	if (rc == -DP_E_EXISTS)
		return 0;	/* streams of it are there already (and set its layout) */
	if (rc < 0)
		return ctl_err_set(err, rc == -DP_E_LIMIT ? -CTL_E_LIMIT
				   : rc == -DP_E_FULL ? -CTL_E_BUSY : -CTL_E_DATAPLANE,
				   "the key's slow-path entry: %s", dp_strerror(rc));
	*added = true;
	return 0;
}

/*
 * A rekey's checks, before anything is installed: the old key is one of
 * ours, of the same purpose, not in another rekey; each protect stream has
 * an active twin under it (into |old_ids|) and becomes a standby.
 */
static int
rekey_check(struct ctl_keys *k, struct ctl_ops *c, const struct mikey_key *key,
	    struct ctl_req *req, uint64_t *old_ids, unsigned int *n_pairs, struct ctl_err *err)
{
	const struct kept *old = kept_find(k, req->replaces);
	uint8_t kid[DP_KEY_ID_LEN];
	unsigned int i;

	*n_pairs = 0;
	keys_id_put(kid, key->key_id);
	if (old == NULL)
		return ctl_err_set(err, -CTL_E_VALUE, "replaces: no key of that id was installed");
	if (memcmp(kid, req->replaces, sizeof(kid)) == 0)
		return ctl_err_set(err, -CTL_E_VALUE, "replaces: the message carries that key");
	if (old->purpose != key->purpose)
		return ctl_err_set(err, -CTL_E_VALUE, "replaces: a key of another purpose");
	if (ctl_rekey_busy(k->rk, req->replaces) || ctl_rekey_busy(k->rk, kid))
		return ctl_err_set(err, -CTL_E_VALUE, "replaces: that key is in a rekey already");
	if (kept_find(k, kid) != NULL)
		return ctl_err_set(err, -CTL_E_EXISTS, "the new key is installed already");
	for (i = 0; i < req->n_streams; i++) {
		struct dp_stream_spec *sp = &req->streams[i];

		if (sp->params.dir != DP_SRTP_DIR_PROTECT)
			continue;
		if (ctl_rekey_find_twin(c->dp, req->replaces, sp, &old_ids[*n_pairs]) < 0)
			return ctl_err_set(err, -CTL_E_VALUE,
					   "streams[%u]: no active protect stream of the old key "
					   "with this proto, SSRC and members", i);
		sp->standby = true;
		(*n_pairs)++;
	}
	return 0;
}

/* Schedule the switch and the retirement; runs what is due already. */
static int
rekey_schedule(struct ctl_keys *k, const struct mikey_key *key,
	       const struct ctl_req *req, const uint64_t *ids, const uint64_t *old_ids,
	       unsigned int n_pairs, json_t *reply, struct ctl_err *err)
{
	const struct kept *old = kept_find(k, req->replaces);
	uint64_t *new_ids = calloc(n_pairs + 1, sizeof(*new_ids));
	uint8_t kid[DP_KEY_ID_LEN];
	int64_t at, retire;
	unsigned int i, j;
	int rc;

	if (new_ids == NULL)
		return ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
	for (i = 0, j = 0; i < req->n_streams; i++)
		if (req->streams[i].params.dir == DP_SRTP_DIR_PROTECT)
			new_ids[j++] = ids[i];
	if (req->has_activate_at)
		at = req->activate_at;
	else if (key->has_params && key->activation != 0)
		at = unix_of(key->activation);
	else
		at = now_of(k);
	retire = ctl_rekey_retire_at(at, req->grace_s, old->expiry);
	keys_id_put(kid, key->key_id);
	rc = ctl_rekey_add(k->rk, req->replaces, kid, at, retire, old_ids, new_ids, n_pairs);
	free(new_ids);
	if (rc < 0)
		return ctl_err_set(err, rc, "rekey: %s", ctl_strerror(rc));
	json_object_set_new(reply, "replaces", ctl_hex_json(req->replaces, DP_KEY_ID_LEN));
	json_object_set_new(reply, "activate_at", json_integer(at));
	json_object_set_new(reply, "retire_at", json_integer(retire));
	return 0;
}

static void
remove_ids(struct ctl_ops *c, const uint64_t *ids, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (dp_stream_del(c->dp, ids[i]) == -DP_E_FULL && dp_sync(c->dp, 2000) == 0 &&
		    dp_stream_del(c->dp, ids[i]) < 0 && c->log != NULL)
			fprintf(c->log, "mcpxd: rollback of stream %" PRIu64 " failed\n", ids[i]);
}

int
ctl_keys_install(struct ctl_keys *k, struct ctl_ops *c, struct ctl_req *req, json_t *reply,
		 struct ctl_err *err)
{
	struct mikey_rx rx = {
		.kms = k->cur.kms_p, .n_kms = k->cur.n_kms,
		.ids = (const struct mikey_identity *const *)k->cur.ids, .n_ids = k->cur.n_ids,
		.clock = k->clock, .clock_arg = k->clock_arg, .ctr = &k->ctr,
		.initiators = (const char *const *)req->initiators,
		.n_initiators = req->n_initiators,
	};
	enum mikey_reject why = MIKEY_REJECT_NONE;
	enum dp_srtp_profile prof;
	struct kept *kp = NULL;
	struct mikey_key key;
	uint64_t *ids = NULL, *old_ids = NULL;
	uint8_t kid[DP_KEY_ID_LEN];
	unsigned int i, n_pairs = 0;
	bool key_added = false, installed = false;
	int rc;

	rc = mikey_sakke_receive(&key, &rx, req->imsg, req->imsg_len, req->purpose, &why);
	if (rc < 0)	/* |key| is wiped by the receiver on failure */
		return ctl_err_set(err, -CTL_E_MIKEY, "%s: %s", mikey_reject_name(why),
				   mikey_reject_str(why));
	if (profile_of(&key, &prof) != 0) {
		rc = ctl_err_set(err, -CTL_E_MIKEY, "the message's SRTP profile is not supported");
		goto out;
	}
	if (req->has_learn && key.purpose != KEYS_PURPOSE_GMK) {
		rc = ctl_err_set(err, -CTL_E_VALUE, "learn: only a GMK has senders to learn");
		goto out;
	}
	for (i = 0; i < req->n_streams; i++) {
		rc = derive(&key, prof, &req->mk[i], &req->streams[i], err, i);
		if (rc < 0)
			goto out;
	}
	ids = calloc(req->n_streams + 1, sizeof(*ids));
	old_ids = calloc(req->n_streams + 1, sizeof(*old_ids));
	if (ids == NULL || old_ids == NULL) {
		rc = ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
		goto out;
	}
	if (req->has_replaces) {
		rc = rekey_check(k, c, &key, req, old_ids, &n_pairs, err);
		if (rc < 0)
			goto out;
	}
	/* A second message of a key we hold (another identity of ours): one record. */
	keys_id_put(kid, key.key_id);
	if (kept_find(k, kid) == NULL) {
		rc = kept_new(&kp, &key, prof, req, err);
		if (rc == 0)
			rc = learn_key_add(c, kp, &key_added, err);
		if (rc < 0)
			goto out;
	}
	rc = ctl_streams_install(c, req->streams, req->n_streams, ids, err);
	if (rc < 0)
		goto out;
	installed = true;
	if (req->has_replaces) {
		rc = rekey_schedule(k, &key, req, ids, old_ids, n_pairs, reply, err);
		if (rc < 0)
			goto out;
	}
	install_reply(&key, prof, req, ids, kp != NULL ? kp : kept_find(k, kid), reply);
	if (kp != NULL) {
		kp->registered = key_added;
		kp->next = k->kept;
		k->kept = kp;
		kp = NULL;
	}
	if (req->has_replaces)
		ctl_keys_tick(k, c);	/* an activation time already past: switch now */
out:
	if (rc < 0 && installed)
		remove_ids(c, ids, req->n_streams);
	if (rc < 0 && key_added) {
		/* -DP_E_STATE: raw streams of the key hold it; it goes with the last one */
		int d = dp_key_del(c->dp, kid);

		if (d < 0 && d != -DP_E_STATE && c->log != NULL)
			fprintf(c->log, "mcpxd: a refused install left its key's slow-path "
				"entry (%s)\n", dp_strerror(d));
	}
	kept_free(kp);
	free(ids);
	free(old_ids);
	mikey_key_wipe(&key);
	for (i = 0; i < req->n_streams; i++) {
		struct dp_srtp_params *p = &req->streams[i].params;

		sodium_memzero(p->master_key, sizeof(p->master_key));
		sodium_memzero(p->master_salt, sizeof(p->master_salt));
	}
	return rc;
}

/* ---- sender learning ------------------------------------------------------ */

/* The set a (MKI, SSRC, proto) falls in: keyed, so a sender cannot aim at one set. */
static struct fail_ent *
fail_set(struct ctl_keys *k, const struct dp_punt_info *p)
{
	uint8_t in[8 + 4 + 1], h[crypto_shorthash_BYTES];
	uint64_t v;

	memcpy(in, p->mki, 8);
	memcpy(in + 8, &p->ssrc, 4);
	in[12] = p->proto;
	crypto_shorthash(h, in, sizeof(in), k->fail_key);
	memcpy(&v, h, sizeof(v));
	return k->fail[v % FAIL_SETS];
}

static bool
fail_match(const struct fail_ent *e, const struct dp_punt_info *p, int64_t now)
{
	return e->until > now && e->ssrc == p->ssrc && e->proto == p->proto &&
	       memcmp(e->mki, p->mki, sizeof(e->mki)) == 0;
}

static bool
fail_seen(struct ctl_keys *k, const struct dp_punt_info *p, int64_t now)
{
	struct fail_ent *set = fail_set(k, p);
	unsigned int w;

	for (w = 0; w < FAIL_WAYS; w++)
		if (fail_match(&set[w], p, now))
			return true;
	return false;
}

/* Into a free or expired way, else over the one that expires first. */
static void
fail_remember(struct ctl_keys *k, const struct dp_punt_info *p, int64_t now)
{
	struct fail_ent *set = fail_set(k, p), *e = &set[0];
	unsigned int w;

	for (w = 1; w < FAIL_WAYS && e->until > now; w++)
		if (set[w].until < e->until)
			e = &set[w];
	memcpy(e->mki, p->mki, sizeof(e->mki));
	e->ssrc = p->ssrc;
	e->proto = p->proto;
	e->until = now + FAIL_TTL_S;
}

/*
 * The sender's stream for the GUK-ID in the packet's MKI (TS 33.180 §7.4.2:
 * CS 4, CSB ID = the sender's GUK-ID), tried on a scratch copy of the
 * packet with a context of its own. Returns 0 (it authenticates: |sp| is
 * the stream to install), 1 (it does not, or the GUK-ID is not one), or
 * -CTL_E_NOMEM / -CTL_E_DATAPLANE. |sp| holds no key unless 0.
 */
static int
sender_try(struct ctl_keys *k, const struct kept *kp, const struct dp_punt_info *p,
	   struct dp_stream_spec *sp)
{
	const struct dp_srtp_profile_info *pi = dp_srtp_profile_info(kp->prof);
	struct dp_srtp_params *q = &sp->params;
	struct dp_srtp_ctx *ctx = NULL;
	struct mikey_srtp_master m;
	uint32_t len = p->srtp_len;
	int rc;

	memset(sp, 0, sizeof(*sp));
	memset(&m, 0, sizeof(m));
	if (len > sizeof(k->scratch) || len > DP_FIRST_MAX ||
	    keys_id_purpose(keys_id_get(p->mki + 4)) != 0)
		return 1;	/* too big to be ours or to prime a stream; a GUK-ID carries tag 0 */
	(void)sodium_mprotect_readonly(kp->sec);
	rc = mikey_mcptt_gmk(&m, kp->sec->gmk, keys_id_get(kp->id), keys_id_get(p->mki + 4),
			     kp->sec->rand, kp->sec->rand_len, pi->salt_len);
	(void)sodium_mprotect_noaccess(kp->sec);
	if (rc < 0) {
		rc = 1;
		goto out;
	}
	q->profile = kp->prof;
	q->proto = p->proto;
	q->dir = DP_SRTP_DIR_UNPROTECT;
	memcpy(q->master_key, m.key, pi->key_len);
	memcpy(q->master_salt, m.salt, pi->salt_len);
	memcpy(q->mki, p->mki, KEYS_MKI_GROUP_LEN);
	q->mki_len = KEYS_MKI_GROUP_LEN;
	q->ssrc = p->ssrc;
	if (p->proto == DP_SRTP_PROTO_RTP) {
		q->rcc_r = kp->rcc_r;
		q->replay_window = kp->tpl.replay_window;
	}
	sp->port = kp->tpl.port;
	rc = dp_srtp_ctx_new(&ctx, k->backend, q);
	if (rc < 0) {
		rc = rc == -DP_E_NOMEM ? -CTL_E_NOMEM : -CTL_E_DATAPLANE;
		goto out;
	}
	memcpy(k->scratch, p->frame + p->srtp_off, len);
	rc = dp_srtp_process(ctx, k->scratch, &len, sizeof(k->scratch)) == DP_V_FWD ? 0 : 1;
out:
	dp_srtp_ctx_free(ctx);
	sodium_memzero(k->scratch, sizeof(k->scratch));	/* the plaintext too */
	mikey_srtp_master_wipe(&m);
	if (rc != 0)
		sodium_memzero(q, sizeof(*q));
	return rc;
}

static void
log_learned(struct ctl_ops *c, const struct dp_punt_info *p, uint64_t id)
{
	if (c->log == NULL)
		return;
	fprintf(c->log, "mcpxd: learnt sender guk %02x%02x%02x%02x ssrc 0x%08x %s of key "
		"%02x%02x%02x%02x: stream %" PRIu64 "\n", p->mki[4], p->mki[5], p->mki[6],
		p->mki[7], p->ssrc, p->proto == DP_SRTP_PROTO_RTCP ? "rtcp" : "rtp", p->mki[0],
		p->mki[1], p->mki[2], p->mki[3], id);
	fflush(c->log);
}

void
ctl_keys_punt(struct ctl_keys *k, struct ctl_ops *c, const struct dp_punt_info *p)
{
	struct dp_stream_spec sp;
	struct ctl_err err;
	struct kept *kp = NULL;
	int64_t now = now_of(k);
	uint64_t id;
	int rc;

	if (p->mki_len == KEYS_MKI_GROUP_LEN)
		kp = kept_find(k, p->mki);
	if (kp == NULL || kp->sec == NULL || (kp->tpl.protos & (1u << p->proto)) == 0 ||
	    p->srtp_off + (uint64_t)p->srtp_len > p->frame_len) {
		k->lc.unknown_key++;
		return;
	}
	if (fail_seen(k, p, now)) {
		k->lc.refused_known_bad++;
		return;
	}
	/*
	 * max_senders is the key's unprotect streams present now, and only the
	 * dataplane knows them all (installed, learnt, removed by stream.del or a
	 * rekey): its per-key cap decides, below (-CTL_E_LIMIT). A count of
	 * senders ever learnt would keep a slot freed by stream.del taken.
	 */
	rc = sender_try(k, kp, p, &sp);
	if (rc != 0) {
		if (rc == 1) {
			fail_remember(k, p, now);
			k->lc.refused_auth++;
		} else {
			k->lc.errors++;
		}
		return;
	}
	/* The punted packet primes the stream: a replay of it is refused from now on. */
	sp.first = p->frame + p->srtp_off;
	sp.first_len = p->srtp_len;
	rc = ctl_streams_install(c, &sp, 1, &id, &err);	/* wipes the key */
	if (rc == -CTL_E_LIMIT) {
		k->lc.refused_cap++;
	} else if (rc < 0) {
		k->lc.errors++;	/* busy, or a race with an install: the next packet retries */
	} else {
		k->lc.learned++;
		log_learned(c, p, id);
	}
}

/* ---- time and reports ----------------------------------------------------- */

void
ctl_keys_stream_removed(struct ctl_keys *k, const struct dp_srtp_params *p)
{
	struct kept *kp;

	if (k == NULL || p->mki_len < DP_KEY_ID_LEN)
		return;
	kp = kept_find(k, p->mki);
	if (kp != NULL)
		kp->check = true;
}

/* Forget |kp| (on k->kept): its GMK wiped, its dataplane registration gone when ours. */
static bool
release(struct ctl_keys *k, struct ctl_ops *c, struct kept *kp)
{
	struct kept **pp;
	int rc = kp->registered ? dp_key_del(c->dp, kp->id) : 0;

	if (rc == -DP_E_FULL || rc == -DP_E_STATE)
		return false;	/* a full command ring, or a stream came: the next sweep */
	for (pp = &k->kept; *pp != kp; pp = &(*pp)->next)
		;
	*pp = kp->next;
	if (c->log != NULL) {
		fprintf(c->log, "mcpxd: released key %02x%02x%02x%02x: no stream left, not "
			"learning\n", kp->id[0], kp->id[1], kp->id[2], kp->id[3]);
		fflush(c->log);
	}
	kept_free(kp);
	return true;
}

/*
 * The release rule (docs/control-protocol.md, "Keys kept"): a kept key that
 * does not learn (any more) and has no stream left, of either direction, is
 * forgotten. Looked at after stream.del removed one of its streams or its
 * learning expired (|check|), at most RELEASE_BATCH keys per sweep and one
 * sweep per RELEASE_EVERY_US, since a sweep walks every stream. Keys of a
 * pending rekey wait for it (its retirement forgets the old one).
 */
static void
release_sweep(struct ctl_keys *k, struct ctl_ops *c)
{
	struct kept *cand[RELEASE_BATCH], *kp;
	bool has[RELEASE_BATCH];
	uint64_t ids[CTL_LIST_MAX], now_us;
	struct dp_stream_info si;
	uint32_t cursor = 0;
	unsigned int i, j, n, n_cand = 0;

	for (kp = k->kept; kp != NULL && n_cand < RELEASE_BATCH; kp = kp->next)
		if (kp->check && kp->sec == NULL && !ctl_rekey_busy(k->rk, kp->id)) {
			has[n_cand] = false;
			cand[n_cand++] = kp;
		}
	if (n_cand == 0)
		return;
	now_us = ctl_mono_us();
	if (k->swept_us != 0 && now_us - k->swept_us < k->sweep_gap_us)
		return;
	k->swept_us = now_us;
	do {
		n = dp_stream_list(c->dp, ids, CTL_LIST_MAX, &cursor);
		for (i = 0; i < n; i++) {
			if (dp_stream_get(c->dp, ids[i], &si) != 0 ||
			    si.params.mki_len < DP_KEY_ID_LEN)
				continue;
			for (j = 0; j < n_cand; j++)
				if (sodium_memcmp(si.params.mki, cand[j]->id, DP_KEY_ID_LEN) == 0)
					has[j] = true;
		}
	} while (n == CTL_LIST_MAX);
	for (j = 0; j < n_cand; j++) {
		if (has[j])
			cand[j]->check = false;	/* its next stream.del looks again */
		else
			(void)release(k, c, cand[j]);
	}
	/* A million streams take a while to walk: sweeps stay under 5 % of the thread. */
	k->sweep_gap_us = 20 * (ctl_mono_us() - now_us);
	if (k->sweep_gap_us < RELEASE_EVERY_US)
		k->sweep_gap_us = RELEASE_EVERY_US;
}

unsigned int
ctl_keys_tick(struct ctl_keys *k, struct ctl_ops *c)
{
	int64_t now;
	struct kept *kp;
	unsigned int n;

	if (k == NULL)
		return 0;
	now = now_of(k);
	/* An expired GMK derives no more senders; its streams stay until removed or retired. */
	for (kp = k->kept; kp != NULL; kp = kp->next)
		if (kp->sec != NULL && kp->expiry != 0 && now >= kp->expiry) {
			sodium_free(kp->sec);
			kp->sec = NULL;
			kp->check = true;	/* released once it has no stream */
		}
	n = ctl_rekey_tick(k->rk, c->dp, now, c->log, kept_retire, k);
	release_sweep(k, c);
	return n;
}

void
ctl_keys_learn_counters(const struct ctl_keys *k, struct ctl_learn_counters *out)
{
	*out = k->lc;
}

void
ctl_keys_json(const struct ctl_keys *k, json_t *reply)
{
	const struct kept *kp;
	json_t *o;
	unsigned int n = 0, n_learning = 0;

	if (k == NULL)
		return;
	for (kp = k->kept; kp != NULL; kp = kp->next) {
		n++;
		n_learning += kp->sec != NULL;
	}
	o = json_object();
	json_object_set_new(o, "keys", json_integer(n));
	json_object_set_new(o, "learning_keys", json_integer(n_learning));
	json_object_set_new(o, "learned", json_integer((json_int_t)k->lc.learned));
	json_object_set_new(o, "refused_auth", json_integer((json_int_t)k->lc.refused_auth));
	json_object_set_new(o, "refused_known_bad",
			    json_integer((json_int_t)k->lc.refused_known_bad));
	json_object_set_new(o, "refused_cap", json_integer((json_int_t)k->lc.refused_cap));
	json_object_set_new(o, "unknown_key", json_integer((json_int_t)k->lc.unknown_key));
	json_object_set_new(o, "errors", json_integer((json_int_t)k->lc.errors));
	json_object_set_new(reply, "learning", o);
	json_object_set_new(reply, "rekeys", ctl_rekey_json(k->rk));
}
