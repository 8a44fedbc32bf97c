/* SPDX-License-Identifier: proprietary */
/*
 * The control side of the dataplane: ports, mempools, rings, workers, the
 * stream and key tables' publication and reclamation, the slow path and the
 * counters. Control thread only (plus the telemetry thread, under dp->lock).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <sodium.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "dp_internal.h"

RTE_LOG_REGISTER_DEFAULT(dp_logtype, INFO);
#define DP_LOG(lvl, fmt, ...) rte_log(RTE_LOG_##lvl, dp_logtype, "mcpx: " fmt "\n", ##__VA_ARGS__)

static unsigned int instances;

void
dp_config_default(struct dp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->n_workers = 1;
	cfg->backend = DP_SRTP_BACKEND_LIBSRTP;
	cfg->other = DP_POLICY_PASS;
	cfg->unmatched = DP_POLICY_PASS;
	cfg->frag = DP_POLICY_DROP;
}

static void
config_fill(struct dp_config *c)
{
#define DEF(f, v) \
	do { \
		if (c->f == 0) \
			c->f = (v); \
	} while (0)
	DEF(rx_desc, 1024);
	DEF(tx_desc, 1024);
	DEF(max_streams, 4096);
	DEF(max_keys, 1024);
	DEF(max_streams_per_key, 256);
	DEF(punt_ring_size, 1024);
	DEF(punt_rate, 1000);
	DEF(handoff_ring_size, 1024);
	DEF(cmd_ring_size, 4096);
	DEF(copy_cache, 1024);
#undef DEF
}

/*
 * Zeroed memory off the hugepages: tables are large and only touched by one
 * thread. A table of 4 MiB or more is looked up at random by every packet,
 * and with 4 KiB pages every lookup was a TLB miss (a nested page walk in a
 * VM): such tables are 2 MiB-aligned and marked for transparent huge pages
 * (the kernel's THP mode "madvise" or "always"; elsewhere the advice is
 * ignored). At 1,000,000 streams that alone took the worker from about 1.7
 * to 2.3 Mpps (docs/performance.md). Freed with free().
 */
#define ZALLOC_HUGE (4u << 20)
#define HUGE_PAGE (2u << 20)

static void *
zalloc(size_t n)
{
	void *p;

	n = RTE_ALIGN_CEIL(n, 64);
	if (n >= ZALLOC_HUGE) {
		n = RTE_ALIGN_CEIL(n, HUGE_PAGE);
		p = aligned_alloc(HUGE_PAGE, n);
		if (p != NULL)
			(void)madvise(p, n, MADV_HUGEPAGE);	/* advice: no THP, no harm */
	} else {
		p = aligned_alloc(64, n);
	}
	if (p != NULL)
		memset(p, 0, n);
	return p;
}

/* ---- ports ------------------------------------------------------------- */

static int
port_setup(struct dp *dp, unsigned int idx)
{
	/* The IPv4 header checksum is always updated in software (fix_headers). */
	const uint64_t ck = RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	uint16_t pid = dp->port_id[idx], rxd = dp->cfg.rx_desc, txd = dp->cfg.tx_desc, q;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info di;
	struct rte_eth_txconf txc;
	int sock = rte_eth_dev_socket_id(pid), rc;

	if (sock < 0)
		sock = 0;
	if (rte_eth_dev_info_get(pid, &di) != 0)
		return -DP_E_PORT;
	if (di.max_tx_queues < dp->n_workers) {
		DP_LOG(ERR, "port %u has %u TX queues, %u workers need one each", pid,
		       di.max_tx_queues, dp->n_workers);
		return -DP_E_PORT;
	}
	memset(&conf, 0, sizeof(conf));
	dp->nb_txq[idx] = (uint16_t)dp->n_workers;
	dp->nb_rxq[idx] = (uint16_t)RTE_MIN(dp->n_workers, di.max_rx_queues);
	if (dp->nb_rxq[idx] > 1 && di.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) &
						   di.flow_type_rss_offloads;
	}
	if ((di.tx_offload_capa & ck) == ck) {
		conf.txmode.offloads |= ck;
		dp->tx_cksum_offload[idx] = true;
	}
	rc = rte_eth_dev_configure(pid, dp->nb_rxq[idx], dp->nb_txq[idx], &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	for (q = 0; rc == 0 && q < dp->nb_rxq[idx]; q++)
		rc = rte_eth_rx_queue_setup(pid, q, rxd, (unsigned int)sock, NULL, dp->pool);
	txc = di.default_txconf;
	txc.offloads = conf.txmode.offloads;
	for (q = 0; rc == 0 && q < dp->nb_txq[idx]; q++)
		rc = rte_eth_tx_queue_setup(pid, q, txd, (unsigned int)sock, &txc);
	if (rc == 0)
		rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		DP_LOG(ERR, "port %u set-up failed: %s", pid, rte_strerror(-rc));
		return -DP_E_PORT;
	}
	if (rte_eth_promiscuous_enable(pid) != 0)
		DP_LOG(DEBUG, "port %u: no promiscuous mode", pid);
	return 0;
}

static uint32_t
pool_size(const struct dp *dp)
{
	const struct dp_config *c = &dp->cfg;
	uint64_t n = 0;
	unsigned int p;

	for (p = 0; p < dp->n_ports; p++)
		n += (uint64_t)c->rx_desc * dp->n_workers + (uint64_t)c->tx_desc * dp->n_workers;
	n += (uint64_t)dp->n_workers * (DP_BURST * (4 + DP_MAX_PORTS) + 512);
	n += (uint64_t)c->handoff_ring_size * dp->n_workers * dp->n_workers;
	n += c->punt_ring_size + 1024;
	return (uint32_t)RTE_MIN(n, (uint64_t)UINT32_MAX / 2);
}

/* ---- set-up and teardown ---------------------------------------------- */

static int
worker_new(struct dp *dp, unsigned int id, unsigned int lcore)
{
	const struct dp_config *c = &dp->cfg;
	struct dp_worker *w = zalloc(sizeof(*w));
	char name[RTE_RING_NAMESIZE];
	uint32_t entries = c->max_streams * 2u;

	if (w == NULL)
		return -DP_E_NOMEM;
	dp->w[id] = w;
	w->dp = dp;
	w->id = id;
	w->lcore = lcore;
	w->sec_ports = zalloc(65536 * sizeof(w->sec_ports[0]));
	w->plain_ports = zalloc(65536 * sizeof(w->plain_ports[0]));
	w->tab.ent = zalloc(dp_table_mem_size(entries));
	w->keys.ent = zalloc(dp_table_mem_size(c->max_keys));
	if (w->sec_ports == NULL || w->plain_ports == NULL || w->tab.ent == NULL ||
	    w->keys.ent == NULL)
		return -DP_E_NOMEM;
	dp_table_init(&w->tab, w->tab.ent, entries);
	dp_table_init(&w->keys, w->keys.ent, c->max_keys);
	/* The rate split exactly: the first (rate mod workers) take one more. */
	w->punt_cap = c->punt_rate / dp->n_workers + (id < c->punt_rate % dp->n_workers);
	snprintf(name, sizeof(name), "dp%u_cmd%u", dp->instance, id);
	w->cmd = rte_ring_create(name, rte_align32pow2(c->cmd_ring_size), SOCKET_ID_ANY,
				 RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->cmd == NULL)
		return -DP_E_NOMEM;
	return 0;
}

