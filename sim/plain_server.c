/* SPDX-License-Identifier: proprietary */
/*
 * mcpx-plain-server, the library part: configuration, sockets, the poll loop,
 * floor control through fc_srv, media fan-out, counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plain_server.h"
#include "sim_net.h"

#define RX_BUDGET	64	/* datagrams per socket per wake-up */
#define TICK_MAX_MS	100	/* poll at least this often */
#define RTP_HDR_LEN	12

static const char *const drop_names[PS_DROP_COUNT] = {
#define NAME(n, d, bad) [PS_DROP_##n] = #n,
	PS_DROPS(NAME)
#undef NAME
};

static const char *const drop_descs[PS_DROP_COUNT] = {
#define DESC(n, d, bad) [PS_DROP_##n] = d,
	PS_DROPS(DESC)
#undef DESC
};

static const bool drop_bad[PS_DROP_COUNT] = {
#define BAD(n, d, bad) [PS_DROP_##n] = bad,
	PS_DROPS(BAD)
#undef BAD
};

const char *
ps_drop_name(enum ps_drop d)
{
	return (unsigned int)d < PS_DROP_COUNT ? drop_names[d] : "UNKNOWN";
}

const char *
ps_drop_desc(enum ps_drop d)
{
	return (unsigned int)d < PS_DROP_COUNT ? drop_descs[d] : "unknown";
}

bool
ps_drop_is_bad(enum ps_drop d)
{
	return (unsigned int)d < PS_DROP_COUNT && drop_bad[d];
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
fail(char *err, size_t errlen, int rc, const char *what, const char *spec)
{
	if (err != NULL && errlen != 0)
		snprintf(err, errlen, "%s: \"%s\"", what, spec);
	return rc;
}

void
ps_init(struct ps_server *ps)
{
	unsigned int g, i;

	memset(ps, 0, sizeof(*ps));
	ps->floor_cfg.ssrc = 0x6d637078;	/* "mcpx" */
	ps->floor_cfg.queue_max = 4;
	ps->floor_cfg.floor_ind = FC_FI_NORMAL | FC_FI_QUEUEING;
	for (g = 0; g < PS_GROUPS_MAX; g++)
		for (i = 0; i < PS_LISTEN_MAX; i++)
			ps->group[g].media_fd[i] = ps->group[g].floor_fd[i] = -1;
}

static bool
parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static uint16_t
get_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

int
ps_config_listen(struct ps_server *ps, const char *spec, char *err, size_t errlen)
{
	socklen_t len;

	if (ps->n_listen == PS_LISTEN_MAX)
		return fail(err, errlen, -FC_E_FULL, "at most 2 listen addresses", spec);
	if (!sim_addr_parse(spec, 0, &ps->listen[ps->n_listen], &len))
		return fail(err, errlen, -FC_E_ARG, "not an IPv4 or IPv6 address", spec);
	ps->n_listen++;
	return 0;
}

/* Split "A,B[,C]" in place; returns the number of parts (max 3). */
static unsigned int
split_commas(char *s, char *part[3])
{
	unsigned int n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(s, ",", &save); tok != NULL && n < 3;
	     tok = strtok_r(NULL, ",", &save))
		part[n++] = tok;
	return tok == NULL ? n : 4;
}

int
ps_config_group(struct ps_server *ps, const char *spec, char *err, size_t errlen)
{
	char buf[256], *eq, *part[3];
	struct ps_group *g;
	unsigned int n;

	if (ps->n_groups == PS_GROUPS_MAX)
		return fail(err, errlen, -FC_E_FULL, "too many groups", spec);
	if (strlen(spec) >= sizeof(buf))
		return fail(err, errlen, -FC_E_ARG, "group spec too long", spec);
	strcpy(buf, spec);
	eq = strchr(buf, '=');
	if (eq == NULL || eq == buf || (size_t)(eq - buf) > PS_NAME_MAX)
		return fail(err, errlen, -FC_E_ARG, "want NAME=MEDIA,FLOOR[,private]", spec);
	*eq = '\0';
	g = &ps->group[ps->n_groups];
	n = split_commas(eq + 1, part);
	if ((n != 2 && n != 3) || !parse_port(part[0], &g->media_port) ||
	    !parse_port(part[1], &g->floor_port) || (n == 3 && strcmp(part[2], "private")))
		return fail(err, errlen, -FC_E_ARG, "want NAME=MEDIA,FLOOR[,private]", spec);
	memcpy(g->name, buf, (size_t)(eq - buf));	/* <= PS_NAME_MAX, checked above */
	g->name[eq - buf] = '\0';
	g->private_call = n == 3;
	ps->n_groups++;
	return 0;
}

