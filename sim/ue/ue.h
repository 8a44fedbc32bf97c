/* SPDX-License-Identifier: proprietary */
/*
 * One simulated MCPTT client (mcpx-ue): ordinary UDP sockets (IPv4 or IPv6)
 * for media (SRTP), floor control (SRTCP) and a signalling side channel
 * that carries MIKEY-SAKKE I_MESSAGEs between simulated parties
 * (docs/client-simulator.md gives its format). It keys its sessions with
 * ue_keys/ue_sess, runs floor control with ue_floor, sends numbered voice
 * frames and verifies every frame it receives.
 *
 * A client is driven by its caller's poll loop: ue_fds() to wait on,
 * ue_input() when readable, ue_tick() when due; ue_run() is such a loop for
 * a set of clients in one thread. Time is milliseconds of CLOCK_MONOTONIC.
 * Never prints: ue->err says what went wrong.
 *
 * GMK rekey (TS 33.180 §7.4, E.6): a client holds every GMK it was given.
 * It sends (media, and floor control under the media key) under the newest
 * GMK whose activation time has come by its clock (ue_clock_ms), choosing
 * again before every frame, so a talk burst moves to a new GMK between two
 * frames. Received packets go to the GMK their MKI's GMK-ID names; a GMK
 * past its expiry refuses them. Frames are counted per sender across keys.
 */
#ifndef UE_H
#define UE_H

#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ue_error.h"
#include "ue_floor.h"
#include "ue_keys.h"
#include "ue_sess.h"

#define UE_PEERS_MAX 16
#define UE_FRAME_MIN 12		/* tag, SSRC, frame number */
#define UE_FRAME_MAX 1200
#define UE_FRAME_DEFAULT 33	/* AMR-WB 23.85 kbit/s: 477 bits in 20 ms */
#define UE_RATE_DEFAULT 50	/* frames per second: one every 20 ms */
#define UE_SIG_MAX 4096		/* octets of one signalling datagram */
#define UE_NFDS 3
#define UE_KEY_WAIT_MS 5000	/* a talker's wait for a media key past its talk time */
#define UE_GMK_MAX 8		/* GMKs held at once (for one group) */

enum ue_sock { UE_MEDIA, UE_FLOOR, UE_SIG };

struct ue_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

struct ue_peer {
	struct ue_addr a[UE_NFDS];	/* media, floor, signalling */
};

struct ue_cfg {
	const char *local;		/* address to bind: an IPv4 or IPv6 literal */
	uint16_t port;			/* media port; floor +1, signalling +2; 0: any */
	unsigned int be;		/* DP_SRTP_BACKEND_* */
	uint32_t payload;		/* octets per frame, UE_FRAME_MIN..UE_FRAME_MAX */
	uint32_t frames;		/* frames to send when talking; 0: listen only */
	uint32_t rate;			/* frames per second; 0: as fast as possible */
	bool seq_set;			/* first SEQ is seq_start, else random */
	uint16_t seq_start;
	uint32_t ssrc;			/* 0: random (the rule for group calls) */
	uint32_t join_after;		/* media packets ignored before joining */
	uint32_t join_after_ms;		/* or ms after start */
	bool ignore_roc;		/* test knob: receive without the RCCm3 trailer */
	bool floor;			/* take the floor before talking */
	bool offnet;			/* off-network floor control among the peers */
	uint32_t floor_wait_ms;		/* off-network: silence before taking the floor */
	uint32_t talk_at_ms;		/* start talking this long after start */
	uint8_t priority;
};

struct ue_stats {
	uint64_t sent, sent_octets, send_fail, protect_fail;
	uint64_t rx_media, rx_floor, rx_sig;
	uint64_t join_skipped;		/* media ignored before joining */
	uint64_t no_key;		/* media or floor before any key */
	uint64_t floor_decode_errors;
	uint64_t sig_bad, sig_keys, sig_key_refused, sig_resent, sig_acks;
	uint64_t key_repeats;		/* I_MESSAGEs opened before (REPLAY): not re-keyed */
	uint64_t floor_requests;	/* PTT presses */
};

enum ue_talk { UE_TALK_WAIT, UE_TALK_REQUESTING, UE_TALK_SENDING, UE_TALK_DONE };

/* One sender's media as heard across every key it used (by SSRC). */
struct ue_sender {
	uint32_t ssrc;
	struct ue_frames frames;
};

struct ue {
	struct ue_cfg cfg;
	struct ue_keys *keys;		/* owned */
	int fd[UE_NFDS];
	struct ue_peer peer[UE_PEERS_MAX];
	unsigned int n_peers;
	struct ue_sess *gmk[UE_GMK_MAX];	/* every GMK given, in arrival order */
	unsigned int n_gmk;
	struct ue_sess *group;		/* the GMK we send under now (in gmk[]), or NULL */
	struct ue_sess *priv, *csk;
	uint64_t key_switches;		/* times the sending GMK changed to another */
	struct ue_sender from[UE_RX_MAX];	/* media senders heard, any key */
	unsigned int n_from;
	struct ue_floor floor;
	uint32_t ssrc, tag;
	uint16_t seq;
	uint32_t ts;
	enum ue_talk talk;
	uint32_t sent_frames;
	uint64_t start_ms, next_us, retry_ms;
	bool joined;
	bool no_media_key;		/* gave up talking: no GMK or PCK came in time */
	/* An I_MESSAGE offered to a peer's signalling port until it says ACK. */
	struct {
		bool pending, acked, refused;
		unsigned int peer, tries;
		uint32_t key_id;
		uint64_t next_ms;
		size_t len;
		uint8_t msg[MIKEY_MSG_MAX];
		char reason[96];	/* the peer's NAK reason */
	} offer;
	struct ue_stats st;
	char err[160];
};

