/* SPDX-License-Identifier: proprietary */
/*
 * KMS certificates and key sets in the XML of TS 33.180 Annex D.3 (structure
 * per the digest §2.3). Reading is libxml2 with no network, no DTD and no
 * entity substitution. libxml2 copies the document into buffers of its own
 * (input buffer, text nodes, dictionary) and frees them on paths we do not
 * see, a malformed document's partial tree among them; so before the first
 * parse we put a layer under libxml2's allocator (xmlMemSetup) that wipes
 * every block when it is freed or moved by realloc. No copy of an SSK or RSK
 * is left in freed heap. Writing is by hand into secure memory for the same
 * reason: the document may carry an SSK and an RSK.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlmemory.h>
#include <sodium.h>

#include "kms.h"

#define XML_CAP 16384

struct out {
	char *buf;
	size_t len;
	bool full;
};

static void
put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->full || o->len + n >= XML_CAP) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n + 1);
	o->len += n;
}

static void __attribute__((format(printf, 2, 3)))
putf(struct out *o, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		o->full = true;
	else
		put(o, tmp);
}

/* Text content with the five XML specials escaped. */
static void
put_text(struct out *o, const char *s)
{
	char one[2] = {0, 0};

	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': put(o, "&amp;"); break;
		case '<': put(o, "&lt;"); break;
		case '>': put(o, "&gt;"); break;
		case '"': put(o, "&quot;"); break;
		case '\'': put(o, "&apos;"); break;
		default:
			one[0] = *s;
			put(o, one);
		}
	}
}

static void
put_elem(struct out *o, const char *indent, const char *name, const char *text)
{
	putf(o, "%s<%s>", indent, name);
	put_text(o, text);
	putf(o, "</%s>\n", name);
}

static void
put_hex(struct out *o, const char *indent, const char *name, const uint8_t *b, size_t n)
{
	char h[3];
	size_t i;

	putf(o, "%s<%s>", indent, name);
	for (i = 0; i < n; i++) {
		snprintf(h, sizeof(h), "%02x", b[i]);
		put(o, h);
	}
	sodium_memzero(h, sizeof(h));
	putf(o, "</%s>\n", name);
}

static void
put_time(struct out *o, const char *indent, const char *name, int64_t unix_s)
{
	time_t t = (time_t)unix_s;
	struct tm tm;
	char s[32];

	if (gmtime_r(&t, &tm) == NULL || strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		o->full = true;
		return;
	}
	put_elem(o, indent, name, s);
}

static void
put_validity(struct out *o, bool has_from, int64_t from, bool has_to, int64_t to)
{
	if (has_from)
		put_time(o, "        ", "ValidFrom", from);
	if (has_to)
		put_time(o, "        ", "ValidTo", to);
}

