/* SPDX-License-Identifier: proprietary */
/*
 * mcpx-keys: shared command-line plumbing. Every failure is one line,
 * "mcpx-keys: <command>: <cause>", and a non-zero exit: 1 when the operation
 * failed, 2 for a usage error.
 */
#ifndef MCPX_KEYS_CLI_H
#define MCPX_KEYS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"
#include "store_secret.h"

#define CLI_FAIL 1
#define CLI_USAGE 2

struct cli {
	const char *cmd;	/* "kms init", for messages */
	char cmd_buf[32];
	bool json;
	int64_t now;		/* --at, or the clock */
	/* sealing secret for --store / --state files */
	const char *passphrase_file;
	const char *key_file;
	struct store_secret_buf secret;	/* read once, in secure memory */
	bool have_secret;
};

/* Print "mcpx-keys: <cmd>: <message>" to stderr; returns |code|. */
int
cli_fail(const struct cli *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* As cli_fail with CLI_FAIL and "<what>: <keys_strerror(rc)>". */
int
cli_err(const struct cli *c, const char *what, int rc);

/* Fill c->secret from --passphrase-file, --key-file or MCPX_PASSPHRASE. 0 or exit code. */
int
cli_secret(struct cli *c);

/* Wipe and free whatever cli_secret() read. */
void
cli_secret_done(struct cli *c);

/* Open the store at |path| (cli_secret() first). 0 or an exit code, message printed. */
int
cli_store_open(struct cli *c, struct store **st, const char *path);

/* Save |st| to |path|. 0 or an exit code. */
int
cli_store_save(struct cli *c, const struct store *st, const char *path);

/*
 * Read a whole file ("-" = stdin) into sodium_malloc'd memory (NUL-terminated
 * beyond |*len|). Free with cli_buf_free(). 0 or an exit code.
 */
int
cli_read(const struct cli *c, const char *path, uint8_t **buf, size_t *len);

void
cli_buf_free(uint8_t *buf);

/*
 * Write |len| octets to |path| ("-" = stdout) with mode 0600, atomically for
 * a file (temp + rename). 0 or an exit code.
 */
int
cli_write(const struct cli *c, const char *path, const void *buf, size_t len);

/* Hex of |b| into a new string (free()). */
char *
cli_hex(const uint8_t *b, size_t n);

/* Parse hex (white space around allowed) into exactly |want| octets. 0 or -1. */
int
cli_unhex(uint8_t *out, size_t want, const uint8_t *hex, size_t len);

/* Parse an unsigned decimal. 0 or -1. */
int
cli_u64(const char *s, uint64_t *v);

/* One subcommand of a command family ("init" of "kms"). */
struct cli_sub {
	const char *name;
	int (*run)(struct cli *c, int argc, char **argv);	/* argv[0] is the name */
};

/*
 * Run the subcommand argv[1] of |family| from |subs| (|n| of them), naming it
 * in c->cmd for messages; |usage| is the line printed when it is unknown.
 * Returns the subcommand's exit status, or CLI_USAGE.
 */
int
cli_dispatch(struct cli *c, const char *family, const struct cli_sub *subs, size_t n,
	     const char *usage, int argc, char **argv);

/* Print a result: |obj| as one JSON line with --json, else |human| lines. Takes |obj|. */
void
cli_print(const struct cli *c, json_t *obj, const char *human);

struct kms_cert;

/* The certificate of |kms_uri| in |st| (NULL: the first one). 0 or an exit code. */
int
cli_find_cert(const struct cli *c, const struct store *st, const char *kms_uri,
	      struct kms_cert *out);

/* The command families. Each returns the process's exit status. */
int
cmd_kms(struct cli *c, int argc, char **argv);
int
cmd_store(struct cli *c, int argc, char **argv);
int
cmd_id(struct cli *c, int argc, char **argv);
int
cmd_eccsi(struct cli *c, int argc, char **argv);
int
cmd_sakke(struct cli *c, int argc, char **argv);
int
cmd_gms(struct cli *c, int argc, char **argv);
int
cmd_pck(struct cli *c, int argc, char **argv);
int
cmd_csk(struct cli *c, int argc, char **argv);
int
cmd_mikey(struct cli *c, int argc, char **argv);

#endif
