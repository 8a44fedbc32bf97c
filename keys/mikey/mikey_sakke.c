/* SPDX-License-Identifier: proprietary */
/*
 * MIKEY-SAKKE senders and receiver. The receiver is a straight line of checks
 * in the order mikey_sakke.h lists; nothing secret exists before the ECCSI
 * signature has verified, and every exit after that goes through one out:
 * label that wipes.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "keys_keyparams.h"
#include "keys_period.h"
#include "keys_uid.h"
#include "kms.h"
#include "mikey_sakke.h"
#include "store.h"

static const char *const variant_str[MIKEY_VARIANT_COUNT] = {
#define STR(n, s) [MIKEY_VARIANT_##n] = s,
	MIKEY_VARIANTS(STR)
#undef STR
};

const char *
mikey_variant_str(enum mikey_variant v)
{
	return (unsigned int)v < MIKEY_VARIANT_COUNT ? variant_str[v] : "unknown variant";
}

struct mikey_signer {
	const char *uri;
	const struct mikey_kms *kms;
	uint64_t period_no;
	uint8_t uid[MIKEY_UID_LEN];
	struct eccsi_signer *eccsi;
};

struct mikey_identity {
	const char *uri;
	const struct mikey_kms *kms;
	uint64_t period_no;
	uint8_t uid[MIKEY_UID_LEN];
	struct sakke_receiver *sakke;
};

static int
uid_of(uint8_t uid[MIKEY_UID_LEN], const char *uri, const struct mikey_kms *kms,
       uint64_t period_no)
{
	return keys_uid_derive(uid, uri, kms->uri, kms->period_len, kms->period_offset, period_no);
}

int
mikey_signer_new(struct mikey_signer **out, const char *uri, const struct mikey_kms *kms,
		 uint64_t period_no, const uint8_t ssk[ECCSI_SSK_LEN],
		 const uint8_t pvt[ECCSI_POINT_LEN])
{
	struct mikey_signer *s;
	int rc;

	if (out == NULL || uri == NULL || kms == NULL || kms->uri == NULL || ssk == NULL ||
	    pvt == NULL)
		return -KEYS_E_ARG;
	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -KEYS_E_NOMEM;
	s->uri = uri;
	s->kms = kms;
	s->period_no = period_no;
	rc = uid_of(s->uid, uri, kms, period_no);
	if (rc == 0)
		rc = eccsi_signer_new(&s->eccsi, ssk, pvt, kms->kpak, s->uid, sizeof(s->uid));
	if (rc < 0) {
		mikey_signer_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
mikey_signer_free(struct mikey_signer *s)
{
	if (s == NULL)
		return;
	eccsi_signer_free(s->eccsi);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

int
mikey_identity_new(struct mikey_identity **out, const char *uri, const struct mikey_kms *kms,
		   uint64_t period_no, const uint8_t rsk[SAKKE_POINT_LEN])
{
	struct mikey_identity *id;
	int rc;

	if (out == NULL || uri == NULL || kms == NULL || kms->uri == NULL || rsk == NULL)
		return -KEYS_E_ARG;
	*out = NULL;
	id = calloc(1, sizeof(*id));
	if (id == NULL)
		return -KEYS_E_NOMEM;
	id->uri = uri;
	id->kms = kms;
	id->period_no = period_no;
	rc = uid_of(id->uid, uri, kms, period_no);
	if (rc == 0)
		rc = sakke_receiver_new(&id->sakke, rsk, kms->z, id->uid, sizeof(id->uid));
	if (rc < 0) {
		mikey_identity_free(id);
		return rc;
	}
	*out = id;
	return 0;
}

void
mikey_identity_free(struct mikey_identity *id)
{
	if (id == NULL)
		return;
	sakke_receiver_free(id->sakke);
	sodium_memzero(id, sizeof(*id));
	free(id);
}

int
mikey_newkey_make(struct mikey_newkey *k, unsigned int purpose)
{
	if (k == NULL || purpose > KEYS_PURPOSE_MUSIK)
		return -KEYS_E_ARG;
	k->purpose = purpose;
	randombytes_buf(k->key, sizeof(k->key));
	randombytes_buf(k->rand, sizeof(k->rand));
	return keys_id_new(&k->key_id, purpose);
}

void
mikey_key_wipe(struct mikey_key *k)
{
	if (k != NULL)
		sodium_memzero(k, sizeof(*k));
}

/*
 * Sender
 */

/* What differs between GMK, PCK and CSK messages. */
struct build {
	const struct mikey_newkey *k;
	uint32_t csb_id;
	uint8_t cs_id;
	bool has_cs;
	uint8_t spi[KEYS_MKI_MAX_LEN];
	uint8_t spi_len;
	bool sp;
	bool sp_roc_rate;
	struct mikey_keyparams kp;
};

static uint64_t
t1900_of(int64_t unix_now)
{
	return (uint64_t)(unix_now != 0 ? unix_now : (int64_t)time(NULL)) + KEYS_NTP_UNIX_OFFSET;
}

