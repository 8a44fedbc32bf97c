/* SPDX-License-Identifier: proprietary */
/* mcpx: fast path — the worker loop: no allocation, no syscalls, no logging. */
/*
 * One worker: apply the control thread's commands, receive a burst per queue,
 * parse and classify, steer each packet to the worker that owns its stream
 * (an SP/SC ring per worker pair), protect or unprotect the owned ones in one
 * engine call, fix lengths and checksums, send on the other port of the pair.
 * Every packet ends with one verdict of dp_verdict.h, counted per port, per
 * worker and (once it reached a stream) per stream.
 *
 * Nothing here keeps a stream pointer past the burst it was found in: the
 * control thread frees a removed stream once this worker's "applied" count
 * passes the removal command, and commands are applied only between bursts.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "dp_internal.h"

#define NO_COPY 0xffff

/* dp_stream.cache_valid: what the copy cache holds for cache_seq. */
enum { CACHE_NONE, CACHE_CT, CACHE_HELD };
/* job.fill_cache */
enum { FILL_NONE, FILL_STORE, FILL_FROM_CACHE, FILL_HELD };

struct job {
	struct rte_mbuf *m;
	struct dp_stream *s;
	struct dp_pkt p;
	uint16_t pkt;		/* index in the engine burst, or NO_COPY */
	uint16_t copy_of;	/* job whose ciphertext this identical copy reuses */
	uint8_t in_idx;
	uint8_t verdict;	/* or LOOKUP between classify() and lookup() */
	uint8_t fill_cache;
	uint8_t held;		/* protect: its index reached the stream's limit */
	uint16_t mki_off;	/* secure side: the MKI, from the frame's start */
	uint16_t owner;		/* secure side: the owner its MKI and SSRC hash to */
	uint32_t hash;		/* dp_key_hash(&key) */
	struct dp_key key;	/* the stream table key */
};

struct copy_slot {
	uint16_t plain_len;
	uint16_t ct_len;
	uint8_t data[DP_COPY_SLOT - 4];
};

/* ---- commands ---------------------------------------------------------- */

static void
layout_ref(struct dp_worker *w, const struct dp_key_spec *k, int delta)
{
	unsigned int i, free_i = DP_MAX_LAYOUTS;

	for (i = 0; i < w->n_layouts; i++) {
		struct dp_layout *l = &w->layouts[i];

		if (l->refs == 0 && free_i == DP_MAX_LAYOUTS)
			free_i = i;
		if (l->refs != 0 && l->profile == k->profile && l->mki_len == k->mki_len &&
		    l->rcc_r == k->rcc_r) {
			l->refs = (uint32_t)((int64_t)l->refs + delta);
			return;
		}
	}
	if (delta < 0)
		return;
	if (free_i == DP_MAX_LAYOUTS) {
		if (w->n_layouts == DP_MAX_LAYOUTS) {
			w->c.cmd_errors++;	/* dp_key_add bounds the layouts: never */
			return;
		}
		free_i = w->n_layouts++;
	}
	w->layouts[free_i] = (struct dp_layout){.profile = (uint8_t)k->profile,
						.mki_len = k->mki_len, .rcc_r = k->rcc_r,
						.refs = 1};
}

static void
port_ref(uint32_t *ports, uint32_t *any, uint16_t port, int delta)
{
	if (port == 0)
		*any = (uint32_t)((int64_t)*any + delta);
	else
		ports[port] = (uint32_t)((int64_t)ports[port] + delta);
}

static void
stream_keys(struct dp_worker *w, struct dp_stream *s, bool add)
{
	struct dp_key k;
	unsigned int i;

	if (s->dir == DP_SRTP_DIR_UNPROTECT) {
		/* Every worker learns the port; only the owner holds the stream. */
		port_ref(w->sec_ports, &w->sec_any, s->port, add ? 1 : -1);
		if (s->owner != w->id)
			return;
		dp_key_secure(&k, s->proto, s->mki, s->mki_len, s->ssrc);
		if (add ? dp_table_add(&w->tab, &k, s, s->owner, s->id) != 0
			: dp_table_del(&w->tab, &k) != s)
			w->c.cmd_errors++;
		return;
	}
	for (i = 0; i < s->n_members; i++) {
		const struct dp_member *mb = &s->members[i];

		dp_key_plain(&k, s->proto, mb->addr, mb->port, s->ssrc);
		if (add ? dp_table_add(&w->tab, &k, s, s->owner, s->id) != 0
			: dp_table_del(&w->tab, &k) != s)
			w->c.cmd_errors++;
		port_ref(w->plain_ports, &w->plain_any, mb->port, add ? 1 : -1);
	}
}

/*
 * dp_stream_switch: |s| takes the entries its plain keys have now (the active
 * stream's, as of this command), all at once between two bursts: a packet
 * looked up before it goes to the old context, after it to the new one.
 */
