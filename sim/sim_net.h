/* SPDX-License-Identifier: proprietary */
/*
 * UDP helpers shared by the sim/ programs (plain test client, mcpx-ue):
 * IPv4 and IPv6 literals, non-blocking datagram sockets. No printing.
 */
#ifndef SIM_NET_H
#define SIM_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* |s| (an IPv4 or IPv6 literal) and |port| into |ss|, |*len|. False if not a literal. */
bool
sim_addr_parse(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *len);

/*
 * "ADDR:PORT" or "[V6ADDR]:PORT" (the port is required) into |host|
 * (|cap| octets, NUL-terminated) and |*port|. Only the form is checked.
 */
bool
sim_hostport_split(const char *s, char *host, size_t cap, uint16_t *port);

/* The same into |ss|, |*len|, the host an IP literal. False on any error. */
bool
sim_hostport_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* A non-blocking UDP socket bound to |at|, or -1 (errno set). */
int
sim_udp_bind(const struct sockaddr_storage *at, socklen_t len);

/* The local port of |fd|, 0 on error. */
uint16_t
sim_local_port(int fd);

/* The port of |ss|. */
uint16_t
sim_addr_port(const struct sockaddr_storage *ss);

/* Set the port of |ss|. */
void
sim_addr_set_port(struct sockaddr_storage *ss, uint16_t port);

#endif /* SIM_NET_H */
