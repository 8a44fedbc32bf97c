/* SPDX-License-Identifier: proprietary */
/*
 * bench_control: what control.sock costs, and what it does to the workers.
 *
 *   bench_control [--quick] [--json] [--out FILE] [--backend NAME] [--help]
 *
 * mcpxd's control path in one process: a dp with one worker on a net_ring
 * port pair, ctl_ops and a ctl_server served by the control thread with
 * mcpxd's loop (punt poll, reclaim, ctl_server_poll), and a client thread
 * that speaks JSON over SOCK_SEQPACKET with one request in flight, as mcpxctl
 * does. Measured:
 *  - stream.add of raw-key streams, unprotect (secure side, MKI + SSRC) and
 *    protect (plain side, member + SSRC) apart, in batches of 1, 64 and the
 *    most that fit one request (CTL_BATCH_MAX, CTL_MSG_MAX); then stream.del
 *    of each (one stream a request: the protocol has no batch delete);
 *  - mikey.install of real PCK I_MESSAGEs (ECCSI verify, SAKKE decapsulate,
 *    two streams each) made by a KMS and a caller made in-process;
 *  - each of those again through ctl_serve() on the control thread: the
 *    socket-free core, so the difference is the socket and the wakeups;
 *  - first packet protected: a flow arrives with no stream; the time from the
 *    stream.add's send to its first protected packet out of the worker;
 *  - the worker's rate with no control traffic and under a paced churn of
 *    installs and removes, in alternating windows of one run.
 *
 * Request texts are written before the clock starts (the client's JSON
 * encoding is not the appliance's cost); reading the reply is on the clock.
 * The raw keys are made-up bench keys, wiped with the texts all the same.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "ctl_keys.h"
#include "ctl_marks.h"
#include "ctl_server.h"
#include "dp.h"
#include "keys_period.h"
#include "kms.h"
#include "mikey_sakke.h"
#include "store.h"

#define HDR 42			/* Ethernet + IPv4 + UDP */
#define MEDIA_PORT 5004
#define MEMBER_PORT 6000
#define MEMBER_ADDR "10.2.0.1"
#define MEMBER_IP 0x0a020001u
#define PAYLOAD 60
#define PLAIN_LEN (HDR + 12 + PAYLOAD)
#define ROUND_MIN 1024		/* streams installed before they are removed again */
#define BG_STREAMS 64		/* protect streams carrying the churn phase's traffic */
#define CHURN_RATE 10000	/* installs per second, and as many removes */
#define CHURN_LIVE 100		/* churned streams alive at once */
#define ENTRY_MAX 400		/* octets of one stream entry, at most */
#define GEN_LCORE 2
#define PATH_SOCKET 0
#define PATH_CORE 1
#define DIR_MIXED 2
#define DIR_DEFAULTS 4		/* or'd in: the fields all entries share go in "defaults" */

#define NOW 1700000000
#define PERIOD 2592000
#define KMS_URI "kms.example.org"
#define CALLER "sip:alice@example.org"
#define APPLIANCE "sip:mcpx-appliance@example.org"

static FILE *jout;			/* JSON lines: stdout (--json) or the --out file */
static bool json_only;
static struct rte_mempool *gen_pool;
static struct rte_ring *ring_rx[2], *ring_tx[2];	/* [0] secure, [1] plain */
static uint16_t port[2];
static struct dp *the_dp;
static struct ctl_ops ops;
static uint32_t stream_no;		/* each stream made gets the next: SSRCs never repeat */
static uint64_t hz;
static const char *marks_desc = "none";	/* where protect installs' index marks go */

struct req {
	char *b;
	size_t len;
};

static uint32_t
ssrc_of(uint32_t n)
{
	return 0x40000000u + n;
}

static double
secs(uint64_t tsc)
{
	return (double)tsc / (double)hz;
}

static void
req_free(struct req *q)
{
	if (q->b != NULL) {
		sodium_memzero(q->b, q->len);
		free(q->b);
	}
	q->b = NULL;
	q->len = 0;
}

/* ---- request texts (the client's side) ----------------------------------- */

/* The fields every entry of |dir| shares, as the "defaults" of a batch. */
static int
shared(char *p, size_t cap, unsigned int dir)
{
	return snprintf(p, cap,
			"{\"dir\":\"%s\",\"profile\":\"AEAD_AES_128_GCM\",\"rcc_r\":1%s}",
			dir == DP_SRTP_DIR_PROTECT ? "protect" : "unprotect",
			dir == DP_SRTP_DIR_PROTECT
				? ",\"members\":[{\"addr\":\"" MEMBER_ADDR "\",\"port\":6000}]"
				: ",\"port\":5004");
}

/*
 * Stream |n|'s entry: a made-up key of its own, MKI = 0df9bc39 || n. With
 * DIR_DEFAULTS, only what is its own (the shared fields go in "defaults").
 */
static int
entry(char *p, size_t cap, unsigned int dir, uint32_t n)
{
	uint32_t a = n * 2654435761u;

	if (dir & DIR_DEFAULTS)
		return snprintf(p, cap,
				"{\"master_key\":\"%08x%08x%08x%08x\",\"master_salt\":\"%08x%08x%08x\","
				"\"mki\":\"0df9bc39%08x\",\"ssrc\":%u}",
				n, a, ~n, a ^ n, a + 1, n ^ 0x5a5a5a5au, ~a, n, ssrc_of(n));
	return snprintf(p, cap,
			"{\"dir\":\"%s\",\"profile\":\"AEAD_AES_128_GCM\","
			"\"master_key\":\"%08x%08x%08x%08x\",\"master_salt\":\"%08x%08x%08x\","
			"\"mki\":\"0df9bc39%08x\",\"ssrc\":%u,\"rcc_r\":1%s}",
			dir == DP_SRTP_DIR_PROTECT ? "protect" : "unprotect", n, a, ~n, a ^ n,
			a + 1, n ^ 0x5a5a5a5au, ~a, n, ssrc_of(n),
			dir == DP_SRTP_DIR_PROTECT
				? ",\"members\":[{\"addr\":\"" MEMBER_ADDR "\",\"port\":6000}]"
				: ",\"port\":5004");
}

/*
 * stream.add of |batch| fresh streams of |dir| (DIR_MIXED: protect and
 * unprotect by turns); their numbers from |*first| on.
 */
static int
req_add(struct req *q, unsigned int dir, unsigned int batch, uint32_t *first)
{
	size_t cap = (size_t)batch * ENTRY_MAX + 128, off;
	unsigned int i;

	q->b = malloc(cap);
	if (q->b == NULL)
		return -1;
	off = (size_t)snprintf(q->b, cap, "{\"v\":1,\"id\":1,\"op\":\"stream.add\",");
	if (dir & DIR_DEFAULTS) {
		off += (size_t)snprintf(q->b + off, cap - off, "\"defaults\":");
		off += (size_t)shared(q->b + off, cap - off, dir & 1u);
		q->b[off++] = ',';
	}
	off += (size_t)snprintf(q->b + off, cap - off, "\"streams\":[");
	for (i = 0; i < batch; i++) {
		if (i != 0)
			q->b[off++] = ',';
		off += (size_t)entry(q->b + off, cap - off, dir == DIR_MIXED ? *first & 1 : dir,
				     *first);
		(*first)++;
	}
	off += (size_t)snprintf(q->b + off, cap - off, "]}");
	q->len = off;
	return 0;
}

