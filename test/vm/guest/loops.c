/*
 * loops MODE N: timing loops for bench/kmod-overhead.
 *   fork: fork + _exit(0) + waitpid, N times
 *   kill: kill(self, SIGUSR1) to a handler, N times
 * Prints "LOOP MODE N ns_per_op".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static volatile sig_atomic_t hits;
static void on_usr1(int s) { (void)s; hits++; }
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}
int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	long n = atol(argv[2]);
	double t0 = now();
	if (!strcmp(argv[1], "fork")) {
		for (long i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0)
				_exit(0);
			waitpid(p, NULL, 0);
		}
	} else if (!strcmp(argv[1], "kill")) {
		signal(SIGUSR1, on_usr1);
		pid_t self = getpid();
		for (long i = 0; i < n; i++)
			kill(self, SIGUSR1);
	} else {
		return 2;
	}
	printf("LOOP %s %ld %.1f\n", argv[1], n, (now() - t0) / n);
	return 0;
}
