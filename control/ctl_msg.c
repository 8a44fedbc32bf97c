/* SPDX-License-Identifier: proprietary */
/*
 * The request decoder (docs/control-protocol.md). Straight lines of field
 * reads; each failure names the field ("streams[2].master_key") and never
 * prints a value, since values may be keys.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ctl_msg.h"

static const char *const op_names[CTL_OP_COUNT] = {
#define CTL_OP_STR(n, s) [CTL_OP_##n] = s,
	CTL_OPS(CTL_OP_STR)
#undef CTL_OP_STR
};

const char *
ctl_op_name(enum ctl_op op)
{
	return (unsigned int)op < CTL_OP_COUNT ? op_names[op] : "?";
}

/*
 * How many octets of |s| to print for at most |max|: cut on a UTF-8
 * character boundary, so that the message stays valid UTF-8 (jansson refuses
 * a string that is not, and the reply would lose its message).
 */
static int
utf8_cut(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n <= max)
		return (int)n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;	/* s[n] continues a character: leave that character out */
	return (int)n;
}

/* |s| of |len| octets, cut short by snprintf: drop a last character that lost its tail. */
static void
utf8_trim(char *s, size_t len)
{
	size_t i = len, need;
	unsigned char c;

	while (i > 0 && len - i < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return;
	c = (unsigned char)s[--i];	/* the last character's first octet */
	need = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	if (i + need > len)
		s[i] = '\0';
}

int
ctl_err_set(struct ctl_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	err->code = code;
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(err->msg))	/* cut at the end: not inside a character */
		utf8_trim(err->msg, sizeof(err->msg) - 1);
	return code;
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

int
ctl_uint_parse(const char *s, uint64_t max, uint64_t *out)
{
	return ctl_number_parse(s, max, out) ? 0 : -CTL_E_VALUE;
}

/*
 * An integer, or a string holding one ("305419896", "0x12345678": ctl_uint_parse),
 * 0..|max|. Absent: 1 (|*out| unchanged).
 */
static int
uint_get(json_t *o, const char *where, const char *name, uint64_t max, uint64_t *out,
	 struct ctl_err *err)
{
	json_t *v = json_object_get(o, name);
	const char *s = NULL;

	if (v == NULL)
		return 1;
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
			goto range;
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return ctl_err_set(err, -CTL_E_TYPE, "%s%s: an integer is needed, not %s", where,
				   name, type_name(v));
	s = json_string_value(v);
	if (json_string_length(v) != strlen(s) || ctl_uint_parse(s, max, out) != 0)
		return ctl_err_set(err, -CTL_E_VALUE,
				   "%s%s: 0..%llu in decimal or 0x-hexadecimal is needed", where,
				   name, (unsigned long long)max);
	return 0;
range:
	return ctl_err_set(err, -CTL_E_VALUE, "%s%s: out of range (0..%llu)", where, name,
			   (unsigned long long)max);
}

static int
uint_need(json_t *o, const char *where, const char *name, uint64_t max, uint64_t *out,
	  struct ctl_err *err)
{
	int rc = uint_get(o, where, name, max, out, err);

	if (rc == 1)
		return ctl_err_set(err, -CTL_E_MISSING, "%s%s is missing", where, name);
	return rc;
}

/* A string field; absent: 1. */
static int
str_get(json_t *o, const char *where, const char *name, const char **out, struct ctl_err *err)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL)
		return 1;	/* |*out| keeps the caller's default */
	if (!json_is_string(v))
		return ctl_err_set(err, -CTL_E_TYPE, "%s%s: a string is needed, not %s", where,
				   name, type_name(v));
	*out = json_string_value(v);
	return 0;
}

