/* Allocates and touches memory until the OOM killer (memory cgroup limit) kills it. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(void)
{
	for (;;) {
		char *p = malloc(1 << 20);
		if (p)
			memset(p, 0xA5, 1 << 20);
		else
			usleep(1000);
	}
}
