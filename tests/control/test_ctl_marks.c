/* SPDX-License-Identifier: proprietary */
/*
 * The index-mark store on its own (no EAL): reserve, advance and sync; a
 * reopen resumes at or above every limit handed out, also after a process
 * that never closed the store (a child that _exit()s); a torn or zeroed tail
 * is ignored, a changed complete record refused; compaction keeps the
 * highest mark; the file never holds a master key; a full table is an error.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "ctl_marks.h"

#define REC 64

static void
suite_init(void)
{
	cr_assert(sodium_init() >= 0);
}

TestSuite(control_ctl_marks, .init = suite_init, .timeout = 60);

struct fix {
	char top[32], dir[64], marks[96], key[96];
};

static void
fix_up(struct fix *f)
{
	snprintf(f->top, sizeof(f->top), "/tmp/mcpx-marksXXXXXX");
	cr_assert_not_null(mkdtemp(f->top));
	snprintf(f->dir, sizeof(f->dir), "%s/state", f->top);	/* made by the store */
	snprintf(f->marks, sizeof(f->marks), "%s/index.marks", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/index.key", f->dir);
}

static void
fix_down(struct fix *f)
{
	char tmp[128];

	unlink(f->marks);
	unlink(f->key);
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->marks);
	unlink(tmp);
	rmdir(f->dir);
	rmdir(f->top);
}

static struct ctl_marks *
open_ok(const struct fix *f, uint64_t ahead, uint32_t cap)
{
	struct ctl_marks_cfg cfg = {.dir = f->dir, .ahead = ahead, .cap = cap};
	struct ctl_marks *m = NULL;
	struct ctl_err err;
	int rc = ctl_marks_open(&m, &cfg, &err);

	cr_assert_eq(rc, 0, "open: %s", rc < 0 ? err.msg : "");
	return m;
}

static int
open_err(const struct fix *f, struct ctl_err *err)
{
	struct ctl_marks_cfg cfg = {.dir = f->dir};
	struct ctl_marks *m = NULL;
	int rc = ctl_marks_open(&m, &cfg, err);

	cr_assert_null(m);
	return rc;
}

/* A master key and salt made from |seed|, the mark key of (GCM, |proto|, |ssrc|). */
static void
mkkey(const struct ctl_marks *m, uint8_t seed, uint32_t ssrc, unsigned int proto,
      struct ctl_mark_key *k)
{
	uint8_t key[16], salt[12];
	unsigned int i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa0 + seed + i);
	for (i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)(0x50 + seed * 3 + i);
	ctl_marks_key(m, 2, proto, ssrc, key, sizeof(key), salt, sizeof(salt), k);
}

static long
file_size(const char *p)
{
	struct stat st;

	cr_assert_eq(stat(p, &st), 0, "%s", p);
	return (long)st.st_size;
}

static void
flip(const char *p, long off, uint8_t x)
{
	int fd = open(p, O_RDWR);
	uint8_t b;

	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, &b, 1, off), 1);
	b ^= x;
	cr_assert_eq(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static void
append(const char *p, const uint8_t *b, size_t n)
{
	int fd = open(p, O_WRONLY | O_APPEND);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, b, n), (ssize_t)n);
	close(fd);
}

