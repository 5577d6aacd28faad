/* Runs before the .NET runtime starts (ELF constructor linked into the native-AOT binary).
 * The kernel starts a core_pattern pipe helper with fds 1 and 2 closed. Without this, the first files the
 * runtime or cdm open would become fd 1/2, and anything written to stdout/stderr would land in them
 * (for example inside an archive). Park /dev/null on every closed standard fd; fd 0 is the core pipe. */
#include <fcntl.h>
#include <unistd.h>

__attribute__((constructor(101))) static void cdm_park_standard_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1)
            continue;
        int spare = open("/dev/null", O_RDWR);
        if (spare >= 0 && spare != fd) {
            dup2(spare, fd);
            close(spare);
        }
    }
}
