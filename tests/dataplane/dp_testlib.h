/* SPDX-License-Identifier: proprietary */
/*
 * Frames for the dataplane suites, built and checked with our own checksum
 * code (not DPDK's), so a checksum the dataplane gets wrong cannot pass.
 */
#ifndef DP_TESTLIB_H
#define DP_TESTLIB_H

#include <stdbool.h>
#include <stdint.h>

struct tf {
	bool ipv6;
	unsigned int n_vlan;		/* 0, 1 (802.1Q) or 2 (QinQ: 88a8 then 8100) */
	unsigned int ip_opt_words;	/* IPv4 options (NOPs), 32-bit words */
	bool v6_ext;			/* an IPv6 destination-options header before UDP */
	bool v6_srh;			/* a segment routing header (RFC 8754) on the way to dst:
					   the IPv6 header names a hop (fd00::99), dst is its
					   Segment List[0], one segment left; not with v6_ext
					   or frag */
	uint8_t src[16], dst[16];	/* IPv4 as ::ffff:a.b.c.d */
	uint16_t sport, dport;
	uint8_t l4proto;		/* 17 unless testing something else */
	uint16_t frag;			/* IPv4 flags+offset field; IPv6: add a Fragment header if set */
};

/* Big-endian 16-bit fields, and the RFC 1071 checksum of |len| octets (the value a
 * checksum field takes when it was 0 in them). */
uint16_t
tf_get16(const uint8_t *p);
void
tf_put16(uint8_t *p, uint16_t v);
uint16_t
tf_cksum(const uint8_t *p, uint32_t len);

/* 10.0.0.1:4000 -> 10.0.0.2:|dport| (or fd00::1 -> fd00::2), UDP. */
void
tf_default(struct tf *t, bool ipv6, uint16_t dport);

/* Set the destination to 10.0.0.|n| (or fd00::|n|). */
void
tf_dst(struct tf *t, unsigned int n);

/* Build the frame; returns its length. Checksums valid. */
uint32_t
tf_build(uint8_t *buf, const struct tf *t, const uint8_t *pl, uint32_t pl_len);

/* An ARP request frame; returns its length. */
uint32_t
tf_arp(uint8_t *buf);

/*
 * Check a frame the dataplane sent: IP version, lengths, IPv4 header
 * checksum, UDP length and checksum. Returns 0 and the UDP payload's place,
 * or a negative number saying which check failed.
 */
int
tf_verify(const uint8_t *f, uint32_t len, uint32_t *pl_off, uint32_t *pl_len);

/*
 * What a NIC's UDP checksum offload does to a frame sent with it (DPDK's
 * contract): the UDP checksum after |l2_len| + |l3_len| octets of headers,
 * whose field holds the pseudo-header's sum.
 */
void
tf_nic_udp_cksum(uint8_t *f, uint32_t len, uint32_t l2_len, uint32_t l3_len);

/* An RTP packet: 12-octet header, |plen| octets of payload patterned from |seq| and |tag|. */
uint32_t
tf_rtp(uint8_t *buf, uint32_t ssrc, uint16_t seq, uint32_t plen, uint8_t tag);

/* An RTCP APP (PT=204) "MCPT" floor message of |words| words after the name. */
uint32_t
tf_floor(uint8_t *buf, uint32_t ssrc, unsigned int subtype, unsigned int words);

#endif
