/* SPDX-License-Identifier: proprietary */
/*
 * The MIKEY-SAKKE I_MESSAGE codec (keys/mikey/mikey_msg.c), the SRTP profile
 * resolution and the E.6 Key Parameters content: round trips of every
 * payload, and a rejection table where each malformed message must fail with
 * -KEYS_E_PARSE and its exact reason. Test-side payload surgery uses an
 * independent walker (sizes from RFC 3830 / 6043 / 6509 as the digest gives
 * them), so the decoder is not checked against itself. Last, tshark must
 * decode an emitted PCK message payload by payload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "keys_keyid.h"
#include "mikey_dump.h"
#include "mikey_keyparams.h"
#include "mikey_msg.h"
#include "mikey_profile.h"
#include "mikey_samples.h"
#include "pcap_write.h"

TestSuite(keys_mikey_codec);

#define BUF 2048

/*
 * Round trips
 */

static void
expect_bytes(const struct mikey_bytes *a, const struct mikey_bytes *b, const char *what)
{
	cr_assert_eq(a->len, b->len, "%s length", what);
	cr_assert(a->len == 0 || memcmp(a->p, b->p, a->len) == 0, "%s content", what);
}

static void
expect_same(const struct mikey_msg *a, const struct mikey_msg *b)
{
	unsigned int i, j;

	cr_assert_eq(a->hdr.version, b->hdr.version);
	cr_assert_eq(a->hdr.data_type, b->hdr.data_type);
	cr_assert_eq(a->hdr.v, b->hdr.v);
	cr_assert_eq(a->hdr.prf, b->hdr.prf);
	cr_assert_eq(a->hdr.csb_id, b->hdr.csb_id);
	cr_assert_eq(a->hdr.n_cs, b->hdr.n_cs);
	cr_assert_eq(a->hdr.map_type, b->hdr.map_type);
	for (i = 0; i < a->hdr.n_cs; i++) {
		const struct mikey_cs *x = &a->hdr.cs[i], *y = &b->hdr.cs[i];

		cr_assert_eq(x->cs_id, y->cs_id);
		cr_assert_eq(x->prot_type, y->prot_type);
		cr_assert_eq(x->s, y->s);
		cr_assert_eq(x->n_pol, y->n_pol);
		cr_assert_arr_eq(x->pol, y->pol, x->n_pol);
		cr_assert_eq(x->sd_len, y->sd_len);
		cr_assert_eq(x->ssrc, y->ssrc);
		cr_assert_eq(x->roc, y->roc);
		cr_assert_eq(x->seq, y->seq);
		cr_assert_eq(x->spi_len, y->spi_len);
		cr_assert_arr_eq(x->spi, y->spi, x->spi_len);
	}
	cr_assert_eq(a->ts_type, b->ts_type);
	cr_assert_eq(a->ts, b->ts);
	expect_bytes(&a->rand, &b->rand, "RAND");
	for (i = 0; i < MIKEY_IDR_N; i++) {
		cr_assert_eq(a->idr[i].role, b->idr[i].role);
		cr_assert_eq(a->idr[i].type, b->idr[i].type);
		expect_bytes(&a->idr[i].id, &b->idr[i].id, "IDR");
	}
	cr_assert_eq(a->n_sp, b->n_sp);
	for (i = 0; i < a->n_sp; i++) {
		cr_assert_eq(a->sp[i].policy_no, b->sp[i].policy_no);
		cr_assert_eq(a->sp[i].prot_type, b->sp[i].prot_type);
		cr_assert_eq(a->sp[i].n_params, b->sp[i].n_params);
		for (j = 0; j < a->sp[i].n_params; j++) {
			cr_assert_eq(a->sp[i].params[j].type, b->sp[i].params[j].type);
			cr_assert_eq(a->sp[i].params[j].len, b->sp[i].params[j].len);
			cr_assert_arr_eq(a->sp[i].params[j].val, b->sp[i].params[j].val,
					 a->sp[i].params[j].len);
		}
	}
	cr_assert_eq(a->sakke.params, b->sakke.params);
	cr_assert_eq(a->sakke.id_scheme, b->sakke.id_scheme);
	expect_bytes(&a->sakke.data, &b->sakke.data, "SAKKE");
	cr_assert_eq(a->has_self, b->has_self);
	if (a->has_self) {
		cr_assert_eq(a->self.params, b->self.params);
		cr_assert_eq(a->self.id_scheme, b->self.id_scheme);
		expect_bytes(&a->self.data, &b->self.data, "SAKKE-to-self");
	}
	cr_assert_eq(a->has_kp, b->has_kp);
	if (a->has_kp)
		expect_bytes(&a->kp, &b->kp, "key parameters");
	cr_assert_eq(a->sign_type, b->sign_type);
	expect_bytes(&a->sig, &b->sig, "signature");
}

Test(keys_mikey_codec, round_trip_every_kind)
{
	static struct mikey_sample s;
	uint8_t buf[BUF], again[BUF];
	struct mikey_msg d;
	enum mikey_reject why;
	size_t len, len2;
	unsigned int k;

	for (k = 0; k < SAMPLE_N; k++) {
		mikey_sample_build(&s, k);
		len = mikey_sample_encode(&s, buf, sizeof(buf));
		cr_assert_eq(mikey_msg_decode(&d, buf, len, &why), 0, "%s: %s",
			     mikey_sample_names[k], mikey_reject_name(why));
		cr_assert_eq(why, MIKEY_REJECT_NONE);
		expect_same(&s.m, &d);
		cr_assert_eq(d.wire, buf);
		cr_assert_eq(d.wire_len, len);
		cr_assert_eq(d.sign_off, len - 2 - MIKEY_SIGN_ECCSI_LEN);
		cr_assert_eq(mikey_msg_encode(&d, again, sizeof(again), &len2, NULL), 0);
		cr_assert_eq(len2, len);
		cr_assert_arr_eq(again, buf, len, "%s: re-encoding differs", mikey_sample_names[k]);
	}
}

