/* SPDX-License-Identifier: proprietary */
/*
 * A bounds-checked read cursor over untrusted bytes (s2n-tls stuffer style).
 * Every read either succeeds in full and advances, or fails and leaves the
 * cursor where it was; reads return false on failure and the parser decides
 * which error that is at its point of the grammar.
 */
#ifndef FC_CURSOR_H
#define FC_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fc_error.h"

struct fc_cur {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

static inline void
fc_cur_init(struct fc_cur *c, const uint8_t *buf, size_t len)
{
	c->buf = buf;
	c->len = len;
	c->off = 0;
}

static inline size_t
fc_cur_left(const struct fc_cur *c)
{
	return c->len - c->off;
}

/* Point |out| at the next |n| octets and advance; |out| is a window into c. */
MUST_CHECK static inline bool
fc_cur_ptr(struct fc_cur *c, size_t n, const uint8_t **out)
{
	if (n > fc_cur_left(c))
		return false;
	*out = c->buf + c->off;
	c->off += n;
	return true;
}

/* Split the next |n| octets off into |sub| (a nested block) and advance. */
MUST_CHECK static inline bool
fc_cur_sub(struct fc_cur *c, size_t n, struct fc_cur *sub)
{
	const uint8_t *p;

	if (!fc_cur_ptr(c, n, &p))
		return false;
	fc_cur_init(sub, p, n);
	return true;
}

MUST_CHECK static inline bool
fc_cur_u8(struct fc_cur *c, uint8_t *v)
{
	const uint8_t *p;

	if (!fc_cur_ptr(c, 1, &p))
		return false;
	*v = p[0];
	return true;
}

MUST_CHECK static inline bool
fc_cur_u16(struct fc_cur *c, uint16_t *v)
{
	const uint8_t *p;

	if (!fc_cur_ptr(c, 2, &p))
		return false;
	*v = (uint16_t)((unsigned int)p[0] << 8 | p[1]);
	return true;
}

MUST_CHECK static inline bool
fc_cur_u32(struct fc_cur *c, uint32_t *v)
{
	const uint8_t *p;

	if (!fc_cur_ptr(c, 4, &p))
		return false;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return true;
}

MUST_CHECK static inline bool
fc_cur_copy(struct fc_cur *c, void *dst, size_t n)
{
	const uint8_t *p;

	if (!fc_cur_ptr(c, n, &p))
		return false;
	if (n != 0)
		memcpy(dst, p, n);
	return true;
}

#endif /* FC_CURSOR_H */
