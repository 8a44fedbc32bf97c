/* SPDX-License-Identifier: proprietary */
/*
 * sim/floor/fc_fsm_*.c: numbered tables of (event, expected state / output),
 * in the manner of WireGuard's replay-counter selftest. Each row runs on the
 * state the rows before it left; a failure names the row.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "fc_fsm.h"

TestSuite(sim_floor_fsm);

#define NONE	(-1)

/* ---------------------------------------------------------------- client */

struct cli_row {
	unsigned int no;
	enum fc_cli_ev_type ev;
	int rx;			/* message type for FC_CLI_EV_RX */
	bool rx_x;		/* its acknowledgement bit */
	uint64_t now;
	int rc;
	enum fc_cli_state state;
	enum fc_note note;
	int send[FC_CLI_OUT_MAX];	/* types sent, NONE-terminated */
};

#define PRESS	FC_CLI_EV_PTT_PRESS, NONE, false
#define RELEASE	FC_CLI_EV_PTT_RELEASE, NONE, false
#define QUERY	FC_CLI_EV_QUEUE_QUERY, NONE, false
#define TIMER	FC_CLI_EV_TIMER, NONE, false
#define RX(t)	FC_CLI_EV_RX, FC_T_##t, false
#define RXX(t)	FC_CLI_EV_RX, FC_T_##t, true
#define S(st)	FC_CLI_##st
#define N(n)	FC_NOTE_##n
#define T(t)	FC_T_##t
#define UNEXP	(-FC_E_UNEXPECTED)

