/* SPDX-License-Identifier: proprietary */
/*
 * The KMS of one security domain and the KM client's checks on receipt
 * (TS 33.180 §5.3, Annex D; digest §2). ECCSI and SAKKE do the mathematics;
 * this file binds identities, key periods and the domain's parameters.
 */
#include <string.h>

#include <sodium.h>

#include "eccsi.h"
#include "keys_period.h"
#include "keys_uid.h"
#include "kms.h"
#include "sakke.h"

struct kms_keyset *
kms_keyset_new(void)
{
	struct kms_keyset *ks = sodium_malloc(sizeof(*ks));

	if (ks != NULL)
		sodium_memzero(ks, sizeof(*ks));
	return ks;
}

void
kms_keyset_free(struct kms_keyset *ks)
{
	sodium_free(ks);	/* wipes */
}

void
kms_domain_free(struct kms_domain *d)
{
	sodium_free(d);
}

static int
copy_uri(char dst[KMS_URI_MAX], const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n == 0)
		return -KEYS_E_ARG;
	if (n >= KMS_URI_MAX)
		return -KEYS_E_RANGE;
	memcpy(dst, src, n + 1);
	return 0;
}

static void
cert_defaults(struct kms_cert *c, uint64_t period_len, uint64_t offset, bool sg)
{
	c->external = false;
	c->security_gateway = sg;
	c->revoked = false;
	c->user_id_format = KMS_USER_ID_FORMAT;
	c->parameter_set = KMS_PARAMETER_SET;
	c->period_len = period_len;
	c->period_offset = offset;
}