static void
stream_switch(struct dp_worker *w, struct dp_stream *s)
{
	struct dp_key k;
	unsigned int i;

	for (i = 0; i < s->n_members; i++) {
		const struct dp_member *mb = &s->members[i];

		dp_key_plain(&k, s->proto, mb->addr, mb->port, s->ssrc);
		if (dp_table_del(&w->tab, &k) == NULL) {
			w->c.cmd_errors++;	/* the control thread checked the place: never */
			port_ref(w->plain_ports, &w->plain_any, mb->port, 1);
		}
		if (dp_table_add(&w->tab, &k, s, s->owner, s->id) != 0)
			w->c.cmd_errors++;
	}
}

static void
key_apply(struct dp_worker *w, struct dp_keyrec *kr, bool add)
{
	struct dp_key k;

	dp_key_keyid(&k, kr->spec.id);
	if (add ? dp_table_add(&w->keys, &k, kr, 0, 0) != 0 : dp_table_del(&w->keys, &k) != kr) {
		w->c.cmd_errors++;
		return;
	}
	layout_ref(w, &kr->spec, add ? 1 : -1);
	port_ref(w->sec_ports, &w->sec_any, kr->spec.port, add ? 1 : -1);
}

void
dp_worker_apply(struct dp_worker *w, uintptr_t cmd)
{
	void *obj = (void *)(cmd & ~(uintptr_t)DP_CMD_OP_MASK);

	switch (cmd & DP_CMD_OP_MASK) {
	case DP_CMD_STREAM_ADD:
		stream_keys(w, obj, true);
		break;
	case DP_CMD_STREAM_DEL:
		stream_keys(w, obj, false);
		break;
	case DP_CMD_KEY_ADD:
		key_apply(w, obj, true);
		break;
	case DP_CMD_KEY_DEL:
		key_apply(w, obj, false);
		break;
	case DP_CMD_STREAM_SWITCH:
		stream_switch(w, obj);
		break;
	default:
		w->c.cmd_errors++;
	}
	w->c.cmds++;
}

unsigned int
dp_worker_drain_cmds(struct dp_worker *w)
{
	void *cmds[64];
	unsigned int n, i, done = 0;

	while ((n = rte_ring_sc_dequeue_burst(w->cmd, cmds, RTE_DIM(cmds), NULL)) != 0) {
		for (i = 0; i < n; i++)
			dp_worker_apply(w, (uintptr_t)cmds[i]);
		atomic_store_explicit(&w->applied, atomic_load_explicit(&w->applied,
			memory_order_relaxed) + n, memory_order_release);
		done += n;
	}
	return done;
}

/* ---- classification and steering ---------------------------------------- */

/* The known key a secure-side packet's MKI names, trying each installed layout. */
static const struct dp_keyrec *
find_key(const struct dp_worker *w, const uint8_t *pl, uint32_t len, unsigned int proto,
	 const uint8_t **mki)
{
	unsigned int i;

	for (i = 0; i < w->n_layouts; i++) {
		const struct dp_layout *l = &w->layouts[i];
		const struct dp_keyrec *kr;
		const struct dp_tent *e;
		struct dp_key k;
		int off;

		if (l->refs == 0)
			continue;
		off = dp_srtp_mki_offset(l->profile, proto, l->mki_len,
					 proto == DP_SRTP_PROTO_RTP ? l->rcc_r : 0, pl, len);
		if (off < 0)
			continue;
		dp_key_keyid(&k, pl + off);
		e = dp_table_lookup(&w->keys, &k);
		if (e == NULL)
			continue;
		kr = e->val;
		if (kr->spec.profile != l->profile || kr->spec.mki_len != l->mki_len ||
		    (proto == DP_SRTP_PROTO_RTP && kr->spec.rcc_r != l->rcc_r))
			continue;
		*mki = pl + off;
		return kr;
	}
	return NULL;
}

static inline enum dp_verdict
policy(enum dp_policy p, enum dp_verdict drop)
{
	return p == DP_POLICY_PASS ? DP_V_PASS : drop;
}

static void
handoff(struct dp_worker *w, unsigned int owner, struct rte_mbuf *m)
{
	struct dp_txbuf *b = &w->ho[owner];

	b->m[b->n++] = m;
	if (b->n == RTE_DIM(b->m)) {
		/* never reached: a burst adds at most DP_BURST; flush_handoff empties it */
		w->c.cmd_errors++;
		b->n--;
		rte_pktmbuf_free(m);
	}
}

/* The slow path: a bounded ring and a per-worker rate; the verdict is PUNT either way. */
static void
punt(struct dp_worker *w, struct rte_mbuf *m)
{
	struct dp *dp = w->dp;
	uint64_t now = rte_rdtsc();

	if (now - w->punt_last_tsc >= dp->tsc_hz) {
		w->punt_last_tsc = now;
		w->punt_count = 0;
	}
	if (w->punt_count >= w->punt_cap) {
		w->c.punt_limited++;
		rte_pktmbuf_free(m);
		return;
	}
	w->punt_count++;
	if (rte_ring_mp_enqueue(dp->punt, m) != 0) {
		w->c.punt_full++;
		rte_pktmbuf_free(m);
	}
}

