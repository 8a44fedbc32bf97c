/* SPDX-License-Identifier: proprietary */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "ctl_json.h"

#define WIPE_HDR 16	/* keeps max_align_t alignment of the block after it */

/*
 * The request arena (ctl_json_arena_begin): one locked block that a request's
 * JSON is carved from, wiped once at the end, and a reply scratch beside it.
 * Held by one thread at a time; |arena_on| says whether this thread holds it.
 * Other threads only compare their blocks' addresses with it (|arena| is
 * written once, by the first holder).
 */
struct arena {
	uint8_t mem[CTL_JSON_ARENA];
	char scratch[CTL_JSON_SCRATCH];
};
static _Atomic(struct arena *) arena;
static size_t arena_used;			/* the holder's: octets carved */
static atomic_flag arena_held = ATOMIC_FLAG_INIT;
static _Thread_local bool arena_on;
static _Atomic uint64_t arena_misses;

/*
 * Under AddressSanitizer the arena stays off: its free is a no-op, so a use
 * after free of a request's JSON would go unseen there, which is what that
 * build is for. (The arena's own tests skip there.)
 */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_OFF 1
#endif
#endif

static inline bool
in_arena(const void *q)
{
	const struct arena *a = atomic_load_explicit(&arena, memory_order_relaxed);

	return a != NULL && (const uint8_t *)q >= a->mem &&
	       (const uint8_t *)q < a->mem + CTL_JSON_ARENA;
}

/* jansson's strings and its lexer's buffers are copies of the datagram: wipe them on free. */
static void *
wipe_malloc(size_t n)
{
	uint8_t *p;

	if (arena_on) {
		size_t need = (n + 15u) & ~(size_t)15u;

		if (need >= n && CTL_JSON_ARENA - arena_used >= need) {
			p = atomic_load_explicit(&arena, memory_order_relaxed)->mem + arena_used;
			arena_used += need;
			return p;
		}
		/* full: the heap, wiped block by block as before */
		atomic_fetch_add_explicit(&arena_misses, 1, memory_order_relaxed);
	}
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

	if (q == NULL || in_arena(q))
		return;		/* an arena block: wiped with the rest at the end */
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

bool
ctl_json_arena_available(void)
{
#ifdef ARENA_OFF
	return false;
#else
	return true;
#endif
}

bool
ctl_json_arena_begin(void)
{
	struct arena *a;

	if (!ctl_json_arena_available() || arena_on || atomic_flag_test_and_set(&arena_held))
		return false;	/* another thread holds it: the heap serves this one */
	a = atomic_load_explicit(&arena, memory_order_relaxed);
	if (a == NULL) {
		/*
		 * Locked, guarded, never freed. sodium_malloc puts the block against
		 * its guard page: a size that is a multiple of 64 keeps it aligned.
		 */
		_Static_assert(sizeof(struct arena) % 64 == 0, "the arena starts aligned");
		a = sodium_malloc(sizeof(*a));
		if (a == NULL) {
			atomic_flag_clear(&arena_held);
			return false;
		}
		atomic_store_explicit(&arena, a, memory_order_release);
	}
	arena_used = 0;
	arena_on = true;
	return true;
}

void
ctl_json_arena_end(void)
{
	if (!arena_on)
		return;
	sodium_memzero(atomic_load_explicit(&arena, memory_order_relaxed)->mem, arena_used);
	arena_used = 0;
	arena_on = false;
	atomic_flag_clear(&arena_held);
}

char *
ctl_json_scratch(void)
{
	return arena_on ? atomic_load_explicit(&arena, memory_order_relaxed)->scratch : NULL;
}

uint64_t
ctl_json_arena_misses(void)
{
	return atomic_load_explicit(&arena_misses, memory_order_relaxed);
}

void
ctl_json_error_text(json_error_t *je, char *out, size_t n)
{
	const char *reason = je->text, *near = strstr(reason, " near ");
	int len = near != NULL ? (int)(near - reason) : (int)strnlen(reason, sizeof(je->text));

	/* The only reasons that quote the input besides "near": bad \u escapes. */
	if (strncmp(reason, "invalid Unicode", 15) == 0) {
		reason = "invalid Unicode escape";
		len = (int)strlen(reason);
	}
	if (je->line < 1)	/* not a parse error: "unable to open PATH: ..." */
		snprintf(out, n, "%.*s", len, reason);
	else
		snprintf(out, n, "line %d column %d (octet %d): %.*s", je->line, je->column,
			 je->position, len, reason);
	sodium_memzero(je, sizeof(*je));
}

bool
ctl_number_parse(const char *s, uint64_t max, uint64_t *out)
{
	unsigned int base = 10, d;
	uint64_t x = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1] != '\0') {
		return false;	/* "010": octal to strtoull, decimal to a person */
	}
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return false;
		if (d > max || x > (max - d) / base)
			return false;
		x = x * base + d;
	}
	*out = x;
	return true;
}
