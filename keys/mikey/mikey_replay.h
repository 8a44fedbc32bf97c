/* SPDX-License-Identifier: proprietary */
/*
 * The MIKEY replay cache (RFC 3830 §5.4): the messages a receiver accepted
 * whose timestamp T is still inside its window, so that the same message
 * received again within the window is refused (MIKEY_REJECT_REPLAY). Pass one
 * as mikey_rx.replay; mikey_sakke_receive() consults and fills it as its last
 * step, once a message is otherwise fully accepted (signature verified, SAKKE
 * decapsulated, E.6 and SPIs checked), so a forged or broken message never
 * takes an entry.
 *
 * What identifies a message: a keyed BLAKE2b-128 (crypto_generichash, a
 * random key per cache) of the signed fields that make the key
 *   initiator UID (32) || CSB ID (4) || T (8, NTP with fraction) ||
 *   RAND length (1) || RAND
 * and not a hash of the octets received. The octets are malleable without
 * the signer: an ECCSI signature (r, s) also verifies as (r, q - s) (J and
 * -J share their x coordinate, RFC 6507 §5.2.2 step 6), s and r are read
 * modulo q and p, and the receiver also accepts SIGN computed without its
 * header; each gives other octets for the same signed message. The fields
 * above are under the signature, so any copy an attacker can make of an
 * accepted message has the same identity. A legitimate sender never repeats
 * (CSB ID, T, RAND): the GMS sends one RAND and T per GMK but a different
 * CSB ID (GUK-ID) to each member; a PCK or CSK has a fresh K-ID and RAND. The
 * initiator's UID keeps another authorised user from pre-empting a message
 * by copying its T, RAND and CSB ID into one of its own. The hash is keyed so
 * that no sender can aim for a collision with another's entry. The cache
 * holds nothing secret: hashes of public fields and their expiry times.
 *
 * Lifetime of an entry: until T + window has passed on the receiver's clock
 * (mikey_rx.clock), after which the timestamp check alone refuses the
 * message. A receiver whose clock steps back by more than the window may
 * accept again what it had forgotten; keep the clock monotonic where that
 * matters (RFC 3830 §5.4 notes the same).
 *
 * Bounded memory: |capacity| entries, allocated at mikey_replay_new().
 * Expired entries are dropped whenever a message is recorded; when every
 * entry is still live the new message is refused (MIKEY_REJECT_REPLAY_FULL,
 * -KEYS_E_NOMEM) rather than a live entry forgotten, which would let that
 * message be replayed. Size it for the messages one receiver may accept
 * within 2 x window; a refused sender's retransmission succeeds once an
 * entry expires. Lookups are linear in |capacity|: a few thousand entries
 * cost far less than the SAKKE decapsulation before them.
 *
 * Threads: none of this is thread-safe. A cache belongs to the thread that
 * runs its receiver (as mikey_rx and its counters do); sharing one between
 * threads needs the caller's lock around mikey_sakke_receive().
 */
#ifndef MIKEY_REPLAY_H
#define MIKEY_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "keys_error.h"
#include "mikey_wire.h"

#define MIKEY_REPLAY_MAX (1u << 20)	/* entries, at most */

struct mikey_replay;
struct mikey_key;

/*
 * A cache of |capacity| entries (1..MIKEY_REPLAY_MAX), empty.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE (capacity 0 or too large), -KEYS_E_NOMEM.
 */
MUST_CHECK int
mikey_replay_new(struct mikey_replay **out, size_t capacity);

/* Wipes and frees |r| (NULL: nothing). */
void
mikey_replay_free(struct mikey_replay *r);

/* Entries held that are still live at |now| (Unix seconds). */
size_t
mikey_replay_live(const struct mikey_replay *r, int64_t now);

/*
 * Record the message that |k| came from, as mikey_sakke_receive() does:
 * initiator UID, CSB ID, T and RAND, alive until T + |window| seconds have
 * passed at |now1900| (NTP seconds). Called by the receiver; exported for it.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_EXISTS (a live entry has that identity: a
 * replay), -KEYS_E_NOMEM (every entry is live: nothing recorded).
 */
MUST_CHECK int
mikey_replay_add(struct mikey_replay *r, const uint8_t uid_i[MIKEY_UID_LEN], uint32_t csb_id,
		 uint64_t ts, const uint8_t *rand, size_t rand_len, uint64_t now1900,
		 uint64_t expires1900);

/*
 * Forget the message |k| was opened from (mikey_sakke_receive() succeeded
 * with |k|), for a caller that accepted it but could not use the key (no
 * room for another session, say): a retransmission of it is then opened
 * again instead of refused as a replay. Unknown messages: nothing happens.
 */
void
mikey_replay_forget(struct mikey_replay *r, const struct mikey_key *k);

#endif /* MIKEY_REPLAY_H */
