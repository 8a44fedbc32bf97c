/* SPDX-License-Identifier: proprietary */
/*
 * The dp_eal suite: the whole worker path on EAL (--no-huge --no-shconf -m 512
 * --no-pci) with a port pair of rings. Criterion forks per test, so each test
 * brings EAL up with its own --file-prefix and takes it down. Every output is
 * checked against the engine used directly (the "client" side) and against
 * frames built by the test's own header and checksum code.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "dp_internal.h"	/* the offload test turns the ports' checksum offload on */
#include "dp_rig.h"
#include "dp_testlib.h"

TestSuite(dataplane_dp_eal, .timeout = 120);

#define SEC DP_SIDE_SECURE
#define PLN DP_SIDE_PLAIN
#define MEDIA_PORT 5004
#define FLOOR_PORT 5005
#define MEMBER_PORT 6000

static const unsigned int profiles[] = {
	DP_SRTP_AES_CM_128_HMAC_SHA1_80, DP_SRTP_AES_CM_128_HMAC_SHA1_32,
	DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_AEAD_AES_256_GCM,
};

/* GMK-ID-like key ids, one per profile (one key id, one layout). */
static void
key_id(uint8_t id[4], unsigned int profile)
{
	id[0] = 0x0d;
	id[1] = 0xf9;
	id[2] = 0xbc;
	id[3] = (uint8_t)(0x30 + profile);
}

/* Params for a stream; |seed| makes the keys and the GUK-ID. */
static struct dp_srtp_params
mkparams(unsigned int profile, unsigned int proto, unsigned int dir, uint32_t ssrc, uint32_t seed)
{
	const struct dp_srtp_profile_info *pi = dp_srtp_profile_info(profile);
	struct dp_srtp_params p;
	unsigned int i;

	memset(&p, 0, sizeof(p));
	p.profile = profile;
	p.proto = proto;
	p.dir = dir;
	for (i = 0; i < pi->key_len; i++)
		p.master_key[i] = (uint8_t)(seed * 31 + i);
	for (i = 0; i < pi->salt_len; i++)
		p.master_salt[i] = (uint8_t)(seed * 17 + i * 3);
	/* 4-octet MKI (PCK-ID style) on the _32 profile, GMK-ID || GUK-ID elsewhere. */
	p.mki_len = profile == DP_SRTP_AES_CM_128_HMAC_SHA1_32 ? 4 : 8;
	key_id(p.mki, profile);
	if (p.mki_len == 8) {
		p.mki[4] = (uint8_t)(seed >> 24);
		p.mki[5] = (uint8_t)(seed >> 16);
		p.mki[6] = (uint8_t)(seed >> 8);
		p.mki[7] = (uint8_t)seed;
	}
	p.ssrc = ssrc;
	p.rcc_r = pi->aead && proto == DP_SRTP_PROTO_RTP ? 1 : 0;
	return p;
}

static struct dp_srtp_ctx *
ctx(const struct dp_srtp_params *p, unsigned int dir)
{
	struct dp_srtp_params q = *p;
	struct dp_srtp_ctx *c = NULL;

	q.dir = dir;
	cr_assert_eq(dp_srtp_ctx_new(&c, DP_SRTP_BACKEND_LIBSRTP, &q), 0);
	return c;
}

/* Install a stream; returns its id. Unprotect streams listen on |port|. */
static uint64_t
install(struct rig *r, const struct dp_srtp_params *p, uint16_t port, const struct tf *member)
{
	struct dp_stream_spec sp;
	uint64_t id = 0;
	int rc;

	memset(&sp, 0, sizeof(sp));
	sp.params = *p;
	sp.port = port;
	if (member != NULL) {
		sp.n_members = 1;
		memcpy(sp.members[0].addr, member->dst, 16);
		sp.members[0].port = member->dport;
	}
	rc = dp_stream_add(r->dp, &sp, &id);
	cr_assert_eq(rc, 0, "dp_stream_add: %s", dp_strerror(rc));
	cr_assert_eq(sp.params.master_key[0] | sp.params.master_key[5] | sp.params.master_salt[3], 0,
		     "the spec's key is wiped");
	return id;
}

/* The RTP (or floor) payload |seq| of a stream, plaintext. */
static uint32_t
payload(uint8_t *b, unsigned int proto, uint32_t ssrc, uint16_t seq, uint32_t plen)
{
	if (proto == DP_SRTP_PROTO_RTP)
		return tf_rtp(b, ssrc, seq, plen, 0);
	return tf_floor(b, ssrc, seq % 8, plen / 4);
}

/* A secure-side frame: the client protected |plain| (|pl| octets) with |tx|. */
static uint32_t
protected_frame(uint8_t *f, const struct tf *t, struct dp_srtp_ctx *tx, const uint8_t *pl,
		uint32_t len)
{
	uint8_t b[RIG_FRAME];

	memcpy(b, pl, len);
	cr_assert_eq(dp_srtp_process(tx, b, &len, sizeof(b)), DP_V_FWD);
	return tf_build(f, t, b, len);
}

/* What the plain side must emit for a protected frame: the plaintext frame, byte for byte. */
static void
expect_plain(const struct frame *got, const struct tf *t, const uint8_t *pl, uint32_t len)
{
	uint8_t want[RIG_FRAME];
	uint32_t wl = tf_build(want, t, pl, len);

	cr_assert_eq(got->len, wl, "plain frame length %u, want %u (vlan %u v6 %d dport %u)",
		     got->len, wl, t->n_vlan, t->ipv6, t->dport);
	cr_assert_arr_eq(got->b, want, wl, "plain frame differs");
}

/* A protected frame from the dataplane: headers exact, checksums right, decrypts to |pl|. */
static void
expect_secure(const struct frame *got, const struct tf *t, struct dp_srtp_ctx *rx,
	      const uint8_t *pl, uint32_t len)
{
	uint32_t off, sl;
	uint8_t b[RIG_FRAME], want[RIG_FRAME];
	uint32_t wl;

	cr_assert_eq(tf_verify(got->b, got->len, &off, &sl), 0, "secure frame: %d",
		     tf_verify(got->b, got->len, &off, &sl));
	wl = tf_build(want, t, got->b + off, sl);
	cr_assert_eq(wl, got->len);
	cr_assert_arr_eq(got->b, want, wl, "secure frame headers differ");
	memcpy(b, got->b + off, sl);
	cr_assert_eq(dp_srtp_process(rx, b, &sl, sizeof(b)), DP_V_FWD, "client cannot unprotect");
	cr_assert_eq(sl, len);
	cr_assert_arr_eq(b, pl, len);
}

/* ---- both directions, every profile, IPv4/IPv6, 0-2 VLAN tags ------------------- */

struct dir_case {
	struct tf t;
	struct dp_srtp_params p;
	struct dp_srtp_ctx *client;	/* the other end: protects (unprotect case) or unprotects */
	unsigned int side;		/* where the frames go in */
};

/*
 * Case |n| (its frames' addressing in c->t already): a stream of |profile| and
 * |proto| installed to protect (from the plain side, to member |n|) or to
 * unprotect, and the client at the other end.
 */
static void
dir_case_install(struct rig *r, struct dir_case *c, unsigned int n, unsigned int profile,
		 unsigned int proto, bool protect, uint32_t ssrc, uint32_t seed)
{
	c->p = mkparams(profile, proto, protect ? DP_SRTP_DIR_PROTECT : DP_SRTP_DIR_UNPROTECT,
			ssrc, seed);
	c->side = protect ? PLN : SEC;
	if (protect) {
		tf_dst(&c->t, 20 + n);
		c->t.dport = MEMBER_PORT;
		install(r, &c->p, 0, &c->t);
		c->client = ctx(&c->p, DP_SRTP_DIR_UNPROTECT);
	} else {
		install(r, &c->p, proto ? FLOOR_PORT : MEDIA_PORT, NULL);
		c->client = ctx(&c->p, DP_SRTP_DIR_PROTECT);
	}
}

/* A case's frame as it goes in: protected by its client (secure side) or plain. */
static uint32_t
dir_case_frame(uint8_t *f, const struct dir_case *c, const uint8_t *pl, uint32_t len)
{
	return c->side == SEC ? protected_frame(f, &c->t, c->client, pl, len)
			      : tf_build(f, &c->t, pl, len);
}

/* What must come out on the other side for it. */
static void
dir_case_expect(const struct frame *got, const struct dir_case *c, const uint8_t *pl,
		uint32_t len)
{
	if (c->side == SEC)
		expect_plain(got, &c->t, pl, len);
	else
		expect_secure(got, &c->t, c->client, pl, len);
}

static void
dir_cases_free(struct dir_case *cs, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++)
		dp_srtp_ctx_free(cs[k].client);
}

static void
big_tables(struct dp_config *c)
{
	c->max_streams = 1024;
}

Test(dataplane_dp_eal, both_directions_every_profile_ip_version_and_vlan)
{
	enum { PKTS = 4 };
	static struct dir_case cs[128];
	static struct frame out[1024];
	struct rig r;
	unsigned int n = 0, i, k, pi, v6, vl, proto, sent[2] = {0}, got;
	uint8_t pl[512], f[RIG_FRAME];

	rig_up(&r, 1, big_tables);
	for (pi = 0; pi < 4; pi++)
		for (v6 = 0; v6 < 2; v6++)
			for (vl = 0; vl <= 2; vl++)
				for (proto = 0; proto < 2; proto++)
					for (k = 0; k < 2; k++) {
						struct dir_case *c = &cs[n];

						if (proto && vl == 1)
							continue;	/* enough floor cases */
						tf_default(&c->t, v6, proto ? FLOOR_PORT : MEDIA_PORT);
						c->t.n_vlan = vl;
						c->t.ip_opt_words = v6 ? 0 : vl;
						/* QinQ IPv6 on its way by segment routing */
						c->t.v6_srh = v6 && vl == 2;
						dir_case_install(&r, c, n, profiles[pi], proto, k != 0,
								 0x10000000u + n, 1000 + n);
						n++;
					}
	cr_assert_eq(dp_stream_count(r.dp), n);
	cr_assert_eq(dp_start(r.dp), 0);
	for (i = 0; i < PKTS; i++)
		for (k = 0; k < n; k++) {
			struct dir_case *c = &cs[k];
			/* Odd RTP lengths too (packets 1 and 3): the checksum's last octet. */
			uint32_t len = payload(pl, c->p.proto, c->p.ssrc, (uint16_t)(100 + i),
					       20 + 8 * k % 160 + (i & 1u)), fl;

			fl = dir_case_frame(f, c, pl, len);
			rig_send(&r, c->side, 0, f, fl);
			sent[c->side]++;
			/* Check each frame as it comes: one worker keeps the order. */
			got = rig_recv(&r, !c->side, out, 1, 1, 2000);
			cr_assert_eq(got, 1, "case %u packet %u: nothing came out", k, i);
			dir_case_expect(&out[0], c, pl, len);
		}
	rig_wait_verdicts(&r, sent[0] + sent[1], 2000);
	{
		struct dp_port_counters pc;

		cr_assert_eq(dp_port_counters_read(r.dp, 0, &pc), 0);
		cr_assert_eq(pc.v[DP_V_FWD], sent[SEC]);
		cr_assert_eq(pc.tx, sent[PLN]);
		cr_assert_eq(dp_port_counters_read(r.dp, 1, &pc), 0);
		cr_assert_eq(pc.v[DP_V_FWD], sent[PLN]);
	}
	dir_cases_free(cs, n);
	rig_down(&r);
}

/*
 * A GCM protect stream (SSRC |ssrc|, keys from |seed|) copied by the server to
 * |nm| members: member m's frames addressed in t[m] (to address |dst0| + m,
 * the last over IPv6 when |v6_last|), its receive context in rx[m]; the
 * stream's parameters, its id in |id|.
 */
static struct dp_srtp_params
copies_stream(struct rig *r, unsigned int nm, struct tf *t, struct dp_srtp_ctx **rx,
	      uint32_t ssrc, uint32_t seed, unsigned int dst0, bool v6_last, uint64_t *id)
{
	struct dp_srtp_params p = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_PROTECT,
					   ssrc, seed);
	struct dp_stream_spec sp;
	unsigned int m;

	memset(&sp, 0, sizeof(sp));
	sp.params = p;
	sp.n_members = nm;
	for (m = 0; m < nm; m++) {
		tf_default(&t[m], v6_last && m == nm - 1, MEMBER_PORT);
		tf_dst(&t[m], dst0 + m);
		memcpy(sp.members[m].addr, t[m].dst, 16);
		sp.members[m].port = MEMBER_PORT;
		rx[m] = ctx(&p, DP_SRTP_DIR_UNPROTECT);
	}
	cr_assert_eq(dp_stream_add(r->dp, &sp, id), 0);
	return p;
}

/* ---- a port's references past 16 bits --------------------------------------- */

static void
port_refs_cfg(struct dp_config *c)
{
	c->max_streams = 65536;		/* each worker's table: 131072 entries */
	c->unmatched = DP_POLICY_PASS;
}

/*
 * 4096 server streams of 16 members each on one plain-side port: 65,536
 * references to that port, one past what 16 bits hold. The port must stay a
 * media port: a packet to it that matches no stream is dropped (no context),
 * never passed out in clear, while a port nothing uses still passes.
 */
