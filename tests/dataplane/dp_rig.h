/* SPDX-License-Identifier: proprietary */
/*
 * The dp_eal suites' rig: EAL on --no-huge --no-shconf -m 512 --no-pci with a
 * unique --file-prefix, one port pair made of rings (rte_eth_from_rings): the
 * test puts frames on the RX rings of either side (choosing the queue, as RSS
 * would) and takes what the workers sent from the TX rings.
 */
#ifndef DP_RIG_H
#define DP_RIG_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp.h"

#define RIG_MAXQ 4
#define RIG_FRAME 2048

struct rig {
	struct dp *dp;
	struct dp_config cfg;
	struct rte_mempool *pool;
	struct rte_ring *rx[2][RIG_MAXQ];	/* [side][queue]: what the port receives */
	struct rte_ring *tx[2][RIG_MAXQ];	/* what the port sent */
	uint16_t port[2];
	unsigned int nw;
};

struct frame {
	uint32_t len;
	uint8_t b[RIG_FRAME];
};

/* EAL with |nw| workers (lcores 0..nw over the machine's cores); no dataplane yet. */
void
rig_eal(struct rig *r, unsigned int nw, const char *extra_vdev);

/* Ports and a dataplane with cfg (dp_config_default plus |tweak|, may be NULL), started. */
void
rig_up(struct rig *r, unsigned int nw, void (*tweak)(struct dp_config *));

void
rig_down(struct rig *r);

/* Put |len| octets on |side|'s RX queue |q| (tailroom: what the pool leaves, or |tailroom|). */
void
rig_send(struct rig *r, unsigned int side, unsigned int q, const uint8_t *f, uint32_t len);

void
rig_send_room(struct rig *r, unsigned int side, unsigned int q, const uint8_t *f, uint32_t len,
	      uint16_t tailroom);

/*
 * Take what |side| sent, waiting until |want| frames came or |ms| passed
 * without any; returns how many were stored in |out| (at most |max|).
 */
unsigned int
rig_recv(struct rig *r, unsigned int side, struct frame *out, unsigned int max, unsigned int want,
	 unsigned int ms);

/* Wait until the workers gave |n| verdicts in all (every packet gets exactly one). */
void
rig_wait_verdicts(struct rig *r, uint64_t n, unsigned int ms);

/* The sum of the total verdict counters. */
uint64_t
rig_verdicts(struct rig *r);

#endif
