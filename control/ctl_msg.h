/* SPDX-License-Identifier: proprietary */
/*
 * control.sock requests, decoded from bytes (docs/control-protocol.md):
 *
 *   {"v": 1, "id": N, "op": "stream.add", "streams": [{...}, ...]}
 *
 * The decoder knows JSON and the protocol, nothing of sockets, EAL or keys:
 * it fills a struct ctl_req, or says which field is wrong with a stable
 * error code and a sentence (never a key). Raw master keys and salts are
 * decoded into the request's stream specs; the datagram buffer is wiped as
 * soon as jansson has parsed it, and every block jansson frees is wiped by
 * the allocator ctl_json_init() installs (its strings are copies).
 */
#ifndef CTL_MSG_H
#define CTL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ctl_error.h"
#include "ctl_json.h"
#include "dp.h"

#define CTL_PROTO_VERSION 1
#define CTL_MSG_MAX (200u * 1024)	/* a request, octets: a batch fits one datagram */
#define CTL_REPLY_MAX (256u * 1024)	/* a reply, octets */
#define CTL_BATCH_MAX 1024		/* streams in one stream.add or mikey.install */
#define CTL_LIST_MAX 256		/* streams in one stream.list page */
#define CTL_LIST_DETAILS_MAX 128	/* with details: 128 of the largest streams fit a reply */
#define CTL_IMSG_MAX 4096		/* a decoded I_MESSAGE, octets */
#define CTL_ERRMSG_MAX 200

#define CTL_OPS(_)                                      \
	_(STREAM_ADD, "stream.add")                     \
	_(STREAM_DEL, "stream.del")                     \
	_(STREAM_GET, "stream.get")                     \
	_(STREAM_LIST, "stream.list")                   \
	_(COUNTERS, "counters")                         \
	_(HEALTH, "health")                             \
	_(KEYSTORE_RELOAD, "keystore.reload")           \
	_(SHUTDOWN, "shutdown")                         \
	_(MIKEY_INSTALL, "mikey.install")

enum ctl_op {
#define CTL_OP_ENUM(n, s) CTL_OP_##n,
	CTL_OPS(CTL_OP_ENUM)
#undef CTL_OP_ENUM
	CTL_OP_COUNT
};

const char *
ctl_op_name(enum ctl_op op);

/* An error to report: a -CTL_E_ code and a sentence naming the field. */
struct ctl_err {
	int code;
	char msg[CTL_ERRMSG_MAX];
};

/* mikey.install: which key of the message keys a stream. */
struct ctl_mikey_stream {
	int cs_id;			/* PCK: 0 or 1; CSK: 6; GMK: 4 (-1: by the key type) */
	bool has_guk;
	uint32_t guk_id;		/* GMK: the sender's GUK-ID (default: ours, the CSB ID) */
	uint8_t mki_len;		/* 0, or the MKI it must get (GMK: gives the GUK-ID) */
	uint8_t mki[DP_SRTP_MAX_MKI_LEN];
};

/* mikey.install "learn": the template of a GMK's senders learnt from the slow path. */
struct ctl_learn {
	uint16_t port;			/* secure-side UDP destination port, 0 any */
	uint16_t replay_window;		/* 0: the default */
	uint32_t max_senders;		/* the key's unprotect streams, learnt or not */
	uint8_t protos;			/* bit (1 << enum dp_srtp_proto); 0: from the streams */
};

#define CTL_LEARN_MAX_SENDERS 4096
#define CTL_GRACE_DEFAULT 30		/* seconds the old key's receive side outlives the switch */
#define CTL_GRACE_MAX 86400
#define CTL_TIME_MAX 253402300799LL	/* 9999-12-31T23:59:59Z, Unix seconds */
#define CTL_INITIATORS_MAX 16		/* mikey.install "initiators" */
#define CTL_URI_MAX 1024		/* an initiator's URI, octets (MIKEY_URI_MAX) */

struct ctl_req {
	int64_t id;			/* echoed in the reply (0 when absent) */
	enum ctl_op op;
	/* stream.add, mikey.install: specs (keys zero for mikey.install) */
	unsigned int n_streams;
	struct dp_stream_spec *streams;	/* ctl_req_fini() wipes and frees */
	struct ctl_mikey_stream *mk;	/* mikey.install: one per stream */
	bool lent;			/* streams and mk are the decoder's locked block */
	/* stream.del, stream.get */
	uint64_t stream_id;
	/* stream.list */
	uint32_t cursor;
	unsigned int limit;
	bool details;
	/* mikey.install */
	uint8_t *imsg;
	size_t imsg_len;
	int purpose;			/* -1: any */
	char **initiators;		/* whom a hidden initiator may be (URIs) */
	unsigned int n_initiators;
	bool has_learn;
	struct ctl_learn learn;
	bool has_replaces;		/* a rekey: the key this one replaces */
	uint8_t replaces[DP_KEY_ID_LEN];
	bool has_activate_at;
	int64_t activate_at;		/* Unix seconds */
	uint32_t grace_s;		/* CTL_GRACE_DEFAULT when absent */
};

/*
 * Decode the request of |len| octets at |buf|, then wipe |buf|. On success
 * |req| is filled (ctl_req_fini() when done). On failure |req| holds nothing
 * to free, |err| says why, and |req->id| is the request's id when it could
 * be read. |len| may exceed CTL_MSG_MAX only to be refused.
 * Returns 0, -CTL_E_ARG (ctl_json_init() not in force), -CTL_E_NOMEM,
 * -CTL_E_TOO_BIG, -CTL_E_JSON, -CTL_E_VERSION, -CTL_E_OP, -CTL_E_MISSING,
 * -CTL_E_TYPE, -CTL_E_VALUE, -CTL_E_LIMIT.
 */
MUST_CHECK int
ctl_msg_decode(struct ctl_req *req, uint8_t *buf, size_t len, struct ctl_err *err);

/* Wipe and free what a decoded request holds. NULL is fine. */
void
ctl_req_fini(struct ctl_req *req);

/*
 * A stream of the streams file or of stream.add, from JSON object |o| into
 * |sp| (cleared first). |keyed|: the entry carries profile, master_key,
 * master_salt and mki; otherwise they are refused (mikey.install derives
 * them). The JSON strings stay as they are (the caller wipes the tree).
 * Returns 0, -CTL_E_MISSING, -CTL_E_TYPE, -CTL_E_VALUE with |err| naming the
 * field.
 */
MUST_CHECK int
ctl_stream_decode(json_t *o, bool keyed, struct dp_stream_spec *sp, struct ctl_err *err);

/*
 * A number written as a string: decimal ("305419896", no leading zero but
 * "0") or hexadecimal after "0x"/"0X" ("0x12345678"); no sign, no space, no
 * octal (a leading 0 is refused, not read as octal), at most |max|.
 * Returns 0 with |*out| set, or -CTL_E_VALUE (|*out| unchanged).
 */
MUST_CHECK int
ctl_uint_parse(const char *s, uint64_t max, uint64_t *out);

/* Set |err| to |code| and the printf-style sentence; returns |code|. */
int
ctl_err_set(struct ctl_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* CTL_MSG_H */