Test(dataplane_dp_eal, a_port_with_65536_members_stays_matched, .timeout = 120)
{
	enum { STREAMS = 4096, M = DP_STREAM_MAX_MEMBERS };
	static struct frame out[4];
	struct dp_worker_counters c;
	struct dp_stream_spec sp;
	struct dp_srtp_params p;
	struct dp_srtp_ctx *member_rx;
	struct tf t, other;
	uint8_t pl[256], f[RIG_FRAME];
	uint32_t len, fl;
	unsigned int s, m;
	struct rig r;
	uint64_t id;

	rig_up(&r, 1, port_refs_cfg);
	tf_default(&t, false, MEMBER_PORT);
	for (s = 0; s < STREAMS; s++) {
		p = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_PROTECT, 0x40000000 + s,
			     1000 + s);
		if (s == 0)
			member_rx = ctx(&p, DP_SRTP_DIR_UNPROTECT);
		memset(&sp, 0, sizeof(sp));
		sp.params = p;
		sp.n_members = M;
		for (m = 0; m < M; m++) {
			unsigned int n = s * M + m;	/* ::ffff:10.(n>>16).(n>>8).n, all distinct */

			memcpy(sp.members[m].addr, t.dst, 16);
			sp.members[m].addr[13] = (uint8_t)(n >> 16);
			sp.members[m].addr[14] = (uint8_t)(n >> 8);
			sp.members[m].addr[15] = (uint8_t)n;
			sp.members[m].port = MEMBER_PORT;
		}
		cr_assert_eq(dp_stream_add(r.dp, &sp, &id), 0, "stream %u", s);
	}
	cr_assert_eq(dp_start(r.dp), 0);

	/* Stream 0's first member (10.0.0.0) is protected and forwarded. */
	memcpy(t.dst + 12, (const uint8_t[]){10, 0, 0, 0}, 4);
	len = tf_rtp(pl, 0x40000000, 1, 40, 0);
	fl = tf_build(f, &t, pl, len);
	rig_send(&r, PLN, 0, f, fl);
	cr_assert_eq(rig_recv(&r, SEC, out, RTE_DIM(out), 1, 2000), 1);
	expect_secure(&out[0], &t, member_rx, pl, len);

	/* An unknown SSRC to the same port: dropped, not out in clear. */
	len = tf_rtp(pl, 0x7fff0001, 1, 40, 0);
	fl = tf_build(f, &t, pl, len);
	rig_send(&r, PLN, 0, f, fl);
	rig_wait_verdicts(&r, 2, 2000);
	cr_assert_eq(rig_recv(&r, SEC, out, RTE_DIM(out), 0, 200), 0,
		     "plain media to a member port left unprotected");

	/* The same packet to a port no stream uses passes (policy unmatched = pass). */
	tf_default(&other, false, MEMBER_PORT + 1);
	fl = tf_build(f, &other, pl, len);
	rig_send(&r, PLN, 0, f, fl);
	cr_assert_eq(rig_recv(&r, SEC, out, RTE_DIM(out), 1, 2000), 1);
	dp_counters_total(r.dp, &c);
	cr_assert_eq(c.v[DP_V_FWD], 1);
	cr_assert_eq(c.v[DP_V_DROP_NOCTX], 1);
	cr_assert_eq(c.v[DP_V_PASS], 1);
	cr_assert_eq(c.cmd_errors, 0);
	dp_srtp_ctx_free(member_rx);
	rig_down(&r);
}

/* ---- checksum offload: what a NIC is asked to do ----------------------------- */

/* The next mbuf |side| sent (2 s at most), not freed. */
static struct rte_mbuf *
take(struct rig *r, unsigned int side)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * 2;
	struct rte_mbuf *m;

	while (rte_ring_dequeue(r->tx[side][0], (void **)&m) != 0) {
		cr_assert_lt(rte_get_timer_cycles(), end, "nothing came out");
		usleep(200);
	}
	return m;
}

/*
 * On a port with TX checksum offload (a NIC; the rings have none, so the
 * test turns it on as dp_new would), the worker leaves the UDP checksum to
 * the port: the UDP field holding the pseudo-header's sum, l2_len/l3_len and
 * the flags set. The IPv4 header checksum it updates itself (RFC 1624), so
 * the port is not asked for it. Doing what the NIC then does (tf_nic_udp_cksum)
 * must give the exact frame the software path gives. An IPv6 packet with an
 * extension header is summed in software: no flag asked.
 */
Test(dataplane_dp_eal, checksum_offload_asks_the_port_for_exactly_the_sums)
{
	enum { CASES = 6 };
	static struct dir_case cs[CASES];
	struct rig r;
	struct frame got;
	uint8_t pl[256], f[RIG_FRAME];
	unsigned int k;

	rig_up(&r, 1, NULL);
	r.dp->tx_cksum_offload[0] = true;
	r.dp->tx_cksum_offload[1] = true;
	for (k = 0; k < CASES; k++) {
		struct dir_case *c = &cs[k];
		bool v6 = k >= 2, ext = k >= 4;

		tf_default(&c->t, v6, MEDIA_PORT);
		c->t.n_vlan = k % 3;
		c->t.ip_opt_words = v6 ? 0 : 2 * (k & 1);
		c->t.v6_ext = ext;
		dir_case_install(&r, c, k, DP_SRTP_AEAD_AES_128_GCM, 0, k & 1, 0x72000000u + k,
				 300 + k);
	}
	cr_assert_eq(dp_start(r.dp), 0);
	for (k = 0; k < CASES; k++) {
		struct dir_case *c = &cs[k];
		uint32_t len = payload(pl, 0, c->p.ssrc, 5, 41), fl, l2 = 14 + 4 * c->t.n_vlan, l3;
		struct rte_mbuf *m;
		bool v4 = !c->t.ipv6;
		uint64_t want;

		l3 = v4 ? 20 + 4 * c->t.ip_opt_words : 40;
		fl = c->side == SEC ? protected_frame(f, &c->t, c->client, pl, len)
				    : tf_build(f, &c->t, pl, len);
		rig_send(&r, c->side, 0, f, fl);
		m = take(&r, !c->side);
		got.len = rte_pktmbuf_pkt_len(m);
		memcpy(got.b, rte_pktmbuf_mtod(m, uint8_t *), got.len);
		want = (v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6) | RTE_MBUF_F_TX_UDP_CKSUM;
		if (c->t.v6_ext) {
			cr_assert_eq(m->ol_flags & (RTE_MBUF_F_TX_UDP_CKSUM | RTE_MBUF_F_TX_IPV6), 0,
				     "case %u: an extension header is summed here", k);
		} else {
			cr_assert_eq(m->ol_flags & want, want, "case %u: flags", k);
			cr_assert_eq(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM, 0,
				     "case %u: the IPv4 header checksum is not the port's", k);
			cr_assert_eq(m->l2_len, l2, "case %u", k);
			cr_assert_eq(m->l3_len, l3, "case %u", k);
			tf_nic_udp_cksum(got.b, got.len, l2, l3);
		}
		rte_pktmbuf_free(m);
		dir_case_expect(&got, c, pl, len);
	}
	dir_cases_free(cs, CASES);
	rig_down(&r);
}

/* ---- a corrupted IPv4 header stays corrupted -------------------------------- */

static uint16_t
ones_add(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + b;

	return (uint16_t)((s & 0xffff) + (s >> 16));
}

/*
 * An IPv4 header whose checksum arrived wrong (off by |d|, one's complement)
 * leaves off by the same |d|, with software sums and with the port's UDP
 * offload alike: the worker updates the checksum for the new length (RFC
 * 1624) and never makes a damaged header look whole. Both directions, with
 * and without options; everything but that field as usual.
 */
Test(dataplane_dp_eal, a_bad_ipv4_header_checksum_is_never_made_good)
{
	enum { CASES = 4 };
	static struct dir_case cs[CASES];
	const uint16_t d = 0x0101;
	uint8_t pl[256], f[RIG_FRAME], want[RIG_FRAME];
	unsigned int k, ofl;
	struct frame got;
	struct rig r;

	rig_up(&r, 1, NULL);
	for (k = 0; k < CASES; k++) {
		struct dir_case *c = &cs[k];

		tf_default(&c->t, false, MEDIA_PORT);
		c->t.ip_opt_words = 2 * (k >> 1);
		dir_case_install(&r, c, k, DP_SRTP_AEAD_AES_128_GCM, 0, k & 1, 0x73000000u + k,
				 400 + k);
	}
	cr_assert_eq(dp_start(r.dp), 0);
	for (ofl = 0; ofl < 2; ofl++) {
		r.dp->tx_cksum_offload[0] = r.dp->tx_cksum_offload[1] = ofl;
		for (k = 0; k < CASES; k++) {
			struct dir_case *c = &cs[k];
			uint32_t len = payload(pl, 0, c->p.ssrc, (uint16_t)(7 + ofl), 43), fl, l3;
			uint32_t l2 = 14, ck = 14 + 10, off, sl;
			struct rte_mbuf *m;

			l3 = 20 + 4 * c->t.ip_opt_words;
			fl = c->side == SEC ? protected_frame(f, &c->t, c->client, pl, len)
					    : tf_build(f, &c->t, pl, len);
			tf_put16(f + ck, ones_add(tf_get16(f + ck), d));
			rig_send(&r, c->side, 0, f, fl);
			m = take(&r, !c->side);
			got.len = rte_pktmbuf_pkt_len(m);
			memcpy(got.b, rte_pktmbuf_mtod(m, uint8_t *), got.len);
			rte_pktmbuf_free(m);
			if (ofl)
				tf_nic_udp_cksum(got.b, got.len, l2, l3);
			cr_assert_eq(tf_verify(got.b, got.len, &off, &sl), -2,
				     "case %u offload %u: the header checksum came out right", k, ofl);
			/* The right checksum for what came out, off by d as it came in. */
			memcpy(want, got.b, got.len);
			tf_put16(want + ck, 0);
			tf_put16(want + ck, tf_cksum(want + l2, l3));
			cr_assert_eq(tf_get16(got.b + ck), ones_add(tf_get16(want + ck), d),
				     "case %u offload %u: %04x, right %04x", k, ofl,
				     tf_get16(got.b + ck), tf_get16(want + ck));
			tf_put16(got.b + ck, tf_get16(want + ck));
			dir_case_expect(&got, c, pl, len);
		}
	}
	dir_cases_free(cs, CASES);
	rig_down(&r);
}

/* ---- Ethernet padding: octets after the datagram never come out ------------- */

/*
 * A frame may carry octets after its IP datagram: a short one padded to the
 * Ethernet minimum, a switch's trailer. The output ends where the UDP payload
 * ends: the protect trailer goes over the padding, and the plaintext comes
 * out without it. Each direction, every profile, RTP and floor control, with
 * and without room after the padding for the trailer.
 */
Test(dataplane_dp_eal, ethernet_padding_never_comes_out)
{
	enum { PAD = 32 };	/* more than any trailer here (28 at most) */
	static struct dir_case cs[16];
	static struct frame out[4];
	struct rig r;
	unsigned int n = 0, k, pi, proto, sent = 0;
	uint8_t pl[512], f[RIG_FRAME];

	rig_up(&r, 1, NULL);
	for (pi = 0; pi < 4; pi++)
		for (proto = 0; proto < 2; proto++)
			for (k = 0; k < 2; k++) {
				tf_default(&cs[n].t, 0, proto ? FLOOR_PORT : MEDIA_PORT);
				dir_case_install(&r, &cs[n], n, profiles[pi], proto, k != 0,
						 0x20000000u + n, 3000 + n);
				n++;
			}
	cr_assert_eq(dp_start(r.dp), 0);
	for (k = 0; k < n; k++) {
		struct dir_case *c = &cs[k];
		uint32_t len = payload(pl, c->p.proto, c->p.ssrc, 100, 4), fl, tail;

		fl = c->side == SEC ? protected_frame(f, &c->t, c->client, pl, len)
				    : tf_build(f, &c->t, pl, len);
		memset(f + fl, 0xee, PAD);
		/* Protect: the trailer fits only over the padding, or with room to spare. */
		for (tail = 0; tail < 2; tail++) {
			if (c->side == PLN && tail == 0)
				rig_send_room(&r, c->side, 0, f, fl + PAD, 0);
			else if (tail == 0)
				continue;
			else
				rig_send(&r, c->side, 0, f, fl + PAD);
			sent++;
			cr_assert_eq(rig_recv(&r, !c->side, out, 1, 1, 2000), 1,
				     "case %u (tail %u): nothing came out", k, tail);
			if (c->side == SEC) {
				expect_plain(&out[0], &c->t, pl, len);
			} else {
				expect_secure(&out[0], &c->t, c->client, pl, len);
				/* the next packet of the stream */
				len = payload(pl, c->p.proto, c->p.ssrc, 101, 4);
				fl = tf_build(f, &c->t, pl, len);
				memset(f + fl, 0xee, PAD);
			}
		}
	}
	rig_wait_verdicts(&r, sent, 2000);
	dir_cases_free(cs, n);
	rig_down(&r);
}

/*
 * The server's copies of one packet to several members, padded and with no
 * room after the padding: each copy takes its trailer over its padding too,
 * whether it meets the first in the same burst (SEQ 0, queued before the
 * worker starts) or comes a burst later (the cached ciphertext).
 */
Test(dataplane_dp_eal, padded_server_copies_without_tailroom)
{
	enum { M = 3, SEQS = 4, PAD = 32 };
	static struct frame out[M * SEQS];
	struct dp_srtp_ctx *member_rx[M];
	struct tf t[M];
	uint8_t pl[64], f[RIG_FRAME], first[RIG_FRAME];
	struct dp_srtp_params p;
	struct rig r;
	unsigned int m, seq, i, sent = 0;
	uint32_t len, fl, off, l, first_len = 0;
	uint64_t id;

	rig_up(&r, 1, NULL);
	p = copies_stream(&r, M, t, member_rx, 0x30000002, 78, 30, false, &id);
	for (seq = 0; seq < SEQS; seq++) {
		len = tf_rtp(pl, p.ssrc, (uint16_t)seq, 8, 0);
		for (m = 0; m < M; m++) {
			fl = tf_build(f, &t[m], pl, len);
			memset(f + fl, 0xee, PAD);
			rig_send_room(&r, PLN, 0, f, fl + PAD, 0);
			sent++;
			if (seq != 0)
				rig_wait_verdicts(&r, sent, 2000);
		}
		if (seq == 0)
			cr_assert_eq(dp_start(r.dp), 0);	/* SEQ 0's copies: one burst */
		cr_assert_eq(rig_recv(&r, SEC, out, M, M, 2000), M, "SEQ %u: a copy is missing",
			     seq);
		for (i = 0; i < M; i++) {
			cr_assert_eq(tf_verify(out[i].b, out[i].len, &off, &l), 0,
				     "SEQ %u copy %u: padding or a header left wrong", seq, i);
			if (i == 0) {
				memcpy(first, out[i].b + off, l);
				first_len = l;
			}
			cr_assert_eq(l, first_len);
			cr_assert_arr_eq(out[i].b + off, first, l, "SEQ %u: two ciphertexts", seq);
		}
		/* Each member's own context opens its copy. */
		for (m = 0; m < M; m++) {
			l = first_len;
			memcpy(f, first, l);
			cr_assert_eq(dp_srtp_process(member_rx[m], f, &l, sizeof(f)), DP_V_FWD);
			cr_assert_eq(l, len);
			cr_assert_arr_eq(f, pl, len);
		}
	}
	rig_wait_verdicts(&r, sent, 2000);
	for (m = 0; m < M; m++)
		dp_srtp_ctx_free(member_rx[m]);
	rig_down(&r);
}

