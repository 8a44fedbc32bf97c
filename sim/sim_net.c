/* SPDX-License-Identifier: proprietary */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_net.h"

bool
sim_addr_parse(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (s == NULL)
		return false;
	if (inet_pton(AF_INET, s, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		*len = sizeof(*v4);
		return true;
	}
	if (inet_pton(AF_INET6, s, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		*len = sizeof(*v6);
		return true;
	}
	return false;
}

bool
sim_hostport_split(const char *s, char *host, size_t cap, uint16_t *port)
{
	const char *colon, *h = s;
	unsigned long p;
	size_t hl;
	char *end;

	if (s == NULL || (colon = strrchr(s, ':')) == NULL)
		return false;
	hl = (size_t)(colon - s);
	if (s[0] == '[') {		/* [v6]:port */
		if (hl < 2 || s[hl - 1] != ']')
			return false;
		h = s + 1;
		hl -= 2;
	}
	if (hl == 0 || hl >= cap)
		return false;
	p = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || p > 65535)
		return false;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return true;
}

bool
sim_hostport_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN];
	uint16_t port;

	return sim_hostport_split(s, host, sizeof(host), &port) &&
	       sim_addr_parse(host, port, ss, len);
}

int
sim_udp_bind(const struct sockaddr_storage *at, socklen_t len)
{
	int fd = socket(at->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (const struct sockaddr *)at, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

uint16_t
sim_addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

void
sim_addr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

uint16_t
sim_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	return sim_addr_port(&ss);
}
