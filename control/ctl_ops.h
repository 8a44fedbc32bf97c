/* SPDX-License-Identifier: proprietary */
/*
 * The operations of control.sock, on a decoded request: each fills the reply
 * object or an error. Control thread only (the dp_ control API's thread).
 * Never puts key material into a reply or a log line.
 */
#ifndef CTL_OPS_H
#define CTL_OPS_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "ctl_msg.h"
#include "dp.h"

struct ctl_keys;
struct ctl_marks;
struct ctl_prot;

struct ctl_ops {
	struct dp *dp;
	struct ctl_keys *keys;		/* NULL: no key store (mikey.install refused) */
	FILE *log;			/* one line per stream add/delete; NULL: silent */
	bool shutdown;			/* set by the shutdown op */
	uint64_t requests, refused;	/* served, and of those answered with an error */
	/*
	 * Restart safety (ctl_marks.h): every protect stream's index runs under
	 * a limit that was synced to |marks| first. |marks| is borrowed. NULL
	 * with |marks_off| set: protect installs are refused with that sentence;
	 * NULL and no |marks_off|: an in-memory store is made on first use
	 * (in-process users, tests; ctl_ops_fini frees it).
	 */
	struct ctl_marks *marks;
	const char *marks_off;
	struct ctl_marks *marks_own;	/* the in-memory store made here */
	struct ctl_prot *prot;		/* installed protect streams and their mark keys */
	unsigned int n_prot, cap_prot, rr;
	uint64_t tick_us;		/* when the last index pass ran (monotonic, us) */
	uint64_t marks_errors;		/* tick: marks that could not be advanced or synced */
};

/*
 * Run |req| and add the reply's fields to |reply|. A batch is all or
 * nothing: on a failure the streams it added are removed again.
 * Returns 0, or a -CTL_E_ code with |err| set (-CTL_E_NOTFOUND, -CTL_E_EXISTS,
 * -CTL_E_LIMIT, -CTL_E_BUSY, -CTL_E_DATAPLANE, -CTL_E_NOMEM, -CTL_E_NOKEYS,
 * -CTL_E_KEYSTORE, -CTL_E_MIKEY, -CTL_E_VALUE).
 */
MUST_CHECK int
ctl_ops_run(struct ctl_ops *c, struct ctl_req *req, json_t *reply, struct ctl_err *err);

/*
 * Install the |n| specs of |sp| (keys wiped on every path), all or none; ids
 * into |ids|. On failure what was added is removed and |err| names the entry.
 */
MUST_CHECK int
ctl_streams_install(struct ctl_ops *c, struct dp_stream_spec *sp, unsigned int n, uint64_t *ids,
		    struct ctl_err *err);

/*
 * Keep every protect stream's index limit ahead of its use: read each one's
 * next index (round robin, a bounded number per call), advance the marks of
 * those that need room, sync once, then raise their limits. Call it from the
 * control loop on every turn; never blocks a worker (a late tick only makes
 * the workers hold packets, counted index_held). Control thread.
 */
void
ctl_ops_tick(struct ctl_ops *c);

/*
 * The heap policy of a process that serves installs (mcpxd, bench_control):
 * engine contexts are malloc'd and freed at up to thousands a second, and a
 * heap that gives its top back to the kernel after each burst of removes
 * page-faults it in again (a fault, and a TLB shootdown to every worker core,
 * per page) on the next burst of installs. Keep freed memory instead. Call
 * once at start, before threads.
 */
void
ctl_heap_keep(void);

/* Free what the ops keep (the protect table, an in-memory store made here). */
void
ctl_ops_fini(struct ctl_ops *c);

/* A stream's public description (never key material), for get, list and installs. */
json_t *
ctl_stream_json(const struct dp_stream_info *si, bool counters);

/* Hex of |n| octets of public data (MKI, key id) as a JSON string. */
json_t *
ctl_hex_json(const uint8_t *b, size_t n);

/* Microseconds of CLOCK_MONOTONIC: the control loop's pacing clock. */
uint64_t
ctl_mono_us(void);

#endif /* CTL_OPS_H */