/*
 * A client of identity |keys| (ownership taken, also on failure) with |cfg|
 * (copied; cfg->local must outlive the client). Binds its three sockets.
 * Returns 0, -UE_E_ARG, -UE_E_ADDR, -UE_E_SOCKET, -UE_E_NOMEM.
 */
MUST_CHECK int
ue_new(struct ue **out, const struct ue_cfg *cfg, struct ue_keys *keys);

void
ue_free(struct ue *u);

/* The ports bound: media, floor, signalling. */
void
ue_ports(const struct ue *u, uint16_t port[UE_NFDS]);

/* A peer (off-network: each other member; on-network: the server). 0, -UE_E_ADDR, -UE_E_FULL. */
MUST_CHECK int
ue_add_peer(struct ue *u, const char *addr, uint16_t media, uint16_t floor, uint16_t sig);

/*
 * Open an I_MESSAGE (raw or base64) addressed to us and key a session with
 * it: a GMK one more group session (held beside the others, see above), a
 * PCK the private call, a CSK on-network floor control. The same key twice
 * is kept once. The same message again within its timestamp window (a
 * resent offer, or a replay) is refused by the replay cache (ue_keys.h) and
 * changes nothing: 0, counted in st.key_repeats, no re-keying (a replayed
 * old PCK does not replace the current one). A message whose key could not
 * be taken is forgotten by the cache, so its retransmission is tried again.
 * Returns 0, -UE_E_KEY (refused: u->err says why; also more than UE_GMK_MAX
 * GMKs, or the replay cache full of live messages), -UE_E_ARG, -UE_E_NOMEM,
 * -UE_E_SRTP.
 */
MUST_CHECK int
ue_install(struct ue *u, const uint8_t *msg, size_t len);

/*
 * Caller side of a private call (|purpose| KEYS_PURPOSE_PCK, to |to_uri|), or
 * a CSK upload (KEYS_PURPOSE_CSK, to the server's MDSI |to_uri|): make the
 * key, key our session, and offer the I_MESSAGE on peer |peer|'s signalling
 * port until it acknowledges (|peer| < 0: do not send). The message is also
 * copied to |msg| (capacity |cap|, may be NULL) for a file.
 * Returns 0, -UE_E_ARG, -UE_E_KEY, -UE_E_NOMEM, -UE_E_SRTP.
 */
MUST_CHECK int
ue_make_key(struct ue *u, unsigned int purpose, const char *to_uri, const char *to_kms, int peer,
	    uint8_t *msg, size_t cap, size_t *len);

/* Start the clock: talking and joining count from |now_ms|. */
void
ue_start(struct ue *u, uint64_t now_ms);

/* The sockets to poll (UE_NFDS entries, POLLIN). */
void
ue_fds(const struct ue *u, struct pollfd pfd[UE_NFDS]);

/* Read whatever is queued on every socket and handle it. */
void
ue_input(struct ue *u, uint64_t now_ms);

/* Timers: floor control, talking, key offers. */
void
ue_tick(struct ue *u, uint64_t now_ms);

/* PTT by hand (tests, labs). Returns fc_cli_event()'s code or -UE_E_SOCKET. */
int
ue_ptt(struct ue *u, bool press, uint64_t now_ms);

/* Whether the client has nothing more to send: talked, and its offers settled. */
bool
ue_done(const struct ue *u);

/* What |u| still waits for (not done), for a deadline message. */
const char *
ue_waiting(const struct ue *u);

/* The session that carries media now: the private call's, else the group's. */
struct ue_sess *
ue_media_sess(const struct ue *u);

/*
 * The client's clock, which activates and expires GMKs, in Unix
 * milliseconds: the fixed time of its identity (--at, ue_keys_new's |now|)
 * plus the time since ue_start(), else the wall clock. |now_ms| is
 * monotonic, as everywhere here.
 */
int64_t
ue_clock_ms(const struct ue *u, uint64_t now_ms);

/* A MIKEY E.6 time (seconds since 1900; 0 stays 0) in Unix milliseconds. */
int64_t
ue_key_time_ms(uint64_t t1900);

/* Monotonic milliseconds. */
uint64_t
ue_now_ms(void);

/*
 * Run |n| clients in this thread until all are done and |linger_ms| passed
 * without traffic, or |max_ms| passed. Returns the milliseconds run.
 */
uint64_t
ue_run(struct ue *const *u, unsigned int n, uint32_t linger_ms, uint32_t max_ms);

/* The payload pattern: tag, SSRC, frame number, then octets made of them. */
void
ue_frame_fill(uint8_t *p, uint32_t len, uint32_t tag, uint32_t ssrc, uint32_t n);

/*
 * Count frame |n| of a sender into |f|: |ok| says its content checked (and
 * |tag| is its sender's tag); order, repeats and gaps are judged here.
 */
void
ue_frames_account(struct ue_frames *f, bool ok, uint32_t tag, uint32_t n);

/* Whether |p| is frame |*n| of |ssrc| (its tag and number returned). */
bool
ue_frame_check(const uint8_t *p, uint32_t len, uint32_t ssrc, uint32_t *tag, uint32_t *n);

#endif /* UE_H */
