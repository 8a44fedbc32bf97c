/* SPDX-License-Identifier: proprietary */
/*
 * mcpxctl: mcpxd's control.sock from the command line
 * (docs/control-protocol.md). One request per operation (a listing pages
 * through its cursor); human tables, or the daemon's JSON with --json.
 * Exit codes: 0 ok, 1 the daemon refused (its message printed), 2 usage,
 * 3 cannot connect (or the daemon went away).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "ctl_json.h"

#define SOCK_DEFAULT "/run/mcpx/control.sock"
#define REQ_MAX (200 * 1024)		/* CTL_MSG_MAX */
#define REPLY_MAX (256 * 1024)		/* CTL_REPLY_MAX */
#define EX_OK 0
#define EX_REFUSED 1
#define EX_USAGE 2
#define EX_CONNECT 3

struct cli {
	const char *sock;
	bool json;
	int timeout_ms;
	int fd;
	int64_t next_id;
	uint8_t *rbuf;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: mcpxctl [--socket PATH] [--json] [--timeout MS] <command> [args]\n"
		"\n"
		"  stream add --file F      install the raw-key streams of F, all or none\n"
		"                           (F: {\"streams\": [...]} or [...]; - for stdin;\n"
		"                           F's \"defaults\" go along)\n"
		"  stream del ID...         remove streams\n"
		"  stream get ID            a stream's parameters and counters (no keys)\n"
		"  list [--ids]             every stream (alias: stream list)\n"
		"  mikey install --msg FILE --streams F [--purpose N]\n"
		"                           open the I_MESSAGE in FILE (raw octets) and install\n"
		"                           the streams F describes (cs_id/guk_id, no keys)\n"
		"      [--learn] [--learn-port P] [--learn-window W] [--learn-max N]\n"
		"                           a GMK learns new senders from the slow path: their\n"
		"                           port, replay window, at most N streams (default 64;\n"
		"                           --streams may be left out then)\n"
		"      [--initiator URI]...  whom the sender may be when the message hides it\n"
		"                           (IDRuidi): the URI the signalling names; without\n"
		"                           it such a message is refused\n"
		"      [--replaces ID --activate-at T --grace S]\n"
		"                           a rekey: the new key replaces key ID (8 hex); its\n"
		"                           protect streams switch at T (Unix seconds; default\n"
		"                           the message's activation time, else now) and the\n"
		"                           old key's streams go S seconds later (30)\n"
		"  counters                 per-verdict totals and per-port counters\n"
		"  health                   is mcpxd running, how many streams\n"
		"  keystore reload          load the key store again\n"
		"  shutdown                 stop mcpxd\n"
		"\n"
		"  --socket PATH   default " SOCK_DEFAULT "\n"
		"  --json          print the daemon's replies as JSON\n"
		"  --timeout MS    wait this long for a reply (5000)\n"
		"\n"
		"exit codes: 0 ok, 1 the daemon refused, 2 usage, 3 cannot connect\n");
}

static int
cli_connect(struct cli *c)
{
	struct sockaddr_un sa;
	int sz = 2 * REQ_MAX + 4096;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(c->sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "mcpxctl: socket path too long\n");
		return EX_USAGE;
	}
	strcpy(sa.sun_path, c->sock);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "mcpxctl: cannot connect to %s: %s\n", c->sock, strerror(errno));
		return EX_CONNECT;
	}
	/* A whole batch is one datagram: the send buffer must hold it. */
	(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return EX_OK;
}

