/* SPDX-License-Identifier: proprietary */
/*
 * mcpxd --streams FILE: known keys and raw-key streams from a JSON file, until
 * the control socket lands (docs/deployment.md "The streams file").
 */
#ifndef MCPXD_STREAMS_H
#define MCPXD_STREAMS_H

#include <stddef.h>

#include "dp.h"

/*
 * Install every key and stream of the JSON file |path| into |dp|. Key
 * material is wiped from the file buffer, the JSON tree and the specs as
 * soon as each context is made. Returns 0, or a negative code with a
 * sentence in |err| naming the entry (never a key).
 */
int
mcpxd_streams_load(struct dp *dp, const char *path, char *err, size_t errlen);

/* The same, from a buffer of |len| octets (which is wiped). For tests. */
int
mcpxd_streams_load_buf(struct dp *dp, char *buf, size_t len, char *err, size_t errlen);

#endif /* MCPXD_STREAMS_H */
