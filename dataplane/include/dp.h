/* SPDX-License-Identifier: proprietary */
/*
 * The dataplane: port pairs in bump-in-the-wire mode, worker lcores that
 * protect and unprotect MCPTT media and floor control inline, stream tables,
 * the slow path and the counters. docs/deployment.md is the user's guide;
 * docs/architecture.md says how the pieces fit.
 *
 * Threads. "Control thread" below means one thread, the one that called
 * dp_new(): it alone installs and removes streams and keys, polls the slow
 * path and reclaims memory. Workers run on EAL worker lcores. DPDK telemetry
 * callbacks run on telemetry's own thread and take a mutex that the control
 * API also takes (never a worker).
 *
 * Publication: each worker has a single-producer ring of commands (install,
 * remove) that it applies at the top of its loop; its tables are its own. A
 * removed stream is freed (context wiped) once every worker it was sent to
 * has applied the removal: the worker's "applied" count is its quiescent
 * report, so no worker ever holds a freed context.
 */
#ifndef DP_H
#define DP_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_error.h"
#include "dp_srtp.h"
#include "dp_verdict.h"

#define DP_MAX_PAIRS 4
#define DP_MAX_PORTS (2 * DP_MAX_PAIRS)
#define DP_MAX_WORKERS 16
#define DP_BURST 32
#define DP_STREAM_MAX_MEMBERS 16
/*
 * Stream contexts at most (dp_config.max_streams). Keeps a port's references
 * (a protect stream's members, an unprotect stream, a key) inside 32 bits:
 * 2^26 x 16 + 2^20 keys < 2^32.
 */
#define DP_MAX_STREAMS (1u << 26)
#define DP_FIRST_MAX 2048	/* dp_stream_spec.first: octets at most */
#define DP_KEY_ID_LEN 4

enum dp_policy {
	DP_POLICY_PASS,		/* send on unchanged: verdict PASS */
	DP_POLICY_DROP,		/* drop: DROP_POLICY (other, unmatched) or DROP_FRAG */
};

enum dp_side {
	DP_SIDE_SECURE,		/* SRTP/SRTCP: toward the MCPTT clients */
	DP_SIDE_PLAIN,		/* RTP/RTCP: toward the non-e2e MCPTT server */
};

struct dp_port_pair {
	uint16_t secure;	/* ethdev port ids */
	uint16_t plain;
};

struct dp_config {
	unsigned int n_pairs;
	struct dp_port_pair pairs[DP_MAX_PAIRS];
	unsigned int n_workers;		/* worker lcores: the first n EAL worker lcores */
	unsigned int backend;		/* enum dp_srtp_backend_id */
	uint32_t n_mbufs;		/* 0: sized from the queues, rings and workers */
	uint16_t rx_desc, tx_desc;	/* 0: 1024 */
	uint32_t max_streams;		/* stream contexts, all workers: 0 = 4096 */
	uint32_t max_keys;		/* known keys (key ids): 0 = 1024 */
	uint32_t max_streams_per_key;	/* default cap of a key's streams: 0 = 256 */
	uint32_t punt_ring_size;	/* slow-path ring: 0 = 1024 */
	uint32_t punt_rate;		/* punts per second, the whole appliance, split over the
					   workers exactly: 0 = 1000, else at least n_workers */
	uint32_t handoff_ring_size;	/* per worker pair: 0 = 1024 */
	uint32_t cmd_ring_size;		/* per worker: 0 = 4096 */
	uint32_t copy_cache;		/* copy-cache slots (protect, several members): 0 = 1024 */
	uint32_t idle_sleep_us;		/* sleep when a loop found nothing: 0 = busy poll */
	enum dp_policy other;		/* non-UDP and non-IP frames (ARP, TCP, ICMP ...) */
	enum dp_policy unmatched;	/* UDP not on a media port (SIP, ...) */
	enum dp_policy frag;		/* IP fragments */
	bool no_telemetry;		/* don't register /mcpx/ telemetry commands */
};

/* A port's counters: one per verdict, and the frames seen. */
struct dp_port_counters {
	uint64_t rx;
	uint64_t tx;
	uint64_t tx_full;		/* not taken by the TX queue: freed */
	uint64_t v[DP_V_COUNT];		/* per verdict, packets that came in on this port */
	uint64_t rx_missed;		/* lost by the port before mcpxd saw them: its ring was
					   full, or no mbuf (ethdev imissed + rx_nombuf); read
					   from the PMD by dp_port_counters_read */
};