/* request retry 100 ms, 3 tries; release retry 100 ms, 3 tries */
static const struct cli_row cli_rows[] = {
	{ 1, PRESS, 0, 0, S(PENDING_REQUEST), N(NONE), { T(REQUEST), NONE } },
	{ 2, RX(QUEUE_POS_INFO), 10, 0, S(QUEUED), N(QUEUED), { NONE } },
	{ 3, QUERY, 20, 0, S(QUEUED), N(NONE), { T(QUEUE_POS_REQUEST), NONE } },
	{ 4, RXX(QUEUE_POS_INFO), 30, 0, S(QUEUED), N(QUEUED), { T(ACK), NONE } },
	{ 5, TIMER, 5000, 0, S(QUEUED), N(NONE), { NONE } },
	{ 6, RXX(GRANTED), 5010, 0, S(HAS_PERMISSION), N(GRANTED), { T(ACK), NONE } },
	{ 7, PRESS, 5020, UNEXP, S(HAS_PERMISSION), N(NONE), { NONE } },
	{ 8, RX(TAKEN), 5025, UNEXP, S(HAS_PERMISSION), N(NONE), { NONE } },
	{ 9, RX(GRANTED), 5030, 0, S(HAS_PERMISSION), N(NONE), { NONE } },
	{ 10, RX(REVOKE), 5040, 0, S(PENDING_RELEASE), N(REVOKED), { T(RELEASE), NONE } },
	{ 11, TIMER, 5139, 0, S(PENDING_RELEASE), N(NONE), { NONE } },
	{ 12, TIMER, 5140, 0, S(PENDING_RELEASE), N(NONE), { T(RELEASE), NONE } },
	{ 13, RXX(IDLE), 5150, 0, S(IDLE), N(RELEASED), { T(ACK), NONE } },
	{ 14, RX(TAKEN), 5200, 0, S(TAKEN), N(TAKEN), { NONE } },
	{ 15, PRESS, 5210, 0, S(PENDING_REQUEST), N(NONE), { T(REQUEST), NONE } },
	{ 16, RX(DENY), 5220, 0, S(TAKEN), N(DENIED), { NONE } },
	{ 17, RXX(IDLE), 5230, 0, S(IDLE), N(IDLE), { T(ACK), NONE } },
	{ 18, RELEASE, 5240, UNEXP, S(IDLE), N(NONE), { NONE } },
	{ 19, PRESS, 6000, 0, S(PENDING_REQUEST), N(NONE), { T(REQUEST), NONE } },
	{ 20, TIMER, 6100, 0, S(PENDING_REQUEST), N(NONE), { T(REQUEST), NONE } },
	{ 21, TIMER, 6200, 0, S(PENDING_REQUEST), N(NONE), { T(REQUEST), NONE } },
	{ 22, TIMER, 6300, 0, S(IDLE), N(GAVE_UP), { NONE } },
	{ 23, PRESS, 7000, 0, S(PENDING_REQUEST), N(NONE), { T(REQUEST), NONE } },
	{ 24, RELEASE, 7010, 0, S(PENDING_RELEASE), N(NONE), { T(RELEASE), NONE } },
	{ 25, TIMER, 7110, 0, S(PENDING_RELEASE), N(NONE), { T(RELEASE), NONE } },
	{ 26, TIMER, 7210, 0, S(PENDING_RELEASE), N(NONE), { T(RELEASE), NONE } },
	{ 27, TIMER, 7310, 0, S(IDLE), N(GAVE_UP), { NONE } },
	{ 28, PRESS, 8000, 0, S(PENDING_REQUEST), N(NONE), { T(REQUEST), NONE } },
	{ 29, RX(TAKEN), 8005, 0, S(PENDING_REQUEST), N(NONE), { NONE } },
	{ 30, RX(QUEUE_POS_INFO), 8010, 0, S(QUEUED), N(QUEUED), { NONE } },
	{ 31, RELEASE, 8020, 0, S(TAKEN), N(CANCELLED), { T(RELEASE), NONE } },
	{ 32, RX(REQUEST), 8030, UNEXP, S(TAKEN), N(NONE), { NONE } },
	{ 33, RXX(GRANTED), 8040, UNEXP, S(TAKEN), N(NONE), { T(ACK), NONE } },
	{ 34, QUERY, 8050, UNEXP, S(TAKEN), N(NONE), { NONE } },
	{ 35, RX(REVOKE), 8060, UNEXP, S(TAKEN), N(NONE), { NONE } },
	{ 36, PRESS, 8070, 0, S(PENDING_REQUEST), N(NONE), { T(REQUEST), NONE } },
	{ 37, RX(GRANTED), 8080, 0, S(HAS_PERMISSION), N(GRANTED), { NONE } },
	{ 38, RELEASE, 8090, 0, S(PENDING_RELEASE), N(NONE), { T(RELEASE), NONE } },
	{ 39, RX(TAKEN), 8100, 0, S(TAKEN), N(RELEASED), { NONE } },
	{ 40, RX(IDLE), 8110, 0, S(IDLE), N(IDLE), { NONE } },
	{ 41, RX(IDLE), 8120, 0, S(IDLE), N(NONE), { NONE } },
	{ 42, PRESS, 8130, 0, S(PENDING_REQUEST), N(NONE), { T(REQUEST), NONE } },
	{ 43, RX(DENY), 8140, 0, S(IDLE), N(DENIED), { NONE } },
	{ 44, RX(ACK), 8150, 0, S(IDLE), N(NONE), { NONE } },
	{ 45, RX(RELEASE), 8160, UNEXP, S(IDLE), N(NONE), { NONE } },
};

static void
cli_setup(struct fc_cli *c)
{
	struct fc_cli_cfg cfg = {
		.ssrc = 0xa11ce, .user_id = "sip:alice@mcpx.test", .priority = 9,
		.request_retry_ms = 100, .request_tries = 3,
		.release_retry_ms = 100, .release_tries = 3,
	};

	fc_cli_init(c, &cfg);
}

