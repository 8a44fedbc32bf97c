/* SPDX-License-Identifier: proprietary */
/*
 * Restart safety end to end, on EAL with a net_ring port pair: protect
 * streams (raw key, GCM, SRTP and SRTCP) carry traffic in a child process
 * that then dies by SIGKILL, never closing its mark store; a second child
 * starts from the same state directory, installs the same key and SSRC and
 * sends more. Every secure-side packet of both runs is unprotected with a
 * reference context: no index repeats, and every index of run 2 is above
 * every index of run 1. Also: remove and re-add in one run; a small
 * index-ahead holds packets until the tick raises the limit, and nothing
 * leaves at or above a limit that was not synced first.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <sodium.h>

#include "ctl_marks.h"
#include "ctl_ops.h"
#include "dp_rig.h"
#include "dp_testlib.h"

#define SEC DP_SIDE_SECURE
#define PLN DP_SIDE_PLAIN
#define MEMBER_PORT 6000
#define SSRC 0x0b0b0b0b
#define MKI_LEN 8
#define MAXPKT 1024

static void
suite_init(void)
{
	cr_assert(sodium_init() >= 0);
	ctl_json_init();
}

TestSuite(control_ctl_marks_eal, .init = suite_init, .timeout = 240);

static struct dp_srtp_params
mkparams(unsigned int proto, unsigned int dir)
{
	struct dp_srtp_params p;
	unsigned int i;

	memset(&p, 0, sizeof(p));
	p.profile = DP_SRTP_AEAD_AES_128_GCM;
	p.proto = proto;
	p.dir = dir;
	for (i = 0; i < 16; i++)
		p.master_key[i] = (uint8_t)(0x40 + i * 7);
	for (i = 0; i < 12; i++)
		p.master_salt[i] = (uint8_t)(0x90 + i * 5);
	memcpy(p.mki, "\x0d\xf9\xbc\x39\x00\x00\x00\x07", MKI_LEN);
	p.mki_len = MKI_LEN;
	p.ssrc = SSRC;
	p.rcc_r = proto == DP_SRTP_PROTO_RTP ? 1 : 0;	/* the ROC on every SRTP packet */
	return p;
}

static struct dp_stream_spec
mkspec(unsigned int proto)
{
	struct dp_stream_spec sp;
	struct tf t;

	memset(&sp, 0, sizeof(sp));
	sp.params = mkparams(proto, DP_SRTP_DIR_PROTECT);
	tf_default(&t, false, MEMBER_PORT);
	sp.n_members = 1;
	memcpy(sp.members[0].addr, t.dst, 16);
	sp.members[0].port = MEMBER_PORT;
	return sp;
}

/* The packet index on the wire (GCM): SRTP ROC (RCCm3 trailer) << 16 | SEQ; SRTCP E|index. */
static uint64_t
wire_index(unsigned int proto, const uint8_t *b, uint32_t len)
{
	const uint8_t *x;

	if (proto == DP_SRTP_PROTO_RTP) {
		x = b + len - 4;
		return ((uint64_t)((uint32_t)x[0] << 24 | x[1] << 16 | x[2] << 8 | x[3]) << 16) |
		       (uint64_t)(b[2] << 8 | b[3]);
	}
	x = b + len - MKI_LEN - 4;
	return ((uint32_t)x[0] << 24 | x[1] << 16 | x[2] << 8 | x[3]) & 0x7fffffffu;
}

/* The server sends one plain RTP or RTCP packet to the member. */
static void
send_plain(struct rig *r, unsigned int proto, uint16_t seq)
{
	uint8_t pl[256], f[RIG_FRAME];
	uint32_t len = proto == DP_SRTP_PROTO_RTP ? tf_rtp(pl, SSRC, seq, 60, 2)
						  : tf_floor(pl, SSRC, seq % 8, 2);
	struct tf t;

	tf_default(&t, false, MEMBER_PORT);
	rig_send(r, PLN, 0, f, tf_build(f, &t, pl, len));
}