static inline bool
port_matched(const struct dp_worker *w, unsigned int side, uint16_t dport)
{
	if (side == DP_SIDE_SECURE)
		return w->sec_any != 0 || w->sec_ports[dport] != 0;
	return w->plain_any != 0 || w->plain_ports[dport] != 0;
}

/*
 * A burst is worked in passes so that the cache misses of its packets
 * overlap instead of queueing one behind another: classify() every packet
 * and prefetch the table slot its key hashes to, then lookup() each and
 * prefetch the stream found, then prefetch each stream's context and its
 * keys, then the rest. With many streams each pass finds in cache what the
 * pass before asked for; before, each packet waited for its own misses.
 *
 * classify() returns the verdict when the packet is done here (PASS, a drop),
 * or LOOKUP with j->key and j->hash set (or, secure side, j->owner another
 * worker); lookup() returns FWD with j->s set when the packet needs the
 * engine, PUNT or a drop, or NO_VERDICT when it was handed to its owner.
 */
#define NO_VERDICT 0xff
#define LOOKUP 0xfe

static unsigned int
classify(struct dp_worker *w, struct job *j)
{
	const struct dp_config *cfg = &w->dp->cfg;
	struct rte_mbuf *m = j->m;
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	unsigned int side = j->in_idx & 1, proto;

	switch (dp_parse(f, m->data_len, &j->p)) {
	case DP_CLASS_OTHER:
		return policy(cfg->other, DP_V_DROP_POLICY);
	case DP_CLASS_FRAG:
		return policy(cfg->frag, DP_V_DROP_FRAG);
	case DP_CLASS_MALFORMED:
		return DP_V_DROP_MALFORMED;
	case DP_CLASS_UDP:
		/*
		 * Not RTP/RTCP-shaped, to a port a stream (or key) was installed
		 * with: nothing but SRTP/SRTCP belongs there, so it is not left to
		 * the --unmatched policy (which may pass it to the server). Port 0
		 * ("any") does not count here: it must not turn SIP into junk.
		 */
		if (side == DP_SIDE_SECURE && w->sec_ports[j->p.dport] != 0)
			return DP_V_DROP_MALFORMED;
		return policy(cfg->unmatched, DP_V_DROP_POLICY);
	default:
		break;
	}
	if (!port_matched(w, side, j->p.dport))
		return policy(cfg->unmatched, DP_V_DROP_POLICY);
	proto = j->p.cls == DP_CLASS_RTP ? DP_SRTP_PROTO_RTP : DP_SRTP_PROTO_RTCP;

	if (side == DP_SIDE_SECURE) {
		const struct dp_keyrec *kr;
		const uint8_t *mki;

		kr = find_key(w, f + j->p.pl_off, j->p.pl_len, proto, &mki);
		if (kr == NULL)
			return DP_V_DROP_NOCTX;
		j->owner = (uint16_t)dp_owner_secure(mki, kr->spec.mki_len, j->p.ssrc,
						     w->dp->n_workers);
		j->mki_off = (uint16_t)(mki - f);
		if (j->owner != w->id)
			return LOOKUP;		/* lookup() hands it over */
		dp_key_secure(&j->key, proto, mki, kr->spec.mki_len, j->p.ssrc);
	} else {
		dp_key_plain(&j->key, proto, j->p.daddr, j->p.dport, j->p.ssrc);
	}
	j->hash = dp_key_hash(&j->key);
	dp_table_prefetch(&w->tab, j->hash);
	return LOOKUP;
}

static unsigned int
lookup(struct dp_worker *w, struct job *j, bool from_handoff)
{
	const struct dp_tent *e;
	unsigned int owner;

	if ((j->in_idx & 1) == DP_SIDE_SECURE) {
		owner = j->owner;
		if (owner != w->id)
			goto hand;
		e = dp_table_lookup_hash(&w->tab, &j->key, j->hash);
		if (e == NULL) {
			/* For dp_punt_poll: where the MKI is, and the protocol. */
			j->m->hash.usr = (uint32_t)(j->p.cls == DP_CLASS_RTP ? DP_SRTP_PROTO_RTP
									   : DP_SRTP_PROTO_RTCP) << 16 |
					 j->mki_off;
			j->m->port = w->dp->port_id[j->in_idx];	/* for dp_punt_poll */
			punt(w, j->m);
			return DP_V_PUNT;
		}
	} else {
		e = dp_table_lookup_hash(&w->tab, &j->key, j->hash);
		if (e == NULL)
			return DP_V_DROP_NOCTX;	/* never let plain media out unprotected */
		owner = e->owner;
		if (owner != w->id)
			goto hand;
	}
	j->s = e->val;
	rte_prefetch0(j->s);	/* its two hot lines (dp_internal.h) */
	rte_prefetch0((const char *)j->s + RTE_CACHE_LINE_SIZE);
	return DP_V_FWD;
hand:
	if (from_handoff)
		return DP_V_DROP_NOCTX;	/* its stream moved under it: no ping-pong */
	j->m->port = w->dp->port_id[j->in_idx];	/* the owner's in_idx */
	handoff(w, owner, j->m);
	return NO_VERDICT;
}