Test(sim_floor_fsm, client_table)
{
	struct fc_cli c;
	struct fc_cli_out out;
	struct fc_msg rx;
	struct fc_cli_ev ev;
	size_t i;
	unsigned int k, n;
	int rc;

	cli_setup(&c);
	cr_assert_eq(c.state, FC_CLI_IDLE);
	for (i = 0; i < sizeof(cli_rows) / sizeof(cli_rows[0]); i++) {
		const struct cli_row *r = &cli_rows[i];

		cr_assert_eq(r->no, i + 1, "table numbering");
		ev.type = r->ev;
		ev.msg = NULL;
		if (r->rx != NONE) {
			fc_msg_init(&rx, (enum fc_type)r->rx, r->rx_x, 0x5e77e7);
			ev.msg = &rx;
		}
		rc = fc_cli_event(&c, &ev, r->now, &out);
		cr_assert_eq(rc, r->rc, "row %u: rc %s, want %s", r->no, fc_errname(rc),
			     fc_errname(r->rc));
		cr_assert_eq(c.state, r->state, "row %u: state %s, want %s", r->no,
			     fc_cli_state_name(c.state), fc_cli_state_name(r->state));
		cr_assert_eq(out.note, r->note, "row %u: note %s, want %s", r->no,
			     fc_note_name(out.note), fc_note_name(r->note));
		for (n = 0; n < FC_CLI_OUT_MAX && r->send[n] != NONE; n++)
			;
		cr_assert_eq(out.n, n, "row %u: %u messages, want %u", r->no, out.n, n);
		for (k = 0; k < n; k++) {
			cr_assert_eq(out.msg[k].type, r->send[k], "row %u msg %u: %s", r->no, k,
				     fc_type_name(out.msg[k].type));
			cr_assert_eq(out.msg[k].ssrc, 0xa11ceu);
		}
	}
	cr_assert_eq(c.n_unexpected, 8);
}

Test(sim_floor_fsm, client_message_contents)
{
	struct fc_cli c;
	struct fc_cli_out out;
	struct fc_cli_ev ev = { FC_CLI_EV_PTT_PRESS, NULL };
	struct fc_msg rx;

	cli_setup(&c);
	cr_assert_eq(fc_cli_event(&c, &ev, 0, &out), 0);
	cr_assert_eq(out.msg[0].present, FC_F_PRIORITY | FC_F_USER_ID);
	cr_assert_eq(out.msg[0].priority, 9);
	cr_assert_str_eq(out.msg[0].user_id.s, "sip:alice@mcpx.test");
	cr_assert_eq(fc_cli_deadline(&c), 100);

	fc_msg_init(&rx, FC_T_GRANTED, true, 1);
	rx.present = FC_F_DURATION;
	rx.duration = 42;
	ev.type = FC_CLI_EV_RX;
	ev.msg = &rx;
	cr_assert_eq(fc_cli_event(&c, &ev, 10, &out), 0);
	cr_assert_eq(c.duration, 42);
	cr_assert_eq(fc_cli_deadline(&c), FC_NEVER);
	cr_assert_eq(out.msg[0].type, FC_T_ACK);
	cr_assert_eq(out.msg[0].present & (FC_F_SOURCE | FC_F_MSG_TYPE),
		     FC_F_SOURCE | FC_F_MSG_TYPE);
	cr_assert_eq(out.msg[0].source, FC_SRC_PARTICIPANT);
	cr_assert_eq(FC_MSG_TYPE_SUBTYPE(out.msg[0].msg_type), 0x11);

	fc_msg_init(&rx, FC_T_REVOKE, false, 1);
	rx.present = FC_F_REJECT_CAUSE;
	rx.reject_cause = FC_REVOKE_BURST_TOO_LONG;
	cr_assert_eq(fc_cli_event(&c, &ev, 20, &out), 0);
	cr_assert_eq(out.note, FC_NOTE_REVOKED);
	cr_assert_eq(out.cause, FC_REVOKE_BURST_TOO_LONG);

	fc_msg_init(&rx, FC_T_TAKEN, false, 1);
	rx.present = FC_F_GRANTED_PARTY | FC_F_SSRC;
	cr_assert_eq(fc_str_setz(&rx.granted_party, "sip:bob@mcpx.test"), 0);
	rx.granted_ssrc = 0xb0b;
	cr_assert_eq(fc_cli_event(&c, &ev, 30, &out), 0);
	cr_assert_eq(c.state, FC_CLI_TAKEN);
	cr_assert_str_eq(c.talker.s, "sip:bob@mcpx.test");
	cr_assert_eq(c.talker_ssrc, 0xb0bu);

	fc_msg_init(&rx, FC_T_QUEUE_POS_INFO, false, 1);
	rx.present = FC_F_QUEUE_INFO;
	rx.queue_pos = 3;
	ev.type = FC_CLI_EV_PTT_PRESS;
	cr_assert_eq(fc_cli_event(&c, &ev, 40, &out), 0);
	ev.type = FC_CLI_EV_RX;
	cr_assert_eq(fc_cli_event(&c, &ev, 50, &out), 0);
	cr_assert_eq(c.queue_pos, 3);
}