/* What came out on the secure side: the SRTP/SRTCP packets, appended to |fd| (len, bytes). */
static unsigned int
take_secure(struct rig *r, unsigned int want, int fd, unsigned int ms)
{
	static struct frame out[64];
	unsigned int n, i, total = 0;
	uint32_t off, sl;

	do {
		n = rig_recv(r, SEC, out, 64, want - total < 64 ? want - total : 64, ms);
		for (i = 0; i < n; i++) {
			cr_assert_eq(tf_verify(out[i].b, out[i].len, &off, &sl), 0);
			if (fd >= 0) {
				cr_assert_eq(write(fd, &sl, sizeof(sl)), sizeof(sl));
				cr_assert_eq(write(fd, out[i].b + off, sl), (ssize_t)sl);
			}
		}
		total += n;
	} while (n != 0 && total < want);
	return total;
}

static void
native_tweak(struct dp_config *cfg)
{
	cfg->backend = DP_SRTP_BACKEND_NATIVE;
}

/*
 * SRTCP resumes need the native backend (libsrtp always starts at 1): SRTP
 * alone without it. Asked before any child starts, with the engine set up.
 */
static unsigned int np;

static void
probe_native(void)
{
	cr_assert_eq(dp_srtp_global_init(), 0);
	np = dp_srtp_backend_available(DP_SRTP_BACKEND_NATIVE) ? 2 : 1;
	dp_srtp_global_fini();
}

/*
 * One life of mcpxd in a child: the store in |dir|, the two protect streams,
 * |n| packets of each from SEQ |seq0|, what the secure side got into |out|.
 * Then kill -9: nothing is closed, nothing flushed.
 */
static void
life(const char *dir, const char *out, uint16_t seq0, unsigned int n)
{
	struct ctl_marks_cfg mc = {.dir = dir, .ahead = 64};
	struct dp_stream_spec sp[2] = {mkspec(DP_SRTP_PROTO_RTP), mkspec(DP_SRTP_PROTO_RTCP)};
	struct ctl_ops ops;
	struct ctl_err err;
	struct rig r;
	uint64_t ids[2];
	unsigned int i, got = 0;
	int fd;

	rig_up(&r, 1, np == 2 ? native_tweak : NULL);
	memset(&ops, 0, sizeof(ops));
	ops.dp = r.dp;
	cr_assert_eq(ctl_marks_open(&ops.marks, &mc, &err), 0, "%s", err.msg);
	cr_assert_eq(ctl_streams_install(&ops, sp, np, ids, &err), 0, "%s", err.msg);
	cr_assert_eq(dp_start(r.dp), 0);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	for (i = 0; i < n; i++) {
		send_plain(&r, DP_SRTP_PROTO_RTP, (uint16_t)(seq0 + i));
		if (np == 2)
			send_plain(&r, DP_SRTP_PROTO_RTCP, (uint16_t)i);
		got += take_secure(&r, np, fd, 3000);
		ctl_ops_tick(&ops);	/* the limits run ahead: 64 is less than n */
	}
	cr_assert_eq(got, np * n, "every packet came out");
	fsync(fd);
	close(fd);
	raise(SIGKILL);
}

struct seen {
	uint64_t idx[2][MAXPKT];	/* [proto] */
	unsigned int n[2];
};

/* Unprotect every packet of |path| with the reference contexts; collect the indices. */
static void
check_file(const char *path, struct dp_srtp_ctx *ref[2], struct seen *s)
{
	uint8_t b[RIG_FRAME];
	uint32_t len, l2;
	unsigned int proto;
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0, "%s", path);
	while (read(fd, &len, sizeof(len)) == sizeof(len)) {
		cr_assert_leq(len, sizeof(b));
		cr_assert_eq(read(fd, b, len), (ssize_t)len);
		proto = (b[1] >= 200 && b[1] <= 204) ? DP_SRTP_PROTO_RTCP : DP_SRTP_PROTO_RTP;
		cr_assert_lt(s->n[proto], MAXPKT);
		s->idx[proto][s->n[proto]++] = wire_index(proto, b, len);
		l2 = len;
		cr_assert_eq(dp_srtp_process(ref[proto], b, &l2, sizeof(b)), DP_V_FWD,
			     "%s: a packet authenticates (and is no replay) under the key", path);
	}
	close(fd);
}

