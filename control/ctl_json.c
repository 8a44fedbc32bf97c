/* SPDX-License-Identifier: proprietary */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "ctl_json.h"

#define WIPE_HDR 16	/* keeps max_align_t alignment of the block after it */

/* jansson's strings and its lexer's buffers are copies of the datagram: wipe them on free. */
static void *
wipe_malloc(size_t n)
{
	uint8_t *p;

	if (n > SIZE_MAX - WIPE_HDR)
		return NULL;
	p = malloc(n + WIPE_HDR);
	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + WIPE_HDR;
}

static void
wipe_free(void *q)
{
	uint8_t *p;
	size_t n;

	if (q == NULL)
		return;
	p = (uint8_t *)q - WIPE_HDR;
	memcpy(&n, p, sizeof(n));
	sodium_memzero(p, n + WIPE_HDR);
	free(p);
}

void
ctl_json_init(void)
{
	json_set_alloc_funcs(wipe_malloc, wipe_free);
}

bool
ctl_json_wiping(void)
{
	json_malloc_t m;
	json_free_t f;

	json_get_alloc_funcs(&m, &f);
	return m == wipe_malloc && f == wipe_free;
}


void
ctl_json_free(void *p)
{
	json_malloc_t m;
	json_free_t f;

	json_get_alloc_funcs(&m, &f);
	f(p);
}
