/* SPDX-License-Identifier: proprietary */
/*
 * mcpx-keys kms ... and store ...: a KMS's domain in a sealed state file, its
 * certificate and key sets as Annex D XML; a client's sealed key store and
 * what it imports, every key validated before it is stored.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "cli.h"
#include "kms.h"

static void
cert_to_store(struct store_cert *sc, const struct kms_cert *c, bool cross)
{
	memset(sc, 0, sizeof(*sc));
	snprintf(sc->kms_uri, sizeof(sc->kms_uri), "%s", c->kms_uri);
	sc->period_len = c->period_len;
	sc->period_offset = c->period_offset;
	sc->flags = (c->security_gateway ? STORE_CERT_SEGY : 0) |
		    (c->external ? STORE_CERT_EXTERNAL : 0) | (cross ? STORE_CERT_CROSS_SIGNED : 0);
	memcpy(sc->kpak, c->kpak, sizeof(sc->kpak));
	memcpy(sc->z, c->z, sizeof(sc->z));
}

/* A stored certificate as a KMS certificate (public). Returns 0 or -KEYS_E_RANGE. */
static int
cert_from_store(struct kms_cert *c, const struct store_cert *sc)
{
	memset(c, 0, sizeof(*c));
	if (strlen(sc->kms_uri) >= sizeof(c->kms_uri))
		return -KEYS_E_RANGE;
	strcpy(c->kms_uri, sc->kms_uri);
	c->security_gateway = (sc->flags & STORE_CERT_SEGY) != 0;
	c->external = (sc->flags & STORE_CERT_EXTERNAL) != 0;
	c->user_id_format = KMS_USER_ID_FORMAT;
	c->parameter_set = KMS_PARAMETER_SET;
	c->period_len = sc->period_len;
	c->period_offset = sc->period_offset;
	memcpy(c->kpak, sc->kpak, sizeof(c->kpak));
	memcpy(c->z, sc->z, sizeof(c->z));
	return 0;
}

int
cli_find_cert(const struct cli *c, const struct store *st, const char *kms_uri,
	      struct kms_cert *out)
{
	const struct store_cert *sc = NULL;
	struct store_item it;
	size_t pos = 0;
	int rc;

	if (kms_uri != NULL) {
		rc = store_find_cert(st, kms_uri, &sc);
		if (rc < 0)
			return cli_fail(c, CLI_FAIL, "no certificate for KMS %s in the store", kms_uri);
	} else {
		while (sc == NULL && store_next(st, &pos, &it))
			if (it.type == STORE_T_CERT)
				sc = it.cert;
		if (sc == NULL)
			return cli_fail(c, CLI_FAIL, "the store holds no KMS certificate");
	}
	rc = cert_from_store(out, sc);
	return rc < 0 ? cli_err(c, "certificate", rc) : 0;
}

/* The domain kept in a KMS state file, rebuilt and checked. 0 or exit code. */
static int
load_domain(struct cli *c, const char *state, struct kms_domain **d)
{
	const struct store_kms *k = NULL;
	struct store *st = NULL;
	struct store_item it;
	struct kms_cert cert;
	size_t pos = 0;
	int rc;

	rc = cli_store_open(c, &st, state);
	if (rc != 0)
		return rc;
	while (k == NULL && store_next(st, &pos, &it))
		if (it.type == STORE_T_KMS)
			k = it.kms;
	if (k == NULL) {
		store_free(st);
		return cli_fail(c, CLI_FAIL, "%s holds no KMS (made by 'kms init'?)", state);
	}
	rc = cli_find_cert(c, st, k->kms_uri, &cert);
	if (rc == 0) {
		struct kms_cert want = cert;

		rc = kms_domain_restore(d, &cert, k->ksak, k->z);
		if (rc < 0)
			rc = cli_err(c, "KMS secrets", rc);
		else if (sodium_memcmp((*d)->cert.kpak, want.kpak, KMS_KPAK_LEN) != 0 ||
			 sodium_memcmp((*d)->cert.z, want.z, KMS_Z_LEN) != 0)
			rc = cli_fail(c, CLI_FAIL, "%s: KPAK or Z does not match the secrets", state);
	}
	store_free(st);
	if (rc != 0 && *d != NULL) {
		kms_domain_free(*d);
		*d = NULL;
	}
	return rc;
}

