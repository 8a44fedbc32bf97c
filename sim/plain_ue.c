/* SPDX-License-Identifier: proprietary */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "plain_ue.h"
#include "sim_net.h"

#define RX_BUDGET	64

int
pue_open(struct pue *u, const char *local, const struct fc_cli_cfg *cfg)
{
	struct sockaddr_storage ss;
	socklen_t len;

	memset(u, 0, sizeof(*u));
	u->media_fd = u->floor_fd = -1;
	if (local == NULL || cfg == NULL || !sim_addr_parse(local, 0, &ss, &len))
		return -FC_E_ARG;
	u->media_fd = sim_udp_bind(&ss, len);
	u->floor_fd = sim_udp_bind(&ss, len);
	if (u->media_fd < 0 || u->floor_fd < 0) {
		pue_close(u);
		return -FC_E_FULL;
	}
	fc_cli_init(&u->cli, cfg);
	u->ssrc = cfg->ssrc;
	return 0;
}

void
pue_local_ports(const struct pue *u, uint16_t *media, uint16_t *floor)
{
	*media = sim_local_port(u->media_fd);
	*floor = sim_local_port(u->floor_fd);
}

int
pue_set_server(struct pue *u, const char *addr, uint16_t media, uint16_t floor)
{
	socklen_t len;

	if (!sim_addr_parse(addr, media, &u->srv_media, &len) ||
	    !sim_addr_parse(addr, floor, &u->srv_floor, &u->srv_len))
		return -FC_E_ARG;
	return 0;
}

static int
send_out(struct pue *u, const struct fc_cli_out *out)
{
	uint8_t buf[2048];
	unsigned int k;
	size_t len;
	int rc = 0;

	for (k = 0; k < out->n; k++) {
		rc = fc_encode(&out->msg[k], buf, sizeof(buf), &len);
		if (rc < 0)
			return rc;
		if (sendto(u->floor_fd, buf, len, 0, (const struct sockaddr *)&u->srv_floor,
			   u->srv_len) != (ssize_t)len)
			return -FC_E_FULL;
		u->floor_out++;
		u->floor_out_type[out->msg[k].type]++;
	}
	if (out->note != FC_NOTE_NONE) {
		u->notes[out->note]++;
		u->last_note = out->note;
		u->last_cause = out->cause;
	}
	return 0;
}

static int
drive(struct pue *u, const struct fc_cli_ev *ev, uint64_t now)
{
	struct fc_cli_out out;
	int rc, src;

	rc = fc_cli_event(&u->cli, ev, now, &out);
	if (rc == -FC_E_UNEXPECTED)
		u->unexpected++;
	src = send_out(u, &out);	/* an Ack may go out with UNEXPECTED */
	return rc < 0 ? rc : src;
}

int
pue_user(struct pue *u, enum fc_cli_ev_type ev, uint64_t now)
{
	struct fc_cli_ev e = { ev, NULL };

	if (ev == FC_CLI_EV_RX)
		return -FC_E_ARG;
	return drive(u, &e, now);
}

int
pue_send_rtp(struct pue *u, size_t len)
{
	uint8_t pkt[1500] = { 0 };

	if (len > sizeof(pkt) - 12)
		return -FC_E_ARG;
	pkt[0] = 0x80;
	pkt[1] = 96;
	pkt[2] = (uint8_t)(u->rtp_seq >> 8);
	pkt[3] = (uint8_t)u->rtp_seq;
	pkt[4] = (uint8_t)(u->rtp_ts >> 24);
	pkt[5] = (uint8_t)(u->rtp_ts >> 16);
	pkt[6] = (uint8_t)(u->rtp_ts >> 8);
	pkt[7] = (uint8_t)u->rtp_ts;
	pkt[8] = (uint8_t)(u->ssrc >> 24);
	pkt[9] = (uint8_t)(u->ssrc >> 16);
	pkt[10] = (uint8_t)(u->ssrc >> 8);
	pkt[11] = (uint8_t)u->ssrc;
	memset(pkt + 12, 0x5a, len);
	if (sendto(u->media_fd, pkt, 12 + len, 0, (const struct sockaddr *)&u->srv_media,
		   u->srv_len) != (ssize_t)(12 + len))
		return -FC_E_FULL;
	u->rtp_seq++;
	u->rtp_ts += 160;
	u->rtp_out++;
	return 0;
}

static void
on_floor(struct pue *u, const uint8_t *p, size_t len, uint64_t now)
{
	struct fc_cli_ev ev = { FC_CLI_EV_RX, NULL };
	const uint8_t *pkt;
	struct fc_msg m;
	size_t off = 0, pl;

	u->floor_in++;
	while (fc_next(p, len, &off, &pkt, &pl) == 1) {
		if (fc_decode(pkt, pl, 0, &m) < 0) {
			u->decode_errors++;
			continue;
		}
		u->floor_in_type[m.type]++;
		ev.msg = &m;
		(void)drive(u, &ev, now);	/* counted inside */
	}
}

static int
drain(struct pue *u, int fd, bool floor, uint64_t now)
{
	uint8_t buf[2048];
	unsigned int n;
	ssize_t r;

	for (n = 0; n < RX_BUDGET; n++) {
		r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0)
			break;
		if (floor) {
			on_floor(u, buf, (size_t)r, now);
		} else if (r >= 12) {
			u->rtp_in++;
			u->last_rtp_ssrc = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 |
					   (uint32_t)buf[10] << 8 | buf[11];
		}
	}
	return (int)n;
}

int
pue_poll(struct pue *u, int timeout_ms, uint64_t now)
{
	struct pollfd pfd[2] = {
		{ .fd = u->media_fd, .events = POLLIN },
		{ .fd = u->floor_fd, .events = POLLIN },
	};
	struct fc_cli_ev tick = { FC_CLI_EV_TIMER, NULL };
	int n = 0;

	if (poll(pfd, 2, timeout_ms) > 0) {
		if (pfd[0].revents & POLLIN)
			n += drain(u, u->media_fd, false, now);
		if (pfd[1].revents & POLLIN)
			n += drain(u, u->floor_fd, true, now);
	}
	(void)drive(u, &tick, now);
	return n;
}

void
pue_close(struct pue *u)
{
	if (u->media_fd >= 0)
		close(u->media_fd);
	if (u->floor_fd >= 0)
		close(u->floor_fd);
	u->media_fd = u->floor_fd = -1;
}
