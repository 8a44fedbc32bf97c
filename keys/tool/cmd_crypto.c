/* SPDX-License-Identifier: proprietary */
/*
 * mcpx-keys id ..., eccsi ..., sakke ...: the primitives on the command line,
 * with identities turned into the UIDs of the key period in force (TS 33.180
 * F.2.1), for lab work against other implementations.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "eccsi.h"
#include "keys_uid.h"
#include "kms.h"
#include "sakke.h"

struct who {
	const char *store, *user, *kms, *in, *out, *sig, *ssv_out;
	bool show_ssv;
};

static const struct option opts[] = {
	{"store", 1, 0, 's'}, {"user", 1, 0, 'u'},    {"signer", 1, 0, 'u'},
	{"to", 1, 0, 'u'},    {"kms", 1, 0, 'k'},     {"in", 1, 0, 'i'},
	{"out", 1, 0, 'o'},   {"sig", 1, 0, 'g'},     {"ssv-out", 1, 0, 'v'},
	{"show-ssv", 0, 0, 'S'}, {0, 0, 0, 0}};

static int
parse(struct cli *c, int argc, char **argv, struct who *w)
{
	int ch;

	memset(w, 0, sizeof(*w));
	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (ch) {
		case 's': w->store = optarg; break;
		case 'u': w->user = optarg; break;
		case 'k': w->kms = optarg; break;
		case 'i': w->in = optarg; break;
		case 'o': w->out = optarg; break;
		case 'g': w->sig = optarg; break;
		case 'v': w->ssv_out = optarg; break;
		case 'S': w->show_ssv = true; break;
		default: return CLI_USAGE;
		}
	}
	if (w->user == NULL)
		return cli_fail(c, CLI_USAGE, "name the identity (--user, --signer or --to URI)");
	return 0;
}

/* The UID of |user| under |cert| at the command's time. 0 or exit code. */
static int
uid_now(const struct cli *c, const struct kms_cert *cert, const char *user,
	uint8_t uid[KMS_UID_LEN], uint64_t *period_no)
{
	int rc = kms_period_at(period_no, cert, c->now);

	if (rc == 0)
		rc = keys_uid_derive(uid, user, cert->kms_uri, cert->period_len, cert->period_offset,
				     *period_no);
	return rc < 0 ? cli_err(c, "UID", rc) : 0;
}

static int
id_uid(struct cli *c, int argc, char **argv)
{
	static const struct option o[] = {{"user", 1, 0, 'u'},	 {"kms", 1, 0, 'k'},
					  {"period", 1, 0, 'p'}, {"offset", 1, 0, 'o'},
					  {"period-no", 1, 0, 'n'}, {0, 0, 0, 0}};
	const char *user = NULL, *kms = NULL;
	uint64_t period = 2592000, offset = 0, no = 0;
	bool have_no = false;
	uint8_t uid[KMS_UID_LEN];
	char *hex, line[256];
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		uint64_t *dst = ch == 'p' ? &period : ch == 'o' ? &offset : &no;

		switch (ch) {
		case 'u': user = optarg; break;
		case 'k': kms = optarg; break;
		case 'p':
		case 'o':
		case 'n':
			if (cli_u64(optarg, dst) < 0)
				return cli_fail(c, CLI_USAGE, "'%s' is not a number", optarg);
			have_no |= ch == 'n';
			break;
		default: return CLI_USAGE;
		}
	}
	if (user == NULL || kms == NULL)
		return cli_fail(c, CLI_USAGE, "--user URI and --kms KMS_URI are required");
	if (period == 0 || offset >= period)
		return cli_fail(c, CLI_USAGE, "--period must be > 0 and above --offset");
	if (!have_no) {
		struct kms_cert cert = {.period_len = period, .period_offset = offset};

		if (kms_period_at(&no, &cert, c->now) < 0)
			return cli_fail(c, CLI_FAIL, "the time is before the first key period");
	}
	rc = keys_uid_derive(uid, user, kms, period, offset, no);
	if (rc < 0)
		return cli_err(c, "UID", rc);
	hex = cli_hex(uid, sizeof(uid));
	snprintf(line, sizeof(line), "%s\n", hex);
	cli_print(c,
		  json_pack("{s:s,s:s,s:I,s:I,s:I,s:s}", "user", user, "kms_uri", kms, "period",
			    (json_int_t)period, "offset", (json_int_t)offset, "period_no",
			    (json_int_t)no, "uid", hex),
		  line);
	free(hex);
	return 0;
}

