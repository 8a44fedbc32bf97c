/* SPDX-License-Identifier: proprietary */
/*
 * libFuzzer target for the strict I_MESSAGE decoder (keys/mikey/mikey_msg.c)
 * and the parsers that run on what it returns: the E.6 Key Parameters
 * content and the SP → SRTP profile resolution. Invariants checked:
 *   - a rejection always names a reason, an acceptance never does;
 *   - an accepted message re-encodes to the same octets, except the inner
 *     next-payload of SAKKE-to-self, which E.5 says to ignore (written as 0);
 *   - the re-encoded form is accepted again.
 * Seeds: tests/corpus/mikey_parse/ (replayed by the 'fuzz' suite).
 */
#include <stdint.h>
#include <string.h>

#include "mikey_keyparams.h"
#include "mikey_msg.h"
#include "mikey_profile.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[70000];

/* Offset of the E.5 inner next-payload octet in |m|'s wire form, or 0. */
static size_t
self_inner_np(const struct mikey_msg *m)
{
	if (!m->has_self)
		return 0;
	/* GEXT header (4) precedes it; the inner SAKKE data ends before it */
	return (size_t)(m->self.data.p - m->wire) - MIKEY_SAKKE_HDR_LEN;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mikey_srtp_profile prof;
	struct mikey_keyparams kp;
	struct mikey_msg m, again;
	enum mikey_reject why;
	size_t len, np;
	unsigned int p;
	int rc;

	rc = mikey_keyparams_decode(&kp, data, size);
	if (rc != 0 && rc != -KEYS_E_PARSE)
		__builtin_trap();

	rc = mikey_msg_decode(&m, data, size, &why);
	if ((rc == 0) != (why == MIKEY_REJECT_NONE) || (rc != 0 && rc != -KEYS_E_PARSE))
		__builtin_trap();
	if (rc != 0)
		return 0;

	if (mikey_msg_encode(&m, out, sizeof(out), &len, &why) != 0 || len != size)
		__builtin_trap();
	np = self_inner_np(&m);
	if (np != 0)
		out[np] = data[np];
	if (memcmp(out, data, size) != 0)
		__builtin_trap();
	if (mikey_msg_decode(&again, out, len, &why) != 0)
		__builtin_trap();

	for (p = 0; p < 3; p++) {
		rc = mikey_profile_resolve(&prof, NULL, &m, p, m.hdr.n_cs ? m.hdr.cs[0].cs_id : 0,
					   &why);
		if ((rc == 0) != (why == MIKEY_REJECT_NONE))
			__builtin_trap();
	}
	if (m.has_kp && mikey_keyparams_decode(&kp, m.kp.p, m.kp.len) == -KEYS_E_ARG)
		__builtin_trap();
	return 0;
}
