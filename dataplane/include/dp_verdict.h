/* SPDX-License-Identifier: proprietary */
/*
 * The one verdict list of the whole data path (DESIGN.md "The packet path").
 *
 * Every per-packet outcome, in the SRTP engine, the workers and the counters, is
 * one of these. The list is defined once, here, as an X-macro: the enum, the
 * counter names and the descriptions are all generated from it.
 */
#ifndef DP_VERDICT_H
#define DP_VERDICT_H

/* _(NAME, counter name, what it means) */
#define DP_VERDICTS(_)                                                           \
	_(FWD, "fwd", "protected or unprotected, and sent on")                  \
	_(PASS, "pass", "not ours to touch: passed through unchanged")          \
	_(PUNT, "punt", "handed to the control thread (unknown sender)")         \
	_(DROP_POLICY, "drop_policy", "dropped by policy")                      \
	_(DROP_MALFORMED, "drop_malformed", "headers do not parse")              \
	_(DROP_SHORT, "drop_short", "too short for its headers and trailer")     \
	_(DROP_NOROOM, "drop_noroom", "no room for the SRTP trailer")            \
	_(DROP_NOCTX, "drop_noctx", "no context for this MKI or SSRC")           \
	_(DROP_AUTH, "drop_auth", "authentication failed")                      \
	_(DROP_REPLAY, "drop_replay", "replayed or too old")                    \
	_(DROP_FRAG, "drop_frag", "IP fragment")

enum dp_verdict {
#define DP_VERDICT_ENUM(n, c, d) DP_V_##n,
	DP_VERDICTS(DP_VERDICT_ENUM)
#undef DP_VERDICT_ENUM
	DP_V_COUNT
};

/* The counter name of |v| ("drop_auth"), or "?" for a value out of range. */
const char *
dp_verdict_name(unsigned int v);

/* One line saying what |v| means. */
const char *
dp_verdict_describe(unsigned int v);

#endif /* DP_VERDICT_H */
