/* SPDX-License-Identifier: proprietary */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl_json.h"
#include "ctl_server.h"

struct client {
	int fd;				/* -1: free slot */
	char *out;			/* a reply not yet taken by the socket */
	size_t out_len;
};

struct ctl_server {
	struct ctl_server_cfg cfg;
	struct ctl_ops *ops;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lfd;
	uint8_t *buf;			/* CTL_MSG_MAX + 1, mlocked */
	struct client *cl;
	struct pollfd *pfd;
};

static json_t *
reply_head(int64_t id, bool ok)
{
	json_t *r = json_object();

	json_object_set_new(r, "v", json_integer(CTL_PROTO_VERSION));
	json_object_set_new(r, "id", json_integer(id));
	json_object_set_new(r, "ok", json_boolean(ok));
	return r;
}

_Static_assert(CTL_JSON_SCRATCH >= CTL_REPLY_MAX + 1, "a reply fits the arena's scratch");

/* The reply's text, in plain malloc (free() takes it); |r| is released. */
static int
dump(json_t *r, char **out, size_t *out_len)
{
	char *tmp = ctl_json_scratch();
	size_t n;

	*out = NULL;
	/* With the arena's scratch the text is made once; without, sized first. */
	n = tmp != NULL ? json_dumpb(r, tmp, CTL_REPLY_MAX + 1, JSON_COMPACT)
			: json_dumpb(r, NULL, 0, JSON_COMPACT);
	if (n > CTL_REPLY_MAX) {
		if (tmp != NULL)
			sodium_memzero(tmp, CTL_REPLY_MAX + 1);
		json_decref(r);
		return -CTL_E_LIMIT;
	}
	*out = malloc(n + 1);
	if (*out != NULL && tmp != NULL)
		memcpy(*out, tmp, n);
	if (tmp != NULL)
		sodium_memzero(tmp, n);	/* an error reply may quote the request */
	if (*out == NULL || (tmp == NULL && json_dumpb(r, *out, n, JSON_COMPACT) != n)) {
		json_decref(r);
		free(*out);
		*out = NULL;
		return -CTL_E_NOMEM;
	}
	json_decref(r);
	(*out)[n] = '\0';
	*out_len = n;
	return 0;
}

int
ctl_reply_error(int64_t id, const struct ctl_err *err, char **out, size_t *out_len)
{
	json_t *r = reply_head(id, false), *e = json_object();

	json_object_set_new(e, "code", json_string(ctl_errcode(err->code)));
	json_object_set_new(e, "message", json_string(err->msg[0] != '\0' ? err->msg
								   : ctl_strerror(err->code)));
	json_object_set_new(r, "error", e);
	return dump(r, out, out_len);
}

int
ctl_serve(struct ctl_ops *ops, uint8_t *buf, size_t len, char **out, size_t *out_len)
{
	bool arena = ctl_json_arena_begin();	/* the request's JSON, wiped at once */
	struct ctl_req req;
	struct ctl_err err;
	int64_t id;
	json_t *r;
	int rc;

	ops->requests++;
	rc = ctl_msg_decode(&req, buf, len, &err);	/* wipes buf */
	if (rc == 0) {
		r = reply_head(req.id, true);
		rc = ctl_ops_run(ops, &req, r, &err);
		if (rc == 0) {
			rc = dump(r, out, out_len);
			if (rc < 0)
				ctl_err_set(&err, rc, "the reply is too large: ask for less");
		} else {
			json_decref(r);
		}
	}
	id = req.id;
	ctl_req_fini(&req);
	if (rc != 0) {
		ops->refused++;
		rc = ctl_reply_error(id, &err, out, out_len);
	}
	if (arena)
		ctl_json_arena_end();
	return rc;
}