/* The wire layout of the header and of the PCK sample, octet by octet. */
Test(keys_mikey_codec, pck_header_layout)
{
	static struct mikey_sample s;
	uint8_t buf[BUF];
	size_t len;

	mikey_sample_build(&s, SAMPLE_PCK);
	len = mikey_sample_encode(&s, buf, sizeof(buf));
	/* version 1, data type 26, next T, V 0 | PRF 1, CSB ID, #CS 0, empty map */
	const uint8_t hdr[] = { 1, 26, 5, 1, 0x16, 0x99, 0x26, 0x38, 0, 1 };
	cr_assert_arr_eq(buf, hdr, sizeof(hdr));
	cr_assert_eq(buf[10], 11, "T is followed by RAND");
	cr_assert_eq(buf[11], 0, "NTP-UTC");
	cr_assert_eq(buf[20], 14, "RAND is followed by IDR");
	cr_assert_eq(buf[21], 16, "RAND len");
	/* SIGN: 0x20 0x81 then 129 octets, last */
	cr_assert_eq(buf[len - 131], 0x20);
	cr_assert_eq(buf[len - 130], 0x81);
}

/* Encoding with no signature writes zeros, for signing afterwards. */
Test(keys_mikey_codec, encode_unsigned_and_capacity)
{
	static struct mikey_sample s;
	static const uint8_t zero[MIKEY_SIGN_ECCSI_LEN];
	uint8_t buf[BUF];
	enum mikey_reject why;
	size_t len, full, cap;

	mikey_sample_build(&s, SAMPLE_GMK);
	full = mikey_sample_encode(&s, buf, sizeof(buf));
	s.m.sig.p = NULL;
	cr_assert_eq(mikey_msg_encode(&s.m, buf, sizeof(buf), &len, NULL), 0);
	cr_assert_eq(len, full);
	cr_assert_arr_eq(buf + len - sizeof(zero), zero, sizeof(zero));
	for (cap = 0; cap < full; cap++) {
		cr_assert_eq(mikey_msg_encode(&s.m, buf, cap, &len, &why), -KEYS_E_ARG);
		cr_assert_eq(why, MIKEY_REJECT_TRUNCATED, "cap %zu", cap);
	}
}

/* The encoder refuses models the decoder would refuse. */
Test(keys_mikey_codec, encoder_refuses_bad_models)
{
	static struct mikey_sample s;
	uint8_t buf[BUF];
	enum mikey_reject why;
	size_t len;

	mikey_sample_build(&s, SAMPLE_PCK);
	s.m.hdr.n_cs = 1;			/* #CS 1 with the empty map */
	cr_assert_eq(mikey_msg_encode(&s.m, buf, sizeof(buf), &len, &why), -KEYS_E_ARG);
	cr_assert_eq(why, MIKEY_REJECT_BAD_CS_MAP);
	mikey_sample_build(&s, SAMPLE_PCK);
	s.m.rand.len = 15;
	cr_assert_eq(mikey_msg_encode(&s.m, buf, sizeof(buf), &len, &why), -KEYS_E_ARG);
	cr_assert_eq(why, MIKEY_REJECT_BAD_RAND);
	mikey_sample_build(&s, SAMPLE_PCK);
	s.m.idr[MIKEY_IDR_R] = s.m.idr[MIKEY_IDR_I];	/* IDRi in the IDRr slot */
	cr_assert_eq(mikey_msg_encode(&s.m, buf, sizeof(buf), &len, &why), -KEYS_E_ARG);
	cr_assert_eq(why, MIKEY_REJECT_OUT_OF_ORDER);
	mikey_sample_build(&s, SAMPLE_PCK);
	s.m.sakke.data.len = 272;
	cr_assert_eq(mikey_msg_encode(&s.m, buf, sizeof(buf), &len, &why), -KEYS_E_ARG);
	cr_assert_eq(why, MIKEY_REJECT_BAD_SAKKE);
	cr_assert_eq(mikey_msg_encode(NULL, buf, sizeof(buf), &len, &why), -KEYS_E_ARG);
}

/*
 * Payload surgery: an independent walker over the wire form.
 */

#define PL_HDR 0xff
#define PL_MAX 24

struct pl {
	uint8_t type;
	uint8_t b[600];
	size_t len;
};

struct plist {
	struct pl p[PL_MAX];
	unsigned int n;
};

static unsigned int
be16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static size_t
hdr_len(const uint8_t *b)
{
	size_t off = 10;
	unsigned int i;

	for (i = 0; i < b[8]; i++) {
		off += 3 + (b[off + 2] & 0x7f);
		off += 2 + be16(b + off);
		off += 1 + b[off];
	}
	return off;
}

static size_t
payload_len(uint8_t type, const uint8_t *b)
{
	switch (type) {
	case 5: return 10;
	case 11: return 2u + b[1];
	case 14: case 10: case 26: return 5u + be16(b + 3);
	case 21: return 4u + be16(b + 2);
	case 4: return 2u + (be16(b) & 0xfff);
	default: cr_assert_fail("walker: type %u", type); return 0;
	}
}

static void
split(struct plist *l, const uint8_t *b, size_t n)
{
	size_t off = 0, len;
	uint8_t type = PL_HDR, next;

	l->n = 0;
	while (off < n) {
		len = type == PL_HDR ? hdr_len(b) : payload_len(type, b + off);
		next = type == PL_HDR ? b[2] : b[off];
		cr_assert_leq(len, sizeof(l->p[0].b));
		l->p[l->n].type = type;
		memcpy(l->p[l->n].b, b + off, len);
		l->p[l->n].len = len;
		l->n++;
		off += len;
		type = next;
	}
	cr_assert_eq(off, n);
	cr_assert_eq(l->p[l->n - 1].type, 4);
}

