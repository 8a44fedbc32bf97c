/* SPDX-License-Identifier: proprietary */
#include "keys_period.h"

int
keys_ntp_from_unix(uint64_t *t1900, int64_t unix_time)
{
	if (t1900 == NULL)
		return -KEYS_E_ARG;
	if (unix_time < -(int64_t)KEYS_NTP_UNIX_OFFSET)
		return -KEYS_E_RANGE;
	/* two's complement wrap lands on the right value for negative Unix times */
	*t1900 = (uint64_t)unix_time + KEYS_NTP_UNIX_OFFSET;
	return 0;
}

int
keys_period_no(uint64_t *no, uint64_t t1900, uint64_t period_len, uint64_t period_offset)
{
	if (no == NULL || period_len == 0)
		return -KEYS_E_ARG;
	if (t1900 < period_offset)
		return -KEYS_E_RANGE;
	*no = (t1900 - period_offset) / period_len;	/* F.2.1 */
	return 0;
}

int
keys_period_no_unix(uint64_t *no, int64_t unix_time, uint64_t period_len,
		    uint64_t period_offset)
{
	uint64_t t;
	int rc;

	rc = keys_ntp_from_unix(&t, unix_time);
	if (rc < 0)
		return rc;
	return keys_period_no(no, t, period_len, period_offset);
}

int
keys_period_start(uint64_t *t1900, uint64_t no, uint64_t period_len, uint64_t period_offset)
{
	if (t1900 == NULL || period_len == 0)
		return -KEYS_E_ARG;
	if (no > (UINT64_MAX - period_offset) / period_len)
		return -KEYS_E_RANGE;
	*t1900 = period_offset + no * period_len;
	return 0;
}
