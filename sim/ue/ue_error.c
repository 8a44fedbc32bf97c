/* SPDX-License-Identifier: proprietary */
#include "ue_error.h"

static const char *const strs[UE_E_COUNT] = {
	[UE_E_NONE] = "success",
#define STR(n, s) [UE_E_##n] = s,
	UE_ERRORS(STR)
#undef STR
};

const char *
ue_strerror(int rc)
{
	unsigned int e = rc < 0 ? (unsigned int)-rc : (unsigned int)rc;

	return e < UE_E_COUNT ? strs[e] : "unknown error";
}
