/* SPDX-License-Identifier: proprietary */
/*
 * bench_dataplane: the mcpxd pipeline (parse, steer, look up, protect or
 * unprotect, fix headers, TX) on one worker lcore, fed by a generator on the
 * main lcore through a net_ring port pair (rte_eth_from_rings).
 *
 *   bench_dataplane [--quick] [--json] [--out FILE] [--packets N] [--streams a,b,c]
 *                   [--backend NAME] [--profile NAME] [--payload a,b] [--op OP]
 *                   [--seconds S] [--smoke]
 *
 * --json writes JSON lines to stdout instead of the table; --out FILE writes
 * them to FILE as well as the table to stdout (./mcpx bench). --streams,
 * --payload, --backend (libsrtp, native), --profile (a profile name, or gcm,
 * cm) and --op (protect, unprotect) pick the rows; the default is every
 * combination with 1, 10,000 and 1,000,000 streams (--quick: 1 and 10,000,
 * fewer packets, 2 seconds). A row stops sending after --seconds of traffic (10; the
 * rate is then over what was sent): libsrtp slows down with many contexts.
 * Installing a million contexts takes a while (progress on stderr).
 * --smoke runs a few tiny rows (the test suite's) and fails on a lost packet.
 *
 * Protect: each packet gets its stream's next SEQ (no index is ever reused).
 * Unprotect: a set protected beforehand, off the clock, with each stream's
 * packets in SEQ order and no (SSRC, index) twice. Streams are picked
 * uniformly at random per packet. Both engine backends run side by side
 * (those dp_srtp_backend_available() reports); the io-forward rate of the
 * same ports (rx -> tx, nothing else) is the ceiling, and the generator's
 * own rate says when the generator, not the worker, is the bound. A second
 * forwarder touches each packet's lines as a worker must (the mbuf's first
 * line, every line of the frame and its trailer, read and written): its busy
 * rate is what handing the lines between the two cores costs, the floor
 * under the worker's own figure. Each row also gives a cache line's round
 * trip between those two cores right before its traffic and right after
 * (c2c_ns): on a VM the crossing's cost moves with the host's placement of
 * the vCPUs, and the row's rate with it.
 *
 * Rows of 10,000 streams or more also measure this machine's memory: what a
 * random cache line costs with 32 in flight (as the worker's passes keep
 * them), over a region as large as the row's state, right before the row's
 * traffic. The worker's extra time per packet over the 1-stream row of the
 * same kind, in units of that cost, is the number of random lines a packet
 * costs at that many streams: a figure of the code, where the Mpps of a
 * million-stream row mostly measures the machine's memory (docs/performance.md).
 */
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dp.h"

#define HDR 42			/* Ethernet + IPv4 + UDP */
#define MEDIA_PORT 5004
#define MEMBER_PORT 6000
#define SLOT 320

#define MAX_LIST 8

static bool json;
static bool smoke;			/* --smoke: tiny rows; a lost packet fails the run */
static unsigned int rows_run;
static double max_secs = 10;		/* --seconds: traffic per row at most */
static FILE *out;			/* --out: JSON lines */
static struct rte_mempool *gen_pool;
static struct rte_ring *ring_rx[2], *ring_tx[2];	/* [0] secure, [1] plain */
static struct rte_ring *scratch;			/* the generator alone */
static uint16_t port[2];

static const unsigned int bench_profiles[] = {DP_SRTP_AEAD_AES_128_GCM,
					      DP_SRTP_AES_CM_128_HMAC_SHA1_80};

/* Set-up of many streams takes seconds to minutes: say how far it got, on stderr. */
static void
progress(const char *what, uint64_t done, uint64_t total)
{
	if (total < 100000 || (done % 100000 != 0 && done != total))
		return;
	fprintf(stderr, "\rbench_dataplane: %s %" PRIu64 "/%" PRIu64 "%s", what, done, total,
		done == total ? "\n" : "");
}

static uint64_t
rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Ethernet/IPv4/UDP to 10.(s>>16).(s>>8).s:|dport|, RTP of |plen| payload octets. */
static uint32_t
frame(uint8_t *f, uint32_t s, uint16_t dport, uint16_t seq, const uint8_t *rtp, uint32_t rtp_len)
{
	uint16_t ck;

	memset(f, 0, HDR);
	f[0] = 2;
	f[6] = 2;
	put16(f + 12, 0x0800);
	f[14] = 0x45;
	put16(f + 16, (uint16_t)(20 + 8 + rtp_len));
	f[22] = 64;
	f[23] = 17;
	put32(f + 26, 0x0a000001);
	put32(f + 30, 0x0a000000 | (s & 0xffffff));
	/* The worker updates the header checksum (RFC 1624): a frame must come with one. */
	ck = rte_ipv4_cksum((const struct rte_ipv4_hdr *)(const void *)(f + 14));
	memcpy(f + 24, &ck, 2);
	put16(f + 34, 4000);
	put16(f + 36, dport);
	put16(f + 38, (uint16_t)(8 + rtp_len));
	memcpy(f + HDR, rtp, rtp_len);
	(void)seq;
	return HDR + rtp_len;
}

static uint32_t
rtp(uint8_t *b, uint32_t ssrc, uint16_t seq, uint32_t plen)
{
	b[0] = 0x80;
	b[1] = 96;
	put16(b + 2, seq);
	put32(b + 4, (uint32_t)seq * 160);
	put32(b + 8, ssrc);
	memset(b + 12, 0x5a, plen);
	return 12 + plen;
}

