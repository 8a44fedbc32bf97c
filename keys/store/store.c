/* SPDX-License-Identifier: proprietary */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "store_int.h"

/* NUL-terminated, 1..max octets. */
static int
str_ok(const char *s, size_t max)
{
	return s != NULL && s[0] != '\0' && strnlen(s, max + 1) <= max;
}

int
store_new(struct store **out)
{
	struct store *st;

	if (out == NULL)
		return -KEYS_E_ARG;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return -KEYS_E_NOMEM;
	*out = st;
	return 0;
}

void
store_free(struct store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n; i++)
		sodium_free(st->slots[i].p);	/* wipes, then unmaps */
	free(st->slots);
	free(st);
}

size_t
store_count(const struct store *st)
{
	return st != NULL ? st->n : 0;
}

bool
store_next(const struct store *st, size_t *pos, struct store_item *it)
{
	const struct store_slot *s;

	if (st == NULL || pos == NULL || it == NULL || *pos >= st->n)
		return false;
	s = &st->slots[(*pos)++];
	it->type = s->type;
	switch (s->type) {
	case STORE_T_KEYSET:
		it->keyset = s->p;
		break;
	case STORE_T_CERT:
		it->cert = s->p;
		break;
	case STORE_T_KMS:
		it->kms = s->p;
		break;
	case STORE_T_BLOB:
		it->blob = s->p;
		break;
	}
	return true;
}

void *
store_entry_alloc(size_t size)
{
	void *p;

	/*
	 * sodium_malloc() places the block against the guard page, so its
	 * address is only as aligned as |size|: round up (libsodium's manual).
	 */
	size = (size + 15) & ~(size_t)15;
	p = sodium_malloc(size);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

/* Does entry |p| of |type| answer to the key of |q| (same type)? */
static int
same_key(enum store_type type, const void *p, const void *q)
{
	const struct store_keyset *a = p, *b = q;

	switch (type) {
	case STORE_T_KEYSET:
		return a->period_no == b->period_no && strcmp(a->uri, b->uri) == 0 &&
		       strcmp(a->kms_uri, b->kms_uri) == 0;
	case STORE_T_CERT:
		return strcmp(((const struct store_cert *)p)->kms_uri,
			      ((const struct store_cert *)q)->kms_uri) == 0;
	case STORE_T_KMS:
		return strcmp(((const struct store_kms *)p)->kms_uri,
			      ((const struct store_kms *)q)->kms_uri) == 0;
	case STORE_T_BLOB:
		return strcmp(((const struct store_blob *)p)->name,
			      ((const struct store_blob *)q)->name) == 0;
	}
	return 0;
}

static size_t
find_slot(const struct store *st, enum store_type type, const void *key)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (st->slots[i].type == type && same_key(type, st->slots[i].p, key))
			return i;
	return SIZE_MAX;
}

static void
drop_slot(struct store *st, size_t i)
{
	sodium_free(st->slots[i].p);
	memmove(&st->slots[i], &st->slots[i + 1], (st->n - i - 1) * sizeof(st->slots[0]));
	st->n--;
}

int
store_insert(struct store *st, enum store_type type, void *p, unsigned int flags)
{
	struct store_slot *ns;
	size_t i = find_slot(st, type, p);

	sodium_mprotect_readonly(p);
	if (i != SIZE_MAX) {
		if (!(flags & STORE_REPLACE)) {
			sodium_free(p);
			return -KEYS_E_EXISTS;
		}
		sodium_free(st->slots[i].p);
		st->slots[i].p = p;
		return 0;
	}
	if (st->n >= STORE_RECORDS_MAX) {
		sodium_free(p);
		return -KEYS_E_RANGE;
	}
	if (st->n == st->cap) {
		size_t cap = st->cap != 0 ? 2 * st->cap : 16;

		ns = realloc(st->slots, cap * sizeof(*ns));
		if (ns == NULL) {
			sodium_free(p);
			return -KEYS_E_NOMEM;
		}
		st->slots = ns;
		st->cap = cap;
	}
	st->slots[st->n++] = (struct store_slot){ type, p };
	return 0;
}

