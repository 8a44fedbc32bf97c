/* SPDX-License-Identifier: proprietary */
#include <stdarg.h>
#include <stdio.h>

#include "keys_keyid.h"
#include "ue_check.h"

/* Every session: the GMKs in the order given, the PCK, the CSK; NULL past the end. */
static const struct ue_sess *
sess_at(const struct ue *u, unsigned int i)
{
	if (i < u->n_gmk)
		return u->gmk[i];
	i -= u->n_gmk;
	return i == 0 ? u->priv : i == 1 ? u->csk : NULL;
}

#define SESS_MAX (UE_GMK_MAX + 2)

static uint64_t
sess_drops(const struct ue_sess *s)
{
	uint64_t n = 0;
	unsigned int p, v;

	for (p = 0; s != NULL && p < 2; p++)
		for (v = 0; v < DP_V_COUNT; v++)
			n += v == DP_V_FWD ? 0 : s->verdict[p][v];
	return n;
}

uint64_t
ue_drops(const struct ue *u)
{
	uint64_t n = u->st.no_key;
	unsigned int i;

	for (i = 0; i < SESS_MAX; i++)
		n += sess_drops(sess_at(u, i));
	return n;
}

struct verdict {
	unsigned int failed;
	char *why;
	size_t cap;
};

static void __attribute__((format(printf, 3, 4)))
need(struct verdict *vd, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	if (vd->failed++ == 0 && vd->cap != 0) {
		va_start(ap, fmt);
		vsnprintf(vd->why, vd->cap, fmt, ap);
		va_end(ap);
	}
}

/* Per sender across keys: a talk burst that moved to a new GMK is one run of frames. */
static void
check_senders(const struct ue *u, const struct ue_expect *e, struct verdict *vd)
{
	unsigned int i;

	for (i = 0; i < u->n_from; i++) {
		const struct ue_frames *f = &u->from[i].frames;
		uint32_t ssrc = u->from[i].ssrc;

		need(vd, f->bad == 0, "SSRC %08x: %llu frames with wrong content", ssrc,
		     (unsigned long long)f->bad);
		need(vd, f->late == 0, "SSRC %08x: %llu frames out of order", ssrc,
		     (unsigned long long)f->late);
		need(vd, e->allow_gaps || f->gaps == 0, "SSRC %08x: %llu frames missing", ssrc,
		     (unsigned long long)f->gaps);
		need(vd, f->ok >= e->frames, "SSRC %08x: %llu frames verified, expected %llu", ssrc,
		     (unsigned long long)f->ok, (unsigned long long)e->frames);
	}
	need(vd, u->n_from >= e->senders, "media from %u senders, expected %u", u->n_from,
	     e->senders);
}

unsigned int
ue_check(const struct ue *u, const struct ue_expect *e, char *why, size_t cap)
{
	struct verdict vd = { 0, why, cap };

	if (cap != 0)
		why[0] = '\0';
	need(&vd, !u->no_media_key, "no media key (GMK or PCK) within %u ms of the talk time: "
	     "a CSK protects floor control only", UE_KEY_WAIT_MS);
	need(&vd, !u->offer.refused, "the peer refused our key: %s", u->offer.reason);
	need(&vd, u->no_media_key || u->st.sent == u->cfg.frames, "sent %llu frames of %u",
	     (unsigned long long)u->st.sent, u->cfg.frames);
	need(&vd, u->st.protect_fail == 0 && u->st.send_fail == 0, "%llu packets not sent",
	     (unsigned long long)(u->st.protect_fail + u->st.send_fail));
	need(&vd, !u->cfg.floor || u->cfg.frames == 0 || u->floor.notes[FC_NOTE_GRANTED] != 0,
	     "never got the floor");
	need(&vd, u->offer.tries == 0 || u->offer.acked || u->offer.refused,
	     "the peer did not take our key (no answer)");
	need(&vd, u->st.sig_bad == 0 && u->st.sig_key_refused == 0,
	     "%llu signalling messages refused", (unsigned long long)(u->st.sig_bad +
								       u->st.sig_key_refused));
	need(&vd, u->st.floor_decode_errors == 0, "%llu floor messages did not decode",
	     (unsigned long long)u->st.floor_decode_errors);
	need(&vd, e->allow_drops || ue_drops(u) == 0, "%llu packets refused",
	     (unsigned long long)ue_drops(u));
	check_senders(u, e, &vd);
	return vd.failed;
}

