/* SPDX-License-Identifier: proprietary */
/*
 * The KMS of an MC security domain (TS 33.180 §5.3, Annex D) and what a KM
 * client does with what it provisions: KMS certificates, key sets, their XML
 * form, and the checks on receipt (digest §2.5).
 *
 * A domain holds two master secrets: the ECCSI KSAK (public KPAK) and the
 * SAKKE z (public Z). A key set binds an identity and a key period to its UID
 * (TS 33.180 F.2.1), its ECCSI SSK and PVT and its SAKKE RSK.
 *
 * Secrets (KSAK, z, SSK, RSK) live in sodium_malloc'd objects, wiped on free.
 * Library code: never prints or exits.
 */
#ifndef KEYS_KMS_H
#define KEYS_KMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys_error.h"

#define KMS_URI_MAX 256			/* including the NUL */
#define KMS_UID_LEN 32
#define KMS_KPAK_LEN 65			/* ECCSI point, 04 || x || y */
#define KMS_PVT_LEN 65
#define KMS_SSK_LEN 32
#define KMS_Z_LEN 257			/* SAKKE point, 04 || x || y */
#define KMS_RSK_LEN 257
#define KMS_KSAK_LEN 32
#define KMS_ZSECRET_LEN 128		/* SAKKE master secret z < q, 1024 bits */
#define KMS_USER_ID_FORMAT 2		/* the F.2.1 hashed UID (digest §1.5) */
#define KMS_PARAMETER_SET 1		/* RFC 6509 SAKKE parameter set 1 */
#define KMS_NS "urn:3gpp:ns:mcsecKMSInterface:1.0"

/* A KMS certificate (Annex D.3.2.2): public, no secrets. */
struct kms_cert {
	char kms_uri[KMS_URI_MAX];
	char issuer[KMS_URI_MAX];	/* optional: "" when absent */
	bool external;			/* Role="External" (else "Root") */
	bool security_gateway;		/* IsSecurityGateway="true" (Annex L.3.2) */
	bool revoked;
	bool has_valid_from, has_valid_to;	/* ValidFrom, ValidTo present */
	int64_t valid_from, valid_to;	/* Unix seconds, both ends included */
	uint32_t user_id_format;
	uint64_t period_len;		/* UserKeyPeriod, seconds */
	uint64_t period_offset;		/* UserKeyOffset, seconds */
	uint32_t parameter_set;
	uint8_t kpak[KMS_KPAK_LEN];	/* PubAuthKey */
	uint8_t z[KMS_Z_LEN];		/* PubEncKey */
};

/* A key set (Annex D.3, KmsKeySet): one identity, one key period. Secret. */
struct kms_keyset {
	char kms_uri[KMS_URI_MAX];
	char user_uri[KMS_URI_MAX];
	uint8_t uid[KMS_UID_LEN];
	uint64_t period_no;
	bool revoked;
	bool has_valid_from, has_valid_to;	/* ValidFrom, ValidTo present */
	int64_t valid_from, valid_to;	/* Unix seconds, both ends included */
	uint8_t ssk[KMS_SSK_LEN];	/* UserSigningKeySSK */
	uint8_t pvt[KMS_PVT_LEN];	/* UserPubTokenPVT */
	uint8_t rsk[KMS_RSK_LEN];	/* UserDecryptKey */
};

/* A domain's master secrets and certificate. Secret. */
struct kms_domain {
	struct kms_cert cert;
	uint8_t ksak[KMS_KSAK_LEN];
	uint8_t z_secret[KMS_ZSECRET_LEN];
};

/* A fresh zeroed key set in secure memory (sodium_malloc), or NULL. */
struct kms_keyset *
kms_keyset_new(void);

/* Wipe and free (NULL is fine). */
void
kms_keyset_free(struct kms_keyset *ks);

/*
 * A new security domain: fresh KSAK/KPAK and z/Z, the certificate filled in
 * (Role Root, UserIdFormat 2, parameter set 1). |period_len| > 0 seconds,
 * |offset| < period_len. Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE (URI too long,
 * bad period), -KEYS_E_NOMEM, -KEYS_E_RANDOM or -KEYS_E_CRYPTO.
 */
MUST_CHECK int
kms_domain_create(struct kms_domain **out, const char *kms_uri, uint64_t period_len,
		  uint64_t offset, bool security_gateway);

/*
 * Rebuild a domain from stored secrets: recomputes KPAK and Z from KSAK and z.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE, -KEYS_E_NOMEM or -KEYS_E_CRYPTO.
 */
MUST_CHECK int
kms_domain_restore(struct kms_domain **out, const struct kms_cert *cert,
		   const uint8_t ksak[KMS_KSAK_LEN], const uint8_t z_secret[KMS_ZSECRET_LEN]);

void
kms_domain_free(struct kms_domain *d);

