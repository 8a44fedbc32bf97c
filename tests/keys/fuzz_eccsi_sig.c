/* SPDX-License-Identifier: proprietary */
/*
 * Fuzz target: parse and verify an arbitrary ECCSI signature over an
 * arbitrary message (RFC 6507 §5.2.2), under a fixed KMS key and identity.
 *
 * Input: octet 0 chooses the signature length (< 0x80: the full 129 octets;
 * otherwise octet 0 - 0x80, to reach the length checks), then the signature,
 * then the message. A crash, a sanitizer report or a verdict outside the
 * documented codes is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "eccsi.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fz_id[] = "fuzz@mcptt.example";
static uint8_t fz_kpak[ECCSI_POINT_LEN];
static int fz_ready;

/* A deterministic KMS key (KSAK = 0x1111...11), so runs are repeatable. */
static void
fz_setup(void)
{
	uint8_t ksak[ECCSI_SCALAR_LEN];

	if (sodium_init() < 0)
		__builtin_trap();
	memset(ksak, 0x11, sizeof(ksak));
	if (eccsi_kms_pubkey(fz_kpak, ksak) != 0)
		__builtin_trap();
	fz_ready = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t sig_len;
	int rc;

	if (!fz_ready)
		fz_setup();
	if (size < 1)
		return 0;
	sig_len = data[0] < 0x80 ? ECCSI_SIG_LEN : (size_t)(data[0] - 0x80);
	if (size - 1 < sig_len)
		sig_len = size - 1;
	rc = eccsi_verify(data + 1 + sig_len, size - 1 - sig_len, data + 1, sig_len, fz_id,
			  sizeof(fz_id) - 1, fz_kpak);
	if (rc != 0 && rc != -KEYS_E_PARSE && rc != -KEYS_E_POINT && rc != -KEYS_E_VERIFY)
		__builtin_trap();
	if (sig_len != ECCSI_SIG_LEN && rc != -KEYS_E_PARSE)
		__builtin_trap();
	return 0;
}