static int
req_del(struct req *q, uint64_t id)
{
	q->b = malloc(64);
	if (q->b == NULL)
		return -1;
	q->len = (size_t)snprintf(q->b, 64, "{\"v\":1,\"id\":2,\"op\":\"stream.del\",\"stream\":%"
				  PRIu64 "}", id);
	return 0;
}

/* The most streams of |dir| that one request can carry: entry count and octet bounds both. */
static unsigned int
batch_fit(unsigned int dir)
{
	char e[ENTRY_MAX];
	size_t el = (size_t)entry(e, sizeof(e), dir, UINT32_MAX / 2), n;

	n = (CTL_MSG_MAX - 64 - ((dir & DIR_DEFAULTS) ? (size_t)shared(e, sizeof(e), dir & 1u) + 12
						       : 0)) / (el + 1);
	/* every SSRC as long as the longest */
	return (unsigned int)RTE_MIN(n, (size_t)CTL_BATCH_MAX);
}

/* The stream ids of a reply, in order: [1,2] (stream.add) or [{"id":1,...}] (mikey.install). */
static unsigned int
ids_parse(const char *r, uint64_t *ids, unsigned int max)
{
	const char *p = strstr(r, "\"streams\":[");
	unsigned int n = 0;
	bool obj;
	char *end;

	if (p == NULL)
		return 0;
	p += strlen("\"streams\":[");
	obj = *p == '{';
	while (n < max && p != NULL) {
		if (obj) {
			p = strstr(p, "\"id\":");
			if (p == NULL)
				break;
			p += strlen("\"id\":");
		}
		if (*p < '0' || *p > '9')
			break;
		ids[n++] = strtoull(p, &end, 10);
		p = *end == ',' ? end + 1 : end;
	}
	return n;
}

/* ---- the two paths: the client over the socket, or ctl_serve() ------------ */

static int cl_fd = -1;
static char *rbuf;			/* the client's receive buffer */
static uint8_t *core_buf;		/* ctl_serve() wipes its input: a copy goes in */

/* Send |q| and wait for its reply (NUL-terminated); NULL when the socket failed. */
static const char *
call_socket(const struct req *q)
{
	ssize_t n;

	if (send(cl_fd, q->b, q->len, 0) != (ssize_t)q->len)
		return NULL;
	n = recv(cl_fd, rbuf, CTL_REPLY_MAX, 0);
	if (n <= 0)
		return NULL;
	rbuf[n] = '\0';
	return rbuf;
}

/* The same request through the socket-free core, with the loop's reclaim and tick after it. */
static const char *
call_core(const struct req *q)
{
	static char *out;
	size_t out_len;

	free(out);
	out = NULL;
	memcpy(core_buf, q->b, q->len);
	if (ctl_serve(&ops, core_buf, q->len, &out, &out_len) < 0)
		return NULL;
	dp_reclaim(the_dp);
	ctl_ops_tick(&ops);
	return out;
}

static uint64_t busy_retries;		/* "busy" replies (a worker's command ring full) */

/*
 * Run |q| on |path|; the reply if it says ok, else NULL (and says why on
 * stderr). A busy reply (nothing installed: the worker has not drained its
 * command ring yet) is retried after 100 us, as a client would, and counted.
 */
static const char *
run_req(int path, const struct req *q)
{
	const char *r;
	unsigned int tries = 0;

	for (;;) {
		r = path == PATH_SOCKET ? call_socket(q) : call_core(q);
		if (r == NULL || strstr(r, "\"code\":\"busy\"") == NULL || ++tries > 10000)
			break;
		__atomic_fetch_add(&busy_retries, 1, __ATOMIC_RELAXED);
		usleep(100);
	}

	if (r == NULL || strstr(r, "\"ok\":true") == NULL) {
		fprintf(stderr, "bench_control: refused: %.300s\n", r != NULL ? r : "(no reply)");
		return NULL;
	}
	return r;
}