/* Hex of exactly |want| octets (|want| 0: 0..|max|), into |out|; absent: 1. */
static int
hex_get(json_t *o, const char *where, const char *name, uint8_t *out, size_t max, size_t want,
	size_t *len, struct ctl_err *err)
{
	const char *s = NULL;
	int rc = str_get(o, where, name, &s, err);

	*len = 0;
	if (rc != 0)
		return rc;
	if (sodium_hex2bin(out, max, s, json_string_length(json_object_get(o, name)), NULL, len,
			   NULL) != 0 || (want != 0 && *len != want)) {
		sodium_memzero(out, max);
		if (want != 0)
			return ctl_err_set(err, -CTL_E_VALUE, "%s%s: %zu octets in hex are needed",
					   where, name, want);
		return ctl_err_set(err, -CTL_E_VALUE, "%s%s: at most %zu octets in hex", where,
				   name, max);
	}
	return 0;
}

static int
addr_parse(const char *s, uint8_t addr[16])
{
	struct in_addr a4;

	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, &a4) == 1) {
		addr[10] = 0xff;
		addr[11] = 0xff;
		memcpy(addr + 12, &a4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, s, addr) == 1 ? 0 : -1;
}

static int
members_get(json_t *o, const char *where, struct dp_stream_spec *sp, struct ctl_err *err)
{
	json_t *arr = json_object_get(o, "members"), *m;
	char at[64];
	const char *a = NULL;
	uint64_t port;
	size_t i;
	int rc;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return ctl_err_set(err, -CTL_E_TYPE, "%smembers: an array is needed", where);
	if (json_array_size(arr) > DP_STREAM_MAX_MEMBERS)
		return ctl_err_set(err, -CTL_E_LIMIT, "%smembers: at most %u", where,
				   DP_STREAM_MAX_MEMBERS);
	json_array_foreach(arr, i, m) {
		snprintf(at, sizeof(at), "%smembers[%zu].", where, i);
		if (!json_is_object(m))
			return ctl_err_set(err, -CTL_E_TYPE, "%s: an object is needed", at);
		rc = str_get(m, at, "addr", &a, err);
		if (rc == 1)
			return ctl_err_set(err, -CTL_E_MISSING, "%saddr is missing", at);
		if (rc < 0)
			return rc;
		if (addr_parse(a, sp->members[i].addr) != 0)
			return ctl_err_set(err, -CTL_E_VALUE, "%saddr: not an IPv4 or IPv6 address",
					   at);
		rc = uint_need(m, at, "port", UINT16_MAX, &port, err);
		if (rc < 0)
			return rc;
		if (port == 0)	/* the dataplane would refuse it too, less clearly */
			return ctl_err_set(err, -CTL_E_VALUE,
					   "%sport: 1..65535 (a member is found by its port)", at);
		sp->members[i].port = (uint16_t)port;
	}
	sp->n_members = (unsigned int)json_array_size(arr);
	return 0;
}

static const char *const keyed_fields[] = {
	"dir", "proto", "profile", "master_key", "master_salt", "mki", "ssrc", "roc", "rcc_r",
	"replay_window", "port", "members", NULL,
};

static const char *const derived_fields[] = {
	"dir", "proto", "ssrc", "roc", "replay_window", "port", "members", "cs_id", "guk_id", "mki",
	NULL,
};

/* Unknown fields are refused: a misspelt "replay_windw" must not pass silently. */
static int
fields_known(json_t *o, const char *where, const char *const *known, struct ctl_err *err)
{
	const char *k, *const *p;
	json_t *v;

	json_object_foreach(o, k, v) {
		for (p = known; *p != NULL; p++)
			if (strcmp(*p, k) == 0)
				break;
		if (*p == NULL)
			return ctl_err_set(err, -CTL_E_VALUE, "%s%.*s: unknown field", where,
					   utf8_cut(k, 40), k);
	}
	return 0;
}

