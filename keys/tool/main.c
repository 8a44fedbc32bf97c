/* SPDX-License-Identifier: proprietary */
/*
 * mcpx-keys: the KMS, key stores and the identity-based primitives of
 * TS 33.180 on the command line. Global options may stand anywhere:
 *   --json                 one JSON object per result line
 *   --at UNIX_SECONDS      the time that picks key periods (default: now)
 *   --passphrase-file F    the passphrase that seals --store/--state files
 *   --key-file F           or a 32-octet key file (MCPX_PASSPHRASE also works)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"

static const char usage_text[] =
	"usage: mcpx-keys [global options] <command> [options]\n"
	"\n"
	"KMS (a security domain kept in a sealed state file):\n"
	"  kms init   --state F --uri KMS_URI [--period S] [--offset S] [--security-gateway]\n"
	"             [--force]            new domain: ECCSI KSAK/KPAK, SAKKE z/Z\n"
	"  kms cert   --state F [-o FILE]  the KMS certificate (TS 33.180 Annex D XML)\n"
	"  kms issue  --state F --user URI [--period-no N] -o FILE\n"
	"                                  a key set (SSK, PVT, RSK) for the key period\n"
	"Key stores (sealed, mode 0600, written atomically):\n"
	"  store init   --store F [--force]\n"
	"  store import --store F [--external | --cross-signed] FILE.xml...\n"
	"               certificates and key sets, every key validated; all or nothing\n"
	"  store list   --store F          entries, never key material\n"
	"Identities and primitives:\n"
	"  id uid       --user URI --kms KMS_URI [--period S] [--offset S] [--period-no N]\n"
	"  eccsi sign   --store F --user URI [--kms URI] --in MSG [-o SIG]\n"
	"  eccsi verify --store F --signer URI [--kms URI] --in MSG --sig SIG\n"
	"  sakke encap  --store F --to URI [--kms URI] [-o FILE] [--ssv-out F | --show-ssv]\n"
	"  sakke decap  --store F --user URI [--kms URI] --in FILE [--ssv-out F | --show-ssv]\n"
	"MIKEY-SAKKE I_MESSAGEs (printed base64, as SDP a=key-mgmt:mikey carries them):\n"
	"  gms gmk   --store F --user GMS_URI [--kms U] [--group ID] [--activation T]\n"
	"            [--expiry T] --member URI [--member-kms U]...   one message per member\n"
	"  pck       --store F --user CALLER [--kms U] --to CALLEE [--to-kms U]\n"
	"  csk       --store F --user CLIENT [--kms U] --to MDSI [--to-kms U]\n"
	"            (all three: [--hide-ids] [--no-self]: no SAKKE-to-self)\n"
	"  mikey dump [--store F [--user URI]] [--initiator URI]... [--show-key] FILE\n"
	"            every payload decoded; with a store, verified and opened; a hidden\n"
	"            initiator (IDRuidi) must be one of the --initiator URIs\n"
	"\n"
	"Global options (anywhere): --json, --at UNIX_SECONDS, --passphrase-file F,\n"
	"  --key-file F (or the MCPX_PASSPHRASE environment variable), --help.\n"
	"Exit status: 0 success, 1 the operation failed (one line on stderr says why),\n"
	"  2 usage error.\n";

/* Take the global options out of argv, wherever they are. */
static int
globals(struct cli *c, int *argc, char **argv)
{
	int i, n = 1;

	for (i = 1; i < *argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < *argc;

		if (strcmp(a, "--json") == 0) {
			c->json = true;
		} else if (strcmp(a, "--at") == 0 && more) {
			uint64_t t;

			if (cli_u64(argv[++i], &t) < 0 || t > INT64_MAX)
				return cli_fail(c, CLI_USAGE, "--at: Unix seconds, not '%s'", argv[i]);
			c->now = (int64_t)t;
		} else if (strcmp(a, "--passphrase-file") == 0 && more) {
			c->passphrase_file = argv[++i];
		} else if (strcmp(a, "--key-file") == 0 && more) {
			c->key_file = argv[++i];
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage_text, stdout);
			return -1;
		} else {
			argv[n++] = argv[i];
		}
	}
	argv[n] = NULL;
	*argc = n;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct cli_sub families[] = {
		{"kms", cmd_kms},     {"store", cmd_store}, {"id", cmd_id},   {"eccsi", cmd_eccsi},
		{"sakke", cmd_sakke}, {"gms", cmd_gms},     {"pck", cmd_pck}, {"csk", cmd_csk},
		{"mikey", cmd_mikey}};
	struct cli c = {.cmd = "usage"};
	size_t i;
	int rc;

	if (sodium_init() < 0) {
		fprintf(stderr, "mcpx-keys: libsodium did not start\n");
		return CLI_FAIL;
	}
	c.now = (int64_t)time(NULL);
	rc = globals(&c, &argc, argv);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (argc < 2) {
		fputs(usage_text, stderr);
		return CLI_USAGE;
	}
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strcmp(argv[1], families[i].name) == 0)
			break;
	if (i < sizeof(families) / sizeof(families[0]))
		rc = families[i].run(&c, argc - 1, argv + 1);
	else
		rc = cli_fail(&c, CLI_USAGE, "unknown command '%s' (see --help)", argv[1]);
	cli_secret_done(&c);
	return rc;
}
