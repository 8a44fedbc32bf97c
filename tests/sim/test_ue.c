/* SPDX-License-Identifier: proprietary */
/*
 * mcpx-ue client to client, off-network, on loopback (sim/ue): keys from a
 * throw-away KMS and one GMS run; group media and floor control under the
 * GMK, a late joiner after a SEQ wrap (with and without the RCCm3 ROC
 * trailer), a private call under a PCK both ways, tampered and replayed
 * packets, key messages refused and replayed (the MIKEY replay cache, a
 * resent offer), a GMK rekey in the middle of a talk burst and a GMK's
 * expiry. Frames go as fast as possible unless a test says.
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "keys_keyid.h"
#include "keys_period.h"
#include "kms.h"
#include "sim_net.h"
#include "ue_check.h"

#define PERIOD 2592000
#define KMS "kms.example.org"
#define GMS "sip:gms@example.org"
#define GROUP "sip:fire@example.org"

static const char *const users[] = { "sip:alice@example.org", "sip:bob@example.org",
				     "sip:carol@example.org", "sip:dave@example.org" };
#define NU 4

static struct {
	struct kms_domain *kms;
	struct mikey_kms mk;
	uint64_t pno;
	struct kms_keyset *gms_ks;
	struct mikey_signer *gms;
	struct mikey_newkey gmk, gmk2;
	uint8_t gmk_msg[NU][MIKEY_MSG_MAX];
	size_t gmk_len[NU];
	uint8_t gmk2_msg[NU][MIKEY_MSG_MAX];
	size_t gmk2_len[NU];
} F;

static void
setup(void)
{
	cr_assert_geq(sodium_init(), 0);
	cr_assert_eq(dp_srtp_global_init(), 0);
	memset(&F, 0, sizeof(F));
	cr_assert_eq(kms_domain_create(&F.kms, KMS, PERIOD, 0, false), 0);
	F.mk.uri = F.kms->cert.kms_uri;
	F.mk.period_len = PERIOD;
	memcpy(F.mk.kpak, F.kms->cert.kpak, sizeof(F.mk.kpak));
	memcpy(F.mk.z, F.kms->cert.z, sizeof(F.mk.z));
	cr_assert_eq(keys_period_no_unix(&F.pno, time(NULL), PERIOD, 0), 0);
}

static void
teardown(void)
{
	mikey_signer_free(F.gms);
	kms_keyset_free(F.gms_ks);
	kms_domain_free(F.kms);
	sodium_memzero(&F.gmk, sizeof(F.gmk));
	sodium_memzero(&F.gmk2, sizeof(F.gmk2));
	dp_srtp_global_fini();
}

TestSuite(sim_ue, .init = setup, .fini = teardown, .timeout = 120);

/* What the KMS provisions for |uri|, as a store would hold it. */
static struct store *
store_for(const char *uri)
{
	struct store_cert c = { .period_len = PERIOD };
	struct kms_keyset *ks;
	struct store *st;

	cr_assert_eq(store_new(&st), 0);
	strcpy(c.kms_uri, KMS);
	memcpy(c.kpak, F.kms->cert.kpak, sizeof(c.kpak));
	memcpy(c.z, F.kms->cert.z, sizeof(c.z));
	cr_assert_eq(store_put_cert(st, &c, 0), 0);
	cr_assert_eq(kms_issue(&ks, F.kms, uri, F.pno), 0);
	cr_assert_eq(store_put_keyset(st, uri, KMS, F.pno, ks->ssk, ks->pvt, ks->rsk, 0), 0);
	kms_keyset_free(ks);
	return st;
}

/* A client whose clock is |at| (Unix seconds) at its start, as --at; 0: the wall clock. */
static struct ue *
client_at(unsigned int who, const struct ue_cfg *base, int64_t at)
{
	struct ue_cfg cfg = *base;
	struct store *st = store_for(users[who]);
	struct ue_keys *k;
	struct ue *u;

	cfg.local = "127.0.0.1";
	cfg.payload = cfg.payload != 0 ? cfg.payload : UE_FRAME_DEFAULT;
	cr_assert_eq(ue_keys_new(&k, st, users[who], at), 0);
	store_free(st);
	cr_assert_eq(ue_new(&u, &cfg, k), 0);
	return u;
}

static struct ue *
client(unsigned int who, const struct ue_cfg *base)
{
	return client_at(who, base, 0);
}

static void
peer(struct ue *u, const struct ue *p)
{
	uint16_t port[UE_NFDS];

	ue_ports(p, port);
	cr_assert_eq(ue_add_peer(u, "127.0.0.1", port[0], port[1], port[2]), 0);
}

static void
mesh(struct ue **u, unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (i != j)
				peer(u[i], u[j]);
}

/* Unix seconds as an E.6 time (seconds since 1900). */
static uint64_t
t1900(int64_t unix_s)
{
	uint64_t t;

	cr_assert_eq(keys_ntp_from_unix(&t, unix_s), 0);
	return t;
}

/*
 * One GMS run at Unix time |now| (0: the clock): the GMK |k| (made here
 * unless |same|), one I_MESSAGE per member, E.6 activation and expiry as
 * given (Unix seconds, 0: none).
 */
static void
gmk_run(struct mikey_newkey *k, bool same, uint8_t msg[NU][MIKEY_MSG_MAX], size_t len[NU],
	int64_t now, int64_t activation, int64_t expiry)
{
	static const char *const groups[] = { GROUP };
	struct mikey_gmk_opts o = { .groups = groups, .n_groups = 1 };
	struct mikey_tx tx = { .now = now };
	unsigned int i;

	if (F.gms == NULL) {
		cr_assert_eq(kms_issue(&F.gms_ks, F.kms, GMS, F.pno), 0);
		cr_assert_eq(mikey_signer_new(&F.gms, GMS, &F.mk, F.pno, F.gms_ks->ssk,
					      F.gms_ks->pvt), 0);
	}
	if (!same)
		cr_assert_eq(mikey_newkey_make(k, KEYS_PURPOSE_GMK), 0);
	o.activation = activation != 0 ? t1900(activation) : 0;
	o.expiry = expiry != 0 ? t1900(expiry) : 0;
	tx.from = F.gms;
	tx.to.kms = &F.mk;
	for (i = 0; i < NU; i++) {
		tx.to.uri = users[i];
		cr_assert_eq(mikey_gms_gmk(msg[i], MIKEY_MSG_MAX, &len[i], &tx, k, &o), 0);
	}
}

