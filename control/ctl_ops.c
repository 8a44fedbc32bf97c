/* SPDX-License-Identifier: proprietary */
#include <arpa/inet.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ctl_keys.h"
#include "ctl_marks.h"
#include "ctl_ops.h"

uint64_t
ctl_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* vDSO: no syscall */
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* What a dataplane code means to a client. */
static int
from_dp(int rc)
{
	switch (-rc) {
	case DP_E_EXISTS: return -CTL_E_EXISTS;
	case DP_E_NOTFOUND: return -CTL_E_NOTFOUND;
	case DP_E_LIMIT: return -CTL_E_LIMIT;
	case DP_E_FULL: return -CTL_E_BUSY;
	case DP_E_NOMEM: return -CTL_E_NOMEM;
	default: return -CTL_E_DATAPLANE;
	}
}

json_t *
ctl_hex_json(const uint8_t *b, size_t n)
{
	char h[2 * 32 + 1];

	if (n > 32)
		n = 32;
	sodium_bin2hex(h, sizeof(h), b, n);
	return json_string(h);
}

static json_t *
verdicts_json(const uint64_t v[DP_V_COUNT])
{
	json_t *o = json_object();
	unsigned int i;

	for (i = 0; i < DP_V_COUNT; i++)
		json_object_set_new(o, dp_verdict_name(i), json_integer((json_int_t)v[i]));
	return o;
}

static json_t *
addr_json(const uint8_t a[16])
{
	static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char s[INET6_ADDRSTRLEN];

	if (memcmp(a, v4, sizeof(v4)) == 0)
		inet_ntop(AF_INET, a + 12, s, sizeof(s));
	else
		inet_ntop(AF_INET6, a, s, sizeof(s));
	return json_string(s);
}

json_t *
ctl_stream_json(const struct dp_stream_info *si, bool counters)
{
	const struct dp_srtp_params *p = &si->params;
	json_t *o = json_object(), *m = json_array();
	unsigned int i;

	json_object_set_new(o, "id", json_integer((json_int_t)si->id));
	json_object_set_new(o, "dir", json_string(p->dir == DP_SRTP_DIR_PROTECT ? "protect"
										 : "unprotect"));
	json_object_set_new(o, "proto", json_string(p->proto == DP_SRTP_PROTO_RTCP ? "rtcp"
										   : "rtp"));
	json_object_set_new(o, "profile", json_string(dp_srtp_profile_info(p->profile)->name));
	json_object_set_new(o, "mki", ctl_hex_json(p->mki, p->mki_len));
	json_object_set_new(o, "ssrc", json_integer(p->ssrc));
	json_object_set_new(o, "rcc_r", json_integer(p->rcc_r));
	json_object_set_new(o, "port", json_integer(si->port));
	for (i = 0; i < si->n_members && i < DP_STREAM_MAX_MEMBERS; i++) {
		json_t *e = json_object();

		json_object_set_new(e, "addr", addr_json(si->members[i].addr));
		json_object_set_new(e, "port", json_integer(si->members[i].port));
		json_array_append_new(m, e);
	}
	json_object_set_new(o, "members", m);
	json_object_set_new(o, "owner", json_integer(si->owner));
	if (p->dir == DP_SRTP_DIR_PROTECT) {	/* restart safety: public figures */
		json_object_set_new(o, "index_next", json_integer((json_int_t)si->index_next));
		json_object_set_new(o, "index_limit", json_integer((json_int_t)si->index_limit));
	}
	if (p->dir == DP_SRTP_DIR_PROTECT)	/* a rekey's twin waits as standby */
		json_object_set_new(o, "state", json_string(si->standby ? "standby" : "active"));
	if (counters) {
		json_object_set_new(o, "verdicts", verdicts_json(si->v));
		json_object_set_new(o, "copies", json_integer((json_int_t)si->copies));
	}
	return o;
}

/* Remove what a failed batch added; a full command ring gets one drain and a retry. */
static void
rollback(struct ctl_ops *c, const uint64_t *ids, unsigned int n)
{
	unsigned int i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = dp_stream_del(c->dp, ids[i]);
		if (rc == -DP_E_FULL && dp_sync(c->dp, 2000) == 0)
			rc = dp_stream_del(c->dp, ids[i]);
		if (rc < 0 && c->log != NULL)
			fprintf(c->log, "mcpxd: rollback of stream %" PRIu64 ": %s\n", ids[i],
				dp_strerror(rc));
	}
}