static struct ps_group *
find_group(struct ps_server *ps, const char *name)
{
	unsigned int i;

	for (i = 0; i < ps->n_groups; i++)
		if (!strcmp(ps->group[i].name, name))
			return &ps->group[i];
	return NULL;
}

/* "ADDR:MEDIA,FLOOR" or "[ADDR]:MEDIA,FLOOR" into a member's addresses. */
static bool
parse_member_addr(char *s, struct ps_member *mb)
{
	char *colon, *addr = s, *part[3];
	uint16_t mport, fport;

	if (*s == '[') {
		addr = s + 1;
		colon = strstr(addr, "]:");
		if (colon == NULL)
			return false;
		*colon = '\0';
		colon++;
	} else {
		colon = strchr(s, ':');
		if (colon == NULL || strchr(colon + 1, ':') != NULL)
			return false;	/* IPv6 literals go in brackets */
		*colon = '\0';
	}
	if (split_commas(colon + 1, part) != 2 || !parse_port(part[0], &mport) ||
	    !parse_port(part[1], &fport) || mport == 0 || fport == 0)
		return false;
	if (!sim_addr_parse(addr, 0, &mb->media, &mb->addr_len))
		return false;
	mb->floor = mb->media;
	set_port(&mb->media, mport);
	set_port(&mb->floor, fport);
	return true;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

/* Members are told apart by address, and by name in floor messages. */
static bool
duplicate(const struct ps_group *g, const struct ps_member *mb)
{
	unsigned int i;

	for (i = 0; i < g->n_members; i++)
		if (!strcmp(g->member[i].name, mb->name) ||
		    same_addr(&g->member[i].media, &mb->media) ||
		    same_addr(&g->member[i].floor, &mb->floor))
			return true;
	return false;
}

int
ps_config_member(struct ps_server *ps, const char *spec, char *err, size_t errlen)
{
	char buf[512], *slash, *eq;
	struct ps_member *mb;
	struct ps_group *g;

	if (strlen(spec) >= sizeof(buf))
		return fail(err, errlen, -FC_E_ARG, "member spec too long", spec);
	strcpy(buf, spec);
	slash = strchr(buf, '/');
	eq = slash != NULL ? strchr(slash, '=') : NULL;
	if (eq == NULL || slash == buf || eq == slash + 1 ||
	    (size_t)(eq - slash - 1) > FC_STR_MAX)
		return fail(err, errlen, -FC_E_ARG, "want GROUP/NAME=ADDR:MEDIA,FLOOR", spec);
	*slash = '\0';
	*eq = '\0';
	g = find_group(ps, buf);
	if (g == NULL)
		return fail(err, errlen, -FC_E_NOTFOUND, "member of an unknown group", spec);
	if (g->n_members == FC_SRV_MEMBERS_MAX)
		return fail(err, errlen, -FC_E_FULL, "too many members", spec);
	mb = &g->member[g->n_members];
	memset(mb, 0, sizeof(*mb));
	if (!parse_member_addr(eq + 1, mb))
		return fail(err, errlen, -FC_E_ARG, "bad member address, want ADDR:MEDIA,FLOOR",
			    spec);
	memcpy(mb->name, slash + 1, (size_t)(eq - slash - 1));	/* <= FC_STR_MAX */
	mb->name[eq - slash - 1] = '\0';
	if (duplicate(g, mb))
		return fail(err, errlen, -FC_E_ARG, "same name or address as another member",
			    spec);
	g->n_members++;
	return 0;
}

int
ps_config_file(struct ps_server *ps, const char *path, char *err, size_t errlen)
{
	char line[1024], *p, *arg;
	unsigned int no = 0;
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (f == NULL)
		return fail(err, errlen, -FC_E_NOTFOUND, strerror(errno), path);
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		no++;
		line[strcspn(line, "#\r\n")] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0')
			continue;
		arg = p + strcspn(p, " \t");
		if (*arg != '\0')
			*arg++ = '\0';
		arg += strspn(arg, " \t");
		arg[strcspn(arg, " \t")] = '\0';
		if (!strcmp(p, "listen"))
			rc = ps_config_listen(ps, arg, err, errlen);
		else if (!strcmp(p, "group"))
			rc = ps_config_group(ps, arg, err, errlen);
		else if (!strcmp(p, "member"))
			rc = ps_config_member(ps, arg, err, errlen);
		else
			rc = fail(err, errlen, -FC_E_ARG, "unknown keyword", p);
		if (rc < 0 && err != NULL && errlen != 0) {
			size_t used = strlen(err);

			snprintf(err + used, errlen - used, " (%s line %u)", path, no);
		}
	}
	fclose(f);
	return rc;
}