static int
rings_new(struct dp *dp)
{
	char name[RTE_RING_NAMESIZE];
	unsigned int a, b;

	for (b = 0; b < dp->n_workers; b++) {
		for (a = 0; a < dp->n_workers; a++) {
			if (a == b)
				continue;
			snprintf(name, sizeof(name), "dp%u_ho%u_%u", dp->instance, a, b);
			dp->w[b]->in[a] = rte_ring_create(name,
				rte_align32pow2(dp->cfg.handoff_ring_size), SOCKET_ID_ANY,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (dp->w[b]->in[a] == NULL)
				return -DP_E_NOMEM;
		}
	}
	snprintf(name, sizeof(name), "dp%u_punt", dp->instance);
	dp->punt = rte_ring_create(name, rte_align32pow2(dp->cfg.punt_ring_size), SOCKET_ID_ANY,
				   RING_F_SC_DEQ);
	return dp->punt == NULL ? -DP_E_NOMEM : 0;
}

/* Receive queues: queue q of every port goes to worker q. */
static void
rxq_assign(struct dp *dp)
{
	unsigned int p, q;

	for (p = 0; p < dp->n_ports; p++) {
		for (q = 0; q < dp->nb_rxq[p]; q++) {
			struct dp_worker *w = dp->w[q % dp->n_workers];

			w->rxq[w->n_rxq++] = (struct dp_rxq){.port_id = dp->port_id[p],
							     .queue = (uint16_t)q,
							     .port_idx = (uint8_t)p};
		}
	}
}

static int
config_check(const struct dp_config *c)
{
	unsigned int p;

	if (c->n_pairs == 0 || c->n_pairs > DP_MAX_PAIRS || c->n_workers == 0 ||
	    c->n_workers > DP_MAX_WORKERS || c->max_streams > DP_MAX_STREAMS ||
	    c->max_keys > (1u << 20) || c->other > DP_POLICY_DROP ||
	    c->unmatched > DP_POLICY_DROP || c->frag > DP_POLICY_DROP ||
	    (c->punt_rate != 0 && c->punt_rate < c->n_workers))
		return -DP_E_ARG;
	for (p = 0; p < c->n_pairs; p++)
		if (!rte_eth_dev_is_valid_port(c->pairs[p].secure) ||
		    !rte_eth_dev_is_valid_port(c->pairs[p].plain) ||
		    c->pairs[p].secure == c->pairs[p].plain)
			return -DP_E_ARG;
	if (!dp_srtp_backend_available(c->backend))
		return -DP_E_BACKEND;
	return 0;
}

static int
dp_setup(struct dp *dp)
{
	const struct dp_config *c = &dp->cfg;
	unsigned int p, lcore, i = 0;
	char name[RTE_MEMPOOL_NAMESIZE];
	int rc;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i == dp->n_workers)
			break;
		rc = worker_new(dp, i, lcore);
		if (rc < 0)
			return rc;
		i++;
	}
	if (i < dp->n_workers) {
		DP_LOG(ERR, "%u workers need %u EAL worker lcores (-l/--lcores)", dp->n_workers,
		       dp->n_workers);
		return -DP_E_ARG;
	}
	dp->ids.ent = dp->mem_ids = zalloc(dp_table_mem_size(c->max_streams));
	dp->keyids.ent = dp->mem_keyids = zalloc(dp_table_mem_size(c->max_keys));
	dp->ctlkeys.ent = dp->mem_ctlkeys = zalloc(dp_table_mem_size(c->max_streams * 2u));
	if (dp->mem_ids == NULL || dp->mem_keyids == NULL || dp->mem_ctlkeys == NULL)
		return -DP_E_NOMEM;
	dp_table_init(&dp->ids, dp->mem_ids, c->max_streams);
	dp_table_init(&dp->keyids, dp->mem_keyids, c->max_keys);
	dp_table_init(&dp->ctlkeys, dp->mem_ctlkeys, c->max_streams * 2u);
	rc = rings_new(dp);
	if (rc < 0)
		return rc;

	snprintf(name, sizeof(name), "dp%u_mbuf", dp->instance);
	dp->pool = rte_pktmbuf_pool_create(name, c->n_mbufs != 0 ? c->n_mbufs : pool_size(dp),
					   256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	snprintf(name, sizeof(name), "dp%u_copy", dp->instance);
	dp->copy_pool = rte_mempool_create(name, c->copy_cache, DP_COPY_SLOT, 0, 0, NULL, NULL,
					   NULL, NULL, SOCKET_ID_ANY, 0);
	if (dp->pool == NULL || dp->copy_pool == NULL) {
		DP_LOG(ERR, "mempool: %s", rte_strerror(rte_errno));
		return -DP_E_NOMEM;
	}
	for (p = 0; p < dp->n_ports; p++) {
		rc = port_setup(dp, p);
		if (rc < 0)
			return rc;
	}
	dp->ports_started = true;
	rxq_assign(dp);
	return 0;
}

int
dp_new(struct dp **out, const struct dp_config *cfg)
{
	struct dp *dp;
	unsigned int p;
	int rc;

	if (out == NULL || cfg == NULL)
		return -DP_E_ARG;
	rc = config_check(cfg);
	if (rc < 0)
		return rc;
	dp = zalloc(sizeof(*dp));
	if (dp == NULL)
		return -DP_E_NOMEM;
	dp->cfg = *cfg;
	config_fill(&dp->cfg);
	dp->instance = instances++;
	dp->n_workers = cfg->n_workers;
	dp->n_ports = 2 * cfg->n_pairs;
	dp->tsc_hz = rte_get_tsc_hz();
	dp->next_id = 1;
	pthread_mutex_init(&dp->lock, NULL);
	memset(dp->port_idx_of, 0xff, sizeof(dp->port_idx_of));
	for (p = 0; p < cfg->n_pairs; p++) {
		dp->port_id[2 * p] = cfg->pairs[p].secure;
		dp->port_id[2 * p + 1] = cfg->pairs[p].plain;
		dp->port_idx_of[cfg->pairs[p].secure] = (uint8_t)(2 * p);
		dp->port_idx_of[cfg->pairs[p].plain] = (uint8_t)(2 * p + 1);
	}
	rc = dp_setup(dp);
	if (rc < 0) {
		dp_free(dp);
		return rc;
	}
	if (!dp->cfg.no_telemetry)
		dp_telemetry_register(dp);
	*out = dp;
	return 0;
}

