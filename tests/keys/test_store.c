/* SPDX-License-Identifier: proprietary */
/*
 * The sealed key store: entries, the container codec, sealing and atomic
 * files (keys/store). Argon2id runs with the minimum limits here (opslimit 1,
 * 8 KiB) except where the defaults themselves are under test.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "store.h"

static char dir[64];

static void
suite_init(void)
{
	cr_assert_geq(sodium_init(), 0);
	strcpy(dir, "/tmp/mcpx-store-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
suite_fini(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(keys_store, .init = suite_init, .fini = suite_fini);

static const char *
path_of(const char *name)
{
	static char p[4][256];
	static unsigned int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static const struct store_secret fast_pass = {
	.kdf = STORE_KDF_PASSPHRASE,
	.passphrase = "correct horse battery staple",
	.opslimit = 1,
	.memlimit_kib = 8,
};

static void
pattern(uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

static void
put_keyset(struct store *st, const char *uri, const char *kms, uint64_t no, unsigned int seed)
{
	uint8_t ssk[STORE_SSK_LEN], pvt[STORE_PVT_LEN], rsk[STORE_RSK_LEN];

	pattern(ssk, sizeof(ssk), seed);
	pattern(pvt, sizeof(pvt), seed + 1);
	pattern(rsk, sizeof(rsk), seed + 2);
	cr_assert_eq(store_put_keyset(st, uri, kms, no, ssk, pvt, rsk, 0), 0);
}

static void
put_cert(struct store *st, const char *kms, uint64_t len, uint64_t off, uint32_t flags,
	 unsigned int seed)
{
	struct store_cert c;

	memset(&c, 0, sizeof(c));
	snprintf(c.kms_uri, sizeof(c.kms_uri), "%s", kms);
	c.period_len = len;
	c.period_offset = off;
	c.flags = flags;
	pattern(c.kpak, sizeof(c.kpak), seed);
	pattern(c.z, sizeof(c.z), seed + 1);
	cr_assert_eq(store_put_cert(st, &c, 0), 0);
}

/* Several identities and periods, two KMSs, a KMS master entry, blobs. */
static struct store *
sample(void)
{
	uint8_t ksak[STORE_KSAK_LEN], z[STORE_KMS_Z_LEN], blob[300];
	struct store *st;

	cr_assert_eq(store_new(&st), 0);
	put_keyset(st, "sip:alice@example.org", "kms.example.org", 1387, 10);
	put_keyset(st, "sip:alice@example.org", "kms.example.org", 1388, 20);
	put_keyset(st, "sip:bob@example.org", "kms.example.org", 1388, 30);
	put_keyset(st, "sip:bob@example.org", "kms.partner.net", 1388, 40);
	put_keyset(st, "gms@example.org", "kms.example.org", 1388, 50);
	put_cert(st, "kms.example.org", 2592000, 0, 0, 60);
	put_cert(st, "kms.partner.net", 25920000, 100,
		 STORE_CERT_EXTERNAL | STORE_CERT_CROSS_SIGNED, 70);
	put_cert(st, "segy.appliance.local", 86400, 0, STORE_CERT_SEGY, 80);
	pattern(ksak, sizeof(ksak), 90);
	pattern(z, sizeof(z), 91);
	cr_assert_eq(store_put_kms(st, "segy.appliance.local", ksak, z, 0), 0);
	pattern(blob, sizeof(blob), 92);
	cr_assert_eq(store_put_blob(st, "gmk-list", blob, sizeof(blob), 0), 0);
	cr_assert_eq(store_put_blob(st, "empty", NULL, 0, 0), 0);
	return st;
}

static uint8_t *
encode(const struct store *st, size_t *len)
{
	size_t cap = store_encoded_len(st);
	uint8_t *buf = malloc(cap);

	cr_assert_not_null(buf);
	cr_assert_eq(store_encode(st, buf, cap, len), 0);
	cr_assert_eq(*len, cap);
	return buf;
}

/* Same entries, same order, same octets. */
static void
assert_same(const struct store *a, const struct store *b)
{
	size_t la, lb;
	uint8_t *ea = encode(a, &la), *eb = encode(b, &lb);

	cr_assert_eq(store_count(a), store_count(b));
	cr_assert_eq(la, lb);
	cr_assert_arr_eq(ea, eb, la);
	free(ea);
	free(eb);
}