Test(sim_floor_fsm, client_args)
{
	struct fc_cli c;
	struct fc_cli_out out;
	struct fc_cli_ev ev = { FC_CLI_EV_RX, NULL };

	cli_setup(&c);
	cr_assert_eq(fc_cli_event(&c, &ev, 0, &out), -FC_E_ARG);
	cr_assert_eq(fc_cli_event(NULL, &ev, 0, &out), -FC_E_ARG);
	ev.type = (enum fc_cli_ev_type)99;
	cr_assert_eq(fc_cli_event(&c, &ev, 0, &out), -FC_E_ARG);
	cr_assert_str_eq(fc_cli_state_name(FC_CLI_QUEUED), "queued");
	cr_assert_str_eq(fc_note_name(FC_NOTE_GAVE_UP), "gave-up");
}

/* ---------------------------------------------------------------- server */

enum { A, B, C, D, N_MEMBERS };

enum srv_ev { RXM, TICK, ADMIN_REVOKE };

struct srv_send {
	int type;		/* NONE ends the list */
	enum fc_dest dest;
	unsigned int member;
};

struct srv_row {
	unsigned int no;
	enum srv_ev ev;
	unsigned int from;
	int rx;
	bool rx_x;
	uint8_t prio;
	uint64_t now;
	int rc;
	enum fc_srv_state state;
	int talker;
	struct srv_send send[FC_SRV_OUT_MAX + 1];
};

#define SS(st)		FC_SRV_##st
#define ONE(t, m)	{ FC_T_##t, FC_TO_ONE, m }
#define BUT(t, m)	{ FC_T_##t, FC_TO_ALL_BUT, m }
#define ALL(t)		{ FC_T_##t, FC_TO_ALL, 0 }
#define END		{ NONE, FC_TO_ONE, 0 }
#define MSG(m, t, p)	RXM, m, FC_T_##t, false, p
#define MSGX(m, t, p)	RXM, m, FC_T_##t, true, p
#define TICK_		TICK, 0, NONE, false, 0
#define REVOKE_		ADMIN_REVOKE, 0, NONE, false, 0