/* Open the store, find the certificate and this identity's key set for now. */
static int
own_keys(struct cli *c, const struct who *w, struct store **st, struct kms_cert *cert,
	 const struct store_keyset **ks, uint8_t uid[KMS_UID_LEN])
{
	uint64_t no;
	int rc;

	rc = cli_store_open(c, st, w->store);
	if (rc == 0)
		rc = cli_find_cert(c, *st, w->kms, cert);
	if (rc == 0)
		rc = uid_now(c, cert, w->user, uid, &no);
	if (rc == 0 && store_get_keyset(*st, w->user, cert->kms_uri, no, ks) < 0)
		rc = cli_fail(c, CLI_FAIL, "no key set for %s in key period %llu of %s", w->user,
			      (unsigned long long)no, cert->kms_uri);
	return rc;
}

static int
eccsi_sign_cmd(struct cli *c, int argc, char **argv)
{
	const struct store_keyset *ks;
	struct eccsi_signer *signer = NULL;
	uint8_t uid[KMS_UID_LEN], sig[ECCSI_SIG_LEN], *msg = NULL;
	struct store *st = NULL;
	struct kms_cert cert;
	struct who w;
	size_t len;
	char *hex;
	int rc;

	rc = parse(c, argc, argv, &w);
	if (rc == 0 && w.in == NULL)
		rc = cli_fail(c, CLI_USAGE, "--in FILE (the message) is required");
	if (rc == 0)
		rc = own_keys(c, &w, &st, &cert, &ks, uid);
	if (rc == 0)
		rc = cli_read(c, w.in, &msg, &len);
	if (rc == 0 && (rc = eccsi_signer_new(&signer, ks->ssk, ks->pvt, cert.kpak, uid,
					      sizeof(uid))) < 0)
		rc = cli_err(c, "signing key", rc);
	if (rc == 0 && (rc = eccsi_sign(sig, signer, msg, len)) < 0)
		rc = cli_err(c, "sign", rc);
	if (rc == 0 && w.out != NULL)
		rc = cli_write(c, w.out, sig, sizeof(sig));
	if (rc == 0) {
		hex = cli_hex(sig, sizeof(sig));
		cli_print(c, json_pack("{s:s,s:s}", "signer", w.user, "signature", hex),
			  w.out == NULL ? hex : "");
		if (w.out == NULL && !c->json)
			putchar('\n');
		free(hex);
	}
	eccsi_signer_free(signer);
	cli_buf_free(msg);
	store_free(st);
	return rc;
}

/* A signature file: 129 raw octets, or their hex. */
static int
read_sig(struct cli *c, const char *path, uint8_t sig[ECCSI_SIG_LEN])
{
	uint8_t *buf;
	size_t len;
	int rc = cli_read(c, path, &buf, &len);

	if (rc != 0)
		return rc;
	if (len == ECCSI_SIG_LEN)
		memcpy(sig, buf, len);
	else if (cli_unhex(sig, ECCSI_SIG_LEN, buf, len) < 0)
		rc = cli_fail(c, CLI_FAIL, "%s: not a 129-octet signature (raw or hex)", path);
	cli_buf_free(buf);
	return rc;
}

static int
eccsi_verify_cmd(struct cli *c, int argc, char **argv)
{
	uint8_t uid[KMS_UID_LEN], sig[ECCSI_SIG_LEN], *msg = NULL;
	struct store *st = NULL;
	struct kms_cert cert;
	struct who w;
	uint64_t no;
	size_t len;
	int rc;

	rc = parse(c, argc, argv, &w);
	if (rc == 0 && (w.in == NULL || w.sig == NULL))
		rc = cli_fail(c, CLI_USAGE, "--in FILE and --sig FILE are required");
	if (rc == 0)
		rc = cli_store_open(c, &st, w.store);
	if (rc == 0)
		rc = cli_find_cert(c, st, w.kms, &cert);
	if (rc == 0)
		rc = uid_now(c, &cert, w.user, uid, &no);
	if (rc == 0)
		rc = read_sig(c, w.sig, sig);
	if (rc == 0)
		rc = cli_read(c, w.in, &msg, &len);
	if (rc == 0) {
		int v = eccsi_verify(msg, len, sig, sizeof(sig), uid, sizeof(uid), cert.kpak);

		if (v < 0)
			rc = cli_fail(c, CLI_FAIL, "signature from %s does not hold: %s", w.user,
				      keys_strerror(v));
		else
			cli_print(c, json_pack("{s:s,s:b}", "signer", w.user, "valid", 1),
				  "valid\n");
	}
	cli_buf_free(msg);
	store_free(st);
	return rc;
}

static int
ssv_out(struct cli *c, const struct who *w, const uint8_t ssv[SAKKE_SSV_LEN])
{
	char hex[2 * SAKKE_SSV_LEN + 2];
	int rc = 0;

	sodium_bin2hex(hex, sizeof(hex), ssv, SAKKE_SSV_LEN);
	if (w->ssv_out != NULL) {
		strcat(hex, "\n");
		rc = cli_write(c, w->ssv_out, hex, strlen(hex));
	} else if (w->show_ssv) {
		printf("SSV %s\n", hex);
	}
	sodium_memzero(hex, sizeof(hex));
	return rc;
}

