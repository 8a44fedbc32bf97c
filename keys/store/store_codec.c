/* SPDX-License-Identifier: proprietary */
/*
 * The unsealed container (layout in store.h). The parser is a straight line
 * of bounded reads through a cursor: a failed read leaves the cursor where it
 * was, and each record's value must be consumed exactly.
 */
#include <string.h>

#include <sodium.h>

#include "store_int.h"

#define CONTAINER_MAGIC "MXKC"
#define CONTAINER_VERSION 1
#define CONTAINER_HDR_LEN (4 + 2 + 4)
#define RECORD_HDR_LEN (1 + 4)

/* ---- reading ---- */

struct cur {
	const uint8_t *p;
	size_t n;	/* octets left */
};

static bool
cur_bytes(struct cur *c, void *dst, size_t k)
{
	if (c->n < k)
		return false;
	memcpy(dst, c->p, k);
	c->p += k;
	c->n -= k;
	return true;
}

static bool
cur_uint(struct cur *c, uint64_t *v, size_t width)
{
	uint8_t b[8];
	size_t i;

	if (!cur_bytes(c, b, width))
		return false;
	*v = 0;
	for (i = 0; i < width; i++)
		*v = *v << 8 | b[i];
	return true;
}

/* A nested block of |k| octets, which the caller must consume exactly. */
static bool
cur_sub(struct cur *c, size_t k, struct cur *sub)
{
	if (c->n < k)
		return false;
	*sub = (struct cur){ c->p, k };
	c->p += k;
	c->n -= k;
	return true;
}

/* str = u16 length (1..max) || octets without NUL, into |dst| (max + 1). */
static bool
cur_str(struct cur *c, char *dst, size_t max)
{
	struct cur t = *c;
	uint64_t len;

	if (!cur_uint(&t, &len, 2) || len == 0 || len > max || t.n < len ||
	    memchr(t.p, 0, len) != NULL || !cur_bytes(&t, dst, len))
		return false;
	dst[len] = '\0';
	*c = t;
	return true;
}

static bool
parse_keyset(struct cur *v, struct store_keyset *ks)
{
	return cur_str(v, ks->uri, STORE_URI_MAX) && cur_str(v, ks->kms_uri, STORE_URI_MAX) &&
	       cur_uint(v, &ks->period_no, 8) && cur_bytes(v, ks->ssk, STORE_SSK_LEN) &&
	       cur_bytes(v, ks->pvt, STORE_PVT_LEN) && cur_bytes(v, ks->rsk, STORE_RSK_LEN);
}

static bool
parse_cert(struct cur *v, struct store_cert *c)
{
	uint64_t flags;

	if (!cur_str(v, c->kms_uri, STORE_URI_MAX) || !cur_uint(v, &c->period_len, 8) ||
	    !cur_uint(v, &c->period_offset, 8) || !cur_uint(v, &flags, 4))
		return false;
	if (c->period_len == 0 || (flags & ~(uint64_t)STORE_CERT_FLAGS_ALL) != 0)
		return false;
	c->flags = (uint32_t)flags;
	return cur_bytes(v, c->kpak, STORE_KPAK_LEN) && cur_bytes(v, c->z, STORE_Z_LEN);
}

static bool
parse_kms(struct cur *v, struct store_kms *k)
{
	return cur_str(v, k->kms_uri, STORE_URI_MAX) && cur_bytes(v, k->ksak, STORE_KSAK_LEN) &&
	       cur_bytes(v, k->z, STORE_KMS_Z_LEN);
}

/* A blob's size is only known inside its value: allocate after the name. */
static int
parse_blob(struct cur *v, struct store_blob **out)
{
	char name[STORE_NAME_MAX + 1];
	struct store_blob *b;
	uint64_t len;

	if (!cur_str(v, name, STORE_NAME_MAX) || !cur_uint(v, &len, 4) ||
	    len > STORE_BLOB_MAX || len != v->n)
		return -KEYS_E_PARSE;
	b = store_entry_alloc(sizeof(*b) + (size_t)len);
	if (b == NULL)
		return -KEYS_E_NOMEM;
	memcpy(b->name, name, sizeof(name));
	b->len = (size_t)len;
	(void)cur_bytes(v, b->data, b->len);	/* len == v->n: cannot fail */
	*out = b;
	return 0;
}

static const size_t fixed_size[] = {
	[STORE_T_KEYSET] = sizeof(struct store_keyset),
	[STORE_T_CERT] = sizeof(struct store_cert),
	[STORE_T_KMS] = sizeof(struct store_kms),
};

/* One record's value |v| of |type| into a new entry, then into |st|. */
static int
parse_record(struct store *st, unsigned int type, struct cur *v)
{
	struct store_blob *b;
	void *p = NULL;
	bool ok;
	int rc;

	if (type == STORE_T_BLOB) {
		rc = parse_blob(v, &b);
		if (rc < 0)
			return rc;
		p = b;
	} else {
		if (type < STORE_T_KEYSET || type > STORE_T_KMS)
			return -KEYS_E_PARSE;
		p = store_entry_alloc(fixed_size[type]);
		if (p == NULL)
			return -KEYS_E_NOMEM;
		ok = type == STORE_T_KEYSET ? parse_keyset(v, p) :
		     type == STORE_T_CERT   ? parse_cert(v, p) :
					      parse_kms(v, p);
		if (!ok || v->n != 0) {
			sodium_free(p);
			return -KEYS_E_PARSE;
		}
	}
	rc = store_insert(st, (enum store_type)type, p, 0);	/* takes |p| */
	return rc == -KEYS_E_EXISTS ? -KEYS_E_PARSE : rc;	/* duplicate key */
}

