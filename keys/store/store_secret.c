/* SPDX-License-Identifier: proprietary */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "store_secret.h"

/* Read at most STORE_PASSPHRASE_MAX octets of |path| into |buf| (NUL after). */
static int
read_small(const char *path, char *buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r = 0;

	if (fd < 0)
		return -KEYS_E_IO;
	while (n <= STORE_PASSPHRASE_MAX) {
		r = read(fd, buf + n, STORE_PASSPHRASE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (r < 0)
		return -KEYS_E_IO;
	if (n > STORE_PASSPHRASE_MAX)
		return -KEYS_E_PARSE;
	buf[n] = '\0';
	*len = n;
	return 0;
}

static int
load_passphrase(struct store_secret_buf *b, const char *path)
{
	const char *env = getenv("MCPX_PASSPHRASE");
	size_t len = 0;
	int rc = 0;

	b->passphrase = sodium_malloc(STORE_PASSPHRASE_MAX + 2);
	if (b->passphrase == NULL)
		return -KEYS_E_NOMEM;
	if (path != NULL) {
		rc = read_small(path, b->passphrase, &len);
	} else if (env != NULL) {
		len = strlen(env);
		if (len > STORE_PASSPHRASE_MAX)
			return -KEYS_E_PARSE;
		memcpy(b->passphrase, env, len + 1);
	} else {
		return -KEYS_E_ARG;
	}
	if (rc < 0)
		return rc;
	while (len > 0 && (b->passphrase[len - 1] == '\n' || b->passphrase[len - 1] == '\r'))
		b->passphrase[--len] = '\0';
	if (len == 0 || strlen(b->passphrase) != len)
		return -KEYS_E_PARSE;
	b->sec.kdf = STORE_KDF_PASSPHRASE;
	b->sec.passphrase = b->passphrase;
	return 0;
}

int
store_secret_load(struct store_secret_buf *b, const char *passphrase_file, const char *key_file)
{
	int rc;

	if (b == NULL)
		return -KEYS_E_ARG;
	memset(b, 0, sizeof(*b));
	if (key_file != NULL) {
		b->key = sodium_malloc(STORE_KEY_LEN);
		if (b->key == NULL)
			return -KEYS_E_NOMEM;
		rc = store_keyfile_read(b->key, key_file);
		b->sec.kdf = STORE_KDF_KEY;
		b->sec.key = b->key;
	} else {
		rc = load_passphrase(b, passphrase_file);
	}
	if (rc < 0)
		store_secret_release(b);
	return rc;
}

void
store_secret_release(struct store_secret_buf *b)
{
	if (b == NULL)
		return;
	if (b->passphrase != NULL)
		sodium_free(b->passphrase);	/* wipes */
	if (b->key != NULL)
		sodium_free(b->key);
	memset(b, 0, sizeof(*b));
}