/* A worker's counters. */
struct dp_worker_counters {
	uint64_t rx;
	uint64_t v[DP_V_COUNT];		/* verdicts given on this worker */
	uint64_t handoff_out;		/* packets sent to their owner */
	uint64_t handoff_in;		/* packets received from another worker */
	uint64_t handoff_full;		/* the owner's ring was full: dropped (DROP_POLICY) */
	uint64_t punt_full;		/* the punt ring was full (verdict PUNT, freed) */
	uint64_t punt_limited;		/* over the punt rate (verdict PUNT, freed) */
	uint64_t copies;		/* protect: an identical copy reused a ciphertext */
	uint64_t index_held;		/* protect: packets held back by their stream's index limit */
	uint64_t cmds;			/* commands applied */
	uint64_t cmd_errors;		/* commands that could not be applied (never expected) */
	uint64_t loops;
	uint64_t busy_cycles;		/* TSC cycles of loops that moved a packet: the worker's
					   work, without its idle polls (capacity = packets / this) */
	uint64_t busy_loops;		/* loops that moved a packet (packets per such loop:
					   the bursts the worker saw) */
	uint64_t cmd_cycles;		/* TSC cycles spent applying commands (installs,
					   removes): over elapsed cycles, the share of the
					   worker's time control traffic takes from packets */
};

/*
 * A known key: its id is the MKI's first 4 octets (GMK-ID of GMK-ID || GUK-ID;
 * PCK-ID; CSK-ID). A secure-side packet whose MKI names a known key but no
 * stream is punted (slow path); one naming no known key is DROP_NOCTX.
 */
struct dp_key_spec {
	uint8_t id[DP_KEY_ID_LEN];
	enum dp_srtp_profile profile;
	uint8_t mki_len;		/* 4 or 8 */
	uint16_t rcc_r;			/* RCCm3 rate of its SRTP packets, 0 = none */
	uint16_t port;			/* secure-side UDP destination port; 0 = any */
	uint32_t max_streams;		/* 0 = the configured default */
};

/* A plain-side destination of a protect stream. */
struct dp_member {
	uint8_t addr[16];		/* IPv6, or IPv4 as ::ffff:a.b.c.d */
	uint16_t port;			/* UDP destination port, not 0 (-DP_E_ARG) */
};

/*
 * A stream: one engine context, one direction, one protocol. params.dir:
 * UNPROTECT (secure -> plain), looked up by MKI and SSRC on the secure side;
 * PROTECT (plain -> secure), looked up by (member address, member port,
 * SSRC) on the plain side, every member sharing the one context (the
 * server's copies of one group stream).
 */
struct dp_stream_spec {
	struct dp_srtp_params params;	/* master key and salt: wiped by dp_stream_add */
	uint16_t port;			/* unprotect: secure-side UDP destination port, 0 any */
	unsigned int n_members;		/* protect: 1..DP_STREAM_MAX_MEMBERS */
	struct dp_member members[DP_STREAM_MAX_MEMBERS];
	uint64_t index_limit;	/* protect: packets whose index is >= this are held back
				   (verdict DROP_POLICY, worker counter index_held);
				   0 = no limit. dp_stream_index_limit() raises it. */
	bool standby;		/* protect: made and owned, but not looked up on the plain side
				   until dp_stream_switch() gives it an active stream's place */
	const uint8_t *first;	/* unprotect: an SRTP/SRTCP packet already received (a punted
				   one, |first_len| octets up to DP_FIRST_MAX, left as it is),
				   which the new context must accept before it is installed
				   (else -DP_E_AUTH): it then counts as seen, so a replay of
				   it is refused. NULL: none */
	uint32_t first_len;
};

struct dp_stream_info {
	uint64_t id;
	struct dp_srtp_params params;	/* keys zeroed */
	uint16_t port;
	unsigned int n_members;
	struct dp_member members[DP_STREAM_MAX_MEMBERS];
	unsigned int owner;		/* the worker that owns the context */
	uint32_t roc;			/* not read while workers run: 0 */
	uint64_t v[DP_V_COUNT];		/* packets of this stream, per verdict */
	uint64_t copies;
	uint64_t index_next;	/* protect: 1 + the highest index used (sent or held), 0 none */
	uint64_t index_limit;	/* protect: as set; 0 = none */
	bool standby;
};

