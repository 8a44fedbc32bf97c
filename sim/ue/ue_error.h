/* SPDX-License-Identifier: proprietary */
/* mcpx-ue's error codes: 0 or -UE_E_<name>; one list makes the enum and ue_strerror(). */
#ifndef UE_ERROR_H
#define UE_ERROR_H

#define UE_ERRORS(_)                                                            \
	_(ARG, "invalid argument")                                              \
	_(NOMEM, "out of memory")                                               \
	_(KEY, "key operation failed")                                          \
	_(SRTP, "the SRTP engine refused the context")                          \
	_(SOCKET, "socket error")                                               \
	_(ADDR, "bad address")                                                  \
	_(NOKEY, "no key for this yet")                                         \
	_(FULL, "table full")                                                   \
	_(SIG, "malformed signalling message")

enum ue_error {
	UE_E_NONE = 0,
#define UE_ERROR_ENUM(n, s) UE_E_##n,
	UE_ERRORS(UE_ERROR_ENUM)
#undef UE_ERROR_ENUM
	UE_E_COUNT
};

/* A sentence for |rc|, negative (as returned) or positive. */
const char *
ue_strerror(int rc);

#ifndef MUST_CHECK
#define MUST_CHECK __attribute__((warn_unused_result))
#endif

#endif /* UE_ERROR_H */