static int
del_slot(struct store *st, enum store_type type, const void *key)
{
	size_t i = find_slot(st, type, key);

	if (i == SIZE_MAX)
		return -KEYS_E_NOTFOUND;
	drop_slot(st, i);
	return 0;
}

int
store_put_keyset(struct store *st, const char *uri, const char *kms_uri, uint64_t period_no,
		 const uint8_t ssk[STORE_SSK_LEN], const uint8_t pvt[STORE_PVT_LEN],
		 const uint8_t rsk[STORE_RSK_LEN], unsigned int flags)
{
	struct store_keyset *ks;

	if (st == NULL || !str_ok(uri, STORE_URI_MAX) || !str_ok(kms_uri, STORE_URI_MAX) ||
	    ssk == NULL || pvt == NULL || rsk == NULL)
		return -KEYS_E_ARG;
	ks = store_entry_alloc(sizeof(*ks));
	if (ks == NULL)
		return -KEYS_E_NOMEM;
	strcpy(ks->uri, uri);
	strcpy(ks->kms_uri, kms_uri);
	ks->period_no = period_no;
	memcpy(ks->ssk, ssk, STORE_SSK_LEN);
	memcpy(ks->pvt, pvt, STORE_PVT_LEN);
	memcpy(ks->rsk, rsk, STORE_RSK_LEN);
	return store_insert(st, STORE_T_KEYSET, ks, flags);
}

int
store_get_keyset(const struct store *st, const char *uri, const char *kms_uri,
		 uint64_t period_no, const struct store_keyset **out)
{
	size_t i;

	if (st == NULL || uri == NULL || out == NULL)
		return -KEYS_E_ARG;
	for (i = 0; i < st->n; i++) {
		const struct store_keyset *ks = st->slots[i].p;

		if (st->slots[i].type != STORE_T_KEYSET || ks->period_no != period_no ||
		    strcmp(ks->uri, uri) != 0 ||
		    (kms_uri != NULL && strcmp(ks->kms_uri, kms_uri) != 0))
			continue;
		*out = ks;
		return 0;
	}
	return -KEYS_E_NOTFOUND;
}

int
store_del_keyset(struct store *st, const char *uri, const char *kms_uri, uint64_t period_no)
{
	struct store_keyset *key;
	int rc;

	if (st == NULL || !str_ok(uri, STORE_URI_MAX) || !str_ok(kms_uri, STORE_URI_MAX))
		return -KEYS_E_ARG;
	key = calloc(1, sizeof(*key));	/* a search key: no secrets in it */
	if (key == NULL)
		return -KEYS_E_NOMEM;
	strcpy(key->uri, uri);
	strcpy(key->kms_uri, kms_uri);
	key->period_no = period_no;
	rc = del_slot(st, STORE_T_KEYSET, key);
	free(key);
	return rc;
}

int
store_put_cert(struct store *st, const struct store_cert *cert, unsigned int flags)
{
	struct store_cert *c;

	if (st == NULL || cert == NULL || !str_ok(cert->kms_uri, STORE_URI_MAX) ||
	    cert->period_len == 0 || (cert->flags & ~STORE_CERT_FLAGS_ALL) != 0)
		return -KEYS_E_ARG;
	c = store_entry_alloc(sizeof(*c));
	if (c == NULL)
		return -KEYS_E_NOMEM;
	memcpy(c, cert, sizeof(*c));
	return store_insert(st, STORE_T_CERT, c, flags);
}

/* Entries keyed by one string at the start of the struct: cert, kms, blob. */
_Static_assert(offsetof(struct store_cert, kms_uri) == 0, "cert key first");
_Static_assert(offsetof(struct store_kms, kms_uri) == 0, "kms key first");
_Static_assert(offsetof(struct store_blob, name) == 0, "blob key first");

