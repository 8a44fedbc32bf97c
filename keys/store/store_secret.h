/* SPDX-License-Identifier: proprietary */
/*
 * Where a program gets the secret that seals a key store, the one rule every
 * mcpx program follows (docs/key-management.md, "mcpx-keys"): a key file
 * (32 raw octets), else a passphrase file (its trailing newlines dropped),
 * else the MCPX_PASSPHRASE environment variable; never a command-line
 * argument, which ps would show. The secret is read into sodium_malloc'd
 * memory and wiped by store_secret_release(). Library code: never prints.
 */
#ifndef STORE_SECRET_H
#define STORE_SECRET_H

#include <stdint.h>

#include "keys_error.h"
#include "store.h"

#define STORE_PASSPHRASE_MAX 4096	/* octets of a passphrase file */

/* A loaded secret: |sec| points into the two buffers, which it owns. */
struct store_secret_buf {
	struct store_secret sec;
	char *passphrase;		/* sodium_malloc'd, or NULL */
	uint8_t *key;			/* sodium_malloc'd, or NULL */
};

/*
 * Fill |b| from |key_file| if not NULL, else |passphrase_file| if not NULL,
 * else MCPX_PASSPHRASE. On failure |b| holds nothing.
 * Returns 0, -KEYS_E_ARG (no source given: a usage error), -KEYS_E_IO (a
 * file cannot be read), -KEYS_E_PARSE (a key file not 32 octets, an empty or
 * over-long passphrase, a NUL in it), -KEYS_E_NOMEM.
 */
MUST_CHECK int
store_secret_load(struct store_secret_buf *b, const char *passphrase_file, const char *key_file);

/* Wipe and free what store_secret_load() read (a zeroed |b| is fine). */
void
store_secret_release(struct store_secret_buf *b);

#endif /* STORE_SECRET_H */