static void
set_idr(struct mikey_idr *d, uint8_t role, const char *uri)
{
	d->role = role;
	d->type = MIKEY_IDT_URI;
	d->id.p = (const uint8_t *)uri;
	d->id.len = strlen(uri);
}

static void
set_sakke(struct mikey_sakke *s, uint8_t scheme, const uint8_t ed[SAKKE_ED_LEN])
{
	s->params = MIKEY_SAKKE_PARAMS_1;
	s->id_scheme = scheme;
	s->data.p = ed;
	s->data.len = SAKKE_ED_LEN;
}

static int
encap(uint8_t ed[SAKKE_ED_LEN], const uint8_t ssv[SAKKE_SSV_LEN],
      const uint8_t z[SAKKE_POINT_LEN], const uint8_t uid[MIKEY_UID_LEN])
{
	struct sakke_sender *ss = NULL;
	int rc;

	rc = sakke_sender_new(&ss, z, uid, MIKEY_UID_LEN);
	if (rc == 0)
		rc = sakke_encapsulate_ssv(ed, ssv, ss);
	sakke_sender_free(ss);
	return rc;
}

/* HDR, T, RAND and the four IDRs. */
static void
fill_head(struct mikey_msg *m, const struct mikey_tx *tx, const struct build *b, uint64_t t1900,
	  const uint8_t uid_r[MIKEY_UID_LEN])
{
	struct mikey_cs *cs = &m->hdr.cs[0];

	m->hdr.version = MIKEY_VERSION;
	m->hdr.data_type = MIKEY_DATA_TYPE_SAKKE;
	m->hdr.prf = MIKEY_PRF_HMAC_SHA_256;
	m->hdr.csb_id = b->csb_id;
	m->hdr.map_type = MIKEY_MAP_EMPTY;
	if (b->has_cs) {
		m->hdr.n_cs = 1;
		m->hdr.map_type = MIKEY_MAP_GENERIC_ID;
		cs->cs_id = b->cs_id;
		cs->prot_type = MIKEY_PROT_SRTP;
		cs->n_pol = b->sp ? 1 : 0;
		cs->spi_len = b->spi_len;
		memcpy(cs->spi, b->spi, b->spi_len);
	}
	m->ts_type = MIKEY_TS_NTP_UTC;
	/* RFC 5905 §6: the field carries the seconds modulo 2^32, the era is implied */
	m->ts = (t1900 & UINT32_MAX) << 32;
	m->rand.p = b->k->rand;
	m->rand.len = sizeof(b->k->rand);
	set_idr(&m->idr[MIKEY_IDR_I], MIKEY_ROLE_I, tx->from->uri);
	set_idr(&m->idr[MIKEY_IDR_R], MIKEY_ROLE_R, tx->to.uri);
	set_idr(&m->idr[MIKEY_IDR_KMSI], MIKEY_ROLE_KMSI, tx->from->kms->uri);
	set_idr(&m->idr[MIKEY_IDR_KMSR], MIKEY_ROLE_KMSR, tx->to.kms->uri);
	if (tx->hide_ids) {
		/* 33.180 E.7: roles 8/9 with the UIDs (type 1 as deployed) */
		uint8_t type = tx->uid_type_bytes ? MIKEY_IDT_BYTES : MIKEY_IDT_URI;

		m->idr[MIKEY_IDR_I] = (struct mikey_idr){ MIKEY_ROLE_UIDI, type,
			{ tx->from->uid, MIKEY_UID_LEN } };
		m->idr[MIKEY_IDR_R] = (struct mikey_idr){ MIKEY_ROLE_UIDR, type,
			{ uid_r, MIKEY_UID_LEN } };
	}
	if (b->sp) {
		m->n_sp = 1;
		mikey_sp_table_e21(&m->sp[0], 0, b->sp_roc_rate);
	}
}

static bool
tx_ok(const struct mikey_tx *tx)
{
	return tx != NULL && tx->from != NULL && tx->to.uri != NULL && tx->to.kms != NULL &&
	       tx->to.kms->uri != NULL;
}

