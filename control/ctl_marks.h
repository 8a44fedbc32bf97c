/* SPDX-License-Identifier: proprietary */
/*
 * Index marks: restart safety for outbound (protect) SRTP and SRTCP contexts.
 *
 * Under GCM a (key, SSRC, index) used twice leaks the authentication key, so
 * mcpxd never encrypts with an index it may have used before, also after a
 * kill -9. For every protect context the store keeps a mark: an index the
 * context has been allowed to reach (its "limit"), sealed and synced to disk
 * before the dataplane may use it. A context made again under the same key
 * and SSRC, after a restart or a remove and re-add, starts at the mark.
 *
 * Files in the state directory (docs/control-protocol.md "Restart safety"):
 *   index.key    32 random octets, 0600: the seal key (nothing else is kept)
 *   index.marks  a header, then append-only 64-octet records
 *                (key id, SSRC, proto, mark, MAC over the record, its position
 *                and the file's random id). Never a master key: the key id is
 *                a keyed BLAKE2b of the profile, master key and salt.
 *
 * No EAL and no dataplane here. One thread (the control thread).
 */
#ifndef CTL_MARKS_H
#define CTL_MARKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_msg.h"

#define CTL_MARKS_DIR_DEFAULT "/var/lib/mcpx"
#define CTL_MARKS_AHEAD_DEFAULT (1ull << 20)
#define CTL_MARKS_CAP_DEFAULT (1u << 20)
#define CTL_MARK_ID_LEN 32

/* What a mark belongs to: one key, one SSRC, one protocol. Public (no key material). */
struct ctl_mark_key {
	uint8_t id[CTL_MARK_ID_LEN];	/* keyed BLAKE2b of profile, master key, master salt */
	uint32_t ssrc;
	uint8_t proto;			/* enum dp_srtp_proto */
};

struct ctl_marks_cfg {
	const char *dir;	/* the state directory (made 0700); NULL: in memory only */
	uint64_t ahead;		/* N: how far a limit runs ahead of use; 0 = the default */
	uint32_t cap;		/* most marks kept; 0 = the default (1,048,576) */
};

struct ctl_marks;

/*
 * Open the store in |cfg->dir| (made 0700 if missing; index.key made on first
 * use), read and verify every record, compact the file. A torn last record
 * (a crash in mid-append) is ignored; a complete record that does not verify
 * is an error naming the file: mcpxd never guesses an index. The directory is
 * locked (flock): one mcpxd per state directory. Returns 0 and sets |*out|,
 * or -CTL_E_ARG, -CTL_E_NOMEM, -CTL_E_IO (cannot use the directory or a file,
 * a record does not verify, the directory is in use), -CTL_E_LIMIT (more
 * marks than |cfg->cap|), with |err| set.
 */
MUST_CHECK int
ctl_marks_open(struct ctl_marks **out, const struct ctl_marks_cfg *cfg, struct ctl_err *err);

/* Sync what is pending (best effort), wipe the keys and free. NULL is fine. */
void
ctl_marks_close(struct ctl_marks *m);

/*
 * The mark key of a context: |proto|, |ssrc| and the keyed hash of |profile|,
 * the master key and salt. Cannot fail.
 */
void
ctl_marks_key(const struct ctl_marks *m, unsigned int profile, unsigned int proto, uint32_t ssrc,
	      const uint8_t *key, size_t key_len, const uint8_t *salt, size_t salt_len,
	      struct ctl_mark_key *out);

/* The highest mark recorded for |k| (synced or not), 0 if none. */
uint64_t
ctl_marks_get(const struct ctl_marks *m, const struct ctl_mark_key *k);

/*
 * Record |mark| for |k| if it is above the recorded one (appended, not yet
 * synced). 0, -CTL_E_LIMIT (a new key and the table is full), -CTL_E_NOMEM,
 * -CTL_E_IO (the store failed earlier and refuses to go on).
 */
MUST_CHECK int
ctl_marks_raise(struct ctl_marks *m, const struct ctl_mark_key *k, uint64_t mark);

/*
 * A new context of |k|: *start = max(recorded mark, |floor|), *limit =
 * *start + ahead, recorded (not yet synced). Codes as ctl_marks_raise, and
 * -CTL_E_VALUE if the limit overflows 64 bits.
 */
MUST_CHECK int
ctl_marks_reserve(struct ctl_marks *m, const struct ctl_mark_key *k, uint64_t floor,
		  uint64_t *start, uint64_t *limit);

/*
 * A running context of |k| whose next index is |next| under |limit|: when
 * next + ahead/2 >= limit, record next + ahead, set *new_limit and return 1;
 * else 0 (*new_limit = limit). Codes as ctl_marks_raise.
 */
MUST_CHECK int
ctl_marks_advance(struct ctl_marks *m, const struct ctl_mark_key *k, uint64_t next,
		  uint64_t limit, uint64_t *new_limit);

/*
 * Make everything recorded since the last sync durable: one write and one
 * fdatasync (or a compaction: tmp file, fsync, rename, fsync of the
 * directory, when the log has grown past 2 x live + 4096 records). Call it
 * before any limit is handed to the dataplane. 0 or -CTL_E_IO (after which
 * the store refuses every change: fail closed).
 */
MUST_CHECK int
ctl_marks_sync(struct ctl_marks *m);

/*
 * One live context per key, SSRC and protocol: two would each run their own
 * index from the same mark and repeat each other's. The control thread records
 * which protect stream holds |k| (not persisted: nothing is live after a
 * restart). CTL_MARK_PENDING: claimed by an install in progress.
 */
#define CTL_MARK_PENDING UINT64_MAX

/* The stream that holds |k| now, 0 if none (or |k| is unknown). */
uint64_t
ctl_marks_holder(const struct ctl_marks *m, const struct ctl_mark_key *k);

/* Record |id| as |k|'s holder (0: none). An unknown |k| is ignored. */
void
ctl_marks_set_holder(struct ctl_marks *m, const struct ctl_mark_key *k, uint64_t id);

/* N, the distance a limit runs ahead. */
uint64_t
ctl_marks_ahead(const struct ctl_marks *m);

/* Marks kept. */
uint32_t
ctl_marks_count(const struct ctl_marks *m);

/* The marks file's path, or NULL in memory. */
const char *
ctl_marks_path(const struct ctl_marks *m);

/* Syncs (fdatasyncs and compactions) done, for health and tests. */
uint64_t
ctl_marks_syncs(const struct ctl_marks *m);

#endif /* CTL_MARKS_H */
