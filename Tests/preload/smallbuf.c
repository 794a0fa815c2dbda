/* PARMGET into a small result buffer at the very end of a mapping: the engine reserves 64 KiB
 * for the result, but only the bytes written may be required to be writable (regression:
 * the preload library once probed the whole reservation and failed with EFAULT). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../clientlib/i2o-client.h"

int main(void) {
    int fd = open("/dev/i2o/ctl", O_RDWR);
    if (fd < 0) { perror("open"); return 2; }
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) { perror("mmap"); return 2; }
    munmap(m + page, page);
    unsigned char *res = m + page - 256;
    uint8_t ops[16];
    unsigned oplen = i2o_op_get_all(ops, 0xF100, 0);
    unsigned int reslen = 256;
    int err;
    int rc = i2o_psetget(fd, I2OPARMGET, 0, 0, ops, oplen, res, &reslen, &err);
    if (rc != 0) { printf("rc %d errno %s\n", rc, strerror(err)); return 1; }
    printf("ok %u\n", reslen);
    return 0;
}
