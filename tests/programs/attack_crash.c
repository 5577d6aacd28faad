/* Hostile crashing program for the uploader's analysis tests (tests/Uploader/AnalysisAttackTests.cs).
 * usage: attack_crash MODE [ARG]
 *   segv            crash in attack_crash_here()
 *   dlopen LIB      dlopen LIB (its <LIB>-gdb.py lies beside it), crash inside it
 *   linkmap PATH    write PATH into the link_map (l_name of the last entry), then crash
 *   secrets ...     a password in a local, a token from the environment, then crash
 * Compiled with -DPAYLOAD="/dir/pwned": its .debug_gdb_scripts section holds inline Python that records
 * gdb's uid there if a debugger ever auto-loads it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PAYLOAD
#define PAYLOAD "/nonexistent/pwned"
#endif

/* gdb's inline-script format: id 4 (Python text), a name line, the script, NUL */
asm(".pushsection \".debug_gdb_scripts\", \"MS\",@progbits,1\n"
    ".byte 4\n"
    ".ascii \"cdm-attack-inline\\n\"\n"
    ".ascii \"import os\\n\"\n"
    ".ascii \"open('" PAYLOAD ".section', 'w').write(str(os.getuid()))\\n\"\n"
    ".byte 0\n"
    ".popsection\n");

volatile int sink;

__attribute__((noinline)) void attack_crash_here(int *p) { *p = 7; }

__attribute__((noinline)) void attack_crash_with_secrets(const char *password, const char *token)
{
    sink = (int)strlen(password) + (token ? (int)strlen(token) : 0);
    attack_crash_here(NULL);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "segv";
    if (!strcmp(mode, "dlopen") && argc > 2) {
        void *h = dlopen(argv[2], RTLD_NOW);
        if (!h) { fprintf(stderr, "%s\n", dlerror()); return 2; }
        void (*f)(int *) = (void (*)(int *))dlsym(h, "attack_lib_crash");
        if (f) f(NULL);
    } else if (!strcmp(mode, "linkmap") && argc > 2) {
        struct link_map *m = _r_debug.r_map, *last = m;
        while (m) { last = m; m = m->l_next; }
        if (last) last->l_name = argv[2];
        attack_crash_here(NULL);
    } else if (!strcmp(mode, "secrets")) {
        char password[] = "hunter2-local-5150";
        const char *token = getenv("CDM_ATTACK_TOKEN");
        attack_crash_with_secrets(password, token);
    }
    attack_crash_here(NULL);
    return 0;
}
