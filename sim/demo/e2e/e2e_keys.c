/* SPDX-License-Identifier: proprietary */
/*
 * mcpx-e2e-keys: the INTERIM keying step of the end-to-end rig, until
 * mcpxctl's "mikey install" feeds mcpxd: open an I_MESSAGE with a
 * recipient's key store (the appliance's) exactly as mcpxd will, and print
 * the SRTP master key, salt and MKI of one sending party as one JSON line,
 * for the rig to put in mcpxd's --streams file (raw keys: a lab step only;
 * the rig keeps that file mode 0600 in its private run folder).
 *
 *   mcpx-e2e-keys --store F --user URI --in MSG [--sender URI] [--cs N]
 *
 * GMK: the master of |--sender|'s GUK-ID (default: the recipient's own).
 * PCK: CS 0 (initiator's media, default) or 1 (receiver's).
 * CSK: CS 6. The store secret is read as by every mcpx program.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys_kdf.h"
#include "keys_keyid.h"
#include "mikey_sakke.h"
#include "store.h"
#include "store_secret.h"
#include "ue_keys.h"

#define MSG_FILE_MAX (UE_MIKEY_B64_MAX + 256)

struct opts {
	const char *store, *user, *in, *sender;
	int cs;
};

static int
usage(void)
{
	fprintf(stderr, "usage: mcpx-e2e-keys --store F --user URI --in MSG "
			"[--sender URI] [--cs N]\n");
	return 2;
}

static int
read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	*len = fread(buf, 1, cap, f);
	fclose(f);
	return *len == 0 || *len == cap ? -1 : 0;
}

static void
hex_out(const char *name, const uint8_t *p, size_t n)
{
	char hex[2 * KEYS_MKI_MAX_LEN + 2 * MIKEY_SRTP_KEY_LEN + 1];

	sodium_bin2hex(hex, sizeof(hex), p, n);
	printf("\"%s\":\"%s\"", name, hex);
	sodium_memzero(hex, sizeof(hex));
}

/* The master key of the chosen sender, printed; the caller wipes |k|. */
static int
derive(const struct opts *o, const struct mikey_key *k)
{
	struct mikey_srtp_master m;
	uint32_t guk = 0;
	uint8_t cs;
	int rc;

	switch (k->purpose) {
	case KEYS_PURPOSE_GMK:
		cs = MIKEY_CS_MCPTT_GROUP;
		guk = k->csb_id;
		if (o->sender != NULL &&
		    keys_guk_id(&guk, k->key_id, k->key, o->sender) < 0)
			return -1;
		break;
	case KEYS_PURPOSE_PCK:
		cs = (uint8_t)(o->cs < 0 ? MIKEY_CS_MCPTT_PCK_INIT : o->cs);
		break;
	case KEYS_PURPOSE_CSK:
		cs = MIKEY_CS_MCPTT_CSK;
		break;
	default:
		return -1;
	}
	rc = mikey_key_srtp(&m, k, cs, guk);
	if (rc < 0)
		return -1;
	printf("{\"purpose\":%u,\"key_id\":\"%08x\",\"rcc_r\":%u,",
	       k->purpose, k->key_id,
	       k->profile.auth_alg == MIKEY_AUTH_RCCM3 ? k->profile.roc_rate : 0);
	hex_out("mki", m.mki, m.mki_len);
	printf(",");
	hex_out("master_key", m.key, sizeof(m.key));
	printf(",");
	hex_out("master_salt", m.salt, m.salt_len);
	printf("}\n");
	mikey_srtp_master_wipe(&m);
	return 0;
}

static int
run(const struct opts *o, const struct store_secret *sec)
{
	uint8_t file[MSG_FILE_MAX], raw[MIKEY_MSG_MAX];
	enum mikey_reject why = MIKEY_REJECT_NONE;
	struct ue_keys *uk = NULL;
	struct store *st;
	struct mikey_key k;
	size_t flen, n;
	int rc;

	memset(&k, 0, sizeof(k));
	if (read_file(o->in, file, sizeof(file), &flen) < 0) {
		fprintf(stderr, "mcpx-e2e-keys: %s: cannot read\n", o->in);
		return 1;
	}
	rc = store_open(&st, o->store, sec);
	if (rc < 0) {
		fprintf(stderr, "mcpx-e2e-keys: %s: %s\n", o->store, keys_strerror(rc));
		return 1;
	}
	rc = ue_keys_new(&uk, st, o->user, 0);
	store_free(st);
	if (rc < 0) {
		fprintf(stderr, "mcpx-e2e-keys: %s: %s\n", o->user, keys_strerror(rc));
		return 1;
	}
	rc = ue_mikey_unwrap(raw, sizeof(raw), &n, file, flen);
	if (rc == 0)
		rc = ue_keys_open(uk, raw, n, -1, &k, &why);
	if (rc < 0) {
		fprintf(stderr, "mcpx-e2e-keys: %s: refused: %s (%s)\n", o->in,
			keys_strerror(rc), mikey_reject_name(why));
		rc = 1;
		goto out;
	}
	rc = derive(o, &k) < 0 ? 1 : 0;
	if (rc != 0)
		fprintf(stderr, "mcpx-e2e-keys: %s: cannot derive the SRTP master\n", o->in);
out:
	mikey_key_wipe(&k);
	ue_keys_free(uk);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"store", required_argument, NULL, 's'}, {"user", required_argument, NULL, 'u'},
		{"in", required_argument, NULL, 'i'}, {"sender", required_argument, NULL, 'S'},
		{"cs", required_argument, NULL, 'c'}, {NULL, 0, NULL, 0}};
	struct store_secret_buf sec = {0};
	struct opts o = {.cs = -1};
	int c, rc;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': o.store = optarg; break;
		case 'u': o.user = optarg; break;
		case 'i': o.in = optarg; break;
		case 'S': o.sender = optarg; break;
		case 'c': o.cs = atoi(optarg); break;
		default: return usage();
		}
	}
	if (o.store == NULL || o.user == NULL || o.in == NULL || optind != argc ||
	    o.cs < -1 || o.cs > 255)
		return usage();
	if (sodium_init() < 0)
		return 1;
	rc = store_secret_load(&sec, NULL, NULL);
	if (rc < 0) {
		fprintf(stderr, "mcpx-e2e-keys: store secret: %s (set MCPX_PASSPHRASE)\n",
			keys_strerror(rc));
		return 1;
	}
	rc = run(&o, &sec.sec);
	store_secret_release(&sec);
	return rc;
}