/* queue_max 2, pre-emption at priority >= 200, Duration 10 s, grace 500 ms */
static const struct srv_row srv_rows[] = {
	{ 1, MSG(A, REQUEST, 1), 0, 0, SS(TAKEN), A, { ONE(GRANTED, A), BUT(TAKEN, A), END } },
	{ 2, MSG(B, REQUEST, 1), 10, 0, SS(TAKEN), A, { ONE(QUEUE_POS_INFO, B), END } },
	{ 3, MSG(C, REQUEST, 5), 20, 0, SS(TAKEN), A, { ONE(QUEUE_POS_INFO, C), END } },
	{ 4, MSG(B, QUEUE_POS_REQUEST, 0), 30, 0, SS(TAKEN), A,
	  { ONE(QUEUE_POS_INFO, B), END } },
	{ 5, MSG(A, REQUEST, 1), 40, 0, SS(TAKEN), A, { ONE(GRANTED, A), END } },
	{ 6, MSG(B, REQUEST, 1), 45, 0, SS(TAKEN), A, { ONE(QUEUE_POS_INFO, B), END } },
	{ 7, MSG(A, RELEASE, 0), 100, 0, SS(TAKEN), C, { ONE(GRANTED, C), BUT(TAKEN, C), END } },
	{ 8, MSG(B, RELEASE, 0), 110, 0, SS(TAKEN), C, { END } },
	{ 9, MSG(A, REQUEST, 1), 120, 0, SS(TAKEN), C, { ONE(QUEUE_POS_INFO, A), END } },
	{ 10, MSG(B, REQUEST, 1), 130, 0, SS(TAKEN), C, { ONE(QUEUE_POS_INFO, B), END } },
	{ 11, MSG(D, REQUEST, 1), 140, 0, SS(TAKEN), C, { ONE(DENY, D), END } },
	{ 12, MSG(D, REQUEST, 250), 150, 0, SS(REVOKING), C,
	  { ONE(REVOKE, C), ONE(QUEUE_POS_INFO, D), END } },
	{ 13, MSG(C, REQUEST, 5), 160, -FC_E_UNEXPECTED, SS(REVOKING), C, { END } },
	{ 14, TICK_, 649, 0, SS(REVOKING), C, { END } },
	{ 15, TICK_, 650, 0, SS(TAKEN), D, { ONE(GRANTED, D), BUT(TAKEN, D), END } },
	{ 16, MSG(D, RELEASE, 0), 700, 0, SS(TAKEN), A, { ONE(GRANTED, A), BUT(TAKEN, A), END } },
	{ 17, TICK_, 10699, 0, SS(TAKEN), A, { END } },
	{ 18, TICK_, 10700, 0, SS(REVOKING), A, { ONE(REVOKE, A), END } },
	{ 19, MSG(A, RELEASE, 0), 10710, 0, SS(TAKEN), B, { ONE(GRANTED, B), BUT(TAKEN, B), END } },
	{ 20, REVOKE_, 10720, 0, SS(REVOKING), B, { ONE(REVOKE, B), END } },
	{ 21, REVOKE_, 10725, -FC_E_UNEXPECTED, SS(REVOKING), B, { END } },
	{ 22, MSG(B, RELEASE, 0), 10730, 0, SS(IDLE), -1, { ALL(IDLE), END } },
	{ 23, MSG(C, RELEASE, 0), 10740, 0, SS(IDLE), -1, { ONE(IDLE, C), END } },
	{ 24, MSG(A, GRANTED, 0), 10750, -FC_E_UNEXPECTED, SS(IDLE), -1, { END } },
	{ 25, REVOKE_, 10760, -FC_E_UNEXPECTED, SS(IDLE), -1, { END } },
	{ 26, MSG(A, QUEUE_POS_REQUEST, 0), 10770, 0, SS(IDLE), -1,
	  { ONE(QUEUE_POS_INFO, A), END } },
	{ 27, MSG(B, ACK, 0), 10780, 0, SS(IDLE), -1, { END } },
	{ 28, MSG(A, REQUEST, 1), 10790, 0, SS(TAKEN), A, { ONE(GRANTED, A), BUT(TAKEN, A), END } },
	{ 29, MSG(C, REQUEST, 1), 10800, 0, SS(TAKEN), A, { ONE(QUEUE_POS_INFO, C), END } },
	{ 30, MSGX(A, RELEASE, 0), 10810, 0, SS(TAKEN), C,
	  { ONE(ACK, A), ONE(GRANTED, C), BUT(TAKEN, C), END } },
	{ 31, MSGX(B, RELEASE, 0), 10820, 0, SS(TAKEN), C, { ONE(ACK, B), ONE(TAKEN, B), END } },
	{ 32, MSG(A, IDLE, 0), 10830, -FC_E_UNEXPECTED, SS(TAKEN), C, { END } },
	{ 33, MSG(C, RELEASE, 0), 10840, 0, SS(IDLE), -1, { ALL(IDLE), END } },
};

static void
srv_setup(struct fc_srv *s, uint8_t queue_max, bool ack)
{
	static const char *const names[N_MEMBERS] = {
		"sip:a@mcpx.test", "sip:b@mcpx.test", "sip:c@mcpx.test", "sip:d@mcpx.test",
	};
	struct fc_srv_cfg cfg = {
		.ssrc = 0x5e77e7, .duration_s = 10, .queue_max = queue_max,
		.preempt_priority = 200, .revoke_grace_ms = 500, .ack_req = ack,
		.floor_ind = FC_FI_NORMAL,
	};
	unsigned int i, idx;

	fc_srv_init(s, &cfg);
	for (i = 0; i < N_MEMBERS; i++) {
		cr_assert_eq(fc_srv_member_add(s, names[i], &idx), 0);
		cr_assert_eq(idx, i);
	}
}

static int
srv_step(struct fc_srv *s, const struct srv_row *r, struct fc_srv_out *out)
{
	struct fc_msg m;

	switch (r->ev) {
	case TICK:
		fc_srv_tick(s, r->now, out);
		return 0;
	case ADMIN_REVOKE:
		return fc_srv_revoke(s, FC_REVOKE_OTHER, r->now, out);
	default:
		fc_msg_init(&m, (enum fc_type)r->rx, r->rx_x, 0x1000u + r->from);
		if (r->prio != 0) {
			m.priority = r->prio;
			m.present = FC_F_PRIORITY;
		}
		return fc_srv_rx(s, r->from, &m, r->now, out);
	}
}