static void
run_child(const char *dir, const char *out, uint16_t seq0, unsigned int n)
{
	pid_t pid = fork();
	int st = -1;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		life(dir, out, seq0, n);
		_exit(99);	/* not reached */
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		  "the child ran to its kill -9 (status 0x%x)", st);
}

Test(control_ctl_marks_eal, a_kill_9_and_restart_never_repeats_an_index)
{
	char top[] = "/tmp/mcpx-marksXXXXXX", dir[64], f1[64], f2[64], tmp[96];
	struct dp_srtp_params rp = mkparams(DP_SRTP_PROTO_RTP, DP_SRTP_DIR_UNPROTECT);
	struct dp_srtp_params rc = mkparams(DP_SRTP_PROTO_RTCP, DP_SRTP_DIR_UNPROTECT);
	struct dp_srtp_ctx *ref[2];
	struct seen a, b;
	unsigned int p, i, j;

	probe_native();
	if (np == 1)
		cr_log_warn("no native backend here: SRTP only (SRTCP resumes need native)");
	cr_assert_not_null(mkdtemp(top));
	snprintf(dir, sizeof(dir), "%s/state", top);
	snprintf(f1, sizeof(f1), "%s/run1", top);
	snprintf(f2, sizeof(f2), "%s/run2", top);
	/* the server's RTP starts at the same SEQ both times: only the marks tell them apart */
	run_child(dir, f1, 1000, 200);
	run_child(dir, f2, 1000, 200);

	cr_assert_eq(dp_srtp_global_init(), 0);	/* here, after the children: no EAL */
	cr_assert_eq(dp_srtp_ctx_new(&ref[0], DP_SRTP_BACKEND_LIBSRTP, &rp), 0);
	cr_assert_eq(dp_srtp_ctx_new(&ref[1], DP_SRTP_BACKEND_LIBSRTP, &rc), 0);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	check_file(f1, ref, &a);
	check_file(f2, ref, &b);
	for (p = 0; p < np; p++) {
		cr_assert_eq(a.n[p], 200, "run 1, proto %u: %u packets", p, a.n[p]);
		cr_assert_eq(b.n[p], 200);
		for (i = 0; i < 200; i++)
			for (j = 0; j < 200; j++)
				cr_assert_gt(b.idx[p][i], a.idx[p][j],
					     "proto %u: run 2's index %" PRIu64 " above run 1's %"
					     PRIu64, p, b.idx[p][i], a.idx[p][j]);
		for (i = 1; i < 200; i++) {
			cr_assert_gt(a.idx[p][i], a.idx[p][i - 1], "no repeat within run 1");
			cr_assert_gt(b.idx[p][i], b.idx[p][i - 1], "no repeat within run 2");
		}
	}
	cr_assert_geq(b.idx[0][0], 1ull << 16, "SRTP resumed on a later ROC");
	dp_srtp_ctx_free(ref[0]);
	dp_srtp_ctx_free(ref[1]);
	dp_srtp_global_fini();
	unlink(f1);
	unlink(f2);
	snprintf(tmp, sizeof(tmp), "%s/index.marks", dir);
	unlink(tmp);
	snprintf(tmp, sizeof(tmp), "%s/index.key", dir);
	unlink(tmp);
	rmdir(dir);
	rmdir(top);
}

