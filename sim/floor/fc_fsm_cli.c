/* SPDX-License-Identifier: proprietary */
/*
 * Floor participant (client) state machine. The transition table is in
 * docs/floor-control.md; every branch below is one of its rows.
 */
#include <string.h>

#include "fc_fsm.h"

#define DEFAULT_RETRY_MS	500
#define DEFAULT_TRIES		3

static const char *const cli_state_names[FC_CLI_STATE_COUNT] = {
#define STR(n, s) [FC_CLI_##n] = s,
	FC_CLI_STATES(STR)
#undef STR
};

static const char *const note_names[FC_NOTE_COUNT] = {
#define STR(n, s) [FC_NOTE_##n] = s,
	FC_NOTES(STR)
#undef STR
};

const char *
fc_cli_state_name(enum fc_cli_state s)
{
	return (unsigned int)s < FC_CLI_STATE_COUNT ? cli_state_names[s] : "unknown";
}

const char *
fc_note_name(enum fc_note n)
{
	return (unsigned int)n < FC_NOTE_COUNT ? note_names[n] : "unknown";
}

void
fc_cli_init(struct fc_cli *c, const struct fc_cli_cfg *cfg)
{
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	c->cfg.user_id = NULL;		/* copied below, not kept */
	if (c->cfg.request_retry_ms == 0)
		c->cfg.request_retry_ms = DEFAULT_RETRY_MS;
	if (c->cfg.request_tries == 0)
		c->cfg.request_tries = DEFAULT_TRIES;
	if (c->cfg.release_retry_ms == 0)
		c->cfg.release_retry_ms = DEFAULT_RETRY_MS;
	if (c->cfg.release_tries == 0)
		c->cfg.release_tries = DEFAULT_TRIES;
	if (cfg->user_id != NULL && fc_str_setz(&c->user_id, cfg->user_id) < 0)
		c->user_id.len = 0;	/* too long or bad: send no User ID */
	c->state = FC_CLI_IDLE;
	c->deadline = FC_NEVER;
}

uint64_t
fc_cli_deadline(const struct fc_cli *c)
{
	return c->deadline;
}

static struct fc_msg *
push(struct fc_cli *c, struct fc_cli_out *out, enum fc_type t)
{
	struct fc_msg *m = &out->msg[out->n++];

	fc_msg_init(m, t, false, c->cfg.ssrc);
	if (c->user_id.len != 0) {
		m->user_id = c->user_id;
		m->present |= FC_F_USER_ID;
	}
	return m;
}

static void
send_request(struct fc_cli *c, struct fc_cli_out *out)
{
	struct fc_msg *m = push(c, out, FC_T_REQUEST);

	m->priority = c->cfg.priority;
	m->present |= FC_F_PRIORITY;
}

/* Acknowledge a message that asked for it: Message Type names it. */
static void
send_ack(struct fc_cli *c, struct fc_cli_out *out, const struct fc_msg *rx)
{
	struct fc_msg *m = push(c, out, FC_T_ACK);

	m->source = FC_SRC_PARTICIPANT;
	m->msg_type = FC_MSG_TYPE_VALUE(fc_msg_subtype(rx));
	m->present |= FC_F_SOURCE | FC_F_MSG_TYPE;
	c->n_acks++;
}

static void
enter(struct fc_cli *c, enum fc_cli_state st, uint64_t deadline)
{
	c->state = st;
	c->deadline = deadline;
}

/* Back to "has no permission": taken if a talker is known, else idle. */
static void
enter_no_permission(struct fc_cli *c)
{
	enter(c, c->talker_known ? FC_CLI_TAKEN : FC_CLI_IDLE, FC_NEVER);
}

static void
start_request(struct fc_cli *c, uint64_t now, struct fc_cli_out *out)
{
	send_request(c, out);
	c->tries = 1;
	enter(c, FC_CLI_PENDING_REQUEST, now + c->cfg.request_retry_ms);
}

static void
start_release(struct fc_cli *c, uint64_t now, struct fc_cli_out *out)
{
	push(c, out, FC_T_RELEASE);
	c->tries = 1;
	enter(c, FC_CLI_PENDING_RELEASE, now + c->cfg.release_retry_ms);
}