Test(sim_floor_fsm, server_table)
{
	struct fc_srv s;
	struct fc_srv_out out;
	size_t i;
	unsigned int k, n;
	int rc;

	srv_setup(&s, 2, false);
	for (i = 0; i < sizeof(srv_rows) / sizeof(srv_rows[0]); i++) {
		const struct srv_row *r = &srv_rows[i];

		cr_assert_eq(r->no, i + 1, "table numbering");
		rc = srv_step(&s, r, &out);
		cr_assert_eq(rc, r->rc, "row %u: rc %s, want %s", r->no, fc_errname(rc),
			     fc_errname(r->rc));
		cr_assert_eq(s.state, r->state, "row %u: state %s, want %s", r->no,
			     fc_srv_state_name(s.state), fc_srv_state_name(r->state));
		cr_assert_eq(fc_srv_talker(&s), r->talker, "row %u: talker %d, want %d", r->no,
			     fc_srv_talker(&s), r->talker);
		for (n = 0; r->send[n].type != NONE; n++)
			;
		cr_assert_eq(out.n, n, "row %u: %u sends, want %u", r->no, out.n, n);
		for (k = 0; k < n; k++) {
			cr_assert_eq(out.send[k].msg.type, r->send[k].type, "row %u send %u: %s",
				     r->no, k, fc_type_name(out.send[k].msg.type));
			cr_assert_eq(out.send[k].dest, r->send[k].dest, "row %u send %u dest",
				     r->no, k);
			if (r->send[k].dest != FC_TO_ALL)
				cr_assert_eq(out.send[k].member, r->send[k].member,
					     "row %u send %u member", r->no, k);
			cr_assert_eq(out.send[k].msg.ssrc, 0x5e77e7u);
		}
	}
	cr_assert_eq(s.stats.unexpected, 3);	/* rows 13, 24, 32 */
	cr_assert_eq(s.stats.revoked, 3);
	cr_assert_eq(s.stats.denied, 1);
}

/* Priority order in the queue, and what Queue Position Info says. */
Test(sim_floor_fsm, server_queue_order_and_contents)
{
	struct fc_srv s;
	struct fc_srv_out out;
	struct fc_msg m;

	srv_setup(&s, 3, false);
	fc_msg_init(&m, FC_T_REQUEST, false, 0xa);
	cr_assert_eq(fc_srv_rx(&s, A, &m, 0, &out), 0);
	/* Taken names the talker by identity and SSRC */
	cr_assert_str_eq(out.send[1].msg.granted_party.s, "sip:a@mcpx.test");
	cr_assert_eq(out.send[1].msg.granted_ssrc, 0xau);
	cr_assert_eq(out.send[1].msg.permission, 1);
	cr_assert_eq(out.send[0].msg.duration, 10);
	cr_assert_eq(out.send[0].msg.floor_ind, FC_FI_NORMAL);
	cr_assert_eq(fc_srv_deadline(&s), 10000);

	m.present = FC_F_PRIORITY;
	m.priority = 1;
	cr_assert_eq(fc_srv_rx(&s, B, &m, 1, &out), 0);
	m.priority = 3;
	cr_assert_eq(fc_srv_rx(&s, C, &m, 2, &out), 0);
	cr_assert_eq(out.send[0].msg.queue_pos, 1);
	cr_assert_eq(out.send[0].msg.queue_prio, 3);
	cr_assert_eq(out.send[0].msg.queue_size, 2);
	m.priority = 3;
	cr_assert_eq(fc_srv_rx(&s, D, &m, 3, &out), 0);
	cr_assert_eq(out.send[0].msg.queue_pos, 2, "FIFO within one priority");
	cr_assert_eq(fc_srv_queue_pos(&s, C), 1);
	cr_assert_eq(fc_srv_queue_pos(&s, D), 2);
	cr_assert_eq(fc_srv_queue_pos(&s, B), 3);
	cr_assert_eq(fc_srv_queue_pos(&s, A), 0);

	fc_msg_init(&m, FC_T_QUEUE_POS_REQUEST, false, 0xa);
	cr_assert_eq(fc_srv_rx(&s, A, &m, 4, &out), 0);
	cr_assert_eq(out.send[0].msg.queue_pos, FC_QUEUE_POS_NOT_QUEUED);
}