static int
bind_one(const struct sockaddr_storage *at, uint16_t *port, int *fd_out)
{
	struct sockaddr_storage ss = *at;
	socklen_t len = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
						  sizeof(struct sockaddr_in6);
	int one = 1, fd;

	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	set_port(&ss, *port);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	*port = get_port(&ss);	/* port 0 picks one; later families reuse it */
	*fd_out = fd;
	return 0;
}

static bool
listens_on(const struct ps_server *ps, int family)
{
	unsigned int i;

	for (i = 0; i < ps->n_listen; i++)
		if (ps->listen[i].ss_family == family)
			return true;
	return false;
}

static int
open_group(struct ps_server *ps, struct ps_group *g, char *err, size_t errlen)
{
	unsigned int i;
	int rc;

	if (g->private_call && g->n_members != 2)
		return fail(err, errlen, -FC_E_ARG, "a private call needs exactly 2 members",
			    g->name);
	fc_srv_init(&g->fsm, &ps->floor_cfg);
	for (i = 0; i < g->n_members; i++) {
		if (!listens_on(ps, g->member[i].media.ss_family))
			return fail(err, errlen, -FC_E_ARG,
				    "no listen address of this member's family", g->member[i].name);
		rc = fc_srv_member_add(&g->fsm, g->member[i].name, &g->member[i].fsm_idx);
		if (rc < 0)
			return fail(err, errlen, rc, "member rejected", g->member[i].name);
	}
	for (i = 0; i < ps->n_listen; i++) {
		rc = bind_one(&ps->listen[i], &g->media_port, &g->media_fd[i]);
		if (rc == 0)
			rc = bind_one(&ps->listen[i], &g->floor_port, &g->floor_fd[i]);
		if (rc < 0) {
			if (err != NULL && errlen != 0)
				snprintf(err, errlen, "group %s: bind: %s", g->name, strerror(-rc));
			return -FC_E_FULL;
		}
	}
	return 0;
}

int
ps_open(struct ps_server *ps, char *err, size_t errlen)
{
	unsigned int g;
	int rc;

	if (ps->n_groups == 0)
		return fail(err, errlen, -FC_E_ARG, "no group configured", "");
	if (ps->n_listen == 0) {
		rc = ps_config_listen(ps, "127.0.0.1", err, errlen);
		if (rc == 0)
			rc = ps_config_listen(ps, "::1", err, errlen);
		if (rc < 0)
			return rc;
	}
	for (g = 0; g < ps->n_groups; g++) {
		rc = open_group(ps, &ps->group[g], err, errlen);
		if (rc < 0) {
			ps_close(ps);
			return rc;
		}
	}
	ps->opened = true;
	return 0;
}

void
ps_group_ports(const struct ps_server *ps, unsigned int g, uint16_t *media, uint16_t *floor)
{
	*media = ps->group[g].media_port;
	*floor = ps->group[g].floor_port;
}

void
ps_close(struct ps_server *ps)
{
	unsigned int g, i;

	for (g = 0; g < PS_GROUPS_MAX; g++) {
		for (i = 0; i < PS_LISTEN_MAX; i++) {
			if (ps->group[g].media_fd[i] >= 0)
				close(ps->group[g].media_fd[i]);
			if (ps->group[g].floor_fd[i] >= 0)
				close(ps->group[g].floor_fd[i]);
			ps->group[g].media_fd[i] = ps->group[g].floor_fd[i] = -1;
		}
	}
	ps->opened = false;
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)b;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	       !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr));
}

static struct ps_member *
member_by_addr(struct ps_group *g, const struct sockaddr_storage *from, bool floor)
{
	unsigned int i;

	for (i = 0; i < g->n_members; i++)
		if (same_addr(floor ? &g->member[i].floor : &g->member[i].media, from))
			return &g->member[i];
	return NULL;
}