static int
client_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int sz = 2 * CTL_MSG_MAX;

	cl_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (cl_fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/* A full batch is one datagram: the send buffer must hold it. */
	if (setsockopt(cl_fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) != 0)
		(void)setsockopt(cl_fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	sz = 2 * CTL_REPLY_MAX;
	(void)setsockopt(cl_fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return connect(cl_fd, (struct sockaddr *)&sa, sizeof(sa));
}

/* ---- results ------------------------------------------------------------- */

struct rate {
	const char *op, *what;
	unsigned int batch;
	uint64_t n;			/* streams (or messages) */
	double per_s[2];		/* [PATH_SOCKET], [PATH_CORE] */
};

static struct rate rates[32];
static unsigned int n_rates;

static struct rate *
rate_slot(const char *op, const char *what, unsigned int batch)
{
	unsigned int i;

	for (i = 0; i < n_rates; i++)
		if (strcmp(rates[i].op, op) == 0 && strcmp(rates[i].what, what) == 0 &&
		    rates[i].batch == batch)
			return &rates[i];
	rates[n_rates] = (struct rate){.op = op, .what = what, .batch = batch};
	return &rates[n_rates++];
}

/*
 * Install |total| fresh streams of |dir| in requests of |batch|, removing
 * each round of at least ROUND_MIN again before the next; installs and
 * removes timed apart.
 */
static int
rates_run(int path, unsigned int dir, unsigned int batch, uint64_t total)
{
	unsigned int per_round = batch * ((ROUND_MIN + batch - 1) / batch), n_req = per_round / batch;
	static const char *const whats[] = {"protect", "unprotect", "protect+dflt",
					    "unprotect+dflt"};
	const char *what = whats[(dir & 1u) | ((dir & DIR_DEFAULTS) ? 2u : 0u)];
	struct req *q = calloc(per_round, sizeof(*q));
	uint64_t *ids = calloc(per_round, sizeof(*ids)), done, t0, t_add = 0, t_del = 0;
	struct rate *ra, *rd;
	const char *r;
	unsigned int i;
	int rc = -1;

	if (q == NULL || ids == NULL)
		goto out;
	for (done = 0; done < total; done += per_round) {
		for (i = 0; i < n_req; i++)
			if (req_add(&q[i], dir, batch, &stream_no) != 0)
				goto out;
		t0 = rte_rdtsc();
		for (i = 0; i < n_req; i++) {
			r = run_req(path, &q[i]);
			if (r == NULL || ids_parse(r, ids + i * batch, batch) != batch) {
				fprintf(stderr, "bench_control: stream.add: %.200s\n", r ? r : "");
				goto out;
			}
		}
		t_add += rte_rdtsc() - t0;
		for (i = 0; i < n_req; i++)
			req_free(&q[i]);
		for (i = 0; i < per_round; i++)
			if (req_del(&q[i], ids[i]) != 0)
				goto out;
		t0 = rte_rdtsc();
		for (i = 0; i < per_round; i++)
			if (run_req(path, &q[i]) == NULL)
				goto out;
		t_del += rte_rdtsc() - t0;
		for (i = 0; i < per_round; i++)
			req_free(&q[i]);
	}
	ra = rate_slot("stream.add", what, batch);
	ra->n = done;
	ra->per_s[path] = (double)done / secs(t_add);
	rd = rate_slot("stream.del", what, batch);
	rd->n = done;
	rd->per_s[path] = (double)done / secs(t_del);
	rc = 0;
out:
	for (i = 0; q != NULL && i < per_round; i++)
		req_free(&q[i]);
	free(q);
	free(ids);
	return rc;
}

/* ---- MIKEY: a KMS, a caller, the appliance's store, PCK messages ---------- */

static int64_t
fixed_clock(void *arg)
{
	(void)arg;
	return NOW;
}

static char **imsg_b64;			/* base64 I_MESSAGEs */
static unsigned int n_imsg;

/* A sealed store for the appliance's identity at |store|, its key at |keyf|. */
static int
store_write(struct kms_domain *d, struct kms_keyset *app, uint64_t pno, const char *store,
	    const char *keyf)
{
	struct store_secret sec = {.kdf = STORE_KDF_KEY};
	uint8_t key[STORE_KEY_LEN];
	struct store_cert cert;
	struct store *st = NULL;
	FILE *f;
	int rc;

	memset(&cert, 0, sizeof(cert));
	snprintf(cert.kms_uri, sizeof(cert.kms_uri), "%s", KMS_URI);
	cert.period_len = PERIOD;
	memcpy(cert.kpak, d->cert.kpak, sizeof(cert.kpak));
	memcpy(cert.z, d->cert.z, sizeof(cert.z));
	randombytes_buf(key, sizeof(key));
	sec.key = key;
	rc = store_new(&st);
	if (rc == 0)
		rc = store_put_cert(st, &cert, 0);
	if (rc == 0)
		rc = store_put_keyset(st, APPLIANCE, KMS_URI, pno, app->ssk, app->pvt, app->rsk,
				      0);
	if (rc == 0)
		rc = store_save(st, store, &sec);
	store_free(st);
	f = rc == 0 ? fopen(keyf, "wb") : NULL;
	if (f == NULL || fwrite(key, 1, sizeof(key), f) != sizeof(key))
		rc = -1;
	if (f != NULL && fclose(f) != 0)
		rc = -1;
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* |n| PCK I_MESSAGEs from the caller to the appliance's identity, and its key store. */
static int
mikey_setup(const char *dir, unsigned int n)
{
	char store[160], keyf[160];
	struct kms_domain *d = NULL;
	struct kms_keyset *caller = NULL, *app = NULL;
	struct mikey_signer *signer = NULL;
	struct mikey_newkey k;
	struct mikey_kms kms;
	struct mikey_tx tx;
	struct ctl_err err;
	uint8_t msg[MIKEY_MSG_MAX];
	uint64_t pno;
	size_t len;
	int rc;

	snprintf(store, sizeof(store), "%s/app.store", dir);
	snprintf(keyf, sizeof(keyf), "%s/app.key", dir);
	rc = kms_domain_create(&d, KMS_URI, PERIOD, 0, false);
	if (rc == 0)
		rc = keys_period_no_unix(&pno, NOW, PERIOD, 0);
	if (rc == 0)
		rc = kms_issue(&caller, d, CALLER, pno);
	if (rc == 0)
		rc = kms_issue(&app, d, APPLIANCE, pno);
	if (rc == 0) {
		mikey_kms_from_cert(&kms, &d->cert);
		rc = mikey_signer_new(&signer, CALLER, &kms, pno, caller->ssk, caller->pvt);
	}
	if (rc == 0)
		rc = store_write(d, app, pno, store, keyf);
	if (rc == 0 && ctl_keys_new(&ops.keys, store, NULL, keyf, &err) != 0) {
		fprintf(stderr, "bench_control: key store: %s\n", err.msg);
		rc = -1;
	}
	if (rc == 0)
		ctl_keys_set_clock(ops.keys, fixed_clock, NULL);
	imsg_b64 = calloc(n, sizeof(*imsg_b64));
	memset(&tx, 0, sizeof(tx));
	tx.from = signer;
	tx.to.uri = APPLIANCE;
	tx.to.kms = &kms;
	tx.now = NOW;
	for (n_imsg = 0; rc == 0 && imsg_b64 != NULL && n_imsg < n; n_imsg++) {
		size_t bl = sodium_base64_ENCODED_LEN(MIKEY_MSG_MAX, sodium_base64_VARIANT_ORIGINAL);

		rc = mikey_newkey_make(&k, KEYS_PURPOSE_PCK);
		if (rc == 0)
			rc = mikey_pck_send(msg, sizeof(msg), &len, &tx, &k);
		imsg_b64[n_imsg] = malloc(bl);
		if (rc == 0 && imsg_b64[n_imsg] != NULL)
			sodium_bin2base64(imsg_b64[n_imsg], bl, msg, len,
					  sodium_base64_VARIANT_ORIGINAL);
		else
			rc = -1;
	}
	sodium_memzero(&k, sizeof(k));
	unlink(store);
	unlink(keyf);
	mikey_signer_free(signer);
	kms_keyset_free(caller);
	kms_keyset_free(app);
	kms_domain_free(d);
	return rc;
}

/* mikey.install of message |i|: CS 0 unprotected from the caller, CS 1 protected toward it. */
static int
req_mikey(struct req *q, unsigned int i, uint32_t *first)
{
	size_t cap = strlen(imsg_b64[i]) + 512;
	uint32_t n = *first;

	*first += 2;
	q->b = malloc(cap);
	if (q->b == NULL)
		return -1;
	q->len = (size_t)snprintf(q->b, cap,
		"{\"v\":1,\"id\":3,\"op\":\"mikey.install\",\"i_message\":\"%s\",\"streams\":["
		"{\"dir\":\"unprotect\",\"ssrc\":%u,\"port\":5004,\"cs_id\":0},"
		"{\"dir\":\"protect\",\"ssrc\":%u,\"cs_id\":1,\"members\":[{\"addr\":\""
		MEMBER_ADDR "\",\"port\":6000}]}]}", imsg_b64[i], ssrc_of(n), ssrc_of(n + 1));
	return 0;
}

/* Every message installed once (timed), then its two streams removed (timed). */
static int
mikey_run(int path)
{
	struct req *q = calloc(2 * n_imsg, sizeof(*q));
	uint64_t *ids = calloc(2 * n_imsg, sizeof(*ids)), t0, t_add, t_del;
	struct rate *ra, *rd;
	const char *r;
	unsigned int i;
	int rc = -1;

	if (q == NULL || ids == NULL)
		goto out;
	for (i = 0; i < n_imsg; i++)
		if (req_mikey(&q[i], i, &stream_no) != 0)
			goto out;
	t0 = rte_rdtsc();
	for (i = 0; i < n_imsg; i++) {
		r = run_req(path, &q[i]);
		if (r == NULL || ids_parse(r, ids + 2 * i, 2) != 2)
			goto out;
	}
	t_add = rte_rdtsc() - t0;
	for (i = 0; i < n_imsg; i++)
		req_free(&q[i]);
	for (i = 0; i < 2 * n_imsg; i++)
		if (req_del(&q[i], ids[i]) != 0)
			goto out;
	t0 = rte_rdtsc();
	for (i = 0; i < 2 * n_imsg; i++)
		if (run_req(path, &q[i]) == NULL)
			goto out;
	t_del = rte_rdtsc() - t0;
	ra = rate_slot("mikey.install", "pck", 1);
	ra->n = n_imsg;
	ra->per_s[path] = (double)n_imsg / secs(t_add);
	rd = rate_slot("stream.del", "pck", 1);
	rd->n = 2 * n_imsg;
	rd->per_s[path] = 2.0 * n_imsg / secs(t_del);
	rc = 0;
out:
	for (i = 0; q != NULL && i < 2 * n_imsg; i++)
		req_free(&q[i]);
	free(q);
	free(ids);
	return rc;
}

/* ---- the generator (lcore GEN_LCORE) ------------------------------------- */

enum { GEN_IDLE, GEN_LATENCY, GEN_LOAD, GEN_PACED, GEN_STOP };

static int gen_mode;
static uint32_t gen_pending;		/* latency: the SSRC whose first protected packet counts */
static uint64_t gen_pending_sent;	/* packets sent for it */
static uint64_t gen_seen;		/* TSC when the first came out; 0 before */
static uint32_t bg_ssrc[BG_STREAMS];

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* A plain RTP frame from the server to the member, SSRC |ssrc|. */
static void
plain_frame(struct rte_mbuf *m, uint32_t ssrc, uint16_t seq)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);

	memset(f, 0, HDR);
	f[0] = 2;
	f[6] = 2;
	put16(f + 12, 0x0800);
	f[14] = 0x45;
	put16(f + 16, 20 + 8 + 12 + PAYLOAD);
	f[22] = 64;
	f[23] = 17;
	put32(f + 26, 0x0a000001);
	put32(f + 30, MEMBER_IP);
	put16(f + 34, 4000);
	put16(f + 36, MEMBER_PORT);
	put16(f + 38, 8 + 12 + PAYLOAD);
	f[HDR] = 0x80;
	f[HDR + 1] = 96;
	put16(f + HDR + 2, seq);
	put32(f + HDR + 4, (uint32_t)seq * 160);
	put32(f + HDR + 8, ssrc);
	memset(f + HDR + 12, 0x5a, PAYLOAD);
	m->data_len = PLAIN_LEN;
	m->pkt_len = PLAIN_LEN;
}

static uint32_t
frame_ssrc(const struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);

	if (m->data_len < HDR + 12)
		return 0;
	return (uint32_t)f[HDR + 8] << 24 | (uint32_t)f[HDR + 9] << 16 |
	       (uint32_t)f[HDR + 10] << 8 | f[HDR + 11];
}

