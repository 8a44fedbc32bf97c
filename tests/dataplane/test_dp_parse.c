/* SPDX-License-Identifier: proprietary */
/*
 * dp_parse on bytes, no EAL: every encapsulation the workers meet, RFC 5761
 * demultiplexing, floor control from the clear header only, fragments,
 * non-UDP, and every truncation of every frame (never a read past the end:
 * ASan watches the heap copy).
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "dp_parse.h"
#include "dp_testlib.h"

TestSuite(dataplane_dp_parse);

#define SSRC 0xa1b2c3d4u

static enum dp_class
parse_exact(const uint8_t *f, uint32_t len, struct dp_pkt *p)
{
	/* A heap copy of exactly |len| octets: a read past the end trips ASan. */
	uint8_t *c = malloc(len ? len : 1);
	enum dp_class k;

	memcpy(c, f, len);
	k = dp_parse(c, len, p);
	free(c);
	return k;
}

Test(dataplane_dp_parse, rtp_in_every_encapsulation)
{
	uint8_t pl[256], f[512];
	unsigned int v6, vl, opt;

	for (v6 = 0; v6 < 2; v6++)
		for (vl = 0; vl <= 2; vl++)
			for (opt = 0; opt <= 3; opt++) {
				struct tf t;
				struct dp_pkt p;
				uint32_t plen = tf_rtp(pl, SSRC, 77, 40, 0), len;

				tf_default(&t, v6, 5004);
				t.n_vlan = vl;
				if (v6) {
					t.v6_ext = opt == 1 || opt == 2;
					t.v6_srh = opt == 3;	/* daddr: the final one */
				} else {
					t.ip_opt_words = opt * 3;
				}
				len = tf_build(f, &t, pl, plen);
				cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_RTP, "v6 %u vlan %u opt %u",
					     v6, vl, opt);
				cr_assert_eq(p.cls, DP_CLASS_RTP);
				cr_assert_eq(p.n_vlan, vl);
				cr_assert_eq(p.l3, v6 ? DP_L3_IPV6 : DP_L3_IPV4);
				cr_assert_eq(p.l3_off, 14 + 4 * vl);
				cr_assert_eq(p.pl_len, plen);
				cr_assert_eq(p.pl_off + plen, len);
				cr_assert_arr_eq(f + p.pl_off, pl, plen);
				cr_assert_eq(p.dport, 5004);
				cr_assert_eq(p.sport, 4000);
				cr_assert_eq(p.ssrc, SSRC);
				cr_assert_arr_eq(p.daddr, t.dst, 16);
			}
}

/*
 * A routing header: while segments are left, the destination is its last hop
 * (type 2, or 4: Segment List[0]); with none left, the IPv6 header's. One of
 * another type with segments left is malformed: its destination is unknown.
 */
Test(dataplane_dp_parse, routing_header_final_destination)
{
	static const uint8_t hop[16] = {0xfd, [15] = 0x99};
	uint8_t pl[64], f[256];
	struct tf t;
	struct dp_pkt p;
	uint32_t plen = tf_rtp(pl, SSRC, 1, 20, 0), len, rh;

	tf_default(&t, true, 5004);
	t.v6_srh = true;
	len = tf_build(f, &t, pl, plen);
	rh = 14 + 40;
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_RTP);
	cr_assert_arr_eq(p.daddr, t.dst, 16);
	cr_assert_eq(p.dst_off, rh + 8);
	f[rh + 2] = 2;		/* type 2 reads the same place */
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_RTP);
	cr_assert_arr_eq(p.daddr, t.dst, 16);
	f[rh + 3] = 0;		/* arrived: the header's own */
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_RTP);
	cr_assert_arr_eq(p.daddr, hop, 16);
	cr_assert_eq(p.dst_off, 14 + 24);
	f[rh + 3] = 1;
	f[rh + 2] = 3;		/* RPL (compressed): unknown */
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_MALFORMED);
	f[rh + 2] = 0;		/* type 0, deprecated */
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_MALFORMED);
	f[rh] = 6;		/* not UDP behind it: the policy's, as any TCP */
	cr_assert_eq(dp_parse(f, len, &p), DP_CLASS_OTHER);
}

Test(dataplane_dp_parse, ethernet_padding_is_not_payload)
{
	uint8_t pl[64], f[128];
	struct tf t;
	struct dp_pkt p;
	uint32_t plen = tf_rtp(pl, SSRC, 1, 0, 0), len;

	tf_default(&t, false, 5004);
	len = tf_build(f, &t, pl, plen);	/* 14 + 20 + 8 + 12 = 54 */
	memset(f + len, 0xee, 60 - len);
	cr_assert_eq(parse_exact(f, 60, &p), DP_CLASS_RTP);
	cr_assert_eq(p.pl_len, 12);
}