/* Send |req| (consumed) and wait for its reply; EX_CONNECT on any transport failure. */
static int
call(struct cli *c, json_t *req, json_t **reply)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	json_error_t je;
	char *s;
	ssize_t n;
	size_t len;

	json_object_set_new(req, "v", json_integer(1));
	json_object_set_new(req, "id", json_integer(++c->next_id));
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (s == NULL)
		return EX_CONNECT;
	len = strlen(s);
	if (len > REQ_MAX) {
		fprintf(stderr, "mcpxctl: the request is %zu octets, more than %d: split it\n",
			len, REQ_MAX);
		ctl_json_free(s);	/* wiped: it may carry keys */
		return EX_USAGE;
	}
	(void)!send(c->fd, s, len, MSG_NOSIGNAL);
	ctl_json_free(s);		/* wiped: it may carry keys */
	/* Even when the send failed: a refused client has its reason waiting. */
	if (poll(&p, 1, c->timeout_ms) != 1 || (n = recv(c->fd, c->rbuf, REPLY_MAX, 0)) <= 0) {
		fprintf(stderr, "mcpxctl: no reply from %s\n", c->sock);
		return EX_CONNECT;
	}
	*reply = json_loadb((const char *)c->rbuf, (size_t)n, 0, &je);
	if (*reply == NULL) {
		fprintf(stderr, "mcpxctl: the reply is not JSON: %s\n", je.text);
		return EX_CONNECT;
	}
	return EX_OK;
}

