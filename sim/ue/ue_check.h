/* SPDX-License-Identifier: proprietary */
/*
 * What a run of mcpx-ue must show to pass (exit status 0), and its report as
 * one JSON object (docs/client-simulator.md lists both).
 */
#ifndef UE_CHECK_H
#define UE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ue.h"

struct ue_expect {
	uint32_t senders;		/* media heard from at least this many senders */
	uint64_t frames;		/* at least this many frames verified from each */
	bool allow_gaps;		/* missing frames are not a failure */
	bool allow_drops;		/* refused packets are not a failure */
};

/* Packets refused, every key and protocol together (all verdicts but FWD). */
uint64_t
ue_drops(const struct ue *u);

/*
 * The number of checks that failed; the first one's reason goes to |why|
 * (|cap| octets, may be 0).
 */
unsigned int
ue_check(const struct ue *u, const struct ue_expect *e, char *why, size_t cap);

/* The report of |u| (a new object; NULL when out of memory). */
json_t *
ue_report_json(const struct ue *u, const struct ue_expect *e);

#endif /* UE_CHECK_H */
