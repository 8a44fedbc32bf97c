/* SPDX-License-Identifier: proprietary */
/*
 * mcpx-keys gms gmk, pck, csk, mikey dump: MIKEY-SAKKE I_MESSAGEs (RFC 6509,
 * TS 33.180 Annex E) made from a key store's identities, printed base64 as
 * SDP carries them (a=key-mgmt:mikey), and any message decoded, checked and
 * opened.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "keys_period.h"
#include "mikey_dump.h"
#include "mikey_sakke.h"

#define MAX_KMS 16
#define MAX_MEMBERS 64
/* the latest --activation/--expiry (Unix seconds) an E.6 time can carry */
#define UNIX_MAX (MIKEY_KP_TIME_MAX - KEYS_NTP_UNIX_OFFSET)
#define MAX_IDS 64
#define MAX_INITIATORS 16

/* The trusted KMSs of a store, as the MIKEY code wants them (borrowing the store). */
struct trust {
	struct mikey_kms kms[MAX_KMS];
	const struct mikey_kms *ptr[MAX_KMS];
	size_t n;
};

static void
trust_load(struct trust *t, const struct store *st)
{
	struct store_item it;
	size_t pos = 0;

	t->n = 0;
	while (t->n < MAX_KMS && store_next(st, &pos, &it)) {
		struct mikey_kms *k = &t->kms[t->n];

		if (it.type != STORE_T_CERT)
			continue;
		mikey_kms_from_store(k, it.cert);
		t->ptr[t->n] = k;
		t->n++;
	}
}

/* The KMS named |uri|, or the first when NULL. */
static const struct mikey_kms *
trust_find(const struct trust *t, const char *uri)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (uri == NULL || strcmp(t->kms[i].uri, uri) == 0)
			return &t->kms[i];
	return NULL;
}

/* Our signing identity for the key period of now. 0 or exit code. */
static int
signer_load(const struct cli *c, const struct store *st, const struct trust *t,
	    const char *user, const char *kms_uri, struct mikey_signer **out)
{
	const struct mikey_kms *k = trust_find(t, kms_uri);
	const struct store_keyset *ks;
	uint64_t no;
	int rc;

	if (k == NULL)
		return cli_fail(c, CLI_FAIL, "no certificate for KMS %s in the store",
				kms_uri != NULL ? kms_uri : "(any)");
	rc = keys_period_no_unix(&no, c->now, k->period_len, k->period_offset);
	if (rc == 0 && store_get_keyset(st, user, k->uri, no, &ks) < 0)
		return cli_fail(c, CLI_FAIL, "no key set for %s in key period %llu of %s", user,
				(unsigned long long)no, k->uri);
	if (rc == 0)
		rc = mikey_signer_new(out, user, k, no, ks->ssk, ks->pvt);
	return rc < 0 ? cli_err(c, "signing identity", rc) : 0;
}

static int
print_msg(const struct cli *c, const char *to, const char *kind, uint32_t key_id,
	  uint32_t csb_id, const uint8_t *msg, size_t len)
{
	size_t b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(b64len), line[128];
	char *human;

	if (b64 == NULL)
		return cli_fail(c, CLI_FAIL, "out of memory");
	sodium_bin2base64(b64, b64len, msg, len, sodium_base64_VARIANT_ORIGINAL);
	snprintf(line, sizeof(line), "%08x", key_id);
	human = malloc(strlen(to) + b64len + 64);
	if (human != NULL)
		sprintf(human, "# %s for %s, %s %08x\na=key-mgmt:mikey %s\n", kind, to,
			strcmp(kind, "GMK") == 0 ? "GUK-ID" : "key ID", csb_id, b64);
	cli_print(c,
		  json_pack("{s:s,s:s,s:s,s:I,s:s}", "kind", kind, "to", to, "key_id", line,
			    "csb_id", (json_int_t)csb_id, "mikey", b64),
		  human);
	free(human);
	free(b64);
	return 0;
}

struct send_opts {
	const char *store, *user, *kms, *to, *to_kms, *group;
	const char *members[MAX_MEMBERS], *member_kms[MAX_MEMBERS];
	unsigned int n_members;
	uint64_t activation, expiry;
	bool hide, no_self;
};