static int
send_core(uint8_t *buf, size_t cap, size_t *len, const struct mikey_tx *tx,
	  const struct build *b)
{
	uint8_t uid_r[MIKEY_UID_LEN], ed[SAKKE_ED_LEN], self_ed[SAKKE_ED_LEN];
	uint8_t pt[1024], ct[1024 + KEYS_KP_OVERHEAD], sig[ECCSI_SIG_LEN];
	const struct mikey_signer *from = tx->from;
	struct mikey_msg m;
	uint64_t t1900, pno;
	size_t pt_len = 0, ct_len = 0, signed_len;
	int rc;

	memset(&m, 0, sizeof(m));
	t1900 = t1900_of(tx->now);
	/* the signer's key set must be the one of T's period */
	rc = keys_period_no(&pno, t1900, from->kms->period_len, from->kms->period_offset);
	if (rc == 0 && pno != from->period_no)
		rc = -KEYS_E_NOTFOUND;
	if (rc == 0)
		rc = keys_period_no(&pno, t1900, tx->to.kms->period_len,
				    tx->to.kms->period_offset);
	if (rc == 0)
		rc = uid_of(uid_r, tx->to.uri, tx->to.kms, pno);
	if (rc == 0)
		rc = encap(ed, b->k->key, tx->to.kms->z, uid_r);
	if (rc == 0 && tx->to_self)
		rc = encap(self_ed, b->k->key, from->kms->z, from->uid);
	if (rc == 0 && !tx->no_key_params)
		rc = mikey_keyparams_encode(&b->kp, pt, sizeof(pt), &pt_len);
	if (rc == 0 && !tx->no_key_params)
		rc = keys_keyparams_protect(ct, sizeof(ct), &ct_len, b->k->key, b->csb_id, NULL,
					    pt, pt_len);
	if (rc < 0)
		goto out;

	fill_head(&m, tx, b, t1900, uid_r);
	set_sakke(&m.sakke, tx->sakke_scheme != 0 ? tx->sakke_scheme : MIKEY_SAKKE_SCHEME_UID,
		  ed);
	if (tx->to_self) {
		m.has_self = true;
		set_sakke(&m.self, MIKEY_SAKKE_SCHEME_UID, self_ed);
	}
	if (!tx->no_key_params) {
		m.has_kp = true;
		m.kp.p = ct;
		m.kp.len = ct_len;
	}
	m.sign_type = MIKEY_SIGN_ECCSI;
	rc = mikey_msg_encode(&m, buf, cap, len, NULL);
	if (rc < 0)
		goto out;
	/* RFC 3830 §5.2 / digest §4.10: everything before the signature */
	signed_len = *len - ECCSI_SIG_LEN - (tx->sign_without_header ? MIKEY_SIGN_HDR_LEN : 0);
	rc = eccsi_sign(sig, from->eccsi, buf, signed_len);
	if (rc < 0)
		goto out;
	memcpy(buf + *len - ECCSI_SIG_LEN, sig, ECCSI_SIG_LEN);
out:
	if (rc < 0 && buf != NULL)
		sodium_memzero(buf, cap);
	sodium_memzero(pt, sizeof(pt));
	sodium_memzero(&m, sizeof(m));
	return rc;
}

static void
kp_init(struct mikey_keyparams *kp, unsigned int purpose, const struct mikey_tx *tx)
{
	memset(kp, 0, sizeof(*kp));
	kp->key_type = (uint8_t)purpose;
	kp->status = MIKEY_KP_STATUS_NOT_REVOKED;
	if (tx->to.kms->security_gateway)
		kp->status |= MIKEY_KP_STATUS_SEGY;	/* E.6.9 bit 1 */
}

int
mikey_gms_gmk(uint8_t *buf, size_t cap, size_t *len, const struct mikey_tx *tx,
	      const struct mikey_newkey *k, const struct mikey_gmk_opts *o)
{
	struct build b;
	unsigned int i;
	int rc;

	if (buf == NULL || len == NULL || !tx_ok(tx) || k == NULL || o == NULL ||
	    o->n_groups > MIKEY_KP_GROUPS_MAX || (o->n_groups != 0 && o->groups == NULL))
		return -KEYS_E_ARG;
	if (k->purpose != KEYS_PURPOSE_GMK || keys_id_purpose(k->key_id) != KEYS_PURPOSE_GMK)
		return -KEYS_E_RANGE;
	memset(&b, 0, sizeof(b));
	b.k = k;
	/* end-point diversity: the member's GUK-ID is the CSB ID (F.1.3) */
	rc = keys_guk_id(&b.csb_id, k->key_id, k->key, tx->to.uri);
	if (rc < 0)
		return rc;
	b.has_cs = !o->no_cs;
	b.cs_id = MIKEY_CS_MCPTT_GROUP;
	keys_mki_group(b.spi, k->key_id, b.csb_id);
	b.spi_len = KEYS_MKI_GROUP_LEN;
	b.sp = !o->no_cs;
	b.sp_roc_rate = !o->sp_without_roc_rate;
	kp_init(&b.kp, KEYS_PURPOSE_GMK, tx);
	b.kp.activation = o->activation;
	b.kp.expiry = o->expiry;
	if (o->text != NULL) {
		b.kp.text.p = (const uint8_t *)o->text;
		b.kp.text.len = strlen(o->text);
	}
	b.kp.has_groups = true;
	b.kp.n_groups = (uint8_t)o->n_groups;
	for (i = 0; i < o->n_groups; i++) {
		b.kp.groups[i].iei = MIKEY_KP_GROUP_IEI;
		b.kp.groups[i].id.p = (const uint8_t *)o->groups[i];
		b.kp.groups[i].id.len = strlen(o->groups[i]);
	}
	return send_core(buf, cap, len, tx, &b);
}

int
mikey_pck_send(uint8_t *buf, size_t cap, size_t *len, const struct mikey_tx *tx,
	       const struct mikey_newkey *k)
{
	struct build b;

	if (buf == NULL || len == NULL || !tx_ok(tx) || k == NULL)
		return -KEYS_E_ARG;
	if (k->purpose != KEYS_PURPOSE_PCK || keys_id_purpose(k->key_id) != KEYS_PURPOSE_PCK)
		return -KEYS_E_RANGE;
	memset(&b, 0, sizeof(b));
	b.k = k;
	b.csb_id = k->key_id;		/* 33.180 E.3.1; #CS = 0: Table E.3-1 */
	kp_init(&b.kp, KEYS_PURPOSE_PCK, tx);
	return send_core(buf, cap, len, tx, &b);
}