static int
kms_init(struct cli *c, int argc, char **argv)
{
	static const struct option o[] = {{"state", 1, 0, 's'}, {"uri", 1, 0, 'u'},
					  {"period", 1, 0, 'p'}, {"offset", 1, 0, 'o'},
					  {"security-gateway", 0, 0, 'g'}, {"force", 0, 0, 'f'},
					  {0, 0, 0, 0}};
	const char *state = NULL, *uri = NULL;
	uint64_t period = 2592000, offset = 0;
	bool sg = false, force = false;
	struct kms_domain *d = NULL;
	struct store_cert sc;
	struct store *st = NULL;
	struct stat sb;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (ch) {
		case 's': state = optarg; break;
		case 'u': uri = optarg; break;
		case 'p':
			if (cli_u64(optarg, &period) < 0 || period == 0)
				return cli_fail(c, CLI_USAGE, "--period: seconds > 0, not '%s'", optarg);
			break;
		case 'o':
			if (cli_u64(optarg, &offset) < 0)
				return cli_fail(c, CLI_USAGE, "--offset: seconds, not '%s'", optarg);
			break;
		case 'g': sg = true; break;
		case 'f': force = true; break;
		default: return CLI_USAGE;
		}
	}
	if (state == NULL || uri == NULL)
		return cli_fail(c, CLI_USAGE, "--state FILE and --uri KMS_URI are required");
	if (offset >= period)
		return cli_fail(c, CLI_USAGE, "--offset must be less than --period");
	if (!force && stat(state, &sb) == 0)
		return cli_fail(c, CLI_FAIL, "%s exists (use --force to replace it)", state);
	rc = cli_secret(c);
	if (rc != 0)
		return rc;
	rc = kms_domain_create(&d, uri, period, offset, sg);
	if (rc < 0)
		return cli_err(c, "new domain", rc);
	cert_to_store(&sc, &d->cert, false);
	rc = store_new(&st);
	if (rc == 0)
		rc = store_put_kms(st, uri, d->ksak, d->z_secret, 0);
	if (rc == 0)
		rc = store_put_cert(st, &sc, 0);
	rc = rc < 0 ? cli_err(c, "state", rc) : cli_store_save(c, st, state);
	if (rc == 0) {
		char *kpak = cli_hex(d->cert.kpak, 8);
		char line[512];

		snprintf(line, sizeof(line),
			 "KMS %s created in %s\n  key period %llu s, offset %llu s%s\n"
			 "  KPAK %s...\n",
			 uri, state, (unsigned long long)period, (unsigned long long)offset,
			 sg ? ", Security Gateway domain" : "", kpak);
		cli_print(c,
			  json_pack("{s:s,s:s,s:I,s:I,s:b}", "kms_uri", uri, "state", state,
				    "period", (json_int_t)period, "offset", (json_int_t)offset,
				    "security_gateway", sg),
			  line);
		free(kpak);
	}
	store_free(st);
	kms_domain_free(d);
	return rc;
}

static int
kms_cert(struct cli *c, int argc, char **argv)
{
	static const struct option o[] = {{"state", 1, 0, 's'}, {"out", 1, 0, 'o'}, {0, 0, 0, 0}};
	const char *state = NULL, *out = "-";
	struct kms_domain *d = NULL;
	char *xml;
	size_t len;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "o:", o, NULL)) != -1) {
		switch (ch) {
		case 's': state = optarg; break;
		case 'o': out = optarg; break;
		default: return CLI_USAGE;
		}
	}
	rc = load_domain(c, state, &d);
	if (rc != 0)
		return rc;
	rc = kms_cert_to_xml(&xml, &len, &d->cert, c->now);
	if (rc < 0) {
		kms_domain_free(d);
		return cli_err(c, "certificate", rc);
	}
	rc = cli_write(c, out, xml, len);
	kms_xml_free(xml);
	kms_domain_free(d);
	return rc;
}