/* Join, rewriting every next-payload field to name what follows. */
static size_t
join(const struct plist *l, uint8_t *out)
{
	size_t off = 0;
	unsigned int i;

	for (i = 0; i < l->n; i++) {
		uint8_t next = i + 1 < l->n ? l->p[i + 1].type : 0;

		memcpy(out + off, l->p[i].b, l->p[i].len);
		if (l->p[i].type == PL_HDR)
			out[off + 2] = next;
		else if (l->p[i].type != 4)
			out[off] = next;
		off += l->p[i].len;
	}
	return off;
}

static unsigned int
find(const struct plist *l, uint8_t type, unsigned int nth)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (l->p[i].type == type && nth-- == 0)
			return i;
	cr_assert_fail("no payload %u", type);
	return 0;
}

static void
swap(struct plist *l, unsigned int a, unsigned int b)
{
	struct pl t = l->p[a];

	l->p[a] = l->p[b];
	l->p[b] = t;
}

static void
del(struct plist *l, unsigned int i)
{
	memmove(&l->p[i], &l->p[i + 1], (l->n - i - 1) * sizeof(l->p[0]));
	l->n--;
}

static void
dup_at(struct plist *l, unsigned int i)
{
	memmove(&l->p[i + 1], &l->p[i], (l->n - i) * sizeof(l->p[0]));
	l->n++;
}

/* Mutations of the rejection table. Each gets the split sample. */
typedef void (*mutate_fn)(struct plist *l);

#define IDR(l, k) (&(l)->p[find(l, 14, k)])
#define GEXT(l, k) (&(l)->p[find(l, 21, k)])

static void m_swap_t_rand(struct plist *l) { swap(l, find(l, 5, 0), find(l, 11, 0)); }
static void m_swap_idri_idrr(struct plist *l) { swap(l, find(l, 14, 0), find(l, 14, 1)); }
static void m_swap_kms(struct plist *l) { swap(l, find(l, 14, 2), find(l, 14, 3)); }
static void m_sp_after_sakke(struct plist *l) { swap(l, find(l, 10, 0), find(l, 26, 0)); }
static void m_self_before_sakke(struct plist *l) { swap(l, find(l, 26, 0), find(l, 21, 0)); }
static void m_kp_before_self(struct plist *l) { swap(l, find(l, 21, 0), find(l, 21, 1)); }
static void m_rand_after_idr(struct plist *l) { swap(l, find(l, 11, 0), find(l, 14, 0)); }
static void m_dup_t(struct plist *l) { dup_at(l, find(l, 5, 0)); }
static void m_dup_idrr(struct plist *l) { dup_at(l, find(l, 14, 1)); }
static void m_dup_sakke(struct plist *l) { dup_at(l, find(l, 26, 0)); }
static void m_dup_self(struct plist *l) { dup_at(l, find(l, 21, 0)); }
static void m_no_t(struct plist *l) { del(l, find(l, 5, 0)); }
static void m_no_rand(struct plist *l) { del(l, find(l, 11, 0)); }
static void m_no_idri(struct plist *l) { del(l, find(l, 14, 0)); }
static void m_no_idrkmsr(struct plist *l) { del(l, find(l, 14, 3)); }
static void m_no_sakke(struct plist *l) { del(l, find(l, 26, 0)); }
static void m_no_sign(struct plist *l) { del(l, find(l, 4, 0)); }

static void
m_sign_not_last(struct plist *l)
{
	/* SIGN, then a copy of the last GEXT after it */
	l->p[l->n] = l->p[find(l, 21, 0)];
	l->n++;
}

/* Unknown or foreign payload types named by a next-payload field. */
static void m_np_kemac(struct plist *l) { l->p[find(l, 5, 0)].type = 1; }
static void m_np_cert(struct plist *l) { l->p[find(l, 11, 0)].type = 7; }
static void m_np_99(struct plist *l) { l->p[find(l, 26, 0)].type = 99; }
static void m_np_id(struct plist *l) { l->p[find(l, 14, 2)].type = 6; }

/* Field and length changes (joined afterwards, so chains stay right). */
static void m_version(struct plist *l) { l->p[0].b[0] = 2; }
static void m_data_type(struct plist *l) { l->p[0].b[1] = 0; }
static void m_v_flag(struct plist *l) { l->p[0].b[3] |= 0x80; }
static void m_prf(struct plist *l) { l->p[0].b[3] = 0; }
static void m_map_generic_empty(struct plist *l) { l->p[0].b[9] = 2; }
static void m_map_srtp_id(struct plist *l) { l->p[0].b[9] = 0; }
static void m_cs_too_many(struct plist *l) { l->p[0].b[8] = 11; }

static void
m_cs_unknown_policy(struct plist *l)
{
	l->p[0].b[13] = 7;	/* CS 0's policy no → 7; the SP is number 0 */
}

static void m_cs_id_10(struct plist *l) { l->p[0].b[10] = 10; }
static void m_cs_prot(struct plist *l) { l->p[0].b[11] = 1; }
static void m_ts_type(struct plist *l) { l->p[find(l, 5, 0)].b[1] = 1; }
static void m_rand_short(struct plist *l)
{
	struct pl *p = &l->p[find(l, 11, 0)];

	p->b[1] = 15;
	p->len--;
}

static void m_idr_role(struct plist *l) { IDR(l, 0)->b[1] = 3; }
static void m_idr_type(struct plist *l) { IDR(l, 1)->b[2] = 0; }
static void m_idr_nul(struct plist *l) { IDR(l, 1)->b[8] = 0; }

static void
m_idr_empty(struct plist *l)
{
	struct pl *p = IDR(l, 2);

	p->b[3] = p->b[4] = 0;
	p->len = 5;
}

static void
m_uid_31(struct plist *l)
{
	struct pl *p = IDR(l, 1);

	p->b[4] = 31;
	p->len--;
}

static void m_idr_len_over(struct plist *l) { IDR(l, 3)->b[3] = 0xff; }