/* One GMS run: one GMK, one I_MESSAGE per member (mikey_gms_gmk). */
static void
gms_run(void)
{
	gmk_run(&F.gmk, false, F.gmk_msg, F.gmk_len, 0, 0, 0);
}

static void
install_gmk(struct ue *u, unsigned int who)
{
	cr_assert_eq(ue_install(u, F.gmk_msg[who], F.gmk_len[who]), 0, "%s", u->err);
}

static uint32_t
guk_of(unsigned int who)
{
	uint32_t g;

	cr_assert_eq(keys_guk_id(&g, F.gmk.key_id, F.gmk.key, users[who]), 0);
	return g;
}

static void
expect_ok(const struct ue *u, uint32_t senders, uint64_t frames)
{
	struct ue_expect e = { .senders = senders, .frames = frames };
	char why[200];

	cr_assert_eq(ue_check(u, &e, why, sizeof(why)), 0, "%s: %s", ue_keys_uri(u->keys), why);
}

static const struct ue_rx_stream *
stream_from(const struct ue_sess *s, unsigned int proto, uint32_t ssrc)
{
	unsigned int i;

	for (i = 0; i < s->n_rx; i++)
		if (s->rx[i].proto == proto && s->rx[i].ssrc == ssrc)
			return &s->rx[i];
	cr_assert_fail("no stream from %08x", ssrc);
	return NULL;
}

/* A plain UDP socket standing in for a member: sees what is sent, sends what it wants. */
static int
sniffer(uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	cr_assert(sim_addr_parse("127.0.0.1", 0, &ss, &len));
	fd = sim_udp_bind(&ss, len);
	cr_assert_geq(fd, 0);
	*port = sim_local_port(fd);
	return fd;
}

/* What a sniffer saw. */
struct seen {
	unsigned int n;
	uint32_t len[2048];
	uint8_t pkt[2048][128];
};

