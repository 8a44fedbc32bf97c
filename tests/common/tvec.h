/* SPDX-License-Identifier: proprietary */
/*
 * Test vectors as data: tests/vectors/ (JSON files), copied unchanged from the
 * project's verified set and read here with jansson. Tests never retype them.
 */
#ifndef TVEC_H
#define TVEC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Full path of a file in tests/vectors (MCPX_VECTORS, set by meson test). */
const char *
tvec_path(const char *file);

/* Load |file| (e.g. "srtp-rfc3711.json"); the test fails if it cannot. */
json_t *
tvec_load(const char *file);

/* The record of "vectors" named |name|; the test fails if it is missing. */
json_t *
tvec_find(json_t *root, const char *name);

/* The string at |path| ("a.b.c", object keys), failing the test if absent. */
const char *
tvec_str(json_t *obj, const char *path);

/* Decode the hex string at |path| into a fresh buffer (free()); sets |*len|. */
uint8_t *
tvec_hex(json_t *obj, const char *path, size_t *len);

/* Decode the hex string at |path| into |out|, which must be exactly |len| long. */
void
tvec_hex_into(json_t *obj, const char *path, uint8_t *out, size_t len);

/* A big-endian hex field (_u16, _u32, _u48) as an integer. */
uint64_t
tvec_uint(json_t *obj, const char *path);

/* Decode a hex string; returns the length or -1. */
long
tvec_unhex(const char *hex, uint8_t *out, size_t cap);

#endif /* TVEC_H */
