/* SPDX-License-Identifier: proprietary */
/*
 * Sample floor control messages shared by the codec, tshark and corpus tests:
 * every coded type, with every field that has a coding in the digest.
 */
#ifndef FC_SAMPLES_H
#define FC_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include "fc_codec.h"

/* The Rel-13 types the codec encodes, in a fixed order. */
extern const enum fc_type fcs_types[];
extern const size_t fcs_n_types;

/* Fill |m| as message type |t| (x = |ack|) carrying all 15 coded fields. */
void
fcs_full(struct fc_msg *m, enum fc_type t, bool ack);

/* Parse hex (spaces allowed) into |out|; returns the octet count. */
size_t
fcs_hex(const char *s, uint8_t *out, size_t cap);

#endif /* FC_SAMPLES_H */