int
store_parse(struct store **out, const uint8_t *buf, size_t len)
{
	struct cur c = { buf, len }, v;
	struct store *st = NULL;
	uint64_t version, count, type, vlen, i;
	uint8_t magic[4];
	int rc;

	if (out == NULL || (buf == NULL && len != 0))
		return -KEYS_E_ARG;
	if (!cur_bytes(&c, magic, 4) || memcmp(magic, CONTAINER_MAGIC, 4) != 0 ||
	    !cur_uint(&c, &version, 2) || version != CONTAINER_VERSION ||
	    !cur_uint(&c, &count, 4) || count > STORE_RECORDS_MAX ||
	    count > c.n / RECORD_HDR_LEN)
		return -KEYS_E_PARSE;
	rc = store_new(&st);
	if (rc < 0)
		return rc;
	for (i = 0; i < count; i++) {
		rc = -KEYS_E_PARSE;
		if (!cur_uint(&c, &type, 1) || !cur_uint(&c, &vlen, 4) ||
		    !cur_sub(&c, (size_t)vlen, &v))
			goto out;
		rc = parse_record(st, (unsigned int)type, &v);
		if (rc < 0)
			goto out;
	}
	rc = c.n == 0 ? 0 : -KEYS_E_PARSE;	/* nothing may follow the last record */
out:
	if (rc < 0)
		store_free(st);
	else
		*out = st;
	return rc;
}

/* ---- writing ---- */

struct wr {
	uint8_t *p;
	size_t off;
};

static void
put_uint(struct wr *w, uint64_t v, size_t width)
{
	size_t i;

	for (i = 0; i < width; i++)
		w->p[w->off + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
	w->off += width;
}

static void
put_bytes(struct wr *w, const void *b, size_t k)
{
	if (k != 0)
		memcpy(w->p + w->off, b, k);
	w->off += k;
}

static void
put_str(struct wr *w, const char *s)
{
	size_t k = strlen(s);

	put_uint(w, k, 2);
	put_bytes(w, s, k);
}

/* Value length of one entry. */
static size_t
value_len(const struct store_slot *s)
{
	const struct store_keyset *ks = s->p;
	const struct store_blob *b = s->p;

	switch (s->type) {
	case STORE_T_KEYSET:
		return 2 + strlen(ks->uri) + 2 + strlen(ks->kms_uri) + 8 + STORE_SSK_LEN +
		       STORE_PVT_LEN + STORE_RSK_LEN;
	case STORE_T_CERT:
		return 2 + strlen(s->p) + 8 + 8 + 4 + STORE_KPAK_LEN + STORE_Z_LEN;
	case STORE_T_KMS:
		return 2 + strlen(s->p) + STORE_KSAK_LEN + STORE_KMS_Z_LEN;
	case STORE_T_BLOB:
		return 2 + strlen(b->name) + 4 + b->len;
	}
	return 0;
}

static void
put_value(struct wr *w, const struct store_slot *s)
{
	const struct store_keyset *ks = s->p;
	const struct store_cert *c = s->p;
	const struct store_kms *k = s->p;
	const struct store_blob *b = s->p;

	switch (s->type) {
	case STORE_T_KEYSET:
		put_str(w, ks->uri);
		put_str(w, ks->kms_uri);
		put_uint(w, ks->period_no, 8);
		put_bytes(w, ks->ssk, STORE_SSK_LEN);
		put_bytes(w, ks->pvt, STORE_PVT_LEN);
		put_bytes(w, ks->rsk, STORE_RSK_LEN);
		break;
	case STORE_T_CERT:
		put_str(w, c->kms_uri);
		put_uint(w, c->period_len, 8);
		put_uint(w, c->period_offset, 8);
		put_uint(w, c->flags, 4);
		put_bytes(w, c->kpak, STORE_KPAK_LEN);
		put_bytes(w, c->z, STORE_Z_LEN);
		break;
	case STORE_T_KMS:
		put_str(w, k->kms_uri);
		put_bytes(w, k->ksak, STORE_KSAK_LEN);
		put_bytes(w, k->z, STORE_KMS_Z_LEN);
		break;
	case STORE_T_BLOB:
		put_str(w, b->name);
		put_uint(w, b->len, 4);
		put_bytes(w, b->data, b->len);
		break;
	}
}

size_t
store_encoded_len(const struct store *st)
{
	size_t i, n = CONTAINER_HDR_LEN;

	if (st == NULL)
		return 0;
	for (i = 0; i < st->n; i++)
		n += RECORD_HDR_LEN + value_len(&st->slots[i]);
	return n;
}

int
store_encode(const struct store *st, uint8_t *buf, size_t cap, size_t *len)
{
	struct wr w = { buf, 0 };
	size_t need = store_encoded_len(st), i;

	if (st == NULL || buf == NULL || len == NULL)
		return -KEYS_E_ARG;
	if (need > STORE_CONTAINER_MAX)
		return -KEYS_E_RANGE;
	if (cap < need)
		return -KEYS_E_ARG;
	put_bytes(&w, CONTAINER_MAGIC, 4);
	put_uint(&w, CONTAINER_VERSION, 2);
	put_uint(&w, st->n, 4);
	for (i = 0; i < st->n; i++) {
		put_uint(&w, st->slots[i].type, 1);
		put_uint(&w, value_len(&st->slots[i]), 4);
		put_value(&w, &st->slots[i]);
	}
	*len = w.off;
	return 0;
}
