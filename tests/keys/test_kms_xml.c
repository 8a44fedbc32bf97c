/* SPDX-License-Identifier: proprietary */
/*
 * KMS certificate and key set XML (TS 33.180 Annex D.3): what we emit reads
 * back identically; what is malformed is refused with the exact code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <libxml/xmlmemory.h>
#include <sodium.h>

#include "kms.h"

static void
setup(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(keys_kms_xml, .init = setup);

static struct kms_cert
sample_cert(void)
{
	struct kms_cert c;
	size_t i;

	memset(&c, 0, sizeof(c));
	strcpy(c.kms_uri, "kms.example.org");
	strcpy(c.issuer, "mcpx & <lab>");
	c.security_gateway = true;
	c.user_id_format = 2;
	c.period_len = 2592000;
	c.period_offset = 100;
	c.parameter_set = 1;
	c.kpak[0] = 4;
	c.z[0] = 4;
	for (i = 1; i < sizeof(c.kpak); i++)
		c.kpak[i] = (uint8_t)(i * 3);
	for (i = 1; i < sizeof(c.z); i++)
		c.z[i] = (uint8_t)(i * 7);
	return c;
}

static struct kms_keyset *
sample_keyset(void)
{
	struct kms_keyset *ks = kms_keyset_new();
	size_t i;

	cr_assert_not_null(ks);
	strcpy(ks->kms_uri, "kms.example.org");
	strcpy(ks->user_uri, "sip:alice@example.org");
	ks->period_no = 1388;
	for (i = 0; i < sizeof(ks->uid); i++)
		ks->uid[i] = (uint8_t)(0xa0 + i);
	for (i = 0; i < sizeof(ks->ssk); i++)
		ks->ssk[i] = (uint8_t)(i + 1);
	for (i = 0; i < sizeof(ks->pvt); i++)
		ks->pvt[i] = (uint8_t)(i + 2);
	for (i = 0; i < sizeof(ks->rsk); i++)
		ks->rsk[i] = (uint8_t)(i + 3);
	return ks;
}

Test(keys_kms_xml, cert_round_trip)
{
	struct kms_cert c = sample_cert(), back;
	char *xml;
	size_t len;

	cr_assert_eq(kms_cert_to_xml(&xml, &len, &c, 1700000000), 0);
	cr_assert_eq(strlen(xml), len);
	cr_assert_not_null(strstr(xml, "IsSecurityGateway=\"true\""));
	cr_assert_not_null(strstr(xml, "<Issuer>mcpx &amp; &lt;lab&gt;</Issuer>"));
	cr_assert_not_null(strstr(xml, "<Time>2023-11-14T22:13:20Z</Time>"));
	cr_assert_eq(kms_cert_from_xml(&back, xml, len), 0);
	cr_assert_eq(memcmp(&c, &back, sizeof(c)), 0);
	kms_xml_free(xml);

	c.security_gateway = false;
	c.external = true;
	cr_assert_eq(kms_cert_to_xml(&xml, &len, &c, 0), 0);
	cr_assert_not_null(strstr(xml, "Role=\"External\""));
	cr_assert_null(strstr(xml, "IsSecurityGateway"));
	cr_assert_eq(kms_cert_from_xml(&back, xml, len), 0);
	cr_assert(back.external && !back.security_gateway);
	kms_xml_free(xml);
}

Test(keys_kms_xml, keyset_round_trip)
{
	struct kms_keyset *ks = sample_keyset(), *back = kms_keyset_new();
	char *xml;
	size_t len;

	cr_assert_eq(kms_keyset_to_xml(&xml, &len, ks, 0), 0);
	cr_assert_not_null(strstr(xml, "<KeyPeriodNo>1388</KeyPeriodNo>"));
	cr_assert_eq(kms_keyset_from_xml(back, xml, len), 0);
	cr_assert_eq(memcmp(ks, back, sizeof(*ks)), 0);
	kms_xml_free(xml);
	kms_keyset_free(ks);
	kms_keyset_free(back);
}

/* A bare KmsKeySet in no namespace, upper-case hex, white space around it. */
Test(keys_kms_xml, keyset_bare_element)
{
	struct kms_keyset *ks = sample_keyset(), *back = kms_keyset_new();
	char doc[4096], hex[2 * KMS_RSK_LEN + 1];
	int n = 0;
	size_t i;

#define HEX(f)                                                                                 \
	do {                                                                                   \
		for (i = 0; i < sizeof(ks->f); i++)                                            \
			sprintf(hex + 2 * i, "%02X", ks->f[i]);                               \
	} while (0)
	n += sprintf(doc + n, "<KmsKeySet><KmsUri>kms.example.org</KmsUri>"
			      "<UserUri>sip:alice@example.org</UserUri>");
	HEX(uid);
	n += sprintf(doc + n, "<UserID>\n  %s\n</UserID><KeyPeriodNo>1388</KeyPeriodNo>", hex);
	HEX(rsk);
	n += sprintf(doc + n, "<UserDecryptKey>%s</UserDecryptKey>", hex);
	HEX(ssk);
	n += sprintf(doc + n, "<UserSigningKeySSK>%s</UserSigningKeySSK>", hex);
	HEX(pvt);
	n += sprintf(doc + n, "<UserPubTokenPVT>%s</UserPubTokenPVT></KmsKeySet>", hex);
	cr_assert_eq(kms_keyset_from_xml(back, doc, (size_t)n), 0);
	cr_assert_eq(memcmp(ks, back, sizeof(*ks)), 0);
	kms_keyset_free(ks);
	kms_keyset_free(back);
}