/* What came out: freed; the latency flow's first protected packet is timed. */
static void
gen_collect(int mode)
{
	struct rte_mbuf *m[64];
	unsigned int n, i;
	uint32_t want = __atomic_load_n(&gen_pending, __ATOMIC_ACQUIRE);

	n = rte_ring_dequeue_burst(ring_tx[0], (void **)m, 64, NULL);
	if (mode == GEN_LATENCY)
		for (i = 0; i < n; i++)
			if (m[i]->data_len > PLAIN_LEN && frame_ssrc(m[i]) == want &&
			    __atomic_load_n(&gen_seen, __ATOMIC_RELAXED) == 0)
				__atomic_store_n(&gen_seen, rte_rdtsc(), __ATOMIC_RELEASE);
	if (n != 0)
		rte_pktmbuf_free_bulk(m, n);
	n = rte_ring_dequeue_burst(ring_tx[1], (void **)m, 64, NULL);
	if (n != 0)
		rte_pktmbuf_free_bulk(m, n);
}

/* Latency: one packet a microsecond for the pending SSRC, so a queue never hides the wait. */
static void
gen_latency(uint64_t *next, uint16_t *seq)
{
	struct rte_mbuf *m;
	uint64_t now = rte_rdtsc();

	if (now < *next || (m = rte_pktmbuf_alloc(gen_pool)) == NULL)
		return;
	*next = now + hz / 1000000;
	plain_frame(m, __atomic_load_n(&gen_pending, __ATOMIC_ACQUIRE), (*seq)++);
	if (rte_ring_enqueue(ring_rx[1], m) != 0)
		rte_pktmbuf_free(m);
	else
		__atomic_fetch_add(&gen_pending_sent, 1, __ATOMIC_RELEASE);
}

static uint64_t gen_paced_gap;		/* GEN_PACED: TSC cycles between bursts of 32 */
static uint64_t gen_paced_sent;		/* GEN_PACED: packets put on the ring */

/*
 * Load: keep the worker's input ring full, the background streams at random;
 * paced (|*next| not NULL): a burst of 32 every gen_paced_gap cycles; a burst
 * more than one gap late is dropped from the schedule, not sent late (what
 * was sent is counted: gen_paced_sent).
 */
static void
gen_load(uint16_t *seq, uint64_t *rs, uint64_t *next)
{
	struct rte_mbuf *m[32];
	unsigned int k, s, put;

	if (next != NULL) {
		uint64_t now = rte_rdtsc();

		if (now < *next) {
			sched_yield();	/* ahead of time: cpu 0 to the client and control thread */
			return;
		}
		*next = *next + gen_paced_gap < now ? now : *next + gen_paced_gap;
	}
	if (rte_ring_free_count(ring_rx[1]) < 32 || rte_pktmbuf_alloc_bulk(gen_pool, m, 32) != 0)
		return;
	for (k = 0; k < 32; k++) {
		*rs ^= *rs << 13;
		*rs ^= *rs >> 7;
		*rs ^= *rs << 17;
		s = (unsigned int)(*rs % BG_STREAMS);
		plain_frame(m[k], bg_ssrc[s], seq[s]++);
	}
	put = rte_ring_enqueue_burst(ring_rx[1], (void **)m, 32, NULL);
	if (put < 32)
		rte_pktmbuf_free_bulk(m + put, 32 - put);
	if (next != NULL)
		__atomic_fetch_add(&gen_paced_sent, put, __ATOMIC_RELAXED);
}

static int
gen_main(void *arg)
{
	static uint16_t seq[BG_STREAMS];
	uint64_t next = 0, rs = 88172645463325252ull;
	uint16_t lseq = 0;
	int mode;

	(void)arg;
	while ((mode = __atomic_load_n(&gen_mode, __ATOMIC_ACQUIRE)) != GEN_STOP) {
		if (mode == GEN_IDLE) {
			gen_collect(mode);
			rte_delay_us_sleep(1000);	/* off the CPU the client and control share */
			continue;
		}
		if (mode == GEN_LATENCY)
			gen_latency(&next, &lseq);
		else
			gen_load(seq, &rs, mode == GEN_PACED ? &next : NULL);
		gen_collect(mode);
	}
	return 0;
}

static void
gen_set(int mode)
{
	__atomic_store_n(&gen_mode, mode, __ATOMIC_RELEASE);
}

/* ---- first packet protected --------------------------------------------- */

struct lat {
	unsigned int n;
	double p50, p99, max;		/* request sent -> first protected packet, us */
	double r50, r99;		/* request sent -> reply read, us */
};

static struct lat lat_res;

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct_us(uint64_t *v, unsigned int n, double p)
{
	unsigned int i = (unsigned int)(p * (n - 1) + 0.5);

	return secs(v[i]) * 1e6;
}

/* Wait (sleeping) until |*v| is at least |min|; false after 5 s (sanitizers are slow). */
static bool
wait_u64(const uint64_t *v, uint64_t min)
{
	uint64_t end = rte_rdtsc() + 5 * hz;

	while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < min)
		if (rte_rdtsc() > end)
			return false;
		else
			usleep(2);
	return true;
}

