/* SPDX-License-Identifier: proprietary */
#include "dp_error.h"
#include "dp_verdict.h"

static const char *const verdict_names[DP_V_COUNT] = {
#define NAME(n, c, d) [DP_V_##n] = c,
	DP_VERDICTS(NAME)
#undef NAME
};

static const char *const verdict_descs[DP_V_COUNT] = {
#define DESC(n, c, d) [DP_V_##n] = d,
	DP_VERDICTS(DESC)
#undef DESC
};

static const char *const error_strs[DP_E_COUNT] = {
	[DP_E_NONE] = "success",
#define STR(n, s) [DP_E_##n] = s,
	DP_ERRORS(STR)
#undef STR
};

const char *
dp_verdict_name(unsigned int v)
{
	return v < DP_V_COUNT ? verdict_names[v] : "?";
}

const char *
dp_verdict_describe(unsigned int v)
{
	return v < DP_V_COUNT ? verdict_descs[v] : "unknown verdict";
}

const char *
dp_strerror(int rc)
{
	unsigned int e = rc < 0 ? (unsigned int)-rc : (unsigned int)rc;

	return e < DP_E_COUNT ? error_strs[e] : "unknown error";
}