struct bad {
	const char *what, *from, *to;
	int rc;
};

/* Each edit of a good certificate document and the exact error it must give. */
static const struct bad cert_edits[] = {
	{"not well-formed", "</KmsResponse>", "</KmsRespons>", -KEYS_E_PARSE},
	{"no certificate", "KmsCertificate", "KmsCertificat", -KEYS_E_PARSE},
	{"missing KmsUri", "<KmsUri>kms.example.org</KmsUri>\n      ", "", -KEYS_E_PARSE},
	{"KPAK one octet short", "<PubAuthKey>04", "<PubAuthKey>", -KEYS_E_PARSE},
	{"KPAK not hex", "<PubAuthKey>04", "<PubAuthKey>zz", -KEYS_E_PARSE},
	{"period not a number", "<UserKeyPeriod>2592000", "<UserKeyPeriod>-1", -KEYS_E_PARSE},
	{"unknown role", "Role=\"Root\"", "Role=\"Boss\"", -KEYS_E_PARSE},
	{"bad gateway flag", "IsSecurityGateway=\"true\"", "IsSecurityGateway=\"maybe\"",
	 -KEYS_E_PARSE},
	{"foreign namespace", "urn:3gpp:ns:mcsecKMSInterface:1.0", "urn:example:other",
	 -KEYS_E_PARSE},
	{"a DOCTYPE", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
	 "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e \"x\">]>", -KEYS_E_PARSE},
};

static char *
edit(const char *doc, const char *from, const char *to)
{
	const char *at = strstr(doc, from);
	static char out[20000];
	size_t pre;

	cr_assert_not_null(at, "'%s' not in the document", from);
	pre = (size_t)(at - doc);
	memcpy(out, doc, pre);
	strcpy(out + pre, to);
	strcat(out, at + strlen(from));
	return out;
}