/* ---- headers ----------------------------------------------------------- */

/*
 * RFC 1071 one's complement sums. The octets are added as 32-bit words into a
 * 64-bit accumulator (no carry to chase for any IP packet) in host order,
 * which RFC 1071 §2(B) allows as long as the folded result is stored in the
 * same order. Faster than rte_raw_cksum's 16-bit loop, and fix_headers reads
 * the header fields it rewrites before it writes them: summing a header just
 * written stalled on the store buffer.
 */
static inline uint64_t
csum_add(const uint8_t *p, uint32_t len, uint64_t sum)
{
	uint64_t a;
	uint32_t w;
	uint16_t h;

#ifdef __SSE2__
	/*
	 * 16 octets a load, their four words widened into two 64-bit lanes each
	 * side: a 100-octet payload in 4.4 ns where GCC -O3's take on the scalar
	 * loop below needed 7.6 (a loop over lines in cache; -O2: 4.0 both).
	 */
	if (len >= 16) {
		__m128i lo = _mm_setzero_si128(), hi = _mm_setzero_si128();
		const __m128i zero = _mm_setzero_si128();
		uint64_t lanes[2];

		for (; len >= 16; p += 16, len -= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);

			lo = _mm_add_epi64(lo, _mm_unpacklo_epi32(v, zero));
			hi = _mm_add_epi64(hi, _mm_unpackhi_epi32(v, zero));
		}
		_mm_storeu_si128((__m128i *)(void *)lanes, _mm_add_epi64(lo, hi));
		sum += lanes[0] + lanes[1];
	}
#else
	for (; len >= 16; p += 16, len -= 16) {
		uint64_t b;

		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		sum += (a & 0xffffffffu) + (a >> 32) + (b & 0xffffffffu) + (b >> 32);
	}
#endif
	if (len >= 8) {
		memcpy(&a, p, 8);
		sum += (a & 0xffffffffu) + (a >> 32);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		memcpy(&w, p, 4);
		sum += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		sum += h;
		p += 2;
		len -= 2;
	}
	if (len != 0)	/* the odd octet: the first half of a word padded with zero */
		sum += RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN ? *p : (uint32_t)*p << 8;
	return sum;
}

static inline uint16_t
csum_fold(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

/* The UDP checksum field's value for the sum |s| of pseudo-header, header and payload. */
static inline uint16_t
udp_cksum(uint64_t s)
{
	uint16_t c = (uint16_t)~csum_fold(s);

	return c == 0 ? 0xffff : c;	/* RFC 768: 0 means none */
}

/* RFC 791 / 8200 lengths, IPv4 header checksum (updated), UDP length and checksum. */
static void
fix_headers(const struct dp *dp, struct rte_mbuf *m, const struct dp_pkt *p, uint32_t pl_len,
	    unsigned int out_idx)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(f + p->l4_off);
	uint32_t ulen = pl_len + sizeof(*u), l3_len = p->l4_off - p->l3_off;
	uint16_t ulen_be = rte_cpu_to_be_16((uint16_t)ulen);
	bool ofl = dp->tx_cksum_offload[out_idx];
	uint64_t sum;
	uint32_t ports;

	/* m->l2_len and l3_len only for the offload: they sit on the mbuf's second line. */
	if (p->l3 == DP_L3_IPV4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + p->l3_off);
		uint16_t tot_be = rte_cpu_to_be_16((uint16_t)(l3_len + ulen)), hc;
		uint32_t sa, da;

		/*
		 * The header checksum is updated for the new length (RFC 1624
		 * eqn. 3: HC' = ~(~HC + ~m + m')), not summed again, here and on
		 * an offload port alike: a header that arrived corrupted leaves
		 * still failing its checksum, never made to look whole. The
		 * header's other words are not read at all.
		 */
		hc = (uint16_t)~csum_fold((uint16_t)~ip->hdr_checksum +
					  (uint16_t)~ip->total_length + (uint64_t)tot_be);
		if (ofl) {
			m->l2_len = p->l3_off;
			m->l3_len = l3_len;
			u->dgram_len = ulen_be;
			ip->total_length = tot_be;
			ip->hdr_checksum = hc;
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
			u->dgram_cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
			return;
		}
		/* Every field read before any is written. */
		memcpy(&sa, &ip->src_addr, 4);
		memcpy(&da, &ip->dst_addr, 4);
		memcpy(&ports, u, sizeof(ports));
		/* Pseudo-header (RFC 768), the UDP header with a zero checksum, the payload. */
		sum = (uint64_t)sa + da + rte_cpu_to_be_16(IPPROTO_UDP) + ulen_be + ports + ulen_be;
		sum = csum_add(f + p->pl_off, pl_len, sum);
		ip->total_length = tot_be;
		ip->hdr_checksum = hc;
		u->dgram_len = ulen_be;
		u->dgram_cksum = udp_cksum(sum);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(f + p->l3_off);

		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(l3_len - sizeof(*ip6) + ulen));
		if (ofl && l3_len == sizeof(*ip6)) {
			m->l2_len = p->l3_off;
			m->l3_len = l3_len;
			u->dgram_len = ulen_be;
			u->dgram_cksum = 0;
			m->ol_flags |= RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
			u->dgram_cksum = rte_ipv6_phdr_cksum(ip6, m->ol_flags);
			return;
		}
		memcpy(&ports, u, sizeof(ports));
		/*
		 * RFC 8200 §8.1 pseudo-header: the source, the final destination (a
		 * routing header's, while segments are left), upper-layer length,
		 * next header.
		 */
		sum = csum_add((const uint8_t *)ip6 + 8, 16, csum_add(f + p->dst_off, 16, 0));
		sum += ulen_be + rte_cpu_to_be_16(IPPROTO_UDP);	/* ulen < 2^16: high half 0 */
		sum += ports + ulen_be;
		sum = csum_add(f + p->pl_off, pl_len, sum);
		u->dgram_len = ulen_be;
		u->dgram_cksum = udp_cksum(sum);
	}
}

