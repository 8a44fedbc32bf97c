/* SPDX-License-Identifier: proprietary */
/*
 * Error codes of keys/: functions return 0 or -KEYS_E_<name>. One list,
 * generating the enum and keys_strerror(). PARSE (malformed input) and VERIFY
 * (a signature, MAC or key check that failed) stay distinct everywhere.
 */
#ifndef KEYS_ERROR_H
#define KEYS_ERROR_H

#define KEYS_ERRORS(_)                                                          \
	_(ARG, "invalid argument (caller bug)")                                 \
	_(NOMEM, "out of memory")                                               \
	_(PARSE, "malformed input")                                             \
	_(VERIFY, "signature or MAC did not verify")                            \
	_(POINT, "point not on the curve or not in the subgroup")               \
	_(RANGE, "value out of range")                                          \
	_(KEY, "key material failed validation")                                \
	_(RANDOM, "random number generation failed")                            \
	_(CRYPTO, "cryptographic library failure")                              \
	_(IO, "file input/output failed")                                       \
	_(PASSPHRASE, "wrong passphrase or key file, or the file was altered")  \
	_(NOTFOUND, "no such identity, key period or KMS")                      \
	_(EXISTS, "already present")                                            \
	_(EXPIRED, "outside its validity period (ValidFrom/ValidTo)")

enum keys_error {
	KEYS_E_NONE = 0,
#define KEYS_ERROR_ENUM(n, s) KEYS_E_##n,
	KEYS_ERRORS(KEYS_ERROR_ENUM)
#undef KEYS_ERROR_ENUM
	KEYS_E_COUNT
};

/* A sentence for |rc|, negative (as returned) or positive. */
const char *
keys_strerror(int rc);

#ifndef MUST_CHECK
#define MUST_CHECK __attribute__((warn_unused_result))
#endif

#endif /* KEYS_ERROR_H */
