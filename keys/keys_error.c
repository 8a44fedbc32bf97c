/* SPDX-License-Identifier: proprietary */
#include "keys_error.h"

static const char *const strs[KEYS_E_COUNT] = {
	[KEYS_E_NONE] = "success",
#define STR(n, s) [KEYS_E_##n] = s,
	KEYS_ERRORS(STR)
#undef STR
};

const char *
keys_strerror(int rc)
{
	unsigned int e = rc < 0 ? (unsigned int)-rc : (unsigned int)rc;

	return e < KEYS_E_COUNT ? strs[e] : "unknown error";
}
