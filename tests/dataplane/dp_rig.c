/* SPDX-License-Identifier: proprietary */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>

#include "dp_rig.h"

void
rig_eal(struct rig *r, unsigned int nw, const char *extra_vdev)
{
	char prefix[64], lcores[64];
	char *argv[16];
	int argc = 0;

	memset(r, 0, sizeof(*r));
	r->nw = nw;
	snprintf(prefix, sizeof(prefix), "--file-prefix=mcpxt%d", (int)getpid());
	snprintf(lcores, sizeof(lcores), "--lcores=(0-%u)@(0-1)", nw);
	argv[argc++] = (char *)(uintptr_t)"test";
	argv[argc++] = (char *)(uintptr_t)"--no-huge";
	argv[argc++] = (char *)(uintptr_t)"--no-shconf";
	argv[argc++] = (char *)(uintptr_t)"-m";
	argv[argc++] = (char *)(uintptr_t)"512";
	argv[argc++] = (char *)(uintptr_t)"--no-pci";
	argv[argc++] = prefix;
	argv[argc++] = lcores;
	argv[argc++] = (char *)(uintptr_t)"--log-level=lib.eal:error";
	if (extra_vdev != NULL)
		argv[argc++] = (char *)(uintptr_t)extra_vdev;
	argv[argc] = NULL;
	cr_assert(sodium_init() >= 0);
	cr_assert_geq(rte_eal_init(argc, argv), 0, "EAL: %s", rte_strerror(rte_errno));
	cr_assert_eq(dp_srtp_global_init(), 0);
}

void
rig_up(struct rig *r, unsigned int nw, void (*tweak)(struct dp_config *))
{
	char name[64];
	unsigned int s, q;
	int rc;

	rig_eal(r, nw, NULL);
	r->pool = rte_pktmbuf_pool_create("rig_pool", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  SOCKET_ID_ANY);
	cr_assert_not_null(r->pool);
	for (s = 0; s < 2; s++) {
		for (q = 0; q < nw; q++) {
			snprintf(name, sizeof(name), "rig_rx%u_%u", s, q);
			r->rx[s][q] = rte_ring_create(name, 8192, SOCKET_ID_ANY, 0);
			snprintf(name, sizeof(name), "rig_tx%u_%u", s, q);
			r->tx[s][q] = rte_ring_create(name, 8192, SOCKET_ID_ANY, 0);
			cr_assert(r->rx[s][q] != NULL && r->tx[s][q] != NULL);
		}
		snprintf(name, sizeof(name), "rig_port%u", s);
		rc = rte_eth_from_rings(name, r->rx[s], nw, r->tx[s], nw, 0);
		cr_assert_geq(rc, 0);
		r->port[s] = (uint16_t)rc;
	}
	dp_config_default(&r->cfg);
	r->cfg.n_pairs = 1;
	r->cfg.pairs[0] = (struct dp_port_pair){.secure = r->port[0], .plain = r->port[1]};
	r->cfg.n_workers = nw;
	r->cfg.rx_desc = 256;
	r->cfg.tx_desc = 256;
	r->cfg.idle_sleep_us = 20;	/* the suites share two cores */
	r->cfg.unmatched = DP_POLICY_PASS;
	/* The dataplane's engine (the suite runs once on each); the test's own ends stay libsrtp. */
	if (getenv("MCPX_TEST_BACKEND") != NULL &&
	    strcmp(getenv("MCPX_TEST_BACKEND"), "native") == 0) {
		if (!dp_srtp_backend_available(DP_SRTP_BACKEND_NATIVE))
			cr_skip_test("the native backend does not run on this CPU");
		r->cfg.backend = DP_SRTP_BACKEND_NATIVE;
	}
	if (tweak != NULL)
		tweak(&r->cfg);
	rc = dp_new(&r->dp, &r->cfg);
	cr_assert_eq(rc, 0, "dp_new: %s", dp_strerror(rc));
}

void
rig_down(struct rig *r)
{
	dp_free(r->dp);
	r->dp = NULL;
	dp_srtp_global_fini();
	rte_eal_cleanup();
}

void
rig_send_room(struct rig *r, unsigned int side, unsigned int q, const uint8_t *f, uint32_t len,
	      uint16_t tailroom)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->pool);

	cr_assert_not_null(m);
	if (tailroom != UINT16_MAX) {
		/* Put the frame at the end of the buffer: |tailroom| octets left after it. */
		m->data_off = (uint16_t)(m->buf_len - len - tailroom);
	}
	cr_assert_not_null(rte_pktmbuf_append(m, (uint16_t)len));
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), f, len);
	cr_assert_eq(rte_ring_enqueue(r->rx[side][q % r->nw], m), 0);
}

void
rig_send(struct rig *r, unsigned int side, unsigned int q, const uint8_t *f, uint32_t len)
{
	rig_send_room(r, side, q, f, len, UINT16_MAX);
}

unsigned int
rig_recv(struct rig *r, unsigned int side, struct frame *out, unsigned int max, unsigned int want,
	 unsigned int ms)
{
	uint64_t hz = rte_get_timer_hz(), last = rte_get_timer_cycles();
	unsigned int got = 0, q;

	while (got < want && rte_get_timer_cycles() - last < hz * ms / 1000) {
		bool any = false;

		for (q = 0; q < r->nw; q++) {
			struct rte_mbuf *m;

			while (rte_ring_dequeue(r->tx[side][q], (void **)&m) == 0) {
				any = true;
				if (got < max) {
					out[got].len = rte_pktmbuf_pkt_len(m);
					cr_assert_eq(m->nb_segs, 1);
					cr_assert_eq(m->data_len, m->pkt_len);
					memcpy(out[got].b, rte_pktmbuf_mtod(m, uint8_t *), out[got].len);
				}
				got++;
				rte_pktmbuf_free(m);
			}
		}
		if (any)
			last = rte_get_timer_cycles();
		else
			usleep(200);
	}
	return got < max ? got : max;
}

uint64_t
rig_verdicts(struct rig *r)
{
	struct dp_worker_counters c;
	uint64_t n = 0;
	unsigned int v;

	dp_counters_total(r->dp, &c);
	for (v = 0; v < DP_V_COUNT; v++)
		n += c.v[v];
	return n;
}

void
rig_wait_verdicts(struct rig *r, uint64_t n, unsigned int ms)
{
	uint64_t hz = rte_get_timer_hz(), end = rte_get_timer_cycles() + hz * ms / 1000;

	while (rig_verdicts(r) < n && rte_get_timer_cycles() < end)
		usleep(200);
	cr_assert_eq(rig_verdicts(r), n, "verdicts: %lu of %lu", (unsigned long)rig_verdicts(r),
		     (unsigned long)n);
}
