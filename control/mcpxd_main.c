/* SPDX-License-Identifier: proprietary */
/*
 * mcpxd: the appliance. EAL arguments, then "--", then mcpxd's own:
 *
 *   mcpxd -l 0-1 --vdev=net_ring0 --vdev=net_ring1 -- --pair 0:1 --streams s.json
 *
 * Streams come from --streams FILE at start and from control.sock while it
 * runs (docs/control-protocol.md; mcpxctl is its client).
 * docs/deployment.md is the guide (NICs, hugepages, cores, pcap mode, counters).
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sodium.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "ctl_keys.h"
#include "ctl_marks.h"
#include "ctl_ops.h"
#include "ctl_server.h"
#include "dp.h"
#include "mcpxd_streams.h"

static struct dp *the_dp;
static volatile sig_atomic_t stop_signal;

struct opts {
	struct dp_config cfg;
	const char *streams;
	const char *control;		/* NULL: the default; "none": no socket */
	struct ctl_server_cfg ctl;
	const char *key_store, *key_pass_file, *key_file;
	uint32_t exit_on_idle_ms;
	uint32_t stats_s;
	const char *state_dir;		/* NULL: the default, best effort; "none": memory */
	uint64_t index_ahead;
	bool quiet;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: mcpxd [EAL options] -- [options]\n"
		"\n"
		"  --pair S:P              a port pair: ethdev ids of the secure side (SRTP,\n"
		"                          toward the clients) and the plain side (toward the\n"
		"                          server); repeat for more pairs (at most %u).\n"
		"                          Default: 0:1\n"
		"  --workers N             worker lcores (the first N EAL worker lcores). 1\n"
		"  --backend NAME          SRTP backend: native (where the CPU has it) or libsrtp\n"
		"  --streams FILE          install the keys and streams of FILE (JSON; its MIKEY\n"
		"                          entries need --key-store)\n"
		"  --control PATH          the control socket (none: no socket).\n"
		"                          Default: " CTL_SOCK_DEFAULT "\n"
		"  --control-uid UID, --control-gid GID  who may use it (name or number).\n"
		"                          Default: mcpxd's own uid\n"
		"  --key-store FILE        our identities and trusted KMSs, for mikey.install\n"
		"  --key-store-passphrase-file F, --key-store-key-file F  its sealing secret\n"
		"  --state-dir DIR         restart safety: where protect streams' index marks\n"
		"                          are kept (none: in memory, unsafe across restarts).\n"
		"                          Default: " CTL_MARKS_DIR_DEFAULT "\n"
		"  --index-ahead N         how far an index limit runs ahead of use, synced\n"
		"                          to disk first (2..2^30). 1048576\n"
		"  --mbufs N               mbufs in the pool (0: sized from queues and rings)\n"
		"  --rx-desc N, --tx-desc N  descriptors per queue. 1024\n"
		"  --max-streams N         stream contexts. 4096\n"
		"  --max-keys N            known keys. 1024\n"
		"  --max-streams-per-key N streams one key id may have (forged-MKI bound). 256\n"
		"  --punt-rate N           slow-path packets per second, in all. 1000\n"
		"  --punt-ring N           slow-path ring size. 1024\n"
		"  --copy-cache N          copy-cache slots (streams with several members). 1024\n"
		"  --other pass|drop       non-UDP frames (ARP, TCP, ...). pass\n"
		"  --unmatched pass|drop   UDP off the media ports (SIP, ...). pass\n"
		"  --frag pass|drop        IP fragments. drop\n"
		"  --exit-on-idle MS       exit once no packet came in for MS ms (pcap mode)\n"
		"  --idle-sleep-us N       sleep N us when a worker loop found nothing. 0\n"
		"  --stats S               print the counters every S seconds\n"
		"  --quiet                 no counter summary at exit\n"
		"  --config FILE           options from FILE first, one per line: 'name value'\n"
		"                          (the long option without --), '#' comments; the\n"
		"                          command line then adds to or overrides them\n"
		"  --help                  this text\n",
		DP_MAX_PAIRS);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop_signal = 1;
	if (the_dp != NULL)
		dp_request_stop(the_dp);
}

