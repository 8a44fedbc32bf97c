/* SPDX-License-Identifier: proprietary */
/*
 * mcpx-e2e-dave: the plain-side end of a private call in the end-to-end rig.
 * dave is a pseudo-client of the appliance's Security Gateway domain: he
 * speaks plain RTP to the server stand-in, and mcpxd protects and
 * unprotects for him. He sends mcpx-ue's numbered voice frames (the same
 * pattern, so alice's mcpx-ue verifies them) and checks every frame he gets.
 *
 *   mcpx-e2e-dave --local ADDR:PORT --server ADDR:PORT --user URI --ssrc HEX
 *                 [--talk N] [--rate FPS] [--talk-at MS] [--expect-frames N]
 *                 [--duration MS]
 *
 * Media on PORT, floor control on PORT+1 (counted, not answered). Prints one
 * JSON object; exit 0 when every check held, 1 otherwise, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim_net.h"
#include "ue.h"

#define RTP_HDR 12
#define PAYLOAD 33

struct opts {
	const char *local, *server, *user;
	uint32_t ssrc, talk, rate, talk_at_ms, expect, duration_ms;
};

struct rx {
	uint64_t media, floor, other_ssrc;
	uint32_t ssrc;
	struct ue_frames f;	/* mcpx-ue's own accounting of order and gaps */
};

static int
usage(void)
{
	fprintf(stderr, "usage: mcpx-e2e-dave --local ADDR:PORT --server ADDR:PORT --user URI "
			"--ssrc HEX [--talk N] [--rate FPS] [--talk-at MS] [--expect-frames N] "
			"[--duration MS]\n");
	return 2;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
on_media(struct rx *r, const uint8_t *p, ssize_t n)
{
	uint32_t hdr, tag = 0, fn = 0, ssrc;
	bool ok;

	r->media++;
	if (n < RTP_HDR || (p[0] & 0xc0) != 0x80) {
		r->f.bad++;
		return;
	}
	hdr = RTP_HDR + 4u * (p[0] & 0x0f);
	ssrc = rd32(p + 8);
	if (r->f.started && ssrc != r->ssrc) {
		r->other_ssrc++;
		return;
	}
	ok = (uint32_t)n >= hdr && ue_frame_check(p + hdr, (uint32_t)n - hdr, ssrc, &tag, &fn);
	if (ok && !r->f.started)
		r->ssrc = ssrc;
	ue_frames_account(&r->f, ok, tag, fn);
}

static int
parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"local", required_argument, NULL, 'l'}, {"server", required_argument, NULL, 's'},
		{"user", required_argument, NULL, 'u'}, {"ssrc", required_argument, NULL, 'S'},
		{"talk", required_argument, NULL, 't'}, {"rate", required_argument, NULL, 'r'},
		{"talk-at", required_argument, NULL, 'a'},
		{"expect-frames", required_argument, NULL, 'e'},
		{"duration", required_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
	int c;

	o->rate = 50;
	o->duration_ms = 10000;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		unsigned long v = optarg != NULL ? strtoul(optarg, NULL, 0) : 0;

		switch (c) {
		case 'l': o->local = optarg; break;
		case 's': o->server = optarg; break;
		case 'u': o->user = optarg; break;
		case 'S': o->ssrc = (uint32_t)strtoul(optarg, NULL, 16); break;
		case 't': o->talk = (uint32_t)v; break;
		case 'r': o->rate = (uint32_t)v; break;
		case 'a': o->talk_at_ms = (uint32_t)v; break;
		case 'e': o->expect = (uint32_t)v; break;
		case 'd': o->duration_ms = (uint32_t)v; break;
		default: return -1;
		}
	}
	return o->local == NULL || o->server == NULL || o->user == NULL || o->ssrc == 0 ||
	       optind != argc ? -1 : 0;
}

static int
open_sockets(const struct opts *o, int fd[2], struct sockaddr_storage *srv, socklen_t *srv_len)
{
	struct sockaddr_storage at;
	socklen_t len;
	uint16_t port;
	int i;

	if (!sim_hostport_parse(o->local, &at, &len) ||
	    !sim_hostport_parse(o->server, srv, srv_len))
		return -1;
	port = sim_addr_port(&at);
	for (i = 0; i < 2; i++) {
		sim_addr_set_port(&at, (uint16_t)(port + i));
		fd[i] = sim_udp_bind(&at, len);
		if (fd[i] < 0)
			return -1;
	}
	return 0;
}

static void
send_frame(int fd, const struct sockaddr_storage *srv, socklen_t len, uint32_t ssrc,
	   uint32_t tag, uint32_t n, uint64_t *sent)
{
	uint8_t pkt[RTP_HDR + PAYLOAD];
	uint16_t seq = (uint16_t)(1000 + n);

	pkt[0] = 0x80;
	pkt[1] = (uint8_t)(96 | (n == 0 ? 0x80 : 0));
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	wr32(pkt + 4, n * 320u);
	wr32(pkt + 8, ssrc);
	ue_frame_fill(pkt + RTP_HDR, PAYLOAD, tag, ssrc, n);
	if (sendto(fd, pkt, sizeof(pkt), 0, (const struct sockaddr *)srv, len) ==
	    (ssize_t)sizeof(pkt))
		(*sent)++;
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage srv;
	struct opts o = {0};
	struct rx r = {0};
	uint64_t start, next, sent = 0;
	uint32_t n = 0, tag;
	socklen_t srv_len;
	int fd[2] = {-1, -1};
	bool ok;

	if (parse(argc, argv, &o) < 0)
		return usage();
	if (open_sockets(&o, fd, &srv, &srv_len) < 0) {
		fprintf(stderr, "mcpx-e2e-dave: sockets: %s\n", strerror(errno));
		return 1;
	}
	tag = fnv1a(o.user);
	start = now_ms();
	next = start + o.talk_at_ms;
	for (;;) {
		struct pollfd pfd[2] = {{.fd = fd[0], .events = POLLIN},
					{.fd = fd[1], .events = POLLIN}};
		uint8_t buf[2048];
		uint64_t t = now_ms();
		ssize_t got;
		int i;

		if (t - start >= o.duration_ms)
			break;
		while (n < o.talk && t >= next) {
			send_frame(fd[0], &srv, srv_len, o.ssrc, tag, n++, &sent);
			next += o.rate != 0 ? 1000u / o.rate : 0;
		}
		(void)poll(pfd, 2, 5);
		for (i = 0; i < 2; i++)
			while ((got = recv(fd[i], buf, sizeof(buf), 0)) >= 0) {
				if (i == 0)
					on_media(&r, buf, got);
				else
					r.floor++;
			}
	}
	ok = sent == o.talk && r.f.ok >= o.expect && r.f.bad == 0 && r.f.late == 0 &&
	     r.other_ssrc == 0;
	printf("{\"user\":\"%s\",\"ok\":%s,\"sent\":%" PRIu64 ",\"received\":{\"media\":%" PRIu64
	       ",\"floor\":%" PRIu64 "},\"from\":{\"ssrc\":\"%08x\",\"verified\":%" PRIu64
	       ",\"bad\":%" PRIu64 ",\"late\":%" PRIu64 ",\"gaps\":%" PRIu64
	       ",\"other_ssrc\":%" PRIu64 "}}\n",
	       o.user, ok ? "true" : "false", sent, r.media, r.floor, r.ssrc, r.f.ok, r.f.bad,
	       r.f.late, r.f.gaps, r.other_ssrc);
	close(fd[0]);
	close(fd[1]);
	return ok ? 0 : 1;
}
