/* SPDX-License-Identifier: proprietary */
/*
 * TS 24.380 floor control codec. Layout and field coding from
 * shared/spec/3gpp-mc-security.md §9 (tags there); this file cites its
 * section numbers.
 */
#include <string.h>

#include "fc_codec.h"
#include "fc_cursor.h"

static const char *const type_names[FC_T_COUNT] = {
	[FC_T_REQUEST] = "Floor Request",
	[FC_T_GRANTED] = "Floor Granted",
	[FC_T_TAKEN] = "Floor Taken",
	[FC_T_DENY] = "Floor Deny",
	[FC_T_RELEASE] = "Floor Release",
	[FC_T_IDLE] = "Floor Idle",
	[FC_T_REVOKE] = "Floor Revoke",
	[FC_T_REVOKE_REQUEST] = "Floor Revoke Request",
	[FC_T_QUEUE_POS_REQUEST] = "Floor Queue Position Request",
	[FC_T_QUEUE_POS_INFO] = "Floor Queue Position Info",
	[FC_T_ACK] = "Floor Ack",
	[FC_T_MEDIA_FLOW_CONTROL] = "Unicast Media Flow Control",
	[FC_T_QUEUED_REQUESTS] = "Queued Floor Requests",
	[FC_T_RELEASE_MULTI_TALKER] = "Floor Release Multi Talker",
};

static const char *const field_names[FC_FID_COUNT] = {
	[FC_FID_PRIORITY] = "Floor Priority",
	[FC_FID_DURATION] = "Duration",
	[FC_FID_REJECT_CAUSE] = "Reject Cause",
	[FC_FID_QUEUE_INFO] = "Queue Info",
	[FC_FID_GRANTED_PARTY] = "Granted Party's Identity",
	[FC_FID_PERMISSION] = "Permission to Request the Floor",
	[FC_FID_USER_ID] = "User ID",
	[FC_FID_QUEUE_SIZE] = "Queue Size",
	[FC_FID_SEQ] = "Message Sequence Number",
	[FC_FID_QUEUED_USER_ID] = "Queued User ID",
	[FC_FID_SOURCE] = "Source",
	[FC_FID_TRACK_INFO] = "Track Info",
	[FC_FID_MSG_TYPE] = "Message Type",
	[FC_FID_FLOOR_IND] = "Floor Indicator",
	[FC_FID_SSRC] = "SSRC",
};

/* Rel-13 legacy IDs 102..116 -> current IDs; 107 had no field (-1). */
static const int8_t legacy_map[FC_FID_LEGACY_LAST - FC_FID_LEGACY_FIRST + 1] = {
	FC_FID_PRIORITY, FC_FID_DURATION, FC_FID_REJECT_CAUSE, FC_FID_QUEUE_INFO,
	FC_FID_GRANTED_PARTY, -1, FC_FID_PERMISSION, FC_FID_USER_ID, FC_FID_QUEUE_SIZE,
	FC_FID_SEQ, FC_FID_QUEUED_USER_ID, FC_FID_SOURCE, FC_FID_TRACK_INFO,
	FC_FID_MSG_TYPE, FC_FID_FLOOR_IND,
};

const char *
fc_type_name(unsigned int type)
{
	if (type >= FC_T_COUNT || type_names[type] == NULL)
		return "unknown";
	return type_names[type];
}

const char *
fc_field_name(unsigned int fid)
{
	return fid < FC_FID_COUNT ? field_names[fid] : "unknown";
}

void
fc_msg_init(struct fc_msg *m, enum fc_type type, bool ack_req, uint32_t ssrc)
{
	memset(m, 0, sizeof(*m));
	m->type = (uint8_t)type;
	m->ack_req = ack_req;
	m->ssrc = ssrc;
}

int
fc_str_set(struct fc_str *s, const char *src, size_t len)
{
	if (s == NULL || (src == NULL && len != 0) || len > FC_STR_MAX)
		return -FC_E_ARG;
	if (len != 0 && memchr(src, 0, len) != NULL)
		return -FC_E_ARG;
	if (len != 0)
		memcpy(s->s, src, len);
	s->s[len] = '\0';
	s->len = (uint8_t)len;
	return 0;
}