static int
send_parse(struct cli *c, int argc, char **argv, struct send_opts *o)
{
	static const struct option opts[] = {
		{"store", 1, 0, 's'},	   {"user", 1, 0, 'u'},	      {"kms", 1, 0, 'k'},
		{"to", 1, 0, 't'},	   {"to-kms", 1, 0, 'K'},     {"member", 1, 0, 'm'},
		{"member-kms", 1, 0, 'M'}, {"group", 1, 0, 'g'},      {"activation", 1, 0, 'a'},
		{"expiry", 1, 0, 'e'},	   {"hide-ids", 0, 0, 'h'},   {"no-self", 0, 0, 'n'},
		{0, 0, 0, 0}};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': o->store = optarg; break;
		case 'u': o->user = optarg; break;
		case 'k': o->kms = optarg; break;
		case 't': o->to = optarg; break;
		case 'K': o->to_kms = optarg; break;
		case 'g': o->group = optarg; break;
		case 'h': o->hide = true; break;
		case 'n': o->no_self = true; break;
		case 'm':
			if (o->n_members == MAX_MEMBERS)
				return cli_fail(c, CLI_USAGE, "at most %d members", MAX_MEMBERS);
			o->members[o->n_members++] = optarg;
			break;
		case 'M':
			if (o->n_members == 0)
				return cli_fail(c, CLI_USAGE, "--member-kms follows its --member");
			o->member_kms[o->n_members - 1] = optarg;
			break;
		case 'a':
		case 'e':
			/* E.6 holds 40-bit seconds since 1900: refuse what would not fit */
			if (cli_u64(optarg, ch == 'a' ? &o->activation : &o->expiry) < 0 ||
			    (ch == 'a' ? o->activation : o->expiry) > UNIX_MAX)
				return cli_fail(c, CLI_USAGE, "'%s': Unix seconds, at most %llu",
						optarg, (unsigned long long)UNIX_MAX);
			break;
		default: return CLI_USAGE;
		}
	}
	if (o->user == NULL)
		return cli_fail(c, CLI_USAGE, "--user URI (the sender) is required");
	return 0;
}

/* Unix seconds (send_parse() keeps them to UNIX_MAX) to E.6 seconds since 1900; 0 stays 0. */
static uint64_t
ntp_of(uint64_t unix_s)
{
	return unix_s != 0 ? unix_s + KEYS_NTP_UNIX_OFFSET : 0;
}

static int
gms_gmk(struct cli *c, int argc, char **argv)
{
	struct mikey_signer *signer = NULL;
	struct mikey_newkey k;
	struct store *st = NULL;
	struct send_opts o;
	struct trust t;
	uint8_t msg[MIKEY_MSG_MAX];
	const char *groups[1];
	unsigned int i;
	size_t len;
	int rc;

	rc = send_parse(c, argc, argv, &o);
	if (rc == 0 && o.n_members == 0)
		rc = cli_fail(c, CLI_USAGE, "name the members: --member URI [--member-kms KMS]...");
	if (rc == 0)
		rc = cli_store_open(c, &st, o.store);
	if (rc != 0)
		return rc;
	trust_load(&t, st);
	rc = signer_load(c, st, &t, o.user, o.kms, &signer);
	if (rc == 0 && mikey_newkey_make(&k, KEYS_PURPOSE_GMK) < 0)
		rc = cli_fail(c, CLI_FAIL, "cannot make a GMK");
	for (i = 0; rc == 0 && i < o.n_members; i++) {
		const char *mk = o.member_kms[i] != NULL ? o.member_kms[i] : o.kms;
		struct mikey_tx tx = {.from = signer, .now = c->now, .to_self = !o.no_self,
				      .hide_ids = o.hide};
		struct mikey_gmk_opts g = {.activation = ntp_of(o.activation),
					   .expiry = ntp_of(o.expiry)};
		uint32_t guk;

		tx.to.uri = o.members[i];
		tx.to.kms = trust_find(&t, mk);
		if (o.group != NULL) {
			groups[0] = o.group;
			g.groups = groups;
			g.n_groups = 1;
		}
		if (tx.to.kms == NULL) {
			rc = cli_fail(c, CLI_FAIL, "no certificate for %s's KMS", o.members[i]);
			break;
		}
		rc = mikey_gms_gmk(msg, sizeof(msg), &len, &tx, &k, &g);
		if (rc < 0) {
			rc = cli_err(c, o.members[i], rc);
			break;
		}
		rc = keys_guk_id(&guk, k.key_id, k.key, o.members[i]) < 0 ? CLI_FAIL : 0;
		if (rc == 0)
			rc = print_msg(c, o.members[i], "GMK", k.key_id, guk, msg, len);
	}
	sodium_memzero(&k, sizeof(k));
	mikey_signer_free(signer);
	store_free(st);
	return rc;
}