static void
m_sp_param_overflows(struct plist *l)
{
	struct pl *p = &l->p[find(l, 10, 0)];

	p->b[p->len - 2] = 2;	/* the last parameter claims one octet past the block */
}

static void m_sp_prot(struct plist *l) { l->p[find(l, 10, 0)].b[2] = 1; }

static void
m_sp_dup_param(struct plist *l)
{
	struct pl *p = &l->p[find(l, 10, 0)];

	p->b[8] = p->b[5];	/* second parameter type := first's */
}

static void
m_sp_zero_len_param(struct plist *l)
{
	struct pl *p = &l->p[find(l, 10, 0)];

	/* append type 9 with length 0 */
	p->b[p->len] = 9;
	p->b[p->len + 1] = 0;
	p->len += 2;
	p->b[4] = (uint8_t)(p->b[4] + 2);
}

static void
m_sp_dup_policy(struct plist *l)
{
	dup_at(l, find(l, 10, 0));
}

static void m_sakke_params(struct plist *l) { l->p[find(l, 26, 0)].b[1] = 2; }
static void m_sakke_scheme(struct plist *l) { l->p[find(l, 26, 0)].b[2] = 3; }

static void
m_sakke_272(struct plist *l)
{
	struct pl *p = &l->p[find(l, 26, 0)];

	p->b[4] = 0x10;
	p->len--;
}

static void
m_self_len_long(struct plist *l)
{
	struct pl *p = GEXT(l, 0);

	p->b[3]++;
	p->b[p->len++] = 0;	/* one more octet inside the extension */
}

static void
m_self_len_short(struct plist *l)
{
	struct pl *p = GEXT(l, 0);

	p->b[3]--;
	p->len--;
}

static void
m_self_inner_len(struct plist *l)
{
	struct pl *p = GEXT(l, 0);

	p->b[8] = 0x10;		/* inner SAKKE length 272 inside 278 */
}

static void m_gext_type(struct plist *l) { GEXT(l, 0)->b[1] = 9; }

static void
m_kp_empty(struct plist *l)
{
	struct pl *p = GEXT(l, 1);

	p->b[2] = p->b[3] = 0;
	p->len = 4;
}

static void
m_sign_type(struct plist *l)
{
	uint8_t *b = l->p[l->n - 1].b;

	b[0] = (uint8_t)(0x10 | (b[0] & 0xf));
}

static void
m_sign_128(struct plist *l)
{
	struct pl *p = &l->p[l->n - 1];

	p->b[1] = 0x80;
	p->len--;
}

static void
m_trailing(struct plist *l)
{
	struct pl *p = &l->p[l->n - 1];

	p->b[p->len++] = 0;
}

struct reject_case {
	const char *name;
	enum mikey_sample_kind kind;
	mutate_fn fn;
	enum mikey_reject why;
};