Test(keys_kms_xml, cert_rejections)
{
	struct kms_cert c = sample_cert(), back;
	char *xml, *bad;
	size_t len, i;

	c.issuer[0] = '\0';
	cr_assert_eq(kms_cert_to_xml(&xml, &len, &c, 0), 0);
	for (i = 0; i < sizeof(cert_edits) / sizeof(cert_edits[0]); i++) {
		bad = edit(xml, cert_edits[i].from, cert_edits[i].to);
		cr_assert_eq(kms_cert_from_xml(&back, bad, strlen(bad)), cert_edits[i].rc,
			     "%s: got %d", cert_edits[i].what,
			     kms_cert_from_xml(&back, bad, strlen(bad)));
		cr_assert_eq(back.kms_uri[0], '\0', "%s: output not cleared", cert_edits[i].what);
	}
	/* A URI too long for the model. */
	memset(c.kms_uri, 'k', sizeof(c.kms_uri) - 1);
	c.kms_uri[sizeof(c.kms_uri) - 1] = '\0';
	kms_xml_free(xml);
	cr_assert_eq(kms_cert_to_xml(&xml, &len, &c, 0), 0);
	bad = edit(xml, "        <KmsUri>k", "        <KmsUri>kk");	/* the certificate's */
	cr_assert_eq(kms_cert_from_xml(&back, bad, strlen(bad)), -KEYS_E_RANGE);
	kms_xml_free(xml);
	cr_assert_eq(kms_cert_from_xml(&back, "", 0), -KEYS_E_ARG);
}

Test(keys_kms_xml, keyset_truncated_at_every_length)
{
	struct kms_keyset *ks = sample_keyset(), *back = kms_keyset_new();
	char *xml;
	size_t len, cut;

	cr_assert_eq(kms_keyset_to_xml(&xml, &len, ks, 0), 0);
	for (cut = 1; cut < len - 1; cut += 7) {
		int rc = kms_keyset_from_xml(back, xml, cut);

		cr_assert_eq(rc, -KEYS_E_PARSE, "cut at %zu: %d", cut, rc);
		cr_assert_eq(back->period_no, 0);
	}
	kms_xml_free(xml);
	kms_keyset_free(ks);
	kms_keyset_free(back);
}

/*
 * ValidFrom/ValidTo (Annex D.3, digest §2.3): read as xs:dateTime, written
 * back, and a certificate or key set outside them is refused.
 */
#define Y2001 978307200		/* 2001-01-01T00:00:00Z */
#define NOW 1700000000		/* 2023-11-14T22:13:20Z */

Test(keys_kms_xml, validity_round_trip)
{
	struct kms_cert c = sample_cert(), back;
	struct kms_keyset *ks = sample_keyset(), *kb = kms_keyset_new();
	char *xml;
	size_t len;

	c.has_valid_from = c.has_valid_to = true;
	c.valid_from = Y2001;
	c.valid_to = NOW;
	cr_assert_eq(kms_cert_to_xml(&xml, &len, &c, NOW), 0);
	cr_assert_not_null(strstr(xml, "<ValidFrom>2001-01-01T00:00:00Z</ValidFrom>"));
	cr_assert_not_null(strstr(xml, "<ValidTo>2023-11-14T22:13:20Z</ValidTo>"));
	cr_assert_eq(kms_cert_from_xml(&back, xml, len), 0);
	cr_assert_eq(memcmp(&c, &back, sizeof(c)), 0);
	kms_xml_free(xml);
	ks->has_valid_to = true;
	ks->valid_to = NOW;
	cr_assert_eq(kms_keyset_to_xml(&xml, &len, ks, NOW), 0);
	cr_assert_null(strstr(xml, "ValidFrom"));
	cr_assert_eq(kms_keyset_from_xml(kb, xml, len), 0);
	cr_assert_eq(memcmp(ks, kb, sizeof(*ks)), 0);
	kms_xml_free(xml);
	kms_keyset_free(ks);
	kms_keyset_free(kb);
}

