/* SPDX-License-Identifier: proprietary */
/*
 * libFuzzer target: the control.sock request decoder on arbitrary bytes. It
 * must return 0 or one of its codes, hold nothing after a failure, and wipe
 * the buffer it was given. Only a mikey.install that learns may name no stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ctl_msg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_req req;
	struct ctl_err err;
	uint8_t *buf;
	size_t i;
	int rc;

	if (sodium_init() < 0)
		return 0;
	ctl_json_init();	/* no jansson object is alive between runs */
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	rc = ctl_msg_decode(&req, buf, size, &err);
	if (rc < -CTL_E_IO || rc > 0 || (rc < 0 && (req.streams != NULL || req.imsg != NULL)))
		__builtin_trap();
	for (i = 0; i < size; i++)
		if (buf[i] != 0)
			__builtin_trap();
	if (rc == 0 && (req.op == CTL_OP_STREAM_ADD || req.op == CTL_OP_MIKEY_INSTALL) &&
	    ((req.n_streams == 0 && !req.has_learn) || req.n_streams > CTL_BATCH_MAX))
		__builtin_trap();
	ctl_req_fini(&req);
	free(buf);
	return 0;
}