static int
out_open(struct out *o)
{
	o->buf = sodium_malloc(XML_CAP);
	if (o->buf == NULL)
		return -KEYS_E_NOMEM;
	o->buf[0] = '\0';
	o->len = 0;
	o->full = false;
	put(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	return 0;
}

static int
out_close(struct out *o, char **xml, size_t *len)
{
	if (o->full) {
		kms_xml_free(o->buf);
		return -KEYS_E_NOMEM;
	}
	*xml = o->buf;
	*len = o->len;
	return 0;
}

void
kms_xml_free(char *xml)
{
	sodium_free(xml);	/* wipes */
}

static void
response_head(struct out *o, const char *user_uri, const char *kms_uri, const char *req,
	      int64_t now_unix)
{
	char url[KMS_URI_MAX + 64];

	put(o, "<KmsResponse xmlns=\"" KMS_NS "\"\n"
	       "             xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
	       " Version=\"1.0.0\">\n");
	put_elem(o, "  ", "UserUri", user_uri);
	put_elem(o, "  ", "KmsUri", kms_uri);
	put_time(o, "  ", "Time", now_unix);
	snprintf(url, sizeof(url), "https://%s/keymanagement/identity/v1/%s", kms_uri, req);
	put_elem(o, "  ", "ClientReqUrl", url);
	put(o, "  <KmsMessage>\n");
}

int
kms_cert_to_xml(char **xml, size_t *len, const struct kms_cert *c, int64_t now_unix)
{
	struct out o;
	int rc;

	if (xml == NULL || len == NULL || c == NULL)
		return -KEYS_E_ARG;
	rc = out_open(&o);
	if (rc < 0)
		return rc;
	response_head(&o, c->kms_uri, c->kms_uri, "init", now_unix);
	put(&o, "    <KmsInit Version=\"1.0.0\">\n");
	putf(&o, "      <KmsCertificate Version=\"1.1.0\" Role=\"%s\"%s>\n",
	     c->external ? "External" : "Root",
	     c->security_gateway ? " IsSecurityGateway=\"true\"" : "");
	put_elem(&o, "        ", "KmsUri", c->kms_uri);
	if (c->issuer[0] != '\0')
		put_elem(&o, "        ", "Issuer", c->issuer);
	put_validity(&o, c->has_valid_from, c->valid_from, c->has_valid_to, c->valid_to);
	if (c->revoked)
		put_elem(&o, "        ", "Revoked", "true");
	putf(&o, "        <UserIdFormat>%u</UserIdFormat>\n", c->user_id_format);
	putf(&o, "        <UserKeyPeriod>%llu</UserKeyPeriod>\n", (unsigned long long)c->period_len);
	putf(&o, "        <UserKeyOffset>%llu</UserKeyOffset>\n",
	     (unsigned long long)c->period_offset);
	put_hex(&o, "        ", "PubEncKey", c->z, sizeof(c->z));
	put_hex(&o, "        ", "PubAuthKey", c->kpak, sizeof(c->kpak));
	putf(&o, "        <ParameterSet>%u</ParameterSet>\n", c->parameter_set);
	put(&o, "      </KmsCertificate>\n    </KmsInit>\n  </KmsMessage>\n</KmsResponse>\n");
	return out_close(&o, xml, len);
}

int
kms_keyset_to_xml(char **xml, size_t *len, const struct kms_keyset *ks, int64_t now_unix)
{
	struct out o;
	int rc;

	if (xml == NULL || len == NULL || ks == NULL)
		return -KEYS_E_ARG;
	rc = out_open(&o);
	if (rc < 0)
		return rc;
	response_head(&o, ks->user_uri, ks->kms_uri, "keyprov", now_unix);
	put(&o, "    <KmsKeyProv Version=\"1.0.0\">\n");
	put(&o, "      <KmsKeySet Version=\"1.1.0\">\n");
	put_elem(&o, "        ", "KmsUri", ks->kms_uri);
	put_elem(&o, "        ", "UserUri", ks->user_uri);
	put_hex(&o, "        ", "UserID", ks->uid, sizeof(ks->uid));
	put_validity(&o, ks->has_valid_from, ks->valid_from, ks->has_valid_to, ks->valid_to);
	putf(&o, "        <KeyPeriodNo>%llu</KeyPeriodNo>\n", (unsigned long long)ks->period_no);
	if (ks->revoked)
		put_elem(&o, "        ", "Revoked", "true");
	put_hex(&o, "        ", "UserDecryptKey", ks->rsk, sizeof(ks->rsk));
	put_hex(&o, "        ", "UserSigningKeySSK", ks->ssk, sizeof(ks->ssk));
	put_hex(&o, "        ", "UserPubTokenPVT", ks->pvt, sizeof(ks->pvt));
	put(&o, "      </KmsKeySet>\n    </KmsKeyProv>\n  </KmsMessage>\n</KmsResponse>\n");
	return out_close(&o, xml, len);
}

/*
 * Reading
 */

static bool
is_elem(const xmlNode *n, const char *name)
{
	if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name) != 0)
		return false;
	/* Ours, or no namespace at all (a hand-written file). */
	return n->ns == NULL || strcmp((const char *)n->ns->href, KMS_NS) == 0;
}

static xmlNode *
find_elem(xmlNode *n, const char *name)
{
	for (; n != NULL; n = n->next) {
		xmlNode *hit;

		if (is_elem(n, name))
			return n;
		hit = find_elem(n->children, name);
		if (hit != NULL)
			return hit;
	}
	return NULL;
}