/* ---- copies of one protected stream (docs/deployment.md "Copies") ---------- */

/*
 * A protect RTP packet of a stream sent to several members. An identical copy
 * of a packet already protected (in this burst, or the last one cached) reuses
 * its ciphertext; a different packet under a SEQ already used is refused: one
 * (key, SSRC, index) never carries two ciphertexts. Returns true if the engine
 * must protect it.
 */
static bool
copy_check(struct dp_worker *w, struct job *jobs, unsigned int i, uint8_t *rtp, uint32_t len,
	   uint32_t room)
{
	struct job *j = &jobs[i];
	struct dp_stream *s = j->s;
	uint16_t seq = (uint16_t)(rtp[2] << 8 | rtp[3]);
	struct copy_slot *slot = s->cache;

	if (s->burst_gen == w->burst_gen && s->pend_seq == seq) {
		struct job *first = &jobs[s->pend_idx];
		const uint8_t *fr = rte_pktmbuf_mtod(first->m, const uint8_t *) +
				    first->p.pl_off;

		if (first->p.pl_len == len && memcmp(fr, rtp, len) == 0)
			j->copy_of = s->pend_idx;
		else
			j->verdict = DP_V_DROP_REPLAY;
		return false;
	}
	if (slot != NULL && s->cache_valid != CACHE_NONE && s->cache_seq == seq) {
		if (slot->plain_len == len && memcmp(slot->data, rtp, len) == 0 &&
		    s->cache_valid == CACHE_HELD) {
			j->verdict = DP_V_FWD;
			j->fill_cache = FILL_HELD;	/* a copy of a held packet: held */
		} else if (slot->plain_len == len && memcmp(slot->data, rtp, len) == 0 &&
			   slot->ct_len <= room) {
			memcpy(rtp, slot->data + slot->plain_len, slot->ct_len);
			j->verdict = DP_V_FWD;
			j->fill_cache = FILL_FROM_CACHE;	/* done: new length is ct_len */
		} else {
			j->verdict = DP_V_DROP_REPLAY;
		}
		return false;
	}
	s->burst_gen = w->burst_gen;
	s->pend_seq = seq;
	s->pend_idx = (uint16_t)i;
	if (slot == NULL && rte_mempool_get(w->dp->copy_pool, &s->cache) == 0)
		slot = s->cache;
	if (slot != NULL && 2u * len + s->overhead <= sizeof(slot->data)) {
		memcpy(slot->data, rtp, len);
		slot->plain_len = (uint16_t)len;
		s->cache_valid = CACHE_NONE;
		j->fill_cache = FILL_STORE;
	}
	return true;
}

static void
copy_store(struct dp_stream *s, const uint8_t *ct, uint32_t len, uint16_t seq, uint64_t index)
{
	struct copy_slot *slot = s->cache;

	memcpy(slot->data + slot->plain_len, ct, len);
	slot->ct_len = (uint16_t)len;
	s->cache_seq = seq;
	s->cache_index = index;
	s->cache_valid = CACHE_CT;
}

/* ---- the index limit (docs/deployment.md "Index limits") ------------------- */

/*
 * Whether a protect packet of |s| sent under |index| must be held back: the
 * control side persists index marks ahead of what is sent and sets the limit
 * to the mark, so that after a restart no index is ever used twice. The limit
 * is a plain atomic the control thread stores; no command, no lock.
 */
static inline bool
index_held(struct dp_worker *w, const struct dp_stream *s, uint64_t index)
{
	uint64_t lim = atomic_load_explicit(&s->index_limit, memory_order_relaxed);

	if (likely(lim == 0 || index < lim))
		return false;
	w->c.index_held++;
	return true;
}

/*
 * 1 + the highest index used, sent or held (a held packet used its index in
 * the engine too), for dp_stream_index: the owner is the only writer.
 */
