/* SPDX-License-Identifier: proprietary */
/*
 * The SRTP engine's behaviour on every backend: round trips over profile x MKI
 * length x RTP/RTCP x RCCm3, late entry from the ROC trailer, SEQ wrap, replay,
 * single-bit flips, truncation, room, and parameter errors.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "srtp_testlib.h"

TestSuite(dataplane_srtp_engine, .init = tl_engine_init);

#define SSRC 0x5501a0b2u
#define BUFSZ 2048

static const unsigned int mki_lens[] = {0, 4, 8};

/* Protect a fresh packet of |seq| through |tx|; returns its wire length. */
static uint32_t
send_rtp(struct dp_srtp_ctx *tx, uint8_t *buf, uint16_t seq, uint32_t plen)
{
	uint32_t len = tl_rtp(buf, dp_srtp_ctx_params(tx)->ssrc, seq, 0, -1, 0, plen);

	cr_assert_eq(dp_srtp_process(tx, buf, &len, BUFSZ), DP_V_FWD, "protect seq %u", seq);
	return len;
}

static void
round_trip(unsigned int be, unsigned int profile, unsigned int proto, unsigned int mki_len,
	   uint16_t rcc_r)
{
	struct dp_srtp_params p = tl_params(profile, proto, DP_SRTP_DIR_PROTECT, mki_len, SSRC,
					    rcc_r, profile * 10 + mki_len);
	struct dp_srtp_ctx *tx = tl_ctx(be, &p), *rx;
	uint8_t plain[BUFSZ], buf[BUFSZ];
	unsigned int i;

	p.dir = DP_SRTP_DIR_UNPROTECT;
	rx = tl_ctx(be, &p);
	for (i = 0; i < 40; i++) {
		uint32_t plen, len, exp_over;
		unsigned int v;

		if (proto == DP_SRTP_PROTO_RTP)
			plen = tl_rtp(plain, SSRC, (uint16_t)(1000 + i), i % 3, (int)(i % 4) - 1,
				      i % 5 == 0 ? 4 : 0, i * 7);
		else
			plen = tl_rtcp_app(plain, SSRC, i % 32, i % 9, i);
		memcpy(buf, plain, plen);
		len = plen;
		cr_assert_eq(dp_srtp_process(tx, buf, &len, BUFSZ), DP_V_FWD);
		exp_over = dp_srtp_ctx_overhead(tx);
		if (rcc_r > 1 && (1000 + i) % rcc_r != 0)
			exp_over -= DP_SRTP_RCC_ROC_LEN;
		cr_assert_eq(len, plen + exp_over, "%s %s mki %u rcc %u: %u vs %u+%u",
			     dp_srtp_backend_name(be), dp_srtp_profile_info(profile)->name,
			     mki_len, rcc_r, len, plen, exp_over);
		if (mki_len != 0) {
			int off = dp_srtp_mki_offset(profile, proto, mki_len, rcc_r, buf, len);

			cr_assert_geq(off, 0);
			cr_assert_arr_eq(buf + off, p.mki, mki_len, "MKI not where expected");
		}
		if (proto == DP_SRTP_PROTO_RTP && plen > 12)
			cr_assert(memcmp(buf + plen - 4, plain + plen - 4, 4) != 0 ||
				  memcmp(buf + 12, plain + 12, plen - 12) != 0, "not encrypted");
		v = dp_srtp_process(rx, buf, &len, BUFSZ);
		cr_assert_eq(v, DP_V_FWD, "%s %s %s mki %u rcc %u packet %u: %s",
			     dp_srtp_backend_name(be), dp_srtp_profile_info(profile)->name,
			     proto ? "RTCP" : "RTP", mki_len, rcc_r, i, dp_verdict_name(v));
		cr_assert_eq(len, plen);
		cr_assert_arr_eq(buf, plain, plen);
	}
	dp_srtp_ctx_free(tx);
	dp_srtp_ctx_free(rx);
}

