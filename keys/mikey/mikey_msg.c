/* SPDX-License-Identifier: proprietary */
/*
 * MIKEY-SAKKE I_MESSAGE codec. The decoder is a straight line of bounded reads
 * through a cursor (a failed read leaves the cursor where it was); nested
 * blocks (SP parameters, extension bodies) get their own cursor and must be
 * consumed exactly. Field checks are shared by encoder and decoder, so we
 * never emit what we would refuse.
 */
#include <string.h>

#include "mikey_msg.h"

static const char *const reject_str[MIKEY_REJECT_COUNT] = {
#define STR(n, s) [MIKEY_REJECT_##n] = s,
	MIKEY_REJECTS(STR)
#undef STR
};

static const char *const reject_name[MIKEY_REJECT_COUNT] = {
#define NAME(n, s) [MIKEY_REJECT_##n] = #n,
	MIKEY_REJECTS(NAME)
#undef NAME
};

const char *
mikey_reject_str(enum mikey_reject r)
{
	return (unsigned int)r < MIKEY_REJECT_COUNT ? reject_str[r] : "unknown reason";
}

const char *
mikey_reject_name(enum mikey_reject r)
{
	return (unsigned int)r < MIKEY_REJECT_COUNT ? reject_name[r] : "UNKNOWN";
}

/*
 * The cursor (s2n-tls stuffer style): every read is all or nothing.
 */
struct cur {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static bool
get_bytes(struct cur *c, size_t n, const uint8_t **out)
{
	if (c->len - c->off < n)
		return false;
	*out = c->p + c->off;
	c->off += n;
	return true;
}

static bool
get_u8(struct cur *c, uint8_t *v)
{
	const uint8_t *b;

	if (!get_bytes(c, 1, &b))
		return false;
	*v = b[0];
	return true;
}

static bool
get_u16(struct cur *c, uint16_t *v)
{
	const uint8_t *b;

	if (!get_bytes(c, 2, &b))
		return false;
	*v = (uint16_t)(b[0] << 8 | b[1]);
	return true;
}

static bool
get_u32(struct cur *c, uint32_t *v)
{
	const uint8_t *b;

	if (!get_bytes(c, 4, &b))
		return false;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return true;
}

static bool
get_u64(struct cur *c, uint64_t *v)
{
	uint32_t hi, lo;
	struct cur save = *c;

	if (!get_u32(c, &hi) || !get_u32(c, &lo)) {
		*c = save;
		return false;
	}
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

/* Take |n| octets as a nested cursor. */
static bool
get_sub(struct cur *c, size_t n, struct cur *sub)
{
	const uint8_t *b;

	if (!get_bytes(c, n, &b))
		return false;
	sub->p = b;
	sub->len = n;
	sub->off = 0;
	return true;
}

static bool
at_end(const struct cur *c)
{
	return c->off == c->len;
}

/*
 * The writer: bounded, sticky overflow.
 */
struct wr {
	uint8_t *p;
	size_t cap;
	size_t off;
	bool overflow;
};

static void
put_bytes(struct wr *w, const void *b, size_t n)
{
	if (w->overflow || w->cap - w->off < n) {
		w->overflow = true;
		return;
	}
	if (n != 0 && b != NULL)
		memcpy(w->p + w->off, b, n);
	else if (n != 0)
		memset(w->p + w->off, 0, n);
	w->off += n;
}

static void
put_u8(struct wr *w, uint8_t v)
{
	put_bytes(w, &v, 1);
}

static void
put_u16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put_bytes(w, b, sizeof(b));
}

static void
put_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	put_bytes(w, b, sizeof(b));
}

/*
 * Field checks shared by both directions. Each returns MIKEY_REJECT_NONE or
 * the reason.
 */