static int
latency_run(unsigned int samples)
{
	uint64_t *first = calloc(samples, sizeof(uint64_t)), *reply = calloc(samples, 8), id, t0;
	struct req q = {0};
	const char *r;
	unsigned int i;
	int rc = -1;

	if (first == NULL || reply == NULL)
		goto out;
	gen_set(GEN_LATENCY);
	for (i = 0; i < samples; i++) {
		uint32_t n = stream_no;

		if (req_add(&q, DP_SRTP_DIR_PROTECT, 1, &stream_no) != 0)
			goto out;
		__atomic_store_n(&gen_pending, ssrc_of(n), __ATOMIC_RELEASE);
		/*
		 * The flow is arriving, unprotected and dropped, before the request
		 * goes; by then the generator compares with the new SSRC only, so
		 * the last sample's packets still in flight cannot count.
		 */
		if (!wait_u64(&gen_pending_sent, __atomic_load_n(&gen_pending_sent,
								 __ATOMIC_ACQUIRE) + 3))
			goto out;
		__atomic_store_n(&gen_seen, 0, __ATOMIC_RELEASE);
		t0 = rte_rdtsc();
		r = run_req(PATH_SOCKET, &q);
		reply[i] = rte_rdtsc() - t0;
		req_free(&q);
		if (r == NULL || ids_parse(r, &id, 1) != 1 || !wait_u64(&gen_seen, 1)) {
			fprintf(stderr, "bench_control: sample %u: no protected packet\n", i);
			goto out;
		}
		first[i] = __atomic_load_n(&gen_seen, __ATOMIC_ACQUIRE) - t0;
		if (req_del(&q, id) != 0 || run_req(PATH_SOCKET, &q) == NULL)
			goto out;
		req_free(&q);
	}
	qsort(first, samples, sizeof(uint64_t), cmp_u64);
	qsort(reply, samples, sizeof(uint64_t), cmp_u64);
	lat_res = (struct lat){.n = samples, .p50 = pct_us(first, samples, 0.5),
			       .p99 = pct_us(first, samples, 0.99),
			       .max = pct_us(first, samples, 1.0),
			       .r50 = pct_us(reply, samples, 0.5),
			       .r99 = pct_us(reply, samples, 0.99)};
	rc = 0;
out:
	gen_set(GEN_IDLE);
	req_free(&q);
	free(first);
	free(reply);
	return rc;
}

/* ---- churn ---------------------------------------------------------------- */

struct churn {
	double quiet_mpps, churn_mpps;
	double installs_s, removes_s;
	double quiet_burst, churn_burst;	/* packets per worker loop (DP_BURST: always busy) */
	double quiet_cmd, churn_cmd;	/* share of the worker's time spent applying commands */
	/* Paced feed: the worker's rate when fed, forwarded over busy + command cycles. */
	double paced_mpps;		/* the feed */
	double paced_quiet_cap, paced_churn_cap;
	double paced_quiet_burst, paced_churn_burst;	/* packets per loop that moved any */
	double paced_installs_s;
	double window_s;
	unsigned int windows;
};

static struct churn churn_res;

static void
sleep_until(const struct timespec *t)
{
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL) != 0)
		;
}

static void
ts_add_ns(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

/*
 * One window of |len| seconds: each millisecond one stream.add of
 * CHURN_RATE / 1000 streams (protect and unprotect by turns: one index-mark
 * sync a request), and as many stream.del, oldest first, one a request.
 */
static int
churn_window(double len, uint64_t *live, unsigned int *n_live, uint64_t *ins, uint64_t *del)
{
	unsigned int ticks = (unsigned int)(len * 1000), t, per_tick = CHURN_RATE / 1000;
	struct timespec next;
	struct req q;
	const char *r;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (t = 0; t < ticks; t++) {
		if (req_add(&q, DIR_MIXED, per_tick, &stream_no) != 0)
			return -1;
		r = run_req(PATH_SOCKET, &q);
		req_free(&q);
		if (r == NULL || ids_parse(r, &live[*n_live], per_tick) != per_tick)
			return -1;
		*n_live += per_tick;
		*ins += per_tick;
		while (*n_live > CHURN_LIVE) {
			if (req_del(&q, live[0]) != 0 || run_req(PATH_SOCKET, &q) == NULL)
				return -1;
			req_free(&q);
			memmove(live, live + 1, --(*n_live) * sizeof(*live));
			(*del)++;
		}
		ts_add_ns(&next, 1000000);
		sleep_until(&next);	/* a late tick is not made up: the rate says so */
	}
	return 0;
}

static int
del_all(const uint64_t *ids, unsigned int n)
{
	struct req q;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (req_del(&q, ids[i]) != 0 || run_req(PATH_SOCKET, &q) == NULL)
			return -1;
		req_free(&q);
	}
	return 0;
}

/* What one set of quiet/churn window pairs saw of the worker, [0] quiet, [1] churn. */
struct windows {
	uint64_t tsc[2], pkts[2], rx[2], loops[2], cmd[2], busy[2], busy_loops[2];
};

static int
windows_run(double window, unsigned int pairs, uint64_t *live, unsigned int *n_live,
	    uint64_t *ins, uint64_t *del, struct windows *o)
{
	struct dp_worker_counters c0, c1;
	unsigned int w;
	uint64_t t0;

	memset(o, 0, sizeof(*o));
	for (w = 0; w < 2 * pairs; w++) {
		unsigned int c = w & 1;		/* quiet, churn, quiet, churn ... */

		/*
		 * The worker's own counters: a plain copy of what it writes, read
		 * off the control thread (a bench may; a torn read is impossible
		 * for aligned 64-bit words on x86). Loops per packet say whether
		 * the worker or its feed was the bound.
		 */
		if (dp_worker_counters_read(the_dp, 0, &c0) != 0)
			return -1;
		t0 = rte_rdtsc();
		if (!c)
			usleep((useconds_t)(window * 1e6));
		else if (churn_window(window, live, n_live, ins, del) != 0)
			return -1;
		o->tsc[c] += rte_rdtsc() - t0;
		if (dp_worker_counters_read(the_dp, 0, &c1) != 0)
			return -1;
		o->pkts[c] += c1.v[DP_V_FWD] - c0.v[DP_V_FWD];
		o->rx[c] += c1.rx - c0.rx;
		o->loops[c] += c1.loops - c0.loops;
		o->cmd[c] += c1.cmd_cycles - c0.cmd_cycles;
		o->busy[c] += c1.busy_cycles - c0.busy_cycles;
		o->busy_loops[c] += c1.busy_loops - c0.busy_loops;
	}
	return 0;
}

/*
 * Two sets of quiet/churn window pairs. First the feed as fast as it goes:
 * on 2 cores it shares cpu 0 with the control thread and the client, so under
 * churn it slows and the worker waits for it. Then a paced feed, half the
 * quiet rate, bursts of 32, which cpu 0 keeps up with in both windows: the
 * worker sees the same traffic either way, and its rate when fed (forwarded
 * over the cycles of its loops that moved packets, plus those it spent
 * applying commands) is its own, whatever its feed does.
 */