static json_t *
run_op(struct ctl_ops *ops, enum ctl_op op, uint64_t id, struct ctl_err *err, int *rc)
{
	struct ctl_req req;
	json_t *reply = json_object();

	memset(&req, 0, sizeof(req));
	req.op = op;
	req.stream_id = id;
	*rc = ctl_ops_run(ops, &req, reply, err);
	return reply;
}

Test(control_ctl_marks_eal, remove_and_readd_in_one_run_never_repeats)
{
	struct dp_srtp_params rp = mkparams(DP_SRTP_PROTO_RTP, DP_SRTP_DIR_UNPROTECT);
	struct dp_stream_spec sp;
	struct dp_srtp_ctx *ref;
	struct ctl_ops ops;
	struct ctl_err err;
	struct rig r;
	static struct frame out[64];
	uint64_t id, id2, idx[80], last = 0;
	uint32_t off, sl;
	unsigned int round, i, k = 0;
	json_t *rep, *s;
	int rc;

	rig_up(&r, 1, NULL);	/* libsrtp */
	cr_assert_eq(dp_start(r.dp), 0);
	memset(&ops, 0, sizeof(ops));
	ops.dp = r.dp;		/* no store given: an in-memory one is made */
	cr_assert_eq(dp_srtp_ctx_new(&ref, DP_SRTP_BACKEND_LIBSRTP, &rp), 0);
	for (round = 0; round < 2; round++) {
		sp = mkspec(DP_SRTP_PROTO_RTP);
		cr_assert_eq(ctl_streams_install(&ops, &sp, 1, &id, &err), 0, "%s", err.msg);
		for (i = 0; i < 40; i++) {
			send_plain(&r, DP_SRTP_PROTO_RTP, (uint16_t)(7 + i));	/* same SEQs */
			cr_assert_eq(rig_recv(&r, SEC, out, 64, 1, 3000), 1);
			cr_assert_eq(tf_verify(out[0].b, out[0].len, &off, &sl), 0);
			idx[k] = wire_index(DP_SRTP_PROTO_RTP, out[0].b + off, sl);
			cr_assert_eq(dp_srtp_process(ref, out[0].b + off, &sl, RIG_FRAME - off),
				     DP_V_FWD, "round %u packet %u", round, i);
			cr_assert(k == 0 || idx[k] > idx[k - 1], "index %" PRIu64 " after %" PRIu64,
				  idx[k], k ? idx[k - 1] : 0);
			last = idx[k++];
		}
		if (round == 1) {
			/* One live context per key and SSRC: a second one is refused. */
			sp = mkspec(DP_SRTP_PROTO_RTP);
			sp.members[0].port = MEMBER_PORT + 2;
			cr_assert_lt(ctl_streams_install(&ops, &sp, 1, &id2, &err), 0);
			cr_assert_not_null(strstr(err.msg, "repeat its indices"), "%s", err.msg);
		}
		/* stream.get shows the index figures */
		rep = run_op(&ops, CTL_OP_STREAM_GET, id, &err, &rc);
		cr_assert_eq(rc, 0);
		s = json_object_get(rep, "stream");
		cr_assert_eq(json_integer_value(json_object_get(s, "index_next")),
			     (json_int_t)last + 1);
		cr_assert_gt(json_integer_value(json_object_get(s, "index_limit")),
			     (json_int_t)last);
		json_decref(rep);
		rep = run_op(&ops, CTL_OP_STREAM_DEL, id, &err, &rc);
		cr_assert_eq(rc, 0, "%s", err.msg);
		json_decref(rep);
		cr_assert_eq(dp_sync(r.dp, 3000), 0);
	}
	cr_assert_eq(ops.n_prot, 0, "removed streams leave the tick's table");
	{
		/* Two contexts of one key and SSRC in one request: refused, nothing installed. */
		struct dp_stream_spec two[2] = {mkspec(DP_SRTP_PROTO_RTP), mkspec(DP_SRTP_PROTO_RTP)};
		uint64_t ids2[2];

		two[1].members[0].port = MEMBER_PORT + 2;
		cr_assert_lt(ctl_streams_install(&ops, two, 2, ids2, &err), 0);
		cr_assert_not_null(strstr(err.msg, "in this request"), "%s", err.msg);
		cr_assert_eq(dp_stream_count(r.dp), 0);
		/* and the claim is given back: one of them alone goes in */
		two[0] = mkspec(DP_SRTP_PROTO_RTP);
		cr_assert_eq(ctl_streams_install(&ops, two, 1, ids2, &err), 0, "%s", err.msg);
		rep = run_op(&ops, CTL_OP_STREAM_DEL, ids2[0], &err, &rc);
		json_decref(rep);
		cr_assert_eq(dp_sync(r.dp, 3000), 0);
	}
	rep = run_op(&ops, CTL_OP_HEALTH, 0, &err, &rc);
	cr_assert_str_eq(json_string_value(json_object_get(rep, "index_store")), "memory");
	cr_assert_eq(json_integer_value(json_object_get(rep, "index_marks")), 1);
	json_decref(rep);

	/* libsrtp always starts SRTCP at 1: a second SRTCP context of one key is refused */
	sp = mkspec(DP_SRTP_PROTO_RTCP);
	cr_assert_eq(ctl_streams_install(&ops, &sp, 1, &id, &err), 0, "%s", err.msg);
	rep = run_op(&ops, CTL_OP_STREAM_DEL, id, &err, &rc);
	json_decref(rep);
	sp = mkspec(DP_SRTP_PROTO_RTCP);
	cr_assert_lt(ctl_streams_install(&ops, &sp, 1, &id, &err), 0);
	cr_assert_not_null(strstr(err.msg, "libsrtp"), "says why: %s", err.msg);
	cr_assert(sodium_is_zero(sp.params.master_key, sizeof(sp.params.master_key)),
		  "the key is wiped on the refusal too");
	cr_assert_eq(dp_sync(r.dp, 3000), 0);
	cr_assert_eq(dp_stream_count(r.dp), 0);

	/* without a store and with a reason: protect refused, unprotect fine */
	ctl_ops_fini(&ops);
	ops.marks_off = "the default state directory: test; give --state-dir DIR";
	sp = mkspec(DP_SRTP_PROTO_RTP);
	cr_assert_lt(ctl_streams_install(&ops, &sp, 1, &id, &err), 0);
	cr_assert_not_null(strstr(err.msg, "--state-dir"), "%s", err.msg);
	sp = mkspec(DP_SRTP_PROTO_RTP);
	sp.params.dir = DP_SRTP_DIR_UNPROTECT;
	sp.n_members = 0;
	cr_assert_eq(ctl_streams_install(&ops, &sp, 1, &id, &err), 0, "%s", err.msg);
	dp_srtp_ctx_free(ref);
	ctl_ops_fini(&ops);
	rig_down(&r);
}

