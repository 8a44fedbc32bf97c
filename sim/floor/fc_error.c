/* SPDX-License-Identifier: proprietary */
#include "fc_error.h"

static const char *const strs[FC_E_COUNT] = {
	[FC_E_NONE] = "success",
#define STR(n, s) [FC_E_##n] = s,
	FC_ERRORS(STR)
#undef STR
};

static const char *const names[FC_E_COUNT] = {
	[FC_E_NONE] = "NONE",
#define NAME(n, s) [FC_E_##n] = #n,
	FC_ERRORS(NAME)
#undef NAME
};

static unsigned int
code_of(int rc)
{
	return rc < 0 ? (unsigned int)-rc : (unsigned int)rc;
}

const char *
fc_strerror(int rc)
{
	unsigned int e = code_of(rc);

	return e < FC_E_COUNT ? strs[e] : "unknown error";
}

const char *
fc_errname(int rc)
{
	unsigned int e = code_of(rc);

	return e < FC_E_COUNT ? names[e] : "UNKNOWN";
}