int
fc_str_setz(struct fc_str *s, const char *src)
{
	if (src == NULL)
		return -FC_E_ARG;
	return fc_str_set(s, src, strnlen(src, FC_STR_MAX + 1));
}

uint8_t
fc_msg_subtype(const struct fc_msg *m)
{
	return (uint8_t)((m->type & FC_SUBTYPE_TYPE_MASK) | (m->ack_req ? FC_SUBTYPE_ACK_REQ : 0));
}

/* Zero octets that bring |n| up to a multiple of 4. */
static size_t
pad4(size_t n)
{
	return (4 - (n & 3)) & 3;
}

/* The fixed 16-bit fields: where each lives in the struct. */
static bool
u16_get(const struct fc_msg *m, unsigned int fid, uint16_t *v)
{
	switch (fid) {
	case FC_FID_DURATION: *v = m->duration; return true;
	case FC_FID_PERMISSION: *v = m->permission; return true;
	case FC_FID_QUEUE_SIZE: *v = m->queue_size; return true;
	case FC_FID_SEQ: *v = m->seq; return true;
	case FC_FID_SOURCE: *v = m->source; return true;
	case FC_FID_MSG_TYPE: *v = m->msg_type; return true;
	case FC_FID_FLOOR_IND: *v = m->floor_ind; return true;
	default: return false;
	}
}

static uint16_t *
u16_slot(struct fc_msg *m, unsigned int fid)
{
	switch (fid) {
	case FC_FID_DURATION: return &m->duration;
	case FC_FID_PERMISSION: return &m->permission;
	case FC_FID_QUEUE_SIZE: return &m->queue_size;
	case FC_FID_SEQ: return &m->seq;
	case FC_FID_SOURCE: return &m->source;
	case FC_FID_MSG_TYPE: return &m->msg_type;
	case FC_FID_FLOOR_IND: return &m->floor_ind;
	default: return NULL;
	}
}

/* The identity fields. */
static const struct fc_str *
str_get(const struct fc_msg *m, unsigned int fid)
{
	switch (fid) {
	case FC_FID_GRANTED_PARTY: return &m->granted_party;
	case FC_FID_USER_ID: return &m->user_id;
	case FC_FID_QUEUED_USER_ID: return &m->queued_user_id;
	default: return NULL;
	}
}

static struct fc_str *
str_slot(struct fc_msg *m, unsigned int fid)
{
	switch (fid) {
	case FC_FID_GRANTED_PARTY: return &m->granted_party;
	case FC_FID_USER_ID: return &m->user_id;
	case FC_FID_QUEUED_USER_ID: return &m->queued_user_id;
	default: return NULL;
	}
}

static size_t
track_value_len(const struct fc_track_info *t)
{
	return 2 + t->participant_type.len + pad4(t->participant_type.len) + 4u * t->n_refs;
}

/* Length of field |fid|'s value in |m|, or 0 with *ok = false if not encodable. */
static size_t
value_len(const struct fc_msg *m, unsigned int fid, bool *ok)
{
	size_t n;

	*ok = true;
	switch (fid) {
	case FC_FID_REJECT_CAUSE:
		n = 2 + (size_t)m->reject_phrase.len;
		break;
	case FC_FID_GRANTED_PARTY:
	case FC_FID_USER_ID:
	case FC_FID_QUEUED_USER_ID:
		n = str_get(m, fid)->len;
		break;
	case FC_FID_TRACK_INFO:
		n = track_value_len(&m->track);
		*ok = m->track.queueing_cap <= 1 && m->track.n_refs <= FC_TRACK_REFS_MAX;
		break;
	case FC_FID_SSRC:
		n = 6;
		break;
	case FC_FID_PERMISSION:
		n = 2;
		*ok = m->permission <= FC_PERMISSION_YES;
		break;
	case FC_FID_SOURCE:
		n = 2;
		*ok = m->source <= FC_SRC_MAX;
		break;
	default:	/* priority, queue info, the other 16-bit fields */
		n = 2;
		break;
	}
	if (n > FC_STR_MAX)
		*ok = false;
	return *ok ? n : 0;
}

