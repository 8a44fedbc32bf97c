/* SPDX-License-Identifier: proprietary */
/*
 * Text rendering of a decoded I_MESSAGE, one line per payload, for
 * `mcpx-keys mikey dump` (keys/ never prints: the caller does).
 */
#ifndef MIKEY_DUMP_H
#define MIKEY_DUMP_H

#include <stddef.h>

#include "mikey_msg.h"

/*
 * Render |m| (from mikey_msg_decode()) into |buf| (capacity |cap|, always
 * NUL-terminated when cap > 0, truncated if short). Returns the length the
 * full text needs, without the NUL, as snprintf() does. Cannot fail.
 */
size_t
mikey_msg_dump(const struct mikey_msg *m, char *buf, size_t cap);

#endif /* MIKEY_DUMP_H */
