/* SPDX-License-Identifier: proprietary */
/*
 * The streams file (docs/deployment.md):
 *   {"keys":    [{"id": "0df9bc39", "profile": "AEAD_AES_128_GCM", "mki_len": 8,
 *                 "rcc_r": 1, "port": 5004, "max_streams": 64}, ...],
 *    "streams": [{"dir": "unprotect" | "protect", "proto": "rtp" | "rtcp",
 *                 "profile": "...", "master_key": "hex", "master_salt": "hex",
 *                 "mki": "hex", "ssrc": 305419896 | "0x12345678", "roc": 0,
 *                 "rcc_r": 1, "replay_window": 128, "port": 5004,
 *                 "members": [{"addr": "10.0.0.2", "port": 5004}, ...]}, ...]}
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "ctl_msg.h"
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
	char *end;

	if (v == NULL)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    (uint64_t)json_integer_value(v) <= max) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		errno = 0;
		*out = strtoull(json_string_value(v), &end, 0);
		if (errno == 0 && *end == '\0' && *out <= max)
			return 0;
	}
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
	int profile, rc;
	size_t n;

	memset(&k, 0, sizeof(k));
	if (!json_is_object(o) || hex_field(o, "id", k.id, sizeof(k.id), &n) != 0 || n != 4 ||
	    profile_field(o, &profile) != 0 || uint_field(o, "mki_len", 8, &mki_len) != 0 ||
	    uint_field(o, "rcc_r", UINT16_MAX, &rcc) != 0 ||
	    uint_field(o, "port", UINT16_MAX, &port) != 0 ||
	    uint_field(o, "max_streams", UINT32_MAX, &max) != 0) {
		ERR("keys[%u]: a field is missing or has a bad value (id: 8 hex digits)", i);
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

static int
stream_load(struct dp *dp, json_t *o, unsigned int i, char *err, size_t errlen)
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
	rc = dp_stream_add(dp, &sp, &id);	/* wipes sp's key and salt */
	if (rc < 0)
		ERR("streams[%u]: %s", i, dp_strerror(rc));
out:
	json_wipe(json_object_get(o, "master_key"));
	json_wipe(json_object_get(o, "master_salt"));
	sodium_memzero(&sp, sizeof(sp));
	return rc;
}

int
mcpxd_streams_load_buf(struct dp *dp, char *buf, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *arr, *o;
	size_t i;
	int rc = 0;

	root = json_loadb(buf, len, 0, &je);
	sodium_memzero(buf, len);
	if (root == NULL) {
		ERR("line %d: %s", je.line, je.text);
		return -DP_E_ARG;
	}
	arr = json_object_get(root, "keys");
	json_array_foreach(arr, i, o) {
		rc = key_load(dp, o, (unsigned int)i, err, errlen);
		if (rc < 0)
			break;
	}
	arr = json_object_get(root, "streams");
	json_array_foreach(arr, i, o) {
		if (rc == 0)
			rc = stream_load(dp, o, (unsigned int)i, err, errlen);
		json_wipe(json_object_get(o, "master_key"));
		json_wipe(json_object_get(o, "master_salt"));
	}
	json_decref(root);
	return rc;
}

int
mcpxd_streams_load(struct dp *dp, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;
	int rc = -DP_E_ARG;

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
		rc = -DP_E_NOMEM;
		goto out;
	}
	(void)sodium_mlock(buf, (size_t)len + 1);	/* keys: no swap, no core dump */
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		ERR("%s: read error", path);
		goto out;
	}
	rc = mcpxd_streams_load_buf(dp, buf, (size_t)len, err, errlen);
out:
	if (buf != NULL) {
		sodium_munlock(buf, (size_t)len + 1);	/* zeroes it */
		free(buf);
	}
	fclose(f);
	return rc;
}
