/* SPDX-License-Identifier: proprietary */
/*
 * sim/plain_server.c end to end on loopback UDP, no encryption: plain clients
 * (sim/plain_ue.c) -> the server (in a thread) -> plain clients, walking the
 * floor through request, granted, taken, queued, deny, queue position,
 * release, pre-emption revoke and idle, with media forwarded and counted at
 * both ends; then IPv6, bad input, and the mcpx-plain-server program itself.
 * Every wait is bounded (WAIT_MS); nothing sleeps longer than one poll.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "plain_server.h"
#include "plain_ue.h"

#define WAIT_MS		3000
#define MAX_UE		5

TestSuite(sim_plain_server, .timeout = 60);

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct rig {
	struct ps_server *ps;
	pthread_t thr;
	atomic_int stop;
	struct pue ue[MAX_UE];
	const char *name[MAX_UE];
	unsigned int n_ue;
	bool running;
};

static void
pump(struct rig *r)
{
	unsigned int i;

	for (i = 0; i < r->n_ue; i++)
		(void)pue_poll(&r->ue[i], 2, now_ms());
}

/* Pump every client until |cond| holds; fail after WAIT_MS. */
#define WAIT_UNTIL(r, cond)                                                     \
	do {                                                                    \
		uint64_t dl_ = now_ms() + WAIT_MS;                              \
		while (!(cond) && now_ms() < dl_)                               \
			pump(r);                                                \
		cr_assert(cond, "timed out waiting for: %s", #cond);            \
	} while (0)

static void *
server_thread(void *arg)
{
	struct rig *r = arg;

	if (ps_run(r->ps, 0, &r->stop) < 0)
		return (void *)1;
	return NULL;
}

static void
ue_open(struct rig *r, const char *local, const char *name, uint32_t ssrc, uint8_t prio)
{
	struct fc_cli_cfg cfg = { .ssrc = ssrc, .user_id = name, .priority = prio };

	cr_assert_lt(r->n_ue, MAX_UE);
	cr_assert_eq(pue_open(&r->ue[r->n_ue], local, &cfg), 0);
	r->name[r->n_ue] = name;
	r->n_ue++;
}

/* Tell the server about client |i| as a member of |group|. */
static void
add_member(struct rig *r, const char *group, unsigned int i, const char *addr)
{
	char spec[256];
	uint16_t mp, fp;
	bool v6 = strchr(addr, ':') != NULL;

	pue_local_ports(&r->ue[i], &mp, &fp);
	snprintf(spec, sizeof(spec), "%s/%s=%s%s%s:%u,%u", group, r->name[i], v6 ? "[" : "",
		 addr, v6 ? "]" : "", mp, fp);
	cr_assert_eq(ps_config_member(r->ps, spec, NULL, 0), 0, "%s", spec);
}

static void
start(struct rig *r, const char *addr, const unsigned int group_of[])
{
	char err[256] = "";
	uint16_t mp, fp;
	unsigned int i;

	cr_assert_eq(ps_open(r->ps, err, sizeof(err)), 0, "%s", err);
	for (i = 0; i < r->n_ue; i++) {
		ps_group_ports(r->ps, group_of[i], &mp, &fp);
		cr_assert_eq(pue_set_server(&r->ue[i], addr, mp, fp), 0);
	}
	atomic_store(&r->stop, 0);
	cr_assert_eq(pthread_create(&r->thr, NULL, server_thread, r), 0);
	r->running = true;
}

/* Stop the server; whatever the clients sent before is counted by then. */
static void
stop(struct rig *r)
{
	void *ret;

	atomic_store(&r->stop, 1);
	cr_assert_eq(pthread_join(r->thr, &ret), 0);
	cr_assert_null(ret);
	r->running = false;
}

static struct rig *
rig_new(const char *listen)
{
	struct rig *r = calloc(1, sizeof(*r));

	cr_assert_not_null(r);
	r->ps = malloc(sizeof(*r->ps));
	cr_assert_not_null(r->ps);
	ps_init(r->ps);
	r->ps->floor_cfg.queue_max = 1;
	r->ps->floor_cfg.preempt_priority = 200;
	r->ps->floor_cfg.ack_req = true;
	cr_assert_eq(ps_config_listen(r->ps, listen, NULL, 0), 0);
	return r;
}

static void
rig_free(struct rig *r)
{
	unsigned int i;

	if (r->running)
		stop(r);
	for (i = 0; i < r->n_ue; i++)
		pue_close(&r->ue[i]);
	ps_close(r->ps);
	free(r->ps);
	free(r);
}

static void
send_rtp(struct pue *u, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		cr_assert_eq(pue_send_rtp(u, 160), 0);
}

static void
user(struct pue *u, enum fc_cli_ev_type ev)
{
	cr_assert_eq(pue_user(u, ev, now_ms()), 0);
}

/* The server's counters for each member equal what the clients counted. */
static void
check_both_ends(struct rig *r, unsigned int group, unsigned int first)
{
	const struct ps_group *g = &r->ps->group[group];
	unsigned int i, t;

	for (i = 0; i < g->n_members; i++) {
		const struct ps_stats *st = &g->member[i].st;
		const struct pue *u = &r->ue[first + i];

		cr_expect_eq(st->rtp_in, u->rtp_out, "%s rtp to server", g->member[i].name);
		cr_expect_eq(st->rtp_out, u->rtp_in, "%s rtp from server", g->member[i].name);
		cr_expect_eq(st->floor_in, u->floor_out, "%s floor to server", g->member[i].name);
		cr_expect_eq(st->floor_out, u->floor_in, "%s floor from server",
			     g->member[i].name);
		for (t = 0; t < FC_T_COUNT; t++) {
			cr_expect_eq(st->floor_in_type[t], u->floor_out_type[t], "%s %s in",
				     g->member[i].name, fc_type_name(t));
			cr_expect_eq(st->floor_out_type[t], u->floor_in_type[t], "%s %s out",
				     g->member[i].name, fc_type_name(t));
		}
		cr_expect_eq(u->decode_errors, 0);
		cr_expect_eq(u->unexpected, 0, "%s saw unexpected floor messages",
			     g->member[i].name);
	}
}

enum { A, B, C, D, E };

Test(sim_plain_server, every_floor_state_ipv4)
{
	static const unsigned int group_of[] = { 0, 0, 0, 1, 1 };
	struct rig *r = rig_new("127.0.0.1");
	struct pue *u = r->ue;
	const struct ps_member *m;
	unsigned int i;

	ue_open(r, "127.0.0.1", "sip:alice@mcpx.test", 0xa1, 1);
	ue_open(r, "127.0.0.1", "sip:bob@mcpx.test", 0xb2, 1);
	ue_open(r, "127.0.0.1", "sip:carol@mcpx.test", 0xc3, 1);
	ue_open(r, "127.0.0.1", "sip:dave@mcpx.test", 0xd4, 1);
	ue_open(r, "127.0.0.1", "sip:erin@mcpx.test", 0xe5, 1);
	cr_assert_eq(ps_config_group(r->ps, "g1=0,0", NULL, 0), 0);
	cr_assert_eq(ps_config_group(r->ps, "p1=0,0,private", NULL, 0), 0);
	for (i = A; i <= C; i++)
		add_member(r, "g1", i, "127.0.0.1");
	add_member(r, "p1", D, "127.0.0.1");
	add_member(r, "p1", E, "127.0.0.1");
	start(r, "127.0.0.1", group_of);

	/* 1. request -> granted; the others see taken (who and which SSRC) */
	user(&u[A], FC_CLI_EV_PTT_PRESS);
	WAIT_UNTIL(r, u[A].cli.state == FC_CLI_HAS_PERMISSION &&
		      u[B].cli.state == FC_CLI_TAKEN && u[C].cli.state == FC_CLI_TAKEN);
	cr_assert_str_eq(u[B].cli.talker.s, "sip:alice@mcpx.test");
	cr_assert_eq(u[C].cli.talker_ssrc, 0xa1u);

	/* 2. the talker's media reaches every other member, not itself */
	send_rtp(&u[A], 5);
	WAIT_UNTIL(r, u[B].rtp_in == 5 && u[C].rtp_in == 5);
	cr_assert_eq(u[B].last_rtp_ssrc, 0xa1u);

	/* 3. busy: queued (queue of 1), then 4. deny for the next (queue full) */
	user(&u[B], FC_CLI_EV_PTT_PRESS);
	WAIT_UNTIL(r, u[B].cli.state == FC_CLI_QUEUED);
	cr_assert_eq(u[B].cli.queue_pos, 1);
	user(&u[C], FC_CLI_EV_PTT_PRESS);
	WAIT_UNTIL(r, u[C].notes[FC_NOTE_DENIED] == 1 && u[C].cli.state == FC_CLI_TAKEN);
	cr_assert_eq(u[C].last_cause, FC_DENY_QUEUE_FULL);

	/* 5. queue position request -> queue position info */
	user(&u[B], FC_CLI_EV_QUEUE_QUERY);
	WAIT_UNTIL(r, u[B].floor_in_type[FC_T_QUEUE_POS_INFO] == 2);
	cr_assert_eq(u[B].cli.state, FC_CLI_QUEUED);

	/* 6. release -> the queued member is granted; the releaser sees taken */
	user(&u[A], FC_CLI_EV_PTT_RELEASE);
	WAIT_UNTIL(r, u[B].cli.state == FC_CLI_HAS_PERMISSION &&
		      u[A].cli.state == FC_CLI_TAKEN && u[A].notes[FC_NOTE_RELEASED] == 1 &&
		      u[C].cli.talker_ssrc == 0xb2u);

	/* 7. the new talker's media */
	send_rtp(&u[B], 3);
	WAIT_UNTIL(r, u[A].rtp_in == 3 && u[C].rtp_in == 8);

	/* 8. pre-emption: a priority-250 request revokes the talker */
	u[C].cli.cfg.priority = 250;
	user(&u[C], FC_CLI_EV_PTT_PRESS);
	WAIT_UNTIL(r, u[C].cli.state == FC_CLI_HAS_PERMISSION &&
		      u[B].cli.state == FC_CLI_TAKEN && u[A].cli.talker_ssrc == 0xc3u);
	cr_assert_eq(u[B].notes[FC_NOTE_REVOKED], 1);
	cr_assert_eq(u[C].notes[FC_NOTE_QUEUED], 1, "queued at the head first");

	send_rtp(&u[C], 2);
	WAIT_UNTIL(r, u[A].rtp_in == 5 && u[B].rtp_in == 7);

	/* 9. release with nobody queued -> idle everywhere */
	user(&u[C], FC_CLI_EV_PTT_RELEASE);
	WAIT_UNTIL(r, u[A].cli.state == FC_CLI_IDLE && u[B].cli.state == FC_CLI_IDLE &&
		      u[C].cli.state == FC_CLI_IDLE);

	/* 10. private call: media both ways, no floor needed */
	send_rtp(&u[D], 4);
	send_rtp(&u[E], 6);
	WAIT_UNTIL(r, u[E].rtp_in == 4 && u[D].rtp_in == 6);

	/* every x message got its Ack before we stop */
	WAIT_UNTIL(r, u[A].cli.n_acks == u[A].floor_in_type[FC_T_TAKEN] +
					    u[A].floor_in_type[FC_T_GRANTED] +
					    u[A].floor_in_type[FC_T_IDLE]);
	stop(r);

	cr_assert(ps_clean(r->ps), "server saw bad input");
	check_both_ends(r, 0, A);
	check_both_ends(r, 1, D);
	m = r->ps->group[0].member;
	cr_expect_eq(m[A].st.floor_out_type[FC_T_GRANTED], 1);
	cr_expect_eq(m[A].st.floor_out_type[FC_T_TAKEN], 2);
	cr_expect_eq(m[A].st.floor_out_type[FC_T_IDLE], 1);
	cr_expect_eq(m[B].st.floor_out_type[FC_T_REVOKE], 1);
	cr_expect_eq(m[B].st.floor_out_type[FC_T_QUEUE_POS_INFO], 2);
	cr_expect_eq(m[C].st.floor_out_type[FC_T_DENY], 1);
	cr_expect_eq(m[C].st.floor_in_type[FC_T_REQUEST], 2);
	cr_expect_gt(m[C].st.floor_in_type[FC_T_ACK], 0);
	cr_expect_eq(m[A].st.rtp_in, 5);
	cr_expect_eq(m[B].st.rtp_out, 7);
	cr_expect_eq(m[C].st.rtp_out, 8);
	cr_expect_eq(r->ps->group[0].fsm.state, FC_SRV_IDLE);
	rig_free(r);
}

Test(sim_plain_server, request_grant_media_release_ipv6)
{
	static const unsigned int group_of[] = { 0, 0 };
	struct rig *r = rig_new("::1");
	struct pue *u = r->ue;

	ue_open(r, "::1", "sip:v6a@mcpx.test", 0x61, 1);
	ue_open(r, "::1", "sip:v6b@mcpx.test", 0x62, 1);
	cr_assert_eq(ps_config_group(r->ps, "g6=0,0", NULL, 0), 0);
	add_member(r, "g6", A, "::1");
	add_member(r, "g6", B, "::1");
	start(r, "::1", group_of);

	user(&u[B], FC_CLI_EV_PTT_PRESS);
	WAIT_UNTIL(r, u[B].cli.state == FC_CLI_HAS_PERMISSION && u[A].cli.state == FC_CLI_TAKEN);
	send_rtp(&u[B], 10);
	WAIT_UNTIL(r, u[A].rtp_in == 10);
	user(&u[B], FC_CLI_EV_PTT_RELEASE);
	WAIT_UNTIL(r, u[A].cli.state == FC_CLI_IDLE && u[B].cli.state == FC_CLI_IDLE);
	WAIT_UNTIL(r, u[A].cli.n_acks == 2 && u[B].cli.n_acks == 2);
	stop(r);
	cr_assert(ps_clean(r->ps));
	check_both_ends(r, 0, A);
	rig_free(r);
}

/* Raw datagrams from a client's sockets, for the bad-input test. */
static void
raw_send(int fd, const struct sockaddr_storage *to, socklen_t len, const void *p, size_t n)
{
	cr_assert_eq(sendto(fd, p, n, 0, (const struct sockaddr *)to, len), (ssize_t)n);
}

Test(sim_plain_server, bad_input_counted_and_unclean)
{
	static const unsigned int group_of[] = { 0, 0, 0 };
	static const uint8_t not_mcpt[16] = { 0x81, 0xcc, 0x00, 0x03, 0, 0, 0, 1,
					      'M', 'C', 'P', 'C', 1, 2, 0, 30 };
	static const uint8_t not_rtp[12] = { 0x40 };
	struct rig *r = rig_new("127.0.0.1");
	struct pue *u = r->ue;
	const struct ps_stats *sa;
	struct fc_msg granted;
	uint8_t buf[64];
	size_t len;

	ue_open(r, "127.0.0.1", "sip:a@mcpx.test", 1, 1);
	ue_open(r, "127.0.0.1", "sip:b@mcpx.test", 2, 1);
	ue_open(r, "127.0.0.1", "sip:stranger@mcpx.test", 3, 1);
	cr_assert_eq(ps_config_group(r->ps, "g=0,0", NULL, 0), 0);
	add_member(r, "g", A, "127.0.0.1");
	add_member(r, "g", B, "127.0.0.1");	/* C is not a member */
	start(r, "127.0.0.1", group_of);

	raw_send(u[A].floor_fd, &u[A].srv_floor, u[A].srv_len, not_mcpt, sizeof(not_mcpt));
	fc_msg_init(&granted, FC_T_GRANTED, false, 1);
	cr_assert_eq(fc_encode(&granted, buf, sizeof(buf), &len), 0);
	raw_send(u[A].floor_fd, &u[A].srv_floor, u[A].srv_len, buf, len);
	raw_send(u[A].media_fd, &u[A].srv_media, u[A].srv_len, not_rtp, sizeof(not_rtp));
	send_rtp(&u[B], 1);			/* media without the floor */
	send_rtp(&u[C], 1);			/* from an unknown address */
	stop(r);

	cr_assert_not(ps_clean(r->ps));
	sa = &r->ps->group[0].member[A].st;
	cr_expect_eq(sa->drops[PS_DROP_MALFORMED_FLOOR], 1);
	cr_expect_eq(sa->decode_err[FC_E_NAME], 1);
	cr_expect_eq(sa->drops[PS_DROP_UNEXPECTED_FLOOR], 1);
	cr_expect_eq(sa->floor_in_type[FC_T_GRANTED], 1);
	cr_expect_eq(sa->drops[PS_DROP_MALFORMED_MEDIA], 1);
	cr_expect_eq(r->ps->group[0].member[B].st.drops[PS_DROP_NOT_TALKER], 1);
	cr_expect_eq(r->ps->group[0].other.drops[PS_DROP_UNKNOWN_SOURCE], 1);
	cr_expect_eq(r->ps->group[0].member[A].st.rtp_out, 0, "nothing forwarded");
	rig_free(r);
}

Test(sim_plain_server, config_errors)
{
	struct ps_server *ps = malloc(sizeof(*ps));
	char err[256], path[] = "/tmp/mcpx-ps-conf-XXXXXX";
	FILE *f;
	int fd;

	cr_assert_not_null(ps);
	ps_init(ps);
	cr_expect_eq(ps_config_listen(ps, "localhost", err, sizeof(err)), -FC_E_ARG);
	cr_expect_eq(ps_config_group(ps, "g", err, sizeof(err)), -FC_E_ARG);
	cr_expect_eq(ps_config_group(ps, "g=1,2,3", err, sizeof(err)), -FC_E_ARG);
	cr_expect_eq(ps_config_group(ps, "g=1,70000", err, sizeof(err)), -FC_E_ARG);
	cr_expect_eq(ps_config_member(ps, "nog/x=127.0.0.1:1,2", err, sizeof(err)),
		     -FC_E_NOTFOUND);
	cr_assert_eq(ps_config_group(ps, "g=0,0", err, sizeof(err)), 0);
	cr_expect_eq(ps_config_member(ps, "g/x=127.0.0.1:1", err, sizeof(err)), -FC_E_ARG);
	cr_expect_eq(ps_config_member(ps, "g/x=::1:1,2", err, sizeof(err)), -FC_E_ARG,
		     "IPv6 needs brackets");
	cr_expect_eq(ps_config_member(ps, "g/x=[::1]:1,2", err, sizeof(err)), 0);
	cr_expect_eq(ps_config_member(ps, "g/=127.0.0.1:1,2", err, sizeof(err)), -FC_E_ARG);
	cr_expect_eq(ps_config_member(ps, "g/x=127.0.0.1:5,6", err, sizeof(err)), -FC_E_ARG,
		     "duplicate name");
	cr_expect_eq(ps_config_member(ps, "g/y=[::1]:1,7", err, sizeof(err)), -FC_E_ARG,
		     "duplicate media address");
	cr_expect_eq(ps_open(ps, err, sizeof(err)), 0, "%s", err);
	ps_close(ps);

	ps_init(ps);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	fprintf(f, "# a lab\nlisten 127.0.0.1\ngroup p=0,0,private\n"
		   "member p/a=127.0.0.1:4000,4001   # first\nmember p/b=127.0.0.1:4002,4003\n");
	fclose(f);
	cr_expect_eq(ps_config_file(ps, path, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(ps->group[0].n_members, 2);
	cr_expect(ps->group[0].private_call);
	cr_expect_eq(ps_open(ps, err, sizeof(err)), 0, "%s", err);
	ps_close(ps);
	f = fopen(path, "a");
	fprintf(f, "bogus line\n");
	fclose(f);
	ps_init(ps);
	cr_expect_eq(ps_config_file(ps, path, err, sizeof(err)), -FC_E_ARG);
	cr_expect(strstr(err, "line 6") != NULL, "%s", err);
	unlink(path);

	ps_init(ps);
	cr_assert_eq(ps_config_group(ps, "p=0,0,private", err, sizeof(err)), 0);
	cr_expect_eq(ps_open(ps, err, sizeof(err)), -FC_E_ARG, "private call of 0 members");
	free(ps);
}

/* --- the program: --json and the exit codes --------------------------------- */

static uint16_t
free_udp_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, len), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* Run the program for one second; optionally send it junk meanwhile. */
static int
run_program(bool junk, json_t **report)
{
	const char *exe = getenv("MCPX_PLAIN_SERVER");
	char group[64], member[128], out[] = "/tmp/mcpx-ps-out-XXXXXX";
	struct fc_cli_cfg cfg = { .ssrc = 7 };
	uint16_t mp = free_udp_port(), fp = free_udp_port(), ump, ufp;
	json_error_t jerr;
	struct pue ue;
	pid_t pid;
	int st, fd, i;

	cr_assert_not_null(exe, "MCPX_PLAIN_SERVER not set (meson sets it)");
	cr_assert_eq(pue_open(&ue, "127.0.0.1", &cfg), 0);
	pue_local_ports(&ue, &ump, &ufp);
	cr_assert_eq(pue_set_server(&ue, "127.0.0.1", mp, fp), 0);
	snprintf(group, sizeof(group), "g=%u,%u", mp, fp);
	snprintf(member, sizeof(member), "g/sip:u@mcpx.test=127.0.0.1:%u,%u", ump, ufp);
	fd = mkstemp(out);
	cr_assert_geq(fd, 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fd, 1);
		execl(exe, exe, "--listen", "127.0.0.1", "--group", group, "--member", member,
		      "--duration", "1", "--json", (char *)NULL);
		_exit(127);
	}
	for (i = 0; junk && i < 25; i++) {	/* during the first half second */
		(void)sendto(ue.floor_fd, "junk", 4, 0, (struct sockaddr *)&ue.srv_floor,
			     ue.srv_len);
		usleep(20000);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	pue_close(&ue);
	*report = json_load_file(out, 0, &jerr);
	cr_assert_not_null(*report, "report is not JSON: %s", jerr.text);
	close(fd);
	unlink(out);
	cr_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

Test(sim_plain_server, program_exit_codes_and_json)
{
	json_t *rep, *mb;

	cr_assert_eq(run_program(false, &rep), 0);
	cr_assert(json_is_true(json_object_get(rep, "clean")));
	mb = json_array_get(json_object_get(json_array_get(json_object_get(rep, "groups"), 0),
					    "members"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(mb, "name")), "sip:u@mcpx.test");
	json_decref(rep);

	cr_assert_eq(run_program(true, &rep), 3);
	cr_assert(json_is_false(json_object_get(rep, "clean")));
	mb = json_object_get(json_object_get(rep, "totals"), "drops");
	cr_assert_gt(json_integer_value(json_object_get(mb, "MALFORMED_FLOOR")), 0);
	mb = json_object_get(json_object_get(rep, "totals"), "decode_errors");
	cr_assert_gt(json_integer_value(json_object_get(mb, "VERSION")), 0);
	json_decref(rep);
}