/* PCK to a callee or CSK to a server: one message. */
static int
send_one(struct cli *c, int argc, char **argv, unsigned int purpose)
{
	struct mikey_signer *signer = NULL;
	struct mikey_newkey k;
	struct store *st = NULL;
	struct send_opts o;
	struct trust t;
	uint8_t msg[MIKEY_MSG_MAX];
	size_t len;
	int rc;

	rc = send_parse(c, argc, argv, &o);
	if (rc == 0 && o.to == NULL)
		rc = cli_fail(c, CLI_USAGE, "--to URI is required");
	if (rc == 0)
		rc = cli_store_open(c, &st, o.store);
	if (rc != 0)
		return rc;
	trust_load(&t, st);
	rc = signer_load(c, st, &t, o.user, o.kms, &signer);
	if (rc == 0 && mikey_newkey_make(&k, purpose) < 0)
		rc = cli_fail(c, CLI_FAIL, "cannot make a key");
	if (rc == 0) {
		struct mikey_tx tx = {.from = signer, .now = c->now, .to_self = !o.no_self,
				      .hide_ids = o.hide};

		tx.to.uri = o.to;
		tx.to.kms = trust_find(&t, o.to_kms != NULL ? o.to_kms : o.kms);
		if (tx.to.kms == NULL)
			rc = cli_fail(c, CLI_FAIL, "no certificate for %s's KMS", o.to);
		else if ((rc = purpose == KEYS_PURPOSE_PCK ? mikey_pck_send(msg, sizeof(msg), &len,
									   &tx, &k)
							   : mikey_csk_send(msg, sizeof(msg), &len,
									    &tx, &k)) < 0)
			rc = cli_err(c, o.to, rc);
		else
			rc = print_msg(c, o.to, purpose == KEYS_PURPOSE_PCK ? "PCK" : "CSK",
				       k.key_id, k.key_id, msg, len);
	}
	sodium_memzero(&k, sizeof(k));
	mikey_signer_free(signer);
	store_free(st);
	return rc;
}

/* Raw octets, base64, or an SDP "a=key-mgmt:mikey <base64>" line. */
static int
msg_bytes(const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	const char *s = (const char *)in, *p = strstr(s, "a=key-mgmt:mikey ");
	size_t n;

	if (in_len > 0 && in[0] == 0x01) {	/* a MIKEY HDR starts with version 1 */
		if (in_len > cap)
			return -1;
		memcpy(out, in, in_len);
		*len = in_len;
		return 0;
	}
	if (p != NULL)
		s = p + strlen("a=key-mgmt:mikey ");
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	for (n = 0; s[n] != '\0' && s[n] != '\n' && s[n] != '\r' && s[n] != ' '; n++)
		;
	return sodium_base642bin(out, cap, s, n, NULL, len, NULL,
				 sodium_base64_VARIANT_ORIGINAL) == 0 ? 0 : -1;
}