Test(dataplane_srtp_engine, round_trips_every_profile_mki_proto_rcc)
{
	unsigned int bes[DP_SRTP_BACKEND_COUNT], nbe = tl_backends(bes), b, prof, m, proto;

	for (b = 0; b < nbe; b++)
		for (prof = 0; prof < DP_SRTP_PROFILE_COUNT; prof++)
			for (m = 0; m < 3; m++)
				for (proto = 0; proto < 2; proto++) {
					round_trip(bes[b], prof, proto, mki_lens[m], 0);
					if (dp_srtp_profile_info(prof)->aead &&
					    proto == DP_SRTP_PROTO_RTP) {
						round_trip(bes[b], prof, proto, mki_lens[m], 1);
						round_trip(bes[b], prof, proto, mki_lens[m], 4);
					}
				}
}

/* SEQ wraps: ROC goes to 1 on both ends, every packet verifies. */
Test(dataplane_srtp_engine, seq_wrap_increments_roc)
{
	unsigned int bes[DP_SRTP_BACKEND_COUNT], nbe = tl_backends(bes), b, i;

	for (b = 0; b < nbe; b++) {
		struct dp_srtp_params p = tl_params(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTP,
						    DP_SRTP_DIR_PROTECT, 8, SSRC, 0, 1);
		struct dp_srtp_ctx *tx = tl_ctx(bes[b], &p), *rx;
		uint8_t buf[BUFSZ];

		p.dir = DP_SRTP_DIR_UNPROTECT;
		rx = tl_ctx(bes[b], &p);
		for (i = 0; i < 20; i++) {
			uint16_t seq = (uint16_t)(65526 + i);
			uint32_t len = send_rtp(tx, buf, seq, 33);

			cr_assert_eq(dp_srtp_process(rx, buf, &len, BUFSZ), DP_V_FWD, "seq %u",
				     seq);
		}
		cr_assert_eq(dp_srtp_ctx_roc(tx), 1);
		cr_assert_eq(dp_srtp_ctx_roc(rx), 1);
		dp_srtp_ctx_free(tx);
		dp_srtp_ctx_free(rx);
	}
}

/*
 * Late entry: the talker has wrapped (ROC 1) before the receiver exists. With
 * RCCm3 the receiver takes the ROC from the trailer; without it, the same
 * receiver (initial ROC 0) cannot authenticate anything.
 */
static unsigned int
late_join(unsigned int be, uint16_t rcc_r, unsigned int *first_ok)
{
	struct dp_srtp_params p = tl_params(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTP,
					    DP_SRTP_DIR_PROTECT, 8, SSRC, rcc_r, 2);
	struct dp_srtp_ctx *tx = tl_ctx(be, &p), *rx = NULL;
	unsigned int i, ok = 0;
	uint8_t buf[BUFSZ];

	*first_ok = ~0u;
	p.dir = DP_SRTP_DIR_UNPROTECT;
	for (i = 0; i < 30000; i++) {
		uint16_t seq = (uint16_t)(40000 + i);	/* wraps after 25536 packets */
		uint32_t len = send_rtp(tx, buf, seq, 20);

		if (i == 26000)
			rx = tl_ctx(be, &p);	/* joins after the wrap, knows ROC 0 */
		if (rx == NULL)
			continue;
		if (dp_srtp_process(rx, buf, &len, BUFSZ) == DP_V_FWD) {
			if (ok++ == 0)
				*first_ok = i;
			cr_assert_eq(len, 12 + 20u);
		}
	}
	cr_assert_eq(dp_srtp_ctx_roc(tx), 1);
	dp_srtp_ctx_free(tx);
	dp_srtp_ctx_free(rx);
	return ok;
}

Test(dataplane_srtp_engine, late_entry_takes_roc_from_trailer)
{
	unsigned int bes[DP_SRTP_BACKEND_COUNT], nbe = tl_backends(bes), b, first;

	for (b = 0; b < nbe; b++) {
		cr_assert_eq(late_join(bes[b], 1, &first), 4000, "%s: RCCm3 R=1",
			     dp_srtp_backend_name(bes[b]));
		cr_assert_eq(first, 26000);
		/* R = 4: the first packet with a trailer (SEQ mod 4 == 0) brings it in. */
		cr_assert_eq(late_join(bes[b], 4, &first), 4000 - (first - 26000));
		cr_assert_lt(first, 26004);
		cr_assert_eq(late_join(bes[b], 0, &first), 0, "%s: without the trailer",
			     dp_srtp_backend_name(bes[b]));
	}
}