static int
dir_proto_get(json_t *o, const char *where, struct dp_srtp_params *p, struct ctl_err *err)
{
	const char *s = NULL;
	int rc = str_get(o, where, "dir", &s, err);

	if (rc == 1)
		return ctl_err_set(err, -CTL_E_MISSING, "%sdir is missing", where);
	if (rc < 0)
		return rc;
	if (strcmp(s, "protect") != 0 && strcmp(s, "unprotect") != 0)
		return ctl_err_set(err, -CTL_E_VALUE, "%sdir: \"protect\" or \"unprotect\"", where);
	p->dir = strcmp(s, "protect") == 0 ? DP_SRTP_DIR_PROTECT : DP_SRTP_DIR_UNPROTECT;
	s = "rtp";
	rc = str_get(o, where, "proto", &s, err);
	if (rc < 0)
		return rc;
	if (strcmp(s, "rtp") != 0 && strcmp(s, "rtcp") != 0)
		return ctl_err_set(err, -CTL_E_VALUE, "%sproto: \"rtp\" or \"rtcp\"", where);
	p->proto = strcmp(s, "rtcp") == 0 ? DP_SRTP_PROTO_RTCP : DP_SRTP_PROTO_RTP;
	return 0;
}

static int
keys_get(json_t *o, const char *where, struct dp_srtp_params *p, struct ctl_err *err)
{
	const struct dp_srtp_profile_info *pi;
	const char *s = "AEAD_AES_128_GCM";
	size_t n;
	int rc, prof;

	rc = str_get(o, where, "profile", &s, err);
	if (rc < 0)
		return rc;
	prof = dp_srtp_profile_from_name(s);
	if (prof < 0)
		return ctl_err_set(err, -CTL_E_VALUE, "%sprofile: unknown SRTP profile", where);
	p->profile = (enum dp_srtp_profile)prof;
	pi = dp_srtp_profile_info(p->profile);
	rc = hex_get(o, where, "master_key", p->master_key, sizeof(p->master_key), pi->key_len, &n,
		     err);
	if (rc == 0)
		rc = hex_get(o, where, "master_salt", p->master_salt, sizeof(p->master_salt),
			     pi->salt_len, &n, err);
	if (rc == 1)
		return ctl_err_set(err, -CTL_E_MISSING, "%smaster_key and master_salt are needed",
				   where);
	if (rc < 0)
		return rc;
	rc = hex_get(o, where, "mki", p->mki, sizeof(p->mki), 0, &n, err);
	if (rc < 0)
		return rc;
	if (n != 0 && n != 4 && n != 8)
		return ctl_err_set(err, -CTL_E_VALUE, "%smki: 0, 4 or 8 octets", where);
	p->mki_len = (uint8_t)n;
	return 0;
}

int
ctl_stream_decode(json_t *o, bool keyed, struct dp_stream_spec *sp, struct ctl_err *err)
{
	struct dp_srtp_params *p = &sp->params;
	uint64_t ssrc = 0, roc = 0, rcc = 0, win = 0, port = 0;
	char where[32] = "";
	int rc;

	memset(sp, 0, sizeof(*sp));
	if (!json_is_object(o))
		return ctl_err_set(err, -CTL_E_TYPE, "a stream is an object, not %s",
				   o != NULL ? type_name(o) : "nothing");
	rc = fields_known(o, where, keyed ? keyed_fields : derived_fields, err);
	if (rc == 0)
		rc = dir_proto_get(o, where, p, err);
	if (rc == 0 && keyed)
		rc = keys_get(o, where, p, err);
	if (rc == 0)
		rc = uint_need(o, where, "ssrc", UINT32_MAX, &ssrc, err);
	if (rc >= 0)
		rc = uint_get(o, where, "roc", UINT32_MAX, &roc, err);
	if (rc >= 0)
		rc = uint_get(o, where, "rcc_r", UINT16_MAX, &rcc, err);
	if (rc >= 0)
		rc = uint_get(o, where, "replay_window", DP_SRTP_REPLAY_MAX, &win, err);
	if (rc >= 0)
		rc = uint_get(o, where, "port", UINT16_MAX, &port, err);
	if (rc >= 0)
		rc = members_get(o, where, sp, err);
	if (rc < 0) {
		sodium_memzero(sp, sizeof(*sp));
		return rc;
	}
	p->ssrc = (uint32_t)ssrc;
	p->roc = (uint32_t)roc;
	p->rcc_r = (uint16_t)rcc;
	p->replay_window = (uint16_t)win;
	sp->port = (uint16_t)port;
	return 0;
}

