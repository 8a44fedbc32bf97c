/* SPDX-License-Identifier: proprietary */
/*
 * Key periods (TS 33.179 F.2.1, spec/3gpp-mc-security.md §1.5):
 *
 *   KeyPeriodNo = floor((T - UserKeyOffset) / UserKeyPeriod)
 *
 * with T in seconds since 1900-01-01 00:00:00 UTC (the NTP epoch), NOT the
 * Unix epoch (an interop pitfall the digest records). Period length and offset
 * come from the KMS certificate. Times here are 64-bit seconds, so no NTP era
 * wraps in 2036; a 32-bit NTP timestamp (MIKEY T payload) must be placed in
 * its era by the caller.
 */
#ifndef KEYS_PERIOD_H
#define KEYS_PERIOD_H

#include <stddef.h>
#include <stdint.h>

#include "keys_error.h"

/* Seconds from 1900-01-01 to 1970-01-01 (RFC 5905). */
#define KEYS_NTP_UNIX_OFFSET 2208988800ull

/*
 * |*t1900| = |unix_time| + KEYS_NTP_UNIX_OFFSET.
 * Returns 0, -KEYS_E_ARG (NULL), -KEYS_E_RANGE (before 1900).
 */
MUST_CHECK int
keys_ntp_from_unix(uint64_t *t1900, int64_t unix_time);

/*
 * Key period number at |t1900| (seconds since 1900).
 * Returns 0, -KEYS_E_ARG (NULL, |period_len| 0),
 * -KEYS_E_RANGE (|t1900| before |period_offset|).
 */
MUST_CHECK int
keys_period_no(uint64_t *no, uint64_t t1900, uint64_t period_len, uint64_t period_offset);

/* The same from a Unix time. Returns as keys_ntp_from_unix() and keys_period_no(). */
MUST_CHECK int
keys_period_no_unix(uint64_t *no, int64_t unix_time, uint64_t period_len,
		    uint64_t period_offset);

/*
 * First second (since 1900) of period |no|: offset + no * period_len, so that
 * a key set for the next period can be fetched ahead of time.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE (does not fit 64 bits).
 */
MUST_CHECK int
keys_period_start(uint64_t *t1900, uint64_t no, uint64_t period_len, uint64_t period_offset);

#endif /* KEYS_PERIOD_H */