static const struct reject_case cases[] = {
	{ "swap T and RAND", SAMPLE_GMK, m_swap_t_rand, MIKEY_REJECT_OUT_OF_ORDER },
	{ "swap IDRi and IDRr", SAMPLE_GMK, m_swap_idri_idrr, MIKEY_REJECT_OUT_OF_ORDER },
	{ "swap IDRkmsi and IDRkmsr", SAMPLE_PCK, m_swap_kms, MIKEY_REJECT_OUT_OF_ORDER },
	{ "swap hidden IDRs", SAMPLE_PCK_HIDDEN, m_swap_idri_idrr, MIKEY_REJECT_OUT_OF_ORDER },
	{ "SP after SAKKE", SAMPLE_GMK, m_sp_after_sakke, MIKEY_REJECT_OUT_OF_ORDER },
	{ "self before SAKKE", SAMPLE_PCK, m_self_before_sakke, MIKEY_REJECT_OUT_OF_ORDER },
	{ "key params before self", SAMPLE_PCK, m_kp_before_self, MIKEY_REJECT_OUT_OF_ORDER },
	{ "RAND after IDRi", SAMPLE_CSK, m_rand_after_idr, MIKEY_REJECT_OUT_OF_ORDER },
	{ "T twice", SAMPLE_PCK, m_dup_t, MIKEY_REJECT_DUPLICATE },
	{ "IDRr twice", SAMPLE_PCK, m_dup_idrr, MIKEY_REJECT_DUPLICATE },
	{ "SAKKE twice", SAMPLE_CSK, m_dup_sakke, MIKEY_REJECT_DUPLICATE },
	{ "self twice", SAMPLE_GMK, m_dup_self, MIKEY_REJECT_DUPLICATE },
	{ "two SPs with one number", SAMPLE_GMK, m_sp_dup_policy, MIKEY_REJECT_BAD_SP },
	{ "no T", SAMPLE_PCK, m_no_t, MIKEY_REJECT_MISSING_PAYLOAD },
	{ "no RAND", SAMPLE_GMK, m_no_rand, MIKEY_REJECT_MISSING_PAYLOAD },
	{ "no IDRi", SAMPLE_CSK, m_no_idri, MIKEY_REJECT_MISSING_PAYLOAD },
	{ "no IDRkmsr", SAMPLE_PCK, m_no_idrkmsr, MIKEY_REJECT_MISSING_PAYLOAD },
	{ "no SAKKE", SAMPLE_CSK, m_no_sakke, MIKEY_REJECT_MISSING_PAYLOAD },
	{ "no SIGN (chain ends)", SAMPLE_PCK, m_no_sign, MIKEY_REJECT_MISSING_PAYLOAD },
	{ "payload after SIGN", SAMPLE_PCK, m_sign_not_last, MIKEY_REJECT_TRAILING_BYTES },
	{ "one octet after SIGN", SAMPLE_GMK, m_trailing, MIKEY_REJECT_TRAILING_BYTES },
	{ "next payload KEMAC", SAMPLE_PCK, m_np_kemac, MIKEY_REJECT_UNKNOWN_PAYLOAD },
	{ "next payload CERT", SAMPLE_PCK, m_np_cert, MIKEY_REJECT_UNKNOWN_PAYLOAD },
	{ "next payload 99", SAMPLE_PCK, m_np_99, MIKEY_REJECT_UNKNOWN_PAYLOAD },
	{ "next payload ID (not IDR)", SAMPLE_GMK, m_np_id, MIKEY_REJECT_UNKNOWN_PAYLOAD },
	{ "version 2", SAMPLE_PCK, m_version, MIKEY_REJECT_BAD_VERSION },
	{ "data type 0", SAMPLE_PCK, m_data_type, MIKEY_REJECT_BAD_DATA_TYPE },
	{ "V set", SAMPLE_PCK, m_v_flag, MIKEY_REJECT_BAD_V_FLAG },
	{ "PRF MIKEY-1", SAMPLE_PCK, m_prf, MIKEY_REJECT_BAD_PRF },
	{ "#CS 0 with GENERIC-ID", SAMPLE_PCK, m_map_generic_empty, MIKEY_REJECT_BAD_CS_MAP },
	{ "SRTP-ID map", SAMPLE_GMK, m_map_srtp_id, MIKEY_REJECT_BAD_CS_MAP },
	{ "#CS 11", SAMPLE_GMK, m_cs_too_many, MIKEY_REJECT_BAD_CS_MAP },
	{ "CS ID 10", SAMPLE_GMK, m_cs_id_10, MIKEY_REJECT_BAD_CS_MAP },
	{ "CS prot type 1", SAMPLE_GMK, m_cs_prot, MIKEY_REJECT_BAD_CS_MAP },
	{ "CS names policy 7", SAMPLE_GMK, m_cs_unknown_policy, MIKEY_REJECT_UNKNOWN_POLICY },
	{ "TS type NTP", SAMPLE_PCK, m_ts_type, MIKEY_REJECT_BAD_TS_TYPE },
	{ "RAND 15 octets", SAMPLE_PCK, m_rand_short, MIKEY_REJECT_BAD_RAND },
	{ "IDR role 3", SAMPLE_PCK, m_idr_role, MIKEY_REJECT_BAD_IDR },
	{ "IDR type NAI", SAMPLE_PCK, m_idr_type, MIKEY_REJECT_BAD_IDR },
	{ "IDR URI with NUL", SAMPLE_PCK, m_idr_nul, MIKEY_REJECT_BAD_IDR },
	{ "IDR empty", SAMPLE_PCK, m_idr_empty, MIKEY_REJECT_BAD_IDR },
	{ "IDRuidr of 31 octets", SAMPLE_PCK_HIDDEN, m_uid_31, MIKEY_REJECT_BAD_IDR },
	{ "IDR length past the end", SAMPLE_PCK, m_idr_len_over, MIKEY_REJECT_TRUNCATED },
	{ "SP parameter overflows", SAMPLE_GMK, m_sp_param_overflows, MIKEY_REJECT_BAD_LENGTH },
	{ "SP prot type 1", SAMPLE_GMK, m_sp_prot, MIKEY_REJECT_BAD_SP },
	{ "SP parameter twice", SAMPLE_GMK, m_sp_dup_param, MIKEY_REJECT_BAD_SP },
	{ "SP parameter empty", SAMPLE_GMK, m_sp_zero_len_param, MIKEY_REJECT_BAD_SP },
	{ "SAKKE params 2", SAMPLE_PCK, m_sakke_params, MIKEY_REJECT_BAD_SAKKE },
	{ "SAKKE ID scheme 3", SAMPLE_PCK, m_sakke_scheme, MIKEY_REJECT_BAD_SAKKE },
	{ "SAKKE data 272", SAMPLE_PCK, m_sakke_272, MIKEY_REJECT_BAD_SAKKE },
	{ "self one octet long", SAMPLE_PCK, m_self_len_long, MIKEY_REJECT_BAD_LENGTH },
	{ "self one octet short", SAMPLE_PCK, m_self_len_short, MIKEY_REJECT_BAD_LENGTH },
	{ "self inner length", SAMPLE_PCK, m_self_inner_len, MIKEY_REJECT_BAD_SAKKE },
	{ "GEXT type 9", SAMPLE_PCK, m_gext_type, MIKEY_REJECT_UNKNOWN_EXTENSION },
	{ "key params empty", SAMPLE_PCK, m_kp_empty, MIKEY_REJECT_BAD_LENGTH },
	{ "SIGN type RSA-PSS", SAMPLE_PCK, m_sign_type, MIKEY_REJECT_BAD_SIGN },
	{ "SIGN 128 octets", SAMPLE_PCK, m_sign_128, MIKEY_REJECT_BAD_SIGN },
};

Test(keys_mikey_codec, rejection_table)
{
	static struct mikey_sample s;
	static struct plist l;
	uint8_t buf[BUF], out[2 * BUF];
	struct mikey_msg d;
	enum mikey_reject why;
	unsigned int i, n_ok = 0;
	size_t len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mikey_sample_build(&s, cases[i].kind);
		len = mikey_sample_encode(&s, buf, sizeof(buf));
		split(&l, buf, len);
		cases[i].fn(&l);
		len = join(&l, out);
		cr_expect_eq(mikey_msg_decode(&d, out, len, &why), -KEYS_E_PARSE, "%s",
			     cases[i].name);
		cr_expect_eq(why, cases[i].why, "%s: got %s, want %s", cases[i].name,
			     mikey_reject_name(why), mikey_reject_name(cases[i].why));
		cr_expect_null(d.wire, "%s: model not cleared", cases[i].name);
		n_ok += why == cases[i].why;
	}
	cr_log_info("%u rejection cases", n_ok);
}