static void
log_stream(struct ctl_ops *c, const char *what, uint64_t id, const struct dp_srtp_params *p)
{
	if (c->log == NULL)
		return;
	fprintf(c->log, "mcpxd: stream %" PRIu64 " %s: %s %s ssrc 0x%08x\n", id, what,
		p->dir == DP_SRTP_DIR_PROTECT ? "protect" : "unprotect",
		p->proto == DP_SRTP_PROTO_RTCP ? "rtcp" : "rtp", p->ssrc);
}

/* Once a request's lines are written, not per line: a batch of 1,000 wrote 1,000 times. */
static void
log_flush(struct ctl_ops *c)
{
	if (c->log != NULL)
		fflush(c->log);
}

/* ---- restart safety: index marks for protect streams ---------------------------- */

/* The index spaces: SRTP ROC<<16 | SEQ (48 bits), SRTCP's 31-bit index. */
#define SRTP_INDEX_END (1ull << 48)
#define SRTCP_INDEX_END (1ull << 31)
#define TICK_MAX 1024		/* protect streams looked at per tick */

struct ctl_prot {
	uint64_t id;
	struct ctl_mark_key key;
};

static int
marks_ready(struct ctl_ops *c, struct ctl_err *err)
{
	struct ctl_marks_cfg cfg = {.dir = NULL};
	int rc;

	if (c->marks != NULL)
		return 0;
	if (c->marks_off != NULL)
		return ctl_err_set(err, -CTL_E_IO, "protect streams need an index store: %s",
				   c->marks_off);
	rc = ctl_marks_open(&c->marks_own, &cfg, err);
	if (rc == 0)
		c->marks = c->marks_own;
	return rc;
}

/* Room in the protect table for |more| streams, made before any is installed. */
static int
prot_room(struct ctl_ops *c, unsigned int more)
{
	unsigned int cap = c->cap_prot;
	struct ctl_prot *t;

	if (c->n_prot + more <= cap)
		return 0;
	while (cap < c->n_prot + more)
		cap = cap == 0 ? 64 : cap * 2;
	t = realloc(c->prot, cap * sizeof(*t));
	if (t == NULL)
		return -CTL_E_NOMEM;
	c->prot = t;
	c->cap_prot = cap;
	return 0;
}

static void
prot_remove_at(struct ctl_ops *c, unsigned int i)
{
	if (c->marks != NULL && ctl_marks_holder(c->marks, &c->prot[i].key) == c->prot[i].id)
		ctl_marks_set_holder(c->marks, &c->prot[i].key, 0);
	c->prot[i] = c->prot[--c->n_prot];
}

static void
prot_remove(struct ctl_ops *c, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < c->n_prot; i++)
		if (c->prot[i].id == id) {
			prot_remove_at(c, i);
			return;
		}
}

/*
 * Where a new protect context starts and its first limit, from its mark.
 * SRTP starts on a ROC boundary at or above the mark, one ROC further when
 * the key and SSRC have sent before: a packet the server sends late, before a
 * wrap, is estimated one ROC back, and that index too must be above the mark.
 * Its first limit leaves a whole SEQ cycle plus N. SRTCP starts at the mark.
 * Only one live context per key, SSRC and protocol (the mark's holder).
 */
static int
mark_reserve(struct ctl_ops *c, unsigned int i, struct dp_stream_spec *sp, struct ctl_mark_key *k,
	     struct ctl_err *err)
{
	struct dp_srtp_params *p = &sp->params;
	const struct dp_srtp_profile_info *pi = dp_srtp_profile_info(p->profile);
	uint64_t ahead = ctl_marks_ahead(c->marks), start, limit, end, mark, holder;
	struct dp_stream_info si;
	int rc;

