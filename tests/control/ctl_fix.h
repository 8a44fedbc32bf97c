/* SPDX-License-Identifier: proprietary */
/*
 * The key-driven control suites' rig (test_ctl_keys.c, test_ctl_rekey.c):
 * control.sock served in this process on EAL with a net_ring port pair
 * (tests/dataplane/dp_rig.h), a key store holding the appliance's identity,
 * a KMS and a GMS/clients in-process that make I_MESSAGEs with keys/
 * senders, an injectable clock, and the client's reference SRTP contexts.
 */
#ifndef CTL_FIX_H
#define CTL_FIX_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "ctl_keys.h"
#include "ctl_server.h"
#include "dp_rig.h"
#include "kms.h"
#include "mikey_sakke.h"

#define FIX_NOW 1700000000
#define FIX_PERIOD 2592000
#define FIX_KMS "kms.example.org"
#define FIX_GMS "sip:gms@example.org"
#define FIX_ALICE "sip:alice@example.org"
#define FIX_BOB "sip:bob@example.org"
#define FIX_APP "sip:mcpx-appliance@example.org"
#define FIX_MEDIA_PORT 5004
#define FIX_MEMBER_PORT 6000

struct fix {
	struct rig r;
	struct ctl_ops ops;
	struct ctl_server *srv;
	char dir[32], path[96], store[128], key[128];
	int fd;
	int64_t id;
	int64_t now;			/* the injected clock */
	struct kms_domain *d;
	struct kms_keyset *gms, *alice, *app;
	struct mikey_kms kms;
	struct mikey_signer *gms_signer, *alice_signer;
	uint64_t pno;
};

/* The rig up, a store with the appliance's identity, ctl_keys on the injected clock. */
void
fix_up(struct fix *f);

void
fix_down(struct fix *f);

json_t *
fix_op(const char *name);

/* Add v and a fresh id to |req| (consumed), send it, serve until the reply is there. */
json_t *
fix_call(struct fix *f, json_t *req);

void
fix_ok(json_t *r);

void
fix_err(json_t *r, const char *code);

/* A mikey.install request of |msg| with |streams| (consumed; NULL: none). */
json_t *
fix_mikey_req(const uint8_t *msg, size_t len, json_t *streams);

/* GMS -> appliance: a GMK I_MESSAGE (|act|/|exp|: E.6 times, Unix seconds, 0 none). */
void
fix_gmk_msg(struct fix *f, struct mikey_newkey *k, int64_t act, int64_t exp, uint8_t *msg,
	    size_t *len);

/* Alice -> appliance (MDSI): a CSK I_MESSAGE. */
void
fix_csk_msg(struct fix *f, struct mikey_newkey *k, uint8_t *msg, size_t *len);

/* A group member's GUK-ID for GMK |k|, derived from its URI as the GMS does. */
uint32_t
fix_guk(const struct mikey_newkey *k, const char *uri);

/* The SRTP parameters of sender |guk| under GMK |k|, as a client computes them. */
struct dp_srtp_params
fix_gmk_params(const struct mikey_newkey *k, uint32_t guk, uint32_t ssrc, unsigned int proto);

/* A reference context of |p| in direction |dir| (libsrtp). */
struct dp_srtp_ctx *
fix_ctx(const struct dp_srtp_params *p, unsigned int dir);

/*
 * A client protects RTP packet |seq| of |ssrc| and sends it on the secure
 * side; returns the frame length. Nothing is received.
 */
uint32_t
fix_send_secure(struct fix *f, struct dp_srtp_ctx *tx, uint32_t ssrc, uint16_t seq);

/* Take one frame from the plain side and check it is RTP |seq| of |ssrc| in clear. */
void
fix_expect_plain(struct fix *f, uint32_t ssrc, uint16_t seq);

/* The server sends plain RTP |seq| of |ssrc| to the member 10.0.0.2:FIX_MEMBER_PORT. */
void
fix_send_plain(struct fix *f, uint32_t ssrc, uint16_t seq);

/*
 * Take up to |max| frames from the secure side (waiting for |want|, |ms|
 * without any ends it): their SRTP packets into |pkts|, lengths into |lens|.
 */
unsigned int
fix_take_secure(struct fix *f, uint8_t (*pkts)[RIG_FRAME], uint32_t *lens, unsigned int max,
		unsigned int want, unsigned int ms);

/* Whether |ctx| (unprotect) accepts a copy of |pkt| and it is RTP |seq| of |ssrc|. */
bool
fix_opens(struct dp_srtp_ctx *ctx, const uint8_t *pkt, uint32_t len, uint32_t ssrc,
	  uint16_t seq);

/* Serve the slow path as mcpxd does (ctl_keys_punt) until |ms| passed without a punt. */
unsigned int
fix_punts(struct fix *f, unsigned int ms);

/* Run $MCPXCTL with |args| (NULL-terminated) while serving; its stdout into |out|. Exit code. */
int
fix_mcpxctl(struct fix *f, const char *const *args, char *out, size_t outlen);

/* The "learning" counter |name| of a counters reply. */
uint64_t
fix_learn_counter(struct fix *f, const char *name);

#endif /* CTL_FIX_H */