/* EAL's own --help (before any "--") prints this too. */
static void
usage_hook(const char *prgname)
{
	(void)prgname;
	usage(stdout);
}

static int
num(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	if (!ctl_number_parse(s, max, out)) {
		fprintf(stderr, "mcpxd: --%s: bad value '%s' (0..%" PRIu64
			", decimal or 0x-hexadecimal)\n", opt, s, max);
		return -1;
	}
	return 0;
}

static int
num32(const char *opt, const char *s, uint64_t max, uint32_t *out)
{
	uint64_t v;

	if (num(opt, s, max, &v) != 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
policy(const char *opt, const char *s, enum dp_policy *out)
{
	if (strcmp(s, "pass") == 0)
		*out = DP_POLICY_PASS;
	else if (strcmp(s, "drop") == 0)
		*out = DP_POLICY_DROP;
	else {
		fprintf(stderr, "mcpxd: --%s: bad value '%s' (pass or drop)\n", opt, s);
		return -1;
	}
	return 0;
}

static int
pair(const char *s, struct dp_config *c)
{
	unsigned int a, b;
	char tail;

	if (c->n_pairs == DP_MAX_PAIRS || sscanf(s, "%u:%u%c", &a, &b, &tail) != 2 ||
	    a >= RTE_MAX_ETHPORTS || b >= RTE_MAX_ETHPORTS || a == b) {
		fprintf(stderr, "mcpxd: --pair: bad value '%s' (S:P, two different port ids)\n", s);
		return -1;
	}
	c->pairs[c->n_pairs].secure = (uint16_t)a;
	c->pairs[c->n_pairs].plain = (uint16_t)b;
	c->n_pairs++;
	return 0;
}

static int
uid_parse(const char *s, uid_t *out)
{
	struct passwd *pw = getpwnam(s);
	uint64_t v;

	if (pw != NULL) {
		*out = pw->pw_uid;
		return 0;
	}
	if (num("control-uid", s, UINT32_MAX - 1, &v) != 0)
		return -1;
	*out = (uid_t)v;
	return 0;
}

static int
gid_parse(const char *s, gid_t *out)
{
	struct group *gr = getgrnam(s);
	uint64_t v;

	if (gr != NULL) {
		*out = gr->gr_gid;
		return 0;
	}
	if (num("control-gid", s, UINT32_MAX - 1, &v) != 0)
		return -1;
	*out = (gid_t)v;
	return 0;
}

enum {
	O_PAIR = 256, O_WORKERS, O_BACKEND, O_STREAMS, O_MBUFS, O_RXD, O_TXD, O_MAXS, O_MAXK,
	O_MAXSK, O_PRATE, O_PRING, O_COPY, O_OTHER, O_UNM, O_FRAG, O_IDLE, O_SLEEP, O_STATS,
	O_QUIET, O_HELP, O_CTL, O_CTL_UID, O_CTL_GID, O_KS, O_KS_PASS, O_KS_KEY,
	O_STATE, O_AHEAD, O_CONFIG,
};

static const struct option long_opts[] = {
	{"pair", required_argument, NULL, O_PAIR},
	{"workers", required_argument, NULL, O_WORKERS},
	{"backend", required_argument, NULL, O_BACKEND},
	{"streams", required_argument, NULL, O_STREAMS},
	{"mbufs", required_argument, NULL, O_MBUFS},
	{"rx-desc", required_argument, NULL, O_RXD},
	{"tx-desc", required_argument, NULL, O_TXD},
	{"max-streams", required_argument, NULL, O_MAXS},
	{"max-keys", required_argument, NULL, O_MAXK},
	{"max-streams-per-key", required_argument, NULL, O_MAXSK},
	{"punt-rate", required_argument, NULL, O_PRATE},
	{"punt-ring", required_argument, NULL, O_PRING},
	{"copy-cache", required_argument, NULL, O_COPY},
	{"other", required_argument, NULL, O_OTHER},
	{"unmatched", required_argument, NULL, O_UNM},
	{"frag", required_argument, NULL, O_FRAG},
	{"exit-on-idle", required_argument, NULL, O_IDLE},
	{"idle-sleep-us", required_argument, NULL, O_SLEEP},
	{"stats", required_argument, NULL, O_STATS},
	{"quiet", no_argument, NULL, O_QUIET},
	{"help", no_argument, NULL, O_HELP},
	{"control", required_argument, NULL, O_CTL},
	{"control-uid", required_argument, NULL, O_CTL_UID},
	{"control-gid", required_argument, NULL, O_CTL_GID},
	{"key-store", required_argument, NULL, O_KS},
	{"key-store-passphrase-file", required_argument, NULL, O_KS_PASS},
	{"key-store-key-file", required_argument, NULL, O_KS_KEY},
	{"state-dir", required_argument, NULL, O_STATE},
	{"index-ahead", required_argument, NULL, O_AHEAD},
	{"config", required_argument, NULL, O_CONFIG},
	{NULL, 0, NULL, 0},
};

static int
opts_apply(int argc, char **argv, struct opts *o);

/*
 * --config FILE: each line 'name [value]' is the long option --name with its
 * value ('#' starts a comment; blank lines are fine), applied before the
 * command line. A line that is not an option, or a bad value, is an error
 * naming the file and line. The values are kept for the life of the process
 * (options keep pointers to them). 0, or -1 (reported).
 */
static char *config_values[512];	/* reachable for the life of the process */
static unsigned int n_config_values;

static int
config_file(int argc, char **argv, struct opts *o)
{
	const char *path = NULL;
	char line[1024];
	unsigned int no = 0;
	FILE *f;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
	}
	if (path == NULL)
		return 0;
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "mcpxd: --config %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *name, *value, *hash, *end, opt[96];
		char *args[4];
		int n = 2;

		no++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			fprintf(stderr, "mcpxd: %s line %u: longer than %zu characters\n", path, no,
				sizeof(line) - 2);
			rc = -1;
			break;
		}
		hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		name = line + strspn(line, " \t\r\n");
		if (*name == '\0')
			continue;
		end = name + strcspn(name, " \t\r\n");
		value = end + strspn(end, " \t\r\n");
		*end = '\0';
		value[strcspn(value, "\r\n")] = '\0';
		while (*value != '\0' && strchr(" \t", value[strlen(value) - 1]) != NULL)
			value[strlen(value) - 1] = '\0';
		if (strcmp(name, "config") == 0 || strcmp(name, "help") == 0 ||
		    strlen(name) > sizeof(opt) - 3) {
			fprintf(stderr, "mcpxd: %s line %u: '%s' is not an option a file may give\n",
				path, no, name);
			rc = -1;
			break;
		}
		snprintf(opt, sizeof(opt), "--%s", name);
		args[0] = argv[0];
		args[1] = strdup(opt);
		args[2] = NULL;
		if (*value != '\0')
			args[n++] = strdup(value);
		args[n] = NULL;
		if (n == 3 && args[2] != NULL) {
			if (n_config_values == sizeof(config_values) / sizeof(config_values[0])) {
				fprintf(stderr, "mcpxd: %s: more than %zu options\n", path,
					sizeof(config_values) / sizeof(config_values[0]));
				free(args[1]);
				free(args[2]);
				rc = -1;
				break;
			}
			config_values[n_config_values++] = args[2];
		}
		if (args[1] == NULL || (n == 3 && args[2] == NULL)) {
			fprintf(stderr, "mcpxd: out of memory reading %s\n", path);
			free(args[1]);
			rc = -1;
			break;
		}
		rc = opts_apply(n, args, o);
		free(args[1]);
		if (rc != 0)
			fprintf(stderr, "mcpxd: (in %s line %u)\n", path, no);
	}
	fclose(f);
	return rc < 0 ? -1 : rc;
}

