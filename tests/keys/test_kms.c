/* SPDX-License-Identifier: proprietary */
/*
 * The KMS and the KM client's checks on receipt (TS 33.180 Annex D, digest
 * §2.5): domains, key sets across identities and key periods, and the exact
 * error for each thing that can be wrong with what a KMS hands out.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "eccsi.h"
#include "kms.h"
#include "sakke.h"

static struct kms_domain *dom;

static void
setup(void)
{
	cr_assert_geq(sodium_init(), 0);
	cr_assert_eq(kms_domain_create(&dom, "kms.example.org", 2592000, 0, false), 0);
}

static void
teardown(void)
{
	kms_domain_free(dom);
}

TestSuite(keys_kms, .init = setup, .fini = teardown, .timeout = 120);

Test(keys_kms, domain_certificate_validates)
{
	cr_assert_eq(kms_cert_validate(&dom->cert), 0);
	cr_assert_str_eq(dom->cert.kms_uri, "kms.example.org");
	cr_assert_eq(dom->cert.user_id_format, 2);
	cr_assert_eq(dom->cert.parameter_set, 1);
	cr_assert(!dom->cert.security_gateway && !dom->cert.external);
}

Test(keys_kms, domain_restore_recomputes_public_keys)
{
	struct kms_domain *d2;
	struct kms_cert c = dom->cert;

	memset(c.kpak, 0, sizeof(c.kpak));
	memset(c.z, 0, sizeof(c.z));
	cr_assert_eq(kms_domain_restore(&d2, &c, dom->ksak, dom->z_secret), 0);
	cr_assert_arr_eq(d2->cert.kpak, dom->cert.kpak, KMS_KPAK_LEN);
	cr_assert_arr_eq(d2->cert.z, dom->cert.z, KMS_Z_LEN);
	kms_domain_free(d2);
}

Test(keys_kms, bad_domain_parameters)
{
	struct kms_domain *d = (struct kms_domain *)1;

	cr_assert_eq(kms_domain_create(&d, "kms.example.org", 0, 0, false), -KEYS_E_RANGE);
	cr_assert_null(d);
	cr_assert_eq(kms_domain_create(&d, "kms.example.org", 10, 10, false), -KEYS_E_RANGE);
	cr_assert_eq(kms_domain_create(&d, "", 10, 0, false), -KEYS_E_ARG);
}

/* Several identities and key periods: each key set validates, signs and decrypts. */
Test(keys_kms, key_sets_across_identities_and_periods)
{
	static const char *const users[] = {"sip:alice@example.org", "sip:bob@example.org",
					    "gms@example.org"};
	uint8_t ssv[SAKKE_SSV_LEN], got[SAKKE_SSV_LEN], ed[SAKKE_ED_LEN], sig[ECCSI_SIG_LEN];
	uint64_t periods[] = {1545, 1546};
	unsigned int u, p;

	for (u = 0; u < 3; u++)
		for (p = 0; p < 2; p++) {
			struct kms_keyset *ks;
			struct eccsi_signer *s;
			struct sakke_sender *tx;
			struct sakke_receiver *rx;

			cr_assert_eq(kms_issue(&ks, dom, users[u], periods[p]), 0);
			cr_assert_eq(kms_keyset_validate(ks, &dom->cert), 0);
			cr_assert_eq(eccsi_signer_new(&s, ks->ssk, ks->pvt, dom->cert.kpak, ks->uid,
						      KMS_UID_LEN), 0);
			cr_assert_eq(eccsi_sign(sig, s, (const uint8_t *)"m", 1), 0);
			cr_assert_eq(eccsi_verify((const uint8_t *)"m", 1, sig, sizeof(sig), ks->uid,
						  KMS_UID_LEN, dom->cert.kpak), 0);
			cr_assert_eq(sakke_sender_new(&tx, dom->cert.z, ks->uid, KMS_UID_LEN), 0);
			cr_assert_eq(sakke_encapsulate(ed, ssv, tx), 0);
			cr_assert_eq(sakke_receiver_new(&rx, ks->rsk, dom->cert.z, ks->uid,
							KMS_UID_LEN), 0);
			cr_assert_eq(sakke_decapsulate(got, ed, sizeof(ed), rx), 0);
			cr_assert_arr_eq(got, ssv, sizeof(ssv));
			eccsi_signer_free(s);
			sakke_sender_free(tx);
			sakke_receiver_free(rx);
			kms_keyset_free(ks);
		}
}