static int
kms_issue_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option o[] = {{"state", 1, 0, 's'}, {"user", 1, 0, 'u'},
					  {"period-no", 1, 0, 'n'}, {"out", 1, 0, 'o'},
					  {0, 0, 0, 0}};
	const char *state = NULL, *user = NULL, *out = NULL;
	struct kms_keyset *ks = NULL;
	struct kms_domain *d = NULL;
	bool have_no = false;
	uint64_t no = 0;
	char *xml, line[1024];
	size_t len;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "o:", o, NULL)) != -1) {
		switch (ch) {
		case 's': state = optarg; break;
		case 'u': user = optarg; break;
		case 'o': out = optarg; break;
		case 'n':
			if (cli_u64(optarg, &no) < 0)
				return cli_fail(c, CLI_USAGE, "--period-no: a number, not '%s'", optarg);
			have_no = true;
			break;
		default: return CLI_USAGE;
		}
	}
	if (user == NULL || out == NULL)
		return cli_fail(c, CLI_USAGE, "--user URI and --out FILE are required "
					      "(the key set is secret: '--out -' for stdout)");
	rc = load_domain(c, state, &d);
	if (rc != 0)
		return rc;
	if (!have_no && kms_period_at(&no, &d->cert, c->now) < 0)
		rc = cli_fail(c, CLI_FAIL, "the time is before the first key period");
	if (rc == 0 && (rc = kms_issue(&ks, d, user, no)) < 0)
		rc = cli_err(c, "issue", rc);
	if (rc == 0 && (rc = kms_keyset_to_xml(&xml, &len, ks, c->now)) < 0)
		rc = cli_err(c, "key set", rc);
	if (rc == 0) {
		rc = cli_write(c, out, xml, len);
		kms_xml_free(xml);
	}
	if (rc == 0 && strcmp(out, "-") != 0) {
		char *uid = cli_hex(ks->uid, sizeof(ks->uid));

		snprintf(line, sizeof(line), "key set for %s, key period %llu, UID %s -> %s\n", user,
			 (unsigned long long)no, uid, out);
		cli_print(c,
			  json_pack("{s:s,s:s,s:I,s:s,s:s}", "user", user, "kms_uri",
				    d->cert.kms_uri, "period_no", (json_int_t)no, "uid", uid,
				    "out", out),
			  line);
		free(uid);
	}
	kms_keyset_free(ks);
	kms_domain_free(d);
	return rc;
}

int
cmd_kms(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{"init", kms_init}, {"cert", kms_cert}, {"issue", kms_issue_cmd}};

	return cli_dispatch(c, "kms", subs, 3, "kms init | cert | issue", argc, argv);
}

/*
 * store ...
 */

static int
store_init_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option o[] = {{"store", 1, 0, 's'}, {"force", 0, 0, 'f'}, {0, 0, 0, 0}};
	const char *path = NULL;
	struct store *st = NULL;
	bool force = false;
	struct stat sb;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (ch) {
		case 's': path = optarg; break;
		case 'f': force = true; break;
		default: return CLI_USAGE;
		}
	}
	if (path == NULL)
		return cli_fail(c, CLI_USAGE, "--store FILE is required");
	if (!force && stat(path, &sb) == 0)
		return cli_fail(c, CLI_FAIL, "%s exists (use --force to replace it)", path);
	rc = cli_secret(c);
	if (rc != 0)
		return rc;
	rc = store_new(&st);
	rc = rc < 0 ? cli_err(c, "store", rc) : cli_store_save(c, st, path);
	if (rc == 0)
		cli_print(c, json_pack("{s:s,s:i}", "store", path, "entries", 0),
			  "empty key store created\n");
	store_free(st);
	return rc;
}

