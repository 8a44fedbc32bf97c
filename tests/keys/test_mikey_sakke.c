/* SPDX-License-Identifier: proprietary */
/*
 * MIKEY-SAKKE end to end (keys/mikey/mikey_sakke.c) with real ECCSI and SAKKE
 * keys from throw-away KMS domains (keys/kms): GMS to each member, caller to
 * callee, client to server, SAKKE-to-self, off-network use across a key
 * period boundary; every rejection path with its exact reason; the variants
 * deployed implementations send, each accepted and counted.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "eccsi.h"
#include "keys_kdf.h"
#include "keys_keyid.h"
#include "keys_keyparams.h"
#include "keys_period.h"
#include "keys_uid.h"
#include "kms.h"
#include "mikey_sakke.h"

#define NOW 1700000000		/* Unix seconds: 2023-11-14 */
#define PERIOD 2592000		/* 30 days */
#define GMS "sip:gms@example.org"
#define ALICE "sip:alice@example.org"
#define BOB "sip:bob@example.org"
#define CAROL "sip:carol@example.org"
#define MDSI "mcptt.example.org"
#define LMR "sip:lmr@segy.example.org"

enum who { W_GMS, W_ALICE, W_BOB, W_CAROL, W_MDSI, W_LMR, W_N };

static const char *const uris[W_N] = { GMS, ALICE, BOB, CAROL, MDSI, LMR };

struct fix {
	struct kms_domain *home, *segy;
	struct mikey_kms kms_home, kms_segy;
	uint64_t pno;				/* the key period of NOW */
	struct kms_keyset *ks[W_N][2];		/* this period and the next */
	struct mikey_signer *signer[W_N];
	struct mikey_identity *id[W_N][2];
	const struct mikey_kms *trusted[2];
	int64_t clock;
	struct mikey_counters ctr;
	const char *const *initiators;		/* rx_for()'s expected hidden initiators */
	size_t n_initiators;
};

static struct fix F;

static int64_t
fix_clock(void *arg)
{
	(void)arg;
	return F.clock;
}

static const struct mikey_kms *
kms_of(enum who w)
{
	return w == W_LMR ? &F.kms_segy : &F.kms_home;
}

/* Key set, identity and signer of |w| for period pno + |p|, made on first use. */
static struct mikey_identity *
id_get(enum who w, unsigned int p)
{
	if (F.id[w][p] != NULL)
		return F.id[w][p];
	cr_assert_eq(kms_issue(&F.ks[w][p], w == W_LMR ? F.segy : F.home, uris[w], F.pno + p), 0);
	cr_assert_eq(mikey_identity_new(&F.id[w][p], uris[w], kms_of(w), F.pno + p,
					F.ks[w][p]->rsk), 0);
	return F.id[w][p];
}

static struct mikey_signer *
signer_get(enum who w)
{
	if (F.signer[w] != NULL)
		return F.signer[w];
	(void)id_get(w, 0);
	cr_assert_eq(mikey_signer_new(&F.signer[w], uris[w], kms_of(w), F.pno, F.ks[w][0]->ssk,
				      F.ks[w][0]->pvt), 0);
	return F.signer[w];
}

static void
setup(void)
{
	cr_assert_geq(sodium_init(), 0);
	memset(&F, 0, sizeof(F));
	cr_assert_eq(kms_domain_create(&F.home, "kms.example.org", PERIOD, 0, false), 0);
	cr_assert_eq(kms_domain_create(&F.segy, "kms.segy.example.org", PERIOD, 0, true), 0);
	mikey_kms_from_cert(&F.kms_home, &F.home->cert);
	mikey_kms_from_cert(&F.kms_segy, &F.segy->cert);
	F.trusted[0] = &F.kms_home;
	F.trusted[1] = &F.kms_segy;
	cr_assert_eq(keys_period_no_unix(&F.pno, NOW, PERIOD, 0), 0);
	F.clock = NOW;
}

static void
teardown(void)
{
	unsigned int w, p;

	for (w = 0; w < W_N; w++) {
		mikey_signer_free(F.signer[w]);
		for (p = 0; p < 2; p++) {
			mikey_identity_free(F.id[w][p]);
			kms_keyset_free(F.ks[w][p]);
		}
	}
	kms_domain_free(F.home);
	kms_domain_free(F.segy);
}

TestSuite(keys_mikey_sakke, .init = setup, .fini = teardown, .timeout = 120);

/* A receiver holding identity |w| (this period, and the next if made). */
static void
rx_for(struct mikey_rx *rx, const struct mikey_identity **ids, enum who w)
{
	ids[0] = id_get(w, 0);
	ids[1] = F.id[w][1];
	memset(rx, 0, sizeof(*rx));
	rx->kms = F.trusted;
	rx->n_kms = 2;
	rx->ids = ids;
	rx->n_ids = ids[1] != NULL ? 2 : 1;
	rx->clock = fix_clock;
	rx->ctr = &F.ctr;
	rx->initiators = F.initiators;
	rx->n_initiators = F.n_initiators;
}

static void
tx_for(struct mikey_tx *tx, enum who from, enum who to)
{
	memset(tx, 0, sizeof(*tx));
	tx->from = signer_get(from);
	tx->to.uri = uris[to];
	tx->to.kms = kms_of(to);
	tx->now = NOW;
}

static void
expect_rx(struct mikey_key *k, enum who w, const uint8_t *msg, size_t len, int purpose)
{
	const struct mikey_identity *ids[2];
	struct mikey_rx rx;
	enum mikey_reject why;

	rx_for(&rx, ids, w);
	cr_assert_eq(mikey_sakke_receive(k, &rx, msg, len, purpose, &why), 0, "%s: %s", uris[w],
		     mikey_reject_name(why));
	cr_assert_eq(why, MIKEY_REJECT_NONE);
}

static enum mikey_reject
rx_reason(enum who w, const uint8_t *msg, size_t len, int purpose, int want_rc)
{
	static const uint8_t zero[KEYS_KEY_LEN];
	const struct mikey_identity *ids[2];
	struct mikey_rx rx;
	struct mikey_key k;
	enum mikey_reject why;

	rx_for(&rx, ids, w);
	cr_assert_eq(mikey_sakke_receive(&k, &rx, msg, len, purpose, &why), want_rc, "%s",
		     mikey_reject_name(why));
	cr_assert_arr_eq(k.key, zero, sizeof(zero), "key not wiped on rejection");
	return why;
}

static const char *const groups[] = { "sip:group1@example.org", "sip:group2@example.org" };

static size_t
gmk_to(uint8_t *buf, const struct mikey_newkey *k, enum who to, const struct mikey_gmk_opts *o)
{
	struct mikey_gmk_opts def = { .groups = groups, .n_groups = 2, .text = "fire" };
	struct mikey_tx tx;
	size_t len;

	tx_for(&tx, W_GMS, to);
	tx.to_self = true;
	cr_assert_eq(mikey_gms_gmk(buf, MIKEY_MSG_MAX, &len, &tx, k, o != NULL ? o : &def), 0);
	return len;
}

