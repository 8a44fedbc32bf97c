/* SPDX-License-Identifier: proprietary */
/*
 * A text rendering of a decoded I_MESSAGE for `mcpx-keys mikey dump`. Only
 * public fields are shown as values; the SAKKE data, the E.6 ciphertext and
 * the signature appear as lengths (they are public, but long, and we never
 * format anything that could be mistaken for key bytes).
 */
#include <stdarg.h>
#include <stdio.h>

#include "mikey_dump.h"

struct out {
	char *buf;
	size_t cap;
	size_t n;
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(o->n < o->cap ? o->buf + o->n : NULL, o->n < o->cap ? o->cap - o->n : 0,
		      fmt, ap);
	va_end(ap);
	if (r > 0)
		o->n += (size_t)r;
}

static void
put_hex(struct out *o, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put(o, "%02x", p[i]);
}

/* An identity: printable URIs as text, UIDs as hex. */
static void
put_id(struct out *o, const struct mikey_idr *idr)
{
	if (mikey_idr_is_uid(idr)) {
		put_hex(o, idr->id.p, idr->id.len);
		return;
	}
	put(o, "%.*s", (int)idr->id.len, (const char *)idr->id.p);
}

static const char *
role_name(uint8_t role)
{
	switch (role) {
	case MIKEY_ROLE_I: return "IDRi";
	case MIKEY_ROLE_R: return "IDRr";
	case MIKEY_ROLE_KMSI: return "IDRkmsi";
	case MIKEY_ROLE_KMSR: return "IDRkmsr";
	case MIKEY_ROLE_UIDI: return "IDRuidi";
	case MIKEY_ROLE_UIDR: return "IDRuidr";
	default: return "IDR?";
	}
}

static void
put_hdr(struct out *o, const struct mikey_hdr *h)
{
	unsigned int i;

	put(o, "HDR     version %u, data type %u (SAKKE), V %u, PRF %u, CSB ID %08x"
	       " (purpose tag %u), #CS %u, map %s\n",
	    h->version, h->data_type, h->v, h->prf, h->csb_id, h->csb_id >> 28, h->n_cs,
	    h->map_type == MIKEY_MAP_EMPTY ? "empty" : "GENERIC-ID");
	for (i = 0; i < h->n_cs; i++) {
		const struct mikey_cs *cs = &h->cs[i];

		put(o, "  CS    id %u, prot %u, S %u, policies %u", cs->cs_id, cs->prot_type,
		    cs->s, cs->n_pol);
		if (cs->sd_len != 0)
			put(o, ", SSRC %08x", cs->ssrc);
		if (cs->sd_len == MIKEY_GID_SD_FULL)
			put(o, ", ROC %u, SEQ %u", cs->roc, cs->seq);
		put(o, ", SPI/MKI ");
		put_hex(o, cs->spi, cs->spi_len);
		put(o, "\n");
	}
}

static void
put_sp(struct out *o, const struct mikey_sp *sp)
{
	unsigned int j;

	put(o, "SP      policy %u, prot %u:", sp->policy_no, sp->prot_type);
	for (j = 0; j < sp->n_params; j++) {
		put(o, " %u=", sp->params[j].type);
		put_hex(o, sp->params[j].val, sp->params[j].len);
	}
	put(o, "\n");
}

size_t
mikey_msg_dump(const struct mikey_msg *m, char *buf, size_t cap)
{
	struct out o = { .buf = buf, .cap = cap };
	unsigned int i;

	if (buf != NULL && cap != 0)
		buf[0] = '\0';
	if (m == NULL)
		return 0;
	put_hdr(&o, &m->hdr);
	put(&o, "T       NTP-UTC %llu.%08x (seconds since 1900)\n",
	    (unsigned long long)(m->ts >> 32), (unsigned int)(m->ts & 0xffffffffu));
	put(&o, "RAND    %zu octets ", m->rand.len);
	put_hex(&o, m->rand.p, m->rand.len);
	put(&o, "\n");
	for (i = 0; i < MIKEY_IDR_N; i++) {
		put(&o, "%-7s type %u, ", role_name(m->idr[i].role), m->idr[i].type);
		put_id(&o, &m->idr[i]);
		put(&o, "\n");
	}
	for (i = 0; i < m->n_sp; i++)
		put_sp(&o, &m->sp[i]);
	put(&o, "SAKKE   params %u, ID scheme %u, %zu octets\n", m->sakke.params,
	    m->sakke.id_scheme, m->sakke.data.len);
	if (m->has_self)
		put(&o, "GEXT 6  SAKKE-to-self: params %u, ID scheme %u, %zu octets\n",
		    m->self.params, m->self.id_scheme, m->self.data.len);
	if (m->has_kp)
		put(&o, "GEXT 7  key parameters, %zu octets (protected)\n", m->kp.len);
	put(&o, "SIGN    type %u (ECCSI), %zu octets, signed part %zu octets\n", m->sign_type,
	    m->sig.len, m->sign_off + MIKEY_SIGN_HDR_LEN);
	if (buf != NULL && cap != 0 && o.n >= cap)
		buf[cap - 1] = '\0';
	return o.n;
}