int
dp_start(struct dp *dp)
{
	unsigned int i;

	if (dp->running)
		return -DP_E_STATE;
	atomic_store(&dp->stop_rx, 0);
	atomic_store(&dp->quiesced, 0);
	dp->stop = 0;
	dp->running = true;
	for (i = 0; i < dp->n_workers; i++) {
		atomic_store(&dp->w[i]->state, 1);
		if (rte_eal_remote_launch(dp_worker_main, dp->w[i], dp->w[i]->lcore) != 0) {
			DP_LOG(ERR, "lcore %u busy", dp->w[i]->lcore);
			/*
			 * The launched ones drain until every worker is past its
			 * last RX: the others never will be, so count them now.
			 */
			atomic_fetch_add(&dp->quiesced, dp->n_workers - i);
			dp->n_launched = i;
			dp_stop(dp);
			return -DP_E_STATE;
		}
	}
	dp->n_launched = dp->n_workers;
	return 0;
}

void
dp_stop(struct dp *dp)
{
	unsigned int i;

	if (dp == NULL || !dp->running)
		return;
	atomic_store(&dp->stop_rx, 1);
	for (i = 0; i < dp->n_launched; i++)
		rte_eal_wait_lcore(dp->w[i]->lcore);
	pthread_mutex_lock(&dp->lock);
	dp->running = false;
	/* The workers are gone: what they did not apply, apply here. */
	for (i = 0; i < dp->n_workers; i++)
		dp_worker_drain_cmds(dp->w[i]);
	pthread_mutex_unlock(&dp->lock);
	dp_reclaim(dp);
}

void
dp_request_stop(struct dp *dp)
{
	dp->stop = 1;
}

bool
dp_stop_requested(const struct dp *dp)
{
	return dp->stop != 0;
}

unsigned int
dp_n_workers(const struct dp *dp)
{
	return dp->n_workers;
}

unsigned int
dp_backend(const struct dp *dp)
{
	return dp->cfg.backend;
}

uint16_t
dp_port_id(const struct dp *dp, unsigned int port)
{
	return port < dp->n_ports ? dp->port_id[port] : UINT16_MAX;
}

/* ---- reclamation ------------------------------------------------------- */

static void
stream_free(struct dp *dp, struct dp_stream *s)
{
	dp_srtp_ctx_free(s->ctx);	/* wipes the key schedule */
	if (s->cache != NULL) {
		sodium_memzero(s->cache, DP_COPY_SLOT);	/* plaintext media */
		rte_mempool_put(dp->copy_pool, s->cache);
	}
	sodium_memzero(s, sizeof(*s));
	free(s);
}

static bool
released(const struct dp *dp, uint32_t mask, const uint64_t *after)
{
	unsigned int i;

	for (i = 0; i < dp->n_workers; i++)
		if ((mask & (1u << i)) &&
		    atomic_load_explicit(&dp->w[i]->applied, memory_order_acquire) < after[i])
			return false;
	return true;
}

static void
reclaim_locked(struct dp *dp)
{
	struct dp_stream **sp = &dp->garbage;
	struct dp_keyrec **kp = &dp->garbage_keys;
	uint32_t all = (uint32_t)((1ull << dp->n_workers) - 1);

	while (*sp != NULL) {
		struct dp_stream *s = *sp;

		if (released(dp, s->sent_to, s->free_after)) {
			*sp = s->next_free;
			stream_free(dp, s);
		} else {
			sp = &s->next_free;
		}
	}
	while (*kp != NULL) {
		struct dp_keyrec *k = *kp;

		if (released(dp, all, k->free_after)) {
			*kp = k->next_free;
			free(k);
		} else {
			kp = &k->next_free;
		}
	}
}

void
dp_reclaim(struct dp *dp)
{
	pthread_mutex_lock(&dp->lock);
	reclaim_locked(dp);
	pthread_mutex_unlock(&dp->lock);
}

int
dp_sync(struct dp *dp, unsigned int timeout_ms)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * timeout_ms / 1000;
	unsigned int i;

	for (i = 0; i < dp->n_workers; i++) {
		while (atomic_load_explicit(&dp->w[i]->applied, memory_order_acquire) <
		       dp->w[i]->sent) {
			if (rte_get_timer_cycles() > end)
				return -DP_E_STATE;
			rte_delay_us_sleep(50);
		}
	}
	dp_reclaim(dp);
	return 0;
}

/* ---- commands ---------------------------------------------------------- */

/* Room for one command on every worker in |mask|? (The control thread is the only producer.) */
static bool
cmd_room(const struct dp *dp, uint32_t mask, unsigned int n)
{
	unsigned int i;

	if (!dp->running)
		return true;
	for (i = 0; i < dp->n_workers; i++)
		if ((mask & (1u << i)) && rte_ring_free_count(dp->w[i]->cmd) < n)
			return false;
	return true;
}

/*
 * |n| commands to every worker in |mask|, in one bulk enqueue each, so that a
 * worker's drain applies them all before its next burst (a key swapped for
 * another is never missing in between). |after|, if given, gets the sequence
 * number of the first: what the worker must have applied before its object
 * may be freed.
 */
static void
cmd_send_n(struct dp *dp, uint32_t mask, void *const *cmds, unsigned int n, uint64_t *after)
{
	unsigned int i, k;

	for (i = 0; i < dp->n_workers; i++) {
		struct dp_worker *w = dp->w[i];

		if (!(mask & (1u << i)))
			continue;
		if (dp->running) {
			/* cmd_room said there is room: this cannot fail. */
			if (rte_ring_sp_enqueue_bulk(w->cmd, cmds, n, NULL) != n)
				continue;
		} else {
			for (k = 0; k < n; k++)
				dp_worker_apply(w, (uintptr_t)cmds[k]);
			atomic_store_explicit(&w->applied, w->sent + n, memory_order_release);
		}
		if (after != NULL)
			after[i] = w->sent + 1;
		w->sent += n;
	}
}

static void
cmd_send(struct dp *dp, uint32_t mask, enum dp_cmd_op op, void *obj, uint64_t *after)
{
	void *cmd = (void *)((uintptr_t)obj | op);

	cmd_send_n(dp, mask, &cmd, 1, after);
}

/* ---- keys -------------------------------------------------------------- */

