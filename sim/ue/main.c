/* SPDX-License-Identifier: proprietary */
/*
 * mcpx-ue: MCPTT clients with end-to-end security, simulated on UDP sockets:
 * key stores from the KMS, MIKEY-SAKKE keys (GMK, PCK, CSK), SRTP media
 * with MKIs and the RCCm3 ROC trailer, SRTCP floor control. One process runs
 * one client or several (separated by "--"). docs/client-simulator.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keys_keyid.h"
#include "sim_net.h"
#include "store_secret.h"
#include "ue_check.h"

#define EXIT_CHECKS 1
#define EXIT_USAGE 2
#define CLIENTS_MAX 32
#define FILE_MAX (64u << 10)

static const char usage_text[] =
	"usage: mcpx-ue [global options] CLIENT [-- CLIENT]...\n"
	"\n"
	"Global options:\n"
	"  --json                report as one JSON object\n"
	"  --backend NAME        SRTP engine backend: native (default where the CPU has it)\n"
	"                        or libsrtp\n"
	"  --passphrase-file F | --key-file F    the secret of the key stores\n"
	"                        (or the MCPX_PASSPHRASE environment variable)\n"
	"  --at UNIX_SECONDS     the time that picks key periods and checks MIKEY timestamps;\n"
	"                        plus the time run, the clock that activates and expires GMKs\n"
	"  --duration MS         stop after this long (default 30000)\n"
	"  --linger MS           keep listening after every talker is done (default 500)\n"
	"Each CLIENT:\n"
	"  --store F --user URI  its key store (from mcpx-keys) and MC Service user ID\n"
	"  --local ADDR[:PORT]   bind here: media PORT, floor PORT+1, signalling PORT+2\n"
	"                        (default 127.0.0.1 with any free ports)\n"
	"  --peer ADDR:PORT      another member (off-network), same port rule; repeatable\n"
	"  --server ADDR:PORT    the MCPTT server or mcpxd instead: on-network floor control\n"
	"  --key FILE            an I_MESSAGE for us (GMK, PCK, CSK), raw or base64; repeatable\n"
	"  --gmk FILE            the same, for a GMK from the GMS; give several for a rekey:\n"
	"                        all are held, we send under the newest active one\n"
	"  --initiator URI       whom a sender that hides itself (IDRuidi) may be, as the\n"
	"                        signalling names it; repeatable (without it such a\n"
	"                        message is refused)\n"
	"  --call URI            private call: make a PCK for URI, offer it to the first peer\n"
	"  --csk MDSI            make a CSK for the server, offer it to the first peer/server\n"
	"  --to-kms KMS_URI      the KMS of the --call or --csk party (default ours)\n"
	"  --key-out FILE        write the I_MESSAGE made by --call or --csk (base64)\n"
	"  --talk N              send N voice frames (default 0: listen only)\n"
	"  --rate FPS            frames per second (default 50, one per 20 ms; 0: flat out)\n"
	"  --payload OCTETS      frame size (default 33, AMR-WB)\n"
	"  --seq-start N         first RTP SEQ (default random); --ssrc HEX (default random)\n"
	"  --talk-at MS          start talking this long after start\n"
	"  --floor               take the floor before talking\n"
	"  --floor-wait MS       off-network: silence before the floor is ours (default 200)\n"
	"  --priority N          Floor Priority\n"
	"  --join-after N        ignore the first N media packets (a late joiner)\n"
	"  --join-after-ms MS    or the media of the first MS milliseconds\n"
	"  --ignore-roc          receive as if the RCCm3 ROC trailer were absent (negative test)\n"
	"  --expect-senders N    media must come from at least N senders\n"
	"  --expect-frames N     and at least N frames verified from each\n"
	"  --allow-gaps, --allow-drops   missing frames / refused packets do not fail\n"
	"Exit status: 0 every check held, 1 a check failed (or a run-time error),\n"
	"  2 usage error.\n";

struct client {
	struct ue_cfg cfg;
	struct ue_expect exp;
	const char *store, *user, *call, *csk, *to_kms, *key_out;
	const char *keys[8];
	unsigned int n_keys;
	const char *initiators[UE_INITIATORS_MAX];	/* whom a hidden sender may be */
	unsigned int n_initiators;
	char local[64];
	const char *peers[UE_PEERS_MAX];
	unsigned int n_peers;
	struct ue *ue;
};