static inline void
index_used(struct dp_stream *s, uint64_t index)
{
	if (index >= atomic_load_explicit(&s->index_next, memory_order_relaxed))
		atomic_store_explicit(&s->index_next, index + 1, memory_order_relaxed);
}

/* A held packet: nothing of it leaves, and its ciphertext is never cached. */
static void
hold(struct job *j, uint8_t *data, uint32_t len)
{
	memset(data, 0, len);
	j->held = 1;
	j->verdict = DP_V_DROP_POLICY;
}

/* ---- the burst --------------------------------------------------------- */

/*
 * A burst's verdicts, counted in runs: the packets of a burst mostly share
 * stream, port and verdict, and three counters incremented a packet chained
 * each packet's stores to the one before through memory. The tally's fields
 * are wider than the job's so that the compiler does not read the job's
 * adjacent in_idx and verdict octets in one load: the verdict octet was just
 * stored, and a wider load cannot be forwarded from a narrower store (it
 * stalled every packet, the profile's hottest instruction).
 */
struct tally {
	struct dp_stream *s;
	uint32_t n;
	uint32_t in_idx;	/* wider than the job's: compared field by field */
	uint32_t verdict;
};

static inline void
tally_flush(struct dp_worker *w, struct tally *t)
{
	if (t->n == 0)
		return;
	w->c.v[t->verdict] += t->n;
	w->pc[t->in_idx].v[t->verdict] += t->n;
	if (t->s != NULL)
		t->s->v[t->verdict] += t->n;
	t->n = 0;
}

static inline void
count(struct dp_worker *w, struct tally *t, const struct job *j)
{
	if (t->s != j->s || t->in_idx != j->in_idx || t->verdict != j->verdict) {
		tally_flush(w, t);
		t->s = j->s;
		t->in_idx = j->in_idx;
		t->verdict = j->verdict;
	}
	t->n++;
}

/*
 * One-segment mbufs only (process lets no other kind in): the octets from
 * |off| to the end of the buffer, and the frame's length set to |len|.
 * rte_pktmbuf_tailroom, _append and _trim would do, but the last two walk to
 * the last segment through m->next, on the mbuf's second line: a line the
 * generator or the NIC's driver wrote last on another core, read for nothing,
 * one packet after another. The room runs to the buffer's end, past any
 * Ethernet padding: the trailer may overwrite it, since the frame ends where
 * its UDP payload ends once finish has set its length.
 */
static inline uint32_t
seg_room(const struct rte_mbuf *m, uint32_t off)
{
	return (uint32_t)m->buf_len - m->data_off - off;
}

static inline void
seg_set_len(struct rte_mbuf *m, uint32_t len)
{
	m->pkt_len = len;
	m->data_len = (uint16_t)len;
}

/* Size the frame to |new_len| octets of RTP/RTCP and fix the headers. */
static unsigned int
finish(struct dp_worker *w, struct job *j, uint32_t new_len)
{
	struct rte_mbuf *m = j->m;

	if (new_len > seg_room(m, j->p.pl_off))
		return DP_V_DROP_NOROOM;
	seg_set_len(m, j->p.pl_off + new_len);
	fix_headers(w->dp, m, &j->p, new_len, j->in_idx ^ 1u);
	return DP_V_FWD;
}

/*
 * One burst: from RX queue of port index |rx_idx|, or handed over by another
 * worker (|rx_idx| < 0; each mbuf's port then says where it came in). RX
 * leaves m->port alone: a store to every mbuf's first line as it arrives from
 * another core, where only a packet that leaves the worker's hands (handoff,
 * punt) needs it.
 */