/* Import one XML file: a certificate or a key set. 0 or exit code. */

/*
 * The time an import checks a key set's validity window at: now, or its
 * start when that is later. What has ended is refused; what starts later is
 * taken, as a KMS hands out the next period's keys before it begins.
 */
static int64_t
not_before(bool has_from, int64_t from, int64_t now)
{
	return has_from && from > now ? from : now;
}

static int
import_one(struct cli *c, struct store *st, const char *file, unsigned int extra_flags,
	   json_t *done)
{
	struct kms_keyset *ks = NULL;
	struct kms_cert cert;
	struct store_cert sc;
	uint8_t *buf;
	size_t len;
	int rc;

	rc = cli_read(c, file, &buf, &len);
	if (rc != 0)
		return rc;
	if (strstr((const char *)buf, "KmsCertificate") != NULL) {
		rc = kms_cert_from_xml(&cert, (const char *)buf, len);
		if (rc == 0)
			rc = kms_cert_validate(&cert);
		if (rc == 0)	/* a trust anchor replaces the KMS's: in force now */
			rc = kms_cert_check_time(&cert, c->now);
		if (rc == 0 && cert.revoked)
			rc = -KEYS_E_KEY;
		if (rc < 0) {
			rc = cli_err(c, file, rc);
			goto out;
		}
		if (extra_flags & STORE_CERT_EXTERNAL)
			cert.external = true;
		cert_to_store(&sc, &cert, (extra_flags & STORE_CERT_CROSS_SIGNED) != 0);
		rc = store_put_cert(st, &sc, STORE_REPLACE);
		rc = rc < 0 ? cli_err(c, file, rc) : 0;
		json_array_append_new(done, json_pack("{s:s,s:s,s:s,s:b}", "file", file, "type",
						      "cert", "kms_uri", cert.kms_uri,
						      "external", cert.external));
		goto out;
	}
	ks = kms_keyset_new();
	rc = ks == NULL ? -KEYS_E_NOMEM : kms_keyset_from_xml(ks, (const char *)buf, len);
	if (rc < 0) {
		rc = cli_err(c, file, rc);
		goto out;
	}
	rc = cli_find_cert(c, st, ks->kms_uri, &cert);
	if (rc != 0)
		goto out;
	/* The next period's keys come ahead of its start (key-management.md): not refused. */
	rc = ks->revoked ? -KEYS_E_KEY
			 : kms_keyset_check_time(ks, not_before(ks->has_valid_from, ks->valid_from,
								c->now));
	if (rc == 0)
		rc = kms_keyset_validate(ks, &cert);
	if (rc == 0)
		rc = store_put_keyset(st, ks->user_uri, ks->kms_uri, ks->period_no, ks->ssk,
				      ks->pvt, ks->rsk, STORE_REPLACE);
	if (rc < 0) {
		rc = cli_err(c, file, rc);
		goto out;
	}
	json_array_append_new(done, json_pack("{s:s,s:s,s:s,s:s,s:I}", "file", file, "type",
					      "keyset", "user", ks->user_uri, "kms_uri",
					      ks->kms_uri, "period_no", (json_int_t)ks->period_no));
out:
	kms_keyset_free(ks);
	cli_buf_free(buf);
	return rc;
}

static int
store_import(struct cli *c, int argc, char **argv)
{
	static const struct option o[] = {{"store", 1, 0, 's'}, {"external", 0, 0, 'e'},
					  {"cross-signed", 0, 0, 'x'}, {0, 0, 0, 0}};
	unsigned int flags = 0;
	const char *path = NULL;
	struct store *st = NULL;
	json_t *done;
	int ch, rc, i;

	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (ch) {
		case 's': path = optarg; break;
		case 'e': flags |= STORE_CERT_EXTERNAL; break;
		case 'x': flags |= STORE_CERT_CROSS_SIGNED | STORE_CERT_EXTERNAL; break;
		default: return CLI_USAGE;
		}
	}
	if (optind >= argc)
		return cli_fail(c, CLI_USAGE, "name the XML files to import");
	rc = cli_store_open(c, &st, path);
	if (rc != 0)
		return rc;
	done = json_array();
	/* All or nothing: the store is saved only if every file imported. */
	for (i = optind; rc == 0 && i < argc; i++)
		rc = import_one(c, st, argv[i], flags, done);
	if (rc == 0)
		rc = cli_store_save(c, st, path);
	if (rc == 0) {
		char line[128];

		snprintf(line, sizeof(line), "imported %zu file(s), every key validated\n",
			 json_array_size(done));
		cli_print(c, json_pack("{s:s,s:o}", "store", path, "imported", done), line);
	} else {
		json_decref(done);
	}
	store_free(st);
	return rc;
}

