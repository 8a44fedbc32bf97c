/* SPDX-License-Identifier: proprietary */
#include <string.h>

#include <criterion/criterion.h>

#include "srtp_testlib.h"

void
tl_engine_init(void)
{
	cr_assert_eq(dp_srtp_global_init(), 0);
}

unsigned int
tl_backends(unsigned int out[DP_SRTP_BACKEND_COUNT])
{
	unsigned int i, n = 0;

	for (i = 0; i < DP_SRTP_BACKEND_COUNT; i++)
		if (dp_srtp_backend_available(i))
			out[n++] = i;
	cr_assert_geq(n, 1);
	return n;
}

struct dp_srtp_params
tl_params(unsigned int profile, unsigned int proto, unsigned int dir, unsigned int mki_len,
	  uint32_t ssrc, uint16_t rcc_r, uint32_t seed)
{
	struct dp_srtp_params p;
	unsigned int i;

	memset(&p, 0, sizeof(p));
	p.profile = profile;
	p.proto = proto;
	p.dir = dir;
	p.ssrc = ssrc;
	p.rcc_r = rcc_r;
	p.mki_len = (uint8_t)mki_len;
	for (i = 0; i < sizeof(p.master_key); i++)
		p.master_key[i] = (uint8_t)(seed * 131 + i * 7 + 1);
	for (i = 0; i < sizeof(p.master_salt); i++)
		p.master_salt[i] = (uint8_t)(seed * 17 + i * 29 + 3);
	for (i = 0; i < mki_len; i++)
		p.mki[i] = (uint8_t)(0xa0 + i + seed);
	return p;
}

struct dp_srtp_ctx *
tl_ctx(unsigned int be, const struct dp_srtp_params *p)
{
	struct dp_srtp_ctx *c = NULL;
	int rc = dp_srtp_ctx_new(&c, be, p);

	cr_assert_eq(rc, 0, "ctx_new(%s): %s", dp_srtp_backend_name(be), dp_strerror(rc));
	return c;
}

static void
be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
be32(uint8_t *p, uint32_t v)
{
	be16(p, (uint16_t)(v >> 16));
	be16(p + 2, (uint16_t)v);
}

uint32_t
tl_rtp(uint8_t *buf, uint32_t ssrc, uint16_t seq, unsigned int cc, int ext_words,
       unsigned int pad, uint32_t plen)
{
	uint32_t off = 12, i;

	buf[0] = (uint8_t)(0x80 | (pad ? 0x20 : 0) | (ext_words >= 0 ? 0x10 : 0) | (cc & 0xf));
	buf[1] = 96;
	be16(buf + 2, seq);
	be32(buf + 4, 160u * seq);
	be32(buf + 8, ssrc);
	for (i = 0; i < cc; i++, off += 4)
		be32(buf + off, 0x1000 + i);
	if (ext_words >= 0) {
		be16(buf + off, 0xbede);
		be16(buf + off + 2, (uint16_t)ext_words);
		off += 4;
		for (i = 0; i < (uint32_t)ext_words; i++, off += 4)
			be32(buf + off, 0x22000000 + i);
	}
	for (i = 0; i < plen; i++)
		buf[off++] = (uint8_t)(seq + i * 3);
	if (pad) {
		memset(buf + off, 0, pad - 1);
		off += pad - 1;
		buf[off++] = (uint8_t)pad;
	}
	return off;
}

uint32_t
tl_rtcp_app(uint8_t *buf, uint32_t ssrc, unsigned int subtype, unsigned int words,
	    uint32_t pattern)
{
	uint32_t i, len = 12 + 4 * words;

	buf[0] = (uint8_t)(0x80 | (subtype & 0x1f));
	buf[1] = 204;
	be16(buf + 2, (uint16_t)(len / 4 - 1));
	be32(buf + 4, ssrc);
	memcpy(buf + 8, "MCPT", 4);
	for (i = 0; i < words; i++)
		be32(buf + 12 + 4 * i, pattern * 2654435761u + i);
	return len;
}
