/* SPDX-License-Identifier: proprietary */
/*
 * Sample I_MESSAGE models for the MIKEY tests and fuzz seeds: one of each
 * kind we send, with placeholder SAKKE and signature octets (the codec does
 * not look inside them). struct mikey_sample holds the storage its model
 * points into: build it in place, never copy it.
 */
#ifndef MIKEY_SAMPLES_H
#define MIKEY_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include "mikey_msg.h"
#include "mikey_profile.h"

enum mikey_sample_kind {
	SAMPLE_GMK,		/* GENERIC-ID CS 4, SPI 8, SP E.2-1, self, key params */
	SAMPLE_GMK_NO13,	/* as GMK, SP without type 13, no self */
	SAMPLE_PCK,		/* #CS = 0, empty map, no SP, self, key params */
	SAMPLE_PCK_HIDDEN,	/* PCK with IDRuidi / IDRuidr (type 1, 32 octets) */
	SAMPLE_CSK,		/* GENERIC-ID CS 6, SPI 4, SAKKE ID scheme 1 */
	SAMPLE_N
};

struct mikey_sample {
	struct mikey_msg m;
	uint8_t rand[MIKEY_RAND_LEN];
	uint8_t sakke[MIKEY_SAKKE_DATA_LEN];
	uint8_t self[MIKEY_SAKKE_DATA_LEN];
	uint8_t kp[64];
	uint8_t sig[MIKEY_SIGN_ECCSI_LEN];
	uint8_t uidi[MIKEY_UID_LEN];
	uint8_t uidr[MIKEY_UID_LEN];
};

extern const char *const mikey_sample_names[SAMPLE_N];

void
mikey_sample_build(struct mikey_sample *s, enum mikey_sample_kind k);

/* Encode; the test fails if it cannot. Returns the length. */
size_t
mikey_sample_encode(const struct mikey_sample *s, uint8_t *buf, size_t cap);

#endif /* MIKEY_SAMPLES_H */
