/* SPDX-License-Identifier: proprietary */
/*
 * Floor arbitration of the plain server stand-in: one talker per group, a
 * priority queue, pre-emption, Duration-based revoke and a revoke grace.
 * The transition table is in docs/floor-control.md.
 */
#include <string.h>

#include "fc_fsm.h"

#define DEFAULT_GRACE_MS	1000

static const char *const srv_state_names[FC_SRV_STATE_COUNT] = {
#define STR(n, s) [FC_SRV_##n] = s,
	FC_SRV_STATES(STR)
#undef STR
};

const char *
fc_srv_state_name(enum fc_srv_state st)
{
	return (unsigned int)st < FC_SRV_STATE_COUNT ? srv_state_names[st] : "unknown";
}

void
fc_srv_init(struct fc_srv *s, const struct fc_srv_cfg *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	if (s->cfg.revoke_grace_ms == 0)
		s->cfg.revoke_grace_ms = DEFAULT_GRACE_MS;
	if (s->cfg.queue_max > FC_SRV_QUEUE_MAX)
		s->cfg.queue_max = FC_SRV_QUEUE_MAX;
	s->state = FC_SRV_IDLE;
	s->talker = -1;
	s->talk_deadline = FC_NEVER;
	s->revoke_deadline = FC_NEVER;
}

int
fc_srv_member_add(struct fc_srv *s, const char *user_id, unsigned int *idx)
{
	struct fc_srv_member *mb;

	if (s == NULL || user_id == NULL || idx == NULL)
		return -FC_E_ARG;
	if (s->n_members == FC_SRV_MEMBERS_MAX)
		return -FC_E_FULL;
	mb = &s->member[s->n_members];
	memset(mb, 0, sizeof(*mb));
	if (fc_str_setz(&mb->user_id, user_id) < 0)
		return -FC_E_ARG;
	*idx = s->n_members++;
	return 0;
}

int
fc_srv_talker(const struct fc_srv *s)
{
	return s->talker;
}

unsigned int
fc_srv_queue_pos(const struct fc_srv *s, unsigned int member)
{
	unsigned int i;

	for (i = 0; i < s->n_queued; i++)
		if (s->queue[i] == member)
			return i + 1;
	return 0;
}

uint64_t
fc_srv_deadline(const struct fc_srv *s)
{
	if (s->state == FC_SRV_REVOKING)
		return s->revoke_deadline;
	if (s->state == FC_SRV_TAKEN)
		return s->talk_deadline;
	return FC_NEVER;
}

/* A server message; x where the type can carry it and the config asks. */
static struct fc_msg *
push(struct fc_srv *s, struct fc_srv_out *out, enum fc_dest dest, unsigned int member,
     enum fc_type t)
{
	struct fc_srv_send *sd = &out->send[out->n++];
	struct fc_msg *m = &sd->msg;

	sd->dest = dest;
	sd->member = member;
	fc_msg_init(m, t, s->cfg.ack_req && (FC_ACKABLE_TYPES & (1u << t)), s->cfg.ssrc);
	m->seq = s->seq++;
	m->present = FC_F_SEQ;
	if (s->cfg.floor_ind != 0 && (t == FC_T_GRANTED || t == FC_T_TAKEN || t == FC_T_IDLE)) {
		m->floor_ind = s->cfg.floor_ind;
		m->present |= FC_F_FLOOR_IND;
	}
	return m;
}

static void
send_queue_info(struct fc_srv *s, struct fc_srv_out *out, unsigned int member)
{
	struct fc_msg *m = push(s, out, FC_TO_ONE, member, FC_T_QUEUE_POS_INFO);
	unsigned int pos = fc_srv_queue_pos(s, member);

	m->queue_pos = pos != 0 ? (uint8_t)pos : FC_QUEUE_POS_NOT_QUEUED;
	m->queue_prio = pos != 0 ? s->queue_prio[pos - 1] : 0;
	m->queue_size = (uint16_t)s->n_queued;
	m->present |= FC_F_QUEUE_INFO | FC_F_QUEUE_SIZE;
}

static void
send_deny(struct fc_srv *s, struct fc_srv_out *out, unsigned int member, uint16_t cause)
{
	struct fc_msg *m = push(s, out, FC_TO_ONE, member, FC_T_DENY);

	m->reject_cause = cause;
	m->present |= FC_F_REJECT_CAUSE;
	s->stats.denied++;
}