int
mikey_csk_send(uint8_t *buf, size_t cap, size_t *len, const struct mikey_tx *tx,
	       const struct mikey_newkey *k)
{
	struct build b;

	if (buf == NULL || len == NULL || !tx_ok(tx) || k == NULL)
		return -KEYS_E_ARG;
	if (k->purpose != KEYS_PURPOSE_CSK || keys_id_purpose(k->key_id) != KEYS_PURPOSE_CSK)
		return -KEYS_E_RANGE;
	memset(&b, 0, sizeof(b));
	b.k = k;
	b.csb_id = k->key_id;		/* 33.180 E.4.1 */
	b.has_cs = true;
	b.cs_id = MIKEY_CS_MCPTT_CSK;
	keys_mki_key(b.spi, k->key_id);
	b.spi_len = KEYS_MKI_KEY_LEN;
	kp_init(&b.kp, KEYS_PURPOSE_CSK, tx);
	return send_core(buf, cap, len, tx, &b);
}

/*
 * Receiver
 */

struct rxs {
	const struct mikey_rx *rx;
	struct mikey_msg m;
	struct mikey_key *out;
	uint64_t now1900;
	uint64_t t1900;
	int64_t window;
	const struct mikey_kms *kmsi;
	const struct mikey_kms *kmsr;
	const struct mikey_identity *me;
	uint8_t uid_i[MIKEY_UID_LEN];
	uint32_t variants;
	enum mikey_reject why;
};

static int
reject(struct rxs *s, enum mikey_reject why, int rc)
{
	s->why = why;
	return rc;
}

static bool
bytes_eq_str(const struct mikey_bytes *b, const char *s)
{
	size_t n = strlen(s);

	return b->len == n && memcmp(b->p, s, n) == 0;
}

static const struct mikey_kms *
kms_find(const struct mikey_rx *rx, const struct mikey_bytes *uri)
{
	size_t i;

	for (i = 0; i < rx->n_kms; i++)
		if (rx->kms[i] != NULL && bytes_eq_str(uri, rx->kms[i]->uri))
			return rx->kms[i];
	return NULL;
}

/*
 * Step 3: |T - now| within the window. T carries its seconds modulo 2^32
 * (RFC 5905 §6: no era on the wire), so T is first placed in the era nearest
 * the clock; the window, T's key period, the UIDs and E.6 all use that
 * 64-bit T, and the sender's period agrees past 2036.
 */
static int
check_time(struct rxs *s)
{
	int64_t now = s->rx->clock != NULL ? s->rx->clock(s->rx->clock_arg) : (int64_t)time(NULL);
	int64_t w = s->rx->window > 0 ? s->rx->window : MIKEY_WINDOW_DEFAULT;
	uint32_t secs = (uint32_t)mikey_msg_ntp_seconds(&s->m);
	int64_t d;

	if (keys_ntp_from_unix(&s->now1900, now) < 0)
		return reject(s, MIKEY_REJECT_TIMESTAMP_WINDOW, -KEYS_E_VERIFY);
	d = (int32_t)(secs - (uint32_t)s->now1900);	/* nearest era: |d| < 2^31 */
	if (d > w || d < -w || (d < 0 && s->now1900 < (uint64_t)-d))
		return reject(s, MIKEY_REJECT_TIMESTAMP_WINDOW, -KEYS_E_VERIFY);
	s->t1900 = s->now1900 + (uint64_t)d;
	s->window = w;
	return 0;
}

/* Step 5: which of our identities |idr| names under |kms| for T's period. */
static int
find_me(struct rxs *s, const struct mikey_idr *idr, const struct mikey_kms *kms)
{
	bool other_period = false;
	uint64_t pno;
	size_t i;

	if (keys_period_no(&pno, s->t1900, kms->period_len, kms->period_offset) < 0)
		return reject(s, MIKEY_REJECT_NO_KEY_PERIOD, -KEYS_E_NOTFOUND);
	for (i = 0; i < s->rx->n_ids; i++) {
		const struct mikey_identity *id = s->rx->ids[i];
		bool same;

		if (id == NULL || strcmp(id->kms->uri, kms->uri) != 0)
			continue;
		if (mikey_idr_is_uid(idr))
			same = sodium_memcmp(idr->id.p, id->uid, MIKEY_UID_LEN) == 0;
		else
			same = bytes_eq_str(&idr->id, id->uri);
		if (same && id->period_no == pno) {
			s->me = id;
			return 0;
		}
		other_period |= same;
	}
	return reject(s, other_period ? MIKEY_REJECT_NO_KEY_PERIOD : MIKEY_REJECT_NOT_RECIPIENT,
		      -KEYS_E_NOTFOUND);
}

