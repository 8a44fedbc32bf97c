/* SPDX-License-Identifier: proprietary */
/*
 * Known-answer packets through the engine, from master key to wire octets,
 * on every backend: the libsrtp packets of RFC 3711 (with and without MKI)
 * and of RFC 7714 (AEAD_AES_128_GCM with a 96-bit salt). Vectors are data:
 * tests/vectors/srtp-rfc3711.json and srtp-gcm-rfc7714.json.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "srtp_testlib.h"
#include "tvec.h"

TestSuite(dataplane_srtp_vectors, .init = tl_engine_init);

struct kat {
	const char *file, *name;
	unsigned int profile;
	const char *salt_field;
	const char *mki_field;	/* NULL: no MKI */
};

static void
params_from(json_t *v, const struct kat *k, unsigned int proto, unsigned int dir,
	    struct dp_srtp_params *p)
{
	const struct dp_srtp_profile_info *pi = dp_srtp_profile_info(k->profile);

	memset(p, 0, sizeof(*p));
	p->profile = k->profile;
	p->proto = proto;
	p->dir = dir;
	p->ssrc = (uint32_t)tvec_uint(v, "ssrc_u32");
	p->roc = (uint32_t)tvec_uint(v, "roc_u32");
	tvec_hex_into(v, "master_key", p->master_key, pi->key_len);
	tvec_hex_into(v, k->salt_field, p->master_salt, pi->salt_len);
	if (k->mki_field != NULL) {
		tvec_hex_into(v, k->mki_field, p->mki, 4);
		p->mki_len = 4;
	}
}

static void
check_one(unsigned int be, json_t *v, const struct kat *k, unsigned int proto,
	  const char *plain_field, const char *wire_field)
{
	struct dp_srtp_params p;
	struct dp_srtp_ctx *tx, *rx;
	uint8_t buf[512];
	size_t plen, wlen;
	uint8_t *plain = tvec_hex(v, plain_field, &plen);
	uint8_t *wire = tvec_hex(v, wire_field, &wlen);
	uint32_t len;

	params_from(v, k, proto, DP_SRTP_DIR_PROTECT, &p);
	tx = tl_ctx(be, &p);
	p.dir = DP_SRTP_DIR_UNPROTECT;
	rx = tl_ctx(be, &p);

	memcpy(buf, plain, plen);
	len = (uint32_t)plen;
	cr_assert_eq(dp_srtp_process(tx, buf, &len, sizeof(buf)), DP_V_FWD, "%s %s protect",
		     dp_srtp_backend_name(be), k->name);
	cr_assert_eq(len, wlen, "%s %s %s: length %u, expected %zu", dp_srtp_backend_name(be),
		     k->name, wire_field, len, wlen);
	cr_assert_arr_eq(buf, wire, wlen, "%s %s %s: octets differ", dp_srtp_backend_name(be),
			 k->name, wire_field);

	memcpy(buf, wire, wlen);
	len = (uint32_t)wlen;
	cr_assert_eq(dp_srtp_process(rx, buf, &len, sizeof(buf)), DP_V_FWD, "%s %s unprotect",
		     dp_srtp_backend_name(be), k->name);
	cr_assert_eq(len, plen);
	cr_assert_arr_eq(buf, plain, plen);

	dp_srtp_ctx_free(tx);
	dp_srtp_ctx_free(rx);
	free(plain);
	free(wire);
}

static const struct kat kats[] = {
	{"srtp-rfc3711.json", "libsrtp-aes-cm-128-hmac-sha1-80-no-mki",
	 DP_SRTP_AES_CM_128_HMAC_SHA1_80, "master_salt_14_octets", NULL},
	{"srtp-rfc3711.json", "libsrtp-aes-cm-128-hmac-sha1-80-with-mki",
	 DP_SRTP_AES_CM_128_HMAC_SHA1_80, "master_salt_14_octets", "mki_4_octets"},
	{"srtp-gcm-rfc7714.json", "libsrtp-aead-aes-128-gcm-master-key-to-packet",
	 DP_SRTP_AEAD_AES_128_GCM, "master_salt_12_octets", NULL},
};

Test(dataplane_srtp_vectors, master_key_to_packet)
{
	unsigned int bes[DP_SRTP_BACKEND_COUNT], nbe = tl_backends(bes), b, i;

	for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		json_t *root = tvec_load(kats[i].file);
		json_t *v = tvec_find(root, kats[i].name);

		for (b = 0; b < nbe; b++) {
			check_one(bes[b], v, &kats[i], DP_SRTP_PROTO_RTP, "rtp_packet_plaintext",
				  "srtp_packet");
			check_one(bes[b], v, &kats[i], DP_SRTP_PROTO_RTCP,
				  "rtcp_packet_plaintext", "srtcp_packet");
		}
		json_decref(root);
	}
}

/* The vector's SRTCP index is libsrtp's first (1), read from the packet itself. */
Test(dataplane_srtp_vectors, srtcp_index_on_the_wire)
{
	json_t *root = tvec_load("srtp-rfc3711.json");
	json_t *v = tvec_find(root, "libsrtp-aes-cm-128-hmac-sha1-80-no-mki");

	cr_assert_eq(tvec_uint(v, "srtcp_e_and_index_u32"), 0x80000001u);
	json_decref(root);
}
