/* SPDX-License-Identifier: proprietary */
/* mcpx: fast path — parse and classify: no allocation, no syscalls, no logging. */
/*
 * Straight-line bounded reads: every read is checked against the octets left,
 * a failed check classifies the frame and stops. IEEE 802.1Q / 802.1ad tags,
 * RFC 791 (IHL, MF, fragment offset), RFC 8200 §4 (extension headers),
 * RFC 768, RFC 5761 §4 (RTP/RTCP demultiplexing), TS 24.380 §8.1.2.
 */
#include <stdbool.h>
#include <string.h>

#include "dp_parse.h"

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define IPPROTO_UDP_ 17
#define IP6_HOPOPTS 0
#define IP6_ROUTING 43
#define RH_MOBILE 2		/* routing header types: RFC 6275 */
#define RH_SEGMENT 4		/* RFC 8754 */
#define IP6_FRAGMENT 44
#define IP6_DSTOPTS 60
#define UDP_HLEN 8
#define RTP_MIN 12
#define RTCP_MIN 8
#define RTCP_APP 204

static inline uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const char *const class_names[DP_CLASS_COUNT] = {
	[DP_CLASS_OTHER] = "other",
	[DP_CLASS_FRAG] = "frag",
	[DP_CLASS_MALFORMED] = "malformed",
	[DP_CLASS_UDP] = "udp",
	[DP_CLASS_RTP] = "rtp",
	[DP_CLASS_RTCP] = "rtcp",
	[DP_CLASS_FLOOR] = "floor",
};

const char *
dp_class_name(unsigned int cls)
{
	return cls < DP_CLASS_COUNT ? class_names[cls] : "?";
}

enum dp_class
dp_classify_payload(const uint8_t *pl, uint32_t len)
{
	unsigned int pt;

	if (len < RTCP_MIN || (pl[0] >> 6) != 2)
		return DP_CLASS_UDP;
	pt = pl[1] & 0x7f;	/* RFC 5761 §4: the marker bit masked */
	if (pt >= 64 && pt <= 95)
		return pl[1] == RTCP_APP ? DP_CLASS_FLOOR : DP_CLASS_RTCP;
	return len < RTP_MIN ? DP_CLASS_UDP : DP_CLASS_RTP;
}

/*
 * |a| as ::ffff:a.b.c.d, in two 8-octet stores: the stream key is read from
 * here in 8-octet words right after, and a word over several narrower stores
 * (two 0xff octets, the address) cannot be forwarded from them; it waited
 * for them to reach the cache.
 */
