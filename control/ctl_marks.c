/* SPDX-License-Identifier: proprietary */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl_marks.h"

/*
 * index.marks layout (all integers big-endian):
 *   header, 64 octets: magic "MCPXIDX\0" | version u32 | 0 u32 | file id (16, random)
 *                      | 0 (16) | MAC (16) over the 48 octets before it
 *   record, 64 octets: key id (32) | SSRC u32 | proto u8 | 0 (3) | mark u64
 *                      | MAC (16) over file id | record number u64 | the 48 octets before it
 * The MAC is keyed BLAKE2b-128 under a key derived from index.key; the record
 * number binds each record to its place, the file id to its file.
 */
#define MAGIC "MCPXIDX"
#define VERSION 1
#define REC_LEN 64
#define BODY_LEN 48
#define MAC_LEN 16
#define FILE_ID_LEN 16
#define KEY_LEN 32
#define KEY_FILE "index.key"
#define MARKS_FILE "index.marks"
#define TMP_FILE "index.marks.tmp"
#define KDF_CTX "mcpx-idx"
#define KDF_ID_KEYID 1
#define KDF_ID_MAC 2
#define COMPACT_SLACK 4096

struct secrets {
	uint8_t id_key[KEY_LEN];	/* keys the key-id hash */
	uint8_t mac_key[KEY_LEN];	/* keys the record MACs */
};

struct ent {
	uint8_t id[CTL_MARK_ID_LEN];
	uint64_t mark;
	uint64_t holder;	/* the protect stream using it now (not persisted), 0 none */
	uint32_t ssrc;
	uint8_t proto;
	uint8_t used;
};

struct ctl_marks {
	char *dir, *path;		/* NULL, NULL: in memory */
	int dfd, fd;			/* the locked directory, the marks file (append) */
	struct secrets *sec;		/* sodium_malloc, read-only after set-up */
	uint8_t file_id[FILE_ID_LEN];
	struct ent *tab;
	uint32_t tab_size, n, cap;	/* tab_size: a power of two, or 0 */
	uint8_t *pend;			/* encoded records not yet written */
	size_t n_pend, pend_cap;
	uint64_t n_file;		/* records in the file after its header */
	uint64_t ahead, syncs;
	bool broken;			/* a write or sync failed: refuse every change */
};