/* ---- a mixed burst: what passes, what is dropped, and why -------------------- */

static void
mixed_cfg(struct dp_config *c)
{
	c->frag = DP_POLICY_DROP;
	c->other = DP_POLICY_PASS;
	c->unmatched = DP_POLICY_PASS;
}

Test(dataplane_dp_eal, mixed_burst_counted_by_reason)
{
	static struct frame out[64];
	struct rig r;
	struct tf t, tp;
	struct dp_srtp_params pu, pp, bad;
	struct dp_srtp_ctx *ue, *ue_rx, *stranger;
	uint8_t pl[256], f[32][RIG_FRAME], g[RIG_FRAME];
	uint32_t fl[32], len;
	unsigned int n = 0, i, want_pass = 0;
	struct dp_port_counters pc;
	uint64_t uid;
	struct dp_stream_info si;

	rig_up(&r, 1, mixed_cfg);
	pu = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_UNPROTECT, 0xaaaa0001, 1);
	pp = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_PROTECT, 0xbbbb0001, 2);
	tf_default(&t, false, MEDIA_PORT);
	tf_default(&tp, false, MEMBER_PORT);
	tf_dst(&tp, 9);
	uid = install(&r, &pu, MEDIA_PORT, NULL);
	install(&r, &pp, 0, &tp);
	/* A stream on any port (0): SIP and other non-RTP UDP off MEDIA_PORT still pass. */
	bad = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_UNPROTECT, 0xdddd0001, 5);
	install(&r, &bad, 0, NULL);
	ue = ctx(&pu, DP_SRTP_DIR_PROTECT);
	ue_rx = ctx(&pp, DP_SRTP_DIR_UNPROTECT);
	cr_assert_eq(dp_start(r.dp), 0);

	/* The secure side's burst. */
	fl[n] = tf_arp(f[n]);					/* 0 pass */
	n++;
	{
		struct tf s;

		tf_default(&s, false, 5060);
		fl[n] = tf_build(f[n], &s, (const uint8_t *)"INVITE sip:g@x SIP/2.0\r\n", 24);
		n++;						/* 1 pass: SIP */
		s.l4proto = 6;
		fl[n] = tf_build(f[n], &s, (const uint8_t *)"tcp", 3);
		n++;						/* 2 pass: TCP */
		tf_default(&s, false, MEDIA_PORT);
		s.frag = 0x2000;
		fl[n] = tf_build(f[n], &s, pl, tf_rtp(pl, 1, 1, 40, 0));
		n++;						/* 3 drop_frag */
	}
	len = tf_rtp(pl, pu.ssrc, 10, 30, 0);
	fl[n] = protected_frame(f[n], &t, ue, pl, len);		/* 4 fwd (seq 10) */
	memcpy(g, f[n], fl[n]);
	n++;
	len = tf_rtp(pl, pu.ssrc, 11, 31, 0);
	fl[n] = protected_frame(f[n], &t, ue, pl, len);
	f[n][14 + 20 + 8 + 20] ^= 0x04;			/* 5 drop_auth: a payload bit */
	n++;
	len = tf_rtp(pl, pu.ssrc, 12, 32, 0);
	fl[n] = protected_frame(f[n], &t, ue, pl, len);		/* 6 fwd (seq 12) */
	n++;
	memcpy(f[n], g, fl[4]);
	fl[n] = fl[4];
	n++;							/* 7 drop_replay: seq 10 again */
	{
		uint8_t b[RIG_FRAME];

		len = tf_rtp(b, pu.ssrc, 13, 33, 0);
		cr_assert_eq(dp_srtp_process(ue, b, &len, sizeof(b)), DP_V_FWD);
		fl[n] = tf_build(f[n], &t, b, len - 10);	/* 8 truncated: MKI lost */
		n++;
		bad = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_PROTECT, 0xcccc0001, 3);
		bad.mki[1] ^= 0xff;				/* an unknown GMK-ID */
		stranger = ctx(&bad, DP_SRTP_DIR_PROTECT);
		len = tf_rtp(pl, bad.ssrc, 1, 30, 0);
		fl[n] = protected_frame(f[n], &t, stranger, pl, len);	/* 9 drop_noctx */
		n++;
		dp_srtp_ctx_free(stranger);
		bad = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_PROTECT, 0xcccc0002, 4);
		stranger = ctx(&bad, DP_SRTP_DIR_PROTECT);	/* known GMK-ID, new GUK-ID */
		fl[n] = protected_frame(f[n], &t, stranger, pl, tf_rtp(pl, bad.ssrc, 1, 30, 0));
		n++;						/* 10 punt */
		dp_srtp_ctx_free(stranger);
	}
	fl[n] = tf_build(f[n], &t, (const uint8_t *)"\x01\x02stun", 6);
	n++;			/* 11 drop_malformed: not RTP-shaped, to a stream's port */
	len = tf_rtp(pl, pu.ssrc, 14, 34, 0);
	fl[n] = protected_frame(f[n], &t, ue, pl, len);
	f[n][14 + 20 + 4] = 4;					/* 12 drop_malformed: UDP length > 1024 */
	n++;
	len = tf_rtp(pl, pu.ssrc, 15, 35, 0);
	fl[n] = protected_frame(f[n], &t, ue, pl, len);		/* 13 fwd (seq 15) */
	n++;
	{
		struct tf s;

		tf_default(&s, false, MEDIA_PORT + 100);
		fl[n] = tf_build(f[n], &s, (const uint8_t *)"\x01\x02stun", 6);
		n++;		/* 14 pass: not RTP-shaped, no stream's port (--unmatched) */
	}
	for (i = 0; i < n; i++)
		rig_send(&r, SEC, 0, f[i], fl[i]);
	rig_wait_verdicts(&r, n, 3000);
	want_pass = 4;
	cr_assert_eq(rig_recv(&r, PLN, out, 64, want_pass + 3, 1000), want_pass + 3);
	/* In order: arp, sip, tcp, fwd 10, fwd 12, fwd 15, stun (other port). Byte-identical. */
	cr_assert_eq(out[0].len, fl[0]);
	cr_assert_arr_eq(out[0].b, f[0], fl[0]);
	cr_assert_arr_eq(out[1].b, f[1], fl[1]);
	cr_assert_arr_eq(out[2].b, f[2], fl[2]);
	expect_plain(&out[3], &t, pl, tf_rtp(pl, pu.ssrc, 10, 30, 0));
	expect_plain(&out[4], &t, pl, tf_rtp(pl, pu.ssrc, 12, 32, 0));
	expect_plain(&out[5], &t, pl, tf_rtp(pl, pu.ssrc, 15, 35, 0));
	cr_assert_eq(out[6].len, fl[14]);
	cr_assert_arr_eq(out[6].b, f[14], fl[14]);
	cr_assert_eq(dp_port_counters_read(r.dp, 0, &pc), 0);
	cr_assert_eq(pc.v[DP_V_PASS], 4);
	cr_assert_eq(pc.v[DP_V_FWD], 3);
	cr_assert_eq(pc.v[DP_V_DROP_FRAG], 1);
	cr_assert_eq(pc.v[DP_V_DROP_AUTH], 1);
	cr_assert_eq(pc.v[DP_V_DROP_REPLAY], 1);
	cr_assert_eq(pc.v[DP_V_DROP_NOCTX], 2);
	cr_assert_eq(pc.v[DP_V_PUNT], 1);
	cr_assert_eq(pc.v[DP_V_DROP_MALFORMED], 2);	/* 11 and 12 */
	cr_assert_eq(dp_stream_get(r.dp, uid, &si), 0);
	cr_assert_eq(si.v[DP_V_FWD], 3);
	cr_assert_eq(si.v[DP_V_DROP_AUTH], 1);
	cr_assert_eq(si.v[DP_V_DROP_REPLAY], 1);
	cr_assert_eq(si.params.master_key[0] | si.params.master_key[7], 0, "no key comes back");
	cr_assert_eq(dp_punt_poll(r.dp, NULL, NULL, 16), 1);

	/* The plain side: protect, unknown SSRC (never out in clear), no room, ARP. */
	n = 0;
	len = tf_rtp(pl, pp.ssrc, 500, 60, 0);
	fl[n] = tf_build(f[n], &tp, pl, len);
	rig_send(&r, PLN, 0, f[n], fl[n]);
	fl[n] = tf_build(f[n], &tp, pl, tf_rtp(pl, 0x1234, 1, 60, 0));
	rig_send(&r, PLN, 0, f[n], fl[n]);			/* drop_noctx */
	fl[n] = tf_build(f[n], &tp, pl, tf_rtp(pl, pp.ssrc, 501, 60, 0));
	rig_send_room(&r, PLN, 0, f[n], fl[n], 4);		/* drop_noroom */
	fl[n] = tf_arp(f[n]);
	rig_send(&r, PLN, 0, f[n], fl[n]);			/* pass */
	rig_wait_verdicts(&r, 15 + 4, 3000);
	cr_assert_eq(rig_recv(&r, SEC, out, 64, 2, 1000), 2);
	expect_secure(&out[0], &tp, ue_rx, pl, tf_rtp(pl, pp.ssrc, 500, 60, 0));
	cr_assert_arr_eq(out[1].b, f[0], fl[0]);
	cr_assert_eq(dp_port_counters_read(r.dp, 1, &pc), 0);
	cr_assert_eq(pc.v[DP_V_FWD], 1);
	cr_assert_eq(pc.v[DP_V_DROP_NOCTX], 1);
	cr_assert_eq(pc.v[DP_V_DROP_NOROOM], 1);
	cr_assert_eq(pc.v[DP_V_PASS], 1);
	dp_srtp_ctx_free(ue);
	dp_srtp_ctx_free(ue_rx);
	rig_down(&r);
}

/* ---- the cost of a full burst (dp_worker_cost_hist) ------------------------- */

/*
 * The worker counts a loop after its packets' verdicts: wait until worker 0
 * has counted |n| busy loops (5 s at most), then two more loops of any kind,
 * so that the one that counted the last has finished its bookkeeping.
 */
static void
wait_busy_loops(struct rig *r, uint64_t n)
{
	struct dp_worker_counters c;
	uint64_t end = rte_get_timer_cycles() + 5 * rte_get_timer_hz(), loops = 0;

	do {
		cr_assert_eq(dp_worker_counters_read(r->dp, 0, &c), 0);
		if (loops == 0 && c.busy_loops >= n)
			loops = c.loops;
		if (loops != 0 && c.loops >= loops + 2)
			return;
		usleep(100);
	} while (rte_get_timer_cycles() < end);
}

/*
 * The frames wait in the RX ring before the worker starts, so each of its
 * loops takes exactly one full burst: the histogram holds one entry a loop,
 * each the loop's cycles over DP_BURST (floored; the last bucket's own in
 * |over|), and the loops' cycles are busy_cycles: the buckets bracket them.
 */
Test(dataplane_dp_eal, each_full_burst_is_timed_a_packet)
{
	enum { BURSTS = 64 };
	static struct dp_cost_hist h;
	struct dp_srtp_params p = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_PROTECT,
					   0x45000000, 77);
	uint8_t pl[256], f[RIG_FRAME];
	uint64_t n = 0, lo;
	struct dp_worker_counters c;
	struct tf t;
	struct rig r;
	unsigned int i, b;

	rig_up(&r, 1, NULL);
	tf_default(&t, false, MEMBER_PORT);
	install(&r, &p, 0, &t);
	for (i = 0; i < BURSTS * DP_BURST; i++)
		rig_send(&r, PLN, 0, f, tf_build(f, &t, pl, tf_rtp(pl, p.ssrc, (uint16_t)i, 60, 0)));
	cr_assert_eq(dp_start(r.dp), 0);
	rig_wait_verdicts(&r, BURSTS * DP_BURST, 5000);
	wait_busy_loops(&r, BURSTS);
	cr_assert_eq(dp_worker_cost_hist(r.dp, 1, &h), -DP_E_ARG, "one worker only");
	cr_assert_eq(dp_worker_cost_hist(r.dp, 0, NULL), -DP_E_ARG);
	cr_assert_eq(dp_worker_cost_hist(r.dp, 0, &h), 0);
	cr_assert_eq(dp_worker_counters_read(r.dp, 0, &c), 0);
	cr_assert_eq(c.v[DP_V_FWD], BURSTS * DP_BURST);
	cr_assert_eq(c.busy_loops, BURSTS, "each loop took one full burst");
	lo = h.over * DP_BURST;
	for (b = 0; b < DP_COST_BUCKETS; b++) {
		n += h.bursts[b];
		if (b < DP_COST_BUCKETS - 1)
			lo += (uint64_t)b * DP_BURST * h.bursts[b];
	}
	cr_assert_eq(n, BURSTS, "one entry a full burst: %lu", (unsigned long)n);
	cr_assert_geq(h.over, (DP_COST_BUCKETS - 1) * h.bursts[DP_COST_BUCKETS - 1]);
	/* Each loop's cycles a packet, floored: the loops' cycles lose less than a burst each. */
	cr_assert_leq(lo, c.busy_cycles, "buckets %lu over busy %lu", (unsigned long)lo,
		      (unsigned long)c.busy_cycles);
	cr_assert_lt(c.busy_cycles, lo + (uint64_t)BURSTS * DP_BURST, "buckets %lu, busy %lu",
		     (unsigned long)lo, (unsigned long)c.busy_cycles);
	/* A loop of fewer packets is not in the histogram. */
	for (i = 0; i < 5; i++)
		rig_send(&r, PLN, 0, f,
			 tf_build(f, &t, pl, tf_rtp(pl, p.ssrc, (uint16_t)(9000 + i), 60, 0)));
	rig_wait_verdicts(&r, BURSTS * DP_BURST + 5, 5000);
	wait_busy_loops(&r, BURSTS + 1);
	cr_assert_eq(dp_worker_counters_read(r.dp, 0, &c), 0);
	cr_assert_gt(c.busy_loops, BURSTS);
	cr_assert_eq(dp_worker_cost_hist(r.dp, 0, &h), 0);
	for (n = 0, b = 0; b < DP_COST_BUCKETS; b++)
		n += h.bursts[b];
	cr_assert_eq(n, BURSTS, "a partial loop counted as a full burst");
	rig_down(&r);
}