static enum mikey_reject
check_hdr_fixed(const struct mikey_hdr *h)
{
	if (h->version != MIKEY_VERSION)
		return MIKEY_REJECT_BAD_VERSION;
	if (h->data_type != MIKEY_DATA_TYPE_SAKKE)
		return MIKEY_REJECT_BAD_DATA_TYPE;
	if (h->v)
		return MIKEY_REJECT_BAD_V_FLAG;
	if (h->prf != MIKEY_PRF_HMAC_SHA_256)
		return MIKEY_REJECT_BAD_PRF;
	/* 33.180 E.3.1, E.4.1, 36.579: #CS = 0 <=> the empty map */
	if (h->n_cs == 0 ? h->map_type != MIKEY_MAP_EMPTY : h->map_type != MIKEY_MAP_GENERIC_ID)
		return MIKEY_REJECT_BAD_CS_MAP;
	if (h->n_cs > MIKEY_CS_MAX)
		return MIKEY_REJECT_BAD_CS_MAP;
	return MIKEY_REJECT_NONE;
}

static enum mikey_reject
check_cs(const struct mikey_hdr *h, unsigned int i)
{
	const struct mikey_cs *cs = &h->cs[i];
	unsigned int j;

	if (cs->cs_id > 9 || cs->prot_type != MIKEY_PROT_SRTP)	/* Table E.1.3-1 */
		return MIKEY_REJECT_BAD_CS_MAP;
	if (cs->n_pol > MIKEY_CS_POL_MAX || cs->spi_len > MIKEY_SPI_MAX)
		return MIKEY_REJECT_BAD_CS_MAP;
	/* RFC 6043 §6.1.1: S = 1 carries SSRC || ROC || SEQ; S = 0 at most SSRC */
	if (cs->s ? cs->sd_len != MIKEY_GID_SD_FULL
		  : cs->sd_len != 0 && cs->sd_len != MIKEY_GID_SD_SSRC)
		return MIKEY_REJECT_BAD_CS_MAP;
	for (j = 0; j < i; j++)
		if (h->cs[j].cs_id == cs->cs_id)
			return MIKEY_REJECT_BAD_CS_MAP;
	return MIKEY_REJECT_NONE;
}

static bool
uri_ok(const struct mikey_bytes *b)
{
	size_t i;

	if (b->len == 0 || b->p == NULL)
		return false;
	for (i = 0; i < b->len; i++)
		if (b->p[i] < 0x20 || b->p[i] == 0x7f)
			return false;
	return true;
}

/* The slot a role belongs to, or -1. */
static int
idr_slot(uint8_t role)
{
	switch (role) {
	case MIKEY_ROLE_I:
	case MIKEY_ROLE_UIDI:
		return MIKEY_IDR_I;
	case MIKEY_ROLE_R:
	case MIKEY_ROLE_UIDR:
		return MIKEY_IDR_R;
	case MIKEY_ROLE_KMSI:
		return MIKEY_IDR_KMSI;
	case MIKEY_ROLE_KMSR:
		return MIKEY_IDR_KMSR;
	default:
		return -1;
	}
}

static enum mikey_reject
check_idr(const struct mikey_idr *idr)
{
	if (idr_slot(idr->role) < 0)
		return MIKEY_REJECT_BAD_IDR;
	if (mikey_idr_is_uid(idr)) {
		/* 33.180 E.7: a 32-octet UID; byte string, or URI type as sent */
		if (idr->type != MIKEY_IDT_URI && idr->type != MIKEY_IDT_BYTES)
			return MIKEY_REJECT_BAD_IDR;
		if (idr->id.len != MIKEY_UID_LEN || idr->id.p == NULL)
			return MIKEY_REJECT_BAD_IDR;
		return MIKEY_REJECT_NONE;
	}
	if (idr->type != MIKEY_IDT_URI || !uri_ok(&idr->id) || idr->id.len > 0xffff)
		return MIKEY_REJECT_BAD_IDR;
	return MIKEY_REJECT_NONE;
}

