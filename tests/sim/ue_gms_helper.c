/* SPDX-License-Identifier: proprietary */
/*
 * Test helper for test_ue_cli.sh: one GMS run with the library
 * (mikey_gms_gmk), from the GMS's key store. The mcpx-keys CLI has its own
 * "gms gmk" command; this helper keeps the mcpx-ue tests independent of it.
 *   ue_gms_helper STORE GMS_URI GROUP_URI (MEMBER_URI OUT_FILE [b64])...
 * The sealing secret comes from MCPX_PASSPHRASE. Exit 0 or 1.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "keys_period.h"
#include "store_secret.h"
#include "ue_keys.h"

static int
write_msg(const char *path, const uint8_t *msg, size_t len, bool b64)
{
	char text[UE_MIKEY_B64_MAX];
	FILE *f = fopen(path, "w");
	int ok;

	if (f == NULL)
		return -1;
	if (b64)
		ok = ue_mikey_b64(text, sizeof(text), msg, len) == 0 && fprintf(f, "%s\n", text) > 0;
	else
		ok = fwrite(msg, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int
run(const struct store *st, int argc, char **argv)
{
	const char *groups[] = { argv[3] };
	struct mikey_gmk_opts o = { .groups = groups, .n_groups = 1 };
	const struct store_keyset *ks;
	const struct store_cert *c = NULL;
	struct mikey_signer *sg;
	struct store_item it;
	size_t pos = 0;
	struct mikey_kms kms = { 0 };
	struct mikey_tx tx = { 0 };
	struct mikey_newkey k;
	uint8_t msg[MIKEY_MSG_MAX];
	uint64_t pno;
	size_t len;
	int i, rc;

	while (c == NULL && store_next(st, &pos, &it))
		c = it.type == STORE_T_CERT ? it.cert : NULL;
	if (c == NULL)
		return 1;
	mikey_kms_from_store(&kms, c);
	if (keys_period_no_unix(&pno, time(NULL), c->period_len, c->period_offset) < 0 ||
	    store_get_keyset(st, argv[2], NULL, pno, &ks) < 0 ||
	    mikey_signer_new(&sg, argv[2], &kms, pno, ks->ssk, ks->pvt) < 0)
		return 1;
	if (mikey_newkey_make(&k, 0) < 0) {
		mikey_signer_free(sg);
		return 1;
	}
	tx.from = sg;
	tx.to.kms = &kms;
	for (i = 4, rc = 0; rc == 0 && i + 1 < argc; i += 2) {
		bool b64 = i + 2 < argc && strcmp(argv[i + 2], "b64") == 0;

		tx.to.uri = argv[i];
		rc = mikey_gms_gmk(msg, sizeof(msg), &len, &tx, &k, &o) < 0 ||
		     write_msg(argv[i + 1], msg, len, b64) < 0;
		i += b64;
	}
	sodium_memzero(&k, sizeof(k));
	mikey_signer_free(sg);
	return rc;
}

int
main(int argc, char **argv)
{
	struct store_secret_buf sec;
	struct store *st;
	int rc;

	if (argc < 6 || sodium_init() < 0 || store_secret_load(&sec, NULL, NULL) < 0)
		return 1;
	rc = store_open(&st, argv[1], &sec.sec);
	store_secret_release(&sec);
	if (rc < 0)
		return 1;
	rc = run(st, argc, argv);
	store_free(st);
	if (rc != 0)
		fprintf(stderr, "ue_gms_helper: failed\n");
	return rc;
}