static int
sakke_encap_cmd(struct cli *c, int argc, char **argv)
{
	uint8_t uid[KMS_UID_LEN], ed[SAKKE_ED_LEN], *ssv;
	struct sakke_sender *s = NULL;
	struct store *st = NULL;
	struct kms_cert cert;
	struct who w;
	uint64_t no;
	char *hex;
	int rc;

	ssv = sodium_malloc(SAKKE_SSV_LEN);
	if (ssv == NULL)
		return cli_fail(c, CLI_FAIL, "out of memory");
	rc = parse(c, argc, argv, &w);
	if (rc == 0)
		rc = cli_store_open(c, &st, w.store);
	if (rc == 0)
		rc = cli_find_cert(c, st, w.kms, &cert);
	if (rc == 0)
		rc = uid_now(c, &cert, w.user, uid, &no);
	if (rc == 0 && (rc = sakke_sender_new(&s, cert.z, uid, sizeof(uid))) < 0)
		rc = cli_err(c, "recipient", rc);
	if (rc == 0 && (rc = sakke_encapsulate(ed, ssv, s)) < 0)
		rc = cli_err(c, "encapsulate", rc);
	if (rc == 0 && w.out != NULL)
		rc = cli_write(c, w.out, ed, sizeof(ed));
	if (rc == 0)
		rc = ssv_out(c, &w, ssv);
	if (rc == 0) {
		hex = cli_hex(ed, sizeof(ed));
		cli_print(c,
			  json_pack("{s:s,s:s,s:I,s:s}", "to", w.user, "kms_uri", cert.kms_uri,
				    "period_no", (json_int_t)no, "encapsulated", hex),
			  w.out == NULL ? hex : "");
		if (w.out == NULL && !c->json)
			putchar('\n');
		free(hex);
	}
	sakke_sender_free(s);
	sodium_free(ssv);
	store_free(st);
	return rc;
}

static int
sakke_decap_cmd(struct cli *c, int argc, char **argv)
{
	const struct store_keyset *ks;
	struct sakke_receiver *r = NULL;
	uint8_t uid[KMS_UID_LEN], ed[SAKKE_ED_LEN], *ssv, *buf = NULL;
	struct store *st = NULL;
	struct kms_cert cert;
	struct who w;
	size_t len;
	int rc;

	ssv = sodium_malloc(SAKKE_SSV_LEN);
	if (ssv == NULL)
		return cli_fail(c, CLI_FAIL, "out of memory");
	rc = parse(c, argc, argv, &w);
	if (rc == 0 && w.in == NULL)
		rc = cli_fail(c, CLI_USAGE, "--in FILE (273 octets, raw or hex) is required");
	if (rc == 0)
		rc = own_keys(c, &w, &st, &cert, &ks, uid);
	if (rc == 0)
		rc = cli_read(c, w.in, &buf, &len);
	if (rc == 0 && len != SAKKE_ED_LEN && cli_unhex(ed, sizeof(ed), buf, len) < 0)
		rc = cli_fail(c, CLI_FAIL, "%s: not 273 octets of SAKKE data (raw or hex)", w.in);
	else if (rc == 0 && len == SAKKE_ED_LEN)
		memcpy(ed, buf, len);
	if (rc == 0 && (rc = sakke_receiver_new(&r, ks->rsk, cert.z, uid, sizeof(uid))) < 0)
		rc = cli_err(c, "receiver key", rc);
	if (rc == 0 && (rc = sakke_decapsulate(ssv, ed, sizeof(ed), r)) < 0)
		rc = cli_err(c, "decapsulate", rc);
	if (rc == 0)
		rc = ssv_out(c, &w, ssv);
	if (rc == 0)
		cli_print(c, json_pack("{s:s,s:b}", "user", w.user, "decapsulated", 1),
			  "decapsulated: the SSV checks (use --ssv-out FILE or --show-ssv)\n");
	sakke_receiver_free(r);
	sodium_free(ssv);
	cli_buf_free(buf);
	store_free(st);
	return rc;
}

int
cmd_id(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {{"uid", id_uid}};

	return cli_dispatch(c, "id", subs, 1, "id uid --user URI --kms KMS_URI ...", argc, argv);
}

int
cmd_eccsi(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{"sign", eccsi_sign_cmd}, {"verify", eccsi_verify_cmd}};

	return cli_dispatch(c, "eccsi", subs, 2, "eccsi sign | verify", argc, argv);
}

int
cmd_sakke(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{"encap", sakke_encap_cmd}, {"decap", sakke_decap_cmd}};

	return cli_dispatch(c, "sakke", subs, 2, "sakke encap | decap", argc, argv);
}