static bool
header_ok(const struct fc_msg *m)
{
	if (m->type >= FC_T_COUNT || !(FC_CODED_TYPES & (1u << m->type)))
		return false;
	if (m->ack_req && !(FC_ACKABLE_TYPES & (1u << m->type)))
		return false;
	return (m->present & ~(uint32_t)FC_F_ALL) == 0;
}

size_t
fc_encoded_len(const struct fc_msg *m)
{
	size_t total = FC_HDR_LEN, n;
	unsigned int fid;
	bool ok;

	if (m == NULL || !header_ok(m))
		return 0;
	for (fid = 0; fid < FC_FID_COUNT; fid++) {
		if (!(m->present & FC_F(fid)))
			continue;
		n = value_len(m, fid, &ok);
		if (!ok)
			return 0;
		total += 2 + n + pad4(2 + n);
	}
	return total;
}

static uint8_t *
put_u8(uint8_t *p, unsigned int v)
{
	*p = (uint8_t)v;
	return p + 1;
}

static uint8_t *
put_u16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
put_u32(uint8_t *p, uint32_t v)
{
	p = put_u16(p, v >> 16);
	return put_u16(p, v & 0xffff);
}

static uint8_t *
put_bytes(uint8_t *p, const void *src, size_t n)
{
	if (n != 0)
		memcpy(p, src, n);
	return p + n;
}

static uint8_t *
put_zero(uint8_t *p, size_t n)
{
	memset(p, 0, n);
	return p + n;
}

static uint8_t *
put_track(uint8_t *p, const struct fc_track_info *t)
{
	unsigned int i;

	p = put_u8(p, t->queueing_cap);
	p = put_u8(p, t->participant_type.len);
	p = put_bytes(p, t->participant_type.s, t->participant_type.len);
	p = put_zero(p, pad4(t->participant_type.len));
	for (i = 0; i < t->n_refs; i++)
		p = put_u32(p, t->refs[i]);
	return p;
}

/* One field: ID | length | value | zero padding (§9.3 general rules). */
static uint8_t *
put_field(uint8_t *p, const struct fc_msg *m, unsigned int fid)
{
	const struct fc_str *s;
	size_t n;
	uint16_t v;
	bool ok;

	n = value_len(m, fid, &ok);
	p = put_u8(p, fid);
	p = put_u8(p, (unsigned int)n);
	if (u16_get(m, fid, &v)) {
		p = put_u16(p, v);
	} else if ((s = str_get(m, fid)) != NULL) {
		p = put_bytes(p, s->s, s->len);
	} else {
		switch (fid) {
		case FC_FID_PRIORITY:
			p = put_u8(p, m->priority);
			p = put_u8(p, 0);	/* spare */
			break;
		case FC_FID_REJECT_CAUSE:
			p = put_u16(p, m->reject_cause);
			p = put_bytes(p, m->reject_phrase.s, m->reject_phrase.len);
			break;
		case FC_FID_QUEUE_INFO:
			p = put_u8(p, m->queue_pos);
			p = put_u8(p, m->queue_prio);
			break;
		case FC_FID_TRACK_INFO:
			p = put_track(p, &m->track);
			break;
		case FC_FID_SSRC:
			p = put_u32(p, m->granted_ssrc);
			p = put_u16(p, 0);	/* spare */
			break;
		default:
			break;
		}
	}
	return put_zero(p, pad4(2 + n));
}

int
fc_encode(const struct fc_msg *m, uint8_t *buf, size_t cap, size_t *len)
{
	size_t total;
	unsigned int fid;
	uint8_t *p;

	if (m == NULL || buf == NULL || len == NULL)
		return -FC_E_ARG;
	total = fc_encoded_len(m);
	if (total == 0)
		return -FC_E_ARG;
	if (total > cap)
		return -FC_E_NOROOM;

	/* Table 8.1.2-1: V = 2, P = 0, subtype, PT = APP, length in words - 1 */
	p = put_u8(buf, (FC_RTCP_VERSION << 6) | fc_msg_subtype(m));
	p = put_u8(p, FC_RTCP_PT_APP);
	p = put_u16(p, (unsigned int)(total / 4 - 1));
	p = put_u32(p, m->ssrc);
	p = put_bytes(p, FC_APP_NAME, FC_APP_NAME_LEN);
	for (fid = 0; fid < FC_FID_COUNT; fid++)
		if (m->present & FC_F(fid))
			p = put_field(p, m, fid);
	*len = (size_t)(p - buf);
	return 0;
}