static int
mikey_dump_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"store", 1, 0, 's'}, {"user", 1, 0, 'u'},
					     {"show-key", 0, 0, 'S'}, {"initiator", 1, 0, 'i'},
					     {0, 0, 0, 0}};
	const char *store_path = NULL, *user = NULL, *initiators[MAX_INITIATORS];
	struct mikey_identity *ids[MAX_IDS];
	struct store *st = NULL;
	enum mikey_reject why = MIKEY_REJECT_NONE;
	uint8_t *in = NULL, msg[8192];
	struct mikey_msg m;
	size_t in_len, len, n_ids = 0, n_initiators = 0, i;
	bool show_key = false;
	char text[16384];
	json_t *j;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': store_path = optarg; break;
		case 'u': user = optarg; break;
		case 'S': show_key = true; break;
		case 'i':
			if (n_initiators == MAX_INITIATORS)
				return cli_fail(c, CLI_USAGE, "--initiator: at most %d",
						MAX_INITIATORS);
			initiators[n_initiators++] = optarg;
			break;
		default: return CLI_USAGE;
		}
	}
	if (optind >= argc)
		return cli_fail(c, CLI_USAGE, "mikey dump [--store F [--user URI] "
				"[--initiator URI]...] FILE (- for stdin)");
	rc = cli_read(c, argv[optind], &in, &in_len);
	if (rc != 0)
		return rc;
	if (msg_bytes(in, in_len, msg, sizeof(msg), &len) < 0) {
		cli_buf_free(in);
		return cli_fail(c, CLI_FAIL, "%s: neither a MIKEY message nor its base64",
				argv[optind]);
	}
	cli_buf_free(in);
	if (mikey_msg_decode(&m, msg, len, &why) < 0)
		return cli_fail(c, CLI_FAIL, "not a valid I_MESSAGE: %s", mikey_reject_str(why));
	mikey_msg_dump(&m, text, sizeof(text));
	j = json_pack("{s:s,s:I}", "payloads", text, "octets", (json_int_t)len);
	if (!c->json)
		fputs(text, stdout);
	if (store_path == NULL) {
		cli_print(c, j, NULL);
		return 0;
	}

	/* Verify and open it with every identity the store holds (or |user|'s). */
	rc = cli_store_open(c, &st, store_path);
	if (rc == 0) {
		struct trust t;
		struct store_item it;
		struct mikey_counters ctr;
		struct mikey_rx rx;
		struct mikey_key key;
		size_t pos = 0;

		trust_load(&t, st);
		while (n_ids < MAX_IDS && store_next(st, &pos, &it)) {
			const struct mikey_kms *k;

			if (it.type != STORE_T_KEYSET || (user && strcmp(user, it.keyset->uri)))
				continue;
			k = trust_find(&t, it.keyset->kms_uri);
			if (k != NULL && mikey_identity_new(&ids[n_ids], it.keyset->uri, k,
							    it.keyset->period_no,
							    it.keyset->rsk) == 0)
				n_ids++;
		}
		memset(&rx, 0, sizeof(rx));
		memset(&ctr, 0, sizeof(ctr));
		rx.kms = t.ptr;
		rx.n_kms = t.n;
		rx.ids = (const struct mikey_identity *const *)ids;
		rx.n_ids = n_ids;
		rx.ctr = &ctr;
		rx.initiators = initiators;	/* whom a hidden IDRuidi may be */
		rx.n_initiators = n_initiators;
		if (mikey_sakke_receive(&key, &rx, msg, len, -1, &why) < 0) {
			json_object_set_new(j, "opened", json_false());
			json_object_set_new(j, "reject", json_string(mikey_reject_name(why)));
			cli_print(c, j, NULL);
			rc = cli_fail(c, CLI_FAIL, "refused: %s", mikey_reject_str(why));
		} else {
			char *mki = cli_hex(key.mki, key.mki_len), kid[16], line[1600];

			snprintf(kid, sizeof(kid), "%08x", key.key_id);
			json_object_set_new(j, "opened", json_true());
			json_object_set_new(j, "purpose", json_integer(key.purpose));
			json_object_set_new(j, "key_id", json_string(kid));
			json_object_set_new(j, "mki", json_string(mki));
			json_object_set_new(j, "initiator", json_string(key.initiator));
			json_object_set_new(j, "initiator_hidden",
					    json_boolean(key.initiator_hidden));
			json_object_set_new(j, "roc_rate", json_integer(key.profile.roc_rate));
			json_object_set_new(j, "shared_with_segy", json_boolean(key.shared_with_segy));
			snprintf(line, sizeof(line),
				 "verified and opened: key type %u, key ID %s, MKI %s, "
				 "from %s%s%s\n"
				 "  SRTP profile AEAD_AES_128_GCM%s\n",
				 key.purpose, kid, mki, key.initiator,
				 key.initiator_hidden ? " (hidden, as expected)" : "",
				 key.shared_with_segy ? ", shared with a Security Gateway" : "",
				 key.profile.roc_rate ? ", RCCm3" : ", no RCC");
			if (show_key) {
				char *hex = cli_hex(key.key, sizeof(key.key));

				json_object_set_new(j, "key", json_string(hex));
				if (!c->json)
					printf("  key %s\n", hex);
				sodium_memzero(hex, strlen(hex));
				free(hex);
			}
			cli_print(c, j, line);
			free(mki);
			mikey_key_wipe(&key);
		}
	} else {
		json_decref(j);
	}
	for (i = 0; i < n_ids; i++)
		mikey_identity_free(ids[i]);
	store_free(st);
	return rc;
}

int
cmd_gms(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {{"gmk", gms_gmk}};

	return cli_dispatch(c, "gms", subs, 1, "gms gmk --store F --user GMS_URI --member URI...",
			    argc, argv);
}

int
cmd_pck(struct cli *c, int argc, char **argv)
{
	c->cmd = "pck";
	return send_one(c, argc, argv, KEYS_PURPOSE_PCK);
}

int
cmd_csk(struct cli *c, int argc, char **argv)
{
	c->cmd = "csk";
	return send_one(c, argc, argv, KEYS_PURPOSE_CSK);
}

int
cmd_mikey(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {{"dump", mikey_dump_cmd}};

	return cli_dispatch(c, "mikey", subs, 1,
			    "mikey dump [--store F [--user URI] [--initiator URI]...] FILE", argc,
			    argv);
}