/* Prefix a stream's error with its place in the batch. */
static int
at_index(struct ctl_err *err, int rc, size_t i)
{
	char m[CTL_ERRMSG_MAX];

	snprintf(m, sizeof(m), "%s", err->msg);
	return ctl_err_set(err, rc, "streams[%zu]: %s", i, m);
}

static int
mikey_fields(json_t *o, struct ctl_mikey_stream *mk, struct ctl_err *err)
{
	uint64_t cs = UINT64_MAX, guk = 0;
	size_t n;
	int rc;

	mk->cs_id = -1;
	rc = uint_get(o, "", "cs_id", 255, &cs, err);
	if (rc < 0)
		return rc;
	if (rc == 0)
		mk->cs_id = (int)cs;
	rc = uint_get(o, "", "guk_id", UINT32_MAX, &guk, err);
	if (rc < 0)
		return rc;
	mk->has_guk = rc == 0;
	mk->guk_id = (uint32_t)guk;
	rc = hex_get(o, "", "mki", mk->mki, sizeof(mk->mki), 0, &n, err);
	if (rc < 0)
		return rc;
	if (n != 0 && n != 4 && n != 8)
		return ctl_err_set(err, -CTL_E_VALUE, "mki: 4 or 8 octets");
	mk->mki_len = (uint8_t)n;
	if (n == 8 && !mk->has_guk) {	/* GMK-ID || GUK-ID: the sender's GUK-ID */
		mk->has_guk = true;
		mk->guk_id = (uint32_t)mk->mki[4] << 24 | (uint32_t)mk->mki[5] << 16 |
			     (uint32_t)mk->mki[6] << 8 | mk->mki[7];
	}
	return 0;
}

/*
 * A batch's specs (about 450 KiB at CTL_BATCH_MAX) in one locked block made
 * once, lent to one request at a time: a fresh calloc, mlock, munlock and free
 * of that size per request cost page faults and TLB shootdowns. A request
 * decoded while the block is lent (a test holding two) gets its own arrays.
 */
static struct batch {
	struct dp_stream_spec streams[CTL_BATCH_MAX];
	struct ctl_mikey_stream mk[CTL_BATCH_MAX];
} __attribute__((aligned(64))) *batch;	/* sodium_malloc ends it at a page: sized to keep it aligned */
static atomic_flag batch_lent = ATOMIC_FLAG_INIT;

static bool
batch_borrow(struct ctl_req *req, size_t n, bool keyed)
{
	if (atomic_flag_test_and_set(&batch_lent))
		return false;
	if (batch == NULL)
		batch = sodium_malloc(sizeof(*batch));	/* locked, guarded, never freed */
	if (batch == NULL) {
		atomic_flag_clear(&batch_lent);
		return false;
	}
	memset(batch->streams, 0, n * sizeof(*batch->streams));
	req->streams = batch->streams;
	if (!keyed) {
		memset(batch->mk, 0, n * sizeof(*batch->mk));
		req->mk = batch->mk;
	}
	req->lent = true;
	return true;
}

/*
 * "defaults": fields every stream of the batch has unless it sets them itself
 * (docs/control-protocol.md). Copied into each entry before it is decoded, so
 * an entry is checked as if it had been written out in full.
 */
static int
defaults_get(json_t *root, bool keyed, json_t **defs, struct ctl_err *err)
{
	*defs = json_object_get(root, "defaults");
	if (*defs == NULL)
		return 0;
	if (!json_is_object(*defs))
		return ctl_err_set(err, -CTL_E_TYPE, "defaults: an object is needed, not %s",
				   type_name(*defs));
	return fields_known(*defs, "defaults.", keyed ? keyed_fields : derived_fields, err);
}

