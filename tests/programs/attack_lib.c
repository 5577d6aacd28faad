/* Library for attack_crash's dlopen mode: the program crashes inside it. */
__attribute__((noinline)) void attack_lib_crash(int *p) { *p = 9; }