/* Print the error of a refused request; returns EX_OK or EX_REFUSED. */
static int
verdict(const struct cli *c, json_t *reply)
{
	json_t *e = json_object_get(reply, "error");

	if (c->json) {
		json_dumpf(reply, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	if (json_is_true(json_object_get(reply, "ok")))
		return EX_OK;
	fprintf(stderr, "mcpxctl: refused: %s: %s\n",
		json_string_value(json_object_get(e, "code")) ?: "?",
		json_string_value(json_object_get(e, "message")) ?: "?");
	return EX_REFUSED;
}

static json_t *
req_new(const char *op)
{
	json_t *r = json_object();

	json_object_set_new(r, "op", json_string(op));
	return r;
}

static json_t *
load_json(const char *path)
{
	json_error_t je;
	json_t *j;

	j = strcmp(path, "-") == 0 ? json_loadf(stdin, 0, &je) : json_load_file(path, 0, &je);
	if (j == NULL) {
		char why[200];

		ctl_json_error_text(&je, why, sizeof(why));	/* never the token: a key */
		fprintf(stderr, "mcpxctl: %s: %s\n", path, why);
	}
	return j;
}

/* {"streams": [...]} or a bare array: the array, with a reference. */
static json_t *
streams_of(json_t *j)
{
	json_t *a = json_is_array(j) ? j : json_object_get(j, "streams");

	return json_is_array(a) ? json_incref(a) : NULL;
}

static int
file_opt(int argc, char **argv, const char *name, const char **out)
{
	int i;

	for (i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0) {
			*out = argv[i + 1];
			return 0;
		}
	return -1;
}

static int
cmd_stream_add(struct cli *c, int argc, char **argv)
{
	const char *path;
	json_t *j, *arr, *req, *reply, *ids;
	size_t i;
	int rc;

	if (file_opt(argc, argv, "--file", &path) != 0) {
		fprintf(stderr, "mcpxctl: stream add needs --file F\n");
		return EX_USAGE;
	}
	j = load_json(path);
	arr = j != NULL ? streams_of(j) : NULL;
	if (arr == NULL) {
		json_decref(j);
		return EX_USAGE;
	}
	req = req_new("stream.add");
	json_object_set_new(req, "streams", arr);
	if (json_is_object(j) && json_object_get(j, "defaults") != NULL)
		json_object_set(req, "defaults", json_object_get(j, "defaults"));
	json_decref(j);
	rc = call(c, req, &reply);
	if (rc != EX_OK)
		return rc;
	rc = verdict(c, reply);
	ids = json_object_get(reply, "streams");
	if (rc == EX_OK && !c->json) {
		printf("installed %zu streams:", json_array_size(ids));
		for (i = 0; i < json_array_size(ids); i++)
			printf(" %" JSON_INTEGER_FORMAT,
			       json_integer_value(json_array_get(ids, i)));
		printf("\n");
	}
	json_decref(reply);
	return rc;
}

static int
id_arg(const char *s, json_int_t *out)
{
	uint64_t v;

	if (!ctl_number_parse(s, INT64_MAX, &v)) {
		fprintf(stderr, "mcpxctl: bad stream id '%s' (decimal, or hexadecimal after 0x)\n",
			s);
		return EX_USAGE;
	}
	*out = (json_int_t)v;
	return EX_OK;
}

static int
cmd_stream_del(struct cli *c, int argc, char **argv)
{
	json_t *req, *reply;
	json_int_t id = 0;
	int i, rc = EX_OK, r;

	if (argc == 0) {
		fprintf(stderr, "mcpxctl: stream del needs stream ids\n");
		return EX_USAGE;
	}
	for (i = 0; i < argc; i++)
		if (id_arg(argv[i], &id) != EX_OK)
			return EX_USAGE;
	for (i = 0; i < argc && rc != EX_CONNECT; i++) {
		(void)id_arg(argv[i], &id);
		req = req_new("stream.del");
		json_object_set_new(req, "stream", json_integer(id));
		r = call(c, req, &reply);
		if (r == EX_OK) {
			r = verdict(c, reply);
			json_decref(reply);
			if (r == EX_OK && !c->json)
				printf("removed stream %" JSON_INTEGER_FORMAT "\n", id);
		}
		if (r != EX_OK)
			rc = r;
	}
	return rc;
}

static void
print_verdicts(json_t *v)
{
	const char *k;
	json_t *n;

	json_object_foreach(v, k, n)
		if (json_integer_value(n) != 0)
			printf(" %s %" JSON_INTEGER_FORMAT, k, json_integer_value(n));
}

static void
print_stream_row(json_t *s)
{
	json_t *m = json_object_get(s, "members");
	size_t i;

	printf("%6" JSON_INTEGER_FORMAT "  %-9s %-4s  0x%08llx  %-16s %5"
	       JSON_INTEGER_FORMAT "  %3" JSON_INTEGER_FORMAT "  ",
	       json_integer_value(json_object_get(s, "id")),
	       json_string_value(json_object_get(s, "dir")),
	       json_string_value(json_object_get(s, "proto")),
	       (unsigned long long)json_integer_value(json_object_get(s, "ssrc")),
	       json_string_value(json_object_get(s, "mki")),
	       json_integer_value(json_object_get(s, "port")),
	       json_integer_value(json_object_get(s, "owner")));
	for (i = 0; i < json_array_size(m); i++)
		printf("%s%s:%" JSON_INTEGER_FORMAT, i ? "," : "",
		       json_string_value(json_object_get(json_array_get(m, i), "addr")),
		       json_integer_value(json_object_get(json_array_get(m, i), "port")));
	printf("\n");
}

static const char ROW_HEAD[] = "    ID  DIR       PROTO SSRC        MKI               PORT  "
			       "OWN  MEMBERS\n";

static int
cmd_stream_get(struct cli *c, int argc, char **argv)
{
	json_t *req, *reply, *s;
	json_int_t id;
	int rc;

	if (argc != 1 || id_arg(argv[0], &id) != EX_OK) {
		fprintf(stderr, "mcpxctl: stream get needs one stream id\n");
		return EX_USAGE;
	}
	req = req_new("stream.get");
	json_object_set_new(req, "stream", json_integer(id));
	rc = call(c, req, &reply);
	if (rc != EX_OK)
		return rc;
	rc = verdict(c, reply);
	s = json_object_get(reply, "stream");
	if (rc == EX_OK && !c->json) {
		printf("%s", ROW_HEAD);
		print_stream_row(s);
		printf("profile %s, rcc_r %" JSON_INTEGER_FORMAT ", packets:",
		       json_string_value(json_object_get(s, "profile")),
		       json_integer_value(json_object_get(s, "rcc_r")));
		print_verdicts(json_object_get(s, "verdicts"));
		printf("\n");
	}
	json_decref(reply);
	return rc;
}

static int
cmd_list(struct cli *c, int argc, char **argv)
{
	bool ids_only = argc == 1 && strcmp(argv[0], "--ids") == 0;
	json_int_t cursor = 0;
	json_t *req, *reply, *arr;
	size_t i;
	int rc;

	if (argc > 1 || (argc == 1 && !ids_only)) {
		fprintf(stderr, "mcpxctl: list takes only --ids\n");
		return EX_USAGE;
	}
	if (!c->json && !ids_only)
		printf("%s", ROW_HEAD);
	do {
		req = req_new("stream.list");
		json_object_set_new(req, "details", json_boolean(!ids_only));
		json_object_set_new(req, "cursor", json_integer(cursor));
		rc = call(c, req, &reply);
		if (rc != EX_OK)
			return rc;
		rc = verdict(c, reply);
		arr = json_object_get(reply, "streams");
		for (i = 0; rc == EX_OK && !c->json && i < json_array_size(arr); i++) {
			if (ids_only)
				printf("%" JSON_INTEGER_FORMAT "\n",
				       json_integer_value(json_array_get(arr, i)));
			else
				print_stream_row(json_array_get(arr, i));
		}
		cursor = json_integer_value(json_object_get(reply, "cursor"));
		json_decref(reply);
	} while (rc == EX_OK && cursor != 0);
	return rc;
}

static void
print_counters(json_t *r)
{
	json_t *t = json_object_get(r, "total"), *ports = json_object_get(r, "ports"), *p;
	size_t i;

	printf("streams %" JSON_INTEGER_FORMAT "  rx %" JSON_INTEGER_FORMAT,
	       json_integer_value(json_object_get(r, "streams")),
	       json_integer_value(json_object_get(t, "rx")));
	print_verdicts(json_object_get(t, "verdicts"));
	printf("\n%-6s %-7s %-7s %12s %12s %8s %9s  verdicts\n", "index", "port", "side", "rx",
	       "tx", "tx_full", "rx_missed");
	json_array_foreach(ports, i, p) {
		printf("%-6" JSON_INTEGER_FORMAT " %-7" JSON_INTEGER_FORMAT " %-7s %12"
		       JSON_INTEGER_FORMAT " %12" JSON_INTEGER_FORMAT " %8" JSON_INTEGER_FORMAT
		       " %9" JSON_INTEGER_FORMAT " ",
		       json_integer_value(json_object_get(p, "index")),
		       json_integer_value(json_object_get(p, "port_id")),
		       json_string_value(json_object_get(p, "side")),
		       json_integer_value(json_object_get(p, "rx")),
		       json_integer_value(json_object_get(p, "tx")),
		       json_integer_value(json_object_get(p, "tx_full")),
		       json_integer_value(json_object_get(p, "rx_missed")));
		print_verdicts(json_object_get(p, "verdicts"));
		printf("\n");
	}
}

/* Operations whose reply is a flat object: print its fields. */
static void
print_flat(json_t *r)
{
	const char *k;
	json_t *v;
	char *s;

	json_object_foreach(r, k, v) {
		if (strcmp(k, "v") == 0 || strcmp(k, "id") == 0 || strcmp(k, "ok") == 0)
			continue;
		s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		printf("%-12s %s\n", k, s != NULL ? s : "?");
		ctl_json_free(s);
	}
}

static int
cmd_simple(struct cli *c, const char *op)
{
	json_t *reply;
	int rc = call(c, req_new(op), &reply);

	if (rc != EX_OK)
		return rc;
	rc = verdict(c, reply);
	if (rc == EX_OK && !c->json) {
		if (strcmp(op, "counters") == 0)
			print_counters(reply);
		else
			print_flat(reply);
	}
	json_decref(reply);
	return rc;
}

static int
read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		fprintf(stderr, "mcpxctl: %s: %s\n", path, strerror(errno));
		return EX_USAGE;
	}
	*buf = malloc(8192);
	*len = *buf != NULL ? fread(*buf, 1, 8192, f) : 0;
	fclose(f);
	if (*len == 0 || *len == 8192) {
		fprintf(stderr, "mcpxctl: %s: empty or too large for an I_MESSAGE\n", path);
		free(*buf);
		return EX_USAGE;
	}
	return EX_OK;
}