Test(dataplane_srtp_engine, replay_dropped)
{
	unsigned int bes[DP_SRTP_BACKEND_COUNT], nbe = tl_backends(bes), b, proto;

	for (b = 0; b < nbe; b++)
		for (proto = 0; proto < 2; proto++) {
			struct dp_srtp_params p = tl_params(DP_SRTP_AEAD_AES_128_GCM, proto,
							    DP_SRTP_DIR_PROTECT, 4, SSRC, 0, 3);
			struct dp_srtp_ctx *tx = tl_ctx(bes[b], &p), *rx;
			uint8_t first[BUFSZ], buf[BUFSZ];
			uint32_t flen = 0, len;
			unsigned int i;

			p.dir = DP_SRTP_DIR_UNPROTECT;
			rx = tl_ctx(bes[b], &p);
			for (i = 0; i < 300; i++) {
				len = proto == DP_SRTP_PROTO_RTP
					      ? tl_rtp(buf, SSRC, (uint16_t)(5 + i), 0, -1, 0, 10)
					      : tl_rtcp_app(buf, SSRC, 1, 2, i);
				cr_assert_eq(dp_srtp_process(tx, buf, &len, BUFSZ), DP_V_FWD);
				if (i == 0) {
					memcpy(first, buf, len);
					flen = len;
				}
				cr_assert_eq(dp_srtp_process(rx, buf, &len, BUFSZ), DP_V_FWD);
				if (i == 10) {
					/* again, at once */
					uint32_t l2 = flen;

					memcpy(buf, first, flen);
					cr_assert_eq(dp_srtp_process(rx, buf, &l2, BUFSZ),
						     DP_V_DROP_REPLAY);
				}
			}
			/* the first packet again, now far behind the window */
			len = flen;
			cr_assert_eq(dp_srtp_process(rx, first, &len, BUFSZ), DP_V_DROP_REPLAY);
			dp_srtp_ctx_free(tx);
			dp_srtp_ctx_free(rx);
		}
}

/*
 * What a flip of bit |bit| in octet |i| may give: the table docs/srtp-engine.md
 * documents. Returns a mask of acceptable verdicts.
 */
static unsigned int
expected_flip(unsigned int proto, uint32_t i, unsigned int bit, uint32_t mki_at,
	      uint32_t mki_len, uint32_t roc_at)
{
	if (i == 0 && bit >= 6)
		return 1u << DP_V_DROP_MALFORMED;	/* version */
	if (proto == DP_SRTP_PROTO_RTP && i >= 8 && i < 12)
		return 1u << DP_V_DROP_NOCTX;		/* SSRC */
	if (proto == DP_SRTP_PROTO_RTCP && i >= 4 && i < 8)
		return 1u << DP_V_DROP_NOCTX;
	if (i >= mki_at && i < mki_at + mki_len)
		return 1u << DP_V_DROP_NOCTX;		/* MKI: no such key */
	if (proto == DP_SRTP_PROTO_RTP && (i == 2 || i == 3 || i >= roc_at))
		/* SEQ or trailer ROC: another index, which may land behind the window */
		return 1u << DP_V_DROP_AUTH | 1u << DP_V_DROP_REPLAY;
	return 1u << DP_V_DROP_AUTH;	/* all else, E|index included */
}