/* ---- two workers: RSS anywhere, every stream meets its owner ----------------- */

Test(dataplane_dp_eal, two_workers_streams_meet_their_owner)
{
	enum { NS = 12, PKTS = 8 };
	static struct dir_case cs[NS];
	static struct frame out[NS * PKTS];
	uint64_t ids[NS];
	uint8_t pl[256], f[RIG_FRAME];
	struct rig r;
	unsigned int k, i, got, sent = 0;
	uint64_t fwd_by_owner[2] = {0}, t_start = rte_rdtsc();
	struct dp_worker_counters wc, tot;

	rig_up(&r, 2, NULL);
	for (k = 0; k < NS; k++) {
		struct dir_case *c = &cs[k];
		unsigned int dir = k % 2 ? DP_SRTP_DIR_PROTECT : DP_SRTP_DIR_UNPROTECT;

		tf_default(&c->t, k % 3 == 0, MEDIA_PORT);
		c->p = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, dir, 0x20000000u + k, 50 + k);
		if (k % 2) {
			c->side = PLN;
			tf_dst(&c->t, 100 + k);
			c->t.dport = MEMBER_PORT;
			ids[k] = install(&r, &c->p, 0, &c->t);
			c->client = ctx(&c->p, DP_SRTP_DIR_UNPROTECT);
		} else {
			c->side = SEC;
			ids[k] = install(&r, &c->p, MEDIA_PORT, NULL);
			c->client = ctx(&c->p, DP_SRTP_DIR_PROTECT);
		}
	}
	cr_assert_eq(dp_start(r.dp), 0);
	srand(11);
	for (i = 0; i < PKTS; i++)
		for (k = 0; k < NS; k++) {
			struct dir_case *c = &cs[k];
			uint32_t len = tf_rtp(pl, c->p.ssrc, (uint16_t)i, 40, 0), fl;

			fl = c->side == SEC ? protected_frame(f, &c->t, c->client, pl, len)
					    : tf_build(f, &c->t, pl, len);
			rig_send(&r, c->side, (unsigned int)rand() % 2, f, fl);	/* "RSS" */
			sent++;
		}
	rig_wait_verdicts(&r, sent, 5000);
	/* Each stream's packets, whatever queue they came on, all forwarded by the owner. */
	for (k = 0; k < NS; k++) {
		struct dp_stream_info si;

		cr_assert_eq(dp_stream_get(r.dp, ids[k], &si), 0);
		cr_assert_eq(si.v[DP_V_FWD], PKTS, "stream %u: fwd %lu", k,
			     (unsigned long)si.v[DP_V_FWD]);
		cr_assert_lt(si.owner, 2);
		fwd_by_owner[si.owner] += si.v[DP_V_FWD];
	}
	for (i = 0; i < 2; i++) {
		cr_assert_eq(dp_worker_counters_read(r.dp, i, &wc), 0);
		cr_assert_eq(wc.v[DP_V_FWD], fwd_by_owner[i], "worker %u forwarded what it owns", i);
	}
	/* By ingress port, though a handed-off burst mixes the two ports. */
	for (i = 0; i < 2; i++) {
		struct dp_port_counters pc;

		cr_assert_eq(dp_port_counters_read(r.dp, i, &pc), 0);
		cr_assert_eq(pc.v[DP_V_FWD], NS * PKTS / 2, "port %u: fwd %lu", i,
			     (unsigned long)pc.v[DP_V_FWD]);
	}
	dp_counters_total(r.dp, &tot);
	cr_assert_gt(tot.handoff_out, 0);
	cr_assert_eq(tot.handoff_out, tot.handoff_in);
	/* Both workers had work, and no more busy time than the test's own run (2 workers). */
	cr_assert_eq(dp_worker_counters_read(r.dp, 0, &wc), 0);
	cr_assert_gt(wc.busy_cycles, 0);
	cr_assert_eq(dp_worker_counters_read(r.dp, 1, &wc), 0);
	cr_assert_gt(wc.busy_cycles, 0);
	cr_assert_lt(tot.busy_cycles, 2 * (rte_rdtsc() - t_start));
	cr_assert_gt(fwd_by_owner[0], 0);
	cr_assert_gt(fwd_by_owner[1], 0);
	/* Every output decrypts (client side; order per stream may differ: window absorbs it). */
	got = rig_recv(&r, PLN, out, NS * PKTS, NS * PKTS / 2, 2000);
	cr_assert_eq(got, NS * PKTS / 2);
	for (i = 0; i < got; i++) {
		uint32_t off, l;

		cr_assert_eq(tf_verify(out[i].b, out[i].len, &off, &l), 0);
		cr_assert_eq(l, 52);
	}
	got = rig_recv(&r, SEC, out, NS * PKTS, NS * PKTS / 2, 2000);
	cr_assert_eq(got, NS * PKTS / 2);
	for (i = 0; i < got; i++) {
		uint32_t off, l, ssrc;

		cr_assert_eq(tf_verify(out[i].b, out[i].len, &off, &l), 0);
		ssrc = (uint32_t)out[i].b[off + 8] << 24 | (uint32_t)out[i].b[off + 9] << 16 |
		       (uint32_t)out[i].b[off + 10] << 8 | out[i].b[off + 11];
		k = ssrc - 0x20000000u;
		cr_assert(k < NS && k % 2 == 1);
		cr_assert_eq(dp_srtp_process(cs[k].client, out[i].b + off, &l, RIG_FRAME),
			     DP_V_FWD);
	}
	dir_cases_free(cs, NS);
	rig_down(&r);
}

/* ---- copies of one stream to several members: one index, one ciphertext --------- */

Test(dataplane_dp_eal, server_copies_never_two_ciphertexts_per_index)
{
	enum { M = 4, SEQS = 24 };
	static struct frame out[M * SEQS * 2];
	struct dp_srtp_ctx *member_rx[M];
	struct dp_stream_info si;
	struct tf t[M];
	uint8_t pl[256], f[RIG_FRAME];
	uint8_t seen[SEQS][RIG_FRAME];
	uint32_t seen_len[SEQS] = {0};
	struct dp_srtp_params p;
	struct rig r;
	unsigned int m, s, i, got, sent = 0, fwd = 0;
	uint64_t id;

	rig_up(&r, 2, NULL);
	p = copies_stream(&r, M, t, member_rx, 0x30000001, 77, 10, true, &id);
	cr_assert_eq(dp_start(r.dp), 0);
	for (s = 0; s < SEQS; s++) {
		uint32_t len = tf_rtp(pl, p.ssrc, (uint16_t)s, 50, 0), fl;

		for (m = 0; m < M; m++) {
			fl = tf_build(f, &t[m], pl, len);
			rig_send(&r, PLN, m + s, f, fl);	/* copies on both queues */
			sent++;
			if (s % 3 == 0 && m == 1)		/* cross-burst copies too */
				rig_wait_verdicts(&r, sent, 2000);
		}
		if (s % 4 == 2) {
			rig_wait_verdicts(&r, sent, 2000);
			/* The server (or an attacker) sends other content under a used SEQ. */
			len = tf_rtp(pl, p.ssrc, (uint16_t)s, 50, 0x55);
			fl = tf_build(f, &t[s % M], pl, len);
			rig_send(&r, PLN, s, f, fl);
			sent++;
		}
		rig_wait_verdicts(&r, sent, 2000);
	}
	got = rig_recv(&r, SEC, out, RTE_DIM(out), M * SEQS, 2000);
	cr_assert_eq(got, M * SEQS, "every identical copy goes out: %u", got);
	for (i = 0; i < got; i++) {
		uint32_t off, l;
		uint16_t seq;
		unsigned int mm;

		cr_assert_eq(tf_verify(out[i].b, out[i].len, &off, &l), 0, "frame %u: %d", i,
			     tf_verify(out[i].b, out[i].len, &off, &l));
		seq = (uint16_t)(out[i].b[off + 2] << 8 | out[i].b[off + 3]);
		cr_assert_lt(seq, SEQS);
		/* The invariant: one (key, SSRC, index), one ciphertext. */
		if (seen_len[seq] == 0) {
			memcpy(seen[seq], out[i].b + off, l);
			seen_len[seq] = l;
		} else {
			cr_assert_eq(l, seen_len[seq]);
			cr_assert_arr_eq(out[i].b + off, seen[seq], l, "index %u: two ciphertexts",
					 seq);
		}
		/* Which member: its own context accepts it once. */
		mm = out[i].b[(out[i].b[12] == 0x86 ? 14 + 24 + 15 : 14 + 19)] - 10;
		cr_assert_lt(mm, M);
		cr_assert_eq(dp_srtp_process(member_rx[mm], out[i].b + off, &l, RIG_FRAME),
			     DP_V_FWD);
		fwd++;
	}
	cr_assert_eq(dp_stream_get(r.dp, id, &si), 0);
	cr_assert_eq(si.v[DP_V_FWD], M * SEQS);
	cr_assert_eq(si.copies, (M - 1) * SEQS, "copies reused a ciphertext");
	cr_assert_eq(si.v[DP_V_DROP_REPLAY], sent - M * SEQS, "different content refused");
	for (m = 0; m < M; m++)
		dp_srtp_ctx_free(member_rx[m]);
	(void)fwd;
	rig_down(&r);
}

/* ---- a flood of forged MKIs under a known GMK-ID ------------------------------ */

/* The known key (GMK-ID) of |p|'s MKI on MEDIA_PORT, capped at |max_streams| (0 the default). */
static void
gcm_key(struct dp_key_spec *ks, const struct dp_srtp_params *p, uint32_t max_streams)
{
	memset(ks, 0, sizeof(*ks));
	memcpy(ks->id, p->mki, 4);
	ks->profile = DP_SRTP_AEAD_AES_128_GCM;
	ks->mki_len = 8;
	ks->rcc_r = 1;
	ks->port = MEDIA_PORT;
	ks->max_streams = max_streams;
}

static void
flood_cfg(struct dp_config *c)
{
	c->punt_rate = 40;
	c->punt_ring_size = 32;
}

struct punt_ctl {
	struct dp *dp;
	unsigned int seen, installed, refused;
};

static void
on_punt(void *arg, const struct dp_punt_info *pi)
{
	struct punt_ctl *pc = arg;
	struct dp_stream_spec sp;
	uint64_t id;
	int rc;

	/* Stand-in for the control issue: "derive" a key and install the sender's stream. */
	pc->seen++;
	cr_assert_eq(pi->key.id[0], 0x0d);
	cr_assert_eq(pi->mki_len, 8);
	memset(&sp, 0, sizeof(sp));
	sp.params = mkparams(DP_SRTP_AEAD_AES_128_GCM, pi->proto, DP_SRTP_DIR_UNPROTECT, pi->ssrc,
			     9);
	memcpy(sp.params.mki, pi->mki, 8);
	rc = dp_stream_add(pc->dp, &sp, &id);
	if (rc == 0)
		pc->installed++;
	else {
		cr_assert_eq(rc, -DP_E_LIMIT, "%s", dp_strerror(rc));
		pc->refused++;
	}
}

Test(dataplane_dp_eal, forged_mki_flood_is_capped_and_good_streams_flow)
{
	enum { FLOOD = 1500 };
	struct rig r;
	struct tf t;
	struct dp_key_spec ks;
	struct dp_srtp_params good, forged;
	struct dp_srtp_ctx *ue, *fake;
	struct dp_worker_counters c;
	struct punt_ctl pc = {0};
	static struct frame out[256];
	uint8_t pl[256], f[RIG_FRAME];
	unsigned int i, good_sent = 0;
	uint32_t fl;

	rig_up(&r, 1, flood_cfg);
	good = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_UNPROTECT, 0x40000001, 5);
	gcm_key(&ks, &good, 4);
	cr_assert_eq(dp_key_add(r.dp, &ks), 0);
	cr_assert_eq(dp_key_add(r.dp, &ks), -DP_E_EXISTS);
	tf_default(&t, false, MEDIA_PORT);
	install(&r, &good, MEDIA_PORT, NULL);
	ue = ctx(&good, DP_SRTP_DIR_PROTECT);
	cr_assert_eq(dp_start(r.dp), 0);
	pc.dp = r.dp;
	srand(3);
	for (i = 0; i < FLOOD; i++) {
		forged = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_PROTECT,
				  (uint32_t)rand(), (uint32_t)rand());
		memcpy(forged.mki, good.mki, 4);	/* the real GMK-ID, a random GUK-ID */
		fake = ctx(&forged, DP_SRTP_DIR_PROTECT);
		fl = protected_frame(f, &t, fake, pl, tf_rtp(pl, forged.ssrc, 1, 40, 0));
		dp_srtp_ctx_free(fake);
		rig_send(&r, SEC, 0, f, fl);
		if (i % 25 == 0) {
			fl = protected_frame(f, &t, ue, pl,
					     tf_rtp(pl, good.ssrc, (uint16_t)good_sent, 40, 0));
			rig_send(&r, SEC, 0, f, fl);
			good_sent++;
		}
		if (i % 100 == 0)
			dp_punt_poll(r.dp, on_punt, &pc, 64);
	}
	rig_wait_verdicts(&r, FLOOD + good_sent, 5000);
	dp_punt_poll(r.dp, on_punt, &pc, 1024);
	dp_counters_total(r.dp, &c);
	cr_assert_eq(c.v[DP_V_PUNT], FLOOD, "every forged packet is a punt verdict");
	cr_assert_eq(c.v[DP_V_FWD], good_sent, "the good stream kept flowing");
	cr_assert_gt(c.punt_limited, 0, "rate cap hit");
	cr_assert_eq(pc.seen + c.punt_limited + c.punt_full, FLOOD);
	cr_assert_leq(pc.seen, 40 * 10, "at most the rate per second reached control");
	cr_assert_eq(pc.installed, 3, "cap 4 per key: the good one and three more");
	cr_assert_eq(pc.refused, pc.seen - 3);
	cr_assert_eq(dp_stream_count(r.dp), 4, "tables stopped growing");
	cr_assert_eq(dp_streams_refused(r.dp), pc.refused);
	cr_assert_eq(rig_recv(&r, PLN, out, 256, good_sent, 2000), good_sent);
	for (i = 0; i < good_sent; i++)
		expect_plain(&out[i], &t, pl, tf_rtp(pl, good.ssrc, (uint16_t)i, 40, 0));
	cr_assert_eq(dp_key_del(r.dp, ks.id), -DP_E_STATE, "a key with streams stays");
	dp_srtp_ctx_free(ue);
	rig_down(&r);
}

