/* SPDX-License-Identifier: proprietary */
/*
 * TS 24.380 floor control state machines: the floor participant (client) and
 * the arbitration of the plain server stand-in (one talker per group,
 * queueing, pre-emption, revoke, idle).
 *
 * Both are pure: events in, messages and notes out, time passed in as
 * milliseconds of a monotonic clock the caller owns (FC_NEVER = no deadline).
 * No sockets, no sleeping, no allocation, no printing; the caller encodes
 * what comes out (fc_encode), protects it if it wants (SRTCP), and sends it.
 *
 * The digest (shared/spec §9, §7.2) gives message and field codings but not
 * TS 24.380's state diagrams, timers or per-message field tables. The state
 * names below follow the participant states of 24.380 as far as their names
 * are common knowledge ("has no permission", "pending Request", "has
 * permission", "pending Release", "queued"); the transitions, retry counts and
 * the fields each message carries are this implementation's choices, listed
 * in docs/floor-control.md. Off-network floor control (§7.2: the talker is the
 * arbitrator) is not in these machines: mcpx-ue runs it on top of the codec
 * (sim/ue/ue_floor.c).
 */
#ifndef FC_FSM_H
#define FC_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "fc_codec.h"

#define FC_NEVER	UINT64_MAX

/* ---------------------------------------------------------------- client */

#define FC_CLI_STATES(_)                                                        \
	_(IDLE, "idle")			/* has no permission; floor idle */      \
	_(TAKEN, "taken")		/* has no permission; another talks */   \
	_(PENDING_REQUEST, "pending-request")                                   \
	_(QUEUED, "queued")                                                     \
	_(HAS_PERMISSION, "has-permission")                                     \
	_(PENDING_RELEASE, "pending-release")

enum fc_cli_state {
#define FC_CLI_STATE_ENUM(n, s) FC_CLI_##n,
	FC_CLI_STATES(FC_CLI_STATE_ENUM)
#undef FC_CLI_STATE_ENUM
	FC_CLI_STATE_COUNT
};

enum fc_cli_ev_type {
	FC_CLI_EV_PTT_PRESS,		/* user wants to talk: Floor Request */
	FC_CLI_EV_PTT_RELEASE,		/* user stops (or cancels a request) */
	FC_CLI_EV_QUEUE_QUERY,		/* ask the queue position (queued only) */
	FC_CLI_EV_RX,			/* a decoded message from the server */
	FC_CLI_EV_TIMER,		/* time passed: check the retry deadline */
};

struct fc_cli_ev {
	enum fc_cli_ev_type type;
	const struct fc_msg *msg;	/* FC_CLI_EV_RX only, borrowed */
};

/* What the application is told, beside the state. */
#define FC_NOTES(_)                                                             \
	_(NONE, "none")                                                         \
	_(GRANTED, "granted")		/* start sending media */                \
	_(DENIED, "denied")		/* cause in |cause| */                   \
	_(QUEUED, "queued")		/* position in fc_cli.queue_pos */       \
	_(TAKEN, "taken")		/* another participant talks */          \
	_(IDLE, "idle")                                                         \
	_(REVOKED, "revoked")		/* stop sending; cause in |cause| */     \
	_(RELEASED, "released")		/* our release was confirmed */          \
	_(CANCELLED, "cancelled")	/* queued request withdrawn */           \
	_(GAVE_UP, "gave-up")		/* retries exhausted */

enum fc_note {
#define FC_NOTE_ENUM(n, s) FC_NOTE_##n,
	FC_NOTES(FC_NOTE_ENUM)
#undef FC_NOTE_ENUM
	FC_NOTE_COUNT
};

#define FC_CLI_OUT_MAX	2	/* a Floor Ack plus one reply */

struct fc_cli_out {
	unsigned int n;
	struct fc_msg msg[FC_CLI_OUT_MAX];	/* to the server, in order */
	enum fc_note note;
	uint16_t cause;			/* Reject Cause of a Deny or Revoke */
};

struct fc_cli_cfg {
	uint32_t ssrc;			/* ours, in every message we send */
	const char *user_id;		/* our MCPTT ID (copied); NULL = send none */
	uint8_t priority;		/* Floor Priority in our Floor Request */
	uint32_t request_retry_ms;	/* resend Floor Request after this; 0 = 500 */
	uint8_t request_tries;		/* Floor Requests sent before giving up; 0 = 3 */
	uint32_t release_retry_ms;	/* resend Floor Release after this; 0 = 500 */
	uint8_t release_tries;		/* Floor Releases sent before giving up; 0 = 3 */
};

struct fc_cli {
	struct fc_cli_cfg cfg;
	struct fc_str user_id;
	enum fc_cli_state state;
	uint64_t deadline;		/* retry deadline, FC_NEVER when none */
	uint8_t tries;			/* messages sent in the current attempt */
	bool talker_known;		/* the last Taken named a talker */
	uint32_t talker_ssrc;		/* SSRC field of the last Floor Taken */
	struct fc_str talker;		/* Granted Party's Identity of the last Taken */
	uint8_t queue_pos;		/* from the last Queue Position Info */
	uint16_t duration;		/* Duration of the last Floor Granted, 0 if none */
	uint32_t n_unexpected;		/* events ignored in their state */
	uint32_t n_acks;		/* Floor Acks sent */
};

/* Zero |c| and put it in FC_CLI_IDLE. */
void
fc_cli_init(struct fc_cli *c, const struct fc_cli_cfg *cfg);

