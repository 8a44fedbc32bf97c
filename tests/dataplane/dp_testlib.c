/* SPDX-License-Identifier: proprietary */
#include <string.h>

#include "dp_testlib.h"

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* RFC 1071, the slow obvious way. */
static uint32_t
sum16(const uint8_t *p, uint32_t len, uint32_t s)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

uint16_t
tf_get16(const uint8_t *p)
{
	return get16(p);
}

void
tf_put16(uint8_t *p, uint16_t v)
{
	put16(p, v);
}

uint16_t
tf_cksum(const uint8_t *p, uint32_t len)
{
	return fold(sum16(p, len, 0));
}

void
tf_default(struct tf *t, bool ipv6, uint16_t dport)
{
	memset(t, 0, sizeof(*t));
	t->ipv6 = ipv6;
	t->sport = 4000;
	t->dport = dport;
	t->l4proto = 17;
	if (ipv6) {
		t->src[0] = t->dst[0] = 0xfd;
		t->src[15] = 1;
	} else {
		t->src[10] = t->src[11] = t->dst[10] = t->dst[11] = 0xff;
		t->src[12] = t->dst[12] = 10;
		t->src[15] = 1;
	}
	tf_dst(t, 2);
}

void
tf_dst(struct tf *t, unsigned int n)
{
	t->dst[14] = (uint8_t)(n >> 8);
	t->dst[15] = (uint8_t)n;
}

static uint16_t
udp_cksum(const uint8_t *src, const uint8_t *dst, bool v6, const uint8_t *udp, uint32_t ulen)
{
	uint32_t s = 0;
	uint16_t c;

	if (v6) {
		s = sum16(src, 16, s);
		s = sum16(dst, 16, s);
	} else {
		s = sum16(src + 12, 4, s);
		s = sum16(dst + 12, 4, s);
	}
	s += 17 + ulen;
	s = sum16(udp, ulen, s);
	c = fold(s);
	return c == 0 ? 0xffff : c;
}

uint32_t
tf_build(uint8_t *buf, const struct tf *t, const uint8_t *pl, uint32_t pl_len)
{
	static const uint8_t dmac[6] = {0x02, 0, 0, 0, 0, 2}, smac[6] = {0x02, 0, 0, 0, 0, 1};
	uint32_t off = 12, ip, l4, ulen = pl_len + 8, ihl, ext = 0, i;

	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	for (i = 0; i < t->n_vlan; i++) {
		put16(buf + off, i == 0 && t->n_vlan == 2 ? 0x88a8 : 0x8100);
		put16(buf + off + 2, (uint16_t)(100 + i));
		off += 4;
	}
	put16(buf + off, t->ipv6 ? 0x86dd : 0x0800);
	ip = off + 2;
	if (!t->ipv6) {
		ihl = 20 + 4 * t->ip_opt_words;
		memset(buf + ip, 0, ihl);
		buf[ip] = (uint8_t)(0x40 | ihl / 4);
		put16(buf + ip + 2, (uint16_t)(ihl + ulen));
		put16(buf + ip + 4, 0x1234);
		put16(buf + ip + 6, t->frag);
		buf[ip + 8] = 64;
		buf[ip + 9] = t->l4proto;
		memcpy(buf + ip + 12, t->src + 12, 4);
		memcpy(buf + ip + 16, t->dst + 12, 4);
		memset(buf + ip + 20, 1, ihl - 20);	/* NOP options */
		put16(buf + ip + 10, fold(sum16(buf + ip, ihl, 0)));
		l4 = ip + ihl;
	} else {
		memset(buf + ip, 0, 40);
		buf[ip] = 0x60;
		buf[ip + 7] = 64;
		memcpy(buf + ip + 8, t->src, 16);
		memcpy(buf + ip + 24, t->dst, 16);
		l4 = ip + 40;
		buf[ip + 6] = t->l4proto;
		if (t->v6_srh) {
			static const uint8_t hop[16] = {0xfd, [15] = 0x99};

			memcpy(buf + ip + 24, hop, 16);
			buf[ip + 6] = 43;
			memset(buf + l4, 0, 40);
			buf[l4] = t->l4proto;
			buf[l4 + 1] = 4;	/* 2 segments of 16 octets */
			buf[l4 + 2] = 4;	/* segment routing */
			buf[l4 + 3] = 1;	/* segments left */
			buf[l4 + 4] = 1;	/* last entry */
			memcpy(buf + l4 + 8, t->dst, 16);	/* [0]: the final one */
			memcpy(buf + l4 + 24, hop, 16);
			l4 += 40;
			ext += 40;
		}
		if (t->v6_ext || t->frag) {
			buf[ip + 6] = t->frag ? 44 : 60;
			memset(buf + l4, 0, 8);
			buf[l4] = t->l4proto;
			if (t->frag)
				put16(buf + l4 + 2, t->frag);
			else
				buf[l4 + 2] = 1;	/* PadN */
			l4 += 8;
			ext = 8;
		}
		put16(buf + ip + 4, (uint16_t)(ext + ulen));
	}
	put16(buf + l4, t->sport);
	put16(buf + l4 + 2, t->dport);
	put16(buf + l4 + 4, (uint16_t)ulen);
	put16(buf + l4 + 6, 0);
	memcpy(buf + l4 + 8, pl, pl_len);
	if (t->l4proto == 17)
		put16(buf + l4 + 6, udp_cksum(t->src, t->dst, t->ipv6, buf + l4, ulen));
	return l4 + ulen;
}