/* A new sender of |p|'s key id (GUK-ID and SSRC no stream has), to UDP |port|. */
static uint32_t
new_sender_frame(uint8_t *f, const struct dp_srtp_params *p, uint16_t port, uint32_t seed)
{
	struct dp_srtp_params q;
	struct dp_srtp_ctx *c;
	uint8_t pl[256];
	struct tf t;
	uint32_t fl;

	q = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_PROTECT, 0x50000000 + seed, seed);
	memcpy(q.mki, p->mki, 4);
	c = ctx(&q, DP_SRTP_DIR_PROTECT);
	tf_default(&t, false, port);
	fl = protected_frame(f, &t, c, pl, tf_rtp(pl, q.ssrc, 1, 40, 0));
	dp_srtp_ctx_free(c);
	return fl;
}

/*
 * The control registers its learning key (dp_key_add) when a raw stream of the
 * same GMK-ID has already made it implicitly. The key becomes the control's:
 * its cap and port are the registered ones, and removing the raw stream must
 * not take the key with it, or a new sender's SRTP would stop being punted (and
 * leave still encrypted under --unmatched pass). Case 0 registers the stream's
 * own port (before the start); case 1 another port, with the workers running
 * (the key moves to it in one step per worker).
 */
static void
count_any(void *arg, const struct dp_punt_info *pi)
{
	(void)pi;
	(*(unsigned int *)arg)++;
}

static void
key_over_implicit(unsigned int n)
{
	uint16_t port = n == 0 ? MEDIA_PORT : FLOOR_PORT;
	struct dp_worker_counters c;
	struct dp_stream_spec sp;
	struct dp_srtp_params p;
	struct dp_key_spec ks;
	uint8_t f[RIG_FRAME];
	unsigned int punts = 0;
	uint64_t id, id2;
	struct rig r;
	uint32_t fl;

	rig_up(&r, 2, NULL);
	p = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_UNPROTECT, 0x40000001, 5);
	id = install(&r, &p, MEDIA_PORT, NULL);	/* makes key id p.mki implicitly */
	if (n == 1)
		cr_assert_eq(dp_start(r.dp), 0);
	gcm_key(&ks, &p, 1);
	ks.rcc_r = 0;
	cr_assert_eq(dp_key_add(r.dp, &ks), -DP_E_ARG, "one key id, one layout");
	gcm_key(&ks, &p, 1);
	ks.port = port;
	cr_assert_eq(dp_key_add(r.dp, &ks), 0, "the implicit key becomes the caller's");
	cr_assert_eq(dp_key_add(r.dp, &ks), -DP_E_EXISTS, "registered twice");
	memset(&sp, 0, sizeof(sp));
	sp.params = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_UNPROTECT, 0x40000002, 6);
	sp.port = MEDIA_PORT;
	cr_assert_eq(dp_stream_add(r.dp, &sp, &id2), -DP_E_LIMIT, "its cap is the asked 1");
	cr_assert_eq(dp_stream_del(r.dp, id), 0);
	if (n == 0)
		cr_assert_eq(dp_start(r.dp), 0);
	cr_assert_eq(dp_sync(r.dp, 1000), 0);

	fl = new_sender_frame(f, &p, port, 77);
	rig_send(&r, SEC, 0, f, fl);
	rig_wait_verdicts(&r, 1, 3000);
	cr_assert_eq(dp_punt_poll(r.dp, count_any, &punts, 16), 1);
	dp_counters_total(r.dp, &c);
	cr_assert_eq(c.v[DP_V_PUNT], 1, "a new sender of the key is punted");
	cr_assert_eq(c.v[DP_V_PASS], 0);
	if (n == 1) {
		/* The port it was made with is no media port any more. */
		fl = new_sender_frame(f, &p, MEDIA_PORT, 78);
		rig_send(&r, SEC, 0, f, fl);
		rig_wait_verdicts(&r, 2, 3000);
		dp_counters_total(r.dp, &c);
		cr_assert_eq(c.v[DP_V_PASS], 1, "the old port is unmatched");
		cr_assert_eq(c.v[DP_V_PUNT], 1);
	}
	cr_assert_eq(dp_key_del(r.dp, ks.id), 0, "the key was still there");
	cr_assert_eq(dp_sync(r.dp, 1000), 0);
	dp_counters_total(r.dp, &c);
	cr_assert_eq(c.cmd_errors, 0, "each worker's key refs matched");
	rig_down(&r);
}

/*
 * The undo of that registration (the control's install refused after it):
 * dp_key_del while the raw stream still uses the key answers -DP_E_STATE, and
 * the key is the stream's again, gone with it; before, it stayed registered
 * for good, its port (0: any) matched on every secure-side packet.
 */
Test(dataplane_dp_eal, a_registration_withdrawn_under_streams_goes_with_the_last)
{
	struct dp_srtp_params p;
	struct dp_key_spec ks;
	struct dp_worker_counters c;
	uint8_t f[RIG_FRAME];
	unsigned int punts = 0;
	uint64_t id;
	struct rig r;
	uint32_t fl;

	rig_up(&r, 1, NULL);
	p = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_UNPROTECT, 0x40000001, 5);
	id = install(&r, &p, MEDIA_PORT, NULL);
	gcm_key(&ks, &p, 4);
	ks.port = 0;
	cr_assert_eq(dp_key_add(r.dp, &ks), 0);
	cr_assert_eq(dp_key_del(r.dp, ks.id), -DP_E_STATE, "its stream still uses it");
	cr_assert_eq(dp_stream_del(r.dp, id), 0);
	cr_assert_eq(dp_key_del(r.dp, ks.id), -DP_E_NOTFOUND, "gone with its stream");
	cr_assert_eq(dp_start(r.dp), 0);
	fl = new_sender_frame(f, &p, FLOOR_PORT, 79);
	rig_send(&r, SEC, 0, f, fl);
	rig_wait_verdicts(&r, 1, 3000);
	cr_assert_eq(dp_punt_poll(r.dp, count_any, &punts, 16), 0);
	dp_counters_total(r.dp, &c);
	cr_assert_eq(c.v[DP_V_PASS], 1, "no key, no media port: unmatched passes");
	rig_down(&r);
}

Test(dataplane_dp_eal, a_key_registered_over_an_implicit_one_outlives_its_streams)
{
	key_over_implicit(0);
}

Test(dataplane_dp_eal, a_key_registered_over_an_implicit_one_takes_its_port_while_running)
{
	key_over_implicit(1);
}

/*
 * A protect member is found by its UDP destination port; the workers read a port
 * of 0 as "any", so such a member would make every plain-side RTP/RTCP packet a
 * lookup that misses (DROP_NOCTX, not --unmatched). Refused, nothing installed,
 * and plain traffic to other ports keeps following the policy.
 */
Test(dataplane_dp_eal, a_protect_member_without_a_port_is_refused)
{
	struct dp_worker_counters c;
	struct dp_stream_spec sp;
	static struct frame out[4];
	uint8_t pl[256], f[RIG_FRAME];
	struct tf t, m;
	struct rig r;
	uint64_t id = 99;
	uint32_t fl;

	rig_up(&r, 1, NULL);	/* unmatched: pass */
	memset(&sp, 0, sizeof(sp));
	sp.params = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_PROTECT, 0x77, 3);
	tf_default(&m, false, MEMBER_PORT);
	tf_dst(&m, 50);
	sp.n_members = 2;
	memcpy(sp.members[0].addr, m.dst, 16);
	sp.members[0].port = MEMBER_PORT;
	memcpy(sp.members[1].addr, m.dst, 16);
	sp.members[1].port = 0;
	cr_assert_eq(dp_stream_add(r.dp, &sp, &id), -DP_E_ARG);
	cr_assert_eq(id, 99, "no id given");
	cr_assert_eq(sp.params.master_key[0] | sp.params.master_salt[3], 0, "key wiped anyway");
	sp.params = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_PROTECT, 0x77, 3);
	sp.standby = true;
	cr_assert_eq(dp_stream_add(r.dp, &sp, &id), -DP_E_ARG, "standby too");
	cr_assert_eq(dp_stream_count(r.dp), 0);
	cr_assert_eq(dp_start(r.dp), 0);

	/* Plain-side RTP to a port no member has: passes under --unmatched pass. */
	tf_default(&t, false, 7000);
	t.src[15] = 9;
	fl = tf_build(f, &t, pl, tf_rtp(pl, 0x1234, 1, 40, 0));
	rig_send(&r, PLN, 0, f, fl);
	rig_wait_verdicts(&r, 1, 3000);
	cr_assert_eq(rig_recv(&r, SEC, out, 4, 1, 1000), 1);
	dp_counters_total(r.dp, &c);
	cr_assert_eq(c.v[DP_V_PASS], 1);
	cr_assert_eq(c.v[DP_V_DROP_NOCTX], 0);
	rig_down(&r);
}

static void
punt_split_cfg(struct dp_config *c)
{
	c->punt_rate = 5;		/* over 3 workers: 2, 2 and 1 */
	c->punt_ring_size = 4;		/* 3 fit: the rest of a second's punts overflow */
}

static uint16_t punt_port_want;

static void
count_punt(void *arg, const struct dp_punt_info *pi)
{
	/* RX no longer sets m->port: the punt must, and say where the packet came in. */
	cr_assert_eq(pi->in_port, punt_port_want, "a punt's port: %u", pi->in_port);
	(*(unsigned int *)arg)++;
}

/*
 * --punt-rate is the whole appliance's: split over the workers, it adds up to
 * the rate (not less, not more), and a rate below the worker count, which
 * would leave a worker none, is refused. The ring (3 places, polled only at
 * the end) overflows: those are counted, not lost track of.
 */
Test(dataplane_dp_eal, punt_rate_is_split_over_the_workers_exactly)
{
	enum { FLOOD = 300 };
	struct rig r;
	struct tf t;
	struct dp_key_spec ks;
	struct dp_srtp_params forged;
	struct dp_srtp_ctx *fake;
	struct dp_worker_counters c;
	struct dp_config bad;
	struct dp *dp2 = NULL;
	uint8_t pl[256];
	unsigned int i, seen = 0, punted;

	rig_up(&r, 3, punt_split_cfg);
	bad = r.cfg;
	bad.punt_rate = 2;
	cr_assert_eq(dp_new(&dp2, &bad), -DP_E_ARG, "a rate below the worker count");
	cr_assert_null(dp2);
	forged = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_UNPROTECT, 1, 6);
	gcm_key(&ks, &forged, 0);
	cr_assert_eq(dp_key_add(r.dp, &ks), 0);
	tf_default(&t, false, MEDIA_PORT);
	srand(5);
	/* Made first, then sent at once: well inside one second's window on each worker. */
	{
		static uint8_t fr[FLOOD][RIG_FRAME];
		static uint32_t frl[FLOOD];

		for (i = 0; i < FLOOD; i++) {
			struct dp_srtp_params q = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0,
							   DP_SRTP_DIR_PROTECT, (uint32_t)rand(),
							   (uint32_t)rand());

			memcpy(q.mki, forged.mki, 4);
			fake = ctx(&q, DP_SRTP_DIR_PROTECT);
			frl[i] = protected_frame(fr[i], &t, fake, pl, tf_rtp(pl, q.ssrc, 1, 40, 0));
			dp_srtp_ctx_free(fake);
		}
		for (i = 0; i < FLOOD; i++)
			rig_send(&r, SEC, i, fr[i], frl[i]);
	}
	cr_assert_eq(dp_start(r.dp), 0);
	rig_wait_verdicts(&r, FLOOD, 5000);
	punt_port_want = r.port[SEC];
	dp_punt_poll(r.dp, count_punt, &seen, 1024);
	dp_counters_total(r.dp, &c);
	punted = seen + (unsigned int)c.punt_full;
	cr_assert_eq(c.v[DP_V_PUNT], FLOOD);
	cr_assert_eq(punted + c.punt_limited, FLOOD);
	/* One window each: exactly the rate; a window boundary inside the flood: up to twice. */
	cr_assert_geq(punted, 5, "the workers' shares add up to less than the rate: %u", punted);
	cr_assert_leq(punted, 10, "more than the rate: %u", punted);
	cr_assert_eq(seen, 3, "the ring's places");
	cr_assert_eq(c.punt_full, punted - 3, "every punt past the ring's room counted");
	rig_down(&r);
}