static enum mikey_reject
check_sp(const struct mikey_sp *sp)
{
	unsigned int i, j;

	if (sp->prot_type != MIKEY_PROT_SRTP || sp->n_params > MIKEY_SP_PARAMS_MAX)
		return MIKEY_REJECT_BAD_SP;
	for (i = 0; i < sp->n_params; i++) {
		if (sp->params[i].len == 0 || sp->params[i].val == NULL)
			return MIKEY_REJECT_BAD_SP;
		for (j = 0; j < i; j++)
			if (sp->params[j].type == sp->params[i].type)
				return MIKEY_REJECT_BAD_SP;
	}
	return MIKEY_REJECT_NONE;
}

static enum mikey_reject
check_sakke(const struct mikey_sakke *s)
{
	if (s->params != MIKEY_SAKKE_PARAMS_1)
		return MIKEY_REJECT_BAD_SAKKE;
	if (s->id_scheme != MIKEY_SAKKE_SCHEME_TEL && s->id_scheme != MIKEY_SAKKE_SCHEME_UID)
		return MIKEY_REJECT_BAD_SAKKE;
	if (s->data.len != MIKEY_SAKKE_DATA_LEN || s->data.p == NULL)
		return MIKEY_REJECT_BAD_SAKKE;
	return MIKEY_REJECT_NONE;
}

/* After the chain: crypto sessions must name policies that exist. */
static enum mikey_reject
check_policy_refs(const struct mikey_msg *m)
{
	unsigned int i, j;

	if (m->n_sp == 0)
		return MIKEY_REJECT_NONE;	/* the default profile applies */
	for (i = 0; i < m->hdr.n_cs; i++)
		for (j = 0; j < m->hdr.cs[i].n_pol; j++)
			if (mikey_msg_sp(m, m->hdr.cs[i].pol[j]) == NULL)
				return MIKEY_REJECT_UNKNOWN_POLICY;
	for (i = 0; i < m->n_sp; i++)
		for (j = 0; j < i; j++)
			if (m->sp[i].policy_no == m->sp[j].policy_no)
				return MIKEY_REJECT_BAD_SP;
	return MIKEY_REJECT_NONE;
}

const struct mikey_sp *
mikey_msg_sp(const struct mikey_msg *m, uint8_t no)
{
	unsigned int i;

	for (i = 0; i < m->n_sp && i < MIKEY_SP_MAX; i++)
		if (m->sp[i].policy_no == no)
			return &m->sp[i];
	return NULL;
}

const struct mikey_cs *
mikey_msg_cs(const struct mikey_msg *m, uint8_t cs_id)
{
	unsigned int i;

	for (i = 0; i < m->hdr.n_cs && i < MIKEY_CS_MAX; i++)
		if (m->hdr.cs[i].cs_id == cs_id)
			return &m->hdr.cs[i];
	return NULL;
}

/*
 * Decoder. Payload ranks give the order of the I_MESSAGE (RFC 6509 §2.1,
 * 33.180 E.1.2); only SP may repeat.
 */
enum rank {
	RK_HDR,
	RK_T,
	RK_RAND,
	RK_IDRI,
	RK_IDRR,
	RK_IDRKMSI,
	RK_IDRKMSR,
	RK_SP,
	RK_SAKKE,
	RK_SELF,
	RK_KP,
	RK_SIGN
};

#define MANDATORY                                                               \
	(1u << RK_T | 1u << RK_RAND | 1u << RK_IDRI | 1u << RK_IDRR |           \
	 1u << RK_IDRKMSI | 1u << RK_IDRKMSR | 1u << RK_SAKKE | 1u << RK_SIGN)

struct dec {
	struct cur c;
	struct mikey_msg *m;
	unsigned int rank;
	uint32_t seen;
	uint8_t np;			/* the next payload announced */
	enum mikey_reject why;
};

static int
fail(struct dec *d, enum mikey_reject why)
{
	d->why = why;
	return -KEYS_E_PARSE;
}

/* Admit a payload of rank |rk| at this point of the chain. */
static int
admit(struct dec *d, unsigned int rk)
{
	if ((d->seen & 1u << rk) && rk != RK_SP)
		return fail(d, MIKEY_REJECT_DUPLICATE);
	if (rk < d->rank)
		return fail(d, MIKEY_REJECT_OUT_OF_ORDER);
	d->rank = rk;
	d->seen |= 1u << rk;
	return 0;
}