static int
churn_run(double window, unsigned int pairs)
{
	uint64_t bg[BG_STREAMS], live[CHURN_LIVE + CHURN_RATE / 1000], ins = 0, del = 0;
	uint64_t pins = 0, pdel = 0, sent0;
	struct windows a, b;
	unsigned int n_live = 0, i;
	struct req q;
	const char *r;
	double quiet;
	int rc = -1;

	for (i = 0; i < BG_STREAMS; i++)
		bg_ssrc[i] = ssrc_of(stream_no + i);
	if (req_add(&q, DP_SRTP_DIR_PROTECT, BG_STREAMS, &stream_no) != 0)
		return -1;
	r = run_req(PATH_SOCKET, &q);
	req_free(&q);
	if (r == NULL || ids_parse(r, bg, BG_STREAMS) != BG_STREAMS)
		return -1;
	gen_set(GEN_LOAD);
	usleep(200000);				/* warm: caches, rings, the engine */
	if (windows_run(window, pairs, live, &n_live, &ins, &del, &a) != 0)
		goto out;
	quiet = (double)a.pkts[0] / secs(a.tsc[0]);
	gen_paced_gap = (uint64_t)(32.0 * (double)hz / (quiet > 0 ? quiet / 2 : 1e6));
	gen_set(GEN_PACED);
	usleep(100000);
	sent0 = __atomic_load_n(&gen_paced_sent, __ATOMIC_RELAXED);
	if (windows_run(window, pairs, live, &n_live, &pins, &pdel, &b) != 0)
		goto out;
	sent0 = __atomic_load_n(&gen_paced_sent, __ATOMIC_RELAXED) - sent0;
	churn_res = (struct churn){
		.quiet_mpps = (double)a.pkts[0] / secs(a.tsc[0]) / 1e6,
		.churn_mpps = (double)a.pkts[1] / secs(a.tsc[1]) / 1e6,
		.installs_s = (double)ins / secs(a.tsc[1]),
		.removes_s = (double)del / secs(a.tsc[1]),
		.quiet_burst = a.loops[0] ? (double)a.rx[0] / (double)a.loops[0] : 0,
		.churn_burst = a.loops[1] ? (double)a.rx[1] / (double)a.loops[1] : 0,
		.quiet_cmd = (double)a.cmd[0] / (double)a.tsc[0],
		.churn_cmd = (double)a.cmd[1] / (double)a.tsc[1],
		.paced_mpps = (double)sent0 / secs(b.tsc[0] + b.tsc[1]) / 1e6,	/* as sent */
		.paced_quiet_cap = (double)b.pkts[0] / secs(b.busy[0] + b.cmd[0]) / 1e6,
		.paced_churn_cap = (double)b.pkts[1] / secs(b.busy[1] + b.cmd[1]) / 1e6,
		.paced_quiet_burst = b.busy_loops[0] ? (double)b.rx[0] / (double)b.busy_loops[0] : 0,
		.paced_churn_burst = b.busy_loops[1] ? (double)b.rx[1] / (double)b.busy_loops[1] : 0,
		.paced_installs_s = (double)pins / secs(b.tsc[1]),
		.window_s = window, .windows = pairs};
	rc = 0;
out:
	gen_set(GEN_IDLE);
	if (del_all(live, n_live) != 0 || del_all(bg, BG_STREAMS) != 0)
		rc = -1;
	return rc;
}

/* ---- core rows: run by the control thread when the client asks ------------- */

struct core_job {
	int pending;			/* the client sets it, the control thread clears it */
	bool mikey;
	unsigned int dir, batch;
	uint64_t total;
	int rc;
};

static struct core_job job;

/*
 * The same row through ctl_serve() right after the socket one, so both see
 * the same machine. The client waits (asleep) while the control thread runs it.
 */
static int
core_row(bool mikey, unsigned int dir, unsigned int batch, uint64_t total)
{
	job.mikey = mikey;
	job.dir = dir;
	job.batch = batch;
	job.total = total;
	__atomic_store_n(&job.pending, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&job.pending, __ATOMIC_ACQUIRE))
		usleep(1000);
	return job.rc;
}

static void
core_job_run(void)
{
	if (!__atomic_load_n(&job.pending, __ATOMIC_ACQUIRE))
		return;
	job.rc = job.mikey ? mikey_run(PATH_CORE)
			   : rates_run(PATH_CORE, job.dir, job.batch, job.total);
	__atomic_store_n(&job.pending, 0, __ATOMIC_RELEASE);
}

/* ---- the client thread ------------------------------------------------------ */

struct plan {
	uint64_t total;			/* streams per rate row */
	unsigned int samples;		/* first-packet samples */
	double window;			/* churn: seconds per window */
	unsigned int pairs;		/* churn: quiet + churn window pairs */
	unsigned int batches[3];
	const char *sock;
	int rc;
	int done;
};

static void *
client_main(void *arg)
{
	struct plan *p = arg;
	unsigned int dir, b;
	cpu_set_t cs;

	/* The control thread's core: the worker's stays the worker's. */
	CPU_ZERO(&cs);
	CPU_SET(rte_lcore_to_cpu_id(0), &cs);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(cs), &cs);
	p->rc = -1;
	if (client_connect(p->sock) != 0) {
		perror("bench_control: connect");
		goto out;
	}
	/* Batches of 1, 64 and the most that fit, then the most that fit with "defaults". */
	for (dir = 0; dir < 2; dir++)
		for (b = 0; b < 4; b++) {
			unsigned int d = b == 3 ? dir | DIR_DEFAULTS : dir;
			unsigned int batch = b >= 2 ? batch_fit(d) : p->batches[b];

			if (rates_run(PATH_SOCKET, d, batch, p->total) != 0 ||
			    core_row(false, d, batch, p->total) != 0)
				goto out;
		}
	if (mikey_run(PATH_SOCKET) != 0 || core_row(true, 0, 1, 0) != 0 ||
	    latency_run(p->samples) != 0 ||
	    churn_run(p->window, p->pairs) != 0)
		goto out;
	p->rc = 0;
out:
	__atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* ---- setup and output ------------------------------------------------------- */

static void
on_punt(void *arg, const struct dp_punt_info *pi)
{
	(void)arg;
	(void)pi;
}

/* mcpxd's control loop, until the client is done. */
static void
control_loop(struct ctl_server *srv, const struct plan *p)
{
	while (!__atomic_load_n(&p->done, __ATOMIC_ACQUIRE)) {
		dp_punt_poll(the_dp, on_punt, NULL, 256);
		dp_reclaim(the_dp);
		ctl_ops_tick(&ops);
		ctl_server_poll(srv, 10);
		core_job_run();
	}
}

