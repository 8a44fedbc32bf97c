/* SPDX-License-Identifier: proprietary */
/*
 * mcpxd --streams FILE: known keys, raw-key streams and MIKEY entries from a
 * JSON file, installed at start (docs/deployment.md "The streams file").
 * Control thread only (the dp_ control API's thread).
 */
#ifndef MCPXD_STREAMS_H
#define MCPXD_STREAMS_H

#include <stddef.h>

#include "dp.h"

struct ctl_ops;

/*
 * Install every key and stream of the JSON file |path| into ops->dp: raw-key
 * streams as they are, MIKEY entries as mikey.install would (the I_MESSAGE
 * opened with ops->keys, mcpxd's --key-store; a MIKEY entry without one is
 * an error). A "mikey_file" is relative to the folder of |path|. Key
 * material is wiped from the file buffer, the JSON tree and the specs as
 * soon as each context is made. Stops at the first bad entry (what was
 * installed before it stays). Returns 0, or -DP_E_ARG (a bad entry, file
 * or MIKEY message), -DP_E_NOMEM, or dp_stream_add()'s and dp_key_add()'s
 * codes, with a sentence in |err| naming the entry (never a key).
 */
int
mcpxd_streams_load(struct ctl_ops *ops, const char *path, char *err, size_t errlen);

/*
 * The same, from a buffer of |len| octets (which is wiped); "mikey_file"
 * paths are relative to |dir| (NULL: the working directory). For tests.
 */
int
mcpxd_streams_load_buf(struct ctl_ops *ops, char *buf, size_t len, const char *dir, char *err,
		       size_t errlen);

#endif /* MCPXD_STREAMS_H */