/* Step 5: the responder, else the initiator reading its SAKKE-to-self. */
static int
recipient(struct rxs *s)
{
	const struct mikey_idr *r = mikey_msg_idr(&s->m, MIKEY_IDR_R);
	const struct mikey_idr *i = mikey_msg_idr(&s->m, MIKEY_IDR_I);
	enum mikey_reject first;
	int rc;

	rc = find_me(s, r, s->kmsr);
	if (rc == 0 || !s->m.has_self)
		return rc;
	first = s->why;
	rc = find_me(s, i, s->kmsi);
	if (rc < 0) {
		s->why = first;
		return rc;
	}
	s->out->from_self = true;
	s->variants |= 1u << MIKEY_VARIANT_FROM_SELF;
	return 0;
}

/*
 * Step 6, hidden initiator (33.180 §5.2.6, E.7): IDRuidi proves nothing by
 * itself, since any UID signs for itself. Its URI comes from the signalling:
 * we recompute, for each initiator the caller expects, the UID for KMSi and
 * T's key period, and take the one that is IDRuidi. Reading our own message
 * (SAKKE-to-self) the initiator is us: find_me() already matched IDRuidi to
 * our UID for T's period.
 */
static int
hidden_initiator(struct rxs *s, const uint8_t uid[MIKEY_UID_LEN], uint64_t pno)
{
	uint8_t want[MIKEY_UID_LEN];
	const char *found = NULL;
	size_t i, n;
	int rc = 0;

	if (s->out->from_self) {
		found = s->me->uri;
	} else {
		for (i = 0; i < s->rx->n_initiators && s->rx->initiators != NULL; i++) {
			const char *uri = s->rx->initiators[i];

			if (uri == NULL || strlen(uri) > MIKEY_URI_MAX)
				continue;
			if (uid_of(want, uri, s->kmsi, pno) < 0)
				continue;
			if (sodium_memcmp(want, uid, MIKEY_UID_LEN) == 0 && found == NULL)
				found = uri;
		}
	}
	if (found == NULL) {
		rc = reject(s, MIKEY_REJECT_UNKNOWN_INITIATOR, -KEYS_E_VERIFY);
		goto out;
	}
	n = strlen(found);
	if (n > MIKEY_URI_MAX) {
		rc = reject(s, MIKEY_REJECT_UNKNOWN_INITIATOR, -KEYS_E_VERIFY);
		goto out;
	}
	memcpy(s->out->initiator, found, n + 1);
out:
	sodium_memzero(want, sizeof(want));
	return rc;
}

/*
 * Step 6: the initiator's UID (from IDRi's URI, or IDRuidi matched to an
 * expected initiator), then ECCSI (RFC 6507 §5.2.2) under KMSi's KPAK.
 */
static int
check_signature(struct rxs *s)
{
	const struct mikey_idr *i = mikey_msg_idr(&s->m, MIKEY_IDR_I);
	const struct mikey_msg *m = &s->m;
	uint64_t pno;
	int rc;

	if (keys_period_no(&pno, s->t1900, s->kmsi->period_len, s->kmsi->period_offset) < 0)
		return reject(s, MIKEY_REJECT_BAD_SIGNATURE, -KEYS_E_VERIFY);
	if (mikey_idr_is_uid(i)) {
		s->out->initiator_hidden = true;
		rc = hidden_initiator(s, i->id.p, pno);
		if (rc < 0)
			return rc;
		memcpy(s->uid_i, i->id.p, MIKEY_UID_LEN);
	} else {
		if (i->id.len > MIKEY_URI_MAX)
			return reject(s, MIKEY_REJECT_BAD_IDR, -KEYS_E_PARSE);
		memcpy(s->out->initiator, i->id.p, i->id.len);
		s->out->initiator[i->id.len] = '\0';
		if (uid_of(s->uid_i, s->out->initiator, s->kmsi, pno) < 0)
			return reject(s, MIKEY_REJECT_BAD_SIGNATURE, -KEYS_E_VERIFY);
	}
	memcpy(s->out->initiator_uid, s->uid_i, MIKEY_UID_LEN);
	rc = eccsi_verify(m->wire, m->sign_off + MIKEY_SIGN_HDR_LEN, m->sig.p, m->sig.len,
			  s->uid_i, MIKEY_UID_LEN, s->kmsi->kpak);
	if (rc == -KEYS_E_VERIFY) {
		/* deployed senders that leave the SIGN header out (digest §4.10) */
		rc = eccsi_verify(m->wire, m->sign_off, m->sig.p, m->sig.len, s->uid_i,
				  MIKEY_UID_LEN, s->kmsi->kpak);
		if (rc == 0)
			s->variants |= 1u << MIKEY_VARIANT_SIGN_NO_HEADER;
	}
	if (rc == -KEYS_E_VERIFY || rc == -KEYS_E_POINT || rc == -KEYS_E_PARSE ||
	    rc == -KEYS_E_KEY)
		return reject(s, MIKEY_REJECT_BAD_SIGNATURE, -KEYS_E_VERIFY);
	return rc;
}

