/* calloc on top of the imported malloc. */
#include <stdlib.h>
#include <string.h>

void *calloc(size_t count, size_t size) {
  if (size != 0 && count > (size_t)-1 / size) return NULL;
  void *p = malloc(count * size);
  if (p) memset(p, 0, count * size);
  return p;
}