/* ---------------------------------------------------------------- report */

static json_t *
verdicts_json(const uint64_t *v)
{
	json_t *o = json_object();
	unsigned int i;

	for (i = 0; i < DP_V_COUNT; i++)
		if (v[i] != 0)
			json_object_set_new(o, dp_verdict_name(i), json_integer((json_int_t)v[i]));
	return o;
}

static const char *
kind_name(unsigned int purpose)
{
	return purpose == KEYS_PURPOSE_GMK ? "gmk" : purpose == KEYS_PURPOSE_PCK ? "pck" : "csk";
}

static json_t *
sess_json(const struct ue_sess *s)
{
	json_t *o, *senders = json_array();
	char mki[2 * KEYS_MKI_MAX_LEN + 1];
	unsigned int i;

	for (i = 0; i < s->key.mki_len; i++)
		snprintf(mki + 2 * i, 3, "%02x", s->key.mki[i]);	/* an ID, not key material */
	mki[2 * i] = '\0';
	for (i = 0; i < s->n_rx; i++) {
		const struct ue_rx_stream *r = &s->rx[i];

		json_array_append_new(senders, json_pack(
			"{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"proto", r->proto == DP_SRTP_PROTO_RTP ? "srtp" : "srtcp",
			"ssrc", (json_int_t)r->ssrc, "guk_id", (json_int_t)r->guk_id,
			"verified", (json_int_t)r->frames.ok, "first", (json_int_t)r->frames.first,
			"last", (json_int_t)r->frames.last, "gaps", (json_int_t)r->frames.gaps,
			"late", (json_int_t)r->frames.late, "bad", (json_int_t)r->frames.bad));
	}
	o = json_pack("{s:s, s:I, s:s, s:s, s:i, s:b, s:I, s:I, s:o, s:o, s:o}",
		      "key", kind_name(s->key.purpose), "key_id", (json_int_t)s->key.key_id,
		      "mki", mki, "profile", dp_srtp_profile_info(s->profile)->name,
		      "rcc_r", s->rcc_r, "initiator", s->key.from_self,
		      "contexts_derived", (json_int_t)s->derived,
		      "first_packets_refused", (json_int_t)s->trials_failed,
		      "srtp_rx", verdicts_json(s->verdict[DP_SRTP_PROTO_RTP]),
		      "srtcp_rx", verdicts_json(s->verdict[DP_SRTP_PROTO_RTCP]),
		      "senders", senders);
	return o;
}

/* A key's E.6 time as Unix seconds (0: none, or never for an expiry). */
static json_int_t
unix_s(uint64_t t1900)
{
	return (json_int_t)(ue_key_time_ms(t1900) / 1000);
}

static uint64_t
srtp_refused(const struct ue_sess *s)
{
	uint64_t n = 0;
	unsigned int v;

	for (v = 0; v < DP_V_COUNT; v++)
		n += v == DP_V_FWD ? 0 : s->verdict[DP_SRTP_PROTO_RTP][v];
	return n;
}

static uint64_t
verified_under(const struct ue_sess *s)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < s->n_rx; i++)
		n += s->rx[i].proto == DP_SRTP_PROTO_RTP ? s->rx[i].frames.ok : 0;
	return n;
}

/*
 * The media keys (GMKs in the order given, then the PCK): frames sent and
 * verified under each, and when each became the one we send under.
 */
static json_t *
keys_json(const struct ue *u)
{
	json_t *a = json_array();
	const struct ue_sess *s;
	unsigned int i;

	for (i = 0; i < SESS_MAX; i++) {
		s = sess_at(u, i);
		if (s == NULL || s->key.purpose == KEYS_PURPOSE_CSK)
			continue;	/* a CSK protects no media */
		json_array_append_new(a, json_pack(
			"{s:s, s:I, s:I, s:I, s:b, s:b, s:I, s:I, s:I, s:I, s:I}",
			"key", kind_name(s->key.purpose), "key_id", (json_int_t)s->key.key_id,
			"activation", unix_s(s->key.activation), "expiry", unix_s(s->key.expiry),
			"sending", s == ue_media_sess(u), "expired", s->expired,
			"sent", (json_int_t)s->tx_frames,
			"first_sent", s->tx_frames != 0 ? (json_int_t)s->tx_first : (json_int_t)-1,
			"sending_from_ms", (json_int_t)s->tx_since_ms,
			"verified", (json_int_t)verified_under(s),
			"refused", (json_int_t)srtp_refused(s)));
	}
	return a;
}