/* What a punted packet looks like to the control thread (valid during the call). */
struct dp_punt_info {
	const uint8_t *frame;		/* the whole frame as received */
	uint32_t frame_len;
	uint32_t srtp_off;		/* where the SRTP/SRTCP packet starts in frame */
	uint32_t srtp_len;
	uint16_t in_port;		/* ethdev port it came in on (secure side) */
	uint8_t proto;			/* enum dp_srtp_proto */
	uint8_t mki_len;
	uint8_t mki[DP_SRTP_MAX_MKI_LEN];
	uint32_t ssrc;
	struct dp_key_spec key;		/* the known key its MKI names */
};

typedef void (*dp_punt_cb)(void *arg, const struct dp_punt_info *p);

struct dp;

/* A config with every default. */
void
dp_config_default(struct dp_config *cfg);

/*
 * Set up ports (queues, mempool, start), tables, rings and telemetry on an
 * initialised EAL with at least |n_workers| worker lcores. dp_srtp_global_init
 * must have run. Control thread. Returns 0 and sets |*out|, or -DP_E_ARG,
 * -DP_E_NOMEM, -DP_E_PORT, -DP_E_BACKEND.
 */
MUST_CHECK int
dp_new(struct dp **out, const struct dp_config *cfg);

/*
 * Launch the workers. -DP_E_STATE if running, or if a worker's lcore is busy
 * with something else (those launched are stopped again: nothing runs, and
 * dp_start may be called again); -DP_E_ARG if lcores are missing.
 */
MUST_CHECK int
dp_start(struct dp *dp);

/*
 * Stop the workers: they stop receiving, hand over and process what they
 * hold, flush TX, and return. Then the commands still queued are applied and
 * removed streams reclaimed. Idempotent.
 */
void
dp_stop(struct dp *dp);

/*
 * Stop, stop the ports (the caller closes them: they outlive a dp), wipe and
 * free every context. NULL is fine.
 */
void
dp_free(struct dp *dp);

/* Ask the workers to stop from a signal handler (async-signal-safe). */
void
dp_request_stop(struct dp *dp);

bool
dp_stop_requested(const struct dp *dp);

/*
 * Register a known key. Control thread. 0, -DP_E_ARG, -DP_E_MKILEN,
 * -DP_E_PROFILE, -DP_E_EXISTS (registered by an earlier dp_key_add: nothing
 * changed), -DP_E_LIMIT, -DP_E_FULL, -DP_E_NOMEM.
 *
 * A key id that only dp_stream_add registered (implicitly, with its first
 * stream's port and the default cap) becomes this call's: it takes |k|'s
 * port and max_streams (streams it has already stay, even over the cap) and
 * returns 0, and from then on it stays when its last stream is removed
 * (until dp_key_del). Its layout is its streams': a |k| of another profile,
 * MKI length or rcc_r is -DP_E_ARG, nothing changed.
 */
MUST_CHECK int
dp_key_add(struct dp *dp, const struct dp_key_spec *k);

/*
 * Forget a known key; -DP_E_NOTFOUND, -DP_E_FULL, or -DP_E_STATE: streams
 * still use it, so it stays, but as theirs: it goes with the last of them,
 * as a key dp_stream_add made (the registration's port and cap stay until
 * then).
 */
MUST_CHECK int
dp_key_del(struct dp *dp, const uint8_t id[DP_KEY_ID_LEN]);

/*
 * Install a stream: make its engine context, pick its owner, publish it.
 * The master key and salt in |spec| are wiped on every path. An unprotect
 * stream's key id is registered with the stream's layout if not known yet,
 * and counts against that key's stream cap. Control thread. Returns 0 and
 * sets |*id_out|, or -DP_E_ARG, -DP_E_MKILEN (unprotect needs an MKI of 4 or
 * 8), -DP_E_EXISTS, -DP_E_LIMIT, -DP_E_FULL, -DP_E_AUTH (spec.first), or the
 * engine's codes.
 */
MUST_CHECK int
dp_stream_add(struct dp *dp, struct dp_stream_spec *spec, uint64_t *id_out);

/* Remove a stream; its context is wiped and freed once the workers let go. */
MUST_CHECK int
dp_stream_del(struct dp *dp, uint64_t id);

/* A stream's parameters (keys zeroed) and counters. -DP_E_NOTFOUND. */
MUST_CHECK int
dp_stream_get(struct dp *dp, uint64_t id, struct dp_stream_info *out);

/*
 * A protect stream's index: *next = 1 + the highest index it has used, sent or held (0 if none;
 * read while the workers run, may lag by a burst), *limit = its limit (0 none); either pointer
 * may be NULL. Control thread. 0 or -DP_E_NOTFOUND, -DP_E_ARG (not a protect stream).
 */
MUST_CHECK int
dp_stream_index(struct dp *dp, uint64_t id, uint64_t *next, uint64_t *limit);