	if (pi == NULL)
		return ctl_err_set(err, -CTL_E_VALUE, "streams[%u]: unknown profile", i);
	ctl_marks_key(c->marks, p->profile, p->proto, p->ssrc, p->master_key, pi->key_len,
		      p->master_salt, pi->salt_len, k);
	holder = ctl_marks_holder(c->marks, k);
	if (holder != 0 && (holder == CTL_MARK_PENDING || dp_stream_get(c->dp, holder, &si) == 0))
		return ctl_err_set(err, -CTL_E_EXISTS, "streams[%u]: ssrc 0x%08x: a protect stream "
				   "of this key and SSRC is installed%s: a second context would "
				   "repeat its indices (give that stream all the members)", i,
				   p->ssrc, holder == CTL_MARK_PENDING ? " (in this request)" : "");
	mark = start = ctl_marks_get(c->marks, k);
	if (p->proto == DP_SRTP_PROTO_RTP) {
		end = SRTP_INDEX_END;
		if (start < (uint64_t)p->roc << 16)
			start = (uint64_t)p->roc << 16;
		start = (start + 0xffff) & ~0xffffull;
		if (mark != 0)
			start += 0x10000;	/* a late packet's ROC - 1 stays >= the mark */
		limit = start + 0x10000 + ahead;
	} else {
		end = SRTCP_INDEX_END;
		if (start < p->srtcp_index)
			start = p->srtcp_index;
		if (start < 1)
			start = 1;
		limit = start + ahead;
	}
	if (limit > end || limit < start)
		return ctl_err_set(err, -CTL_E_LIMIT, "streams[%u]: ssrc 0x%08x: index space "
				   "exhausted under this key (next index %" PRIu64 "): rekey", i,
				   p->ssrc, start);
	rc = ctl_marks_raise(c->marks, k, limit);
	if (rc < 0)
		return ctl_err_set(err, rc, "streams[%u]: index mark: %s%s", i, ctl_strerror(rc),
				   rc == -CTL_E_LIMIT ? " (too many keys and SSRCs marked)" : "");
	if (p->proto == DP_SRTP_PROTO_RTP)
		p->roc = (uint32_t)(start >> 16);
	else
		p->srtcp_index = (uint32_t)start;
	sp->index_limit = limit;
	ctl_marks_set_holder(c->marks, k, CTL_MARK_PENDING);
	return 0;
}

/* An install that failed gives back the claims it made (never another stream's). */
static void
marks_unclaim(struct ctl_ops *c, const struct dp_stream_spec *sp, const struct ctl_mark_key *keys,
	      unsigned int n)
{
	unsigned int i;

	for (i = 0; c->marks != NULL && i < n; i++)
		if (sp[i].params.dir == DP_SRTP_DIR_PROTECT &&
		    ctl_marks_holder(c->marks, &keys[i]) == CTL_MARK_PENDING)
			ctl_marks_set_holder(c->marks, &keys[i], 0);
}

/* Marks for every protect spec, then one sync: nothing is installed before it. */
static int
marks_reserve_all(struct ctl_ops *c, struct dp_stream_spec *sp, unsigned int n,
		  struct ctl_mark_key *keys, unsigned int *n_protect, struct ctl_err *err)
{
	unsigned int i;
	int rc;

	*n_protect = 0;
	for (i = 0; i < n; i++)
		if (sp[i].params.dir == DP_SRTP_DIR_PROTECT)
			(*n_protect)++;
	if (*n_protect == 0)
		return 0;
	rc = marks_ready(c, err);
	if (rc < 0)
		return rc;
	if (prot_room(c, *n_protect) < 0)
		return ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		if (sp[i].params.dir != DP_SRTP_DIR_PROTECT)
			continue;
		rc = mark_reserve(c, i, &sp[i], &keys[i], err);
		if (rc < 0)
			return rc;
	}
	rc = ctl_marks_sync(c->marks);
	if (rc < 0)
		return ctl_err_set(err, rc, "index marks: cannot sync %s (nothing installed)",
				   ctl_marks_path(c->marks));
	return 0;
}

static void
install_err(struct ctl_err *err, unsigned int i, const struct dp_stream_spec *sp, int rc)
{
	if (rc == -DP_E_UNSUPPORTED && sp->params.dir == DP_SRTP_DIR_PROTECT &&
	    sp->params.proto == DP_SRTP_PROTO_RTCP && sp->params.srtcp_index > 1)
		ctl_err_set(err, from_dp(rc), "streams[%u]: this key and SSRC sent SRTCP before "
			    "(index %u on): the libsrtp backend always starts at 1, which would "
			    "repeat an index; use --backend native or a new key (nothing "
			    "installed)", i, sp->params.srtcp_index);
	else
		ctl_err_set(err, from_dp(rc), "streams[%u]: %s (nothing installed)", i,
			    dp_strerror(rc));
}

int
ctl_streams_install(struct ctl_ops *c, struct dp_stream_spec *sp, unsigned int n, uint64_t *ids,
		    struct ctl_err *err)
{
	struct ctl_mark_key *keys = calloc(n + 1, sizeof(*keys));
	struct dp_srtp_params pub;
	unsigned int i = 0, n_protect;
	int rc = 0;