static int
store_list(struct cli *c, int argc, char **argv)
{
	static const struct option o[] = {{"store", 1, 0, 's'}, {0, 0, 0, 0}};
	const char *path = NULL;
	struct store *st = NULL;
	struct store_item it;
	size_t pos = 0;
	json_t *arr;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		if (ch != 's')
			return CLI_USAGE;
		path = optarg;
	}
	rc = cli_store_open(c, &st, path);
	if (rc != 0)
		return rc;
	arr = json_array();
	if (!c->json)
		printf("%-7s %-40s %-28s %s\n", "type", "identity / name", "KMS", "period / flags");
	while (store_next(st, &pos, &it)) {
		switch (it.type) {
		case STORE_T_KEYSET:
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:I}", "type", "keyset",
							     "user", it.keyset->uri, "kms_uri",
							     it.keyset->kms_uri, "period_no",
							     (json_int_t)it.keyset->period_no));
			if (!c->json)
				printf("%-7s %-40s %-28s %llu\n", "keyset", it.keyset->uri,
				       it.keyset->kms_uri, (unsigned long long)it.keyset->period_no);
			break;
		case STORE_T_CERT:
			json_array_append_new(
				arr, json_pack("{s:s,s:s,s:I,s:I,s:b,s:b,s:b}", "type", "cert",
					       "kms_uri", it.cert->kms_uri, "period",
					       (json_int_t)it.cert->period_len, "offset",
					       (json_int_t)it.cert->period_offset, "security_gateway",
					       (it.cert->flags & STORE_CERT_SEGY) != 0, "external",
					       (it.cert->flags & STORE_CERT_EXTERNAL) != 0,
					       "cross_signed",
					       (it.cert->flags & STORE_CERT_CROSS_SIGNED) != 0));
			if (!c->json)
				printf("%-7s %-40s %-28s %s%s%s\n", "cert", "-", it.cert->kms_uri,
				       it.cert->flags & STORE_CERT_SEGY ? "gateway " : "",
				       it.cert->flags & STORE_CERT_EXTERNAL ? "external " : "home ",
				       it.cert->flags & STORE_CERT_CROSS_SIGNED ? "cross-signed" : "");
			break;
		case STORE_T_KMS:
			json_array_append_new(arr, json_pack("{s:s,s:s}", "type", "kms", "kms_uri",
							     it.kms->kms_uri));
			if (!c->json)
				printf("%-7s %-40s %-28s\n", "kms", "(master secrets)", it.kms->kms_uri);
			break;
		case STORE_T_BLOB:
			json_array_append_new(arr, json_pack("{s:s,s:s,s:I}", "type", "blob", "name",
							     it.blob->name, "len",
							     (json_int_t)it.blob->len));
			if (!c->json)
				printf("%-7s %-40s %-28s %zu octets\n", "blob", it.blob->name, "-",
				       it.blob->len);
			break;
		}
	}
	cli_print(c, json_pack("{s:s,s:o}", "store", path, "entries", arr), NULL);
	store_free(st);
	return 0;
}

int
cmd_store(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{"init", store_init_cmd}, {"import", store_import}, {"list", store_list}};

	return cli_dispatch(c, "store", subs, 3, "store init | import | list", argc, argv);
}