/* Numbered: (ValidFrom, ValidTo as sent, Unix now, expected check). */
Test(keys_kms_xml, validity_checked)
{
	static const struct {
		const char *from, *to;
		int64_t now;
		int rc;
	} t[] = {
		/* 0 */ {NULL, "2001-01-01T00:00:00", NOW, -KEYS_E_EXPIRED},	/* the review's */
		/* 1 */ {NULL, NULL, NOW, 0},
		/* 2 */ {"2001-01-01T00:00:00Z", "2100-01-01T00:00:00Z", NOW, 0},
		/* 3 */ {"2030-01-01T00:00:00Z", NULL, NOW, -KEYS_E_EXPIRED},	/* not yet */
		/* 4 */ {NULL, "2023-11-14T22:13:20Z", NOW, 0},			/* last second */
		/* 5 */ {NULL, "2023-11-14T22:13:19.999Z", NOW, -KEYS_E_EXPIRED},
		/* 6 */ {NULL, "2023-11-14T23:13:20+01:00", NOW, 0},		/* same instant */
		/* 7 */ {NULL, "2023-11-14T21:13:20-01:00", NOW, 0},
		/* 8 */ {NULL, "2023-11-14T23:13:19+01:00", NOW, -KEYS_E_EXPIRED},
		/* 9 */ {"2023-11-14T22:13:21Z", NULL, NOW, -KEYS_E_EXPIRED},
	};
	struct kms_cert c = sample_cert(), back;
	struct kms_keyset *ks = sample_keyset(), *kb = kms_keyset_new();
	char *xml, *doc, part[128];
	size_t len, i;

	cr_assert_eq(kms_cert_to_xml(&xml, &len, &c, 0), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		part[0] = '\0';
		if (t[i].from != NULL)
			snprintf(part, sizeof(part), "<ValidFrom>%s</ValidFrom>", t[i].from);
		if (t[i].to != NULL)
			snprintf(part + strlen(part), sizeof(part) - strlen(part),
				 "<ValidTo>%s</ValidTo>", t[i].to);
		strcat(part, "<UserIdFormat>");
		doc = edit(xml, "<UserIdFormat>", part);
		cr_assert_eq(kms_cert_from_xml(&back, doc, strlen(doc)), 0, "case %zu", i);
		cr_assert_eq(kms_cert_check_time(&back, t[i].now), t[i].rc, "case %zu", i);
	}
	kms_xml_free(xml);
	/* the same for a key set */
	cr_assert_eq(kms_keyset_to_xml(&xml, &len, ks, 0), 0);
	doc = edit(xml, "<KeyPeriodNo>", "<ValidTo>2001-01-01T00:00:00</ValidTo><KeyPeriodNo>");
	cr_assert_eq(kms_keyset_from_xml(kb, doc, strlen(doc)), 0);
	cr_assert_eq(kb->valid_to, Y2001);
	cr_assert_eq(kms_keyset_check_time(kb, NOW), -KEYS_E_EXPIRED);
	cr_assert_eq(kms_keyset_check_time(kb, Y2001), 0);
	cr_assert_eq(kms_keyset_check_time(ks, NOW), 0, "no dates: always in force");
	kms_xml_free(xml);
	kms_keyset_free(ks);
	kms_keyset_free(kb);
}

Test(keys_kms_xml, validity_malformed)
{
	static const struct {
		const char *elems;
		int rc;
	} t[] = {
		{"<ValidTo>2001-01-01</ValidTo>", -KEYS_E_PARSE},
		{"<ValidTo>2001-13-01T00:00:00</ValidTo>", -KEYS_E_PARSE},
		{"<ValidTo>2001-02-29T00:00:00</ValidTo>", -KEYS_E_PARSE},
		{"<ValidTo>2001-01-01T24:00:00</ValidTo>", -KEYS_E_PARSE},
		{"<ValidTo>2001-01-01T00:00:00.</ValidTo>", -KEYS_E_PARSE},
		{"<ValidTo>2001-01-01T00:00:00+0100</ValidTo>", -KEYS_E_PARSE},
		{"<ValidTo>2001-01-01T00:00:00ZZ</ValidTo>", -KEYS_E_PARSE},
		{"<ValidTo>yesterday</ValidTo>", -KEYS_E_PARSE},
		{"<ValidTo></ValidTo>", -KEYS_E_PARSE},
		{"<ValidFrom>2002-01-01T00:00:00</ValidFrom><ValidTo>2001-01-01T00:00:00</ValidTo>",
		 -KEYS_E_RANGE},
	};
	struct kms_cert c = sample_cert(), back;
	char *xml, *doc, part[160];
	size_t len, i;

	cr_assert_eq(kms_cert_to_xml(&xml, &len, &c, 0), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(part, sizeof(part), "%s<UserIdFormat>", t[i].elems);
		doc = edit(xml, "<UserIdFormat>", part);
		cr_assert_eq(kms_cert_from_xml(&back, doc, strlen(doc)), t[i].rc, "%s",
			     t[i].elems);
		cr_assert_eq(back.kms_uri[0], '\0', "output not cleared");
	}
	kms_xml_free(xml);
}

