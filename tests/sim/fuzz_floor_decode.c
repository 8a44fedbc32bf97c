/* SPDX-License-Identifier: proprietary */
/*
 * Fuzz target for sim/floor: split the input as a datagram (fc_next), decode
 * every packet under both flag sets, and for each message that decodes check
 * the round trip decode(encode(m)) == m; then drive a client and a server
 * machine with it. Any invariant broken traps. Seeds: tests/corpus/floor_decode.
 */
#include <stddef.h>
#include <stdint.h>

#include "fc_codec.h"
#include "fc_fsm.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_round_trip(const struct fc_msg *m)
{
	static uint8_t buf[FC_PKT_MAX];
	struct fc_msg again;
	size_t len;

	if (fc_encode(m, buf, sizeof(buf), &len) != 0)
		__builtin_trap();	/* whatever decodes must encode */
	if (len != fc_encoded_len(m) || len % 4 != 0)
		__builtin_trap();
	if (fc_decode(buf, len, FC_DECODE_REJECT_UNKNOWN | FC_DECODE_REJECT_LEGACY, &again) != 0)
		__builtin_trap();
	if (!fc_msg_equal(m, &again))
		__builtin_trap();
}

static void
drive_machines(const struct fc_msg *m)
{
	static const struct fc_cli_cfg ccfg = { .ssrc = 1, .user_id = "sip:f@mcpx.test" };
	static const struct fc_srv_cfg scfg = { .ssrc = 2, .queue_max = 2, .preempt_priority = 9,
						.duration_s = 1, .ack_req = true };
	struct fc_cli_ev ev = { FC_CLI_EV_RX, m };
	struct fc_cli_out co;
	struct fc_srv_out so;
	struct fc_cli c;
	struct fc_srv s;
	unsigned int a, b;
	int rc;

	fc_cli_init(&c, &ccfg);
	ev.type = FC_CLI_EV_PTT_PRESS;
	if (fc_cli_event(&c, &ev, 0, &co) != 0)
		__builtin_trap();
	ev.type = FC_CLI_EV_RX;
	rc = fc_cli_event(&c, &ev, 1, &co);
	if ((rc != 0 && rc != -FC_E_UNEXPECTED) || co.n > FC_CLI_OUT_MAX)
		__builtin_trap();

	fc_srv_init(&s, &scfg);
	if (fc_srv_member_add(&s, "a", &a) != 0 || fc_srv_member_add(&s, "b", &b) != 0)
		__builtin_trap();
	rc = fc_srv_rx(&s, a, m, 0, &so);
	if (rc == 0)
		rc = fc_srv_rx(&s, b, m, 1, &so);
	if ((rc != 0 && rc != -FC_E_UNEXPECTED) || so.n > FC_SRV_OUT_MAX)
		__builtin_trap();
	fc_srv_tick(&s, 5000, &so);
	fc_srv_tick(&s, 10000, &so);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *pkt;
	struct fc_msg m;
	size_t off = 0, len;
	unsigned int n = 0;

	if (fc_decode(data, size, 0, &m) == 0) {
		check_round_trip(&m);
		drive_machines(&m);
	}
	if (fc_decode(data, size, FC_DECODE_REJECT_UNKNOWN | FC_DECODE_REJECT_LEGACY, &m) == 0)
		check_round_trip(&m);
	while (fc_next(data, size, &off, &pkt, &len) == 1) {
		if (pkt < data || len > size || (size_t)(pkt - data) + len > size || ++n > size)
			__builtin_trap();
		if (fc_decode(pkt, len, 0, &m) == 0)
			check_round_trip(&m);
	}
	return 0;
}
