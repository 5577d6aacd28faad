/* ~500 MB of mixed heap (text, pointer tables, structs, random bytes, zeroed allocations) in a process with
 * several shared libraries loaded; prints "ready" and waits to be dumped with gcore. */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t s = 88172645463325252ull;
static uint64_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }
static const char *words[] = {"error", "request", "session", "timeout", "GET", "/api/v1/items", "user_id", "200",
    "connection", "reset", "by", "peer", "cache", "miss", "hit", "the", "of", "and", "json", "{\"id\":", "null", "true"};

int main(void) {
  const char *libs[] = {"libz.so.1", "libssl.so.3", "libcrypto.so.3", "libstdc++.so.6", "libsqlite3.so.0", "libffi.so.8"};
  for (unsigned i = 0; i < sizeof libs / sizeof *libs; i++) dlopen(libs[i], RTLD_NOW);
  size_t total = 0, target = 500u << 20;
  volatile double sink = sqrt(2.0);
  (void)sink;
  while (total < target) {
    size_t size = 4096 + rnd() % (4u << 20); /* 4 KiB .. 4 MiB: brk and mmap allocations */
    unsigned kind = rnd() % 10;
    unsigned char *p = kind == 9 ? calloc(1, size) : malloc(size);
    if (!p) break;
    if (kind <= 3) { /* log-like text */
      size_t o = 0;
      while (o + 32 < size) { o += (size_t)sprintf((char *)p + o, "%s %lu ", words[rnd() % 22], (unsigned long)(rnd() % 100000)); }
    } else if (kind <= 5) { /* pointer tables */
      uint64_t base = 0x7f0000000000ull + (rnd() % 4096) * 4096;
      for (size_t o = 0; o + 8 <= size; o += 8) { uint64_t v = base + (rnd() % 65536) * 16; memcpy(p + o, &v, 8); }
    } else if (kind <= 7) { /* arrays of small structs */
      for (size_t o = 0; o + 32 <= size; o += 32) {
        uint32_t rec[8] = {(uint32_t)(o / 32), (uint32_t)(rnd() % 1000), 0, 1, (uint32_t)(rnd() % 7), 0xdeadbeef, 0, 0};
        memcpy(p + o, rec, 32);
      }
    } else if (kind == 8) { /* compressed or encrypted payloads: incompressible */
      for (size_t o = 0; o + 8 <= size; o += 8) { uint64_t v = rnd(); memcpy(p + o, &v, 8); }
    } else { /* zeroed buffer, only its head used */
      memset(p, 'x', size / 16);
    }
    total += size;
  }
  printf("ready\n");
  fflush(stdout);
  pause();
  return 0;
}