static bool
flag_opt(int argc, char **argv, const char *name)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

/* |name| N into |o| as |key|, when given: a number, else a usage error (-1). 0 absent, 1 set. */
static int
num_opt(int argc, char **argv, const char *name, json_t *o, const char *key)
{
	const char *s;
	uint64_t v;

	if (file_opt(argc, argv, name, &s) != 0)
		return 0;
	if (!ctl_number_parse(s, INT64_MAX, &v)) {
		fprintf(stderr, "mcpxctl: %s: bad number '%s' (decimal, or hexadecimal after 0x)\n",
			name, s);
		return -1;
	}
	json_object_set_new(o, key, json_integer((json_int_t)v));
	return 1;
}

/* --learn*, --replaces, --activate-at, --grace into |req|. 0, or -1 (reported). */
static int
rekey_learn_opts(int argc, char **argv, json_t *req)
{
	json_t *learn = json_object();
	const char *id;
	int a, b, w;

	a = num_opt(argc, argv, "--learn-port", learn, "port");
	b = num_opt(argc, argv, "--learn-max", learn, "max_senders");
	w = num_opt(argc, argv, "--learn-window", learn, "replay_window");
	if (a < 0 || b < 0 || w < 0) {
		json_decref(learn);
		return -1;
	}
	if (a + b + w > 0 || flag_opt(argc, argv, "--learn"))
		json_object_set_new(req, "learn", learn);
	else
		json_decref(learn);
	if (file_opt(argc, argv, "--replaces", &id) == 0)
		json_object_set_new(req, "replaces", json_string(id));
	if (num_opt(argc, argv, "--activate-at", req, "activate_at") < 0 ||
	    num_opt(argc, argv, "--grace", req, "grace_s") < 0)
		return -1;
	return 0;
}