Test(sim_floor_fsm, server_deny_without_queue_and_ack_bits)
{
	struct fc_srv s;
	struct fc_srv_out out;
	struct fc_msg m;

	srv_setup(&s, 0, true);
	fc_msg_init(&m, FC_T_REQUEST, false, 0xa);
	cr_assert_eq(fc_srv_rx(&s, A, &m, 0, &out), 0);
	cr_assert(out.send[0].msg.ack_req, "Granted asks for an Ack");
	cr_assert(out.send[1].msg.ack_req, "Taken asks for an Ack");
	cr_assert_eq(fc_srv_rx(&s, B, &m, 1, &out), 0);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.send[0].msg.type, FC_T_DENY);
	cr_assert_eq(out.send[0].msg.reject_cause, FC_DENY_ANOTHER_HAS_PERMISSION);
	cr_assert_eq(fc_srv_revoke(&s, FC_REVOKE_NO_RESOURCES, 2, &out), 0);
	cr_assert_not(out.send[0].msg.ack_req, "Revoke cannot carry x");
	cr_assert_eq(out.send[0].msg.reject_cause, FC_REVOKE_NO_RESOURCES);

	fc_msg_init(&m, FC_T_ACK, false, 0xb);
	m.present = FC_F_MSG_TYPE;
	cr_assert_eq(fc_srv_rx(&s, B, &m, 3, &out), 0);
	cr_assert_eq(s.stats.acks_rx, 1);
	cr_assert_eq(fc_srv_rx(&s, N_MEMBERS, &m, 3, &out), -FC_E_NOTFOUND);
}

Test(sim_floor_fsm, server_members_full)
{
	struct fc_srv s;
	struct fc_srv_cfg cfg = { .ssrc = 1 };
	char name[32];
	unsigned int i, idx;

	fc_srv_init(&s, &cfg);
	for (i = 0; i < FC_SRV_MEMBERS_MAX; i++) {
		snprintf(name, sizeof(name), "m%u", i);
		cr_assert_eq(fc_srv_member_add(&s, name, &idx), 0);
	}
	cr_assert_eq(fc_srv_member_add(&s, "one-too-many", &idx), -FC_E_FULL);
	cr_assert_eq(fc_srv_member_add(&s, NULL, &idx), -FC_E_ARG);
}

/* The two machines against each other: every server output fed to clients. */
Test(sim_floor_fsm, client_and_server_converge)
{
	struct fc_srv s;
	struct fc_cli cl[2];
	struct fc_cli_cfg ccfg = { .priority = 1 };
	struct fc_srv_out so;
	struct fc_cli_out co;
	struct fc_cli_ev ev = { FC_CLI_EV_PTT_PRESS, NULL };
	unsigned int i, k;

	srv_setup(&s, 2, true);
	for (i = 0; i < 2; i++) {
		ccfg.ssrc = 0x100 + i;
		fc_cli_init(&cl[i], &ccfg);
	}
	/* client 0 presses; deliver its request, then fan the answers out */
	cr_assert_eq(fc_cli_event(&cl[0], &ev, 0, &co), 0);
	cr_assert_eq(fc_srv_rx(&s, 0, &co.msg[0], 0, &so), 0);
	for (k = 0; k < so.n; k++) {
		for (i = 0; i < 2; i++) {
			bool to = so.send[k].dest == FC_TO_ALL ||
				  (so.send[k].dest == FC_TO_ONE) == (so.send[k].member == i);

			if (!to)
				continue;
			ev.type = FC_CLI_EV_RX;
			ev.msg = &so.send[k].msg;
			cr_assert_eq(fc_cli_event(&cl[i], &ev, 1, &co), 0);
			cr_assert_eq(co.n, 1, "an Ack for x");
			cr_assert_eq(co.msg[0].type, FC_T_ACK);
		}
	}
	cr_assert_eq(cl[0].state, FC_CLI_HAS_PERMISSION);
	cr_assert_eq(cl[1].state, FC_CLI_TAKEN);
	cr_assert_eq(cl[1].talker_ssrc, 0x100u);
}
