/* SPDX-License-Identifier: proprietary */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ctl_keys.h"
#include "ctl_ops.h"

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
	fflush(c->log);
}

int
ctl_streams_install(struct ctl_ops *c, struct dp_stream_spec *sp, unsigned int n, uint64_t *ids,
		    struct ctl_err *err)
{
	struct dp_srtp_params pub;
	unsigned int i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		pub = sp[i].params;
		sodium_memzero(pub.master_key, sizeof(pub.master_key));
		sodium_memzero(pub.master_salt, sizeof(pub.master_salt));
		rc = dp_stream_add(c->dp, &sp[i], &ids[i]);	/* wipes sp[i]'s key and salt */
		if (rc < 0)
			break;
		log_stream(c, "added", ids[i], &pub);
	}
	if (rc < 0) {
		ctl_err_set(err, from_dp(rc), "streams[%u]: %s (nothing installed)", i,
			    dp_strerror(rc));
		rollback(c, ids, i);
	}
	for (; i < n; i++)
		sodium_memzero(&sp[i].params, sizeof(sp[i].params));
	return rc < 0 ? err->code : 0;
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
	log_stream(c, "removed", req->stream_id, &si.params);
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
	unsigned int i, n;

	n = dp_stream_list(c->dp, ids, req->limit, &cursor);
	for (i = 0; i < n; i++) {
		if (!req->details)
			json_array_append_new(arr, json_integer((json_int_t)ids[i]));
		else if (dp_stream_get(c->dp, ids[i], &si) == 0)
			json_array_append_new(arr, ctl_stream_json(&si, false));
	}
	json_object_set_new(reply, "streams", arr);
	json_object_set_new(reply, "cursor", json_integer(n < req->limit ? 0 : cursor));
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
	json_object_set_new(reply, "streams", json_integer(dp_stream_count(c->dp)));
	json_object_set_new(reply, "key_store", json_boolean(c->keys != NULL));
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
	case CTL_OP_COUNTERS: return op_counters(c, reply);
	case CTL_OP_HEALTH: return op_health(c, reply);
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