static void
flips(unsigned int be, unsigned int profile, unsigned int proto, unsigned int mki_len,
      uint16_t rcc_r)
{
	struct dp_srtp_params p = tl_params(profile, proto, DP_SRTP_DIR_PROTECT, mki_len, SSRC,
					    rcc_r, 4);
	struct dp_srtp_ctx *tx, *rx;
	uint8_t wire[BUFSZ], buf[BUFSZ];
	uint32_t wlen, i, len, mki_at;
	unsigned int bit;

	/* A ROC no single-bit flip turns into 0 (a zero trailer means "estimate"). */
	p.roc = proto == DP_SRTP_PROTO_RTP ? 0x80000003u : 0;
	tx = tl_ctx(be, &p);
	p.dir = DP_SRTP_DIR_UNPROTECT;
	rx = tl_ctx(be, &p);
	/* Cross a wrap first, so the receiver's ROC has moved on its own. */
	for (i = 0; i < 3; i++) {
		wlen = proto == DP_SRTP_PROTO_RTP ? send_rtp(tx, wire, (uint16_t)(65534 + i), 24) : 0;
		if (wlen != 0) {
			len = wlen;
			cr_assert_eq(dp_srtp_process(rx, wire, &len, BUFSZ), DP_V_FWD);
		}
	}
	if (proto == DP_SRTP_PROTO_RTP) {
		wlen = send_rtp(tx, wire, 7, 24);
	} else {
		wlen = tl_rtcp_app(wire, SSRC, 3, 4, 9);
		cr_assert_eq(dp_srtp_process(tx, wire, &wlen, BUFSZ), DP_V_FWD);
	}
	mki_at = mki_len ? (uint32_t)dp_srtp_mki_offset(profile, proto, mki_len, rcc_r, wire, wlen)
			 : wlen;
	for (i = 0; i < wlen; i++)
		for (bit = 0; bit < 8; bit++) {
			unsigned int v, want;

			if (proto == DP_SRTP_PROTO_RTP && i == 0 && (bit == 4 || bit < 4))
				continue;	/* X and CC change the header: below */
			memcpy(buf, wire, wlen);
			buf[i] ^= (uint8_t)(1u << bit);
			len = wlen;
			v = dp_srtp_process(rx, buf, &len, BUFSZ);
			want = expected_flip(proto, i, bit, mki_at, mki_len, rcc_r ? wlen - 4 : wlen);
			cr_assert(want & (1u << v), "%s %s %s mki %u rcc %u: octet %u bit %u gave %s",
				  dp_srtp_backend_name(be), dp_srtp_profile_info(profile)->name,
				  proto ? "RTCP" : "RTP", mki_len, rcc_r, i, bit, dp_verdict_name(v));
			cr_assert_eq(len, 0);
		}
	/* X and CC flips: never accepted, whatever they make of the header. */
	if (proto == DP_SRTP_PROTO_RTP)
		for (bit = 0; bit <= 4; bit++) {
			memcpy(buf, wire, wlen);
			buf[0] ^= (uint8_t)(1u << bit);
			len = wlen;
			cr_assert_neq(dp_srtp_process(rx, buf, &len, BUFSZ), DP_V_FWD);
		}
	/* The untouched packet still goes through: no failure changed any state. */
	len = wlen;
	cr_assert_eq(dp_srtp_process(rx, wire, &len, BUFSZ), DP_V_FWD);
	dp_srtp_ctx_free(tx);
	dp_srtp_ctx_free(rx);
}

Test(dataplane_srtp_engine, every_single_bit_flip_fails)
{
	unsigned int bes[DP_SRTP_BACKEND_COUNT], nbe = tl_backends(bes), b, prof, m, proto;

	for (b = 0; b < nbe; b++)
		for (prof = 0; prof < DP_SRTP_PROFILE_COUNT; prof++)
			for (m = 0; m < 3; m++)
				for (proto = 0; proto < 2; proto++) {
					flips(bes[b], prof, proto, mki_lens[m], 0);
					if (dp_srtp_profile_info(prof)->aead && proto == 0)
						flips(bes[b], prof, proto, mki_lens[m], 1);
				}
}

