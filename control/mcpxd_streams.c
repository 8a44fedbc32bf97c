/* SPDX-License-Identifier: proprietary */
/*
 * The streams file (docs/deployment.md):
 *   {"keys":    [{"id": "0df9bc39", "profile": "AEAD_AES_128_GCM", "mki_len": 8,
 *                 "rcc_r": 1, "port": 5004, "max_streams": 64}, ...],
 *    "streams": [{"dir": "unprotect" | "protect", "proto": "rtp" | "rtcp",
 *                 "profile": "...", "master_key": "hex", "master_salt": "hex",
 *                 "mki": "hex", "ssrc": 305419896 | "0x12345678", "roc": 0,
 *                 "rcc_r": 1, "replay_window": 128, "port": 5004,
 *                 "members": [{"addr": "10.0.0.2", "port": 5004}, ...]},
 *                {"mikey": "<base64 I_MESSAGE>" | "mikey_file": "gmk.mikey",
 *                 "purpose": 0, "initiators": ["sip:gms@example.org"],
 *                 "streams": [<what mikey.install takes>]}, ...]}
 *
 * A MIKEY entry is a mikey.install request (docs/control-protocol.md) run at
 * start: mcpxd opens the I_MESSAGE with its --key-store and derives the keys,
 * so such a file holds no key at all.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "ctl_keys.h"
#include "ctl_msg.h"
#include "ctl_ops.h"
#include "mcpxd_streams.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

/* Wipe a JSON string in place: it may have held a key. */
static void
json_wipe(json_t *s)
{
	if (json_is_string(s))
		sodium_memzero((char *)(uintptr_t)json_string_value(s), json_string_length(s));
}

static int
hex_field(json_t *o, const char *name, uint8_t *out, size_t max, size_t *len)
{
	json_t *v = json_object_get(o, name);
	const char *s;
	size_t n;

	*len = 0;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (sodium_hex2bin(out, max, s, json_string_length(v), NULL, &n, NULL) != 0)
		return -1;
	*len = n;
	return 0;
}

static int
uint_field(json_t *o, const char *name, uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    (uint64_t)json_integer_value(v) <= max) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && json_string_length(v) == strlen(json_string_value(v)) &&
	    ctl_uint_parse(json_string_value(v), max, out) == 0)
		return 0;	/* decimal or 0x-hex: never octal */
	return -1;
}

static int
profile_field(json_t *o, int *profile)
{
	json_t *v = json_object_get(o, "profile");

	*profile = dp_srtp_profile_from_name(json_is_string(v) ? json_string_value(v)
							       : "AEAD_AES_128_GCM");
	return *profile < 0 ? -1 : 0;
}

static int
key_load(struct dp *dp, json_t *o, unsigned int i, char *err, size_t errlen)
{
	struct dp_key_spec k;
	uint64_t mki_len = 8, rcc = 0, port = 0, max = 0;
	const char *bad = NULL;
	int profile = 0, rc;
	size_t n;

	memset(&k, 0, sizeof(k));
	if (!json_is_object(o))
		bad = "not an object";
	else if (hex_field(o, "id", k.id, sizeof(k.id), &n) != 0 || n != 4)
		bad = "id: missing or not 8 hex digits";
	else if (profile_field(o, &profile) != 0)
		bad = "profile: not a profile name";
	else if (uint_field(o, "mki_len", 8, &mki_len) != 0)
		bad = "mki_len: bad value (4 or 8)";
	else if (uint_field(o, "rcc_r", UINT16_MAX, &rcc) != 0)
		bad = "rcc_r: bad value (0..65535)";
	else if (uint_field(o, "port", UINT16_MAX, &port) != 0)
		bad = "port: bad value (0..65535)";
	else if (uint_field(o, "max_streams", UINT32_MAX, &max) != 0)
		bad = "max_streams: bad value";
	if (bad != NULL) {
		ERR("keys[%u]%s%s", i, json_is_object(o) ? "." : ": ", bad);
		return -DP_E_ARG;
	}
	k.profile = (enum dp_srtp_profile)profile;
	k.mki_len = (uint8_t)mki_len;
	k.rcc_r = (uint16_t)rcc;
	k.port = (uint16_t)port;
	k.max_streams = (uint32_t)max;
	rc = dp_key_add(dp, &k);
	if (rc < 0)
		ERR("keys[%u]: %s", i, dp_strerror(rc));
	return rc;
}