static inline void
v4_mapped(uint8_t out[16], const uint8_t *a)
{
	uint64_t hi, lo = 0;
	uint32_t v;

	memcpy(&v, a, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	hi = 0xffffull << 32 | v;
#else
	hi = 0xffff0000ull | (uint64_t)v << 32;
#endif
	memcpy(out, &lo, 8);
	memcpy(out + 8, &hi, 8);
}

/* IPv4: returns the class so far (UDP to go on), and sets l4_off and the datagram end. */
static enum dp_class
parse_ipv4(const uint8_t *f, uint32_t len, struct dp_pkt *o, uint32_t *end)
{
	const uint8_t *ip = f + o->l3_off;
	uint32_t ihl, tot;

	if (len - o->l3_off < 20 || (ip[0] >> 4) != 4)
		return DP_CLASS_MALFORMED;
	ihl = 4u * (ip[0] & 0x0f);
	tot = be16(ip + 2);
	if (ihl < 20 || tot < ihl || tot > len - o->l3_off)
		return DP_CLASS_MALFORMED;
	o->l3 = DP_L3_IPV4;
	v4_mapped(o->daddr, ip + 16);
	*end = o->l3_off + tot;
	if ((be16(ip + 6) & 0x3fff) != 0)	/* MF set or a fragment offset */
		return DP_CLASS_FRAG;
	if (ip[9] != IPPROTO_UDP_)
		return DP_CLASS_OTHER;
	o->l4_off = (uint16_t)(o->l3_off + ihl);
	return DP_CLASS_UDP;
}

/* IPv6 and the extension headers a router may leave in front of UDP. */
static enum dp_class
parse_ipv6(const uint8_t *f, uint32_t len, struct dp_pkt *o, uint32_t *end)
{
	const uint8_t *ip = f + o->l3_off;
	uint32_t off, plen;
	bool lost = false;	/* a routing header whose destination we cannot read */
	uint8_t nh;

	if (len - o->l3_off < 40 || (ip[0] >> 4) != 6)
		return DP_CLASS_MALFORMED;
	plen = be16(ip + 4);
	if (plen > len - o->l3_off - 40)
		return DP_CLASS_MALFORMED;
	o->l3 = DP_L3_IPV6;
	o->dst_off = (uint16_t)(o->l3_off + 24);
	*end = o->l3_off + 40 + plen;
	nh = ip[6];
	off = o->l3_off + 40u;
	for (;;) {
		if (nh == IPPROTO_UDP_)
			break;
		if (nh == IP6_FRAGMENT)
			return DP_CLASS_FRAG;
		if (nh != IP6_HOPOPTS && nh != IP6_ROUTING && nh != IP6_DSTOPTS)
			return DP_CLASS_OTHER;
		if (*end - off < 8 || *end - off < 8u * (f[off + 1] + 1u))
			return DP_CLASS_MALFORMED;
		if (nh == IP6_ROUTING && f[off + 3] != 0) {
			/*
			 * Segments left: the header's address is a hop on the way.
			 * The final destination (the lookup's address, and the UDP
			 * pseudo-header's, RFC 8200 §8.1) is the first address of a
			 * type 2 (RFC 6275) or a segment routing header (type 4,
			 * RFC 8754: Segment List[0]); another type's is not known
			 * here: never guessed, never forwarded.
			 */
			if ((f[off + 2] != RH_MOBILE && f[off + 2] != RH_SEGMENT) || f[off + 1] < 2)
				lost = true;	/* only UDP needs it: the rest, by policy */
			else
				o->dst_off = (uint16_t)(off + 8);
		}
		nh = f[off];
		off += 8u * (f[off + 1] + 1u);
	}
	if (lost)
		return DP_CLASS_MALFORMED;
	memcpy(o->daddr, f + o->dst_off, 16);
	o->l4_off = (uint16_t)off;
	return DP_CLASS_UDP;
}

enum dp_class
dp_parse(const uint8_t *frame, uint32_t len, struct dp_pkt *out)
{
	enum dp_class c;
	uint32_t off = 12, end = 0, ulen;
	uint16_t et;

	memset(out, 0, sizeof(*out));
	if (len < ETH_HLEN || len > UINT16_MAX)
		return DP_CLASS_OTHER;	/* out->cls is 0: OTHER */
	et = be16(frame + off);
	while ((et == ETHERTYPE_VLAN || et == ETHERTYPE_QINQ || et == ETHERTYPE_QINQ_OLD) &&
	       out->n_vlan < DP_PARSE_MAX_VLAN) {
		if (len < off + 6u)
			return (enum dp_class)(out->cls = DP_CLASS_MALFORMED);
		off += 4;
		out->n_vlan++;
		et = be16(frame + off);
	}
	out->l3_off = (uint16_t)(off + 2);
	if (et == ETHERTYPE_IPV4)
		c = parse_ipv4(frame, len, out, &end);
	else if (et == ETHERTYPE_IPV6)
		c = parse_ipv6(frame, len, out, &end);
	else
		c = DP_CLASS_OTHER;
	if (c != DP_CLASS_UDP)
		return (enum dp_class)(out->cls = (uint8_t)c);

	if (end - out->l4_off < UDP_HLEN)
		return (enum dp_class)(out->cls = DP_CLASS_MALFORMED);
	ulen = be16(frame + out->l4_off + 4);
	if (ulen < UDP_HLEN || ulen > end - out->l4_off)
		return (enum dp_class)(out->cls = DP_CLASS_MALFORMED);
	out->sport = be16(frame + out->l4_off);
	out->dport = be16(frame + out->l4_off + 2);
	out->pl_off = (uint16_t)(out->l4_off + UDP_HLEN);
	out->pl_len = (uint16_t)(ulen - UDP_HLEN);
	c = dp_classify_payload(frame + out->pl_off, out->pl_len);
	if (c == DP_CLASS_RTP)
		out->ssrc = be32(frame + out->pl_off + 8);
	else if (c == DP_CLASS_RTCP || c == DP_CLASS_FLOOR)
		out->ssrc = be32(frame + out->pl_off + 4);
	return (enum dp_class)(out->cls = (uint8_t)c);
}
