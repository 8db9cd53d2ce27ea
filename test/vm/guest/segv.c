/* Dies of SIGSEGV at a known address (0x10 when run without arguments). */
#include <stdint.h>
int main(int argc, char **argv)
{
	(void)argv;
	volatile int *p = (volatile int *)(uintptr_t)(argc * 16);
	return *p;
}