	if (keys == NULL)
		rc = ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
	else
		rc = marks_reserve_all(c, sp, n, keys, &n_protect, err);
	if (rc < 0)
		goto out;
	for (i = 0; i < n; i++) {
		pub = sp[i].params;
		sodium_memzero(pub.master_key, sizeof(pub.master_key));
		sodium_memzero(pub.master_salt, sizeof(pub.master_salt));
		rc = dp_stream_add(c->dp, &sp[i], &ids[i]);	/* wipes sp[i]'s key and salt */
		if (rc < 0)
			break;
		log_stream(c, "added", ids[i], &pub);
	}
	log_flush(c);
	if (rc < 0) {
		install_err(err, i, &sp[i], rc);
		rollback(c, ids, i);
		rc = err->code;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (sp[i].params.dir != DP_SRTP_DIR_PROTECT)
			continue;
		memset(&c->prot[c->n_prot], 0, sizeof(c->prot[0]));	/* room made before */
		c->prot[c->n_prot].id = ids[i];
		c->prot[c->n_prot].key = keys[i];
		c->n_prot++;
		ctl_marks_set_holder(c->marks, &keys[i], ids[i]);
	}
	i = n;
out:
	if (rc < 0 && keys != NULL)
		marks_unclaim(c, sp, keys, n);
	for (; i < n; i++)
		sodium_memzero(&sp[i].params, sizeof(sp[i].params));
	free(keys);
	return rc;
}

void
ctl_ops_tick(struct ctl_ops *c)
{
	struct {
		uint64_t id, limit;
	} up[TICK_MAX];
	uint64_t next, limit, nl;
	unsigned int j, n, n_up = 0;
	struct ctl_prot *e;
	int rc;

	ctl_keys_tick(c->keys, c);	/* rekey switches and retirements that are due */
	if (c->marks == NULL || c->n_prot == 0)
		return;
	/*
	 * At most one pass of TICK_MAX streams a millisecond: the loop calls this
	 * after every request, and a scan per request would halve the install rate.
	 * A stream has ahead/2 packets (524,288 by default: 52 ms at 10 Mpps) to be
	 * seen before it is held.
	 */
	{
		uint64_t now_us = ctl_mono_us();

		if (now_us - c->tick_us < 1000)
			return;
		c->tick_us = now_us;
	}
	n = c->n_prot < TICK_MAX ? c->n_prot : TICK_MAX;
	for (j = 0; j < n && c->n_prot != 0; j++) {
		if (c->rr >= c->n_prot)
			c->rr = 0;
		e = &c->prot[c->rr];
		rc = dp_stream_index(c->dp, e->id, &next, &limit);
		if (rc == -DP_E_NOTFOUND || rc == -DP_E_ARG) {
			prot_remove_at(c, c->rr);	/* removed behind our back (rekey, ...) */
			continue;
		}
		c->rr++;
		if (rc < 0 || limit == 0)
			continue;
		/* |next| counts held packets too: a stream past its limit advances from there. */
		rc = ctl_marks_advance(c->marks, &e->key, next, limit, &nl);
		if (rc < 0)
			c->marks_errors++;
		else if (rc == 1) {
			up[n_up].id = e->id;
			up[n_up++].limit = nl;
		}
	}
	if (n_up == 0)
		return;
	/* One sync for them all, and only then the workers may use the new limits. */
	rc = ctl_marks_sync(c->marks);
	if (rc < 0) {
		if (c->marks_errors++ == 0 && c->log != NULL)
			fprintf(c->log, "mcpxd: index marks: cannot sync %s: protect streams "
				"will hold packets at their limits\n", ctl_marks_path(c->marks));
		return;
	}
	for (j = 0; j < n_up; j++)
		if (dp_stream_index_limit(c->dp, up[j].id, up[j].limit) < 0) {
			/* removed since: its entry goes on the next turn */
		}
}

void
ctl_heap_keep(void)
{
	/* Both set: a fixed trim threshold also fixes the mmap threshold (else 128 KiB). */
	(void)mallopt(M_TRIM_THRESHOLD, 256 << 20);
	(void)mallopt(M_MMAP_THRESHOLD, 4 << 20);
}