/* Copy all of |v| into |s|: identities and text carry no NUL (§9.3). */
static int
read_str(struct fc_cur *v, size_t n, struct fc_str *s)
{
	const uint8_t *p;

	if (n > FC_STR_MAX)
		return -FC_E_FIELD_LEN;
	if (!fc_cur_ptr(v, n, &p))
		return -FC_E_FIELD_LEN;
	if (n != 0 && memchr(p, 0, n) != NULL)
		return -FC_E_STRING;
	if (n != 0)
		memcpy(s->s, p, n);
	s->s[n] = '\0';
	s->len = (uint8_t)n;
	return 0;
}

static int
read_zero_pad(struct fc_cur *c, size_t n, int short_rc)
{
	const uint8_t *p;
	size_t i;

	if (!fc_cur_ptr(c, n, &p))
		return short_rc;
	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return -FC_E_FIELD_PAD;
	return 0;
}

static int
read_track(struct fc_cur *v, struct fc_track_info *t)
{
	uint8_t ptlen;
	unsigned int i;
	int rc;

	if (!fc_cur_u8(v, &t->queueing_cap) || !fc_cur_u8(v, &ptlen))
		return -FC_E_FIELD_LEN;
	if (t->queueing_cap > 1)
		return -FC_E_FIELD_VALUE;
	if ((size_t)ptlen + pad4(ptlen) > fc_cur_left(v))
		return -FC_E_FIELD_LEN;
	rc = read_str(v, ptlen, &t->participant_type);
	if (rc == 0)
		rc = read_zero_pad(v, pad4(ptlen), -FC_E_FIELD_LEN);
	if (rc < 0)
		return rc;
	if (fc_cur_left(v) % 4 != 0)
		return -FC_E_FIELD_LEN;
	t->n_refs = (uint8_t)(fc_cur_left(v) / 4);	/* <= 63: the value is <= 255 */
	for (i = 0; i < t->n_refs; i++)
		if (!fc_cur_u32(v, &t->refs[i]))
			return -FC_E_FIELD_LEN;
	return 0;
}

static int
read_fixed(struct fc_cur *v, unsigned int fid, struct fc_msg *m)
{
	uint16_t *slot = u16_slot(m, fid);
	uint8_t spare;
	uint16_t spare16;

	if (slot != NULL) {
		if (!fc_cur_u16(v, slot))
			return -FC_E_FIELD_LEN;
		if (fid == FC_FID_PERMISSION && *slot > FC_PERMISSION_YES)
			return -FC_E_FIELD_VALUE;
		if (fid == FC_FID_SOURCE && *slot > FC_SRC_MAX)
			return -FC_E_FIELD_VALUE;
		return 0;
	}
	switch (fid) {
	case FC_FID_PRIORITY:
		if (!fc_cur_u8(v, &m->priority) || !fc_cur_u8(v, &spare))
			return -FC_E_FIELD_LEN;
		return spare == 0 ? 0 : -FC_E_FIELD_SPARE;
	case FC_FID_QUEUE_INFO:
		if (!fc_cur_u8(v, &m->queue_pos) || !fc_cur_u8(v, &m->queue_prio))
			return -FC_E_FIELD_LEN;
		return 0;
	case FC_FID_SSRC:
		if (!fc_cur_u32(v, &m->granted_ssrc) || !fc_cur_u16(v, &spare16))
			return -FC_E_FIELD_LEN;
		return spare16 == 0 ? 0 : -FC_E_FIELD_SPARE;
	default:
		return -FC_E_ARG;
	}
}

/* The exact value length of each fixed-size field, 0 for variable ones. */
static size_t
fixed_len(unsigned int fid)
{
	switch (fid) {
	case FC_FID_REJECT_CAUSE:
	case FC_FID_GRANTED_PARTY:
	case FC_FID_USER_ID:
	case FC_FID_QUEUED_USER_ID:
	case FC_FID_TRACK_INFO:
		return 0;
	case FC_FID_SSRC:
		return 6;
	default:
		return 2;
	}
}

