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
 * Returns 0, -CTL_E_MIKEY, -CTL_E_VALUE (a stream's cs_id does not fit the
 * key type), or ctl_streams_install()'s codes.
 */
MUST_CHECK int
ctl_keys_install(struct ctl_keys *k, struct ctl_ops *c, struct ctl_req *req, json_t *reply,
		 struct ctl_err *err);

/* For tests: the clock mikey_sakke_receive() checks T against (NULL: time()). */
void
ctl_keys_set_clock(struct ctl_keys *k, int64_t (*clock)(void *arg), void *arg);

#endif /* CTL_KEYS_H */