static int
dec_cs(struct dec *d, unsigned int i)
{
	struct mikey_cs *cs = &d->m->hdr.cs[i];
	const uint8_t *b;
	uint16_t sd_len;
	uint8_t sp;
	struct cur sd;

	if (!get_u8(&d->c, &cs->cs_id) || !get_u8(&d->c, &cs->prot_type) ||
	    !get_u8(&d->c, &sp))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	cs->s = (sp & MIKEY_GID_S_BIT) != 0;
	cs->n_pol = sp & MIKEY_GID_NP_MASK;
	if (cs->n_pol > MIKEY_CS_POL_MAX)
		return fail(d, MIKEY_REJECT_BAD_CS_MAP);
	if (!get_bytes(&d->c, cs->n_pol, &b))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	memcpy(cs->pol, b, cs->n_pol);
	if (!get_u16(&d->c, &sd_len))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	if (sd_len != 0 && sd_len != MIKEY_GID_SD_SSRC && sd_len != MIKEY_GID_SD_FULL)
		return fail(d, MIKEY_REJECT_BAD_CS_MAP);
	if (!get_sub(&d->c, sd_len, &sd))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	cs->sd_len = (uint8_t)sd_len;
	if (sd_len != 0)
		(void)get_u32(&sd, &cs->ssrc);
	if (sd_len == MIKEY_GID_SD_FULL)
		(void)(get_u32(&sd, &cs->roc) && get_u16(&sd, &cs->seq));
	if (!get_u8(&d->c, &cs->spi_len))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	if (cs->spi_len > MIKEY_SPI_MAX)
		return fail(d, MIKEY_REJECT_BAD_CS_MAP);
	if (!get_bytes(&d->c, cs->spi_len, &b))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	memcpy(cs->spi, b, cs->spi_len);
	d->why = check_cs(&d->m->hdr, i);
	return d->why == MIKEY_REJECT_NONE ? 0 : -KEYS_E_PARSE;
}

/* RFC 3830 §6.1, RFC 6043 §6.1.1 */
static int
dec_hdr(struct dec *d)
{
	struct mikey_hdr *h = &d->m->hdr;
	uint8_t vprf;
	unsigned int i;
	int rc;

	if (!get_u8(&d->c, &h->version) || !get_u8(&d->c, &h->data_type) ||
	    !get_u8(&d->c, &d->np) || !get_u8(&d->c, &vprf) || !get_u32(&d->c, &h->csb_id) ||
	    !get_u8(&d->c, &h->n_cs) || !get_u8(&d->c, &h->map_type))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	h->v = (vprf & MIKEY_HDR_V_BIT) != 0;
	h->prf = vprf & MIKEY_HDR_PRF_MASK;
	d->why = check_hdr_fixed(h);
	if (d->why != MIKEY_REJECT_NONE)
		return -KEYS_E_PARSE;
	for (i = 0; i < h->n_cs; i++) {
		rc = dec_cs(d, i);
		if (rc < 0)
			return rc;
	}
	d->seen |= 1u << RK_HDR;
	return 0;
}

/* RFC 3830 §6.6 */
static int
dec_t(struct dec *d)
{
	if (!get_u8(&d->c, &d->np) || !get_u8(&d->c, &d->m->ts_type))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	if (d->m->ts_type != MIKEY_TS_NTP_UTC)	/* 33.179 E.1.1 */
		return fail(d, MIKEY_REJECT_BAD_TS_TYPE);
	if (!get_u64(&d->c, &d->m->ts))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	return admit(d, RK_T);
}

/* RFC 3830 §6.11 */
static int
dec_rand(struct dec *d)
{
	uint8_t n;

	if (!get_u8(&d->c, &d->np) || !get_u8(&d->c, &n))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	if (n < MIKEY_RAND_MIN)
		return fail(d, MIKEY_REJECT_BAD_RAND);
	if (!get_bytes(&d->c, n, &d->m->rand.p))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	d->m->rand.len = n;
	return admit(d, RK_RAND);
}