uint32_t
tf_arp(uint8_t *buf)
{
	memset(buf, 0xff, 6);
	memset(buf + 6, 0x02, 6);
	put16(buf + 12, 0x0806);
	memset(buf + 14, 0, 28);
	put16(buf + 14, 1);
	put16(buf + 16, 0x0800);
	buf[18] = 6;
	buf[19] = 4;
	put16(buf + 20, 1);
	return 60;	/* padded to the Ethernet minimum */
}

void
tf_nic_udp_cksum(uint8_t *f, uint32_t len, uint32_t l2_len, uint32_t l3_len)
{
	uint32_t l4 = l2_len + l3_len;
	uint16_t c = fold(sum16(f + l4, len - l4, 0));

	put16(f + l4 + 6, c == 0 ? 0xffff : c);
}

int
tf_verify(const uint8_t *f, uint32_t len, uint32_t *pl_off, uint32_t *pl_len)
{
	uint32_t off = 12, ip, l4, ulen;
	uint8_t src[16] = {0}, dst[16] = {0};
	bool v6;

	while (len >= off + 2 && (get16(f + off) == 0x8100 || get16(f + off) == 0x88a8))
		off += 4;
	if (len < off + 2)
		return -1;
	v6 = get16(f + off) == 0x86dd;
	ip = off + 2;
	if (!v6) {
		uint32_t ihl = 4u * (f[ip] & 15);

		if (get16(f + off) != 0x0800 || fold(sum16(f + ip, ihl, 0)) != 0)
			return -2;	/* IPv4 header checksum */
		if (get16(f + ip + 2) != len - ip)
			return -3;	/* IPv4 total length */
		memcpy(src + 12, f + ip + 12, 4);
		memcpy(dst + 12, f + ip + 16, 4);
		l4 = ip + ihl;
	} else {
		if (get16(f + ip + 4) != len - ip - 40)
			return -4;	/* IPv6 payload length */
		uint8_t nh = f[ip + 6];

		memcpy(src, f + ip + 8, 16);
		memcpy(dst, f + ip + 24, 16);
		/* Options headers; a routing header with segments left names the final hop. */
		for (l4 = ip + 40; nh == 0 || nh == 43 || nh == 60; l4 += 8u * (f[l4 + 1] + 1u)) {
			if (nh == 43 && f[l4 + 3] != 0)
				memcpy(dst, f + l4 + 8, 16);
			nh = f[l4];
		}
	}
	ulen = get16(f + l4 + 4);
	if (ulen != len - l4)
		return -5;	/* UDP length */
	{
		uint32_t s = 0;

		if (v6) {
			s = sum16(src, 16, s);
			s = sum16(dst, 16, s);
		} else {
			s = sum16(src + 12, 4, s);
			s = sum16(dst + 12, 4, s);
		}
		s += 17 + ulen;
		s = sum16(f + l4, ulen, s);
		if (fold(s) != 0)
			return -6;	/* UDP checksum */
	}
	*pl_off = l4 + 8;
	*pl_len = ulen - 8;
	return 0;
}

uint32_t
tf_rtp(uint8_t *buf, uint32_t ssrc, uint16_t seq, uint32_t plen, uint8_t tag)
{
	uint32_t i;

	buf[0] = 0x80;
	buf[1] = 96;
	put16(buf + 2, seq);
	put32(buf + 4, (uint32_t)seq * 160u);
	put32(buf + 8, ssrc);
	for (i = 0; i < plen; i++)
		buf[12 + i] = (uint8_t)(seq * 7 + i * 13 + tag);
	return 12 + plen;
}

uint32_t
tf_floor(uint8_t *buf, uint32_t ssrc, unsigned int subtype, unsigned int words)
{
	unsigned int i;

	buf[0] = (uint8_t)(0x80 | (subtype & 31));
	buf[1] = 204;
	put16(buf + 2, (uint16_t)(2 + words));
	put32(buf + 4, ssrc);
	memcpy(buf + 8, "MCPT", 4);
	for (i = 0; i < 4 * words; i++)
		buf[12 + i] = (uint8_t)(i * 3 + subtype);
	return 12 + 4 * words;
}