Test(control_ctl_marks, reserve_advance_and_sync)
{
	struct ctl_mark_key k, k2;
	struct ctl_marks *m;
	uint64_t start, limit, nl;
	struct stat st;
	struct fix f;

	fix_up(&f);
	m = open_ok(&f, 1000, 0);
	cr_assert_eq(stat(f.dir, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700, "the state directory is 0700");
	cr_assert_eq(stat(f.key, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "index.key is 0600");
	cr_assert_eq(st.st_size, 32);
	cr_assert_str_eq(ctl_marks_path(m), f.marks);
	cr_assert_eq(ctl_marks_ahead(m), 1000);

	mkkey(m, 1, 0x1234, 0, &k);
	cr_assert_eq(ctl_marks_get(m, &k), 0);
	cr_assert_eq(ctl_marks_reserve(m, &k, 0, &start, &limit), 0);
	cr_assert_eq(start, 0);
	cr_assert_eq(limit, 1000);
	cr_assert_eq(ctl_marks_get(m, &k), 1000);
	/* a second context of the same key and SSRC starts where the first may reach */
	cr_assert_eq(ctl_marks_reserve(m, &k, 0, &start, &limit), 0);
	cr_assert_eq(start, 1000);
	cr_assert_eq(limit, 2000);
	/* a floor above the mark wins */
	cr_assert_eq(ctl_marks_reserve(m, &k, 5000, &start, &limit), 0);
	cr_assert_eq(start, 5000);
	cr_assert_eq(limit, 6000);
	/* advance: only once next + ahead/2 reaches the limit */
	cr_assert_eq(ctl_marks_advance(m, &k, 5499, 6000, &nl), 0);
	cr_assert_eq(nl, 6000);
	cr_assert_eq(ctl_marks_advance(m, &k, 5500, 6000, &nl), 1);
	cr_assert_eq(nl, 6500);
	cr_assert_eq(ctl_marks_get(m, &k), 6500);
	/* SSRC, proto and key each make another mark */
	mkkey(m, 1, 0x1235, 0, &k2);
	cr_assert_eq(ctl_marks_get(m, &k2), 0);
	mkkey(m, 1, 0x1234, 1, &k2);
	cr_assert_eq(ctl_marks_get(m, &k2), 0);
	mkkey(m, 2, 0x1234, 0, &k2);
	cr_assert_eq(ctl_marks_get(m, &k2), 0);
	cr_assert_eq(ctl_marks_count(m), 1);
	/* one sync writes what is pending; nothing pending costs nothing */
	cr_assert_eq(ctl_marks_syncs(m), 1, "the compaction at open");
	cr_assert_eq(file_size(f.marks), REC, "only the header yet");
	cr_assert_eq(ctl_marks_sync(m), 0);
	cr_assert_eq(ctl_marks_syncs(m), 2);
	cr_assert_eq(file_size(f.marks), 5 * REC, "4 records appended");
	cr_assert_eq(ctl_marks_sync(m), 0);
	cr_assert_eq(ctl_marks_syncs(m), 2);
	/* a limit can't pass 2^64 */
	cr_assert_eq(ctl_marks_reserve(m, &k, UINT64_MAX - 10, &start, &limit), -CTL_E_VALUE);
	ctl_marks_close(m);
	fix_down(&f);
}

Test(control_ctl_marks, reopen_resumes_above_every_limit)
{
	struct ctl_mark_key k[50];
	uint64_t handed[50] = {0}, start, limit, nl;
	struct ctl_marks *m;
	unsigned int i, r;
	struct fix f;

	fix_up(&f);
	m = open_ok(&f, 100, 0);
	for (r = 0; r < 5; r++) {
		for (i = 0; i < 50; i++) {
			mkkey(m, (uint8_t)i, 7, i & 1, &k[i]);
			if (r == 0) {
				cr_assert_eq(ctl_marks_reserve(m, &k[i], i * 10, &start, &limit),
					     0);
				cr_assert_geq(start, i * 10);
			} else {
				cr_assert_eq(ctl_marks_advance(m, &k[i], handed[i] - 10, handed[i],
							       &nl), 1);
				limit = nl;
			}
			cr_assert_gt(limit, handed[i]);
			handed[i] = limit;
		}
		cr_assert_eq(ctl_marks_sync(m), 0);
	}
	ctl_marks_close(m);
	m = open_ok(&f, 100, 0);
	cr_assert_eq(ctl_marks_count(m), 50);
	for (i = 0; i < 50; i++) {
		mkkey(m, (uint8_t)i, 7, i & 1, &k[i]);
		cr_assert_geq(ctl_marks_get(m, &k[i]), handed[i], "key %u", i);
		cr_assert_eq(ctl_marks_reserve(m, &k[i], 0, &start, &limit), 0);
		cr_assert_geq(start, handed[i], "key %u resumes at or above its limit", i);
	}
	ctl_marks_close(m);
	fix_down(&f);
}

/* The child reserves, syncs, reserves more without a sync, and dies without closing. */
Test(control_ctl_marks, a_process_that_never_closed_resumes)
{
	struct ctl_mark_key k;
	struct ctl_marks *m;
	uint64_t synced = 0, start, limit;
	int p[2], st = -1;
	struct fix f;
	pid_t pid;

	fix_up(&f);
	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		unsigned int i;

		m = open_ok(&f, 64, 0);
		mkkey(m, 9, 0xfeed, 0, &k);
		for (i = 0; i < 20; i++) {
			if (ctl_marks_reserve(m, &k, 0, &start, &limit) != 0 ||
			    ctl_marks_sync(m) != 0)
				_exit(2);
		}
		if (write(p[1], &limit, sizeof(limit)) != sizeof(limit))
			_exit(3);
		if (ctl_marks_reserve(m, &k, 0, &start, &limit) != 0)	/* never synced */
			_exit(4);
		_exit(0);	/* no close: the lock and the file go with the process */
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &synced, sizeof(synced)), sizeof(synced));
	close(p[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert_eq(synced, 20 * 64);
	m = open_ok(&f, 64, 0);
	mkkey(m, 9, 0xfeed, 0, &k);
	cr_assert_eq(ctl_marks_reserve(m, &k, 0, &start, &limit), 0);
	cr_assert_geq(start, synced, "resumes at or above the last synced limit");
	ctl_marks_close(m);
	fix_down(&f);
}

Test(control_ctl_marks, a_torn_or_zeroed_tail_is_ignored)
{
	static const uint8_t zero[3 * REC];
	uint8_t junk[37];
	struct ctl_mark_key k;
	struct ctl_marks *m;
	uint64_t start, limit;
	struct fix f;

	fix_up(&f);
	m = open_ok(&f, 100, 0);
	mkkey(m, 3, 1, 0, &k);
	cr_assert_eq(ctl_marks_reserve(m, &k, 0, &start, &limit), 0);
	cr_assert_eq(ctl_marks_advance(m, &k, 90, 100, &limit), 1);
	cr_assert_eq(ctl_marks_sync(m), 0);
	ctl_marks_close(m);
	/* a record cut short (crash mid-append) */
	randombytes_buf(junk, sizeof(junk));
	append(f.marks, junk, sizeof(junk));
	m = open_ok(&f, 100, 0);
	cr_assert_eq(ctl_marks_get(m, &k), 190);
	cr_assert_eq(file_size(f.marks), 2 * REC, "compacted: header and one record");
	ctl_marks_close(m);
	/* whole records of zeros (appended, never synced, then a power loss), and a torn one */
	append(f.marks, zero, sizeof(zero));
	append(f.marks, zero, 10);
	m = open_ok(&f, 100, 0);
	cr_assert_eq(ctl_marks_get(m, &k), 190);
	ctl_marks_close(m);
	fix_down(&f);
}

Test(control_ctl_marks, a_changed_complete_record_is_refused)
{
	static const long offs[] = {REC + 0, REC + 31, REC + 32, REC + 36, REC + 40, REC + 47,
				    REC + 48, REC + 63, 2 * REC + 45, 0, 8, 16, 63};
	static const uint8_t zero[REC];
	uint8_t a[REC], b[REC];
	struct ctl_mark_key k;
	struct ctl_marks *m;
	struct ctl_err err;
	uint64_t start, limit;
	unsigned int i;
	struct fix f;
	int fd;

	fix_up(&f);
	m = open_ok(&f, 100, 0);
	mkkey(m, 4, 1, 0, &k);
	cr_assert_eq(ctl_marks_reserve(m, &k, 0, &start, &limit), 0);
	mkkey(m, 5, 1, 0, &k);
	cr_assert_eq(ctl_marks_reserve(m, &k, 0, &start, &limit), 0);
	ctl_marks_close(m);
	cr_assert_eq(file_size(f.marks), 3 * REC);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		flip(f.marks, offs[i], 0x01);
		cr_assert_eq(open_err(&f, &err), -CTL_E_IO, "offset %ld", offs[i]);
		cr_assert_not_null(strstr(err.msg, f.marks), "names the file: %s", err.msg);
		flip(f.marks, offs[i], 0x01);
	}
	/* two valid records swapped: each is bound to its place */
	fd = open(f.marks, O_RDWR);
	cr_assert_eq(pread(fd, a, REC, REC), REC);
	cr_assert_eq(pread(fd, b, REC, 2 * REC), REC);
	cr_assert_eq(pwrite(fd, b, REC, REC), REC);
	cr_assert_eq(pwrite(fd, a, REC, 2 * REC), REC);
	close(fd);
	cr_assert_eq(open_err(&f, &err), -CTL_E_IO);
	/* a zero record before a valid one is not a tail: refused */
	fd = open(f.marks, O_RDWR);
	cr_assert_eq(pwrite(fd, a, REC, REC), REC);
	cr_assert_eq(pwrite(fd, zero, REC, 2 * REC), REC);
	cr_assert_eq(pwrite(fd, b, REC, 3 * REC), REC);
	close(fd);
	cr_assert_eq(open_err(&f, &err), -CTL_E_IO);
	/* the marks without their key */
	unlink(f.key);
	cr_assert_eq(open_err(&f, &err), -CTL_E_IO);
	cr_assert_not_null(strstr(err.msg, "index.key"), "%s", err.msg);
	cr_assert_neq(access(f.key, F_OK), 0, "no new key made over existing marks");
	fix_down(&f);
}

Test(control_ctl_marks, compaction_keeps_the_highest_mark)
{
	struct ctl_mark_key k, k2;
	struct ctl_marks *m;
	uint64_t start, limit, nl, next;
	unsigned int i;
	long biggest = 0, sz;
	struct fix f;

	fix_up(&f);
	m = open_ok(&f, 8, 0);
	mkkey(m, 6, 42, 0, &k);
	mkkey(m, 7, 42, 1, &k2);
	cr_assert_eq(ctl_marks_reserve(m, &k, 0, &start, &limit), 0);
	cr_assert_eq(ctl_marks_reserve(m, &k2, 0, &start, &nl), 0);
	/* a sync per 50 records: the log passes 2 x 2 live + 4096 records and is compacted */
	for (i = 0, next = 4; i < 5000; i++, next += 4) {
		cr_assert_eq(ctl_marks_advance(m, &k, next, limit, &nl), 1);
		limit = nl;
		if (i % 50 != 49)
			continue;
		cr_assert_eq(ctl_marks_sync(m), 0);
		sz = file_size(f.marks);
		if (sz > biggest)
			biggest = sz;
	}
	cr_assert_geq(biggest, 4000 * REC, "the log grew");
	cr_assert_lt(file_size(f.marks), 1500 * REC, "and was compacted");
	cr_assert_eq(ctl_marks_get(m, &k), limit);
	ctl_marks_close(m);
	m = open_ok(&f, 8, 0);
	cr_assert_eq(ctl_marks_get(m, &k), limit, "the highest mark survives compaction");
	cr_assert_eq(ctl_marks_get(m, &k2), 8);
	cr_assert_eq(file_size(f.marks), 3 * REC);
	ctl_marks_close(m);
	fix_down(&f);
}

static bool
contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t len)
{
	return memmem(hay, n, needle, len) != NULL;
}