static struct dp_srtp_params
params(unsigned int profile, unsigned int dir, uint32_t s)
{
	const struct dp_srtp_profile_info *pi = dp_srtp_profile_info(profile);
	struct dp_srtp_params p;

	memset(&p, 0, sizeof(p));
	p.profile = profile;
	p.dir = dir;
	memset(p.master_key, 0x11, pi->key_len);
	memset(p.master_salt, 0x22, pi->salt_len);
	put32(p.master_key, s);
	memcpy(p.mki, "\x0d\xf9\xbc\x39", 4);
	put32(p.mki + 4, s);
	p.mki_len = 8;
	p.ssrc = 0x10000000u + s;
	p.rcc_r = pi->aead ? 1 : 0;
	return p;
}

/* ---- the generator ----------------------------------------------------- */

struct gen {
	unsigned int dir, profile, payload;
	uint32_t streams;
	uint64_t packets;
	uint16_t *seq;			/* protect: next SEQ per stream */
	uint8_t *pre;			/* unprotect: |packets| frames of SLOT octets */
	uint16_t *pre_len;
};

/* Fill |m| with packet |i|. */
static void
gen_one(struct gen *g, struct rte_mbuf *m, uint64_t i, uint64_t *rs)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *), b[SLOT];
	uint32_t len, s;

	if (g->dir == DP_SRTP_DIR_UNPROTECT) {
		len = g->pre_len[i];
		memcpy(d, g->pre + (size_t)i * SLOT, len);
	} else {
		s = (uint32_t)(rng(rs) % g->streams);
		len = rtp(b, 0x10000000u + s, g->seq[s]++, g->payload);
		len = frame(d, s, MEMBER_PORT, 0, b, len);
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
}

/*
 * Run |*n| packets through, or as many as max_secs allows (then |*n| becomes
 * the number sent); returns the seconds from the first in to the last out.
 */
static double
gen_run(struct gen *g, unsigned int in_side, uint64_t *np, uint64_t *done_out)
{
	struct rte_mbuf *m[64];
	uint64_t sent = 0, done = 0, rs = 88172645463325252ull, t0, last, hz = rte_get_tsc_hz();
	uint64_t n = *np, cap = (uint64_t)(max_secs * (double)hz);
	unsigned int k, q;

	t0 = last = rte_rdtsc();
	/* Until all came out, or nothing did for half a second (the cores are shared). */
	while (done < n && rte_rdtsc() - last < hz / 2) {
		if (sent < n && rte_rdtsc() - t0 >= cap)
			n = sent;	/* out of time: the row is what was sent */
		if (sent < n && rte_ring_free_count(ring_rx[in_side]) >= 64 &&
		    rte_pktmbuf_alloc_bulk(gen_pool, m, 64) == 0) {
			unsigned int want = (unsigned int)RTE_MIN(64, n - sent), put;

			for (k = 0; k < want; k++)
				gen_one(g, m[k], sent + k, &rs);
			put = rte_ring_enqueue_burst(ring_rx[in_side], (void **)m, want, NULL);
			if (put < 64)
				rte_pktmbuf_free_bulk(m + put, 64 - put);
			sent += put;
		}
		q = rte_ring_dequeue_burst(ring_tx[!in_side], (void **)m, 64, NULL);
		if (q != 0) {
			rte_pktmbuf_free_bulk(m, q);
			done += q;
			last = rte_rdtsc();
		}
	}
	*done_out = done;
	*np = n;
	return (double)(last - t0) / (double)hz;
}

/* The generator alone: build and hand over, with the mbuf loop closed on itself. */
static double
gen_alone(struct gen *g, uint64_t n)
{
	struct rte_mbuf *m[64];
	uint64_t i, rs = 1, t0 = rte_rdtsc();
	unsigned int k;

	for (i = 0; i < n; i += 64) {
		if (rte_pktmbuf_alloc_bulk(gen_pool, m, 64) != 0)
			break;
		for (k = 0; k < 64; k++)
			gen_one(g, m[k], (i + k) % g->packets, &rs);
		rte_ring_enqueue_burst(scratch, (void **)m, 64, NULL);
		k = rte_ring_dequeue_burst(scratch, (void **)m, 64, NULL);
		rte_pktmbuf_free_bulk(m, k);
	}
	return (double)n / ((double)(rte_rdtsc() - t0) / (double)rte_get_tsc_hz()) / 1e6;
}

/* Unprotect input: each stream's packets in SEQ order, streams at random. */
static int
pregen(struct gen *g, unsigned int be)
{
	uint32_t *cnt = calloc(g->streams + 1, sizeof(uint32_t)), *pos, s;
	uint32_t *pick = malloc(g->packets * sizeof(uint32_t));
	uint64_t i, rs = 7;
	uint8_t b[SLOT];
	int rc = 0;

	g->pre = malloc(g->packets * SLOT);
	g->pre_len = malloc(g->packets * sizeof(uint16_t));
	pos = malloc(g->packets * sizeof(uint32_t));
	if (cnt == NULL || pick == NULL || g->pre == NULL || g->pre_len == NULL || pos == NULL)
		return -1;
	for (i = 0; i < g->packets; i++) {
		pick[i] = (uint32_t)(rng(&rs) % g->streams);
		cnt[pick[i] + 1]++;
	}
	for (s = 0; s < g->streams; s++)
		cnt[s + 1] += cnt[s];
	for (i = 0; i < g->packets; i++)
		pos[cnt[pick[i]]++] = (uint32_t)i;	/* stream by stream, in order */
	for (s = g->streams; s > 0; s--)
		cnt[s] = cnt[s - 1];
	cnt[0] = 0;
	for (s = 0; s < g->streams && rc == 0; s++) {
		struct dp_srtp_params p = params(g->profile, DP_SRTP_DIR_PROTECT, s);
		struct dp_srtp_ctx *c;
		uint32_t k;
		uint16_t seq = 0;

		if (cnt[s + 1] == cnt[s])
			continue;
		rc = dp_srtp_ctx_new(&c, be, &p);
		for (k = cnt[s]; rc == 0 && k < cnt[s + 1]; k++) {
			uint32_t len = rtp(b, p.ssrc, seq++, g->payload);

			if (dp_srtp_process(c, b, &len, SLOT - HDR) != DP_V_FWD)
				rc = -1;
			g->pre_len[pos[k]] = (uint16_t)frame(g->pre + (size_t)pos[k] * SLOT, s,
							     MEDIA_PORT, 0, b, len);
		}
		dp_srtp_ctx_free(c);
		sodium_memzero(&p, sizeof(p));
		progress("pregen streams", s + 1, g->streams);
	}
	free(cnt);
	free(pick);
	free(pos);
	return rc;
}

