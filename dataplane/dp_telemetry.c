/* SPDX-License-Identifier: proprietary */
/*
 * The counters through DPDK telemetry (usertools/dpdk-telemetry.py, or any
 * client of <runtime dir>/dpdk_telemetry.v2):
 *   /mcpx/counters        totals, per port and per worker, one key per verdict
 *   /mcpx/streams         the number of streams and up to 511 stream ids
 *   /mcpx/stream,<id>     one stream: direction, protocol, SSRC, owner, verdicts;
 *                         protect: index_next, index_limit, standby
 * Callbacks run on telemetry's thread: they take dp->lock, which the control
 * API also takes; workers never do.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "dp_internal.h"

static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dp *tel_dp;
static bool registered;

static void
add_verdicts(struct rte_tel_data *d, const uint64_t *v)
{
	unsigned int i;

	for (i = 0; i < DP_V_COUNT; i++)
		rte_tel_data_add_dict_u64(d, dp_verdict_name(i), v[i]);
}

static struct rte_tel_data *
port_dict(struct dp *dp, unsigned int p)
{
	struct rte_tel_data *d = rte_tel_data_alloc();
	struct dp_port_counters c;

	if (d == NULL || dp_port_counters_read(dp, p, &c) != 0)
		return d;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "port_id", dp->port_id[p]);
	rte_tel_data_add_dict_string(d, "side", (p & 1) ? "plain" : "secure");
	rte_tel_data_add_dict_u64(d, "rx", c.rx);
	rte_tel_data_add_dict_u64(d, "tx", c.tx);
	rte_tel_data_add_dict_u64(d, "tx_full", c.tx_full);
	rte_tel_data_add_dict_u64(d, "rx_missed", c.rx_missed);
	add_verdicts(d, c.v);
	return d;
}

static struct rte_tel_data *
worker_dict(const struct dp_worker_counters *c)
{
	struct rte_tel_data *d = rte_tel_data_alloc();

	if (d == NULL)
		return NULL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx", c->rx);
	add_verdicts(d, c->v);
	rte_tel_data_add_dict_u64(d, "handoff_out", c->handoff_out);
	rte_tel_data_add_dict_u64(d, "handoff_in", c->handoff_in);
	rte_tel_data_add_dict_u64(d, "handoff_full", c->handoff_full);
	rte_tel_data_add_dict_u64(d, "punt_full", c->punt_full);
	rte_tel_data_add_dict_u64(d, "punt_limited", c->punt_limited);
	rte_tel_data_add_dict_u64(d, "copies", c->copies);
	rte_tel_data_add_dict_u64(d, "index_held", c->index_held);
	rte_tel_data_add_dict_u64(d, "cmds", c->cmds);
	rte_tel_data_add_dict_u64(d, "cmd_errors", c->cmd_errors);
	rte_tel_data_add_dict_u64(d, "busy_cycles", c->busy_cycles);
	rte_tel_data_add_dict_u64(d, "busy_loops", c->busy_loops);
	rte_tel_data_add_dict_u64(d, "cmd_cycles", c->cmd_cycles);
	return d;
}

static int
tel_counters(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_worker_counters c;
	struct rte_tel_data *sub;
	char name[32];
	unsigned int i;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&tel_lock);
	if (tel_dp == NULL) {
		pthread_mutex_unlock(&tel_lock);
		return -1;
	}
	rte_tel_data_start_dict(d);
	dp_counters_total(tel_dp, &c);
	sub = worker_dict(&c);
	if (sub != NULL)
		rte_tel_data_add_dict_container(d, "total", sub, 0);
	for (i = 0; i < tel_dp->n_ports; i++) {
		sub = port_dict(tel_dp, i);
		snprintf(name, sizeof(name), "port%u", i);
		if (sub != NULL)
			rte_tel_data_add_dict_container(d, name, sub, 0);
	}
	/*
	 * Each worker by itself (/mcpx/worker,N): a reply is at most 16 KiB
	 * (DPDK's max_output_len), and 16 workers' dicts beside 8 ports' pass
	 * it once the counters run to 15 digits; DPDK drops what does not fit
	 * without a word.
	 */
	rte_tel_data_add_dict_u64(d, "workers", tel_dp->n_workers);
	rte_tel_data_add_dict_u64(d, "streams", dp_stream_count(tel_dp));
	rte_tel_data_add_dict_u64(d, "streams_refused", dp_streams_refused(tel_dp));
	pthread_mutex_unlock(&tel_lock);
	return 0;
}