static xmlNode *
child(xmlNode *parent, const char *name)
{
	xmlNode *n;

	for (n = parent->children; n != NULL; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

/* The element's text, without surrounding white space, or NULL if mixed or absent. */
static const char *
text_of(xmlNode *e, size_t *len)
{
	xmlNode *t = e->children;
	const char *s;
	size_t n;

	if (t == NULL || t->next != NULL || t->type != XML_TEXT_NODE || t->content == NULL)
		return NULL;
	s = (const char *)t->content;
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	*len = n;
	return s;
}

static int
get_str(xmlNode *parent, const char *name, char *dst, size_t cap, bool required)
{
	xmlNode *e = child(parent, name);
	const char *s;
	size_t n;

	dst[0] = '\0';
	if (e == NULL)
		return required ? -KEYS_E_PARSE : 0;
	s = text_of(e, &n);
	if (s == NULL || n == 0)
		return -KEYS_E_PARSE;
	if (n >= cap)
		return -KEYS_E_RANGE;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

static int
get_u64(xmlNode *parent, const char *name, uint64_t *v, bool required)
{
	xmlNode *e = child(parent, name);
	const char *s;
	uint64_t x = 0;
	size_t n, i;

	if (e == NULL)
		return required ? -KEYS_E_PARSE : 0;
	s = text_of(e, &n);
	if (s == NULL || n == 0 || n > 19)
		return -KEYS_E_PARSE;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -KEYS_E_PARSE;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

static bool
digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/*
 * xs:dateTime, as the Annex D.3 schema types ValidFrom and ValidTo:
 * YYYY-MM-DDThh:mm:ss[.fraction][Z|+hh:mm|-hh:mm]; no zone is read as UTC
 * (the KMS samples send none). The fraction is dropped. To Unix seconds.
 */
static bool
parse_datetime(const char *s, size_t n, int64_t *unix_s)
{
	static const unsigned char mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, zh = 0, zm = 0, sign = 0;
	size_t i = 19;
	struct tm tm;
	time_t t;

	if (n < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || !digits(s, 4, &y) || !digits(s + 5, 2, &mo) ||
	    !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) ||
	    !digits(s + 17, 2, &sec))
		return false;
	if (i < n && s[i] == '.') {
		for (i++; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (s[i - 1] == '.')
			return false;
	}
	if (i + 1 == n && s[i] == 'Z') {
		i++;
	} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
		   digits(s + i + 1, 2, &zh) && digits(s + i + 4, 2, &zm)) {
		sign = s[i] == '+' ? 1 : -1;
		i += 6;
	}
	if (i != n || y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) || h > 23 ||
	    mi > 59 || sec > 59 || zh > 14 || zm > 59)
		return false;
	tm = (struct tm){.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi, .tm_sec = sec};
	t = timegm(&tm);	/* fields checked above: no normalising */
	if (t == (time_t)-1 && !(y == 1969 && mo == 12 && d == 31 && h == 23 && mi == 59 &&
				 sec == 59))
		return false;
	*unix_s = (int64_t)t - sign * (zh * 3600 + zm * 60);
	return true;
}

/* An optional dateTime element: |*has| says whether it was there. */
static int
get_time(xmlNode *parent, const char *name, int64_t *v, bool *has)
{
	xmlNode *e = child(parent, name);
	const char *s;
	size_t n;

	*has = false;
	*v = 0;
	if (e == NULL)
		return 0;
	s = text_of(e, &n);
	if (s == NULL || !parse_datetime(s, n, v))
		return -KEYS_E_PARSE;
	*has = true;
	return 0;
}

/* ValidFrom and ValidTo, each optional; a window that ends before it starts is refused. */
static int
get_validity(xmlNode *parent, int64_t *from, bool *has_from, int64_t *to, bool *has_to)
{
	int rc = get_time(parent, "ValidFrom", from, has_from);

	if (rc == 0)
		rc = get_time(parent, "ValidTo", to, has_to);
	if (rc == 0 && *has_from && *has_to && *to < *from)
		rc = -KEYS_E_RANGE;
	return rc;
}

static int
get_bool(xmlNode *parent, const char *name, bool *v)
{
	xmlNode *e = child(parent, name);
	const char *s;
	size_t n;

	*v = false;
	if (e == NULL)
		return 0;
	s = text_of(e, &n);
	if (s != NULL && ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 1 && s[0] == '1')))
		*v = true;
	else if (s == NULL ||
		 !((n == 5 && memcmp(s, "false", 5) == 0) || (n == 1 && s[0] == '0')))
		return -KEYS_E_PARSE;
	return 0;
}

static int
get_hex(xmlNode *parent, const char *name, uint8_t *dst, size_t want)
{
	xmlNode *e = child(parent, name);
	const char *s;
	size_t n, bin = 0;

	if (e == NULL)
		return -KEYS_E_PARSE;
	s = text_of(e, &n);
	if (s == NULL || n != 2 * want)
		return -KEYS_E_PARSE;
	if (sodium_hex2bin(dst, want, s, n, NULL, &bin, NULL) != 0 || bin != want) {
		sodium_memzero(dst, want);
		return -KEYS_E_PARSE;
	}
	return 0;
}