/* RFC 6043 §6.6 with RFC 6509 §4.4 and 33.180 E.7 roles */
static int
dec_idr(struct dec *d)
{
	struct mikey_idr idr;
	uint16_t n;
	int slot, rc;

	if (!get_u8(&d->c, &d->np) || !get_u8(&d->c, &idr.role) || !get_u8(&d->c, &idr.type) ||
	    !get_u16(&d->c, &n) || !get_bytes(&d->c, n, &idr.id.p))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	idr.id.len = n;
	d->why = check_idr(&idr);
	if (d->why != MIKEY_REJECT_NONE)
		return -KEYS_E_PARSE;
	slot = idr_slot(idr.role);
	rc = admit(d, RK_IDRI + (unsigned int)slot);
	if (rc < 0)
		return rc;
	d->m->idr[slot] = idr;
	return 0;
}

/* RFC 3830 §6.10; the parameter block must be consumed exactly */
static int
dec_sp(struct dec *d)
{
	struct mikey_sp *sp;
	struct cur pc;
	uint16_t plen;
	int rc;

	if (d->m->n_sp == MIKEY_SP_MAX)
		return fail(d, MIKEY_REJECT_BAD_SP);
	sp = &d->m->sp[d->m->n_sp];
	if (!get_u8(&d->c, &d->np) || !get_u8(&d->c, &sp->policy_no) ||
	    !get_u8(&d->c, &sp->prot_type) || !get_u16(&d->c, &plen) ||
	    !get_sub(&d->c, plen, &pc))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	sp->n_params = 0;
	while (!at_end(&pc)) {
		struct mikey_sp_param *p;

		if (sp->n_params == MIKEY_SP_PARAMS_MAX)
			return fail(d, MIKEY_REJECT_BAD_SP);
		p = &sp->params[sp->n_params];
		if (!get_u8(&pc, &p->type) || !get_u8(&pc, &p->len) ||
		    !get_bytes(&pc, p->len, &p->val))
			return fail(d, MIKEY_REJECT_BAD_LENGTH);
		sp->n_params++;
	}
	d->why = check_sp(sp);
	if (d->why != MIKEY_REJECT_NONE)
		return -KEYS_E_PARSE;
	rc = admit(d, RK_SP);
	if (rc < 0)
		return rc;
	d->m->n_sp++;
	return 0;
}

/* The SAKKE body after its next-payload octet (RFC 6509 §4.2), from |c|. */
static enum mikey_reject
sakke_body(struct cur *c, struct mikey_sakke *s, enum mikey_reject short_read)
{
	uint16_t n;

	if (!get_u8(c, &s->params) || !get_u8(c, &s->id_scheme) || !get_u16(c, &n))
		return short_read;
	if (n != MIKEY_SAKKE_DATA_LEN)
		return MIKEY_REJECT_BAD_SAKKE;
	if (!get_bytes(c, n, &s->data.p))
		return short_read;
	s->data.len = n;
	return check_sakke(s);
}

static int
dec_sakke(struct dec *d)
{
	if (!get_u8(&d->c, &d->np))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	d->why = sakke_body(&d->c, &d->m->sakke, MIKEY_REJECT_TRUNCATED);
	if (d->why != MIKEY_REJECT_NONE)
		return -KEYS_E_PARSE;
	return admit(d, RK_SAKKE);
}