/* What a client must refuse, and the code it gets (digest §2.5). */
Test(keys_kms, key_set_rejections)
{
	struct kms_keyset *ks, *bad = kms_keyset_new();
	struct kms_cert other = dom->cert;
	struct kms_domain *d2;

	cr_assert_eq(kms_issue(&ks, dom, "sip:alice@example.org", 1545), 0);

	*bad = *ks;	/* the UID of another period */
	bad->period_no = 1546;
	cr_assert_eq(kms_keyset_validate(bad, &dom->cert), -KEYS_E_KEY);
	*bad = *ks;	/* another user's name on these keys */
	strcpy(bad->user_uri, "sip:mallory@example.org");
	cr_assert_eq(kms_keyset_validate(bad, &dom->cert), -KEYS_E_KEY);
	*bad = *ks;
	bad->ssk[31] ^= 1;
	cr_assert_eq(kms_keyset_validate(bad, &dom->cert), -KEYS_E_KEY);
	*bad = *ks;	/* PVT off the curve */
	bad->pvt[64] ^= 1;
	cr_assert_eq(kms_keyset_validate(bad, &dom->cert), -KEYS_E_POINT);
	*bad = *ks;	/* RSK off the curve */
	bad->rsk[256] ^= 1;
	cr_assert_eq(kms_keyset_validate(bad, &dom->cert), -KEYS_E_POINT);
	*bad = *ks;	/* a key set for another KMS */
	strcpy(other.kms_uri, "kms.other.org");
	cr_assert_eq(kms_keyset_validate(bad, &other), -KEYS_E_NOTFOUND);

	/* Valid-looking keys from another domain with the same URI. */
	cr_assert_eq(kms_domain_create(&d2, "kms.example.org", 2592000, 0, false), 0);
	cr_assert_eq(kms_keyset_validate(ks, &d2->cert), -KEYS_E_KEY);
	kms_domain_free(d2);
	kms_keyset_free(ks);
	kms_keyset_free(bad);
}

Test(keys_kms, certificate_rejections)
{
	struct kms_cert c = dom->cert;

	c.kpak[64] ^= 1;
	cr_assert_eq(kms_cert_validate(&c), -KEYS_E_POINT);
	c = dom->cert;
	c.z[256] ^= 1;
	cr_assert_eq(kms_cert_validate(&c), -KEYS_E_POINT);
	c = dom->cert;
	c.user_id_format = 1;
	cr_assert_eq(kms_cert_validate(&c), -KEYS_E_RANGE);
	c = dom->cert;
	c.parameter_set = 2;
	cr_assert_eq(kms_cert_validate(&c), -KEYS_E_RANGE);
	c = dom->cert;
	c.period_offset = c.period_len;
	cr_assert_eq(kms_cert_validate(&c), -KEYS_E_RANGE);
}

/* Key periods count from the NTP epoch 1900 (F.2.1), not 1970. */
Test(keys_kms, key_period_from_ntp_epoch)
{
	uint64_t no;

	/* 2021-05-10 00:00:00 UTC: (1620604800 + 2208988800) / 2592000 = 1477 */
	cr_assert_eq(kms_period_at(&no, &dom->cert, 1620604800), 0);
	cr_assert_eq(no, 1477);
}

/* XML out and back in: a client reads what our KMS writes, and validates it. */
Test(keys_kms, issued_xml_reads_back_and_validates)
{
	struct kms_keyset *ks, *back = kms_keyset_new();
	struct kms_cert c;
	size_t len;
	char *xml;

	cr_assert_eq(kms_cert_to_xml(&xml, &len, &dom->cert, 0), 0);
	cr_assert_eq(kms_cert_from_xml(&c, xml, len), 0);
	kms_xml_free(xml);
	cr_assert_eq(kms_cert_validate(&c), 0);
	cr_assert_eq(kms_issue(&ks, dom, "sip:carol@example.org", 1545), 0);
	cr_assert_eq(kms_keyset_to_xml(&xml, &len, ks, 0), 0);
	cr_assert_eq(kms_keyset_from_xml(back, xml, len), 0);
	kms_xml_free(xml);
	cr_assert_eq(kms_keyset_validate(back, &c), 0);
	kms_keyset_free(ks);
	kms_keyset_free(back);
}