Test(keys_mikey_sakke, gms_to_each_member)
{
	static const enum who members[] = { W_ALICE, W_BOB, W_LMR };
	struct mikey_srtp_master a_tx, b_rx, a_self;
	struct mikey_key got[3];
	struct mikey_newkey k;
	uint8_t buf[MIKEY_MSG_MAX];
	uint32_t guk;
	unsigned int i;
	size_t len;

	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_GMK), 0);
	for (i = 0; i < 3; i++) {
		len = gmk_to(buf, &k, members[i], NULL);
		expect_rx(&got[i], members[i], buf, len, KEYS_PURPOSE_GMK);
		cr_assert_arr_eq(got[i].key, k.key, KEYS_KEY_LEN);
		cr_assert_eq(got[i].key_id, k.key_id, "GMK-ID recovered from the GUK-ID");
		cr_assert_eq(keys_guk_id(&guk, k.key_id, k.key, uris[members[i]]), 0);
		cr_assert_eq(got[i].csb_id, guk, "CSB ID is the member's GUK-ID");
		cr_assert_eq(got[i].rand_len, MIKEY_RAND_LEN);
		cr_assert_arr_eq(got[i].rand, k.rand, MIKEY_RAND_LEN, "one RAND per GMK");
		cr_assert_eq(got[i].mki_len, 8);
		cr_assert_eq(got[i].profile_src, MIKEY_PROFILE_SP);
		cr_assert_eq(got[i].profile.auth_alg, MIKEY_AUTH_RCCM3);
		cr_assert(got[i].has_params);
		cr_assert_eq(got[i].n_groups, 2);
		cr_assert_str_eq(got[i].groups[1], groups[1]);
		cr_assert_str_eq(got[i].text, "fire");
		cr_assert_eq(got[i].activation, (uint64_t)NOW + KEYS_NTP_UNIX_OFFSET);
		cr_assert_eq(got[i].shared_with_segy, members[i] == W_LMR, "SeGy status bit");
		cr_assert_str_eq(got[i].initiator, GMS);
		cr_assert(!got[i].from_self);
	}
	cr_assert_neq(got[0].csb_id, got[1].csb_id, "end-point diversity");
	/* alice sends with her GUK-ID; bob derives alice's key from the MKI */
	cr_assert_eq(mikey_key_srtp(&a_tx, &got[0], MIKEY_CS_MCPTT_GROUP, got[0].csb_id), 0);
	cr_assert_eq(mikey_key_srtp(&b_rx, &got[1], MIKEY_CS_MCPTT_GROUP, got[0].csb_id), 0);
	cr_assert_arr_eq(&a_tx, &b_rx, sizeof(a_tx));
	cr_assert_arr_eq(a_tx.mki, got[0].mki, 8, "MKI = GMK-ID || GUK-ID");
	cr_assert_eq(mikey_key_srtp(&a_self, &got[1], MIKEY_CS_MCPTT_GROUP, got[1].csb_id), 0);
	cr_assert_arr_neq(a_self.key, a_tx.key, MIKEY_SRTP_KEY_LEN);
	for (i = 0; i < 3; i++)
		mikey_key_wipe(&got[i]);
	cr_assert_eq(F.ctr.accepted, 3);
}

Test(keys_mikey_sakke, caller_to_callee)
{
	struct mikey_srtp_master i_b, r_b, i_a, r_a;
	struct mikey_key bob, alice;
	struct mikey_newkey k;
	struct mikey_tx tx;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len;

	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_PCK), 0);
	tx_for(&tx, W_ALICE, W_BOB);
	tx.to_self = true;
	cr_assert_eq(mikey_pck_send(buf, sizeof(buf), &len, &tx, &k), 0);
	cr_assert_eq(buf[8], 0, "#CS = 0");
	cr_assert_eq(buf[9], MIKEY_MAP_EMPTY);
	expect_rx(&bob, W_BOB, buf, len, KEYS_PURPOSE_PCK);
	cr_assert_arr_eq(bob.key, k.key, KEYS_KEY_LEN);
	cr_assert_eq(bob.key_id, k.key_id);
	cr_assert_eq(bob.profile_src, MIKEY_PROFILE_TABLE_E3_1);
	cr_assert_eq(bob.profile.auth_alg, MIKEY_AUTH_NULL);
	cr_assert_eq(bob.mki_len, 4);
	/* alice's other device reads the same PCK from SAKKE-to-self */
	expect_rx(&alice, W_ALICE, buf, len, KEYS_PURPOSE_PCK);
	cr_assert(alice.from_self);
	cr_assert_arr_eq(alice.key, k.key, KEYS_KEY_LEN);
	/* two directions, one MKI; both ends agree */
	cr_assert_eq(mikey_key_srtp(&i_b, &bob, MIKEY_CS_MCPTT_PCK_INIT, 0), 0);
	cr_assert_eq(mikey_key_srtp(&r_b, &bob, MIKEY_CS_MCPTT_PCK_RECV, 0), 0);
	cr_assert_eq(mikey_key_srtp(&i_a, &alice, MIKEY_CS_MCPTT_PCK_INIT, 0), 0);
	cr_assert_eq(mikey_key_srtp(&r_a, &alice, MIKEY_CS_MCPTT_PCK_RECV, 0), 0);
	cr_assert_arr_eq(&i_a, &i_b, sizeof(i_a));
	cr_assert_arr_eq(&r_a, &r_b, sizeof(r_a));
	cr_assert_arr_neq(i_b.key, r_b.key, MIKEY_SRTP_KEY_LEN);
	cr_assert_arr_eq(i_b.mki, r_b.mki, 4);
	cr_assert_eq(F.ctr.variant[MIKEY_VARIANT_FROM_SELF], 1);
	cr_assert_eq(F.ctr.variant[MIKEY_VARIANT_DEFAULT_PROFILE], 2);
	mikey_key_wipe(&bob);
	mikey_key_wipe(&alice);
}

Test(keys_mikey_sakke, client_to_server)
{
	struct mikey_srtp_master m;
	struct mikey_key srv;
	struct mikey_newkey k;
	struct mikey_tx tx;
	uint8_t buf[MIKEY_MSG_MAX], mki[4];
	size_t len;

	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_CSK), 0);
	tx_for(&tx, W_ALICE, W_MDSI);
	cr_assert_eq(mikey_csk_send(buf, sizeof(buf), &len, &tx, &k), 0);
	expect_rx(&srv, W_MDSI, buf, len, KEYS_PURPOSE_CSK);
	cr_assert_arr_eq(srv.key, k.key, KEYS_KEY_LEN);
	cr_assert_eq(srv.key_id, k.key_id);
	cr_assert_eq(keys_id_purpose(srv.key_id), KEYS_PURPOSE_CSK);
	cr_assert_eq(srv.profile_src, MIKEY_PROFILE_TABLE_E3_1);
	cr_assert_eq(mikey_key_srtp(&m, &srv, MIKEY_CS_MCPTT_CSK, 0), 0);
	keys_mki_key(mki, k.key_id);
	cr_assert_eq(m.mki_len, 4);
	cr_assert_arr_eq(m.mki, mki, 4, "MKI = CSK-ID");
	mikey_key_wipe(&srv);
}

Test(keys_mikey_sakke, gms_reads_its_own_gmk)
{
	struct mikey_newkey k;
	struct mikey_key self;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len;

	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_GMK), 0);
	len = gmk_to(buf, &k, W_BOB, NULL);
	expect_rx(&self, W_GMS, buf, len, KEYS_PURPOSE_GMK);
	cr_assert(self.from_self);
	cr_assert_arr_eq(self.key, k.key, KEYS_KEY_LEN);
	cr_assert_eq(self.key_id, k.key_id, "GMK-ID from IDRr's salt");
	mikey_key_wipe(&self);
}

/*
 * Off-network: no server, keys provisioned ahead for the next key period. A
 * PCK sent 5 s after the boundary is read with the next period's RSK by a
 * receiver whose clock is still 100 s before it; SRTCP uses the SRTP master.
 */
Test(keys_mikey_sakke, off_network_across_a_key_period)
{
	struct mikey_signer *next = NULL;
	struct mikey_srtp_master m;
	struct mikey_newkey k;
	struct mikey_key bob;
	struct mikey_tx tx;
	uint8_t buf[MIKEY_MSG_MAX];
	uint64_t start;
	size_t len;

	cr_assert_eq(keys_period_start(&start, F.pno + 1, PERIOD, 0), 0);
	(void)id_get(W_BOB, 1);
	(void)id_get(W_ALICE, 1);
	cr_assert_eq(mikey_signer_new(&next, ALICE, &F.kms_home, F.pno + 1,
				      F.ks[W_ALICE][1]->ssk, F.ks[W_ALICE][1]->pvt), 0);
	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_PCK), 0);
	tx_for(&tx, W_ALICE, W_BOB);
	tx.from = next;
	tx.now = (int64_t)(start - KEYS_NTP_UNIX_OFFSET) + 5;
	/* the old period's signer cannot sign for T */
	tx.from = F.signer[W_ALICE];
	cr_assert_eq(mikey_pck_send(buf, sizeof(buf), &len, &tx, &k), -KEYS_E_NOTFOUND);
	tx.from = next;
	cr_assert_eq(mikey_pck_send(buf, sizeof(buf), &len, &tx, &k), 0);
	F.clock = tx.now - 100;
	expect_rx(&bob, W_BOB, buf, len, KEYS_PURPOSE_PCK);
	cr_assert_eq(bob.as, F.id[W_BOB][1], "the next period's identity");
	cr_assert_arr_eq(bob.key, k.key, KEYS_KEY_LEN);
	cr_assert_eq(mikey_key_srtp(&m, &bob, MIKEY_CS_MCPTT_PCK_INIT, 0), 0);
	mikey_signer_free(next);
	mikey_key_wipe(&bob);
}

