/* SPDX-License-Identifier: proprietary */
/*
 * Error codes of the dataplane library (not per-packet outcomes: those are
 * verdicts, dp_verdict.h). Functions return 0 or -DP_E_<name>.
 */
#ifndef DP_ERROR_H
#define DP_ERROR_H

#define DP_ERRORS(_)                                                             \
	_(ARG, "invalid argument")                                              \
	_(NOMEM, "out of memory")                                               \
	_(PROFILE, "unknown SRTP profile")                                      \
	_(KEYLEN, "master key or salt has the wrong length for the profile")    \
	_(MKILEN, "MKI length must be 0, 4 or 8")                               \
	_(RCC, "RCCm3 is defined only for SRTP with an AEAD_AES_*_GCM profile") \
	_(WINDOW, "replay window out of range")                                 \
	_(BACKEND, "SRTP backend unavailable or refused the context")           \
	_(UNSUPPORTED, "not supported by this backend")                        \
	_(EXISTS, "a stream or key with that identity is already installed")    \
	_(NOTFOUND, "no such stream or key")                                    \
	_(LIMIT, "a configured limit (streams, keys, members) is reached")      \
	_(FULL, "a command ring is full: try again")                            \
	_(PORT, "port set-up failed (queues, mempool, start)")                  \
	_(STATE, "not allowed in the dataplane's current state")                \
	_(AUTH, "the stream's first packet does not authenticate under it")

enum dp_error {
	DP_E_NONE = 0,
#define DP_ERROR_ENUM(n, s) DP_E_##n,
	DP_ERRORS(DP_ERROR_ENUM)
#undef DP_ERROR_ENUM
	DP_E_COUNT
};

/* A sentence for |rc|, which may be negative (as returned) or positive. */
const char *
dp_strerror(int rc);

#ifndef MUST_CHECK
#define MUST_CHECK __attribute__((warn_unused_result))
#endif

#endif /* DP_ERROR_H */
