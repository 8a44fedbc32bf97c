/* SPDX-License-Identifier: proprietary */
/*
 * Rekey make-before-break (docs/control-protocol.md, "rekey"): a key that
 * replaces an older one has its receive (unprotect) streams installed at
 * once, next to the old key's (they have new MKIs); its send (protect)
 * streams wait as standby twins of the old key's. At the activation time
 * each twin takes over its old stream's plain-side lookups in one
 * dataplane command (dp_stream_switch) and the old stream is removed; at
 * the retire time every stream left under the old key is removed and the
 * key forgotten. Times are Unix seconds of the caller's clock (ctl_keys'
 * injectable one); nothing here reads a clock. Control thread only.
 *
 * The schedule, per pending rekey:
 *
 *   now < activate_at                 both keys receive; the old key sends
 *   activate_at <= now < retire_at    both keys receive; the new key sends
 *   retire_at <= now                  the new key alone
 *
 * with retire_at = activate_at + grace_s, or the old key's expiry when that
 * is earlier, never before activate_at (ctl_rekey_retire_at()).
 */
#ifndef CTL_REKEY_H
#define CTL_REKEY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "ctl_msg.h"
#include "dp.h"

#define CTL_REKEY_MAX 256		/* rekeys pending at once */

struct ctl_rekey;

/* Told when a key's retire time has come and its streams are gone. */
typedef void (*ctl_rekey_retired_cb)(void *arg, const uint8_t id[DP_KEY_ID_LEN]);

/* Returns 0 or -CTL_E_NOMEM. */
MUST_CHECK int
ctl_rekey_new(struct ctl_rekey **out);

/* Forget every pending rekey (the streams stay as they are). NULL is fine. */
void
ctl_rekey_free(struct ctl_rekey *rk);

/*
 * When the old key's streams go: |activate_at| + |grace_s|, or |old_expiry|
 * (0: none) when earlier, but never before |activate_at|.
 */
int64_t
ctl_rekey_retire_at(int64_t activate_at, uint32_t grace_s, int64_t old_expiry);

/*
 * The active protect stream of key |old_id| that the protect spec |sp| will
 * replace: same proto, SSRC and members (in any order). Returns 0 and sets
 * |*id|, or -CTL_E_NOTFOUND.
 */
MUST_CHECK int
ctl_rekey_find_twin(struct dp *dp, const uint8_t old_id[DP_KEY_ID_LEN],
		    const struct dp_stream_spec *sp, uint64_t *id);

/* Whether key |id| is the old or the new key of a pending rekey. */
bool
ctl_rekey_busy(const struct ctl_rekey *rk, const uint8_t id[DP_KEY_ID_LEN]);

/*
 * Schedule the switch of the |n| (old, new) protect stream pairs of
 * |old_ids|/|new_ids| (copied) at |activate_at| and the old key's retirement
 * at |retire_at|. Returns 0, -CTL_E_LIMIT (CTL_REKEY_MAX pending),
 * -CTL_E_NOMEM.
 */
MUST_CHECK int
ctl_rekey_add(struct ctl_rekey *rk, const uint8_t old_key[DP_KEY_ID_LEN],
	      const uint8_t new_key[DP_KEY_ID_LEN], int64_t activate_at, int64_t retire_at,
	      const uint64_t *old_ids, const uint64_t *new_ids, unsigned int n);

/*
 * Do what is due at |now|: switches, then retirements (each old key's
 * streams removed, the key forgotten by the dataplane, |cb| told). A full
 * command ring leaves the rest for the next tick. One log line per switch
 * and per retirement on |log| (may be NULL). Returns how many rekeys are
 * still pending.
 */
unsigned int
ctl_rekey_tick(struct ctl_rekey *rk, struct dp *dp, int64_t now, FILE *log,
	       ctl_rekey_retired_cb cb, void *arg);

/* The pending rekeys as a JSON array (old, new, activate_at, retire_at, switched). */
json_t *
ctl_rekey_json(const struct ctl_rekey *rk);

#endif /* CTL_REKEY_H */
