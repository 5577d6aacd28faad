/* Test program for CoreDump: crashes in a named function, in the way its first argument asks.
 * usage: crasher MODE [NAME]   MODE: segv | segv2 | abort | fpe | bus | threads | worker | sleep
 * NAME, if given, becomes the process name (%e) via prctl(PR_SET_NAME).
 * worker: a thread named "mt-io-0" crashes (its %e), while the process (thread-group leader) keeps NAME. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

volatile int sink;

__attribute__((noinline)) void crash_null_write(int *p) { *p = 42; }
__attribute__((noinline)) void crash_in_parser(const char *s) { volatile int *q = (int *)(long)(strlen(s) - 5); *q = 1; }
__attribute__((noinline)) void crash_abort(void) { abort(); }
__attribute__((noinline)) int crash_divide(int a, int b) { return a / b; }
__attribute__((noinline)) void crash_bus(void)
{
    char path[] = "/tmp/crasher-bus-XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0); /* file is empty: SIGBUS */
    m[0] = 1;
}
static void *worker(void *arg) { (void)arg; for (;;) pause(); return NULL; }
__attribute__((noinline)) void crash_in_thread_main(void)
{
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, worker, NULL);
    usleep(20000);
    crash_null_write(NULL);
}
static void *crashing_worker(void *arg) { (void)arg; prctl(PR_SET_NAME, "mt-io-0", 0, 0, 0); crash_null_write(NULL); return NULL; }
__attribute__((noinline)) void crash_in_worker(void)
{
    pthread_t t;
    pthread_create(&t, NULL, crashing_worker, NULL);
    pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
    if (argc > 2) prctl(PR_SET_NAME, argv[2], 0, 0, 0);
    const char *mode = argc > 1 ? argv[1] : "segv";
    if (!strcmp(mode, "segv")) crash_null_write(NULL);
    else if (!strcmp(mode, "segv2")) crash_in_parser("ab");
    else if (!strcmp(mode, "abort")) crash_abort();
    else if (!strcmp(mode, "fpe")) sink = crash_divide(1, argc - argc);
    else if (!strcmp(mode, "bus")) crash_bus();
    else if (!strcmp(mode, "threads")) crash_in_thread_main();
    else if (!strcmp(mode, "worker")) crash_in_worker();
    else if (!strcmp(mode, "sleep")) { for (;;) pause(); }
    return 0;
}
