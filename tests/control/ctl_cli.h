/* SPDX-License-Identifier: proprietary */
/*
 * Running mcpxctl from a control test: the binary is $MCPXCTL, and the test
 * keeps serving its control socket while the client waits for the reply.
 */
#ifndef CTL_CLI_H
#define CTL_CLI_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Run mcpxctl with |args| (NULL-terminated, at most 22). While it runs,
 * |serve|(|arg|, 5) is called in a loop (NULL: sleep 5 ms) for at most 10 s.
 * Its stdout, and its stderr too when |with_stderr|, goes into |out|.
 * Returns its exit status; a criterion assertion fails if it did not finish.
 */
int
ctl_cli_run(const char *const *args, bool with_stderr, void (*serve)(void *arg, int ms),
	    void *arg, char *out, size_t outlen);

/* A SOCK_SEQPACKET client connected to |path| (a criterion assertion if not). */
int
ctl_cli_connect(const char *path);

#endif /* CTL_CLI_H */