static uint8_t *
slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	uint8_t *buf;
	long n;

	cr_assert_not_null(f, "%s", p);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
spit(const char *p, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(p, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static unsigned int
count_temps(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp-") != NULL)
			n++;
	closedir(d);
	return n;
}

static int
open_rc(const char *p, const struct store_secret *sec)
{
	struct store *st = NULL;
	int rc = store_open(&st, p, sec);

	if (rc == 0)
		cr_assert_not_null(st);
	store_free(st);
	return rc;
}

/* ---- entries ---- */

Test(keys_store, entries)
{
	struct store *st = sample();
	const struct store_keyset *ks;
	const struct store_cert *c;
	const struct store_kms *k;
	const struct store_blob *b;
	struct store_item it;
	uint8_t x[STORE_RSK_LEN];
	size_t pos = 0, n[5] = { 0 };

	cr_assert_eq(store_count(st), 11);
	while (store_next(st, &pos, &it))
		n[it.type]++;
	cr_assert_eq(n[STORE_T_KEYSET], 5);
	cr_assert_eq(n[STORE_T_CERT], 3);
	cr_assert_eq(n[STORE_T_KMS], 1);
	cr_assert_eq(n[STORE_T_BLOB], 2);

	cr_assert_eq(store_get_keyset(st, "sip:alice@example.org", "kms.example.org", 1388, &ks),
		     0);
	pattern(x, STORE_SSK_LEN, 20);
	cr_assert_arr_eq(ks->ssk, x, STORE_SSK_LEN);
	pattern(x, STORE_RSK_LEN, 22);
	cr_assert_arr_eq(ks->rsk, x, STORE_RSK_LEN);
	/* any KMS: the first inserted */
	cr_assert_eq(store_get_keyset(st, "sip:bob@example.org", NULL, 1388, &ks), 0);
	cr_assert_str_eq(ks->kms_uri, "kms.example.org");
	cr_assert_eq(store_get_keyset(st, "sip:bob@example.org", "kms.partner.net", 1388, &ks), 0);
	pattern(x, STORE_SSK_LEN, 40);
	cr_assert_arr_eq(ks->ssk, x, STORE_SSK_LEN);
	cr_assert_eq(store_get_keyset(st, "sip:bob@example.org", NULL, 1387, &ks),
		     -KEYS_E_NOTFOUND);

	cr_assert_eq(store_find_cert(st, "kms.partner.net", &c), 0);
	cr_assert_eq(c->period_len, 25920000);
	cr_assert_eq(c->period_offset, 100);
	cr_assert_eq(c->flags, STORE_CERT_EXTERNAL | STORE_CERT_CROSS_SIGNED);
	cr_assert_eq(store_find_cert(st, "kms.nowhere", &c), -KEYS_E_NOTFOUND);
	cr_assert_eq(store_get_kms(st, "segy.appliance.local", &k), 0);
	pattern(x, STORE_KMS_Z_LEN, 91);
	cr_assert_arr_eq(k->z, x, STORE_KMS_Z_LEN);
	cr_assert_eq(store_get_kms(st, "kms.example.org", &k), -KEYS_E_NOTFOUND);
	cr_assert_eq(store_get_blob(st, "gmk-list", &b), 0);
	cr_assert_eq(b->len, 300);
	cr_assert_eq(store_get_blob(st, "empty", &b), 0);
	cr_assert_eq(b->len, 0);
	store_free(st);
}

Test(keys_store, put_replace_delete)
{
	struct store *st = sample();
	uint8_t s[STORE_SSK_LEN] = { 1 }, p[STORE_PVT_LEN] = { 2 }, r[STORE_RSK_LEN] = { 3 };
	const struct store_keyset *ks;
	const struct store_blob *b;
	struct store_cert c;
	char longuri[STORE_URI_MAX + 2];

	cr_assert_eq(store_put_keyset(st, "gms@example.org", "kms.example.org", 1388, s, p, r, 0),
		     -KEYS_E_EXISTS);
	cr_assert_eq(store_put_keyset(st, "gms@example.org", "kms.example.org", 1388, s, p, r,
				      STORE_REPLACE), 0);
	cr_assert_eq(store_count(st), 11);
	cr_assert_eq(store_get_keyset(st, "gms@example.org", NULL, 1388, &ks), 0);
	cr_assert_eq(ks->ssk[0], 1);
	cr_assert_eq(ks->rsk[0], 3);
	cr_assert_eq(store_put_blob(st, "gmk-list", s, 1, 0), -KEYS_E_EXISTS);
	cr_assert_eq(store_put_blob(st, "gmk-list", s, 1, STORE_REPLACE), 0);
	cr_assert_eq(store_get_blob(st, "gmk-list", &b), 0);
	cr_assert_eq(b->len, 1);

	cr_assert_eq(store_del_keyset(st, "gms@example.org", "kms.example.org", 1388), 0);
	cr_assert_eq(store_del_keyset(st, "gms@example.org", "kms.example.org", 1388),
		     -KEYS_E_NOTFOUND);
	cr_assert_eq(store_del_cert(st, "kms.partner.net"), 0);
	cr_assert_eq(store_del_kms(st, "segy.appliance.local"), 0);
	cr_assert_eq(store_del_blob(st, "empty"), 0);
	cr_assert_eq(store_del_blob(st, "empty"), -KEYS_E_NOTFOUND);
	cr_assert_eq(store_count(st), 7);

	/* arguments */
	memset(longuri, 'a', sizeof(longuri) - 1);
	longuri[sizeof(longuri) - 1] = '\0';
	cr_assert_eq(store_put_keyset(st, longuri, "k", 1, s, p, r, 0), -KEYS_E_ARG);
	longuri[STORE_URI_MAX] = '\0';
	cr_assert_eq(store_put_keyset(st, longuri, "k", 1, s, p, r, 0), 0);
	cr_assert_eq(store_put_keyset(st, "", "k", 1, s, p, r, 0), -KEYS_E_ARG);
	cr_assert_eq(store_put_keyset(st, "u", "k", 1, NULL, p, r, 0), -KEYS_E_ARG);
	memset(&c, 0, sizeof(c));
	strcpy(c.kms_uri, "kms.x");
	cr_assert_eq(store_put_cert(st, &c, 0), -KEYS_E_ARG);	/* period_len 0 */
	c.period_len = 1;
	c.flags = 0x8;
	cr_assert_eq(store_put_cert(st, &c, 0), -KEYS_E_ARG);
	cr_assert_eq(store_put_blob(st, "big", s, STORE_BLOB_MAX + 1, 0), -KEYS_E_ARG);
	cr_assert_eq(store_put_blob(st, "", s, 1, 0), -KEYS_E_ARG);
	store_free(st);
}

/*
 * Entries are read-only secure memory: a stray write faults. The handler
 * turns SIGSEGV into an exit code, so the check also holds under ASan, whose
 * own SEGV handler would abort instead.
 */
static void
on_segv(int sig)
{
	(void)sig;
	_exit(42);
}

Test(keys_store, entries_read_only, .exit_code = 42)
{
	struct sigaction sa;
	struct store *st = sample();
	const struct store_keyset *ks;
	volatile uint8_t *w;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	cr_assert_eq(sigaction(SIGSEGV, &sa, NULL), 0);
	cr_assert_eq(store_get_keyset(st, "gms@example.org", NULL, 1388, &ks), 0);
	cr_assert_eq(ks->ssk[0], 50 * 131 % 256);	/* readable */
	w = (volatile uint8_t *)(uintptr_t)ks->ssk;
	w[0] = 0;
	store_free(st);
}

/* ---- container codec ---- */

Test(keys_store, codec_round_trip)
{
	struct store *st = sample(), *back;
	size_t len;
	uint8_t *buf = encode(st, &len);

	cr_assert_eq(store_parse(&back, buf, len), 0);
	assert_same(st, back);
	store_free(back);
	free(buf);
	store_free(st);
}

Test(keys_store, codec_truncated_and_extended)
{
	struct store *st = sample(), *back;
	size_t len, i;
	uint8_t *buf = encode(st, &len), *ext;

	for (i = 0; i < len; i++)
		cr_assert_eq(store_parse(&back, buf, i), -KEYS_E_PARSE, "length %zu", i);
	ext = calloc(1, len + 1);
	memcpy(ext, buf, len);
	cr_assert_eq(store_parse(&back, ext, len + 1), -KEYS_E_PARSE);
	free(ext);
	free(buf);
	store_free(st);
}

/* Hand-made containers: each malformation gives -KEYS_E_PARSE. */
Test(keys_store, codec_malformed)
{
	static const uint8_t hdr[] = { 'M', 'X', 'K', 'C', 0, 1 };
	uint8_t b[512], blob_rec[] = { 4, 0, 0, 0, 8, 0, 1, 'n', 0, 0, 0, 1, 0xaa };
	struct store *st;
	size_t n;

	/* empty store: header and count 0 */
	memcpy(b, hdr, 6);
	memset(b + 6, 0, 4);
	cr_assert_eq(store_parse(&st, b, 10), 0);
	cr_assert_eq(store_count(st), 0);
	store_free(st);
	/* one blob record */
	b[9] = 1;
	memcpy(b + 10, blob_rec, sizeof(blob_rec));
	n = 10 + sizeof(blob_rec);
	cr_assert_eq(store_parse(&st, b, n), 0);
	store_free(st);
	/* count says 2 */
	b[9] = 2;
	cr_assert_eq(store_parse(&st, b, n), -KEYS_E_PARSE);
	/* duplicate name */
	memcpy(b + n, blob_rec, sizeof(blob_rec));
	cr_assert_eq(store_parse(&st, b, n + sizeof(blob_rec)), -KEYS_E_PARSE);
	b[9] = 1;
	/* unknown type, type 0 */
	b[10] = 5;
	cr_assert_eq(store_parse(&st, b, n), -KEYS_E_PARSE);
	b[10] = 0;
	cr_assert_eq(store_parse(&st, b, n), -KEYS_E_PARSE);
	b[10] = 4;
	/* NUL in the name */
	b[17] = 0;
	cr_assert_eq(store_parse(&st, b, n), -KEYS_E_PARSE);
	b[17] = 'n';
	/* record length one more than its value (value not consumed exactly) */
	b[14] = 9;
	b[n] = 0;
	cr_assert_eq(store_parse(&st, b, n + 1), -KEYS_E_PARSE);
	b[14] = 8;
	/* empty name */
	b[16] = 0;
	cr_assert_eq(store_parse(&st, b, n), -KEYS_E_PARSE);
	b[16] = 1;
	/* version 2, wrong magic */
	b[5] = 2;
	cr_assert_eq(store_parse(&st, b, n), -KEYS_E_PARSE);
	b[5] = 1;
	b[0] = 'm';
	cr_assert_eq(store_parse(&st, b, n), -KEYS_E_PARSE);
	b[0] = 'M';
	cr_assert_eq(store_parse(&st, b, n), 0);
	store_free(st);
}

/* A cert with an unknown flag or a zero period, re-encoded by hand. */
Test(keys_store, codec_cert_fields)
{
	struct store *st, *back;
	size_t len, off;
	uint8_t *buf;

	cr_assert_eq(store_new(&st), 0);
	put_cert(st, "k", 10, 0, STORE_CERT_SEGY, 1);
	buf = encode(st, &len);
	/* header 10, record header 5, str 2 + 1, period_len 8, offset 8, flags 4 */
	off = 10 + 5 + 3;
	cr_assert_eq(buf[off + 7], 10);
	buf[off + 7] = 0;
	cr_assert_eq(store_parse(&back, buf, len), -KEYS_E_PARSE);
	buf[off + 7] = 10;
	cr_assert_eq(buf[off + 16 + 3], STORE_CERT_SEGY);
	buf[off + 16 + 3] = 0x9;
	cr_assert_eq(store_parse(&back, buf, len), -KEYS_E_PARSE);
	buf[off + 16 + 3] = STORE_CERT_SEGY;
	cr_assert_eq(store_parse(&back, buf, len), 0);
	store_free(back);
	free(buf);
	store_free(st);
}

/* ---- sealed files ---- */

Test(keys_store, round_trip_passphrase)
{
	struct store *st = sample(), *back;
	const char *p = path_of("pass.store");
	struct stat sb;

	cr_assert_eq(store_save(st, p, &fast_pass), 0);
	cr_assert_eq(stat(p, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600);
	cr_assert_eq(store_open(&back, p, &fast_pass), 0);
	assert_same(st, back);
	store_free(back);
	store_free(st);
	cr_assert_eq(count_temps(), 0);
}

Test(keys_store, round_trip_keyfile)
{
	struct store *st = sample(), *back;
	const char *kp = path_of("store.key"), *p = path_of("key.store");
	uint8_t key[STORE_KEY_LEN], again[STORE_KEY_LEN];
	struct store_secret sec = { .kdf = STORE_KDF_KEY, .key = key };
	struct stat sb;

	cr_assert_eq(store_keyfile_create(kp, key), 0);
	cr_assert_eq(stat(kp, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600);
	cr_assert_eq(sb.st_size, STORE_KEY_LEN);
	cr_assert_eq(store_keyfile_read(again, kp), 0);
	cr_assert_arr_eq(again, key, sizeof(key));
	cr_assert_eq(store_keyfile_create(kp, NULL), -KEYS_E_EXISTS);
	cr_assert_eq(store_save(st, p, &sec), 0);
	cr_assert_eq(store_open(&back, p, &sec), 0);
	assert_same(st, back);
	store_free(back);
	store_free(st);
	cr_assert_eq(count_temps(), 0);
}

Test(keys_store, keyfile_lengths)
{
	uint8_t k[STORE_KEY_LEN + 1] = { 0 }, out[STORE_KEY_LEN];

	spit(path_of("short.key"), k, STORE_KEY_LEN - 1);
	cr_assert_eq(store_keyfile_read(out, path_of("short.key")), -KEYS_E_PARSE);
	spit(path_of("long.key"), k, STORE_KEY_LEN + 1);
	cr_assert_eq(store_keyfile_read(out, path_of("long.key")), -KEYS_E_PARSE);
	cr_assert_eq(store_keyfile_read(out, path_of("missing.key")), -KEYS_E_IO);
	cr_assert_eq(store_keyfile_read(out, dir), -KEYS_E_IO);
}

/* The INTERACTIVE defaults land in the header, and open works with them. */
Test(keys_store, default_limits, .timeout = 60)
{
	struct store_secret sec = { .kdf = STORE_KDF_PASSPHRASE, .passphrase = "pw" };
	struct store *st = sample();
	const char *p = path_of("defaults.store");
	size_t len;
	uint8_t *f;

	cr_assert_eq(store_save(st, p, &sec), 0);
	f = slurp(p, &len);
	cr_assert_eq(f[28] << 24 | f[29] << 16 | f[30] << 8 | f[31], STORE_OPSLIMIT_DEFAULT);
	cr_assert_eq(f[32] << 24 | f[33] << 16 | f[34] << 8 | f[35], STORE_MEMLIMIT_KIB_DEFAULT);
	cr_assert_eq(STORE_OPSLIMIT_DEFAULT, crypto_pwhash_OPSLIMIT_INTERACTIVE);
	cr_assert_eq((size_t)STORE_MEMLIMIT_KIB_DEFAULT << 10, crypto_pwhash_MEMLIMIT_INTERACTIVE);
	cr_assert_eq(open_rc(p, &sec), 0);
	sec.opslimit = STORE_OPSLIMIT_MAX + 1;
	cr_assert_eq(store_save(st, p, &sec), -KEYS_E_ARG);
	sec.opslimit = 1;
	sec.memlimit_kib = 4;
	cr_assert_eq(store_save(st, p, &sec), -KEYS_E_ARG);
	free(f);
	store_free(st);
}

Test(keys_store, wrong_secrets)
{
	struct store *st = sample();
	uint8_t key[STORE_KEY_LEN], other[STORE_KEY_LEN];
	struct store_secret ks = { .kdf = STORE_KDF_KEY, .key = key };
	struct store_secret ko = { .kdf = STORE_KDF_KEY, .key = other };
	struct store_secret wp = fast_pass;
	const char *pp = path_of("w-pass.store"), *kp = path_of("w-key.store");

	randombytes_buf(key, sizeof(key));
	memcpy(other, key, sizeof(key));
	other[31] ^= 1;
	cr_assert_eq(store_save(st, pp, &fast_pass), 0);
	cr_assert_eq(store_save(st, kp, &ks), 0);
	wp.passphrase = "correct horse battery stapler";
	cr_assert_eq(open_rc(pp, &wp), -KEYS_E_PASSPHRASE);
	cr_assert_eq(open_rc(kp, &ko), -KEYS_E_PASSPHRASE);
	/* the other kind of secret */
	cr_assert_eq(open_rc(pp, &ks), -KEYS_E_PASSPHRASE);
	cr_assert_eq(open_rc(kp, &fast_pass), -KEYS_E_PASSPHRASE);
	cr_assert_eq(open_rc(pp, &fast_pass), 0);
	cr_assert_eq(open_rc(kp, &ks), 0);
	/* not a store, missing, a directory */
	spit(path_of("junk"), (const uint8_t *)"hello, world", 12);
	cr_assert_eq(open_rc(path_of("junk"), &ks), -KEYS_E_PARSE);
	cr_assert_eq(open_rc(path_of("nothing-here"), &ks), -KEYS_E_IO);
	cr_assert_eq(open_rc(dir, &ks), -KEYS_E_IO);
	wp.passphrase = "";
	cr_assert_eq(open_rc(pp, &wp), -KEYS_E_ARG);
	store_free(st);
}

/* What flipping octet |i| of a store sealed under a key must give. */
static int
flip_expect(size_t i, uint8_t mask, size_t len)
{
	if (i < 12)	/* magic, version, key source, reserved */
		return i == 10 && (STORE_KDF_KEY ^ mask) == STORE_KDF_PASSPHRASE ?
			       -KEYS_E_PASSPHRASE : -KEYS_E_PARSE;
	if (i >= 60 && i < 64)	/* length: truncated or extended */
		return -KEYS_E_PARSE;
	(void)len;
	return -KEYS_E_PASSPHRASE;	/* salt, limits, secretstream header, body, tag */
}

/* Every octet of a key-file store, flipped with several masks → the exact code. */
Test(keys_store, every_byte_flipped, .timeout = 120)
{
	static const uint8_t masks[] = { 0x01, 0x03, 0x80 };
	uint8_t key[STORE_KEY_LEN];
	struct store_secret ks = { .kdf = STORE_KDF_KEY, .key = key };
	struct store *st;
	const char *p = path_of("flip.store"), *q = path_of("flipped.store");
	size_t len, i, m;
	uint8_t *f;

	randombytes_buf(key, sizeof(key));
	cr_assert_eq(store_new(&st), 0);
	put_keyset(st, "sip:alice@example.org", "kms.example.org", 7, 1);
	put_cert(st, "kms.example.org", 100, 0, 0, 2);
	cr_assert_eq(store_save(st, p, &ks), 0);
	f = slurp(p, &len);
	cr_assert_gt(len, 64 + 17);
	for (i = 0; i < len; i++) {
		for (m = 0; m < sizeof(masks); m++) {
			int want = flip_expect(i, masks[m], len), rc;

			f[i] ^= masks[m];
			spit(q, f, len);
			rc = open_rc(q, &ks);
			cr_assert_eq(rc, want, "octet %zu mask %02x: %d, want %d", i, masks[m], rc,
				     want);
			f[i] ^= masks[m];
		}
	}
	spit(q, f, len);
	cr_assert_eq(open_rc(q, &ks), 0);
	free(f);
	store_free(st);
}

/* A passphrase store: a sample of positions, and the Argon2id limit fields. */
Test(keys_store, passphrase_flips, .timeout = 120)
{
	struct store *st = sample();
	const char *p = path_of("pflip.store"), *q = path_of("pflipped.store");
	size_t len, i, pos[] = { 0, 7, 8, 9, 10, 11, 12, 20, 27, 36, 50, 59, 60, 63, 64, 65, 0, 0,
				 0, 0 };
	uint8_t *f;

	cr_assert_eq(store_save(st, p, &fast_pass), 0);
	f = slurp(p, &len);
	pos[16] = len / 2;
	pos[17] = len - 17;	/* first octet of the A part (MAC) */
	pos[18] = len - 2;
	pos[19] = len - 1;
	for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
		int want = pos[i] < 12 || (pos[i] >= 60 && pos[i] < 64) ? -KEYS_E_PARSE :
									  -KEYS_E_PASSPHRASE;
		int rc;

		if (pos[i] == 10)	/* 1 ^ 1 = 0: unknown key source */
			want = -KEYS_E_PARSE;
		f[pos[i]] ^= 0x01;
		spit(q, f, len);
		rc = open_rc(q, &fast_pass);
		cr_assert_eq(rc, want, "octet %zu: %d", pos[i], rc);
		f[pos[i]] ^= 0x01;
	}
	/* limits: out of bounds is not a store; in bounds but changed fails the MAC */
	f[31] = 0;			/* opslimit 0 */
	spit(q, f, len);
	cr_assert_eq(open_rc(q, &fast_pass), -KEYS_E_PARSE);
	f[31] = STORE_OPSLIMIT_MAX + 1;
	spit(q, f, len);
	cr_assert_eq(open_rc(q, &fast_pass), -KEYS_E_PARSE);
	f[31] = 2;
	spit(q, f, len);
	cr_assert_eq(open_rc(q, &fast_pass), -KEYS_E_PASSPHRASE);
	f[31] = 1;
	f[35] = 7;			/* 7 KiB */
	spit(q, f, len);
	cr_assert_eq(open_rc(q, &fast_pass), -KEYS_E_PARSE);
	f[33] = 0x10;			/* 1 GiB + 7 KiB */
	spit(q, f, len);
	cr_assert_eq(open_rc(q, &fast_pass), -KEYS_E_PARSE);
	f[33] = 0;
	f[35] = 16;
	spit(q, f, len);
	cr_assert_eq(open_rc(q, &fast_pass), -KEYS_E_PASSPHRASE);
	f[35] = 8;
	spit(q, f, len);
	cr_assert_eq(open_rc(q, &fast_pass), 0);
	free(f);
	store_free(st);
}

Test(keys_store, truncated_every_length, .timeout = 120)
{
	uint8_t key[STORE_KEY_LEN];
	struct store_secret ks = { .kdf = STORE_KDF_KEY, .key = key };
	struct store *st = sample();
	const char *p = path_of("trunc.store"), *q = path_of("truncated.store");
	size_t len, i;
	uint8_t *f;

	randombytes_buf(key, sizeof(key));
	cr_assert_eq(store_save(st, p, &ks), 0);
	f = slurp(p, &len);
	for (i = 0; i < len; i++) {
		spit(q, f, i);
		cr_assert_eq(open_rc(q, &ks), -KEYS_E_PARSE, "length %zu", i);
	}
	f = realloc(f, len + 1);
	f[len] = 0;
	spit(q, f, len + 1);
	cr_assert_eq(open_rc(q, &ks), -KEYS_E_PARSE);
	/* passphrase store truncated: also before any Argon2id run */
	cr_assert_eq(store_save(st, p, &fast_pass), 0);
	free(f);
	f = slurp(p, &len);
	spit(q, f, len - 1);
	cr_assert_eq(open_rc(q, &fast_pass), -KEYS_E_PARSE);
	spit(q, f, 64);
	cr_assert_eq(open_rc(q, &fast_pass), -KEYS_E_PARSE);
	free(f);
	store_free(st);
}

/* Mode 0600 whatever the umask. */
Test(keys_store, file_mode)
{
	static const mode_t masks[] = { 0, 022, 077 };
	struct store *st = sample();
	const char *p = path_of("mode.store");
	struct stat sb;
	size_t i;

	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		mode_t old = umask(masks[i]);

		cr_assert_eq(store_save(st, p, &fast_pass), 0);
		umask(old);
		cr_assert_eq(stat(p, &sb), 0);
		cr_assert_eq(sb.st_mode & 07777, 0600, "umask %03o: mode %03o", masks[i],
			     sb.st_mode & 07777);
	}
	store_free(st);
}

/* ---- atomic replacement ---- */

static int
crash_hook(const char *tmp, void *arg)
{
	(void)tmp;
	(void)arg;
	_exit(0);	/* the process dies between fsync and rename */
}

static int
abort_hook(const char *tmp, void *arg)
{
	struct stat sb;

	*(int *)arg = stat(tmp, &sb) == 0 && (sb.st_mode & 0777) == 0600 && sb.st_size > 64;
	return -1;
}

static struct store *
versioned(const char *v)
{
	struct store *st = sample();

	cr_assert_eq(store_put_blob(st, "version", (const uint8_t *)v, strlen(v), 0), 0);
	return st;
}

static void
assert_version(const char *p, const char *v)
{
	const struct store_blob *b;
	struct store *st;

	cr_assert_eq(store_open(&st, p, &fast_pass), 0);
	cr_assert_eq(store_get_blob(st, "version", &b), 0);
	cr_assert_eq(b->len, strlen(v));
	cr_assert_arr_eq(b->data, v, b->len);
	store_free(st);
}

Test(keys_store, crash_mid_save_keeps_old_file)
{
	struct store *old = versioned("old"), *nw = versioned("new");
	const char *p = path_of("crash.store");
	unsigned int temps;
	pid_t pid;
	int status;

	cr_assert_eq(store_save(old, p, &fast_pass), 0);
	temps = count_temps();
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int rc = store_save_with_hook(nw, p, &fast_pass, crash_hook, NULL);

		_exit(rc == 0 ? 2 : 3);	/* not reached: the hook exits */
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the old file is whole; the crash left its temp file behind */
	assert_version(p, "old");
	cr_assert_eq(count_temps(), temps + 1);
	/* and that leftover blocks neither the next save nor the next open */
	cr_assert_eq(store_save(nw, p, &fast_pass), 0);
	assert_version(p, "new");
	cr_assert_eq(count_temps(), temps + 1);
	store_free(old);
	store_free(nw);
}

Test(keys_store, failed_save_removes_temp)
{
	struct store *old = versioned("old"), *nw = versioned("new");
	const char *p = path_of("abort.store"), *d = path_of("a-directory");
	unsigned int temps;
	int seen = 0;

	cr_assert_eq(store_save(old, p, &fast_pass), 0);
	temps = count_temps();
	cr_assert_eq(store_save_with_hook(nw, p, &fast_pass, abort_hook, &seen), -KEYS_E_IO);
	cr_assert(seen, "the hook saw a complete 0600 temp file");
	assert_version(p, "old");
	cr_assert_eq(count_temps(), temps);
	/* rename over a directory fails: nothing replaced, no temp left */
	cr_assert_eq(mkdir(d, 0700), 0);
	cr_assert_eq(store_save(nw, d, &fast_pass), -KEYS_E_IO);
	cr_assert_eq(count_temps(), temps);
	/* a directory that does not exist */
	cr_assert_eq(store_save(nw, path_of("no/such/dir.store"), &fast_pass), -KEYS_E_IO);
	store_free(old);
	store_free(nw);
}

/* A stale temp file with the very name pattern does not disturb open or save. */
Test(keys_store, stale_temp_file)
{
	struct store *st = versioned("v1");
	const char *p = path_of("stale.store");
	char stale[300];

	snprintf(stale, sizeof(stale), "%s.tmp-0123456789abcdef", p);
	spit(stale, (const uint8_t *)"torn", 4);
	cr_assert_eq(store_save(st, p, &fast_pass), 0);
	assert_version(p, "v1");
	cr_assert_eq(access(stale, F_OK), 0);
	store_free(st);
}

/* A KMS persists its master secrets and reads them back. */
Test(keys_store, kms_master_secrets)
{
	uint8_t ksak[STORE_KSAK_LEN], z[STORE_KMS_Z_LEN];
	const char *p = path_of("kms.store");
	const struct store_kms *k;
	struct store *st, *back;

	randombytes_buf(ksak, sizeof(ksak));
	randombytes_buf(z, sizeof(z));
	cr_assert_eq(store_new(&st), 0);
	cr_assert_eq(store_put_kms(st, "kms.example.org", ksak, z, 0), 0);
	put_cert(st, "kms.example.org", 2592000, 0, 0, 5);
	cr_assert_eq(store_save(st, p, &fast_pass), 0);
	cr_assert_eq(store_open(&back, p, &fast_pass), 0);
	cr_assert_eq(store_get_kms(back, "kms.example.org", &k), 0);
	cr_assert_arr_eq(k->ksak, ksak, sizeof(ksak));
	cr_assert_arr_eq(k->z, z, sizeof(z));
	store_free(back);
	store_free(st);
}

/* The fuzz seeds stay in step with the format: each well-formed one parses. */
Test(keys_store, corpus_seeds)
{
	static const struct {
		const char *name;
		int rc;
		size_t n;
	} t[] = {
		{ "empty", 0, 0 }, { "blob", 0, 1 }, { "blob-empty", 0, 1 }, { "keyset", 0, 1 },
		{ "cert", 0, 1 }, { "cert-flags", 0, 1 }, { "kms", 0, 1 }, { "mixed", 0, 6 },
		{ "dup-blob", -KEYS_E_PARSE, 0 }, { "truncated-keyset", -KEYS_E_PARSE, 0 },
	};
	const char *root = getenv("MCPX_CORPUS");
	char p[512];
	size_t i, len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct store *st = NULL;
		uint8_t *buf;
		int rc;

		snprintf(p, sizeof(p), "%s/store_parse/%s", root != NULL ? root : "tests/corpus",
			 t[i].name);
		buf = slurp(p, &len);
		rc = store_parse(&st, buf, len);
		cr_assert_eq(rc, t[i].rc, "%s: %d", t[i].name, rc);
		cr_assert_eq(store_count(st), t[i].n, "%s", t[i].name);
		store_free(st);
		free(buf);
	}
}
