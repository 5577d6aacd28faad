/* A 2 GiB anonymous mapping that is mostly zero: the first 64 MiB used, then a 1 MiB island every 256 MiB. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  size_t size = 2ull << 30;
  unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return 1;
  uint64_t s = 1;
  for (size_t o = 0; o < (64u << 20); o += 8) { s = s * 6364136223846793005ull + 1442695040888963407ull; uint64_t v = (s >> 40) & 0xffff; memcpy(p + o, &v, 8); }
  for (size_t at = 256u << 20; at < size; at += 256u << 20) memset(p + at, 0x5a, 1u << 20);
  printf("ready\n");
  fflush(stdout);
  pause();
  return 0;
}