/* A raw-key stream: through the control install path, so a protect stream gets its index marks. */
static int
stream_load(struct ctl_ops *ops, json_t *o, unsigned int i, char *err, size_t errlen)
{
	struct dp_stream_spec sp;
	struct ctl_err ce;
	uint64_t id;
	int rc;

	if (ctl_stream_decode(o, true, &sp, &ce) < 0) {
		ERR("streams[%u]: %s", i, ce.msg);
		rc = -DP_E_ARG;
		goto out;
	}
	rc = ctl_streams_install(ops, &sp, 1, &id, &ce);	/* wipes sp's key and salt */
	if (rc < 0)
		ERR("streams[%u]: %s", i, ce.msg);
out:
	json_wipe(json_object_get(o, "master_key"));
	json_wipe(json_object_get(o, "master_salt"));
	sodium_memzero(&sp, sizeof(sp));
	return rc;
}

/*
 * |path| whole into a locked buffer with a NUL after it (the streams file
 * holds raw keys). free_file() wipes it.
 */
static int
read_file(const char *path, char **out, size_t *out_len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;
	int rc = -DP_E_ARG;

	*out = NULL;
	if (f == NULL) {
		ERR("%s: %s", path, strerror(errno));
		return -DP_E_ARG;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || len > (1l << 30) ||
	    fseek(f, 0, SEEK_SET) != 0) {
		ERR("%s: cannot size the file", path);
		goto out;
	}
	buf = malloc((size_t)len + 1);
	if (buf == NULL) {
		ERR("%s: out of memory", path);
		rc = -DP_E_NOMEM;
		goto out;
	}
	(void)sodium_mlock(buf, (size_t)len + 1);	/* keys: no swap, no core dump */
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		ERR("%s: read error", path);
		sodium_munlock(buf, (size_t)len + 1);
		free(buf);
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = (size_t)len;
	rc = 0;
out:
	fclose(f);
	return rc;
}

static void
free_file(char *buf, size_t len)
{
	if (buf == NULL)
		return;
	sodium_munlock(buf, len + 1);	/* zeroes it */
	free(buf);
}

/* An SDP attribute line (a=key-mgmt:mikey <base64>) or bare base64, trimmed, into |out|. */
static int
b64_text(const char *s, size_t n, json_t **out)
{
	static const char sdp[] = "a=key-mgmt:mikey ";

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	if (n >= sizeof(sdp) - 1 && strncmp(s, sdp, sizeof(sdp) - 1) == 0)
		s += sizeof(sdp) - 1, n -= sizeof(sdp) - 1;
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		n--;
	*out = n != 0 ? json_stringn(s, n) : NULL;
	return *out != NULL ? 0 : -1;
}

/*
 * The I_MESSAGE of a MIKEY entry as the base64 string mikey.install takes:
 * "mikey" (base64, or the SDP line), or "mikey_file" (the raw octets, as
 * mcpxctl --msg takes, or that text), relative to |dir| unless absolute.
 */
static int
imsg_json(json_t *o, const char *dir, json_t **out, char *err, size_t errlen, unsigned int i)
{
	json_t *m = json_object_get(o, "mikey"), *mf = json_object_get(o, "mikey_file");
	char path[4096], *buf = NULL, *b64;
	size_t len = 0, n;
	int rc;

	*out = NULL;
	if ((m != NULL) == (mf != NULL) || (m != NULL && !json_is_string(m)) ||
	    (mf != NULL && !json_is_string(mf))) {
		ERR("streams[%u]: a MIKEY entry has one of mikey (base64) or mikey_file (a path)",
		    i);
		return -DP_E_ARG;
	}
	if (m != NULL) {
		if (b64_text(json_string_value(m), json_string_length(m), out) != 0)
			goto bad;
		return 0;
	}
	if (json_string_value(mf)[0] == '/' || dir == NULL)
		n = (size_t)snprintf(path, sizeof(path), "%s", json_string_value(mf));
	else
		n = (size_t)snprintf(path, sizeof(path), "%s/%s", dir, json_string_value(mf));
	if (n >= sizeof(path)) {
		ERR("streams[%u].mikey_file: path too long", i);
		return -DP_E_ARG;
	}
	rc = read_file(path, &buf, &len, err, errlen);
	if (rc < 0) {
		char m2[256];

		snprintf(m2, sizeof(m2), "%s", err);
		ERR("streams[%u].mikey_file: %s", i, m2);
		return rc;
	}
	if (len > 0 && len <= CTL_IMSG_MAX && buf[0] == 0x01) {
		/* RFC 3830 §6.1: version 1 opens the common header, so raw octets. */
		n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
		b64 = malloc(n);
		if (b64 != NULL) {
			sodium_bin2base64(b64, n, (const unsigned char *)buf, len,
					  sodium_base64_VARIANT_ORIGINAL);
			*out = json_string(b64);
			free(b64);
		}
	} else if (len <= 2 * CTL_IMSG_MAX) {
		(void)b64_text(buf, len, out);
	}
	free_file(buf, len);
	if (*out != NULL)
		return 0;
bad:
	ERR("streams[%u]: the I_MESSAGE is neither MIKEY octets nor base64 of at most %u", i,
	    CTL_IMSG_MAX);
	return -DP_E_ARG;
}