/* The CS IDs a key of |purpose| may describe (Table E.1.3-1). */
static bool
cs_fits(unsigned int purpose, uint8_t cs_id)
{
	switch (purpose) {
	case KEYS_PURPOSE_PCK:
		return cs_id <= MIKEY_CS_MCVIDEO_PCK_RECV;
	case KEYS_PURPOSE_GMK:
		return cs_id == MIKEY_CS_MCPTT_GROUP || cs_id == MIKEY_CS_MCVIDEO_GROUP;
	case KEYS_PURPOSE_CSK:
		return cs_id == MIKEY_CS_MCPTT_CSK || cs_id == MIKEY_CS_MCVIDEO_CSK;
	case KEYS_PURPOSE_MUSIK:
		return cs_id == MIKEY_CS_MCPTT_MUSIK || cs_id == MIKEY_CS_MCVIDEO_MUSIK;
	default:
		return false;
	}
}

static uint8_t
default_cs(unsigned int purpose)
{
	switch (purpose) {
	case KEYS_PURPOSE_GMK:
		return MIKEY_CS_MCPTT_GROUP;
	case KEYS_PURPOSE_CSK:
		return MIKEY_CS_MCPTT_CSK;
	case KEYS_PURPOSE_MUSIK:
		return MIKEY_CS_MCPTT_MUSIK;
	default:
		return MIKEY_CS_MCPTT_PCK_INIT;
	}
}

/* Step 7 (GMK part): the GMK-ID from the GUK-ID, and our MKI. */
static int
key_ids(struct rxs *s)
{
	struct mikey_key *k = s->out;
	const struct mikey_idr *r = mikey_msg_idr(&s->m, MIKEY_IDR_R);
	char member[MIKEY_URI_MAX + 1];
	int rc;

	k->key_id = k->csb_id;
	if (k->purpose != KEYS_PURPOSE_GMK) {
		keys_mki_key(k->mki, k->key_id);
		k->mki_len = KEYS_MKI_KEY_LEN;
		return 0;
	}
	/* the salt is the member's: ours, or IDRr's when reading to-self */
	if (!k->from_self && strlen(s->me->uri) <= MIKEY_URI_MAX) {
		memcpy(member, s->me->uri, strlen(s->me->uri) + 1);
	} else if (!k->from_self) {
		return reject(s, MIKEY_REJECT_NOT_RECIPIENT, -KEYS_E_NOTFOUND);
	} else if (!mikey_idr_is_uid(r) && r->id.len <= MIKEY_URI_MAX) {
		memcpy(member, r->id.p, r->id.len);
		member[r->id.len] = '\0';
	} else {
		return reject(s, MIKEY_REJECT_NOT_RECIPIENT, -KEYS_E_NOTFOUND);
	}
	rc = keys_gmk_id_from_guk(&k->key_id, k->csb_id, k->key, member);
	sodium_memzero(member, sizeof(member));
	if (rc < 0)
		return rc;
	if (keys_id_purpose(k->key_id) != KEYS_PURPOSE_GMK)
		return reject(s, MIKEY_REJECT_PURPOSE_MISMATCH, -KEYS_E_VERIFY);
	keys_mki_group(k->mki, k->key_id, k->csb_id);
	k->mki_len = KEYS_MKI_GROUP_LEN;
	return 0;
}

/* Step 9: E.6 opened with the key, then its content checked. */
static int
key_params(struct rxs *s)
{
	struct mikey_key *k = s->out;
	struct mikey_keyparams kp;
	uint8_t pt[1024];
	size_t pt_len = 0, n;
	unsigned int i;
	int rc;

	if (!s->m.has_kp) {
		s->variants |= 1u << MIKEY_VARIANT_NO_KEY_PARAMS;
		return 0;
	}
	rc = keys_keyparams_unprotect(pt, sizeof(pt), &pt_len, k->key, k->csb_id, s->m.kp.p,
				      s->m.kp.len);
	if (rc == -KEYS_E_VERIFY)
		rc = reject(s, MIKEY_REJECT_TAMPERED, -KEYS_E_VERIFY);
	else if (rc == -KEYS_E_PARSE || rc == -KEYS_E_ARG)
		rc = reject(s, MIKEY_REJECT_BAD_KEY_PARAMS, -KEYS_E_PARSE);
	if (rc == 0 && mikey_keyparams_decode(&kp, pt, pt_len) < 0)
		rc = reject(s, MIKEY_REJECT_BAD_KEY_PARAMS, -KEYS_E_PARSE);
	if (rc < 0)
		goto out;
	if (kp.key_type != k->purpose) {
		rc = reject(s, MIKEY_REJECT_PURPOSE_MISMATCH, -KEYS_E_VERIFY);
		goto out;
	}
	if (!(kp.status & MIKEY_KP_STATUS_NOT_REVOKED)) {
		rc = reject(s, MIKEY_REJECT_KEY_REVOKED, -KEYS_E_VERIFY);
		goto out;
	}
	if (kp.expiry != 0 && kp.expiry <= s->now1900) {
		rc = reject(s, MIKEY_REJECT_KEY_EXPIRED, -KEYS_E_VERIFY);
		goto out;
	}
	k->has_params = true;
	k->status = kp.status;
	k->shared_with_segy = (kp.status & MIKEY_KP_STATUS_SEGY) != 0;
	k->activation = kp.activation != 0 ? kp.activation : s->t1900;
	k->expiry = kp.expiry;
	n = kp.text.len < MIKEY_TEXT_MAX ? kp.text.len : MIKEY_TEXT_MAX;
	memcpy(k->text, kp.text.p, n);
	k->text[n] = '\0';
	k->n_groups = kp.n_groups;
	for (i = 0; i < kp.n_groups; i++) {
		if (kp.groups[i].id.len > MIKEY_GROUP_URI_MAX) {
			rc = reject(s, MIKEY_REJECT_BAD_KEY_PARAMS, -KEYS_E_PARSE);
			goto out;
		}
		memcpy(k->groups[i], kp.groups[i].id.p, kp.groups[i].id.len);
		k->groups[i][kp.groups[i].id.len] = '\0';
	}
out:
	sodium_memzero(pt, sizeof(pt));
	return rc;
}