static int
defaults_apply(json_t *o, json_t *defs, struct ctl_err *err)
{
	const char *k;
	json_t *v;

	if (defs == NULL || !json_is_object(o))
		return 0;	/* not an object: ctl_stream_decode says so */
	json_object_foreach(defs, k, v) {
		if (json_object_get(o, k) == NULL && json_object_set(o, k, v) != 0)
			return ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
	}
	return 0;
}

static int
streams_get(json_t *root, struct ctl_req *req, bool keyed, struct ctl_err *err)
{
	json_t *arr = json_object_get(root, "streams"), *o, *defs;
	size_t i, n;
	int rc;

	if (arr == NULL)
		return ctl_err_set(err, -CTL_E_MISSING, "streams is missing");
	if (!json_is_array(arr))
		return ctl_err_set(err, -CTL_E_TYPE, "streams: an array is needed, not %s",
				   type_name(arr));
	n = json_array_size(arr);
	if (n == 0)
		return ctl_err_set(err, -CTL_E_VALUE, "streams: empty");
	if (n > CTL_BATCH_MAX)
		return ctl_err_set(err, -CTL_E_LIMIT, "streams: at most %u per request",
				   CTL_BATCH_MAX);
	req->n_streams = (unsigned int)n;
	if (!batch_borrow(req, n, keyed)) {
		req->streams = calloc(n, sizeof(*req->streams));
		req->mk = keyed ? NULL : calloc(n, sizeof(*req->mk));
		if (req->streams == NULL || (!keyed && req->mk == NULL))
			return ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
		(void)sodium_mlock(req->streams, n * sizeof(*req->streams));
	}
	rc = defaults_get(root, keyed, &defs, err);
	if (rc < 0)
		return rc;
	json_array_foreach(arr, i, o) {
		rc = defaults_apply(o, defs, err);
		if (rc == 0)
			rc = ctl_stream_decode(o, keyed, &req->streams[i], err);
		if (rc == 0 && !keyed)
			rc = mikey_fields(o, &req->mk[i], err);
		if (rc < 0)
			return at_index(err, rc, i);
	}
	return 0;
}

static const char *const learn_fields[] = {
	"port", "replay_window", "max_senders", "protos", NULL,
};

static int
protos_get(json_t *o, uint8_t *protos, struct ctl_err *err)
{
	json_t *arr = json_object_get(o, "protos"), *v;
	size_t i;

	*protos = 0;
	if (arr == NULL)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return ctl_err_set(err, -CTL_E_TYPE, "learn.protos: a non-empty array is needed");
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);

		if (s == NULL)
			return ctl_err_set(err, -CTL_E_TYPE, "learn.protos[%zu]: a string is needed",
					   i);
		if (strcmp(s, "rtp") == 0)
			*protos |= 1u << DP_SRTP_PROTO_RTP;
		else if (strcmp(s, "rtcp") == 0)
			*protos |= 1u << DP_SRTP_PROTO_RTCP;
		else
			return ctl_err_set(err, -CTL_E_VALUE, "learn.protos[%zu]: \"rtp\" or \"rtcp\"",
					   i);
	}
	return 0;
}