/* ---- one measurement ---------------------------------------------------- */

/* Whatever a run left in the port rings goes, so the next run starts clean. */
static void
rings_drain(void)
{
	struct rte_mbuf *m[64];
	unsigned int i, n;

	for (i = 0; i < 2; i++) {
		while ((n = rte_ring_dequeue_burst(ring_rx[i], (void **)m, 64, NULL)) != 0)
			rte_pktmbuf_free_bulk(m, n);
		while ((n = rte_ring_dequeue_burst(ring_tx[i], (void **)m, 64, NULL)) != 0)
			rte_pktmbuf_free_bulk(m, n);
	}
}

/*
 * The ceilings' forwarder, on the worker's lcore: RX, TX to the other port,
 * nothing else (io-forward); or, with |touch|, each packet's lines touched
 * first as any worker must touch them: the mbuf's first line written (its
 * port), and every line of the frame and of the trailer a protect row adds
 * (TOUCH_TRAILER octets) read and written back, all prefetched for writing a
 * burst ahead. No
 * parsing, lookup or cipher: what this rig charges to hand a packet's lines
 * from the generator's core to the worker's and back, the floor under any
 * worker that reads and changes its packets.
 *
 * It counts the cycles of its polls that moved packets (from before the RX to
 * after the TX) and those packets: both forwarders outrun the generator, so
 * their rates are mostly the generator's; the busy cycles are their own cost.
 */
#define TOUCH_TRAILER 28u	/* the protect rows': GCM tag, 8-octet MKI, RCCm3's ROC */

struct fwd_arg {
	volatile int stop;
	bool touch;
	uint64_t busy_cycles;
	uint64_t busy_pkts;
};

static void
touch_lines(struct rte_mbuf **m, uint16_t n, uint16_t port_id)
{
	uint16_t i;
	uint32_t o;

	for (i = 0; i < n; i++) {
		const char *d = rte_pktmbuf_mtod(m[i], const char *);

		__builtin_prefetch(m[i], 1, 3);
		for (o = 0; o < m[i]->data_len + TOUCH_TRAILER; o += RTE_CACHE_LINE_SIZE)
			__builtin_prefetch(d + o, 1, 3);
	}
	for (i = 0; i < n; i++) {
		volatile uint8_t *d = rte_pktmbuf_mtod(m[i], volatile uint8_t *);

		m[i]->port = port_id;
		for (o = 0; o < m[i]->data_len + TOUCH_TRAILER; o += RTE_CACHE_LINE_SIZE)
			d[o] = d[o];
	}
}

static int
forward(void *arg)
{
	struct fwd_arg *a = arg;
	struct rte_mbuf *m[32];
	uint16_t n, s, p;

	while (!a->stop)
		for (p = 0; p < 2; p++) {
			uint64_t t0 = rte_rdtsc();

			n = rte_eth_rx_burst(port[p], 0, m, 32);
			if (n == 0)
				continue;
			if (a->touch)
				touch_lines(m, n, port[p]);
			s = rte_eth_tx_burst(port[!p], 0, m, n);
			if (s < n)
				rte_pktmbuf_free_bulk(m + s, n - s);
			a->busy_cycles += rte_rdtsc() - t0;
			a->busy_pkts += n;
		}
	return 0;
}

/*
 * The rate of the forwarder (|touch|: touching the lines) on the worker's
 * lcore, and in |busy_mpps| its rate over its busy cycles; the generator's alone.
 */
static double
measure_fwd(bool touch, uint64_t n, double *busy_mpps, double *gen_mpps)
{
	struct gen g = {.dir = DP_SRTP_DIR_PROTECT, .payload = 60, .streams = 1, .packets = n};
	struct fwd_arg fa = {.stop = 0, .touch = touch};
	unsigned int lcore = rte_get_next_lcore(-1, 1, 0);
	uint64_t done;
	double secs;

	*busy_mpps = 0;
	if (rte_eth_dev_start(port[0]) != 0 || rte_eth_dev_start(port[1]) != 0)
		return 0;
	g.seq = calloc(1, sizeof(uint16_t));
	if (g.seq == NULL)
		return 0;
	if (gen_mpps != NULL)
		*gen_mpps = gen_alone(&g, n);
	rte_eal_remote_launch(forward, &fa, lcore);
	secs = gen_run(&g, 1, &n, &done);
	fa.stop = 1;
	rte_eal_wait_lcore(lcore);
	*busy_mpps = fa.busy_cycles != 0 ? (double)fa.busy_pkts /
		((double)fa.busy_cycles / (double)rte_get_tsc_hz()) / 1e6 : 0;
	rte_eth_dev_stop(port[0]);
	rte_eth_dev_stop(port[1]);
	rings_drain();
	free(g.seq);
	return secs > 0 ? (double)done / secs / 1e6 : 0;
}