struct opts {
	bool json;
	unsigned int be;
	bool be_given;		/* else native where the CPU has it, libsrtp otherwise */
	const char *passphrase_file, *key_file;
	int64_t at;
	uint32_t duration_ms, linger_ms;
	struct client c[CLIENTS_MAX];
	unsigned int n;
};

static int __attribute__((format(printf, 1, 2)))
usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mcpx-ue: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	return EXIT_USAGE;
}

static bool
num(const char *s, uint64_t max, uint64_t *v, int base)
{
	char *end;
	unsigned long long x;

	if (s == NULL || *s == '\0' || *s == '-')
		return false;
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0' || x > max)
		return false;
	*v = x;
	return true;
}

static void
client_defaults(struct client *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->local, sizeof(c->local), "127.0.0.1");
	c->cfg.local = c->local;
	c->cfg.payload = UE_FRAME_DEFAULT;
	c->cfg.rate = UE_RATE_DEFAULT;
	c->cfg.offnet = true;
}

/* --local ADDR, ADDR:PORT or [V6]:PORT */
static bool
parse_local(struct client *c, const char *s)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (sim_addr_parse(s, 0, &ss, &len)) {
		snprintf(c->local, sizeof(c->local), "%s", s);
		return true;
	}
	return sim_hostport_split(s, c->local, sizeof(c->local), &c->cfg.port) &&
	       c->cfg.port <= 65533 && sim_addr_parse(c->local, 0, &ss, &len);
}

/* A numeric per-client option; false if |a| is not one. */
static int
client_num(struct client *c, const char *a, const char *v)
{
	static const struct {
		const char *name;
		uint64_t max;
		int base;
	} t[] = {
		{ "--talk", UINT32_MAX, 10 }, { "--rate", 1000000, 10 },
		{ "--payload", UE_FRAME_MAX, 10 }, { "--seq-start", 65535, 10 },
		{ "--ssrc", UINT32_MAX, 16 }, { "--talk-at", UINT32_MAX, 10 },
		{ "--floor-wait", 600000, 10 }, { "--priority", 255, 10 },
		{ "--join-after", UINT32_MAX, 10 }, { "--join-after-ms", UINT32_MAX, 10 },
		{ "--expect-senders", UINT32_MAX, 10 }, { "--expect-frames", UINT32_MAX, 10 },
	};
	uint64_t x;
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(a, t[i].name) == 0)
			break;
	if (i == sizeof(t) / sizeof(t[0]))
		return 0;
	if (!num(v, t[i].max, &x, t[i].base))
		return usage("%s: not a number in range", a);
	switch (i) {
	case 0: c->cfg.frames = (uint32_t)x; break;
	case 1: c->cfg.rate = (uint32_t)x; break;
	case 2: c->cfg.payload = (uint32_t)x; break;
	case 3: c->cfg.seq_start = (uint16_t)x; c->cfg.seq_set = true; break;
	case 4: c->cfg.ssrc = (uint32_t)x; break;
	case 5: c->cfg.talk_at_ms = (uint32_t)x; break;
	case 6: c->cfg.floor_wait_ms = (uint32_t)x; break;
	case 7: c->cfg.priority = (uint8_t)x; break;
	case 8: c->cfg.join_after = (uint32_t)x; break;
	case 9: c->cfg.join_after_ms = (uint32_t)x; break;
	case 10: c->exp.senders = (uint32_t)x; break;
	default: c->exp.frames = x; break;
	}
	return 1;
}

