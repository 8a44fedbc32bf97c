/* SPDX-License-Identifier: proprietary */
/*
 * Inside the dataplane: the structures the control side (dp_ctl.c), the
 * workers (dp_worker.c) and telemetry (dp_telemetry.c) share. Not installed.
 */
#ifndef DP_INTERNAL_H
#define DP_INTERNAL_H

#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "dp.h"
#include "dp_parse.h"
#include "dp_table.h"

#define DP_MAX_LAYOUTS 16
#define DP_MAX_RXQ (DP_MAX_PORTS * 2)
#define DP_COPY_SLOT 4096	/* plaintext and ciphertext of one RTP packet */
#define DP_PORT_NONE 0xffff

/* Commands: a pointer to a stream or key record with the operation in its low bits. */
enum dp_cmd_op {
	DP_CMD_STREAM_ADD = 1,
	DP_CMD_STREAM_DEL,
	DP_CMD_KEY_ADD,
	DP_CMD_KEY_DEL,
	DP_CMD_STREAM_SWITCH,	/* the stream takes the place its plain keys name now */
};
#define DP_CMD_OP_MASK 7u

/* A known key: immutable once published (workers read it). */
struct dp_keyrec {
	alignas(64) struct dp_key_spec spec;
	uint32_t n_streams;		/* control thread */
	bool implicit;			/* made by dp_stream_add; goes with its last stream */
	uint64_t free_after[DP_MAX_WORKERS];
	struct dp_keyrec *next_free;
};

/*
 * The packet path reads the first line and writes the second, nothing else
 * (worker prefetches both): the members list and the control thread's
 * fields stay off them.
 */
struct dp_stream {
	/* Immutable once published. */
	alignas(64) uint64_t id;
	struct dp_srtp_ctx *ctx;
	struct dp_keyrec *key;		/* unprotect: its known key */
	/* Read by the owner, set by the control thread (dp_stream_index_limit): 0 none. */
	_Atomic uint64_t index_limit;
	uint32_t ssrc;
	uint32_t overhead;
	uint16_t owner;
	uint16_t port;
	uint8_t dir;			/* enum dp_srtp_dir */
	uint8_t proto;			/* enum dp_srtp_proto */
	uint8_t mki_len;
	bool cache_copies;		/* protect RTP to several members */
	uint8_t mki[DP_SRTP_MAX_MKI_LEN];
	unsigned int n_members;

	/* Written by the owner only: the fields every protected packet touches first. */
	alignas(64) _Atomic uint64_t index_next;	/* protect: 1 + the highest index sent; 0 none */
	uint64_t burst_gen;		/* the burst that protected pend_seq */
	void *cache;			/* copy cache slot (mempool object) or NULL */
	uint64_t cache_index;		/* the index of the cached ciphertext */
	uint64_t copies;
	uint16_t pend_seq;
	uint16_t pend_idx;
	uint16_t cache_seq;
	uint8_t cache_valid;
	uint64_t v[DP_V_COUNT];		/* FWD, PASS on the line above, the drops after */

	/* Immutable once published, cold: the control thread and stream_keys read it. */
	alignas(64) struct dp_member members[DP_STREAM_MAX_MEMBERS];

	/* Control thread. */
	alignas(64) uint32_t sent_to;	/* bit per worker sent a command naming it */
	bool standby;			/* protect: no plain-side entries (dp_stream_switch) */
	uint64_t free_after[DP_MAX_WORKERS];	/* per worker: its last command naming it */
	struct dp_stream *next_free;
};

static_assert(offsetof(struct dp_stream, index_next) == 64, "dp_stream: hot lines");
static_assert(offsetof(struct dp_stream, v) + (DP_V_PASS + 1) * sizeof(uint64_t) <= 128,
	      "dp_stream: FWD and PASS counters on the owner's first line");

/* Where a key id's MKI sits: the worker tries each installed layout. */
struct dp_layout {
	uint8_t profile;
	uint8_t mki_len;
	uint16_t rcc_r;
	uint32_t refs;
};

struct dp_rxq {
	uint16_t port_id;
	uint16_t queue;
	uint8_t port_idx;
};