/* Step 10: the SRTP profile, and the SPI of every crypto session = our MKI. */
static int
profile_and_mki(struct rxs *s)
{
	struct mikey_key *k = s->out;
	const struct mikey_hdr *h = &s->m.hdr;
	uint8_t cs_id = h->n_cs != 0 ? h->cs[0].cs_id : default_cs(k->purpose);
	unsigned int i, j;
	int rc;

	for (i = 0; i < h->n_cs; i++) {
		if (!cs_fits(k->purpose, h->cs[i].cs_id))
			return reject(s, MIKEY_REJECT_PURPOSE_MISMATCH, -KEYS_E_VERIFY);
		if (h->cs[i].spi_len != 0 &&
		    (h->cs[i].spi_len != k->mki_len ||
		     memcmp(h->cs[i].spi, k->mki, k->mki_len) != 0))
			return reject(s, MIKEY_REJECT_BAD_MKI, -KEYS_E_VERIFY);
	}
	rc = mikey_profile_resolve(&k->profile, &k->profile_src, &s->m, k->purpose, cs_id,
				   &s->why);
	if (rc < 0)
		return rc;
	if (k->profile_src != MIKEY_PROFILE_SP) {
		s->variants |= 1u << MIKEY_VARIANT_DEFAULT_PROFILE;
		return 0;
	}
	for (i = 0; i < s->m.n_sp; i++) {
		bool r = false;

		for (j = 0; j < s->m.sp[i].n_params; j++)
			r |= s->m.sp[i].params[j].type == MIKEY_SP_ROC_RATE;
		s->variants |= 1u << (r ? MIKEY_VARIANT_SP_ROC_RATE : MIKEY_VARIANT_SP_NO_ROC_RATE);
	}
	return 0;
}

static void
count_forms(struct rxs *s, const struct mikey_sakke *used)
{
	unsigned int i;

	for (i = MIKEY_IDR_I; i <= MIKEY_IDR_R; i++)
		if (mikey_idr_is_uid(&s->m.idr[i]) && s->m.idr[i].type == MIKEY_IDT_URI)
			s->variants |= 1u << MIKEY_VARIANT_UID_TYPE_URI;
	s->variants |= 1u << (used->id_scheme == MIKEY_SAKKE_SCHEME_TEL
				      ? MIKEY_VARIANT_SAKKE_SCHEME_1
				      : MIKEY_VARIANT_SAKKE_SCHEME_2);
}

/*
 * Step 12 (RFC 3830 §5.4): the replay cache, last, so that only a message
 * that verified and opened is looked up and recorded. Its entry lives until
 * T + window on our clock, when step 3 refuses the message by itself.
 */
static int
replay_check(struct rxs *s)
{
	int rc;

	if (s->rx->replay == NULL)
		return 0;
	rc = mikey_replay_add(s->rx->replay, s->uid_i, s->m.hdr.csb_id, s->m.ts, s->m.rand.p,
			      s->m.rand.len, s->now1900, s->t1900 + (uint64_t)s->window);
	if (rc == -KEYS_E_EXISTS)
		return reject(s, MIKEY_REJECT_REPLAY, -KEYS_E_VERIFY);
	if (rc == -KEYS_E_NOMEM)
		return reject(s, MIKEY_REJECT_REPLAY_FULL, -KEYS_E_NOMEM);
	return rc;
}