Test(dataplane_srtp_engine, truncated_packets_get_a_verdict)
{
	unsigned int bes[DP_SRTP_BACKEND_COUNT], nbe = tl_backends(bes), b, prof, proto;

	for (b = 0; b < nbe; b++)
		for (prof = 0; prof < DP_SRTP_PROFILE_COUNT; prof++)
			for (proto = 0; proto < 2; proto++) {
				uint16_t r = dp_srtp_profile_info(prof)->aead && !proto ? 1 : 0;
				struct dp_srtp_params p = tl_params(prof, proto, DP_SRTP_DIR_PROTECT,
								    8, SSRC, r, 5);
				struct dp_srtp_ctx *tx = tl_ctx(bes[b], &p), *rx;
				uint8_t wire[BUFSZ], buf[BUFSZ];
				uint32_t wlen, cut, len;

				p.dir = DP_SRTP_DIR_UNPROTECT;
				rx = tl_ctx(bes[b], &p);
				wlen = proto ? tl_rtcp_app(wire, SSRC, 0, 3, 1)
					     : tl_rtp(wire, SSRC, 9, 2, 1, 0, 30);
				cr_assert_eq(dp_srtp_process(tx, wire, &wlen, BUFSZ), DP_V_FWD);
				for (cut = 0; cut < wlen; cut++) {
					unsigned int v;

					memcpy(buf, wire, cut);
					len = cut;
					v = dp_srtp_process(rx, buf, &len, cut);
					cr_assert(v == DP_V_DROP_SHORT || v == DP_V_DROP_AUTH ||
						  v == DP_V_DROP_NOCTX,
						  "cut at %u of %u: %s", cut, wlen, dp_verdict_name(v));
					cr_assert_eq(len, 0);
				}
				dp_srtp_ctx_free(tx);
				dp_srtp_ctx_free(rx);
			}
}

Test(dataplane_srtp_engine, protect_needs_room_for_the_trailer)
{
	unsigned int bes[DP_SRTP_BACKEND_COUNT], nbe = tl_backends(bes), b;

	for (b = 0; b < nbe; b++) {
		struct dp_srtp_params p = tl_params(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTP,
						    DP_SRTP_DIR_PROTECT, 8, SSRC, 1, 6);
		struct dp_srtp_ctx *tx = tl_ctx(bes[b], &p);
		uint8_t buf[BUFSZ];
		uint32_t plen = tl_rtp(buf, SSRC, 1, 0, -1, 0, 60), len = plen;

		cr_assert_eq(dp_srtp_ctx_overhead(tx), 28);	/* 16 + 8 + 4: DESIGN.md */
		cr_assert_eq(dp_srtp_process(tx, buf, &len, plen + 27), DP_V_DROP_NOROOM);
		cr_assert_eq(len, 0);
		len = tl_rtp(buf, SSRC, 2, 0, -1, 0, 60);
		cr_assert_eq(dp_srtp_process(tx, buf, &len, plen + 28), DP_V_FWD);
		cr_assert_eq(len, plen + 28);
		dp_srtp_ctx_free(tx);
	}
}

Test(dataplane_srtp_engine, foreign_ssrc_and_bad_version)
{
	unsigned int bes[DP_SRTP_BACKEND_COUNT], nbe = tl_backends(bes), b;

	for (b = 0; b < nbe; b++) {
		struct dp_srtp_params p = tl_params(DP_SRTP_AES_CM_128_HMAC_SHA1_80,
						    DP_SRTP_PROTO_RTP, DP_SRTP_DIR_PROTECT, 0,
						    SSRC, 0, 7);
		struct dp_srtp_ctx *tx = tl_ctx(bes[b], &p);
		uint8_t buf[BUFSZ];
		uint32_t len = tl_rtp(buf, SSRC + 1, 1, 0, -1, 0, 10);

		cr_assert_eq(dp_srtp_process(tx, buf, &len, BUFSZ), DP_V_DROP_NOCTX);
		len = tl_rtp(buf, SSRC, 1, 0, -1, 0, 10);
		buf[0] &= 0x3f;
		cr_assert_eq(dp_srtp_process(tx, buf, &len, BUFSZ), DP_V_DROP_MALFORMED);
		dp_srtp_ctx_free(tx);
	}
}

