/* SPDX-License-Identifier: proprietary */
/*
 * Fuzz target: the unsealed key-store container parser (store_parse()).
 * Property: whatever parses re-encodes to exactly the input (the encoding is
 * canonical: every length is exact, nothing may trail), and frees cleanly.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "store.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct store *st;
	uint8_t *out;
	size_t len;

	if (!ready) {
		if (sodium_init() < 0)
			return 0;
		ready = 1;
	}
	if (store_parse(&st, data, size) != 0)
		return 0;
	if (store_encoded_len(st) != size)
		__builtin_trap();
	out = malloc(size + 1);
	if (out != NULL) {
		if (store_encode(st, out, size, &len) != 0 || len != size ||
		    memcmp(out, data, size) != 0)
			__builtin_trap();
		free(out);
	}
	store_free(st);
	return 0;
}
