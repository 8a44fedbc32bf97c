/* SPDX-License-Identifier: proprietary */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "keying.h"
#include "keys_period.h"
#include "kms.h"
#include "mikey_sakke.h"

#define PERIOD 2592000

enum who { W_GMS, W_ALICE, W_BOB, W_CAROL, W_APPLIANCE, W_DAVE, W_MDSI, W_N };

static const char *const uris[W_N] = {
	"sip:gms@mcptt.example",     "sip:alice@mcptt.example", "sip:bob@mcptt.example",
	"sip:carol@mcptt.example",   "sip:appliance@gateway.example",
	"sip:dave@gateway.example",  "mdsi.gateway.example",
};

struct world {
	struct kms_domain *mc, *sg;	/* the MCPTT domain; the Security Gateway's */
	struct mikey_kms kms[2];
	const struct mikey_kms *trusted[2];
	struct kms_keyset *ks[W_N];
	struct mikey_identity *id[W_N];
	struct mikey_signer *signer[W_N];
	uint64_t period;
	int64_t now;
};

static bool
in_gateway(enum who w)
{
	return w >= W_APPLIANCE;
}

/* Both KMSs, every party's key set, identity and signing key. */
static int
world_make(struct world *W)
{
	unsigned int w;
	int rc;

	W->now = (int64_t)time(NULL);
	rc = kms_domain_create(&W->mc, "kms.mcptt.example", PERIOD, 0, false);
	if (rc == 0)
		rc = kms_domain_create(&W->sg, "kms.gateway.example", PERIOD, 0, true);
	if (rc == 0)
		rc = keys_period_no_unix(&W->period, W->now, PERIOD, 0);
	if (rc < 0)
		return rc;
	mikey_kms_from_cert(&W->kms[0], &W->mc->cert);
	mikey_kms_from_cert(&W->kms[1], &W->sg->cert);
	W->trusted[0] = &W->kms[0];
	W->trusted[1] = &W->kms[1];
	for (w = 0; rc == 0 && w < W_N; w++) {
		const struct mikey_kms *k = &W->kms[in_gateway(w)];

		rc = kms_issue(&W->ks[w], in_gateway(w) ? W->sg : W->mc, uris[w], W->period);
		if (rc == 0)
			rc = kms_keyset_validate(W->ks[w], in_gateway(w) ? &W->sg->cert : &W->mc->cert);
		if (rc == 0)
			rc = mikey_identity_new(&W->id[w], uris[w], k, W->period, W->ks[w]->rsk);
		if (rc == 0)
			rc = mikey_signer_new(&W->signer[w], uris[w], k, W->period, W->ks[w]->ssk,
					      W->ks[w]->pvt);
	}
	return rc;
}

static void
world_free(struct world *W)
{
	unsigned int w;

	for (w = 0; w < W_N; w++) {
		mikey_signer_free(W->signer[w]);
		mikey_identity_free(W->id[w]);
		kms_keyset_free(W->ks[w]);
	}
	kms_domain_free(W->mc);
	kms_domain_free(W->sg);
}

/* |to| verifies and opens |msg| with its own RSK. */
static int
open_as(struct world *W, enum who to, const uint8_t *msg, size_t len, int purpose,
	struct mikey_key *out, bool quiet)
{
	const struct mikey_identity *ids[1] = {W->id[to]};
	struct mikey_rx rx;
	enum mikey_reject why;
	int rc;

	memset(&rx, 0, sizeof(rx));
	rx.kms = W->trusted;
	rx.n_kms = 2;
	rx.ids = ids;
	rx.n_ids = 1;
	rc = mikey_sakke_receive(out, &rx, msg, len, purpose, &why);
	if (rc < 0 && !quiet)
		fprintf(stderr, "mcpx-demo: %s refused a message: %s\n", uris[to],
			mikey_reject_str(why));
	return rc;
}

static int
send_to(struct world *W, enum who from, enum who to, uint8_t *msg, size_t *len,
	const struct mikey_newkey *k, const char *group)
{
	struct mikey_tx tx = {.from = W->signer[from], .now = W->now, .to_self = true};
	struct mikey_gmk_opts o = {.groups = &group, .n_groups = 1};

	tx.to.uri = uris[to];
	tx.to.kms = &W->kms[in_gateway(to)];
	switch (k->purpose) {
	case KEYS_PURPOSE_GMK:
		return mikey_gms_gmk(msg, MIKEY_MSG_MAX, len, &tx, k, &o);
	case KEYS_PURPOSE_PCK:
		return mikey_pck_send(msg, MIKEY_MSG_MAX, len, &tx, k);
	default:
		return mikey_csk_send(msg, MIKEY_MSG_MAX, len, &tx, k);
	}
}

