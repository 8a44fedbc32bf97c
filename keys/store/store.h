/* SPDX-License-Identifier: proprietary */
/*
 * The sealed key store: one file holding a client's, appliance's or KMS's
 * long-term key material (docs/key-management.md, "Key stores").
 *
 * Entries, each unique by its key:
 *   keyset  (uri, kms_uri, period_no): SSK, PVT (ECCSI), RSK (SAKKE) of one
 *           identity for one key period, as a KmsKeySet delivers them
 *   cert    (kms_uri): a KMS certificate trusted here: KPAK, Z, the key
 *           period length/offset, and flags (Security Gateway, external,
 *           cross-signed)
 *   kms     (kms_uri): a KMS's own master secrets, KSAK and z
 *   blob    (name): any named octet string (e.g. a GMK list, a TrK)
 *
 * In memory every entry lives in its own sodium_malloc'd block, read-only
 * once inserted, wiped and unmapped by store_free(). Getters return pointers
 * into those blocks: borrowed, valid until the entry is replaced or deleted
 * or the store is freed. A store object is not thread-safe: one thread at a
 * time (the control thread, or the CLI).
 *
 * On disk (store_file.c): a clear header, then the container below sealed
 * with crypto_secretstream_xchacha20poly1305 (one message, TAG_FINAL) with the
 * header as additional data; the key comes from a passphrase (Argon2id,
 * crypto_pwhash, salt and limits in the header) or from a 32-octet key file.
 * Writes are atomic (temp file 0600 in the same directory, fsync, rename,
 * fsync of the directory).
 *
 * sodium_init() must have run before any function here.
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys_error.h"

#define STORE_URI_MAX 1024		/* identity and KMS URIs, octets */
#define STORE_NAME_MAX 255		/* blob names, octets */
#define STORE_BLOB_MAX (1u << 20)	/* blob contents, octets */
#define STORE_RECORDS_MAX 65536
#define STORE_CONTAINER_MAX (64u << 20)	/* encoded container, octets */

#define STORE_SSK_LEN 32	/* ECCSI secret signing key (RFC 6507) */
#define STORE_PVT_LEN 65	/* ECCSI public validation token, 04 || x || y */
#define STORE_RSK_LEN 257	/* SAKKE receiver secret key, 04 || x || y (RFC 6508) */
#define STORE_KPAK_LEN 65	/* ECCSI KMS public authentication key */
#define STORE_Z_LEN 257		/* SAKKE KMS public key Z */
#define STORE_KSAK_LEN 32	/* ECCSI KMS secret authentication key */
#define STORE_KMS_Z_LEN 128	/* SAKKE KMS master secret z */
#define STORE_KEY_LEN 32	/* sealing key: key files and Argon2id output */

/* KMS certificate flags. */
#define STORE_CERT_SEGY 0x1u		/* issued by a Security Gateway (33.180 L.3.2) */
#define STORE_CERT_EXTERNAL 0x2u	/* an External KMS (33.180 §5.3.1.1) */
#define STORE_CERT_CROSS_SIGNED 0x4u	/* cross-signed with a partner KMS */
#define STORE_CERT_FLAGS_ALL 0x7u

/* store_put_* flags. */
#define STORE_REPLACE 0x1u	/* replace an entry with the same key instead of -EXISTS */

enum store_type {
	STORE_T_KEYSET = 1,
	STORE_T_CERT = 2,
	STORE_T_KMS = 3,
	STORE_T_BLOB = 4
};

struct store_keyset {
	char uri[STORE_URI_MAX + 1];
	char kms_uri[STORE_URI_MAX + 1];
	uint64_t period_no;		/* counted from 1900 (keys_period.h) */
	uint8_t ssk[STORE_SSK_LEN];
	uint8_t pvt[STORE_PVT_LEN];
	uint8_t rsk[STORE_RSK_LEN];
};

struct store_cert {
	char kms_uri[STORE_URI_MAX + 1];
	uint64_t period_len;		/* UserKeyPeriod, seconds, > 0 */
	uint64_t period_offset;		/* UserKeyOffset, seconds */
	uint32_t flags;			/* STORE_CERT_* */
	uint8_t kpak[STORE_KPAK_LEN];
	uint8_t z[STORE_Z_LEN];
};

struct store_kms {
	char kms_uri[STORE_URI_MAX + 1];
	uint8_t ksak[STORE_KSAK_LEN];
	uint8_t z[STORE_KMS_Z_LEN];
};

struct store_blob {
	char name[STORE_NAME_MAX + 1];
	size_t len;
	uint8_t data[];
};

/* One entry, as store_next() yields it. */
struct store_item {
	enum store_type type;
	union {
		const struct store_keyset *keyset;
		const struct store_cert *cert;
		const struct store_kms *kms;
		const struct store_blob *blob;
	};
};

struct store;

/* An empty store. Returns 0, -KEYS_E_ARG, -KEYS_E_NOMEM. */
MUST_CHECK int
store_new(struct store **out);

/* Wipe and free every entry, then the store. NULL is a no-op. */
void
store_free(struct store *st);