static int
ports_up(void)
{
	unsigned int n;

	gen_pool = rte_pktmbuf_pool_create("gen", 32767, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (gen_pool == NULL)
		return -1;
	for (n = 0; n < 2; n++) {
		char name[32];
		int pid;

		snprintf(name, sizeof(name), "crx%u", n);
		ring_rx[n] = rte_ring_create(name, 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "ctx%u", n);
		ring_tx[n] = rte_ring_create(name, 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (ring_rx[n] == NULL || ring_tx[n] == NULL)
			return -1;
		snprintf(name, sizeof(name), "cport%u", n);
		pid = rte_eth_from_rings(name, &ring_rx[n], 1, &ring_tx[n], 1, 0);
		if (pid < 0)
			return -1;
		port[n] = (uint16_t)pid;
	}
	return 0;
}

static int
dp_up(unsigned int backend)
{
	struct dp_config cfg;
	int rc;

	dp_config_default(&cfg);
	cfg.n_pairs = 1;
	cfg.pairs[0] = (struct dp_port_pair){.secure = port[0], .plain = port[1]};
	cfg.n_workers = 1;
	cfg.backend = backend;
	cfg.max_streams = 16384;
	/* Every unprotect stream shares one key id (a group of many senders). */
	cfg.max_streams_per_key = cfg.max_streams;
	cfg.no_telemetry = true;
	rc = dp_new(&the_dp, &cfg);
	if (rc == 0)
		rc = dp_start(the_dp);
	if (rc != 0)
		fprintf(stderr, "bench_control: dataplane: %s\n", dp_strerror(rc));
	return rc;
}

static void
print_results(const char *be, const char *log)
{
	const struct rate *best = NULL;
	unsigned int i;

	for (i = 0; i < n_rates; i++) {
		const struct rate *r = &rates[i];
		double ratio = r->per_s[PATH_CORE] > 0 ? r->per_s[PATH_SOCKET] / r->per_s[PATH_CORE]
						       : 0;

		if (strcmp(r->op, "stream.add") == 0 && (best == NULL ||
							  r->per_s[0] > best->per_s[0]))
			best = r;
		if (!json_only)
			printf("%-14s %-14s %6u %8" PRIu64 " %12.0f %12.0f %8.2f\n", r->op, r->what,
			       r->batch, r->n, r->per_s[PATH_SOCKET], r->per_s[PATH_CORE], ratio);
		if (jout != NULL)
			fprintf(jout, "{\"bench\":\"control\",\"backend\":\"%s\",\"op\":\"%s\","
				"\"dir\":\"%s\",\"batch\":%u,\"n\":%" PRIu64 ",\"ops_per_s\":%.0f,"
				"\"core_ops_per_s\":%.0f,\"socket_vs_core\":%.3f,\"unit\":\"%s\","
				"\"marks\":\"%s\"}\n",
				be, r->op, r->what, r->batch, r->n, r->per_s[PATH_SOCKET],
				r->per_s[PATH_CORE], ratio,
				strcmp(r->op, "mikey.install") == 0 ? "messages" : "streams",
				marks_desc);
	}
	if (jout != NULL) {
		fprintf(jout, "{\"bench\":\"control\",\"backend\":\"%s\",\"op\":\"first_protected\","
			"\"samples\":%u,\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,"
			"\"reply_p50_us\":%.1f,\"reply_p99_us\":%.1f}\n", be, lat_res.n, lat_res.p50,
			lat_res.p99, lat_res.max, lat_res.r50, lat_res.r99);
		fprintf(jout, "{\"bench\":\"control\",\"backend\":\"%s\",\"op\":\"churn\","
			"\"streams\":%u,\"workers\":1,\"installs_per_s\":%.0f,\"removes_per_s\":%.0f,"
			"\"quiet_mpps\":%.3f,\"churn_mpps\":%.3f,\"ratio\":%.4f,"
			"\"quiet_pkts_per_loop\":%.2f,\"churn_pkts_per_loop\":%.2f,"
			"\"quiet_cmd_share\":%.5f,\"churn_cmd_share\":%.5f,\"paced_mpps\":%.3f,"
			"\"paced_installs_per_s\":%.0f,\"paced_quiet_when_fed_mpps\":%.3f,"
			"\"paced_churn_when_fed_mpps\":%.3f,\"paced_ratio\":%.4f,"
			"\"paced_quiet_pkts_per_busy_loop\":%.2f,\"paced_churn_pkts_per_busy_loop\":%.2f,"
			"\"marks\":\"%s\",\"busy_retries\":%" PRIu64 "}\n", be, BG_STREAMS,
			churn_res.installs_s, churn_res.removes_s, churn_res.quiet_mpps,
			churn_res.churn_mpps, churn_res.churn_mpps / churn_res.quiet_mpps,
			churn_res.quiet_burst, churn_res.churn_burst, churn_res.quiet_cmd,
			churn_res.churn_cmd, churn_res.paced_mpps, churn_res.paced_installs_s,
			churn_res.paced_quiet_cap, churn_res.paced_churn_cap,
			churn_res.paced_churn_cap / churn_res.paced_quiet_cap,
			churn_res.paced_quiet_burst, churn_res.paced_churn_burst, marks_desc,
			busy_retries);
		fflush(jout);
	}
	if (json_only)
		return;
	printf("\nfirst packet protected (stream.add of one protect stream sent -> its first "
	       "SRTP packet out of the worker),\n%u samples, a flow of 1 packet/us already "
	       "arriving: p50 %.1f us, p99 %.1f us, max %.1f us\n(request sent -> reply read: "
	       "p50 %.1f us, p99 %.1f us)\n", lat_res.n, lat_res.p50, lat_res.p99, lat_res.max,
	       lat_res.r50, lat_res.r99);
	printf("\nchurn: %u protect streams, AEAD_AES_128_GCM, %u-octet payloads, at random; "
	       "%u x (%.2f s quiet, %.2f s churn)\n", BG_STREAMS, PAYLOAD, churn_res.windows,
	       churn_res.window_s, churn_res.window_s);
	printf("  quiet: %.3f Mpps   churn (%.0f installs/s in 10-stream requests + %.0f "
	       "removes/s): %.3f Mpps   ratio %.4f\n", churn_res.quiet_mpps, churn_res.installs_s,
	       churn_res.removes_s, churn_res.churn_mpps,
	       churn_res.churn_mpps / churn_res.quiet_mpps);
	printf("  packets per worker loop: quiet %.1f, churn %.1f (%u: the worker never waited "
	       "for its feed)\n", churn_res.quiet_burst, churn_res.churn_burst, DP_BURST);
	printf("  the worker's time applying commands (cmd_cycles over elapsed): quiet %.3f %%, "
	       "churn %.3f %%\n", 100 * churn_res.quiet_cmd, 100 * churn_res.churn_cmd);
	printf("  paced feed, %.3f Mpps in bursts of 32 (churn %.0f installs/s): the worker's rate "
	       "when fed (forwarded over busy + command cycles): quiet %.3f Mpps, churn %.3f Mpps, "
	       "ratio %.4f; packets per busy loop %.1f, %.1f\n", churn_res.paced_mpps,
	       churn_res.paced_installs_s, churn_res.paced_quiet_cap, churn_res.paced_churn_cap,
	       churn_res.paced_churn_cap / churn_res.paced_quiet_cap, churn_res.paced_quiet_burst,
	       churn_res.paced_churn_burst);
	printf("\ntargets (%s backend):\n", be);
	if (best != NULL)
		printf("  raw-key stream installs >= 200,000/s: %.0f/s over the socket (%s, batch "
		       "%u), %.0f/s core: %s\n", best->per_s[PATH_SOCKET], best->what, best->batch,
		       best->per_s[PATH_CORE], best->per_s[PATH_SOCKET] >= 200000 ? "met"
										: "NOT met");
	printf("  worker rate under 10,000 installs+removes/s >= 0.95 of quiet: %.4f (its rate "
	       "when fed, paced feed, %.0f installs/s reached): %s; %.4f as forwarded (its feed "
	       "shares the control thread's core)\n",
	       churn_res.paced_churn_cap / churn_res.paced_quiet_cap, churn_res.paced_installs_s,
	       churn_res.paced_installs_s < 0.95 * CHURN_RATE ? "NOT measured (churn short)"
	       : churn_res.paced_churn_cap >= 0.95 * churn_res.paced_quiet_cap ? "met" : "NOT met",
	       churn_res.churn_mpps / churn_res.quiet_mpps);
	printf("(ops.log: %s, as mcpxd's stdout log of one line per stream; busy replies "
	       "retried: %" PRIu64 ")\n", log, busy_retries);
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: bench_control [--quick] [--json] [--out FILE] [--backend NAME]\n"
		"\n"
		"  mcpxd's control path (control.sock, ctl_ops, the dataplane) in one process:\n"
		"  stream.add / stream.del / mikey.install rates over the socket and through\n"
		"  ctl_serve() alone, the time to the first protected packet, and the worker's\n"
		"  packet rate under a churn of 10,000 installs and removes per second.\n"
		"\n"
		"  --quick         a short run (seconds)\n"
		"  --smoke         every path once, tiny (the test suite runs it)\n"
		"  --json          one JSON object per row on stdout, no table\n"
		"  --out FILE      the JSON lines into FILE as well (the table stays)\n"
		"  --backend NAME  native (default) or libsrtp\n"
		"  --log FILE      ops.log, the per-stream log line (default /dev/null)\n"
		"  --state-dir D   index marks of protect streams in D, synced per request as\n"
		"                  mcpxd does (default: a fresh directory under /tmp); none:\n"
		"                  in memory, no sync\n"
		"\n"
		"  Cores: lcore 0 on cpu 0 is the control thread (and the client thread shares\n"
		"  cpu 0), lcore 1 on cpu 1 the worker, lcore 2 on cpu 0 the packet generator.\n");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {{"quick", no_argument, NULL, 'q'},
					   {"json", no_argument, NULL, 'j'},
					   {"smoke", no_argument, NULL, 'S'},
					   {"out", required_argument, NULL, 'o'},
					   {"backend", required_argument, NULL, 'b'},
					   {"log", required_argument, NULL, 'l'},
					   {"state-dir", required_argument, NULL, 's'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	char *eal[] = {argv[0], (char *)(uintptr_t)"--no-huge", (char *)(uintptr_t)"--no-shconf",
		       (char *)(uintptr_t)"-m", (char *)(uintptr_t)"1024",
		       (char *)(uintptr_t)"--no-pci", (char *)(uintptr_t)"--lcores=0@0,1@1,2@0",
		       (char *)(uintptr_t)"--file-prefix=benchctl",
		       (char *)(uintptr_t)"--log-level=lib.eal:error", NULL};
	struct plan p = {.total = 8192, .samples = 2000, .window = 1.0, .pairs = 3,
			 .batches = {1, 64, 0}};
	char dir[] = "/tmp/mcpx-benchctlXXXXXX", sock[80];
	const char *out = NULL, *log = "/dev/null", *be_name = "native", *state = NULL;
	char state_dir[128];
	struct ctl_marks *marks = NULL;
	struct ctl_server_cfg scfg = {0};
	struct ctl_server *srv = NULL;
	struct ctl_err err;
	unsigned int d, backend;
	bool launched = false;
	pthread_t client;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'q':
			p = (struct plan){.total = 8192, .samples = 200, .window = 0.25, .pairs = 2,
					  .batches = {1, 64, 0}};
			break;
		case 'S':
			/* Every path once, tiny: the test suite's check that it still runs. */
			p = (struct plan){.total = 64, .samples = 10, .window = 0.02, .pairs = 1,
					  .batches = {1, 64, 0}};
			break;
		case 'j': json_only = true; break;
		case 'o': out = optarg; break;
		case 'b': be_name = optarg; break;
		case 'l': log = optarg; break;
		case 's': state = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (sodium_init() < 0)
		return 1;
	ctl_json_init();
	ctl_heap_keep();	/* as mcpxd */
	signal(SIGPIPE, SIG_IGN);
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0 || dp_srtp_global_init() != 0) {
		fprintf(stderr, "bench_control: EAL or engine failed to start\n");
		return 1;
	}
	hz = rte_get_tsc_hz();
	c = dp_srtp_backend_from_name(be_name);
	if (c < 0 || !dp_srtp_backend_available((unsigned int)c)) {
		fprintf(stderr, "bench_control: --backend %s: not available\n", be_name);
		goto out;
	}
	backend = (unsigned int)c;
	jout = json_only ? stdout : out != NULL ? fopen(out, "w") : NULL;
	ops.log = fopen(log, "w");
	core_buf = malloc(CTL_MSG_MAX + 1);
	rbuf = malloc(CTL_REPLY_MAX + 1);
	if ((out != NULL && jout == NULL) || ops.log == NULL || core_buf == NULL || rbuf == NULL ||
	    mkdtemp(dir) == NULL || ports_up() != 0 || dp_up(backend) != 0) {
		fprintf(stderr, "bench_control: setup failed\n");
		goto out;
	}
	ops.dp = the_dp;
	/* Protect installs persist index marks, one sync per request, as mcpxd --state-dir. */
	if (state == NULL) {
		snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
		state = state_dir;
	}
	if (strcmp(state, "none") != 0) {
		struct ctl_marks_cfg mc = {.dir = state};

		if (ctl_marks_open(&marks, &mc, &err) != 0) {
			fprintf(stderr, "bench_control: --state-dir %s: %s\n", state, err.msg);
			goto out;
		}
		ops.marks = marks;
		marks_desc = ctl_marks_path(marks);
	}
	if (mikey_setup(dir, p.samples >= 2000 ? 200 : p.samples >= 200 ? 20 : 2) != 0) {
		fprintf(stderr, "bench_control: MIKEY setup failed\n");
		goto out;
	}
	if (!json_only) {
		printf("bench_control: %s backend, AEAD_AES_128_GCM streams (MKI 8, RCCm3); "
		       "lcores: 0 = cpu %u control thread (mcpxd's loop: punts, reclaim, "
		       "ctl_server_poll; and the core rows), client thread on cpu %u, "
		       "1 = cpu %u worker, 2 = cpu %u generator (latency and churn only)\n",
		       be_name, rte_lcore_to_cpu_id(0), rte_lcore_to_cpu_id(0),
		       rte_lcore_to_cpu_id(1), rte_lcore_to_cpu_id(GEN_LCORE));
		printf("index marks of protect streams: %s\n", marks != NULL ? marks_desc
						: "none (in memory, no sync)");
		printf("rates: streams (mikey.install: messages of 2 streams) per second; socket: "
		       "one request in flight; core: ctl_serve() on the control thread\n\n");
		printf("%-14s %-14s %6s %8s %12s %12s %8s\n", "op", "dir", "batch", "n", "socket/s",
		       "core/s", "sock/core");
		fflush(stdout);
	}
	snprintf(sock, sizeof(sock), "%s/control.sock", dir);
	scfg.path = sock;
	scfg.uid = getuid();
	if (ctl_server_new(&srv, &scfg, &ops, &err) != 0) {
		fprintf(stderr, "bench_control: %s\n", err.msg);
		goto out;
	}
	p.sock = sock;
	if (rte_eal_remote_launch(gen_main, NULL, GEN_LCORE) != 0)
		goto out;
	launched = true;
	if (pthread_create(&client, NULL, client_main, &p) != 0)
		goto out;
	control_loop(srv, &p);
	pthread_join(client, NULL);
	if (p.rc != 0)
		goto out;
	print_results(be_name, log);
	rc = 0;
out:
	if (launched) {
		gen_set(GEN_STOP);
		rte_eal_wait_lcore(GEN_LCORE);
	}
	if (cl_fd >= 0)
		close(cl_fd);
	ctl_server_free(srv);
	if (the_dp != NULL)
		dp_free(the_dp);
	ctl_keys_free(ops.keys);
	ctl_ops_fini(&ops);
	ctl_marks_close(marks);
	if (state == state_dir) {
		char f[200];

		snprintf(f, sizeof(f), "%s/index.marks", state_dir);
		unlink(f);
		snprintf(f, sizeof(f), "%s/index.key", state_dir);
		unlink(f);
		rmdir(state_dir);
	}
	rmdir(dir);
	if (ops.log != NULL)
		fclose(ops.log);
	if (jout != NULL && jout != stdout)
		fclose(jout);
	free(core_buf);
	free(rbuf);
	for (d = 0; imsg_b64 != NULL && d < n_imsg; d++)
		free(imsg_b64[d]);
	free(imsg_b64);
	dp_srtp_global_fini();
	rte_eal_cleanup();
	return rc;
}