static int
attr_bool(xmlNode *e, const char *name, bool *v)
{
	xmlChar *a = xmlGetProp(e, (const xmlChar *)name);
	int rc = 0;

	*v = false;
	if (a == NULL)
		return 0;
	if (strcmp((const char *)a, "true") == 0 || strcmp((const char *)a, "1") == 0)
		*v = true;
	else if (strcmp((const char *)a, "false") != 0 && strcmp((const char *)a, "0") != 0)
		rc = -KEYS_E_PARSE;
	xmlFree(a);
	return rc;
}

/* Wipe every text node before the tree goes back to the heap. */
static void
wipe_text(xmlDoc *doc, xmlNode *n)
{
	for (; n != NULL; n = n->next) {
		if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
		    n->content != NULL && (doc->dict == NULL || !xmlDictOwns(doc->dict, n->content)))
			sodium_memzero(n->content, strlen((const char *)n->content));
		wipe_text(doc, n->children);
	}
}

/*
 * libxml2's heap, wiped. Each block carries its size in a header so that
 * free and realloc can wipe it; the layer sits on whatever allocator was in
 * place when it was installed (the C library's, or one a host set up first).
 */
union blk_hdr {
	size_t n;
	max_align_t align;
};

static xmlFreeFunc lower_free;
static xmlMallocFunc lower_malloc;
static xmlReallocFunc lower_realloc;
static xmlStrdupFunc lower_strdup;
static pthread_once_t heap_once = PTHREAD_ONCE_INIT;
static bool heap_ok;

static void *
wiped_malloc(size_t n)
{
	union blk_hdr *h;

	if (n > SIZE_MAX - sizeof(*h))
		return NULL;
	h = lower_malloc(sizeof(*h) + n);
	if (h == NULL)
		return NULL;
	h->n = n;
	return h + 1;
}

static void
wiped_free(void *p)
{
	union blk_hdr *h;

	if (p == NULL)
		return;
	h = (union blk_hdr *)p - 1;
	sodium_memzero(h, sizeof(*h) + h->n);
	lower_free(h);
}

/* Always moves, so that the old block is wiped whole. */
static void *
wiped_realloc(void *p, size_t n)
{
	union blk_hdr *h;
	void *q;

	if (p == NULL)
		return wiped_malloc(n);
	h = (union blk_hdr *)p - 1;
	q = wiped_malloc(n);
	if (q == NULL)
		return NULL;	/* as realloc(): the old block stays */
	memcpy(q, p, h->n < n ? h->n : n);
	wiped_free(p);
	return q;
}

static char *
wiped_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = wiped_malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

static void
heap_install(void)
{
	if (xmlMemGet(&lower_free, &lower_malloc, &lower_realloc, &lower_strdup) != 0 ||
	    lower_free == NULL || lower_malloc == NULL)
		return;
	heap_ok = xmlMemSetup(wiped_free, wiped_malloc, wiped_realloc, wiped_strdup) == 0;
	if (heap_ok)
		xmlInitParser();
}