/*
 * Rejections
 */

static size_t
pck_alice_bob(uint8_t *buf, struct mikey_newkey *k)
{
	struct mikey_tx tx;
	size_t len;

	cr_assert_eq(mikey_newkey_make(k, KEYS_PURPOSE_PCK), 0);
	tx_for(&tx, W_ALICE, W_BOB);
	tx.to_self = true;
	cr_assert_eq(mikey_pck_send(buf, MIKEY_MSG_MAX, &len, &tx, k), 0);
	return len;
}

Test(keys_mikey_sakke, not_the_recipient)
{
	struct mikey_newkey k;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len = pck_alice_bob(buf, &k);

	cr_assert_eq(rx_reason(W_CAROL, buf, len, -1, -KEYS_E_NOTFOUND),
		     MIKEY_REJECT_NOT_RECIPIENT);
	cr_assert_eq(F.ctr.rejected[MIKEY_REJECT_NOT_RECIPIENT], 1);
}

Test(keys_mikey_sakke, no_keys_for_the_period)
{
	const struct mikey_identity *ids[2];
	struct mikey_newkey k;
	struct mikey_key got;
	struct mikey_rx rx;
	enum mikey_reject why;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len = pck_alice_bob(buf, &k);

	rx_for(&rx, ids, W_BOB);
	ids[0] = id_get(W_BOB, 1);	/* only the next period's keys */
	rx.n_ids = 1;
	cr_assert_eq(mikey_sakke_receive(&got, &rx, buf, len, -1, &why), -KEYS_E_NOTFOUND);
	cr_assert_eq(why, MIKEY_REJECT_NO_KEY_PERIOD);
}

Test(keys_mikey_sakke, timestamp_window)
{
	struct mikey_newkey k;
	struct mikey_key got;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len = pck_alice_bob(buf, &k);

	F.clock = NOW + MIKEY_WINDOW_DEFAULT;
	expect_rx(&got, W_BOB, buf, len, -1);
	F.clock = NOW - MIKEY_WINDOW_DEFAULT;
	expect_rx(&got, W_BOB, buf, len, -1);
	F.clock = NOW + MIKEY_WINDOW_DEFAULT + 1;
	cr_assert_eq(rx_reason(W_BOB, buf, len, -1, -KEYS_E_VERIFY),
		     MIKEY_REJECT_TIMESTAMP_WINDOW);
	F.clock = NOW - MIKEY_WINDOW_DEFAULT - 1;
	cr_assert_eq(rx_reason(W_BOB, buf, len, -1, -KEYS_E_VERIFY),
		     MIKEY_REJECT_TIMESTAMP_WINDOW);
	mikey_key_wipe(&got);
}

Test(keys_mikey_sakke, configurable_window)
{
	const struct mikey_identity *ids[2];
	struct mikey_newkey k;
	struct mikey_key got;
	struct mikey_rx rx;
	enum mikey_reject why;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len = pck_alice_bob(buf, &k);

	rx_for(&rx, ids, W_BOB);
	rx.window = 10;
	F.clock = NOW + 10;
	cr_assert_eq(mikey_sakke_receive(&got, &rx, buf, len, -1, &why), 0);
	F.clock = NOW + 11;
	cr_assert_eq(mikey_sakke_receive(&got, &rx, buf, len, -1, &why), -KEYS_E_VERIFY);
	cr_assert_eq(why, MIKEY_REJECT_TIMESTAMP_WINDOW);
}

Test(keys_mikey_sakke, unknown_kms)
{
	const struct mikey_identity *ids[2];
	struct mikey_newkey k;
	struct mikey_key got;
	struct mikey_rx rx;
	enum mikey_reject why;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len;

	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_GMK), 0);
	len = gmk_to(buf, &k, W_LMR, NULL);
	rx_for(&rx, ids, W_LMR);
	rx.kms = &F.trusted[1];		/* only the SeGy's KMS: the GMS's is unknown */
	rx.n_kms = 1;
	cr_assert_eq(mikey_sakke_receive(&got, &rx, buf, len, -1, &why), -KEYS_E_NOTFOUND);
	cr_assert_eq(why, MIKEY_REJECT_UNKNOWN_KMS);
}

Test(keys_mikey_sakke, context_purpose_mismatch)
{
	struct mikey_newkey k;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len = pck_alice_bob(buf, &k);

	cr_assert_eq(rx_reason(W_BOB, buf, len, KEYS_PURPOSE_GMK, -KEYS_E_VERIFY),
		     MIKEY_REJECT_PURPOSE_MISMATCH);
}

static bool
only_gms(void *arg, unsigned int purpose, const char *uri, const uint8_t *uid)
{
	(void)arg;
	(void)uid;
	return purpose != KEYS_PURPOSE_GMK || (uri != NULL && strcmp(uri, GMS) == 0);
}

Test(keys_mikey_sakke, signer_not_allowed)
{
	const struct mikey_identity *ids[2];
	struct mikey_gmk_opts o = { 0 };
	struct mikey_newkey k;
	struct mikey_key got;
	struct mikey_rx rx;
	struct mikey_tx tx;
	enum mikey_reject why;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len;

	/* a GMK signed by alice, not by the GMS */
	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_GMK), 0);
	tx_for(&tx, W_ALICE, W_BOB);
	cr_assert_eq(mikey_gms_gmk(buf, sizeof(buf), &len, &tx, &k, &o), 0);
	rx_for(&rx, ids, W_BOB);
	cr_assert_eq(mikey_sakke_receive(&got, &rx, buf, len, -1, &why), 0, "no policy: accepted");
	rx.signer_ok = only_gms;
	cr_assert_eq(mikey_sakke_receive(&got, &rx, buf, len, -1, &why), -KEYS_E_VERIFY);
	cr_assert_eq(why, MIKEY_REJECT_UNKNOWN_SIGNER);
	/* the GMS's own message passes the same policy */
	len = gmk_to(buf, &k, W_BOB, NULL);
	cr_assert_eq(mikey_sakke_receive(&got, &rx, buf, len, -1, &why), 0);
	mikey_key_wipe(&got);
}

/* Receive without asserting the outcome; the key must be wiped on failure. */
static int
rx_any(enum who w, const uint8_t *msg, size_t len, enum mikey_reject *why)
{
	static const uint8_t zero[KEYS_KEY_LEN];
	const struct mikey_identity *ids[2];
	struct mikey_rx rx;
	struct mikey_key k;
	int rc;

	rx_for(&rx, ids, w);
	rc = mikey_sakke_receive(&k, &rx, msg, len, -1, why);
	if (rc < 0)
		cr_assert_arr_eq(k.key, zero, sizeof(zero), "key not wiped on rejection");
	mikey_key_wipe(&k);
	return rc;
}

static bool
in(size_t i, const struct mikey_bytes *b, const uint8_t *base)
{
	size_t off = (size_t)(b->p - base);

	return b->p != NULL && i >= off && i < off + b->len;
}

/*
 * Every single-bit change is refused with a reason. Where the change is in
 * signed content that the receiver does not need to find its keys (RAND,
 * SAKKE, SAKKE-to-self, E.6, the signature), the reason is exactly
 * BAD_SIGNATURE: nothing is decapsulated before the signature verifies.
 */
Test(keys_mikey_sakke, any_byte_tampered)
{
	struct mikey_newkey k;
	struct mikey_msg d;
	enum mikey_reject why;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len = pck_alice_bob(buf, &k), i;
	unsigned int n_sig = 0;
	int rc;

	cr_assert_eq(mikey_msg_decode(&d, buf, len, NULL), 0);
	for (i = 0; i < len; i++) {
		bool content = in(i, &d.rand, buf) || in(i, &d.sakke.data, buf) ||
			       in(i, &d.self.data, buf) || in(i, &d.kp, buf) ||
			       in(i, &d.sig, buf);

		buf[i] ^= 0x01;
		rc = rx_any(W_BOB, buf, len, &why);
		buf[i] ^= 0x01;
		cr_assert_lt(rc, 0, "flip at %zu accepted", i);
		cr_assert_neq(why, MIKEY_REJECT_NONE, "flip at %zu without a reason", i);
		if (content) {
			cr_assert_eq(why, MIKEY_REJECT_BAD_SIGNATURE, "flip at %zu: %s", i,
				     mikey_reject_name(why));
			n_sig++;
		}
	}
	cr_assert_gt(n_sig, 273 + 278 + 129);
	cr_assert_eq(rx_any(W_BOB, buf, len, &why), 0, "the original still passes");
}