/*
 * Set a protect stream's index limit (0 = none). Takes effect on the owner's next packet
 * (an atomic store, no command). Control thread. 0 or -DP_E_NOTFOUND, -DP_E_ARG.
 */
MUST_CHECK int
dp_stream_index_limit(struct dp *dp, uint64_t id, uint64_t limit);

/*
 * Make standby protect stream |new_id| take the plain-side place (members, SSRC, proto) of
 * active protect stream |old_id|, in one command per worker: from that command on, every
 * worker sends those packets to |new_id|'s context (make-before-break: no packet is lost or
 * sent under neither). |old_id| becomes standby (not removed: dp_stream_del it when done).
 * The two must have the same proto, SSRC and member set. Control thread.
 * 0, -DP_E_NOTFOUND, -DP_E_ARG (not protect, not standby/active as required, lookups differ),
 * -DP_E_FULL (a command ring is full: nothing changed).
 *
 * |new_id| takes |old_id|'s owner worker (a standby stream made while an active one holds
 * its place is given that owner from the start), so a packet handed to the owner before
 * the switch meets the same worker after it.
 */
MUST_CHECK int
dp_stream_switch(struct dp *dp, uint64_t old_id, uint64_t new_id);

/*
 * Up to |max| stream ids into |ids|, continuing from |*cursor| (0 to start);
 * returns how many. The cursor stays valid across adds and removes, with the
 * usual caveat of a hash walk (an entry may be seen twice or missed).
 */
unsigned int
dp_stream_list(struct dp *dp, uint64_t *ids, unsigned int max, uint32_t *cursor);

/* Streams installed now. */
unsigned int
dp_stream_count(struct dp *dp);

/*
 * Wait (up to |timeout_ms|) until every worker has applied every command
 * sent so far, and reclaim what they let go. 0 or -DP_E_STATE (timeout).
 */
MUST_CHECK int
dp_sync(struct dp *dp, unsigned int timeout_ms);

/* Free what the workers have let go of. Control thread; cheap, call it often. */
void
dp_reclaim(struct dp *dp);

/*
 * Hand up to |max| punted packets to |cb|, then free them; returns how many.
 * Control thread. The control issue derives the sender's key (GUK-ID) and
 * installs the stream only if that packet authenticates under it.
 */
unsigned int
dp_punt_poll(struct dp *dp, dp_punt_cb cb, void *arg, unsigned int max);

/* Counters. |port| is an index into the ports (pair p: 2p secure, 2p+1 plain). */
MUST_CHECK int
dp_port_counters_read(struct dp *dp, unsigned int port, struct dp_port_counters *out);

MUST_CHECK int
dp_worker_counters_read(struct dp *dp, unsigned int worker, struct dp_worker_counters *out);

/* The sum over workers. */
void
dp_counters_total(struct dp *dp, struct dp_worker_counters *out);

/*
 * What a full burst costs the worker: bursts[c] counts its loops that moved
 * exactly DP_BURST packets and took c TSC cycles a packet, from RX to TX (the
 * last bucket: that many or more, their own sum in |over|). With traffic on
 * several queues such a loop may be made of smaller bursts, and loops of
 * more are left out: the measure is for one busy queue a worker, as in
 * bench_dataplane. The busy rate (forwarded packets over
 * busy_cycles) is a mean over every loop with work, so each moment the core
 * was taken from the worker (an interrupt, another tenant of the host) moves
 * it; the percentiles of this show the worker's own cost apart from those
 * moments, and move far less between runs on a shared machine
 * (docs/performance.md).
 */
#define DP_COST_BUCKETS 4096u

struct dp_cost_hist {
	uint64_t bursts[DP_COST_BUCKETS];	/* [c]: full bursts at c cycles a packet
						   (floored); the last: that many or more */
	uint64_t over;				/* the last bucket's cycles a packet, summed */
};

MUST_CHECK int
dp_worker_cost_hist(struct dp *dp, unsigned int worker, struct dp_cost_hist *out);

/* Keys refused because of a key's stream cap (dp_stream_add -> -DP_E_LIMIT). */
uint64_t
dp_streams_refused(struct dp *dp);

unsigned int
dp_n_workers(const struct dp *dp);

/* The engine backend every context of |dp| runs on (enum dp_srtp_backend_id). */
unsigned int
dp_backend(const struct dp *dp);

/* The ethdev port id of port index |port|, or UINT16_MAX. */
uint16_t
dp_port_id(const struct dp *dp, unsigned int port);

#endif /* DP_H */