/* Floor Taken: who talks, and that others may ask (queue or pre-emption). */
static void
send_taken(struct fc_srv *s, struct fc_srv_out *out, enum fc_dest dest, unsigned int member)
{
	const struct fc_srv_member *t = &s->member[s->talker];
	struct fc_msg *m = push(s, out, dest, member, FC_T_TAKEN);

	m->granted_party = t->user_id;
	m->granted_ssrc = t->ssrc;
	m->permission = s->cfg.queue_max != 0 || s->cfg.preempt_priority != 0;
	m->present |= FC_F_GRANTED_PARTY | FC_F_SSRC | FC_F_PERMISSION;
	s->stats.taken++;
}

static void
send_granted(struct fc_srv *s, struct fc_srv_out *out, unsigned int member)
{
	struct fc_msg *m = push(s, out, FC_TO_ONE, member, FC_T_GRANTED);

	m->priority = s->talker_prio;
	m->queue_size = (uint16_t)s->n_queued;
	m->present |= FC_F_PRIORITY | FC_F_QUEUE_SIZE;
	if (s->cfg.duration_s != 0) {
		m->duration = s->cfg.duration_s;
		m->present |= FC_F_DURATION;
	}
}

static void
grant(struct fc_srv *s, unsigned int member, uint8_t prio, uint64_t now, struct fc_srv_out *out)
{
	s->state = FC_SRV_TAKEN;
	s->talker = (int)member;
	s->talker_prio = prio;
	s->talk_deadline = s->cfg.duration_s != 0 ? now + 1000u * s->cfg.duration_s : FC_NEVER;
	s->revoke_deadline = FC_NEVER;
	send_granted(s, out, member);
	send_taken(s, out, FC_TO_ALL_BUT, member);
	s->stats.granted++;
}

static void
dequeue_at(struct fc_srv *s, unsigned int i)
{
	memmove(&s->queue[i], &s->queue[i + 1], s->n_queued - i - 1);
	memmove(&s->queue_prio[i], &s->queue_prio[i + 1], s->n_queued - i - 1);
	s->n_queued--;
}

/* Insert behind every entry of equal or higher priority (FIFO within one). */
static void
enqueue(struct fc_srv *s, unsigned int member, uint8_t prio, bool head)
{
	unsigned int i = 0;

	if (!head)
		while (i < s->n_queued && s->queue_prio[i] >= prio)
			i++;
	memmove(&s->queue[i + 1], &s->queue[i], s->n_queued - i);
	memmove(&s->queue_prio[i + 1], &s->queue_prio[i], s->n_queued - i);
	s->queue[i] = (uint8_t)member;
	s->queue_prio[i] = prio;
	s->n_queued++;
	s->stats.queued++;
}

/* The talker let go (or was taken off): next in the queue, or idle. */
static void
floor_freed(struct fc_srv *s, uint64_t now, struct fc_srv_out *out)
{
	unsigned int next;
	uint8_t prio;

	if (s->n_queued != 0) {
		next = s->queue[0];
		prio = s->queue_prio[0];
		dequeue_at(s, 0);
		grant(s, next, prio, now, out);
		return;
	}
	s->state = FC_SRV_IDLE;
	s->talker = -1;
	s->talk_deadline = FC_NEVER;
	s->revoke_deadline = FC_NEVER;
	push(s, out, FC_TO_ALL, 0, FC_T_IDLE);
	s->stats.idle++;
}

static void
start_revoke(struct fc_srv *s, uint16_t cause, uint64_t now, struct fc_srv_out *out)
{
	struct fc_msg *m = push(s, out, FC_TO_ONE, (unsigned int)s->talker, FC_T_REVOKE);

	m->reject_cause = cause;
	m->present |= FC_F_REJECT_CAUSE;
	s->state = FC_SRV_REVOKING;
	s->talk_deadline = FC_NEVER;
	s->revoke_deadline = now + s->cfg.revoke_grace_ms;
	s->stats.revoked++;
}

static int
rx_request(struct fc_srv *s, unsigned int i, const struct fc_msg *m, uint64_t now,
	   struct fc_srv_out *out)
{
	uint8_t prio = (m->present & FC_F_PRIORITY) ? m->priority : 0;