void
ctl_ops_fini(struct ctl_ops *c)
{
	free(c->prot);
	c->prot = NULL;
	c->n_prot = c->cap_prot = c->rr = 0;
	if (c->marks == c->marks_own)
		c->marks = NULL;
	ctl_marks_close(c->marks_own);
	c->marks_own = NULL;
}

static int
op_stream_add(struct ctl_ops *c, struct ctl_req *req, json_t *reply, struct ctl_err *err)
{
	uint64_t *ids = calloc(req->n_streams, sizeof(*ids));
	json_t *arr;
	unsigned int i;
	int rc;

	if (ids == NULL) {
		for (i = 0; i < req->n_streams; i++)
			sodium_memzero(&req->streams[i].params, sizeof(req->streams[i].params));
		return ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
	}
	rc = ctl_streams_install(c, req->streams, req->n_streams, ids, err);
	if (rc == 0) {
		arr = json_array();
		for (i = 0; i < req->n_streams; i++)
			json_array_append_new(arr, json_integer((json_int_t)ids[i]));
		json_object_set_new(reply, "streams", arr);
	}
	free(ids);
	return rc;
}

static int
op_stream_del(struct ctl_ops *c, struct ctl_req *req, struct ctl_err *err)
{
	struct dp_stream_info si;
	int rc;

	rc = dp_stream_get(c->dp, req->stream_id, &si);
	if (rc == 0)
		rc = dp_stream_del(c->dp, req->stream_id);
	if (rc < 0)
		return ctl_err_set(err, from_dp(rc), "stream %" PRIu64 ": %s", req->stream_id,
				   dp_strerror(rc));
	if (si.params.dir == DP_SRTP_DIR_PROTECT)
		prot_remove(c, req->stream_id);	/* the mark stays: a re-add resumes above */
	ctl_keys_stream_removed(c->keys, &si.params);	/* its key may be released */
	log_stream(c, "removed", req->stream_id, &si.params);
	log_flush(c);
	return 0;
}

static int
op_stream_get(struct ctl_ops *c, struct ctl_req *req, json_t *reply, struct ctl_err *err)
{
	struct dp_stream_info si;
	int rc = dp_stream_get(c->dp, req->stream_id, &si);

	if (rc < 0)
		return ctl_err_set(err, from_dp(rc), "stream %" PRIu64 ": %s", req->stream_id,
				   dp_strerror(rc));
	json_object_set_new(reply, "stream", ctl_stream_json(&si, true));
	return 0;
}

static int
op_stream_list(struct ctl_ops *c, struct ctl_req *req, json_t *reply)
{
	uint64_t ids[CTL_LIST_MAX];
	struct dp_stream_info si;
	uint32_t cursor = req->cursor;
	json_t *arr = json_array();
	unsigned int i, n, limit = req->limit;

	/*
	 * A stream with 16 IPv6 members takes about 1.4 KB of details: 256 of them
	 * passed the reply's 256 KiB, and mcpxctl list could not list such a
	 * daemon at all. Details pages are shorter; the cursor goes on from there.
	 */
	if (req->details && limit > CTL_LIST_DETAILS_MAX)
		limit = CTL_LIST_DETAILS_MAX;
	n = dp_stream_list(c->dp, ids, limit, &cursor);
	for (i = 0; i < n; i++) {
		if (!req->details)
			json_array_append_new(arr, json_integer((json_int_t)ids[i]));
		else if (dp_stream_get(c->dp, ids[i], &si) == 0)
			json_array_append_new(arr, ctl_stream_json(&si, false));
	}
	json_object_set_new(reply, "streams", arr);
	json_object_set_new(reply, "cursor", json_integer(n < limit ? 0 : cursor));
	json_object_set_new(reply, "total", json_integer(dp_stream_count(c->dp)));
	return 0;
}

static json_t *
port_json(struct dp *dp, unsigned int i, const struct dp_port_counters *pc)
{
	json_t *o = json_object();

	json_object_set_new(o, "index", json_integer(i));
	json_object_set_new(o, "port_id", json_integer(dp_port_id(dp, i)));
	json_object_set_new(o, "side", json_string((i & 1) ? "plain" : "secure"));
	json_object_set_new(o, "rx", json_integer((json_int_t)pc->rx));
	json_object_set_new(o, "tx", json_integer((json_int_t)pc->tx));
	json_object_set_new(o, "tx_full", json_integer((json_int_t)pc->tx_full));
	json_object_set_new(o, "rx_missed", json_integer((json_int_t)pc->rx_missed));
	json_object_set_new(o, "verdicts", verdicts_json(pc->v));
	return o;
}