static struct dp_keyrec *
key_find(const struct dp *dp, const uint8_t id[DP_KEY_ID_LEN])
{
	const struct dp_tent *e;
	struct dp_key k;

	dp_key_keyid(&k, id);
	e = dp_table_lookup(&dp->keyids, &k);
	return e == NULL ? NULL : e->val;
}

static unsigned int
layouts_with(const struct dp *dp, const struct dp_key_spec *ks)
{
	const struct dp_tent *e;
	struct dp_layout l[DP_MAX_LAYOUTS + 1];
	unsigned int n = 0, i;
	uint32_t cur = 0;
	bool found;

	l[n++] = (struct dp_layout){.profile = (uint8_t)ks->profile, .mki_len = ks->mki_len,
				    .rcc_r = ks->rcc_r};
	while ((e = dp_table_next(&dp->keyids, &cur)) != NULL) {
		const struct dp_keyrec *kr = e->val;

		found = false;
		for (i = 0; i < n && !found; i++)
			found = l[i].profile == kr->spec.profile &&
				l[i].mki_len == kr->spec.mki_len && l[i].rcc_r == kr->spec.rcc_r;
		if (!found && n <= DP_MAX_LAYOUTS)
			l[n++] = (struct dp_layout){.profile = (uint8_t)kr->spec.profile,
						    .mki_len = kr->spec.mki_len,
						    .rcc_r = kr->spec.rcc_r};
	}
	return n;
}

/*
 * dp_key_add of a key that streams made implicitly: from now on it is the
 * caller's, with the cap and port asked for, and stays when its last stream
 * goes. Its layout is its streams' and cannot change. The workers learnt the
 * old port with the key: a new port means a new record, swapped in for the
 * old one in one step per worker, so no packet finds the key missing.
 */
static int
key_make_explicit(struct dp *dp, struct dp_keyrec *kr, const struct dp_key_spec *ks)
{
	uint32_t max = ks->max_streams != 0 ? ks->max_streams : dp->cfg.max_streams_per_key;
	uint32_t all = (uint32_t)((1ull << dp->n_workers) - 1);
	struct dp_keyrec *nk;
	void *swap[2];
	struct dp_stream *s;
	const struct dp_tent *e;
	uint32_t cur = 0;
	struct dp_key k;
	int rc, undo;

	if (kr->spec.profile != ks->profile || kr->spec.mki_len != ks->mki_len ||
	    kr->spec.rcc_r != ks->rcc_r)
		return -DP_E_ARG;	/* one key id, one layout */
	if (kr->spec.port == ks->port) {
		kr->spec.max_streams = max;	/* control thread's field: no command */
		kr->implicit = false;
		return 0;
	}
	if (!cmd_room(dp, all, 2))
		return -DP_E_FULL;
	nk = zalloc(sizeof(*nk));
	if (nk == NULL)
		return -DP_E_NOMEM;
	nk->spec = *ks;
	nk->spec.max_streams = max;
	nk->n_streams = kr->n_streams;
	dp_key_keyid(&k, ks->id);
	dp_table_del(&dp->keyids, &k);
	rc = dp_table_add(&dp->keyids, &k, nk, 0, 0);
	if (rc < 0) {
		/* Not reached (the place was just freed); if it were, undo. */
		free(nk);
		undo = dp_table_add(&dp->keyids, &k, kr, 0, 0);
		return undo < 0 ? undo : rc;
	}
	while ((e = dp_table_next(&dp->ids, &cur)) != NULL) {
		s = e->val;
		if (s->key == kr)
			s->key = nk;	/* workers never read it */
	}
	swap[0] = (void *)((uintptr_t)kr | DP_CMD_KEY_DEL);
	swap[1] = (void *)((uintptr_t)nk | DP_CMD_KEY_ADD);
	cmd_send_n(dp, all, swap, 2, kr->free_after);
	kr->next_free = dp->garbage_keys;
	dp->garbage_keys = kr;
	return 0;
}

static int
key_add_locked(struct dp *dp, const struct dp_key_spec *ks, bool implicit, struct dp_keyrec **out)
{
	uint32_t all = (uint32_t)((1ull << dp->n_workers) - 1);
	struct dp_keyrec *kr;
	struct dp_key k;
	int rc;

	if (dp_srtp_profile_info(ks->profile) == NULL)
		return -DP_E_PROFILE;
	if (ks->mki_len != 4 && ks->mki_len != 8)
		return -DP_E_MKILEN;
	if (ks->rcc_r != 0 && !dp_srtp_profile_info(ks->profile)->aead)
		return -DP_E_RCC;
	kr = key_find(dp, ks->id);
	if (kr != NULL)
		return kr->implicit && !implicit ? key_make_explicit(dp, kr, ks) : -DP_E_EXISTS;
	if (layouts_with(dp, ks) > DP_MAX_LAYOUTS)
		return -DP_E_LIMIT;
	if (!cmd_room(dp, all, 1))
		return -DP_E_FULL;
	kr = zalloc(sizeof(*kr));
	if (kr == NULL)
		return -DP_E_NOMEM;
	kr->spec = *ks;
	if (kr->spec.max_streams == 0)
		kr->spec.max_streams = dp->cfg.max_streams_per_key;
	kr->implicit = implicit;
	dp_key_keyid(&k, ks->id);
	rc = dp_table_add(&dp->keyids, &k, kr, 0, 0);
	if (rc < 0) {
		free(kr);
		return rc;
	}
	cmd_send(dp, all, DP_CMD_KEY_ADD, kr, NULL);
	if (out != NULL)
		*out = kr;
	return 0;
}

int
dp_key_add(struct dp *dp, const struct dp_key_spec *k)
{
	int rc;

	if (dp == NULL || k == NULL)
		return -DP_E_ARG;
	pthread_mutex_lock(&dp->lock);
	rc = key_add_locked(dp, k, false, NULL);
	pthread_mutex_unlock(&dp->lock);
	return rc;
}

static void
key_retire(struct dp *dp, struct dp_keyrec *kr)
{
	uint32_t all = (uint32_t)((1ull << dp->n_workers) - 1);
	struct dp_key k;

	dp_key_keyid(&k, kr->spec.id);
	dp_table_del(&dp->keyids, &k);
	cmd_send(dp, all, DP_CMD_KEY_DEL, kr, kr->free_after);
	kr->next_free = dp->garbage_keys;
	dp->garbage_keys = kr;
}