/* 0: go on; 1: --help given; -1: a bad option (already reported). */
static int
opts_parse(int argc, char **argv, struct opts *o)
{
	int rc;

	dp_config_default(&o->cfg);
	/* The fast engine where the CPU has it; it can also resume an SRTCP index after a restart. */
	if (dp_srtp_backend_available(DP_SRTP_BACKEND_NATIVE))
		o->cfg.backend = DP_SRTP_BACKEND_NATIVE;
	o->ctl.uid = getuid();
	rc = config_file(argc, argv, o);
	if (rc != 0)
		return rc;
	rc = opts_apply(argc, argv, o);
	if (rc == 0 && o->cfg.punt_rate != 0 && o->cfg.punt_rate < o->cfg.n_workers) {
		/* Each worker gets its share of the rate: none may get nothing. */
		fprintf(stderr, "mcpxd: --punt-rate: %u is below --workers %u (at least 1 a worker)\n",
			o->cfg.punt_rate, o->cfg.n_workers);
		rc = -1;
	}
	if (rc == 0 && o->cfg.n_pairs == 0) {
		o->cfg.n_pairs = 1;
		o->cfg.pairs[0] = (struct dp_port_pair){.secure = 0, .plain = 1};
	}
	return rc;
}

/* Apply the options of |argv|; 0 go on, 1 --help, -1 a bad one (reported). */
static int
opts_apply(int argc, char **argv, struct opts *o)
{
	const struct option *lo;
	uint64_t v;
	int c, rc = 0;

	optind = 0;	/* glibc: a full reset, so a second getopt pass starts clean */
	while (rc == 0 && (c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		const char *name = "?";

		for (lo = long_opts; lo->name != NULL; lo++)
			if (lo->val == c)
				name = lo->name;
		switch (c) {
		case O_PAIR: rc = pair(optarg, &o->cfg); break;
		case O_WORKERS:
			rc = num(name, optarg, DP_MAX_WORKERS, &v);
			o->cfg.n_workers = (unsigned int)v;
			if (rc == 0 && v == 0) {
				fprintf(stderr, "mcpxd: --workers: bad value '%s' (1..%u)\n",
					optarg, DP_MAX_WORKERS);
				rc = -1;
			}
			break;
		case O_BACKEND:
			c = dp_srtp_backend_from_name(optarg);
			if (c < 0 || !dp_srtp_backend_available((unsigned int)c)) {
				fprintf(stderr, "mcpxd: --backend: bad value '%s' (libsrtp%s)\n",
					optarg, dp_srtp_backend_available(DP_SRTP_BACKEND_NATIVE)
							? " or native" : "; native is not built");
				rc = -1;
			} else {
				o->cfg.backend = (unsigned int)c;
			}
			break;
		case O_STREAMS: o->streams = optarg; break;
		case O_MBUFS:
			rc = num32(name, optarg, 1u << 28, &o->cfg.n_mbufs);
			break;
		case O_RXD:
			rc = num(name, optarg, 16384, &v);
			o->cfg.rx_desc = (uint16_t)v;
			break;
		case O_TXD:
			rc = num(name, optarg, 16384, &v);
			o->cfg.tx_desc = (uint16_t)v;
			break;
		case O_MAXS:
			rc = num32(name, optarg, DP_MAX_STREAMS, &o->cfg.max_streams);
			break;
		case O_MAXK:
			rc = num32(name, optarg, 1u << 20, &o->cfg.max_keys);
			break;
		case O_MAXSK:
			rc = num32(name, optarg, UINT32_MAX, &o->cfg.max_streams_per_key);
			break;
		case O_PRATE:
			rc = num32(name, optarg, UINT32_MAX, &o->cfg.punt_rate);
			if (rc == 0 && o->cfg.punt_rate == 0) {
				fprintf(stderr, "mcpxd: --punt-rate: bad value '%s' (at least 1 a worker)\n",
					optarg);
				rc = -1;
			}
			break;
		case O_PRING:
			rc = num32(name, optarg, 1u << 20, &o->cfg.punt_ring_size);
			break;
		case O_COPY:
			rc = num32(name, optarg, 1u << 24, &o->cfg.copy_cache);
			break;
		case O_OTHER: rc = policy(name, optarg, &o->cfg.other); break;
		case O_UNM: rc = policy(name, optarg, &o->cfg.unmatched); break;
		case O_FRAG: rc = policy(name, optarg, &o->cfg.frag); break;
		case O_IDLE:
			rc = num32(name, optarg, 86400000, &o->exit_on_idle_ms);
			break;
		case O_SLEEP:
			rc = num32(name, optarg, 100000, &o->cfg.idle_sleep_us);
			break;
		case O_STATS:
			rc = num32(name, optarg, 86400, &o->stats_s);
			break;
		case O_QUIET: o->quiet = true; break;
		case O_HELP: usage(stdout); return 1;
		case O_CONFIG: break;	/* read first, by config_file() */
		case O_CTL: o->control = optarg; break;
		case O_CTL_UID: rc = uid_parse(optarg, &o->ctl.uid); break;
		case O_CTL_GID:
			rc = gid_parse(optarg, &o->ctl.gid);
			o->ctl.gid_set = true;
			break;
		case O_KS: o->key_store = optarg; break;
		case O_KS_PASS: o->key_pass_file = optarg; break;
		case O_KS_KEY: o->key_file = optarg; break;
		case O_STATE: o->state_dir = optarg; break;
		case O_AHEAD:
			rc = num(name, optarg, 1u << 30, &o->index_ahead);
			if (rc == 0 && o->index_ahead < 2) {
				fprintf(stderr, "mcpxd: --index-ahead: bad value '%s' (2..%u)\n",
					optarg, 1u << 30);
				rc = -1;
			}
			break;
		default:
			fprintf(stderr, "mcpxd: unknown option (see --help)\n");
			return -1;
		}
	}
	if (rc == 0 && optind < argc) {
		fprintf(stderr, "mcpxd: unexpected argument '%s'\n", argv[optind]);
		rc = -1;
	}
	return rc;
}

static void
print_counters(struct dp *dp)
{
	struct dp_worker_counters t;
	struct dp_port_counters pc;
	unsigned int p, v;

	dp_counters_total(dp, &t);
	printf("mcpxd: rx %" PRIu64 " streams %u handoff %" PRIu64 " punt_full %" PRIu64
	       " punt_limited %" PRIu64 " copies %" PRIu64 "\n", t.rx, dp_stream_count(dp),
	       t.handoff_out, t.punt_full, t.punt_limited, t.copies);
	for (p = 0; dp_port_counters_read(dp, p, &pc) == 0; p++) {
		printf("  port %u (%s) rx %" PRIu64 " tx %" PRIu64 " tx_full %" PRIu64
		       " rx_missed %" PRIu64, dp_port_id(dp, p), (p & 1) ? "plain" : "secure", pc.rx,
		       pc.tx, pc.tx_full, pc.rx_missed);
		for (v = 0; v < DP_V_COUNT; v++)
			if (pc.v[v] != 0)
				printf(" %s %" PRIu64, dp_verdict_name(v), pc.v[v]);
		printf("\n");
	}
	fflush(stdout);
}

/* The slow path: a GMK's new sender is learnt (ctl_keys_punt); without a key store, logged. */
static void
on_punt(void *arg, const struct dp_punt_info *p)
{
	struct ctl_ops *ops = arg;
	static uint64_t n;

	if (ops->keys != NULL) {
		ctl_keys_punt(ops->keys, ops, p);
		return;
	}
	if (n++ < 10)	/* MKI and SSRC are public */
		fprintf(stderr, "mcpxd: slow path: key %02x%02x%02x%02x ssrc 0x%08x, no stream\n",
			p->key.id[0], p->key.id[1], p->key.id[2], p->key.id[3], p->ssrc);
}

/* The control loop: slow path, reclamation, idle exit, periodic counters. */
static void
run(struct dp *dp, const struct opts *o, struct ctl_server *srv, struct ctl_ops *ops)
{
	uint64_t hz = rte_get_timer_hz(), last_rx = UINT64_MAX, idle_since, last_stats;
	struct dp_worker_counters t;

	idle_since = last_stats = rte_get_timer_cycles();
	while (!dp_stop_requested(dp) && !stop_signal && !ops->shutdown) {
		uint64_t now = rte_get_timer_cycles();

		dp_punt_poll(dp, on_punt, ops, 256);
		dp_reclaim(dp);
		ctl_ops_tick(ops);	/* index limits ahead of use, synced first */
		if (o->exit_on_idle_ms != 0) {
			dp_counters_total(dp, &t);
			if (t.rx != last_rx) {
				last_rx = t.rx;
				idle_since = now;
			} else if (now - idle_since > hz * o->exit_on_idle_ms / 1000) {
				break;
			}
		}
		if (o->stats_s != 0 && now - last_stats > hz * o->stats_s) {
			last_stats = now;
			print_counters(dp);
		}
		if (srv != NULL)
			ctl_server_poll(srv, 10);	/* the socket wakes us; 10 ms at most */
		else
			rte_delay_us_sleep(10000);
	}
}

/*
 * The index store (restart safety, docs/control-protocol.md): a --state-dir
 * that cannot be used is fatal; the default is best effort, and without it
 * protect installs are refused with a sentence naming --state-dir (unprotect
 * streams, pcap-mode decryption included, need no store).
 */
static int
index_store_up(const struct opts *o, struct ctl_ops *ops)
{
	static char off[CTL_ERRMSG_MAX + 128];
	struct ctl_marks_cfg cfg = {.dir = o->state_dir, .ahead = o->index_ahead};
	struct ctl_err err;
	int rc;

	if (cfg.dir == NULL)
		cfg.dir = CTL_MARKS_DIR_DEFAULT;
	else if (strcmp(cfg.dir, "none") == 0)
		cfg.dir = NULL;
	rc = ctl_marks_open(&ops->marks, &cfg, &err);
	if (rc < 0 && o->state_dir != NULL) {
		fprintf(stderr, "mcpxd: --state-dir %s: %s\n", o->state_dir, err.msg);
		return rc;
	}
	if (rc < 0) {
		snprintf(off, sizeof(off), "%s; give --state-dir DIR (or --state-dir none: "
			 "unsafe across restarts)", err.msg);
		ops->marks_off = off;
		fprintf(stderr, "mcpxd: warning: no index store, protect streams refused: %s\n",
			off);
		return 0;
	}
	if (cfg.dir == NULL)
		printf("mcpxd: index marks in memory only (--state-dir none): a restart may "
		       "repeat an index\n");
	else
		printf("mcpxd: index marks %s (%u), %" PRIu64 " ahead\n",
		       ctl_marks_path(ops->marks), ctl_marks_count(ops->marks),
		       ctl_marks_ahead(ops->marks));
	return 0;
}

/*
 * The key store (fatal if named and unreadable) and the control socket: an
 * explicit --control that cannot be set up is fatal; the default path is
 * best effort (another mcpxd may hold it), with a warning.
 */
static int
control_up(const struct opts *o, struct ctl_ops *ops, struct ctl_server **srv)
{
	struct ctl_server_cfg cfg = o->ctl;
	struct ctl_err err;
	int rc;

	if (o->key_store != NULL) {
		rc = ctl_keys_new(&ops->keys, o->key_store, o->key_pass_file, o->key_file, &err);
		if (rc < 0) {
			fprintf(stderr, "mcpxd: --key-store %s: %s\n", o->key_store, err.msg);
			return rc;
		}
		ctl_keys_set_backend(ops->keys, o->cfg.backend);	/* learning's trial contexts */
	}
	if (o->control != NULL && strcmp(o->control, "none") == 0)
		return 0;
	cfg.path = o->control != NULL ? o->control : CTL_SOCK_DEFAULT;
	rc = ctl_server_new(srv, &cfg, ops, &err);
	if (rc < 0 && o->control == NULL) {
		fprintf(stderr, "mcpxd: warning: no control socket: %s\n", err.msg);
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "mcpxd: --control %s: %s\n", cfg.path, err.msg);
		return rc;
	}
	printf("mcpxd: control socket %s\n", cfg.path);
	return 0;
}