Test(dataplane_srtp_engine, parameter_errors)
{
	struct dp_srtp_params p;
	struct dp_srtp_ctx *c = (struct dp_srtp_ctx *)1;

	p = tl_params(DP_SRTP_AES_CM_128_HMAC_SHA1_80, DP_SRTP_PROTO_RTP, 0, 0, SSRC, 1, 0);
	cr_assert_eq(dp_srtp_ctx_new(&c, DP_SRTP_BACKEND_LIBSRTP, &p), -DP_E_RCC);
	cr_assert_null(c);
	p = tl_params(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTCP, 0, 0, SSRC, 1, 0);
	cr_assert_eq(dp_srtp_ctx_new(&c, DP_SRTP_BACKEND_LIBSRTP, &p), -DP_E_RCC);
	p = tl_params(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTP, 0, 5, SSRC, 0, 0);
	cr_assert_eq(dp_srtp_ctx_new(&c, DP_SRTP_BACKEND_LIBSRTP, &p), -DP_E_MKILEN);
	p = tl_params(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTP, 0, 0, SSRC, 0, 0);
	p.replay_window = 32;
	cr_assert_eq(dp_srtp_ctx_new(&c, DP_SRTP_BACKEND_LIBSRTP, &p), -DP_E_WINDOW);
	p.replay_window = 1024;
	cr_assert_eq(dp_srtp_ctx_new(&c, DP_SRTP_BACKEND_LIBSRTP, &p), 0);
	dp_srtp_ctx_free(c);
	p = tl_params(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTCP, 0, 0, SSRC, 0, 0);
	p.replay_window = 64;
	cr_assert_eq(dp_srtp_ctx_new(&c, DP_SRTP_BACKEND_LIBSRTP, &p), -DP_E_WINDOW);
	p = tl_params(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTP, 1, 0, SSRC, 0, 0);
	p.seq_set = true;
	cr_assert_eq(dp_srtp_ctx_new(&c, DP_SRTP_BACKEND_LIBSRTP, &p), -DP_E_UNSUPPORTED);
	p.seq_set = false;
	p.profile = 9;
	cr_assert_eq(dp_srtp_ctx_new(&c, DP_SRTP_BACKEND_LIBSRTP, &p), -DP_E_PROFILE);
	cr_assert_eq(dp_srtp_profile_from_name("AEAD_AES_128_GCM"), DP_SRTP_AEAD_AES_128_GCM);
	cr_assert_eq(dp_srtp_profile_from_name("NULL_HMAC"), -DP_E_PROFILE);
	cr_assert_str_eq(dp_verdict_name(DP_V_DROP_AUTH), "drop_auth");
}

/* A burst mixing contexts, directions and bad packets: each gets its own verdict. */
Test(dataplane_srtp_engine, mixed_burst)
{
	unsigned int bes[DP_SRTP_BACKEND_COUNT], nbe = tl_backends(bes), b, i;

	for (b = 0; b < nbe; b++) {
		struct dp_srtp_ctx *tx[4], *rx[4];
		struct dp_srtp_pkt pk[32];
		static uint8_t bufs[32][BUFSZ];
		uint32_t plens[32];

		for (i = 0; i < 4; i++) {
			struct dp_srtp_params p = tl_params(i, DP_SRTP_PROTO_RTP, 0, 4,
							    SSRC + i, 0, 10 + i);

			tx[i] = tl_ctx(bes[b], &p);
			p.dir = DP_SRTP_DIR_UNPROTECT;
			rx[i] = tl_ctx(bes[b], &p);
		}
		for (i = 0; i < 32; i++) {
			plens[i] = tl_rtp(bufs[i], SSRC + i % 4, (uint16_t)(100 + i), 0, -1, 0, i);
			pk[i] = (struct dp_srtp_pkt){.ctx = tx[i % 4], .data = bufs[i],
						     .len = plens[i], .room = BUFSZ};
		}
		dp_srtp_burst(pk, 32);
		for (i = 0; i < 32; i++) {
			cr_assert_eq(pk[i].verdict, DP_V_FWD);
			pk[i].ctx = rx[i % 4];
			if (i % 7 == 3)
				bufs[i][12] ^= 1;	/* payload */
		}
		dp_srtp_burst(pk, 32);
		for (i = 0; i < 32; i++) {
			if (i % 7 == 3) {
				cr_assert_eq(pk[i].verdict, DP_V_DROP_AUTH);
				continue;
			}
			cr_assert_eq(pk[i].verdict, DP_V_FWD);
			cr_assert_eq(pk[i].len, plens[i]);
		}
		for (i = 0; i < 4; i++) {
			dp_srtp_ctx_free(tx[i]);
			dp_srtp_ctx_free(rx[i]);
		}
	}
}