static int
on_press(struct fc_cli *c, uint64_t now, struct fc_cli_out *out)
{
	if (c->state != FC_CLI_IDLE && c->state != FC_CLI_TAKEN)
		return -FC_E_UNEXPECTED;
	start_request(c, now, out);
	return 0;
}

static int
on_release(struct fc_cli *c, uint64_t now, struct fc_cli_out *out)
{
	switch (c->state) {
	case FC_CLI_PENDING_REQUEST:
	case FC_CLI_HAS_PERMISSION:
		start_release(c, now, out);
		return 0;
	case FC_CLI_QUEUED:
		/* Withdraw the queued request; the server confirms nothing. */
		push(c, out, FC_T_RELEASE);
		out->note = FC_NOTE_CANCELLED;
		enter_no_permission(c);
		return 0;
	default:
		return -FC_E_UNEXPECTED;
	}
}

static int
on_queue_query(struct fc_cli *c, struct fc_cli_out *out)
{
	if (c->state != FC_CLI_QUEUED)
		return -FC_E_UNEXPECTED;
	push(c, out, FC_T_QUEUE_POS_REQUEST);
	return 0;
}

static int
on_timer(struct fc_cli *c, uint64_t now, struct fc_cli_out *out)
{
	bool req = c->state == FC_CLI_PENDING_REQUEST;

	if (c->deadline == FC_NEVER || now < c->deadline)
		return 0;	/* nothing due: not an error, timers are polled */
	if (c->tries >= (req ? c->cfg.request_tries : c->cfg.release_tries)) {
		out->note = FC_NOTE_GAVE_UP;
		if (req)
			enter_no_permission(c);
		else
			enter(c, FC_CLI_IDLE, FC_NEVER);	/* assume the floor went idle */
		return 0;
	}
	if (req)
		send_request(c, out);
	else
		push(c, out, FC_T_RELEASE);
	c->tries++;
	c->deadline = now + (req ? c->cfg.request_retry_ms : c->cfg.release_retry_ms);
	return 0;
}

static void
forget_talker(struct fc_cli *c)
{
	c->talker_known = false;
	c->talker_ssrc = 0;
	c->talker.len = 0;
	c->talker.s[0] = '\0';
}

static void
note_talker(struct fc_cli *c, const struct fc_msg *m)
{
	forget_talker(c);
	c->talker_known = true;
	if (m->present & FC_F_SSRC)
		c->talker_ssrc = m->granted_ssrc;
	if (m->present & FC_F_GRANTED_PARTY)
		c->talker = m->granted_party;
}

static int
rx_granted(struct fc_cli *c, const struct fc_msg *m, struct fc_cli_out *out)
{
	switch (c->state) {
	case FC_CLI_PENDING_REQUEST:
	case FC_CLI_QUEUED:
		c->duration = (m->present & FC_F_DURATION) ? m->duration : 0;
		forget_talker(c);
		out->note = FC_NOTE_GRANTED;
		enter(c, FC_CLI_HAS_PERMISSION, FC_NEVER);
		return 0;
	case FC_CLI_HAS_PERMISSION:
		return 0;	/* a repeated grant */
	default:
		return -FC_E_UNEXPECTED;
	}
}

static int
rx_deny(struct fc_cli *c, const struct fc_msg *m, struct fc_cli_out *out)
{
	if (c->state != FC_CLI_PENDING_REQUEST && c->state != FC_CLI_QUEUED)
		return -FC_E_UNEXPECTED;
	out->note = FC_NOTE_DENIED;
	out->cause = (m->present & FC_F_REJECT_CAUSE) ? m->reject_cause : 0;
	enter_no_permission(c);
	return 0;
}

static int
rx_queue_info(struct fc_cli *c, const struct fc_msg *m, struct fc_cli_out *out)
{
	if (c->state != FC_CLI_PENDING_REQUEST && c->state != FC_CLI_QUEUED)
		return -FC_E_UNEXPECTED;
	c->queue_pos = (m->present & FC_F_QUEUE_INFO) ? m->queue_pos : FC_QUEUE_POS_UNDISCLOSED;
	out->note = FC_NOTE_QUEUED;
	enter(c, FC_CLI_QUEUED, FC_NEVER);
	return 0;
}