/* Number of entries. */
size_t
store_count(const struct store *st);

/*
 * Iterate in insertion order: start with |*pos| = 0; each call fills |*it|
 * and returns true, or returns false after the last entry.
 */
bool
store_next(const struct store *st, size_t *pos, struct store_item *it);

/*
 * Add an identity key set (copied into secure memory). Strings are
 * NUL-terminated, 1..STORE_URI_MAX octets.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_NOMEM, -KEYS_E_EXISTS (same uri, kms_uri
 * and period without STORE_REPLACE), -KEYS_E_RANGE (STORE_RECORDS_MAX
 * entries already; so for every store_put_*).
 */
MUST_CHECK int
store_put_keyset(struct store *st, const char *uri, const char *kms_uri, uint64_t period_no,
		 const uint8_t ssk[STORE_SSK_LEN], const uint8_t pvt[STORE_PVT_LEN],
		 const uint8_t rsk[STORE_RSK_LEN], unsigned int flags);

/*
 * The key set of |uri| for |period_no| under |kms_uri|, or under any KMS when
 * |kms_uri| is NULL (the first one inserted).
 * Returns 0, -KEYS_E_ARG, -KEYS_E_NOTFOUND.
 */
MUST_CHECK int
store_get_keyset(const struct store *st, const char *uri, const char *kms_uri,
		 uint64_t period_no, const struct store_keyset **out);

/* Returns 0, -KEYS_E_ARG, -KEYS_E_NOTFOUND. */
MUST_CHECK int
store_del_keyset(struct store *st, const char *uri, const char *kms_uri, uint64_t period_no);

/*
 * Add a trusted KMS certificate (copied). |cert->period_len| > 0, flags only
 * STORE_CERT_*.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_NOMEM, -KEYS_E_EXISTS, -KEYS_E_RANGE.
 */
MUST_CHECK int
store_put_cert(struct store *st, const struct store_cert *cert, unsigned int flags);

/* Returns 0, -KEYS_E_ARG, -KEYS_E_NOTFOUND. */
MUST_CHECK int
store_find_cert(const struct store *st, const char *kms_uri, const struct store_cert **out);

/* Returns 0, -KEYS_E_ARG, -KEYS_E_NOTFOUND. */
MUST_CHECK int
store_del_cert(struct store *st, const char *kms_uri);

/*
 * A KMS's master secrets (ECCSI KSAK, SAKKE z).
 * Returns 0, -KEYS_E_ARG, -KEYS_E_NOMEM, -KEYS_E_EXISTS, -KEYS_E_RANGE.
 */
MUST_CHECK int
store_put_kms(struct store *st, const char *kms_uri, const uint8_t ksak[STORE_KSAK_LEN],
	      const uint8_t z[STORE_KMS_Z_LEN], unsigned int flags);

/* Returns 0, -KEYS_E_ARG, -KEYS_E_NOTFOUND. */
MUST_CHECK int
store_get_kms(const struct store *st, const char *kms_uri, const struct store_kms **out);

/* Returns 0, -KEYS_E_ARG, -KEYS_E_NOTFOUND. */
MUST_CHECK int
store_del_kms(struct store *st, const char *kms_uri);

/*
 * A named blob: |name| 1..STORE_NAME_MAX octets, |len| 0..STORE_BLOB_MAX.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_NOMEM, -KEYS_E_EXISTS, -KEYS_E_RANGE.
 */
MUST_CHECK int
store_put_blob(struct store *st, const char *name, const uint8_t *data, size_t len,
	       unsigned int flags);

/* Returns 0, -KEYS_E_ARG, -KEYS_E_NOTFOUND. */
MUST_CHECK int
store_get_blob(const struct store *st, const char *name, const struct store_blob **out);

/* Returns 0, -KEYS_E_ARG, -KEYS_E_NOTFOUND. */
MUST_CHECK int
store_del_blob(struct store *st, const char *name);

/*
 * The unsealed container (store_codec.c), all integers big-endian:
 *
 *   magic "MXKC" (4) | version u16 = 1 | count u32 | count records
 *   record = type u8 | length u32 | value (consumed exactly)
 *   str    = length u16 (1..max) | octets (no NUL)
 *   1 keyset: str uri | str kms_uri | u64 period_no | ssk 32 | pvt 65 | rsk 257
 *   2 cert:   str kms_uri | u64 period_len (> 0) | u64 period_offset
 *             | u32 flags (STORE_CERT_* only) | kpak 65 | z 257
 *   3 kms:    str kms_uri | ksak 32 | z 128
 *   4 blob:   str name | u32 length (<= STORE_BLOB_MAX) | octets
 *
 * Trailing octets, unknown types, duplicate keys and a count that disagrees
 * with the records are all malformed.
 */

/* Octets store_encode() writes for |st|. */
size_t
store_encoded_len(const struct store *st);

/*
 * Encode |st| into |buf| (capacity |cap|); |*len| set. The output holds
 * secrets: the caller wipes it.
 * Returns 0, -KEYS_E_ARG (NULL, |cap| too small), -KEYS_E_RANGE (over
 * STORE_CONTAINER_MAX).
 */
