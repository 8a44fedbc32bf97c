/* SPDX-License-Identifier: proprietary */
#include <string.h>

#include "mikey_keyparams.h"

static void
be(uint8_t *p, uint64_t v, unsigned int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
unbe(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

static size_t
groups_len(const struct mikey_keyparams *kp)
{
	size_t n = 1;
	unsigned int i;

	for (i = 0; i < kp->n_groups; i++)
		n += 3 + kp->groups[i].id.len;
	return n;
}

int
mikey_keyparams_encode(const struct mikey_keyparams *kp, uint8_t *buf, size_t cap, size_t *len)
{
	size_t need, gl = 0, off = MIKEY_KP_FIXED_LEN;
	unsigned int i;

	if (kp == NULL || buf == NULL || len == NULL || kp->activation > MIKEY_KP_TIME_MAX ||
	    kp->expiry > MIKEY_KP_TIME_MAX || kp->text.len > 0xffff ||
	    kp->n_groups > MIKEY_KP_GROUPS_MAX || (kp->text.len != 0 && kp->text.p == NULL))
		return -KEYS_E_ARG;
	for (i = 0; i < kp->n_groups; i++)
		if (kp->groups[i].id.len > 0xffff || kp->groups[i].id.p == NULL)
			return -KEYS_E_ARG;
	if (kp->has_groups)
		gl = groups_len(kp);
	need = MIKEY_KP_FIXED_LEN + 2 + kp->text.len + (kp->has_groups ? 2 + gl : 0);
	if (gl > 0xffff || need > cap)
		return -KEYS_E_ARG;
	buf[0] = kp->key_type;
	be(buf + 1, kp->status, 4);
	be(buf + 5, kp->activation, 5);
	be(buf + 10, kp->expiry, 5);
	be(buf + off, kp->text.len, 2);
	if (kp->text.len != 0)
		memcpy(buf + off + 2, kp->text.p, kp->text.len);
	off += 2 + kp->text.len;
	if (kp->has_groups) {
		be(buf + off, gl, 2);
		buf[off + 2] = kp->n_groups;
		off += 3;
		for (i = 0; i < kp->n_groups; i++) {
			buf[off] = kp->groups[i].iei;
			be(buf + off + 1, kp->groups[i].id.len, 2);
			memcpy(buf + off + 3, kp->groups[i].id.p, kp->groups[i].id.len);
			off += 3 + kp->groups[i].id.len;
		}
	}
	*len = off;
	return 0;
}

/* An LV-E element at |*off|: 2-octet length, then its value inside |len|. */
static bool
lve(const uint8_t *buf, size_t len, size_t *off, struct mikey_bytes *out)
{
	size_t n;

	if (len - *off < 2)
		return false;
	n = (size_t)unbe(buf + *off, 2);
	if (len - *off - 2 < n)
		return false;
	out->p = buf + *off + 2;
	out->len = n;
	*off += 2 + n;
	return true;
}

static bool
groups(struct mikey_keyparams *kp, const struct mikey_bytes *g)
{
	size_t off = 1;
	unsigned int i;

	if (g->len < 1 || g->p[0] > MIKEY_KP_GROUPS_MAX)
		return false;
	kp->n_groups = g->p[0];
	for (i = 0; i < kp->n_groups; i++) {
		if (g->len - off < 1)
			return false;
		kp->groups[i].iei = g->p[off++];
		if (!lve(g->p, g->len, &off, &kp->groups[i].id) || kp->groups[i].id.len == 0)
			return false;
	}
	return off == g->len;
}

int
mikey_keyparams_decode(struct mikey_keyparams *kp, const uint8_t *buf, size_t len)
{
	struct mikey_bytes g;
	size_t off = MIKEY_KP_FIXED_LEN;

	if (kp == NULL || (buf == NULL && len != 0))
		return -KEYS_E_ARG;
	memset(kp, 0, sizeof(*kp));
	if (len < MIKEY_KP_FIXED_LEN)
		goto bad;
	kp->key_type = buf[0];
	kp->status = (uint32_t)unbe(buf + 1, 4);
	kp->activation = unbe(buf + 5, 5);
	kp->expiry = unbe(buf + 10, 5);
	if (!lve(buf, len, &off, &kp->text))
		goto bad;
	if (off == len)
		return 0;		/* no group element (PCK, CSK) */
	if (!lve(buf, len, &off, &g) || off != len || !groups(kp, &g))
		goto bad;
	kp->has_groups = true;
	return 0;
bad:
	memset(kp, 0, sizeof(*kp));
	return -KEYS_E_PARSE;
}
