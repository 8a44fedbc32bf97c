/* SPDX-License-Identifier: proprietary */
/* Internals shared by store.c and store_codec.c; not part of the API. */
#ifndef STORE_INT_H
#define STORE_INT_H

#include "store.h"

struct store_slot {
	enum store_type type;
	void *p;	/* sodium_malloc'd struct store_<type>, read-only */
};

struct store {
	struct store_slot *slots;
	size_t n, cap;
};

/* sodium_malloc'd, zeroed block for one entry; NULL when out of memory. */
void *
store_entry_alloc(size_t size);

/*
 * Insert the entry |p| of |type|, taking ownership (freed on every failure):
 * made read-only, placed last or over an entry with the same key when |flags|
 * has STORE_REPLACE. Returns 0, -KEYS_E_NOMEM, -KEYS_E_EXISTS, -KEYS_E_RANGE (full).
 */
int
store_insert(struct store *st, enum store_type type, void *p, unsigned int flags);

#endif /* STORE_INT_H */