Test(keys_mikey_sakke, bad_signature)
{
	struct mikey_newkey k;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len = pck_alice_bob(buf, &k);

	buf[len - 129] ^= 0x80;		/* r */
	cr_assert_eq(rx_reason(W_BOB, buf, len, -1, -KEYS_E_VERIFY), MIKEY_REJECT_BAD_SIGNATURE);
	buf[len - 129] ^= 0x80;
	buf[len - 1] ^= 0x01;		/* PVT's y: no longer on the curve */
	cr_assert_eq(rx_reason(W_BOB, buf, len, -1, -KEYS_E_VERIFY), MIKEY_REJECT_BAD_SIGNATURE);
	cr_assert_eq(F.ctr.rejected[MIKEY_REJECT_BAD_SIGNATURE], 2);
}

/*
 * Forgeries by a legitimate signer: decode, change the model, re-encode and
 * sign again with |who|'s SSK, so the signature is valid and the later checks
 * must catch the change.
 */
static size_t
resign(uint8_t *out, const struct mikey_msg *m, enum who who)
{
	struct eccsi_signer *es = NULL;
	uint8_t uid[KEYS_UID_LEN], sig[ECCSI_SIG_LEN];
	struct mikey_msg c = *m;
	size_t len;

	c.sig.p = NULL;
	cr_assert_eq(mikey_msg_encode(&c, out, MIKEY_MSG_MAX, &len, NULL), 0);
	cr_assert_eq(keys_uid_derive(uid, uris[who], kms_of(who)->uri, PERIOD, 0, F.pno), 0);
	cr_assert_eq(eccsi_signer_new(&es, F.ks[who][0]->ssk, F.ks[who][0]->pvt,
				      kms_of(who)->kpak, uid, sizeof(uid)), 0);
	cr_assert_eq(eccsi_sign(sig, es, out, len - ECCSI_SIG_LEN), 0);
	memcpy(out + len - ECCSI_SIG_LEN, sig, sizeof(sig));
	eccsi_signer_free(es);
	return len;
}

/* Replace E.6 by |kp| protected under the message's key. */
static size_t
with_params(uint8_t *out, const uint8_t *msg, size_t len, const struct mikey_newkey *k,
	    const struct mikey_keyparams *kp, enum who who)
{
	uint8_t pt[256], ct[256 + KEYS_KP_OVERHEAD];
	struct mikey_msg m;
	size_t pt_len, ct_len;

	cr_assert_eq(mikey_msg_decode(&m, msg, len, NULL), 0);
	cr_assert_eq(mikey_keyparams_encode(kp, pt, sizeof(pt), &pt_len), 0);
	cr_assert_eq(keys_keyparams_protect(ct, sizeof(ct), &ct_len, k->key, m.hdr.csb_id, NULL,
					    pt, pt_len), 0);
	m.kp.p = ct;
	m.kp.len = ct_len;
	return resign(out, &m, who);
}

Test(keys_mikey_sakke, tampered_sakke_resigned)
{
	struct mikey_newkey k;
	struct mikey_msg m;
	uint8_t buf[MIKEY_MSG_MAX], out[MIKEY_MSG_MAX], ed[MIKEY_SAKKE_DATA_LEN];
	size_t len = pck_alice_bob(buf, &k);

	cr_assert_eq(mikey_msg_decode(&m, buf, len, NULL), 0);
	memcpy(ed, m.sakke.data.p, sizeof(ed));
	ed[sizeof(ed) - 1] ^= 1;	/* H: the SSV changes, TEST fails */
	m.sakke.data.p = ed;
	len = resign(out, &m, W_ALICE);
	cr_assert_eq(rx_reason(W_BOB, out, len, -1, -KEYS_E_VERIFY), MIKEY_REJECT_TAMPERED);
	ed[sizeof(ed) - 1] ^= 1;
	ed[100] ^= 1;			/* R: off the curve */
	len = resign(out, &m, W_ALICE);
	cr_assert_eq(rx_reason(W_BOB, out, len, -1, -KEYS_E_VERIFY), MIKEY_REJECT_TAMPERED);
}

Test(keys_mikey_sakke, tampered_key_params_resigned)
{
	struct mikey_newkey k;
	struct mikey_msg m;
	uint8_t buf[MIKEY_MSG_MAX], out[MIKEY_MSG_MAX], kp[128];
	size_t len = pck_alice_bob(buf, &k);

	cr_assert_eq(mikey_msg_decode(&m, buf, len, NULL), 0);
	cr_assert_leq(m.kp.len, sizeof(kp));
	memcpy(kp, m.kp.p, m.kp.len);
	kp[m.kp.len - 1] ^= 1;		/* the GCM tag */
	m.kp.p = kp;
	len = resign(out, &m, W_ALICE);
	cr_assert_eq(rx_reason(W_BOB, out, len, -1, -KEYS_E_VERIFY), MIKEY_REJECT_TAMPERED);
	kp[m.kp.len - 1] ^= 1;
	kp[0] = 0x44;			/* not a protected-payload message */
	len = resign(out, &m, W_ALICE);
	cr_assert_eq(rx_reason(W_BOB, out, len, -1, -KEYS_E_PARSE), MIKEY_REJECT_BAD_KEY_PARAMS);
}

Test(keys_mikey_sakke, purpose_tag_and_key_type_disagree)
{
	struct mikey_keyparams kp = { .key_type = KEYS_PURPOSE_CSK,
				      .status = MIKEY_KP_STATUS_NOT_REVOKED };
	struct mikey_newkey k;
	uint8_t buf[MIKEY_MSG_MAX], out[MIKEY_MSG_MAX];
	size_t len = pck_alice_bob(buf, &k);

	len = with_params(out, buf, len, &k, &kp, W_ALICE);
	cr_assert_eq(rx_reason(W_BOB, out, len, -1, -KEYS_E_VERIFY),
		     MIKEY_REJECT_PURPOSE_MISMATCH);
	/* the same with the right type passes: the forgery path itself is sound */
	kp.key_type = KEYS_PURPOSE_PCK;
	len = pck_alice_bob(buf, &k);
	len = with_params(out, buf, len, &k, &kp, W_ALICE);
	cr_assert_eq(rx_any(W_BOB, out, len, NULL), 0);
}

Test(keys_mikey_sakke, revoked_key)
{
	struct mikey_keyparams kp = { .key_type = KEYS_PURPOSE_PCK, .status = 0 };
	struct mikey_newkey k;
	uint8_t buf[MIKEY_MSG_MAX], out[MIKEY_MSG_MAX];
	size_t len = pck_alice_bob(buf, &k);

	len = with_params(out, buf, len, &k, &kp, W_ALICE);
	cr_assert_eq(rx_reason(W_BOB, out, len, -1, -KEYS_E_VERIFY), MIKEY_REJECT_KEY_REVOKED);
}

Test(keys_mikey_sakke, expired_key)
{
	uint64_t now1900 = (uint64_t)NOW + KEYS_NTP_UNIX_OFFSET;
	struct mikey_gmk_opts o = { .expiry = now1900 };
	struct mikey_newkey k;
	struct mikey_key got;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len;

	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_GMK), 0);
	len = gmk_to(buf, &k, W_ALICE, &o);
	cr_assert_eq(rx_reason(W_ALICE, buf, len, -1, -KEYS_E_VERIFY), MIKEY_REJECT_KEY_EXPIRED);
	o.expiry = now1900 + 1;
	o.activation = now1900 + 3600;
	len = gmk_to(buf, &k, W_ALICE, &o);
	expect_rx(&got, W_ALICE, buf, len, -1);
	cr_assert_eq(got.expiry, now1900 + 1);
	cr_assert_eq(got.activation, now1900 + 3600, "a future activation is reported");
	mikey_key_wipe(&got);
}

