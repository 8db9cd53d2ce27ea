/*
 * devpoll: checks /dev/raslog from userspace. Prints one "DEV key=value" line each:
 *   bytes read, magic, poll before/after a read, poll woken by a new record (a child
 *   killed by SIGKILL), and whether an unprivileged user (uid 1000) can open it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static long read_all(int fd, char *buf, long cap)
{
	long n = 0, r;
	while (n < cap && (r = pread(fd, buf + n, cap - n, n)) > 0)
		n += r;
	return n;
}

int main(void)
{
	static char buf[16 << 20];
	int fd = open("/dev/raslog", O_RDONLY);
	if (fd < 0) {
		printf("DEV open_error=%s\n", strerror(errno));
		return 1;
	}
	printf("DEV poll_before_read=%d\n", readable(fd, 0));
	long n = read_all(fd, buf, sizeof(buf));
	printf("DEV bytes=%ld magic=%.8s\n", n, buf);
	printf("DEV poll_after_read=%d\n", readable(fd, 0));

	pid_t child = fork();
	if (child == 0) {
		for (;;)
			pause();
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	printf("DEV poll_after_death=%d victim=%d\n", readable(fd, 2000), child);

	pid_t u = fork();
	if (u == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(2);
		int f = open("/dev/raslog", O_RDONLY);
		printf("DEV unprivileged_open=%s\n", f < 0 ? strerror(errno) : "allowed");
		fflush(stdout);
		_exit(0);
	}
	waitpid(u, NULL, 0);
	return 0;
}