static int
client_opt(struct client *c, const char *a, const char *v, int *used)
{
	const char **str[] = { &c->store, &c->user, &c->call, &c->csk, &c->to_kms, &c->key_out };
	static const char *const names[] = { "--store", "--user", "--call", "--csk", "--to-kms",
					     "--key-out" };
	unsigned int i;
	int rc;

	bool *flag[] = { &c->cfg.floor, &c->cfg.ignore_roc, &c->exp.allow_gaps,
			 &c->exp.allow_drops };
	static const char *const flags[] = { "--floor", "--ignore-roc", "--allow-gaps",
					     "--allow-drops" };

	*used = 1;
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (strcmp(a, flags[i]) == 0) {
			*flag[i] = true;
			return 0;
		}
	}
	*used = 2;
	if (v == NULL)
		return usage("%s: needs a value, or is unknown", a);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(a, names[i]) == 0) {
			*str[i] = v;
			return 0;
		}
	}
	if (strcmp(a, "--local") == 0)
		return parse_local(c, v) ? 0 : usage("--local %s: not ADDR or ADDR:PORT", v);
	if (strcmp(a, "--peer") == 0 || strcmp(a, "--server") == 0) {
		if (c->n_peers == UE_PEERS_MAX)
			return usage("%s: too many peers", a);
		c->peers[c->n_peers++] = v;
		c->cfg.offnet = c->cfg.offnet && strcmp(a, "--server") != 0;
		return 0;
	}
	if (strcmp(a, "--initiator") == 0) {
		if (c->n_initiators == UE_INITIATORS_MAX)
			return usage("%s: at most %d", a, UE_INITIATORS_MAX);
		c->initiators[c->n_initiators++] = v;
		return 0;
	}
	if (strcmp(a, "--key") == 0 || strcmp(a, "--gmk") == 0) {
		if (c->n_keys == sizeof(c->keys) / sizeof(c->keys[0]))
			return usage("%s: too many key files", a);
		c->keys[c->n_keys++] = v;
		return 0;
	}
	rc = client_num(c, a, v);
	return rc == 1 ? 0 : rc != 0 ? rc : usage("unknown option %s", a);
}

static int
global_opt(struct opts *o, const char *a, const char *v, int *used)
{
	uint64_t x;
	int be;

	*used = 1;
	if (strcmp(a, "--json") == 0) {
		o->json = true;
		return 1;
	}
	*used = 2;
	if (strcmp(a, "--backend") == 0) {
		be = dp_srtp_backend_from_name(v != NULL ? v : "");
		if (be < 0)
			return usage("--backend %s: libsrtp or native", v != NULL ? v : "");
		o->be = (unsigned int)be;
		o->be_given = true;
		return 1;
	}
	if ((strcmp(a, "--passphrase-file") == 0 || strcmp(a, "--key-file") == 0) && v != NULL) {
		*(a[2] == 'p' ? &o->passphrase_file : &o->key_file) = v;
		return 1;
	}
	if (strcmp(a, "--at") == 0 || strcmp(a, "--duration") == 0 || strcmp(a, "--linger") == 0) {
		if (!num(v, a[2] == 'a' ? INT64_MAX : UINT32_MAX, &x, 10))
			return usage("%s: not a number in range", a);
		if (a[2] == 'a')
			o->at = (int64_t)x;
		else if (a[2] == 'd')
			o->duration_ms = (uint32_t)x;
		else
			o->linger_ms = (uint32_t)x;
		return 1;
	}
	return 0;
}

