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

/* Free (and wipe) what jansson returned to the caller: json_dumps() strings. NULL is fine. */
void
ctl_json_free(void *p);

#endif /* CTL_JSON_H */