/*
 * Issue the key set of |user_uri| for key period |period_no|: UID (F.2.1),
 * SSK/PVT (RFC 6507 §5.1.1), RSK (RFC 6508 §6.1.1). *out is a new key set.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_RANGE, -KEYS_E_NOMEM, -KEYS_E_RANDOM or
 * -KEYS_E_CRYPTO.
 */
MUST_CHECK int
kms_issue(struct kms_keyset **out, const struct kms_domain *d, const char *user_uri,
	  uint64_t period_no);

/*
 * Check a certificate on receipt: KPAK on P-256, Z on the SAKKE curve and in
 * the order-q subgroup, UserIdFormat 2, parameter set 1, a period > 0.
 * Revocation is the caller's to judge (cert->revoked).
 * Returns 0, -KEYS_E_ARG, -KEYS_E_POINT (KPAK or Z) or -KEYS_E_RANGE (format,
 * parameter set or period).
 */
MUST_CHECK int
kms_cert_validate(const struct kms_cert *cert);

/*
 * Check a key set on receipt against its domain's certificate (digest §2.5):
 * same KMS URI, UserID equal to the UID computed from the user URI, the
 * certificate's period parameters and KeyPeriodNo; SSK/PVT valid under KPAK
 * (RFC 6507 §5.1.2); RSK valid under Z (RFC 6508 §6.1.2).
 * Returns 0, -KEYS_E_NOTFOUND (another KMS), -KEYS_E_KEY (UID, SSK or RSK
 * wrong), -KEYS_E_POINT (PVT or RSK not a valid point) or -KEYS_E_CRYPTO.
 */
MUST_CHECK int
kms_keyset_validate(const struct kms_keyset *ks, const struct kms_cert *cert);

/*
 * Is |cert| in force at Unix time |now_unix|: ValidFrom <= now <= ValidTo,
 * an absent end being open? Check on import and before each use, beside
 * kms_cert_validate() and the caller's revocation check.
 * Returns 0, -KEYS_E_ARG or -KEYS_E_EXPIRED (not yet valid, or expired).
 */
MUST_CHECK int
kms_cert_check_time(const struct kms_cert *cert, int64_t now_unix);

/* The same for a key set's ValidFrom/ValidTo. Returns 0, -KEYS_E_ARG, -KEYS_E_EXPIRED. */
MUST_CHECK int
kms_keyset_check_time(const struct kms_keyset *ks, int64_t now_unix);

/*
 * |*no| = the key period number containing Unix time |unix_s| for |cert|'s
 * period parameters, counted from the NTP epoch 1900 (TS 33.180 F.2.1).
 * Returns 0, -KEYS_E_ARG or -KEYS_E_RANGE (before the first period).
 */
MUST_CHECK int
kms_period_at(uint64_t *no, const struct kms_cert *cert, int64_t unix_s);

/*
 * XML (Annex D.3). Emitted documents are KmsResponse messages as a KMS sends
 * them (KmsInit with the certificate; KmsKeyProv with one key set), so any
 * client's parser takes them; the readers also take a bare KmsCertificate or
 * KmsKeySet element. Outputs are NUL-terminated, in sodium_malloc'd memory:
 * release them with kms_xml_free(), which wipes.
 */

/* Returns 0, -KEYS_E_ARG or -KEYS_E_NOMEM. */
MUST_CHECK int
kms_cert_to_xml(char **xml, size_t *len, const struct kms_cert *cert, int64_t now_unix);

/* Returns 0, -KEYS_E_ARG or -KEYS_E_NOMEM. */
MUST_CHECK int
kms_keyset_to_xml(char **xml, size_t *len, const struct kms_keyset *ks, int64_t now_unix);

void
kms_xml_free(char *xml);

/*
 * Read one certificate (the first KmsCertificate found) from |xml|.
 * ValidFrom/ValidTo (xs:dateTime; no zone = UTC) are read into the valid_*
 * fields. Returns 0, -KEYS_E_ARG, -KEYS_E_PARSE (not well-formed, missing or
 * malformed element, wrong sizes), -KEYS_E_RANGE (a URI too long, ValidTo
 * before ValidFrom) or -KEYS_E_CRYPTO (libxml2's allocator could not be
 * wrapped). The first call installs, process-wide, a wiping layer under
 * libxml2's allocator (kms_xml.c): a host's own xmlMemSetup() must come
 * before. Not validated: call kms_cert_validate() and kms_cert_check_time().
 */
MUST_CHECK int
kms_cert_from_xml(struct kms_cert *cert, const char *xml, size_t len);

/*
 * Read one key set (the first KmsKeySet) from |xml| into |ks| (from
 * kms_keyset_new()). The parser's copies of key text are wiped.
 * Returns 0, -KEYS_E_ARG, -KEYS_E_PARSE, -KEYS_E_RANGE or -KEYS_E_CRYPTO (as
 * for a certificate). Not validated: call kms_keyset_validate() and
 * kms_keyset_check_time().
 */
MUST_CHECK int
kms_keyset_from_xml(struct kms_keyset *ks, const char *xml, size_t len);

#endif /* KEYS_KMS_H */