int
dp_key_del(struct dp *dp, const uint8_t id[DP_KEY_ID_LEN])
{
	struct dp_keyrec *kr;
	int rc = 0;

	if (dp == NULL || id == NULL)
		return -DP_E_ARG;
	pthread_mutex_lock(&dp->lock);
	kr = key_find(dp, id);
	if (kr == NULL) {
		rc = -DP_E_NOTFOUND;
	} else if (kr->n_streams != 0) {
		/*
		 * The registration is withdrawn all the same: the key is its
		 * streams' now and goes with the last of them, as if they had made
		 * it. A caller undoing a dp_key_add that took over an implicit key
		 * (a refused install) leaves nothing behind.
		 */
		kr->implicit = true;
		rc = -DP_E_STATE;
	} else if (!cmd_room(dp, (uint32_t)((1ull << dp->n_workers) - 1), 1)) {
		rc = -DP_E_FULL;
	} else {
		key_retire(dp, kr);
	}
	pthread_mutex_unlock(&dp->lock);
	return rc;
}

/* ---- streams ----------------------------------------------------------- */

/*
 * A member is found by its UDP destination port, which is never 0 on the wire.
 * The workers count a port of 0 as "any" (as a secure-side port may be): a
 * member with one would make every plain-side RTP/RTCP packet a lookup, and the
 * misses DROP_NOCTX instead of following --unmatched.
 */
static bool
members_have_ports(const struct dp_stream_spec *sp)
{
	unsigned int i;

	for (i = 0; i < sp->n_members; i++)
		if (sp->members[i].port == 0)
			return false;
	return true;
}

static int
spec_check(const struct dp *dp, const struct dp_stream_spec *sp)
{
	const struct dp_srtp_params *p = &sp->params;

	if (p->dir != DP_SRTP_DIR_PROTECT && p->dir != DP_SRTP_DIR_UNPROTECT)
		return -DP_E_ARG;
	if (p->proto != DP_SRTP_PROTO_RTP && p->proto != DP_SRTP_PROTO_RTCP)
		return -DP_E_ARG;
	if (dp_srtp_profile_info(p->profile) == NULL)
		return -DP_E_PROFILE;
	if (p->dir == DP_SRTP_DIR_UNPROTECT && p->mki_len != 4 && p->mki_len != 8)
		return -DP_E_MKILEN;	/* the secure side finds streams by MKI */
	if (p->dir == DP_SRTP_DIR_PROTECT &&
	    (sp->n_members == 0 || sp->n_members > DP_STREAM_MAX_MEMBERS))
		return -DP_E_ARG;
	if (p->dir == DP_SRTP_DIR_PROTECT && !members_have_ports(sp))
		return -DP_E_ARG;
	if (p->dir != DP_SRTP_DIR_PROTECT && (sp->standby || sp->index_limit != 0))
		return -DP_E_ARG;	/* both are about what is sent */
	if (sp->first != NULL && (p->dir != DP_SRTP_DIR_UNPROTECT || sp->first_len == 0 ||
				  sp->first_len > DP_FIRST_MAX))
		return -DP_E_ARG;
	if (dp->n_streams >= dp->cfg.max_streams)
		return -DP_E_LIMIT;
	return 0;
}

/*
 * The stream's first packet, through its new context before any worker sees
 * it (a copy: the caller's octets stay as they are; the plaintext is wiped).
 */
static int
first_packet(struct dp_srtp_ctx *c, const struct dp_stream_spec *sp)
{
	uint8_t b[DP_FIRST_MAX];
	uint32_t len = sp->first_len;
	enum dp_verdict v;

	memcpy(b, sp->first, len);
	v = dp_srtp_process(c, b, &len, sizeof(b));
	sodium_memzero(b, sizeof(b));
	return v == DP_V_FWD ? 0 : -DP_E_AUTH;
}

/* The stream's keys in the control index: refuse duplicates before anything is made. */
static int
ctlkeys_add(struct dp *dp, struct dp_stream *s)
{
	struct dp_key k;
	unsigned int i;
	int rc;

	if (s->dir == DP_SRTP_DIR_UNPROTECT) {
		dp_key_secure(&k, s->proto, s->mki, s->mki_len, s->ssrc);
		return dp_table_add(&dp->ctlkeys, &k, s, s->owner, s->id);
	}
	for (i = 0; i < s->n_members; i++) {
		dp_key_plain(&k, s->proto, s->members[i].addr, s->members[i].port, s->ssrc);
		rc = dp_table_add(&dp->ctlkeys, &k, s, s->owner, s->id);
		if (rc < 0) {
			while (i-- > 0) {
				dp_key_plain(&k, s->proto, s->members[i].addr,
					     s->members[i].port, s->ssrc);
				dp_table_del(&dp->ctlkeys, &k);
			}
			return rc;
		}
	}
	return 0;
}

static void
ctlkeys_del(struct dp *dp, const struct dp_stream *s)
{
	struct dp_key k;
	unsigned int i;

	if (s->dir == DP_SRTP_DIR_UNPROTECT) {
		dp_key_secure(&k, s->proto, s->mki, s->mki_len, s->ssrc);
		dp_table_del(&dp->ctlkeys, &k);
		return;
	}
	for (i = 0; i < s->n_members; i++) {
		dp_key_plain(&k, s->proto, s->members[i].addr, s->members[i].port, s->ssrc);
		dp_table_del(&dp->ctlkeys, &k);
	}
}

/* Two members alike: what ctlkeys_add refuses for an active stream, refused for a standby one. */
static bool
members_repeat(const struct dp_stream *s)
{
	unsigned int i, k;

	for (i = 0; i < s->n_members; i++)
		for (k = i + 1; k < s->n_members; k++)
			if (s->members[i].port == s->members[k].port &&
			    memcmp(s->members[i].addr, s->members[k].addr, 16) == 0)
				return true;
	return false;
}

/*
 * A standby stream's owner: that of the active stream holding its place, if
 * any, so that dp_stream_switch keeps the place on one worker.
 */
static uint16_t
standby_owner(const struct dp *dp, const struct dp_stream *s)
{
	const struct dp_tent *e;
	struct dp_key k;

	dp_key_plain(&k, s->proto, s->members[0].addr, s->members[0].port, s->ssrc);
	e = dp_table_lookup(&dp->ctlkeys, &k);
	return e != NULL ? e->owner : (uint16_t)dp_owner_id(s->id, dp->n_workers);
}

/* The known key an unprotect stream belongs to (made implicit if new), checked against its cap. */
static int
stream_key(struct dp *dp, const struct dp_stream_spec *sp, struct dp_keyrec **out)
{
	const struct dp_srtp_params *p = &sp->params;
	struct dp_keyrec *kr = key_find(dp, p->mki);
	struct dp_key_spec ks;

	if (kr == NULL) {
		memset(&ks, 0, sizeof(ks));
		memcpy(ks.id, p->mki, DP_KEY_ID_LEN);
		ks.profile = p->profile;
		ks.mki_len = p->mki_len;
		ks.rcc_r = p->proto == DP_SRTP_PROTO_RTP ? p->rcc_r : 0;
		ks.port = sp->port;
		return key_add_locked(dp, &ks, true, out);
	}
	if (kr->spec.profile != p->profile || kr->spec.mki_len != p->mki_len ||
	    (p->proto == DP_SRTP_PROTO_RTP && kr->spec.rcc_r != p->rcc_r))
		return -DP_E_ARG;	/* one key id, one layout */
	if (kr->n_streams >= kr->spec.max_streams) {
		dp->refused++;
		return -DP_E_LIMIT;
	}
	*out = kr;
	return 0;
}

