/* SPDX-License-Identifier: proprietary */
/* Helpers shared by the SRTP engine suites: packets, contexts, backends. */
#ifndef SRTP_TESTLIB_H
#define SRTP_TESTLIB_H

#include <stdint.h>

#include "dp_srtp.h"

/* Engine set-up for a suite's .init. */
void
tl_engine_init(void);

/* The backends built in and usable here, into |out|; returns how many. */
unsigned int
tl_backends(unsigned int out[DP_SRTP_BACKEND_COUNT]);

/* Params with deterministic keys derived from |seed|. */
struct dp_srtp_params
tl_params(unsigned int profile, unsigned int proto, unsigned int dir, unsigned int mki_len,
	  uint32_t ssrc, uint16_t rcc_r, uint32_t seed);

/* Make a context, failing the test on error. */
struct dp_srtp_ctx *
tl_ctx(unsigned int be, const struct dp_srtp_params *p);

/*
 * An RTP packet: |cc| CSRCs, |ext_words| 32-bit words of header extension (X
 * set when > 0 or when |ext| is set), |pad| octets of RTP padding (P set),
 * |plen| octets of payload patterned from |seq|. Returns the length.
 */
uint32_t
tl_rtp(uint8_t *buf, uint32_t ssrc, uint16_t seq, unsigned int cc, int ext_words,
       unsigned int pad, uint32_t plen);

/* An RTCP APP "MCPT" packet of |words| 32-bit words after the name. */
uint32_t
tl_rtcp_app(uint8_t *buf, uint32_t ssrc, unsigned int subtype, unsigned int words,
	    uint32_t pattern);

#endif
