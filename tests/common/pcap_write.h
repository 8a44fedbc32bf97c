/* SPDX-License-Identifier: proprietary */
/*
 * A minimal pcap writer for tests: classic pcap (v2.4, microseconds,
 * LINKTYPE_ETHERNET), each record one Ethernet/IPv4/UDP frame with correct
 * lengths and IPv4 and UDP checksums, so a dissector can be asked to verify
 * them.
 */
#ifndef PCAP_WRITE_H
#define PCAP_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Write the 24-octet global header. Returns 0 or -1 (errno set). */
int
pcap_write_header(FILE *f);

/*
 * Append one UDP datagram |payload| (|len| octets, at most 1472) from
 * |src_ip|:|sport| to |dst_ip|:|dport| (addresses and ports in host order),
 * stamped |usec| microseconds after the epoch. Returns 0 or -1.
 */
int
pcap_write_udp4(FILE *f, uint64_t usec, uint32_t src_ip, uint16_t sport, uint32_t dst_ip,
		uint16_t dport, const uint8_t *payload, size_t len);

/* The Internet checksum (RFC 1071) of |len| octets, continuing from |sum|. */
uint32_t
pcap_csum_add(uint32_t sum, const uint8_t *p, size_t len);

uint16_t
pcap_csum_fold(uint32_t sum);

#endif /* PCAP_WRITE_H */
