/* SPDX-License-Identifier: proprietary */
/*
 * control.sock: a UNIX SOCK_SEQPACKET listener, one JSON request per
 * datagram, one reply per request (docs/control-protocol.md). Non-blocking
 * sockets under poll(); each client holds at most one pending reply, so a
 * client that does not read is not read from, and blocks no one else. The
 * receive buffer is locked (sodium_mlock) and wiped after every request.
 * Control thread only: the operations call the dp_ control API.
 */
#ifndef CTL_SERVER_H
#define CTL_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

#include "ctl_msg.h"
#include "ctl_ops.h"

#define CTL_CLIENTS_MAX 16
#define CTL_SOCK_DEFAULT "/run/mcpx/control.sock"

struct ctl_server_cfg {
	const char *path;		/* the socket; its directory is made 0750 if missing */
	uid_t uid;			/* clients with this uid are served ... */
	gid_t gid;			/* ... or with this gid, when gid_set */
	bool gid_set;
	mode_t mode;			/* of the socket file: 0 = 0660 */
	unsigned int max_clients;	/* 0 = CTL_CLIENTS_MAX */
};

struct ctl_server;

/*
 * Bind and listen on cfg->path (a stale socket nobody answers on is
 * replaced; a live one is -CTL_E_IO "in use"). |ops| is borrowed.
 * Returns 0, -CTL_E_ARG, -CTL_E_NOMEM, -CTL_E_IO with |err| set.
 */
MUST_CHECK int
ctl_server_new(struct ctl_server **out, const struct ctl_server_cfg *cfg, struct ctl_ops *ops,
	       struct ctl_err *err);

/*
 * Wait up to |timeout_ms| for socket events and serve them: accept, read,
 * decode, run, reply. Never blocks longer; never waits on a client.
 */
void
ctl_server_poll(struct ctl_server *s, int timeout_ms);

/* Close every client and the listener, unlink the socket, wipe the buffer. NULL is fine. */
void
ctl_server_free(struct ctl_server *s);

/*
 * Serve one datagram of |len| octets at |buf| (wiped) from an allowed
 * client: decode, run, and write the reply into |*out| (malloc'd, |*out_len|).
 * The socket-free core, for tests and the fuzz target.
 */
MUST_CHECK int
ctl_serve(struct ctl_ops *ops, uint8_t *buf, size_t len, char **out, size_t *out_len);

/* A reply for an error |err| to request |id|, as ctl_serve() makes it. */
MUST_CHECK int
ctl_reply_error(int64_t id, const struct ctl_err *err, char **out, size_t *out_len);

#endif /* CTL_SERVER_H */