/* Table entries stream |s| takes on worker |w|: plain keys everywhere, secure keys on the owner. */
static unsigned int
entries_on(const struct dp_stream *s, unsigned int w, unsigned int need)
{
	if (s->standby)
		return 0;	/* until dp_stream_switch swaps it for the active one */
	return s->dir == DP_SRTP_DIR_PROTECT || s->owner == w ? need : 0;
}

static int
stream_add_locked(struct dp *dp, struct dp_stream_spec *sp, uint64_t *id_out)
{
	uint32_t all = (uint32_t)((1ull << dp->n_workers) - 1), mask;
	struct dp_keyrec *kr = NULL;
	struct dp_stream *s;
	unsigned int i, need;
	struct dp_key k;
	int rc;

	rc = spec_check(dp, sp);
	if (rc < 0)
		return rc;
	s = zalloc(sizeof(*s));
	if (s == NULL)
		return -DP_E_NOMEM;
	s->id = dp->next_id;
	s->dir = (uint8_t)sp->params.dir;
	s->proto = (uint8_t)sp->params.proto;
	s->mki_len = sp->params.mki_len;
	memcpy(s->mki, sp->params.mki, sizeof(s->mki));
	s->ssrc = sp->params.ssrc;
	s->port = sp->port;
	if (s->dir == DP_SRTP_DIR_PROTECT) {
		s->n_members = sp->n_members;
		memcpy(s->members, sp->members, sizeof(s->members));
		s->standby = sp->standby;
		s->owner = s->standby ? standby_owner(dp, s)
				      : (uint16_t)dp_owner_id(s->id, dp->n_workers);
		s->cache_copies = s->proto == DP_SRTP_PROTO_RTP && s->n_members > 1;
		atomic_init(&s->index_limit, sp->index_limit);
		atomic_init(&s->index_next, 0);
		mask = s->standby ? 0 : all;	/* no worker learns of a standby stream */
		need = s->n_members;
		if (s->standby && members_repeat(s)) {
			rc = -DP_E_EXISTS;
			goto fail;
		}
	} else {
		s->owner = (uint16_t)dp_owner_secure(s->mki, s->mki_len, s->ssrc, dp->n_workers);
		mask = all;	/* all learn its port; the owner alone holds it */
		need = 1;
	}
	for (i = 0; i < dp->n_workers; i++)
		if (entries_on(s, i, need) != 0 && dp->w_entries[i] + need > dp->w[i]->tab.max) {
			rc = -DP_E_LIMIT;
			goto fail;
		}
	if (!cmd_room(dp, all, 2)) {
		rc = -DP_E_FULL;
		goto fail;
	}
	rc = s->standby ? 0 : ctlkeys_add(dp, s);	/* standby: duplicates are the point */
	if (rc < 0)
		goto fail;
	rc = dp_srtp_ctx_new(&s->ctx, dp->cfg.backend, &sp->params);
	if (rc == 0 && sp->first != NULL)
		rc = first_packet(s->ctx, sp);
	if (rc == 0 && s->dir == DP_SRTP_DIR_UNPROTECT)
		rc = stream_key(dp, sp, &kr);
	if (rc < 0) {
		if (!s->standby)
			ctlkeys_del(dp, s);
		goto fail;
	}
	s->overhead = dp_srtp_ctx_overhead(s->ctx);
	s->key = kr;
	s->sent_to = mask;
	dp_key_id(&k, s->id);
	if (dp_table_add(&dp->ids, &k, s, s->owner, s->id) != 0) {
		rc = -DP_E_LIMIT;	/* spec_check bounds the count: not reached */
		if (!s->standby)
			ctlkeys_del(dp, s);
		goto fail;
	}
	if (kr != NULL)
		kr->n_streams++;
	for (i = 0; i < dp->n_workers; i++)
		dp->w_entries[i] += entries_on(s, i, need);
	dp->next_id++;
	dp->n_streams++;
	cmd_send(dp, mask, DP_CMD_STREAM_ADD, s, s->free_after);
	*id_out = s->id;
	return 0;
fail:
	if (kr != NULL && kr->implicit && kr->n_streams == 0)
		key_retire(dp, kr);
	dp_srtp_ctx_free(s->ctx);
	free(s);
	return rc;
}

int
dp_stream_add(struct dp *dp, struct dp_stream_spec *spec, uint64_t *id_out)
{
	int rc;

	if (spec == NULL)
		return -DP_E_ARG;
	if (dp == NULL || id_out == NULL) {
		rc = -DP_E_ARG;
		goto out;
	}
	pthread_mutex_lock(&dp->lock);
	rc = stream_add_locked(dp, spec, id_out);
	pthread_mutex_unlock(&dp->lock);
out:
	/* The engine has its own copy (or none): ours goes now, on every path. */
	sodium_memzero(spec->params.master_key, sizeof(spec->params.master_key));
	sodium_memzero(spec->params.master_salt, sizeof(spec->params.master_salt));
	return rc;
}

static struct dp_stream *
stream_find(const struct dp *dp, uint64_t id)
{
	const struct dp_tent *e;
	struct dp_key k;

	dp_key_id(&k, id);
	e = dp_table_lookup(&dp->ids, &k);
	return e == NULL ? NULL : e->val;
}

int
dp_stream_del(struct dp *dp, uint64_t id)
{
	uint32_t all = (uint32_t)((1ull << dp->n_workers) - 1);
	struct dp_stream *s;
	struct dp_key k;
	unsigned int i;
	int rc = 0;

	if (dp == NULL)
		return -DP_E_ARG;
	pthread_mutex_lock(&dp->lock);
	reclaim_locked(dp);
	s = stream_find(dp, id);
	if (s == NULL) {
		rc = -DP_E_NOTFOUND;
		goto out;
	}
	if (!cmd_room(dp, all, 2)) {
		rc = -DP_E_FULL;
		goto out;
	}
	dp_key_id(&k, id);
	dp_table_del(&dp->ids, &k);
	dp->n_streams--;
	if (s->standby) {
		/* No entries to remove: free once the workers are past its last command. */
		for (i = 0; i < dp->n_workers; i++)
			if (s->sent_to & (1u << i))
				s->free_after[i] = dp->w[i]->sent;
	} else {
		ctlkeys_del(dp, s);
		for (i = 0; i < dp->n_workers; i++)
			dp->w_entries[i] -= entries_on(s, i, s->dir == DP_SRTP_DIR_PROTECT
								     ? s->n_members : 1);
		cmd_send(dp, s->sent_to, DP_CMD_STREAM_DEL, s, s->free_after);
	}
	s->next_free = dp->garbage;
	dp->garbage = s;
	if (s->key != NULL && --s->key->n_streams == 0 && s->key->implicit)
		key_retire(dp, s->key);
	reclaim_locked(dp);
out:
	pthread_mutex_unlock(&dp->lock);
	return rc;
}