static int
dir_make(const char *path, struct ctl_err *err)
{
	char d[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(d, sizeof(d), "%s", path);
	slash = strrchr(d, '/');
	if (slash == NULL || slash == d)
		return 0;
	*slash = '\0';
	if (mkdir(d, 0750) != 0 && errno != EEXIST)
		return ctl_err_set(err, -CTL_E_IO, "mkdir %s: %s", d, strerror(errno));
	return 0;
}

/*
 * A socket file left by a daemon that died is replaced; one that answers is
 * not ours. Anything else at the path (a file, a link, a directory) is not
 * ours to remove: refused, and left as it is.
 */
static int
stale_remove(const struct sockaddr_un *sa, struct ctl_err *err)
{
	struct stat st;
	int fd, in_use;

	if (lstat(sa->sun_path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return ctl_err_set(err, -CTL_E_IO, "%s: %s", sa->sun_path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return ctl_err_set(err, -CTL_E_IO, "%s exists and is not a socket: not replaced",
				   sa->sun_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ctl_err_set(err, -CTL_E_IO, "socket: %s", strerror(errno));
	in_use = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	if (in_use)
		return ctl_err_set(err, -CTL_E_IO, "%s is in use by another daemon",
				   sa->sun_path);
	if (unlink(sa->sun_path) != 0 && errno != ENOENT)
		return ctl_err_set(err, -CTL_E_IO, "unlink %s: %s", sa->sun_path,
				   strerror(errno));
	return 0;
}

static int
listen_on(struct ctl_server *s, struct ctl_err *err)
{
	struct sockaddr_un sa;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(s->cfg.path) >= sizeof(sa.sun_path))
		return ctl_err_set(err, -CTL_E_ARG, "control socket path too long");
	strcpy(sa.sun_path, s->cfg.path);
	rc = dir_make(sa.sun_path, err);
	if (rc == 0)
		rc = stale_remove(&sa, err);
	if (rc < 0)
		return rc;
	s->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return ctl_err_set(err, -CTL_E_IO, "%s: %s", sa.sun_path, strerror(errno));
	snprintf(s->path, sizeof(s->path), "%s", s->cfg.path);	/* ours: unlinked at free */
	if (chmod(sa.sun_path, s->cfg.mode != 0 ? s->cfg.mode : 0660) != 0 ||
	    (s->cfg.gid_set && chown(sa.sun_path, (uid_t)-1, s->cfg.gid) != 0) ||
	    listen(s->lfd, 64) != 0)
		return ctl_err_set(err, -CTL_E_IO, "%s: %s", sa.sun_path, strerror(errno));
	return 0;
}

int
ctl_server_new(struct ctl_server **out, const struct ctl_server_cfg *cfg, struct ctl_ops *ops,
	       struct ctl_err *err)
{
	struct ctl_server *s;
	unsigned int i;
	int rc;

	*out = NULL;
	if (cfg == NULL || cfg->path == NULL || ops == NULL)
		return ctl_err_set(err, -CTL_E_ARG, "no socket path");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
	s->cfg = *cfg;
	if (s->cfg.max_clients == 0)
		s->cfg.max_clients = CTL_CLIENTS_MAX;
	s->ops = ops;
	s->lfd = -1;
	s->buf = malloc(CTL_MSG_MAX + 1);
	s->cl = calloc(s->cfg.max_clients, sizeof(*s->cl));
	s->pfd = calloc(s->cfg.max_clients + 1, sizeof(*s->pfd));
	if (s->buf == NULL || s->cl == NULL || s->pfd == NULL) {
		rc = ctl_err_set(err, -CTL_E_NOMEM, "out of memory");
		goto fail;
	}
	/* Raw keys pass through here: no swap, no core dump. */
	(void)sodium_mlock(s->buf, CTL_MSG_MAX + 1);
	for (i = 0; i < s->cfg.max_clients; i++)
		s->cl[i].fd = -1;
	rc = listen_on(s, err);
	if (rc < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	ctl_server_free(s);
	return rc;
}

static void
client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	c->out_len = 0;
}

/* Send the pending reply if the socket takes it now; a client gone or broken is closed. */
static void
client_flush(struct client *c)
{
	ssize_t n;

	if (c->out == NULL)
		return;
	n = send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	free(c->out);
	c->out = NULL;
	c->out_len = 0;
	if (n < 0)
		client_close(c);
}

static bool
peer_allowed(const struct ctl_server *s, int fd)
{
	struct ucred uc;
	socklen_t l = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &l) != 0 || l != sizeof(uc))
		return false;
	return uc.uid == s->cfg.uid || (s->cfg.gid_set && uc.gid == s->cfg.gid);
}

/* Discard what a refused client sent: closing with unread data would reset it (ECONNRESET). */
static void
drain(int fd)
{
	uint8_t b[64];
	unsigned int i;

	for (i = 0; i < 16 && recv(fd, b, sizeof(b), MSG_DONTWAIT | MSG_TRUNC) > 0; i++)
		;
	sodium_memzero(b, sizeof(b));
}

/* One error reply, then close: for refused clients and a full client table. */
static void
refuse(int fd, int code, const char *why)
{
	struct ctl_err err;
	char *out;
	size_t len;

	drain(fd);
	ctl_err_set(&err, code, "%s", why);
	if (ctl_reply_error(0, &err, &out, &len) == 0) {
		(void)!send(fd, out, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		free(out);
	}
	shutdown(fd, SHUT_WR);
	drain(fd);
	close(fd);
}

static void
accept_one(struct ctl_server *s)
{
	int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int sz = 2 * CTL_REPLY_MAX;
	unsigned int i;

	if (fd < 0)
		return;
	if (!peer_allowed(s, fd)) {
		refuse(fd, -CTL_E_FORBIDDEN, "this uid/gid may not use the control socket");
		return;
	}
	for (i = 0; i < s->cfg.max_clients; i++)
		if (s->cl[i].fd < 0)
			break;
	if (i == s->cfg.max_clients) {
		refuse(fd, -CTL_E_LIMIT, "too many clients: try again");
		return;
	}
	/* A reply must fit the send buffer in one datagram (SOCK_SEQPACKET). */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	s->cl[i].fd = fd;
}

static void
client_read(struct ctl_server *s, struct client *c)
{
	struct iovec iov = {.iov_base = s->buf, .iov_len = CTL_MSG_MAX + 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT);
	size_t len;

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {			/* 0: the peer closed */
		client_close(c);
		return;
	}
	len = (size_t)n;		/* what recvmsg wrote: at most the buffer */
	if (mh.msg_flags & MSG_TRUNC)
		len = CTL_MSG_MAX + 1;	/* the decoder refuses it as too_big */
	if (ctl_serve(s->ops, s->buf, len, &c->out, &c->out_len) < 0)
		client_close(c);	/* no memory even for the error reply */
	sodium_memzero(s->buf, len);	/* ctl_serve wiped it; only written octets, not 200 KiB */
	if (c->fd >= 0)
		client_flush(c);
}

void
ctl_server_poll(struct ctl_server *s, int timeout_ms)
{
	unsigned int i, n = 0;
	int k;

	s->pfd[n++] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
	for (i = 0; i < s->cfg.max_clients; i++) {
		struct client *c = &s->cl[i];

		s->pfd[n++] = (struct pollfd){
			.fd = c->fd, .events = (short)(c->out != NULL ? POLLOUT : POLLIN)};
	}
	k = poll(s->pfd, n, timeout_ms);
	if (k <= 0)
		return;
	for (i = 0; i < s->cfg.max_clients; i++) {
		struct client *c = &s->cl[i];
		short re = s->pfd[i + 1].revents;

		if (c->fd < 0 || re == 0)
			continue;
		if (c->out != NULL && (re & POLLOUT))
			client_flush(c);
		else if (c->out != NULL)
			client_close(c);	/* gone before taking its reply */
		else
			client_read(s, c);	/* reads what is left, then sees the close */
	}
	if (s->pfd[0].revents & POLLIN)
		accept_one(s);
}

void
ctl_server_free(struct ctl_server *s)
{
	unsigned int i;

	if (s == NULL)
		return;
	for (i = 0; s->cl != NULL && i < s->cfg.max_clients; i++)
		if (s->cl[i].fd >= 0)
			client_close(&s->cl[i]);
	if (s->lfd >= 0) {
		close(s->lfd);
		if (s->path[0] != '\0')	/* bound: the socket file is ours */
			unlink(s->path);
	}
	if (s->buf != NULL) {
		sodium_munlock(s->buf, CTL_MSG_MAX + 1);	/* zeroes it */
		free(s->buf);
	}
	free(s->cl);
	free(s->pfd);
	free(s);
}
