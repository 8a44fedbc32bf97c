/* SPDX-License-Identifier: proprietary */
/*
 * Error codes of sim/floor (the TS 24.380 floor-control codec and state
 * machines): functions return 0 or -FC_E_<name>. One list generates the enum
 * and fc_strerror(). Each decoder rejection has its own code so a test (and a
 * counter) can say exactly what was wrong with a packet.
 */
#ifndef FC_ERROR_H
#define FC_ERROR_H

#define FC_ERRORS(_)                                                                    \
	_(ARG, "invalid argument (caller bug)")                                         \
	_(NOROOM, "output buffer too small")                                            \
	_(SHORT, "shorter than the 12-octet RTCP APP header")                           \
	_(VERSION, "RTCP version is not 2")                                             \
	_(PBIT, "RTCP padding bit set (TS 24.380 8.1.2: P shall be 0)")                 \
	_(PT, "RTCP packet type is not APP (204)")                                      \
	_(LENGTH, "RTCP length runs past the end of the buffer")                        \
	_(TRAILING, "octets after the RTCP packet that its length does not cover")      \
	_(NAME, "APP name is not \"MCPT\"")                                             \
	_(TYPE, "unknown floor control message type")                                   \
	_(TYPE_UNSUPPORTED, "message type whose coding the digest does not give")       \
	_(ACK_BIT, "acknowledgement-required bit on a type that cannot carry it")       \
	_(FIELD_TRUNC, "field runs past the end of the packet")                         \
	_(FIELD_LEN, "field length wrong for its field ID")                             \
	_(FIELD_PAD, "non-zero padding octet")                                          \
	_(FIELD_SPARE, "non-zero spare bits in a field")                                \
	_(FIELD_DUP, "field appears twice in one message")                              \
	_(FIELD_UNKNOWN, "unknown or uncoded field ID (rejected on request)")          \
	_(FIELD_VALUE, "field value outside its defined range")                         \
	_(LEGACY, "Rel-13 legacy field ID 102..116 (rejected on request)")              \
	_(STRING, "NUL octet inside an identity or text")                               \
	_(UNEXPECTED, "message or event not expected in this state")                    \
	_(FULL, "table or queue full")                                                  \
	_(NOTFOUND, "no such member")

enum fc_error {
	FC_E_NONE = 0,
#define FC_ERROR_ENUM(n, s) FC_E_##n,
	FC_ERRORS(FC_ERROR_ENUM)
#undef FC_ERROR_ENUM
	FC_E_COUNT
};

/* A sentence for |rc|, negative (as returned) or positive. Never NULL. */
const char *
fc_strerror(int rc);

/* The enumerator's name without prefix ("FIELD_LEN"), for counters and JSON. */
const char *
fc_errname(int rc);

#ifndef MUST_CHECK
#define MUST_CHECK __attribute__((warn_unused_result))
#endif

#endif /* FC_ERROR_H */