/* The GMS keys the group; every member derives alice's sending key. */
static int
group_keys(struct world *W, struct demo_keys *out)
{
	static const enum who members[DP_PARTIES] = {W_ALICE, W_BOB, W_CAROL, W_APPLIANCE};
	struct mikey_key got[DP_PARTIES];
	uint8_t msg[MIKEY_MSG_MAX];
	struct mikey_newkey k;
	unsigned int m;
	size_t len;
	int rc;

	rc = mikey_newkey_make(&k, KEYS_PURPOSE_GMK);
	for (m = 0; rc == 0 && m < DP_PARTIES; m++) {
		rc = send_to(W, W_GMS, members[m], msg, &len, &k, "sip:group1@mcptt.example");
		out->messages_sent += rc == 0;
		if (rc == 0)
			rc = open_as(W, members[m], msg, len, KEYS_PURPOSE_GMK, &got[m], false);
		out->messages_opened += rc == 0;
	}
	/* alice's GUK-ID is on her packets; each member derives her key from it. */
	for (m = 0; rc == 0 && m < DP_PARTIES; m++)
		rc = mikey_key_srtp(&out->group[m], &got[m], MIKEY_CS_MCPTT_GROUP,
				    got[DP_ALICE].csb_id);
	if (rc == 0) {
		out->group_roc_rate = got[DP_ALICE].profile.roc_rate;
		out->appliance_marked_segy = got[DP_APPLIANCE].shared_with_segy;
		out->others_marked_segy = got[DP_ALICE].shared_with_segy ||
					  got[DP_BOB].shared_with_segy;
	}
	sodium_memzero(&k, sizeof(k));
	for (m = 0; m < DP_PARTIES; m++)
		mikey_key_wipe(&got[m]);
	return rc;
}

/*
 * alice -> |to| (a PCK to dave, a CSK to the MDSI): she keeps her own copy
 * through SAKKE-to-self; the appliance opens it with |to|'s RSK. A copy with
 * one octet changed must be refused.
 */
static int
pair_keys(struct world *W, struct demo_keys *out, unsigned int purpose, enum who to,
	  struct mikey_key *mine, struct mikey_key *theirs)
{
	uint8_t msg[MIKEY_MSG_MAX];
	struct mikey_newkey k;
	struct mikey_key bad;
	size_t len;
	int rc;

	rc = mikey_newkey_make(&k, purpose);
	if (rc == 0)
		rc = send_to(W, W_ALICE, to, msg, &len, &k, NULL);
	out->messages_sent += rc == 0;
	if (rc == 0)
		rc = open_as(W, to, msg, len, (int)purpose, theirs, false);
	out->messages_opened += rc == 0;
	if (rc == 0)
		rc = open_as(W, W_ALICE, msg, len, (int)purpose, mine, false); /* to-self */
	if (rc == 0) {
		msg[len / 2] ^= 0x01;
		if (open_as(W, to, msg, len, (int)purpose, &bad, true) < 0)
			out->tampered_refused++;
		else
			mikey_key_wipe(&bad);
	}
	sodium_memzero(&k, sizeof(k));
	return rc;
}

int
demo_keying(struct demo_keys *out)
{
	struct mikey_key mine, theirs;
	struct timespec t0, t1;
	struct world W;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&W, 0, sizeof(W));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = world_make(&W);
	if (rc == 0)
		rc = group_keys(&W, out);
	if (rc == 0 && (rc = pair_keys(&W, out, KEYS_PURPOSE_PCK, W_DAVE, &mine, &theirs)) == 0) {
		rc = mikey_key_srtp(&out->pck_init[0], &mine, MIKEY_CS_MCPTT_PCK_INIT, 0);
		if (rc == 0)
			rc = mikey_key_srtp(&out->pck_recv[0], &mine, MIKEY_CS_MCPTT_PCK_RECV, 0);
		if (rc == 0)
			rc = mikey_key_srtp(&out->pck_init[1], &theirs, MIKEY_CS_MCPTT_PCK_INIT, 0);
		if (rc == 0)
			rc = mikey_key_srtp(&out->pck_recv[1], &theirs, MIKEY_CS_MCPTT_PCK_RECV, 0);
		mikey_key_wipe(&mine);
		mikey_key_wipe(&theirs);
	}
	if (rc == 0 && (rc = pair_keys(&W, out, KEYS_PURPOSE_CSK, W_MDSI, &mine, &theirs)) == 0) {
		rc = mikey_key_srtp(&out->csk[0], &mine, MIKEY_CS_MCPTT_CSK, 0);
		if (rc == 0)
			rc = mikey_key_srtp(&out->csk[1], &theirs, MIKEY_CS_MCPTT_CSK, 0);
		mikey_key_wipe(&mine);
		mikey_key_wipe(&theirs);
	}
	world_free(&W);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (rc < 0) {
		fprintf(stderr, "mcpx-demo: key management failed: %s\n", keys_strerror(rc));
		demo_keys_wipe(out);
		return -1;
	}
	return 0;
}

void
demo_keys_wipe(struct demo_keys *k)
{
	sodium_memzero(k, sizeof(*k));
}
