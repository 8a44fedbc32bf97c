/* SPDX-License-Identifier: proprietary */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "tvec.h"

#ifndef MCPX_VECTORS_DEFAULT
#define MCPX_VECTORS_DEFAULT "tests/vectors"
#endif

const char *
tvec_path(const char *file)
{
	static char buf[4096];
	const char *dir = getenv("MCPX_VECTORS");

	snprintf(buf, sizeof(buf), "%s/%s", dir != NULL ? dir : MCPX_VECTORS_DEFAULT, file);
	return buf;
}

json_t *
tvec_load(const char *file)
{
	json_error_t err;
	json_t *root = json_load_file(tvec_path(file), 0, &err);

	cr_assert_not_null(root, "cannot load %s: %s (line %d)", tvec_path(file), err.text,
			   err.line);
	return root;
}

json_t *
tvec_find(json_t *root, const char *name)
{
	json_t *arr = json_object_get(root, "vectors"), *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		const char *n = json_string_value(json_object_get(v, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return v;
	}
	cr_assert_fail("vector %s not found", name);
	return NULL;
}

static json_t *
walk(json_t *obj, const char *path)
{
	char key[256];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		size_t n = (size_t)(dot - path);

		cr_assert_lt(n, sizeof(key));
		memcpy(key, path, n);
		key[n] = '\0';
		obj = json_object_get(obj, key);
		path = dot + 1;
	}
	return json_object_get(obj, path);
}

const char *
tvec_str(json_t *obj, const char *path)
{
	const char *s = json_string_value(walk(obj, path));

	cr_assert_not_null(s, "vector field %s missing", path);
	return s;
}

long
tvec_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex), i;

	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (uint8_t)b;
	}
	return (long)(n / 2);
}

uint8_t *
tvec_hex(json_t *obj, const char *path, size_t *len)
{
	const char *s = tvec_str(obj, path);
	size_t cap = strlen(s) / 2 + 1;
	uint8_t *buf = malloc(cap);
	long n;

	cr_assert_not_null(buf);
	n = tvec_unhex(s, buf, cap);
	cr_assert_geq(n, 0, "field %s is not hex", path);
	*len = (size_t)n;
	return buf;
}

void
tvec_hex_into(json_t *obj, const char *path, uint8_t *out, size_t len)
{
	long n = tvec_unhex(tvec_str(obj, path), out, len);

	cr_assert_eq(n, (long)len, "field %s: %ld octets, expected %zu", path, n, len);
}

uint64_t
tvec_uint(json_t *obj, const char *path)
{
	uint8_t b[8];
	long n = tvec_unhex(tvec_str(obj, path), b, sizeof(b));
	uint64_t v = 0;
	long i;

	cr_assert_geq(n, 1, "field %s is not a hex integer", path);
	for (i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}