static void
sniff(int fd, struct seen *sn)
{
	uint8_t buf[2048];
	ssize_t r;

	while (fd >= 0 && (r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		cr_assert_lt(sn->n, 2048);
		cr_assert_leq((size_t)r, sizeof(sn->pkt[0]));
		memcpy(sn->pkt[sn->n], buf, (size_t)r);
		sn->len[sn->n++] = (uint32_t)r;
	}
}

/*
 * Drive |n| clients by hand: for |ms| milliseconds, or (|until_done|) until
 * all are done and 100 ms passed quietly. A sniffer |fd| (or -1) is drained
 * on the way into |sn|.
 */
static void
pump_sniff(struct ue **u, unsigned int n, uint32_t ms, bool until_done, int fd, struct seen *sn)
{
	uint64_t start = ue_now_ms(), now = start, quiet = start;
	struct pollfd pfd[8 * UE_NFDS];
	unsigned int i;
	bool done;

	while (now - start < ms) {
		done = until_done;
		for (i = 0; i < n; i++) {
			ue_fds(u[i], &pfd[i * UE_NFDS]);
			done = done && ue_done(u[i]);
		}
		if (done && now - quiet > 100)
			return;
		if (poll(pfd, n * UE_NFDS, 2) > 0)
			quiet = ue_now_ms();
		now = ue_now_ms();
		for (i = 0; i < n; i++) {
			ue_input(u[i], now);
			ue_tick(u[i], now);
		}
		sniff(fd, sn);
	}
	cr_assert(!until_done, "clients not done after %u ms", ms);
}

static void
pump(struct ue **u, unsigned int n, uint32_t ms)
{
	pump_sniff(u, n, ms, false, -1, NULL);
}

static void
start(struct ue **u, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		ue_start(u[i], ue_now_ms());
}

static void
free_all(struct ue **u, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		ue_free(u[i]);
}

/* ------------------------------------------------------------------ tests */

/*
 * Three members of one GMS run, off-network: alice takes the floor (nobody
 * objects: Floor Taken to all), talks 300 frames, releases (Floor Release and
 * Floor Idle to all). Media and floor control are under the GMK; bob and
 * carol derive alice's keys from the GUK-ID in her MKI. A fourth socket on
 * alice's peer list checks the wire layout.
 */
Test(sim_ue, group_media_and_floor_under_gmk)
{
	struct ue_cfg talker = { .frames = 300, .floor = true, .offnet = true,
				 .floor_wait_ms = 30, .seq_set = true, .seq_start = 1000 };
	struct ue_cfg listener = { .offnet = true, .floor_wait_ms = 30 };
	static struct seen sn;
	uint8_t mki[KEYS_MKI_GROUP_LEN];
	unsigned int i, media = 0, floor = 0;
	uint16_t xport;
	int x = sniffer(&xport);
	struct ue *u[3];

	gms_run();
	u[0] = client(0, &talker);
	u[1] = client(1, &listener);
	u[2] = client(2, &listener);
	mesh(u, 3);
	cr_assert_eq(ue_add_peer(u[0], "127.0.0.1", xport, xport, xport), 0);
	for (i = 0; i < 3; i++)
		install_gmk(u[i], i);
	start(u, 3);
	pump_sniff(u, 3, 20000, true, x, &sn);

	expect_ok(u[0], 0, 0);
	expect_ok(u[1], 1, 300);
	expect_ok(u[2], 1, 300);
	cr_assert_eq(u[0]->group->profile, DP_SRTP_AEAD_AES_128_GCM);
	cr_assert_eq(u[0]->group->rcc_r, 1, "Table E.2-1: RCCm3, R = 1");
	for (i = 1; i < 3; i++) {
		const struct ue_rx_stream *m = stream_from(u[i]->group, 0, u[0]->ssrc);

		cr_assert_eq(m->guk_id, guk_of(0), "alice's key from her GUK-ID");
		cr_assert_eq(m->frames.first, 0);
		cr_assert_eq(m->frames.last, 299);
		cr_assert_eq(stream_from(u[i]->group, 1, u[0]->ssrc)->guk_id, guk_of(0));
		cr_assert_eq(u[i]->floor.in[FC_T_REQUEST], 1);
		cr_assert_eq(u[i]->floor.in[FC_T_TAKEN], 1);
		cr_assert_eq(u[i]->floor.in[FC_T_RELEASE], 1);
		cr_assert_eq(u[i]->floor.in[FC_T_IDLE], 1);
		cr_assert_eq(u[i]->floor.notes[FC_NOTE_TAKEN], 1);
		cr_assert_eq(u[i]->floor.notes[FC_NOTE_IDLE], 1);
		cr_assert_eq(u[i]->floor.cli.state, FC_CLI_IDLE);
		cr_assert_eq(u[i]->floor.cli.talker_known, false);
	}
	cr_assert_eq(u[0]->floor.notes[FC_NOTE_GRANTED], 1);
	cr_assert_eq(u[0]->floor.notes[FC_NOTE_RELEASED], 1);
	cr_assert_eq(u[0]->floor.out[FC_T_REQUEST], 1);
	cr_assert_eq(u[0]->floor.out[FC_T_TAKEN], 1);
	cr_assert_eq(u[0]->floor.out[FC_T_RELEASE], 1);
	cr_assert_eq(u[0]->floor.out[FC_T_IDLE], 1);

	/* On the wire: MKI = GMK-ID || GUK-ID(alice) on SRTP and SRTCP; ROC trailer. */
	keys_mki_group(mki, F.gmk.key_id, guk_of(0));
	for (i = 0; i < sn.n; i++) {
		const uint8_t *p = sn.pkt[i];
		uint32_t len = sn.len[i];

		if (p[1] == 204) {	/* SRTCP: ... tag(16) E|index(4) MKI(8) */
			floor++;
			cr_assert_arr_eq(p + len - 8, mki, 8);
			cr_assert(p[len - 12] & 0x80, "E = 1: encrypted");
			cr_assert_eq(p[8] == 'M' && p[9] == 'C', false, "the name is ciphertext");
			continue;
		}
		media++;
		cr_assert_eq(len, 12 + UE_FRAME_DEFAULT + 16 + 8 + 4, "28-octet group trailer");
		cr_assert_arr_eq(p + len - 12, mki, 8);
		cr_assert_eq(p[len - 4] | p[len - 3] | p[len - 2] | p[len - 1], 0, "ROC 0");
	}
	cr_assert_eq(media, 300);
	cr_assert_eq(floor, 4, "Request, Taken, Release, Idle");
	free_all(u, 3);
	close(x);
}

/*
 * Off-network, TS 24.380 Annex C: 'O: has no permission' + Floor Release from
 * the arbitrator -> 'O: silence'. The Floor Idle we add may follow or not; a
 * Release from anyone else changes nothing. Then a PTT press gets the floor.
 */
Test(sim_ue, offnet_floor_release_from_the_talker_frees_the_floor)
{
	static const struct {
		enum fc_type type;
		uint32_t from;
		enum fc_cli_state state;
		enum fc_note note;
	} step[] = {
		/* 1 */ {FC_T_TAKEN, 0x2222, FC_CLI_TAKEN, FC_NOTE_TAKEN},
		/* 2 */ {FC_T_RELEASE, 0x3333, FC_CLI_TAKEN, FC_NOTE_NONE},	/* not the talker */
		/* 3 */ {FC_T_RELEASE, 0x2222, FC_CLI_IDLE, FC_NOTE_IDLE},
		/* 4 */ {FC_T_IDLE, 0x2222, FC_CLI_IDLE, FC_NOTE_NONE},
		/* 5 */ {FC_T_RELEASE, 0x2222, FC_CLI_IDLE, FC_NOTE_NONE},	/* a repeat */
		/* 6 */ {FC_T_TAKEN, 0x3333, FC_CLI_TAKEN, FC_NOTE_TAKEN},
		/* 7 */ {FC_T_RELEASE, 0x2222, FC_CLI_TAKEN, FC_NOTE_NONE},	/* the old talker */
		/* 8 */ {FC_T_RELEASE, 0x3333, FC_CLI_IDLE, FC_NOTE_IDLE},
	};
	struct fc_cli_cfg cfg = { .ssrc = 0x1111, .user_id = "sip:b@example.org" };
	struct ue_floor f;
	struct ue_floor_out o;
	struct fc_msg m;
	unsigned int i;

	ue_floor_init(&f, &cfg, true, 200);
	for (i = 0; i < sizeof(step) / sizeof(step[0]); i++) {
		fc_msg_init(&m, step[i].type, false, step[i].from);
		if (step[i].type == FC_T_TAKEN) {
			m.present = FC_F_SSRC;
			m.granted_ssrc = step[i].from;
		}
		cr_assert_eq(ue_floor_rx(&f, &m, 10 * i, &o), 0, "step %u", i + 1);
		cr_assert_eq(f.cli.state, step[i].state, "step %u: %s", i + 1,
			     fc_cli_state_name(f.cli.state));
		cr_assert_eq(o.note, step[i].note, "step %u: %s", i + 1, fc_note_name(o.note));
		cr_assert_eq(o.n, 0, "step %u: nothing sent", i + 1);
	}
	cr_assert_eq(f.unexpected, 0);
	cr_assert_eq(ue_floor_ptt(&f, true, 1000, &o), 0);
	cr_assert_eq(f.cli.state, FC_CLI_PENDING_REQUEST);
	ue_floor_tick(&f, 1000 + 200, &o);
	cr_assert(ue_floor_has_permission(&f), "the floor was free: ours after the wait");
}

/* The holder arbitrates: a request while alice talks is denied; after her Idle, bob gets it. */
Test(sim_ue, floor_denied_while_taken_then_granted)
{
	struct ue_cfg cfg = { .offnet = true, .floor_wait_ms = 30 };
	struct ue *u[3];
	unsigned int i;

	gms_run();
	for (i = 0; i < 3; i++) {
		u[i] = client(i, &cfg);
		install_gmk(u[i], i);
	}
	mesh(u, 3);
	start(u, 3);
	cr_assert_eq(ue_ptt(u[0], true, ue_now_ms()), 0);
	pump(u, 3, 200);
	cr_assert(ue_floor_has_permission(&u[0]->floor));
	cr_assert_eq(u[1]->floor.cli.state, FC_CLI_TAKEN);
	cr_assert_eq(u[2]->floor.cli.talker_ssrc, u[0]->ssrc);
	cr_assert_str_eq(u[2]->floor.cli.talker.s, users[0]);

	cr_assert_eq(ue_ptt(u[1], true, ue_now_ms()), 0);
	pump(u, 3, 150);
	cr_assert_eq(u[1]->floor.notes[FC_NOTE_DENIED], 1);
	cr_assert_eq(u[0]->floor.out[FC_T_DENY], 1);
	cr_assert_eq(u[2]->floor.in[FC_T_DENY], 0, "the Deny goes to the requester only");
	cr_assert_neq(u[1]->floor.cli.state, FC_CLI_HAS_PERMISSION);
	cr_assert(ue_floor_has_permission(&u[0]->floor));

	cr_assert_eq(ue_ptt(u[0], false, ue_now_ms()), 0);
	pump(u, 3, 150);
	for (i = 0; i < 3; i++)
		cr_assert_eq(u[i]->floor.cli.state, FC_CLI_IDLE, "%s", users[i]);

	cr_assert_eq(ue_ptt(u[1], true, ue_now_ms()), 0);
	pump(u, 3, 200);
	cr_assert(ue_floor_has_permission(&u[1]->floor));
	cr_assert_eq(u[0]->floor.cli.talker_ssrc, u[1]->ssrc);
	cr_assert_eq(u[2]->floor.cli.talker_ssrc, u[1]->ssrc);
	cr_assert_eq(stream_from(u[0]->group, 1, u[1]->ssrc)->guk_id, guk_of(1));
	for (i = 0; i < 3; i++)
		cr_assert_eq(ue_drops(u[i]), 0);
	free_all(u, 3);
}

/*
 * alice starts at SEQ 65000 and sends 1000 frames: her SEQ wraps after 536
 * and her ROC becomes 1. bob hears everything; carol joins after 700
 * packets and must take the ROC from the RCCm3 trailer; dave joins at the
 * same point but ignores the trailer, and fails every packet.
 */
Test(sim_ue, late_joiner_after_wrap_needs_the_roc_trailer)
{
	struct ue_cfg talker = { .frames = 1000, .seq_set = true, .seq_start = 65000 };
	struct ue_cfg late = { .join_after = 700 };
	struct ue_cfg deaf = { .join_after = 700, .ignore_roc = true };
	struct ue_cfg listener = { 0 };
	const struct ue_rx_stream *st;
	struct ue_expect e = { .senders = 1, .frames = 1 };
	struct ue *u[4];
	unsigned int i;

	gms_run();
	u[0] = client(0, &talker);
	u[1] = client(1, &listener);
	u[2] = client(2, &late);
	u[3] = client(3, &deaf);
	mesh(u, 4);
	for (i = 0; i < 4; i++)
		install_gmk(u[i], i);
	start(u, 4);
	pump_sniff(u, 4, 30000, true, -1, NULL);

	expect_ok(u[0], 0, 0);
	expect_ok(u[1], 1, 1000);
	st = stream_from(u[1]->group, 0, u[0]->ssrc);
	cr_assert_eq(dp_srtp_ctx_roc(st->ctx), 1);

	expect_ok(u[2], 1, 300);
	cr_assert_eq(u[2]->st.join_skipped, 700);
	st = stream_from(u[2]->group, 0, u[0]->ssrc);
	cr_assert_eq(st->frames.first, 700);
	cr_assert_eq(st->frames.last, 999);
	cr_assert_eq(st->frames.ok, 300);
	cr_assert_eq(dp_srtp_ctx_roc(st->ctx), 1, "ROC learnt from the trailer");

	/* The negative: the same joiner without the trailer never gets a packet through. */
	cr_assert_eq(u[3]->st.join_skipped, 700);
	cr_assert_eq(u[3]->group->verdict[0][DP_V_DROP_AUTH], 300);
	cr_assert_eq(u[3]->group->verdict[0][DP_V_FWD], 0);
	cr_assert_eq(u[3]->group->n_rx, 0, "no context kept for a packet that did not verify");
	cr_assert_eq(u[3]->group->trials_failed, 300);
	cr_assert_gt(ue_check(u[3], &e, NULL, 0), 0);
	free_all(u, 4);
}

/*
 * A private call: alice makes the PCK for bob (SAKKE-to-self for her own
 * copy) and offers it on bob's signalling port; bob opens it and answers.
 * Each takes the floor off-network under the PCK and talks 200 frames: CS 0
 * one way, CS 1 the other, MKI PCK-ID both ways, no RCC.
 */
Test(sim_ue, private_call_both_ways_under_pck)
{
	struct ue_cfg caller = { .frames = 200, .floor = true, .offnet = true, .floor_wait_ms = 30 };
	struct ue_cfg callee = { .frames = 200, .floor = true, .offnet = true, .floor_wait_ms = 30,
				 .talk_at_ms = 100 };
	uint8_t msg[MIKEY_MSG_MAX];
	size_t len;
	struct ue *u[2];
	unsigned int i;

	u[0] = client(0, &caller);
	u[1] = client(1, &callee);
	mesh(u, 2);
	cr_assert_eq(ue_make_key(u[0], KEYS_PURPOSE_PCK, users[1], NULL, 0, msg, sizeof(msg), &len),
		     0, "%s", u[0]->err);
	cr_assert_not_null(u[0]->priv);
	cr_assert_null(u[1]->priv);
	start(u, 2);
	pump_sniff(u, 2, 20000, true, -1, NULL);

	expect_ok(u[0], 1, 200);
	expect_ok(u[1], 1, 200);
	cr_assert(u[0]->offer.acked);
	cr_assert_eq(u[1]->st.sig_keys, 1);
	cr_assert(u[0]->priv->key.from_self, "the caller is the initiator");
	cr_assert(!u[1]->priv->key.from_self);
	cr_assert_eq(u[0]->priv->key.key_id, u[1]->priv->key.key_id);
	cr_assert_eq(keys_id_purpose(u[0]->priv->key.key_id), KEYS_PURPOSE_PCK);
	for (i = 0; i < 2; i++) {
		cr_assert_eq(u[i]->priv->key.mki_len, 4);
		cr_assert_eq(u[i]->priv->rcc_r, 0, "Table E.3-1: no RCC");
		cr_assert_eq(u[i]->floor.notes[FC_NOTE_GRANTED], 1);
		cr_assert_geq(u[i]->floor.notes[FC_NOTE_RELEASED], 1);
		cr_assert_not_null(stream_from(u[i]->priv, 1, u[1 - i]->ssrc));
		cr_assert_eq(stream_from(u[i]->priv, 0, u[1 - i]->ssrc)->frames.ok, 200);
	}
	/* The same PCK opened by bob from the caller's message is refused to carol. */
	{
		struct ue_cfg c = { 0 };
		struct ue *carol = client(2, &c);

		cr_assert_eq(ue_install(carol, msg, len), -UE_E_KEY);
		cr_assert(strstr(carol->err, "NOT_RECIPIENT") != NULL, "%s", carol->err);
		ue_free(carol);
	}
	free_all(u, 2);
}

static void
resend(int fd, const struct ue *to, const uint8_t *p, uint32_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	uint16_t port[UE_NFDS];

	ue_ports(to, port);
	cr_assert(sim_addr_parse("127.0.0.1", port[UE_MEDIA], &ss, &sl));
	cr_assert_eq(sendto(fd, p, len, 0, (struct sockaddr *)&ss, sl), (ssize_t)len);
}

/*
 * Replayed, altered, re-keyed and truncated copies of alice's packets reach
 * bob, who joined after her first 10 packets (so those 10 are fresh indices
 * to him: altered, they must fail authentication, not the replay check).
 */
Test(sim_ue, tampered_and_replayed_are_counted_not_accepted)
{
	struct ue_cfg talker = { .frames = 60, .seq_set = true, .seq_start = 100 };
	struct ue_cfg listener = { .join_after = 10 };
	struct ue_expect e = { .senders = 1, .frames = 50 };
	static struct seen sn;
	const uint64_t *v;
	uint8_t p[128];
	unsigned int i;
	uint16_t xport;
	int x = sniffer(&xport);
	struct ue *u[2];

	gms_run();
	u[0] = client(0, &talker);
	u[1] = client(1, &listener);
	mesh(u, 2);
	cr_assert_eq(ue_add_peer(u[0], "127.0.0.1", xport, xport, xport), 0);
	install_gmk(u[0], 0);
	install_gmk(u[1], 1);
	start(u, 2);
	pump_sniff(u, 2, 10000, true, x, &sn);
	cr_assert_eq(sn.n, 60);
	expect_ok(u[1], 1, 50);

	for (i = 0; i < 10; i++) {		/* one payload bit, an index bob never saw */
		memcpy(p, sn.pkt[i], sn.len[i]);
		p[12 + i] ^= 0x01;
		resend(x, u[1], p, sn.len[i]);
	}
	for (i = 20; i < 30; i++)		/* replays */
		resend(x, u[1], sn.pkt[i], sn.len[i]);
	for (i = 30; i < 35; i++) {		/* the ROC trailer */
		memcpy(p, sn.pkt[i], sn.len[i]);
		p[sn.len[i] - 1] = 7;
		resend(x, u[1], p, sn.len[i]);
	}
	memcpy(p, sn.pkt[35], sn.len[35]);	/* another SSRC: a trial that fails */
	p[11] ^= 0x40;
	resend(x, u[1], p, sn.len[35]);
	for (i = 40; i < 45; i++) {		/* the GMK-ID in the MKI */
		memcpy(p, sn.pkt[i], sn.len[i]);
		p[sn.len[i] - 12] ^= 0x01;
		resend(x, u[1], p, sn.len[i]);
	}
	resend(x, u[1], sn.pkt[50], 20);	/* truncated */
	pump(u, 2, 150);

	v = u[1]->group->verdict[0];
	cr_assert_eq(v[DP_V_FWD], 50);
	cr_assert_eq(v[DP_V_DROP_AUTH], 10 + 5 + 1);
	cr_assert_eq(v[DP_V_DROP_REPLAY], 10);
	cr_assert_eq(v[DP_V_DROP_NOCTX], 5);
	cr_assert_eq(v[DP_V_DROP_SHORT], 1);
	cr_assert_eq(u[1]->group->trials_failed, 1);
	cr_assert_eq(u[1]->group->n_rx, 1);
	cr_assert_eq(stream_from(u[1]->group, 0, u[0]->ssrc)->frames.ok, 50);
	cr_assert_eq(stream_from(u[1]->group, 0, u[0]->ssrc)->frames.bad, 0);
	cr_assert_eq(stream_from(u[1]->group, 0, u[0]->ssrc)->frames.late, 0);
	cr_assert_eq(ue_drops(u[1]), 32);
	cr_assert_eq(ue_check(u[1], &e, NULL, 0), 1, "drops fail the run");
	e.allow_drops = true;
	cr_assert_eq(ue_check(u[1], &e, NULL, 0), 0);
	free_all(u, 2);
	close(x);
}

/* Key messages: raw, base64 with the SDP prefix, to someone else, altered. */
Test(sim_ue, key_messages_accepted_and_refused)
{
	char b64[UE_MIKEY_B64_MAX + 48] = "a=key-mgmt:mikey ";
	struct ue_cfg cfg = { 0 };
	uint8_t bad[MIKEY_MSG_MAX];
	struct ue *u;

	gms_run();
	u = client(1, &cfg);
	cr_assert_eq(ue_install(u, F.gmk_msg[0], F.gmk_len[0]), -UE_E_KEY, "alice's, not bob's");
	cr_assert(strstr(u->err, "NOT_RECIPIENT") != NULL, "%s", u->err);
	cr_assert_null(u->group);
	memcpy(bad, F.gmk_msg[1], F.gmk_len[1]);
	bad[F.gmk_len[1] - 40] ^= 0x01;		/* inside the ECCSI signature */
	cr_assert_eq(ue_install(u, bad, F.gmk_len[1]), -UE_E_KEY);
	cr_assert(strstr(u->err, "BAD_SIGNATURE") != NULL, "%s", u->err);
	cr_assert_eq(ue_install(u, (const uint8_t *)"not base64!", 11), -UE_E_KEY);
	cr_assert_eq(ue_mikey_b64(b64 + strlen(b64), UE_MIKEY_B64_MAX, F.gmk_msg[1], F.gmk_len[1]),
		     0);
	strcat(b64, "\r\n");
	cr_assert_eq(ue_install(u, (const uint8_t *)b64, strlen(b64)), 0, "%s", u->err);
	cr_assert_not_null(u->group);
	cr_assert_eq(u->group->key.key_id, F.gmk.key_id);
	cr_assert_eq(u->group->key.csb_id, guk_of(1));
	cr_assert_eq(ue_keys_counters(u->keys)->accepted, 1);
	/*
	 * as mcpx-keys prints it: a "#" line first; the same message again is a
	 * repeat (the replay cache refuses it, ue_install takes it as already
	 * held) and the GMK is held once
	 */
	memmove(b64 + 14, b64, strlen(b64) + 1);
	memcpy(b64, "# GMK for bob\n", 14);
	cr_assert_eq(ue_install(u, (const uint8_t *)b64, strlen(b64)), 0, "%s", u->err);
	cr_assert_eq(ue_keys_counters(u->keys)->accepted, 1);
	cr_assert_eq(ue_keys_counters(u->keys)->rejected[MIKEY_REJECT_REPLAY], 1);
	cr_assert_eq(u->st.key_repeats, 1);
	cr_assert_eq(u->n_gmk, 1);
	ue_free(u);
}

/*
 * A replayed old PCK does not bring its key back: bob takes alice's PCK1,
 * then her PCK2; PCK1's message again (within its window) is refused by the
 * replay cache and changes nothing, where before it re-keyed the call.
 */
Test(sim_ue, replayed_old_pck_does_not_rekey)
{
	struct ue_cfg cfg = { 0 };
	uint8_t m1[MIKEY_MSG_MAX], m2[MIKEY_MSG_MAX];
	size_t l1, l2;
	uint32_t k1, k2;
	struct ue *u[2];

	u[0] = client(0, &cfg);
	u[1] = client(1, &cfg);
	cr_assert_eq(ue_make_key(u[0], KEYS_PURPOSE_PCK, users[1], NULL, -1, m1, sizeof(m1), &l1),
		     0, "%s", u[0]->err);
	k1 = u[0]->priv->key.key_id;
	cr_assert_eq(ue_make_key(u[0], KEYS_PURPOSE_PCK, users[1], NULL, -1, m2, sizeof(m2), &l2),
		     0, "%s", u[0]->err);
	k2 = u[0]->priv->key.key_id;
	cr_assert_neq(k1, k2);
	cr_assert_eq(ue_install(u[1], m1, l1), 0, "%s", u[1]->err);
	cr_assert_eq(u[1]->priv->key.key_id, k1);
	cr_assert_eq(ue_install(u[1], m2, l2), 0, "%s", u[1]->err);
	cr_assert_eq(u[1]->priv->key.key_id, k2);
	cr_assert_eq(ue_install(u[1], m1, l1), 0, "a repeat: answered as before");
	cr_assert_eq(u[1]->priv->key.key_id, k2, "the old PCK is not back");
	cr_assert_eq(u[1]->st.key_repeats, 1);
	cr_assert_eq(ue_keys_counters(u[1]->keys)->rejected[MIKEY_REJECT_REPLAY], 1);
	cr_assert_eq(ue_keys_counters(u[1]->keys)->accepted, 2);
	/* the caller's own message, reflected back to it, is a replay too */
	cr_assert_eq(ue_install(u[0], m1, l1), 0, "%s", u[0]->err);
	cr_assert_eq(u[0]->priv->key.key_id, k2);
	cr_assert_eq(u[0]->st.key_repeats, 1);
	free_all(u, 2);
}

/* Every datagram queued on |fd|, up to |max|, NUL-terminated. */
static unsigned int
datagrams(int fd, char (*d)[UE_SIG_MAX + 1], size_t *len, unsigned int max)
{
	unsigned int n = 0;
	ssize_t r;

	while (n < max && (r = recv(fd, d[n], UE_SIG_MAX, MSG_DONTWAIT)) > 0) {
		d[n][r] = '\0';
		len[n++] = (size_t)r;
	}
	return n;
}

/*
 * A resent offer whose ACK was lost (33.180 leaves transport to SIP; here
 * the side channel resends every 200 ms): alice's KEY goes to a socket that
 * stands for the network, which hands bob two of her identical
 * transmissions. bob ACKs both, keys the call once and counts the second as
 * a repeat (the replay cache saw it); the second ACK settles alice's offer.
 */
Test(sim_ue, resent_offer_is_answered_again_not_rekeyed)
{
	static char got[8][UE_SIG_MAX + 1];
	struct ue_cfg cfg = { 0 };
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t len[8];
	uint16_t xport, port[UE_NFDS];
	unsigned int n, i;
	int x = sniffer(&xport);
	struct ue *u[2];

	u[0] = client(0, &cfg);
	u[1] = client(1, &cfg);
	cr_assert_eq(ue_add_peer(u[0], "127.0.0.1", xport, xport, xport), 0);
	cr_assert_eq(ue_make_key(u[0], KEYS_PURPOSE_PCK, users[1], NULL, 0, NULL, 0, NULL), 0,
		     "%s", u[0]->err);
	start(u, 1);
	pump(u, 1, 450);			/* KEY at 0, 200, 400 ms */
	n = datagrams(x, got, len, 8);
	cr_assert_geq(n, 2);
	cr_assert_eq(len[0], len[1]);
	cr_assert_str_eq(got[0], got[1], "a resend is the same KEY");
	ue_ports(u[1], port);
	cr_assert(sim_addr_parse("127.0.0.1", port[UE_SIG], &ss, &sl));
	for (i = 0; i < 2; i++)
		cr_assert_eq(sendto(x, got[i], len[i], 0, (struct sockaddr *)&ss, sl),
			     (ssize_t)len[i]);
	pump(&u[1], 1, 100);
	n = datagrams(x, got, len, 8);
	cr_assert_eq(n, 2);
	for (i = 0; i < 2; i++)
		cr_assert(strncmp(got[i], "MCPX-SIG/1 ACK\n", 15) == 0, "%u: %s", i, got[i]);
	cr_assert_eq(u[1]->st.sig_keys, 2);
	cr_assert_eq(u[1]->st.sig_key_refused, 0);
	cr_assert_eq(u[1]->st.key_repeats, 1);
	cr_assert_eq(ue_keys_counters(u[1]->keys)->rejected[MIKEY_REJECT_REPLAY], 1);
	cr_assert_eq(u[1]->priv->key.key_id, u[0]->priv->key.key_id);
	ue_ports(u[0], port);
	cr_assert(sim_addr_parse("127.0.0.1", port[UE_SIG], &ss, &sl));
	cr_assert_eq(sendto(x, got[1], len[1], 0, (struct sockaddr *)&ss, sl), (ssize_t)len[1]);
	pump(u, 1, 100);
	cr_assert(u[0]->offer.acked);
	cr_assert(!u[0]->offer.refused);
	free_all(u, 2);
	close(x);
}

/*
 * A GMK whose GMS hides itself (IDRuidi, 33.180 E.7): refused until the
 * client is told to expect the GMS (--initiator), then held and named.
 */
Test(sim_ue, hidden_gms_needs_the_expected_initiator)
{
	static const char *const wrong[] = { "sip:alice@example.org" };
	static const char *const right[] = { "sip:alice@example.org", GMS };
	static const char *const groups[] = { GROUP };
	struct mikey_gmk_opts o = { .groups = groups, .n_groups = 1 };
	struct mikey_tx tx = { 0 };
	struct ue_cfg cfg = { 0 };
	uint8_t msg[MIKEY_MSG_MAX];
	size_t len;
	struct ue *u;

	gms_run();
	tx.from = F.gms;
	tx.to.uri = users[1];
	tx.to.kms = &F.mk;
	tx.hide_ids = true;
	cr_assert_eq(mikey_gms_gmk(msg, sizeof(msg), &len, &tx, &F.gmk, &o), 0);
	u = client(1, &cfg);
	cr_assert_eq(ue_install(u, msg, len), -UE_E_KEY);
	cr_assert(strstr(u->err, "UNKNOWN_INITIATOR") != NULL, "%s", u->err);
	cr_assert_eq(ue_keys_expect(u->keys, wrong, 1), 0);
	cr_assert_eq(ue_install(u, msg, len), -UE_E_KEY);
	cr_assert(strstr(u->err, "UNKNOWN_INITIATOR") != NULL, "%s", u->err);
	cr_assert_null(u->group);
	cr_assert_eq(ue_keys_expect(u->keys, right, 2), 0);
	cr_assert_eq(ue_install(u, msg, len), 0, "%s", u->err);
	cr_assert_not_null(u->group);
	cr_assert(u->group->key.initiator_hidden);
	cr_assert_str_eq(u->group->key.initiator, GMS);
	cr_assert_eq(ue_keys_counters(u->keys)->rejected[MIKEY_REJECT_UNKNOWN_INITIATOR], 2);
	cr_assert_eq(ue_keys_expect(u->keys, right, UE_INITIATORS_MAX + 1), -KEYS_E_RANGE);
	ue_free(u);
}

/* The GMK-ID in the MKI of a group packet (SRTP: ... MKI(8) ROC(4); SRTCP: ... MKI(8)). */
static uint32_t
gmk_id_on_wire(const uint8_t *p, uint32_t len)
{
	const uint8_t *m = p + len - (p[1] == 204 ? 8 : 12);

	return (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
}

/*
 * A GMK rekey in the middle of a talk burst (33.180 §7.4, E.6). Every
 * client's clock is --at T0 plus the time since its start; GMK1 is active
 * since T0 - 10, GMK2 from T0 + 1. alice takes the floor and talks 200
 * frames at 100 per second, so the switch falls near frame 100: her frames
 * go under GMK1, then under GMK2 from the first tick at or past T0 + 1, in
 * one unbroken SEQ run on the wire. bob holds both GMKs and verifies all 200
 * frames as one run, no gap at the switch, and the floor messages under each
 * key; his clock runs 5 s behind (GMK2 is never active for him), so it is
 * the MKI, not his clock, that picks the key a packet is under. carol was
 * given GMK1 only: she loses exactly the frames after the switch (refused,
 * counted) and fails her checks.
 */
Test(sim_ue, gmk_rekey_mid_burst_loses_no_frame)
{
	struct ue_cfg talker = { .frames = 200, .rate = 100, .floor = true, .offnet = true,
				 .floor_wait_ms = 30, .seq_set = true, .seq_start = 5000 };
	struct ue_cfg listener = { .offnet = true, .floor_wait_ms = 30 };
	struct ue_expect e = { .senders = 1, .frames = 200 };
	const struct ue_sess *g1, *g2;
	const struct ue_rx_stream *st;
	int64_t t0 = (int64_t)time(NULL);
	uint32_t f, id, n_media = 0, n_floor = 0, seq, guk2;
	static struct seen sn;
	uint16_t xport;
	int x = sniffer(&xport);
	struct ue *u[3];
	unsigned int i;

	gmk_run(&F.gmk, false, F.gmk_msg, F.gmk_len, t0, t0 - 10, 0);
	gmk_run(&F.gmk2, false, F.gmk2_msg, F.gmk2_len, t0, t0 + 1, 0);
	u[0] = client_at(0, &talker, t0);
	u[1] = client_at(1, &listener, t0 - 5);
	u[2] = client_at(2, &listener, t0);
	mesh(u, 3);
	cr_assert_eq(ue_add_peer(u[0], "127.0.0.1", xport, xport, xport), 0);
	for (i = 0; i < 3; i++)
		install_gmk(u[i], i);
	for (i = 0; i < 2; i++)
		cr_assert_eq(ue_install(u[i], F.gmk2_msg[i], F.gmk2_len[i]), 0, "%s", u[i]->err);
	cr_assert_eq(u[0]->n_gmk, 2);
	cr_assert_eq(u[0]->group, u[0]->gmk[0], "GMK2 is not active yet at T0");
	start(u, 3);
	pump_sniff(u, 3, 20000, true, x, &sn);

	/* alice: frames 0..f-1 under GMK1, f..199 under GMK2, switched once, not early */
	g1 = u[0]->gmk[0];
	g2 = u[0]->gmk[1];
	f = (uint32_t)g1->tx_frames;
	expect_ok(u[0], 0, 0);
	cr_assert_eq(g1->key.key_id, F.gmk.key_id);
	cr_assert_eq(g2->key.key_id, F.gmk2.key_id);
	cr_assert_eq(u[0]->group, g2);
	cr_assert_eq(u[0]->key_switches, 1);
	cr_assert_gt(f, 0);
	cr_assert_gt(g2->tx_frames, 0);
	cr_assert_eq(g1->tx_first, 0);
	cr_assert_eq(g2->tx_first, f, "the burst goes on under GMK2 at the next frame");
	cr_assert_eq(g1->tx_frames + g2->tx_frames, 200);
	cr_assert_eq(g1->tx_since_ms, 0);
	cr_assert_geq(g2->tx_since_ms, 1000, "not before activation (T0 + 1 s)");
	cr_assert_leq(f, 100, "at 100 frames/s, no more than 100 are due before T0 + 1 s");

	/* On the wire: GMK1 then GMK2, never back; SEQ unbroken (no frame dropped or repeated). */
	for (i = 0, seq = 5000; i < sn.n; i++) {
		id = gmk_id_on_wire(sn.pkt[i], sn.len[i]);
		if (sn.pkt[i][1] == 204) {	/* Request, Taken; Release, Idle */
			cr_assert_eq(id, n_floor++ < 2 ? F.gmk.key_id : F.gmk2.key_id);
			continue;
		}
		cr_assert_eq((uint32_t)sn.pkt[i][2] << 8 | sn.pkt[i][3], seq++ & 0xffff);
		cr_assert_eq(id, n_media++ < f ? F.gmk.key_id : F.gmk2.key_id, "media packet %u",
			     n_media - 1);
	}
	cr_assert_eq(n_media, 200);
	cr_assert_eq(n_floor, 4);

	/* bob: one run of 200 frames across both keys; each key's part as sent */
	expect_ok(u[1], 1, 200);
	cr_assert_eq(u[1]->n_from, 1);
	cr_assert_eq(u[1]->from[0].frames.ok, 200);
	cr_assert_eq(u[1]->from[0].frames.first, 0);
	cr_assert_eq(u[1]->from[0].frames.last, 199);
	cr_assert_eq(u[1]->from[0].frames.gaps, 0);
	st = stream_from(u[1]->gmk[0], 0, u[0]->ssrc);
	cr_assert_eq(st->frames.ok, f);
	cr_assert_eq(st->frames.last, f - 1);
	st = stream_from(u[1]->gmk[1], 0, u[0]->ssrc);
	cr_assert_eq(st->frames.ok, 200 - f);
	cr_assert_eq(st->frames.first, f);
	cr_assert_eq(keys_guk_id(&guk2, F.gmk2.key_id, F.gmk2.key, users[0]), 0);
	cr_assert_eq(st->guk_id, guk2, "alice's GUK-ID under GMK2");
	cr_assert_eq(u[1]->gmk[0]->verdict[1][DP_V_FWD], 2, "Floor Request, Taken under GMK1");
	cr_assert_eq(u[1]->gmk[1]->verdict[1][DP_V_FWD], 2, "Floor Release, Idle under GMK2");
	cr_assert_eq(u[1]->floor.cli.state, FC_CLI_IDLE);
	cr_assert_eq(ue_drops(u[1]), 0);
	cr_assert_eq(u[1]->group, u[1]->gmk[0], "by bob's clock GMK2 is not active yet");

	/* carol (GMK1 only): the frames after the switch are refused, counted, and fail her */
	cr_assert_eq(u[2]->n_gmk, 1);
	cr_assert_eq(u[2]->gmk[0]->verdict[0][DP_V_FWD], f);
	cr_assert_eq(u[2]->gmk[0]->verdict[0][DP_V_DROP_NOCTX], 200 - f);
	cr_assert_eq(u[2]->gmk[0]->verdict[1][DP_V_DROP_NOCTX], 2);
	cr_assert_eq(u[2]->from[0].frames.ok, f);
	cr_assert_eq(u[2]->from[0].frames.last, f - 1);
	cr_assert_gt(ue_check(u[2], &e, NULL, 0), 0);
	free_all(u, 3);
	close(x);
}

/*
 * A GMK's expiry ends its use for receiving too (E.6). bob's copy of the
 * GMK expires at T0 + 1 (same key, a message of its own); alice's never
 * does. alice talks 200 frames at 100 per second: bob verifies those before
 * T0 + 1 and refuses the rest (drop_policy), with no key left to send under.
 */
Test(sim_ue, gmk_expiry_refuses_what_comes_after)
{
	struct ue_cfg talker = { .frames = 200, .rate = 100 };
	struct ue_cfg listener = { 0 };
	int64_t t0 = (int64_t)time(NULL);
	uint64_t ok, late;
	struct ue *u[2];

	gmk_run(&F.gmk, false, F.gmk_msg, F.gmk_len, t0, 0, 0);
	gmk_run(&F.gmk, true, F.gmk2_msg, F.gmk2_len, t0, 0, t0 + 1);
	u[0] = client_at(0, &talker, t0);
	u[1] = client_at(1, &listener, t0);
	mesh(u, 2);
	install_gmk(u[0], 0);
	cr_assert_eq(ue_install(u[1], F.gmk2_msg[1], F.gmk2_len[1]), 0, "%s", u[1]->err);
	start(u, 2);
	pump_sniff(u, 2, 20000, true, -1, NULL);

	expect_ok(u[0], 0, 0);
	cr_assert_eq(u[0]->gmk[0]->tx_frames, 200);
	ok = u[1]->gmk[0]->verdict[0][DP_V_FWD];
	late = u[1]->gmk[0]->verdict[0][DP_V_DROP_POLICY];
	cr_assert_gt(ok, 0);
	cr_assert_gt(late, 0);
	cr_assert_leq(ok, 100, "at 100 frames/s, no more than 100 before T0 + 1 s");
	cr_assert_eq(ok + late, 200);
	cr_assert(u[1]->gmk[0]->expired);
	cr_assert_null(u[1]->group, "no GMK left to send under");
	cr_assert_eq(u[1]->from[0].frames.ok, ok);
	cr_assert_eq(ue_drops(u[1]), late);
	free_all(u, 2);
}