/* RFC 3830 §6.15; 33.180 E.5 (type 6) and E.6 (type 7) */
static int
dec_gext(struct dec *d)
{
	struct cur body;
	uint8_t type, inner_np;
	uint16_t n;
	int rc;

	if (!get_u8(&d->c, &d->np) || !get_u8(&d->c, &type) || !get_u16(&d->c, &n) ||
	    !get_sub(&d->c, n, &body))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	switch (type) {
	case MIKEY_GEXT_SAKKE_TO_SELF:
		/* E.5: the inner next payload "shall be 0 and ignored" */
		if (!get_u8(&body, &inner_np))
			return fail(d, MIKEY_REJECT_BAD_LENGTH);
		d->why = sakke_body(&body, &d->m->self, MIKEY_REJECT_BAD_LENGTH);
		if (d->why != MIKEY_REJECT_NONE)
			return -KEYS_E_PARSE;
		if (!at_end(&body))
			return fail(d, MIKEY_REJECT_BAD_LENGTH);
		rc = admit(d, RK_SELF);
		d->m->has_self = rc == 0;
		return rc;
	case MIKEY_GEXT_KEY_PARAMS:
		if (n == 0)
			return fail(d, MIKEY_REJECT_BAD_LENGTH);
		d->m->kp.p = body.p;
		d->m->kp.len = n;
		rc = admit(d, RK_KP);
		d->m->has_kp = rc == 0;
		return rc;
	default:
		return fail(d, MIKEY_REJECT_UNKNOWN_EXTENSION);
	}
}

/* RFC 3830 §6.5, RFC 6509 §4.3; SIGN has no next-payload field */
static int
dec_sign(struct dec *d)
{
	uint16_t w;
	size_t off = d->c.off;
	int rc;

	if (!get_u16(&d->c, &w))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	d->m->sign_type = (uint8_t)(w >> 12);
	if (d->m->sign_type != MIKEY_SIGN_ECCSI ||
	    (w & MIKEY_SIGN_LEN_MASK) != MIKEY_SIGN_ECCSI_LEN)
		return fail(d, MIKEY_REJECT_BAD_SIGN);
	if (!get_bytes(&d->c, MIKEY_SIGN_ECCSI_LEN, &d->m->sig.p))
		return fail(d, MIKEY_REJECT_TRUNCATED);
	d->m->sig.len = MIKEY_SIGN_ECCSI_LEN;
	rc = admit(d, RK_SIGN);
	if (rc < 0)
		return rc;
	d->m->sign_off = off;
	if (!at_end(&d->c))
		return fail(d, MIKEY_REJECT_TRAILING_BYTES);
	return 0;
}

static int
dec_one(struct dec *d)
{
	switch (d->np) {
	case MIKEY_PT_T:
		return dec_t(d);
	case MIKEY_PT_RAND:
		return dec_rand(d);
	case MIKEY_PT_IDR:
		return dec_idr(d);
	case MIKEY_PT_SP:
		return dec_sp(d);
	case MIKEY_PT_SAKKE:
		return dec_sakke(d);
	case MIKEY_PT_GEXT:
		return dec_gext(d);
	case MIKEY_PT_SIGN:
		return dec_sign(d);
	case MIKEY_PT_LAST:
		/* the chain ended without SIGN */
		return fail(d, MIKEY_REJECT_MISSING_PAYLOAD);
	default:
		return fail(d, MIKEY_REJECT_UNKNOWN_PAYLOAD);
	}
}

int
mikey_msg_decode(struct mikey_msg *m, const uint8_t *buf, size_t len, enum mikey_reject *why)
{
	struct dec d = { .c = { .p = buf, .len = len }, .m = m, .rank = RK_HDR };
	int rc;

	if (why != NULL)
		*why = MIKEY_REJECT_NONE;
	if (m == NULL || (buf == NULL && len != 0))
		return -KEYS_E_ARG;
	memset(m, 0, sizeof(*m));
	rc = dec_hdr(&d);
	while (rc == 0 && !(d.seen & 1u << RK_SIGN))
		rc = dec_one(&d);
	if (rc == 0 && (d.seen & MANDATORY) != MANDATORY)
		rc = fail(&d, MIKEY_REJECT_MISSING_PAYLOAD);
	if (rc == 0) {
		d.why = check_policy_refs(m);
		rc = d.why == MIKEY_REJECT_NONE ? 0 : -KEYS_E_PARSE;
	}
	if (why != NULL)
		*why = d.why;
	if (rc < 0) {
		memset(m, 0, sizeof(*m));
		return rc;
	}
	m->wire = buf;
	m->wire_len = len;
	return 0;
}