static int
rx_taken(struct fc_cli *c, const struct fc_msg *m, struct fc_cli_out *out)
{
	if (c->state == FC_CLI_HAS_PERMISSION)
		return -FC_E_UNEXPECTED;
	note_talker(c, m);
	switch (c->state) {
	case FC_CLI_IDLE:
	case FC_CLI_TAKEN:
		out->note = FC_NOTE_TAKEN;
		enter(c, FC_CLI_TAKEN, FC_NEVER);
		return 0;
	case FC_CLI_PENDING_RELEASE:
		out->note = FC_NOTE_RELEASED;
		enter(c, FC_CLI_TAKEN, FC_NEVER);
		return 0;
	case FC_CLI_PENDING_REQUEST:
	case FC_CLI_QUEUED:
		return 0;	/* someone else got it first; our answer still comes */
	default:
		return -FC_E_UNEXPECTED;
	}
}

static int
rx_idle(struct fc_cli *c, struct fc_cli_out *out)
{
	if (c->state == FC_CLI_HAS_PERMISSION)
		return -FC_E_UNEXPECTED;
	forget_talker(c);
	switch (c->state) {
	case FC_CLI_TAKEN:
		out->note = FC_NOTE_IDLE;
		enter(c, FC_CLI_IDLE, FC_NEVER);
		return 0;
	case FC_CLI_PENDING_RELEASE:
		out->note = FC_NOTE_RELEASED;
		enter(c, FC_CLI_IDLE, FC_NEVER);
		return 0;
	case FC_CLI_IDLE:
	case FC_CLI_PENDING_REQUEST:
	case FC_CLI_QUEUED:
		return 0;
	default:
		return -FC_E_UNEXPECTED;
	}
}

static int
rx_revoke(struct fc_cli *c, const struct fc_msg *m, uint64_t now, struct fc_cli_out *out)
{
	if (c->state != FC_CLI_HAS_PERMISSION)
		return -FC_E_UNEXPECTED;
	out->cause = (m->present & FC_F_REJECT_CAUSE) ? m->reject_cause : 0;
	start_release(c, now, out);
	out->note = FC_NOTE_REVOKED;
	return 0;
}

static int
on_rx(struct fc_cli *c, const struct fc_msg *m, uint64_t now, struct fc_cli_out *out)
{
	if (m->ack_req)
		send_ack(c, out, m);
	switch (m->type) {
	case FC_T_GRANTED: return rx_granted(c, m, out);
	case FC_T_DENY: return rx_deny(c, m, out);
	case FC_T_QUEUE_POS_INFO: return rx_queue_info(c, m, out);
	case FC_T_TAKEN: return rx_taken(c, m, out);
	case FC_T_IDLE: return rx_idle(c, out);
	case FC_T_REVOKE: return rx_revoke(c, m, now, out);
	case FC_T_ACK: return 0;	/* we never ask for one */
	default: return -FC_E_UNEXPECTED;	/* participant-to-server types */
	}
}

int
fc_cli_event(struct fc_cli *c, const struct fc_cli_ev *ev, uint64_t now, struct fc_cli_out *out)
{
	int rc;

	if (c == NULL || ev == NULL || out == NULL)
		return -FC_E_ARG;
	out->n = 0;
	out->note = FC_NOTE_NONE;
	out->cause = 0;
	switch (ev->type) {
	case FC_CLI_EV_PTT_PRESS: rc = on_press(c, now, out); break;
	case FC_CLI_EV_PTT_RELEASE: rc = on_release(c, now, out); break;
	case FC_CLI_EV_QUEUE_QUERY: rc = on_queue_query(c, out); break;
	case FC_CLI_EV_TIMER: rc = on_timer(c, now, out); break;
	case FC_CLI_EV_RX:
		if (ev->msg == NULL)
			return -FC_E_ARG;
		rc = on_rx(c, ev->msg, now, out);
		break;
	default:
		return -FC_E_ARG;
	}
	if (rc == -FC_E_UNEXPECTED)
		c->n_unexpected++;
	return rc;
}