/* The group socket of |family| (media or floor). */
static int
fd_for(const struct ps_server *ps, const struct ps_group *g, int family, bool floor)
{
	unsigned int i;

	for (i = 0; i < ps->n_listen; i++)
		if (ps->listen[i].ss_family == family)
			return floor ? g->floor_fd[i] : g->media_fd[i];
	return -1;
}

static bool
send_to(const struct ps_server *ps, const struct ps_group *g, struct ps_member *mb, bool floor,
	const uint8_t *p, size_t len)
{
	const struct sockaddr_storage *to = floor ? &mb->floor : &mb->media;
	int fd = fd_for(ps, g, to->ss_family, floor);

	if (fd < 0 || sendto(fd, p, len, 0, (const struct sockaddr *)to, mb->addr_len) !=
			      (ssize_t)len) {
		mb->st.drops[PS_DROP_TX_FAIL]++;
		return false;
	}
	return true;
}

static void
send_floor(const struct ps_server *ps, struct ps_group *g, const struct fc_srv_out *out)
{
	uint8_t buf[2048];
	unsigned int k, i;
	size_t len;

	for (k = 0; k < out->n; k++) {
		const struct fc_srv_send *sd = &out->send[k];

		if (fc_encode(&sd->msg, buf, sizeof(buf), &len) < 0)
			continue;	/* fc_srv builds only encodable messages */
		for (i = 0; i < g->n_members; i++) {
			struct ps_member *mb = &g->member[i];
			bool to = sd->dest == FC_TO_ALL ||
				  (sd->dest == FC_TO_ONE) == (mb->fsm_idx == sd->member);

			if (!to || !send_to(ps, g, mb, true, buf, len))
				continue;
			mb->st.floor_out++;
			mb->st.floor_out_type[sd->msg.type]++;
		}
	}
}

static void
on_floor(struct ps_server *ps, struct ps_group *g, const struct sockaddr_storage *from,
	 const uint8_t *p, size_t len)
{
	struct ps_member *mb = member_by_addr(g, from, true);
	struct fc_srv_out out;
	const uint8_t *pkt;
	struct fc_msg m;
	size_t off = 0, pl;
	int rc;

	if (mb == NULL) {
		g->other.drops[PS_DROP_UNKNOWN_SOURCE]++;
		return;
	}
	mb->st.floor_in++;
	while ((rc = fc_next(p, len, &off, &pkt, &pl)) == 1) {
		rc = fc_decode(pkt, pl, 0, &m);
		if (rc < 0) {
			mb->st.drops[PS_DROP_MALFORMED_FLOOR]++;
			mb->st.decode_err[-rc]++;
			continue;
		}
		mb->st.floor_in_type[m.type]++;
		rc = fc_srv_rx(&g->fsm, mb->fsm_idx, &m, now_ms(), &out);
		if (rc < 0)
			mb->st.drops[PS_DROP_UNEXPECTED_FLOOR]++;
		send_floor(ps, g, &out);
	}
	if (rc < 0) {
		mb->st.drops[PS_DROP_MALFORMED_FLOOR]++;
		mb->st.decode_err[-rc]++;
	}
}

static void
on_media(struct ps_server *ps, struct ps_group *g, const struct sockaddr_storage *from,
	 const uint8_t *p, size_t len)
{
	struct ps_member *mb = member_by_addr(g, from, false);
	unsigned int i;

	if (mb == NULL) {
		g->other.drops[PS_DROP_UNKNOWN_SOURCE]++;
		return;
	}
	if (len < RTP_HDR_LEN || p[0] >> 6 != 2) {
		mb->st.drops[PS_DROP_MALFORMED_MEDIA]++;
		return;
	}
	mb->st.rtp_in++;
	if (!g->private_call && fc_srv_talker(&g->fsm) != (int)mb->fsm_idx) {
		mb->st.drops[PS_DROP_NOT_TALKER]++;
		return;
	}
	for (i = 0; i < g->n_members; i++)
		if (&g->member[i] != mb && send_to(ps, g, &g->member[i], false, p, len))
			g->member[i].st.rtp_out++;
}

