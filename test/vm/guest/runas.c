/* runas UID CMD ARGS...: print our pid, drop to UID, exec CMD (so the pid and comm are known). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	printf("RUNAS-PID %d\n", getpid());
	fflush(stdout);
	uid_t uid = (uid_t)atoi(argv[1]);
	if (setgid(uid) || setuid(uid)) {
		perror("setuid");
		return 1;
	}
	execv(argv[2], argv + 2);
	perror("execv");
	return 127;
}
