/* SPDX-License-Identifier: proprietary */
/*
 * mcpx-plain-server: a non-e2e-capable MCPTT server stand-in on ordinary UDP
 * sockets (IPv4 and IPv6). Per group one media (RTP) port and one floor
 * (RTCP APP "MCPT") port; floor arbitration by fc_srv (sim/floor/fc_fsm.h);
 * the talker's RTP goes to every other member; a private call relays media
 * between its two parties in both directions. Everything is counted.
 *
 * Members are known by address: a member's media comes from ADDR:MEDIA and
 * its floor messages from ADDR:FLOOR (symmetric ports), and the server sends
 * to the same addresses. This library does not print or exit; the program's
 * main.c and plain_server_report.c do.
 */
#ifndef PLAIN_SERVER_H
#define PLAIN_SERVER_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fc_codec.h"
#include "fc_fsm.h"

#define PS_GROUPS_MAX	16
#define PS_LISTEN_MAX	2
#define PS_NAME_MAX	63
#define PS_PKT_MAX	65536

/* Drop reasons: name, description, whether it means bad input (exit code 3). */
#define PS_DROPS(_)                                                                     \
	_(MALFORMED_FLOOR, "floor packet that does not decode", true)                   \
	_(UNEXPECTED_FLOOR, "floor message not expected in the floor state", true)      \
	_(MALFORMED_MEDIA, "media packet that is not RTP version 2", true)              \
	_(NOT_TALKER, "group media from a member without permission", true)             \
	_(UNKNOWN_SOURCE, "packet from an address that is no member's", true)           \
	_(TX_FAIL, "send failed", false)

enum ps_drop {
#define PS_DROP_ENUM(n, d, bad) PS_DROP_##n,
	PS_DROPS(PS_DROP_ENUM)
#undef PS_DROP_ENUM
	PS_DROP_COUNT
};

struct ps_stats {
	uint64_t rtp_in, rtp_out, floor_in, floor_out;
	uint64_t floor_in_type[FC_T_COUNT];	/* decoded messages by type */
	uint64_t floor_out_type[FC_T_COUNT];
	uint64_t drops[PS_DROP_COUNT];
	uint64_t decode_err[FC_E_COUNT];	/* why MALFORMED_FLOOR */
};

struct ps_member {
	char name[FC_STR_MAX + 1];		/* also its MCPTT ID */
	struct sockaddr_storage media, floor;	/* same family */
	socklen_t addr_len;
	unsigned int fsm_idx;
	struct ps_stats st;
};

struct ps_group {
	char name[PS_NAME_MAX + 1];
	bool private_call;			/* two parties, media relayed both ways */
	uint16_t media_port, floor_port;	/* configured; 0 = any (see ps_group_ports) */
	struct ps_member member[FC_SRV_MEMBERS_MAX];
	unsigned int n_members;
	int media_fd[PS_LISTEN_MAX], floor_fd[PS_LISTEN_MAX];
	struct fc_srv fsm;
	struct ps_stats other;			/* traffic from no member (unknown source) */
};

struct ps_server {
	struct sockaddr_storage listen[PS_LISTEN_MAX];	/* port unused */
	unsigned int n_listen;
	struct fc_srv_cfg floor_cfg;		/* copied into every group */
	struct ps_group group[PS_GROUPS_MAX];
	unsigned int n_groups;
	bool opened;
	uint64_t started_ms, stopped_ms;
	uint8_t rxbuf[PS_PKT_MAX];
};

/* struct ps_server is large (about 1 MiB): allocate it, don't put it on a stack. */

/* Defaults: no listen address yet (ps_open adds 127.0.0.1 and ::1), floor defaults. */
void
ps_init(struct ps_server *ps);

/*
 * Configuration, before ps_open. Each returns 0 or -FC_E_ARG (bad syntax or
 * value: |err| gets a sentence), -FC_E_FULL, -FC_E_NOTFOUND (member of an
 * unknown group). Specs:
 *   listen: an IPv4 or IPv6 literal ("127.0.0.1", "::1")
 *   group:  NAME=MEDIA_PORT,FLOOR_PORT[,private]
 *   member: GROUP/NAME=ADDR:MEDIA_PORT,FLOOR_PORT   (IPv6 as [ADDR]:PORT)
 * A config file holds one spec per line: "listen ...", "group ...",
 * "member ..."; '#' starts a comment.
 */
MUST_CHECK int
ps_config_listen(struct ps_server *ps, const char *spec, char *err, size_t errlen);

MUST_CHECK int
ps_config_group(struct ps_server *ps, const char *spec, char *err, size_t errlen);

MUST_CHECK int
ps_config_member(struct ps_server *ps, const char *spec, char *err, size_t errlen);

MUST_CHECK int
ps_config_file(struct ps_server *ps, const char *path, char *err, size_t errlen);

/*
 * Bind every group's sockets on every listen address and set up floor
 * control. Returns 0, -FC_E_ARG (no group, a private call without exactly two
 * members, a member of a family nobody listens on; |err| says which), or
 * -FC_E_FULL standing for a socket error (|err| has strerror).
 */
MUST_CHECK int
ps_open(struct ps_server *ps, char *err, size_t errlen);

/* The ports group |g| is bound to (useful with port 0). */
void
ps_group_ports(const struct ps_server *ps, unsigned int g, uint16_t *media, uint16_t *floor);

/*
 * Serve until |*stop| becomes non-zero or |duration_ms| (0 = no limit) has
 * passed. Returns 0, or -FC_E_ARG when not opened.
 */
MUST_CHECK int
ps_run(struct ps_server *ps, uint64_t duration_ms, const atomic_int *stop);

/* True when no drop that means bad input was counted (exit code 0). */
bool
ps_clean(const struct ps_server *ps);

/* Sum of |st| over every member and every group's unknown-source counters. */
void
ps_totals(const struct ps_server *ps, struct ps_stats *st);

const char *
ps_drop_name(enum ps_drop d);

const char *
ps_drop_desc(enum ps_drop d);

bool
ps_drop_is_bad(enum ps_drop d);

/* Close every socket. */
void
ps_close(struct ps_server *ps);

#endif /* PLAIN_SERVER_H */
