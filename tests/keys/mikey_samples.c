/* SPDX-License-Identifier: proprietary */
#include <string.h>

#include <criterion/criterion.h>

#include "mikey_samples.h"

const char *const mikey_sample_names[SAMPLE_N] = {
	"gmk", "gmk_no13", "pck", "pck_hidden", "csk",
};

static void
fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + 7 * i);
}

static void
idr(struct mikey_idr *d, uint8_t role, const char *uri)
{
	d->role = role;
	d->type = MIKEY_IDT_URI;
	d->id.p = (const uint8_t *)uri;
	d->id.len = strlen(uri);
}

static void
cs(struct mikey_hdr *h, uint8_t cs_id, uint32_t mki_hi, uint32_t mki_lo, uint8_t spi_len)
{
	struct mikey_cs *c = &h->cs[h->n_cs++];
	unsigned int i;

	h->map_type = MIKEY_MAP_GENERIC_ID;
	c->cs_id = cs_id;
	c->prot_type = MIKEY_PROT_SRTP;
	c->n_pol = 1;
	c->pol[0] = 0;
	c->spi_len = spi_len;
	for (i = 0; i < 4; i++) {
		c->spi[i] = (uint8_t)(mki_hi >> (24 - 8 * i));
		c->spi[4 + i] = (uint8_t)(mki_lo >> (24 - 8 * i));
	}
}

void
mikey_sample_build(struct mikey_sample *s, enum mikey_sample_kind k)
{
	struct mikey_msg *m = &s->m;

	memset(s, 0, sizeof(*s));
	fill(s->rand, sizeof(s->rand), 0x11);
	fill(s->sakke, sizeof(s->sakke), 0x22);
	s->sakke[0] = 0x04;
	fill(s->self, sizeof(s->self), 0x33);
	s->self[0] = 0x04;
	fill(s->kp, sizeof(s->kp), 0x44);
	fill(s->sig, sizeof(s->sig), 0x55);
	s->sig[64] = 0x04;
	fill(s->uidi, sizeof(s->uidi), 0x66);
	fill(s->uidr, sizeof(s->uidr), 0x77);

	m->hdr.version = MIKEY_VERSION;
	m->hdr.data_type = MIKEY_DATA_TYPE_SAKKE;
	m->hdr.prf = MIKEY_PRF_HMAC_SHA_256;
	m->hdr.map_type = MIKEY_MAP_EMPTY;
	m->ts_type = MIKEY_TS_NTP_UTC;
	m->ts = (uint64_t)3913056000u << 32 | 0x80000000u;	/* 2024-01-01 + 0.5 s */
	m->rand.p = s->rand;
	m->rand.len = sizeof(s->rand);
	m->sakke.params = MIKEY_SAKKE_PARAMS_1;
	m->sakke.id_scheme = MIKEY_SAKKE_SCHEME_UID;
	m->sakke.data.p = s->sakke;
	m->sakke.data.len = sizeof(s->sakke);
	m->sign_type = MIKEY_SIGN_ECCSI;
	m->sig.p = s->sig;
	m->sig.len = sizeof(s->sig);
	idr(&m->idr[MIKEY_IDR_KMSI], MIKEY_ROLE_KMSI, "kms.example.org");
	idr(&m->idr[MIKEY_IDR_KMSR], MIKEY_ROLE_KMSR, "kms.example.org");

	switch (k) {
	case SAMPLE_GMK:
	case SAMPLE_GMK_NO13:
		m->hdr.csb_id = 0x06a12aea;			/* a GUK-ID, tag 0 */
		cs(&m->hdr, 4, 0x0df9bc39, 0x06a12aea, 8);
		idr(&m->idr[MIKEY_IDR_I], MIKEY_ROLE_I, "sip:gms@example.org");
		idr(&m->idr[MIKEY_IDR_R], MIKEY_ROLE_R, "sip:alice@example.org");
		m->n_sp = 1;
		mikey_sp_table_e21(&m->sp[0], 0, k == SAMPLE_GMK);
		break;
	case SAMPLE_PCK:
	case SAMPLE_PCK_HIDDEN:
		m->hdr.csb_id = 0x16992638;			/* a PCK-ID, tag 1 */
		idr(&m->idr[MIKEY_IDR_I], MIKEY_ROLE_I, "sip:alice@example.org");
		idr(&m->idr[MIKEY_IDR_R], MIKEY_ROLE_R, "sip:bob@example.org");
		if (k == SAMPLE_PCK_HIDDEN) {
			m->idr[MIKEY_IDR_I].role = MIKEY_ROLE_UIDI;
			m->idr[MIKEY_IDR_I].id.p = s->uidi;
			m->idr[MIKEY_IDR_I].id.len = sizeof(s->uidi);
			m->idr[MIKEY_IDR_R].role = MIKEY_ROLE_UIDR;
			m->idr[MIKEY_IDR_R].id.p = s->uidr;
			m->idr[MIKEY_IDR_R].id.len = sizeof(s->uidr);
		}
		break;
	case SAMPLE_CSK:
	default:
		m->hdr.csb_id = 0x2ddd5bf0;			/* a CSK-ID, tag 2 */
		cs(&m->hdr, 6, 0x2ddd5bf0, 0, 4);
		m->hdr.cs[0].n_pol = 0;
		idr(&m->idr[MIKEY_IDR_I], MIKEY_ROLE_I, "sip:alice@example.org");
		idr(&m->idr[MIKEY_IDR_R], MIKEY_ROLE_R, "mcptt.example.org");
		m->sakke.id_scheme = MIKEY_SAKKE_SCHEME_TEL;
		break;
	}
	if (k == SAMPLE_GMK || k == SAMPLE_PCK || k == SAMPLE_PCK_HIDDEN) {
		m->has_self = true;
		m->self.params = MIKEY_SAKKE_PARAMS_1;
		m->self.id_scheme = MIKEY_SAKKE_SCHEME_UID;
		m->self.data.p = s->self;
		m->self.data.len = sizeof(s->self);
	}
	if (k != SAMPLE_CSK && k != SAMPLE_GMK_NO13) {
		m->has_kp = true;
		m->kp.p = s->kp;
		m->kp.len = 55;
	}
}

size_t
mikey_sample_encode(const struct mikey_sample *s, uint8_t *buf, size_t cap)
{
	enum mikey_reject why;
	size_t len = 0;

	cr_assert_eq(mikey_msg_encode(&s->m, buf, cap, &len, &why), 0, "encode: %s",
		     mikey_reject_name(why));
	return len;
}