int
kms_domain_create(struct kms_domain **out, const char *kms_uri, uint64_t period_len,
		  uint64_t offset, bool security_gateway)
{
	struct kms_domain *d;
	int rc;

	if (out == NULL)
		return -KEYS_E_ARG;
	*out = NULL;
	if (period_len == 0 || offset >= period_len)
		return -KEYS_E_RANGE;
	d = sodium_malloc(sizeof(*d));
	if (d == NULL)
		return -KEYS_E_NOMEM;
	sodium_memzero(d, sizeof(*d));
	rc = copy_uri(d->cert.kms_uri, kms_uri);
	if (rc == 0) {
		cert_defaults(&d->cert, period_len, offset, security_gateway);
		rc = eccsi_kms_keygen(d->ksak, d->cert.kpak);		/* RFC 6507 §4.2 */
	}
	if (rc == 0)
		rc = sakke_kms_keygen(d->z_secret, d->cert.z);	/* RFC 6508 §6.1 */
	if (rc < 0) {
		kms_domain_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

int
kms_domain_restore(struct kms_domain **out, const struct kms_cert *cert,
		   const uint8_t ksak[KMS_KSAK_LEN], const uint8_t z_secret[KMS_ZSECRET_LEN])
{
	struct kms_domain *d;
	int rc;

	if (out == NULL || cert == NULL || ksak == NULL || z_secret == NULL)
		return -KEYS_E_ARG;
	*out = NULL;
	if (cert->period_len == 0 || cert->period_offset >= cert->period_len)
		return -KEYS_E_RANGE;
	d = sodium_malloc(sizeof(*d));
	if (d == NULL)
		return -KEYS_E_NOMEM;
	d->cert = *cert;
	memcpy(d->ksak, ksak, KMS_KSAK_LEN);
	memcpy(d->z_secret, z_secret, KMS_ZSECRET_LEN);
	rc = eccsi_kms_pubkey(d->cert.kpak, d->ksak);
	if (rc == 0)
		rc = sakke_kms_pubkey(d->cert.z, d->z_secret);
	if (rc < 0) {
		kms_domain_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

static int
uid_for(uint8_t uid[KMS_UID_LEN], const struct kms_cert *c, const char *user_uri,
	uint64_t period_no)
{
	return keys_uid_derive(uid, user_uri, c->kms_uri, c->period_len, c->period_offset, period_no);
}

int
kms_issue(struct kms_keyset **out, const struct kms_domain *d, const char *user_uri,
	  uint64_t period_no)
{
	struct kms_keyset *ks;
	int rc;

	if (out == NULL || d == NULL)
		return -KEYS_E_ARG;
	*out = NULL;
	ks = kms_keyset_new();
	if (ks == NULL)
		return -KEYS_E_NOMEM;
	rc = copy_uri(ks->user_uri, user_uri);
	if (rc == 0)
		rc = copy_uri(ks->kms_uri, d->cert.kms_uri);
	ks->period_no = period_no;
	if (rc == 0)
		rc = uid_for(ks->uid, &d->cert, user_uri, period_no);	/* F.2.1 */
	if (rc == 0)	/* RFC 6507 §5.1.1 */
		rc = eccsi_kms_issue(ks->ssk, ks->pvt, d->ksak, d->cert.kpak, ks->uid,
				     sizeof(ks->uid));
	if (rc == 0)	/* RFC 6508 §6.1.1 */
		rc = sakke_kms_rsk(ks->rsk, d->z_secret, ks->uid, sizeof(ks->uid));
	if (rc < 0) {
		kms_keyset_free(ks);
		return rc;
	}
	*out = ks;
	return 0;
}

int
kms_cert_validate(const struct kms_cert *c)
{
	if (c == NULL)
		return -KEYS_E_ARG;
	if (c->user_id_format != KMS_USER_ID_FORMAT || c->parameter_set != KMS_PARAMETER_SET ||
	    c->period_len == 0 || c->period_offset >= c->period_len || c->kms_uri[0] == '\0')
		return -KEYS_E_RANGE;
	if (eccsi_kpak_validate(c->kpak) < 0)
		return -KEYS_E_POINT;
	return sakke_point_validate(c->z) < 0 ? -KEYS_E_POINT : 0;
}

int
kms_keyset_validate(const struct kms_keyset *ks, const struct kms_cert *c)
{
	uint8_t uid[KMS_UID_LEN];
	int rc;

	if (ks == NULL || c == NULL)
		return -KEYS_E_ARG;
	if (strcmp(ks->kms_uri, c->kms_uri) != 0)
		return -KEYS_E_NOTFOUND;
	rc = uid_for(uid, c, ks->user_uri, ks->period_no);
	if (rc < 0)
		return rc;
	if (sodium_memcmp(uid, ks->uid, sizeof(uid)) != 0)
		return -KEYS_E_KEY;	/* digest §2.5: UserID must be ours to compute */
	rc = eccsi_ssk_validate(NULL, ks->ssk, ks->pvt, c->kpak, ks->uid, sizeof(ks->uid));
	if (rc < 0)
		return rc;
	return sakke_rsk_validate(ks->rsk, c->z, ks->uid, sizeof(ks->uid));
}

static int
in_window(bool has_from, int64_t from, bool has_to, int64_t to, int64_t now)
{
	if ((has_from && now < from) || (has_to && now > to))
		return -KEYS_E_EXPIRED;
	return 0;
}

int
kms_cert_check_time(const struct kms_cert *c, int64_t now_unix)
{
	if (c == NULL)
		return -KEYS_E_ARG;
	return in_window(c->has_valid_from, c->valid_from, c->has_valid_to, c->valid_to,
			 now_unix);
}

int
kms_keyset_check_time(const struct kms_keyset *ks, int64_t now_unix)
{
	if (ks == NULL)
		return -KEYS_E_ARG;
	return in_window(ks->has_valid_from, ks->valid_from, ks->has_valid_to, ks->valid_to,
			 now_unix);
}

int
kms_period_at(uint64_t *no, const struct kms_cert *c, int64_t unix_s)
{
	if (no == NULL || c == NULL)
		return -KEYS_E_ARG;
	return keys_period_no_unix(no, unix_s, c->period_len, c->period_offset);
}
