/* SPDX-License-Identifier: proprietary */
/* Fuzz target: the KMS certificate and key set XML readers. */
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "kms.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kms_keyset *ks;
	struct kms_cert c;

	if (ks == NULL) {
		if (sodium_init() < 0)
			return 0;
		ks = kms_keyset_new();
		if (ks == NULL)
			return 0;
	}
	/* Only crashes and sanitizer reports matter here, not the verdicts. */
	if (kms_cert_from_xml(&c, (const char *)data, size) == 0 && kms_cert_validate(&c) == 0)
		c.revoked = !c.revoked;
	if (kms_keyset_from_xml(ks, (const char *)data, size) == 0)
		ks->revoked = !ks->revoked;
	return 0;
}