/*
 * A MIKEY entry: the mikey.install request it stands for, decoded and run
 * as control.sock would (ctl_msg_decode, ctl_keys_install), all or nothing.
 */
static int
mikey_load(struct ctl_ops *ops, json_t *o, unsigned int i, const char *dir, char *err,
	   size_t errlen)
{
	struct ctl_req req;
	struct ctl_err ce;
	json_t *r, *imsg, *reply;
	char *text;
	int rc;

	if (ops->keys == NULL) {
		ERR("streams[%u]: a MIKEY entry needs mcpxd's --key-store", i);
		return -DP_E_ARG;
	}
	rc = imsg_json(o, dir, &imsg, err, errlen, i);
	if (rc < 0)
		return rc;
	r = json_deep_copy(o);
	if (r == NULL) {
		json_decref(imsg);
		ERR("streams[%u]: out of memory", i);
		return -DP_E_NOMEM;
	}
	json_object_del(r, "mikey");
	json_object_del(r, "mikey_file");
	json_object_set_new(r, "i_message", imsg);
	json_object_set_new(r, "v", json_integer(CTL_PROTO_VERSION));
	json_object_set_new(r, "op", json_string(ctl_op_name(CTL_OP_MIKEY_INSTALL)));
	text = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	if (text == NULL) {
		ERR("streams[%u]: out of memory", i);
		return -DP_E_NOMEM;
	}
	rc = ctl_msg_decode(&req, (uint8_t *)text, strlen(text), &ce);	/* wipes text */
	ctl_json_free(text);
	if (rc == 0) {
		reply = json_object();
		rc = reply != NULL ? ctl_keys_install(ops->keys, ops, &req, reply, &ce)
				   : ctl_err_set(&ce, -CTL_E_NOMEM, "out of memory");
		json_decref(reply);
		ctl_req_fini(&req);
	}
	if (rc < 0) {
		ERR("streams[%u] (MIKEY): %s", i, ce.msg);
		return rc == -CTL_E_NOMEM ? -DP_E_NOMEM : -DP_E_ARG;
	}
	return 0;
}

int
mcpxd_streams_load_buf(struct ctl_ops *ops, char *buf, size_t len, const char *dir, char *err,
		       size_t errlen)
{
	json_error_t je;
	json_t *root, *arr, *o;
	size_t i;
	int rc = 0;

	root = json_loadb(buf, len, 0, &je);
	sodium_memzero(buf, len);
	if (root == NULL) {
		char why[200];

		ctl_json_error_text(&je, why, sizeof(why));	/* never the token: a key */
		ERR("%s", why);
		return -DP_E_ARG;
	}
	arr = json_object_get(root, "keys");
	json_array_foreach(arr, i, o) {
		rc = key_load(ops->dp, o, (unsigned int)i, err, errlen);
		if (rc < 0)
			break;
	}
	arr = json_object_get(root, "streams");
	json_array_foreach(arr, i, o) {
		bool mikey = json_object_get(o, "mikey") != NULL ||
			     json_object_get(o, "mikey_file") != NULL;

		if (rc == 0 && mikey)
			rc = mikey_load(ops, o, (unsigned int)i, dir, err, errlen);
		else if (rc == 0)
			rc = stream_load(ops, o, (unsigned int)i, err, errlen);
		json_wipe(json_object_get(o, "master_key"));
		json_wipe(json_object_get(o, "master_salt"));
	}
	json_decref(root);
	return rc;
}

int
mcpxd_streams_load(struct ctl_ops *ops, const char *path, char *err, size_t errlen)
{
	char *buf, *slash, dir[4096];
	size_t len;
	int rc;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	rc = read_file(path, &buf, &len, err, errlen);
	if (rc < 0)
		return rc;
	rc = mcpxd_streams_load_buf(ops, buf, len, slash != NULL ? dir : NULL, err, errlen);
	free_file(buf, len);
	return rc;
}