/* Every --initiator URI into |req|'s "initiators". 0, or -1 (reported). */
static int
initiators_opt(int argc, char **argv, json_t *req)
{
	json_t *arr = NULL, *v;
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--initiator") != 0)
			continue;
		if (i + 1 >= argc) {
			fprintf(stderr, "mcpxctl: --initiator needs a URI\n");
			json_decref(arr);
			return -1;
		}
		v = json_string(argv[++i]);
		if (v == NULL) {
			fprintf(stderr, "mcpxctl: --initiator: not UTF-8\n");
			json_decref(arr);
			return -1;
		}
		if (arr == NULL)
			arr = json_array();
		if (arr == NULL || json_array_append_new(arr, v) != 0) {
			fprintf(stderr, "mcpxctl: out of memory\n");
			json_decref(arr);
			return -1;
		}
	}
	if (arr != NULL)
		json_object_set_new(req, "initiators", arr);
	return 0;
}

static int
cmd_mikey_install(struct cli *c, int argc, char **argv)
{
	const char *msg, *spath = NULL, *purpose = NULL;
	json_t *j, *arr = NULL, *req, *reply;
	bool learn_only;
	char *b64;
	uint8_t *buf;
	size_t len;
	int rc;

	learn_only = flag_opt(argc, argv, "--learn") || flag_opt(argc, argv, "--learn-port") ||
		     flag_opt(argc, argv, "--learn-max") || flag_opt(argc, argv, "--learn-window");
	if (file_opt(argc, argv, "--msg", &msg) != 0 ||
	    (file_opt(argc, argv, "--streams", &spath) != 0 && !learn_only)) {
		fprintf(stderr, "mcpxctl: mikey install needs --msg FILE and --streams F\n");
		return EX_USAGE;
	}
	(void)file_opt(argc, argv, "--purpose", &purpose);
	req = req_new("mikey.install");
	if (rekey_learn_opts(argc, argv, req) != 0 || initiators_opt(argc, argv, req) != 0) {
		json_decref(req);
		return EX_USAGE;
	}
	if (read_file(msg, &buf, &len) != EX_OK) {
		json_decref(req);
		return EX_USAGE;
	}
	if (spath != NULL) {
		j = load_json(spath);
		arr = j != NULL ? streams_of(j) : NULL;
		json_decref(j);
	}
	b64 = malloc(sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL));
	if ((spath != NULL && arr == NULL) || b64 == NULL) {
		json_decref(req);
		json_decref(arr);
		free(buf);
		free(b64);
		return EX_USAGE;
	}
	sodium_bin2base64(b64, sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL),
			  buf, len, sodium_base64_VARIANT_ORIGINAL);
	free(buf);
	json_object_set_new(req, "i_message", json_string(b64));
	free(b64);
	if (arr != NULL)
		json_object_set_new(req, "streams", arr);
	if (purpose != NULL)
		json_object_set_new(req, "purpose", json_integer(atoi(purpose)));
	rc = call(c, req, &reply);
	if (rc != EX_OK)
		return rc;
	rc = verdict(c, reply);
	if (rc == EX_OK && !c->json)
		print_flat(reply);
	json_decref(reply);
	return rc;
}