/* Decode the value block |v| of field |fid|; it must be consumed exactly. */
static int
read_value(struct fc_cur *v, unsigned int fid, struct fc_msg *m)
{
	size_t want = fixed_len(fid);
	int rc;

	if (want != 0 && fc_cur_left(v) != want)
		return -FC_E_FIELD_LEN;
	switch (fid) {
	case FC_FID_REJECT_CAUSE:
		if (!fc_cur_u16(v, &m->reject_cause))
			return -FC_E_FIELD_LEN;
		rc = read_str(v, fc_cur_left(v), &m->reject_phrase);
		break;
	case FC_FID_GRANTED_PARTY:
	case FC_FID_USER_ID:
	case FC_FID_QUEUED_USER_ID:
		rc = read_str(v, fc_cur_left(v), str_slot(m, fid));
		break;
	case FC_FID_TRACK_INFO:
		rc = read_track(v, &m->track);
		break;
	default:
		rc = read_fixed(v, fid, m);
		break;
	}
	if (rc == 0 && fc_cur_left(v) != 0)
		rc = -FC_E_FIELD_LEN;
	return rc;
}

/* Current field ID for wire ID |id|, or -1 when it has no coding here. */
static int
canonical_fid(uint8_t id, unsigned int flags, struct fc_msg *m, int *rc)
{
	*rc = 0;
	if (id <= FC_FID_CODED_MAX)
		return id;
	if (id >= FC_FID_LEGACY_FIRST && id <= FC_FID_LEGACY_LAST &&
	    legacy_map[id - FC_FID_LEGACY_FIRST] >= 0) {
		if (flags & FC_DECODE_REJECT_LEGACY) {
			*rc = -FC_E_LEGACY;
			return -1;
		}
		m->legacy_ids = true;
		return legacy_map[id - FC_FID_LEGACY_FIRST];
	}
	if (flags & FC_DECODE_REJECT_UNKNOWN)
		*rc = -FC_E_FIELD_UNKNOWN;
	return -1;
}

/* One field from the application-dependent data: ID | length | value | pad. */
static int
read_field(struct fc_cur *c, unsigned int flags, struct fc_msg *m)
{
	const uint8_t *hdr;
	struct fc_cur v;
	int fid, rc;

	if (!fc_cur_ptr(c, 2, &hdr))
		return -FC_E_FIELD_TRUNC;
	if (!fc_cur_sub(c, hdr[1], &v))
		return -FC_E_FIELD_TRUNC;
	rc = read_zero_pad(c, pad4(2 + (size_t)hdr[1]), -FC_E_FIELD_TRUNC);
	if (rc < 0)
		return rc;
	fid = canonical_fid(hdr[0], flags, m, &rc);
	if (rc < 0)
		return rc;
	if (fid < 0) {
		if (m->n_skipped != UINT8_MAX)
			m->n_skipped++;
		return 0;
	}
	if (m->present & FC_F(fid))
		return -FC_E_FIELD_DUP;
	rc = read_value(&v, (unsigned int)fid, m);
	if (rc == 0)
		m->present |= FC_F(fid);
	return rc;
}

/* The 12-octet common header (Table 8.1.2-1); |*body_len| = octets after it. */
static int
read_header(struct fc_cur *c, size_t len, struct fc_msg *m, size_t *body_len)
{
	uint8_t b0, pt, subtype;
	uint16_t words;
	const uint8_t *name;
	size_t total;

	if (!fc_cur_u8(c, &b0) || !fc_cur_u8(c, &pt) || !fc_cur_u16(c, &words) ||
	    !fc_cur_u32(c, &m->ssrc) || !fc_cur_ptr(c, FC_APP_NAME_LEN, &name))
		return -FC_E_SHORT;
	if (b0 >> 6 != FC_RTCP_VERSION)
		return -FC_E_VERSION;
	if (b0 & 0x20)
		return -FC_E_PBIT;
	if (pt != FC_RTCP_PT_APP)
		return -FC_E_PT;
	total = 4u * ((size_t)words + 1);
	if (total > len)
		return -FC_E_LENGTH;
	if (total < len)
		return -FC_E_TRAILING;
	if (memcmp(name, FC_APP_NAME, FC_APP_NAME_LEN) != 0)
		return -FC_E_NAME;
	subtype = b0 & 0x1f;
	m->type = subtype & FC_SUBTYPE_TYPE_MASK;
	m->ack_req = (subtype & FC_SUBTYPE_ACK_REQ) != 0;
	if (!(FC_CODED_TYPES & (1u << m->type)))
		return type_names[m->type] != NULL ? -FC_E_TYPE_UNSUPPORTED : -FC_E_TYPE;
	if (m->ack_req && !(FC_ACKABLE_TYPES & (1u << m->type)))
		return -FC_E_ACK_BIT;
	*body_len = total - FC_HDR_LEN;
	return 0;
}