Test(control_ctl_marks_eal, a_small_ahead_holds_packets_until_the_tick)
{
	char top[] = "/tmp/mcpx-marksXXXXXX", dir[64], tmp[96];
	struct ctl_marks_cfg mc = {.ahead = 16};
	struct dp_srtp_params rc = mkparams(DP_SRTP_PROTO_RTCP, DP_SRTP_DIR_UNPROTECT);
	struct dp_stream_spec sp = mkspec(DP_SRTP_PROTO_RTCP);
	struct dp_worker_counters wc;
	struct ctl_mark_key mk;
	struct dp_srtp_ctx *ref;
	struct ctl_marks *m2;
	struct ctl_ops ops;
	struct ctl_err err;
	struct rig r;
	static struct frame out[64];
	uint64_t id, next, limit, idx, top_idx = 0;
	uint32_t off, sl;
	unsigned int i, n, t, sent = 0, got = 0;

	cr_assert_not_null(mkdtemp(top));
	snprintf(dir, sizeof(dir), "%s/state", top);
	mc.dir = dir;
	rig_up(&r, 1, NULL);
	cr_assert_eq(dp_start(r.dp), 0);
	memset(&ops, 0, sizeof(ops));
	ops.dp = r.dp;
	cr_assert_eq(ctl_marks_open(&ops.marks, &mc, &err), 0, "%s", err.msg);
	ctl_marks_key(ops.marks, sp.params.profile, sp.params.proto, SSRC, sp.params.master_key,
		      16, sp.params.master_salt, 12, &mk);
	cr_assert_eq(ctl_streams_install(&ops, &sp, 1, &id, &err), 0, "%s", err.msg);
	cr_assert_eq(dp_stream_index(r.dp, id, &next, &limit), 0);
	cr_assert_eq(limit, 17, "SRTCP from 1, 16 ahead");
	cr_assert_eq(dp_srtp_ctx_new(&ref, DP_SRTP_BACKEND_LIBSRTP, &rc), 0);

	/* no tick: 16 packets leave, the rest are held */
	for (i = 0; i < 40; i++, sent++)
		send_plain(&r, DP_SRTP_PROTO_RTCP, (uint16_t)i);
	n = rig_recv(&r, SEC, out, 64, 40, 500);
	cr_assert_eq(n, 16, "only the indices below the limit left");
	rig_wait_verdicts(&r, 40, 3000);
	dp_counters_total(r.dp, &wc);
	cr_assert_eq(wc.index_held, 24);
	for (i = 0; i < n; i++, got++) {
		cr_assert_eq(tf_verify(out[i].b, out[i].len, &off, &sl), 0);
		idx = wire_index(DP_SRTP_PROTO_RTCP, out[i].b + off, sl);
		cr_assert_lt(idx, 17);
		cr_assert_eq(dp_srtp_process(ref, out[i].b + off, &sl, RIG_FRAME - off), DP_V_FWD);
	}
	/* with the tick: packets flow again, each below a limit synced before it was set */
	for (t = 0; t < 200 && got < 60; t++) {
		uint64_t synced;

		ctl_ops_tick(&ops);
		synced = ctl_marks_get(ops.marks, &mk);	/* synced: the tick syncs first */
		cr_assert_eq(dp_stream_index(r.dp, id, &next, &limit), 0);
		cr_assert_leq(limit, synced);
		send_plain(&r, DP_SRTP_PROTO_RTCP, (uint16_t)sent++);
		n = rig_recv(&r, SEC, out, 64, 1, 200);
		for (i = 0; i < n; i++, got++) {
			cr_assert_eq(tf_verify(out[i].b, out[i].len, &off, &sl), 0);
			idx = wire_index(DP_SRTP_PROTO_RTCP, out[i].b + off, sl);
			cr_assert_lt(idx, limit, "nothing at or above the limit leaves");
			cr_assert_eq(dp_srtp_process(ref, out[i].b + off, &sl, RIG_FRAME - off),
				     DP_V_FWD);
			if (idx > top_idx)
				top_idx = idx;
		}
	}
	cr_assert_geq(got, 60, "the tick let traffic through again (%u)", got);
	dp_stop(r.dp);
	/* what the file says after the run: above every index that left */
	ctl_ops_fini(&ops);
	ctl_marks_close(ops.marks);
	cr_assert_eq(ctl_marks_open(&m2, &mc, &err), 0, "%s", err.msg);
	ctl_marks_key(m2, rc.profile, rc.proto, SSRC, rc.master_key, 16, rc.master_salt, 12, &mk);
	cr_assert_gt(ctl_marks_get(m2, &mk), top_idx);
	ctl_marks_close(m2);
	dp_srtp_ctx_free(ref);
	rig_down(&r);
	snprintf(tmp, sizeof(tmp), "%s/index.marks", dir);
	unlink(tmp);
	snprintf(tmp, sizeof(tmp), "%s/index.key", dir);
	unlink(tmp);
	rmdir(dir);
	rmdir(top);
}
