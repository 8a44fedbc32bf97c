/* SPDX-License-Identifier: proprietary */
/*
 * KMS certificate and key set XML (TS 33.180 Annex D.3): what we emit reads
 * back identically; what is malformed is refused with the exact code.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
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