static int
dispatch(struct cli *c, int argc, char **argv)
{
	const char *a = argv[0], *b = argc > 1 ? argv[1] : "";

	if (strcmp(a, "stream") == 0 && strcmp(b, "add") == 0)
		return cmd_stream_add(c, argc - 2, argv + 2);
	if (strcmp(a, "stream") == 0 && strcmp(b, "del") == 0)
		return cmd_stream_del(c, argc - 2, argv + 2);
	if (strcmp(a, "stream") == 0 && strcmp(b, "get") == 0)
		return cmd_stream_get(c, argc - 2, argv + 2);
	if (strcmp(a, "stream") == 0 && strcmp(b, "list") == 0)
		return cmd_list(c, argc - 2, argv + 2);
	if (strcmp(a, "list") == 0)
		return cmd_list(c, argc - 1, argv + 1);
	if (strcmp(a, "mikey") == 0 && strcmp(b, "install") == 0)
		return cmd_mikey_install(c, argc - 2, argv + 2);
	if (strcmp(a, "keystore") == 0 && strcmp(b, "reload") == 0 && argc == 2)
		return cmd_simple(c, "keystore.reload");
	if (argc == 1 && (strcmp(a, "counters") == 0 || strcmp(a, "health") == 0 ||
			  strcmp(a, "shutdown") == 0))
		return cmd_simple(c, a);
	fprintf(stderr, "mcpxctl: unknown command '%s%s%s' (see --help)\n", a, *b ? " " : "", b);
	return EX_USAGE;
}

/* Commands known before connecting, so a typo is a usage error even with no daemon. */
static bool
known(int argc, char **argv)
{
	static const char *const one[] = {"list", "counters", "health", "shutdown"};
	static const char *const two[][2] = {
		{"stream", "add"}, {"stream", "del"}, {"stream", "get"}, {"stream", "list"},
		{"mikey", "install"}, {"keystore", "reload"},
	};
	size_t i;

	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		if (strcmp(argv[0], one[i]) == 0)
			return true;
	for (i = 0; argc > 1 && i < sizeof(two) / sizeof(two[0]); i++)
		if (strcmp(argv[0], two[i][0]) == 0 && strcmp(argv[1], two[i][1]) == 0)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"socket", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cli c = {.sock = SOCK_DEFAULT, .timeout_ms = 5000, .fd = -1};
	int o, rc;

	if (sodium_init() < 0)
		return EX_CONNECT;
	ctl_json_init();	/* the streams file may hold keys: jansson's copies are wiped */
	while ((o = getopt_long(argc, argv, "+s:jt:h", lo, NULL)) != -1) {
		switch (o) {
		case 's': c.sock = optarg; break;
		case 'j': c.json = true; break;
		case 't': c.timeout_ms = atoi(optarg) > 0 ? atoi(optarg) : 5000; break;
		case 'h': usage(stdout); return EX_OK;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind >= argc || !known(argc - optind, argv + optind)) {
		if (optind < argc)
			fprintf(stderr, "mcpxctl: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}
	rc = cli_connect(&c);
	if (rc == EX_OK) {
		c.rbuf = malloc(REPLY_MAX);
		rc = c.rbuf != NULL ? dispatch(&c, argc - optind, argv + optind) : EX_CONNECT;
	}
	free(c.rbuf);
	if (c.fd >= 0)
		close(c.fd);
	return rc;
}
