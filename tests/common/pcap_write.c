/* SPDX-License-Identifier: proprietary */
#include <string.h>

#include "pcap_write.h"

#define ETH_LEN		14
#define IP4_LEN		20
#define UDP_LEN		8
#define PAYLOAD_MAX	(1500 - IP4_LEN - UDP_LEN)

static void
be16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
be32(uint8_t *p, uint32_t v)
{
	be16(p, v >> 16);
	be16(p + 2, v & 0xffff);
}

/* pcap headers are in the writer's byte order; the magic tells readers which. */
static int
put(FILE *f, const void *p, size_t n)
{
	return fwrite(p, 1, n, f) == n ? 0 : -1;
}

uint32_t
pcap_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t
pcap_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int
pcap_write_header(FILE *f)
{
	const uint32_t magic = 0xa1b2c3d4u, zone = 0, sigfigs = 0, snaplen = 65535, link = 1;
	const uint16_t major = 2, minor = 4;

	if (put(f, &magic, 4) || put(f, &major, 2) || put(f, &minor, 2) || put(f, &zone, 4) ||
	    put(f, &sigfigs, 4) || put(f, &snaplen, 4) || put(f, &link, 4))
		return -1;
	return 0;
}

static void
ip4_header(uint8_t *ip, uint32_t src, uint32_t dst, size_t udp_total)
{
	memset(ip, 0, IP4_LEN);
	ip[0] = 0x45;
	be16(ip + 2, (unsigned int)(IP4_LEN + udp_total));
	be16(ip + 6, 0x4000);		/* DF */
	ip[8] = 64;
	ip[9] = 17;			/* UDP */
	be32(ip + 12, src);
	be32(ip + 16, dst);
	be16(ip + 10, pcap_csum_fold(pcap_csum_add(0, ip, IP4_LEN)));
}

/* UDP checksum over the RFC 768 pseudo-header, header and data. */
static uint16_t
udp4_csum(const uint8_t *ip, const uint8_t *udp, size_t udp_total)
{
	uint8_t pseudo[12];
	uint16_t c;

	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	be16(pseudo + 10, (unsigned int)udp_total);
	c = pcap_csum_fold(pcap_csum_add(pcap_csum_add(0, pseudo, 12), udp, udp_total));
	return c == 0 ? 0xffff : c;
}

int
pcap_write_udp4(FILE *f, uint64_t usec, uint32_t src_ip, uint16_t sport, uint32_t dst_ip,
		uint16_t dport, const uint8_t *payload, size_t len)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	uint8_t frame[ETH_LEN + IP4_LEN + UDP_LEN + PAYLOAD_MAX];
	uint8_t *ip = frame + ETH_LEN, *udp = ip + IP4_LEN;
	uint32_t rec[4];
	size_t udp_total = UDP_LEN + len, total = ETH_LEN + IP4_LEN + udp_total;

	if (len > PAYLOAD_MAX)
		return -1;
	memcpy(frame, macs, sizeof(macs));
	be16(frame + 12, 0x0800);
	ip4_header(ip, src_ip, dst_ip, udp_total);
	be16(udp, sport);
	be16(udp + 2, dport);
	be16(udp + 4, (unsigned int)udp_total);
	be16(udp + 6, 0);
	memcpy(udp + UDP_LEN, payload, len);
	be16(udp + 6, udp4_csum(ip, udp, udp_total));

	rec[0] = (uint32_t)(usec / 1000000u);
	rec[1] = (uint32_t)(usec % 1000000u);
	rec[2] = (uint32_t)total;
	rec[3] = (uint32_t)total;
	if (put(f, rec, sizeof(rec)) || put(f, frame, total))
		return -1;
	return 0;
}
