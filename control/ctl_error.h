/* SPDX-License-Identifier: proprietary */
/*
 * Error codes of the control module. Functions return 0 or -CTL_E_<name>.
 * Each code has a stable string (the "code" of an error reply on
 * control.sock, docs/control-protocol.md) and a sentence.
 */
#ifndef CTL_ERROR_H
#define CTL_ERROR_H

#define CTL_ERRORS(_)                                                                   \
	_(ARG, "bad_argument", "invalid argument (caller bug)")                         \
	_(NOMEM, "no_memory", "out of memory")                                          \
	_(JSON, "bad_json", "the request is not valid JSON")                            \
	_(TOO_BIG, "too_big", "the request is larger than the protocol allows")        \
	_(VERSION, "bad_version", "unsupported protocol version")                       \
	_(OP, "unknown_op", "unknown operation")                                        \
	_(MISSING, "missing_field", "a required field is missing")                      \
	_(TYPE, "bad_type", "a field has the wrong JSON type")                          \
	_(VALUE, "bad_value", "a field's value is malformed or out of range")           \
	_(LIMIT, "limit", "a configured limit is reached")                              \
	_(EXISTS, "exists", "a stream with that identity is already installed")        \
	_(NOTFOUND, "not_found", "no such stream")                                      \
	_(BUSY, "busy", "the dataplane's command ring is full: try again")             \
	_(DATAPLANE, "dataplane", "the dataplane refused the request")                  \
	_(FORBIDDEN, "forbidden", "this client's uid/gid may not use the socket")       \
	_(NOKEYS, "no_key_store", "mcpxd runs without a key store")                     \
	_(KEYSTORE, "key_store", "the key store could not be loaded")                   \
	_(MIKEY, "mikey_rejected", "the I_MESSAGE was rejected")                        \
	_(IO, "io", "a socket or file operation failed")

enum ctl_error {
	CTL_E_NONE = 0,
#define CTL_ERROR_ENUM(n, c, s) CTL_E_##n,
	CTL_ERRORS(CTL_ERROR_ENUM)
#undef CTL_ERROR_ENUM
	CTL_E_COUNT
};

#ifndef MUST_CHECK
#define MUST_CHECK __attribute__((warn_unused_result))
#endif

/* A sentence for |rc| (negative as returned, or positive). */
const char *
ctl_strerror(int rc);

/* The stable code string for |rc| ("bad_json", ...); "ok" for 0. */
const char *
ctl_errcode(int rc);

#endif /* CTL_ERROR_H */