/*
 * No SSK or RSK in freed libxml2 heap. A watching allocator is installed
 * before any parse (each test runs in its own process); kms_xml.c puts its
 * wiping layer on top of it, so every block libxml2 frees reaches the watch
 * after the wipe, and the watch looks for the keys' hex in it.
 */
static char watch_ssk[2 * KMS_SSK_LEN + 1], watch_rsk[41];
static unsigned int watch_hits, watch_frees;

static void *
watch_malloc(size_t n)
{
	size_t *p = malloc(n + 16);

	if (p == NULL)
		return NULL;
	p[0] = n;
	return (char *)p + 16;
}

static void
watch_free(void *q)
{
	size_t *p;

	if (q == NULL)
		return;
	p = (size_t *)(void *)((char *)q - 16);
	watch_frees++;
	if ((p[0] >= 64 && memmem(q, p[0], watch_ssk, 64) != NULL) ||
	    (p[0] >= 40 && memmem(q, p[0], watch_rsk, 40) != NULL))
		watch_hits++;
	free(p);
}

static void *
watch_realloc(void *q, size_t n)
{
	size_t *p;
	void *r;

	if (q == NULL)
		return watch_malloc(n);
	p = (size_t *)(void *)((char *)q - 16);
	r = watch_malloc(n);
	if (r == NULL)
		return NULL;
	memcpy(r, q, p[0] < n ? p[0] : n);
	watch_free(q);
	return r;
}

static char *
watch_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *r = watch_malloc(n);

	if (r != NULL)
		memcpy(r, s, n);
	return r;
}

static void
heap_watch(void)
{
	setup();
	cr_assert_eq(xmlMemSetup(watch_free, watch_malloc, watch_realloc, watch_strdup), 0);
}

Test(keys_kms_xml, no_key_left_in_libxml2_heap, .init = heap_watch)
{
	struct kms_keyset *ks = sample_keyset(), *back = kms_keyset_new();
	char *xml, *doc;
	size_t len, cut;
	int rc;

	cr_assert_eq(kms_keyset_to_xml(&xml, &len, ks, 0), 0);
	sodium_bin2hex(watch_ssk, sizeof(watch_ssk), ks->ssk, sizeof(ks->ssk));
	sodium_bin2hex(watch_rsk, sizeof(watch_rsk), ks->rsk + 200, 20);
	cr_assert_eq(kms_keyset_from_xml(back, xml, len), 0);
	cr_assert_arr_eq(back->ssk, ks->ssk, sizeof(ks->ssk));
	/* malformed: cut after the SSK, and a bad PVT after both keys */
	cut = (size_t)(strstr(xml, "</UserSigningKeySSK>") + 20 - xml);
	cr_assert_eq(kms_keyset_from_xml(back, xml, cut), -KEYS_E_PARSE);
	doc = edit(xml, "<UserPubTokenPVT>", "<UserPubTokenPVT>zz");
	cr_assert_eq(kms_keyset_from_xml(back, doc, strlen(doc)), -KEYS_E_PARSE);
	for (cut = 1; cut < len; cut += 97) {
		rc = kms_keyset_from_xml(back, xml, cut);
		cr_assert_eq(rc, -KEYS_E_PARSE, "cut at %zu: %d", cut, rc);
	}
	cr_assert_gt(watch_frees, 0, "the watch saw libxml2's frees");
	cr_assert_eq(watch_hits, 0, "%u freed libxml2 blocks held key hex", watch_hits);
	kms_xml_free(xml);
	kms_keyset_free(ks);
	kms_keyset_free(back);
}