/* The unmutated split/join round trip is the identity: the table is sound. */
Test(keys_mikey_codec, surgery_identity)
{
	static struct mikey_sample s;
	static struct plist l;
	uint8_t buf[BUF], out[BUF];
	struct mikey_msg d;
	unsigned int k;
	size_t len;

	for (k = 0; k < SAMPLE_N; k++) {
		mikey_sample_build(&s, k);
		len = mikey_sample_encode(&s, buf, sizeof(buf));
		split(&l, buf, len);
		cr_assert_eq(join(&l, out), len);
		cr_assert_arr_eq(out, buf, len);
		cr_assert_eq(mikey_msg_decode(&d, out, len, NULL), 0);
	}
}

Test(keys_mikey_codec, truncated_at_every_length)
{
	static struct mikey_sample s;
	uint8_t buf[BUF], *copy;
	struct mikey_msg d;
	enum mikey_reject why;
	unsigned int k;
	size_t len, n;

	for (k = 0; k < SAMPLE_N; k++) {
		mikey_sample_build(&s, k);
		len = mikey_sample_encode(&s, buf, sizeof(buf));
		for (n = 0; n < len; n++) {
			/* an exact-size heap copy, so ASan sees any read past n */
			copy = malloc(n + 1);
			cr_assert_not_null(copy);
			memcpy(copy, buf, n);
			cr_assert_eq(mikey_msg_decode(&d, copy, n, &why), -KEYS_E_PARSE,
				     "%s cut at %zu", mikey_sample_names[k], n);
			cr_assert_eq(why, MIKEY_REJECT_TRUNCATED, "%s cut at %zu: %s",
				     mikey_sample_names[k], n, mikey_reject_name(why));
			free(copy);
		}
	}
}

Test(keys_mikey_codec, trailing_bytes_any_count)
{
	static struct mikey_sample s;
	uint8_t buf[BUF];
	struct mikey_msg d;
	enum mikey_reject why;
	size_t len, extra;

	mikey_sample_build(&s, SAMPLE_CSK);
	len = mikey_sample_encode(&s, buf, sizeof(buf));
	for (extra = 1; extra <= 300; extra++) {
		memset(buf + len, (int)extra, extra);
		cr_assert_eq(mikey_msg_decode(&d, buf, len + extra, &why), -KEYS_E_PARSE);
		cr_assert_eq(why, MIKEY_REJECT_TRAILING_BYTES, "%zu extra", extra);
	}
}

/* Every value a next-payload octet can take, at the first chained payload. */
Test(keys_mikey_codec, every_next_payload_value)
{
	static struct mikey_sample s;
	uint8_t buf[BUF];
	struct mikey_msg d;
	enum mikey_reject why;
	unsigned int v;
	size_t len;

	mikey_sample_build(&s, SAMPLE_PCK);
	len = mikey_sample_encode(&s, buf, sizeof(buf));
	for (v = 0; v < 256; v++) {
		buf[10] = (uint8_t)v;		/* T's next payload (RAND) */
		if (v == MIKEY_PT_RAND) {
			cr_assert_eq(mikey_msg_decode(&d, buf, len, &why), 0);
			continue;
		}
		cr_assert_eq(mikey_msg_decode(&d, buf, len, &why), -KEYS_E_PARSE, "np %u", v);
		switch (v) {
		case MIKEY_PT_T: case MIKEY_PT_IDR: case MIKEY_PT_SP: case MIKEY_PT_SAKKE:
		case MIKEY_PT_GEXT: case MIKEY_PT_SIGN: case MIKEY_PT_LAST:
			/* known types: misparsed content, order or chain errors */
			cr_assert_neq(why, MIKEY_REJECT_UNKNOWN_PAYLOAD, "np %u", v);
			break;
		default:
			cr_assert_eq(why, MIKEY_REJECT_UNKNOWN_PAYLOAD, "np %u: %s", v,
				     mikey_reject_name(why));
		}
	}
}

Test(keys_mikey_codec, generic_id_session_data)
{
	static struct mikey_sample s;
	uint8_t buf[BUF], again[BUF];
	struct mikey_msg d;
	size_t len, len2;

	mikey_sample_build(&s, SAMPLE_GMK);
	s.m.hdr.cs[0].sd_len = MIKEY_GID_SD_SSRC;
	s.m.hdr.cs[0].ssrc = 0xdeadbeef;
	len = mikey_sample_encode(&s, buf, sizeof(buf));
	cr_assert_eq(mikey_msg_decode(&d, buf, len, NULL), 0);
	cr_assert_eq(d.hdr.cs[0].ssrc, 0xdeadbeef);
	s.m.hdr.cs[0].s = true;
	s.m.hdr.cs[0].sd_len = MIKEY_GID_SD_FULL;
	s.m.hdr.cs[0].roc = 7;
	s.m.hdr.cs[0].seq = 0x1234;
	len = mikey_sample_encode(&s, buf, sizeof(buf));
	cr_assert_eq(mikey_msg_decode(&d, buf, len, NULL), 0);
	expect_same(&s.m, &d);
	cr_assert_eq(mikey_msg_encode(&d, again, sizeof(again), &len2, NULL), 0);
	cr_assert_arr_eq(again, buf, len);
	/* S set but only an SSRC: refused */
	buf[10 + 3 + 1 + 1] = 0x00;
	buf[10 + 3 + 1 + 2] = 0x04;
	cr_assert_eq(mikey_msg_decode(&d, buf, len, NULL), -KEYS_E_PARSE);
}

Test(keys_mikey_codec, reject_names_complete)
{
	unsigned int r;

	for (r = 0; r < MIKEY_REJECT_COUNT; r++) {
		cr_assert_not_null(mikey_reject_str(r));
		cr_assert_str_neq(mikey_reject_name(r), "UNKNOWN");
	}
	cr_assert_str_eq(mikey_reject_name(MIKEY_REJECT_OUT_OF_ORDER), "OUT_OF_ORDER");
	cr_assert_str_eq(mikey_reject_str(MIKEY_REJECT_COUNT), "unknown reason");
}