/* "learn": {"port", "replay_window", "max_senders", "protos"}, every field optional. */
static int
learn_get(json_t *root, struct ctl_req *req, struct ctl_err *err)
{
	json_t *o = json_object_get(root, "learn");
	uint64_t port = 0, win = 0, max = 64;
	int rc;

	if (o == NULL)
		return 0;
	if (!json_is_object(o))
		return ctl_err_set(err, -CTL_E_TYPE, "learn: an object is needed, not %s",
				   type_name(o));
	rc = fields_known(o, "learn.", learn_fields, err);
	if (rc == 0)
		rc = uint_get(o, "learn.", "port", UINT16_MAX, &port, err);
	if (rc >= 0)
		rc = uint_get(o, "learn.", "replay_window", DP_SRTP_REPLAY_MAX, &win, err);
	if (rc >= 0)
		rc = uint_get(o, "learn.", "max_senders", CTL_LEARN_MAX_SENDERS, &max, err);
	if (rc >= 0)
		rc = protos_get(o, &req->learn.protos, err);
	if (rc < 0)
		return rc;
	if (win != 0 && win < DP_SRTP_REPLAY_MIN)
		return ctl_err_set(err, -CTL_E_VALUE, "learn.replay_window: 0 or %u..%u",
				   DP_SRTP_REPLAY_MIN, DP_SRTP_REPLAY_MAX);
	if (max == 0)
		return ctl_err_set(err, -CTL_E_VALUE, "learn.max_senders: 1..%u",
				   CTL_LEARN_MAX_SENDERS);
	req->has_learn = true;
	req->learn.port = (uint16_t)port;
	req->learn.replay_window = (uint16_t)win;
	req->learn.max_senders = (uint32_t)max;
	return 0;
}

/* A rekey: "replaces" (the old key id), "activate_at" (Unix s), "grace_s". */
static int
rekey_get(json_t *root, struct ctl_req *req, struct ctl_err *err)
{
	uint64_t at = 0, grace = CTL_GRACE_DEFAULT;
	size_t n;
	int rc;

	rc = hex_get(root, "", "replaces", req->replaces, sizeof(req->replaces),
		     sizeof(req->replaces), &n, err);
	if (rc < 0)
		return rc;
	req->has_replaces = rc == 0;
	rc = uint_get(root, "", "activate_at", CTL_TIME_MAX, &at, err);
	if (rc < 0)
		return rc;
	req->has_activate_at = rc == 0;
	rc = uint_get(root, "", "grace_s", CTL_GRACE_MAX, &grace, err);
	if (rc < 0)
		return rc;
	if (!req->has_replaces && (req->has_activate_at || rc == 0))
		return ctl_err_set(err, -CTL_E_VALUE, "%s: only with replaces",
				   req->has_activate_at ? "activate_at" : "grace_s");
	req->activate_at = (int64_t)at;
	req->grace_s = (uint32_t)grace;
	return 0;
}

/*
 * "initiators": the URIs a hidden initiator (IDRuidi) may be, as the
 * signalling names them (33.180 §5.2.6); absent: none, and a message that
 * hides its initiator is refused.
 */
static int
initiators_get(json_t *root, struct ctl_req *req, struct ctl_err *err)
{
	json_t *arr = json_object_get(root, "initiators"), *v;
	size_t i;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return ctl_err_set(err, -CTL_E_TYPE, "initiators: an array is needed, not %s",
				   type_name(arr));
	if (json_array_size(arr) > CTL_INITIATORS_MAX)
		return ctl_err_set(err, -CTL_E_LIMIT, "initiators: at most %u",
				   CTL_INITIATORS_MAX);
	if (json_array_size(arr) == 0)
		return 0;
	req->initiators = calloc(json_array_size(arr), sizeof(*req->initiators));
	if (req->initiators == NULL)
		return ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		size_t n = s != NULL ? strlen(s) : 0;

		if (s == NULL)
			return ctl_err_set(err, -CTL_E_TYPE, "initiators[%zu]: a string is needed, "
					   "not %s", i, type_name(v));
		if (n == 0 || n > CTL_URI_MAX)
			return ctl_err_set(err, -CTL_E_VALUE, "initiators[%zu]: a URI of 1..%u "
					   "octets is needed", i, CTL_URI_MAX);
		req->initiators[i] = strdup(s);
		if (req->initiators[i] == NULL)
			return ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
		req->n_initiators = (unsigned int)i + 1;
	}
	return 0;
}