/* Steps 2-12 on a decoded message; |s->out| is wiped by the caller on failure. */
static int
receive(struct rxs *s, int purpose)
{
	struct mikey_key *k = s->out;
	const struct mikey_sakke *ed;
	bool ok = true;
	int rc;

	k->purpose = keys_id_purpose(s->m.hdr.csb_id);
	k->csb_id = s->m.hdr.csb_id;
	if (k->purpose > KEYS_PURPOSE_MUSIK ||
	    (purpose >= 0 && (unsigned int)purpose != k->purpose))
		return reject(s, MIKEY_REJECT_PURPOSE_MISMATCH, -KEYS_E_VERIFY);
	rc = check_time(s);
	if (rc < 0)
		return rc;
	s->kmsi = kms_find(s->rx, &s->m.idr[MIKEY_IDR_KMSI].id);
	s->kmsr = kms_find(s->rx, &s->m.idr[MIKEY_IDR_KMSR].id);
	if (s->kmsi == NULL || s->kmsr == NULL)
		return reject(s, MIKEY_REJECT_UNKNOWN_KMS, -KEYS_E_NOTFOUND);
	rc = recipient(s);
	if (rc == 0)
		rc = check_signature(s);
	if (rc < 0)
		return rc;
	if (s->rx->signer_ok != NULL)
		ok = s->rx->signer_ok(s->rx->signer_arg, k->purpose, k->initiator, s->uid_i);
	if (!ok)
		return reject(s, MIKEY_REJECT_UNKNOWN_SIGNER, -KEYS_E_VERIFY);
	/* step 8: only now is anything decapsulated */
	ed = k->from_self ? &s->m.self : &s->m.sakke;
	rc = sakke_decapsulate(k->key, ed->data.p, ed->data.len, s->me->sakke);
	if (rc == -KEYS_E_VERIFY || rc == -KEYS_E_POINT || rc == -KEYS_E_PARSE)
		return reject(s, MIKEY_REJECT_TAMPERED, -KEYS_E_VERIFY);
	if (rc < 0)
		return rc;
	count_forms(s, ed);
	rc = key_ids(s);
	if (rc == 0)
		rc = key_params(s);
	if (rc == 0)
		rc = profile_and_mki(s);
	if (rc < 0)
		return rc;
	memcpy(k->rand, s->m.rand.p, s->m.rand.len);
	k->rand_len = (uint8_t)s->m.rand.len;
	k->ts = s->m.ts;
	k->as = s->me;
	return replay_check(s);
}

int
mikey_sakke_receive(struct mikey_key *out, const struct mikey_rx *rx, const uint8_t *msg,
		    size_t len, int purpose, enum mikey_reject *why)
{
	struct rxs s;
	unsigned int v;
	int rc;

	if (why != NULL)
		*why = MIKEY_REJECT_NONE;
	if (out == NULL || rx == NULL || msg == NULL)
		return -KEYS_E_ARG;
	memset(&s, 0, sizeof(s));
	memset(out, 0, sizeof(*out));
	s.rx = rx;
	s.out = out;
	rc = mikey_msg_decode(&s.m, msg, len, &s.why);	/* step 1 */
	if (rc == 0)
		rc = receive(&s, purpose);
	if (rc < 0)
		mikey_key_wipe(out);
	if (rx->ctr != NULL && rc == 0) {
		rx->ctr->accepted++;
		for (v = 0; v < MIKEY_VARIANT_COUNT; v++)
			rx->ctr->variant[v] += (s.variants >> v) & 1u;
	} else if (rx->ctr != NULL && s.why != MIKEY_REJECT_NONE) {
		rx->ctr->rejected[s.why]++;
	}
	if (why != NULL)
		*why = s.why;
	sodium_memzero(&s, sizeof(s));
	return rc;
}

int
mikey_key_srtp(struct mikey_srtp_master *m, const struct mikey_key *k, uint8_t cs_id,
	       uint32_t sender_guk_id)
{
	size_t salt = MIKEY_SRTP_SALT_GCM_LEN;

	if (m == NULL || k == NULL || k->rand_len == 0)
		return -KEYS_E_ARG;
	if (k->profile.salt_len != 0)
		salt = k->profile.salt_len;
	switch (k->purpose) {
	case KEYS_PURPOSE_PCK:
		if (cs_id > MIKEY_CS_MCPTT_PCK_RECV)
			return -KEYS_E_ARG;
		return mikey_mcptt_pck(m, k->key, k->key_id, k->rand, k->rand_len,
				       cs_id == MIKEY_CS_MCPTT_PCK_INIT ? MIKEY_PCK_FROM_INITIATOR
									: MIKEY_PCK_FROM_RECEIVER,
				       salt);
	case KEYS_PURPOSE_GMK:
		return mikey_mcptt_gmk(m, k->key, k->key_id, sender_guk_id, k->rand, k->rand_len,
				       salt);
	case KEYS_PURPOSE_CSK:
		return mikey_mcptt_csk(m, k->key, k->key_id, k->rand, k->rand_len, salt);
	default:
		return -KEYS_E_ARG;
	}
}

void
mikey_kms_from_cert(struct mikey_kms *k, const struct kms_cert *c)
{
	k->uri = c->kms_uri;
	k->period_len = c->period_len;
	k->period_offset = c->period_offset;
	k->security_gateway = c->security_gateway;
	memcpy(k->kpak, c->kpak, sizeof(k->kpak));
	memcpy(k->z, c->z, sizeof(k->z));
}

void
mikey_kms_from_store(struct mikey_kms *k, const struct store_cert *c)
{
	k->uri = c->kms_uri;
	k->period_len = c->period_len;
	k->period_offset = c->period_offset;
	k->security_gateway = (c->flags & STORE_CERT_SEGY) != 0;
	memcpy(k->kpak, c->kpak, sizeof(k->kpak));
	memcpy(k->z, c->z, sizeof(k->z));
}
