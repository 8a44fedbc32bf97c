/* SPDX-License-Identifier: proprietary */
#include <string.h>

#include "ue_floor.h"

void
ue_floor_init(struct ue_floor *f, const struct fc_cli_cfg *cfg, bool offnet, uint32_t wait_ms)
{
	struct fc_cli_cfg c = *cfg;

	memset(f, 0, sizeof(*f));
	f->offnet = offnet;
	f->wait_ms = wait_ms != 0 ? wait_ms : 200;
	f->grant_at = FC_NEVER;
	/* Off-network, silence means yes: resend the Request only after the wait. */
	if (offnet && c.request_retry_ms <= f->wait_ms)
		c.request_retry_ms = 4 * f->wait_ms;
	fc_cli_init(&f->cli, &c);
}

static void
push(struct ue_floor_out *o, enum ue_floor_dest d, const struct fc_msg *m)
{
	if (o->n == UE_FLOOR_OUT_MAX)
		return;
	o->dest[o->n] = d;
	o->msg[o->n++] = *m;
}

/* Feed fc_cli and take over what it says: its messages go to all. */
static int
drive(struct ue_floor *f, const struct fc_cli_ev *ev, uint64_t now, struct ue_floor_out *o)
{
	struct fc_cli_out co;
	unsigned int i;
	int rc;

	rc = fc_cli_event(&f->cli, ev, now, &co);
	if (rc == -FC_E_UNEXPECTED)
		f->unexpected++;
	for (i = 0; i < co.n; i++)
		push(o, UE_FLOOR_TO_ALL, &co.msg[i]);
	if (co.note != FC_NOTE_NONE) {
		o->note = co.note;
		o->cause = co.cause;
		f->notes[co.note]++;
	}
	return rc;
}

static void
out_clear(struct ue_floor_out *o)
{
	o->n = 0;
	o->note = FC_NOTE_NONE;
	o->cause = 0;
}

/* Our own answer, fed to our own machine: the talker is its own arbitrator. */
static void
self_msg(struct ue_floor *f, enum fc_type t, uint64_t now, struct ue_floor_out *o)
{
	struct fc_msg m;
	struct fc_cli_ev ev = { FC_CLI_EV_RX, &m };

	fc_msg_init(&m, t, false, f->cli.cfg.ssrc);
	(void)drive(f, &ev, now, o);
}

/* A message of the arbitrator to all: Taken names us, Idle frees the floor. */
static void
announce(struct ue_floor *f, enum fc_type t, struct ue_floor_out *o)
{
	struct fc_msg m;

	fc_msg_init(&m, t, false, f->cli.cfg.ssrc);
	m.present = FC_F_SEQ;
	m.seq = f->seq++;
	if (t == FC_T_TAKEN) {
		m.present |= FC_F_SSRC | FC_F_PERMISSION;
		m.granted_ssrc = f->cli.cfg.ssrc;
		m.permission = FC_PERMISSION_NO;
		if (f->cli.user_id.len != 0) {
			m.present |= FC_F_GRANTED_PARTY;
			m.granted_party = f->cli.user_id;
		}
	}
	push(o, UE_FLOOR_TO_ALL, &m);
}

static void
count_out(struct ue_floor *f, const struct ue_floor_out *o)
{
	unsigned int i;

	for (i = 0; i < o->n; i++)
		f->out[o->msg[i].type & FC_SUBTYPE_TYPE_MASK]++;
}

int
ue_floor_ptt(struct ue_floor *f, bool press, uint64_t now, struct ue_floor_out *o)
{
	struct fc_cli_ev ev = { press ? FC_CLI_EV_PTT_PRESS : FC_CLI_EV_PTT_RELEASE, NULL };
	bool had = f->cli.state == FC_CLI_HAS_PERMISSION;
	int rc;

	out_clear(o);
	rc = drive(f, &ev, now, o);
	if (rc == 0 && f->offnet && press && f->cli.state == FC_CLI_PENDING_REQUEST)
		f->grant_at = now + f->wait_ms;
	if (rc == 0 && f->offnet && !press) {
		f->grant_at = FC_NEVER;
		if (had) {		/* §7.2: the talker tells all the floor is free */
			announce(f, FC_T_IDLE, o);
			self_msg(f, FC_T_IDLE, now, o);
		}
	}
	count_out(f, o);
	return rc;
}