/*
 * Encoder.
 */

static enum mikey_reject
check_msg(const struct mikey_msg *m)
{
	enum mikey_reject r;
	unsigned int i;

	r = check_hdr_fixed(&m->hdr);
	for (i = 0; r == MIKEY_REJECT_NONE && i < m->hdr.n_cs; i++)
		r = check_cs(&m->hdr, i);
	if (r != MIKEY_REJECT_NONE)
		return r;
	if (m->ts_type != MIKEY_TS_NTP_UTC)
		return MIKEY_REJECT_BAD_TS_TYPE;
	if (m->rand.len < MIKEY_RAND_MIN || m->rand.len > 255 || m->rand.p == NULL)
		return MIKEY_REJECT_BAD_RAND;
	for (i = 0; i < MIKEY_IDR_N; i++) {
		r = check_idr(&m->idr[i]);
		if (r != MIKEY_REJECT_NONE)
			return r;
		if (idr_slot(m->idr[i].role) != (int)i)
			return MIKEY_REJECT_OUT_OF_ORDER;
	}
	if (m->n_sp > MIKEY_SP_MAX)
		return MIKEY_REJECT_BAD_SP;
	for (i = 0; i < m->n_sp; i++) {
		r = check_sp(&m->sp[i]);
		if (r != MIKEY_REJECT_NONE)
			return r;
	}
	r = check_sakke(&m->sakke);
	if (r == MIKEY_REJECT_NONE && m->has_self)
		r = check_sakke(&m->self);
	if (r == MIKEY_REJECT_NONE && m->has_kp && (m->kp.len == 0 || m->kp.len > 0xffff))
		r = MIKEY_REJECT_BAD_LENGTH;
	if (r == MIKEY_REJECT_NONE && m->sign_type != MIKEY_SIGN_ECCSI)
		r = MIKEY_REJECT_BAD_SIGN;
	if (r == MIKEY_REJECT_NONE && m->sig.p != NULL && m->sig.len != MIKEY_SIGN_ECCSI_LEN)
		r = MIKEY_REJECT_BAD_SIGN;
	return r == MIKEY_REJECT_NONE ? check_policy_refs(m) : r;
}

static void
enc_hdr(struct wr *w, const struct mikey_hdr *h)
{
	unsigned int i;

	put_u8(w, h->version);
	put_u8(w, h->data_type);
	put_u8(w, MIKEY_PT_T);
	put_u8(w, (uint8_t)((h->v ? MIKEY_HDR_V_BIT : 0) | (h->prf & MIKEY_HDR_PRF_MASK)));
	put_u32(w, h->csb_id);
	put_u8(w, h->n_cs);
	put_u8(w, h->map_type);
	for (i = 0; i < h->n_cs; i++) {
		const struct mikey_cs *cs = &h->cs[i];

		put_u8(w, cs->cs_id);
		put_u8(w, cs->prot_type);
		put_u8(w, (uint8_t)((cs->s ? MIKEY_GID_S_BIT : 0) | cs->n_pol));
		put_bytes(w, cs->pol, cs->n_pol);
		put_u16(w, cs->sd_len);
		if (cs->sd_len != 0)
			put_u32(w, cs->ssrc);
		if (cs->sd_len == MIKEY_GID_SD_FULL) {
			put_u32(w, cs->roc);
			put_u16(w, cs->seq);
		}
		put_u8(w, cs->spi_len);
		put_bytes(w, cs->spi, cs->spi_len);
	}
}

static void
enc_sakke_body(struct wr *w, const struct mikey_sakke *s)
{
	put_u8(w, s->params);
	put_u8(w, s->id_scheme);
	put_u16(w, (uint16_t)s->data.len);
	put_bytes(w, s->data.p, s->data.len);
}

static size_t
sp_params_len(const struct mikey_sp *sp)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < sp->n_params; i++)
		n += 2u + sp->params[i].len;
	return n;
}

