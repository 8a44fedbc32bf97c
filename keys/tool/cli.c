/* SPDX-License-Identifier: proprietary */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

int
cli_fail(const struct cli *c, int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mcpx-keys: %s: ", c->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int
cli_err(const struct cli *c, const char *what, int rc)
{
	return cli_fail(c, CLI_FAIL, "%s: %s", what, keys_strerror(rc));
}

int
cli_secret(struct cli *c)
{
	int rc;

	if (c->have_secret)
		return 0;
	rc = store_secret_load(&c->secret, c->passphrase_file, c->key_file);
	if (rc == -KEYS_E_ARG)
		return cli_fail(c, CLI_USAGE, "a sealed file needs --passphrase-file FILE, "
					      "--key-file FILE or MCPX_PASSPHRASE");
	if (rc < 0)
		return cli_fail(c, CLI_FAIL, "the sealing secret: %s", keys_strerror(rc));
	c->have_secret = true;
	return 0;
}

void
cli_secret_done(struct cli *c)
{
	store_secret_release(&c->secret);
	c->have_secret = false;
}

int
cli_store_open(struct cli *c, struct store **st, const char *path)
{
	int rc;

	if (path == NULL)
		return cli_fail(c, CLI_USAGE, "--store FILE (or --state FILE) is required");
	rc = cli_secret(c);
	if (rc != 0)
		return rc;
	rc = store_open(st, path, &c->secret.sec);
	if (rc < 0)
		return cli_err(c, path, rc);
	return 0;
}

int
cli_store_save(struct cli *c, const struct store *st, const char *path)
{
	int rc = store_save(st, path, &c->secret.sec);

	return rc < 0 ? cli_err(c, path, rc) : 0;
}

int
cli_read(const struct cli *c, const char *path, uint8_t **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	uint8_t *b = sodium_malloc(cap + 1), *nb;
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (b == NULL || fd < 0) {
		if (b != NULL)
			sodium_free(b);
		return cli_fail(c, CLI_FAIL, "%s: %s", path, fd < 0 ? strerror(errno) : "no memory");
	}
	while ((r = read(fd, b + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n < cap)
			continue;
		if (cap >= (64u << 20))
			break;
		nb = sodium_malloc(2 * cap + 1);
		if (nb == NULL)
			break;
		memcpy(nb, b, n);
		sodium_free(b);
		b = nb;
		cap *= 2;
	}
	if (fd != 0)
		close(fd);
	if (r != 0) {
		sodium_free(b);
		return cli_fail(c, CLI_FAIL, "%s: %s", path, r < 0 ? strerror(errno) : "too large");
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

void
cli_buf_free(uint8_t *buf)
{
	if (buf != NULL)
		sodium_free(buf);
}

int
cli_write(const struct cli *c, const char *path, const void *buf, size_t len)
{
	char tmp[4096];
	int fd;

	if (strcmp(path, "-") == 0)
		return fwrite(buf, 1, len, stdout) == len ? 0 : cli_fail(c, CLI_FAIL, "stdout");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%08x", path, randombytes_random()) >=
	    sizeof(tmp))
		return cli_fail(c, CLI_FAIL, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return cli_fail(c, CLI_FAIL, "%s: %s", path, strerror(errno));
	if (write(fd, buf, len) != (ssize_t)len || fsync(fd) != 0 || close(fd) != 0 ||
	    rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		return cli_fail(c, CLI_FAIL, "%s: %s", path, strerror(e));
	}
	return 0;
}

char *
cli_hex(const uint8_t *b, size_t n)
{
	char *s = malloc(2 * n + 1);

	if (s != NULL)
		sodium_bin2hex(s, 2 * n + 1, b, n);
	return s;
}

int
cli_unhex(uint8_t *out, size_t want, const uint8_t *hex, size_t len)
{
	size_t bin = 0;

	while (len > 0 && isspace(hex[len - 1]))
		len--;
	while (len > 0 && isspace(hex[0])) {
		hex++;
		len--;
	}
	if (len != 2 * want ||
	    sodium_hex2bin(out, want, (const char *)hex, len, NULL, &bin, NULL) != 0 || bin != want)
		return -1;
	return 0;
}

int
cli_u64(const char *s, uint64_t *v)
{
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

int
cli_dispatch(struct cli *c, const char *family, const struct cli_sub *subs, size_t n,
	     const char *usage, int argc, char **argv)
{
	size_t i;

	for (i = 0; argc >= 2 && i < n; i++) {
		if (strcmp(argv[1], subs[i].name) != 0)
			continue;
		snprintf(c->cmd_buf, sizeof(c->cmd_buf), "%s %s", family, subs[i].name);
		c->cmd = c->cmd_buf;
		return subs[i].run(c, argc - 1, argv + 1);
	}
	c->cmd = family;
	if (argc >= 2)
		return cli_fail(c, CLI_USAGE, "unknown command '%s %s' (%s)", family, argv[1],
				usage);
	return cli_fail(c, CLI_USAGE, "%s", usage);
}

void
cli_print(const struct cli *c, json_t *obj, const char *human)
{
	if (c->json) {
		char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);

		if (s != NULL) {
			puts(s);
			free(s);
		}
	} else if (human != NULL) {
		fputs(human, stdout);
	}
	json_decref(obj);
}