/* Off-network: another's Floor Request reaches us. */
static void
arbitrate(struct ue_floor *f, const struct fc_msg *m, struct ue_floor_out *o)
{
	uint8_t theirs = (m->present & FC_F_PRIORITY) ? m->priority : 0;
	uint8_t ours = f->cli.cfg.priority;
	struct fc_msg d;

	if (f->cli.state == FC_CLI_PENDING_REQUEST &&
	    (theirs > ours || (theirs == ours && m->ssrc > f->cli.cfg.ssrc)))
		return;		/* they win the clash: their Deny will come */
	if (f->cli.state != FC_CLI_HAS_PERMISSION && f->cli.state != FC_CLI_PENDING_REQUEST)
		return;		/* no objection */
	fc_msg_init(&d, FC_T_DENY, false, f->cli.cfg.ssrc);
	d.present = FC_F_REJECT_CAUSE | FC_F_SEQ;
	d.reject_cause = FC_DENY_ANOTHER_HAS_PERMISSION;
	d.seq = f->seq++;
	push(o, UE_FLOOR_TO_SENDER, &d);
}

/*
 * Off-network: TS 24.380 Annex C, 'O: has no permission' + Floor Release from
 * the arbitrator (the sender of the last Floor Taken) -> 'O: silence': as our
 * Floor Idle. A Release from anyone else frees nothing.
 */
static int
offnet_release(struct ue_floor *f, const struct fc_msg *m, uint64_t now, struct ue_floor_out *o)
{
	struct fc_msg idle;
	struct fc_cli_ev ev = { FC_CLI_EV_RX, &idle };

	if (!f->cli.talker_known || m->ssrc != f->taken_from)
		return 0;
	fc_msg_init(&idle, FC_T_IDLE, false, m->ssrc);
	return drive(f, &ev, now, o);
}

int
ue_floor_rx(struct ue_floor *f, const struct fc_msg *m, uint64_t now, struct ue_floor_out *o)
{
	struct fc_cli_ev ev = { FC_CLI_EV_RX, m };
	int rc = 0;

	out_clear(o);
	f->in[m->type & FC_SUBTYPE_TYPE_MASK]++;
	if (f->offnet && m->type == FC_T_REQUEST)
		arbitrate(f, m, o);
	else if (f->offnet && m->type == FC_T_RELEASE)
		rc = offnet_release(f, m, now, o);
	else
		rc = drive(f, &ev, now, o);
	if (f->offnet && m->type == FC_T_TAKEN && rc == 0 && f->cli.talker_known)
		f->taken_from = m->ssrc;	/* the arbitrator now */
	if (f->cli.state != FC_CLI_PENDING_REQUEST)
		f->grant_at = FC_NEVER;	/* answered: Deny, or someone else's Taken */
	if (f->offnet && m->type == FC_T_TAKEN && f->cli.state == FC_CLI_PENDING_REQUEST)
		f->grant_at = FC_NEVER;	/* a talker exists: wait for its Idle or Deny */
	count_out(f, o);
	return rc;
}

void
ue_floor_tick(struct ue_floor *f, uint64_t now, struct ue_floor_out *o)
{
	struct fc_cli_ev ev = { FC_CLI_EV_TIMER, NULL };

	out_clear(o);
	if (f->offnet && f->cli.state == FC_CLI_PENDING_REQUEST && now >= f->grant_at) {
		f->grant_at = FC_NEVER;
		self_msg(f, FC_T_GRANTED, now, o);	/* nobody objected */
		announce(f, FC_T_TAKEN, o);
	} else {
		(void)drive(f, &ev, now, o);
	}
	count_out(f, o);
}

uint64_t
ue_floor_deadline(const struct ue_floor *f)
{
	uint64_t d = fc_cli_deadline(&f->cli);

	return f->grant_at < d ? f->grant_at : d;
}

bool
ue_floor_has_permission(const struct ue_floor *f)
{
	return f->cli.state == FC_CLI_HAS_PERMISSION;
}