Test(keys_mikey_sakke, spi_is_not_the_mki)
{
	struct mikey_newkey k;
	struct mikey_msg m;
	uint8_t buf[MIKEY_MSG_MAX], out[MIKEY_MSG_MAX];
	size_t len;

	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_GMK), 0);
	len = gmk_to(buf, &k, W_BOB, NULL);
	cr_assert_eq(mikey_msg_decode(&m, buf, len, NULL), 0);
	m.hdr.cs[0].spi[7] ^= 1;
	len = resign(out, &m, W_GMS);
	cr_assert_eq(rx_reason(W_BOB, out, len, -1, -KEYS_E_VERIFY), MIKEY_REJECT_BAD_MKI);
	m.hdr.cs[0].spi[7] ^= 1;
	m.hdr.cs[0].cs_id = MIKEY_CS_MCPTT_CSK;		/* a CSK session for a GMK */
	len = resign(out, &m, W_GMS);
	cr_assert_eq(rx_reason(W_BOB, out, len, -1, -KEYS_E_VERIFY),
		     MIKEY_REJECT_PURPOSE_MISMATCH);
}

/*
 * Variants deployed implementations send: accepted and counted.
 */

Test(keys_mikey_sakke, variant_sign_without_header)
{
	struct mikey_newkey k;
	struct mikey_key got;
	struct mikey_tx tx;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len;

	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_PCK), 0);
	tx_for(&tx, W_ALICE, W_BOB);
	tx.sign_without_header = true;
	cr_assert_eq(mikey_pck_send(buf, sizeof(buf), &len, &tx, &k), 0);
	expect_rx(&got, W_BOB, buf, len, -1);
	cr_assert_arr_eq(got.key, k.key, KEYS_KEY_LEN);
	cr_assert_eq(F.ctr.variant[MIKEY_VARIANT_SIGN_NO_HEADER], 1);
	/* our own form does not count as the variant */
	tx.sign_without_header = false;
	cr_assert_eq(mikey_pck_send(buf, sizeof(buf), &len, &tx, &k), 0);
	expect_rx(&got, W_BOB, buf, len, -1);
	cr_assert_eq(F.ctr.variant[MIKEY_VARIANT_SIGN_NO_HEADER], 1);
	mikey_key_wipe(&got);
}

Test(keys_mikey_sakke, variant_hidden_uids)
{
	static const char *const expect[] = { ALICE };
	struct mikey_newkey k;
	struct mikey_key got;
	struct mikey_tx tx;
	struct mikey_msg m;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len;

	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_PCK), 0);
	tx_for(&tx, W_ALICE, W_BOB);
	tx.hide_ids = true;
	cr_assert_eq(mikey_pck_send(buf, sizeof(buf), &len, &tx, &k), 0);
	cr_assert_eq(mikey_msg_decode(&m, buf, len, NULL), 0);
	cr_assert_eq(m.idr[MIKEY_IDR_R].role, MIKEY_ROLE_UIDR);
	cr_assert_eq(m.idr[MIKEY_IDR_R].type, MIKEY_IDT_URI);
	cr_assert_eq(m.idr[MIKEY_IDR_R].id.len, 32);
	/* bob was not told whom to expect */
	cr_assert_eq(rx_reason(W_BOB, buf, len, -1, -KEYS_E_VERIFY),
		     MIKEY_REJECT_UNKNOWN_INITIATOR);
	cr_assert_eq(F.ctr.rejected[MIKEY_REJECT_UNKNOWN_INITIATOR], 1);
	/* the signalling named alice */
	F.initiators = expect;
	F.n_initiators = 1;
	expect_rx(&got, W_BOB, buf, len, -1);
	cr_assert(got.initiator_hidden);
	cr_assert_str_eq(got.initiator, ALICE);
	cr_assert_arr_eq(got.key, k.key, KEYS_KEY_LEN);
	cr_assert_eq(F.ctr.variant[MIKEY_VARIANT_UID_TYPE_URI], 1);
	/* as an RFC 6043 byte string: accepted, not the variant */
	tx.uid_type_bytes = true;
	cr_assert_eq(mikey_pck_send(buf, sizeof(buf), &len, &tx, &k), 0);
	expect_rx(&got, W_BOB, buf, len, -1);
	cr_assert_eq(F.ctr.variant[MIKEY_VARIANT_UID_TYPE_URI], 1);
	/* hidden, and not us */
	cr_assert_eq(rx_reason(W_CAROL, buf, len, -1, -KEYS_E_NOTFOUND),
		     MIKEY_REJECT_NOT_RECIPIENT);
	mikey_key_wipe(&got);
}

/*
 * 33.180 §5.2.6: a hidden initiator is the one the signalling names. A GMK
 * hidden behind the GMS's UID: accepted when the GMS is among those expected,
 * and the result names it; refused when it is not, or when none are.
 */
Test(keys_mikey_sakke, hidden_initiator_expected)
{
	static const char *const with_gms[] = { BOB, GMS, CAROL };
	static const char *const without[] = { BOB, ALICE };
	const struct mikey_identity *ids[2];
	struct mikey_gmk_opts o = { 0 };
	struct mikey_newkey k;
	struct mikey_key got;
	struct mikey_rx rx;
	struct mikey_tx tx;
	enum mikey_reject why;
	uint8_t buf[MIKEY_MSG_MAX], uid[MIKEY_UID_LEN];
	size_t len;

	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_GMK), 0);
	tx_for(&tx, W_GMS, W_ALICE);
	tx.hide_ids = true;
	cr_assert_eq(mikey_gms_gmk(buf, sizeof(buf), &len, &tx, &k, &o), 0);
	cr_assert_eq(rx_reason(W_ALICE, buf, len, -1, -KEYS_E_VERIFY),
		     MIKEY_REJECT_UNKNOWN_INITIATOR, "no initiator expected");
	F.initiators = without;
	F.n_initiators = 2;
	cr_assert_eq(rx_reason(W_ALICE, buf, len, -1, -KEYS_E_VERIFY),
		     MIKEY_REJECT_UNKNOWN_INITIATOR, "the GMS not among them");
	F.initiators = with_gms;
	F.n_initiators = 3;
	rx_for(&rx, ids, W_ALICE);
	rx.signer_ok = only_gms;	/* sees the URI matched, not NULL */
	cr_assert_eq(mikey_sakke_receive(&got, &rx, buf, len, -1, &why), 0, "%s",
		     mikey_reject_name(why));
	cr_assert(got.initiator_hidden);
	cr_assert_str_eq(got.initiator, GMS);
	cr_assert_eq(keys_uid_derive(uid, GMS, "kms.example.org", PERIOD, 0, F.pno), 0);
	cr_assert_arr_eq(got.initiator_uid, uid, MIKEY_UID_LEN);
	cr_assert_arr_eq(got.key, k.key, KEYS_KEY_LEN);
	cr_assert_eq(F.ctr.rejected[MIKEY_REJECT_UNKNOWN_INITIATOR], 2);
	mikey_key_wipe(&got);
}

/* Reading back our own hidden message (SAKKE-to-self): the initiator is us. */
Test(keys_mikey_sakke, hidden_initiator_reads_its_own)
{
	struct mikey_newkey k;
	struct mikey_key got;
	struct mikey_tx tx;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len;

	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_PCK), 0);
	tx_for(&tx, W_ALICE, W_BOB);
	tx.hide_ids = true;
	tx.to_self = true;
	cr_assert_eq(mikey_pck_send(buf, sizeof(buf), &len, &tx, &k), 0);
	expect_rx(&got, W_ALICE, buf, len, -1);
	cr_assert(got.from_self);
	cr_assert(got.initiator_hidden);
	cr_assert_str_eq(got.initiator, ALICE);
	cr_assert_arr_eq(got.key, k.key, KEYS_KEY_LEN);
	/* bob, expecting nobody, may not */
	cr_assert_eq(rx_reason(W_BOB, buf, len, -1, -KEYS_E_VERIFY),
		     MIKEY_REJECT_UNKNOWN_INITIATOR);
	mikey_key_wipe(&got);
}

/* Octet-wise big-endian |v|. */
static void
be64(uint8_t out[8], uint64_t v)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (56 - 8 * i));
}

/*
 * The reviewer's case: the GMS's signing key of an earlier key period (say
 * compromised then) signs a GMK with T now and both IDs hidden: IDRuidi is
 * the old UID, IDRuidr and SAKKE alice's current ones. The signature is
 * good; only the recomputed initiator UID for T's period tells. Refused with
 * no initiator expected and with the GMS expected.
 */