/*
 * The trailer is outside the AEAD: a trailer zeroed in transit leaves the ROC
 * to estimation (libsrtp has no way to pin ROC 0), and the packet, being
 * authentic, is accepted; any other change makes the nonce wrong: auth-fail.
 */
Test(dataplane_srtp_engine, roc_trailer_changes)
{
	unsigned int bes[DP_SRTP_BACKEND_COUNT], nbe = tl_backends(bes), b;

	for (b = 0; b < nbe; b++) {
		struct dp_srtp_params p = tl_params(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTP,
						    DP_SRTP_DIR_PROTECT, 8, SSRC, 1, 11);
		struct dp_srtp_ctx *tx, *rx;
		uint8_t buf[BUFSZ];
		uint32_t len;

		p.roc = 2;
		tx = tl_ctx(bes[b], &p);
		p.dir = DP_SRTP_DIR_UNPROTECT;
		rx = tl_ctx(bes[b], &p);
		len = send_rtp(tx, buf, 100, 20);
		cr_assert_arr_eq(buf + len - 4, ((uint8_t[]){0, 0, 0, 2}), 4);
		buf[len - 1] = 3;	/* a ROC ahead */
		cr_assert_eq(dp_srtp_process(rx, buf, &len, BUFSZ), DP_V_DROP_AUTH);
		len = send_rtp(tx, buf, 101, 20);
		buf[len - 1] = 0;	/* zeroed: estimated, and the estimate is right */
		cr_assert_eq(dp_srtp_process(rx, buf, &len, BUFSZ), DP_V_FWD);
		cr_assert_eq(dp_srtp_ctx_roc(rx), 2);
		len = send_rtp(tx, buf, 102, 20);
		buf[len - 4] = 0x80;	/* far away */
		cr_assert_eq(dp_srtp_process(rx, buf, &len, BUFSZ), DP_V_DROP_AUTH);
		len = send_rtp(tx, buf, 103, 20);	/* and the stream goes on */
		cr_assert_eq(dp_srtp_process(rx, buf, &len, BUFSZ), DP_V_FWD);
		dp_srtp_ctx_free(tx);
		dp_srtp_ctx_free(rx);
	}
}

/*
 * pkt.index on protect, every backend: across a SEQ wrap (ROC 0 -> 1), a late
 * packet from before the wrap (ROC 0 again), an initial ROC, and in a burst.
 */
static const struct {
	uint16_t seq;
	uint64_t index;
} index_steps[] = {
	/* 1 */ {65530, 65530},
	/* 2 */ {65535, 65535},
	/* 3 */ {0, 0x10000},		/* the wrap: ROC 1 */
	/* 4 */ {3, 0x10003},
	/* 5 */ {65531, 65531},		/* late, from before the wrap: ROC 0 */
	/* 6 */ {4, 0x10004},
	/* 7 */ {30000, 0x17530},	/* jumps of under 2^15 within ROC 1 */
	/* 8 */ {60000, 0x1ea60},
	/* 9 */ {2, 0x20002},		/* and the next wrap */
};

Test(dataplane_srtp_engine, protect_reports_the_index_used)
{
	unsigned int bes[DP_SRTP_BACKEND_COUNT], nbe = tl_backends(bes), b, i, prof, rcc;

	for (b = 0; b < nbe; b++)
		for (prof = 0; prof < DP_SRTP_PROFILE_COUNT; prof++)
			for (rcc = 0; rcc < 2; rcc++) {
				struct dp_srtp_params p;
				struct dp_srtp_ctx *tx;
				uint8_t buf[BUFSZ];

				if (rcc && !dp_srtp_profile_info(prof)->aead)
					continue;
				p = tl_params(prof, DP_SRTP_PROTO_RTP, DP_SRTP_DIR_PROTECT, 4, SSRC,
					      rcc ? 2 : 0, 3);
				tx = tl_ctx(bes[b], &p);
				for (i = 0; i < sizeof(index_steps) / sizeof(index_steps[0]); i++) {
					struct dp_srtp_pkt pk = {.ctx = tx, .data = buf,
								 .room = BUFSZ};

					pk.len = tl_rtp(buf, SSRC, index_steps[i].seq, 0, -1, 0, 20);
					dp_srtp_burst(&pk, 1);
					cr_assert_eq(pk.verdict, DP_V_FWD);
					cr_assert_eq(pk.index, index_steps[i].index,
						     "%s %s rcc %u step %u: %#llx",
						     dp_srtp_backend_name(bes[b]),
						     dp_srtp_profile_info(prof)->name, rcc, i + 1,
						     (unsigned long long)pk.index);
				}
				dp_srtp_ctx_free(tx);
			}
}