static void
process(struct dp_worker *w, struct rte_mbuf **mbufs, unsigned int n, int rx_idx)
{
	bool from_handoff = rx_idx < 0;
	struct job jobs[DP_BURST];
	struct dp_srtp_pkt pkts[DP_BURST];
	struct rte_mbuf *drop[DP_BURST];
	struct tally tally = {.n = 0};
	unsigned int i, np = 0, nd = 0;

	w->burst_gen++;
	/*
	 * Where a PMD puts the frame in a buffer of mcpxd's pool (no private
	 * area, the default headroom), asked for before the mbuf's first line
	 * says so: the frame's line and the mbuf's come in together instead of
	 * one after the other. Only a hint: the real address follows.
	 */
	for (i = 0; i < n; i++)
		rte_prefetch0((const char *)mbufs[i] + sizeof(struct rte_mbuf) + RTE_PKTMBUF_HEADROOM);
	for (i = 0; i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(mbufs[i], void *));
	for (i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		struct rte_mbuf *m = mbufs[i];

		j->m = m;
		j->s = NULL;
		j->pkt = NO_COPY;
		j->copy_of = NO_COPY;
		j->fill_cache = FILL_NONE;
		j->held = 0;
		j->in_idx = from_handoff ? w->dp->port_idx_of[m->port] : (uint8_t)rx_idx;
		j->verdict = (uint8_t)classify(w, j);
	}
	for (i = 0; i < n; i++)
		if (jobs[i].verdict == LOOKUP)
			jobs[i].verdict = (uint8_t)lookup(w, &jobs[i], from_handoff);
	for (i = 0; i < n; i++) {
		const struct dp_stream *st = jobs[i].s;

		if (jobs[i].verdict != DP_V_FWD)
			continue;
		dp_srtp_prefetch(st->ctx);
		if (st->cache != NULL) {
			/* copy_check's slot: the plaintext it keeps, the ciphertext after it. */
			const char *c = st->cache, *ct = c + offsetof(struct copy_slot, data) +
							 jobs[i].p.pl_len;

			__builtin_prefetch(c, 1, 3);
			__builtin_prefetch(c + RTE_CACHE_LINE_SIZE, 1, 3);
			__builtin_prefetch(ct, 1, 3);
			__builtin_prefetch(ct + RTE_CACHE_LINE_SIZE, 1, 3);
		}
	}
	for (i = 0; i < n; i++)
		if (jobs[i].verdict == DP_V_FWD)
			dp_srtp_prefetch_keys(jobs[i].s->ctx);
	for (i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		struct rte_mbuf *m = j->m;
		uint8_t *rtp;
		uint32_t room;

		if (j->verdict != DP_V_FWD)
			continue;
		if (m->nb_segs != 1) {
			j->verdict = DP_V_DROP_NOROOM;	/* one contiguous buffer or nothing */
			continue;
		}
		rtp = rte_pktmbuf_mtod_offset(m, uint8_t *, j->p.pl_off);
		/* The trailer goes right after the UDP payload, over any Ethernet padding. */
		room = j->p.pl_len;
		if (j->s->dir == DP_SRTP_DIR_PROTECT)
			room = seg_room(m, j->p.pl_off);
		if (j->s->cache_copies && !copy_check(w, jobs, i, rtp, j->p.pl_len, room))
			continue;
		j->pkt = (uint16_t)np;
		pkts[np].ctx = j->s->ctx;
		pkts[np].data = rtp;
		pkts[np].len = j->p.pl_len;
		pkts[np].room = room;
		np++;
	}
	if (np != 0)
		dp_srtp_burst(pkts, np);

	for (i = 0; i < n; i++) {
		struct job *j = &jobs[i];

		if (j->verdict == NO_VERDICT)
			continue;
		if (j->pkt != NO_COPY) {
			struct dp_srtp_pkt *pk = &pkts[j->pkt];

			j->verdict = pk->verdict;
			if (j->verdict == DP_V_FWD && j->s->dir == DP_SRTP_DIR_PROTECT) {
				index_used(j->s, pk->index);
				if (index_held(w, j->s, pk->index)) {
					if (j->fill_cache == FILL_STORE) {
						/* its later copies: held too, not refused */
						j->s->cache_seq = (uint16_t)(pk->data[2] << 8 |
									     pk->data[3]);
						j->s->cache_valid = CACHE_HELD;
					}
					hold(j, pk->data, pk->len);
					pk->len = 0;
				}
			}
			if (j->verdict == DP_V_FWD) {
				if (j->fill_cache == FILL_STORE)
					copy_store(j->s, pk->data, pk->len,
						   (uint16_t)(pk->data[2] << 8 | pk->data[3]),
						   pk->index);
				j->verdict = (uint8_t)finish(w, j, pk->len);
			}
		} else if (j->copy_of != NO_COPY) {
			const struct job *first = &jobs[j->copy_of];
			const struct dp_srtp_pkt *pk = &pkts[first->pkt];

			j->verdict = pk->verdict;
			if (first->held) {
				w->c.index_held++;
				hold(j, rte_pktmbuf_mtod_offset(j->m, uint8_t *, j->p.pl_off),
				     j->p.pl_len);
			}
			if (j->verdict == DP_V_FWD && pk->len > seg_room(j->m, j->p.pl_off))
				j->verdict = DP_V_DROP_NOROOM;
			if (j->verdict == DP_V_FWD) {
				/* Into the room checked above, then size and checksum. */
				memcpy(rte_pktmbuf_mtod_offset(j->m, uint8_t *, j->p.pl_off),
				       pk->data, pk->len);
				j->verdict = (uint8_t)finish(w, j, pk->len);
				w->c.copies++;
				j->s->copies++;
			}
		} else if (j->fill_cache == FILL_HELD) {
			w->c.index_held++;
			hold(j, rte_pktmbuf_mtod_offset(j->m, uint8_t *, j->p.pl_off),
			     j->p.pl_len);
		} else if (j->fill_cache == FILL_FROM_CACHE) {
			const struct copy_slot *slot = j->s->cache;

			/* The same ciphertext again, but not past a limit lowered since. */
			if (index_held(w, j->s, j->s->cache_index)) {
				hold(j, rte_pktmbuf_mtod_offset(j->m, uint8_t *, j->p.pl_off),
				     slot->ct_len);
			} else {
				j->verdict = (uint8_t)finish(w, j, slot->ct_len);
				w->c.copies++;
				j->s->copies++;
			}
		}
		count(w, &tally, j);
		if (j->verdict == DP_V_FWD || j->verdict == DP_V_PASS) {
			struct dp_txbuf *b = &w->tx[j->in_idx ^ 1u];

			b->m[b->n++] = j->m;
		} else if (j->verdict != DP_V_PUNT) {
			drop[nd++] = j->m;
		}
	}
	tally_flush(w, &tally);
	if (nd != 0)
		rte_pktmbuf_free_bulk(drop, nd);
}