Test(keys_mikey_codec, dump_text)
{
	static struct mikey_sample s;
	uint8_t buf[BUF];
	char text[4096], small[16];
	struct mikey_msg d;
	size_t len, n;

	mikey_sample_build(&s, SAMPLE_PCK_HIDDEN);
	len = mikey_sample_encode(&s, buf, sizeof(buf));
	cr_assert_eq(mikey_msg_decode(&d, buf, len, NULL), 0);
	n = mikey_msg_dump(&d, text, sizeof(text));
	cr_assert_eq(strlen(text), n);
	cr_assert_not_null(strstr(text, "CSB ID 16992638 (purpose tag 1), #CS 0, map empty"));
	cr_assert_not_null(strstr(text, "IDRuidr type 1, 777e858c"), "%s", text);
	cr_assert_not_null(strstr(text, "IDRkmsi type 1, kms.example.org"));
	cr_assert_not_null(strstr(text, "SAKKE   params 1, ID scheme 2, 273 octets"));
	cr_assert_not_null(strstr(text, "GEXT 6"));
	cr_assert_not_null(strstr(text, "GEXT 7  key parameters, 55 octets"));
	cr_assert_not_null(strstr(text, "SIGN    type 2 (ECCSI), 129 octets"));
	cr_assert_eq(mikey_msg_dump(&d, small, sizeof(small)), n);
	cr_assert_eq(strlen(small), sizeof(small) - 1);
	mikey_sample_build(&s, SAMPLE_GMK);
	len = mikey_sample_encode(&s, buf, sizeof(buf));
	cr_assert_eq(mikey_msg_decode(&d, buf, len, NULL), 0);
	(void)mikey_msg_dump(&d, text, sizeof(text));
	cr_assert_not_null(strstr(text, "CS    id 4, prot 0, S 0, policies 1, "
					"SPI/MKI 0df9bc3906a12aea"), "%s", text);
	cr_assert_not_null(strstr(text, "SP      policy 0, prot 0: "
					"0=06 1=10 2=04 4=0c 5=00 6=00 13=0001"));
}

/*
 * SRTP profiles
 */

Test(keys_mikey_codec, default_profiles)
{
	struct mikey_srtp_profile p;

	cr_assert_eq(mikey_profile_default(&p, KEYS_PURPOSE_GMK), MIKEY_PROFILE_TABLE_E2_1);
	cr_assert_eq(p.enc_alg, MIKEY_ENC_AES_GCM);
	cr_assert_eq(p.enc_key_len, 16);
	cr_assert_eq(p.auth_alg, MIKEY_AUTH_RCCM3);
	cr_assert_eq(p.salt_len, 12);
	cr_assert_eq(p.roc_rate, 1);
	cr_assert_eq(p.rtp_tag_len, 4);
	cr_assert_eq(p.rtcp_tag_len, 0);
	cr_assert_eq(p.aead_tag_len, 16);
	cr_assert_eq(mikey_profile_default(&p, KEYS_PURPOSE_PCK), MIKEY_PROFILE_TABLE_E3_1);
	cr_assert_eq(p.auth_alg, MIKEY_AUTH_NULL);
	cr_assert_eq(p.roc_rate, 0);
	cr_assert_eq(p.aead_tag_len, 16);
	cr_assert_eq(mikey_profile_default(&p, KEYS_PURPOSE_CSK), MIKEY_PROFILE_TABLE_E3_1);
}

Test(keys_mikey_codec, profile_from_messages)
{
	static struct mikey_sample s;
	struct mikey_srtp_profile p, want;
	enum mikey_profile_src src;
	enum mikey_reject why;
	uint8_t bad_enc = MIKEY_ENC_AES_CM;

	/* SP E.2-1 with type 13 = the GMK default */
	mikey_sample_build(&s, SAMPLE_GMK);
	cr_assert_eq(mikey_profile_resolve(&p, &src, &s.m, KEYS_PURPOSE_GMK, 4, &why), 0);
	cr_assert_eq(src, MIKEY_PROFILE_SP);
	(void)mikey_profile_default(&want, KEYS_PURPOSE_GMK);
	cr_assert_arr_eq(&p, &want, sizeof(p));
	/* without type 13: R = 1 by RFC 4771 */
	mikey_sample_build(&s, SAMPLE_GMK_NO13);
	cr_assert_eq(mikey_profile_resolve(&p, &src, &s.m, KEYS_PURPOSE_GMK, 4, &why), 0);
	cr_assert_arr_eq(&p, &want, sizeof(p));
	/* #CS 0, no SP: defaults by purpose */
	mikey_sample_build(&s, SAMPLE_PCK);
	cr_assert_eq(mikey_profile_resolve(&p, &src, &s.m, KEYS_PURPOSE_PCK, 0, &why), 0);
	cr_assert_eq(src, MIKEY_PROFILE_TABLE_E3_1);
	/* the same SP on a PCK (what Streamwide sends everywhere) */
	mikey_sample_build(&s, SAMPLE_GMK_NO13);
	cr_assert_eq(mikey_profile_resolve(&p, &src, &s.m, KEYS_PURPOSE_PCK, 4, &why), 0);
	cr_assert_eq(p.auth_alg, MIKEY_AUTH_RCCM3);
	cr_assert_eq(p.roc_rate, 1);
	/* AES-CM is not an MCPTT profile */
	s.m.sp[0].params[0].val = &bad_enc;
	cr_assert_eq(mikey_profile_resolve(&p, &src, &s.m, KEYS_PURPOSE_GMK, 4, &why),
		     -KEYS_E_PARSE);
	cr_assert_eq(why, MIKEY_REJECT_BAD_SP);
}

/*
 * E.6 Key Parameters content
 */

