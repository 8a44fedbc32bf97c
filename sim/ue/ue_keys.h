/* SPDX-License-Identifier: proprietary */
/*
 * mcpx-ue's key side: one user's identity, loaded from a key store that the
 * KMS provisioned (keys/store), and the MIKEY-SAKKE messages it opens and
 * makes (keys/mikey):
 *   - opens GMKs from the GMS, PCKs from a caller, CSKs sent to it;
 *   - makes a PCK for a private call (caller side, with SAKKE-to-self so the
 *     caller reads its own key back from its own message) and a CSK upload
 *     to the server's MDSI.
 * Every certificate in the store is trusted; every key set of the user (all
 * key periods held) is one receiving identity; the key set of the period in
 * force signs. One replay cache (keys/mikey mikey_replay.h, UE_REPLAY_CAP
 * entries) lives as long as the ue_keys: a message opened once is refused
 * (MIKEY_REJECT_REPLAY) if it comes again within its timestamp window, our
 * own (SAKKE-to-self) included. Functions here return 0 or -KEYS_E_* (keys_error.h): this is
 * glue over keys/, with its codes.
 */
#ifndef UE_KEYS_H
#define UE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mikey_sakke.h"
#include "store.h"

#define UE_KMS_MAX 8
#define UE_PERIODS_MAX 8
#define UE_INITIATORS_MAX 8
#define UE_REPLAY_CAP 1024	/* messages opened within one window, at most */
/* An I_MESSAGE as base64 text, with its NUL. */
#define UE_MIKEY_B64_MAX (((MIKEY_MSG_MAX + 2) / 3) * 4 + 1)

struct ue_keys;

/*
 * Load |uri|'s identity from |st| as of Unix time |now| (0 = the clock; the
 * clock also checks message timestamps unless |now| is given). |st| may be
 * freed afterwards: everything needed is copied.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_NOMEM, -KEYS_E_NOTFOUND (no certificate,
 * or no key set of |uri|), -KEYS_E_POINT, -KEYS_E_KEY, -KEYS_E_CRYPTO,
 * -KEYS_E_RANGE (more KMSs or key sets than held).
 */
MUST_CHECK int
ue_keys_new(struct ue_keys **out, const struct store *st, const char *uri, int64_t now);

void
ue_keys_free(struct ue_keys *k);

/* The fixed time given to ue_keys_new() (Unix seconds), or 0: the clock. */
int64_t
ue_keys_at(const struct ue_keys *k);

/* Our MC Service user ID. */
const char *
ue_keys_uri(const struct ue_keys *k);

/* The receiver's counters (accepted, each reject reason, variants). */
const struct mikey_counters *
ue_keys_counters(const struct ue_keys *k);

/*
 * Whom a sender that hides itself (IDRuidi, 33.180 E.7) may be: |n| URIs, as
 * the signalling would name them, borrowed (they must outlive |k|); replaces
 * any given before. Without them such messages are refused
 * (MIKEY_REJECT_UNKNOWN_INITIATOR); our own are always read.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE (more than UE_INITIATORS_MAX).
 */
MUST_CHECK int
ue_keys_expect(struct ue_keys *k, const char *const *uris, size_t n);

/*
 * Open |len| octets of I_MESSAGE addressed to us (or made by us, with
 * SAKKE-to-self). |purpose|: a KEYS_PURPOSE_* or -1 for any. |*why| (may be
 * NULL) says why a message was refused: MIKEY_REJECT_REPLAY for one opened
 * before within its window (-KEYS_E_VERIFY), MIKEY_REJECT_REPLAY_FULL when
 * UE_REPLAY_CAP messages are live (-KEYS_E_NOMEM). Returns as
 * mikey_sakke_receive().
 */
MUST_CHECK int
ue_keys_open(struct ue_keys *k, const uint8_t *msg, size_t len, int purpose,
	     struct mikey_key *out, enum mikey_reject *why);

/*
 * Forget the message |key| was opened from (ue_keys_open() succeeded with
 * it) when the key could not be used: its retransmission opens again.
 */
void
ue_keys_forget(struct ue_keys *k, const struct mikey_key *key);

/*
 * Make a fresh key of |purpose| (KEYS_PURPOSE_PCK to a callee,
 * KEYS_PURPOSE_CSK to a server's MDSI) for |to_uri| in the domain of
 * |to_kms| (NULL: our own KMS), signed by us, with SAKKE-to-self; write the
 * I_MESSAGE to |buf| (|cap| octets, |*len| set) and put the key as we read
 * it back from our own message into |out|.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_NOTFOUND (no such KMS, or no signing key
 * for the period in force), and the codes of mikey_pck_send(),
 * mikey_csk_send() and mikey_sakke_receive().
 */
MUST_CHECK int
ue_keys_make(struct ue_keys *k, unsigned int purpose, const char *to_uri, const char *to_kms,
	     uint8_t *buf, size_t cap, size_t *len, struct mikey_key *out);

/*
 * An I_MESSAGE as it comes in a file or an SDP "a=key-mgmt:mikey" line: raw
 * (it starts with MIKEY version 1) or base64 (white space ignored, an
 * "a=key-mgmt:mikey " prefix and leading "#" comment lines, as mcpx-keys
 * prints them, skipped). Writes at most |cap| octets.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_PARSE (not base64), -KEYS_E_RANGE (too long).
 */
MUST_CHECK int
ue_mikey_unwrap(uint8_t *out, size_t cap, size_t *len, const uint8_t *in, size_t in_len);

/* |len| octets as base64 into |out| (|cap| >= UE_MIKEY_B64_MAX). 0 or -KEYS_E_RANGE. */
MUST_CHECK int
ue_mikey_b64(char *out, size_t cap, const uint8_t *msg, size_t len);

#endif /* UE_KEYS_H */
