/* SPDX-License-Identifier: proprietary */
/*
 * jansson with wiping frees: JSON on control.sock (and in the streams file
 * and mcpxctl) may carry raw master keys, and jansson copies every string
 * (its lexer keeps buffers of its own too). These allocation functions
 * record each block's size and sodium_memzero it on free.
 */
#ifndef CTL_JSON_H
#define CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CTL_JSON_ARENA (4u << 20)	/* octets of JSON one request may carve */
#define CTL_JSON_SCRATCH (256u * 1024 + 64)	/* the reply scratch (CTL_REPLY_MAX + 1 ≤ this) */

/*
 * Install the wiping allocation functions. Call once at program start,
 * before any other jansson use (blocks allocated with another allocator must
 * not be freed with these). Idempotent.
 */
void
ctl_json_init(void);

/* Whether ctl_json_init() is in force. */
bool
ctl_json_wiping(void);

/*
 * A parse error of jansson as "line L column C (octet O): REASON" into |out|
 * (|n| octets, always terminated). jansson's text quotes the token it stopped
 * in ("near '\"000102030405'"), which may be the first digits of a key: that
 * part is dropped, and a reason that would quote the input is replaced; then
 * |je| is wiped, so the quote does not stay behind on the caller's stack.
 */
void
ctl_json_error_text(json_error_t *je, char *out, size_t n);

/* Free (and wipe) what jansson returned to the caller: json_dumps() strings. NULL is fine. */
void
ctl_json_free(void *p);

/*
 * A request's arena: between ctl_json_arena_begin() and _end(), jansson's
 * allocations on this thread are carved from one locked block (CTL_JSON_ARENA
 * octets; past that, the heap as usual) and freeing them costs nothing; _end()
 * wipes what was carved, all at once, and every value carved is gone: no JSON
 * made in between may outlive it. One thread holds the arena at a time; begin
 * returns false (and changes nothing) when this or another thread holds it, or
 * it cannot be allocated, or under AddressSanitizer — jansson then works from
 * the heap. The reply scratch is wiped by its user (ctl_serve's dump). The control
 * thread serves each request inside one (ctl_serve): the per-block malloc,
 * free and wipe were a third of a large install's cost.
 */
bool
ctl_json_arena_begin(void);

/* Whether this build has the arena (not under AddressSanitizer: see ctl_json.c). */
bool
ctl_json_arena_available(void);

void
ctl_json_arena_end(void);

/* While this thread holds the arena: CTL_JSON_SCRATCH octets for a reply's text; else NULL. */
char *
ctl_json_scratch(void);

/* Allocations the arena could not hold (served from the heap), since start. */
uint64_t
ctl_json_arena_misses(void);

/*
 * A number as a person writes it: decimal ("305419896", no leading zero but
 * "0") or hexadecimal after "0x"/"0X"; no sign, no space, no octal (a leading
 * 0 is refused, where strtoull's base 0 would read octal), at most |max|.
 * true with |*out| set; false leaves it unchanged. mcpxd's and mcpxctl's
 * options and the request decoder all read numbers so.
 */
bool
ctl_number_parse(const char *s, uint64_t max, uint64_t *out);

#endif /* CTL_JSON_H */
