/* Test program for CoreDump: crashes in a named function, in the way its mode asks.
 * usage: crasher [-r BYTES] [-U UID] [-u UID] MODE [NAME | PATH]
 *   MODE: segv | segv2 | abort | fpe | bus | threads | sleep | worker | ns | lock
 *   NAME, if given, becomes the process name (%e) via prctl(PR_SET_NAME); for "lock" it is the PATH.
 *   -r BYTES  set RLIMIT_CORE (soft and hard) to BYTES first: the process's own opt-out (%c)
 *   -U UID    become UID (gid UID, no supplementary groups) and exec this program again without -U: an
 *             ordinary unprivileged process (dumpable 1), with no passwd entry needed
 *   -u UID    become UID in place after naming, like a daemon dropping root; the kernel then dumps it only
 *             because of fs.suid_dumpable=2 (dumpable 2)
 * worker: the main thread keeps NAME, a worker thread names itself "mt-io-0" and crashes.
 * ns:     unshare a PID and a mount namespace; pid 1 there forks pid 2, which prints "<host pid> <ns pid>"
 *         and crashes.
 * lock:   take an exclusive flock on PATH, print "locked", sleep until killed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

volatile int sink;
char *volatile ballast; /* -M: heap kept reachable so the core holds it */

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

static void *crashing_worker(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "mt-io-0");
    crash_null_write(NULL);
    return NULL;
}
__attribute__((noinline)) void crash_in_named_worker(void)
{
    pthread_t t;
    pthread_create(&t, NULL, crashing_worker, NULL);
    pthread_join(t, NULL);
}

static int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

static int crash_in_namespaces(void)
{
    if (unshare(CLONE_NEWPID | CLONE_NEWNS) != 0) { perror("unshare"); return 2; }
    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL); /* mounts made here stay here */
    pid_t init = fork();
    if (init == 0) { /* pid 1 of the new PID namespace */
        mount("none", "/mnt", "tmpfs", 0, NULL); /* a mount only this namespace sees */
        pid_t child = fork();
        if (child == 0) {
            char host[32] = "";
            ssize_t n = readlink("/proc/self", host, sizeof host - 1); /* /proc is the host's: host pid */
            host[n > 0 ? n : 0] = 0;
            printf("%s %d\n", host, (int)getpid());
            fflush(stdout);
            crash_null_write(NULL);
        }
        int st = 0;
        waitpid(child, &st, 0);
        _exit(exit_code(st));
    }
    int st = 0;
    waitpid(init, &st, 0);
    return exit_code(st);
}

static int hold_lock(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOCTTY);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) { perror(path); return 2; }
    printf("locked\n");
    fflush(stdout);
    for (;;) pause();
}

static void become(uid_t id)
{
    if (setgroups(0, NULL) != 0 || setgid(id) != 0 || setuid(id) != 0) { perror("setuid"); exit(2); }
}

int main(int argc, char **argv)
{
    int opt;
    long drop_in_place = -1, drop_and_exec = -1;
    while ((opt = getopt(argc, argv, "+r:U:u:M:")) != -1) {
        if (opt == 'r') {
            struct rlimit rl = { (rlim_t)atoll(optarg), (rlim_t)atoll(optarg) };
            if (setrlimit(RLIMIT_CORE, &rl) != 0) { perror("setrlimit"); return 2; }
        } else if (opt == 'U') drop_and_exec = atol(optarg);
        else if (opt == 'u') drop_in_place = atol(optarg);
        else if (opt == 'M') { /* MiB of text-like heap: slow to compress at high levels, quick to read */
            size_t n = (size_t)atol(optarg) << 20;
            static const char words[] = "core dump pipe chunk gzip member heap stack frame signal thread ";
            unsigned x = 12345;
            ballast = malloc(n);
            if (!ballast) { perror("malloc"); return 2; }
            for (size_t i = 0; i < n; i++) { x = x * 1103515245u + 12345u; ballast[i] = words[(i + (x >> 28)) % (sizeof words - 1)]; }
        }
        else return 2;
    }
    if (drop_and_exec >= 0) {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) { perror("/proc/self/exe"); return 2; }
        self[n] = 0;
        become((uid_t)drop_and_exec);
        argv[optind - 1] = argv[0]; /* argv[0] followed by what comes after the options */
        execv(self, argv + optind - 1);
        perror("execv");
        return 2;
    }
    const char *mode = optind < argc ? argv[optind] : "segv";
    const char *name = optind + 1 < argc ? argv[optind + 1] : NULL;
    if (!strcmp(mode, "lock")) return hold_lock(name ? name : "/");
    if (name) prctl(PR_SET_NAME, name, 0, 0, 0);
    if (drop_in_place >= 0) become((uid_t)drop_in_place);
    if (!strcmp(mode, "segv")) crash_null_write(NULL);
    else if (!strcmp(mode, "segv2")) crash_in_parser("ab");
    else if (!strcmp(mode, "abort")) crash_abort();
    else if (!strcmp(mode, "fpe")) sink = crash_divide(1, argc - argc);
    else if (!strcmp(mode, "bus")) crash_bus();
    else if (!strcmp(mode, "threads")) crash_in_thread_main();
    else if (!strcmp(mode, "worker")) crash_in_named_worker();
    else if (!strcmp(mode, "ns")) return crash_in_namespaces();
    else if (!strcmp(mode, "sleep")) { for (;;) pause(); }
    return 0;
}
