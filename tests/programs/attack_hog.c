/* A stand-in for gdb that grows without bound, as gdb did on a hostile 14 MB core: allocates and touches
 * 64 MiB blocks up to 1 GiB. Exit 3: an allocation failed (the address-space limit held); exit 0: it got
 * the whole 1 GiB (no limit). */
#include <stdlib.h>
#include <string.h>

int main(void)
{
    for (int i = 0; i < 16; i++) {
        char *p = malloc(64 << 20);
        if (!p) return 3;
        memset(p, 1, 64 << 20);
    }
    return 0;
}