Test(control_ctl_marks, the_files_never_hold_a_master_key)
{
	uint8_t key[32], salt[14], buf[64 * REC];
	struct ctl_mark_key k;
	struct ctl_marks *m;
	uint64_t start, limit;
	unsigned int i;
	ssize_t n;
	struct fix f;
	int fd;

	fix_up(&f);
	m = open_ok(&f, 100, 0);
	randombytes_buf(key, sizeof(key));
	randombytes_buf(salt, sizeof(salt));
	for (i = 0; i < 4; i++) {
		ctl_marks_key(m, i, i & 1, 0x0b0b0b0b, key, i < 2 ? 16 : 32, salt, 12 + (i & 1) * 2,
			      &k);
		cr_assert_eq(ctl_marks_reserve(m, &k, 0, &start, &limit), 0);
	}
	cr_assert_eq(ctl_marks_sync(m), 0);
	fd = open(f.marks, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	cr_assert_eq(n, 5 * REC);
	for (i = 0; i + 8 <= sizeof(key); i++)
		cr_assert_not(contains(buf, (size_t)n, key + i, 8), "key octets %u.. in it", i);
	for (i = 0; i + 8 <= 12; i++)
		cr_assert_not(contains(buf, (size_t)n, salt + i, 8), "salt octets in the file");
	fd = open(f.key, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	cr_assert_not(contains(buf, (size_t)n, key, 8));
	ctl_marks_close(m);
	fix_down(&f);
}

Test(control_ctl_marks, a_full_table_is_an_error)
{
	struct ctl_marks_cfg cfg;
	struct ctl_mark_key k;
	struct ctl_marks *m;
	struct ctl_err err;
	uint64_t start, limit;
	unsigned int i;
	struct fix f;

	fix_up(&f);
	m = open_ok(&f, 100, 4);
	for (i = 0; i < 4; i++) {
		mkkey(m, (uint8_t)i, 1, 0, &k);
		cr_assert_eq(ctl_marks_reserve(m, &k, 0, &start, &limit), 0);
	}
	mkkey(m, 4, 1, 0, &k);
	cr_assert_eq(ctl_marks_reserve(m, &k, 0, &start, &limit), -CTL_E_LIMIT);
	cr_assert_eq(ctl_marks_get(m, &k), 0);
	mkkey(m, 0, 1, 0, &k);
	cr_assert_eq(ctl_marks_reserve(m, &k, 0, &start, &limit), 0, "a known key goes on");
	cr_assert_eq(ctl_marks_count(m), 4);
	ctl_marks_close(m);
	/* a smaller cap than the file holds: refused at open */
	cfg = (struct ctl_marks_cfg){.dir = f.dir, .cap = 3};
	cr_assert_eq(ctl_marks_open(&m, &cfg, &err), -CTL_E_LIMIT);
	cr_assert_null(m);
	fix_down(&f);
}

Test(control_ctl_marks, one_process_per_directory_and_memory_mode)
{
	struct ctl_marks_cfg cfg = {.dir = NULL, .ahead = 10};
	struct ctl_mark_key k;
	struct ctl_marks *m, *m2 = NULL;
	struct ctl_err err;
	uint64_t start, limit;
	struct fix f;

	fix_up(&f);
	m = open_ok(&f, 0, 0);
	cr_assert_eq(ctl_marks_ahead(m), CTL_MARKS_AHEAD_DEFAULT);
	cr_assert_eq(open_err(&f, &err), -CTL_E_IO);
	cr_assert_not_null(strstr(err.msg, "in use"), "%s", err.msg);
	ctl_marks_close(m);
	m = open_ok(&f, 0, 0);	/* free again */
	ctl_marks_close(m);
	/* in memory: works, no file, nothing to sync */
	cr_assert_eq(ctl_marks_open(&m2, &cfg, &err), 0);
	cr_assert_null(ctl_marks_path(m2));
	mkkey(m2, 1, 1, 0, &k);
	cr_assert_eq(ctl_marks_reserve(m2, &k, 0, &start, &limit), 0);
	cr_assert_eq(ctl_marks_reserve(m2, &k, 0, &start, &limit), 0);
	cr_assert_eq(start, 10, "a re-added context still resumes");
	cr_assert_eq(ctl_marks_sync(m2), 0);
	ctl_marks_close(m2);
	/* a directory others may write into is refused */
	cr_assert_eq(chmod(f.dir, 0777), 0);
	cr_assert_eq(open_err(&f, &err), -CTL_E_IO);
	cr_assert_eq(chmod(f.dir, 0700), 0);
	fix_down(&f);
}

/* Not a check: what one sync costs on this disk (docs/control-protocol.md). */
Test(control_ctl_marks, the_cost_of_one_sync)
{
	struct ctl_mark_key k;
	struct ctl_marks *m;
	struct timespec a, b;
	uint64_t start, limit;
	unsigned int i, n = 200;
	struct fix f;

	fix_up(&f);
	m = open_ok(&f, 100, 0);
	mkkey(m, 1, 1, 0, &k);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		cr_assert_eq(ctl_marks_reserve(m, &k, 0, &start, &limit), 0);
		cr_assert_eq(ctl_marks_sync(m), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	cr_log_info("one sync (append + fdatasync) in %s: %.1f us", f.dir,
		    ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n /
			    1e3);
	ctl_marks_close(m);
	fix_down(&f);
}
