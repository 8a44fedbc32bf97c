/* SPDX-License-Identifier: proprietary */
/* mcpx-plain-server: options, signals, the exit report and the exit code. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plain_server.h"
#include "plain_server_report.h"

enum {
	EXIT_CLEAN = 0,
	EXIT_USAGE = 1,
	EXIT_RUNTIME = 2,
	EXIT_BAD_INPUT = 3,
};

static atomic_int stop_flag;
static struct ps_server server;	/* large: not on the stack */

static void
on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop_flag, 1);
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: mcpx-plain-server [options]\n"
"A non-e2e MCPTT server stand-in on UDP: per group a media (RTP) port and a\n"
"floor (RTCP APP \"MCPT\", TS 24.380) port; one talker at a time per group.\n"
"\n"
"  --listen ADDR        bind on ADDR (IPv4 or IPv6 literal; up to 2;\n"
"                       default 127.0.0.1 and ::1)\n"
"  --group NAME=MEDIA,FLOOR[,private]\n"
"                       a group (or a private call of exactly 2 members:\n"
"                       media relayed both ways whoever holds the floor)\n"
"  --member GROUP/NAME=ADDR:MEDIA,FLOOR\n"
"                       a member and the ports it sends from and receives on;\n"
"                       IPv6 as [ADDR]:MEDIA,FLOOR; NAME is its MCPTT ID\n"
"  --config FILE        lines \"listen ADDR\", \"group SPEC\", \"member SPEC\"; # comments\n"
"  --duration SECONDS   stop after this long (default: at SIGINT or SIGTERM)\n"
"  --queue N            queue up to N floor requests per group (default 4;\n"
"                       0 = Floor Deny while the floor is taken)\n"
"  --max-talk SECONDS   Duration granted; Floor Revoke when it runs out (default 0: none)\n"
"  --preempt PRIO       a request with Floor Priority >= PRIO (1..255) pre-empts a\n"
"                       lower-priority talker (default: never)\n"
"  --ack                set the acknowledgement bit on Granted/Taken/Deny/Idle/Queue Info\n"
"  --json               at exit, print one JSON object instead of the text report\n"
"  --help               this text\n"
"\n"
"Exit codes:\n"
"  0  ran and saw no malformed or unexpected input\n"
"  1  usage or configuration error\n"
"  2  runtime error (socket, bind)\n"
"  3  ran, but saw malformed or unexpected input (undecodable floor packets,\n"
"     floor messages out of state, non-RTP media, media from a member without\n"
"     the floor, packets from unknown addresses); the report says which\n");
}

static bool
parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	*v = strtoul(s, &end, 10);
	return *s != '\0' && *end == '\0' && *v <= max;
}

static int
bad(char *err, size_t len, const char *msg)
{
	snprintf(err, len, "%s", msg);
	return -1;
}

static int
parse_args(int argc, char **argv, bool *json, unsigned long *duration_s)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "group", required_argument, NULL, 'g' },
		{ "member", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "queue", required_argument, NULL, 'q' },
		{ "max-talk", required_argument, NULL, 't' },
		{ "preempt", required_argument, NULL, 'p' },
		{ "ack", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[512] = "";
	unsigned long v;
	int c, rc = 0;

	while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': rc = ps_config_listen(&server, optarg, err, sizeof(err)); break;
		case 'g': rc = ps_config_group(&server, optarg, err, sizeof(err)); break;
		case 'm': rc = ps_config_member(&server, optarg, err, sizeof(err)); break;
		case 'c': rc = ps_config_file(&server, optarg, err, sizeof(err)); break;
		case 'a': server.floor_cfg.ack_req = true; break;
		case 'j': *json = true; break;
		case 'h': usage(stdout); exit(EXIT_CLEAN);
		case 'd':
			if (!parse_uint(optarg, 86400 * 365, duration_s) || *duration_s == 0)
				rc = bad(err, sizeof(err), "--duration: 1 second or more");
			break;
		case 'q':
			if (!parse_uint(optarg, FC_SRV_QUEUE_MAX, &v))
				rc = bad(err, sizeof(err), "--queue: 0..16");
			server.floor_cfg.queue_max = (uint8_t)v;
			break;
		case 't':
			if (!parse_uint(optarg, 65535, &v))
				rc = bad(err, sizeof(err), "--max-talk: 0..65535");
			server.floor_cfg.duration_s = (uint16_t)v;
			break;
		case 'p':
			if (!parse_uint(optarg, 255, &v) || v == 0)
				rc = bad(err, sizeof(err), "--preempt: 1..255");
			server.floor_cfg.preempt_priority = (uint8_t)v;
			break;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (rc == 0 && optind < argc) {
		rc = -1;
		snprintf(err, sizeof(err), "unexpected argument \"%s\"", argv[optind]);
	}
	if (rc != 0)
		fprintf(stderr, "mcpx-plain-server: %s\n", err);
	return rc;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	unsigned long duration_s = 0;
	bool json = false;
	char err[512] = "";
	int rc;

	ps_init(&server);
	if (parse_args(argc, argv, &json, &duration_s) != 0)
		return EXIT_USAGE;
	rc = ps_open(&server, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "mcpx-plain-server: %s\n", err);
		return rc == -FC_E_FULL ? EXIT_RUNTIME : EXIT_USAGE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (ps_run(&server, 1000ull * duration_s, &stop_flag) < 0) {
		ps_close(&server);
		return EXIT_RUNTIME;
	}
	if (json)
		ps_report_json(&server, stdout);
	else
		ps_report_text(&server, stdout);
	fflush(stdout);
	ps_close(&server);
	return ps_clean(&server) ? EXIT_CLEAN : EXIT_BAD_INPUT;
}