/*
 * dp_stream_spec.first: an unprotect stream primed with a packet already
 * received. A packet that does not authenticate under the stream installs
 * nothing; one that does is seen: sent again it is a replay, and the
 * packets after it flow. Only unprotect streams take one.
 */
Test(dataplane_dp_eal, a_stream_primed_with_its_first_packet_refuses_its_replay)
{
	static struct frame out[4];
	struct dp_srtp_params p, other;
	struct dp_srtp_ctx *tx, *tx_other;
	struct dp_stream_spec sp;
	struct dp_stream_info si;
	struct tf t;
	uint8_t pl[256], b[RIG_FRAME], first[RIG_FRAME], f[RIG_FRAME];
	uint32_t len, fl, first_len, pl_len;
	struct rig r;
	uint64_t id;

	rig_up(&r, 1, NULL);
	p = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_UNPROTECT, 0x70000001, 41);
	other = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_UNPROTECT, 0x70000001, 42);
	memcpy(other.mki, p.mki, sizeof(p.mki));	/* same MKI, another key */
	tx = ctx(&p, DP_SRTP_DIR_PROTECT);
	tx_other = ctx(&other, DP_SRTP_DIR_PROTECT);
	tf_default(&t, false, MEDIA_PORT);
	pl_len = tf_rtp(pl, p.ssrc, 1, 60, 0);

	/* Not under this stream's key: refused, nothing installed, the key wiped. */
	memcpy(b, pl, pl_len);
	len = pl_len;
	cr_assert_eq(dp_srtp_process(tx_other, b, &len, sizeof(b)), DP_V_FWD);
	memset(&sp, 0, sizeof(sp));
	sp.params = p;
	sp.port = MEDIA_PORT;
	sp.first = b;
	sp.first_len = len;
	cr_assert_eq(dp_stream_add(r.dp, &sp, &id), -DP_E_AUTH);
	cr_assert_eq(sp.params.master_key[0] | sp.params.master_salt[0], 0);
	cr_assert_eq(dp_stream_count(r.dp), 0);
	/* Not for a protect stream, nor empty. */
	sp.params = p;
	sp.params.dir = DP_SRTP_DIR_PROTECT;
	sp.n_members = 1;
	cr_assert_eq(dp_stream_add(r.dp, &sp, &id), -DP_E_ARG);
	sp.params = p;
	sp.n_members = 0;
	sp.first_len = 0;
	cr_assert_eq(dp_stream_add(r.dp, &sp, &id), -DP_E_ARG);

	/* The real first packet: installed, and the caller's octets left as they were. */
	memcpy(first, pl, pl_len);
	first_len = pl_len;
	cr_assert_eq(dp_srtp_process(tx, first, &first_len, sizeof(first)), DP_V_FWD);
	memcpy(b, first, first_len);
	sp.params = p;
	sp.first = first;
	sp.first_len = first_len;
	cr_assert_eq(dp_stream_add(r.dp, &sp, &id), 0);
	cr_assert_arr_eq(first, b, first_len);
	cr_assert_eq(dp_start(r.dp), 0);

	fl = tf_build(f, &t, first, first_len);
	rig_send(&r, SEC, 0, f, fl);		/* the first packet again: a replay */
	fl = protected_frame(f, &t, tx, pl, tf_rtp(pl, p.ssrc, 2, 60, 0));
	rig_send(&r, SEC, 0, f, fl);		/* the next one flows */
	rig_wait_verdicts(&r, 2, 2000);
	cr_assert_eq(rig_recv(&r, PLN, out, RTE_DIM(out), 1, 2000), 1);
	expect_plain(&out[0], &t, pl, tf_rtp(pl, p.ssrc, 2, 60, 0));
	cr_assert_eq(dp_stream_get(r.dp, id, &si), 0);
	cr_assert_eq(si.v[DP_V_DROP_REPLAY], 1);
	cr_assert_eq(si.v[DP_V_FWD], 1);
	dp_srtp_ctx_free(tx);
	dp_srtp_ctx_free(tx_other);
	rig_down(&r);
}

/* ---- a worker lcore already busy at the start ------------------------------- */

static _Atomic int busy_release;

static int
busy_lcore(void *arg)
{
	(void)arg;
	while (!atomic_load(&busy_release))
		rte_pause();
	return 0;
}

/*
 * dp_start with the second worker's lcore running something else: it
 * refuses (-DP_E_STATE) and returns, the first worker stopped again, instead
 * of waiting for a worker that never ran; once the lcore is free it starts
 * and traffic flows.
 */
Test(dataplane_dp_eal, a_busy_worker_lcore_fails_the_start_and_nothing_hangs, .timeout = 60)
{
	static struct frame out[4];
	struct dp_srtp_params p;
	struct dp_srtp_ctx *ue;
	struct tf t;
	uint8_t pl[256], f[RIG_FRAME];
	unsigned int lcore, second = RTE_MAX_LCORE, n = 0;
	struct rig r;
	uint32_t fl;

	rig_up(&r, 2, NULL);
	RTE_LCORE_FOREACH_WORKER(lcore)
		if (n++ == 1)
			second = lcore;
	cr_assert_neq(second, RTE_MAX_LCORE);
	atomic_store(&busy_release, 0);
	cr_assert_eq(rte_eal_remote_launch(busy_lcore, NULL, second), 0);
	cr_assert_eq(dp_start(r.dp), -DP_E_STATE);
	atomic_store(&busy_release, 1);
	cr_assert_eq(rte_eal_wait_lcore(second), 0);

	p = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_UNPROTECT, 0x71000001, 51);
	install(&r, &p, MEDIA_PORT, NULL);
	ue = ctx(&p, DP_SRTP_DIR_PROTECT);
	cr_assert_eq(dp_start(r.dp), 0);
	tf_default(&t, false, MEDIA_PORT);
	fl = protected_frame(f, &t, ue, pl, tf_rtp(pl, p.ssrc, 1, 40, 0));
	rig_send(&r, SEC, 1, f, fl);
	cr_assert_eq(rig_recv(&r, PLN, out, RTE_DIM(out), 1, 2000), 1);
	expect_plain(&out[0], &t, pl, tf_rtp(pl, p.ssrc, 1, 40, 0));
	dp_srtp_ctx_free(ue);
	rig_down(&r);
}

/* ---- install and remove while traffic flows --------------------------------- */

Test(dataplane_dp_eal, install_remove_under_traffic_loses_nothing_else)
{
	enum { ROUNDS = 40, PER = 6 };
	static struct frame out[ROUNDS * PER * 2 + 64];
	struct dp_srtp_params pa, pb, pc_;
	struct dp_srtp_ctx *ua, *ub;
	struct tf ta, tb, tc;
	uint8_t pl[256], f[RIG_FRAME];
	struct dp_stream_info si;
	struct rig r;
	unsigned int i, j, got, sent = 0;
	uint64_t ida, idb, idc = 0, idc2 = 0;

	rig_up(&r, 2, NULL);
	pa = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_UNPROTECT, 0x50000001, 21);
	pb = mkparams(DP_SRTP_AES_CM_128_HMAC_SHA1_80, 0, DP_SRTP_DIR_PROTECT, 0x50000002, 22);
	tf_default(&ta, false, MEDIA_PORT);
	tf_default(&tb, true, MEMBER_PORT);
	tf_dst(&tb, 7);
	tf_default(&tc, false, MEMBER_PORT);
	ida = install(&r, &pa, MEDIA_PORT, NULL);
	idb = install(&r, &pb, 0, &tb);
	ua = ctx(&pa, DP_SRTP_DIR_PROTECT);
	ub = ctx(&pb, DP_SRTP_DIR_UNPROTECT);
	cr_assert_eq(dp_start(r.dp), 0);
	for (i = 0; i < ROUNDS; i++) {
		for (j = 0; j < PER; j++) {
			uint16_t seq = (uint16_t)(i * PER + j);
			uint32_t fl;

			/* One flow, one queue (as RSS): A on 0, B on 1; one of them is not its owner's. */
			fl = protected_frame(f, &ta, ua, pl, tf_rtp(pl, pa.ssrc, seq, 30, 0));
			rig_send(&r, SEC, 0, f, fl);
			fl = tf_build(f, &tb, pl, tf_rtp(pl, pb.ssrc, seq, 30, 0));
			rig_send(&r, PLN, 1, f, fl);
			sent += 2;
		}
		/* Meanwhile the control thread churns other streams, both directions. */
		if (idc != 0)
			cr_assert_eq(dp_stream_del(r.dp, idc), 0);
		if (idc2 != 0)
			cr_assert_eq(dp_stream_del(r.dp, idc2), 0);
		pc_ = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_UNPROTECT, 0x60000000 + i,
			       100 + i);
		idc = install(&r, &pc_, MEDIA_PORT, NULL);
		pc_ = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_PROTECT, 0x61000000 + i,
			       200 + i);
		tf_dst(&tc, 50 + i % 5);
		idc2 = install(&r, &pc_, 0, &tc);
		dp_reclaim(r.dp);
	}
	rig_wait_verdicts(&r, sent, 5000);
	cr_assert_eq(dp_sync(r.dp, 2000), 0);
	cr_assert_eq(dp_stream_get(r.dp, ida, &si), 0);
	{
		struct dp_worker_counters wt;
		struct dp_port_counters p0;

		dp_counters_total(r.dp, &wt);
		cr_assert_eq(dp_port_counters_read(r.dp, 0, &p0), 0);
		cr_assert_eq(si.v[DP_V_FWD], ROUNDS * PER,
			     "A: fwd %lu auth %lu replay %lu noctx(port) %lu punt(port) %lu pass %lu "
			     "errs %lu hfull %lu", (unsigned long)si.v[DP_V_FWD],
			     (unsigned long)si.v[DP_V_DROP_AUTH], (unsigned long)si.v[DP_V_DROP_REPLAY],
			     (unsigned long)p0.v[DP_V_DROP_NOCTX], (unsigned long)p0.v[DP_V_PUNT],
			     (unsigned long)p0.v[DP_V_PASS], (unsigned long)wt.cmd_errors,
			     (unsigned long)wt.handoff_full);
		cr_assert_gt(wt.handoff_out, 0, "one flow came in on a worker not its owner");
		/* The churn's commands were applied by running workers, and timed apart. */
		cr_assert_gt(wt.cmd_cycles, 0);
		cr_assert_gt(wt.busy_loops, 0);
		cr_assert_leq(wt.busy_loops, wt.loops);
		cr_assert_leq(wt.busy_loops, wt.rx + wt.handoff_in, "a busy loop moved a packet");
	}
	cr_assert_eq(dp_stream_get(r.dp, idb, &si), 0);
	cr_assert_eq(si.v[DP_V_FWD], ROUNDS * PER, "B: %lu", (unsigned long)si.v[DP_V_FWD]);
	got = rig_recv(&r, PLN, out, RTE_DIM(out), ROUNDS * PER, 2000);
	cr_assert_eq(got, ROUNDS * PER);
	for (i = 0; i < got; i++) {
		uint32_t off, l;

		cr_assert_eq(tf_verify(out[i].b, out[i].len, &off, &l), 0);
		cr_assert_eq(l, 42);
	}
	got = rig_recv(&r, SEC, out, RTE_DIM(out), ROUNDS * PER, 2000);
	cr_assert_eq(got, ROUNDS * PER);
	for (i = 0; i < got; i++) {
		uint32_t off, l;

		cr_assert_eq(tf_verify(out[i].b, out[i].len, &off, &l), 0);
		cr_assert_eq(dp_srtp_process(ub, out[i].b + off, &l, RIG_FRAME), DP_V_FWD);
	}
	cr_assert_eq(dp_stream_count(r.dp), 4);
	cr_assert_eq(dp_stream_del(r.dp, idc), 0);
	cr_assert_eq(dp_stream_del(r.dp, idc), -DP_E_NOTFOUND);
	dp_srtp_ctx_free(ua);
	dp_srtp_ctx_free(ub);
	rig_down(&r);
}

/* ---- telemetry: the /mcpx/ commands over the standard socket -------------------- */