Test(keys_mikey_sakke, hidden_initiator_old_key_period)
{
	static const char *const gms[] = { GMS };
	static const char *const several[] = { ALICE, GMS, BOB };
	const uint64_t old = F.pno - 3;
	const int64_t old_now = NOW - 3 * (int64_t)PERIOD;
	struct kms_keyset *ks = NULL;
	struct mikey_signer *s_old = NULL;
	struct eccsi_signer *es = NULL;
	struct sakke_sender *ss = NULL;
	struct mikey_gmk_opts o = { 0 };
	struct mikey_newkey k;
	struct mikey_tx tx;
	struct mikey_msg m;
	uint8_t buf[MIKEY_MSG_MAX], t_old[8], t_now[8], uid_old[MIKEY_UID_LEN];
	uint8_t uid_cur[MIKEY_UID_LEN], uid_gms[MIKEY_UID_LEN], ed[SAKKE_ED_LEN];
	uint8_t sig[ECCSI_SIG_LEN], *p;
	size_t len;

	(void)id_get(W_ALICE, 0);
	cr_assert_eq(kms_issue(&ks, F.home, GMS, old), 0);
	cr_assert_eq(mikey_signer_new(&s_old, GMS, &F.kms_home, old, ks->ssk, ks->pvt), 0);
	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_GMK), 0);
	memset(&tx, 0, sizeof(tx));
	tx.from = s_old;
	tx.to.uri = ALICE;
	tx.to.kms = &F.kms_home;
	tx.now = old_now;
	tx.hide_ids = true;
	cr_assert_eq(mikey_gms_gmk(buf, sizeof(buf), &len, &tx, &k, &o), 0);
	/* T now */
	be64(t_old, ((uint64_t)old_now + KEYS_NTP_UNIX_OFFSET) << 32);
	be64(t_now, ((uint64_t)NOW + KEYS_NTP_UNIX_OFFSET) << 32);
	p = memmem(buf, len, t_old, sizeof(t_old));
	cr_assert_not_null(p);
	memcpy(p, t_now, sizeof(t_now));
	/* IDRuidr and SAKKE to alice's current UID */
	cr_assert_eq(keys_uid_derive(uid_old, ALICE, "kms.example.org", PERIOD, 0, old), 0);
	cr_assert_eq(keys_uid_derive(uid_cur, ALICE, "kms.example.org", PERIOD, 0, F.pno), 0);
	p = memmem(buf, len, uid_old, sizeof(uid_old));
	cr_assert_not_null(p);
	memcpy(p, uid_cur, sizeof(uid_cur));
	cr_assert_eq(sakke_sender_new(&ss, F.kms_home.z, uid_cur, sizeof(uid_cur)), 0);
	cr_assert_eq(sakke_encapsulate_ssv(ed, k.key, ss), 0);
	cr_assert_eq(mikey_msg_decode(&m, buf, len, NULL), 0);
	cr_assert_eq(m.sakke.data.len, sizeof(ed));
	memcpy(buf + (m.sakke.data.p - buf), ed, sizeof(ed));
	/* re-signed by the old key under its own UID, which IDRuidi carries */
	cr_assert_eq(keys_uid_derive(uid_gms, GMS, "kms.example.org", PERIOD, 0, old), 0);
	cr_assert_eq(eccsi_signer_new(&es, ks->ssk, ks->pvt, F.kms_home.kpak, uid_gms,
				      sizeof(uid_gms)), 0);
	cr_assert_eq(eccsi_sign(sig, es, buf, len - ECCSI_SIG_LEN), 0);
	memcpy(buf + len - ECCSI_SIG_LEN, sig, sizeof(sig));

	cr_assert_eq(rx_reason(W_ALICE, buf, len, -1, -KEYS_E_VERIFY),
		     MIKEY_REJECT_UNKNOWN_INITIATOR, "no initiator expected");
	F.initiators = gms;
	F.n_initiators = 1;
	cr_assert_eq(rx_reason(W_ALICE, buf, len, -1, -KEYS_E_VERIFY),
		     MIKEY_REJECT_UNKNOWN_INITIATOR, "the GMS's UID for T's period differs");
	F.initiators = several;
	F.n_initiators = 3;
	cr_assert_eq(rx_reason(W_ALICE, buf, len, -1, -KEYS_E_VERIFY),
		     MIKEY_REJECT_UNKNOWN_INITIATOR);
	cr_assert_eq(F.ctr.accepted, 0);
	sodium_memzero(&k, sizeof(k));
	eccsi_signer_free(es);
	sakke_sender_free(ss);
	mikey_signer_free(s_old);
	kms_keyset_free(ks);
}

Test(keys_mikey_sakke, variant_sakke_id_scheme)
{
	struct mikey_newkey k;
	struct mikey_key got;
	struct mikey_tx tx;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len;

	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_CSK), 0);
	tx_for(&tx, W_ALICE, W_MDSI);
	tx.sakke_scheme = MIKEY_SAKKE_SCHEME_TEL;
	cr_assert_eq(mikey_csk_send(buf, sizeof(buf), &len, &tx, &k), 0);
	expect_rx(&got, W_MDSI, buf, len, -1);
	tx.sakke_scheme = MIKEY_SAKKE_SCHEME_UID;
	cr_assert_eq(mikey_csk_send(buf, sizeof(buf), &len, &tx, &k), 0);
	expect_rx(&got, W_MDSI, buf, len, -1);
	cr_assert_eq(F.ctr.variant[MIKEY_VARIANT_SAKKE_SCHEME_1], 1);
	cr_assert_eq(F.ctr.variant[MIKEY_VARIANT_SAKKE_SCHEME_2], 1);
	mikey_key_wipe(&got);
}

Test(keys_mikey_sakke, variant_sp_with_and_without_type_13)
{
	struct mikey_gmk_opts o = { 0 };
	struct mikey_srtp_profile def;
	struct mikey_newkey k;
	struct mikey_key a, b, c;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len;

	(void)mikey_profile_default(&def, KEYS_PURPOSE_GMK);
	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_GMK), 0);
	len = gmk_to(buf, &k, W_ALICE, &o);
	expect_rx(&a, W_ALICE, buf, len, -1);
	o.sp_without_roc_rate = true;
	len = gmk_to(buf, &k, W_ALICE, &o);
	expect_rx(&b, W_ALICE, buf, len, -1);
	o.no_cs = true;				/* #CS = 0, no SP: Table E.2-1 */
	len = gmk_to(buf, &k, W_ALICE, &o);
	expect_rx(&c, W_ALICE, buf, len, -1);
	cr_assert_eq(c.profile_src, MIKEY_PROFILE_TABLE_E2_1);
	cr_assert_arr_eq(&a.profile, &def, sizeof(def));
	cr_assert_arr_eq(&b.profile, &def, sizeof(def));
	cr_assert_arr_eq(&c.profile, &def, sizeof(def));
	cr_assert_eq(F.ctr.variant[MIKEY_VARIANT_SP_ROC_RATE], 1);
	cr_assert_eq(F.ctr.variant[MIKEY_VARIANT_SP_NO_ROC_RATE], 1);
	cr_assert_eq(F.ctr.variant[MIKEY_VARIANT_DEFAULT_PROFILE], 1);
	mikey_key_wipe(&a);
	mikey_key_wipe(&b);
	mikey_key_wipe(&c);
}

Test(keys_mikey_sakke, no_key_params)
{
	struct mikey_newkey k;
	struct mikey_key got;
	struct mikey_tx tx;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len;

	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_PCK), 0);
	tx_for(&tx, W_ALICE, W_BOB);
	tx.no_key_params = true;
	cr_assert_eq(mikey_pck_send(buf, sizeof(buf), &len, &tx, &k), 0);
	expect_rx(&got, W_BOB, buf, len, -1);
	cr_assert(!got.has_params);
	cr_assert_eq(F.ctr.variant[MIKEY_VARIANT_NO_KEY_PARAMS], 1);
	mikey_key_wipe(&got);
}

Test(keys_mikey_sakke, sender_refuses_wrong_purpose)
{
	struct mikey_gmk_opts o = { 0 };
	struct mikey_newkey k;
	struct mikey_tx tx;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len;

	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_PCK), 0);
	tx_for(&tx, W_GMS, W_BOB);
	cr_assert_eq(mikey_gms_gmk(buf, sizeof(buf), &len, &tx, &k, &o), -KEYS_E_RANGE);
	cr_assert_eq(mikey_csk_send(buf, sizeof(buf), &len, &tx, &k), -KEYS_E_RANGE);
	cr_assert_eq(mikey_pck_send(buf, 100, &len, &tx, &k), -KEYS_E_ARG, "buffer too small");
}