MUST_CHECK int
store_encode(const struct store *st, uint8_t *buf, size_t cap, size_t *len);

/*
 * A new store from the container in |buf| (|len| octets, untrusted).
 * Returns 0, -KEYS_E_ARG, -KEYS_E_PARSE, -KEYS_E_NOMEM.
 */
MUST_CHECK int
store_parse(struct store **out, const uint8_t *buf, size_t len);

/*
 * The sealed file (store_file.c), header in the clear and authenticated as
 * the secretstream message's additional data:
 *
 *   off len
 *   0   8   magic "MCPXSTOR"
 *   8   2   version = 1
 *   10  1   key source: 1 passphrase (Argon2id13), 2 key (key file)
 *   11  1   reserved = 0
 *   12  16  Argon2id salt            (zero for a key file)
 *   28  4   opslimit                 (zero for a key file)
 *   32  4   memlimit in KiB          (zero for a key file)
 *   36  24  secretstream header
 *   60  4   length of what follows = container length + 17
 *   64  ..  secretstream message (container, TAG_FINAL) || 17-octet A part
 */
#define STORE_FILE_MAGIC "MCPXSTOR"
#define STORE_FILE_VERSION 1
#define STORE_FILE_HDR_LEN 64

enum store_kdf {
	STORE_KDF_PASSPHRASE = 1,	/* crypto_pwhash, Argon2id13 */
	STORE_KDF_KEY = 2		/* a 32-octet key, e.g. from a key file */
};

/* Pass-through bounds checked on open (out of range: not a store we wrote). */
#define STORE_OPSLIMIT_MIN 1u
#define STORE_OPSLIMIT_MAX 16u
#define STORE_MEMLIMIT_KIB_MIN 8u		/* crypto_pwhash_MEMLIMIT_MIN */
#define STORE_MEMLIMIT_KIB_MAX (1u << 20)	/* 1 GiB */
/* Defaults: crypto_pwhash INTERACTIVE (2 passes, 64 MiB). */
#define STORE_OPSLIMIT_DEFAULT 2u
#define STORE_MEMLIMIT_KIB_DEFAULT (64u << 10)

/* How to get the sealing key. Borrowed; nothing here is copied or kept. */
struct store_secret {
	enum store_kdf kdf;
	const char *passphrase;		/* PASSPHRASE: NUL-terminated, non-empty */
	const uint8_t *key;		/* KEY: STORE_KEY_LEN octets */
	uint32_t opslimit;		/* PASSPHRASE, on save: 0 = default */
	uint32_t memlimit_kib;		/* PASSPHRASE, on save: 0 = default */
};

/*
 * Open and unseal the store at |path|.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_NOMEM, -KEYS_E_IO (cannot open or read),
 * -KEYS_E_PARSE (not a store: magic, version, key source, reserved octet,
 * length, Argon2id limits out of bounds, truncated or extended),
 * -KEYS_E_PASSPHRASE (wrong passphrase or key, the other key source, or any
 * altered octet: the MAC fails).
 */
MUST_CHECK int
store_open(struct store **out, const char *path, const struct store_secret *sec);

/*
 * Seal |st| and replace |path| atomically: a temp file "<path>.tmp-<random>"
 * is created O_EXCL with mode 0600 in the same directory, written, fsynced,
 * renamed over |path|, and the directory fsynced. A crash leaves either the
 * old file or the new one, never a torn one (a stale temp file may remain:
 * it never blocks a later save). A passphrase store gets a fresh salt each
 * save.
 * Returns 0, -KEYS_E_ARG (bad secret or limits), -KEYS_E_NOMEM,
 * -KEYS_E_RANGE (container too large), -KEYS_E_CRYPTO, -KEYS_E_IO (temp file
 * removed and |path| untouched; except when only the final fsync of the
 * directory failed, after the rename).
 */
MUST_CHECK int
store_save(const struct store *st, const char *path, const struct store_secret *sec);

/*
 * Called with the temp file's path once it is written and fsynced, just
 * before the rename; a non-zero return aborts the save with -KEYS_E_IO (the
 * temp file is removed, |path| untouched). For tests (crash injection) and
 * for callers that check the file before it goes live.
 */
typedef int (*store_save_hook_fn)(const char *tmp_path, void *arg);

/* store_save() with |hook| (may be NULL). Returns as store_save(). */
MUST_CHECK int
store_save_with_hook(const struct store *st, const char *path, const struct store_secret *sec,
		     store_save_hook_fn hook, void *arg);

/*
 * Read a key file: exactly STORE_KEY_LEN raw octets.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_IO, -KEYS_E_PARSE (other length).
 */
MUST_CHECK int
store_keyfile_read(uint8_t key[STORE_KEY_LEN], const char *path);

/*
 * Create a key file of STORE_KEY_LEN random octets, mode 0600, atomically and
 * never over an existing file; |key| (may be NULL) receives a copy.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_EXISTS, -KEYS_E_IO.
 */
MUST_CHECK int
store_keyfile_create(const char *path, uint8_t key[STORE_KEY_LEN]);

#endif /* STORE_H */