static int
tel_worker(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_worker_counters c;
	struct rte_tel_data *sub;
	unsigned long n;
	char *end;
	int rc;

	(void)cmd;
	if (params == NULL || *params < '0' || *params > '9')
		return -1;
	n = strtoul(params, &end, 10);
	if (*end != '\0' || n > DP_MAX_WORKERS)
		return -1;
	pthread_mutex_lock(&tel_lock);
	rc = tel_dp == NULL ? -1 : dp_worker_counters_read(tel_dp, (unsigned int)n, &c);
	pthread_mutex_unlock(&tel_lock);
	if (rc != 0)
		return -1;
	sub = worker_dict(&c);
	if (sub == NULL)
		return -1;
	/* Its dict under "counters": the same fields as /mcpx/counters' total. */
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "worker", n);
	rte_tel_data_add_dict_container(d, "counters", sub, 0);
	return 0;
}

static int
tel_streams(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint64_t ids[RTE_TEL_MAX_ARRAY_ENTRIES - 1];
	struct rte_tel_data *arr;
	uint32_t cur = 0;
	unsigned int n, i;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&tel_lock);
	if (tel_dp == NULL) {
		pthread_mutex_unlock(&tel_lock);
		return -1;
	}
	n = dp_stream_list(tel_dp, ids, RTE_DIM(ids), &cur);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "count", dp_stream_count(tel_dp));
	arr = rte_tel_data_alloc();
	if (arr != NULL) {
		rte_tel_data_start_array(arr, RTE_TEL_U64_VAL);
		for (i = 0; i < n; i++)
			rte_tel_data_add_array_u64(arr, ids[i]);
		rte_tel_data_add_dict_container(d, "ids", arr, 0);
	}
	pthread_mutex_unlock(&tel_lock);
	return 0;
}

/* A parameter that is decimal digits only (no sign, space or base prefix) and fits 64 bits. */
static bool
decimal_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static int
tel_stream(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_stream_info si;
	struct rte_tel_data *v;
	uint64_t id;
	int rc;

	(void)cmd;
	if (!decimal_u64(params, &id))
		return -1;
	pthread_mutex_lock(&tel_lock);
	rc = tel_dp == NULL ? -1 : dp_stream_get(tel_dp, id, &si);
	pthread_mutex_unlock(&tel_lock);
	if (rc != 0)
		return -1;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "id", si.id);
	rte_tel_data_add_dict_string(d, "dir", si.params.dir == DP_SRTP_DIR_PROTECT ? "protect"
										   : "unprotect");
	rte_tel_data_add_dict_string(d, "proto", si.params.proto == DP_SRTP_PROTO_RTP ? "rtp"
										   : "rtcp");
	rte_tel_data_add_dict_string(d, "profile", dp_srtp_profile_info(si.params.profile)->name);
	rte_tel_data_add_dict_u64(d, "ssrc", si.params.ssrc);
	rte_tel_data_add_dict_u64(d, "mki_len", si.params.mki_len);
	rte_tel_data_add_dict_u64(d, "owner", si.owner);
	rte_tel_data_add_dict_u64(d, "members", si.n_members);
	rte_tel_data_add_dict_u64(d, "copies", si.copies);
	if (si.params.dir == DP_SRTP_DIR_PROTECT) {
		rte_tel_data_add_dict_u64(d, "index_next", si.index_next);
		rte_tel_data_add_dict_u64(d, "index_limit", si.index_limit);
		rte_tel_data_add_dict_u64(d, "standby", si.standby);
	}
	v = rte_tel_data_alloc();
	if (v != NULL) {
		rte_tel_data_start_dict(v);
		add_verdicts(v, si.v);
		rte_tel_data_add_dict_container(d, "verdicts", v, 0);
	}
	return 0;
}

void
dp_telemetry_register(struct dp *dp)
{
	pthread_mutex_lock(&tel_lock);
	tel_dp = dp;
	if (!registered) {
		/* Commands cannot be unregistered: they outlive a dp and find tel_dp NULL. */
		registered = true;
		rte_telemetry_register_cmd("/mcpx/counters", tel_counters,
					   "mcpx counters: total, per port (verdicts), workers. No parameters");
		rte_telemetry_register_cmd("/mcpx/worker", tel_worker,
					   "one mcpx worker's counters. Parameter: worker number");
		rte_telemetry_register_cmd("/mcpx/streams", tel_streams,
					   "mcpx streams: count and ids. No parameters");
		rte_telemetry_register_cmd("/mcpx/stream", tel_stream,
					   "one mcpx stream and its verdicts. Parameter: id");
	}
	pthread_mutex_unlock(&tel_lock);
}

void
dp_telemetry_unregister(struct dp *dp)
{
	pthread_mutex_lock(&tel_lock);
	if (tel_dp == dp)
		tel_dp = NULL;
	pthread_mutex_unlock(&tel_lock);
}