struct dp_txbuf {
	uint16_t n;
	struct rte_mbuf *m[DP_BURST * 2];
};

struct dp_worker {
	alignas(64) struct dp *dp;
	unsigned int id;
	unsigned int lcore;
	unsigned int n_rxq;
	struct dp_rxq rxq[DP_MAX_RXQ];
	struct rte_ring *cmd;			/* control -> this worker, SP/SC */
	struct rte_ring *in[DP_MAX_WORKERS];	/* handoff from worker i to this one, SP/SC */

	struct dp_table tab;			/* secure (owned) and plain (all) stream keys */
	struct dp_table keys;			/* known keys, by key id */
	struct dp_layout layouts[DP_MAX_LAYOUTS];
	unsigned int n_layouts;
	uint32_t sec_any;			/* keys with port 0 */
	uint32_t plain_any;			/* members with port 0 */
	/* [65536] references per port: 32 bits, as 16 would wrap to "unused" (DP_MAX_STREAMS) */
	uint32_t *sec_ports;			/* keys and unprotect streams, per secure-side port */
	uint32_t *plain_ports;			/* protect streams' members, per plain-side port */

	uint64_t burst_gen;
	uint64_t punt_count;			/* punts in the current second */
	uint64_t punt_last_tsc;
	uint64_t punt_cap;			/* punts per second on this worker */

	struct dp_txbuf tx[DP_MAX_PORTS];
	struct dp_txbuf ho[DP_MAX_WORKERS];

	/* Counters: written by this worker only, read by anyone (64-bit: no torn reads). */
	alignas(64) struct dp_worker_counters c;
	struct dp_port_counters pc[DP_MAX_PORTS];
	struct dp_cost_hist cost;		/* dp_worker_cost_hist: two lines touched a burst */

	alignas(64) _Atomic uint64_t applied;	/* commands applied: the quiescent report */
	_Atomic int state;			/* 0 idle, 1 running, 2 draining done */
	uint64_t sent;				/* control thread: commands sent */
};

struct dp {
	struct dp_config cfg;
	unsigned int n_ports;
	uint16_t port_id[DP_MAX_PORTS];		/* index 2p: secure, 2p+1: plain */
	uint8_t port_idx_of[RTE_MAX_ETHPORTS];	/* ethdev id -> index, 0xff none */
	uint16_t nb_txq[DP_MAX_PORTS];
	uint16_t nb_rxq[DP_MAX_PORTS];
	bool tx_cksum_offload[DP_MAX_PORTS];
	struct rte_mempool *pool;
	struct rte_mempool *copy_pool;
	struct rte_ring *punt;			/* workers -> control, MP/SC */
	uint64_t tsc_hz;

	unsigned int n_workers;
	struct dp_worker *w[DP_MAX_WORKERS];

	volatile sig_atomic_t stop;
	_Atomic int stop_rx;			/* phase 1 of a stop: no more RX */
	_Atomic unsigned int quiesced;		/* workers past their last RX */
	bool running;
	unsigned int n_launched;		/* workers dp_start launched (dp_stop waits for) */
	bool ports_started;

	/* Control thread. */
	pthread_mutex_t lock;			/* control API vs telemetry */
	struct dp_table ids;			/* stream id -> stream */
	struct dp_table ctlkeys;		/* secure and plain keys -> stream (duplicates) */
	uint32_t w_entries[DP_MAX_WORKERS];	/* entries in each worker's table */
	struct dp_table keyids;			/* key id -> dp_keyrec */
	uint64_t next_id;
	uint32_t n_streams;
	uint64_t refused;
	struct dp_stream *garbage;
	struct dp_keyrec *garbage_keys;
	void *mem_ids, *mem_keyids, *mem_ctlkeys;
	unsigned int instance;
};

/* dp_worker.c */
int
dp_worker_main(void *arg);
void
dp_worker_apply(struct dp_worker *w, uintptr_t cmd);
/* Apply every queued command; returns how many. */
unsigned int
dp_worker_drain_cmds(struct dp_worker *w);

/* dp_telemetry.c */
void
dp_telemetry_register(struct dp *dp);
void
dp_telemetry_unregister(struct dp *dp);

#endif /* DP_INTERNAL_H */