Test(keys_mikey_codec, key_params_layout_and_round_trip)
{
	static const char g1[] = "sip:group1@example.org", g2[] = "sip:group2@example.org";
	struct mikey_keyparams kp = { 0 }, d;
	uint8_t buf[256];
	size_t len, n;

	/* GMK, not revoked, times 0, empty text, the group element with no IDs */
	kp.status = MIKEY_KP_STATUS_NOT_REVOKED;
	kp.has_groups = true;
	cr_assert_eq(mikey_keyparams_encode(&kp, buf, sizeof(buf), &len), 0);
	const uint8_t gmk[] = { 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	cr_assert_eq(len, sizeof(gmk));
	cr_assert_arr_eq(buf, gmk, len);
	/* PCK: no group element */
	kp.key_type = KEYS_PURPOSE_PCK;
	kp.has_groups = false;
	cr_assert_eq(mikey_keyparams_encode(&kp, buf, sizeof(buf), &len), 0);
	cr_assert_eq(len, 17);
	cr_assert_eq(mikey_keyparams_decode(&d, buf, len), 0);
	cr_assert(!d.has_groups);
	/* everything */
	kp.key_type = KEYS_PURPOSE_GMK;
	kp.status = MIKEY_KP_STATUS_NOT_REVOKED | MIKEY_KP_STATUS_SEGY;
	kp.activation = 0x00e9400000ull;
	kp.expiry = MIKEY_KP_TIME_MAX;
	kp.text.p = (const uint8_t *)"talk group";
	kp.text.len = 10;
	kp.has_groups = true;
	kp.n_groups = 2;
	kp.groups[0].id.p = (const uint8_t *)g1;
	kp.groups[0].id.len = strlen(g1);
	kp.groups[1].iei = 0x7a;
	kp.groups[1].id.p = (const uint8_t *)g2;
	kp.groups[1].id.len = strlen(g2);
	cr_assert_eq(mikey_keyparams_encode(&kp, buf, sizeof(buf), &len), 0);
	cr_assert_eq(mikey_keyparams_decode(&d, buf, len), 0);
	cr_assert_eq(d.key_type, 0);
	cr_assert_eq(d.status, 3);
	cr_assert_eq(d.activation, kp.activation);
	cr_assert_eq(d.expiry, kp.expiry);
	cr_assert_eq(d.text.len, 10);
	cr_assert_arr_eq(d.text.p, "talk group", 10);
	cr_assert_eq(d.n_groups, 2);
	cr_assert_eq(d.groups[1].iei, 0x7a);
	cr_assert_arr_eq(d.groups[1].id.p, g2, strlen(g2));
	/* every truncation and any extra octet is refused */
	for (n = 0; n < len; n++)
		if (n != 17 + 10)	/* cut before the group element: a valid PCK form */
			cr_assert_eq(mikey_keyparams_decode(&d, buf, n), -KEYS_E_PARSE, "cut %zu",
				     n);
	buf[len] = 0;
	cr_assert_eq(mikey_keyparams_decode(&d, buf, len + 1), -KEYS_E_PARSE);
	/* over 40 bits */
	kp.expiry = MIKEY_KP_TIME_MAX + 1;
	cr_assert_eq(mikey_keyparams_encode(&kp, buf, sizeof(buf), &len), -KEYS_E_ARG);
}

/*
 * tshark: an independent dissector must read every payload of a PCK message.
 */

static unsigned int
count(const char *hay, const char *needle)
{
	unsigned int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static int
have_tshark(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

Test(keys_mikey_codec, tshark_decodes_pck, .timeout = 120)
{
	static const char *const want[] = {
		"mikey.hdr", "mikey.t", "mikey.rand", "mikey.idr", "mikey.sakke", "mikey.ext",
		"mikey.sign",
	};
	static struct mikey_sample s;
	char dir[] = "/tmp/mcpx-mikey-XXXXXX", path[128], cmd[1024], *out;
	uint8_t buf[BUF];
	size_t len, n = 0;
	unsigned int i;
	FILE *f, *p;
	int st;

	cr_assert(have_tshark(), "tshark is not installed: install the Debian/Ubuntu package "
				 "'tshark' (apt-get install -y tshark); CI installs it");
	mikey_sample_build(&s, SAMPLE_PCK);
	len = mikey_sample_encode(&s, buf, sizeof(buf));
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pck.pcap", dir);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(pcap_write_header(f), 0);
	cr_assert_eq(pcap_write_udp4(f, 1700000000000000ull, 0x0a000001, 2269, 0x0a000002, 2269,
				     buf, len), 0);
	cr_assert_eq(fclose(f), 0);

	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE "
		 "-d udp.port==2269,mikey -T json -V 2>%s/stderr", path, dir);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	out = calloc(1, 1 << 20);
	cr_assert_not_null(out);
	n = fread(out, 1, (1 << 20) - 1, p);
	st = pclose(p);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "tshark failed, see %s/stderr", dir);
	cr_assert_gt(n, 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char key[64];

		snprintf(key, sizeof(key), "\"%s\"", want[i]);
		cr_expect_not_null(strstr(out, key), "tshark did not decode %s", want[i]);
	}
	cr_expect_eq(count(out, "\"mikey.idr\""), 4, "four IDR payloads");
	cr_expect_eq(count(out, "\"mikey.ext\""), 2, "two General Extensions");
	cr_expect_eq(count(out, "\"mikey.sign\""), 1, "one SIGN");
	/* SAKKE data and IDRs as we wrote them */
	cr_expect_not_null(strstr(out, "\"mikey.sakke.len\": \"273\""), "SAKKE length");
	cr_expect_not_null(strstr(out, "\"mikey.sign.len\": \"129\""), "SIGN length");
	cr_expect_not_null(strstr(out, "sip:bob@example.org"), "IDRr");
	cr_expect_null(strstr(out, "_ws.malformed"), "tshark: malformed packet");
	cr_expect_null(strstr(out, "_ws.expert"), "tshark raised expert info");
	cr_expect_not_null(strstr(out, "\"udp.checksum.status\": \"1\""), "UDP checksum");
	free(out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}