static int
parse_args(struct opts *o, int argc, char **argv)
{
	int i, used, rc;

	o->duration_ms = 30000;
	o->linger_ms = 500;
	o->n = 1;
	client_defaults(&o->c[0]);
	for (i = 1; i < argc; i += used) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			return -1;
		}
		if (strcmp(argv[i], "--") == 0) {
			if (o->n == CLIENTS_MAX)
				return usage("more than %s clients", "32");
			client_defaults(&o->c[o->n++]);
			used = 1;
			continue;
		}
		rc = global_opt(o, argv[i], v, &used);
		if (rc == EXIT_USAGE)
			return rc;
		if (rc == 1)
			continue;
		rc = client_opt(&o->c[o->n - 1], argv[i], v, &used);
		if (rc != 0)
			return rc;
	}
	for (i = 0; i < (int)o->n; i++) {
		o->c[i].cfg.be = o->be;
		if (o->c[i].store == NULL || o->c[i].user == NULL)
			return usage("%s", "each client needs --store FILE and --user URI");
		if ((o->c[i].call != NULL || o->c[i].csk != NULL) && o->c[i].n_peers == 0)
			return usage("%s", "--call and --csk need a --peer or --server to offer to");
	}
	return 0;
}

/* ------------------------------------------------------------------ run */

static int
read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, buf, cap);
	close(fd);
	if (r <= 0 || (size_t)r == cap)
		return -1;
	*len = (size_t)r;
	return 0;
}