static int
install(struct dp *dp, struct gen *g)
{
	struct dp_key_spec ks;
	uint32_t s;
	uint64_t id;
	int rc;

	memset(&ks, 0, sizeof(ks));
	memcpy(ks.id, "\x0d\xf9\xbc\x39", 4);
	ks.profile = g->profile;
	ks.mki_len = 8;
	ks.rcc_r = dp_srtp_profile_info(g->profile)->aead ? 1 : 0;
	ks.port = MEDIA_PORT;
	ks.max_streams = g->streams;
	rc = dp_key_add(dp, &ks);
	for (s = 0; s < g->streams && rc == 0; s++) {
		struct dp_stream_spec sp;

		memset(&sp, 0, sizeof(sp));
		sp.params = params(g->profile, g->dir, s);
		sp.port = MEDIA_PORT;
		if (g->dir == DP_SRTP_DIR_PROTECT) {
			sp.n_members = 1;
			sp.members[0].addr[10] = sp.members[0].addr[11] = 0xff;
			put32(sp.members[0].addr + 12, 0x0a000000 | (s & 0xffffff));
			sp.members[0].port = MEMBER_PORT;
		}
		rc = dp_stream_add(dp, &sp, &id);
		sodium_memzero(&sp, sizeof(sp));
		progress("installed streams", s + 1, g->streams);
	}
	return rc;
}

/*
 * Heap octets in use: the main arena's and the mmapped blocks' (glibc 2.33's
 * mallinfo2). Other arenas are not counted: the streams are installed from
 * this, the main, thread.
 */
static size_t
heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* Cycles of the best of three rounds of |n| random reads of |lines| lines at |p|, 32 in flight. */
static uint64_t
random_reads(const char *p, size_t lines, uint64_t n)
{
	uint64_t s = 0x9e3779b97f4a7c15ull, t0, i, best = UINT64_MAX, sum = 0;
	volatile uint64_t sink;
	size_t idx[32];
	unsigned int b, round;

	for (round = 0; round < 3; round++) {
		t0 = rte_rdtsc();
		for (i = 0; i < n; i += 32) {
			for (b = 0; b < 32; b++) {
				idx[b] = (size_t)(rng(&s) % lines) * 64;
				rte_prefetch0(p + idx[b]);
			}
			for (b = 0; b < 32; b++)
				sum += (uint8_t)p[idx[b]];
		}
		best = RTE_MIN(best, rte_rdtsc() - t0);
	}
	sink = sum;
	(void)sink;
	return best;
}

#define LINE_IN_CACHE 256	/* lines: 16 KiB, the loop's own cost */

/*
 * The region line_ns reads: as large as the state, since the cost grows with
 * the size well past any cache (on this VM a random line over 2.5 GiB cost
 * about twice one over 1 GiB, side by side), but no more than half the
 * memory free now, so that a small host does not run out for a measurement.
 */
static size_t
line_region(size_t state)
{
	long avail = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	if (avail > 0 && page > 0)
		state = RTE_MIN(state, (size_t)avail * (size_t)page / 2);
	return state;
}

/*
 * Nanoseconds a random 64-octet line costs, reading |bytes| of fresh memory
 * 32 lines at a time, each prefetched before any is read, over what the same
 * loop costs on 16 KiB in L1 (the index arithmetic); 0 when no more, -1 when
 * it cannot measure (a smaller region, no memory). Best of three rounds of
 * |n| / 3 each: this VM's memory has bad moments. Its own pages (4 KiB: the
 * contexts' heap is not advised for huge pages), faulted in first; freed after.
 */
static double
line_ns(size_t bytes, uint64_t n)
{
	size_t lines = bytes / RTE_CACHE_LINE_SIZE;
	uint64_t far, near;
	char *p;

	n = RTE_ALIGN_CEIL(RTE_MAX(n / 3, (uint64_t)32), 32);
	if (lines < LINE_IN_CACHE || (p = aligned_alloc(RTE_CACHE_LINE_SIZE, lines * 64)) == NULL)
		return -1;
	memset(p, 1, lines * 64);
	near = random_reads(p, LINE_IN_CACHE, n);
	far = random_reads(p, lines, n);
	free(p);
	return (double)(far > near ? far - near : 0) / (double)rte_get_tsc_hz() * 1e9 /
	       (double)n;
}

/*
 * A cache line's round trip between the main lcore and the worker's, in ns:
 * one side writes a count, the other sees it and writes it back. Most of the
 * rig's cost a packet is lines crossing between those two cores (the
 * generator's writes, the worker's reads), and on a VM what a crossing costs
 * depends on where the host runs the two vCPUs at the moment: on this one
 * 98-120 ns most of the time, and about 500 ns for seconds at a time. Median
 * of C2C_ROUNDS rounds of C2C_TRIPS round trips; -1 if the lcore is busy.
 */
#define C2C_ROUNDS 9
#define C2C_TRIPS 2000

struct c2c_line {
	alignas(RTE_CACHE_LINE_SIZE) volatile uint64_t ping;
	alignas(RTE_CACHE_LINE_SIZE) volatile uint64_t pong;
};

