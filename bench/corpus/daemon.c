/* A small threaded daemon: 8 worker threads (512 KiB stacks, one malloc arena) with touched stacks and a few MiB of heap each. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *worker(void *arg) {
  char stack[128 * 1024];
  memset(stack, (int)(long)arg, sizeof stack);
  char *heap = malloc(2u << 20);
  for (int i = 0; i < (2 << 20); i++) heap[i] = (char)(i * 31 + (long)arg);
  for (;;) { pause(); stack[0]++; }
  return heap;
}

int main(void) {
  pthread_t t[8];
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 512 * 1024);
  for (long i = 0; i < 8; i++) pthread_create(&t[i], &attr, worker, (void *)i);
  sleep(1);
  printf("ready\n");
  fflush(stdout);
  pause();
  return 0;
}
