/*
 * fuzz.h -- what every libFuzzer target in tests/fuzz/ shares: the
 * entry point's prototype and a check that aborts (libFuzzer then saves
 * the input) with the failed condition, file and line.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* Read every byte of p[0 .. n), so ASan sees each one. */
static inline unsigned
fuzz_touch(const void *p, size_t n)
{
	const volatile unsigned char	*c = p;
	unsigned			 sum = 0;
	size_t				 i;

	for (i = 0; i < n; i++)
		sum += c[i];
	return sum;
}

#endif /* FUZZ_H */
