/* SPDX-License-Identifier: proprietary */
/*
 * mcpx-ue's floor participant: the fc_cli machine (sim/floor/fc_fsm.h), used
 * as is towards a server (on-network), plus the talker's arbitration of
 * off-network floor control (TS 24.380 §7; digest §7.2): there is no server,
 * every message goes to every participant, and the participant that holds
 * the floor arbitrates.
 *
 * Off-network, as implemented (the 24.380 procedures and timers are not in
 * the digest; these are our choices, listed in docs/client-simulator.md):
 *   press    Floor Request to all; if nobody objects within |wait_ms| (no
 *            Floor Deny, no Floor Taken), Floor Taken to all (Granted
 *            Party's Identity, SSRC, Message Sequence Number) and talk.
 *   holder   answers another's Floor Request with Floor Deny (cause 1).
 *   clash    two pending requests: the higher (priority, SSRC) denies the
 *            other.
 *   release  Floor Release to all, then Floor Idle to all.
 * Pure like fc_cli: messages out, time in; the caller encodes, protects and
 * sends.
 */
#ifndef UE_FLOOR_H
#define UE_FLOOR_H

#include <stdbool.h>
#include <stdint.h>

#include "fc_codec.h"
#include "fc_fsm.h"

#define UE_FLOOR_OUT_MAX 4

enum ue_floor_dest {
	UE_FLOOR_TO_ALL,		/* every peer (on-network: the server) */
	UE_FLOOR_TO_SENDER,		/* the sender of the message being handled */
};

struct ue_floor_out {
	unsigned int n;
	enum ue_floor_dest dest[UE_FLOOR_OUT_MAX];
	struct fc_msg msg[UE_FLOOR_OUT_MAX];
	enum fc_note note;
	uint16_t cause;
};

struct ue_floor {
	struct fc_cli cli;
	bool offnet;
	uint32_t wait_ms;
	uint64_t grant_at;		/* off-network: self-grant time, FC_NEVER */
	uint16_t seq;			/* Message Sequence Number of our Taken/Idle */
	uint32_t taken_from;		/* off-network: SSRC of the last Floor Taken's sender
					   (the arbitrator, while cli.talker_known) */
	uint64_t in[FC_T_COUNT], out[FC_T_COUNT];
	uint64_t notes[FC_NOTE_COUNT];
	uint64_t decode_errors, unexpected;
};

/* |cfg| as fc_cli_init(); |offnet| selects the arbitration above. */
void
ue_floor_init(struct ue_floor *f, const struct fc_cli_cfg *cfg, bool offnet, uint32_t wait_ms);

/* PTT press (|press|) or release at |now| ms. Returns fc_cli_event()'s code. */
int
ue_floor_ptt(struct ue_floor *f, bool press, uint64_t now, struct ue_floor_out *out);

/* A decoded message from a peer or the server. Returns 0 or -FC_E_UNEXPECTED. */
int
ue_floor_rx(struct ue_floor *f, const struct fc_msg *m, uint64_t now, struct ue_floor_out *out);

/* Let time pass: retries, the off-network self-grant. */
void
ue_floor_tick(struct ue_floor *f, uint64_t now, struct ue_floor_out *out);

/* The next time ue_floor_tick() has work, or FC_NEVER. */
uint64_t
ue_floor_deadline(const struct ue_floor *f);

/* Whether we may send media now. */
bool
ue_floor_has_permission(const struct ue_floor *f);

#endif /* UE_FLOOR_H */
