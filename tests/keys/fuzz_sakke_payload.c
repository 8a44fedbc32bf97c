/* SPDX-License-Identifier: proprietary */
/*
 * Fuzz target: parse and decapsulate an arbitrary SAKKE Encapsulated Data
 * (RFC 6508 §6.2.2) with a fixed receiver (KMS z = 0x2222...22 reduced into
 * range, identifier fixed). Inputs of 273 octets reach the point checks, the
 * pairing and TEST; other lengths the framing check. An SSV may only come out
 * of a payload that passes TEST; anything outside the documented codes, a
 * crash or a sanitizer report is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sakke.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fz_id[] = "fuzz@mcptt.example";
static struct sakke_receiver *fz_rx;

static void
fz_setup(void)
{
	uint8_t z[SAKKE_SCALAR_LEN], zpub[SAKKE_POINT_LEN], rsk[SAKKE_POINT_LEN];

	if (sodium_init() < 0)
		__builtin_trap();
	memset(z, 0x22, sizeof(z));
	z[0] = 0x02;	/* below q */
	if (sakke_kms_pubkey(zpub, z) != 0 || sakke_kms_rsk(rsk, z, fz_id, sizeof(fz_id) - 1) != 0 ||
	    sakke_receiver_new(&fz_rx, rsk, zpub, fz_id, sizeof(fz_id) - 1) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ssv[SAKKE_SSV_LEN];
	size_t i;
	int rc;

	if (fz_rx == NULL)
		fz_setup();
	rc = sakke_decapsulate(ssv, data, size, fz_rx);
	if (rc != 0 && rc != -KEYS_E_PARSE && rc != -KEYS_E_POINT && rc != -KEYS_E_VERIFY)
		__builtin_trap();
	if ((size != SAKKE_ED_LEN) != (rc == -KEYS_E_PARSE))
		__builtin_trap();
	for (i = 0; rc != 0 && i < sizeof(ssv); i++)
		if (ssv[i] != 0)
			__builtin_trap();	/* nothing released on failure */
	return 0;
}
