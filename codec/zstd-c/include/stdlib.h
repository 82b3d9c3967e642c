/* The part of <stdlib.h> the zstd library uses. malloc and free are imported from JavaScript (env.malloc, env.free),
 * which plans the module's memory with the same arena as the core's (bindings/arena.ts); calloc is in calloc.c. */
#include <stddef.h>
void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void free(void *ptr);