static int
imsg_get(json_t *root, struct ctl_req *req, struct ctl_err *err)
{
	const char *s = NULL;
	uint64_t purpose = 0;
	int rc = str_get(root, "", "i_message", &s, err);

	if (rc == 1)
		return ctl_err_set(err, -CTL_E_MISSING, "i_message is missing");
	if (rc < 0)
		return rc;
	req->imsg = malloc(CTL_IMSG_MAX);
	if (req->imsg == NULL)
		return ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
	if (sodium_base642bin(req->imsg, CTL_IMSG_MAX, s, strlen(s), NULL, &req->imsg_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || req->imsg_len == 0)
		return ctl_err_set(err, -CTL_E_VALUE,
				   "i_message: base64 of 1..%u octets is needed", CTL_IMSG_MAX);
	req->purpose = -1;
	rc = uint_get(root, "", "purpose", 2, &purpose, err);
	if (rc < 0)
		return rc;
	if (rc == 0)
		req->purpose = (int)purpose;
	rc = initiators_get(root, req, err);
	if (rc == 0)
		rc = learn_get(root, req, err);
	if (rc == 0)
		rc = rekey_get(root, req, err);
	if (rc < 0)
		return rc;
	/* A key kept only to learn its senders needs no stream of its own. */
	if (req->has_learn && json_object_get(root, "streams") == NULL)
		return 0;
	return streams_get(root, req, false, err);
}

static int
op_get(json_t *root, struct ctl_req *req, struct ctl_err *err)
{
	const char *s = NULL;
	unsigned int i;
	int rc = str_get(root, "", "op", &s, err);

	if (rc == 1)
		return ctl_err_set(err, -CTL_E_MISSING, "op is missing");
	if (rc < 0)
		return rc;
	for (i = 0; i < CTL_OP_COUNT; i++)
		if (strcmp(s, op_names[i]) == 0)
			break;
	if (i == CTL_OP_COUNT)
		return ctl_err_set(err, -CTL_E_OP, "unknown op \"%.*s\"", utf8_cut(s, 40), s);
	req->op = (enum ctl_op)i;
	return 0;
}

static int
list_args(json_t *root, struct ctl_req *req, struct ctl_err *err)
{
	uint64_t cursor = 0, limit = CTL_LIST_MAX;
	json_t *d = json_object_get(root, "details");
	int rc;

	rc = uint_get(root, "", "cursor", UINT32_MAX, &cursor, err);
	if (rc >= 0)
		rc = uint_get(root, "", "limit", CTL_LIST_MAX, &limit, err);
	if (rc < 0)
		return rc;
	if (limit == 0)
		return ctl_err_set(err, -CTL_E_VALUE, "limit: 1..%u", CTL_LIST_MAX);
	if (d != NULL && !json_is_boolean(d))
		return ctl_err_set(err, -CTL_E_TYPE, "details: a boolean is needed");
	req->cursor = (uint32_t)cursor;
	req->limit = (unsigned int)limit;
	req->details = d != NULL && json_is_true(d);
	return 0;
}

/*
 * The fields of a request, by op (docs/control-protocol.md). Any other is
 * refused: a misspelt "activate_at" or "limit" must not fall back to its
 * default unseen.
 */
static const char *const add_fields[] = {"v", "id", "op", "streams", "defaults", NULL};
static const char *const one_fields[] = {"v", "id", "op", "stream", NULL};
static const char *const list_fields[] = {"v", "id", "op", "cursor", "limit", "details", NULL};
static const char *const install_fields[] = {
	"v", "id", "op", "i_message", "purpose", "initiators", "streams", "defaults", "learn",
	"replaces", "activate_at", "grace_s", NULL,
};
static const char *const bare_fields[] = {"v", "id", "op", NULL};

static const char *const *
op_fields(enum ctl_op op)
{
	switch (op) {
	case CTL_OP_STREAM_ADD: return add_fields;
	case CTL_OP_STREAM_DEL:
	case CTL_OP_STREAM_GET: return one_fields;
	case CTL_OP_STREAM_LIST: return list_fields;
	case CTL_OP_MIKEY_INSTALL: return install_fields;
	default: return bare_fields;
	}
}

static int
args_get(json_t *root, struct ctl_req *req, struct ctl_err *err)
{
	int rc = fields_known(root, "", op_fields(req->op), err);

	if (rc < 0)
		return rc;
	switch (req->op) {
	case CTL_OP_STREAM_ADD:
		return streams_get(root, req, true, err);
	case CTL_OP_STREAM_DEL:
	case CTL_OP_STREAM_GET:
		return uint_need(root, "", "stream", INT64_MAX, &req->stream_id, err);
	case CTL_OP_STREAM_LIST:
		return list_args(root, req, err);
	case CTL_OP_MIKEY_INSTALL:
		return imsg_get(root, req, err);
	default:
		return 0;
	}
}

static int
header_get(json_t *root, struct ctl_req *req, struct ctl_err *err)
{
	uint64_t v = 0, id = 0;
	int rc;

	if (!json_is_object(root))
		return ctl_err_set(err, -CTL_E_TYPE, "a request is a JSON object, not %s",
				   type_name(root));
	rc = uint_get(root, "", "id", INT64_MAX, &id, err);
	if (rc < 0)
		return rc;
	req->id = (int64_t)id;
	rc = uint_get(root, "", "v", UINT32_MAX, &v, err);
	if (rc == 1)
		return ctl_err_set(err, -CTL_E_VERSION, "v is missing: this daemon speaks v %d",
				   CTL_PROTO_VERSION);
	if (rc < 0 || v != CTL_PROTO_VERSION)
		return ctl_err_set(err, -CTL_E_VERSION, "this daemon speaks v %d",
				   CTL_PROTO_VERSION);
	return op_get(root, req, err);
}

int
ctl_msg_decode(struct ctl_req *req, uint8_t *buf, size_t len, struct ctl_err *err)
{
	json_error_t je;
	json_t *root;
	int rc;

	memset(req, 0, sizeof(*req));
	err->code = 0;
	err->msg[0] = '\0';
	if (!ctl_json_wiping()) {
		sodium_memzero(buf, len);
		return ctl_err_set(err, -CTL_E_ARG, "ctl_json_init() was not called");
	}
	if (len > CTL_MSG_MAX) {
		sodium_memzero(buf, len);
		return ctl_err_set(err, -CTL_E_TOO_BIG, "a request is at most %u octets",
				   CTL_MSG_MAX);
	}
	root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
	sodium_memzero(buf, len);
	if (root == NULL) {
		char why[CTL_ERRMSG_MAX];

		ctl_json_error_text(&je, why, sizeof(why));	/* never the token: a key */
		return ctl_err_set(err, -CTL_E_JSON, "%s", why);
	}
	rc = header_get(root, req, err);
	if (rc == 0)
		rc = args_get(root, req, err);
	json_decref(root);	/* wiped as freed (ctl_json_init), or with the request's arena */
	if (rc < 0) {
		int64_t id = req->id;

		ctl_req_fini(req);
		req->id = id;
	}
	return rc < 0 ? rc : 0;
}

void
ctl_req_fini(struct ctl_req *req)
{
	if (req == NULL)
		return;
	if (req->lent) {
		sodium_memzero(req->streams, req->n_streams * sizeof(*req->streams));
		if (req->mk != NULL)
			sodium_memzero(req->mk, req->n_streams * sizeof(*req->mk));
		atomic_flag_clear(&batch_lent);
	} else if (req->streams != NULL) {
		sodium_munlock(req->streams, req->n_streams * sizeof(*req->streams));	/* wipes */
		free(req->streams);
	}
	if (req->imsg != NULL) {
		sodium_memzero(req->imsg, CTL_IMSG_MAX);
		free(req->imsg);
	}
	if (!req->lent)
		free(req->mk);
	if (req->initiators != NULL) {
		unsigned int i;

		for (i = 0; i < req->n_initiators; i++)
			free(req->initiators[i]);
		free(req->initiators);
	}
	memset(req, 0, sizeof(*req));
}