int
dp_stream_get(struct dp *dp, uint64_t id, struct dp_stream_info *out)
{
	const struct dp_stream *s;
	unsigned int v;

	if (dp == NULL || out == NULL)
		return -DP_E_ARG;
	pthread_mutex_lock(&dp->lock);
	s = stream_find(dp, id);
	if (s != NULL) {
		memset(out, 0, sizeof(*out));
		out->id = s->id;
		out->params = *dp_srtp_ctx_params(s->ctx);
		sodium_memzero(out->params.master_key, sizeof(out->params.master_key));
		sodium_memzero(out->params.master_salt, sizeof(out->params.master_salt));
		out->port = s->port;
		out->n_members = s->n_members;
		memcpy(out->members, s->members, sizeof(out->members));
		out->owner = s->owner;
		out->roc = dp->running ? 0 : dp_srtp_ctx_roc(s->ctx);
		for (v = 0; v < DP_V_COUNT; v++)
			out->v[v] = s->v[v];
		out->copies = s->copies;
		out->index_next = atomic_load_explicit(&s->index_next, memory_order_relaxed);
		out->index_limit = atomic_load_explicit(&s->index_limit, memory_order_relaxed);
		out->standby = s->standby;
	}
	pthread_mutex_unlock(&dp->lock);
	return s == NULL ? -DP_E_NOTFOUND : 0;
}

/* A protect stream |id|, or NULL with *rc set. */
static struct dp_stream *
protect_find(const struct dp *dp, uint64_t id, int *rc)
{
	struct dp_stream *s = stream_find(dp, id);

	*rc = s == NULL ? -DP_E_NOTFOUND : s->dir != DP_SRTP_DIR_PROTECT ? -DP_E_ARG : 0;
	return *rc == 0 ? s : NULL;
}

int
dp_stream_index(struct dp *dp, uint64_t id, uint64_t *next, uint64_t *limit)
{
	const struct dp_stream *s;
	int rc;

	if (dp == NULL)
		return -DP_E_ARG;
	pthread_mutex_lock(&dp->lock);
	s = protect_find(dp, id, &rc);
	if (s != NULL && next != NULL)
		*next = atomic_load_explicit(&s->index_next, memory_order_relaxed);
	if (s != NULL && limit != NULL)
		*limit = atomic_load_explicit(&s->index_limit, memory_order_relaxed);
	pthread_mutex_unlock(&dp->lock);
	return rc;
}

int
dp_stream_index_limit(struct dp *dp, uint64_t id, uint64_t limit)
{
	struct dp_stream *s;
	int rc;

	if (dp == NULL)
		return -DP_E_ARG;
	pthread_mutex_lock(&dp->lock);
	s = protect_find(dp, id, &rc);
	if (s != NULL)
		atomic_store_explicit(&s->index_limit, limit, memory_order_relaxed);
	pthread_mutex_unlock(&dp->lock);
	return rc;
}

/* Same proto, SSRC and member set (neither repeats a member: ctlkeys_add, members_repeat). */
static bool
same_place(const struct dp_stream *a, const struct dp_stream *b)
{
	unsigned int i, k;
	bool found;

	if (a->proto != b->proto || a->ssrc != b->ssrc || a->n_members != b->n_members)
		return false;
	for (i = 0; i < a->n_members; i++) {
		found = false;
		for (k = 0; k < b->n_members && !found; k++)
			found = a->members[i].port == b->members[k].port &&
				memcmp(a->members[i].addr, b->members[k].addr, 16) == 0;
		if (!found)
			return false;
	}
	return true;
}

static int
switch_locked(struct dp *dp, uint64_t old_id, uint64_t new_id)
{
	uint32_t all = (uint32_t)((1ull << dp->n_workers) - 1);
	struct dp_stream *o, *n;
	unsigned int i;
	int rc;

	o = protect_find(dp, old_id, &rc);
	if (o == NULL)
		return rc;
	n = protect_find(dp, new_id, &rc);
	if (n == NULL)
		return rc;
	if (o == n || o->standby || !n->standby || !same_place(o, n))
		return -DP_E_ARG;
	if (!cmd_room(dp, all, 1))
		return -DP_E_FULL;
	/*
	 * One owner per context: |n| may take |o|'s owner only once no worker
	 * can still reach |n| under its own (a past switch's entries, being
	 * removed). Only a standby stream made before its place was taken, and
	 * once active already, can be in that state; and only briefly.
	 */
	if (n->owner != o->owner) {
		if (!released(dp, n->sent_to, n->free_after))
			return -DP_E_FULL;
		n->owner = o->owner;
	}
	ctlkeys_del(dp, o);
	rc = ctlkeys_add(dp, n);	/* into the slots just freed: not reached */
	if (rc < 0) {
		rc = ctlkeys_add(dp, o);
		return rc < 0 ? rc : -DP_E_LIMIT;
	}
	o->standby = true;
	n->standby = false;
	n->sent_to |= all;
	cmd_send(dp, all, DP_CMD_STREAM_SWITCH, n, n->free_after);
	/* The switch takes |o|'s entries out: past it, no worker reaches |o|. */
	for (i = 0; i < dp->n_workers; i++)
		o->free_after[i] = n->free_after[i];
	return 0;
}

int
dp_stream_switch(struct dp *dp, uint64_t old_id, uint64_t new_id)
{
	int rc;

	if (dp == NULL)
		return -DP_E_ARG;
	pthread_mutex_lock(&dp->lock);
	reclaim_locked(dp);
	rc = switch_locked(dp, old_id, new_id);
	pthread_mutex_unlock(&dp->lock);
	return rc;
}

unsigned int
dp_stream_list(struct dp *dp, uint64_t *ids, unsigned int max, uint32_t *cursor)
{
	const struct dp_tent *e;
	unsigned int n = 0;

	pthread_mutex_lock(&dp->lock);
	while (n < max && (e = dp_table_next(&dp->ids, cursor)) != NULL)
		ids[n++] = e->id;
	pthread_mutex_unlock(&dp->lock);
	return n;
}