/* ---- the loop ---------------------------------------------------------- */

static void
flush_tx(struct dp_worker *w)
{
	struct dp *dp = w->dp;
	unsigned int p, o;

	for (p = 0; p < dp->n_ports; p++) {
		struct dp_txbuf *b = &w->tx[p];
		uint16_t sent;

		if (b->n == 0)
			continue;
		sent = rte_eth_tx_burst(dp->port_id[p], (uint16_t)w->id, b->m, b->n);
		w->pc[p].tx += sent;
		if (unlikely(sent < b->n)) {
			w->pc[p].tx_full += b->n - sent;
			rte_pktmbuf_free_bulk(b->m + sent, b->n - sent);
		}
		b->n = 0;
	}
	for (o = 0; o < dp->n_workers; o++) {
		struct dp_txbuf *b = &w->ho[o];
		unsigned int sent;

		if (b->n == 0)
			continue;
		sent = rte_ring_sp_enqueue_burst(dp->w[o]->in[w->id], (void **)b->m, b->n, NULL);
		w->c.handoff_out += sent;
		if (unlikely(sent < b->n)) {
			unsigned int k;

			/* The owner is overwhelmed: these packets end here, counted. */
			for (k = sent; k < b->n; k++) {
				unsigned int in_idx = dp->port_idx_of[b->m[k]->port];

				w->c.handoff_full++;
				w->c.v[DP_V_DROP_POLICY]++;
				w->pc[in_idx].v[DP_V_DROP_POLICY]++;
			}
			rte_pktmbuf_free_bulk(b->m + sent, b->n - sent);
		}
		b->n = 0;
	}
}

static unsigned int
poll_handoff(struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_BURST];
	unsigned int i, n, got = 0;

	for (i = 0; i < w->dp->n_workers; i++) {
		if (i == w->id)
			continue;
		n = rte_ring_sc_dequeue_burst(w->in[i], (void **)pkts, DP_BURST, NULL);
		if (n == 0)
			continue;
		w->c.handoff_in += n;
		process(w, pkts, n, -1);
		flush_tx(w);
		got += n;
	}
	return got;
}

static unsigned int
poll_rx(struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_BURST];
	unsigned int q, got = 0;
	uint16_t n;

	for (q = 0; q < w->n_rxq; q++) {
		const struct dp_rxq *r = &w->rxq[q];

		n = rte_eth_rx_burst(r->port_id, r->queue, pkts, DP_BURST);
		if (n == 0)
			continue;
		w->c.rx += n;
		w->pc[r->port_idx].rx += n;
		process(w, pkts, n, r->port_idx);
		flush_tx(w);
		got += n;
	}
	return got;
}

int
dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct dp *dp = w->dp;
	unsigned int got;
	uint64_t t0, t1;

	w->punt_last_tsc = rte_rdtsc();
	t0 = w->punt_last_tsc;
	/* One TSC read a loop: its end is the next loop's start. */
	while (likely(!atomic_load_explicit(&dp->stop_rx, memory_order_relaxed))) {
		if (unlikely(dp_worker_drain_cmds(w) != 0)) {
			t1 = rte_rdtsc();
			w->c.cmd_cycles += t1 - t0;
			t0 = t1;	/* busy_cycles: the packets' share only */
		}
		got = poll_rx(w);
		got += poll_handoff(w);
		w->c.loops++;
		if (got == 0 && dp->cfg.idle_sleep_us != 0)
			rte_delay_us_sleep(dp->cfg.idle_sleep_us);
		t1 = rte_rdtsc();
		if (got != 0) {
			w->c.busy_cycles += t1 - t0;	/* the whole loop, polls included */
			w->c.busy_loops++;
			if (got == DP_BURST) {
				uint64_t c = (t1 - t0) / DP_BURST;	/* a shift */

				if (likely(c < DP_COST_BUCKETS - 1)) {
					w->cost.bursts[c]++;
				} else {
					w->cost.bursts[DP_COST_BUCKETS - 1]++;
					w->cost.over += c;
				}
			}
		}
		t0 = t1;
	}
	/* Drain: once every worker is past its last RX, only handoffs remain. */
	atomic_fetch_add(&dp->quiesced, 1);
	for (;;) {
		dp_worker_drain_cmds(w);
		got = poll_handoff(w);
		if (got == 0 && atomic_load(&dp->quiesced) == dp->n_workers &&
		    poll_handoff(w) == 0)
			break;
	}
	atomic_store(&w->state, 2);
	return 0;
}