	if (s->state == FC_SRV_IDLE) {
		grant(s, i, prio, now, out);
		return 0;
	}
	if ((int)i == s->talker) {
		if (s->state == FC_SRV_REVOKING)
			return -FC_E_UNEXPECTED;
		send_granted(s, out, i);	/* our Granted was lost */
		return 0;
	}
	if (fc_srv_queue_pos(s, i) != 0) {
		send_queue_info(s, out, i);	/* our Queue Position Info was lost */
		return 0;
	}
	if (s->state == FC_SRV_TAKEN && s->cfg.preempt_priority != 0 &&
	    prio >= s->cfg.preempt_priority && prio > s->talker_prio &&
	    s->n_queued < FC_SRV_QUEUE_MAX) {
		start_revoke(s, FC_REVOKE_PREEMPTED, now, out);
		enqueue(s, i, prio, true);
		send_queue_info(s, out, i);
		return 0;
	}
	if (s->cfg.queue_max == 0) {
		send_deny(s, out, i, FC_DENY_ANOTHER_HAS_PERMISSION);
		return 0;
	}
	if (s->n_queued >= s->cfg.queue_max) {
		send_deny(s, out, i, FC_DENY_QUEUE_FULL);
		return 0;
	}
	enqueue(s, i, prio, false);
	send_queue_info(s, out, i);
	return 0;
}

static int
rx_release(struct fc_srv *s, unsigned int i, uint64_t now, struct fc_srv_out *out)
{
	unsigned int pos = fc_srv_queue_pos(s, i);

	if ((int)i == s->talker) {
		floor_freed(s, now, out);
		return 0;
	}
	if (pos != 0) {
		dequeue_at(s, pos - 1);	/* a queued request withdrawn */
		return 0;
	}
	/* A Release we already answered: say again how the floor stands. */
	if (s->state == FC_SRV_IDLE)
		push(s, out, FC_TO_ONE, i, FC_T_IDLE);
	else
		send_taken(s, out, FC_TO_ONE, i);
	return 0;
}

static void
send_ack(struct fc_srv *s, struct fc_srv_out *out, unsigned int i, const struct fc_msg *rx)
{
	struct fc_msg *m = push(s, out, FC_TO_ONE, i, FC_T_ACK);

	m->present = FC_F_SOURCE | FC_F_MSG_TYPE;	/* no sequence number on an Ack */
	s->seq--;
	m->source = FC_SRC_CONTROLLING;
	m->msg_type = FC_MSG_TYPE_VALUE(fc_msg_subtype(rx));
	s->stats.acks_tx++;
}

int
fc_srv_rx(struct fc_srv *s, unsigned int member, const struct fc_msg *m, uint64_t now,
	  struct fc_srv_out *out)
{
	int rc;

	if (s == NULL || m == NULL || out == NULL)
		return -FC_E_ARG;
	out->n = 0;
	if (member >= s->n_members)
		return -FC_E_NOTFOUND;
	s->member[member].ssrc = m->ssrc;
	s->member[member].ssrc_known = true;
	if (m->ack_req)
		send_ack(s, out, member, m);
	switch (m->type) {
	case FC_T_REQUEST:
		rc = rx_request(s, member, m, now, out);
		break;
	case FC_T_RELEASE:
		rc = rx_release(s, member, now, out);
		break;
	case FC_T_QUEUE_POS_REQUEST:
		send_queue_info(s, out, member);
		rc = 0;
		break;
	case FC_T_ACK:
		s->stats.acks_rx++;
		rc = 0;
		break;
	default:
		rc = -FC_E_UNEXPECTED;	/* a server-to-participant type */
		break;
	}
	if (rc == -FC_E_UNEXPECTED)
		s->stats.unexpected++;
	return rc;
}

void
fc_srv_tick(struct fc_srv *s, uint64_t now, struct fc_srv_out *out)
{
	out->n = 0;
	if (s->state == FC_SRV_TAKEN && now >= s->talk_deadline)
		start_revoke(s, FC_REVOKE_BURST_TOO_LONG, now, out);
	else if (s->state == FC_SRV_REVOKING && now >= s->revoke_deadline)
		floor_freed(s, now, out);	/* the talker never released */
}

int
fc_srv_revoke(struct fc_srv *s, uint16_t cause, uint64_t now, struct fc_srv_out *out)
{
	if (s == NULL || out == NULL)
		return -FC_E_ARG;
	out->n = 0;
	if (s->state != FC_SRV_TAKEN)
		return -FC_E_UNEXPECTED;
	start_revoke(s, cause, now, out);
	return 0;
}