/*
 * Keys live in engine contexts, the key store and the control buffers: keep
 * every page of the process out of core dumps and, where the process may lock
 * memory (root, CAP_IPC_LOCK or an unlimited RLIMIT_MEMLOCK), out of swap.
 * Locking is all or nothing (mlockall), since small objects share pages and
 * mlock does not nest. Returns whether memory is locked.
 */
static bool
protect_memory(void)
{
	struct rlimit none = {0, 0}, ml;

	(void)setrlimit(RLIMIT_CORE, &none);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (geteuid() != 0 && (getrlimit(RLIMIT_MEMLOCK, &ml) != 0 || ml.rlim_cur != RLIM_INFINITY))
		return false;	/* MCL_FUTURE under a small limit would fail later allocations */
	return mlockall(MCL_CURRENT | MCL_FUTURE) == 0;
}

int
main(int argc, char **argv)
{
	struct ctl_server *srv = NULL;
	struct ctl_ops ops;
	struct opts o;
	char err[256];
	int n, rc;

	memset(&o, 0, sizeof(o));
	memset(&ops, 0, sizeof(ops));
	if (sodium_init() < 0) {
		fprintf(stderr, "mcpxd: libsodium failed to start\n");
		return 1;
	}
	ctl_json_init();	/* before any JSON: every block jansson frees is wiped */
	ctl_heap_keep();	/* contexts come and go: no heap trim and re-fault per burst */
	if (!protect_memory())
		fprintf(stderr, "mcpxd: warning: memory not locked (needs root, CAP_IPC_LOCK or an "
			"unlimited RLIMIT_MEMLOCK): keys may reach swap; core dumps are off\n");
	rte_set_application_usage_hook(usage_hook);
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "mcpxd: EAL: %s (see mcpxd -- --help)\n", rte_strerror(rte_errno));
		return 1;
	}
	argv[n] = argv[0];
	/* Before the options: which backends this CPU runs is known only after it. */
	if (dp_srtp_global_init() < 0) {
		fprintf(stderr, "mcpxd: SRTP backends failed to start\n");
		rte_eal_cleanup();
		return 1;
	}
	rc = opts_parse(argc - n, argv + n, &o);
	if (rc != 0) {
		dp_srtp_global_fini();
		rte_eal_cleanup();
		return rc > 0 ? 0 : 2;
	}
	rc = dp_new(&the_dp, &o.cfg);
	if (rc < 0) {
		fprintf(stderr, "mcpxd: dataplane: %s\n", dp_strerror(rc));
		goto out;
	}
	ops.dp = the_dp;
	ops.log = stdout;
	rc = index_store_up(&o, &ops);
	if (rc < 0)
		goto out;
	rc = control_up(&o, &ops, &srv);
	if (rc < 0)
		goto out;
	if (o.streams != NULL) {	/* after the key store: its MIKEY entries need it */
		rc = mcpxd_streams_load(&ops, o.streams, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "mcpxd: --streams %s: %s\n", o.streams, err);
			goto out;
		}
		printf("mcpxd: %u streams installed from %s\n", dp_stream_count(the_dp), o.streams);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	rc = dp_start(the_dp);
	if (rc < 0) {
		fprintf(stderr, "mcpxd: start: %s\n", dp_strerror(rc));
		goto out;
	}
	printf("mcpxd: %u workers on %u port pairs, %s backend, running\n", o.cfg.n_workers,
	       o.cfg.n_pairs, dp_srtp_backend_name(o.cfg.backend));
	fflush(stdout);
	run(the_dp, &o, srv, &ops);
	dp_stop(the_dp);
	if (!o.quiet)
		print_counters(the_dp);
out:
	ctl_server_free(srv);
	ctl_ops_fini(&ops);
	ctl_marks_close(ops.marks);	/* syncs what is pending (never handed out anyway) */
	ctl_keys_free(ops.keys);
	dp_free(the_dp);
	the_dp = NULL;
	{
		uint16_t pid;

		RTE_ETH_FOREACH_DEV(pid)
			rte_eth_dev_close(pid);	/* net_pcap writes its files out here */
	}
	dp_srtp_global_fini();
	rte_eal_cleanup();
	return rc < 0 ? 1 : 0;
}