/*
 * NTP era 1 (RFC 5905 §6): T carries seconds modulo 2^32, so from 2036-02-07
 * the receiver places T in the era nearest its clock before the window, the
 * key period and the UIDs. Numbered cases: (sender's time, receiver's clock,
 * expected reason); times as offsets from the rollover.
 */
#define ERA1 ((int64_t)(((uint64_t)1 << 32) - KEYS_NTP_UNIX_OFFSET))	/* Unix 2085978496 */

Test(keys_mikey_sakke, ntp_era_rollover)
{
	static const struct {
		int64_t send, clock;
		enum mikey_reject want;
	} t[] = {
		/* 0 */ { 100, 100, MIKEY_REJECT_NONE },
		/* 1 */ { -5, 5, MIKEY_REJECT_NONE },	/* T in era 0, clock in era 1 */
		/* 2 */ { 5, -5, MIKEY_REJECT_NONE },	/* T in era 1, clock in era 0 */
		/* 3 */ { 100, 100 + MIKEY_WINDOW_DEFAULT + 1, MIKEY_REJECT_TIMESTAMP_WINDOW },
		/* 4 */ { 100, 100 - MIKEY_WINDOW_DEFAULT - 1, MIKEY_REJECT_TIMESTAMP_WINDOW },
	};
	const struct mikey_kms *trusted[1] = { &F.kms_home };
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct kms_keyset *ka = NULL, *kb = NULL;
		struct mikey_identity *bob = NULL;
		const struct mikey_identity *ids[1];
		struct mikey_signer *alice = NULL;
		struct mikey_newkey k;
		struct mikey_key got;
		struct mikey_tx tx;
		struct mikey_rx rx;
		struct mikey_msg m;
		enum mikey_reject why;
		uint8_t buf[MIKEY_MSG_MAX];
		uint64_t pno;
		size_t len;
		int rc;

		cr_assert_eq(keys_period_no_unix(&pno, ERA1 + t[i].send, PERIOD, 0), 0);
		cr_assert_eq(kms_issue(&ka, F.home, ALICE, pno), 0);
		cr_assert_eq(kms_issue(&kb, F.home, BOB, pno), 0);
		cr_assert_eq(mikey_signer_new(&alice, ALICE, &F.kms_home, pno, ka->ssk, ka->pvt), 0);
		cr_assert_eq(mikey_identity_new(&bob, BOB, &F.kms_home, pno, kb->rsk), 0);
		ids[0] = bob;
		memset(&tx, 0, sizeof(tx));
		tx.from = alice;
		tx.to.uri = BOB;
		tx.to.kms = &F.kms_home;
		tx.now = ERA1 + t[i].send;
		cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_PCK), 0);
		cr_assert_eq(mikey_pck_send(buf, sizeof(buf), &len, &tx, &k), 0, "case %u", i);
		cr_assert_eq(mikey_msg_decode(&m, buf, len, NULL), 0);
		cr_assert_eq(mikey_msg_ntp_seconds(&m),
			     (uint32_t)((uint64_t)tx.now + KEYS_NTP_UNIX_OFFSET),
			     "case %u: T's seconds modulo 2^32", i);
		memset(&rx, 0, sizeof(rx));
		rx.kms = trusted;
		rx.n_kms = 1;
		rx.ids = ids;
		rx.n_ids = 1;
		rx.clock = fix_clock;
		F.clock = ERA1 + t[i].clock;
		rc = mikey_sakke_receive(&got, &rx, buf, len, -1, &why);
		cr_assert_eq(why, t[i].want, "case %u: %s", i, mikey_reject_name(why));
		if (t[i].want == MIKEY_REJECT_NONE) {
			cr_assert_eq(rc, 0, "case %u", i);
			cr_assert_arr_eq(got.key, k.key, KEYS_KEY_LEN, "case %u", i);
			cr_assert_eq(got.activation, (uint64_t)tx.now + KEYS_NTP_UNIX_OFFSET,
				     "case %u: T placed in its era", i);
		} else {
			cr_assert_eq(rc, -KEYS_E_VERIFY, "case %u", i);
		}
		mikey_key_wipe(&got);
		sodium_memzero(&k, sizeof(k));
		mikey_signer_free(alice);
		mikey_identity_free(bob);
		kms_keyset_free(ka);
		kms_keyset_free(kb);
	}
}

/*
 * Replay cache (RFC 3830 §5.4, mikey_replay.h): step 12 of the receiver.
 */

/* A fresh PCK from alice to bob, signed at |t| (Unix seconds). */
static size_t
pck_at(uint8_t *buf, int64_t t)
{
	struct mikey_newkey k;
	struct mikey_tx tx;
	size_t len;

	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_PCK), 0);
	tx_for(&tx, W_ALICE, W_BOB);
	tx.now = t;
	cr_assert_eq(mikey_pck_send(buf, MIKEY_MSG_MAX, &len, &tx, &k), 0);
	sodium_memzero(&k, sizeof(k));
	return len;
}

/* bob receives |msg| with cache |r| (may be NULL); the key is wiped on failure. */
static enum mikey_reject
rx_cached(struct mikey_replay *r, const uint8_t *msg, size_t len, int want_rc)
{
	static const uint8_t zero[KEYS_KEY_LEN];
	const struct mikey_identity *ids[2];
	struct mikey_rx rx;
	struct mikey_key k;
	enum mikey_reject why;

	rx_for(&rx, ids, W_BOB);
	rx.replay = r;
	cr_assert_eq(mikey_sakke_receive(&k, &rx, msg, len, -1, &why), want_rc, "%s",
		     mikey_reject_name(why));
	if (want_rc != 0)
		cr_assert_arr_eq(k.key, zero, sizeof(zero), "key not wiped on rejection");
	mikey_key_wipe(&k);
	return why;
}

/* The same message twice: accepted twice without a cache, refused the second time with one. */
Test(keys_mikey_sakke, replay_same_message_twice)
{
	struct mikey_replay *r = (struct mikey_replay *)&r;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len = pck_at(buf, NOW);

	cr_assert_eq(mikey_replay_new(NULL, 4), -KEYS_E_ARG);
	cr_assert_eq(mikey_replay_new(&r, 0), -KEYS_E_RANGE);
	cr_assert_null(r);
	cr_assert_eq(mikey_replay_new(&r, (size_t)MIKEY_REPLAY_MAX + 1), -KEYS_E_RANGE);
	mikey_replay_free(NULL);
	cr_assert_eq(rx_cached(NULL, buf, len, 0), MIKEY_REJECT_NONE);
	cr_assert_eq(rx_cached(NULL, buf, len, 0), MIKEY_REJECT_NONE, "no cache: today's behaviour");
	cr_assert_eq(mikey_replay_new(&r, 8), 0);
	cr_assert_eq(rx_cached(r, buf, len, 0), MIKEY_REJECT_NONE);
	cr_assert_eq(mikey_replay_live(r, NOW), 1);
	cr_assert_eq(rx_cached(r, buf, len, -KEYS_E_VERIFY), MIKEY_REJECT_REPLAY);
	F.clock = NOW + 100;
	cr_assert_eq(rx_cached(r, buf, len, -KEYS_E_VERIFY), MIKEY_REJECT_REPLAY);
	cr_assert_eq(F.ctr.accepted, 3);
	cr_assert_eq(F.ctr.rejected[MIKEY_REJECT_REPLAY], 2);
	cr_assert_eq(mikey_replay_live(r, NOW), 1, "a replay takes no entry");
	mikey_replay_free(r);
}

/*
 * The identity is the signed fields, not the octets: (r, q - s) verifies as
 * well as (r, s) (J and -J share x), so an attacker can replay other octets
 * without the signer. Without a cache both copies open; with one, the
 * altered copy is the same message.
 */