static void
be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
be64(uint8_t *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/* ---- the table: open addressing, grows by doubling up to the cap ---------------- */

static uint32_t
slot_of(const struct ctl_marks *m, const struct ctl_mark_key *k)
{
	uint64_t h;

	memcpy(&h, k->id, sizeof(h));	/* a keyed hash already: uniform */
	h ^= (uint64_t)k->ssrc * 0x9e3779b97f4a7c15ull ^ k->proto;
	return (uint32_t)(h ^ (h >> 32)) & (m->tab_size - 1);
}

static bool
ent_is(const struct ent *e, const struct ctl_mark_key *k)
{
	return e->ssrc == k->ssrc && e->proto == k->proto &&
	       memcmp(e->id, k->id, CTL_MARK_ID_LEN) == 0;	/* public ids, not secrets */
}

static struct ent *
find(const struct ctl_marks *m, const struct ctl_mark_key *k)
{
	uint32_t i;

	if (m->tab_size == 0)
		return NULL;
	for (i = slot_of(m, k);; i = (i + 1) & (m->tab_size - 1)) {
		struct ent *e = &m->tab[i];

		if (!e->used)
			return NULL;
		if (ent_is(e, k))
			return e;
	}
}

static struct ent *
slot_new(struct ctl_marks *m, const struct ctl_mark_key *k)
{
	uint32_t i = slot_of(m, k);

	while (m->tab[i].used)
		i = (i + 1) & (m->tab_size - 1);
	memcpy(m->tab[i].id, k->id, CTL_MARK_ID_LEN);
	m->tab[i].ssrc = k->ssrc;
	m->tab[i].proto = k->proto;
	m->tab[i].used = 1;
	m->tab[i].mark = 0;
	m->tab[i].holder = 0;
	m->n++;
	return &m->tab[i];
}

/* Keep the load at most 1/2. */
static int
grow(struct ctl_marks *m)
{
	uint32_t old_size = m->tab_size, size = old_size == 0 ? 1024 : old_size * 2, i;
	struct ent *old = m->tab, *t = malloc((size_t)size * sizeof(*t)), *e;
	struct ctl_mark_key k;

	if (t == NULL)
		return -CTL_E_NOMEM;
	/*
	 * Written now, not calloc's untouched zero pages: a lookup would map each
	 * page read-only first and the insert after it take a second fault, with a
	 * TLB shootdown of the worker cores.
	 */
	memset(t, 0, (size_t)size * sizeof(*t));
	m->tab = t;
	m->tab_size = size;
	m->n = 0;
	for (i = 0; i < old_size; i++) {
		if (!old[i].used)
			continue;
		memcpy(k.id, old[i].id, CTL_MARK_ID_LEN);
		k.ssrc = old[i].ssrc;
		k.proto = old[i].proto;
		e = slot_new(m, &k);
		e->mark = old[i].mark;
		e->holder = old[i].holder;
	}
	free(old);
	return 0;
}

/* The entry of |k|, made if new. */
static int
upsert(struct ctl_marks *m, const struct ctl_mark_key *k, struct ent **out)
{
	int rc;

	*out = find(m, k);
	if (*out != NULL)
		return 0;
	if (m->n >= m->cap)
		return -CTL_E_LIMIT;
	if ((uint64_t)(m->n + 1) * 2 > m->tab_size) {
		rc = grow(m);
		if (rc < 0)
			return rc;
	}
	*out = slot_new(m, k);
	return 0;
}

/* ---- records ------------------------------------------------------------------- */

static void
rec_mac(const struct ctl_marks *m, uint64_t no, const uint8_t body[BODY_LEN],
	uint8_t mac[MAC_LEN])
{
	crypto_generichash_state st;
	uint8_t n[8];

	be64(n, no);
	crypto_generichash_init(&st, m->sec->mac_key, KEY_LEN, MAC_LEN);
	crypto_generichash_update(&st, m->file_id, FILE_ID_LEN);
	crypto_generichash_update(&st, n, sizeof(n));
	crypto_generichash_update(&st, body, BODY_LEN);
	crypto_generichash_final(&st, mac, MAC_LEN);
	sodium_memzero(&st, sizeof(st));	/* it holds the keyed state */
}

static void
rec_encode(const struct ctl_marks *m, uint64_t no, const struct ent *e, uint8_t r[REC_LEN])
{
	memset(r, 0, REC_LEN);
	memcpy(r, e->id, CTL_MARK_ID_LEN);
	be32(r + 32, e->ssrc);
	r[36] = e->proto;
	be64(r + 40, e->mark);
	rec_mac(m, no, r, r + BODY_LEN);
}

/* 0 and the record's contents, or -CTL_E_IO if its MAC does not verify. */
static int
rec_decode(const struct ctl_marks *m, uint64_t no, const uint8_t r[REC_LEN],
	   struct ctl_mark_key *k, uint64_t *mark)
{
	uint8_t mac[MAC_LEN];

	rec_mac(m, no, r, mac);
	if (sodium_memcmp(mac, r + BODY_LEN, MAC_LEN) != 0)
		return -CTL_E_IO;
	memcpy(k->id, r, CTL_MARK_ID_LEN);
	k->ssrc = rd32(r + 32);
	k->proto = r[36];
	*mark = rd64(r + 40);
	return 0;
}

static void
hdr_encode(const struct ctl_marks *m, uint8_t h[REC_LEN])
{
	memset(h, 0, REC_LEN);
	memcpy(h, MAGIC, sizeof(MAGIC));
	be32(h + 8, VERSION);
	memcpy(h + 16, m->file_id, FILE_ID_LEN);
	crypto_generichash(h + BODY_LEN, MAC_LEN, h, BODY_LEN, m->sec->mac_key, KEY_LEN);
}

static bool
hdr_ok(struct ctl_marks *m, const uint8_t h[REC_LEN])
{
	uint8_t mac[MAC_LEN];

	if (memcmp(h, MAGIC, sizeof(MAGIC)) != 0 || rd32(h + 8) != VERSION)
		return false;
	crypto_generichash(mac, MAC_LEN, h, BODY_LEN, m->sec->mac_key, KEY_LEN);
	if (sodium_memcmp(mac, h + BODY_LEN, MAC_LEN) != 0)
		return false;
	memcpy(m->file_id, h + 16, FILE_ID_LEN);
	return true;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* ---- files ---------------------------------------------------------------------- */

static int
write_all(int fd, const uint8_t *b, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read up to |n| octets; how many, or -1. */
static ssize_t
read_full(int fd, uint8_t *b, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, b + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/*
 * The seal key: read it, or make it if neither it nor a marks file exists (a
 * marks file without its key can never be verified: refuse, don't replace).
 */
static int
key_load(struct ctl_marks *m, uint8_t key[KEY_LEN], struct ctl_err *err)
{
	struct stat st;
	int fd;

	fd = openat(m->dfd, KEY_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (faccessat(m->dfd, MARKS_FILE, F_OK, 0) == 0)
			return ctl_err_set(err, -CTL_E_IO, "%s/%s is missing but %s exists: "
					   "the marks cannot be verified", m->dir, KEY_FILE,
					   MARKS_FILE);
		randombytes_buf(key, KEY_LEN);
		(void)unlinkat(m->dfd, KEY_FILE ".tmp", 0);
		fd = openat(m->dfd, KEY_FILE ".tmp", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write_all(fd, key, KEY_LEN) != 0 || fsync(fd) != 0 ||
		    renameat(m->dfd, KEY_FILE ".tmp", m->dfd, KEY_FILE) != 0 ||
		    fsync(m->dfd) != 0) {
			if (fd >= 0)
				close(fd);
			return ctl_err_set(err, -CTL_E_IO, "%s/%s: cannot create: %s", m->dir,
					   KEY_FILE, strerror(errno));
		}
		close(fd);
		return 0;
	}
	if (fd < 0)
		return ctl_err_set(err, -CTL_E_IO, "%s/%s: %s", m->dir, KEY_FILE, strerror(errno));
	if (fstat(fd, &st) != 0 || st.st_size != KEY_LEN ||
	    read_full(fd, key, KEY_LEN) != KEY_LEN) {
		close(fd);
		return ctl_err_set(err, -CTL_E_IO, "%s/%s: not a %d-octet key", m->dir, KEY_FILE,
				   KEY_LEN);
	}
	close(fd);
	return 0;
}

static int
secrets_new(struct ctl_marks *m, const uint8_t key[KEY_LEN])
{
	m->sec = sodium_malloc(sizeof(*m->sec));
	if (m->sec == NULL)
		return -CTL_E_NOMEM;
	crypto_kdf_derive_from_key(m->sec->id_key, KEY_LEN, KDF_ID_KEYID, KDF_CTX, key);
	crypto_kdf_derive_from_key(m->sec->mac_key, KEY_LEN, KDF_ID_MAC, KDF_CTX, key);
	sodium_mprotect_readonly(m->sec);
	return 0;
}

/* Every record of index.marks into the table; a torn or zeroed (unsynced) tail is ignored. */
static int
marks_read(struct ctl_marks *m, struct ctl_err *err)
{
	uint8_t r[REC_LEN], z[REC_LEN];
	struct ctl_mark_key k;
	struct ent *e;
	uint64_t no, mark, zeros = 0;
	ssize_t got;
	int fd, rc = 0;

	fd = openat(m->dfd, MARKS_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return ctl_err_set(err, -CTL_E_IO, "%s: %s", m->path, strerror(errno));
	got = read_full(fd, r, REC_LEN);
	if (got != REC_LEN || !hdr_ok(m, r)) {
		rc = ctl_err_set(err, -CTL_E_IO, "%s: bad header (not a marks file, or not sealed "
				 "by this %s): refusing to guess an index", m->path, KEY_FILE);
		goto out;
	}
	memset(z, 0, sizeof(z));
	for (no = 0; (got = read_full(fd, r, REC_LEN)) == REC_LEN; no++) {
		/*
		 * After a power loss, records appended but never synced may read
		 * as zeros. They were never published (a limit is handed out only
		 * after its sync), so a zero tail is as good as a torn one.
		 */
		if (all_zero(r, REC_LEN)) {
			zeros++;
			continue;
		}
		if (zeros != 0 || rec_decode(m, no, r, &k, &mark) != 0) {
			rc = ctl_err_set(err, -CTL_E_IO, "%s: record %" PRIu64 " does not verify "
					 "(corrupt or tampered): refusing to guess an index; "
					 "rekey, or move the file away knowingly", m->path,
					 zeros != 0 ? no - zeros : no);
			goto out;
		}
		rc = upsert(m, &k, &e);
		if (rc < 0) {
			ctl_err_set(err, rc, "%s: more than %u marks (raise the cap)", m->path,
				    m->cap);
			goto out;
		}
		if (mark > e->mark)
			e->mark = mark;
	}
	if (got < 0)
		rc = ctl_err_set(err, -CTL_E_IO, "%s: %s", m->path, strerror(errno));
out:
	sodium_memzero(r, sizeof(r));
	close(fd);
	return rc;
}

/* One record per live mark into a new file that replaces the log atomically. */
static int
compact(struct ctl_marks *m)
{
	uint8_t *buf, *p;
	uint32_t i;
	int fd, rc = -CTL_E_IO;
	size_t len = (size_t)(m->n + 1) * REC_LEN;

	buf = malloc(len);
	if (buf == NULL)
		return -CTL_E_NOMEM;
	randombytes_buf(m->file_id, FILE_ID_LEN);
	hdr_encode(m, buf);
	p = buf + REC_LEN;
	for (i = 0; i < m->tab_size; i++) {
		if (!m->tab[i].used)
			continue;
		rec_encode(m, (uint64_t)(p - buf) / REC_LEN - 1, &m->tab[i], p);
		p += REC_LEN;
	}
	(void)unlinkat(m->dfd, TMP_FILE, 0);
	fd = openat(m->dfd, TMP_FILE, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	if (write_all(fd, buf, len) != 0 || fsync(fd) != 0 ||
	    renameat(m->dfd, TMP_FILE, m->dfd, MARKS_FILE) != 0 || fsync(m->dfd) != 0) {
		close(fd);
		(void)unlinkat(m->dfd, TMP_FILE, 0);
		goto out;
	}
	close(fd);
	if (m->fd >= 0)
		close(m->fd);
	m->fd = openat(m->dfd, MARKS_FILE, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (m->fd < 0)
		goto out;
	m->n_file = m->n;
	m->n_pend = 0;		/* the new file holds every mark, the pending ones too */
	m->syncs++;
	rc = 0;
out:
	free(buf);
	return rc;
}

static int
dir_open(struct ctl_marks *m, const char *dir, struct ctl_err *err)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return ctl_err_set(err, -CTL_E_IO, "state directory %s: %s", dir, strerror(errno));
	m->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->dfd < 0)
		return ctl_err_set(err, -CTL_E_IO, "state directory %s: %s", dir, strerror(errno));
	if (fstat(m->dfd, &st) != 0 || (st.st_mode & 0022) != 0)
		return ctl_err_set(err, -CTL_E_IO, "state directory %s: writable by others "
				   "(make it 0700)", dir);
	if (flock(m->dfd, LOCK_EX | LOCK_NB) != 0)
		return ctl_err_set(err, -CTL_E_IO, "state directory %s: %s", dir,
				   errno == EWOULDBLOCK ? "in use by another mcpxd"
							: strerror(errno));
	m->dir = strdup(dir);
	if (m->dir == NULL || asprintf(&m->path, "%s/%s", dir, MARKS_FILE) < 0) {
		m->path = NULL;
		return ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
	}
	return 0;
}

int
ctl_marks_open(struct ctl_marks **out, const struct ctl_marks_cfg *cfg, struct ctl_err *err)
{
	struct ctl_marks *m;
	uint8_t key[KEY_LEN];
	int rc;

	*out = NULL;
	if (cfg == NULL || (cfg->dir != NULL && cfg->dir[0] == '\0'))
		return ctl_err_set(err, -CTL_E_ARG, "no state directory");
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
	m->dfd = m->fd = -1;
	m->ahead = cfg->ahead != 0 ? cfg->ahead : CTL_MARKS_AHEAD_DEFAULT;
	m->cap = cfg->cap != 0 ? cfg->cap : CTL_MARKS_CAP_DEFAULT;
	if (cfg->dir == NULL) {
		randombytes_buf(key, sizeof(key));	/* in memory: this process only */
	} else {
		rc = dir_open(m, cfg->dir, err);
		if (rc == 0)
			rc = key_load(m, key, err);
		if (rc < 0)
			goto out;
	}
	rc = secrets_new(m, key);
	if (rc < 0) {
		ctl_err_set(err, rc, "out of memory");
		goto out;
	}
	if (m->dir != NULL) {
		rc = marks_read(m, err);
		if (rc == 0) {
			rc = compact(m);
			if (rc < 0)
				ctl_err_set(err, rc, "%s: cannot rewrite: %s", m->path,
					    strerror(errno));
		}
	}
out:
	sodium_memzero(key, sizeof(key));
	if (rc < 0) {
		ctl_marks_close(m);
		return rc;
	}
	*out = m;
	return 0;
}

void
ctl_marks_close(struct ctl_marks *m)
{
	if (m == NULL)
		return;
	if (m->fd >= 0) {
		if (ctl_marks_sync(m) < 0) {
			/* unsynced marks were never handed out: losing them is safe */
		}
		close(m->fd);
	}
	if (m->dfd >= 0)
		close(m->dfd);	/* and the lock with it */
	sodium_free(m->sec);
	free(m->tab);
	free(m->pend);
	free(m->dir);
	free(m->path);
	free(m);
}

void
ctl_marks_key(const struct ctl_marks *m, unsigned int profile, unsigned int proto, uint32_t ssrc,
	      const uint8_t *key, size_t key_len, const uint8_t *salt, size_t salt_len,
	      struct ctl_mark_key *out)
{
	crypto_generichash_state st;
	uint8_t lp[2];

	/* profile || len || master key || len || master salt: lengths make it unambiguous */
	crypto_generichash_init(&st, m->sec->id_key, KEY_LEN, CTL_MARK_ID_LEN);
	lp[0] = (uint8_t)profile;
	lp[1] = (uint8_t)key_len;
	crypto_generichash_update(&st, lp, 2);
	crypto_generichash_update(&st, key, key_len);
	lp[0] = (uint8_t)salt_len;
	crypto_generichash_update(&st, lp, 1);
	crypto_generichash_update(&st, salt, salt_len);
	crypto_generichash_final(&st, out->id, CTL_MARK_ID_LEN);
	sodium_memzero(&st, sizeof(st));
	out->ssrc = ssrc;
	out->proto = (uint8_t)proto;
}

uint64_t
ctl_marks_get(const struct ctl_marks *m, const struct ctl_mark_key *k)
{
	const struct ent *e = find(m, k);

	return e != NULL ? e->mark : 0;
}

static int
pend_add(struct ctl_marks *m, const struct ent *e)
{
	uint8_t *p;
	size_t cap;

	if (m->n_pend == m->pend_cap) {
		cap = m->pend_cap == 0 ? 64 : m->pend_cap * 2;
		p = realloc(m->pend, cap * REC_LEN);
		if (p == NULL)
			return -CTL_E_NOMEM;
		m->pend = p;
		m->pend_cap = cap;
	}
	rec_encode(m, m->n_file + m->n_pend, e, m->pend + m->n_pend * REC_LEN);
	m->n_pend++;
	return 0;
}

int
ctl_marks_raise(struct ctl_marks *m, const struct ctl_mark_key *k, uint64_t mark)
{
	struct ent *e;
	uint64_t old;
	int rc;

	if (m->broken)
		return -CTL_E_IO;
	rc = upsert(m, k, &e);
	if (rc < 0)
		return rc;
	if (mark <= e->mark)
		return 0;
	old = e->mark;
	e->mark = mark;
	if (m->dir == NULL)
		return 0;
	rc = pend_add(m, e);
	if (rc < 0)
		e->mark = old;	/* not recorded: not handed out either */
	return rc;
}

int
ctl_marks_reserve(struct ctl_marks *m, const struct ctl_mark_key *k, uint64_t floor,
		  uint64_t *start, uint64_t *limit)
{
	uint64_t s = ctl_marks_get(m, k);

	if (s < floor)
		s = floor;
	if (s > UINT64_MAX - m->ahead)
		return -CTL_E_VALUE;
	*start = s;
	*limit = s + m->ahead;
	return ctl_marks_raise(m, k, *limit);
}

int
ctl_marks_advance(struct ctl_marks *m, const struct ctl_mark_key *k, uint64_t next,
		  uint64_t limit, uint64_t *new_limit)
{
	int rc;

	*new_limit = limit;
	if (next + m->ahead / 2 < limit || next > UINT64_MAX - m->ahead)
		return 0;
	rc = ctl_marks_raise(m, k, next + m->ahead);
	if (rc < 0)
		return rc;
	*new_limit = next + m->ahead;
	return 1;
}

int
ctl_marks_sync(struct ctl_marks *m)
{
	off_t good = (off_t)((m->n_file + 1) * REC_LEN);
	int rc;

	if (m->broken)
		return -CTL_E_IO;
	if (m->dir == NULL || m->n_pend == 0)
		return 0;
	if (m->n_file + m->n_pend > 2ull * m->n + COMPACT_SLACK) {
		rc = compact(m);
		if (rc == -CTL_E_IO)
			m->broken = true;
		return rc;
	}
	if (write_all(m->fd, m->pend, m->n_pend * REC_LEN) != 0) {
		/* Leave no partial record: later appends must stay aligned. */
		if (ftruncate(m->fd, good) != 0)
			m->broken = true;
		return -CTL_E_IO;
	}
	if (fdatasync(m->fd) != 0) {
		/* What reached the disk is unknown now (fsyncgate): fail closed. */
		m->broken = true;
		return -CTL_E_IO;
	}
	m->n_file += m->n_pend;
	m->n_pend = 0;
	m->syncs++;
	return 0;
}

uint64_t
ctl_marks_ahead(const struct ctl_marks *m)
{
	return m->ahead;
}

uint32_t
ctl_marks_count(const struct ctl_marks *m)
{
	return m->n;
}

const char *
ctl_marks_path(const struct ctl_marks *m)
{
	return m->path;
}

uint64_t
ctl_marks_syncs(const struct ctl_marks *m)
{
	return m->syncs;
}

uint64_t
ctl_marks_holder(const struct ctl_marks *m, const struct ctl_mark_key *k)
{
	const struct ent *e = find(m, k);

	return e != NULL ? e->holder : 0;
}

void
ctl_marks_set_holder(struct ctl_marks *m, const struct ctl_mark_key *k, uint64_t id)
{
	struct ent *e = find(m, k);

	if (e != NULL)
		e->holder = id;
}