static int
op_counters(struct ctl_ops *c, json_t *reply)
{
	struct dp_worker_counters t;
	struct dp_port_counters pc;
	json_t *tot = json_object(), *ports = json_array();
	unsigned int p;

	dp_counters_total(c->dp, &t);
	json_object_set_new(tot, "rx", json_integer((json_int_t)t.rx));
	json_object_set_new(tot, "verdicts", verdicts_json(t.v));
	json_object_set_new(tot, "handoff", json_integer((json_int_t)t.handoff_out));
	json_object_set_new(tot, "handoff_full", json_integer((json_int_t)t.handoff_full));
	json_object_set_new(tot, "punt_full", json_integer((json_int_t)t.punt_full));
	json_object_set_new(tot, "punt_limited", json_integer((json_int_t)t.punt_limited));
	json_object_set_new(tot, "copies", json_integer((json_int_t)t.copies));
	json_object_set_new(tot, "cmd_errors", json_integer((json_int_t)t.cmd_errors));
	json_object_set_new(tot, "streams_refused",
			    json_integer((json_int_t)dp_streams_refused(c->dp)));
	for (p = 0; dp_port_counters_read(c->dp, p, &pc) == 0; p++)
		json_array_append_new(ports, port_json(c->dp, p, &pc));
	json_object_set_new(reply, "total", tot);
	json_object_set_new(reply, "ports", ports);
	json_object_set_new(reply, "streams", json_integer(dp_stream_count(c->dp)));
	return 0;
}

static int
op_health(struct ctl_ops *c, json_t *reply)
{
	json_object_set_new(reply, "status",
			    json_string(dp_stop_requested(c->dp) ? "stopping" : "running"));
	json_object_set_new(reply, "workers", json_integer(dp_n_workers(c->dp)));
	json_object_set_new(reply, "backend", json_string(dp_srtp_backend_name(dp_backend(c->dp))));
	json_object_set_new(reply, "streams", json_integer(dp_stream_count(c->dp)));
	json_object_set_new(reply, "key_store", json_boolean(c->keys != NULL));
	json_object_set_new(reply, "index_store",
			    json_string(c->marks == NULL ? "none"
				       : ctl_marks_path(c->marks) != NULL ? ctl_marks_path(c->marks)
									  : "memory"));
	json_object_set_new(reply, "index_marks",
			    json_integer(c->marks != NULL ? ctl_marks_count(c->marks) : 0));
	json_object_set_new(reply, "index_ahead",
			    json_integer(c->marks != NULL ? (json_int_t)ctl_marks_ahead(c->marks)
							  : 0));
	json_object_set_new(reply, "index_errors", json_integer((json_int_t)c->marks_errors));
	json_object_set_new(reply, "requests", json_integer((json_int_t)c->requests));
	json_object_set_new(reply, "refused", json_integer((json_int_t)c->refused));
	return 0;
}

int
ctl_ops_run(struct ctl_ops *c, struct ctl_req *req, json_t *reply, struct ctl_err *err)
{
	switch (req->op) {
	case CTL_OP_STREAM_ADD: return op_stream_add(c, req, reply, err);
	case CTL_OP_STREAM_DEL: return op_stream_del(c, req, err);
	case CTL_OP_STREAM_GET: return op_stream_get(c, req, reply, err);
	case CTL_OP_STREAM_LIST: return op_stream_list(c, req, reply);
	case CTL_OP_COUNTERS:
		ctl_keys_json(c->keys, reply);	/* sender learning, pending rekeys */
		return op_counters(c, reply);
	case CTL_OP_HEALTH:
		ctl_keys_json(c->keys, reply);
		return op_health(c, reply);
	case CTL_OP_SHUTDOWN:
		c->shutdown = true;
		return 0;
	case CTL_OP_KEYSTORE_RELOAD:
		if (c->keys == NULL)
			return ctl_err_set(err, -CTL_E_NOKEYS, "mcpxd runs without --key-store");
		return ctl_keys_reload(c->keys, reply, err);
	case CTL_OP_MIKEY_INSTALL:
		if (c->keys == NULL)
			return ctl_err_set(err, -CTL_E_NOKEYS, "mcpxd runs without --key-store");
		return ctl_keys_install(c->keys, c, req, reply, err);
	default:
		return ctl_err_set(err, -CTL_E_OP, "unknown op");
	}
}
