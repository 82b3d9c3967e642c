/* The part of <string.h> the zstd library uses, as compiler builtins: with bulk memory they become memory.copy and
 * memory.fill, so the module needs no C library. */
#include <stddef.h>
#define memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define memmove(d, s, n) __builtin_memmove((d), (s), (n))
#define memset(p, v, n) __builtin_memset((p), (v), (n))
#define memcmp(a, b, n) __builtin_memcmp((a), (b), (n))