unsigned int
dp_stream_count(struct dp *dp)
{
	return dp->n_streams;
}

uint64_t
dp_streams_refused(struct dp *dp)
{
	return dp->refused;
}

/* ---- slow path --------------------------------------------------------- */

unsigned int
dp_punt_poll(struct dp *dp, dp_punt_cb cb, void *arg, unsigned int max)
{
	struct rte_mbuf *m[DP_BURST];
	unsigned int n, i, done = 0;

	while (done < max) {
		n = rte_ring_sc_dequeue_burst(dp->punt, (void **)m, RTE_MIN(max - done, DP_BURST),
					      NULL);
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			const uint8_t *f = rte_pktmbuf_mtod(m[i], const uint8_t *);
			uint32_t mki_off = m[i]->hash.usr & 0xffff;
			const struct dp_keyrec *kr;
			struct dp_punt_info pi;
			struct dp_pkt p;

			memset(&pi, 0, sizeof(pi));
			if (dp_parse(f, m[i]->data_len, &p) < DP_CLASS_RTP ||
			    mki_off + DP_KEY_ID_LEN > m[i]->data_len)
				continue;
			pthread_mutex_lock(&dp->lock);
			kr = key_find(dp, f + mki_off);
			if (kr != NULL)
				pi.key = kr->spec;
			pthread_mutex_unlock(&dp->lock);
			if (kr == NULL || mki_off + pi.key.mki_len > m[i]->data_len)
				continue;	/* forgotten since: nothing to derive */
			pi.frame = f;
			pi.frame_len = m[i]->data_len;
			pi.srtp_off = p.pl_off;
			pi.srtp_len = p.pl_len;
			pi.in_port = m[i]->port;
			pi.proto = (uint8_t)(m[i]->hash.usr >> 16);
			pi.mki_len = pi.key.mki_len;
			memcpy(pi.mki, f + mki_off, pi.key.mki_len);
			pi.ssrc = p.ssrc;
			/* No lock held: the callback may install the stream. */
			if (cb != NULL)
				cb(arg, &pi);
		}
		rte_pktmbuf_free_bulk(m, n);
		done += n;
	}
	return done;
}

/* ---- counters ---------------------------------------------------------- */

int
dp_port_counters_read(struct dp *dp, unsigned int port, struct dp_port_counters *out)
{
	unsigned int i, v;

	if (dp == NULL || out == NULL || port >= dp->n_ports)
		return -DP_E_ARG;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < dp->n_workers; i++) {
		const struct dp_port_counters *c = &dp->w[i]->pc[port];

		out->rx += c->rx;
		out->tx += c->tx;
		out->tx_full += c->tx_full;
		for (v = 0; v < DP_V_COUNT; v++)
			out->v[v] += c->v[v];
	}
	{
		struct rte_eth_stats st;

		if (rte_eth_stats_get(dp->port_id[port], &st) == 0)
			out->rx_missed = st.imissed + st.rx_nombuf;
	}
	return 0;
}

int
dp_worker_counters_read(struct dp *dp, unsigned int worker, struct dp_worker_counters *out)
{
	if (dp == NULL || out == NULL || worker >= dp->n_workers)
		return -DP_E_ARG;
	*out = dp->w[worker]->c;
	return 0;
}

int
dp_worker_cost_hist(struct dp *dp, unsigned int worker, struct dp_cost_hist *out)
{
	if (dp == NULL || out == NULL || worker >= dp->n_workers)
		return -DP_E_ARG;
	*out = dp->w[worker]->cost;
	return 0;
}

void
dp_counters_total(struct dp *dp, struct dp_worker_counters *out)
{
	const uint64_t *src;
	uint64_t *dst = (uint64_t *)out;
	unsigned int i, k;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < dp->n_workers; i++) {
		src = (const uint64_t *)&dp->w[i]->c;
		for (k = 0; k < sizeof(*out) / sizeof(uint64_t); k++)
			dst[k] += src[k];
	}
}

/* ---- teardown ---------------------------------------------------------- */

static void
worker_free(struct dp_worker *w)
{
	unsigned int i;

	if (w == NULL)
		return;
	rte_ring_free(w->cmd);
	for (i = 0; i < DP_MAX_WORKERS; i++)
		rte_ring_free(w->in[i]);
	free(w->sec_ports);
	free(w->plain_ports);
	free(w->tab.ent);
	free(w->keys.ent);
	free(w);
}

static void
rings_empty(struct dp *dp)
{
	struct rte_mbuf *m[DP_BURST];
	unsigned int i, a, n;

	if (dp->punt != NULL)
		while ((n = rte_ring_dequeue_burst(dp->punt, (void **)m, DP_BURST, NULL)) != 0)
			rte_pktmbuf_free_bulk(m, n);
	for (i = 0; i < dp->n_workers; i++)
		for (a = 0; dp->w[i] != NULL && a < dp->n_workers; a++)
			while (dp->w[i]->in[a] != NULL &&
			       (n = rte_ring_dequeue_burst(dp->w[i]->in[a], (void **)m, DP_BURST,
							   NULL)) != 0)
				rte_pktmbuf_free_bulk(m, n);
}

void
dp_free(struct dp *dp)
{
	const struct dp_tent *e;
	uint32_t cur = 0;
	unsigned int i;

	if (dp == NULL)
		return;
	dp_stop(dp);
	dp_telemetry_unregister(dp);
	if (dp->ports_started)
		for (i = 0; i < dp->n_ports; i++) {
			if (rte_eth_dev_stop(dp->port_id[i]) != 0)
				DP_LOG(WARNING, "port %u did not stop", dp->port_id[i]);
		}
	rings_empty(dp);
	pthread_mutex_lock(&dp->lock);
	for (i = 0; i < dp->n_workers; i++)
		if (dp->w[i] != NULL)
			atomic_store(&dp->w[i]->applied, UINT64_MAX);
	reclaim_locked(dp);
	if (dp->mem_ids != NULL)
		while ((e = dp_table_next(&dp->ids, &cur)) != NULL)
			stream_free(dp, e->val);
	cur = 0;
	if (dp->mem_keyids != NULL)
		while ((e = dp_table_next(&dp->keyids, &cur)) != NULL)
			free(e->val);
	pthread_mutex_unlock(&dp->lock);
	for (i = 0; i < DP_MAX_WORKERS; i++)
		worker_free(dp->w[i]);
	rte_ring_free(dp->punt);
	rte_mempool_free(dp->pool);
	rte_mempool_free(dp->copy_pool);
	free(dp->mem_ids);
	free(dp->mem_keyids);
	free(dp->mem_ctlkeys);
	pthread_mutex_destroy(&dp->lock);
	free(dp);
}