/* keys/ never prints: libxml2's messages (encoding errors among them) go nowhere. */
static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
quiet_structured(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

static int
doc_read(xmlDoc **doc, const char *xml, size_t len)
{
	/* before libxml2 allocates anything: blocks must carry our header */
	if (pthread_once(&heap_once, heap_install) != 0 || !heap_ok)
		return -KEYS_E_CRYPTO;
	xmlSetGenericErrorFunc(NULL, quiet);
	xmlSetStructuredErrorFunc(NULL, quiet_structured);
	if (xml == NULL || len == 0 || len > (1u << 20) || len > INT32_MAX)
		return -KEYS_E_ARG;
	*doc = xmlReadMemory(xml, (int)len, NULL, NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (*doc == NULL)
		return -KEYS_E_PARSE;
	if ((*doc)->intSubset != NULL || (*doc)->extSubset != NULL) {
		/* No DOCTYPE: nothing to expand, nothing to fetch. */
		xmlFreeDoc(*doc);
		*doc = NULL;
		return -KEYS_E_PARSE;
	}
	return 0;
}

static void
doc_done(xmlDoc *doc)
{
	wipe_text(doc, doc->children);
	xmlFreeDoc(doc);
}

int
kms_cert_from_xml(struct kms_cert *c, const char *xml, size_t len)
{
	uint64_t fmt = 0, set = KMS_PARAMETER_SET;
	xmlNode *e;
	xmlChar *role;
	xmlDoc *doc;
	int rc;

	if (c == NULL)
		return -KEYS_E_ARG;
	memset(c, 0, sizeof(*c));
	rc = doc_read(&doc, xml, len);
	if (rc < 0)
		return rc;
	e = find_elem(xmlDocGetRootElement(doc), "KmsCertificate");
	if (e == NULL) {
		rc = -KEYS_E_PARSE;
		goto out;
	}
	role = xmlGetProp(e, (const xmlChar *)"Role");
	if (role != NULL) {
		c->external = strcmp((const char *)role, "External") == 0;
		if (!c->external && strcmp((const char *)role, "Root") != 0)
			rc = -KEYS_E_PARSE;
		xmlFree(role);
	}
	if (rc == 0)
		rc = attr_bool(e, "IsSecurityGateway", &c->security_gateway);
	if (rc == 0)
		rc = get_str(e, "KmsUri", c->kms_uri, sizeof(c->kms_uri), true);
	if (rc == 0)
		rc = get_str(e, "Issuer", c->issuer, sizeof(c->issuer), false);
	if (rc == 0)
		rc = get_validity(e, &c->valid_from, &c->has_valid_from, &c->valid_to,
				  &c->has_valid_to);
	if (rc == 0)
		rc = get_bool(e, "Revoked", &c->revoked);
	if (rc == 0)
		rc = get_u64(e, "UserIdFormat", &fmt, true);
	if (rc == 0)
		rc = get_u64(e, "UserKeyPeriod", &c->period_len, true);
	if (rc == 0)
		rc = get_u64(e, "UserKeyOffset", &c->period_offset, true);
	if (rc == 0)
		rc = get_hex(e, "PubEncKey", c->z, sizeof(c->z));
	if (rc == 0)
		rc = get_hex(e, "PubAuthKey", c->kpak, sizeof(c->kpak));
	if (rc == 0)
		rc = get_u64(e, "ParameterSet", &set, false);
	if (rc == 0 && (fmt > UINT32_MAX || set > UINT32_MAX))
		rc = -KEYS_E_RANGE;
	c->user_id_format = (uint32_t)fmt;
	c->parameter_set = (uint32_t)set;
out:
	doc_done(doc);
	if (rc < 0)
		memset(c, 0, sizeof(*c));
	return rc;
}

int
kms_keyset_from_xml(struct kms_keyset *ks, const char *xml, size_t len)
{
	xmlNode *e;
	xmlDoc *doc;
	int rc;

	if (ks == NULL)
		return -KEYS_E_ARG;
	sodium_memzero(ks, sizeof(*ks));
	rc = doc_read(&doc, xml, len);
	if (rc < 0)
		return rc;
	e = find_elem(xmlDocGetRootElement(doc), "KmsKeySet");
	if (e == NULL) {
		rc = -KEYS_E_PARSE;
		goto out;
	}
	rc = get_str(e, "KmsUri", ks->kms_uri, sizeof(ks->kms_uri), true);
	if (rc == 0)
		rc = get_str(e, "UserUri", ks->user_uri, sizeof(ks->user_uri), true);
	if (rc == 0)
		rc = get_hex(e, "UserID", ks->uid, sizeof(ks->uid));
	if (rc == 0)
		rc = get_validity(e, &ks->valid_from, &ks->has_valid_from, &ks->valid_to,
				  &ks->has_valid_to);
	if (rc == 0)
		rc = get_u64(e, "KeyPeriodNo", &ks->period_no, true);
	if (rc == 0)
		rc = get_bool(e, "Revoked", &ks->revoked);
	if (rc == 0)
		rc = get_hex(e, "UserDecryptKey", ks->rsk, sizeof(ks->rsk));
	if (rc == 0)
		rc = get_hex(e, "UserSigningKeySSK", ks->ssk, sizeof(ks->ssk));
	if (rc == 0)
		rc = get_hex(e, "UserPubTokenPVT", ks->pvt, sizeof(ks->pvt));
out:
	doc_done(doc);
	if (rc < 0)
		sodium_memzero(ks, sizeof(*ks));
	return rc;
}
