/* SPDX-License-Identifier: proprietary */
/*
 * mcpxd as a program: pcap mode (the offline decryption of a recorded call,
 * from a capture this test makes and a --streams file), option errors that
 * name the option, a clean stop on SIGINT, and its counters read by DPDK's
 * own telemetry client. $MCPXD names the binary.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <sodium.h>

#include "dp_srtp.h"
#include "dp_testlib.h"

TestSuite(dataplane_dp_mcpxd, .timeout = 120);

#define MAXF 32

struct cap {
	unsigned int n;
	uint32_t len[MAXF];
	uint8_t b[MAXF][2048];
};

static void
pcap_write(const char *path, const struct cap *c)
{
	FILE *f = fopen(path, "wb");
	uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
	unsigned int i;

	cr_assert_not_null(f);
	fwrite(hdr, 4, 6, f);
	for (i = 0; i < c->n; i++) {
		uint32_t rec[4] = {1700000000u + i, 0, c->len[i], c->len[i]};

		fwrite(rec, 4, 4, f);
		fwrite(c->b[i], 1, c->len[i], f);
	}
	fclose(f);
}

static void
pcap_read(const char *path, struct cap *c)
{
	FILE *f = fopen(path, "rb");
	uint32_t hdr[6], rec[4];

	cr_assert_not_null(f, "%s", path);
	memset(c, 0, sizeof(*c));
	cr_assert_eq(fread(hdr, 4, 6, f), 6);
	while (c->n < MAXF && fread(rec, 4, 4, f) == 4) {
		cr_assert_leq(rec[2], 2048);
		cr_assert_eq(fread(c->b[c->n], 1, rec[2], f), rec[2]);
		c->len[c->n++] = rec[2];
	}
	fclose(f);
}

static const char *
mcpxd_path(void)
{
	const char *p = getenv("MCPXD");

	cr_assert_not_null(p, "MCPXD must name the mcpxd binary");
	return p;
}

/* Start mcpxd with |args| (NULL-terminated, after argv[0]), its output into |out_path|. */
static pid_t
spawn(const char *const *args, const char *out_path)
{
	char *argv[40];
	unsigned int n = 0;
	pid_t pid;

	argv[n++] = (char *)(uintptr_t)mcpxd_path();
	while (*args != NULL && n < 39)
		argv[n++] = (char *)(uintptr_t)*args++;
	argv[n] = NULL;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (!freopen(out_path, "w", stdout) || dup2(fileno(stdout), 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Run mcpxd (SIGINT after |sig_after_ms| if > 0); returns the exit status. */
static int
run(const char *const *args, const char *out_path, int sig_after_ms)
{
	pid_t pid = spawn(args, out_path);
	int st;

	if (sig_after_ms > 0) {
		usleep((useconds_t)sig_after_ms * 1000);
		kill(pid, SIGINT);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "mcpxd did not exit normally");
	return WEXITSTATUS(st);
}

static bool
file_has(const char *path, const char *needle)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, needle) != NULL;
}

static void
hex(char *out, const uint8_t *b, size_t n)
{
	sodium_bin2hex(out, 2 * n + 1, b, n);
}

/* A run's files: the capture in, an empty one, both outputs, the streams file, the log. */
struct run_dir {
	char dir[32], in[64], empty[64], out_s[64], out_p[64], streams[64], log[64];
};

static void
run_dir_make(struct run_dir *d)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/mcpx-runXXXXXX");
	cr_assert_not_null(mkdtemp(d->dir));
	snprintf(d->in, sizeof(d->in), "%s/in.pcap", d->dir);
	snprintf(d->empty, sizeof(d->empty), "%s/empty.pcap", d->dir);
	snprintf(d->out_s, sizeof(d->out_s), "%s/secure-out.pcap", d->dir);
	snprintf(d->out_p, sizeof(d->out_p), "%s/plain-out.pcap", d->dir);
	snprintf(d->streams, sizeof(d->streams), "%s/streams.json", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/log", d->dir);
	pcap_write(d->empty, &(struct cap){0});
}

/* Gone with whatever the run left in it. */
static void
run_dir_remove(const struct run_dir *d)
{
	unlink(d->in);
	unlink(d->empty);
	unlink(d->out_s);
	unlink(d->out_p);
	unlink(d->streams);
	unlink(d->log);
	rmdir(d->dir);
}

/* An AEAD_AES_128_GCM stream's params: keys patterned from |seed|, an 8-octet MKI, RCCm3. */
static struct dp_srtp_params
gcm_params(unsigned int dir, uint8_t seed, const char *mki, uint32_t ssrc)
{
	struct dp_srtp_params p;
	unsigned int i;

	memset(&p, 0, sizeof(p));
	p.profile = DP_SRTP_AEAD_AES_128_GCM;
	p.dir = dir;
	for (i = 0; i < 16; i++)
		p.master_key[i] = (uint8_t)(i * 9 + seed);
	for (i = 0; i < 12; i++)
		p.master_salt[i] = (uint8_t)(i * 5 + seed + 1);
	memcpy(p.mki, mki, 8);
	p.mki_len = 8;
	p.ssrc = ssrc;
	p.rcc_r = 1;
	return p;
}

Test(dataplane_dp_mcpxd, pcap_mode_decrypts_a_recorded_call)
{
	struct run_dir d;
	char *in = d.in, *empty = d.empty, *out_s = d.out_s, *out_p = d.out_p,
	     *streams = d.streams, *log = d.log, vdev0[512], vdev1[512], prefix[64];
	struct dp_srtp_params p, q;
	struct dp_srtp_ctx *tx, *ftx;
	struct cap inc = {0}, want = {0}, got;
	char k1[65], s1[29], m1[17], k2[65], s2[29], m2[9];
	uint8_t pl[512], b[2048];
	struct tf t, tfl;
	unsigned int i;
	uint32_t len;
	FILE *f;

	cr_assert(sodium_init() >= 0);
	cr_assert_eq(dp_srtp_global_init(), 0);
	run_dir_make(&d);

	/* The recorded call: group media (GCM, RCCm3, GMK-ID||GUK-ID) and floor control (CSK-ID). */
	p = gcm_params(DP_SRTP_DIR_PROTECT, 1, "\x0d\xf9\xbc\x39\x06\xa1\x2a\xea", 0x11223344);
	q = p;
	q.proto = DP_SRTP_PROTO_RTCP;
	q.rcc_r = 0;
	q.ssrc = 0x55667788;
	memcpy(q.mki, "\x2d\xdd\x5b\xf0", 4);
	q.mki_len = 4;
	q.master_key[0] ^= 0xff;
	cr_assert_eq(dp_srtp_ctx_new(&tx, DP_SRTP_BACKEND_LIBSRTP, &p), 0);
	cr_assert_eq(dp_srtp_ctx_new(&ftx, DP_SRTP_BACKEND_LIBSRTP, &q), 0);
	tf_default(&t, false, 5004);
	tf_default(&tfl, true, 5005);
	t.n_vlan = 1;
	inc.len[inc.n] = tf_arp(inc.b[inc.n]);
	want.len[want.n] = inc.len[inc.n];
	memcpy(want.b[want.n++], inc.b[inc.n++], inc.len[0]);
	for (i = 0; i < 5; i++) {
		len = i == 3 ? tf_floor(pl, q.ssrc, 1, 4) : tf_rtp(pl, p.ssrc, (uint16_t)(7 + i), 80, 0);
		want.len[want.n] = tf_build(want.b[want.n], i == 3 ? &tfl : &t, pl, len);
		want.n++;
		memcpy(b, pl, len);
		cr_assert_eq(dp_srtp_process(i == 3 ? ftx : tx, b, &len, sizeof(b)), DP_V_FWD);
		inc.len[inc.n] = tf_build(inc.b[inc.n], i == 3 ? &tfl : &t, b, len);
		inc.n++;
	}
	/* A tampered packet (a fresh index, a payload bit) and a replay: never in the output. */
	len = tf_rtp(b, p.ssrc, 12, 80, 0);
	cr_assert_eq(dp_srtp_process(tx, b, &len, sizeof(b)), DP_V_FWD);
	inc.len[inc.n] = tf_build(inc.b[inc.n], &t, b, len);
	inc.b[inc.n][70] ^= 1;
	inc.n++;
	memcpy(inc.b[inc.n], inc.b[2], inc.len[2]);
	inc.len[inc.n] = inc.len[2];
	inc.n++;
	pcap_write(in, &inc);

	hex(k1, p.master_key, 16);
	hex(s1, p.master_salt, 12);
	hex(m1, p.mki, 8);
	hex(k2, q.master_key, 16);
	hex(s2, q.master_salt, 12);
	hex(m2, q.mki, 4);
	f = fopen(streams, "w");
	cr_assert_not_null(f);
	fprintf(f, "{\"streams\": [\n"
		   " {\"dir\": \"unprotect\", \"proto\": \"rtp\", \"profile\": \"AEAD_AES_128_GCM\",\n"
		   "  \"master_key\": \"%s\", \"master_salt\": \"%s\", \"mki\": \"%s\",\n"
		   "  \"ssrc\": \"0x11223344\", \"rcc_r\": 1, \"port\": 5004},\n"
		   " {\"dir\": \"unprotect\", \"proto\": \"rtcp\", \"profile\": \"AEAD_AES_128_GCM\",\n"
		   "  \"master_key\": \"%s\", \"master_salt\": \"%s\", \"mki\": \"%s\",\n"
		   "  \"ssrc\": %u, \"port\": 5005}]}\n", k1, s1, m1, k2, s2, m2, q.ssrc);
	fclose(f);

	snprintf(vdev0, sizeof(vdev0), "--vdev=net_pcap0,rx_pcap=%s,tx_pcap=%s", in, out_s);
	snprintf(vdev1, sizeof(vdev1), "--vdev=net_pcap1,rx_pcap=%s,tx_pcap=%s", empty, out_p);
	snprintf(prefix, sizeof(prefix), "--file-prefix=mcpxp%d", (int)getpid());
	{
		const char *args[] = {"--no-huge", "--no-shconf", "-m", "512", "--no-pci", "-l", "0-1",
				      prefix, vdev0, vdev1, "--log-level=lib.eal:error", "--",
				      "--pair", "0:1", "--streams", streams, "--exit-on-idle", "500",
				      NULL};

		cr_assert_eq(run(args, log, 0), 0, "mcpxd failed (log in %s)", log);
	}
	cr_assert(file_has(log, "drop_auth 1 drop_replay 1"), "tampered and replayed counted (log %s)",
		  log);
	pcap_read(out_p, &got);
	cr_assert_eq(got.n, want.n, "plain capture has %u frames, want %u", got.n, want.n);
	for (i = 0; i < want.n; i++) {
		cr_assert_eq(got.len[i], want.len[i], "frame %u", i);
		cr_assert_arr_eq(got.b[i], want.b[i], want.len[i], "frame %u differs", i);
	}
	pcap_read(out_s, &got);
	cr_assert_eq(got.n, 0);
	dp_srtp_ctx_free(tx);
	dp_srtp_ctx_free(ftx);
	dp_srtp_global_fini();
	run_dir_remove(&d);
}

/*
 * The other way: a plain capture (the server's side of a call) in on the
 * plain port, protected toward two members out of the secure port. The
 * output is opened by each member's own context (libsrtp); the headers are
 * exact; what is not media passes; the index store is memory (--state-dir
 * none), as a lab run without root needs.
 */
Test(dataplane_dp_mcpxd, pcap_mode_protects_a_plain_capture)
{
	struct run_dir d;
	char *in = d.in, *empty = d.empty, *out_s = d.out_s, *out_p = d.out_p,
	     *streams = d.streams, *log = d.log, vdev0[512], vdev1[512], prefix[64];
	struct dp_srtp_params p;
	struct dp_srtp_ctx *rx[2];
	struct cap inc = {0}, got;
	char k1[33], s1[25], m1[17];
	uint8_t pl[512], b[2048], want[2048];
	struct tf t[2];
	unsigned int i, m;
	uint32_t len, off, sl, wl;
	FILE *f;

	cr_assert(sodium_init() >= 0);
	cr_assert_eq(dp_srtp_global_init(), 0);
	run_dir_make(&d);
	p = gcm_params(DP_SRTP_DIR_UNPROTECT, 3, "\x0d\xf9\xbc\x40\x01\x02\x03\x04", 0x0a0b0c0d);
	for (m = 0; m < 2; m++) {
		cr_assert_eq(dp_srtp_ctx_new(&rx[m], DP_SRTP_BACKEND_LIBSRTP, &p), 0);
		tf_default(&t[m], false, 6000);
		tf_dst(&t[m], 20 + m);
	}
	/* The server's copies: each packet to both members; an ARP between them. */
	for (i = 0; i < 4; i++)
		for (m = 0; m < 2; m++) {
			len = tf_rtp(pl, p.ssrc, (uint16_t)(100 + i), 60, 0);
			inc.len[inc.n] = tf_build(inc.b[inc.n], &t[m], pl, len);
			inc.n++;
		}
	inc.len[inc.n] = tf_arp(inc.b[inc.n]);
	inc.n++;
	pcap_write(in, &inc);

	hex(k1, p.master_key, 16);
	hex(s1, p.master_salt, 12);
	hex(m1, p.mki, 8);
	f = fopen(streams, "w");
	cr_assert_not_null(f);
	fprintf(f, "{\"streams\": [\n"
		   " {\"dir\": \"protect\", \"proto\": \"rtp\", \"profile\": \"AEAD_AES_128_GCM\",\n"
		   "  \"master_key\": \"%s\", \"master_salt\": \"%s\", \"mki\": \"%s\",\n"
		   "  \"ssrc\": %u, \"rcc_r\": 1, \"members\": [{\"addr\": \"10.0.0.20\", \"port\": 6000},\n"
		   "  {\"addr\": \"10.0.0.21\", \"port\": 6000}]}]}\n", k1, s1, m1, p.ssrc);
	fclose(f);

	snprintf(vdev0, sizeof(vdev0), "--vdev=net_pcap0,rx_pcap=%s,tx_pcap=%s", empty, out_s);
	snprintf(vdev1, sizeof(vdev1), "--vdev=net_pcap1,rx_pcap=%s,tx_pcap=%s", in, out_p);
	snprintf(prefix, sizeof(prefix), "--file-prefix=mcpxq%d", (int)getpid());
	{
		const char *args[] = {"--no-huge", "--no-shconf", "-m", "512", "--no-pci", "-l", "0-1",
				      prefix, vdev0, vdev1, "--log-level=lib.eal:error", "--",
				      "--pair", "0:1", "--streams", streams, "--state-dir", "none",
				      "--control", "none", "--exit-on-idle", "500", NULL};

		cr_assert_eq(run(args, log, 0), 0, "mcpxd failed (log in %s)", log);
	}
	pcap_read(out_s, &got);
	cr_assert_eq(got.n, inc.n, "secure capture has %u frames, want %u", got.n, inc.n);
	for (i = 0; i + 1 < got.n; i++) {
		m = i % 2;
		cr_assert_eq(tf_verify(got.b[i], got.len[i], &off, &sl), 0, "frame %u", i);
		wl = tf_build(want, &t[m], got.b[i] + off, sl);
		cr_assert_eq(wl, got.len[i]);
		cr_assert_arr_eq(got.b[i], want, wl, "frame %u: headers", i);
		memcpy(b, got.b[i] + off, sl);
		/* Identical copies share one ciphertext; each member opens its own once. */
		cr_assert_eq(dp_srtp_process(rx[m], b, &sl, sizeof(b)), DP_V_FWD, "frame %u", i);
		len = tf_rtp(pl, p.ssrc, (uint16_t)(100 + i / 2), 60, 0);
		cr_assert_eq(sl, len);
		cr_assert_arr_eq(b, pl, len, "frame %u: plaintext", i);
	}
	cr_assert_eq(got.len[i], inc.len[inc.n - 1]);
	cr_assert_arr_eq(got.b[i], inc.b[inc.n - 1], got.len[i], "the ARP passes unchanged");
	pcap_read(out_p, &got);
	cr_assert_eq(got.n, 0);
	for (m = 0; m < 2; m++)
		dp_srtp_ctx_free(rx[m]);
	sodium_memzero(&p, sizeof(p));
	dp_srtp_global_fini();
	run_dir_remove(&d);
}

/* One reply of DPDK's telemetry client (|cmd| on its stdin) against |prefix|, or NULL. */
static json_t *
telemetry_client(const char *client, const char *prefix, const char *cmd)
{
	static char out[1 << 16];
	char line[512];
	json_error_t e;
	size_t n;
	FILE *p;

	snprintf(line, sizeof(line), "echo '%s' | python3 %s -f %s 2>&1", cmd, client, prefix);
	p = popen(line, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	return json_loads(out, 0, &e);
}

/*
 * The words: DPDK's standard telemetry client works against mcpxd.
 * dpdk-telemetry.py (Debian's dpdk-dev, which ./mcpx test installs) reads the
 * counters of a running mcpxd: five ARP frames in on the secure port, passed.
 */
Test(dataplane_dp_mcpxd, dpdk_telemetry_client_reads_the_counters)
{
	const char *client = getenv("MCPX_TELEMETRY_CLIENT") ? getenv("MCPX_TELEMETRY_CLIENT")
							      : "/usr/bin/dpdk-telemetry.py";
	struct run_dir d;
	char *in = d.in, *empty = d.empty, *log = d.log, vdev0[512], vdev1[512], prefix[96],
	     fp[64];
	struct cap inc = {0};
	json_t *j = NULL, *c = NULL;
	unsigned int i;
	pid_t pid;
	int st;

	cr_assert_eq(access(client, R_OK), 0,
		     "%s: DPDK's telemetry client (Debian package dpdk-dev) is missing", client);
	run_dir_make(&d);
	for (i = 0; i < 5; i++)
		inc.len[inc.n++] = tf_arp(inc.b[i]);
	pcap_write(in, &inc);
	snprintf(fp, sizeof(fp), "mcpxt%d", (int)getpid());
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", fp);
	snprintf(vdev0, sizeof(vdev0), "--vdev=net_pcap0,rx_pcap=%s,tx_pcap=/dev/null", in);
	snprintf(vdev1, sizeof(vdev1), "--vdev=net_pcap1,rx_pcap=%s,tx_pcap=/dev/null", empty);
	{
		const char *args[] = {"--no-huge", "--no-shconf", "-m", "512", "--no-pci", "-l", "0-1",
				      prefix, vdev0, vdev1, "--log-level=lib.eal:error", "--",
				      "--pair", "0:1", "--control", "none", NULL};

		pid = spawn(args, log);
	}
	/* Until mcpxd is up and has seen the capture: at most 10 s. */
	for (i = 0; i < 100; i++) {
		json_decref(j);
		j = telemetry_client(client, fp, "/mcpx/counters");
		c = json_object_get(json_object_get(j, "/mcpx/counters"), "total");
		/* rx is counted before the burst's verdicts: wait for both */
		if (json_integer_value(json_object_get(c, "rx")) == 5 &&
		    json_integer_value(json_object_get(c, "pass")) == 5)
			break;
		usleep(100 * 1000);
	}
	kill(pid, SIGINT);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "mcpxd's stop (log %s)", log);
	cr_assert_not_null(c, "no /mcpx/counters reply from the client (log %s)", log);
	cr_assert_eq(json_integer_value(json_object_get(c, "rx")), 5);
	cr_assert_eq(json_integer_value(json_object_get(c, "pass")), 5);
	cr_assert_eq(json_integer_value(json_object_get(
			     json_object_get(json_object_get(j, "/mcpx/counters"), "port0"), "rx")), 5);
	json_decref(j);
	run_dir_remove(&d);
}

Test(dataplane_dp_mcpxd, bad_options_are_named)
{
	static const char *const bad[][2] = {
		{"--workers", "zero"}, {"--workers", "0"}, {"--frag", "maybe"}, {"--pair", "1:1"},
		{"--backend", "openssl"}, {"--punt-rate", "-3"}, {"--punt-rate", "0"},
		{"--max-streams", "67108865"}, {"--max-streams", "010"}, {"--punt-rate", " 5"},
		{"--punt-rate", "0x"},
	};
	char log[] = "/tmp/mcpx-optXXXXXX", prefix[64];
	unsigned int i;
	int fd = mkstemp(log);

	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(prefix, sizeof(prefix), "--file-prefix=mcpxo%d", (int)getpid());
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = {"--no-huge", "--no-shconf", "-m", "128", "--no-pci", "-l", "0",
				      prefix, "--log-level=lib.eal:error", "--", bad[i][0], bad[i][1],
				      NULL};

		cr_assert_eq(run(args, log, 0), 2, "%s %s", bad[i][0], bad[i][1]);
		cr_assert(file_has(log, bad[i][0]), "the error names %s", bad[i][0]);
	}
	{
		/* Each worker's share of the punt rate: none may get nothing. */
		const char *args[] = {"--no-huge", "--no-shconf", "-m", "128", "--no-pci", "-l", "0",
				      prefix, "--log-level=lib.eal:error", "--", "--workers", "2",
				      "--punt-rate", "1", NULL};

		cr_assert_eq(run(args, log, 0), 2);
		cr_assert(file_has(log, "--punt-rate: 1 is below --workers 2"));
	}
	{
		const char *args[] = {"--no-huge", "--no-shconf", "-m", "128", "--no-pci", "-l", "0",
				      prefix, "--log-level=lib.eal:error", "--", "--help", NULL};

		cr_assert_eq(run(args, log, 0), 0);
		cr_assert(file_has(log, "--exit-on-idle"));
	}
	{
		/* EAL's --help, before any "--", shows mcpxd's options too. */
		const char *args[] = {"--help", NULL};

		cr_assert_eq(run(args, log, 0), 0);
		cr_assert(file_has(log, "--exit-on-idle"), "mcpxd's options");
		cr_assert(file_has(log, "--vdev"), "EAL's options");
	}
	unlink(log);
}

Test(dataplane_dp_mcpxd, sigint_stops_and_drains)
{
	char log[] = "/tmp/mcpx-sigXXXXXX", prefix[64];
	int fd = mkstemp(log);
	const char *args[] = {"--no-huge", "--no-shconf", "-m", "512", "--no-pci", "-l", "0-1",
			      prefix, "--vdev=net_null0", "--vdev=net_null1",
			      "--log-level=lib.eal:error", "--", "--idle-sleep-us", "10", NULL};

	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(prefix, sizeof(prefix), "--file-prefix=mcpxs%d", (int)getpid());
	cr_assert_eq(run(args, log, 1500), 0);
	cr_assert(file_has(log, "running"));
	cr_assert(file_has(log, "port 0 (secure) rx "), "the summary after the stop");
	unlink(log);
}