Test(keys_mikey_sakke, replay_with_the_signature_malleated)
{
	static const uint8_t q[ECCSI_N] = {	/* NIST P-256 group order */
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
		0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
	};
	struct mikey_replay *r;
	uint8_t buf[MIKEY_MSG_MAX], alt[MIKEY_MSG_MAX], *s;
	size_t len = pck_at(buf, NOW);
	unsigned int i, borrow = 0;

	memcpy(alt, buf, len);
	s = alt + len - ECCSI_SIG_LEN + ECCSI_N;
	for (i = ECCSI_N; i-- > 0;) {		/* s = q - s */
		unsigned int d = (unsigned int)q[i] - s[i] - borrow;

		s[i] = (uint8_t)d;
		borrow = (d >> 8) & 1u;
	}
	cr_assert_arr_neq(alt, buf, len);
	cr_assert_eq(rx_cached(NULL, alt, len, 0), MIKEY_REJECT_NONE, "q - s verifies");
	cr_assert_eq(mikey_replay_new(&r, 8), 0);
	cr_assert_eq(rx_cached(r, buf, len, 0), MIKEY_REJECT_NONE);
	cr_assert_eq(rx_cached(r, alt, len, -KEYS_E_VERIFY), MIKEY_REJECT_REPLAY);
	mikey_replay_free(r);
}

/*
 * An entry lives until T + window on the receiver's clock: at T + window the
 * copy is still a replay; one second later the entry is gone and the window
 * refuses the copy anyway; a new message then reuses the expired slot.
 */
Test(keys_mikey_sakke, replay_entry_expires_with_the_window)
{
	struct mikey_replay *r;
	uint8_t a[MIKEY_MSG_MAX], b[MIKEY_MSG_MAX];
	size_t la = pck_at(a, NOW), lb = pck_at(b, NOW + MIKEY_WINDOW_DEFAULT + 1);

	cr_assert_eq(mikey_replay_new(&r, 1), 0);
	cr_assert_eq(rx_cached(r, a, la, 0), MIKEY_REJECT_NONE);
	F.clock = NOW + MIKEY_WINDOW_DEFAULT;
	cr_assert_eq(mikey_replay_live(r, F.clock), 1);
	cr_assert_eq(rx_cached(r, a, la, -KEYS_E_VERIFY), MIKEY_REJECT_REPLAY, "T + window");
	cr_assert_eq(rx_cached(r, b, lb, -KEYS_E_NOMEM), MIKEY_REJECT_REPLAY_FULL,
		     "the entry is live yet");
	F.clock = NOW + MIKEY_WINDOW_DEFAULT + 1;
	cr_assert_eq(mikey_replay_live(r, F.clock), 0, "gone after T + window");
	cr_assert_eq(rx_cached(r, a, la, -KEYS_E_VERIFY), MIKEY_REJECT_TIMESTAMP_WINDOW);
	cr_assert_eq(rx_cached(r, b, lb, 0), MIKEY_REJECT_NONE, "the expired slot is reused");
	cr_assert_eq(rx_cached(r, b, lb, -KEYS_E_VERIFY), MIKEY_REJECT_REPLAY);
	mikey_replay_free(r);
}

/*
 * Capacity: full of live entries, a new message is refused (REPLAY_FULL,
 * nothing recorded, no live entry forgotten); once one expires it fits.
 */
Test(keys_mikey_sakke, replay_cache_full_refuses_rather_than_forgets)
{
	struct mikey_replay *r;
	uint8_t m[3][MIKEY_MSG_MAX];
	size_t len[3];
	unsigned int i;

	len[0] = pck_at(m[0], NOW - 100);
	len[1] = pck_at(m[1], NOW);
	len[2] = pck_at(m[2], NOW);
	cr_assert_eq(mikey_replay_new(&r, 2), 0);
	for (i = 0; i < 2; i++)
		cr_assert_eq(rx_cached(r, m[i], len[i], 0), MIKEY_REJECT_NONE, "%u", i);
	cr_assert_eq(rx_cached(r, m[2], len[2], -KEYS_E_NOMEM), MIKEY_REJECT_REPLAY_FULL);
	cr_assert_eq(F.ctr.rejected[MIKEY_REJECT_REPLAY_FULL], 1);
	for (i = 0; i < 2; i++)
		cr_assert_eq(rx_cached(r, m[i], len[i], -KEYS_E_VERIFY), MIKEY_REJECT_REPLAY,
			     "%u: still remembered", i);
	F.clock = NOW - 100 + MIKEY_WINDOW_DEFAULT + 1;	/* m[0]'s entry expires */
	cr_assert_eq(rx_cached(r, m[2], len[2], 0), MIKEY_REJECT_NONE);
	cr_assert_eq(rx_cached(r, m[1], len[1], -KEYS_E_VERIFY), MIKEY_REJECT_REPLAY);
	cr_assert_eq(rx_cached(r, m[2], len[2], -KEYS_E_VERIFY), MIKEY_REJECT_REPLAY);
	mikey_replay_free(r);
}

/*
 * Forged or refused messages take no entry: a copy with a broken signature
 * (same CSB ID, T and RAND) and one that verifies but whose signer is not
 * allowed come first, in a cache of one; the genuine message is then
 * accepted, and its own copy refused.
 */
Test(keys_mikey_sakke, replay_forged_message_not_recorded)
{
	const struct mikey_identity *ids[2];
	struct mikey_replay *r;
	struct mikey_newkey k;
	struct mikey_key got;
	struct mikey_rx rx;
	struct mikey_tx tx;
	enum mikey_reject why;
	uint8_t buf[MIKEY_MSG_MAX], bad[MIKEY_MSG_MAX], gmk[MIKEY_MSG_MAX];
	struct mikey_gmk_opts o = { 0 };
	size_t len = pck_at(buf, NOW), glen;

	cr_assert_eq(mikey_replay_new(&r, 1), 0);
	memcpy(bad, buf, len);
	bad[len - 40] ^= 0x01;			/* inside the ECCSI signature */
	cr_assert_eq(rx_cached(r, bad, len, -KEYS_E_VERIFY), MIKEY_REJECT_BAD_SIGNATURE);
	cr_assert_eq(rx_cached(r, bad, len, -KEYS_E_VERIFY), MIKEY_REJECT_BAD_SIGNATURE);
	/* a GMK signed by alice: verifies, refused by policy after the signature */
	cr_assert_eq(mikey_newkey_make(&k, KEYS_PURPOSE_GMK), 0);
	tx_for(&tx, W_ALICE, W_BOB);
	cr_assert_eq(mikey_gms_gmk(gmk, sizeof(gmk), &glen, &tx, &k, &o), 0);
	rx_for(&rx, ids, W_BOB);
	rx.replay = r;
	rx.signer_ok = only_gms;
	cr_assert_eq(mikey_sakke_receive(&got, &rx, gmk, glen, -1, &why), -KEYS_E_VERIFY);
	cr_assert_eq(why, MIKEY_REJECT_UNKNOWN_SIGNER);
	cr_assert_eq(mikey_replay_live(r, NOW), 0);
	cr_assert_eq(rx_cached(r, buf, len, 0), MIKEY_REJECT_NONE, "the genuine one");
	cr_assert_eq(rx_cached(r, buf, len, -KEYS_E_VERIFY), MIKEY_REJECT_REPLAY);
	sodium_memzero(&k, sizeof(k));
	mikey_replay_free(r);
}

/* A receiver that could not use a key forgets its message: the next copy opens again. */
Test(keys_mikey_sakke, replay_forget_reopens_a_message)
{
	const struct mikey_identity *ids[2];
	struct mikey_replay *r;
	struct mikey_key got;
	struct mikey_rx rx;
	uint8_t buf[MIKEY_MSG_MAX];
	size_t len = pck_at(buf, NOW);

	cr_assert_eq(mikey_replay_new(&r, 4), 0);
	rx_for(&rx, ids, W_BOB);
	rx.replay = r;
	cr_assert_eq(mikey_sakke_receive(&got, &rx, buf, len, -1, NULL), 0);
	cr_assert_eq(rx_cached(r, buf, len, -KEYS_E_VERIFY), MIKEY_REJECT_REPLAY);
	mikey_replay_forget(r, &got);
	mikey_key_wipe(&got);
	cr_assert_eq(mikey_replay_live(r, NOW), 0);
	cr_assert_eq(rx_cached(r, buf, len, 0), MIKEY_REJECT_NONE);
	cr_assert_eq(rx_cached(r, buf, len, -KEYS_E_VERIFY), MIKEY_REJECT_REPLAY);
	mikey_replay_free(r);
}
