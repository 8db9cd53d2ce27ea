/*
 * runas UID CMD ARGS...: print our pid and the time (CLOCK_REALTIME, just before the exec),
 * drop to UID, exec CMD (so the pid and comm are known, and when CMD started).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct timespec ts;

	if (argc < 3)
		return 2;
	printf("RUNAS-PID %d\n", getpid());
	fflush(stdout);
	uid_t uid = (uid_t)atoi(argv[1]);
	if (setgid(uid) || setuid(uid)) {
		perror("setuid");
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	printf("RUNAS-TIME %lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
	fflush(stdout);
	execv(argv[2], argv + 2);
	perror("execv");
	return 127;
}
