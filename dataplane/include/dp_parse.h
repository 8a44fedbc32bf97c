/* SPDX-License-Identifier: proprietary */
/*
 * Parse and classify one frame, on bytes (no DPDK, no EAL): Ethernet, 802.1Q
 * and QinQ tags, IPv4 (with options), IPv6 (with hop-by-hop, routing and
 * destination-options headers), UDP; then RTP, RTCP or media-plane control
 * (RTCP APP, PT=204) by RFC 5761 §4 and TS 24.380 §8.1: under SRTCP the APP
 * name is ciphertext, so floor control is recognised from the clear header
 * only (V=2, PT=204) and later by the MKI the worker looks up.
 */
#ifndef DP_PARSE_H
#define DP_PARSE_H

#include <stdint.h>

#define DP_PARSE_MAX_VLAN 2

enum dp_class {
	DP_CLASS_OTHER,		/* not IP, or IP but not UDP: ARP, ICMP, TCP (SIP/TCP) ... */
	DP_CLASS_FRAG,		/* an IPv4 fragment or an IPv6 Fragment header */
	DP_CLASS_MALFORMED,	/* IP or UDP headers truncated or inconsistent */
	DP_CLASS_UDP,		/* UDP whose payload is not RTP/RTCP-shaped (SIP, STUN, ...) */
	DP_CLASS_RTP,		/* V=2, at least 12 octets, PT (marker masked) not 64..95 */
	DP_CLASS_RTCP,		/* V=2, at least 8 octets, PT (marker masked) 64..95, not APP */
	DP_CLASS_FLOOR,		/* RTCP APP (PT=204): floor, transmission, media-plane control */
	DP_CLASS_COUNT
};

enum dp_l3 {
	DP_L3_NONE,
	DP_L3_IPV4,
	DP_L3_IPV6,
};

/* What the parser found. Offsets are from the start of the frame. */
struct dp_pkt {
	uint8_t cls;		/* enum dp_class */
	uint8_t l3;		/* enum dp_l3 */
	uint8_t n_vlan;		/* 0, 1 or 2 tags */
	uint16_t l3_off;	/* IP header */
	uint16_t l4_off;	/* UDP header */
	uint16_t pl_off;	/* UDP payload: the RTP/RTCP header */
	uint16_t pl_len;	/* UDP payload octets (from the UDP length) */
	uint16_t sport;		/* UDP ports, host order */
	uint16_t dport;
	uint32_t ssrc;		/* RTP SSRC or RTCP sender SSRC, host order (RTP/RTCP/FLOOR) */
	uint16_t dst_off;	/* IPv6: the final destination's 16 octets (RFC 8200 §8.1: the
				   header's, or a routing header's last hop) */
	uint8_t daddr[16];	/* destination address (IPv6: the final one, above); IPv4 as
				   ::ffff:a.b.c.d, the header's (source-route options are
				   not followed) */
};

/*
 * Parse |len| octets of the Ethernet frame at |frame| into |out| (every field
 * set) and return its class. Never reads beyond |len|. Trailing octets past
 * the IP datagram (Ethernet padding) are ignored.
 */
enum dp_class
dp_parse(const uint8_t *frame, uint32_t len, struct dp_pkt *out);

/* The RTP/RTCP decision on a UDP payload (RFC 5761 §4), without the IP part. */
enum dp_class
dp_classify_payload(const uint8_t *pl, uint32_t len);

/* "other", "frag", ... ; "?" out of range. */
const char *
dp_class_name(unsigned int cls);

#endif /* DP_PARSE_H */
