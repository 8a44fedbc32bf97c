/* SPDX-License-Identifier: proprietary */
#include <limits.h>

#include "ctl_error.h"

static const char *const sentences[CTL_E_COUNT] = {
	[CTL_E_NONE] = "success",
#define CTL_ERROR_STR(n, c, s) [CTL_E_##n] = s,
	CTL_ERRORS(CTL_ERROR_STR)
#undef CTL_ERROR_STR
};

static const char *const codes[CTL_E_COUNT] = {
	[CTL_E_NONE] = "ok",
#define CTL_ERROR_CODE(n, c, s) [CTL_E_##n] = c,
	CTL_ERRORS(CTL_ERROR_CODE)
#undef CTL_ERROR_CODE
};

static int
index_of(int rc)
{
	if (rc < 0)
		rc = rc == INT_MIN ? CTL_E_ARG : -rc;
	return rc < CTL_E_COUNT ? rc : CTL_E_ARG;
}

const char *
ctl_strerror(int rc)
{
	return sentences[index_of(rc)];
}

const char *
ctl_errcode(int rc)
{
	return codes[index_of(rc)];
}