static int
c2c_pong(void *arg)
{
	struct c2c_line *l = arg;
	uint64_t v = 0, end = (uint64_t)C2C_ROUNDS * C2C_TRIPS;

	while (v != end) {
		uint64_t t = __atomic_load_n(&l->ping, __ATOMIC_ACQUIRE);

		if (t != v) {
			v = t;
			__atomic_store_n(&l->pong, v, __ATOMIC_RELEASE);
		} else {
			rte_pause();
		}
	}
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
c2c_ns(void)
{
	static struct c2c_line l;
	unsigned int lcore = rte_get_next_lcore(-1, 1, 0), r, i;
	double round_ns[C2C_ROUNDS];
	uint64_t v = 0;

	l.ping = l.pong = 0;
	if (lcore >= RTE_MAX_LCORE || rte_eal_remote_launch(c2c_pong, &l, lcore) != 0)
		return -1;
	for (r = 0; r < C2C_ROUNDS; r++) {
		uint64_t t0 = rte_rdtsc();

		for (i = 0; i < C2C_TRIPS; i++) {
			__atomic_store_n(&l.ping, ++v, __ATOMIC_RELEASE);
			while (__atomic_load_n(&l.pong, __ATOMIC_ACQUIRE) != v)
				rte_pause();
		}
		round_ns[r] = (double)(rte_rdtsc() - t0) * 1e9 / (double)rte_get_tsc_hz() /
			      C2C_TRIPS;
	}
	rte_eal_wait_lcore(lcore);
	qsort(round_ns, C2C_ROUNDS, sizeof(round_ns[0]), cmp_double);
	return round_ns[C2C_ROUNDS / 2];
}

/* One row's figures; line_ns, lines and the burst figures negative where not measured. */
struct result {
	double mpps, core, gen, loss;
	double line_ns;		/* a random line of this machine's memory */
	double c2c_ns[2];	/* c2c_ns right before the row's traffic and right after */
	double lines;		/* the extra time a packet takes over 1 stream, in those */
	double burst_ns[3];	/* ns a packet of the worker's full bursts: p10, p50, p90 */
};

static const double burst_q[3] = {0.10, 0.50, 0.90};

/*
 * The percentiles of the worker's cost a packet over its full bursts
 * (dp_worker_cost_hist), in ns; -1 when it had none.
 */
static void
burst_percentiles(struct dp *dp, double ns[3])
{
	static struct dp_cost_hist h;
	uint64_t total = 0, acc = 0;
	unsigned int b, q = 0;

	ns[0] = ns[1] = ns[2] = -1;
	if (dp_worker_cost_hist(dp, 0, &h) != 0)
		return;
	for (b = 0; b < DP_COST_BUCKETS; b++)
		total += h.bursts[b];
	for (b = 0; b < DP_COST_BUCKETS && q < 3 && total != 0; b++) {
		/* The last bucket: its loops' mean, from their own sum. */
		double cyc = b < DP_COST_BUCKETS - 1 || h.bursts[b] == 0
				     ? (double)b : (double)h.over / (double)h.bursts[b];

		acc += h.bursts[b];
		while (q < 3 && (double)acc >= burst_q[q] * (double)total)
			ns[q++] = cyc * 1e9 / (double)rte_get_tsc_hz();
	}
}

#define LINE_MIN_STREAMS 10000
/* Octets a stream where the allocator cannot say (plain builds report 2.3 to 3.6 KiB). */
#define STATE_GUESS 3072

static double
measure(unsigned int be, struct gen *g, struct result *r)
{
	size_t heap0 = heap_used();
	struct dp_config cfg;
	struct dp *dp = NULL;
	struct dp_worker_counters c;
	uint64_t done, sent = g->packets;
	double secs, mpps = 0;
	int rc;

	dp_config_default(&cfg);
	cfg.n_pairs = 1;
	cfg.pairs[0] = (struct dp_port_pair){.secure = port[0], .plain = port[1]};
	cfg.n_workers = 1;
	cfg.backend = be;
	cfg.max_streams = g->streams + 16;
	cfg.rx_desc = cfg.tx_desc = 1024;
	cfg.no_telemetry = true;
	rc = dp_new(&dp, &cfg);
	if (rc == 0)
		rc = install(dp, g);
	if (rc == 0 && g->streams >= LINE_MIN_STREAMS) {
		size_t state = heap_used() - heap0;

		/* Under ASan mallinfo2 sees nothing: about what a plain build reports. */
		if (heap_used() <= heap0)
			state = (size_t)g->streams * STATE_GUESS;
		if (getenv("BENCH_DEBUG") != NULL)
			fprintf(stderr, "  state %zu octets, %zu a stream\n", state,
				state / g->streams);
		r->line_ns = line_ns(line_region(state), 4000000);
	}
	if (rc == 0)
		r->c2c_ns[0] = c2c_ns();
	if (rc == 0)
		rc = dp_start(dp);
	if (rc != 0) {
		fprintf(stderr, "bench_dataplane: %s\n", dp_strerror(rc));
		dp_free(dp);
		return 0;
	}
	secs = gen_run(g, g->dir == DP_SRTP_DIR_PROTECT ? 1 : 0, &sent, &done);
	dp_stop(dp);
	r->c2c_ns[1] = c2c_ns();
	rings_drain();
	dp_counters_total(dp, &c);
	r->loss = sent ? 1.0 - (double)c.v[DP_V_FWD] / (double)sent : 0;
	if (getenv("BENCH_DEBUG") != NULL) {
		unsigned int v;

		fprintf(stderr, "  rx %" PRIu64 " done %" PRIu64 " secs %.3f loops %" PRIu64
			" busy_loops %" PRIu64 ":", c.rx, done, secs, c.loops, c.busy_loops);
		for (v = 0; v < DP_V_COUNT; v++)
			if (c.v[v])
				fprintf(stderr, " %s %" PRIu64, dp_verdict_name(v), c.v[v]);
		fprintf(stderr, "\n");
	}
	mpps = (double)c.v[DP_V_FWD] / secs / 1e6;
	/* The worker's own rate: packets over the cycles of the loops that had work. */
	r->core = c.busy_cycles ? (double)c.v[DP_V_FWD] /
				  ((double)c.busy_cycles / (double)rte_get_tsc_hz()) / 1e6 : 0;
	burst_percentiles(dp, r->burst_ns);
	dp_free(dp);
	return mpps;
}

/* ---- main -------------------------------------------------------------- */

static void
json_row(FILE *f, const char *backend, const char *profile, unsigned int payload,
	 const char *op, uint32_t streams, const struct result *r)
{
	fprintf(f, "{\"bench\":\"dataplane\",\"backend\":\"%s\",\"profile\":\"%s\","
		"\"payload\":%u,\"op\":\"%s\",\"streams\":%" PRIu32 ",\"workers\":1,"
		"\"mpps\":%.3f,\"worker_busy_mpps\":%.3f,\"generator_mpps\":%.3f,"
		"\"not_fwd\":%.4f",
		backend, profile, payload, op, streams, r->mpps, r->core, r->gen, r->loss);
	if (r->burst_ns[1] >= 0)
		fprintf(f, ",\"burst_ns_p10\":%.1f,\"burst_ns_p50\":%.1f,\"burst_ns_p90\":%.1f",
			r->burst_ns[0], r->burst_ns[1], r->burst_ns[2]);
	if (r->c2c_ns[0] >= 0 && r->c2c_ns[1] >= 0)
		fprintf(f, ",\"c2c_ns_before\":%.1f,\"c2c_ns_after\":%.1f", r->c2c_ns[0],
			r->c2c_ns[1]);
	if (r->line_ns >= 0)
		fprintf(f, ",\"line_ns\":%.1f", r->line_ns);
	if (r->lines >= 0)
		fprintf(f, ",\"extra_lines_per_packet\":%.2f", r->lines);
	fprintf(f, "}\n");
	fflush(f);
}

/* The rig's two ceilings: rate and busy rate of the forwarder, plain and touching. */
struct ceilings {
	double io, io_busy, touch, touch_busy, gen;
};

static void
json_ceiling(FILE *f, const struct ceilings *c)
{
	fprintf(f, "{\"bench\":\"dataplane\",\"op\":\"io_forward\",\"workers\":1,"
		"\"mpps\":%.3f,\"busy_mpps\":%.3f,\"generator_mpps\":%.3f}\n", c->io,
		c->io_busy, c->gen);
	fprintf(f, "{\"bench\":\"dataplane\",\"op\":\"touch_forward\",\"workers\":1,"
		"\"mpps\":%.3f,\"busy_mpps\":%.3f,\"generator_mpps\":%.3f}\n", c->touch,
		c->touch_busy, c->gen);
	fflush(f);
}

static void
print_row(const char *backend, const char *profile, unsigned int payload, const char *op,
	  uint32_t streams, const struct result *r)
{
	if (json) {
		json_row(stdout, backend, profile, payload, op, streams, r);
	} else {
		printf("%-8s %-24s %7u %-9s %9" PRIu32 " %8.3f %9.3f %10.3f %8.4f", backend,
		       profile, payload, op, streams, r->mpps, r->core, r->gen, r->loss);
		if (r->burst_ns[1] >= 0)	/* libsrtp's many-stream rows: 100,000 ns and more */
			printf(" %6.*f %6.*f", r->burst_ns[1] < 1e4 ? 1 : 0, r->burst_ns[1],
			       r->burst_ns[0] < 1e4 ? 1 : 0, r->burst_ns[0]);
		else
			printf(" %6s %6s", "-", "-");
		if (r->c2c_ns[0] >= 0 && r->c2c_ns[1] >= 0)
			printf(" %5.0f/%-5.0f", r->c2c_ns[0], r->c2c_ns[1]);
		else
			printf(" %11s", "-");
		if (r->line_ns >= 0)
			printf(" %7.1f", r->line_ns);
		if (r->lines >= 0)
			printf(" %9.2f", r->lines);
		printf("\n");
	}
	if (out != NULL)
		json_row(out, backend, profile, payload, op, streams, r);
	fflush(stdout);
}

/* The worker's ns a packet at 1 stream, by row kind: the base of the lines column. */
static struct {
	unsigned int be, profile, payload, dir;
	double ns;
} one_stream[64];
static unsigned int n_one_stream;

static double *
one_stream_ns(unsigned int be, unsigned int profile, unsigned int payload, unsigned int dir,
	      bool add)
{
	unsigned int i;

	for (i = 0; i < n_one_stream; i++)
		if (one_stream[i].be == be && one_stream[i].profile == profile &&
		    one_stream[i].payload == payload && one_stream[i].dir == dir)
			return &one_stream[i].ns;
	if (!add || n_one_stream == RTE_DIM(one_stream))
		return NULL;
	one_stream[i].be = be;
	one_stream[i].profile = profile;
	one_stream[i].payload = payload;
	one_stream[i].dir = dir;
	n_one_stream++;
	return &one_stream[i].ns;
}

static int
row(unsigned int be, unsigned int profile, unsigned int payload, uint32_t streams,
    unsigned int dir, uint64_t packets)
{
	struct gen g = {.dir = dir, .profile = profile, .payload = payload, .streams = streams,
			.packets = packets};
	struct result r = {.line_ns = -1, .lines = -1, .burst_ns = {-1, -1, -1},
			   .c2c_ns = {-1, -1}};
	double *base;

	rows_run++;
	if (dir == DP_SRTP_DIR_PROTECT)
		g.seq = calloc(g.streams, sizeof(uint16_t));
	if (dir == DP_SRTP_DIR_UNPROTECT && pregen(&g, be) != 0) {
		fprintf(stderr, "bench_dataplane: pregen failed\n");
		return -1;
	}
	r.gen = gen_alone(&g, RTE_MIN(packets, 200000));
	r.mpps = measure(be, &g, &r);
	base = one_stream_ns(be, profile, payload, dir, streams == 1);
	if (streams == 1 && base != NULL)
		*base = r.core > 0 ? 1e3 / r.core : 0;
	else if (base != NULL && *base > 0 && r.core > 0 && r.line_ns > 0)
		r.lines = RTE_MAX(1e3 / r.core - *base, 0.0) / r.line_ns;
	print_row(dp_srtp_backend_name(be), dp_srtp_profile_info(profile)->name, payload,
		  dir ? "unprotect" : "protect", streams, &r);
	free(g.pre);
	free(g.pre_len);
	free(g.seq);
	if (smoke && (r.mpps <= 0 || r.loss != 0 || r.c2c_ns[0] <= 0 || r.c2c_ns[1] <= 0 ||
		      (streams >= LINE_MIN_STREAMS && r.line_ns < 0))) {
		fprintf(stderr, "bench_dataplane: smoke: a %s row of %" PRIu32 " streams %s\n",
			dir ? "unprotect" : "protect", streams,
			r.mpps <= 0 ? "forwarded nothing" : r.loss != 0 ? "lost packets"
			: r.c2c_ns[0] <= 0 || r.c2c_ns[1] <= 0 ? "has no round-trip measurement"
							       : "has no line measurement");
		return -1;
	}
	return 0;
}

/* "a,b,c" into |v| (at most MAX_LIST numbers, each 1..|max|); returns how many, 0 if bad. */
static unsigned int
parse_list(const char *arg, uint32_t *v, uint32_t max)
{
	unsigned int n = 0;
	char *end;

	for (;;) {
		unsigned long long x = strtoull(arg, &end, 10);

		if (end == arg || x == 0 || x > max || n == MAX_LIST)
			return 0;
		v[n++] = (uint32_t)x;
		if (*end == '\0')
			return n;
		if (*end != ',')
			return 0;
		arg = end + 1;
	}
}

/* The bench profiles |arg| names, as bits: a profile name, or "gcm" or "cm" for a family. */
static unsigned int
pick_profile(const char *arg)
{
	unsigned int i, bits = 0;

	for (i = 0; i < RTE_DIM(bench_profiles); i++) {
		const char *name = dp_srtp_profile_info(bench_profiles[i])->name;

		if (strcmp(arg, name) == 0 || (strcmp(arg, "gcm") == 0 && strstr(name, "GCM")) ||
		    (strcmp(arg, "cm") == 0 && strstr(name, "_CM_")))
			bits |= 1u << i;
	}
	return bits;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_dataplane [--quick] [--json] [--out FILE] [--packets N]\n"
		"                       [--streams a,b,c] [--payload a,b] [--backend libsrtp|native]\n"
		"                       [--profile NAME|gcm|cm] [--op protect|unprotect] [--seconds S]\n"
		"                       [--smoke]\n");
}

