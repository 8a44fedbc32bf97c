/* SPDX-License-Identifier: proprietary */
/*
 * mcpxd's key store and the MIKEY receiver: our identities (the appliance,
 * the server's MDSI, pseudo-clients: every key set in the store whose KMS
 * certificate is also there) and the trusted KMS certificates. mikey.install
 * opens an I_MESSAGE with them, derives the SRTP master keys of the streams
 * it names, and installs them (docs/control-protocol.md). Control thread only.
 */
#ifndef CTL_KEYS_H
#define CTL_KEYS_H

#include <jansson.h>

#include "ctl_msg.h"

struct ctl_keys;
struct ctl_ops;

/*
 * Open the sealed store at |path| with the secret of |key_file| or
 * |passphrase_file| (store_secret.h rules); the paths are copied for reloads.
 * Returns 0, -CTL_E_NOMEM, -CTL_E_KEYSTORE with |err| saying why.
 */
MUST_CHECK int
ctl_keys_new(struct ctl_keys **out, const char *path, const char *passphrase_file,
	     const char *key_file, struct ctl_err *err);

/* Wipe and free. NULL is fine. */
void
ctl_keys_free(struct ctl_keys *k);

/* Identities and trusted KMSs held now. */
void
ctl_keys_counts(const struct ctl_keys *k, unsigned int *n_ids, unsigned int *n_kms);

/*
 * Load the store again; on failure the old one stays in force. Adds
 * "identities" and "kms" to |reply|. 0 or -CTL_E_KEYSTORE, -CTL_E_NOMEM.
 */
MUST_CHECK int
ctl_keys_reload(struct ctl_keys *k, json_t *reply, struct ctl_err *err);

/*
 * mikey.install: open req->imsg, derive each stream's master key, salt and
 * MKI, install them all or none. The reply names the streams, key id,
 * purpose, MKIs and profile, never a key.
 * A GMK is kept (locked) to learn its senders (ctl_keys_punt). With
 * req->has_replaces it is a rekey (ctl_rekey.h): the request's protect
 * streams are installed as standby twins of the old key's and switched at
 * the activation time.
 * Returns 0, -CTL_E_MIKEY, -CTL_E_VALUE (a stream's cs_id does not fit the
 * key type; "learn" for a key that is not a GMK; a bad "replaces"),
 * -CTL_E_EXISTS, -CTL_E_LIMIT, -CTL_E_NOMEM, or ctl_streams_install()'s codes.
 */
MUST_CHECK int
ctl_keys_install(struct ctl_keys *k, struct ctl_ops *c, struct ctl_req *req, json_t *reply,
		 struct ctl_err *err);

/*
 * The clock (Unix seconds) that mikey_sakke_receive() checks T against and
 * that rekeys and the failure memory run on (NULL: time()). Tests inject one.
 */
void
ctl_keys_set_clock(struct ctl_keys *k, int64_t (*clock)(void *arg), void *arg);

/* The dataplane's SRTP backend (dp_config.backend), for trying punted packets. */
void
ctl_keys_set_backend(struct ctl_keys *k, unsigned int backend);

/* What sender learning did (docs/control-protocol.md, "learning"). */
struct ctl_learn_counters {
	uint64_t learned;		/* senders installed */
	uint64_t refused_auth;		/* a packet that did not authenticate (or no GUK-ID) */
	uint64_t refused_known_bad;	/* refused again, from the failure memory: no crypto */
	uint64_t refused_cap;		/* the key's stream cap (or the dataplane's) */
	uint64_t unknown_key;		/* no learning GMK for its MKI, or not its protocol */
	uint64_t errors;		/* no memory, a busy ring: the next packet retries */
};

/*
 * The slow path's handler (dp_punt_poll's callback, via mcpxd): a punted
 * secure-side packet whose MKI names a GMK that learns. Derives the
 * sender's key for the MKI's GUK-ID, tries the packet on a scratch copy
 * and installs the stream through ctl_streams_install() only if it
 * authenticates; refusals are counted and remembered (bounded, expiring),
 * never logged one by one. Control thread only.
 */
void
ctl_keys_punt(struct ctl_keys *k, struct ctl_ops *c, const struct dp_punt_info *p);

/*
 * Run what is due on the clock: rekey switches and retirements
 * (ctl_rekey.h), expired GMKs stop learning, keys no longer wanted are
 * released (ctl_keys_stream_removed). Call it from the control loop
 * (ctl_ops_tick). NULL |k| is fine. Returns the rekeys still pending.
 */
unsigned int
ctl_keys_tick(struct ctl_keys *k, struct ctl_ops *c);

/*
 * stream.del removed a stream of parameters |p|: if its MKI names a key kept
 * here, the next tick looks whether the key is still wanted (it learns, or
 * has streams left) and forgets it if not (docs/control-protocol.md, "Keys
 * kept"). NULL |k| is fine. Control thread only.
 */
void
ctl_keys_stream_removed(struct ctl_keys *k, const struct dp_srtp_params *p);

void
ctl_keys_learn_counters(const struct ctl_keys *k, struct ctl_learn_counters *out);

/* Add "learning" (the counters) and "rekeys" (pending) to |reply|. NULL |k|: nothing. */
void
ctl_keys_json(const struct ctl_keys *k, json_t *reply);

#endif /* CTL_KEYS_H */
