/* SPDX-License-Identifier: proprietary */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ctl_cli.h"

#define CLI_WAIT_MS 10000
#define CLI_ARGS_MAX 22

int
ctl_cli_run(const char *const *args, bool with_stderr, void (*serve)(void *arg, int ms),
	    void *arg, char *out, size_t outlen)
{
	char *argv[CLI_ARGS_MAX + 2], log[] = "/tmp/mcpx-ctlcliXXXXXX";
	const char *bin = getenv("MCPXCTL");
	unsigned int n = 0, t;
	int st = -1, k = 0, lfd = mkstemp(log);
	ssize_t got;
	pid_t pid;

	cr_assert_not_null(bin, "MCPXCTL names the binary");
	cr_assert_geq(lfd, 0);
	argv[n++] = (char *)(uintptr_t)bin;
	while (*args != NULL && n <= CLI_ARGS_MAX)
		argv[n++] = (char *)(uintptr_t)*args++;
	cr_assert_null(*args, "at most %u arguments", CLI_ARGS_MAX);
	argv[n] = NULL;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(lfd, 1);
		if (with_stderr)
			dup2(lfd, 2);
		execv(bin, argv);
		_exit(127);
	}
	for (t = 0; t < CLI_WAIT_MS / 5 && k == 0; t++) {
		if (serve != NULL)
			serve(arg, 5);
		else
			usleep(5000);
		k = waitpid(pid, &st, WNOHANG);
	}
	if (k == 0)
		kill(pid, SIGKILL);
	cr_assert_eq(k, pid, "mcpxctl finished");
	got = pread(lfd, out, outlen - 1, 0);
	out[got > 0 ? got : 0] = '\0';
	close(lfd);
	unlink(log);
	cr_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

int
ctl_cli_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), sz = 1 << 20;

	cr_assert_geq(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect %s", path);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	return fd;
}