int
main(int argc, char **argv)
{
	uint32_t streams[MAX_LIST] = {1, 10000, 1000000}, pays[MAX_LIST] = {60, 160};
	unsigned int n_streams = 3, n_pays = 2, be, pi, pa, si, dir, n;
	unsigned int be_bits = ~0u, prof_bits = ~0u, dir_bits = 3;
	uint64_t packets = 2000000;
	bool quick = false, streams_set = false, packets_set = false, secs_set = false;
	struct ceilings ceil = {0};
	char *eal[] = {argv[0], (char *)(uintptr_t)"--no-huge", (char *)(uintptr_t)"--no-shconf",
		       (char *)(uintptr_t)"-m", (char *)(uintptr_t)"1024",
		       (char *)(uintptr_t)"--no-pci", (char *)(uintptr_t)"-l",
		       (char *)(uintptr_t)"0-1", (char *)(uintptr_t)"--file-prefix=benchdp",
		       (char *)(uintptr_t)"--log-level=lib.eal:error", NULL};
	static const struct option lo[] = {{"quick", no_argument, NULL, 'q'},
					   {"json", no_argument, NULL, 'j'},
					   {"out", required_argument, NULL, 'o'},
					   {"packets", required_argument, NULL, 'n'},
					   {"streams", required_argument, NULL, 's'},
					   {"payload", required_argument, NULL, 'l'},
					   {"backend", required_argument, NULL, 'b'},
					   {"profile", required_argument, NULL, 'p'},
					   {"op", required_argument, NULL, 'd'},
					   {"seconds", required_argument, NULL, 't'},
					   {"smoke", no_argument, NULL, 'S'},
					   {NULL, 0, NULL, 0}};
	const char *out_path = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'q':
			quick = true;
			break;
		case 'S':
			smoke = true;
			break;
		case 'j':
			json = true;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'n':
			packets = strtoull(optarg, NULL, 0);
			packets_set = true;
			if (packets == 0) {
				usage();
				return 2;
			}
			break;
		case 's':
			n_streams = parse_list(optarg, streams, 16000000);
			streams_set = true;
			if (n_streams == 0) {
				usage();
				return 2;
			}
			break;
		case 'l':
			n_pays = parse_list(optarg, pays, SLOT - HDR - 12 - 32);
			if (n_pays == 0) {
				usage();
				return 2;
			}
			break;
		case 'b':
			for (be = 0, be_bits = 0; be < DP_SRTP_BACKEND_COUNT; be++)
				if (strcmp(optarg, dp_srtp_backend_name(be)) == 0)
					be_bits |= 1u << be;
			if (be_bits == 0) {
				usage();
				return 2;
			}
			break;
		case 'p':
			prof_bits = pick_profile(optarg);
			if (prof_bits == 0) {
				usage();
				return 2;
			}
			break;
		case 't':
			max_secs = strtod(optarg, NULL);
			secs_set = true;
			if (!(max_secs > 0)) {
				usage();
				return 2;
			}
			break;
		case 'd':
			dir_bits = strcmp(optarg, "protect") == 0     ? 1u << DP_SRTP_DIR_PROTECT
				   : strcmp(optarg, "unprotect") == 0 ? 1u << DP_SRTP_DIR_UNPROTECT
								      : 0;
			if (dir_bits == 0) {
				usage();
				return 2;
			}
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind != argc) {
		usage();
		return 2;
	}
	if (smoke) {
		/* Every kind of row once, tiny: 1 and 10,000 streams, GCM, 60 octets, native. */
		if (!streams_set)
			n_streams = 2;
		n_pays = 1;
		prof_bits = 1u << 0;
		be_bits = 1u << DP_SRTP_BACKEND_NATIVE;
		if (!packets_set)
			packets = 40000;
		if (!secs_set)
			max_secs = 5;
	}
	if (quick) {
		if (!streams_set)
			n_streams = 2;	/* 1 and 10,000 */
		if (!packets_set)
			packets = 300000;
		if (!secs_set)
			max_secs = 2;
	}
	if (out_path != NULL && (out = fopen(out_path, "w")) == NULL) {
		perror(out_path);
		return 1;
	}
	if (sodium_init() < 0 || rte_eal_init(10, eal) < 0 || dp_srtp_global_init() != 0) {
		fprintf(stderr, "bench_dataplane: EAL or engine failed to start\n");
		return 1;
	}
	scratch = rte_ring_create("scratch", 128, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	gen_pool = rte_pktmbuf_pool_create("gen", 32767, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	for (n = 0; n < 2; n++) {
		char name[32];

		snprintf(name, sizeof(name), "brx%u", n);
		ring_rx[n] = rte_ring_create(name, 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "btx%u", n);
		ring_tx[n] = rte_ring_create(name, 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "bport%u", n);
		port[n] = (uint16_t)rte_eth_from_rings(name, &ring_rx[n], 1, &ring_tx[n], 1, 0);
	}
	{
		struct rte_eth_conf conf;
		unsigned int p;

		memset(&conf, 0, sizeof(conf));
		for (p = 0; p < 2; p++) {
			rte_eth_dev_configure(port[p], 1, 1, &conf);
			rte_eth_rx_queue_setup(port[p], 0, 1024, 0, NULL, gen_pool);
			rte_eth_tx_queue_setup(port[p], 0, 1024, 0, NULL);
		}
	}
	ceil.io = measure_fwd(false, packets, &ceil.io_busy, &ceil.gen);
	ceil.touch = measure_fwd(true, packets, &ceil.touch_busy, NULL);
	if (smoke && !(ceil.io > 0 && ceil.io_busy > 0 && ceil.touch > 0 && ceil.touch_busy > 0)) {
		fprintf(stderr, "bench_dataplane: smoke: a ceiling forwarded nothing\n");
		return 1;
	}
	if (!json) {
		printf("bench_dataplane: 1 worker lcore (core 1), generator on the main lcore "
		       "(core 0); net_ring ports; %" PRIu64 " packets per row\n", packets);
		printf("io-forward ceiling (rx->tx, same ports): %.3f Mpps (busy %.3f); touching "
		       "each packet's lines: %.3f Mpps (busy %.3f: %.1f ns a packet); generator "
		       "alone: %.3f Mpps\n\n", ceil.io, ceil.io_busy, ceil.touch, ceil.touch_busy,
		       ceil.touch_busy > 0 ? 1e3 / ceil.touch_busy : 0.0, ceil.gen);
		printf("Mpps: forwarded over the row's time; busy Mpps: forwarded over the worker's "
		       "busy cycles (loops that moved a packet), what its core does when it is fed\n"
		       "line ns (%u streams and up): a random cache line of this machine's memory, "
		       "32 in flight, over a region the size of the row's state; lines: the "
		       "worker's extra ns a packet over its 1-stream row, in those\n"
		       "p50, p10: ns a packet of the worker's full bursts (%u packets in one loop), "
		       "median and 10th percentile: its own cost, apart from the moments its core "
		       "was taken from it\n"
		       "c2c ns: a cache line's round trip between the generator's core and the "
		       "worker's, right before the row and right after: what the rig's crossings "
		       "cost at the time (a VM's host moves its vCPUs)\n\n",
		       LINE_MIN_STREAMS, DP_BURST);
		printf("%-8s %-24s %7s %-9s %9s %8s %9s %10s %8s %6s %6s %11s %7s %9s\n",
		       "backend", "profile", "payload", "op", "streams", "Mpps", "busy Mpps",
		       "gen Mpps", "not_fwd", "p50", "p10", "c2c ns", "line ns", "lines");
	}
	if (json)
		json_ceiling(stdout, &ceil);
	if (out != NULL)
		json_ceiling(out, &ceil);
	fflush(stdout);
	for (pi = 0; pi < RTE_DIM(bench_profiles); pi++)
		for (pa = 0; pa < n_pays; pa++)
			for (si = 0; si < n_streams; si++)
				for (dir = 0; dir < 2; dir++)
					for (be = 0; be < DP_SRTP_BACKEND_COUNT; be++)
						if ((prof_bits >> pi & 1) && (dir_bits >> dir & 1) &&
						    (be_bits >> be & 1) &&
						    dp_srtp_backend_available(be) &&
						    row(be, bench_profiles[pi], pays[pa],
							streams[si], dir, packets) != 0)
							return 1;
	if (smoke && rows_run == 0) {
		fprintf(stderr, "bench_dataplane: smoke: no row ran (native backend unavailable?)\n");
		return 1;
	}
	dp_srtp_global_fini();
	rte_eal_cleanup();
	if (out != NULL && fclose(out) != 0) {
		perror(out_path);
		return 1;
	}
	return 0;
}