static json_t *
tel_query(int fd, const char *cmd)
{
	char buf[65536];
	ssize_t n;

	cr_assert_eq(write(fd, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	n = read(fd, buf, sizeof(buf) - 1);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	return json_loads(buf, 0, NULL);
}

Test(dataplane_dp_eal, telemetry_reports_the_counters)
{
	struct rig r;
	struct tf t;
	struct dp_srtp_params p;
	struct dp_srtp_ctx *ue;
	struct sockaddr_un sa;
	uint8_t pl[128], f[RIG_FRAME];
	char buf[4096], cmd[64];
	json_t *j, *c;
	uint64_t id;
	unsigned int i;
	int fd;

	rig_up(&r, 1, NULL);
	p = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_UNPROTECT, 0x70000001, 8);
	tf_default(&t, false, MEDIA_PORT);
	id = install(&r, &p, MEDIA_PORT, NULL);
	ue = ctx(&p, DP_SRTP_DIR_PROTECT);
	cr_assert_eq(dp_start(r.dp), 0);
	for (i = 0; i < 5; i++)
		rig_send(&r, SEC, 0, f, protected_frame(f, &t, ue, pl, tf_rtp(pl, p.ssrc, i, 20, 0)));
	rig_send(&r, SEC, 0, f, tf_arp(f));
	rig_wait_verdicts(&r, 6, 2000);

	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	cr_assert_geq(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dpdk_telemetry.v2",
		 rte_eal_get_runtime_dir());
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect %s", sa.sun_path);
	cr_assert_gt(read(fd, buf, sizeof(buf)), 0, "the greeting");
	j = tel_query(fd, "/mcpx/counters");
	cr_assert_not_null(j);
	c = json_object_get(j, "/mcpx/counters");
	cr_assert_not_null(c);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(c, "total"), "fwd")), 5);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(c, "port0"), "pass")), 1);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(c, "port0"), "rx")), 6);
	cr_assert_eq(json_integer_value(json_object_get(c, "streams")), 1);
	cr_assert_not_null(json_object_get(json_object_get(c, "total"), "index_held"));
	/* What the port lost before mcpxd saw it (the PMD's imissed + rx_nombuf): nothing here. */
	cr_assert(json_is_integer(json_object_get(json_object_get(c, "port0"), "rx_missed")));
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(c, "port0"), "rx_missed")),
		     0);
	/* Loops that moved packets took time: the worker's busy cycles are counted. */
	cr_assert_gt(json_integer_value(json_object_get(json_object_get(c, "total"), "busy_cycles")),
		     0);
	/* Workers one by one (a reply is at most 16 KiB: 16 workers' dicts would not fit). */
	cr_assert_eq(json_integer_value(json_object_get(c, "workers")), 1);
	cr_assert_null(json_object_get(c, "worker0"));
	json_decref(j);
	j = tel_query(fd, "/mcpx/worker,0");
	c = json_object_get(json_object_get(j, "/mcpx/worker"), "counters");
	cr_assert_eq(json_integer_value(json_object_get(c, "fwd")), 5);
	cr_assert_eq(json_integer_value(json_object_get(c, "rx")), 6);
	cr_assert(json_is_integer(json_object_get(c, "cmd_cycles")));
	json_decref(j);
	for (i = 0; i < 4; i++) {
		static const char *const bad[] = {"/mcpx/worker,1", "/mcpx/worker", "/mcpx/worker,x",
						  "/mcpx/worker,-1"};

		j = tel_query(fd, bad[i]);
		cr_assert_not_null(j, "%s: no reply", bad[i]);
		cr_assert(json_is_null(json_object_get(j, "/mcpx/worker")), "%s", bad[i]);
		json_decref(j);
	}
	j = tel_query(fd, "/mcpx/streams");
	c = json_object_get(j, "/mcpx/streams");
	cr_assert_eq(json_integer_value(json_object_get(c, "count")), 1);
	cr_assert_eq(json_integer_value(json_array_get(json_object_get(c, "ids"), 0)),
		     (json_int_t)id);
	json_decref(j);
	snprintf(cmd, sizeof(cmd), "/mcpx/stream,%lu", (unsigned long)id);
	j = tel_query(fd, cmd);
	c = json_object_get(j, "/mcpx/stream");
	cr_assert_str_eq(json_string_value(json_object_get(c, "dir")), "unprotect");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(c, "verdicts"), "fwd")),
		     5);
	json_decref(j);
	/* Digits only, as /mcpx/worker: no sign (a negative one wraps to |id|), space or base. */
	for (i = 0; i < 9; i++) {
		static const char *const bad[][2] = {{",-", ""}, {",+", ""}, {", ", ""}, {",", " "},
						     {",0x", ""}, {",", "x"}, {"", ""},
						     {",18446744073709551616", ""}, {",", ","}};
		unsigned long arg = i == 0 ? (unsigned long)(0 - id) : (unsigned long)id;

		if (i == 6 || i == 7)
			snprintf(cmd, sizeof(cmd), "/mcpx/stream%s", bad[i][0]);
		else
			snprintf(cmd, sizeof(cmd), "/mcpx/stream%s%lu%s", bad[i][0], arg, bad[i][1]);
		j = tel_query(fd, cmd);
		cr_assert_not_null(j, "%s: no reply", cmd);
		cr_assert(json_is_null(json_object_get(j, "/mcpx/stream")), "%s", cmd);
		json_decref(j);
	}
	close(fd);
	dp_srtp_ctx_free(ue);
	rig_down(&r);
}

/* ---- protect streams' index: published, limited, switched -------------------- */

/* A protect stream to one member at 10.0.0.|n|, with |limit| and |standby| as given. */
static uint64_t
install_protect(struct rig *r, const struct dp_srtp_params *p, const struct tf *member,
		uint64_t limit, bool standby)
{
	struct dp_stream_spec sp;
	uint64_t id = 0;
	int rc;

	memset(&sp, 0, sizeof(sp));
	sp.params = *p;
	sp.n_members = 1;
	memcpy(sp.members[0].addr, member->dst, 16);
	sp.members[0].port = member->dport;
	sp.index_limit = limit;
	sp.standby = standby;
	rc = dp_stream_add(r->dp, &sp, &id);
	cr_assert_eq(rc, 0, "dp_stream_add: %s", dp_strerror(rc));
	return id;
}

/* Send plain packets |from| .. |to| - 1 (RTP SEQ or floor subtype) of |p| to |t| on queue |q|. */
static void
send_plain(struct rig *r, const struct dp_srtp_params *p, const struct tf *t, unsigned int from,
	   unsigned int to, unsigned int q)
{
	uint8_t pl[256], f[RIG_FRAME];
	unsigned int i;

	for (i = from; i < to; i++) {
		uint32_t len = payload(pl, p->proto, p->ssrc, (uint16_t)i, 40);

		rig_send(r, PLN, q == UINT32_MAX ? (unsigned int)rand() % r->nw : q, f,
			 tf_build(f, t, pl, len));
	}
}

/*
 * Take |n| secure-side frames, each must unprotect under |rx| (or, copies to
 * several members, under a fresh context of |p| each); returns the highest SEQ.
 */
static unsigned int
recv_secure_p(struct rig *r, unsigned int n, struct dp_srtp_ctx *rx,
	      const struct dp_srtp_params *p)
{
	static struct frame out[1024];
	unsigned int got, i, hi = 0;

	got = rig_recv(r, SEC, out, RTE_DIM(out), n + 1, 300);
	cr_assert_eq(got, n, "secure side: %u frames, want %u", got, n);
	for (i = 0; i < got; i++) {
		struct dp_srtp_ctx *c = p != NULL ? ctx(p, DP_SRTP_DIR_UNPROTECT) : rx;
		uint32_t off, l;

		cr_assert_eq(tf_verify(out[i].b, out[i].len, &off, &l), 0);
		cr_assert_eq(dp_srtp_process(c, out[i].b + off, &l, RIG_FRAME), DP_V_FWD,
			     "frame %u does not authenticate", i);
		if (p != NULL)
			dp_srtp_ctx_free(c);
		hi = RTE_MAX(hi, (unsigned int)(out[i].b[off + 2] << 8 | out[i].b[off + 3]));
	}
	return hi;
}

static unsigned int
recv_secure(struct rig *r, unsigned int n, struct dp_srtp_ctx *rx)
{
	return recv_secure_p(r, n, rx, NULL);
}

static void
expect_index(struct rig *r, uint64_t id, uint64_t next, uint64_t limit)
{
	uint64_t n = 7, l = 7;
	struct dp_stream_info si;

	cr_assert_eq(dp_stream_index(r->dp, id, &n, &l), 0);
	cr_assert_eq(n, next, "index_next %lu, want %lu", (unsigned long)n, (unsigned long)next);
	cr_assert_eq(l, limit);
	cr_assert_eq(dp_stream_get(r->dp, id, &si), 0);
	cr_assert_eq(si.index_next, next);
	cr_assert_eq(si.index_limit, limit);
}

Test(dataplane_dp_eal, index_next_follows_what_is_sent_and_the_limit_holds_back)
{
	struct dp_srtp_params p, q, u;
	struct dp_srtp_ctx *rx, *rxq;
	struct dp_worker_counters tot;
	struct dp_stream_info si;
	struct tf t, tq;
	uint64_t id, idq, idu, sent = 0, n, l;
	struct rig r;

	rig_up(&r, 1, NULL);
	p = mkparams(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTP, DP_SRTP_DIR_PROTECT,
		     0x51000001, 31);
	q = mkparams(DP_SRTP_AES_CM_128_HMAC_SHA1_80, DP_SRTP_PROTO_RTCP, DP_SRTP_DIR_PROTECT,
		     0x51000002, 32);
	u = mkparams(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTP, DP_SRTP_DIR_UNPROTECT,
		     0x51000003, 33);
	tf_default(&t, false, MEMBER_PORT);
	tf_dst(&t, 51);
	tf_default(&tq, true, MEMBER_PORT + 1);
	tf_dst(&tq, 52);
	id = install_protect(&r, &p, &t, 0, false);
	idq = install_protect(&r, &q, &tq, 0, false);
	idu = install(&r, &u, MEDIA_PORT, NULL);
	rx = ctx(&p, DP_SRTP_DIR_UNPROTECT);
	rxq = ctx(&q, DP_SRTP_DIR_UNPROTECT);
	expect_index(&r, id, 0, 0);
	cr_assert_eq(dp_start(r.dp), 0);

	/* SRTP: 1 + the last ROC || SEQ sent. */
	send_plain(&r, &p, &t, 100, 110, 0);
	rig_wait_verdicts(&r, sent += 10, 2000);
	cr_assert_eq(recv_secure(&r, 10, rx), 109);
	expect_index(&r, id, 110, 0);
	/* SRTCP: libsrtp's first index is 1. */
	send_plain(&r, &q, &tq, 0, 5, 0);
	rig_wait_verdicts(&r, sent += 5, 2000);
	recv_secure(&r, 5, rxq);
	expect_index(&r, idq, 6, 0);

	/* A limit of 115: 110 .. 114 go, 115 .. 119 are held, and counted. */
	cr_assert_eq(dp_stream_index_limit(r.dp, id, 115), 0);
	send_plain(&r, &p, &t, 110, 120, 0);
	rig_wait_verdicts(&r, sent += 10, 2000);
	cr_assert_eq(recv_secure(&r, 5, rx), 114, "nothing at or past the limit went out");
	expect_index(&r, id, 120, 115);		/* held packets used their indices too */
	dp_counters_total(r.dp, &tot);
	cr_assert_eq(tot.index_held, 5);
	cr_assert_eq(dp_stream_get(r.dp, id, &si), 0);
	cr_assert_eq(si.v[DP_V_DROP_POLICY], 5);
	cr_assert_eq(si.v[DP_V_FWD], 15, "held packets are not counted as sent");
	/* Raised: traffic flows again (the held SEQs stay used: the next ones go). */
	cr_assert_eq(dp_stream_index_limit(r.dp, id, 1000), 0);
	send_plain(&r, &p, &t, 120, 125, 0);
	rig_wait_verdicts(&r, sent += 5, 2000);
	cr_assert_eq(recv_secure(&r, 5, rx), 124);
	expect_index(&r, id, 125, 1000);
	/* Back to none. */
	cr_assert_eq(dp_stream_index_limit(r.dp, id, 0), 0);
	send_plain(&r, &p, &t, 125, 126, 0);
	rig_wait_verdicts(&r, sent += 1, 2000);
	recv_secure(&r, 1, rx);
	expect_index(&r, id, 126, 0);

	/* SRTCP: index 6 is held, then 7 goes once raised. */
	cr_assert_eq(dp_stream_index_limit(r.dp, idq, 6), 0);
	send_plain(&r, &q, &tq, 5, 6, 0);
	rig_wait_verdicts(&r, sent += 1, 2000);
	recv_secure(&r, 0, rxq);
	expect_index(&r, idq, 7, 6);
	cr_assert_eq(dp_stream_index_limit(r.dp, idq, 8), 0);
	send_plain(&r, &q, &tq, 6, 9, 0);
	rig_wait_verdicts(&r, sent += 3, 2000);
	recv_secure(&r, 1, rxq);		/* 7; 8 is at the limit again */
	expect_index(&r, idq, 10, 8);	/* 8 and 9 held, used */
	dp_counters_total(r.dp, &tot);
	cr_assert_eq(tot.index_held, 5 + 1 + 2);

	/* Errors: not a protect stream, not a stream. */
	cr_assert_eq(dp_stream_index(r.dp, idu, &n, &l), -DP_E_ARG);
	cr_assert_eq(dp_stream_index_limit(r.dp, idu, 5), -DP_E_ARG);
	cr_assert_eq(dp_stream_index(r.dp, 999, &n, &l), -DP_E_NOTFOUND);
	cr_assert_eq(dp_stream_index_limit(r.dp, 999, 5), -DP_E_NOTFOUND);
	dp_srtp_ctx_free(rx);
	dp_srtp_ctx_free(rxq);
	rig_down(&r);
}

/* A limit given at install, and copies of one packet to several members: all held. */
Test(dataplane_dp_eal, index_limit_from_the_spec_holds_every_copy)
{
	enum { M = 3 };
	struct dp_srtp_params p;
	struct dp_worker_counters tot;
	struct dp_stream_spec sp;
	struct tf t[M];
	uint8_t pl[256], f[RIG_FRAME];
	uint64_t id, sent = 0;
	unsigned int m, s;
	struct rig r;

	rig_up(&r, 1, NULL);
	p = mkparams(DP_SRTP_AEAD_AES_256_GCM, DP_SRTP_PROTO_RTP, DP_SRTP_DIR_PROTECT,
		     0x52000001, 41);
	memset(&sp, 0, sizeof(sp));
	sp.params = p;
	sp.n_members = M;
	sp.index_limit = 3;
	for (m = 0; m < M; m++) {
		tf_default(&t[m], false, MEMBER_PORT);
		tf_dst(&t[m], 60 + m);
		memcpy(sp.members[m].addr, t[m].dst, 16);
		sp.members[m].port = MEMBER_PORT;
	}
	cr_assert_eq(dp_stream_add(r.dp, &sp, &id), 0);
	cr_assert_eq(dp_start(r.dp), 0);
	for (s = 0; s < 5; s++) {
		uint32_t len = tf_rtp(pl, p.ssrc, (uint16_t)s, 40, 0);

		for (m = 0; m < M; m++) {
			rig_send(&r, PLN, 0, f, tf_build(f, &t[m], pl, len));
			sent++;
			if (m == 0)	/* the others from the cache, in later bursts */
				rig_wait_verdicts(&r, sent, 2000);
		}
		rig_wait_verdicts(&r, sent, 2000);
	}
	/* SEQ 0..2 to every member (one ciphertext each); 3 and 4 to none. */
	cr_assert_eq(recv_secure_p(&r, 3 * M, NULL, &p), 2);
	expect_index(&r, id, 5, 3);		/* 3 and 4 were used, held */
	dp_counters_total(r.dp, &tot);
	cr_assert_eq(tot.index_held, 2 * M);
	/* A limit lowered under what the cache holds: its copies are held too. */
	cr_assert_eq(dp_stream_index_limit(r.dp, id, 10), 0);
	{
		uint32_t len = tf_rtp(pl, p.ssrc, 5, 40, 0);

		rig_send(&r, PLN, 0, f, tf_build(f, &t[0], pl, len));
		rig_wait_verdicts(&r, ++sent, 2000);
		cr_assert_eq(dp_stream_index_limit(r.dp, id, 5), 0);
		rig_send(&r, PLN, 0, f, tf_build(f, &t[1], pl, len));
		rig_wait_verdicts(&r, ++sent, 2000);
	}
	cr_assert_eq(recv_secure_p(&r, 1, NULL, &p), 5);
	dp_counters_total(r.dp, &tot);
	cr_assert_eq(tot.index_held, 2 * M + 1);
	cr_assert_eq(tot.copies, 2 * 3);
	rig_down(&r);
}