static int
write_b64(const char *path, const uint8_t *msg, size_t len)
{
	char b64[UE_MIKEY_B64_MAX];
	FILE *f;

	if (ue_mikey_b64(b64, sizeof(b64), msg, len) < 0 || (f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "%s\n", b64);
	return fclose(f) == 0 ? 0 : -1;
}

static int
die(const struct client *c, const char *what, const char *why)
{
	fprintf(stderr, "mcpx-ue: %s: %s: %s\n", c->user != NULL ? c->user : "?", what, why);
	return EXIT_CHECKS;
}

static int
add_peers(struct client *c)
{
	char host[64];
	unsigned int i;
	uint16_t p;

	for (i = 0; i < c->n_peers; i++) {
		if (!sim_hostport_split(c->peers[i], host, sizeof(host), &p) || p == 0 ||
		    p > 65533)
			return die(c, c->peers[i], "not ADDR:PORT (PORT 1..65533)");
		if (ue_add_peer(c->ue, host, p, (uint16_t)(p + 1), (uint16_t)(p + 2)) < 0)
			return die(c, c->peers[i], c->ue->err);
	}
	return 0;
}

static int
keys_in(struct client *c)
{
	uint8_t buf[FILE_MAX], msg[MIKEY_MSG_MAX];
	unsigned int i, purpose;
	size_t len;

	for (i = 0; i < c->n_keys; i++) {
		if (read_file(c->keys[i], buf, sizeof(buf), &len) < 0)
			return die(c, c->keys[i], "cannot read");
		if (ue_install(c->ue, buf, len) < 0)
			return die(c, c->keys[i], c->ue->err);
	}
	if (c->call == NULL && c->csk == NULL)
		return 0;
	purpose = c->call != NULL ? KEYS_PURPOSE_PCK : KEYS_PURPOSE_CSK;
	if (ue_make_key(c->ue, purpose, c->call != NULL ? c->call : c->csk, c->to_kms, 0, msg,
			sizeof(msg), &len) < 0)
		return die(c, "making the key", c->ue->err);
	if (c->key_out != NULL && write_b64(c->key_out, msg, len) < 0)
		return die(c, c->key_out, strerror(errno));
	sodium_memzero(msg, sizeof(msg));
	return 0;
}

static int
client_up(const struct opts *o, struct client *c, const struct store_secret *sec)
{
	struct store *st;
	struct ue_keys *k;
	int rc;

	rc = store_open(&st, c->store, sec);
	if (rc < 0)
		return die(c, c->store, keys_strerror(rc));
	rc = ue_keys_new(&k, st, c->user, o->at);
	store_free(st);
	if (rc < 0)
		return die(c, "identity", keys_strerror(rc));
	rc = ue_keys_expect(k, c->initiators, c->n_initiators);
	if (rc < 0) {
		ue_keys_free(k);
		return die(c, "--initiator", keys_strerror(rc));
	}
	rc = ue_new(&c->ue, &c->cfg, k);
	if (rc < 0)
		return die(c, "client", c->ue != NULL ? c->ue->err : ue_strerror(rc));
	rc = add_peers(c);
	return rc != 0 ? rc : keys_in(c);
}

/* ---------------------------------------------------------------- report */

static void
print_types(const char *what, json_t *o)
{
	const char *k;
	json_t *v;

	const char *sep = " ";

	printf("    %s:", what);
	json_object_foreach(o, k, v) {
		printf("%s%s %" JSON_INTEGER_FORMAT, sep, k, json_integer_value(v));
		sep = ", ";
	}
	printf("%s\n", json_object_size(o) == 0 ? " none" : "");
}

/* An SSRC or key ID member of |o|, for "%08llx". */
static unsigned long long
hex_of(json_t *o, const char *key)
{
	return (unsigned long long)json_integer_value(json_object_get(o, key));
}

static void
print_text(json_t *r)
{
	json_t *s, *x, *f = json_object_get(r, "floor");
	size_t i, j;

	printf("%s  ssrc %08llx  %s%s\n", json_string_value(json_object_get(r, "user")),
	       hex_of(r, "ssrc"),
	       json_is_true(json_object_get(r, "ok")) ? "OK" : "FAILED: ",
	       json_string_value(json_object_get(r, "failed")));
	printf("  sent %" JSON_INTEGER_FORMAT " frames; received %" JSON_INTEGER_FORMAT
	       " media, %" JSON_INTEGER_FORMAT " floor packets; refused %" JSON_INTEGER_FORMAT "\n",
	       json_integer_value(json_object_get(json_object_get(r, "sent"), "frames")),
	       json_integer_value(json_object_get(json_object_get(r, "received"), "media")),
	       json_integer_value(json_object_get(json_object_get(r, "received"), "floor")),
	       json_integer_value(json_object_get(r, "drops")));
	json_array_foreach(json_object_get(r, "sessions"), i, s) {
		printf("  %s %08llx, MKI %s, %s, RCCm3 R=%" JSON_INTEGER_FORMAT "\n",
		       json_string_value(json_object_get(s, "key")), hex_of(s, "key_id"),
		       json_string_value(json_object_get(s, "mki")),
		       json_string_value(json_object_get(s, "profile")),
		       json_integer_value(json_object_get(s, "rcc_r")));
		print_types("SRTP in", json_object_get(s, "srtp_rx"));
		print_types("SRTCP in", json_object_get(s, "srtcp_rx"));
		json_array_foreach(json_object_get(s, "senders"), j, x)
			if (strcmp(json_string_value(json_object_get(x, "proto")), "srtp") == 0)
				printf("    from SSRC %08llx: %" JSON_INTEGER_FORMAT
				       " verified, frames %" JSON_INTEGER_FORMAT "..%"
				       JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT " missing\n",
				       hex_of(x, "ssrc"),
				       json_integer_value(json_object_get(x, "verified")),
				       json_integer_value(json_object_get(x, "first")),
				       json_integer_value(json_object_get(x, "last")),
				       json_integer_value(json_object_get(x, "gaps")));
	}
	if (json_array_size(json_object_get(r, "keys")) > 1)
		json_array_foreach(json_object_get(r, "keys"), i, s)
			printf("  %s %08llx active from %" JSON_INTEGER_FORMAT ": sent %"
			       JSON_INTEGER_FORMAT " (from frame %" JSON_INTEGER_FORMAT ", %"
			       JSON_INTEGER_FORMAT " ms), verified %" JSON_INTEGER_FORMAT "\n",
			       json_string_value(json_object_get(s, "key")), hex_of(s, "key_id"),
			       json_integer_value(json_object_get(s, "activation")),
			       json_integer_value(json_object_get(s, "sent")),
			       json_integer_value(json_object_get(s, "first_sent")),
			       json_integer_value(json_object_get(s, "sending_from_ms")),
			       json_integer_value(json_object_get(s, "verified")));
	printf("  floor (%s), now %s\n", json_string_value(json_object_get(f, "mode")),
	       json_string_value(json_object_get(f, "state")));
	print_types("sent", json_object_get(f, "sent"));
	print_types("received", json_object_get(f, "received"));
}

static int
report(const struct opts *o, uint64_t ms)
{
	json_t *all = json_array(), *r;
	unsigned int i;
	bool ok = true;
	char *s;

	for (i = 0; i < o->n; i++) {
		r = ue_report_json(o->c[i].ue, &o->c[i].exp);
		if (r == NULL)
			return EXIT_CHECKS;
		ok = ok && json_is_true(json_object_get(r, "ok"));
		if (!o->json)
			print_text(r);
		json_array_append_new(all, r);
	}
	if (o->json) {
		r = json_pack("{s:b, s:I, s:o}", "ok", ok, "duration_ms", (json_int_t)ms,
			      "clients", all);
		s = json_dumps(r, JSON_COMPACT);
		if (s != NULL)
			puts(s);
		free(s);
		json_decref(r);
	} else {
		json_decref(all);
		printf("%s after %" PRIu64 " ms\n", ok ? "all checks held" : "a check failed", ms);
	}
	return ok ? 0 : EXIT_CHECKS;
}

/* The overall bound: a client not done at --duration fails the run, and says so. */
static bool
deadline_passed(const struct opts *o)
{
	unsigned int i;
	bool late = false;

	for (i = 0; i < o->n; i++) {
		if (ue_done(o->c[i].ue))
			continue;
		fprintf(stderr, "mcpx-ue: %s: deadline: not done after --duration %" PRIu32
			" ms: %s\n", o->c[i].user, o->duration_ms, ue_waiting(o->c[i].ue));
		late = true;
	}
	return late;
}

int
main(int argc, char **argv)
{
	static struct opts o;
	struct store_secret_buf sec = { 0 };
	struct ue *u[CLIENTS_MAX];
	unsigned int i;
	uint64_t ms;
	int rc;

	rc = parse_args(&o, argc, argv);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (sodium_init() < 0 || dp_srtp_global_init() < 0) {
		fprintf(stderr, "mcpx-ue: libsodium or the SRTP engine did not start\n");
		return EXIT_CHECKS;
	}
	if (!o.be_given && dp_srtp_backend_available(DP_SRTP_BACKEND_NATIVE)) {
		/* native: it can start SRTCP at a chosen index (see ue_sess.c) */
		o.be = DP_SRTP_BACKEND_NATIVE;
		for (i = 0; i < o.n; i++)
			o.c[i].cfg.be = o.be;
	}
	if (!dp_srtp_backend_available(o.be))
		return usage("backend %s not available on this CPU", dp_srtp_backend_name(o.be));
	rc = store_secret_load(&sec, o.passphrase_file, o.key_file);
	if (rc == -KEYS_E_ARG)
		rc = usage("%s", "a key store needs --passphrase-file, --key-file or MCPX_PASSPHRASE");
	else if (rc < 0)
		rc = die(&o.c[0], "store secret", keys_strerror(rc));
	for (i = 0; rc == 0 && i < o.n; i++) {
		rc = client_up(&o, &o.c[i], &sec.sec);
		u[i] = o.c[i].ue;
	}
	store_secret_release(&sec);
	if (rc == 0) {
		ms = ue_run(u, o.n, o.linger_ms, o.duration_ms);
		rc = report(&o, ms);
		rc = deadline_passed(&o) ? EXIT_CHECKS : rc;
	}
	for (i = 0; i < o.n; i++)
		ue_free(o.c[i].ue);
	dp_srtp_global_fini();
	return rc;
}