Test(dataplane_srtp_engine, protect_index_initial_roc_and_burst)
{
	unsigned int bes[DP_SRTP_BACKEND_COUNT], nbe = tl_backends(bes), b, i;

	for (b = 0; b < nbe; b++) {
		struct dp_srtp_params p = tl_params(DP_SRTP_AEAD_AES_128_GCM, DP_SRTP_PROTO_RTP,
						    DP_SRTP_DIR_PROTECT, 8, SSRC, 0, 4);
		static uint8_t bufs[20][BUFSZ];
		struct dp_srtp_pkt pk[20];
		struct dp_srtp_ctx *tx;

		p.roc = 7;
		tx = tl_ctx(bes[b], &p);
		for (i = 0; i < 20; i++) {
			/* 65526 .. 65535, then 0 .. 9 under ROC 8, in one burst */
			pk[i] = (struct dp_srtp_pkt){.ctx = tx, .data = bufs[i], .room = BUFSZ};
			pk[i].len = tl_rtp(bufs[i], SSRC, (uint16_t)(65526 + i), 0, -1, 0, 30);
		}
		dp_srtp_burst(pk, 20);
		for (i = 0; i < 20; i++) {
			cr_assert_eq(pk[i].verdict, DP_V_FWD);
			cr_assert_eq(pk[i].index, ((uint64_t)(i < 10 ? 7 : 8) << 16) |
							  (uint16_t)(65526 + i),
				     "%s packet %u: %#llx", dp_srtp_backend_name(bes[b]), i,
				     (unsigned long long)pk[i].index);
		}
		dp_srtp_ctx_free(tx);
	}
}

/* SRTCP: the index in the packet's E|index word, from the initial index on. */
Test(dataplane_srtp_engine, protect_reports_the_srtcp_index)
{
	unsigned int bes[DP_SRTP_BACKEND_COUNT], nbe = tl_backends(bes), b, i, prof, m;

	for (b = 0; b < nbe; b++)
		for (prof = 0; prof < DP_SRTP_PROFILE_COUNT; prof++)
			for (m = 0; m < 3; m++) {
				struct dp_srtp_params p;
				struct dp_srtp_ctx *tx, *rx;
				uint8_t buf[BUFSZ];
				uint32_t first;

				p = tl_params(prof, DP_SRTP_PROTO_RTCP, DP_SRTP_DIR_PROTECT,
					      mki_lens[m], SSRC, 0, 5);
				/* libsrtp starts at 1 and nowhere else */
				first = bes[b] == DP_SRTP_BACKEND_NATIVE ? 0x7ffffff0u : 1;
				p.srtcp_index = first;
				tx = tl_ctx(bes[b], &p);
				p.dir = DP_SRTP_DIR_UNPROTECT;
				rx = tl_ctx(bes[b], &p);
				for (i = 0; i < 12; i++) {
					struct dp_srtp_pkt pk = {.ctx = tx, .data = buf,
								 .room = BUFSZ};

					pk.len = tl_rtcp_app(buf, SSRC, 1, i % 5, i);
					dp_srtp_burst(&pk, 1);
					cr_assert_eq(pk.verdict, DP_V_FWD);
					cr_assert_eq(pk.index, (uint64_t)first + i,
						     "%s %s mki %u packet %u: %#llx",
						     dp_srtp_backend_name(bes[b]),
						     dp_srtp_profile_info(prof)->name, mki_lens[m],
						     i, (unsigned long long)pk.index);
					cr_assert_eq(dp_srtp_process(rx, buf, &pk.len, BUFSZ),
						     DP_V_FWD);
				}
				dp_srtp_ctx_free(tx);
				dp_srtp_ctx_free(rx);
			}
}
