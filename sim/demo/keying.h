/* SPDX-License-Identifier: proprietary */
/*
 * The demo's key management, for real: two KMS domains (the MCPTT domain and
 * the appliance's Security Gateway domain, cross-trusted), key sets for every
 * party, the GMS's GMK to each member, alice's PCK to dave (a pseudo-client of
 * the gateway) and her CSK to the server's MDSI, each I_MESSAGE signed, sent,
 * verified and opened, and the SRTP master keys each end derives from it.
 */
#ifndef MCPX_DEMO_KEYING_H
#define MCPX_DEMO_KEYING_H

#include <stdbool.h>
#include <stdint.h>

#include "mikey_srtp_keys.h"

enum demo_party { DP_ALICE, DP_BOB, DP_CAROL, DP_APPLIANCE, DP_PARTIES };

struct demo_keys {
	/* alice's group sending key as each member derives it (from her GUK-ID) */
	struct mikey_srtp_master group[DP_PARTIES];
	uint16_t group_roc_rate;	/* RCCm3 R from the GMK's profile */
	bool appliance_marked_segy;	/* E.6 Status bit 1 on the appliance's copy */
	bool others_marked_segy;	/* ... and (wrongly) on a client's */
	/* private call alice -> dave: [0] alice's view, [1] the appliance's (dave's RSK) */
	struct mikey_srtp_master pck_init[2], pck_recv[2];
	/* alice's CSK for floor control: [0] alice, [1] the appliance (MDSI's RSK) */
	struct mikey_srtp_master csk[2];
	unsigned int messages_sent, messages_opened, tampered_refused;
	double seconds;
};

/* Run the whole key management. Returns 0, or -1 with a line on stderr. */
int
demo_keying(struct demo_keys *k);

/* Wipe every key. */
void
demo_keys_wipe(struct demo_keys *k);

#endif