int
mikey_msg_encode(const struct mikey_msg *m, uint8_t *buf, size_t cap, size_t *len,
		 enum mikey_reject *why)
{
	uint8_t chain[2 + MIKEY_IDR_N + MIKEY_SP_MAX + 4];
	struct wr w = { .p = buf, .cap = cap };
	enum mikey_reject r;
	unsigned int i, n = 0, k = 0;

	if (why != NULL)
		*why = MIKEY_REJECT_NONE;
	if (m == NULL || buf == NULL || len == NULL)
		return -KEYS_E_ARG;
	r = check_msg(m);
	if (r != MIKEY_REJECT_NONE) {
		if (why != NULL)
			*why = r;
		return -KEYS_E_ARG;
	}
	/* the next-payload chain: what follows T, RAND, each IDR, ... */
	chain[n++] = MIKEY_PT_RAND;
	for (i = 0; i < MIKEY_IDR_N; i++)
		chain[n++] = MIKEY_PT_IDR;
	for (i = 0; i < m->n_sp; i++)
		chain[n++] = MIKEY_PT_SP;
	chain[n++] = MIKEY_PT_SAKKE;
	if (m->has_self)
		chain[n++] = MIKEY_PT_GEXT;
	if (m->has_kp)
		chain[n++] = MIKEY_PT_GEXT;
	chain[n++] = MIKEY_PT_SIGN;

	enc_hdr(&w, &m->hdr);
	put_u8(&w, chain[k++]);				/* T */
	put_u8(&w, m->ts_type);
	put_u32(&w, (uint32_t)(m->ts >> 32));
	put_u32(&w, (uint32_t)m->ts);
	put_u8(&w, chain[k++]);				/* RAND */
	put_u8(&w, (uint8_t)m->rand.len);
	put_bytes(&w, m->rand.p, m->rand.len);
	for (i = 0; i < MIKEY_IDR_N; i++) {		/* IDRs */
		put_u8(&w, chain[k++]);
		put_u8(&w, m->idr[i].role);
		put_u8(&w, m->idr[i].type);
		put_u16(&w, (uint16_t)m->idr[i].id.len);
		put_bytes(&w, m->idr[i].id.p, m->idr[i].id.len);
	}
	for (i = 0; i < m->n_sp; i++) {			/* SPs */
		const struct mikey_sp *sp = &m->sp[i];
		unsigned int j;

		put_u8(&w, chain[k++]);
		put_u8(&w, sp->policy_no);
		put_u8(&w, sp->prot_type);
		put_u16(&w, (uint16_t)sp_params_len(sp));
		for (j = 0; j < sp->n_params; j++) {
			put_u8(&w, sp->params[j].type);
			put_u8(&w, sp->params[j].len);
			put_bytes(&w, sp->params[j].val, sp->params[j].len);
		}
	}
	put_u8(&w, chain[k++]);				/* SAKKE */
	enc_sakke_body(&w, &m->sakke);
	if (m->has_self) {				/* E.5 */
		put_u8(&w, chain[k++]);
		put_u8(&w, MIKEY_GEXT_SAKKE_TO_SELF);
		put_u16(&w, MIKEY_SAKKE_HDR_LEN + MIKEY_SAKKE_DATA_LEN);
		put_u8(&w, MIKEY_PT_LAST);		/* inner NP: 0 */
		enc_sakke_body(&w, &m->self);
	}
	if (m->has_kp) {				/* E.6 */
		put_u8(&w, chain[k++]);
		put_u8(&w, MIKEY_GEXT_KEY_PARAMS);
		put_u16(&w, (uint16_t)m->kp.len);
		put_bytes(&w, m->kp.p, m->kp.len);
	}
	put_u16(&w, MIKEY_SIGN_ECCSI << 12 | MIKEY_SIGN_ECCSI_LEN);
	put_bytes(&w, m->sig.p, MIKEY_SIGN_ECCSI_LEN);	/* NULL: zeros */
	if (w.overflow) {
		if (why != NULL)
			*why = MIKEY_REJECT_TRUNCATED;
		return -KEYS_E_ARG;
	}
	*len = w.off;
	return 0;
}