Test(dataplane_dp_parse, rfc5761_rtp_or_rtcp)
{
	/* Second octet with the marker masked: 64..95 is RTCP (SR 200 .. APP 204 and more). */
	static const struct {
		uint8_t b1;
		enum dp_class want;
	} tab[] = {
		{0, DP_CLASS_RTP},	{96, DP_CLASS_RTP},	{96 | 0x80, DP_CLASS_RTP},
		{63, DP_CLASS_RTP},	{63 | 0x80, DP_CLASS_RTP}, {64, DP_CLASS_RTCP},
		{200, DP_CLASS_RTCP},	{201, DP_CLASS_RTCP},	{95, DP_CLASS_RTCP},
		{223, DP_CLASS_RTCP},	{204, DP_CLASS_FLOOR},	{96 + 128, DP_CLASS_RTP},
		{127, DP_CLASS_RTP},	{255, DP_CLASS_RTP},	{76, DP_CLASS_RTCP},
	};
	uint8_t pl[32] = {0x80};
	unsigned int i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		pl[1] = tab[i].b1;
		cr_assert_eq(dp_classify_payload(pl, sizeof(pl)), tab[i].want, "row %u (0x%02x)", i,
			     tab[i].b1);
	}
	pl[0] = 0x40;	/* V=1 */
	cr_assert_eq(dp_classify_payload(pl, sizeof(pl)), DP_CLASS_UDP);
	pl[0] = 0x80;
	pl[1] = 96;
	cr_assert_eq(dp_classify_payload(pl, 11), DP_CLASS_UDP, "RTP needs 12 octets");
	pl[1] = 200;
	cr_assert_eq(dp_classify_payload(pl, 8), DP_CLASS_RTCP, "RTCP needs 8");
	cr_assert_eq(dp_classify_payload(pl, 7), DP_CLASS_UDP);
}

Test(dataplane_dp_parse, floor_control_by_clear_header_only)
{
	uint8_t pl[128], f[256];
	struct tf t;
	struct dp_pkt p;
	uint32_t plen = tf_floor(pl, SSRC, 1, 3), len;

	/* The APP name is ciphertext under SRTCP: scramble it, it must not matter. */
	memcpy(pl + 8, "\x9c\x13\xfe\x02", 4);
	tf_default(&t, true, 5005);
	len = tf_build(f, &t, pl, plen);
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_FLOOR);
	cr_assert_eq(p.ssrc, SSRC, "RTCP sender SSRC at offset 4");
}

Test(dataplane_dp_parse, fragments_non_udp_and_arp)
{
	uint8_t pl[64], f[256];
	struct tf t;
	struct dp_pkt p;
	uint32_t plen = tf_rtp(pl, SSRC, 3, 20, 0), len;
	static const uint16_t frags[] = {0x2000, 0x0001, 0x2010, 0x1fff};
	unsigned int i;

	for (i = 0; i < 4; i++) {
		tf_default(&t, false, 5004);
		t.frag = frags[i];
		len = tf_build(f, &t, pl, plen);
		cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_FRAG, "IPv4 frag 0x%04x", frags[i]);
	}
	tf_default(&t, false, 5004);
	t.frag = 0x4000;	/* DF alone is not a fragment */
	len = tf_build(f, &t, pl, plen);
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_RTP);

	tf_default(&t, true, 5004);
	t.frag = 0x0008;
	len = tf_build(f, &t, pl, plen);
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_FRAG, "IPv6 Fragment header");

	tf_default(&t, false, 5060);
	t.l4proto = 6;	/* TCP: SIP over TCP passes by policy */
	len = tf_build(f, &t, pl, plen);
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_OTHER);
	tf_default(&t, true, 5060);
	t.l4proto = 58;
	len = tf_build(f, &t, pl, plen);
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_OTHER, "ICMPv6");

	len = tf_arp(f);
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_OTHER);
	tf_default(&t, false, 5060);
	len = tf_build(f, &t, (const uint8_t *)"INVITE sip:bob SIP/2.0\r\n", 24);
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_UDP, "SIP is UDP, not RTP");
}

Test(dataplane_dp_parse, every_truncation_is_safe_and_never_rtp)
{
	uint8_t pl[128], f[256];
	unsigned int v6, vl;

	for (v6 = 0; v6 < 2; v6++)
		for (vl = 0; vl <= 2; vl++) {
			struct tf t;
			struct dp_pkt p;
			uint32_t plen = tf_rtp(pl, SSRC, 9, 30, 0), len, cut;

			tf_default(&t, v6, 5004);
			t.n_vlan = vl;
			t.v6_ext = v6;
			t.ip_opt_words = v6 ? 0 : 2;
			len = tf_build(f, &t, pl, plen);
			for (cut = 0; cut < len; cut++) {
				enum dp_class k = parse_exact(f, cut, &p);

				cr_assert(k == DP_CLASS_MALFORMED || k == DP_CLASS_OTHER,
					  "v6 %u vlan %u cut %u: %s", v6, vl, cut, dp_class_name(k));
			}
		}
}

Test(dataplane_dp_parse, inconsistent_lengths_are_malformed)
{
	uint8_t pl[64], f[256];
	struct tf t;
	struct dp_pkt p;
	uint32_t plen = tf_rtp(pl, SSRC, 3, 20, 0), len, ip = 14;

	tf_default(&t, false, 5004);
	len = tf_build(f, &t, pl, plen);
	f[ip] = 0x44;	/* IHL 4 < 5 */
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_MALFORMED);
	len = tf_build(f, &t, pl, plen);
	f[ip + 2] = 0x7f;	/* total length past the frame */
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_MALFORMED);
	len = tf_build(f, &t, pl, plen);
	f[ip + 20 + 4] = 0;
	f[ip + 20 + 5] = 7;	/* UDP length < 8 */
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_MALFORMED);
	len = tf_build(f, &t, pl, plen);
	f[ip + 20 + 4] = 0x10;	/* UDP length past the datagram */
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_MALFORMED);
	len = tf_build(f, &t, pl, plen);
	f[ip] = 0x65;	/* version 6 in an IPv4 ethertype */
	cr_assert_eq(parse_exact(f, len, &p), DP_CLASS_MALFORMED);
	cr_assert_str_eq(dp_class_name(DP_CLASS_FLOOR), "floor");
	cr_assert_str_eq(dp_class_name(99), "?");
}
