/* SPDX-License-Identifier: proprietary */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "keys_keyid.h"
#include "keys_period.h"
#include "sim_net.h"
#include "ue.h"

#define RX_BUDGET 64		/* datagrams per socket per ue_input() */
#define TX_BURST 16		/* frames per ue_tick() at most */
#define OFFER_EVERY_MS 200
#define OFFER_TRIES 15
#define RTP_HDR 12
#define RTP_PT 96		/* dynamic: AMR-WB */
#define RCVBUF (1 << 20)
#define PRESS_MAX 50		/* Floor Requests before a talker gives up */
#define SIG_MAGIC "MCPX-SIG/1 "

uint64_t
ue_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t
ue_clock_ms(const struct ue *u, uint64_t now_ms)
{
	int64_t at = ue_keys_at(u->keys);
	struct timespec ts;

	if (at != 0)
		return at * 1000 + (u->start_ms != 0 && now_ms > u->start_ms
					    ? (int64_t)(now_ms - u->start_ms) : 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
ue_key_time_ms(uint64_t t1900)
{
	/* E.6 times are 40 bits: no overflow either way */
	return t1900 == 0 ? 0 : ((int64_t)t1900 - (int64_t)KEYS_NTP_UNIX_OFFSET) * 1000;
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int
fail(struct ue *u, int rc, const char *what, const char *detail)
{
	snprintf(u->err, sizeof(u->err), "%s: %s", what, detail);
	return rc;
}

/* ------------------------------------------------------------------ frames */

static uint8_t
pattern(uint32_t tag, uint32_t ssrc, uint32_t n, uint32_t i)
{
	return (uint8_t)((n * 131u) ^ (ssrc >> (8 * (i % 4))) ^ (tag * 7u) ^ (i * 29u));
}

void
ue_frame_fill(uint8_t *p, uint32_t len, uint32_t tag, uint32_t ssrc, uint32_t n)
{
	uint32_t i;

	wr32(p, tag);
	wr32(p + 4, ssrc);
	wr32(p + 8, n);
	for (i = UE_FRAME_MIN; i < len; i++)
		p[i] = pattern(tag, ssrc, n, i);
}

bool
ue_frame_check(const uint8_t *p, uint32_t len, uint32_t ssrc, uint32_t *tag, uint32_t *n)
{
	uint32_t i;

	if (len < UE_FRAME_MIN || rd32(p + 4) != ssrc)
		return false;
	*tag = rd32(p);
	*n = rd32(p + 8);
	for (i = UE_FRAME_MIN; i < len; i++)
		if (p[i] != pattern(*tag, ssrc, *n, i))
			return false;
	return true;
}

void
ue_frames_account(struct ue_frames *f, bool ok, uint32_t tag, uint32_t n)
{
	if (!ok || (f->started && tag != f->tag)) {
		f->bad++;
		return;
	}
	if (!f->started) {
		f->started = true;
		f->tag = tag;
		f->first = f->last = n;
		f->ok++;
		return;
	}
	if (n <= f->last) {
		f->late++;
		return;
	}
	f->gaps += n - f->last - 1;
	f->last = n;
	f->ok++;
}

/* ----------------------------------------------------------------- set-up */

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static int
bind_all(struct ue *u)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int i, sz = RCVBUF;

	for (i = 0; i < UE_NFDS; i++) {
		uint16_t port = u->cfg.port != 0 ? (uint16_t)(u->cfg.port + i) : 0;

		if (!sim_addr_parse(u->cfg.local, port, &ss, &len))
			return fail(u, -UE_E_ADDR, "local address", u->cfg.local);
		u->fd[i] = sim_udp_bind(&ss, len);
		if (u->fd[i] < 0)
			return fail(u, -UE_E_SOCKET, "bind", strerror(errno));
		(void)setsockopt(u->fd[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	return 0;
}

int
ue_new(struct ue **out, const struct ue_cfg *cfg, struct ue_keys *keys)
{
	struct ue *u;
	struct fc_cli_cfg fc = { 0 };
	int rc;

	if (out == NULL || cfg == NULL || keys == NULL || cfg->payload < UE_FRAME_MIN ||
	    cfg->payload > UE_FRAME_MAX || cfg->local == NULL) {
		ue_keys_free(keys);
		return -UE_E_ARG;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL) {
		ue_keys_free(keys);
		return -UE_E_NOMEM;
	}
	u->cfg = *cfg;
	u->keys = keys;
	u->fd[0] = u->fd[1] = u->fd[2] = -1;
	u->ssrc = cfg->ssrc;
	while (u->ssrc == 0)	/* 33.180 §7.5.1: random for each session */
		u->ssrc = randombytes_random();
	u->seq = cfg->seq_set ? cfg->seq_start : (uint16_t)randombytes_uniform(65536);
	u->ts = randombytes_random();
	u->tag = fnv1a(ue_keys_uri(keys));
	fc.ssrc = u->ssrc;
	fc.user_id = ue_keys_uri(keys);
	fc.priority = cfg->priority;
	ue_floor_init(&u->floor, &fc, cfg->offnet, cfg->floor_wait_ms);
	rc = bind_all(u);
	if (rc < 0) {
		*out = u;	/* so the caller can read u->err; it frees */
		return rc;
	}
	*out = u;
	return 0;
}

void
ue_free(struct ue *u)
{
	int i;

	if (u == NULL)
		return;
	for (i = 0; i < UE_NFDS; i++)
		if (u->fd[i] >= 0)
			close(u->fd[i]);
	for (i = 0; i < (int)u->n_gmk; i++)
		ue_sess_free(u->gmk[i]);
	ue_sess_free(u->priv);
	ue_sess_free(u->csk);
	ue_keys_free(u->keys);
	sodium_memzero(u, sizeof(*u));
	free(u);
}

void
ue_ports(const struct ue *u, uint16_t port[UE_NFDS])
{
	int i;

	for (i = 0; i < UE_NFDS; i++)
		port[i] = sim_local_port(u->fd[i]);
}

int
ue_add_peer(struct ue *u, const char *addr, uint16_t media, uint16_t floor, uint16_t sig)
{
	const uint16_t port[UE_NFDS] = { media, floor, sig };
	struct ue_peer *p;
	int i;

	if (u->n_peers == UE_PEERS_MAX)
		return -UE_E_FULL;
	p = &u->peer[u->n_peers];
	for (i = 0; i < UE_NFDS; i++)
		if (!sim_addr_parse(addr, port[i], &p->a[i].ss, &p->a[i].len))
			return fail(u, -UE_E_ADDR, "peer address", addr);
	u->n_peers++;
	return 0;
}

struct ue_sess *
ue_media_sess(const struct ue *u)
{
	return u->priv != NULL ? u->priv : u->group;
}

/* Floor control runs under the CSK towards a server, else under the media key. */
static struct ue_sess *
floor_sess(const struct ue *u)
{
	return u->csk != NULL ? u->csk : ue_media_sess(u);
}

/* ------------------------------------------------------------------- keys */

/*
 * The GMK to send under at |now|: the newest (latest activation, then the
 * later given) whose activation has come and that has not expired; before
 * any has come, the one that comes first (the GMS stamps a GMK active from
 * its own T, which a client's clock may not have reached yet). Marks expired
 * GMKs, which then refuse what comes under them. Cheap: run before every
 * frame and every input.
 */
static void
gmk_select(struct ue *u, uint64_t now)
{
	int64_t t = ue_clock_ms(u, now), act;
	struct ue_sess *s, *live = NULL, *next = NULL;
	unsigned int i;

	for (i = 0; i < u->n_gmk; i++) {
		s = u->gmk[i];
		s->expired = s->key.expiry != 0 && t >= ue_key_time_ms(s->key.expiry);
		if (s->expired)
			continue;
		act = ue_key_time_ms(s->key.activation);
		if (act <= t) {
			if (live == NULL || act >= ue_key_time_ms(live->key.activation))
				live = s;
		} else if (next == NULL || act < ue_key_time_ms(next->key.activation)) {
			next = s;
		}
	}
	s = live != NULL ? live : next;
	if (s == u->group)
		return;
	u->key_switches += u->group != NULL && s != NULL;
	u->group = s;
	if (s != NULL && s->tx_since_ms < 0)
		s->tx_since_ms = u->start_ms != 0 && now > u->start_ms
					 ? (int64_t)(now - u->start_ms) : 0;
}

static struct ue_sess **
slot_of(struct ue *u, unsigned int purpose)
{
	switch (purpose) {
	case KEYS_PURPOSE_PCK: return &u->priv;
	case KEYS_PURPOSE_CSK: return &u->csk;
	default: return NULL;
	}
}

/* The session of key |k| if we hold it already (a resent offer, a GMK given twice). */
static bool
held(const struct ue_sess *s, const struct mikey_key *k)
{
	return s != NULL && s->key.key_id == k->key_id && s->key.csb_id == k->csb_id;
}

/*
 * Key a session with |k| unless the same key is in use: never rebuild, so
 * (key, SSRC, index) cannot repeat. A GMK joins the others held; a PCK or
 * CSK replaces the one before.
 */
static int
key_session(struct ue *u, const struct mikey_key *k)
{
	struct ue_sess **slot = slot_of(u, k->purpose), *s;
	unsigned int i;
	int rc;

	if (k->purpose == KEYS_PURPOSE_GMK) {
		for (i = 0; i < u->n_gmk; i++)
			if (held(u->gmk[i], k))
				return 0;
		if (u->n_gmk == UE_GMK_MAX)
			return fail(u, -UE_E_KEY, "GMK", "too many GMKs held");
		slot = &u->gmk[u->n_gmk];
	} else if (slot == NULL) {
		return fail(u, -UE_E_KEY, "key", "not a GMK, PCK or CSK");
	} else if (held(*slot, k)) {
		return 0;
	}
	rc = ue_sess_new(&s, k, u->cfg.be, u->ssrc);
	if (rc < 0)
		return fail(u, rc, "session", ue_strerror(rc));
	s->ignore_roc = u->cfg.ignore_roc;
	if (k->purpose == KEYS_PURPOSE_GMK) {
		*slot = s;
		u->n_gmk++;
		gmk_select(u, ue_now_ms());
		return 0;
	}
	ue_sess_free(*slot);
	*slot = s;
	return 0;
}

int
ue_install(struct ue *u, const uint8_t *msg, size_t len)
{
	uint8_t raw[MIKEY_MSG_MAX];
	enum mikey_reject why = MIKEY_REJECT_NONE;
	struct mikey_key k;
	size_t n;
	int rc;

	rc = ue_mikey_unwrap(raw, sizeof(raw), &n, msg, len);
	if (rc < 0)
		return fail(u, -UE_E_KEY, "I_MESSAGE", keys_strerror(rc));
	rc = ue_keys_open(u->keys, raw, n, -1, &k, &why);
	if (why == MIKEY_REJECT_REPLAY) {
		/*
		 * Opened and keyed before, within its window: a resent offer whose
		 * ACK was lost or late, or a replay. Answered as the first time
		 * (only a message whose key we took is remembered, see below), and
		 * nothing is re-keyed, so an old key cannot come back.
		 */
		u->st.key_repeats++;
		return 0;
	}
	if (rc < 0)
		return fail(u, -UE_E_KEY, keys_strerror(rc), mikey_reject_name(why));
	rc = key_session(u, &k);
	if (rc < 0)
		ue_keys_forget(u->keys, &k);	/* refused: its resending may open it */
	mikey_key_wipe(&k);
	return rc;
}

int
ue_make_key(struct ue *u, unsigned int purpose, const char *to_uri, const char *to_kms, int peer,
	    uint8_t *msg, size_t cap, size_t *len)
{
	struct mikey_key k;
	int rc;

	if (peer >= (int)u->n_peers)
		return -UE_E_ARG;
	rc = ue_keys_make(u->keys, purpose, to_uri, to_kms, u->offer.msg, sizeof(u->offer.msg),
			  &u->offer.len, &k);
	if (rc < 0)
		return fail(u, -UE_E_KEY, "making the key", keys_strerror(rc));
	rc = key_session(u, &k);
	u->offer.key_id = k.key_id;
	mikey_key_wipe(&k);
	if (rc < 0)
		return rc;
	if (msg != NULL && len != NULL) {
		if (cap < u->offer.len)
			return -UE_E_ARG;
		memcpy(msg, u->offer.msg, u->offer.len);
		*len = u->offer.len;
	}
	if (peer >= 0) {
		u->offer.pending = true;
		u->offer.peer = (unsigned int)peer;
		u->offer.next_ms = 0;
	}
	return 0;
}

/* ------------------------------------------------------------ signalling */

static void
sig_send(struct ue *u, const struct ue_addr *to, const char *text)
{
	(void)sendto(u->fd[UE_SIG], text, strlen(text), 0, (const struct sockaddr *)&to->ss,
		     to->len);
}

static void
offer_send(struct ue *u, uint64_t now)
{
	char b64[UE_MIKEY_B64_MAX], *text;
	size_t cap = UE_SIG_MAX;

	if (!u->offer.pending || now < u->offer.next_ms)
		return;
	if (u->offer.tries == OFFER_TRIES) {
		u->offer.pending = false;	/* nobody answered: ue_done, report says */
		return;
	}
	if (ue_mikey_b64(b64, sizeof(b64), u->offer.msg, u->offer.len) < 0)
		return;
	text = malloc(cap);
	if (text == NULL)
		return;
	snprintf(text, cap, SIG_MAGIC "KEY\nfrom: %s\nkey-id: %08x\nmikey: %s\n",
		 ue_keys_uri(u->keys), u->offer.key_id, b64);
	sig_send(u, &u->peer[u->offer.peer].a[UE_SIG], text);
	free(text);
	if (u->offer.tries > 0)
		u->st.sig_resent++;
	u->offer.tries++;
	u->offer.next_ms = now + OFFER_EVERY_MS;
}

struct sig_msg {
	const char *verb;		/* "KEY", "ACK", "NAK" */
	const char *from, *key_id, *mikey, *reason;
};

/* Split |text| (NUL-terminated, changed in place) into its lines. */
static bool
sig_parse(char *text, struct sig_msg *m)
{
	char *line, *next, *colon;

	memset(m, 0, sizeof(*m));
	if (strncmp(text, SIG_MAGIC, sizeof(SIG_MAGIC) - 1) != 0)
		return false;
	for (line = text; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (m->verb == NULL) {
			m->verb = line + sizeof(SIG_MAGIC) - 1;
			continue;
		}
		colon = strstr(line, ": ");
		if (colon == NULL)
			return false;
		*colon = '\0';
		if (strcmp(line, "from") == 0)
			m->from = colon + 2;
		else if (strcmp(line, "key-id") == 0)
			m->key_id = colon + 2;
		else if (strcmp(line, "mikey") == 0)
			m->mikey = colon + 2;
		else if (strcmp(line, "reason") == 0)
			m->reason = colon + 2;	/* other headers are ignored */
	}
	return m->verb != NULL;
}

static void
on_sig(struct ue *u, char *text, const struct ue_addr *from)
{
	char reply[512];
	struct sig_msg m;
	int rc;

	u->st.rx_sig++;
	if (!sig_parse(text, &m)) {
		u->st.sig_bad++;
		return;
	}
	if (strcmp(m.verb, "ACK") == 0 || strcmp(m.verb, "NAK") == 0) {
		if (m.key_id == NULL || strtoul(m.key_id, NULL, 16) != u->offer.key_id ||
		    u->offer.tries == 0)
			return;
		u->offer.pending = false;
		u->offer.acked = m.verb[0] == 'A';
		u->offer.refused = !u->offer.acked;
		u->st.sig_acks += u->offer.acked;
		if (!u->offer.acked) {
			snprintf(u->offer.reason, sizeof(u->offer.reason), "%s",
				 m.reason != NULL ? m.reason : "?");
			(void)fail(u, 0, "peer refused our key", u->offer.reason);
		}
		return;
	}
	if (strcmp(m.verb, "KEY") != 0 || m.mikey == NULL) {
		u->st.sig_bad++;
		return;
	}
	u->st.sig_keys++;
	rc = ue_install(u, (const uint8_t *)m.mikey, strlen(m.mikey));
	if (rc < 0)
		u->st.sig_key_refused++;
	snprintf(reply, sizeof(reply), SIG_MAGIC "%s\nfrom: %s\nkey-id: %.8s\n%s%s%s",
		 rc < 0 ? "NAK" : "ACK", ue_keys_uri(u->keys),
		 m.key_id != NULL ? m.key_id : "0", rc < 0 ? "reason: " : "",
		 rc < 0 ? u->err : "", rc < 0 ? "\n" : "");
	sig_send(u, from, reply);
}

/* ------------------------------------------------------------------ media */

static void
send_all(struct ue *u, enum ue_sock k, const uint8_t *p, uint32_t len)
{
	unsigned int i;

	for (i = 0; i < u->n_peers; i++)
		if (sendto(u->fd[k], p, len, 0, (const struct sockaddr *)&u->peer[i].a[k].ss,
			   u->peer[i].a[k].len) != (ssize_t)len)
			u->st.send_fail++;
}

static void
send_frame(struct ue *u, struct ue_sess *s)
{
	uint8_t pkt[RTP_HDR + UE_FRAME_MAX + DP_SRTP_MAX_OVERHEAD];
	uint32_t len = RTP_HDR + u->cfg.payload;

	pkt[0] = 0x80;
	pkt[1] = (uint8_t)(RTP_PT | (u->sent_frames == 0 ? 0x80 : 0));	/* M: talk spurt */
	pkt[2] = (uint8_t)(u->seq >> 8);
	pkt[3] = (uint8_t)u->seq;
	wr32(pkt + 4, u->ts);
	wr32(pkt + 8, u->ssrc);
	ue_frame_fill(pkt + RTP_HDR, u->cfg.payload, u->tag, u->ssrc, u->sent_frames);
	/* s is NULL when every GMK held expired mid-burst: the frame is lost, and counted */
	if (s != NULL &&
	    ue_sess_protect(s, DP_SRTP_PROTO_RTP, pkt, &len, sizeof(pkt)) == DP_V_FWD) {
		send_all(u, UE_MEDIA, pkt, len);
		u->st.sent++;
		u->st.sent_octets += len;
		if (s->tx_frames++ == 0)
			s->tx_first = u->sent_frames;
	} else {
		u->st.protect_fail++;
	}
	u->seq++;
	u->ts += 320;		/* 20 ms at 16 kHz */
	u->sent_frames++;
}

static bool
joined(struct ue *u, uint64_t now)
{
	if (u->joined)
		return true;
	if (u->st.rx_media <= u->cfg.join_after ||
	    (u->cfg.join_after_ms != 0 && now < u->start_ms + u->cfg.join_after_ms)) {
		u->st.join_skipped++;
		return false;
	}
	u->joined = true;
	return true;
}

/*
 * The session a received packet goes to: |s| if it is a PCK's or CSK's (one
 * key), else the GMK its MKI names; one naming none goes to the sending GMK
 * (or the last given), which refuses it and counts it.
 */
static struct ue_sess *
rx_sess(const struct ue *u, struct ue_sess *s, unsigned int proto, const uint8_t *buf,
	uint32_t len)
{
	unsigned int i;

	if (s != NULL && s != u->group)
		return s;
	for (i = 0; i < u->n_gmk; i++)
		if (ue_sess_names(u->gmk[i], proto, buf, len))
			return u->gmk[i];
	return s != NULL ? s : u->n_gmk != 0 ? u->gmk[u->n_gmk - 1] : NULL;
}

/* Frame accounting by sender, whatever key carried the frame; NULL when full. */
static struct ue_frames *
sender_frames(struct ue *u, uint32_t ssrc)
{
	unsigned int i;

	for (i = 0; i < u->n_from; i++)
		if (u->from[i].ssrc == ssrc)
			return &u->from[i].frames;
	if (u->n_from == UE_RX_MAX)
		return NULL;
	u->from[u->n_from].ssrc = ssrc;
	return &u->from[u->n_from++].frames;
}

static void
on_media(struct ue *u, uint8_t *buf, uint32_t len, uint64_t now)
{
	struct ue_sess *s;
	struct ue_rx_stream *from;
	struct ue_frames *f;
	uint32_t hdr, tag = 0, n = 0;
	bool ok;

	u->st.rx_media++;
	if (!joined(u, now))
		return;
	s = rx_sess(u, ue_media_sess(u), DP_SRTP_PROTO_RTP, buf, len);
	if (s == NULL) {
		u->st.no_key++;
		return;
	}
	if (ue_sess_unprotect(s, DP_SRTP_PROTO_RTP, buf, &len, &from) != DP_V_FWD)
		return;
	hdr = RTP_HDR + 4u * (buf[0] & 0x0f);
	ok = len >= hdr && ue_frame_check(buf + hdr, len - hdr, from->ssrc, &tag, &n);
	ue_frames_account(&from->frames, ok, tag, n);		/* under this key */
	f = sender_frames(u, from->ssrc);
	if (f != NULL)
		ue_frames_account(f, ok, tag, n);		/* the sender's whole run */
}

/* ---------------------------------------------------------- floor control */

static void
floor_send(struct ue *u, const struct ue_floor_out *o, const struct ue_addr *sender)
{
	uint8_t pkt[2048];
	struct ue_sess *s = floor_sess(u);
	unsigned int i;
	size_t n;
	uint32_t len;

	for (i = 0; i < o->n; i++) {
		if (s == NULL || fc_encode(&o->msg[i], pkt, sizeof(pkt) - DP_SRTP_MAX_OVERHEAD,
					   &n) < 0) {
			u->st.protect_fail++;
			continue;
		}
		len = (uint32_t)n;
		if (ue_sess_protect(s, DP_SRTP_PROTO_RTCP, pkt, &len, sizeof(pkt)) != DP_V_FWD) {
			u->st.protect_fail++;
			continue;
		}
		if (o->dest[i] == UE_FLOOR_TO_SENDER && sender != NULL) {
			if (sendto(u->fd[UE_FLOOR], pkt, len, 0, (const struct sockaddr *)&sender->ss,
				   sender->len) != (ssize_t)len)
				u->st.send_fail++;
		} else {
			send_all(u, UE_FLOOR, pkt, len);
		}
	}
}

static void
on_floor(struct ue *u, uint8_t *buf, uint32_t len, const struct ue_addr *from, uint64_t now)
{
	struct ue_sess *s = rx_sess(u, floor_sess(u), DP_SRTP_PROTO_RTCP, buf, len);
	struct ue_rx_stream *st;
	struct ue_floor_out o;
	const uint8_t *pkt;
	struct fc_msg m;
	size_t off = 0, pl;

	u->st.rx_floor++;
	if (s == NULL) {
		u->st.no_key++;
		return;
	}
	if (ue_sess_unprotect(s, DP_SRTP_PROTO_RTCP, buf, &len, &st) != DP_V_FWD)
		return;
	while (fc_next(buf, len, &off, &pkt, &pl) == 1) {
		if (fc_decode(pkt, pl, 0, &m) < 0) {
			u->st.floor_decode_errors++;
			continue;
		}
		(void)ue_floor_rx(&u->floor, &m, now, &o);
		floor_send(u, &o, from);
	}
}

int
ue_ptt(struct ue *u, bool press, uint64_t now_ms)
{
	struct ue_floor_out o;
	int rc = ue_floor_ptt(&u->floor, press, now_ms, &o);

	u->st.floor_requests += press;
	floor_send(u, &o, NULL);
	return rc;
}

/* ---------------------------------------------------------------- driving */

void
ue_start(struct ue *u, uint64_t now_ms)
{
	u->start_ms = now_ms;
	u->talk = UE_TALK_WAIT;
}

void
ue_fds(const struct ue *u, struct pollfd pfd[UE_NFDS])
{
	int i;

	for (i = 0; i < UE_NFDS; i++) {
		pfd[i].fd = u->fd[i];
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
}

void
ue_input(struct ue *u, uint64_t now_ms)
{
	uint8_t buf[UE_SIG_MAX + 1];
	struct ue_addr from;
	unsigned int k, n;
	ssize_t r;

	gmk_select(u, now_ms);
	for (k = 0; k < UE_NFDS; k++) {
		for (n = 0; n < RX_BUDGET; n++) {
			from.len = sizeof(from.ss);
			r = recvfrom(u->fd[k], buf, UE_SIG_MAX, 0, (struct sockaddr *)&from.ss,
				     &from.len);
			if (r < 0)
				break;
			if (k == UE_MEDIA) {
				on_media(u, buf, (uint32_t)r, now_ms);
			} else if (k == UE_FLOOR) {
				on_floor(u, buf, (uint32_t)r, &from, now_ms);
			} else {
				buf[r] = '\0';
				on_sig(u, (char *)buf, &from);
			}
		}
	}
}

static void
talk(struct ue *u, uint64_t now)
{
	struct ue_sess *s = ue_media_sess(u);
	unsigned int n = 0;

	switch (u->talk) {
	case UE_TALK_WAIT:
		if (u->cfg.frames == 0) {
			u->talk = UE_TALK_DONE;
		} else if (s == NULL && !u->offer.pending &&
			   now >= u->start_ms + u->cfg.talk_at_ms + UE_KEY_WAIT_MS) {
			/* a CSK never protects media (33.180 E.4.1): do not wait forever */
			u->no_media_key = true;
			u->talk = UE_TALK_DONE;
			(void)fail(u, 0, "talk", "no media key (GMK or PCK) came in time");
		} else if (now >= u->start_ms + u->cfg.talk_at_ms && s != NULL &&
			   !u->offer.pending) {
			u->talk = u->cfg.floor ? UE_TALK_REQUESTING : UE_TALK_SENDING;
			u->next_us = now * 1000u;
			u->retry_ms = now;
		}
		break;
	case UE_TALK_REQUESTING:
		if (ue_floor_has_permission(&u->floor)) {
			u->talk = UE_TALK_SENDING;
			u->next_us = now * 1000u;
		} else if (u->floor.cli.state == FC_CLI_IDLE && now >= u->retry_ms &&
			   u->st.floor_requests < PRESS_MAX) {
			/* first press, or denied / gave up and the floor is free now */
			(void)ue_ptt(u, true, now);
			u->retry_ms = now + 2u * u->floor.wait_ms +
				      randombytes_uniform(2u * u->floor.wait_ms + 1);
		}
		break;
	case UE_TALK_SENDING:
		if (u->cfg.floor && !ue_floor_has_permission(&u->floor)) {
			u->talk = UE_TALK_DONE;		/* revoked */
			break;
		}
		while (u->sent_frames < u->cfg.frames && n++ < TX_BURST &&
		       (u->cfg.rate == 0 || u->next_us <= now * 1000u)) {
			send_frame(u, s);
			if (u->cfg.rate != 0)
				u->next_us += 1000000u / u->cfg.rate;
		}
		if (u->sent_frames == u->cfg.frames) {
			if (u->cfg.floor)
				(void)ue_ptt(u, false, now);
			u->talk = UE_TALK_DONE;
		}
		break;
	case UE_TALK_DONE:
		break;
	}
}

void
ue_tick(struct ue *u, uint64_t now_ms)
{
	struct ue_floor_out o;

	gmk_select(u, now_ms);	/* before talking: a new GMK takes the next frame */
	ue_floor_tick(&u->floor, now_ms, &o);
	floor_send(u, &o, NULL);
	offer_send(u, now_ms);
	talk(u, now_ms);
}

bool
ue_done(const struct ue *u)
{
	return u->talk == UE_TALK_DONE && !u->offer.pending;
}

const char *
ue_waiting(const struct ue *u)
{
	if (u->offer.pending)
		return "still offering its key, no ACK or NAK yet";
	switch (u->talk) {
	case UE_TALK_WAIT:
		return ue_media_sess(u) == NULL ? "waiting for a media key" : "waiting to talk";
	case UE_TALK_REQUESTING:
		return "waiting for the floor";
	case UE_TALK_SENDING:
		return "still talking";
	default:
		return "done";
	}
}

/* Milliseconds until |u| has timed work; 0 when it has work now. */
static uint64_t
due_in(const struct ue *u, uint64_t now)
{
	uint64_t d = ue_floor_deadline(&u->floor), t = UINT64_MAX;

	if (u->offer.pending)
		d = d < u->offer.next_ms ? d : u->offer.next_ms;
	if (u->talk == UE_TALK_WAIT) {
		t = u->start_ms + u->cfg.talk_at_ms;
		/* due, but blocked on a media key or an offer: input or a timer wakes us */
		if (t <= now && (ue_media_sess(u) == NULL || u->offer.pending))
			t = now + 20;
	} else if (u->talk == UE_TALK_SENDING) {
		t = u->cfg.rate == 0 ? now : u->next_us / 1000u;
	} else if (u->talk == UE_TALK_REQUESTING) {
		t = u->retry_ms > now ? u->retry_ms : now + 10;
	}
	d = d < t ? d : t;
	return d <= now ? 0 : d - now;
}

#define RUN_MAX 32

uint64_t
ue_run(struct ue *const *u, unsigned int n, uint32_t linger_ms, uint32_t max_ms)
{
	struct pollfd pfd[RUN_MAX * UE_NFDS];
	uint64_t start = ue_now_ms(), now = start, quiet = start, wait;
	unsigned int i, k;
	bool done;

	n = n < RUN_MAX ? n : RUN_MAX;
	for (i = 0; i < n; i++)
		ue_start(u[i], start);
	while (now - start < max_ms) {
		done = true;
		wait = 50;
		for (i = 0; i < n; i++) {
			uint64_t d = due_in(u[i], now);

			done = done && ue_done(u[i]);
			wait = d < wait ? d : wait;
			ue_fds(u[i], &pfd[i * UE_NFDS]);
		}
		if (done && now - quiet >= linger_ms)
			break;
		if (poll(pfd, n * UE_NFDS, (int)wait) > 0)
			quiet = ue_now_ms();
		now = ue_now_ms();
		for (i = 0; i < n; i++) {
			for (k = 0; k < UE_NFDS; k++)
				if (pfd[i * UE_NFDS + k].revents & POLLIN)
					break;
			if (k < UE_NFDS)
				ue_input(u[i], now);
			ue_tick(u[i], now);
		}
	}
	return now - start;
}