static void
drain(struct ps_server *ps, struct ps_group *g, int fd, bool floor, uint8_t *buf)
{
	struct sockaddr_storage from;
	socklen_t flen;
	unsigned int n;
	ssize_t r;

	for (n = 0; n < RX_BUDGET; n++) {
		flen = sizeof(from);
		r = recvfrom(fd, buf, PS_PKT_MAX, 0, (struct sockaddr *)&from, &flen);
		if (r < 0)
			return;	/* EAGAIN, or an ICMP error surfacing: nothing to read */
		if (floor)
			on_floor(ps, g, &from, buf, (size_t)r);
		else
			on_media(ps, g, &from, buf, (size_t)r);
	}
}

static int
next_timeout(struct ps_server *ps, uint64_t now, uint64_t end)
{
	uint64_t t = end, d;
	unsigned int g;

	for (g = 0; g < ps->n_groups; g++) {
		d = fc_srv_deadline(&ps->group[g].fsm);
		if (d < t)
			t = d;
	}
	if (t <= now)
		return 0;
	return t - now > TICK_MAX_MS ? TICK_MAX_MS : (int)(t - now);
}

int
ps_run(struct ps_server *ps, uint64_t duration_ms, const atomic_int *stop)
{
	struct pollfd pfd[PS_GROUPS_MAX * PS_LISTEN_MAX * 2];
	struct { unsigned int g; bool floor; } who[PS_GROUPS_MAX * PS_LISTEN_MAX * 2];
	struct fc_srv_out out;
	unsigned int n = 0, g, i;
	uint64_t end, now;

	if (!ps->opened)
		return -FC_E_ARG;
	for (g = 0; g < ps->n_groups; g++) {
		for (i = 0; i < ps->n_listen; i++) {
			pfd[n] = (struct pollfd){ ps->group[g].media_fd[i], POLLIN, 0 };
			who[n].g = g;
			who[n++].floor = false;
			pfd[n] = (struct pollfd){ ps->group[g].floor_fd[i], POLLIN, 0 };
			who[n].g = g;
			who[n++].floor = true;
		}
	}
	ps->started_ms = now_ms();
	end = duration_ms != 0 ? ps->started_ms + duration_ms : FC_NEVER;
	while (stop == NULL || atomic_load(stop) == 0) {
		now = now_ms();
		if (now >= end)
			break;
		if (poll(pfd, n, next_timeout(ps, now, end)) > 0)
			for (i = 0; i < n; i++)
				if (pfd[i].revents & POLLIN)
					drain(ps, &ps->group[who[i].g], pfd[i].fd, who[i].floor,
					      ps->rxbuf);
		now = now_ms();
		for (g = 0; g < ps->n_groups; g++) {
			fc_srv_tick(&ps->group[g].fsm, now, &out);
			send_floor(ps, &ps->group[g], &out);
		}
	}
	/* What was queued before the stop still counts (tests compare both ends). */
	if (poll(pfd, n, 0) > 0)
		for (i = 0; i < n; i++)
			if (pfd[i].revents & POLLIN)
				drain(ps, &ps->group[who[i].g], pfd[i].fd, who[i].floor, ps->rxbuf);
	ps->stopped_ms = now_ms();
	return 0;
}

static void
add_stats(struct ps_stats *to, const struct ps_stats *from)
{
	unsigned int i;

	to->rtp_in += from->rtp_in;
	to->rtp_out += from->rtp_out;
	to->floor_in += from->floor_in;
	to->floor_out += from->floor_out;
	for (i = 0; i < FC_T_COUNT; i++) {
		to->floor_in_type[i] += from->floor_in_type[i];
		to->floor_out_type[i] += from->floor_out_type[i];
	}
	for (i = 0; i < PS_DROP_COUNT; i++)
		to->drops[i] += from->drops[i];
	for (i = 0; i < FC_E_COUNT; i++)
		to->decode_err[i] += from->decode_err[i];
}

void
ps_totals(const struct ps_server *ps, struct ps_stats *st)
{
	unsigned int g, i;

	memset(st, 0, sizeof(*st));
	for (g = 0; g < ps->n_groups; g++) {
		add_stats(st, &ps->group[g].other);
		for (i = 0; i < ps->group[g].n_members; i++)
			add_stats(st, &ps->group[g].member[i].st);
	}
}

bool
ps_clean(const struct ps_server *ps)
{
	struct ps_stats t;
	unsigned int d;

	ps_totals(ps, &t);
	for (d = 0; d < PS_DROP_COUNT; d++)
		if (drop_bad[d] && t.drops[d] != 0)
			return false;
	return true;
}