/*
 * Rekey make-before-break: a standby stream under another key takes the
 * active one's place while packets flow. Every packet goes out under one of
 * the two keys, none is lost, and once the switch is applied all are new.
 */
static void
switch_under_traffic(unsigned int nw)
{
	enum { FIRST = 100, BEFORE = 300, DURING = 300, AFTER = 200 };
	static struct frame out[1024];
	struct dp_srtp_params pa, pb;
	struct dp_srtp_ctx *rxa, *rxb;
	struct dp_stream_info sa, sb;
	struct dp_worker_counters tot;
	unsigned int i, got, q, under_a = 0, under_b = 0, a_max = 0, b_min = UINT32_MAX;
	uint64_t a, b;
	struct tf t;
	struct rig r;

	srand(5 + nw);
	rig_up(&r, nw, NULL);
	pa = mkparams(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTP, DP_SRTP_DIR_PROTECT,
		      0x53000001, 51);
	pb = mkparams(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTP, DP_SRTP_DIR_PROTECT,
		      0x53000001, 52);
	tf_default(&t, false, MEMBER_PORT);
	tf_dst(&t, 70);
	a = install_protect(&r, &pa, &t, 0, false);
	cr_assert_eq(dp_start(r.dp), 0);
	b = install_protect(&r, &pb, &t, 0, true);	/* the same place: allowed as standby */
	cr_assert_eq(dp_stream_get(r.dp, a, &sa), 0);
	cr_assert_eq(dp_stream_get(r.dp, b, &sb), 0);
	cr_assert(!sa.standby && sb.standby);
	cr_assert_eq(sb.owner, sa.owner, "a standby stream takes its place's owner");
	rxa = ctx(&pa, DP_SRTP_DIR_UNPROTECT);
	rxb = ctx(&pb, DP_SRTP_DIR_UNPROTECT);
	/*
	 * One flow, one queue (as RSS): with two workers, the one that does not
	 * own the place, so every packet goes through the owner's handoff ring.
	 */
	q = nw > 1 ? 1 - sa.owner : 0;
	send_plain(&r, &pa, &t, 0, FIRST, q);
	rig_wait_verdicts(&r, FIRST, 5000);
	send_plain(&r, &pa, &t, FIRST, BEFORE, q);
	cr_assert_eq(dp_stream_switch(r.dp, a, b), 0);	/* with packets in flight */
	send_plain(&r, &pa, &t, BEFORE, BEFORE + DURING, q);
	rig_wait_verdicts(&r, BEFORE + DURING, 5000);
	cr_assert_eq(dp_sync(r.dp, 2000), 0);
	send_plain(&r, &pa, &t, BEFORE + DURING, BEFORE + DURING + AFTER, q);
	rig_wait_verdicts(&r, BEFORE + DURING + AFTER, 5000);

	got = rig_recv(&r, SEC, out, RTE_DIM(out), BEFORE + DURING + AFTER + 1, 300);
	cr_assert_eq(got, BEFORE + DURING + AFTER, "none lost: %u", got);
	for (i = 0; i < got; i++) {
		uint32_t off, l, l2;
		uint8_t b2[RIG_FRAME];
		unsigned int seq;

		cr_assert_eq(tf_verify(out[i].b, out[i].len, &off, &l), 0);
		seq = (unsigned int)(out[i].b[off + 2] << 8 | out[i].b[off + 3]);
		memcpy(b2, out[i].b + off, l);	/* a failed unprotect wipes the packet */
		l2 = l;
		if (dp_srtp_process(rxa, out[i].b + off, &l, RIG_FRAME) == DP_V_FWD) {
			under_a++;
			a_max = RTE_MAX(a_max, seq);
			continue;
		}
		cr_assert_eq(dp_srtp_process(rxb, b2, &l2, RIG_FRAME), DP_V_FWD,
			     "SEQ %u under neither key", seq);
		under_b++;
		b_min = RTE_MIN(b_min, seq);
	}
	cr_assert_eq(under_a + under_b, BEFORE + DURING + AFTER);
	cr_assert_leq(a_max, BEFORE + DURING - 1, "after the switch was applied: the new key only");
	cr_assert_geq(under_b, AFTER);
	cr_assert_geq(under_a, FIRST);
	cr_assert_gt(b_min, a_max, "one cut-over point (A up to %u, B from %u; %u, %u)", a_max,
			     b_min, under_a, under_b);
	cr_assert_eq(dp_stream_get(r.dp, a, &sa), 0);
	cr_assert_eq(dp_stream_get(r.dp, b, &sb), 0);
	cr_assert(sa.standby && !sb.standby);
	cr_assert_eq(sa.v[DP_V_FWD], under_a);
	cr_assert_eq(sb.v[DP_V_FWD], under_b);
	cr_assert_eq(sb.index_next, BEFORE + DURING + AFTER);
	dp_counters_total(r.dp, &tot);
	cr_assert_eq(tot.cmd_errors, 0);
	if (nw > 1)
		cr_assert_gt(tot.handoff_out, 0, "packets went through the owner's ring");
	/* The old one goes; the new one carries on. */
	cr_assert_eq(dp_stream_del(r.dp, a), 0);
	cr_assert_eq(dp_sync(r.dp, 2000), 0);
	send_plain(&r, &pa, &t, 900, 910, q);
	rig_wait_verdicts(&r, BEFORE + DURING + AFTER + 10, 5000);
	cr_assert_eq(recv_secure(&r, 10, rxb), 909);
	dp_srtp_ctx_free(rxa);
	dp_srtp_ctx_free(rxb);
	rig_down(&r);
}

Test(dataplane_dp_eal, switch_under_traffic_loses_nothing_one_worker)
{
	switch_under_traffic(1);
}

Test(dataplane_dp_eal, switch_under_traffic_loses_nothing_two_workers)
{
	switch_under_traffic(2);
}

/* Switching back and forth, and a standby stream made before its place was taken. */
Test(dataplane_dp_eal, switch_back_and_forth)
{
	struct dp_srtp_params pa, pb;
	struct dp_srtp_ctx *rxa, *rxb;
	struct dp_stream_info si, sbi;
	uint64_t a, b, sent = 0;
	unsigned int k;
	struct tf t;
	struct rig r;

	rig_up(&r, 2, NULL);
	pa = mkparams(DP_SRTP_AES_CM_128_HMAC_SHA1_80, DP_SRTP_PROTO_RTCP, DP_SRTP_DIR_PROTECT,
		      0x54000001, 61);
	pb = pa;
	pb.master_key[0] ^= 0xff;
	tf_default(&t, true, MEMBER_PORT);
	tf_dst(&t, 80);
	/* Standby first, then the active one (its owner may differ: the switch moves it). */
	b = install_protect(&r, &pb, &t, 0, true);
	cr_assert_eq(dp_stream_get(r.dp, b, &sbi), 0);
	for (k = 0; k < 4; k++) {
		a = install_protect(&r, &pa, &t, 0, false);
		cr_assert_eq(dp_stream_get(r.dp, a, &si), 0);
		if (k == 3 || si.owner != sbi.owner)
			break;	/* want owners that differ, if the hash gives them */
		cr_assert_eq(dp_stream_del(r.dp, a), 0);
	}
	rxa = ctx(&pa, DP_SRTP_DIR_UNPROTECT);
	rxb = ctx(&pb, DP_SRTP_DIR_UNPROTECT);
	cr_assert_eq(dp_start(r.dp), 0);
	for (k = 0; k < 6; k++) {
		struct dp_srtp_ctx *rx = k % 2 ? rxb : rxa;

		send_plain(&r, &pa, &t, 0, 4, UINT32_MAX);
		rig_wait_verdicts(&r, sent += 4, 2000);
		recv_secure(&r, 4, rx);
		cr_assert_eq(k % 2 ? dp_stream_switch(r.dp, b, a) : dp_stream_switch(r.dp, a, b),
			     0, "switch %u", k);
		cr_assert_eq(dp_sync(r.dp, 2000), 0);
	}
	cr_assert_eq(dp_stream_get(r.dp, a, &si), 0);
	cr_assert_eq(si.v[DP_V_FWD], 12);
	cr_assert_eq(si.index_next, 13, "SRTCP indices 1..12 under a");
	cr_assert_eq(dp_stream_del(r.dp, b), 0);	/* standby now */
	cr_assert_eq(dp_stream_del(r.dp, a), 0);
	cr_assert_eq(dp_sync(r.dp, 2000), 0);
	cr_assert_eq(dp_stream_count(r.dp), 0);
	dp_srtp_ctx_free(rxa);
	dp_srtp_ctx_free(rxb);
	rig_down(&r);
}

Test(dataplane_dp_eal, switch_refuses_and_changes_nothing)
{
	struct dp_srtp_params pa, pb, px;
	struct dp_stream_spec sp;
	struct dp_srtp_ctx *rxa;
	struct dp_stream_info si;
	uint64_t a, b, c, x, id;
	struct tf t, t2;
	struct rig r;

	rig_up(&r, 1, NULL);
	pa = mkparams(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTP, DP_SRTP_DIR_PROTECT,
		      0x55000001, 71);
	pb = mkparams(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTP, DP_SRTP_DIR_PROTECT,
		      0x55000001, 72);
	tf_default(&t, false, MEMBER_PORT);
	tf_dst(&t, 90);
	tf_default(&t2, false, MEMBER_PORT);
	tf_dst(&t2, 91);
	a = install_protect(&r, &pa, &t, 0, false);
	rxa = ctx(&pa, DP_SRTP_DIR_UNPROTECT);
	/* The place is taken: only a standby stream may share it. */
	memset(&sp, 0, sizeof(sp));
	sp.params = pb;
	sp.n_members = 1;
	memcpy(sp.members[0].addr, t.dst, 16);
	sp.members[0].port = MEMBER_PORT;
	cr_assert_eq(dp_stream_add(r.dp, &sp, &id), -DP_E_EXISTS);
	/* A standby stream repeating a member is refused as an active one would be. */
	sp.params = pb;
	sp.standby = true;
	sp.n_members = 2;
	sp.members[1] = sp.members[0];
	cr_assert_eq(dp_stream_add(r.dp, &sp, &id), -DP_E_EXISTS);
	/* Standby is for protect streams. */
	sp.params = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_UNPROTECT, 0x55000009, 79);
	sp.n_members = 0;
	cr_assert_eq(dp_stream_add(r.dp, &sp, &id), -DP_E_ARG);
	sp.standby = false;
	sp.index_limit = 9;
	sp.params = mkparams(DP_SRTP_AEAD_AES_128_GCM, 0, DP_SRTP_DIR_UNPROTECT, 0x55000009, 79);
	cr_assert_eq(dp_stream_add(r.dp, &sp, &id), -DP_E_ARG);

	b = install_protect(&r, &pb, &t2, 0, true);		/* other member */
	px = pb;
	px.ssrc++;
	c = install_protect(&r, &px, &t, 0, true);		/* other SSRC */
	px = pb;
	px.proto = DP_SRTP_PROTO_RTCP;
	px.rcc_r = 0;
	x = install_protect(&r, &px, &t, 0, true);		/* other proto */
	cr_assert_eq(dp_start(r.dp), 0);
	cr_assert_eq(dp_stream_switch(r.dp, a, b), -DP_E_ARG, "members differ");
	cr_assert_eq(dp_stream_switch(r.dp, a, c), -DP_E_ARG, "SSRC differs");
	cr_assert_eq(dp_stream_switch(r.dp, a, x), -DP_E_ARG, "proto differs");
	cr_assert_eq(dp_stream_switch(r.dp, a, a), -DP_E_ARG, "itself");
	cr_assert_eq(dp_stream_switch(r.dp, b, a), -DP_E_ARG, "old not active, new not standby");
	cr_assert_eq(dp_stream_switch(r.dp, 999, b), -DP_E_NOTFOUND);
	cr_assert_eq(dp_stream_switch(r.dp, a, 999), -DP_E_NOTFOUND);
	id = install(&r, &sp.params, MEDIA_PORT, NULL);
	cr_assert_eq(dp_stream_switch(r.dp, id, b), -DP_E_ARG, "not a protect stream");
	cr_assert_eq(dp_stream_switch(r.dp, a, id), -DP_E_ARG, "not a protect stream");
	/* Nothing changed: a still holds its place, the others wait. */
	cr_assert_eq(dp_stream_get(r.dp, a, &si), 0);
	cr_assert(!si.standby);
	cr_assert_eq(dp_stream_get(r.dp, b, &si), 0);
	cr_assert(si.standby);
	send_plain(&r, &pa, &t, 0, 3, 0);
	rig_wait_verdicts(&r, 3, 2000);
	recv_secure(&r, 3, rxa);
	cr_assert_eq(dp_stream_count(r.dp), 5);
	/* A standby stream goes like any other. */
	cr_assert_eq(dp_stream_del(r.dp, c), 0);
	cr_assert_eq(dp_stream_get(r.dp, c, &si), -DP_E_NOTFOUND);
	cr_assert_eq(dp_sync(r.dp, 2000), 0);
	dp_srtp_ctx_free(rxa);
	rig_down(&r);
}