/*
 * Feed one event at time |now|. |out| is cleared, then filled with what to
 * send and what to tell the user. A received message with x set is answered
 * with a Floor Ack whatever the state (acknowledging receipt). Returns 0, or:
 * -FC_E_ARG         NULL argument, FC_CLI_EV_RX without a message, unknown event;
 * -FC_E_UNEXPECTED  the event has no meaning in this state (state unchanged,
 *                   n_unexpected counted; a Floor Ack may still be in |out|).
 */
MUST_CHECK int
fc_cli_event(struct fc_cli *c, const struct fc_cli_ev *ev, uint64_t now, struct fc_cli_out *out);

/* The absolute time of the next FC_CLI_EV_TIMER that matters, or FC_NEVER. */
uint64_t
fc_cli_deadline(const struct fc_cli *c);

const char *
fc_cli_state_name(enum fc_cli_state s);

const char *
fc_note_name(enum fc_note n);

/* ---------------------------------------------------------------- server */

#define FC_SRV_MEMBERS_MAX	32
#define FC_SRV_QUEUE_MAX	16
#define FC_SRV_OUT_MAX		4	/* Ack + Granted + Taken, or Ack + Revoke + QPI */

#define FC_SRV_STATES(_)                                                        \
	_(IDLE, "idle")                                                         \
	_(TAKEN, "taken")		/* one member has permission */          \
	_(REVOKING, "revoking")		/* Revoke sent; waiting for its Release */

enum fc_srv_state {
#define FC_SRV_STATE_ENUM(n, s) FC_SRV_##n,
	FC_SRV_STATES(FC_SRV_STATE_ENUM)
#undef FC_SRV_STATE_ENUM
	FC_SRV_STATE_COUNT
};

enum fc_dest {
	FC_TO_ONE,			/* member |member| */
	FC_TO_ALL_BUT,			/* every member except |member| */
	FC_TO_ALL,			/* every member */
};

struct fc_srv_send {
	enum fc_dest dest;
	unsigned int member;
	struct fc_msg msg;
};

struct fc_srv_out {
	unsigned int n;
	struct fc_srv_send send[FC_SRV_OUT_MAX];
};

struct fc_srv_cfg {
	uint32_t ssrc;			/* the server's SSRC in its messages */
	uint16_t duration_s;		/* Duration granted, Revoke (cause 2) after; 0 = none */
	uint8_t queue_max;		/* 0: Deny (cause 1) when busy; else queue this many */
	uint8_t preempt_priority;	/* prio >= this and > talker's pre-empts; 0 = off */
	uint32_t revoke_grace_ms;	/* after Revoke, take the floor back after this; 0 = 1000 */
	bool ack_req;			/* set x on the messages that can carry it */
	uint16_t floor_ind;		/* Floor Indicator in Granted/Taken/Idle; 0 = omit */
};

struct fc_srv_member {
	struct fc_str user_id;
	uint32_t ssrc;			/* learnt from its messages' header */
	bool ssrc_known;
};

struct fc_srv_stats {
	uint32_t granted, taken, denied, queued, revoked, idle, acks_rx, acks_tx;
	uint32_t unexpected;
};

struct fc_srv {
	struct fc_srv_cfg cfg;
	struct fc_srv_member member[FC_SRV_MEMBERS_MAX];
	unsigned int n_members;
	enum fc_srv_state state;
	int talker;			/* member index, -1 when idle */
	uint8_t talker_prio;
	uint64_t talk_deadline;		/* Duration end, FC_NEVER */
	uint64_t revoke_deadline;	/* grace end in REVOKING, FC_NEVER */
	uint8_t queue[FC_SRV_QUEUE_MAX];	/* member indices, head first */
	uint8_t queue_prio[FC_SRV_QUEUE_MAX];
	unsigned int n_queued;
	uint16_t seq;			/* Message Sequence Number of the next message */
	struct fc_srv_stats stats;
};

/* Zero |s| and put it in FC_SRV_IDLE with no members. */
void
fc_srv_init(struct fc_srv *s, const struct fc_srv_cfg *cfg);

/*
 * Add a member with MCPTT ID |user_id|; its index goes to |*idx|. Returns 0,
 * -FC_E_ARG (NULL, or an ID longer than FC_STR_MAX) or -FC_E_FULL.
 */
MUST_CHECK int
fc_srv_member_add(struct fc_srv *s, const char *user_id, unsigned int *idx);

/*
 * Message |m| from member |member| at |now|. |out| is cleared and filled.
 * Returns 0, or:
 * -FC_E_ARG, -FC_E_NOTFOUND (no such member),
 * -FC_E_UNEXPECTED (a server-to-participant type from a member, or a message
 *                   with no meaning in this state; stats.unexpected counted).
 */
MUST_CHECK int
fc_srv_rx(struct fc_srv *s, unsigned int member, const struct fc_msg *m, uint64_t now,
	  struct fc_srv_out *out);

/* Let time pass: Duration expiry (Revoke) and revoke grace expiry. */
void
fc_srv_tick(struct fc_srv *s, uint64_t now, struct fc_srv_out *out);

/*
 * Revoke the talker's permission with Reject Cause |cause|. Returns 0,
 * -FC_E_ARG, or -FC_E_UNEXPECTED when nobody has permission.
 */
MUST_CHECK int
fc_srv_revoke(struct fc_srv *s, uint16_t cause, uint64_t now, struct fc_srv_out *out);

/* The next time fc_srv_tick() has work, or FC_NEVER. */
uint64_t
fc_srv_deadline(const struct fc_srv *s);

/* Index of the member with permission (also while revoking), or -1. */
int
fc_srv_talker(const struct fc_srv *s);

/* 1-based queue position of |member|, 0 when not queued. */
unsigned int
fc_srv_queue_pos(const struct fc_srv *s, unsigned int member);

const char *
fc_srv_state_name(enum fc_srv_state st);

#endif /* FC_FSM_H */