/* Each sender's frames across every key it used: what the checks judge. */
static json_t *
media_from_json(const struct ue *u)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; i < u->n_from; i++) {
		const struct ue_frames *f = &u->from[i].frames;

		json_array_append_new(a, json_pack(
			"{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "ssrc", (json_int_t)u->from[i].ssrc,
			"verified", (json_int_t)f->ok, "first", (json_int_t)f->first,
			"last", (json_int_t)f->last, "gaps", (json_int_t)f->gaps,
			"late", (json_int_t)f->late, "bad", (json_int_t)f->bad));
	}
	return a;
}

static json_t *
by_type(const uint64_t *n)
{
	json_t *o = json_object();
	unsigned int t;

	for (t = 0; t < FC_T_COUNT; t++)
		if (n[t] != 0)
			json_object_set_new(o, fc_type_name(t), json_integer((json_int_t)n[t]));
	return o;
}

static json_t *
floor_json(const struct ue *u)
{
	json_t *notes = json_object();
	unsigned int i;

	for (i = 1; i < FC_NOTE_COUNT; i++)
		if (u->floor.notes[i] != 0)
			json_object_set_new(notes, fc_note_name(i),
					    json_integer((json_int_t)u->floor.notes[i]));
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:I}", "mode",
			 u->cfg.offnet ? "off-network" : "on-network", "state",
			 fc_cli_state_name(u->floor.cli.state), "sent", by_type(u->floor.out),
			 "received", by_type(u->floor.in), "notes", notes, "unexpected",
			 (json_int_t)u->floor.unexpected);
}

json_t *
ue_report_json(const struct ue *u, const struct ue_expect *e)
{
	char why[200];
	unsigned int failed = ue_check(u, e, why, sizeof(why)), i;
	json_t *sessions = json_array(), *r;
	uint16_t port[UE_NFDS];

	ue_ports(u, port);
	for (i = 0; i < SESS_MAX; i++)
		if (sess_at(u, i) != NULL)
			json_array_append_new(sessions, sess_json(sess_at(u, i)));
	r = json_pack(
		"{s:s, s:I, s:[i,i,i], s:b, s:s, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I},"
		" s:{s:I, s:I, s:I, s:I, s:I, s:b}, s:o, s:o, s:I, s:I}",
		"user", ue_keys_uri(u->keys), "ssrc", (json_int_t)u->ssrc, "ports", port[0],
		port[1], port[2], "ok", failed == 0, "failed", why,
		"sent", "frames", (json_int_t)u->st.sent, "octets", (json_int_t)u->st.sent_octets,
		"send_failed", (json_int_t)u->st.send_fail, "protect_failed",
		(json_int_t)u->st.protect_fail,
		"received", "media", (json_int_t)u->st.rx_media, "floor", (json_int_t)u->st.rx_floor,
		"before_join", (json_int_t)u->st.join_skipped, "no_key", (json_int_t)u->st.no_key,
		"floor_undecodable", (json_int_t)u->st.floor_decode_errors,
		"signalling", "received", (json_int_t)u->st.rx_sig, "keys", (json_int_t)u->st.sig_keys,
		"refused", (json_int_t)(u->st.sig_key_refused + u->st.sig_bad),
		"resent", (json_int_t)u->st.sig_resent, "repeats", (json_int_t)u->st.key_repeats,
		"offer_acked", u->offer.acked,
		"sessions", sessions, "floor", floor_json(u),
		"drops", (json_int_t)ue_drops(u), "checks_failed", (json_int_t)failed);
	if (r == NULL)
		return NULL;
	json_object_set_new(r, "keys", keys_json(u));
	json_object_set_new(r, "key_switches", json_integer((json_int_t)u->key_switches));
	json_object_set_new(r, "media_from", media_from_json(u));
	return r;
}
