/* SPDX-License-Identifier: proprietary */
/*
 * A plain (unencrypted) MCPTT floor participant on UDP, for tests and labs:
 * one media socket and one floor socket, the fc_cli state machine, RTP out
 * and counters in. The real UE simulator (mcpx-ue, SRTP + MIKEY) will reuse
 * fc_codec and fc_cli the same way, adding protect/unprotect around them.
 */
#ifndef PLAIN_UE_H
#define PLAIN_UE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fc_codec.h"
#include "fc_fsm.h"

struct pue {
	int media_fd, floor_fd;
	struct sockaddr_storage srv_media, srv_floor;
	socklen_t srv_len;
	struct fc_cli cli;
	uint32_t ssrc;
	uint16_t rtp_seq;
	uint32_t rtp_ts;
	/* counters */
	uint64_t rtp_in, rtp_out, floor_in, floor_out;
	uint64_t floor_in_type[FC_T_COUNT], floor_out_type[FC_T_COUNT];
	uint64_t notes[FC_NOTE_COUNT];
	uint64_t decode_errors, unexpected;
	enum fc_note last_note;
	uint16_t last_cause;
	uint32_t last_rtp_ssrc;		/* SSRC of the last RTP packet received */
};

/*
 * Bind a media and a floor socket on |local| (an IPv4 or IPv6 literal, ports
 * chosen by the kernel) and start the client machine with |cfg| (its ssrc is
 * also the RTP SSRC). Returns 0, -FC_E_ARG (bad address) or -FC_E_FULL
 * (socket error).
 */
MUST_CHECK int
pue_open(struct pue *u, const char *local, const struct fc_cli_cfg *cfg);

void
pue_local_ports(const struct pue *u, uint16_t *media, uint16_t *floor);

/* Where the server's group ports are. Returns 0 or -FC_E_ARG. */
MUST_CHECK int
pue_set_server(struct pue *u, const char *addr, uint16_t media, uint16_t floor);

/*
 * A user event (PTT press/release, queue query) at |now| ms: run the machine
 * and send what it says. Returns fc_cli_event()'s code, or -FC_E_FULL when a
 * send failed.
 */
MUST_CHECK int
pue_user(struct pue *u, enum fc_cli_ev_type ev, uint64_t now);

/* Send one RTP packet (version 2, PT 96) with |len| payload octets. */
MUST_CHECK int
pue_send_rtp(struct pue *u, size_t len);

/*
 * Wait up to |timeout_ms| for traffic, then read everything queued: floor
 * messages drive the machine (its replies are sent), RTP is counted; also
 * fires the machine's timer at |now|. Returns the datagrams handled (>= 0).
 */
int
pue_poll(struct pue *u, int timeout_ms, uint64_t now);

void
pue_close(struct pue *u);

#endif /* PLAIN_UE_H */