static size_t
slot_by_name(const struct store *st, enum store_type type, const char *name)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (st->slots[i].type == type && strcmp(st->slots[i].p, name) == 0)
			return i;
	return SIZE_MAX;
}

static const void *
get_by_name(const struct store *st, enum store_type type, const char *name, int *rc)
{
	size_t i;

	*rc = -KEYS_E_ARG;
	if (st == NULL || name == NULL)
		return NULL;
	i = slot_by_name(st, type, name);
	*rc = i == SIZE_MAX ? -KEYS_E_NOTFOUND : 0;
	return i == SIZE_MAX ? NULL : st->slots[i].p;
}

static int
del_by_name(struct store *st, enum store_type type, const char *name)
{
	size_t i;

	if (st == NULL || name == NULL)
		return -KEYS_E_ARG;
	i = slot_by_name(st, type, name);
	if (i == SIZE_MAX)
		return -KEYS_E_NOTFOUND;
	drop_slot(st, i);
	return 0;
}

int
store_find_cert(const struct store *st, const char *kms_uri, const struct store_cert **out)
{
	int rc;
	const struct store_cert *p = get_by_name(st, STORE_T_CERT, kms_uri, &rc);

	if (out == NULL)
		return -KEYS_E_ARG;
	if (p != NULL)
		*out = p;
	return rc;
}

int
store_del_cert(struct store *st, const char *kms_uri)
{
	return del_by_name(st, STORE_T_CERT, kms_uri);
}

int
store_put_kms(struct store *st, const char *kms_uri, const uint8_t ksak[STORE_KSAK_LEN],
	      const uint8_t z[STORE_KMS_Z_LEN], unsigned int flags)
{
	struct store_kms *k;

	if (st == NULL || !str_ok(kms_uri, STORE_URI_MAX) || ksak == NULL || z == NULL)
		return -KEYS_E_ARG;
	k = store_entry_alloc(sizeof(*k));
	if (k == NULL)
		return -KEYS_E_NOMEM;
	strcpy(k->kms_uri, kms_uri);
	memcpy(k->ksak, ksak, STORE_KSAK_LEN);
	memcpy(k->z, z, STORE_KMS_Z_LEN);
	return store_insert(st, STORE_T_KMS, k, flags);
}

int
store_get_kms(const struct store *st, const char *kms_uri, const struct store_kms **out)
{
	int rc;
	const struct store_kms *p = get_by_name(st, STORE_T_KMS, kms_uri, &rc);

	if (out == NULL)
		return -KEYS_E_ARG;
	if (p != NULL)
		*out = p;
	return rc;
}

int
store_del_kms(struct store *st, const char *kms_uri)
{
	return del_by_name(st, STORE_T_KMS, kms_uri);
}

int
store_put_blob(struct store *st, const char *name, const uint8_t *data, size_t len,
	       unsigned int flags)
{
	struct store_blob *b;

	if (st == NULL || !str_ok(name, STORE_NAME_MAX) || len > STORE_BLOB_MAX ||
	    (data == NULL && len != 0))
		return -KEYS_E_ARG;
	b = store_entry_alloc(sizeof(*b) + len);
	if (b == NULL)
		return -KEYS_E_NOMEM;
	strcpy(b->name, name);
	b->len = len;
	if (len != 0)
		memcpy(b->data, data, len);
	return store_insert(st, STORE_T_BLOB, b, flags);
}

int
store_get_blob(const struct store *st, const char *name, const struct store_blob **out)
{
	int rc;
	const struct store_blob *p = get_by_name(st, STORE_T_BLOB, name, &rc);

	if (out == NULL)
		return -KEYS_E_ARG;
	if (p != NULL)
		*out = p;
	return rc;
}

int
store_del_blob(struct store *st, const char *name)
{
	return del_by_name(st, STORE_T_BLOB, name);
}
