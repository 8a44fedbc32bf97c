/* SPDX-License-Identifier: proprietary */
/*
 * Sealing (crypto_secretstream_xchacha20poly1305, header as additional data),
 * key derivation (crypto_pwhash Argon2id13 or a key file) and atomic file
 * replacement. Layout in store.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "store_int.h"

#define OFF_VERSION 8
#define OFF_KDF 10
#define OFF_RESERVED 11
#define OFF_SALT 12
#define OFF_OPS 28
#define OFF_MEM 32
#define OFF_SS 36
#define OFF_CTLEN 60
#define SS_HDR_LEN crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define SS_A_LEN crypto_secretstream_xchacha20poly1305_ABYTES
#define SALT_LEN crypto_pwhash_SALTBYTES
#define TAG_FINAL crypto_secretstream_xchacha20poly1305_TAG_FINAL

_Static_assert(OFF_SALT + SALT_LEN == OFF_OPS, "salt is 16 octets");
_Static_assert(OFF_SS + SS_HDR_LEN == OFF_CTLEN, "secretstream header is 24 octets");
_Static_assert(OFF_CTLEN + 4 == STORE_FILE_HDR_LEN, "header is 64 octets");
_Static_assert(crypto_secretstream_xchacha20poly1305_KEYBYTES == STORE_KEY_LEN, "key size");

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool
secret_ok(const struct store_secret *sec)
{
	if (sec == NULL)
		return false;
	if (sec->kdf == STORE_KDF_PASSPHRASE)
		return sec->passphrase != NULL && sec->passphrase[0] != '\0';
	return sec->kdf == STORE_KDF_KEY && sec->key != NULL;
}

static bool
limits_ok(uint32_t ops, uint32_t mem_kib)
{
	return ops >= STORE_OPSLIMIT_MIN && ops <= STORE_OPSLIMIT_MAX &&
	       mem_kib >= STORE_MEMLIMIT_KIB_MIN && mem_kib <= STORE_MEMLIMIT_KIB_MAX;
}

/* The sealing key: Argon2id13 over the passphrase, or the key as given. */
static int
derive_key(uint8_t key[STORE_KEY_LEN], const struct store_secret *sec,
	   const uint8_t salt[SALT_LEN], uint32_t ops, uint32_t mem_kib)
{
	if (sec->kdf == STORE_KDF_KEY) {
		memcpy(key, sec->key, STORE_KEY_LEN);
		return 0;
	}
	if (crypto_pwhash(key, STORE_KEY_LEN, sec->passphrase, strlen(sec->passphrase), salt,
			  ops, (size_t)mem_kib << 10, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -KEYS_E_NOMEM;	/* the only way it fails with bounded limits */
	return 0;
}

/* ---- files ---- */

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -KEYS_E_IO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Read all of |path| if it has at most |max| octets; -KEYS_E_PARSE if longer. */
static int
read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
	struct stat sb;
	uint8_t *buf = NULL;
	size_t n = 0;
	ssize_t k;
	int fd, rc = -KEYS_E_IO;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -KEYS_E_IO;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		goto out;
	rc = -KEYS_E_PARSE;
	if ((uint64_t)sb.st_size > max)
		goto out;
	rc = -KEYS_E_NOMEM;
	buf = malloc((size_t)sb.st_size + 1);
	if (buf == NULL)
		goto out;
	rc = -KEYS_E_IO;
	while (n <= (size_t)sb.st_size) {	/* one octet more: the file must not grow */
		k = read(fd, buf + n, (size_t)sb.st_size + 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			goto out;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n != (size_t)sb.st_size)
		goto out;	/* changed under us */
	*out = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

static int
fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -KEYS_E_IO;
	if (fsync(fd) != 0)
		rc = -KEYS_E_IO;
	close(fd);
	return rc;
}

/* A fresh temp file beside |path|, created O_EXCL with mode 0600. */
static int
create_temp(const char *path, char tmp[PATH_MAX])
{
	uint8_t rnd[8];
	char hex[2 * sizeof(rnd) + 1];
	int fd, tries;

	for (tries = 0; tries < 16; tries++) {
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
		if (snprintf(tmp, PATH_MAX, "%s.tmp-%s", path, hex) >= PATH_MAX)
			return -KEYS_E_ARG;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return -KEYS_E_IO;
	}
	return -KEYS_E_IO;
}

/*
 * |a| || |b| into |path| through a temp file: rename over (|replace|) or
 * link beside (never over an existing file).
 */
static int
write_atomic(const char *path, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
	     bool replace, store_save_hook_fn hook, void *arg)
{
	char tmp[PATH_MAX];
	int fd, rc = -KEYS_E_IO;

	fd = create_temp(path, tmp);
	if (fd < 0)
		return fd;
	/* the umask may only have narrowed 0600; make it exact */
	if (fchmod(fd, S_IRUSR | S_IWUSR) != 0 || write_all(fd, a, alen) < 0 ||
	    write_all(fd, b, blen) < 0 || fsync(fd) != 0) {
		close(fd);
		goto fail;
	}
	if (close(fd) != 0)
		goto fail;
	if (hook != NULL && hook(tmp, arg) != 0)
		goto fail;
	if (replace) {
		if (rename(tmp, path) != 0)
			goto fail;
	} else {
		if (link(tmp, path) != 0) {
			rc = errno == EEXIST ? -KEYS_E_EXISTS : -KEYS_E_IO;
			goto fail;
		}
		unlink(tmp);
	}
	return fsync_dir(path);
fail:
	unlink(tmp);
	return rc;
}

/* ---- the sealed store ---- */

/* Header checks before any key is derived (layout in store.h). */
static int
check_header(const uint8_t *f, size_t flen, const struct store_secret *sec)
{
	uint32_t ctlen;

	if (flen < STORE_FILE_HDR_LEN ||
	    memcmp(f, STORE_FILE_MAGIC, sizeof(STORE_FILE_MAGIC) - 1) != 0 ||
	    (f[OFF_VERSION] << 8 | f[OFF_VERSION + 1]) != STORE_FILE_VERSION ||
	    (f[OFF_KDF] != STORE_KDF_PASSPHRASE && f[OFF_KDF] != STORE_KDF_KEY) ||
	    f[OFF_RESERVED] != 0)
		return -KEYS_E_PARSE;
	ctlen = get32(f + OFF_CTLEN);
	if (ctlen < SS_A_LEN || ctlen != flen - STORE_FILE_HDR_LEN)
		return -KEYS_E_PARSE;	/* truncated or extended */
	if (f[OFF_KDF] != sec->kdf)
		return -KEYS_E_PASSPHRASE;	/* sealed under the other kind of secret */
	if (sec->kdf == STORE_KDF_PASSPHRASE && !limits_ok(get32(f + OFF_OPS), get32(f + OFF_MEM)))
		return -KEYS_E_PARSE;
	return 0;
}

int
store_open(struct store **out, const char *path, const struct store_secret *sec)
{
	crypto_secretstream_xchacha20poly1305_state ss;
	uint8_t key[STORE_KEY_LEN], *f = NULL, *pt = NULL;
	unsigned long long ptlen;
	unsigned char tag;
	size_t flen;
	int rc;

	if (out == NULL || path == NULL || !secret_ok(sec))
		return -KEYS_E_ARG;
	rc = read_file(path, STORE_FILE_HDR_LEN + STORE_CONTAINER_MAX + SS_A_LEN, &f, &flen);
	if (rc < 0)
		return rc;
	rc = check_header(f, flen, sec);
	if (rc < 0)
		goto out;
	rc = -KEYS_E_NOMEM;
	pt = sodium_malloc(flen - STORE_FILE_HDR_LEN - SS_A_LEN + 1);
	if (pt == NULL)
		goto out;
	rc = derive_key(key, sec, f + OFF_SALT, get32(f + OFF_OPS), get32(f + OFF_MEM));
	if (rc < 0)
		goto out;
	/* verify-then-decrypt: the MAC covers the header (AD) and the container */
	rc = -KEYS_E_PASSPHRASE;
	if (crypto_secretstream_xchacha20poly1305_init_pull(&ss, f + OFF_SS, key) != 0 ||
	    crypto_secretstream_xchacha20poly1305_pull(&ss, pt, &ptlen, &tag,
						       f + STORE_FILE_HDR_LEN,
						       flen - STORE_FILE_HDR_LEN, f,
						       STORE_FILE_HDR_LEN) != 0)
		goto out;
	rc = -KEYS_E_PARSE;
	if (tag != TAG_FINAL)
		goto out;
	rc = store_parse(out, pt, (size_t)ptlen);
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&ss, sizeof(ss));
	sodium_free(pt);	/* NULL-safe; wipes */
	free(f);		/* ciphertext only */
	return rc;
}

/* The clear header; the secretstream header and A part come later. */
static int
fill_header(uint8_t hdr[STORE_FILE_HDR_LEN], const struct store_secret *sec, size_t ctlen)
{
	uint32_t ops = 0, mem = 0;

	memset(hdr, 0, STORE_FILE_HDR_LEN);
	memcpy(hdr, STORE_FILE_MAGIC, sizeof(STORE_FILE_MAGIC) - 1);
	hdr[OFF_VERSION + 1] = STORE_FILE_VERSION;
	hdr[OFF_KDF] = (uint8_t)sec->kdf;
	if (sec->kdf == STORE_KDF_PASSPHRASE) {
		ops = sec->opslimit != 0 ? sec->opslimit : STORE_OPSLIMIT_DEFAULT;
		mem = sec->memlimit_kib != 0 ? sec->memlimit_kib : STORE_MEMLIMIT_KIB_DEFAULT;
		if (!limits_ok(ops, mem))
			return -KEYS_E_ARG;
		randombytes_buf(hdr + OFF_SALT, SALT_LEN);	/* fresh per save */
	}
	put32(hdr + OFF_OPS, ops);
	put32(hdr + OFF_MEM, mem);
	put32(hdr + OFF_CTLEN, (uint32_t)ctlen);
	return 0;
}

int
store_save_with_hook(const struct store *st, const char *path, const struct store_secret *sec,
		     store_save_hook_fn hook, void *arg)
{
	crypto_secretstream_xchacha20poly1305_state ss;
	uint8_t key[STORE_KEY_LEN], hdr[STORE_FILE_HDR_LEN], *pt = NULL, *ct = NULL;
	size_t need, ptlen;
	int rc;

	if (st == NULL || path == NULL || !secret_ok(sec))
		return -KEYS_E_ARG;
	need = store_encoded_len(st);
	if (need > STORE_CONTAINER_MAX)
		return -KEYS_E_RANGE;
	rc = fill_header(hdr, sec, need + SS_A_LEN);
	if (rc < 0)
		return rc;
	rc = -KEYS_E_NOMEM;
	pt = sodium_malloc(need);
	ct = malloc(need + SS_A_LEN);
	if (pt == NULL || ct == NULL)
		goto out;
	rc = store_encode(st, pt, need, &ptlen);
	if (rc < 0)
		goto out;
	rc = derive_key(key, sec, hdr + OFF_SALT, get32(hdr + OFF_OPS), get32(hdr + OFF_MEM));
	if (rc < 0)
		goto out;
	/* the secretstream header goes into the AD before the message is sealed */
	rc = -KEYS_E_CRYPTO;
	if (crypto_secretstream_xchacha20poly1305_init_push(&ss, hdr + OFF_SS, key) != 0 ||
	    crypto_secretstream_xchacha20poly1305_push(&ss, ct, NULL, pt, ptlen, hdr,
						       STORE_FILE_HDR_LEN, TAG_FINAL) != 0)
		goto out;
	rc = write_atomic(path, hdr, sizeof(hdr), ct, ptlen + SS_A_LEN, true, hook, arg);
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&ss, sizeof(ss));
	sodium_free(pt);
	free(ct);
	return rc;
}

int
store_save(const struct store *st, const char *path, const struct store_secret *sec)
{
	return store_save_with_hook(st, path, sec, NULL, NULL);
}

int
store_keyfile_read(uint8_t key[STORE_KEY_LEN], const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (key == NULL || path == NULL)
		return -KEYS_E_ARG;
	rc = read_file(path, STORE_KEY_LEN, &buf, &len);
	if (rc < 0)
		return rc;
	if (len == STORE_KEY_LEN)
		memcpy(key, buf, STORE_KEY_LEN);
	else
		rc = -KEYS_E_PARSE;
	sodium_memzero(buf, len);
	free(buf);
	return rc;
}

int
store_keyfile_create(const char *path, uint8_t key[STORE_KEY_LEN])
{
	uint8_t k[STORE_KEY_LEN];
	int rc;

	if (path == NULL)
		return -KEYS_E_ARG;
	randombytes_buf(k, sizeof(k));
	rc = write_atomic(path, k, sizeof(k), NULL, 0, false, NULL, NULL);
	if (rc == 0 && key != NULL)
		memcpy(key, k, sizeof(k));
	sodium_memzero(k, sizeof(k));
	return rc;
}