int
fc_decode(const uint8_t *buf, size_t len, unsigned int flags, struct fc_msg *m)
{
	struct fc_cur c, body;
	size_t body_len;
	int rc;

	if (buf == NULL || m == NULL)
		return -FC_E_ARG;
	memset(m, 0, sizeof(*m));
	fc_cur_init(&c, buf, len);
	rc = read_header(&c, len, m, &body_len);
	if (rc < 0)
		return rc;
	if (!fc_cur_sub(&c, body_len, &body))
		return -FC_E_LENGTH;	/* unreachable: read_header checked it */
	while (fc_cur_left(&body) != 0) {
		rc = read_field(&body, flags, m);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
fc_next(const uint8_t *dgram, size_t len, size_t *off, const uint8_t **pkt, size_t *pkt_len)
{
	struct fc_cur c;
	uint8_t b0, pt;
	uint16_t words;
	size_t total;

	if (dgram == NULL || off == NULL || pkt == NULL || pkt_len == NULL || *off > len)
		return -FC_E_ARG;
	if (*off == len)
		return 0;
	fc_cur_init(&c, dgram + *off, len - *off);
	if (!fc_cur_u8(&c, &b0) || !fc_cur_u8(&c, &pt) || !fc_cur_u16(&c, &words))
		return -FC_E_SHORT;
	if (b0 >> 6 != FC_RTCP_VERSION)
		return -FC_E_VERSION;
	total = 4u * ((size_t)words + 1);
	if (total > len - *off)
		return -FC_E_LENGTH;
	*pkt = dgram + *off;
	*pkt_len = total;
	*off += total;
	return 1;
}

static bool
str_equal(const struct fc_str *a, const struct fc_str *b)
{
	return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

static bool
track_equal(const struct fc_track_info *a, const struct fc_track_info *b)
{
	return a->queueing_cap == b->queueing_cap &&
	       str_equal(&a->participant_type, &b->participant_type) &&
	       a->n_refs == b->n_refs &&
	       memcmp(a->refs, b->refs, sizeof(a->refs[0]) * a->n_refs) == 0;
}

static bool
field_equal(const struct fc_msg *a, const struct fc_msg *b, unsigned int fid)
{
	uint16_t va, vb;

	if (u16_get(a, fid, &va) && u16_get(b, fid, &vb))
		return va == vb;
	if (str_get(a, fid) != NULL)
		return str_equal(str_get(a, fid), str_get(b, fid));
	switch (fid) {
	case FC_FID_PRIORITY:
		return a->priority == b->priority;
	case FC_FID_REJECT_CAUSE:
		return a->reject_cause == b->reject_cause &&
		       str_equal(&a->reject_phrase, &b->reject_phrase);
	case FC_FID_QUEUE_INFO:
		return a->queue_pos == b->queue_pos && a->queue_prio == b->queue_prio;
	case FC_FID_TRACK_INFO:
		return track_equal(&a->track, &b->track);
	case FC_FID_SSRC:
		return a->granted_ssrc == b->granted_ssrc;
	default:
		return false;
	}
}

bool
fc_msg_equal(const struct fc_msg *a, const struct fc_msg *b)
{
	unsigned int fid;

	if (a->type != b->type || a->ack_req != b->ack_req || a->ssrc != b->ssrc ||
	    a->present != b->present)
		return false;
	for (fid = 0; fid < FC_FID_COUNT; fid++)
		if ((a->present & FC_F(fid)) && !field_equal(a, b, fid))
			return false;
	return true;
}
